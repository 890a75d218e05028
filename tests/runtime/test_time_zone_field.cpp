// Tests of `time_zone` fields (compiler/ir/schema.h FieldDef::time_zone) on reading: the CSV
// reader (an unknown zone is a data error with row, column and a "did you mean" for a case slip;
// an empty field is missing; backward links are zones), the Arrow reader (every bad row listed,
// dictionary entries looked up once), test customers (BatchBuilder), and the snapshot generator
// drawing only real zones for a time_zone field whatever its name.
#include <fmt/format.h>
#include <unistd.h>

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
#include "runtime/send_time.h"
#include "runtime/value_ranges.h"

using namespace rk;

namespace {

// id; home: time_zone?; city: string (a plain string, never checked).
Schema zone_schema(bool zones = true) {
  Schema s;
  s.name = "people";
  s.fields.emplace_back("id", FieldType::String, false, true);
  s.key_field = 0;
  FieldDef home("home", FieldType::String, true, false);
  home.time_zone = zones;
  s.fields.push_back(home);
  s.fields.emplace_back("city", FieldType::String, false, false);
  return s;
}

std::vector<std::string> listed(const DataErrors& sink) {
  std::vector<std::string> out;
  for (const auto& e : sink.listed()) out.push_back(e.to_string());
  return out;
}

struct Read {
  int64_t rows = 0;
  std::vector<std::string> zones;  // the home column as read ("-" for missing)
  std::optional<SnapshotError> error;
};

Read read_csv(const std::string& csv, const Schema& schema, DataErrors* sink, int64_t batch = 4) {
  Read out;
  ReaderOptions ro;
  ro.batch_rows = batch;
  ro.errors = sink;
  auto r = open_csv_snapshot_memory(csv, "z.csv", schema, ro, out.error);
  REQUIRE(r);
  Batch b;
  while (r->next(b)) {
    for (int64_t i = 0; i < b.num_rows; ++i) {
      auto z = b.string_at(1, i);
      out.zones.push_back(z ? std::string(*z) : "-");
    }
    out.rows += b.num_rows;
  }
  out.error = r->error();
  return out;
}

}  // namespace

TEST_CASE("time_zone: the system's database is there", "[time_zone]") {
  REQUIRE(ZoneTable::system().error().empty());
  CHECK(is_known_zone("America/New_York"));
  CHECK(is_known_zone("US/Eastern"));  // a backward link
  CHECK(is_known_zone("UTC"));
  CHECK_FALSE(is_known_zone("america/new_york"));
  CHECK_FALSE(is_known_zone(""));
  CHECK_FALSE(is_known_zone("Mars/Olympus_Mons"));
}

TEST_CASE("time_zone: the CSV reader checks every present value", "[time_zone]") {
  const Schema schema = zone_schema();
  SECTION("good values, an empty field is missing") {
    const Read r = read_csv(
        "id,home,city\na,Europe/Berlin,Berlin\nb,,Nowhere\nc,US/Eastern,Boston\nd,Asia/Kolkata,"
        "Pune\ne,Australia/Adelaide,Adelaide\n",
        schema, nullptr);
    CHECK_FALSE(r.error);
    CHECK(r.zones == std::vector<std::string>{"Europe/Berlin", "-", "US/Eastern", "Asia/Kolkata",
                                              "Australia/Adelaide"});
  }
  SECTION("a case slip: a data error with row, column and did you mean") {
    const Read r =
        read_csv("id,home,city\na,Europe/Berlin,x\nb,europe/berlin,y\n", schema, nullptr);
    REQUIRE(r.error);
    CHECK(r.error->to_string() ==
          "z.csv:3: column home: \"europe/berlin\" is not a time zone of the system's database (" +
              ZoneTable::system().directory() + "); did you mean \"Europe/Berlin\"?");
  }
  SECTION("with a sink: every bad row, in order") {
    DataErrors sink;
    std::string csv = "id,home,city\n";
    for (int i = 0; i < 10; ++i)
      csv += fmt::format("c{},{},x\n", i,
                         i == 2   ? "Mars/Olympus"
                         : i == 7 ? " UTC"
                                  : "America/New_York");
    const Read r = read_csv(csv, schema, &sink, 3);
    REQUIRE(r.error);
    const std::string db = ZoneTable::system().directory();
    CHECK(listed(sink) ==
          std::vector<std::string>{
              "z.csv:4: column home: \"Mars/Olympus\" is not a time zone of the system's "
              "database (" +
                  db + ")",
              // Spaces are data: " UTC" is not "UTC".
              "z.csv:9: column home: \" UTC\" is not a time zone of the system's database (" + db +
                  ")"});
  }
  SECTION("a plain string field is never checked") {
    const Read r = read_csv("id,home,city\na,Mars/Olympus,x\n", zone_schema(false), nullptr);
    CHECK_FALSE(r.error);
  }
}

TEST_CASE("time_zone: the Arrow reader lists every bad row", "[time_zone]") {
  const Schema schema = zone_schema();
  std::string csv = "id,home,city\n";
  for (int i = 0; i < 12; ++i)
    csv += fmt::format("c{},{},x\n", i,
                       i == 1   ? "Europe/Berln"
                       : i == 8 ? "asia/kolkata"
                       : i == 5 ? ""
                                : (i % 2 ? "Europe/Berlin" : "Asia/Kolkata"));
  std::optional<SnapshotError> err;
  ReaderOptions ro;
  ro.batch_rows = 4;
  auto csv_reader = open_csv_snapshot_memory(csv, "a.csv", zone_schema(false), ro, err);
  REQUIRE(csv_reader);
  const std::string path =
      (std::filesystem::temp_directory_path() / fmt::format("rk_zones_{}.arrow", ::getpid()))
          .string();
  {
    ArrowSnapshotWriter w(zone_schema(false));
    REQUIRE(w.open(path));
    Batch b;
    while (csv_reader->next(b)) REQUIRE(w.write(b));
    REQUIRE(w.finish());
  }
  const std::string db = ZoneTable::system().directory();
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
    CHECK(
        listed(sink) ==
        std::vector<std::string>{
            at + "2: column home: \"Europe/Berln\" is not a time zone of the system's database (" +
                db + ")",
            at + "9: column home: \"asia/kolkata\" is not a time zone of the system's database (" +
                db + "); did you mean \"Asia/Kolkata\"?"});
  }
  // Read as a plain string the file is fine, and the empty value is missing.
  auto loose = open_arrow_snapshot(path, zone_schema(false), ReaderOptions{}, err);
  REQUIRE(loose);
  Batch b;
  int64_t rows = 0, missing = 0;
  while (loose->next(b)) {
    for (int64_t i = 0; i < b.num_rows; ++i) missing += !b.string_at(1, i).has_value();
    rows += b.num_rows;
  }
  CHECK_FALSE(loose->error());
  CHECK(rows == 12);
  CHECK(missing == 1);
  std::remove(path.c_str());
}

TEST_CASE("time_zone: test customers are checked like snapshot rows", "[time_zone]") {
  const Schema schema = zone_schema();
  BatchBuilder bb(schema);
  std::string e;
  const size_t r = bb.add_row();
  REQUIRE(bb.set(r, "id", FieldValue::of_text("a"), e));
  REQUIRE(bb.set(r, "city", FieldValue::of_text("x"), e));
  CHECK(bb.set(r, "home", FieldValue::of_text("US/Eastern"), e));
  CHECK_FALSE(bb.set(r, "home", FieldValue::of_text("us/eastern"), e));
  CHECK(e == "field `home`: \"us/eastern\" is not a time zone of the system's database (" +
                 ZoneTable::system().directory() + "); did you mean \"US/Eastern\"?");
}

TEST_CASE("time_zone: the generator draws real zones whatever the field's name", "[time_zone]") {
  Schema s = zone_schema();
  s.fields[1].name = "home";  // no zone hint in the name: the type decides
  GenerateOptions o;
  o.rows = 3000;
  o.seed = 5;
  o.batch_rows = 3000;
  SchemaGenerator g(s, {}, o);
  REQUIRE(g.valid());
  const Batch b = g.batch(0);
  std::set<std::string> zones;
  for (int64_t r = 0; r < b.num_rows; ++r)
    if (auto z = b.string_at(1, r)) {
      CHECK(is_known_zone(*z));
      zones.emplace(*z);
    }
  CHECK(zones.size() >= 10);  // many regions
  CHECK(check_ranges(s, b, true, [](int64_t, size_t, const std::string&) {}) == 0);
}
