// Rekindle CLI: `rekindle convert IN OUT --schema FILE` reads a snapshot (CSV or Arrow IPC) typed
// by a schema file and writes it in the other format (or the same one), batch by batch. Exit 0:
// converted; 1: data or schema errors; 2: usage or I/O errors. Nothing is left at OUT on failure.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/diag_output.h"
#include "compiler/check/compile.h"
#include "runtime/arrow_writer.h"
#include "runtime/csv_writer.h"
#include "runtime/data_errors.h"
#include "runtime/output_guard.h"
#include "runtime/result_writer.h"

namespace rk::cli {
namespace {

struct ConvertArgs {
  std::string in, out, schema, format;
  int64_t batch_rows = 64 * 1024;
  bool quiet = false;
};

// I/O problems (unreadable files) exit 2; problems in the data exit 1.
int exit_code_for(const SnapshotError& e) {
  if (e.row == 0 && e.column.empty() &&
      (e.message.rfind("cannot open", 0) == 0 || e.message.rfind("read error", 0) == 0))
    return kExitUsage;
  return kExitFindings;
}

std::function<int()> setup_convert(CLI::App& app) {
  auto args = std::make_shared<ConvertArgs>();
  auto* sub = app.add_subcommand(
      "convert", "Convert a customer snapshot between CSV and Arrow IPC, checked by a schema");
  sub->add_option("in", args->in,
                  "Input snapshot (.csv, .arrow/.feather/.ipc/.arrows; other "
                  "names are recognized by their content)")
      ->required();
  sub->add_option("out", args->out, "Output file; the format follows the extension (.csv, .arrow)")
      ->required();
  sub->add_option("--schema", args->schema,
                  "Schema file typing the snapshot, e.g. rules/customer.schema")
      ->required();
  sub->add_option("--format", args->format, "Output format, overriding the extension: csv or arrow")
      ->check(CLI::IsMember({"csv", "arrow"}));
  sub->add_option("--batch-rows", args->batch_rows, "Rows per batch when reading CSV")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_flag("--quiet,-q", args->quiet, "Do not print the summary line");
  sub->footer(
      "Columns are matched by name (extra input columns are dropped) and every value is checked\n"
      "against the schema; each bad row of a CSV input is reported (up to 100, then their count)\n"
      "as FILE:ROW: column NAME: problem, and nothing is written.\n"
      "The output is written atomically (temporary file, then rename).\n"
      "Exit status: 0 when converted, 1 on data or schema errors, 2 on usage or I/O errors.\n"
      "Example: rekindle convert customers.csv customers.arrow --schema rules/customer.schema");
  return [args]() -> int {
    std::string fmt_name = args->format;
    if (fmt_name.empty()) {
      std::string ext = std::filesystem::path(args->out).extension().string();
      for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (ext == ".csv")
        fmt_name = "csv";
      else if (ext == ".arrow" || ext == ".feather" || ext == ".ipc")
        fmt_name = "arrow";
      else {
        print_error(fmt::format(
            "{}: cannot tell the format from the extension (use .csv or .arrow, or --format)",
            args->out));
        return kExitUsage;
      }
    }
    SchemaResult sr = compile_schema(args->schema);
    if (!sr.schema) {
      bool io = false;
      for (const auto& d : sr.diags)
        if (d.severity == Severity::Error && d.code == "RK0501" && !d.span) io = true;
      std::fputs(render_diagnostics({{&sr.sources, sr.diags}}, DiagFormat::Text, isatty(2)).c_str(),
                 stderr);
      return io ? kExitUsage : kExitFindings;
    }
    const Schema& schema = *sr.schema;
    if (auto refused =
            check_outputs(run_inputs(args->in, sr.sources), {{"the output", args->out}})) {
      print_error(*refused);
      return kExitUsage;
    }

    DataErrors bad_rows;  // every bad row of the input, not only the first
    ReaderOptions ro;
    ro.batch_rows = args->batch_rows;
    ro.errors = &bad_rows;
    std::optional<SnapshotError> rerr;
    auto reader = open_snapshot(args->in, schema, ro, rerr);
    if (!reader) {
      print_error(rerr ? rerr->to_string() : args->in + ": cannot read");
      return rerr ? exit_code_for(*rerr) : kExitUsage;
    }
    // Both writers behind one interface.
    std::unique_ptr<CsvSnapshotWriter> csv;
    std::unique_ptr<ArrowSnapshotWriter> arrow;
    bool ok;
    if (fmt_name == "csv") {
      csv = std::make_unique<CsvSnapshotWriter>();
      ok = csv->open(args->out, schema);
    } else {
      arrow = std::make_unique<ArrowSnapshotWriter>(schema);
      ok = arrow->open(args->out);
    }
    auto writer_error = [&] { return csv ? csv->error() : arrow->error(); };
    if (!ok) {
      print_error(writer_error());
      return kExitUsage;
    }
    Batch batch;
    int64_t rows = 0;
    while (reader->next(batch)) {
      rows += batch.num_rows;
      if (!(csv ? csv->write(batch) : arrow->write(batch))) {
        // A value the output format cannot carry is a data problem; anything else is I/O.
        const std::string e = writer_error();
        print_error(e);
        return e.rfind("row ", 0) == 0 ? kExitFindings : kExitUsage;
      }
    }
    if (reader->error()) {
      print_read_errors(bad_rows, reader->error()->to_string());
      return exit_code_for(*reader->error());
    }
    if (!(csv ? csv->finish() : arrow->finish())) {
      print_error(writer_error());
      return kExitUsage;
    }
    if (!args->quiet)
      fmt::print(stderr, "rekindle: converted {} rows from {} to {}\n", rows, args->in, args->out);
    return kExitOk;
  };
}

}  // namespace

RK_COMMAND(convert, "convert", setup_convert);

}  // namespace rk::cli
