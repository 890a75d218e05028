// Tests of how bad snapshots are reported: the bad-row sink (runtime/data_errors.h) keeps the
// first rows by row number whatever the order of reports, and counts the rest; the CSV reader
// with a sink reports every bad row up to the limit, reads to the end, never hands out a batch
// after a bad row and fails with the first; the hints for dates in a national order and for CSV
// separated by semicolons or tabs (runtime/value_hints.h).
#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "runtime/csv_reader.h"
#include "runtime/data_errors.h"
#include "runtime/value_hints.h"

using namespace rk;

namespace {

Schema schema() {
  Schema s;
  s.name = "t";
  s.fields.push_back({"id", FieldType::String, false, true, {}});
  s.key_field = 0;
  s.fields.push_back({"nps", FieldType::Int, false, false, {}});
  s.fields.push_back({"d", FieldType::Date, true, false, {}});
  s.fields.push_back({"plan", FieldType::Enum, false, false, {"free", "pro"}});
  return s;
}

struct Run {
  int64_t rows_handed_out = 0;
  std::optional<SnapshotError> error;
};

Run read(const std::string& csv, DataErrors* sink, int64_t batch_rows = 4, int threads = 1) {
  Run out;
  ReaderOptions ro;
  ro.batch_rows = batch_rows;
  ro.threads = threads;
  ro.errors = sink;
  auto r = open_csv_snapshot_memory(csv, "s.csv", schema(), ro, out.error);
  REQUIRE(r);
  Batch b;
  while (r->next(b)) out.rows_handed_out += b.num_rows;
  out.error = r->error();
  return out;
}

}  // namespace

TEST_CASE("data errors: the first rows by number are kept, the rest counted", "[data_errors]") {
  DataErrors none;
  CHECK(none.empty());
  CHECK(none.lines().empty());

  DataErrors one;
  one.report({"s.csv", 7, "nps", "bad"});
  CHECK(one.lines() == std::vector<std::string>{"s.csv:7: column nps: bad"});  // no count line

  // 1,000 reports in a random order from 4 threads: the 100 lowest rows, in order.
  std::vector<int64_t> rows(1000);
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int64_t>(i) * 3 + 2;
  std::shuffle(rows.begin(), rows.end(), std::mt19937_64(5));
  DataErrors sink;
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (size_t i = t; i < rows.size(); i += 4)
        sink.report({"s.csv", rows[i], "nps", "row " + std::to_string(rows[i])});
    });
  for (auto& t : threads) t.join();
  CHECK(sink.rows() == 1000);
  CHECK(sink.more() == 900);
  const auto listed = sink.listed();
  REQUIRE(listed.size() == 100);
  for (size_t i = 0; i < listed.size(); ++i) {
    CHECK(listed[i].row == static_cast<int64_t>(i) * 3 + 2);
    CHECK(listed[i].message == "row " + std::to_string(listed[i].row));
  }
  const auto lines = sink.lines();
  REQUIRE(lines.size() == 101);
  CHECK(lines.front() == "s.csv:2: column nps: row 2");
  CHECK(lines.back() == "s.csv: 1000 rows with errors (the first 100 are shown)");

  DataErrors small(3);
  for (int64_t r : {9, 4, 6, 2, 8}) small.report({"s.csv", r, "", "x"});
  CHECK(small.lines() ==
        std::vector<std::string>{"s.csv:2: x", "s.csv:4: x", "s.csv:6: x",
                                 "s.csv: 5 rows with errors (the first 3 are shown)"});
}

TEST_CASE("data errors: the CSV reader reports every bad row, all or nothing", "[data_errors]") {
  const std::string header = "id,nps,d,plan\n";
  std::string csv = header;
  // Rows 2..41: every third bad (a bad int, a US date, an unknown plan, a short record).
  std::vector<std::string> want;
  for (int i = 0; i < 40; ++i) {
    const int row = i + 2;
    const std::string id = fmt::format("c{}", i);
    switch (i % 12) {
      case 3:
        csv += id + ",eleven,2026-01-02,pro\n";
        want.push_back(fmt::format("s.csv:{}: column nps: \"eleven\" is not an int", row));
        break;
      case 6:
        csv += id + ",5,10/07/2026,pro\n";
        want.push_back(fmt::format(
            "s.csv:{}: column d: \"10/07/2026\" is not a date (write dates as YYYY-MM-DD: "
            "2026-10-07 if this is October 7, 2026-07-10 if it is July 10)",
            row));
        break;
      case 9:
        csv += id + ",5,2026-01-02,enterprise,extra\n";
        want.push_back(fmt::format("s.csv:{}: expected 4 fields, found 5", row));
        break;
      case 11:
        csv += id + ",5,2026-01-02,gold\n";
        want.push_back(fmt::format("s.csv:{}: column plan: \"gold\" is not one of free, pro", row));
        break;
      default:
        csv += id + ",5,2026-01-02,free\n";
    }
  }
  // Batches of every size, decoded by one thread or three (the vectorised path hands a batch
  // with a bad record to the record-by-record path, which reports it).
  for (const auto& [batch_rows, threads] :
       std::vector<std::pair<int64_t, int>>{{1, 1}, {4, 1}, {7, 3}, {1000, 1}, {1000, 3}}) {
    INFO("batch rows " << batch_rows << ", threads " << threads);
    DataErrors sink;
    const Run r = read(csv, &sink, batch_rows, threads);
    REQUIRE(r.error);
    CHECK(r.error->to_string() == want.front());  // error() is the first bad row
    std::vector<std::string> got;
    for (const auto& e : sink.listed()) got.push_back(e.to_string());
    CHECK(got == want);
    CHECK(sink.lines().back() == "s.csv: " + std::to_string(want.size()) + " rows with errors");
    // No batch after the first bad row (row 5): only the good rows of earlier batches.
    CHECK(r.rows_handed_out <= 3);
  }
  // Without a sink the read stops at the first bad row, as before.
  const Run first = read(csv, nullptr);
  REQUIRE(first.error);
  CHECK(first.error->to_string() == want.front());

  // Good batches before the first bad row are read by the vectorised path; bad rows after it are
  // all reported, and nothing is handed out once one is found.
  std::string late = header;
  for (int i = 0; i < 5000; ++i)
    late += fmt::format("c{},{},,free\n", i, i >= 4100 && i % 300 == 0 ? "x" : "1");
  for (int threads : {1, 2}) {
    DataErrors sink;
    const Run r = read(late, &sink, 1024, threads);
    REQUIRE(r.error);
    CHECK(r.error->row == 4202);  // c4200, the first bad row
    CHECK(sink.rows() == 3);      // c4200, c4500, c4800
    CHECK(sink.listed().back().row == 4802);
    CHECK(r.rows_handed_out == 4096);  // the four batches before the first bad row
  }

  // Over the limit: 100 listed, the rest counted.
  std::string many = header;
  for (int i = 0; i < 250; ++i) many += fmt::format("c{},x,,free\n", i);
  DataErrors sink;
  REQUIRE(read(many, &sink, 64).error);
  CHECK(sink.rows() == 250);
  CHECK(sink.listed().size() == 100);
  CHECK(sink.listed().back().row == 101);
  CHECK(sink.lines().back() == "s.csv: 250 rows with errors (the first 100 are shown)");

  // A file that cannot be read further (an unterminated quote) ends the list.
  DataErrors cut;
  const Run c = read(header + "a,x,,free\nb,1,,free\n\"c,1,,free\n", &cut);
  REQUIRE(c.error);
  CHECK(c.error->row == 2);
  REQUIRE(cut.rows() == 2);
  CHECK(cut.listed()[1].row == 4);
  // A good file with a sink reads as without.
  DataErrors clean;
  const Run g = read(header + "a,1,,free\nb,2,2026-01-01,pro\n", &clean);
  CHECK_FALSE(g.error);
  CHECK(g.rows_handed_out == 2);
  CHECK(clean.empty());
}

TEST_CASE("data errors: dates written in another order say how to write them", "[data_errors]") {
  CHECK(date_expectation("10/07/2026") ==
        "a date (write dates as YYYY-MM-DD: 2026-10-07 if this is October 7, 2026-07-10 if it is "
        "July 10)");
  CHECK(date_expectation("13/07/2026") == "a date (write dates as YYYY-MM-DD: 2026-07-13)");
  CHECK(date_expectation("7/13/2026") == "a date (write dates as YYYY-MM-DD: 2026-07-13)");
  CHECK(date_expectation("7.7.2026") == "a date (write dates as YYYY-MM-DD: 2026-07-07)");
  CHECK(date_expectation("31-12-2026") == "a date (write dates as YYYY-MM-DD: 2026-12-31)");
  CHECK(date_expectation("2026/10/07") == "a date (write dates as YYYY-MM-DD: 2026-10-07)");
  CHECK(date_expectation("2026-13-01") == "a date (there is no month 13)");
  CHECK(date_expectation("2026-02-30") == "a date (February 2026 has 28 days)");
  CHECK(date_expectation("2028-02-30") == "a date (February 2028 has 29 days)");
  CHECK(date_expectation("10/07/26") ==
        "a date (write dates as YYYY-MM-DD, with the year in full)");
  CHECK(date_expectation("32/13/2026") == "a date (write dates as YYYY-MM-DD, e.g. 2026-11-01)");
  CHECK(date_expectation("10/07-2026") == "a date (write dates as YYYY-MM-DD, e.g. 2026-11-01)");
  CHECK(date_expectation("yesterday") == "a date (write dates as YYYY-MM-DD, e.g. 2026-11-01)");
  CHECK(date_expectation("") == "a date (write dates as YYYY-MM-DD, e.g. 2026-11-01)");
}

TEST_CASE("data errors: a CSV separated by semicolons or tabs says so", "[data_errors]") {
  std::optional<SnapshotError> err;
  auto r = open_csv_snapshot_memory("id;nps;d;plan\nc1;5;2026-01-02;free\n", "s.csv", schema(),
                                    ReaderOptions{}, err);
  CHECK_FALSE(r);
  REQUIRE(err);
  CHECK(err->to_string() ==
        "s.csv:1: the header is a single column, \"id;nps;d;plan\", that holds the schema's field "
        "names separated by `;`: the file is separated by semicolons (as spreadsheets write CSV "
        "in many countries), and Rekindle reads CSV separated by commas (export it again with `,` "
        "as the field separator)");
  err.reset();
  r = open_csv_snapshot_memory("id\tnps\td\tplan\n", "s.tsv", schema(), ReaderOptions{}, err);
  REQUIRE(err);
  CHECK(err->message.find("\"id\\tnps\\td\\tplan\"") != std::string::npos);
  CHECK(err->message.find("tabs (a TSV file)") != std::string::npos);
  // Semicolons in a header whose parts name no field: the usual message.
  const Schema s = schema();
  CHECK_FALSE(separator_hint({"a;b"}, s));
  CHECK_FALSE(separator_hint({"id", "nps;d"}, s));  // several columns: not this mistake
  CHECK(separator_hint({"\"id\";\"nps\""}, s));     // quoted names
}
