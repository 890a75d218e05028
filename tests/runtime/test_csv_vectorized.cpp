// Tests of the CSV reader's vectorised path against its record-by-record path: the structural
// scanner (line ends outside quotes) against a byte-by-byte reference, and whole reads of random
// files (quotes, escaped quotes, newlines inside fields, CR / LF / CRLF, blank lines, missing and
// bad values, stray quotes, wrong field counts, a BOM) with many batch sizes and thread counts:
// the same rows in the same batches, and the same error, every time. ctest runs these tests again
// with RK_CSV_SIMD=sse2 (the x86-64 baseline build of the scanner). Also: the inlined date parser
// against base/date.h.
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "base/date.h"
#include "compiler/ir/helpers.h"
#include "runtime/csv_reader.h"
#include "runtime/csv_simd.h"

using namespace rk;

namespace {

// The reference: a byte-by-byte walk with the scanner's rules.
std::vector<uint32_t> reference_line_ends(const std::string& s, bool in_quote, bool prev_cr) {
  std::vector<uint32_t> ends;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"') in_quote = !in_quote;
    if (!in_quote && (c == '\r' || (c == '\n' && !(i > 0 ? s[i - 1] == '\r' : prev_cr))))
      ends.push_back(static_cast<uint32_t>(i));
  }
  return ends;
}

Schema mixed_schema() {
  Schema s;
  s.name = "t";
  s.fields.push_back({"id", FieldType::String, false, true, {}});
  s.key_field = 0;
  s.fields.push_back({"n", FieldType::Int, true, false, {}});
  s.fields.push_back({"x", FieldType::Number, true, false, {}});
  s.fields.push_back({"d", FieldType::Date, true, false, {}});
  s.fields.push_back({"b", FieldType::Bool, true, false, {}});
  s.fields.push_back({"e", FieldType::Enum, true, false, {"red", "green", "blue"}});
  s.fields.push_back({"l", FieldType::StringList, false, false, {}});
  s.fields.push_back({"s", FieldType::String, true, false, {}});
  return s;
}

// A field as written in a CSV, quoted (and its quotes doubled) when `quote`.
std::string field(const std::string& v, bool quote) {
  if (!quote) return v;
  std::string out = "\"";
  for (char c : v) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// A random CSV for mixed_schema(), columns in a shuffled order with an extra column; mostly
// valid, with a small chance per file of one malformed spot.
std::string random_csv(std::mt19937& rng, int rows) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  std::vector<std::string> cols = {"id", "n", "x", "d", "b", "e", "l", "s", "extra"};
  std::shuffle(cols.begin(), cols.end(), rng);
  const char* eols[] = {"\n", "\r\n", "\r"};
  const int eol_style = pick(4);  // 3: mixed
  auto eol = [&] { return std::string(eols[eol_style == 3 ? pick(3) : eol_style]); };
  std::string csv = pick(8) == 0 ? "\xEF\xBB\xBF" : "";
  for (size_t i = 0; i < cols.size(); ++i) csv += (i ? "," : "") + cols[i];
  csv += eol();
  const bool quotes = pick(3) != 0;
  const int bad_kind = pick(24);  // < 8: one malformed spot in the file
  const int bad_row = rows > 0 ? pick(rows) : -1;
  for (int r = 0; r < rows; ++r) {
    if (pick(40) == 0) csv += eol();  // a blank line
    for (size_t i = 0; i < cols.size(); ++i) {
      const std::string& c = cols[i];
      std::string v;
      if (c == "id") {
        v = "C" + std::to_string(r);
        if (pick(10) == 0) v += pick(2) ? ",x" : "\"q\"";
        if (pick(20) == 0) v += "\n2nd line";
        if (pick(30) == 0) v += "\xC3\xA9";
      } else if (c == "n") {
        v = pick(10) == 0 ? "" : std::to_string(static_cast<int64_t>(rng()) - (1LL << 31));
        if (pick(3000) == 0) v = "99999999999999999999";
      } else if (c == "x") {
        const int k = pick(8);
        v = k == 0   ? ""
            : k == 1 ? "1e3"
            : k == 2 ? "NaN"
            : k == 3 ? "-0.5"
                     : std::to_string(pick(100000)) + "." + std::to_string(pick(1000));
      } else if (c == "d") {
        v = pick(6) == 0 ? ""
                         : "2026-0" + std::to_string(1 + pick(9)) + "-1" + std::to_string(pick(10));
      } else if (c == "b") {
        const char* bs[] = {"true", "false", "", "1", "0", "TRUE"};
        v = bs[pick(6)];
      } else if (c == "e") {
        const char* es[] = {"red", "green", "blue", ""};
        v = es[pick(4)];
      } else if (c == "l") {
        const char* ws[] = {"apparel", "home", "a,b", "kitchen", "x\"y", "electronics"};
        const int items = pick(4);
        for (int k = 0; k < items; ++k) v += (k ? "|" : "") + std::string(ws[pick(6)]);
      } else if (c == "s") {
        v = pick(5) == 0
                ? ""
                : std::string(static_cast<size_t>(pick(40)), static_cast<char>('a' + pick(26)));
      } else {
        v = std::to_string(pick(100));
      }
      const bool must_quote = v.find_first_of(",\"\r\n") != std::string::npos;
      std::string text = field(v, must_quote || (quotes && pick(4) == 0));
      if (r == bad_row && i == 0 && bad_kind < 8) {
        switch (bad_kind) {
          case 0:
            text = "a\"b";
            break;  // a quote inside an unquoted field
          case 1:
            text = "\"ab\"c";
            break;  // text after a closing quote
          case 2:
            text += ",surplus";
            break;  // too many fields
          case 3:
            text = "\"open";
            break;  // a quote that never closes (maybe)
          case 4:
            text = "\xFF";
            break;  // invalid UTF-8
          case 5:
            text = "not-a-value";
            break;  // a bad value (if a typed column)
          case 6:
            text = "";
            break;  // a missing value (maybe not allowed)
          default:
            text = "\"\"\"\"";
            break;  // a quoted quote
        }
      }
      csv += (i ? "," : "") + text;
    }
    if (r + 1 < rows || pick(2)) csv += eol();
  }
  return csv;
}

struct Read {
  std::vector<std::string> rows;    // every row as text
  std::vector<int64_t> batch_rows;  // rows per batch
  std::string error;
};

Read read(const std::string& csv, const Schema& s, bool vectorized, int64_t batch_rows, int threads,
          size_t buffer_bytes) {
  Read out;
  ReaderOptions ro;
  ro.batch_rows = batch_rows;
  ro.threads = threads;
  CsvScanOptions so;
  so.vectorized = vectorized;
  so.buffer_bytes = buffer_bytes;
  std::optional<SnapshotError> err;
  auto r = open_csv_snapshot_memory(csv, "f.csv", s, ro, err, so);
  if (!r) {
    out.error = "open: " + err->to_string();
    return out;
  }
  Batch b;
  while (r->next(b)) {
    out.batch_rows.push_back(b.num_rows);
    for (int64_t row = 0; row < b.num_rows; ++row) {
      std::string t;
      for (size_t f = 0; f < s.fields.size(); ++f) {
        const RkColumn& c = b.columns[f];
        t += "|";
        if (!is_present(c.validity, row)) {
          t += "-";
          continue;
        }
        switch (s.fields[f].type) {
          case FieldType::Bool:
            t += bit_is_set(static_cast<const uint8_t*>(c.values), row) ? "T" : "F";
            break;
          case FieldType::Int:
            t += std::to_string(static_cast<const int64_t*>(c.values)[row]);
            break;
          case FieldType::Number:
          case FieldType::Money:
          case FieldType::Percent: {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%a", static_cast<const double*>(c.values)[row]);
            t += buf;
            break;
          }
          case FieldType::Date:
          case FieldType::Enum:
            t += std::to_string(static_cast<const int32_t*>(c.values)[row]);
            break;
          case FieldType::String:
            t += "'" + std::string(*b.string_at(f, row)) + "'";
            break;
          case FieldType::StringList: {
            const auto* off = static_cast<const int32_t*>(c.offsets);
            const auto* d = static_cast<const StringDict*>(c.dict);
            for (int32_t i = off[row]; i < off[row + 1]; ++i)
              t += std::to_string(c.child_codes[i]) + ":" +
                   std::string(d->entries[c.child_codes[i]]) + ";";
            break;
          }
        }
      }
      out.rows.push_back(t);
    }
  }
  if (r->error()) out.error = r->error()->to_string();
  return out;
}

}  // namespace

TEST_CASE("csv scanner: line ends outside quotes, as a byte-by-byte walk finds them", "[csv]") {
  INFO("scanner build: " << csv_simd::isa());
  std::mt19937 rng(7);
  const char alphabet[] = {'a', ',', '"', '\n', '\r', 'b', '"', '\n'};
  for (int iter = 0; iter < 3000; ++iter) {
    const size_t n = rng() % 300;
    std::string s(n, 'x');
    for (auto& c : s) c = alphabet[rng() % sizeof alphabet];
    const bool in_quote = rng() % 2, prev_cr = rng() % 2;
    std::string padded = s + std::string(csv_simd::kReadPastEnd, '"');  // never read as data
    std::vector<uint32_t> ends;
    const auto scan =
        csv_simd::scan_lines(padded.data(), padded.data(), n, in_quote, prev_cr, ends);
    const auto want = reference_line_ends(s, in_quote, prev_cr);
    INFO("input: " << s);
    REQUIRE(ends == want);
    bool q = in_quote, any = false;
    for (char c : s) q ^= c == '"', any |= c == '"';
    CHECK(scan.end_in_quote == q);
    CHECK(scan.any_quote == any);
  }
}

TEST_CASE("csv scanner: splitting a record at its commas", "[csv]") {
  std::mt19937 rng(11);
  for (int iter = 0; iter < 2000; ++iter) {
    const size_t n = rng() % 200;
    std::string s(n, 'x');
    for (auto& c : s) c = rng() % 5 == 0 ? ',' : static_cast<char>('a' + rng() % 26);
    if (rng() % 4 == 0 && n > 0) s[rng() % n] = "\x80\xC3\xFF"[rng() % 3];
    if (rng() % 10 == 0 && n > 0) s[rng() % n] = '"';
    std::string padded = s + std::string(csv_simd::kReadPastEnd, ',');
    std::vector<uint32_t> want;
    bool quote = false;
    for (size_t i = 0; i < n; ++i) {
      if (s[i] == ',') want.push_back(static_cast<uint32_t>(i));
      quote |= s[i] == '"';
    }
    const size_t max = rng() % 50;
    std::vector<uint32_t> got(max + 64);
    bool ascii = false;
    const size_t k = csv_simd::split_record(padded.data(), n, got.data(), max, ascii);
    if (quote) {  // (or more commas than max before the block with the quote: it stops early)
      CHECK((k == SIZE_MAX || (k == max + 1 && want.size() > max)));
      continue;
    }
    CHECK(k == std::min(want.size(), max + 1));
    if (k <= max) CHECK(ascii == (s.find_first_of("\x80\xC3\xFF") == std::string::npos));
    for (size_t i = 0; i < std::min(want.size(), max); ++i) CHECK(got[i] == want[i]);
  }
}

TEST_CASE("csv: the vectorised path reads what record-by-record reading reads", "[csv]") {
  const Schema s = mixed_schema();
  std::mt19937 rng(2026);
  int with_errors = 0, clean = 0;
  for (int file = 0; file < 400; ++file) {
    const int rows = file % 10 == 0 ? static_cast<int>(rng() % 5) : static_cast<int>(rng() % 300);
    const std::string csv = random_csv(rng, rows);
    const Read want = read(csv, s, false, 64, 1, 1 << 20);
    (want.error.empty() ? clean : with_errors)++;
    for (int64_t batch_rows : {int64_t{1}, int64_t{7}, int64_t{64}, int64_t{4096}}) {
      const Read base = batch_rows == 64 ? want : read(csv, s, false, batch_rows, 1, 1 << 20);
      for (int threads : {1, 3}) {
        const Read got = read(csv, s, true, batch_rows, threads, 16 << (file % 8));
        INFO("file " << file << ", batch rows " << batch_rows << ", threads " << threads << "\n"
                     << csv);
        REQUIRE(got.error == base.error);
        REQUIRE(got.batch_rows == base.batch_rows);
        REQUIRE(got.rows == base.rows);
      }
    }
  }
  // The generator makes both kinds often enough to matter.
  CHECK(clean > 100);
  CHECK(with_errors > 50);
}

TEST_CASE("csv: the vectorised path across many batches and tasks", "[csv]") {
  // Large enough for several 4,096-row tasks and several scan slices per batch.
  const Schema s = mixed_schema();
  std::mt19937 rng(99);
  const std::string csv = random_csv(rng, 30000);
  const Read want = read(csv, s, false, 20000, 1, 1 << 20);
  for (int threads : {1, 2, 4}) {
    const Read got = read(csv, s, true, 20000, threads, 1 << 20);
    CHECK(got.error == want.error);
    CHECK(got.batch_rows == want.batch_rows);
    CHECK(got.rows == want.rows);
  }
}

TEST_CASE("csv: the vectorised path with several string and list columns across tasks", "[csv]") {
  // Each String and StringList column has its own place in the batch for each task's values (a
  // regression: the tasks' offsets were shared by every column of a kind).
  Schema s;
  s.name = "t";
  s.fields.push_back({"id", FieldType::String, false, true, {}});
  s.key_field = 0;
  s.fields.push_back({"a", FieldType::String, false, false, {}});
  s.fields.push_back({"l1", FieldType::StringList, false, false, {}});
  s.fields.push_back({"b", FieldType::String, true, false, {}});
  s.fields.push_back({"l2", FieldType::StringList, false, false, {}});
  std::string csv = "id,a,l1,b,l2\n";
  const int rows = 10000;  // three 4,096-row tasks
  std::vector<std::string> want;
  for (int r = 0; r < rows; ++r) {
    const std::string id = "C" + std::to_string(r);
    const std::string a =
        std::string(static_cast<size_t>(r % 7 + 1), static_cast<char>('a' + r % 26));
    const std::string b = r % 5 == 0 ? "" : "b" + std::to_string(r * 31 % 1000);
    const std::string l1 = "x" + std::to_string(r % 3) + "|y" + std::to_string(r % 11);
    const std::string l2 = r % 4 == 0 ? "" : "z" + std::to_string(r % 13);
    csv += id + "," + a + "," + l1 + "," + b + "," + l2 + "\n";
    want.push_back(id + "/" + a + "/" + b);
  }
  const Read ref = read(csv, s, false, 1 << 20, 1, 1 << 20);
  REQUIRE(ref.error.empty());
  REQUIRE(ref.rows.size() == static_cast<size_t>(rows));
  for (int threads : {1, 2, 3}) {
    const Read got = read(csv, s, true, 1 << 20, threads, 1 << 20);
    INFO("threads " << threads);
    CHECK(got.error.empty());
    CHECK(got.rows == ref.rows);
  }
  // And the values are the ones written.
  ReaderOptions ro;
  ro.threads = 2;
  std::optional<SnapshotError> err;
  auto r = open_csv_snapshot_memory(csv, "f.csv", s, ro, err, CsvScanOptions{});
  REQUIRE(r);
  Batch batch;
  size_t row = 0;
  while (r->next(batch))
    for (int64_t i = 0; i < batch.num_rows; ++i, ++row) {
      const std::string got = std::string(*batch.string_at(0, i)) + "/" +
                              std::string(*batch.string_at(1, i)) + "/" +
                              std::string(batch.string_at(3, i).value_or(""));
      REQUIRE(got == want[row]);
    }
  CHECK(row == static_cast<size_t>(rows));
}

TEST_CASE("csv: dates are accepted and valued as parse_iso_date does, on both paths", "[csv]") {
  // The reader's inlined date parser against base/date.h's: every month 00-13 and day 00-32 of
  // years around the leap-year rules' edges.
  Schema s;
  s.name = "t";
  s.fields.push_back({"d", FieldType::Date, false, false, {}});
  int accepted = 0;
  for (const char* year : {"0000", "0001", "0004", "1600", "1700", "1900", "2000", "2023", "2024",
                           "2026", "2100", "2400", "9996", "9999"})
    for (int m = 0; m <= 13; ++m)
      for (int d = 0; d <= 32; ++d) {
        char text[16];
        std::snprintf(text, sizeof text, "%s-%02d-%02d", year, m, d);
        int32_t want = 0;
        const bool ok = parse_iso_date(text, want);
        std::string csv = "d\n";
        csv += text;
        csv += '\n';
        for (bool vectorized : {true, false}) {
          const Read got = read(csv, s, vectorized, 64, 1, 1 << 20);
          INFO(text << (vectorized ? " vectorised" : " record by record") << ": " << got.error);
          REQUIRE(got.error.empty() == ok);
          if (ok)
            CHECK(got.rows ==
                  std::vector<std::string>{std::string(1, '|').append(std::to_string(want))});
        }
        accepted += ok;
      }
  CHECK(accepted == 13 * 365 + 6);  // every year but 0000 exists; 6 of them are leap years
  // Each byte of a valid date replaced by bytes near the digits and the dash (the parser tests
  // eight bytes at once).
  int rejected = 0;
  for (size_t at = 0; at < 10; ++at)
    for (int byte : {0x00, 0x09, 0x20, 0x2D, 0x2F, 0x30, 0x35, 0x39, 0x3A, 0x3F, 0x40, 0x61, 0x70,
                     0x79, 0xB0, 0xB9, 0xF0}) {
      std::string text = "2024-02-29";
      text[at] = static_cast<char>(byte);
      int32_t want = 0;
      const bool ok = parse_iso_date(text, want);
      std::string csv = "d\n\"";  // quoted, so that any byte is one field
      csv += text;
      csv += "\"\n";
      for (bool vectorized : {true, false}) {
        const Read got = read(csv, s, vectorized, 64, 1, 1 << 20);
        INFO("byte " << byte << " at " << at << (vectorized ? " vectorised" : "") << ": "
                     << got.error);
        REQUIRE(got.error.empty() == ok);
        if (ok)
          CHECK(got.rows ==
                std::vector<std::string>{std::string(1, '|').append(std::to_string(want))});
      }
      rejected += !ok;
    }
  CHECK(rejected > 100);
}
