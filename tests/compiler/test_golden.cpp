// Rekindle tests: golden diagnostics. Every tests/golden/<case>/input.rules is compiled (with the
// path relative to the repo root, so rendered file names are stable) and the text rendering of
// all its diagnostics (and those of proving its guarantees, as `rekindle check` does) must equal
// tests/golden/<case>/expected.err byte for byte. Cases listed in tests/golden/KNOWN_ISSUES.md are
// skipped (reported by name). A case may add a `params` file
// (`NAME=VALUE` lines, like `--param`). A case too large to commit (RK0107: over 16 MiB) holds
// `input.generate` instead: a count on its first line and the text to repeat that many times; the
// test writes input.rules from it, renders it and removes it again (it is in .gitignore).
// REKINDLE_BLESS=1 rewrites the expected files of the other cases from the current compiler
// output.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/check/compile.h"
#include "compiler/lint/guarantees.h"

namespace {

namespace fs = std::filesystem;

const fs::path kRoot = RK_SOURCE_DIR;
const fs::path kGolden = kRoot / "tests" / "golden";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

// Runs the rest of a scope with the repo root as the working directory (ctest already does so;
// this makes a direct run of the test binary from elsewhere behave the same).
struct InRepoRoot {
  fs::path saved = fs::current_path();
  InRepoRoot() {
    if (fs::weakly_canonical(saved) != fs::weakly_canonical(kRoot)) fs::current_path(kRoot);
  }
  ~InRepoRoot() { fs::current_path(saved); }
};

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  if (!fs::is_directory(kGolden)) return names;
  for (const auto& e : fs::directory_iterator(kGolden))
    if (e.is_directory() &&
        (fs::exists(e.path() / "input.rules") || fs::exists(e.path() / "input.generate")))
      names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// KNOWN_ISSUES.md lists skipped cases as markdown items starting with "- `case-name`".
std::map<std::string, std::string> known_issues() {
  std::map<std::string, std::string> out;
  std::istringstream in(read_file(kGolden / "KNOWN_ISSUES.md"));
  static const std::regex item(R"(^\s*[-*]\s+`([A-Za-z0-9_.-]+)`\s*:?\s*(.*)$)");
  std::string line;
  std::smatch m;
  while (std::getline(in, line))
    if (std::regex_match(line, m, item)) out.emplace(m[1].str(), m[2].str());
  return out;
}

// A case may hold a `params` file: one `NAME=VALUE` a line, passed as `--param` overrides.
rk::CompileOptions case_options(const std::string& name) {
  rk::CompileOptions opts;
  // Cases import `../../../rules/customer.schema`: the project folder is the repository (the
  // test runs from its root).
  opts.root = ".";
  std::istringstream in(read_file(kGolden / name / "params"));
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
    opts.params[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return opts;
}

// Writes a generated case's input.rules (see the banner) and removes it when done.
struct GeneratedInput {
  fs::path path;
  explicit GeneratedInput(const std::string& name) {
    const fs::path recipe = kGolden / name / "input.generate";
    if (!fs::exists(recipe)) return;
    const std::string text = read_file(recipe);
    const size_t eol = text.find('\n');
    const long count = std::strtol(text.substr(0, eol).c_str(), nullptr, 10);
    const std::string unit = eol == std::string::npos ? std::string() : text.substr(eol + 1);
    path = kGolden / name / "input.rules";
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    for (long i = 0; i < count; ++i) out << unit;
  }
  ~GeneratedInput() {
    std::error_code ec;
    if (!path.empty()) fs::remove(path, ec);
  }
  GeneratedInput(const GeneratedInput&) = delete;
  GeneratedInput& operator=(const GeneratedInput&) = delete;
};

std::string render_case(const std::string& name) {
  const GeneratedInput generated(name);
  const std::string path = "tests/golden/" + name + "/input.rules";
  const rk::CompileResult r = rk::compile_rules(path, case_options(name));
  std::string out;
  for (const auto& d : r.diags) out += rk::render_text(r.sources, d);
  // Like `rekindle check`: the guarantees of a file that checked clean are proven or refuted.
  for (const auto& d : rk::prove_guarantees(r).diags) out += rk::render_text(r.sources, d);
  return out;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> lines;
  std::string cur;
  for (char c : s) {
    if (c == '\n') {
      lines.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) lines.push_back(cur + "  <no newline at end>");
  return lines;
}

// A line diff (longest common subsequence): ' ' same, '-' expected only, '+' actual only.
std::string line_diff(const std::string& expected, const std::string& actual) {
  const auto a = split_lines(expected);
  const auto b = split_lines(actual);
  std::vector<std::vector<size_t>> lcs(a.size() + 1, std::vector<size_t>(b.size() + 1, 0));
  for (size_t i = a.size(); i-- > 0;)
    for (size_t j = b.size(); j-- > 0;)
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  std::string out = "--- expected.err\n+++ actual\n";
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && a[i] == b[j]) {
      out += "  " + a[i++] + "\n";
      ++j;
    } else if (i < a.size() && (j == b.size() || lcs[i + 1][j] >= lcs[i][j + 1])) {
      out += "- " + a[i++] + "\n";
    } else {
      out += "+ " + b[j++] + "\n";
    }
  }
  return out;
}

bool blessing() {
  const char* v = std::getenv("REKINDLE_BLESS");
  return v && std::string(v) == "1";
}

}  // namespace

TEST_CASE("golden diagnostics: every case renders exactly its expected.err") {
  InRepoRoot root;
  const auto names = case_names();
  REQUIRE(!names.empty());
  const auto known = known_issues();
  for (const auto& [name, why] : known)
    if (!fs::exists(kGolden / name / "input.rules"))
      FAIL_CHECK("KNOWN_ISSUES.md names `" << name << "`, which is not a golden case");

  const bool bless = blessing();
  int checked = 0;
  for (const auto& name : names) {
    const fs::path expected_path = kGolden / name / "expected.err";
    const std::string actual = render_case(name);
    if (known.count(name)) {
      const bool fixed = fs::exists(expected_path) && read_file(expected_path) == actual;
      WARN("skipped known issue `"
           << name << "`: " << known.at(name)
           << (fixed ? " (it now passes: remove it from KNOWN_ISSUES.md)" : ""));
      continue;
    }
    if (bless) {
      if (!fs::exists(expected_path) || read_file(expected_path) != actual) {
        write_file(expected_path, actual);
        WARN("blessed " << name << "/expected.err");
      }
      ++checked;
      continue;
    }
    INFO("golden case " << name << " (tests/golden/" << name << "/input.rules)");
    if (!fs::exists(expected_path)) {
      FAIL_CHECK("missing expected.err; the compiler printed:\n" << actual);
      continue;
    }
    const std::string expected = read_file(expected_path);
    if (expected != actual) FAIL_CHECK("output differs:\n" << line_diff(expected, actual));
    ++checked;
  }
  CHECK(checked + static_cast<int>(known.size()) >= static_cast<int>(names.size()));
}

TEST_CASE("golden diagnostics: every case is a broken file with at least one error") {
  for (const auto& name : case_names()) {
    const std::string expected = read_file(kGolden / name / "expected.err");
    INFO("golden case " << name);
    CHECK(expected.find("error[RK") != std::string::npos);
  }
}

TEST_CASE("golden diagnostics: every code documented in docs/diagnostics.md has a golden case") {
  // Codes are documented as headings "### RK0101 ..."; every one must occur in some expected.err
  // (except codes marked "(no golden case)" and reserved "(unused)" codes).
  const std::string doc = read_file(kRoot / "docs" / "diagnostics.md");
  REQUIRE(!doc.empty());
  std::set<std::string> seen;
  for (const auto& name : case_names()) {
    const std::string e = read_file(kGolden / name / "expected.err");
    static const std::regex code(R"(error\[(RK[0-9]{4})\])");
    for (auto it = std::sregex_iterator(e.begin(), e.end(), code); it != std::sregex_iterator();
         ++it)
      seen.insert((*it)[1].str());
  }
  std::istringstream in(doc);
  std::string line;
  static const std::regex heading(R"(^###\s+(RK[0-9]{4})\b(.*)$)");
  std::smatch m;
  int documented = 0;
  while (std::getline(in, line)) {
    if (!std::regex_match(line, m, heading)) continue;
    ++documented;
    const std::string rest = m[2].str();
    if (rest.find("(no golden case)") != std::string::npos ||
        rest.find("(unused)") != std::string::npos)
      continue;
    INFO("docs/diagnostics.md documents " << m[1].str());
    CHECK(seen.count(m[1].str()) == 1);
  }
  CHECK(documented > 0);
}
