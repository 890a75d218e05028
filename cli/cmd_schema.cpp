// Rekindle CLI: `rekindle schema SNAPSHOT` prints the snapshot's columns in schema-file syntax
// (`schema NAME`, then `field NAME: TYPE[?]`), inferred from the first rows of a CSV file or from
// an Arrow file's own schema: a starting point for a .schema file. Exit 0: printed; 1: the file's
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
      "Money, percent and enums cannot be told from CSV values: edit the printed schema.\n"
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
    // The key: the first string column without missing values whose values are all distinct in
    // the rows looked at (the schema language needs one).
    bool has_key = false;
    for (const auto& f : fields) has_key = has_key || f.key;
    if (!has_key) {
      // Only candidate columns are read, 64 at a time in column order, until one has distinct
      // values: a file of 20,000 string columns reads the first few (it read all of them at
      // once: 1.1 GB of batch buffers).
      std::vector<size_t> candidates;
      for (size_t i = 0; i < fields.size(); ++i)
        if (fields[i].type == FieldType::String && !fields[i].nullable) candidates.push_back(i);
      constexpr size_t kProbe = 64;
      bool found = false;
      for (size_t start = 0; start < candidates.size() && !found; start += kProbe) {
        Schema probe;
        const size_t end = std::min(candidates.size(), start + kProbe);
        for (size_t k = start; k < end; ++k)
          probe.fields.push_back({fields[candidates[k]].name, FieldType::String, false, false, {}});
        std::vector<std::unordered_set<std::string>> seen(probe.fields.size());
        std::vector<bool> candidate(probe.fields.size(), true);
        ReaderOptions ro;
        ro.batch_rows = std::min<int64_t>(args->rows, 65536);
        ro.check_keys = false;
        std::optional<SnapshotError> rerr;
        auto reader = open_snapshot(path, probe, ro, rerr);
        if (!reader) break;
        Batch batch;
        int64_t rows = 0;
        while (rows < args->rows && reader->next(batch)) {
          for (int64_t r = 0; r < batch.num_rows && rows + r < args->rows; ++r)
            for (size_t i = 0; i < probe.fields.size(); ++i) {
              if (!candidate[i]) continue;
              auto v = batch.string_at(i, r);
              if (!v || !seen[i].emplace(*v).second) candidate[i] = false;
            }
          rows += batch.num_rows;
        }
        if (rows == 0) break;
        for (size_t i = 0; i < probe.fields.size() && !found; ++i)
          if (candidate[i]) {
            fields[candidates[start + i]].key = true;
            found = true;
          }
      }
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
