// Rekindle bench: the snapshot readers alone. Reads a snapshot (CSV or Arrow) batch by batch
// with the playbook schema and N decoding threads, touching nothing else, and prints the time,
// rows/s and MB/s of input (best of --reps runs); with --atoms it also prepares the playbook's
// atoms for every batch. For profiling the readers (perf, callgrind) apart from evaluation.
//
//   read_bench SNAPSHOT [--threads N] [--reps N] [--atoms] [--scalar]
// --scalar reads CSV record by record (the reader's reference path) instead of vectorised.
#include <fmt/format.h>
#include <sys/stat.h>

#include <chrono>
#include <cstring>
#include <string>

#include "compiler/check/compile.h"
#include "runtime/arrow_reader.h"
#include "runtime/atoms.h"
#include "runtime/csv_reader.h"
#include "runtime/generate.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr,
               "usage: read_bench SNAPSHOT [--threads N] [--reps N] [--atoms] [--scalar]\n");
    return 2;
  }
  const std::string path = argv[1];
  int threads = 1, reps = 3;
  bool atoms = false, scalar = false;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc)
      threads = std::atoi(argv[++i]);
    else if (a == "--reps" && i + 1 < argc)
      reps = std::atoi(argv[++i]);
    else if (a == "--atoms")
      atoms = true;
    else if (a == "--scalar")
      scalar = true;
  }
  const rk::Schema schema = rk::playbook_schema();
  std::optional<rk::ir::Program> program;
  if (atoms) {
    rk::CompileResult r = rk::compile_rules(std::string(RK_SOURCE_DIR) + "/rules/winback.rules");
    if (!r.program) return 1;
    program = *r.program;
  }
  struct stat st {};
  ::stat(path.c_str(), &st);
  double best = 1e300;
  int64_t rows = 0;
  for (int rep = 0; rep < reps; ++rep) {
    rk::ReaderOptions ro;
    ro.threads = threads;
    std::optional<rk::SnapshotError> err;
    const auto t0 = std::chrono::steady_clock::now();
    std::unique_ptr<rk::SnapshotReader> reader;
    if (path.size() > 4 && path.substr(path.size() - 4) == ".csv") {
      rk::CsvScanOptions so;
      so.vectorized = !scalar;
      reader = rk::open_csv_snapshot(path, schema, ro, err, so);
    } else {
      reader = rk::open_snapshot(path, schema, ro, err);
    }
    if (!reader) {
      fmt::print(stderr, "read_bench: {}\n", err ? err->to_string() : "cannot open");
      return 1;
    }
    rk::Batch b;
    rk::PreparedAtoms prepared;
    rows = 0;
    while (reader->next(b)) {
      rows += b.num_rows;
      if (atoms) prepared.prepare(*program, b);
    }
    if (reader->error()) {
      fmt::print(stderr, "read_bench: {}\n", reader->error()->to_string());
      return 1;
    }
    best = std::min(best,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  fmt::print("{}: {} rows, {} thread(s): {:.3f} s, {:.1f} M rows/s, {:.0f} MB/s\n", path, rows,
             threads, best, rows / best / 1e6, st.st_size / best / 1e6);
  return 0;
}
