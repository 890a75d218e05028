// Rekindle benchmark: the per-row cost of local send times and template rendering, as an
// evaluator would pay it on a 10M-row snapshot: the zone table's directory walk, resolving a
// dictionary of zone names once, then per row a cached (zone, window) instant formatted as
// YYYY-MM-DDTHH:MM:SSZ, and a template body rendered into a reused buffer. One thread.
//   send_time_bench [ROWS]   (default 10,000,000)
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "base/date.h"
#include "compiler/ir/message_template.h"
#include "runtime/columnar.h"
#include "runtime/send_time.h"
#include "runtime/template_render.h"

using namespace rk;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// CPU seconds of this thread: the machine may be shared, so rows per CPU second is the figure to
// compare; wall-clock seconds are printed too.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

uint64_t next(uint64_t& s) {  // splitmix64
  uint64_t z = (s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t rows = argc > 1 ? std::atoll(argv[1]) : 10'000'000;
  constexpr int64_t kBatch = 64 * 1024;  // the CSV reader's batch: the writer's buffer is reused

  auto t0 = std::chrono::steady_clock::now();
  const ZoneTable zones(ZoneTable::system_directory());
  std::printf("zone table: %zu zones from %s in %.1f ms\n", zones.size(), zones.directory().c_str(),
              1e3 * seconds_since(t0));
  if (zones.size() == 0) return 1;

  // A snapshot dictionary of 400 zone names (every zone of the database, cut to 400), and each
  // row's code into it.
  std::vector<std::string> dict;
  for (size_t i = 0; i < zones.size() && dict.size() < 400; i += zones.size() / 400 + 1)
    dict.push_back(zones.name(static_cast<ZoneId>(i)));
  std::vector<int32_t> codes(static_cast<size_t>(rows));
  uint64_t seed = 42;
  for (auto& c : codes) c = static_cast<int32_t>(next(seed) % dict.size());

  t0 = std::chrono::steady_clock::now();
  std::vector<ZoneId> zone_of(dict.size());
  for (size_t i = 0; i < dict.size(); ++i) zone_of[i] = zones.find(dict[i]);
  std::printf("resolve: %zu dictionary entries in %.3f ms\n", dict.size(), 1e3 * seconds_since(t0));

  int32_t as_of = 0;
  parse_iso_date("2026-11-01", as_of);  // a Sunday: sms moves to Monday
  const SendTimes times(zones, as_of, {{9 * 60, 0}, {11 * 60, kSunday}});
  std::string out;
  size_t bytes = 0;
  t0 = std::chrono::steady_clock::now();
  double c0 = cpu_seconds();
  for (int64_t r = 0; r < rows; ++r) {
    if (r % kBatch == 0) {
      bytes += out.size();
      out.clear();
    }
    const auto t = times.instant(zone_of[static_cast<size_t>(codes[static_cast<size_t>(r)])],
                                 static_cast<size_t>(r & 1));
    if (t) append_utc_timestamp(out, *t);
    out.push_back('\n');
  }
  bytes += out.size();
  double s = seconds_since(t0), c = cpu_seconds() - c0;
  std::printf("send_at: %lld rows in %.3f s (%.3f s CPU), %.1f M rows per CPU second (%zu bytes)\n",
              static_cast<long long>(rows), s, c, rows / c / 1e6, bytes);

  // Template: a dictionary-encoded first_name (5,000 names, 10% missing, some non-ASCII, some
  // empty) and a coded family label.
  auto names = std::make_shared<StringDict>();
  std::vector<std::string> storage;
  storage.reserve(5000);
  for (int i = 0; i < 5000; ++i)
    storage.push_back(i % 97 == 0 ? "" : (i % 7 == 0 ? "Zoë " : "Name ") + std::to_string(i));
  for (const auto& n : storage) names->entries.emplace_back(n);
  std::vector<int32_t> name_codes(static_cast<size_t>(rows));
  std::vector<uint8_t> valid(static_cast<size_t>((rows + 7) / 8), 0);
  std::vector<int8_t> affinity(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    const uint64_t x = next(seed);
    name_codes[static_cast<size_t>(r)] = static_cast<int32_t>(x % 5000);
    if ((x >> 20) % 10 != 0) valid[static_cast<size_t>(r >> 3)] |= 1u << (r & 7);
    affinity[static_cast<size_t>(r)] = static_cast<int8_t>((x >> 40) % 6);
  }
  Batch batch;
  batch.num_rows = rows;
  batch.columns.push_back(RkColumn{valid.data(), name_codes.data(), nullptr, nullptr, nullptr,
                                   names.get(), RK_STR_DICT, 0});
  Schema schema;
  schema.fields.push_back({"first_name", FieldType::String, true, false, {}});
  ir::MessageTemplate tmpl;
  if (ir::parse_message_template(
          "Good to see you again, {first_name|friend}. Here is what is new in {affinity}.", tmpl))
    return 1;
  TemplateRenderer renderer;
  std::string error;
  if (!renderer.bind(
          tmpl,
          [&](std::string_view name) -> std::optional<TemplateValue> {
            if (name == "first_name") return TemplateValue::field(schema, 0);
            if (name == "affinity")
              return TemplateValue::coded(
                  0, {"apparel", "home", "beauty", "electronics", "outdoors", "grocery"});
            return std::nullopt;
          },
          error)) {
    std::printf("%s\n", error.c_str());
    return 1;
  }
  const int8_t* outputs[] = {affinity.data()};
  const TemplateInputs in{&batch, outputs, nullptr};
  out.clear();
  bytes = 0;
  t0 = std::chrono::steady_clock::now();
  c0 = cpu_seconds();
  for (int64_t r = 0; r < rows; ++r) {
    if (r % kBatch == 0) {
      bytes += out.size();
      out.clear();
    }
    renderer.render(in, r, out);
    out.push_back('\n');
  }
  bytes += out.size();
  s = seconds_since(t0);
  c = cpu_seconds() - c0;
  std::printf(
      "template body: %lld rows in %.3f s (%.3f s CPU), %.1f M rows per CPU second, %.0f MB per "
      "CPU second (%zu bytes)\n",
      static_cast<long long>(rows), s, c, rows / c / 1e6, bytes / c / 1e6, bytes);
  return 0;
}
