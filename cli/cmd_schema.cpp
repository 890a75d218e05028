// Rekindle CLI: `rekindle schema SNAPSHOT` prints the snapshot's columns in schema-file syntax
// (`schema NAME`, then `field NAME: TYPE[?]`), inferred from the first rows of a CSV file or from
// an Arrow file's own schema, then refined by the values (the key, money and enum columns:
// runtime/infer_types.h): a starting point for a .schema file. Exit 0: printed; 1: the file's
// content is malformed; 2: usage or I/O errors.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <unordered_set>

#include "cli/command.h"
#include "cli/common.h"
#include "grammar/names.h"
#include "runtime/arrow_reader.h"
#include "runtime/csv_reader.h"
#include "runtime/infer_types.h"
#include "runtime/snapshot_format.h"

namespace rk::cli {
namespace {

struct SchemaArgs {
  std::string snapshot, name;
  int64_t rows = 10000;
};

bool is_identifier(std::string_view s) {
  return !s.empty() && grammar::ident_length(s.data(), s.data() + s.size()) == s.size() &&
         !grammar::is_keyword(s);
}

// The schema's name from the file name: `customers.csv` -> customers.
std::string name_from_path(const std::string& path) {
  std::string stem = std::filesystem::path(path).stem().string();
  for (auto& c : stem)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  if (stem.empty() || std::isdigit(static_cast<unsigned char>(stem[0]))) stem = "snapshot_" + stem;
  if (grammar::is_keyword(stem)) stem += "_snapshot";
  return stem;
}

std::string type_text(FieldType t, const std::vector<std::string>& enum_values) {
  if (t != FieldType::Enum) return std::string(field_type_name(t));
  std::string s = "enum {";
  for (size_t i = 0; i < enum_values.size(); ++i) {
    if (i) s += ", ";
    const std::string& v = enum_values[i];
    if (is_identifier(v)) {
      s += v;
    } else {
      s += '"';
      for (char c : v) {
        if (c == '"' || c == '\\') s += '\\';
        s += c;
      }
      s += '"';
    }
  }
  return s + "}";
}

// Key candidates whose distinct values are tracked at once (see the scan below): 64, or as many
// as keep about 256K values in memory when few rows are looked at.
size_t key_probe_width(int64_t rows) {
  constexpr int64_t kValues = int64_t{1} << 18;
  return static_cast<size_t>(std::max<int64_t>(64, kValues / std::max<int64_t>(rows, 1)));
}

// Rows per batch: at most about a million cells, so a file of 20,000 columns is read in small
// batches (a batch of 10,000 rows of it took over a gigabyte); at least 64 rows.
int64_t batch_rows_for(size_t columns, int64_t rows) {
  constexpr int64_t kCells = int64_t{1} << 20;
  const int64_t by_width = kCells / static_cast<int64_t>(std::max<size_t>(columns, 1));
  return std::max<int64_t>(64, std::min(rows, by_width));
}

// The first of candidates[start..] whose values in the first `rows_to_read` rows are all present
// and distinct, reading only candidate columns, key_probe_width() at a time in column order.
template <typename Fields>
std::optional<size_t> probe_key(const std::string& path, const Fields& fields,
                                const std::vector<size_t>& candidates, size_t start,
                                int64_t rows_to_read) {
  const size_t width = key_probe_width(rows_to_read);
  for (; start < candidates.size(); start += width) {
    Schema probe;
    const size_t end = std::min(candidates.size(), start + width);
    for (size_t k = start; k < end; ++k)
      probe.fields.push_back({fields[candidates[k]].name, FieldType::String, false, false, {}});
    std::vector<std::unordered_set<std::string>> seen(probe.fields.size());
    std::vector<bool> alive(probe.fields.size(), true);
    ReaderOptions ro;
    ro.batch_rows = batch_rows_for(probe.fields.size(), rows_to_read);
    ro.check_keys = false;
    std::optional<SnapshotError> rerr;
    auto reader = open_snapshot(path, probe, ro, rerr);
    if (!reader) return std::nullopt;
    Batch batch;
    int64_t rows = 0;
    while (rows < rows_to_read && reader->next(batch)) {
      const int64_t take = std::min(batch.num_rows, rows_to_read - rows);
      for (int64_t r = 0; r < take; ++r)
        for (size_t i = 0; i < probe.fields.size(); ++i) {
          if (!alive[i]) continue;
          auto v = batch.string_at(i, r);
          if (!v || !seen[i].emplace(*v).second) {
            alive[i] = false;
            seen[i] = {};
          }
        }
      rows += take;
    }
    if (rows == 0) return std::nullopt;
    for (size_t i = 0; i < probe.fields.size(); ++i)
      if (alive[i]) return candidates[start + i];
  }
  return std::nullopt;
}

int exit_code_for(const SnapshotError& e) {
  if (e.row == 0 && e.column.empty() &&
      (e.message.rfind("cannot open", 0) == 0 || e.message.rfind("read error", 0) == 0))
    return kExitUsage;
  return kExitFindings;
}

std::function<int()> setup_schema(CLI::App& app) {
  auto args = std::make_shared<SchemaArgs>();
  auto* sub = app.add_subcommand(
      "schema", "Print a snapshot's columns as a schema file (inferred from CSV values or Arrow)");
  sub->add_option("snapshot", args->snapshot,
                  "Snapshot file (.csv, .arrow/.feather/.ipc/.arrows; other names are recognized "
                  "by their content)")
      ->required();
  sub->add_option("--name", args->name, "Schema name (default: the file name without extension)");
  sub->add_option("--rows", args->rows, "CSV: how many rows to look at")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->footer(
      "CSV columns are typed from their values: bool (true/false), int, number, date\n"
      "(YYYY-MM-DD), list of string (values containing |) or string; a column with an empty\n"
      "value is nullable (`?`). Arrow columns are typed by the file's schema. The key is the\n"
      "first string column whose values are present and distinct in the rows looked at.\n"
      "Then, in both: a number column is money when its values have at most two decimals and\n"
      "its name says so (price, amount, revenue, value, ...) or values like 84.57 show it; a\n"
      "string column of at most 12 distinct words, each seen 3 times on average, is an enum.\n"
      "Percents cannot be told from values: edit the printed schema.\n"
      "Exit status: 0 when printed, 1 when the file is malformed, 2 on usage or I/O errors.\n"
      "Example: rekindle schema customers.csv > customer.schema");
  return [args]() -> int {
    const std::string& path = args->snapshot;
    if (stdout_is_an_input({{"the snapshot", path}})) return kExitUsage;
    // The format from the content (Parquet, compressed or UTF-16 files are refused with a
    // message); the file is read twice (types, then the key), so a pipe is refused.
    bool regular = false;
    const SnapshotFormat format = sniff_snapshot_file(path, regular);
    if (format.kind == SnapshotFormat::Kind::Unsupported) {
      print_error(fmt::format("{}: {}{}", path, format.problem,
                              regular ? ""
                                      : " (`rekindle schema` reads the file twice: write the "
                                        "stream to a file first)"));
      return regular ? kExitFindings : kExitUsage;
    }
    const bool arrow = format.kind == SnapshotFormat::Kind::Arrow;
    struct Out {
      std::string name;
      FieldType type;
      bool nullable;
      std::vector<std::string> enum_values;
      bool key;
    };
    std::vector<Out> fields;
    std::optional<SnapshotError> err;
    std::string source_note;
    if (arrow) {
      auto s = infer_arrow_schema(path, err);
      if (!s) {
        print_error(err ? err->to_string() : path + ": cannot read");
        return err ? exit_code_for(*err) : kExitUsage;
      }
      for (const auto& f : s->fields)
        fields.push_back({f.name, f.type, f.nullable, f.enum_values, f.key});
      source_note = fmt::format("the Arrow schema of {}", path);
    } else {
      std::vector<InferredField> inferred;
      if (!infer_csv_schema(path, args->rows, inferred, err)) {
        print_error(err ? err->to_string() : path + ": cannot read");
        return err ? exit_code_for(*err) : kExitUsage;
      }
      for (const auto& f : inferred) fields.push_back({f.name, f.type, f.nullable, {}, false});
      source_note = fmt::format("up to the first {} rows of {}", args->rows, path);
    }
    // One scan of the rows looked at: the key (the first string column without missing values
    // whose values are all distinct: the schema language needs one) and the money and enum
    // columns the values show (runtime/infer_types.h).
    bool has_key = false;
    for (const auto& f : fields) has_key = has_key || f.key;
    // The key candidates: string columns without missing values, in column order. The scan
    // tracks the distinct values of the first key_probe_width() of them only, so its memory does
    // not grow with the width of the file (20,000 string columns used to take 1.1 GB); when none
    // of those is distinct, the later ones are probed as many at a time, reading only their
    // columns.
    std::vector<size_t> candidates;
    if (!has_key)
      for (size_t i = 0; i < fields.size(); ++i)
        if (fields[i].type == FieldType::String && !fields[i].nullable) candidates.push_back(i);
    const size_t tracked = std::min(candidates.size(), key_probe_width(args->rows));
    std::vector<std::unordered_set<std::string>> seen(tracked);
    std::vector<bool> alive(tracked, true);
    Schema probe;
    for (const auto& f : fields)
      probe.fields.push_back({f.name, f.type, f.nullable, false, f.enum_values});
    for (size_t i = 0; i < fields.size(); ++i)
      if (fields[i].key) probe.key_field = static_cast<int>(i);
    ValueTypeInference inference(probe);
    ReaderOptions ro;
    ro.batch_rows = batch_rows_for(fields.size(), args->rows);
    ro.check_keys = false;  // the key is what is being looked for
    std::optional<SnapshotError> rerr;
    int64_t rows = 0;
    if (auto reader = open_snapshot(path, probe, ro, rerr)) {
      Batch batch;
      while (rows < args->rows && reader->next(batch)) {
        const int64_t take = std::min(batch.num_rows, args->rows - rows);
        for (int64_t r = 0; r < take; ++r)
          for (size_t k = 0; k < tracked; ++k) {
            if (!alive[k]) continue;
            auto v = batch.string_at(candidates[k], r);
            if (!v || !seen[k].emplace(*v).second) {
              alive[k] = false;
              seen[k] = {};
            }
          }
        inference.add(batch, take);
        rows += take;
      }
    }
    seen.clear();
    if (rows > 0 && !has_key) {
      std::optional<size_t> key;
      for (size_t k = 0; k < tracked && !key; ++k)
        if (alive[k]) key = candidates[k];
      if (!key) key = probe_key(path, fields, candidates, tracked, rows);
      if (key) {
        fields[*key].key = true;
        probe.key_field = static_cast<int>(*key);
      }
    }
    Schema refined = probe;
    inference.refine(refined);
    for (size_t i = 0; i < fields.size(); ++i) {
      fields[i].type = refined.fields[i].type;
      fields[i].enum_values = refined.fields[i].enum_values;
    }
    std::string out = fmt::format("# Inferred by `rekindle schema` from {}.\n", source_note);
    out += fmt::format("schema {}\n\n", args->name.empty() ? name_from_path(path) : args->name);
    int bad_names = 0;
    for (const auto& f : fields) {
      if (!is_identifier(f.name)) {
        out += fmt::format(
            "# The column name \"{}\" is not a valid field name: rename the column.\n", f.name);
        ++bad_names;
      }
      out += fmt::format("field {}: {}{}{}\n", f.name, type_text(f.type, f.enum_values),
                         f.nullable ? "?" : "", f.key ? " key" : "");
    }
    std::fputs(out.c_str(), stdout);
    if (bad_names > 0)
      fmt::print(stderr, "rekindle: warning: {} column name(s) are not valid field names\n",
                 bad_names);
    return kExitOk;
  };
}

}  // namespace

RK_COMMAND(schema, "schema", setup_schema);

}  // namespace rk::cli
