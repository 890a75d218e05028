// Tests of the snapshot generator: determinism (same seed -> identical bytes, for any thread
// count), the value shapes the playbook rules need (boundaries, missing values, non-ASCII keys),
// and the CSV round trip (generated CSV -> reader -> CSV writer -> identical bytes).
#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "base/date.h"
#include "compiler/ir/helpers.h"
#include "runtime/csv_reader.h"
#include "runtime/csv_writer.h"
#include "runtime/generate.h"

using namespace rk;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string tmp(const std::string& name) {
  return std::string(RK_BINARY_DIR) + "/" + name;
}

int32_t as_of() {
  int32_t d = 0;
  parse_iso_date("2026-11-01", d);
  return d;
}

GenerateOptions options(int64_t rows, uint64_t seed, int threads, int64_t batch_rows = 4096) {
  GenerateOptions o;
  o.rows = rows;
  o.seed = seed;
  o.as_of = as_of();
  o.threads = threads;
  o.batch_rows = batch_rows;
  return o;
}

}  // namespace

TEST_CASE("generate: the playbook schema", "[generate]") {
  const Schema s = playbook_schema();
  REQUIRE(s.fields.size() == 21);
  CHECK(s.key_field == 0);
  CHECK(s.fields[0].name == "customer_id");
  CHECK(s.fields[10].type == FieldType::StringList);
  CHECK(s.fields[11].enum_values.size() == 5);
  CHECK(s.fields[15].nullable);
  CHECK(s.fields[20].name == "responded");
}

TEST_CASE("generate: same seed gives identical bytes for any thread count", "[generate]") {
  std::string err;
  REQUIRE(generate_snapshot(options(20000, 7, 1), tmp("gen_a.csv"), SnapshotFormat::Csv, err));
  REQUIRE(generate_snapshot(options(20000, 7, 3), tmp("gen_b.csv"), SnapshotFormat::Csv, err));
  REQUIRE(generate_snapshot(options(20000, 8, 2), tmp("gen_c.csv"), SnapshotFormat::Csv, err));
  const std::string a = slurp(tmp("gen_a.csv"));
  CHECK(a.size() > 20000 * 50);
  CHECK(a == slurp(tmp("gen_b.csv")));
  CHECK(a != slurp(tmp("gen_c.csv")));
  std::remove(tmp("gen_a.csv").c_str());
  std::remove(tmp("gen_b.csv").c_str());
  std::remove(tmp("gen_c.csv").c_str());
}

TEST_CASE("generate: round trip CSV -> batches -> CSV is byte-identical", "[generate]") {
  std::string err;
  const std::string in = tmp("gen_rt_in.csv"), out = tmp("gen_rt_out.csv");
  REQUIRE(generate_snapshot(options(30000, 3, 2), in, SnapshotFormat::Csv, err));
  const Schema s = playbook_schema();
  std::optional<SnapshotError> rerr;
  ReaderOptions ro;
  ro.batch_rows = 7000;
  auto r = open_csv_snapshot(in, s, ro, rerr);
  REQUIRE(r);
  CsvSnapshotWriter w;
  REQUIRE(w.open(out, s));
  Batch b;
  int64_t rows = 0;
  while (r->next(b)) {
    rows += b.num_rows;
    REQUIRE(w.write(b));
  }
  REQUIRE_FALSE(r->error());
  REQUIRE(w.finish());
  CHECK(rows == 30000);
  CHECK(slurp(in) == slurp(out));
  std::remove(in.c_str());
  std::remove(out.c_str());
}

TEST_CASE("generate: value shapes", "[generate]") {
  const Schema s = playbook_schema();
  const auto opts = options(200000, 1, 2, 65536);
  const int32_t today = as_of();
  int64_t rows = 0, never = 0, after = 0, whales = 0, small = 0, ones = 0, margin_missing = 0,
          margin_exact = 0, consent_missing = 0, opted = 0, flags = 0, bounce_missing = 0,
          bounce_tail = 0, bounce_exact = 0, touch_zero_with_date = 0, touch_without_date = 0,
          touch_7_days = 0, responded = 0, non_ascii = 0, commas = 0, quotes = 0;
  std::set<double> aov_edges;
  std::set<int32_t> dormancy_edges;
  std::set<std::string> ids;
  std::set<int> category_counts;
  for (int64_t bi = 0; bi * opts.batch_rows < opts.rows; ++bi) {
    const Batch b = generate_batch(opts, bi);
    CHECK(b.first_row == bi * opts.batch_rows);
    for (int64_t r = 0; r < b.num_rows; ++r, ++rows) {
      const std::string id(*b.string_at(0, r));
      ids.insert(id);
      bool ascii = true;
      for (unsigned char c : id) ascii = ascii && c < 0x80;
      non_ascii += !ascii;
      commas += id.find(',') != std::string::npos;
      quotes += id.find('"') != std::string::npos;
      REQUIRE(is_valid_utf8(id));
      auto present = [&](int f) { return is_present(b.columns[f].validity, r); };
      auto i32 = [&](int f) { return static_cast<const int32_t*>(b.columns[f].values)[r]; };
      auto i64 = [&](int f) { return static_cast<const int64_t*>(b.columns[f].values)[r]; };
      auto f64 = [&](int f) { return static_cast<const double*>(b.columns[f].values)[r]; };
      auto bit = [&](int f) {
        return bit_is_set(static_cast<const uint8_t*>(b.columns[f].values), r);
      };
      if (!present(1)) {
        ++never;
      } else {
        const int32_t days = today - i32(1);
        after += days < 0;
        if (days == 59 || days == 60 || days == 89 || days == 90 || days == 119 || days == 120 ||
            days == 179 || days == 180 || days == 365)
          dormancy_edges.insert(days);
        CHECK(days <= 1460);
      }
      ones += i64(3) == 1;
      const double aov = f64(4);
      whales += aov >= 250;
      small += aov > 0 && aov < 20;
      if (aov == 250.0 || aov == 75.0 || aov == 20.0) aov_edges.insert(aov);
      margin_missing += !present(5);
      margin_exact += present(5) && f64(5) == 0.4;
      const auto* off = static_cast<const int32_t*>(b.columns[10].offsets);
      category_counts.insert(off[r + 1] - off[r]);
      consent_missing += !present(12);
      opted += bit(14);
      flags += present(15);
      bounce_missing += !present(17);
      bounce_tail += present(17) && f64(17) > 0.05;
      bounce_exact += present(17) && f64(17) == 0.05;
      if (i64(18) == 0 && present(19)) ++touch_zero_with_date;
      if (i64(18) > 0 && !present(19)) ++touch_without_date;
      if (present(19)) {
        CHECK(today - i32(19) >= 0);
        CHECK(today - i32(19) <= 30);
        touch_7_days += today - i32(19) == 7;
      }
      CHECK(i64(18) >= 0);
      CHECK(i64(18) <= 7);
      responded += bit(20);
    }
  }
  REQUIRE(rows == 200000);
  CHECK(ids.size() == 200000);  // unique keys
  auto share = [&](int64_t n) { return static_cast<double>(n) / rows; };
  CHECK(share(never) == Approx(0.03).margin(0.01));
  CHECK(after > 0);
  CHECK(dormancy_edges.size() == 9);
  CHECK(aov_edges.size() == 3);
  CHECK(share(whales) > 0.02);
  CHECK(share(small) > 0.05);
  CHECK(share(ones) > 0.3);
  CHECK(share(margin_missing) == Approx(0.08).margin(0.01));
  CHECK(margin_exact > 0);
  CHECK(category_counts == std::set<int>{0, 1, 2, 3, 4});
  CHECK(share(consent_missing) == Approx(0.10).margin(0.01));
  CHECK(share(opted) == Approx(0.03).margin(0.01));
  CHECK(share(flags) == Approx(0.05).margin(0.01));
  CHECK(share(bounce_missing) == Approx(0.05).margin(0.01));
  CHECK(bounce_tail > 0);
  CHECK(bounce_exact > 0);
  CHECK(touch_zero_with_date == 0);
  CHECK(touch_without_date > 0);
  CHECK(touch_7_days > 0);
  CHECK(share(responded) == Approx(0.15).margin(0.01));
  CHECK(non_ascii > 200);  // a few thousand per million
  CHECK(commas > 50);
  CHECK(quotes > 50);
}

TEST_CASE("generate: errors are values", "[generate]") {
  std::string err;
  CHECK_FALSE(
      generate_snapshot(options(10, 1, 1), "/nonexistent-dir-rk/x.csv", SnapshotFormat::Csv, err));
  CHECK(err.find("/nonexistent-dir-rk/x.csv: cannot create a temporary file") == 0);
  auto o = options(-1, 1, 1);
  CHECK_FALSE(generate_snapshot(o, tmp("neg.csv"), SnapshotFormat::Csv, err));
  CHECK(err == "the row count must not be negative");
  // Zero rows: a header only.
  REQUIRE(generate_snapshot(options(0, 1, 1), tmp("empty.csv"), SnapshotFormat::Csv, err));
  CHECK(slurp(tmp("empty.csv")) == CsvSnapshotWriter::header(playbook_schema()));
  std::remove(tmp("empty.csv").c_str());
}

TEST_CASE("generate: Arrow output is deterministic and reads back like the CSV", "[generate]") {
  std::string err;
  const std::string a = tmp("gen_a.arrow"), b = tmp("gen_b.arrow"), c = tmp("gen_c.csv");
  REQUIRE(generate_snapshot(options(10000, 5, 1), a, SnapshotFormat::Arrow, err));
  REQUIRE(generate_snapshot(options(10000, 5, 2), b, SnapshotFormat::Arrow, err));
  REQUIRE(generate_snapshot(options(10000, 5, 2), c, SnapshotFormat::Csv, err));
  CHECK(slurp(a) == slurp(b));
  CHECK(slurp(a).compare(0, 6, "ARROW1") == 0);
  // Arrow -> CSV through the readers and the CSV writer gives the generated CSV.
  const Schema s = playbook_schema();
  std::optional<SnapshotError> rerr;
  auto r = open_snapshot(a, s, {}, rerr);
  REQUIRE(r);
  std::string text = CsvSnapshotWriter::header(s);
  Batch batch;
  while (r->next(batch)) REQUIRE(CsvSnapshotWriter::format_rows(s, batch, text, err));
  REQUIRE_FALSE(r->error());
  CHECK(text == slurp(c));
  for (const auto& p : {a, b, c}) std::remove(p.c_str());
}
