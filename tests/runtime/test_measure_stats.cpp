// Rekindle tests: the measurement statistics (runtime/measure/stats.h) against published values
// and high-precision references.
//
// Reference values that are not textbook constants were computed with mpmath at 40 significant
// digits, straight from the formulas of docs/measurement.md (so they are the exact values the
// double computation approximates; scipy.stats gives the same to ~1e-15):
//
//   from mpmath import mp, mpf, erfc, sqrt, fabs
//   mp.dps = 40
//   p2 = lambda z: erfc(fabs(z) / sqrt(2))
//   def cmp(xt, nt, xc, nc):
//       rt, rc = mpf(xt) / nt, mpf(xc) / nc; lift = rt - rc
//       half = mpf('1.959963984540054') * sqrt(rt*(1-rt)/nt + rc*(1-rc)/nc)
//       p = mpf(xt + xc) / (nt + nc); z = lift / sqrt(p*(1-p)*(mpf(1)/nt + mpf(1)/nc))
//       return lift, lift - half, lift + half, lift / rc, z, p2(z)
//   def srm(n, o, s):
//       e1 = mpf(n) * s; e2 = n - e1
//       chi = (o - e1)**2 / e1 + ((n - o) - e2)**2 / e2
//       return chi, erfc(sqrt(chi / 2))
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "runtime/measure/stats.h"

using namespace rk::measure;

namespace {

// Relative closeness for values computed through erfc/sqrt in double precision.
bool close(double got, double want, double rel = 1e-13) {
  return std::fabs(got - want) <= rel * std::fabs(want);
}

}  // namespace

TEST_CASE("Two-sided normal p-values match the published tail areas", "[measure][stats]") {
  // 1.959963984540054 is the 97.5% normal quantile (scipy.stats.norm.ppf(0.975)): p = 0.05.
  CHECK(close(two_sided_p(1.959963984540054), 0.050000000000000027531));
  CHECK(close(two_sided_p(-1.959963984540054), 0.050000000000000027531));
  // The 68-95-99.7 rule's exact tails: P(|Z| > 1) and P(|Z| > 3).
  CHECK(close(two_sided_p(1.0), 0.31731050786291410283));
  CHECK(close(two_sided_p(3.0), 0.0026997960632601890533));
  CHECK(close(two_sided_p(0.5), 0.61707507745197379272));
  // Far in the tail erfc keeps its relative precision (1 - cdf would not).
  CHECK(close(two_sided_p(6.0), 1.9731752900753962814e-9, 1e-12));
  CHECK(two_sided_p(0.0) == 1.0);
}

TEST_CASE("Chi-square with one degree of freedom matches the published critical values",
          "[measure][stats]") {
  // Critical values of chi-square(1) at 5%, 1% and 0.1% (every statistics table's first row).
  CHECK(close(chi2_1df_p(3.841458820694124), 0.050000000000000058397));
  CHECK(close(chi2_1df_p(6.634896601021214), 0.010000000000000006391));
  CHECK(close(chi2_1df_p(10.827566170662733), 0.00099999999999999961822));
  CHECK(chi2_1df_p(0.0) == 1.0);
}

TEST_CASE("Two-proportion comparison: the z test and the Wald interval", "[measure][stats]") {
  SECTION("12% of 1000 against 9% of 1000") {
    // By hand: p = 210/2000 = 0.105, se = sqrt(0.105 x 0.895 x 0.002) = 0.0137095, z = 2.18827.
    const auto c = compare_proportions(120, 1000, 90, 1000);
    REQUIRE(c.lift);
    CHECK(close(*c.rate_treated, 0.12));
    CHECK(close(*c.rate_control, 0.09));
    CHECK(close(*c.lift, 0.03, 1e-14));
    CHECK(close(*c.ci_low, 0.0031620878442426441404, 1e-12));
    CHECK(close(*c.ci_high, 0.05683791215575735586));
    CHECK(close(*c.relative_lift, 0.33333333333333333333));
    CHECK(close(*c.z, 2.1882658846227236262));
    CHECK(close(*c.p_value, 0.028650240398448450817));
  }
  SECTION("unequal arms: 13% of 10000 against 12% of 500") {
    const auto c = compare_proportions(1300, 10000, 60, 500);
    CHECK(close(*c.lift, 0.01, 1e-13));
    CHECK(close(*c.ci_low, -0.019236330176556868294));
    CHECK(close(*c.ci_high, 0.039236330176556868294));
    CHECK(close(*c.relative_lift, 0.083333333333333333333, 1e-13));
    CHECK(close(*c.z, 0.64988587768124722914, 1e-13));
    CHECK(close(*c.p_value, 0.51576594105492832586));
  }
  SECTION("a negative lift") {
    const auto c = compare_proportions(45, 500, 58, 480);
    CHECK(close(*c.lift, -0.030833333333333333333));
    CHECK(close(*c.ci_low, -0.069296496609587852239));
    CHECK(close(*c.ci_high, 0.0076298299429211855724, 1e-12));
    CHECK(close(*c.relative_lift, -0.25517241379310344828));
    CHECK(close(*c.z, -1.5733332745413952113));
    CHECK(close(*c.p_value, 0.11564166844116685178));
  }
  SECTION("an empty arm leaves everything but the other arm's rate null") {
    const auto c = compare_proportions(5, 10, 0, 0);
    CHECK(c.rate_treated == 0.5);
    CHECK_FALSE(c.rate_control);
    CHECK_FALSE(c.lift);
    CHECK_FALSE(c.ci_low);
    CHECK_FALSE(c.relative_lift);
    CHECK_FALSE(c.p_value);
    const auto d = compare_proportions(0, 0, 0, 0);
    CHECK_FALSE(d.rate_treated);
    CHECK_FALSE(d.lift);
  }
  SECTION("no variation: the p-value is null, the interval a point") {
    const auto c = compare_proportions(0, 50, 0, 40);
    CHECK(*c.lift == 0);
    CHECK(*c.ci_low == 0);
    CHECK(*c.ci_high == 0);
    CHECK_FALSE(c.relative_lift);  // the control rate is 0
    CHECK_FALSE(c.p_value);
    const auto d = compare_proportions(50, 50, 40, 40);
    CHECK(*d.lift == 0);
    CHECK(*d.relative_lift == 0);
    CHECK_FALSE(d.p_value);
  }
  SECTION("all reactivated in one arm, none in the other") {
    const auto c = compare_proportions(10, 10, 0, 10);
    CHECK(*c.lift == 1);
    CHECK(*c.ci_low == 1);  // both rates are 0 or 1: no sampling variance
    // p = 1/2, se = sqrt(1/4 x 2/10), z = 1 / sqrt(0.05) = 4.4721...
    CHECK(close(*c.z, 1 / std::sqrt(0.05)));
    CHECK(close(*c.p_value, std::erfc(1 / std::sqrt(0.05) / std::sqrt(2.0))));
  }
}

TEST_CASE("Sample-ratio check", "[measure][stats]") {
  SECTION("exactly the expected share") {
    const auto s = sample_ratio(10000, 500, 500.0);
    CHECK(*s.chi2 == 0);
    CHECK(*s.p_value == 1);
    CHECK_FALSE(s.mismatch);
  }
  SECTION("5.6% held out of 10000 at 5%: suspicious, not a mismatch") {
    const auto s = sample_ratio(10000, 560, 10000 * 0.05);
    CHECK(close(*s.chi2, 7.5789473684210526316, 1e-12));
    CHECK(close(*s.p_value, 0.0059053915325932485206, 1e-12));
    CHECK_FALSE(s.mismatch);
  }
  SECTION("6.2% held out of 10000 at 5%: a mismatch") {
    const auto s = sample_ratio(10000, 620, 10000 * 0.05);
    CHECK(close(*s.chi2, 30.315789473684210526, 1e-12));
    CHECK(close(*s.p_value, 3.6712518520789835867e-8, 1e-11));
    CHECK(s.mismatch);
  }
  SECTION("a coin: 1050 of 2000 at 50%") {
    // (1050 - 1000)^2 / 1000 twice = 5; P(chi2(1) > 5) = erfc(sqrt(2.5)).
    const auto s = sample_ratio(2000, 1050, 1000.0);
    CHECK(*s.chi2 == 5.0);
    CHECK(close(*s.p_value, 0.025347318677468263932));
  }
  SECTION("no units: no test") {
    const auto s = sample_ratio(0, 0, 0.0);
    CHECK_FALSE(s.chi2);
    CHECK_FALSE(s.p_value);
    CHECK_FALSE(s.mismatch);
  }
  SECTION("a share of 100%: exact") {
    CHECK(*sample_ratio(10, 10, 10.0).p_value == 1);
    CHECK(sample_ratio(10, 9, 10.0).mismatch);
  }
}

TEST_CASE("Medians of day histograms", "[measure][stats]") {
  CHECK_FALSE(median_of_histogram(std::vector<int64_t>{}));
  CHECK_FALSE(median_of_histogram(std::vector<int64_t>{0, 0, 0}));
  CHECK(*median_of_histogram(std::vector<int64_t>{0, 0, 0, 1}) == 3);
  // {1, 4}: an even count takes the mean of the two middle values.
  CHECK(*median_of_histogram(std::vector<int64_t>{0, 1, 0, 0, 1}) == 2.5);
  // {1, 1, 2, 9}: middle values 1 and 2.
  CHECK(*median_of_histogram(std::vector<int64_t>{0, 2, 1, 0, 0, 0, 0, 0, 0, 1}) == 1.5);
  // {2, 2, 2, 5, 7}: odd count.
  CHECK(*median_of_histogram(std::vector<int64_t>{0, 0, 3, 0, 0, 1, 0, 1}) == 2);
}

TEST_CASE("Compensated sums do not lose cents", "[measure][stats]") {
  Sum s;
  s.add(1e16);
  for (int i = 0; i < 1000; ++i) s.add(0.01);
  s.add(-1e16);
  CHECK(close(s.value(), 10.0, 1e-12));
  Sum a, b;
  for (int i = 0; i < 10; ++i) a.add(0.1);
  b.add(a);
  CHECK(b.value() == 1.0);
}
