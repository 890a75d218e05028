// Rekindle bench: the cost of the key uniqueness check (runtime/key_check.h).
//
//   key_check_bench [--rows N] [--reps N] [--snapshot FILE]
//
// 1. In memory: generated playbook batches (customer_id as a plain string column, as the Arrow
//    reader and the generator hand it out); times KeyFingerprints::add over every batch and the
//    final suspects() pass, in ns per row, and reports the bytes held per row.
// 2. With --snapshot: reads the file through open_snapshot with the check off and on, alternating
//    (best of --reps each), so the difference is the check's cost on the real read path
//    (including the CSV reader's per-batch dictionaries).
// Times are CPU time of the reading thread (best of --reps), so a loaded machine does not inflate
// them; the reading happens on this one thread.
#include <fmt/format.h>

#include <time.h>

#include <chrono>
#include <random>
#include <string>

#include "base/date.h"
#include "compiler/check/compile.h"
#include "runtime/generate.h"
#include "runtime/key_check.h"

namespace {

// CPU time of this thread: the machine may be shared, and wall time would count other work.
struct Clock {
  using time_point = double;
  static double now() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
  }
};
double since(double t) {
  return Clock::now() - t;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t rows = 2000000;
  int reps = 3;
  std::string snapshot;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--rows" && i + 1 < argc)
      rows = std::stoll(argv[++i]);
    else if (a == "--reps" && i + 1 < argc)
      reps = std::max(1, std::stoi(argv[++i]));
    else if (a == "--snapshot" && i + 1 < argc)
      snapshot = argv[++i];
    else {
      fmt::print(stderr, "usage: key_check_bench [--rows N] [--reps N] [--snapshot FILE]\n");
      return 2;
    }
  }
  rk::GenerateOptions g;
  g.rows = rows;
  g.seed = 5;
  g.as_of = static_cast<int32_t>(rk::days_from_civil(2026, 11, 1));
  std::vector<rk::Batch> batches;
  for (int64_t i = 0; i * g.batch_rows < rows; ++i) batches.push_back(rk::generate_batch(g, i));
  double best_add = 1e9, best_end = 1e9;
  size_t bytes = 0;
  size_t suspects = 0;
  for (int rep = 0; rep < reps; ++rep) {
    rk::KeyFingerprints prints(std::random_device{}());
    const auto t0 = Clock::now();
    for (const rk::Batch& b : batches) prints.add(b, 0);
    const double add = since(t0);
    const auto t1 = Clock::now();
    suspects = prints.suspects().size();
    const double end = since(t1);
    best_add = std::min(best_add, add);
    best_end = std::min(best_end, end);
    bytes = prints.bytes();
  }
  fmt::print(
      "in memory, {} rows: add {:.1f} ns/row ({:.3f} s), end check {:.1f} ns/row "
      "({:.3f} s), {:.1f} bytes/row ({:.1f} MB), {} suspects\n",
      rows, best_add * 1e9 / rows, best_add, best_end * 1e9 / rows, best_end,
      static_cast<double>(bytes) / rows, bytes / 1e6, suspects);
  if (snapshot.empty()) return 0;
  rk::SchemaResult sr = rk::compile_schema(std::string(RK_SOURCE_DIR) + "/rules/customer.schema");
  if (!sr.schema) return 1;
  double best[2] = {1e9, 1e9};
  int64_t read_rows = 0;
  for (int rep = 0; rep < reps; ++rep)
    for (int check = 0; check < 2; ++check) {
      rk::ReaderOptions ro;
      ro.check_keys = check == 1;
      std::optional<rk::SnapshotError> err;
      const auto t0 = Clock::now();
      auto reader = rk::open_snapshot(snapshot, *sr.schema, ro, err);
      if (!reader) {
        fmt::print(stderr, "{}\n", err ? err->to_string() : "cannot open");
        return 1;
      }
      rk::Batch b;
      read_rows = 0;
      while (reader->next(b)) read_rows += b.num_rows;
      if (reader->error()) {
        fmt::print(stderr, "{}\n", reader->error()->to_string());
        return 1;
      }
      best[check] = std::min(best[check], since(t0));
    }
  fmt::print(
      "read {} ({} rows): check off {:.3f} s, on {:.3f} s: +{:.3f} s ({:.1f} ns/row, "
      "{:+.1f}%)\n",
      snapshot, read_rows, best[0], best[1], best[1] - best[0],
      (best[1] - best[0]) * 1e9 / read_rows, 100 * (best[1] / best[0] - 1));
  return 0;
}
