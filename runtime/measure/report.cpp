// Rekindle measurement: the report file (`--out`, section 8's shape) and the verdicts file
// (`--verdicts`) written from a Report with nlohmann::json, and the paused set they share (see
// measure.h).
#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/date.h"
#include "runtime/measure/measure.h"

namespace rk::measure {

namespace {

using nlohmann::json;

json opt(const std::optional<double>& v) {
  return v ? json(*v) : json(nullptr);
}

json share_json(double share) {
  if (share == std::trunc(share) && share >= 0 && share <= 100)
    return json(static_cast<int64_t>(share));
  return json(share);
}

json metrics_json(const GroupTotals& g) {
  const Metrics m = metrics_of(g);
  json j = json::object();
  j["treated"] = m.treated;
  j["control"] = m.control;
  j["reactivated_treated"] = m.reactivated_treated;
  j["reactivated_control"] = m.reactivated_control;
  j["rate_treated"] = opt(m.rate_treated);
  j["rate_control"] = opt(m.rate_control);
  j["lift"] = opt(m.lift);
  j["lift_ci95"] = m.ci_low ? json::array({*m.ci_low, *m.ci_high}) : json(nullptr);
  j["relative_lift"] = opt(m.relative_lift);
  j["p_value"] = opt(m.p_value);
  j["incremental_reactivations"] = opt(m.incremental_reactivations);
  j["revenue_per_treated"] = opt(m.revenue_per_treated);
  j["revenue_per_control"] = opt(m.revenue_per_control);
  j["incremental_revenue"] = opt(m.incremental_revenue);
  j["incentive_cost"] = m.incentive_cost;
  j["incentive_efficiency"] = opt(m.incentive_efficiency);
  j["unsubscribe_rate_treated"] = opt(m.unsubscribe_rate_treated);
  j["unsubscribe_rate_control"] = opt(m.unsubscribe_rate_control);
  j["complaint_rate_treated"] = opt(m.complaint_rate_treated);
  j["complaint_rate_control"] = opt(m.complaint_rate_control);
  j["median_days_to_reactivate"] = opt(m.median_days_to_reactivate);
  j["reactivated_ltv_90d"] = opt(m.reactivated_ltv_90d);
  return j;
}

json sequence_json(const SequenceResult& s) {
  json j = json::object();
  j["sequence"] = s.sequence;
  j["holdout_share"] = share_json(s.holdout_share);
  if (s.has_holdout) {
    json srm = json::object();
    srm["units"] = s.srm_units;
    srm["held_out"] = s.srm_held_out;
    srm["expected_share"] = s.srm_expected_share;
    srm["p_value"] = opt(s.srm.p_value);
    srm["mismatch"] = s.srm.mismatch;
    j["srm"] = std::move(srm);
  } else {
    j["srm"] = nullptr;
  }
  j["overall"] = metrics_json(s.overall);
  json by = json::object();
  for (const Breakdown& b : s.by) {
    json groups = json::object();
    for (const auto& [key, g] : b.groups) groups[key] = metrics_json(g);
    by[b.name] = std::move(groups);
  }
  j["by"] = std::move(by);
  json variants = json::array();
  for (const VariantComparison& v : s.variants) {
    json e = json::object();
    e["touch"] = v.touch;
    e["step"] = v.step;
    e["variant"] = v.variant;
    e["control"] = v.control;
    e["treated"] = v.treated;
    e["control_treated"] = v.control_treated;
    e["lift"] = opt(v.lift);
    e["p_value"] = opt(v.p_value);
    e["verdict"] = verdict_name(v.verdict);
    variants.push_back(std::move(e));
  }
  j["variants"] = std::move(variants);
  return j;
}

json run_json(const RunResult& r) {
  json j = json::object();
  j["run_id"] = r.run_id;
  j["as_of"] = r.as_of ? json(format_iso_date(*r.as_of)) : json(nullptr);
  json seqs = json::array();
  for (const auto& s : r.sequences) seqs.push_back(sequence_json(s));
  j["sequences"] = std::move(seqs);
  return j;
}

}  // namespace

std::string report_json(const Report& report) {
  json j = json::object();
  j["window_days"] = report.window_days;
  json runs = json::array();
  for (const auto& r : report.runs) runs.push_back(run_json(r));
  j["runs"] = std::move(runs);
  j["pooled"] = run_json(report.pooled);
  return j.dump(2) + "\n";
}

std::vector<std::string> paused_variants(const Report& report) {
  std::vector<std::string> paused;
  for (const SequenceResult& s : report.pooled.sequences) {
    // Variant entries come touch by touch; a touch's first variant is paused when some variant
    // wins against it.
    std::map<int, bool> first_loses;
    std::vector<std::pair<int, std::string>> first_names;
    for (const VariantComparison& v : s.variants) {
      if (!first_loses.count(v.touch)) first_names.emplace_back(v.touch, v.step + "." + v.control);
      first_loses[v.touch] = first_loses[v.touch] || v.verdict == Verdict::Winning;
    }
    for (const auto& [touch, name] : first_names) {
      if (first_loses[touch]) paused.push_back(s.sequence + "." + name);
      for (const VariantComparison& v : s.variants)
        if (v.touch == touch && v.verdict == Verdict::Losing)
          paused.push_back(s.sequence + "." + v.step + "." + v.variant);
    }
  }
  return paused;
}

std::string verdicts_json(const Report& report) {
  json j = json::object();
  j["paused"] = paused_variants(report);
  return j.dump(2) + "\n";
}

}  // namespace rk::measure
