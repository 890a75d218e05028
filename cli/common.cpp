// Rekindle CLI: shared helpers (see common.h).
#include "cli/common.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

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

// "FILE:LINE:COL" of byte `offset` of `text`.
std::string file_position(const std::string& path, const std::string& text, size_t offset) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return fmt::format("{}:{}:{}", path, line, col);
}

// `--experiments FILE`: a JSON object whose `paused` (optional) is a list of strings, each
// SEQUENCE.TOUCH.VARIANT. The compiler checks that each names a variant (RK0414); here the
// file's shape, each error naming the file, line and column.
std::optional<Experiments> read_experiments(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    print_error(fmt::format("{}: cannot read the experiments file", path));
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  Experiments e;
  e.path = path;
  e.text = ss.str();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(e.text);
  } catch (const nlohmann::json::parse_error& err) {
    const size_t at = err.byte > 0 ? err.byte - 1 : 0;
    print_error(
        fmt::format("{}: the experiments file is not valid JSON", file_position(path, e.text, at)));
    return std::nullopt;
  }
  const size_t first = e.text.find_first_not_of(" \t\r\n");
  if (!j.is_object()) {
    print_error(
        fmt::format("{}: the experiments file must be a JSON object, e.g. "
                    "{{\"paused\": [\"winback.winback_offer.credit\"]}}",
                    file_position(path, e.text, first == std::string::npos ? 0 : first)));
    return std::nullopt;
  }
  auto it = j.find("paused");
  if (it == j.end()) return e;  // nothing paused
  const size_t key = e.text.find("\"paused\"");
  const size_t key_at = key == std::string::npos ? 0 : key;
  bool strings = it->is_array();
  if (strings)
    for (const auto& v : *it) strings = strings && v.is_string();
  if (!strings) {
    print_error(
        fmt::format("{}: `paused` must be a list of strings "
                    "(SEQUENCE.TOUCH.VARIANT)",
                    file_position(path, e.text, key_at)));
    return std::nullopt;
  }
  // Each entry's place: its JSON text, searched after the previous one (an entry written with
  // other escapes points at `paused`).
  size_t from = key_at;
  for (const auto& v : *it) {
    const std::string name = v.get<std::string>();
    const std::string lit = nlohmann::json(name).dump();
    const size_t at = e.text.find(lit, from);
    Experiments::Entry entry{name, static_cast<uint32_t>(key_at), 8};
    if (at != std::string::npos) {
      entry.offset = static_cast<uint32_t>(at);
      entry.length = static_cast<uint32_t>(lit.size());
      from = at + lit.size();
    }
    e.paused.push_back(std::move(entry));
  }
  return e;
}

}  // namespace rk::cli
