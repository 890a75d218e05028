// Rekindle CLI: shared helpers (see common.h).
#include "cli/common.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <ctime>

#include "base/date.h"
#include "runtime/data_errors.h"

namespace rk::cli {

void print_error(const std::string& message) {
  fmt::print(stderr, "rekindle: error: {}\n", message);
}

void print_read_errors(const DataErrors& bad, const std::string& message) {
  if (bad.empty()) {
    print_error(message);
    return;
  }
  for (const auto& line : bad.lines()) print_error(line);
}

SessionOptions session_options(const std::string& engine, int threads) {
  SessionOptions o;
  o.engine = parse_engine(engine).value_or(Engine::Jit);
  o.threads = threads;
  o.warn = [](const std::string& message) {
    fmt::print(stderr, "rekindle: warning: {}\n", message);
  };
  return o;
}

bool parse_params(const std::vector<std::string>& in, std::map<std::string, std::string>& out) {
  for (const auto& p : in) {
    const auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      print_error(fmt::format("--param {}: expected NAME=VALUE", p));
      return false;
    }
    const std::string name = p.substr(0, eq);
    if (out.count(name)) {
      print_error(fmt::format("--param {} is given twice ({}={} and {}); give each parameter once",
                              name, name, out[name], p));
      return false;
    }
    out[name] = p.substr(eq + 1);
  }
  return true;
}

std::vector<RunFile> run_inputs(const std::string& snapshot, const SourceSet& sources) {
  std::vector<RunFile> out;
  if (!snapshot.empty()) out.push_back({"the snapshot", snapshot});
  for (size_t i = 0; i < sources.size(); ++i) {
    const std::string& path = sources.file(i).path;
    const bool schema = path.size() > 7 && path.compare(path.size() - 7, 7, ".schema") == 0;
    out.push_back({i == 0   ? "the rule file"
                   : schema ? "the schema"
                            : "a rule file it imports",
                   path});
  }
  return out;
}

bool stdout_is_an_input(const std::vector<RunFile>& inputs) {
  if (auto refused = check_outputs(inputs, {{"the output", "-"}})) {
    print_error(*refused);
    return true;
  }
  return false;
}

void add_root_option(CLI::App* sub, std::string& root) {
  sub->add_option("--root", root,
                  "The project folder: imports are read only from this folder and below it "
                  "(default: the folder of the rule file)");
}

CLI::Option* add_rules_argument(CLI::App* sub, std::string& rules) {
  return sub->add_option("rules", rules, "The rule file (e.g. rules/winback.rules)")
      ->required()
      ->check(CLI::ExistingFile);
}

CLI::Option* add_snapshot_option(CLI::App* sub, std::string& snapshot) {
  return sub->add_option("--snapshot", snapshot, "Customer snapshot: Arrow IPC (.arrow) or CSV")
      ->check(CLI::ExistingFile);
}

CLI::Option* add_as_of_option(CLI::App* sub, std::string& as_of) {
  return sub->add_option("--as-of", as_of, "Evaluation date YYYY-MM-DD (default: today, UTC)");
}

void add_session_options(CLI::App* sub, int& threads, std::string& engine) {
  sub->add_option("--threads", threads, "Worker threads (default: all cores)")
      ->check(CLI::Range(0, 1024));
  sub->add_option("--engine", engine, "jit (default) or interp")
      ->check(CLI::IsMember({"jit", "interp"}));
}

std::optional<int32_t> parse_as_of(const std::string& text) {
  if (text.empty()) return static_cast<int32_t>(std::time(nullptr) / 86400);
  int32_t days;
  if (!parse_iso_date(text, days)) {
    print_error(fmt::format("--as-of {}: not a date (write YYYY-MM-DD, e.g. 2026-11-01)", text));
    return std::nullopt;
  }
  return days;
}

}  // namespace rk::cli
