// Tests of the CSV snapshot reader: RFC 4180 parsing (quotes, BOM, CRLF, newlines in fields),
// typed conversion, streaming across batches and buffer boundaries, and the exact error messages.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "base/date.h"
#include "compiler/ir/helpers.h"
#include "runtime/csv_reader.h"
#include "runtime/generate.h"
#include "runtime/sha256.h"
#include "runtime/utf8.h"

using namespace rk;

namespace {

Schema small_schema() {
  Schema s;
  s.name = "t";
  s.fields.push_back({"id", FieldType::String, false, true, {}});
  s.key_field = 0;
  s.fields.push_back({"n", FieldType::Int, false, false, {}});
  s.fields.push_back({"x", FieldType::Number, true, false, {}});
  s.fields.push_back({"d", FieldType::Date, true, false, {}});
  s.fields.push_back({"b", FieldType::Bool, true, false, {}});
  s.fields.push_back({"e", FieldType::Enum, false, false, {"red", "green", "blue"}});
  s.fields.push_back({"l", FieldType::StringList, false, false, {}});
  return s;
}

struct Read {
  std::vector<Batch> batches;
  std::optional<SnapshotError> error;  // open or read error
};

Read read_all(const std::string& csv, const Schema& schema, int64_t batch_rows = 1024,
              size_t buffer_bytes = 1 << 20) {
  Read out;
  ReaderOptions ro;
  ro.batch_rows = batch_rows;
  CsvScanOptions so;
  so.buffer_bytes = buffer_bytes;
  auto r = open_csv_snapshot_memory(csv, "customers.csv", schema, ro, out.error, so);
  if (!r) return out;
  Batch b;
  while (r->next(b)) out.batches.push_back(std::move(b));
  out.error = r->error();
  return out;
}

std::string error_of(const std::string& csv, const Schema& schema) {
  auto r = read_all(csv, schema);
  REQUIRE(r.error.has_value());
  return r.error->to_string();
}

const std::string kHeader = "id,n,x,d,b,e,l\n";

// Row r of a read as text, column by column (for comparisons across batchings).
std::vector<std::string> rows_as_text(const std::vector<Batch>& batches, const Schema& s) {
  std::vector<std::string> rows;
  for (const auto& b : batches)
    for (int64_t r = 0; r < b.num_rows; ++r) {
      std::string t;
      for (size_t f = 0; f < s.fields.size(); ++f) {
        const RkColumn& c = b.columns[f];
        t += "|";
        if (!is_present(c.validity, r)) {
          t += "<null>";
          continue;
        }
        switch (s.fields[f].type) {
          case FieldType::Bool:
            t += bit_is_set(static_cast<const uint8_t*>(c.values), r) ? "T" : "F";
            break;
          case FieldType::Int:
            t += std::to_string(static_cast<const int64_t*>(c.values)[r]);
            break;
          case FieldType::Number:
          case FieldType::Money:
          case FieldType::Percent: {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.17g", static_cast<const double*>(c.values)[r]);
            t += buf;
            break;
          }
          case FieldType::Date:
          case FieldType::Enum:
            t += std::to_string(static_cast<const int32_t*>(c.values)[r]);
            break;
          case FieldType::String:
            t += std::string(*b.string_at(f, r));
            break;
          case FieldType::StringList: {
            const auto* off = static_cast<const int32_t*>(c.offsets);
            const auto* d = static_cast<const StringDict*>(c.dict);
            for (int32_t i = off[r]; i < off[r + 1]; ++i)
              t += std::string(d->entries[c.child_codes[i]]) + ";";
            break;
          }
        }
      }
      rows.push_back(t);
    }
  return rows;
}

}  // namespace

TEST_CASE("csv: typed values of every field type", "[csv]") {
  const Schema s = small_schema();
  auto r = read_all(kHeader +
                        "a,1,2.5,2026-11-01,true,red,x|y\n"
                        "b,-42,,,,blue,\n"
                        "c,+7,1e3,1970-01-01,0,green,z\n",
                    s);
  REQUIRE_FALSE(r.error);
  REQUIRE(r.batches.size() == 1);
  const Batch& b = r.batches[0];
  REQUIRE(b.num_rows == 3);
  CHECK(*b.string_at(0, 0) == "a");
  CHECK(*b.string_at(0, 2) == "c");
  const auto* n = static_cast<const int64_t*>(b.columns[1].values);
  CHECK(n[0] == 1);
  CHECK(n[1] == -42);
  CHECK(n[2] == 7);
  const auto* x = static_cast<const double*>(b.columns[2].values);
  CHECK(x[0] == 2.5);
  CHECK(x[2] == 1000.0);
  CHECK(!is_present(b.columns[2].validity, 1));
  int32_t d;
  REQUIRE(parse_iso_date("2026-11-01", d));
  CHECK(static_cast<const int32_t*>(b.columns[3].values)[0] == d);
  CHECK(static_cast<const int32_t*>(b.columns[3].values)[2] == 0);
  CHECK(!is_present(b.columns[3].validity, 1));
  const auto* bits = static_cast<const uint8_t*>(b.columns[4].values);
  CHECK(bit_is_set(bits, 0));
  CHECK(!bit_is_set(bits, 2));
  CHECK(is_present(b.columns[4].validity, 2));
  CHECK(!is_present(b.columns[4].validity, 1));
  const auto* e = static_cast<const int32_t*>(b.columns[5].values);
  CHECK(e[0] == 0);
  CHECK(e[1] == 2);
  CHECK(e[2] == 1);
  const auto* off = static_cast<const int32_t*>(b.columns[6].offsets);
  CHECK(off[0] == 0);
  CHECK(off[1] == 2);
  CHECK(off[2] == 2);  // empty list
  CHECK(off[3] == 3);
  const auto* dict = static_cast<const StringDict*>(b.columns[6].dict);
  CHECK(dict->entries[b.columns[6].child_codes[0]] == "x");
  CHECK(dict->entries[b.columns[6].child_codes[2]] == "z");
  // Non-nullable list: an empty field is the empty list, not a missing value.
  CHECK(b.columns[6].validity == nullptr);
}

TEST_CASE("csv: bool spellings, NaN and decimal rounding", "[csv]") {
  Schema s;
  s.fields.push_back({"b", FieldType::Bool, false, false, {}});
  s.fields.push_back({"p", FieldType::Percent, true, false, {}});
  auto r = read_all(
      "b,p\ntrue,0.05\nTRUE,NaN\nTrue,nan\n1,0.1\nfalse,0.35\nFALSE,1E-2\nFalse,40\n0,\n", s);
  REQUIRE_FALSE(r.error);
  const Batch& b = r.batches[0];
  REQUIRE(b.num_rows == 8);
  const auto* bits = static_cast<const uint8_t*>(b.columns[0].values);
  for (int i = 0; i < 4; ++i) CHECK(bit_is_set(bits, i));
  for (int i = 4; i < 8; ++i) CHECK_FALSE(bit_is_set(bits, i));
  const auto* p = static_cast<const double*>(b.columns[1].values);
  CHECK(p[0] == 0.05);
  CHECK(!is_present(b.columns[1].validity, 1));  // NaN in a nullable field is missing
  CHECK(!is_present(b.columns[1].validity, 2));
  CHECK(p[3] == 0.1);
  CHECK(p[4] == 0.35);
  CHECK(p[5] == 0.01);
  CHECK(!is_present(b.columns[1].validity, 7));
}

TEST_CASE("csv: RFC 4180 quoting, BOM, CRLF and newlines inside fields", "[csv]") {
  Schema s;
  s.fields.push_back({"id", FieldType::String, false, true, {}});
  s.fields.push_back({"n", FieldType::Int, false, false, {}});
  const std::string base =
      "\xEF\xBB\xBF"
      "id,n\r\n"
      "\"a,b\",1\r\n"
      "\"say \"\"hi\"\"\",2\r\n"
      "\"two\r\nlines\",3\r\n";
  // A quoted empty field is still empty, so missing (not allowed here).
  auto r = read_all(base + "\"\",4\r\n", s);
  REQUIRE(r.error);
  CHECK(r.error->to_string() ==
        "customers.csv:5: column id: missing value, but the schema does not allow missing values");
  auto ok = read_all(base + "\"\xC3\xA9t\xC3\xA9\",5", s);
  REQUIRE_FALSE(ok.error);
  const Batch& b = ok.batches[0];
  REQUIRE(b.num_rows == 4);
  CHECK(*b.string_at(0, 0) == "a,b");
  CHECK(*b.string_at(0, 1) == "say \"hi\"");
  CHECK(*b.string_at(0, 2) == "two\r\nlines");
  CHECK(*b.string_at(0, 3) == "\xC3\xA9t\xC3\xA9");
  CHECK(static_cast<const int64_t*>(b.columns[1].values)[3] == 5);
}

TEST_CASE("csv: header matching by name, extra columns ignored, blank lines skipped", "[csv]") {
  Schema s;
  s.fields.push_back({"n", FieldType::Int, false, false, {}});
  s.fields.push_back({"id", FieldType::String, false, true, {}});
  auto r = read_all("extra,id,n\nzz,a,1\n\n,b,2\n", s);
  REQUIRE_FALSE(r.error);
  const Batch& b = r.batches[0];
  REQUIRE(b.num_rows == 2);
  CHECK(static_cast<const int64_t*>(b.columns[0].values)[1] == 2);
  CHECK(*b.string_at(1, 1) == "b");
  // Blank lines still count as rows in messages: the bad record is row 4.
  CHECK(error_of("id,n\na,1\n\nb,x\n", s) == "customers.csv:4: column n: \"x\" is not an int");
}

TEST_CASE("csv: exact error messages", "[csv]") {
  const Schema pb = playbook_schema();
  std::string header;
  for (size_t i = 0; i < pb.fields.size(); ++i) header += (i ? "," : "") + pb.fields[i].name;
  header += "\n";
  const std::string good =
      "C1,2026-01-02,,3,84.50,0.35,false,0,0,0,apparel|home,email,true,,false,,0,0.01,0,,false\n";

  auto with = [&](const std::string& field, const std::string& value) {
    const int idx = pb.find(field);
    std::vector<std::string> parts;
    std::string cur;
    for (char c : good.substr(0, good.size() - 1)) {
      if (c == ',') {
        parts.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
    parts.push_back(cur);
    parts[idx] = value;
    std::string line;
    for (size_t i = 0; i < parts.size(); ++i) line += (i ? "," : "") + parts[i];
    return header + good + line + "\n";
  };

  SECTION("a good file reads") {
    auto r = read_all(header + good + good, pb);
    REQUIRE_FALSE(r.error);
    CHECK(r.batches[0].num_rows == 2);
  }
  SECTION("dates") {
    CHECK(error_of(with("last_purchase_date", "2026-13-01"), pb) ==
          "customers.csv:3: column last_purchase_date: \"2026-13-01\" is not a date (there is no "
          "month 13)");
    CHECK(error_of(with("last_purchase_date", "2026-02-30"), pb) ==
          "customers.csv:3: column last_purchase_date: \"2026-02-30\" is not a date (February "
          "2026 has 28 days)");
    CHECK(error_of(with("last_purchase_date", "1/2/2026"), pb) ==
          "customers.csv:3: column last_purchase_date: \"1/2/2026\" is not a date (write dates as "
          "YYYY-MM-DD: 2026-01-02 if this is January 2, 2026-02-01 if it is February 1)");
  }
  SECTION("ints") {
    CHECK(error_of(with("orders_total", "abc"), pb) ==
          "customers.csv:3: column orders_total: \"abc\" is not an int");
    CHECK(error_of(with("orders_total", "1.5"), pb) ==
          "customers.csv:3: column orders_total: \"1.5\" is not an int");
    CHECK(error_of(with("orders_total", "-"), pb) ==
          "customers.csv:3: column orders_total: \"-\" is not an int");
    CHECK(error_of(with("orders_total", "9223372036854775808"), pb) ==
          "customers.csv:3: column orders_total: \"9223372036854775808\" is out of range for an "
          "int");
    CHECK(error_of(with("orders_total", ""), pb) ==
          "customers.csv:3: column orders_total: missing value, but the schema does not allow "
          "missing values");
  }
  SECTION("int64 limits read") {
    auto r = read_all(with("orders_total", "-9223372036854775808"), pb);
    REQUIRE_FALSE(r.error);
    CHECK(static_cast<const int64_t*>(r.batches[0].columns[3].values)[1] == INT64_MIN);
  }
  SECTION("numbers") {
    CHECK(error_of(with("avg_order_value", "12x"), pb) ==
          "customers.csv:3: column avg_order_value: \"12x\" is not a number");
    CHECK(error_of(with("avg_order_value", "$12"), pb) ==
          "customers.csv:3: column avg_order_value: \"$12\" is not a number");
    CHECK(error_of(with("avg_order_value", " 12"), pb) ==
          "customers.csv:3: column avg_order_value: \" 12\" is not a number");
    CHECK(error_of(with("avg_order_value", "NaN"), pb) ==
          "customers.csv:3: column avg_order_value: missing value (NaN), but the schema does not "
          "allow missing values");
    CHECK(error_of(with("avg_order_value", "1e999"), pb) ==
          "customers.csv:3: column avg_order_value: \"1e999\" is out of range for a number");
  }
  SECTION("bools") {
    CHECK(error_of(with("is_subscriber", "yes"), pb) ==
          "customers.csv:3: column is_subscriber: \"yes\" is not a bool (write true or false)");
  }
  SECTION("enums") {
    CHECK(error_of(with("acquisition_channel", "affiliate"), pb) ==
          "customers.csv:3: column acquisition_channel: \"affiliate\" is not one of paid_social, "
          "organic_search, email, referral, direct");
    CHECK(error_of(with("acquisition_channel", "Email"), pb) ==
          "customers.csv:3: column acquisition_channel: \"Email\" is not one of paid_social, "
          "organic_search, email, referral, direct");
  }
  SECTION("lists") {
    CHECK(error_of(with("categories", "a||b"), pb) ==
          "customers.csv:3: column categories: \"a||b\" has an empty list element (elements are "
          "joined with |)");
  }
  SECTION("invalid UTF-8") {
    CHECK(error_of(with("customer_id", "C\xff"), pb) ==
          "customers.csv:3: column customer_id: invalid UTF-8 (byte 0xff at byte 2 of the value)");
    CHECK(error_of(with("customer_id", "C\xC0\xAF"), pb) ==
          "customers.csv:3: column customer_id: invalid UTF-8 (byte 0xc0 at byte 2 of the value)");
    CHECK(error_of(with("customer_id", "\xED\xA0\x80"), pb) ==
          "customers.csv:3: column customer_id: invalid UTF-8 (byte 0xed at byte 1 of the value)");
    CHECK(error_of(with("orders_total", "\xE2\x82"), pb) ==
          "customers.csv:3: column orders_total: invalid UTF-8 (byte 0xe2 at byte 1 of the value)");
  }
  SECTION("field counts") {
    CHECK(error_of(header + good + good.substr(0, good.size() - 7) + "\n", pb) ==
          "customers.csv:3: expected 21 fields, found 20");
    CHECK(error_of(header + good + "a,b\n", pb) == "customers.csv:3: expected 21 fields, found 2");
  }
  SECTION("quotes") {
    CHECK(error_of(header + good + good + "\"C9,2026", pb) ==
          "customers.csv:4: unterminated quoted field");
    CHECK(error_of(header + "C\"1" + good.substr(2), pb) ==
          "customers.csv:2: column customer_id: quote inside an unquoted field (quote the whole "
          "field and write the quote twice)");
    CHECK(error_of(header + "\"C1\"x" + good.substr(2), pb) ==
          "customers.csv:2: column customer_id: unexpected text after a closing quote (a quote "
          "inside a quoted field is written twice)");
  }
  SECTION("header problems") {
    CHECK(error_of("a,b,c\n1,2,3\n", pb) ==
          "customers.csv: column customer_id: missing from the header (it has 3 columns: a, b, "
          "c)");
    Schema s;
    s.fields.push_back({"last_touch", FieldType::Int, false, false, {}});
    CHECK(error_of("a,b,c\n", s) ==
          "customers.csv: column last_touch: missing from the header (it has 3 columns: a, b, c)");
    // A near name is suggested; a long header is not listed in full.
    std::string wide = "last_tuch";
    for (int i = 0; i < 200000; ++i) wide += ",c" + std::to_string(i);
    const std::string missing = error_of(wide + "\n", s);
    CHECK(missing ==
          "customers.csv: column last_touch: missing from the header; did you mean `last_tuch`? "
          "(it has 200001 columns: last_tuch, c0, c1, c2, c3, c4, c5, c6, ...)");
    CHECK(error_of(wide + ",c199999\n", s) ==
          "customers.csv:1: column c199999: appears more than once in the header (columns "
          "200001 and 200002)");
    CHECK(error_of("last_touch,b,last_touch\n", s) ==
          "customers.csv:1: column last_touch: appears more than once in the header (columns 1 "
          "and 3)");
    CHECK(error_of("", s) == "customers.csv: the file is empty (expected a header row)");
  }
}

TEST_CASE("csv: record size guard", "[csv]") {
  Schema s;
  s.fields.push_back({"id", FieldType::String, false, true, {}});
  std::optional<SnapshotError> err;
  CsvScanOptions so;
  so.buffer_bytes = 64;
  so.max_record_bytes = 4096;
  const std::string csv = "id\nshort\n\"" + std::string(10000, 'x') + "\"\nafter\n";
  auto r = open_csv_snapshot_memory(csv, "customers.csv", s, {}, err, so);
  REQUIRE(r);
  Batch b;
  CHECK_FALSE(r->next(b));
  REQUIRE(r->error());
  CHECK(r->error()->to_string() ==
        "customers.csv:3: record larger than 4096 bytes (is a closing quote missing?)");
  // A record below the guard but far above the buffer size reads fine.
  const std::string big = "id\n\"" + std::string(3000, 'y') + "\"\nz\n";
  auto r2 = open_csv_snapshot_memory(big, "customers.csv", s, {}, err, so);
  REQUIRE(r2);
  REQUIRE(r2->next(b));
  CHECK(b.num_rows == 2);
  CHECK(b.string_at(0, 0)->size() == 3000);
  CHECK(*b.string_at(0, 1) == "z");
}

TEST_CASE("csv: streaming gives the same rows for any batch and buffer size", "[csv]") {
  const Schema s = small_schema();
  std::string csv = kHeader;
  for (int i = 0; i < 500; ++i) {
    const std::string n = std::to_string(i);
    if (i % 7 == 0) {
      csv.append("\"q,\"\"").append(n).append("\"\"\n\"");
    } else {
      csv.append("id").append(n);
    }
    csv.append(",").append(std::to_string(i * 31 - 7000)).append(",");
    if (i % 5 != 0) csv.append(n).append(".25");
    csv.append(",");
    if (i % 3 == 0) csv.append("2026-01-0").append(std::to_string(1 + i % 9));
    csv += (i % 4 == 0 ? ",true" : i % 4 == 1 ? ",false" : ",");
    csv += i % 2 ? ",red" : ",blue";
    csv += (i % 6 == 0 ? ",\"a|b,c\"" : i % 6 == 1 ? "," : ",x|y|z");
    csv += i % 2 ? "\r\n" : "\n";
  }
  const auto whole = read_all(csv, s, 100000);
  REQUIRE_FALSE(whole.error);
  REQUIRE(whole.batches.size() == 1);
  const auto expect = rows_as_text(whole.batches, s);
  REQUIRE(expect.size() == 500);
  for (int64_t batch_rows : {1, 7, 64, 499}) {
    for (size_t buffer : {16, 33, 256, 4096}) {
      const auto parts = read_all(csv, s, batch_rows, buffer);
      REQUIRE_FALSE(parts.error);
      CHECK(parts.batches.size() == static_cast<size_t>((500 + batch_rows - 1) / batch_rows));
      CHECK(parts.batches.back().first_row ==
            static_cast<int64_t>(parts.batches.size() - 1) * batch_rows);
      CHECK(rows_as_text(parts.batches, s) == expect);
    }
  }
}

TEST_CASE("csv: error rows are right across batches", "[csv]") {
  Schema s;
  s.fields.push_back({"n", FieldType::Int, false, false, {}});
  std::string csv = "n\n";
  for (int i = 0; i < 100; ++i) csv += i == 77 ? "\"x\ny\"\n" : std::to_string(i) + "\n";
  csv += "oops\n";
  auto r = read_all(csv, s, 10, 32);
  REQUIRE(r.error);
  CHECK(r.error->to_string() == "customers.csv:79: column n: \"x\ny\" is not an int");
  CHECK(r.batches.size() == 7);
}

TEST_CASE("csv: reading from a file", "[csv]") {
  const std::string path = std::string(RK_BINARY_DIR) + "/test_csv_reader_file.csv";
  {
    FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f);
    std::fputs("n,id\n1,a\n2,b\n3,c", f);  // no final newline
    std::fclose(f);
  }
  Schema s;
  s.fields.push_back({"id", FieldType::String, false, true, {}});
  s.fields.push_back({"n", FieldType::Int, false, false, {}});
  std::optional<SnapshotError> err;
  ReaderOptions ro;
  ro.batch_rows = 2;
  auto r = open_csv_snapshot(path, s, ro, err);
  REQUIRE(r);
  Batch b;
  REQUIRE(r->next(b));
  CHECK(b.num_rows == 2);
  REQUIRE(r->next(b));
  CHECK(b.num_rows == 1);
  CHECK(b.first_row == 2);
  CHECK(*b.string_at(0, 0) == "c");
  CHECK_FALSE(r->next(b));
  CHECK_FALSE(r->error());
  std::remove(path.c_str());
  auto missing = open_csv_snapshot(path, s, ro, err);
  CHECK_FALSE(missing);
  REQUIRE(err);
  CHECK(err->to_string() == path + ": cannot open: No such file or directory");
}

TEST_CASE("csv: UTF-8 validation", "[csv]") {
  CHECK(is_valid_utf8("plain"));
  CHECK(is_valid_utf8("\xC3\x9C\xE9\xA1\xA7\xF0\x9F\x98\x80"));
  CHECK_FALSE(is_valid_utf8("\x80"));
  CHECK_FALSE(is_valid_utf8("\xC3"));
  CHECK_FALSE(is_valid_utf8("\xE0\x80\x80"));      // overlong
  CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  CHECK_FALSE(is_valid_utf8("\xED\xBF\xBF"));      // surrogate
}

TEST_CASE("csv: schema inference from values", "[csv]") {
  const std::string path = std::string(RK_BINARY_DIR) + "/test_csv_infer.csv";
  {
    FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f);
    std::fputs(
        "id,flag,count,amount,day,tags,note,blank,bits\n"
        "a,true,1,1.5,2026-01-01,x|y,hello,,1\n"
        "b,FALSE,-2,3,2026-02-03,z,,,0\n"
        "c,,7,NaN,,,\"w, v\",,1\n",
        f);
    std::fclose(f);
  }
  std::vector<InferredField> fields;
  std::optional<SnapshotError> err;
  REQUIRE(infer_csv_schema(path, 10000, fields, err));
  REQUIRE(fields.size() == 9);
  auto is = [&](size_t i, const char* name, FieldType t, bool nullable) {
    CHECK(fields[i].name == name);
    CHECK(fields[i].type == t);
    CHECK(fields[i].nullable == nullable);
  };
  is(0, "id", FieldType::String, false);
  is(1, "flag", FieldType::Bool, true);
  is(2, "count", FieldType::Int, false);
  is(3, "amount", FieldType::Number, false);
  is(4, "day", FieldType::Date, true);
  is(5, "tags", FieldType::StringList, false);  // empty = the empty list
  is(6, "note", FieldType::String, true);
  is(7, "blank", FieldType::String, true);
  is(8, "bits", FieldType::Int, false);  // 1/0 alone read as ints
  // Only the first rows are looked at.
  REQUIRE(infer_csv_schema(path, 1, fields, err));
  CHECK(fields[1].nullable == false);
  std::remove(path.c_str());
}

TEST_CASE("csv: a number column written like 84.50 is inferred as money", "[csv]") {
  const std::string path = std::string(RK_BINARY_DIR) + "/test_csv_infer_money.csv";
  {
    FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f);
    std::fputs(
        "a,b,c,d,e,f,g\n"
        "84.50,84.5,0.35,1e2,-3.00,10,.50\n"
        "250.00,250,0.40,100.00,12.99,,0.50\n"
        ",19.99,0.05,2.50,0.01,3,1.25\n",
        f);
    std::fclose(f);
  }
  std::vector<InferredField> fields;
  std::optional<SnapshotError> err;
  REQUIRE(infer_csv_schema(path, 10000, fields, err));
  REQUIRE(fields.size() == 7);
  CHECK(fields[0].type == FieldType::Money);  // every value with two decimals; empty: nullable
  CHECK(fields[0].nullable);
  CHECK(fields[1].type == FieldType::Number);  // 84.5 and 250 are not written like money
  CHECK(fields[2].type == FieldType::Money);   // the text says so; the name may say otherwise
  CHECK(fields[3].type == FieldType::Number);  // 1e2
  CHECK(fields[4].type == FieldType::Money);   // negative amounts too
  CHECK(fields[5].type == FieldType::Int);
  CHECK(fields[6].type == FieldType::Number);  // .50 has no whole part
  std::remove(path.c_str());
}

TEST_CASE("csv: open_snapshot dispatches by extension and content", "[csv]") {
  Schema s;
  s.fields.push_back({"id", FieldType::String, false, true, {}});
  const std::string path = std::string(RK_BINARY_DIR) + "/test_csv_dispatch.data";
  {
    FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f);
    std::fputs("id\nx\n", f);
    std::fclose(f);
  }
  std::optional<SnapshotError> err;
  auto r = open_snapshot(path, s, {}, err);
  REQUIRE(r);
  Batch b;
  REQUIRE(r->next(b));
  CHECK(*b.string_at(0, 0) == "x");
  // An Arrow file under an unknown extension is read as Arrow.
  const std::string arrow = std::string(RK_SOURCE_DIR) + "/tests/fixtures/arrowjs/customers.arrow";
  const std::string copy = std::string(RK_BINARY_DIR) + "/test_csv_dispatch_arrow.data";
  std::system(("cp '" + arrow + "' '" + copy + "'").c_str());
  Schema key;
  key.fields.push_back({"customer_id", FieldType::String, false, true, {}});
  err.reset();
  auto ra = open_snapshot(copy, key, {}, err);
  REQUIRE(ra);
  REQUIRE(ra->next(b));
  CHECK(b.num_rows > 0);
  std::remove(path.c_str());
  std::remove(copy.c_str());
  err.reset();
  CHECK_FALSE(open_snapshot(path, s, {}, err));
  REQUIRE(err);
  CHECK(err->to_string() == path + ": cannot open: No such file or directory");
}

TEST_CASE("csv: the snapshot's SHA-256 covers every byte, from a file and a pipe, or is skipped",
          "[csv]") {
  // Over 64 KiB, so a pipe's first bytes (read ahead to tell the format) and the rest both count.
  std::string csv = "id,n\n";
  for (int i = 0; i < 20000; ++i)
    csv += "customer-" + std::to_string(i) + "," + std::to_string(i) + "\n";
  REQUIRE(csv.size() > 100 * 1024);
  Sha256 expect;
  expect.update(csv.data(), csv.size());
  const std::string digest = expect.hex();
  Schema s;
  s.fields.push_back({"id", FieldType::String, false, true, {}});
  s.key_field = 0;
  s.fields.push_back({"n", FieldType::Int, false, false, {}});
  auto read = [&](const std::string& path, bool fingerprint, int64_t& bytes) {
    std::optional<SnapshotError> err;
    ReaderOptions ro;
    ro.fingerprint = fingerprint;
    auto r = open_snapshot(path, s, ro, err);
    REQUIRE(r);
    Batch b;
    int64_t rows = 0;
    while (r->next(b)) rows += b.num_rows;
    REQUIRE_FALSE(r->error());
    CHECK(rows == 20000);
    bytes = r->bytes_read();
    return r->sha256();
  };
  const std::string path = std::string(RK_BINARY_DIR) + "/test_csv_reader_sha.csv";
  {
    FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f);
    std::fwrite(csv.data(), 1, csv.size(), f);
    std::fclose(f);
  }
  int64_t bytes = 0;
  CHECK(read(path, true, bytes) == digest);
  CHECK(bytes == static_cast<int64_t>(csv.size()));
  CHECK(read(path, false, bytes).empty());  // not asked for: not computed
  CHECK(bytes == static_cast<int64_t>(csv.size()));
  std::remove(path.c_str());

  const std::string fifo = std::string(RK_BINARY_DIR) + "/test_csv_reader_sha.fifo";
  std::remove(fifo.c_str());
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::thread writer([&] {
    FILE* f = std::fopen(fifo.c_str(), "wb");
    if (!f) return;
    std::fwrite(csv.data(), 1, csv.size(), f);
    std::fclose(f);
  });
  const std::string piped = read(fifo, true, bytes);
  writer.join();
  CHECK(piped == digest);
  CHECK(bytes == static_cast<int64_t>(csv.size()));
  std::remove(fifo.c_str());
}
