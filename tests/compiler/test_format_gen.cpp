// Rekindle tests: the random rule-file generator (tests/gen) produces files that compile without
// errors for 1,000 seeds in every flavour (plain, messy layout, with comments), deterministically.
#include <catch2/catch.hpp>

#include <string>

#include "compiler/check/compile.h"
#include "tests/gen/rule_file_gen.h"

using namespace rk;

namespace {

std::string errors_of(const CompileResult& r) {
  std::string out;
  for (const auto& d : r.diags)
    if (d.severity == Severity::Error) out += render_text(r.sources, d);
  return out;
}

}  // namespace

TEST_CASE("Generator: 1,000 random rule files compile without errors", "[format][gen]") {
  for (uint64_t seed = 1; seed <= 1000; ++seed) {
    testgen::RuleFileOptions o;
    o.seed = seed;
    o.schema_path = "customer.schema";  // next to rules/gen_N.rules
    o.messy = seed % 3 == 1;
    o.comments = seed % 3 == 2;
    const std::string text = testgen::generate_rule_file(o);
    const CompileResult r = compile_rules_text(
        std::string(RK_SOURCE_DIR) + "/rules/gen_" + std::to_string(seed) + ".rules", text);
    const std::string errors = errors_of(r);
    if (!errors.empty() || !r.program) {
      INFO("seed " << seed << "\n" << text << "\n" << errors);
      REQUIRE(r.program);
    }
  }
}

TEST_CASE("Generator: a seed always gives the same file, seeds differ", "[format][gen]") {
  testgen::RuleFileOptions a;
  a.seed = 42;
  testgen::RuleFileOptions b = a;
  CHECK(testgen::generate_rule_file(a) == testgen::generate_rule_file(b));
  b.seed = 43;
  CHECK(testgen::generate_rule_file(a) != testgen::generate_rule_file(b));
}
