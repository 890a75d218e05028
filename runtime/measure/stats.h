// Rekindle measurement: the statistics of `rekindle measure`, in one place. The two-sided pooled
// two-proportion z test, the unpooled (Wald) 95% interval of a difference of proportions, the
// sample-ratio chi-square test with one degree of freedom, and medians. Formulas are exactly those
// of docs/measurement.md (spec: winback-program.md section 8); p-values go through std::erfc.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace rk::measure {

// The 97.5% quantile of the standard normal distribution: a 95% two-sided interval is
// estimate ± kZ95 × standard error.
inline constexpr double kZ95 = 1.959963984540054;

// Two-sided p-value of a standard normal statistic: P(|Z| >= |z|) = erfc(|z| / sqrt 2).
double two_sided_p(double z);

// Upper tail of the chi-square distribution with one degree of freedom: P(X >= x) =
// erfc(sqrt(x / 2)) (X is Z squared, so this is two_sided_p(sqrt x)).
double chi2_1df_p(double x);

// A comparison of two proportions: `treated` successes xt of nt against `control` xc of nc.
struct ProportionComparison {
  std::optional<double> rate_treated, rate_control;  // x / n; null when n is 0
  // The rest is null when either arm is empty.
  std::optional<double> lift;             // rate_treated - rate_control
  std::optional<double> ci_low, ci_high;  // lift ± kZ95 sqrt(rt(1-rt)/nt + rc(1-rc)/nc)
  std::optional<double> relative_lift;    // lift / rate_control; null when rate_control is 0
  std::optional<double> z;                // lift / se, se pooled (below); null when se is 0
  std::optional<double> p_value;          // two_sided_p(z); null when se is 0
};

// The pooled two-proportion z test: p = (xt + xc) / (nt + nc), se = sqrt(p (1 - p) (1/nt +
// 1/nc)), z = lift / se. Requires 0 <= x <= n for each arm.
ProportionComparison compare_proportions(int64_t xt, int64_t nt, int64_t xc, int64_t nc);

// The sample-ratio check: `held_out` of `units` were assigned to the holdout whose expected share
// is `expected` (a fraction). chi2 = (O - E)^2 / E + ((N - O) - (N - E))^2 / (N - E) with
// E = N × expected, which is (O - E)^2 / (N expected (1 - expected)).
struct SampleRatio {
  std::optional<double> chi2;     // null when units is 0
  std::optional<double> p_value;  // chi2_1df_p(chi2); null when units is 0
  bool mismatch = false;          // p_value < kSrmAlpha
};
inline constexpr double kSrmAlpha = 0.001;
// `expected_held_out` is E (N × share, or the sum of the units' own shares when they differ).
// A share of 0 or 1 leaves one cell with an expectation of 0: then the check is exact (p 1 when
// the observation equals the expectation, else 0).
SampleRatio sample_ratio(int64_t units, int64_t held_out, double expected_held_out);

// The median of integer values given as a histogram: counts[v] units have value v. The median of
// an even count is the mean of the two middle values. Null when every count is 0.
std::optional<double> median_of_histogram(std::span<const int64_t> counts);

// Compensated (Neumaier) summation: sums of many money amounts stay exact to the last bits, so the
// report does not depend on the order units are read or groups are merged in.
struct Sum {
  double sum = 0, comp = 0;
  void add(double v) {
    const double t = sum + v;
    if ((sum >= 0 ? sum : -sum) >= (v >= 0 ? v : -v))
      comp += (sum - t) + v;
    else
      comp += (v - t) + sum;
    sum = t;
  }
  void add(const Sum& o) {
    add(o.sum);
    add(o.comp);
  }
  double value() const { return sum + comp; }
};

}  // namespace rk::measure
