// Rekindle CLI: the test files `rekindle test` runs for its arguments (see test_files.h).
#include "cli/test_files.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "grammar/test_file.h"

namespace rk::cli {
namespace {

namespace fs = std::filesystem;

// The same file however it is named (`rules/a.test`, `./rules/../rules/a.test`).
std::string identity(const fs::path& p) {
  std::error_code ec;
  const fs::path c = fs::weakly_canonical(p, ec);
  return ec ? p.lexically_normal().string() : c.string();
}

// Every `*.test` file below `dir`, sorted by path; hidden folders (`.git`) are skipped.
std::vector<fs::path> tests_below(const fs::path& dir, std::string& error) {
  std::vector<fs::path> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  for (const fs::recursive_directory_iterator end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    const std::string name = p.filename().string();
    std::error_code type_ec;
    if (it->is_directory(type_ec)) {
      if (!name.empty() && name[0] == '.') it.disable_recursion_pending();
      continue;
    }
    if (p.extension() == ".test" && it->is_regular_file(type_ec)) out.push_back(p);
  }
  if (ec) error = fmt::format("{}: cannot list the folder: {}", dir.string(), ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

// The test files in the folder of `rules` whose `rules "..."` names it. A test file that does not
// parse is taken when its name matches (x.test for x.rules), so its errors are reported.
std::vector<fs::path> tests_beside(const fs::path& rules) {
  std::vector<fs::path> out;
  const fs::path dir = rules.parent_path().empty() ? fs::path(".") : rules.parent_path();
  const std::string want = identity(rules);
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    std::error_code type_ec;
    if (p.extension() != ".test" || !it->is_regular_file(type_ec)) continue;
    SourceSet sources;
    std::vector<Diagnostic> diags;
    const auto index = sources.load(p.string(), diags);
    if (!index) continue;
    const auto tf = testfile::parse_test_file(sources, *index, diags);
    if (tf ? identity(dir / tf->rules_path) == want : p.stem() == rules.stem()) out.push_back(p);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TestFileSearch find_test_files(const std::vector<std::string>& args) {
  TestFileSearch r;
  std::set<std::string> seen;
  auto take = [&](const fs::path& p, const std::string& root) {
    if (!seen.insert(identity(p)).second) return;
    r.files.push_back(p.string());
    r.roots.push_back(root);
  };
  for (const auto& a : args) {
    const fs::path p(a);
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::string error;
      const std::vector<fs::path> found = tests_below(p, error);
      if (!error.empty())
        r.errors.push_back(error);
      else if (found.empty())
        r.errors.push_back(fmt::format("{}: no test files (*.test) in this folder or below", a));
      for (const auto& f : found) take(f, a);
    } else if (p.extension() == ".rules") {
      const std::vector<fs::path> found = tests_beside(p);
      if (found.empty())
        r.errors.push_back(fmt::format(
            "{}: no test file beside it tests it (a *.test file in its folder with `rules \"{}\"`)",
            a, p.filename().string()));
      for (const auto& f : found) take(f, "");
    } else {
      take(p, "");
    }
  }
  return r;
}

}  // namespace rk::cli
