// Tests of the key uniqueness check (runtime/key_check.h): a key in two rows is a data error
// naming both rows for every reader (CSV, Arrow, in memory, a pipe), across batches and blank
// lines; fingerprint collisions (forced with short fingerprints) never give a false error nor
// hide a real duplicate; `explain` refuses a customer with two rows like `eval`.
#include <fcntl.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "runtime/arrow_writer.h"
#include "runtime/csv_reader.h"
#include "runtime/explain.h"
#include "runtime/key_check.h"

using namespace rk;
namespace fs = std::filesystem;

namespace {

Schema key_schema() {
  Schema s;
  s.name = "t";
  s.fields.push_back({"id", FieldType::String, false, true, {}});
  s.fields.push_back({"n", FieldType::Int, false, false, {}});
  s.key_field = 0;
  return s;
}

// Reads `csv` (in memory) through the key check; the error, or "" when the snapshot is good.
// `vectorized`: the CSV reader's vectorised path (else record by record only).
std::string check_csv(const std::string& csv, int64_t batch_rows = 1024, int bits = 64,
                      bool rereadable = true, bool vectorized = true) {
  const Schema schema = key_schema();
  ReaderOptions ro;
  ro.batch_rows = batch_rows;
  CsvScanOptions scan;
  scan.vectorized = vectorized;
  std::optional<SnapshotError> err;
  auto inner = open_csv_snapshot_memory(csv, "mem.csv", schema, ro, err, scan);
  REQUIRE(inner);
  KeyCheckingReader::Reopen reread;
  if (rereadable)
    reread = [csv, ro, scan](const Schema& key_only) {
      std::optional<SnapshotError> e;
      return open_csv_snapshot_memory(csv, "mem.csv", key_only, ro, e, scan);
    };
  KeyCheckingReader reader(std::move(inner), schema, "mem.csv", reread, bits);
  Batch b;
  int64_t rows = 0;
  while (reader.next(b)) rows += b.num_rows;
  return reader.error() ? reader.error()->to_string() : std::string();
}

std::string numbered_csv(int n) {
  std::string csv = "id,n\n";
  for (int i = 0; i < n; ++i) csv += "key" + std::to_string(i) + "," + std::to_string(i) + "\n";
  return csv;
}

struct TempDir {
  fs::path path;
  TempDir() {
    static int n = 0;
    path = fs::temp_directory_path() /
           ("rk-keycheck-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

}  // namespace

TEST_CASE("key check: distinct keys pass", "[key]") {
  CHECK(check_csv(numbered_csv(5000)).empty());
  CHECK(check_csv(numbered_csv(5000), 7).empty());
  CHECK(check_csv("id,n\n").empty());
}

TEST_CASE("key check: a key in two rows names both rows", "[key]") {
  const std::string csv = "id,n\na,1\nb,2\nc,3\nb,4\n";
  CHECK(check_csv(csv) ==
        "mem.csv:5: column id: the key \"b\" is also in row 3: one customer has two rows (each "
        "would get its own messages)");
  // The same across batches of one row.
  CHECK(check_csv(csv, 1) == check_csv(csv));
}

TEST_CASE("key check: a key in three rows names each repeat with the first row", "[key]") {
  CHECK(check_csv("id,n\na,1\nb,2\na,3\na,4\n") ==
        "mem.csv:4: column id: the key \"a\" is also in row 2: one customer has two rows (each "
        "would get its own messages)\nmem.csv:5: column id: the key \"a\" is also in row 2: one "
        "customer has two rows (each would get its own messages)");
}

TEST_CASE("key check: rows are numbered as a spreadsheet shows them (blank lines count)", "[key]") {
  const std::string want =
      "mem.csv:7: column id: the key \"a\" is also in row 2: one customer has two rows (each "
      "would get its own messages)";
  // Both paths of the CSV reader, in one batch and across batches, with LF, CRLF and lone CR.
  for (const char* eol : {"\n", "\r\n", "\r"})
    for (bool vectorized : {true, false})
      for (int64_t batch : {1024, 2, 1}) {
        std::string csv = "id,n\na,1\n\nb,2\n\n\na,3\n";
        for (size_t at = 0; (at = csv.find('\n', at)) != std::string::npos; at += 1)
          csv.replace(at, 1, eol), at += std::strlen(eol) - 1;
        INFO("eol " << (eol[0] == '\r' ? (eol[1] ? "CRLF" : "CR") : "LF") << ", vectorized "
                    << vectorized << ", batch " << batch);
        CHECK(check_csv(csv, batch, 64, true, vectorized) == want);
      }
}

TEST_CASE("key check: row numbers past blank lines in every task of a large batch", "[key]") {
  // 20,000 records with a blank line before every 997th: the vectorised path converts them in
  // tasks of 4,096 records, and each record keeps its own line number.
  std::string csv = "id,n\n";
  int64_t line = 1, first_line = 0, dup_line = 0;
  for (int i = 0; i < 20000; ++i) {
    if (i % 997 == 996) {
      csv += "\n";
      ++line;
    }
    csv += "key" + std::to_string(i) + "," + std::to_string(i) + "\n";
    ++line;
    if (i == 5000) first_line = line;
  }
  csv += "\n\nkey5000,1\n";
  dup_line = line + 3;
  const std::string want =
      "mem.csv:" + std::to_string(dup_line) + ": column id: the key \"key5000\" is also in row " +
      std::to_string(first_line) + ": one customer has two rows (each would get its own messages)";
  for (bool vectorized : {true, false})
    for (int64_t batch : {65536, 4097, 1000}) {
      INFO("vectorized " << vectorized << ", batch " << batch);
      CHECK(check_csv(csv, batch, 64, true, vectorized) == want);
    }
}

TEST_CASE("key check: many duplicates are listed up to a limit, then counted", "[key]") {
  std::string csv = numbered_csv(100);
  for (int i = 0; i < 50; ++i) csv += "key" + std::to_string(i) + ",0\n";
  const std::string e = check_csv(csv, 16);
  CHECK(e.rfind("mem.csv:102: column id: the key \"key0\" is also in row 2", 0) == 0);
  CHECK(std::count(e.begin(), e.end(), '\n') == static_cast<long>(kMaxDuplicatesShown));
  CHECK(e.find("... and 30 more rows whose key is in an earlier row") != std::string::npos);
}

TEST_CASE("key check: fingerprint collisions never make a false error nor hide a duplicate",
          "[key]") {
  // 12-bit fingerprints: 20,000 distinct keys collide thousands of times.
  const std::string csv = numbered_csv(20000);
  CHECK(check_csv(csv, 4096, 12).empty());
  CHECK(check_csv(csv, 333, 12).empty());
  // One real duplicate among the collisions is found, with both rows and its key.
  const std::string dup = csv + "key12345,0\n";
  CHECK(check_csv(dup, 4096, 12) ==
        "mem.csv:20002: column id: the key \"key12345\" is also in row 12347: one customer has "
        "two rows (each would get its own messages)");
}

TEST_CASE("key check: a snapshot that cannot be read twice reports suspects by fingerprint",
          "[key]") {
  const std::string e = check_csv("id,n\na,1\nb,2\na,3\n", 1024, 64, false);
  CHECK(e ==
        "mem.csv:4: column id: has the same key as row 2 (compared by fingerprint only: the "
        "snapshot cannot be read a second time to compare the keys themselves)");
}

TEST_CASE("key check: open_snapshot checks CSV and Arrow files, and explain refuses the customer",
          "[key]") {
  TempDir dir;
  const Schema schema = key_schema();
  const std::string csv = "id,n\nC1,1\nC2,2\nC1,3\n";
  const fs::path csv_path = dir.path / "dup.csv";
  std::ofstream(csv_path) << csv;
  // An Arrow file with the same rows, written from an unchecked CSV read.
  const fs::path arrow_path = dir.path / "dup.arrow";
  {
    std::optional<SnapshotError> err;
    auto r = open_csv_snapshot_memory(csv, "dup.csv", schema, ReaderOptions{}, err);
    REQUIRE(r);
    ArrowSnapshotWriter w(schema);
    REQUIRE(w.open(arrow_path.string()));
    Batch b;
    while (r->next(b)) REQUIRE(w.write(b));
    REQUIRE(w.finish());
  }
  for (const fs::path& p : {csv_path, arrow_path}) {
    INFO(p.string());
    std::optional<SnapshotError> err;
    auto reader = open_snapshot(p.string(), schema, ReaderOptions{}, err);
    REQUIRE(reader);
    Batch b;
    while (reader->next(b)) {
    }
    REQUIRE(reader->error());
    const std::string want_row = p == csv_path ? ":4:" : ":3:";
    CHECK(reader->error()->to_string().find(
              want_row + " column id: the key \"C1\" is also in row") != std::string::npos);
    // explain finds C2 (a unique customer) but refuses the snapshot, as eval would.
    std::optional<SnapshotError> err2;
    auto again = open_snapshot(p.string(), schema, ReaderOptions{}, err2);
    REQUIRE(again);
    Batch found;
    int64_t row = 0;
    std::string error;
    CHECK_FALSE(find_customer(*again, schema, "C2", p.string(), found, row, error));
    CHECK(error.find("the key \"C1\"") != std::string::npos);
    // With the check off (tools that read keys themselves), nothing is reported.
    ReaderOptions off;
    off.check_keys = false;
    auto unchecked = open_snapshot(p.string(), schema, off, err2);
    REQUIRE(unchecked);
    while (unchecked->next(b)) {
    }
    CHECK_FALSE(unchecked->error());
  }
}

TEST_CASE("key check: a pipe is read once, its duplicates reported by fingerprint", "[key]") {
  const Schema schema = key_schema();
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const std::string csv = "id,n\nC1,1\nC2,2\nC1,3\n";
  REQUIRE(::write(fds[1], csv.data(), csv.size()) == static_cast<ssize_t>(csv.size()));
  ::close(fds[1]);
  const std::string path = "/proc/self/fd/" + std::to_string(fds[0]);
  std::optional<SnapshotError> err;
  auto reader = open_snapshot(path, schema, ReaderOptions{}, err);
  ::close(fds[0]);
  REQUIRE(reader);
  Batch b;
  int64_t rows = 0;
  while (reader->next(b)) rows += b.num_rows;
  CHECK(rows == 3);  // nothing was lost to telling the format
  REQUIRE(reader->error());
  CHECK(reader->error()->to_string() ==
        path +
            ":4: column id: has the same key as row 2 (compared by fingerprint only: the "
            "snapshot cannot be read a second time to compare the keys themselves)");
}
