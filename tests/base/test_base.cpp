// Rekindle base tests: ISO dates (civil conversions over the whole range snapshots use, strict
// parsing, formatting of any day count), FNV-1a against published vectors and its interleaved
// form, and the string-literal scanner and unescaper shared by both grammars.
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "base/date.h"
#include "base/fnv1a.h"
#include "base/literal.h"

using namespace rk;

TEST_CASE("base: civil dates and day counts convert both ways", "[base][date]") {
  CHECK(days_from_civil(1970, 1, 1) == 0);
  CHECK(days_from_civil(2026, 11, 1) == 20758);
  CHECK(days_from_civil(2000, 3, 1) == 11017);
  CHECK(days_from_civil(1969, 12, 31) == -1);
  // Every day of years 0001..9999 (and a margin) round-trips, one day after another.
  int64_t days = days_from_civil(-2, 1, 1);
  for (int64_t y = -2; y <= 10001; ++y)
    for (unsigned m = 1; m <= 12; ++m)
      for (unsigned d = 1; d <= days_in_month(y, m); ++d) {
        const CivilDate c = civil_from_days(days);
        REQUIRE(c.year == y);
        REQUIRE(c.month == m);
        REQUIRE(c.day == d);
        REQUIRE(days_from_civil(y, m, d) == days);
        ++days;
      }
  CHECK(is_leap_year(2024));
  CHECK(is_leap_year(2000));
  CHECK_FALSE(is_leap_year(1900));
  CHECK(days_in_month(2024, 2) == 29);
  CHECK(days_in_month(2026, 2) == 28);
  CHECK(days_in_month(2026, 12) == 31);
}

TEST_CASE("base: ISO dates parse strictly", "[base][date]") {
  int32_t d = -7;
  REQUIRE(parse_iso_date("2026-11-01", d));
  CHECK(d == 20758);
  REQUIRE(parse_iso_date("2024-02-29", d));
  CHECK(d == days_from_civil(2024, 2, 29));
  REQUIRE(parse_iso_date("0001-01-01", d));
  REQUIRE(parse_iso_date("9999-12-31", d));
  for (const char* bad : {"2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-04-00",
                          "0000-01-01", "2026-1-01", "2026/11/01", "2026-11-01 ", " 2026-11-01",
                          "20261101", "", "2026-11-0x", "+026-11-01"}) {
    INFO(bad);
    d = 5;
    CHECK_FALSE(parse_iso_date(bad, d));
    CHECK(d == 5);
  }
  // The shape alone: numbers as written, no range check.
  const auto c = split_iso_date("2026-13-00");
  REQUIRE(c);
  CHECK(c->year == 2026);
  CHECK(c->month == 13);
  CHECK(c->day == 0);
  CHECK_FALSE(split_iso_date("2026-1a-00"));
  CHECK_FALSE(split_iso_date("2026-10-001"));
}

TEST_CASE("base: dates format as YYYY-MM-DD for any day count", "[base][date]") {
  CHECK(format_iso_date(0) == "1970-01-01");
  CHECK(format_iso_date(20758) == "2026-11-01");
  CHECK(format_iso_date(days_from_civil(1, 1, 1)) == "0001-01-01");
  CHECK(format_iso_date(days_from_civil(9999, 12, 31)) == "9999-12-31");
  // Outside 0001..9999 the year is zero-padded to four characters, sign included.
  CHECK(format_iso_date(days_from_civil(0, 12, 31)) == "0000-12-31");
  CHECK(format_iso_date(days_from_civil(-1, 3, 4)) == "-001-03-04");
  CHECK(format_iso_date(days_from_civil(10000, 1, 1)) == "10000-01-01");
  CHECK(format_iso_date(INT32_MIN) == "-5877641-06-23");
  CHECK(format_iso_date(INT32_MAX) == "5881580-07-11");
  std::string s = "x";
  CHECK(append_iso_date(s, 20758));
  CHECK(s == "x2026-11-01");
  CHECK_FALSE(append_iso_date(s, days_from_civil(0, 12, 31)));
  CHECK_FALSE(append_iso_date(s, days_from_civil(10000, 1, 1)));
  CHECK(s == "x2026-11-01");
  // Formatting and parsing are inverse over the range snapshots hold.
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int32_t> any(static_cast<int32_t>(days_from_civil(1, 1, 1)),
                                             static_cast<int32_t>(days_from_civil(9999, 12, 31)));
  for (int k = 0; k < 20000; ++k) {
    const int32_t day = any(rng);
    int32_t back = 0;
    REQUIRE(parse_iso_date(format_iso_date(day), back));
    REQUIRE(back == day);
  }
}

TEST_CASE("base: FNV-1a 64 matches the published test vectors", "[base][fnv]") {
  CHECK(fnv1a64("") == 0xcbf29ce484222325ull);
  CHECK(fnv1a64("a") == 0xaf63dc4c8601ec8cull);
  CHECK(fnv1a64("foobar") == 0x85944171f73967e8ull);
  CHECK(fnv1a64_update(fnv1a64("foo"), "bar") == fnv1a64("foobar"));
  static_assert(fnv1a64("a") == 0xaf63dc4c8601ec8cull);
  // The interleaved form equals the scalar hash, for strings of different lengths.
  const std::string texts[8] = {"",  "a",  "winback:C000001",    "xyz", "0123456789abcdef",
                                "é", "C1", std::string(100, 'q')};
  std::string_view views[8];
  for (int i = 0; i < 8; ++i) views[i] = texts[i];
  uint64_t out[8];
  fnv1a64_update_lanes<8>(kFnvOffset, views, out);
  for (int i = 0; i < 8; ++i) CHECK(out[i] == fnv1a64(texts[i]));
}

TEST_CASE("base: string literals are scanned and unescaped", "[base][literal]") {
  using Status = StringLiteralScan::Status;
  auto scan = [](std::string_view t) { return scan_string_literal(t); };
  CHECK(scan("abc").status == Status::NotAString);
  CHECK(scan("").status == Status::NotAString);
  auto ok = scan(R"("a b" rest)");
  REQUIRE(ok.status == Status::Ok);
  CHECK(ok.length == 5);
  ok = scan(R"("say \"hi\" \\ now" x)");
  REQUIRE(ok.status == Status::Ok);
  CHECK(ok.length == 19);
  CHECK(unescape_string_literal(std::string_view(R"("say \"hi\" \\ now")")) == R"(say "hi" \ now)");
  CHECK(unescape_string_literal("\"\"") == "");
  const auto bad = scan(R"("a\nb")");
  REQUIRE(bad.status == Status::BadEscape);
  CHECK(bad.error_offset == 2);
  CHECK(bad.error_length == 2);
  const auto bad_end = scan("\"a\\");
  REQUIRE(bad_end.status == Status::BadEscape);
  CHECK(bad_end.error_offset == 2);
  CHECK(bad_end.error_length == 1);
  CHECK(scan("\"abc").status == Status::Unterminated);
  CHECK(scan("\"abc\n\"").status == Status::Unterminated);
  CHECK(scan("\"ab\\\"").status == Status::Unterminated);  // the only quote is escaped
  CHECK(scan("\"abc").error_offset == 0);
}
