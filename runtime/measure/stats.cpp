// Rekindle measurement: the statistics (see stats.h). Every formula is written the way
// docs/measurement.md states it, so an independent computation of the spec agrees to the last
// bits rather than merely to a tolerance.
#include "runtime/measure/stats.h"

#include <cmath>

namespace rk::measure {

double two_sided_p(double z) {
  return std::erfc(std::fabs(z) / std::sqrt(2.0));
}

double chi2_1df_p(double x) {
  return std::erfc(std::sqrt(x / 2.0));
}

ProportionComparison compare_proportions(int64_t xt, int64_t nt, int64_t xc, int64_t nc) {
  ProportionComparison c;
  const double dxt = static_cast<double>(xt), dnt = static_cast<double>(nt);
  const double dxc = static_cast<double>(xc), dnc = static_cast<double>(nc);
  if (nt > 0) c.rate_treated = dxt / dnt;
  if (nc > 0) c.rate_control = dxc / dnc;
  if (nt == 0 || nc == 0) return c;
  const double rt = *c.rate_treated, rc = *c.rate_control;
  const double lift = rt - rc;
  c.lift = lift;
  const double half = kZ95 * std::sqrt(rt * (1 - rt) / dnt + rc * (1 - rc) / dnc);
  c.ci_low = lift - half;
  c.ci_high = lift + half;
  if (rc != 0) c.relative_lift = lift / rc;
  const double p = (dxt + dxc) / (dnt + dnc);
  const double se = std::sqrt(p * (1 - p) * (1 / dnt + 1 / dnc));
  if (se != 0) {
    c.z = lift / se;
    c.p_value = two_sided_p(*c.z);
  }
  return c;
}

SampleRatio sample_ratio(int64_t units, int64_t held_out, double expected_held_out) {
  SampleRatio s;
  if (units <= 0) return s;
  const double n = static_cast<double>(units);
  const double o1 = static_cast<double>(held_out), o2 = n - o1;
  const double e1 = expected_held_out, e2 = n - expected_held_out;
  if (e1 <= 0 || e2 <= 0) {
    // One cell cannot be filled: the observation either matches the certain expectation or not.
    const bool match = e1 <= 0 ? o1 == 0 : o2 == 0;
    s.chi2 = match ? 0.0 : HUGE_VAL;
    s.p_value = match ? 1.0 : 0.0;
  } else {
    s.chi2 = (o1 - e1) * (o1 - e1) / e1 + (o2 - e2) * (o2 - e2) / e2;
    s.p_value = chi2_1df_p(*s.chi2);
  }
  s.mismatch = *s.p_value < kSrmAlpha;
  return s;
}

std::optional<double> median_of_histogram(std::span<const int64_t> counts) {
  int64_t total = 0;
  for (const int64_t c : counts) total += c;
  if (total == 0) return std::nullopt;
  // 0-based ranks of the middle value(s): (total - 1) / 2 and total / 2.
  const int64_t lo_rank = (total - 1) / 2, hi_rank = total / 2;
  std::optional<double> lo, hi;
  int64_t seen = 0;
  for (size_t v = 0; v < counts.size() && !hi; ++v) {
    seen += counts[v];
    if (!lo && seen > lo_rank) lo = static_cast<double>(v);
    if (!hi && seen > hi_rank) hi = static_cast<double>(v);
  }
  return (*lo + *hi) / 2;
}

}  // namespace rk::measure
