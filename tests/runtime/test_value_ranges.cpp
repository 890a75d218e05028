// Tests of the schema's value ranges on reading (runtime/value_ranges.h): the CSV reader (both of
// its paths, with and without a bad-row sink), the Arrow reader (every row outside a range
// listed, no batch after it), test customers (BatchBuilder), check_ranges on a decoded batch, and
// the snapshot generator drawing only values within the ranges.
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "runtime/arrow_reader.h"
#include "runtime/arrow_writer.h"
#include "runtime/batch_builder.h"
#include "runtime/csv_reader.h"
#include "runtime/data_errors.h"
#include "runtime/generate_schema.h"
#include "runtime/value_ranges.h"

using namespace rk;

namespace {

RangeEnd end_at(int64_t i, double d, bool inclusive, std::string text) {
  RangeEnd e;
  e.ivalue = i;
  e.value = d;
  e.inclusive = inclusive;
  e.text = std::move(text);
  return e;
}

// id; nps: int? 0 to 10; mrr: money > $0; share: percent <= 50%; since: date >= 2020-01-01.
Schema ranged_schema() {
  Schema s;
  s.name = "account";
  s.fields.emplace_back("id", FieldType::String, false, true);
  s.key_field = 0;
  FieldDef nps("nps", FieldType::Int, true, false);
  nps.min = end_at(0, 0, true, "0");
  nps.max = end_at(10, 10, true, "10");
  s.fields.push_back(nps);
  FieldDef mrr("mrr", FieldType::Money, false, false);
  mrr.min = end_at(0, 0, false, "$0");
  s.fields.push_back(mrr);
  FieldDef share("share", FieldType::Percent, true, false);
  share.max = end_at(0, 0.5, true, "50%");
  s.fields.push_back(share);
  FieldDef since("since", FieldType::Date, false, false);
  since.min = end_at(18262, 18262, true, "2020-01-01");  // days since 1970-01-01
  s.fields.push_back(since);
  return s;
}

Schema without_ranges(Schema s) {
  for (auto& f : s.fields) f.min = f.max = std::nullopt;
  return s;
}

struct Read {
  int64_t rows = 0;
  std::optional<SnapshotError> error;
};

Read read_csv(const std::string& csv, const Schema& schema, DataErrors* sink, int64_t batch = 4,
              int threads = 1) {
  Read out;
  ReaderOptions ro;
  ro.batch_rows = batch;
  ro.threads = threads;
  ro.errors = sink;
  auto r = open_csv_snapshot_memory(csv, "a.csv", schema, ro, out.error);
  REQUIRE(r);
  Batch b;
  while (r->next(b)) out.rows += b.num_rows;
  out.error = r->error();
  return out;
}

std::vector<std::string> listed(const DataErrors& sink) {
  std::vector<std::string> out;
  for (const auto& e : sink.listed()) out.push_back(e.to_string());
  return out;
}

}  // namespace

TEST_CASE("ranges: the CSV reader rejects values outside a field's range", "[ranges]") {
  const Schema schema = ranged_schema();
  const std::string header = "id,nps,mrr,share,since\n";
  // Rows 2..: ends included or not, missing values never outside, NaN is missing.
  const std::string good = header +
                           "a,0,0.01,0.5,2020-01-01\n"
                           "b,10,5,,2026-01-01\n"
                           "c,,1e9,NaN,2020-01-02\n";
  DataErrors none;
  const Read ok = read_csv(good, schema, &none);
  CHECK_FALSE(ok.error);
  CHECK(ok.rows == 3);
  CHECK(none.empty());

  const std::string bad = header +
                          "a,11,5,0.1,2021-01-01\n"   // row 2: nps above 10
                          "b,3,0,0.1,2021-01-01\n"    // row 3: mrr not above $0
                          "c,3,5,0.51,2021-01-01\n"   // row 4: share above 50%
                          "d,3,5,0.1,2019-12-31\n"    // row 5: since before 2020
                          "e,-1,-5,0.9,2019-01-01\n"  // row 6: every field: the first is named
                          "f,5,5,0.1,2021-01-01\n";   // row 7: good
  const std::vector<std::string> want = {
      "a.csv:2: column nps: \"11\" is outside the range of the schema (0 to 10)",
      "a.csv:3: column mrr: \"0\" is outside the range of the schema (> $0)",
      "a.csv:4: column share: \"0.51\" is outside the range of the schema (<= 50%)",
      "a.csv:5: column since: \"2019-12-31\" is outside the range of the schema (>= 2020-01-01)",
      "a.csv:6: column nps: \"-1\" is outside the range of the schema (0 to 10)"};
  for (const auto& [batch, threads] :
       std::vector<std::pair<int64_t, int>>{{1, 1}, {4, 1}, {1000, 1}, {1000, 2}}) {
    INFO("batch " << batch << ", threads " << threads);
    DataErrors sink;
    const Read r = read_csv(bad, schema, &sink, batch, threads);
    REQUIRE(r.error);
    CHECK(r.error->to_string() == want.front());
    CHECK(listed(sink) == want);
    CHECK(r.rows == 0);
  }
  // Without a sink the first is the error.
  const Read first = read_csv(bad, schema, nullptr);
  REQUIRE(first.error);
  CHECK(first.error->to_string() == want.front());
  // The same file read without the ranges is fine.
  CHECK_FALSE(read_csv(bad, without_ranges(schema), nullptr).error);

  // A good file with ranges reads as fast as without: the vectorised path takes every batch
  // (nothing falls back, so no record-by-record conversion is needed to know it).
  std::string many = header;
  for (int i = 0; i < 20000; ++i)
    many += fmt::format("c{},{},{}.5,0.{},2024-0{}-1{}\n", i, i % 11, i % 900, i % 5, 1 + i % 9,
                        i % 10);
  DataErrors clean;
  const Read big = read_csv(many, schema, &clean, 4096, 2);
  CHECK_FALSE(big.error);
  CHECK(big.rows == 20000);
  CHECK(clean.empty());
}

TEST_CASE("ranges: the Arrow reader lists every row outside a range", "[ranges]") {
  const Schema schema = ranged_schema();
  const std::string header = "id,nps,mrr,share,since\n";
  // 3 record batches of 4 rows; rows 2 and 7 (1-based, as the Arrow reader counts) are outside
  // their ranges.
  std::string csv = header;
  for (int i = 0; i < 12; ++i) {
    const int row = i + 1;
    csv += fmt::format("c{},{},{},0.2,2021-01-01\n", i, row == 2 ? 12 : 4, row == 7 ? "-3" : "10");
  }
  std::optional<SnapshotError> err;
  ReaderOptions ro;
  ro.batch_rows = 4;
  auto csv_reader = open_csv_snapshot_memory(csv, "a.csv", without_ranges(schema), ro, err);
  REQUIRE(csv_reader);
  const std::string path =
      (std::filesystem::temp_directory_path() / fmt::format("rk_ranges_{}.arrow", ::getpid()))
          .string();
  {
    ArrowSnapshotWriter w(without_ranges(schema));
    REQUIRE(w.open(path));
    Batch b;
    while (csv_reader->next(b)) REQUIRE(w.write(b));
    REQUIRE(w.finish());
  }
  for (int threads : {1, 3}) {
    INFO("threads " << threads);
    DataErrors sink;
    ReaderOptions o;
    o.errors = &sink;
    o.threads = threads;
    auto r = open_arrow_snapshot(path, schema, o, err);
    REQUIRE(r);
    Batch b;
    int64_t handed_out = 0;
    while (r->next(b)) handed_out += b.num_rows;
    REQUIRE(r->error());
    CHECK(handed_out == 0);  // the first batch holds row 2
    const std::string at = path + ":";
    CHECK(listed(sink) ==
          std::vector<std::string>{
              at + "2: column nps: 12 is outside the range of the schema (0 to 10)",
              at + "7: column mrr: -3.00 is outside the range of the schema (> $0)"});
    CHECK(r->error()->to_string() == listed(sink).front());
  }
  // Without a sink: the first, and reading stops.
  auto plain = open_arrow_snapshot(path, schema, ReaderOptions{}, err);
  REQUIRE(plain);
  Batch b;
  while (plain->next(b)) {
  }
  REQUIRE(plain->error());
  CHECK(plain->error()->row == 2);
  // Without the ranges the file is fine.
  auto loose = open_arrow_snapshot(path, without_ranges(schema), ReaderOptions{}, err);
  REQUIRE(loose);
  int64_t rows = 0;
  while (loose->next(b)) rows += b.num_rows;
  CHECK_FALSE(loose->error());
  CHECK(rows == 12);
  std::remove(path.c_str());
}

TEST_CASE("ranges: check_ranges names the first bad field of each row, in row order", "[ranges]") {
  const Schema schema = ranged_schema();
  BatchBuilder loose(without_ranges(schema));
  std::string e;
  auto row = [&](const char* id, const char* nps, const char* mrr, const char* since) {
    const size_t r = loose.add_row();
    REQUIRE(loose.set_text(r, "id", id, e));
    REQUIRE(loose.set_text(r, "nps", nps, e));
    REQUIRE(loose.set_text(r, "mrr", mrr, e));
    REQUIRE(loose.set_text(r, "since", since, e));
  };
  row("a", "1", "5", "2021-01-01");
  row("b", "", "-1", "2010-01-01");  // mrr first (nps missing)
  row("c", "99", "5", "2021-01-01");
  const auto batch = loose.build(e);
  REQUIRE(batch);
  std::vector<std::string> got;
  const int64_t n = check_ranges(schema, *batch, true, [&](int64_t r, size_t f, std::string m) {
    got.push_back(fmt::format("{} {} {}", r, schema.fields[f].name, m));
  });
  CHECK(n == 2);
  CHECK(got == std::vector<std::string>{"1 mrr -1.00 is outside the range of the schema (> $0)",
                                        "2 nps 99 is outside the range of the schema (0 to 10)"});
  got.clear();
  CHECK(check_ranges(schema, *batch, false,
                     [&](int64_t, size_t, std::string m) { got.push_back(std::move(m)); }) == 1);
  CHECK(got.size() == 1);
  CHECK(check_ranges(without_ranges(schema), *batch, true,
                     [](int64_t, size_t, const std::string&) { FAIL("no range to check"); }) == 0);
}

TEST_CASE("ranges: a test customer outside a range is an error", "[ranges]") {
  BatchBuilder b(ranged_schema());
  const size_t r = b.add_row();
  std::string e;
  CHECK_FALSE(b.set_text(r, "nps", "11", e));
  CHECK(e == "field `nps`: 11 is outside the range of the schema (0 to 10)");
  CHECK_FALSE(b.set(r, "mrr", FieldValue::of_float(0), e));
  CHECK(e == "field `mrr`: 0.00 is outside the range of the schema (> $0)");
  CHECK_FALSE(b.set(r, "since", FieldValue::of_date(0), e));
  CHECK(e == "field `since`: 1970-01-01 is outside the range of the schema (>= 2020-01-01)");
  CHECK(b.set(r, "nps", FieldValue::missing(), e));
  CHECK(b.set(r, "nps", FieldValue::of_int(10), e));
  CHECK(b.set(r, "share", FieldValue::of_float(0.5), e));
  CHECK_FALSE(b.set(r, "share", FieldValue::of_float(0.75), e));
}

TEST_CASE("ranges: the generator draws values within the ranges", "[ranges]") {
  const Schema schema = ranged_schema();
  GenerateOptions opts;
  opts.rows = 5000;
  opts.seed = 7;
  opts.as_of = 20393;  // 2025-11-01
  opts.batch_rows = 2048;
  SchemaGenerator gen(schema, GenerationGuide{}, opts);
  REQUIRE(gen.error().empty());
  int64_t rows = 0;
  for (int64_t i = 0; rows < opts.rows; ++i) {
    const Batch b = gen.batch(i);
    REQUIRE(b.num_rows > 0);
    check_ranges(schema, b, true, [&](int64_t r, size_t f, const std::string& m) {
      FAIL("row " << r << " " << schema.fields[f].name << ": " << m);
    });
    rows += b.num_rows;
  }
  CHECK(rows == 5000);
  // A range no value with the field's decimals fits in.
  Schema tight = schema;
  tight.fields[2].min = end_at(0, 0.001, false, "$0.001");
  tight.fields[2].max = end_at(0, 0.004, false, "$0.004");
  SchemaGenerator none(tight, GenerationGuide{}, opts);
  CHECK(none.error() ==
        "the range of field `mrr` (> $0.001 and < $0.004) holds no value written "
        "with 2 decimals");
}

TEST_CASE("ranges: a one-sided range keeps the values plausible", "[ranges][generate]") {
  // seats: int >= 1 (the usual counts, not 1..2^53); arr: money >= $1000 (the usual shape of
  // an amount misses it: $1000 plus an amount); credit: money <= -$5 (below its end).
  Schema s;
  s.name = "account";
  s.fields.emplace_back("id", FieldType::String, false, true);
  s.key_field = 0;
  FieldDef seats("seats", FieldType::Int, false, false);
  seats.min = end_at(1, 1, true, "1");
  s.fields.push_back(seats);
  FieldDef arr("arr", FieldType::Money, false, false);
  arr.min = end_at(0, 1000, true, "$1000");
  s.fields.push_back(arr);
  FieldDef credit("credit", FieldType::Money, false, false);
  credit.max = end_at(0, -5, true, "-$5");
  s.fields.push_back(credit);
  GenerateOptions opts;
  opts.rows = 4000;
  opts.seed = 11;
  opts.as_of = 20393;
  opts.batch_rows = 4000;
  SchemaGenerator gen(s, GenerationGuide{}, opts);
  REQUIRE(gen.error().empty());
  const Batch b = gen.batch(0);
  REQUIRE(b.num_rows == 4000);
  check_ranges(s, b, true, [&](int64_t r, size_t f, const std::string& m) {
    FAIL("row " << r << " " << s.fields[f].name << ": " << m);
  });
  const auto* seat = static_cast<const int64_t*>(b.columns[1].values);
  const auto* amount = static_cast<const double*>(b.columns[2].values);
  const auto* owed = static_cast<const double*>(b.columns[3].values);
  int64_t ones = 0;
  std::set<double> amounts;
  for (int64_t r = 0; r < b.num_rows; ++r) {
    CHECK(seat[r] >= 1);
    CHECK(seat[r] <= 10000);
    ones += seat[r] == 1;
    CHECK(amount[r] >= 1000);
    CHECK(amount[r] < 1000000);
    amounts.insert(amount[r]);
    CHECK(owed[r] <= -5);
    CHECK(owed[r] > -1000000);
  }
  CHECK(ones < b.num_rows / 2);  // not every zero pushed onto the end
  CHECK(amounts.size() > 1000);  // not every amount on the end either
}
