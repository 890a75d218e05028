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
    std::string ext = std::filesystem::path(path).extension().string();
    for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const bool arrow = ext == ".csv" ? false
                       : (ext == ".arrow" || ext == ".feather" || ext == ".ipc" || ext == ".arrows")
                           ? true
                           : looks_like_arrow(path);
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
    Schema probe;
    for (const auto& f : fields)
      probe.fields.push_back({f.name, f.type, f.nullable, false, f.enum_values});
    for (size_t i = 0; i < fields.size(); ++i)
      if (fields[i].key) probe.key_field = static_cast<int>(i);
    std::vector<std::unordered_set<std::string>> seen(fields.size());
    std::vector<bool> candidate(fields.size());
    for (size_t i = 0; i < fields.size(); ++i)
      candidate[i] = !has_key && fields[i].type == FieldType::String && !fields[i].nullable;
    ValueTypeInference inference(probe);
    ReaderOptions ro;
    ro.batch_rows = args->rows;
    std::optional<SnapshotError> rerr;
    int64_t rows = 0;
    if (auto reader = open_snapshot(path, probe, ro, rerr)) {
      Batch batch;
      while (rows < args->rows && reader->next(batch)) {
        const int64_t take = std::min(batch.num_rows, args->rows - rows);
        for (int64_t r = 0; r < take; ++r)
          for (size_t i = 0; i < fields.size(); ++i) {
            if (!candidate[i]) continue;
            auto v = batch.string_at(i, r);
            if (!v || !seen[i].emplace(*v).second) candidate[i] = false;
          }
        inference.add(batch, take);
        rows += take;
      }
    }
    if (rows > 0 && !has_key)
      for (size_t i = 0; i < fields.size(); ++i)
        if (candidate[i]) {
          fields[i].key = true;
          probe.key_field = static_cast<int>(i);
          break;
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
