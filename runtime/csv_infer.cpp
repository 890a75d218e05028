// Rekindle runtime: a schema inferred from a CSV file's header and the values of its first rows
// (`rekindle schema FILE.csv`; declared in csv_reader.h): bool, int, number or money, date,
// string, list; nullable when a value is empty.
#include <fmt/format.h>

#include <string_view>

#include "base/date.h"
#include "base/value_parse.h"
#include "runtime/column_match.h"
#include "runtime/csv_reader.h"

namespace rk {

// ---- Schema inference --------------------------------------------

namespace {

// Whether `s` is written like an amount of money: an optional minus, digits, a point, two digits.
bool written_like_money(std::string_view s) {
  auto digit = [&](size_t i) { return i < s.size() && s[i] >= '0' && s[i] <= '9'; };
  size_t i = !s.empty() && s[0] == '-' ? 1 : 0;
  const size_t first = i;
  while (digit(i)) ++i;
  return i > first && s.size() == i + 3 && s[i] == '.' && digit(i + 1) && digit(i + 2);
}

}  // namespace

bool infer_csv_schema(const std::string& path, int64_t max_rows, std::vector<InferredField>& out,
                      std::optional<SnapshotError>& err) {
  CsvScanner sc;
  if (!sc.open(path, path)) {
    err = sc.error();
    return false;
  }
  std::vector<std::string_view> fields;
  if (!sc.header(fields, err)) return false;
  struct Seen {
    bool nonempty = false, empty = false;
    bool is_bool = true, is_int = true, is_number = true, is_date = true, has_bar = false;
    bool two_decimals = true;  // every value written like 84.50: money
  };
  if (!unique_column_names(fields, path, "header", sc.row(), err)) return false;
  out.clear();
  for (auto f : fields) out.push_back(InferredField{std::string(f)});
  std::vector<Seen> seen(out.size());
  for (int64_t n = 0; n < max_rows; ++n) {
    const auto st = sc.next(fields);
    if (st == CsvScanner::Status::End) break;
    if (st == CsvScanner::Status::Error) {
      err = sc.error();
      return false;
    }
    if (fields.size() != out.size()) {
      err = SnapshotError{path,
                          sc.row(),
                          {},
                          fmt::format("expected {} fields, found {}", out.size(), fields.size())};
      return false;
    }
    for (size_t i = 0; i < fields.size(); ++i) {
      const std::string_view s = fields[i];
      Seen& k = seen[i];
      if (s.empty()) {
        k.empty = true;
        continue;
      }
      k.nonempty = true;
      if (k.is_bool) {
        const bool word = s.size() > 1 && parse_bool(s) != BoolParse::Bad;
        k.is_bool = word;
      }
      int64_t iv;
      double dv;
      int32_t date;
      if (k.is_int) k.is_int = parse_int(s, iv) == NumParse::Ok;
      if (k.is_number) {
        const NumParse r = parse_number(s, dv);
        k.is_number = r == NumParse::Ok || r == NumParse::NaN;
      }
      if (k.is_date) k.is_date = parse_iso_date(s, date);
      if (k.two_decimals) k.two_decimals = written_like_money(s);
      if (s.find('|') != std::string_view::npos) k.has_bar = true;
    }
  }
  for (size_t i = 0; i < out.size(); ++i) {
    const Seen& k = seen[i];
    InferredField& f = out[i];
    f.nullable = k.empty;
    if (!k.nonempty)
      f.type = FieldType::String;
    else if (k.is_bool)
      f.type = FieldType::Bool;
    else if (k.is_int)
      f.type = FieldType::Int;
    else if (k.is_number)
      f.type = k.two_decimals ? FieldType::Money : FieldType::Number;
    else if (k.is_date)
      f.type = FieldType::Date;
    else if (k.has_bar)
      f.type = FieldType::StringList;
    else
      f.type = FieldType::String;
    // An empty list is an empty field, so a list column with empties is not necessarily nullable;
    // the schema file decides. Report it as not nullable (the reader's empty = empty list).
    if (f.type == FieldType::StringList) f.nullable = false;
  }
  return true;
}

}  // namespace rk
