// Rekindle measurement: `rekindle measure` as a library. Streams the events of one or more runs
// (runtime/measure/events.h), joins each unit with its customer's outcomes (CSV or Arrow, through
// the snapshot readers), and totals treated and control units per run and sequence: overall, by
// touch, step, channel, offer, variant and every segment family; the sample-ratio check; the
// comparison of variants and their verdicts. Pooled figures are the runs' totals added up.
// Spec: winback-program.md sections 8 and 9; formulas: docs/measurement.md.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runtime/measure/plan.h"
#include "runtime/measure/stats.h"

namespace rk {
struct Schema;
}

namespace rk::measure {

struct Options {
  int window_days = 30;      // an outcome counts when as_of < date <= as_of + window_days
  int64_t min_sample = 100;  // units each arm of a variant comparison needs for a verdict
  // Called now and then with the bytes of events read so far and their total (0: unknown).
  std::function<void(uint64_t done, uint64_t total)> progress;
};

inline constexpr int kMaxWindowDays = 3650;
inline constexpr int kLtvDays = 90;  // reactivated_ltv_90d: purchases on d0 .. d0 + 89

// Totals of one arm of a group.
struct ArmTotals {
  int64_t units = 0, reactivated = 0, unsubscribed = 0, complained = 0;
  Sum revenue;  // purchase revenue in the window
};

// Everything a group's metrics are computed from; groups add up (pooled = the runs' sum).
struct GroupTotals {
  ArmTotals treated, control;
  Sum incentive_cost;         // treated units' incentive_cost of purchases in the window
  Sum ltv;                    // reactivated treated units' purchases d0 .. d0 + 89
  std::vector<int64_t> days;  // [d]: reactivated treated units whose first purchase is day d
  void merge(const GroupTotals& o);
};

// The metrics of one group (section 8), null where the spec says so.
struct Metrics {
  int64_t treated = 0, control = 0, reactivated_treated = 0, reactivated_control = 0;
  std::optional<double> rate_treated, rate_control, lift, ci_low, ci_high, relative_lift, p_value;
  std::optional<double> incremental_reactivations, revenue_per_treated, revenue_per_control,
      incremental_revenue;
  double incentive_cost = 0;
  std::optional<double> incentive_efficiency;
  std::optional<double> unsubscribe_rate_treated, unsubscribe_rate_control, complaint_rate_treated,
      complaint_rate_control;
  std::optional<double> median_days_to_reactivate, reactivated_ltv_90d;
};
Metrics metrics_of(const GroupTotals& g);

enum class Verdict { Winning, Losing, Undecided };
const char* verdict_name(Verdict v);

// One variant after the first of a touch, against the first (treated units at that touch).
struct VariantComparison {
  int touch = 0;
  std::string step, variant, control;
  int64_t treated = 0, control_treated = 0;
  int64_t reactivated = 0, control_reactivated = 0;
  std::optional<double> lift, p_value;
  Verdict verdict = Verdict::Undecided;
};

struct Breakdown {
  std::string name;  // touch, step, channel, offer, variant, or a segment family
  std::vector<std::pair<std::string, GroupTotals>> groups;  // key order as reported
};

struct SequenceResult {
  std::string sequence;
  double holdout_share = 0;  // percent
  bool has_holdout = false;  // false: `srm` is null
  int64_t srm_units = 0, srm_held_out = 0;
  double srm_expected_share = 0;
  SampleRatio srm;
  GroupTotals overall;
  std::vector<Breakdown> by;
  std::vector<VariantComparison> variants;
  // [d]: control units whose first purchase in the window is on day d (the treated ones are
  // overall.days), for the cumulative reactivation chart.
  std::vector<int64_t> control_days;
};

struct RunResult {
  std::string run_id;
  std::optional<int32_t> as_of;  // null for the pooled figures
  std::vector<SequenceResult> sequences;
};

struct Report {
  int window_days = 30;
  int64_t min_sample = 100;
  std::vector<RunResult> runs;
  RunResult pooled;
  // What was read.
  int64_t events = 0, units = 0, repeated = 0, outcomes = 0;
};

// The fixed schema of an outcomes file: customer_id string, date date, kind enum {purchase,
// unsubscribe, complaint}, revenue money (missing: 0), incentive_cost money (missing: 0).
Schema outcomes_schema();

// Measures the events in `event_files` (in order) against the outcomes in `outcomes_file`.
// Returns false and sets `error` (`FILE:LINE: ...` or `FILE:ROW: column NAME: ...`) on bad input.
bool measure(const MeasurePlan& plan, const std::vector<std::string>& event_files,
             const std::string& outcomes_file, const Options& options, Report& report,
             std::string& error);

// The report file (`--out`): {"window_days", "runs", "pooled"}, section 8's shape.
std::string report_json(const Report& report);
// The variants paused by the pooled figures, `SEQUENCE.TOUCH.VARIANT` in plan order: every
// losing variant, and a touch's first variant when some variant wins against it.
std::vector<std::string> paused_variants(const Report& report);
// The verdicts file (`--verdicts`): {"paused": [...]}.
std::string verdicts_json(const Report& report);
// The HTML report (`--html`): one self-contained page (runtime/measure/html.cpp).
std::string report_html(const Report& report, const MeasurePlan& plan);

}  // namespace rk::measure
