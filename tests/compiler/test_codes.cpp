// Rekindle tests: the catalogue of the checker's diagnostic codes (compiler/check/codes.h). It is
// in enum order with unique codes and names; every catalogued code has its section in
// docs/diagnostics.md under its anchor, every documented checker code (RK02xx to RK04xx, unless
// marked unused) is catalogued; and no checker source writes a code as a string literal.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "compiler/check/codes.h"

namespace {

namespace fs = std::filesystem;
const fs::path kRoot = RK_SOURCE_DIR;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("codes: the catalogue is in enum order, codes and names unique", "[codes]") {
  const auto& cat = rk::check::catalog();
  REQUIRE(!cat.empty());
  std::set<std::string> codes, names;
  for (size_t i = 0; i < cat.size(); ++i) {
    INFO(cat[i].code);
    CHECK(static_cast<size_t>(cat[i].id) == i);
    CHECK(&rk::check::info(cat[i].id) == &cat[i]);
    CHECK(std::regex_match(std::string(cat[i].code), std::regex("RK0[0-9]{3}")));
    CHECK(codes.insert(std::string(cat[i].code)).second);
    CHECK(names.insert(std::string(cat[i].name)).second);
    CHECK(!cat[i].summary.empty());
  }
  CHECK(static_cast<size_t>(rk::check::Code::Owner) == cat.size() - 1);
}

TEST_CASE("codes: catalogue and docs/diagnostics.md agree", "[codes]") {
  const std::string doc = read_file(kRoot / "docs" / "diagnostics.md");
  REQUIRE(!doc.empty());
  std::set<std::string> catalogued;
  for (const auto& c : rk::check::catalog()) {
    const std::string code(c.code);
    catalogued.insert(code);
    INFO(code);
    // The anchor, then the section's heading.
    const std::string anchor = "<a id=\"" + std::string(c.anchor) + "\"></a>\n### " + code + " ";
    CHECK(doc.find(anchor) != std::string::npos);
  }
  static const std::regex heading(R"(\n### (RK0[2-4][0-9]{2}) ([^\n]*))");
  size_t documented = 0;
  for (std::sregex_iterator it(doc.begin(), doc.end(), heading), end; it != end; ++it) {
    const std::string code = (*it)[1], title = (*it)[2];
    INFO(code << " " << title);
    if (title.find("(unused)") != std::string::npos) {
      CHECK(catalogued.count(code) == 0);
      continue;
    }
    ++documented;
    CHECK(catalogued.count(code) == 1);
  }
  // RK0106 and RK0107, which the parser reports too, are documented with the syntax errors.
  CHECK(documented + 2 == catalogued.size());
}

TEST_CASE("codes: checker sources name codes through the catalogue", "[codes]") {
  static const std::regex literal(R"re("RK[0-9]{4}")re");
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(kRoot / "compiler" / "check")) {
    const std::string name = e.path().filename().string();
    if (name == "codes.cpp" || name == "codes.h") continue;
    ++files;
    const std::string text = read_file(e.path());
    std::smatch m;
    INFO(name);
    CHECK_FALSE(std::regex_search(text, m, literal));
  }
  CHECK(files > 0);
}
