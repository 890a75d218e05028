// Rekindle CLI: `rekindle gen` writes a synthetic customer snapshot of the playbook schema (CSV or
// Arrow IPC) with realistic value shapes, deterministic for a seed. Exit 0: written; 2: usage or
// I/O error (nothing is left at the target on failure).
#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>

#include "cli/command.h"
#include "cli/common.h"
#include "runtime/generate.h"
#include "runtime/result_writer.h"

namespace rk::cli {
namespace {

struct GenArgs {
  int64_t rows = -1;
  uint64_t seed = 1;
  std::string as_of, out, format;
  int threads = 0;
  bool quiet = false;
};

extern "C" void gen_on_signal(int sig) {
  remove_open_temp_files_from_signal();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

// The output format from --format or the file extension.
bool snapshot_format(const std::string& name, const std::string& path, SnapshotFormat& out) {
  std::string f = name;
  if (f.empty()) {
    std::string ext = std::filesystem::path(path).extension().string();
    for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (ext == ".csv")
      f = "csv";
    else if (ext == ".arrow" || ext == ".feather" || ext == ".ipc")
      f = "arrow";
    else {
      print_error(fmt::format(
          "{}: cannot tell the format from the extension (use .csv or .arrow, or --format)", path));
      return false;
    }
  }
  out = f == "arrow" ? SnapshotFormat::Arrow : SnapshotFormat::Csv;
  return true;
}

std::function<int()> setup_gen(CLI::App& app) {
  auto args = std::make_shared<GenArgs>();
  auto* sub = app.add_subcommand(
      "gen", "Generate a synthetic customer snapshot of the playbook schema (CSV or Arrow)");
  sub->add_option("--rows", args->rows, "Number of customers (rows) to generate")
      ->required()
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--seed", args->seed,
                  "Random seed; the same seed, rows and as-of date give a byte-identical file")
      ->capture_default_str();
  sub->add_option("--as-of", args->as_of,
                  "Date the snapshot is taken, YYYY-MM-DD (default: today, UTC); purchase and "
                  "touch dates are spread before it");
  sub->add_option("--out", args->out,
                  "Output file; the format follows the extension (.csv, .arrow)")
      ->required();
  sub->add_option("--format", args->format, "Output format, overriding the extension: csv or arrow")
      ->check(CLI::IsMember({"csv", "arrow"}));
  sub->add_option("--threads", args->threads,
                  "Worker threads (default: all cores); the output does not depend on it")
      ->check(CLI::NonNegativeNumber);
  sub->add_flag("--quiet,-q", args->quiet, "Do not print the summary line");
  sub->footer(
      "The snapshot has the 21 columns of rules/customer.schema: long-tailed order values with\n"
      "whales and exact rule boundaries (250.00, 75.00, 20.00; 60, 90, 120, 180, 365 days),\n"
      "missing values where the schema allows them, and some customer ids with commas, quotes\n"
      "and non-ASCII text. The file is written atomically (temporary file, then rename).\n"
      "Exit status: 0 when written, 2 on usage or I/O errors.\n"
      "Example: rekindle gen --rows 1000000 --seed 7 --as-of 2026-11-01 --out customers.arrow");
  return [args]() {
    auto as_of = parse_as_of(args->as_of);
    if (!as_of) return kExitUsage;
    SnapshotFormat format;
    if (!snapshot_format(args->format, args->out, format)) return kExitUsage;
    std::signal(SIGXFSZ, SIG_IGN);
    std::signal(SIGINT, gen_on_signal);
    std::signal(SIGTERM, gen_on_signal);
    GenerateOptions opts;
    opts.rows = args->rows;
    opts.seed = args->seed;
    opts.as_of = *as_of;
    opts.threads = args->threads;
    const auto start = std::chrono::steady_clock::now();
    std::string error;
    if (!generate_snapshot(opts, args->out, format, error)) {
      print_error(error);
      return kExitUsage;
    }
    if (!args->quiet) {
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::error_code ec;
      const auto bytes = std::filesystem::file_size(args->out, ec);
      fmt::print(stderr, "rekindle: wrote {} rows to {} ({:.1f} MB) in {:.2f} s\n", args->rows,
                 args->out, ec ? 0.0 : static_cast<double>(bytes) / 1e6, secs);
    }
    return kExitOk;
  };
}

}  // namespace

RK_COMMAND(gen, "gen", setup_gen);

}  // namespace rk::cli
