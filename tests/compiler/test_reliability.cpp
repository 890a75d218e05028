// Rekindle tests: the compiler side of docs/reliability.md. Lone CR line ends (classic Mac) are
// line ends everywhere (a `#` comment ends at one; nothing after it is lost; diagnostics count
// lines; fmt keeps every rule); `--param` values are accepted exactly when a snapshot would
// accept them, besides the rule file's own literals; numbers that run into letters, fractional
// day counts and the year 0000 are errors, never silently something else.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "base/value_parse.h"
#include "compiler/check/compile.h"
#include "compiler/check/param_value.h"
#include "compiler/format/format.h"
#include "compiler/ir/program.h"

namespace {

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

rk::CompileResult compile_text(const std::string& text, const rk::CompileOptions& opts = {}) {
  return rk::compile_rules_text(std::string(RK_SOURCE_DIR) + "/rules/test.rules", text, opts);
}

std::string with_line_ends(std::string text, const std::string& end) {
  std::string out;
  for (char c : text) {
    if (c == '\n')
      out += end;
    else
      out += c;
  }
  return out;
}

std::string errors_of(const rk::CompileResult& r) {
  std::string out;
  for (const auto& d : r.diags) out += rk::render_text(r.sources, d);
  return out;
}

}  // namespace

TEST_CASE("reliability: lone CR line ends are line ends everywhere", "[reliability]") {
  const std::string lf = read(std::string(RK_SOURCE_DIR) + "/rules/winback.rules");
  REQUIRE(lf.find('#') != std::string::npos);  // comments run to a line end
  const rk::CompileResult a = compile_text(lf);
  REQUIRE(a.program);
  for (const std::string end : {"\r", "\r\n"}) {
    INFO("line end " << (end == "\r" ? "CR" : "CRLF"));
    const rk::CompileResult b = compile_text(with_line_ends(lf, end));
    INFO(errors_of(b));
    REQUIRE(b.program);
    CHECK(rk::ir::dump(*b.program) == rk::ir::dump(*a.program));
    CHECK(b.map.rules.size() == a.map.rules.size());
    // fmt of the CR file gives the canonical (LF) layout, with every rule kept.
    const rk::FormatResult fa = rk::format_text("a.rules", lf);
    const rk::FormatResult fb = rk::format_text("b.rules", with_line_ends(lf, end));
    REQUIRE(fa.text);
    REQUIRE(fb.text);
    CHECK(*fb.text == *fa.text);
  }
  // Diagnostics count CR-ended lines.
  const rk::CompileResult bad =
      compile_text("import \"customer.schema\"\r# a comment\rcandidate when nope\r");
  REQUIRE_FALSE(bad.program);
  CHECK(errors_of(bad).find("test.rules:3:16: error[RK0201]") != std::string::npos);
}

TEST_CASE("reliability: --param values are read as a rule file or a snapshot writes them",
          "[reliability]") {
  using rk::ParamKind;
  auto ok = [](ParamKind k, const char* text) {
    rk::ParamValue v;
    std::string why;
    INFO(text << ": " << why);
    return rk::read_param_value(k, text, v, why);
  };
  auto value = [](ParamKind k, const char* text) {
    rk::ParamValue v;
    std::string why;
    REQUIRE(rk::read_param_value(k, text, v, why));
    return v;
  };
  // Rule-file literals and snapshot values are accepted...
  CHECK(value(ParamKind::Money, "$300").f == 300);
  CHECK(value(ParamKind::Money, "300").f == 300);
  CHECK(value(ParamKind::Money, "300").text == "$300");
  CHECK(value(ParamKind::Money, "-$5").f == -5);
  CHECK(value(ParamKind::Money, "1e3").f == 1000);
  CHECK(value(ParamKind::Number, "2.5").f == 2.5);
  CHECK(value(ParamKind::Percent, "7%").f == 0.07);
  CHECK(value(ParamKind::Days, "2 weeks").i == 14);
  CHECK(value(ParamKind::Days, "2 weeks").text == "2 weeks");
  CHECK(value(ParamKind::Days, "14").i == 14);
  CHECK(value(ParamKind::Days, "14").text == "14 days");
  CHECK(value(ParamKind::Days, "1").text == "1 day");
  CHECK(value(ParamKind::Days, "10days").i == 10);
  CHECK(value(ParamKind::Int, "-3").i == -3);
  CHECK(value(ParamKind::Bool, "TRUE").b);
  CHECK(value(ParamKind::Date, "2026-11-01").text == "2026-11-01");
  // ...and nothing else: spaces, `$-5`, out of range, NaN, fractions of days, bare percents.
  for (const char* bad : {" 5", "5 ", "$-5", "1e-400", "1e400", "nan", "NaN", "$", "", "5%",
                          "1,000", "$1,000", "0x10", "5 dollars"})
    CHECK_FALSE(ok(ParamKind::Money, bad));
  for (const char* bad : {"1.5 days", "2 weeks ", "2 fortnights", "7.0", "-", "1e2"})
    CHECK_FALSE(ok(ParamKind::Days, bad));
  for (const char* bad : {"5", "0.05", "5 %", "%5", "$5%"})
    CHECK_FALSE(ok(ParamKind::Percent, bad));
  for (const char* bad : {"0000-01-01", "2026-02-30", "2026-1-1", " 2026-11-01"})
    CHECK_FALSE(ok(ParamKind::Date, bad));
  CHECK_FALSE(ok(ParamKind::Int, "99999999999999999999"));
  CHECK_FALSE(ok(ParamKind::Bool, "yes"));
}

TEST_CASE("reliability: a number --param accepts what a snapshot's number column accepts",
          "[reliability]") {
  // The snapshot's own definition (base/value_parse.h, used by the CSV reader) decides;
  // besides it only the rule file's decimal literals (with `-`) are accepted.
  for (const char* text : {"0",      "-0",    "+1",    "1.5",      ".5",     "5.",    "1e5", "1E-5",
                           "-2.5e3", "inf",   "-inf",  "infinity", "1e-400", "1e400", "nan", " 1",
                           "1 ",     "1_000", "0x1p3", "--1",      "+-1",    "1e",    "e1",  "١"}) {
    INFO(text);
    double snapshot = 0;
    const bool in_snapshot = rk::parse_number(text, snapshot) == rk::NumParse::Ok;
    rk::ParamValue v;
    std::string why;
    const bool as_param = rk::read_param_value(rk::ParamKind::Number, text, v, why);
    CHECK(as_param == in_snapshot);
    if (as_param && in_snapshot && !std::isnan(snapshot)) CHECK(v.f == snapshot);
  }
}

TEST_CASE("reliability: literals are exactly what they look like", "[reliability]") {
  auto error = [](const std::string& body) {
    const rk::CompileResult r = compile_text("import \"customer.schema\"\n" + body);
    return errors_of(r);
  };
  CHECK(error("candidate when avg_order_value > 1e300\n")
            .find("error[RK0109]: `1e300` is not a number: letters or digits run on from `1`") !=
        std::string::npos);
  CHECK(error("candidate when avg_order_value > $5k\n").find("error[RK0109]: `$5k`") !=
        std::string::npos);
  CHECK(error("candidate when days since last_purchase_date > 5dayz\n").find("RK0109") !=
        std::string::npos);
  CHECK(error("parameter gap = 1.5 days\ncandidate when days since last_purchase_date > gap\n")
            .find("error[RK0110]: `1.5 days`: a number of days must be whole") !=
        std::string::npos);
  CHECK(error("candidate when last_purchase_date > 0000-01-01\n")
            .find("error[RK0104]: invalid date `0000-01-01`: the year must be 0001 to 9999") !=
        std::string::npos);
  // Still numbers: units written together or apart.
  CHECK(error("candidate when days since last_purchase_date > 5days\n").empty());
  CHECK(error("candidate when days since last_purchase_date > 2 weeks\n").empty());
  CHECK(error("candidate when gross_margin_pct > 5%\n").empty());
}
