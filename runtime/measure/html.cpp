// Rekindle measurement: the HTML report of `rekindle measure --html`. One self-contained page (no
// script, no network): inline CSS and charts drawn here as inline SVG: per sequence the lift with
// its 95% interval by touch, offer and every segment family, the cumulative reactivation rate by
// day since the as-of date for treated and control, the variants with their verdicts, and the
// sample-ratio check in plain words. Figures are the pooled ones; a table lists every run.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "base/date.h"
#include "runtime/measure/measure.h"

namespace rk::measure {

namespace {

std::string esc(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string pct(const std::optional<double>& v, int digits = 1) {
  return v ? fmt::format("{:.{}f}%", *v * 100, digits) : "–";
}
std::string points(double v) {
  return fmt::format("{:+.1f}", v * 100);
}
std::string pvalue(const std::optional<double>& p) {
  if (!p) return "–";
  if (*p < 0.0001) return "&lt; 0.0001";
  return fmt::format("{:.4f}", *p);
}
std::string count(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}
std::string money(double v) {
  return fmt::format("{}${:.2f}", v < 0 ? "-" : "", std::fabs(v));
}

// Round-number ticks covering [lo, hi].
std::vector<double> ticks(double lo, double hi, int want = 6) {
  if (!(hi > lo)) hi = lo + 1;
  const double raw = (hi - lo) / want;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (const double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (raw <= m * mag) {
      step = m * mag;
      break;
    }
  std::vector<double> out;
  const double first = std::floor(lo / step + 1e-9), last = std::ceil(hi / step - 1e-9);
  for (double k = first; k <= last; ++k) out.push_back(k == 0 ? 0.0 : k * step);
  return out;
}

struct LiftRow {
  std::string label;
  Metrics m;
};

// A forest plot: one row per group, the lift as a dot and its 95% interval as a line, a
// vertical line at zero. Rows without an interval (an empty arm) say why instead.
std::string lift_chart(const std::string& title, const std::string& kind,
                       const std::vector<LiftRow>& rows) {
  if (rows.empty()) return {};
  constexpr double kLabelW = 210, kPlotW = 400, kTextW = 250, kRowH = 26, kTop = 28, kBottom = 34;
  const double width = kLabelW + kPlotW + kTextW;
  const double height = kTop + kRowH * static_cast<double>(rows.size()) + kBottom;
  double lo = 0, hi = 0;
  for (const auto& r : rows)
    if (r.m.ci_low) {
      lo = std::min(lo, *r.m.ci_low);
      hi = std::max(hi, *r.m.ci_high);
    }
  if (hi - lo < 0.02) {
    lo = std::min(lo, -0.01);
    hi = std::max(hi, 0.01);
  }
  const std::vector<double> ts = ticks(lo, hi);
  lo = std::min(lo, ts.front());
  hi = std::max(hi, ts.back());
  auto x = [&](double v) { return kLabelW + (v - lo) / (hi - lo) * kPlotW; };
  std::string s = fmt::format(
      "<figure class=\"chart\"><figcaption>{}</figcaption>\n"
      "<svg class=\"lift-chart\" data-kind=\"{}\" data-rows=\"{}\" role=\"img\" "
      "viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">\n",
      esc(title), esc(kind), rows.size(), width, height, width, height);
  const double plot_bottom = kTop + kRowH * static_cast<double>(rows.size());
  for (const double t : ts)
    s += fmt::format(
        "<line class=\"grid\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\"/>"
        "<text class=\"tick\" x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
        x(t), kTop - 6, plot_bottom, plot_bottom + 16, points(t));
  s += fmt::format(
      "<line class=\"zero\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\"/>\n"
      "<text class=\"axis\" x=\"{3:.1f}\" y=\"{4}\" text-anchor=\"middle\">lift in percentage "
      "points (treated minus control), 95% interval</text>\n",
      x(0), kTop - 6, plot_bottom, kLabelW + kPlotW / 2, plot_bottom + 30);
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    const double y = kTop + kRowH * (static_cast<double>(i) + 0.5);
    s += fmt::format("<g class=\"row\"><text class=\"label\" x=\"{}\" y=\"{:.1f}\">{}</text>",
                     kLabelW - 10, y + 4, esc(r.label));
    if (r.m.lift && r.m.ci_low) {
      const bool significant = r.m.p_value && *r.m.p_value < 0.05;
      const char* cls = !significant ? "flat" : (*r.m.lift > 0 ? "up" : "down");
      s += fmt::format(
          "<title>{}: lift {} points ({} to {}), p = {}; treated {} of {}, control {} of "
          "{}</title>"
          "<line class=\"ci {}\" x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{:.1f}\" y2=\"{:.1f}\"/>"
          "<circle class=\"lift {}\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"5\"/>"
          "<text class=\"value\" x=\"{}\" y=\"{:.1f}\">{} ({} to {}), {} vs {}</text>",
          esc(r.label), points(*r.m.lift), points(*r.m.ci_low), points(*r.m.ci_high),
          pvalue(r.m.p_value), count(r.m.reactivated_treated), count(r.m.treated),
          count(r.m.reactivated_control), count(r.m.control), cls, x(*r.m.ci_low), x(*r.m.ci_high),
          y, y, cls, x(*r.m.lift), y, kLabelW + kPlotW + 10, y + 4, points(*r.m.lift),
          points(*r.m.ci_low), points(*r.m.ci_high), count(r.m.treated), count(r.m.control));
    } else {
      s += fmt::format("<text class=\"value missing\" x=\"{}\" y=\"{:.1f}\">no {} units</text>",
                       kLabelW + 10, y + 4, r.m.control == 0 ? "control" : "treated");
    }
    s += "</g>\n";
  }
  s += "</svg></figure>\n";
  return s;
}

// The cumulative share of units reactivated by each day since the as-of date, treated against
// control: two step lines.
std::string curve_chart(const SequenceResult& s, int window) {
  const Metrics m = metrics_of(s.overall);
  struct Series {
    const char* cls;
    const char* name;
    const std::vector<int64_t>* days;
    int64_t units;
  };
  const Series series[] = {{"treated", "treated", &s.overall.days, m.treated},
                           {"control", "control (holdout)", &s.control_days, m.control}};
  auto cumulative = [&](const Series& se) {
    std::vector<double> c(static_cast<size_t>(window) + 1, 0.0);
    int64_t sum = 0;
    for (int d = 0; d <= window; ++d) {
      if (static_cast<size_t>(d) < se.days->size()) sum += (*se.days)[static_cast<size_t>(d)];
      c[static_cast<size_t>(d)] =
          se.units > 0 ? static_cast<double>(sum) / static_cast<double>(se.units) : 0.0;
    }
    return c;
  };
  double top = 0;
  for (const auto& se : series) top = std::max(top, cumulative(se).back());
  const std::vector<double> ys = ticks(0, std::max(top * 1.1, 0.01), 5);
  const double ymax = ys.back();
  constexpr double kLeft = 60, kW = 620, kTop = 20, kH = 240, kBottom = 50, kRight = 200;
  auto x = [&](int d) { return kLeft + kW * d / window; };
  auto y = [&](double v) { return kTop + kH - v / ymax * kH; };
  std::string out = fmt::format(
      "<figure class=\"chart\"><figcaption>Cumulative reactivation rate by day since the as-of "
      "date</figcaption>\n<svg class=\"curve-chart\" data-days=\"{}\" role=\"img\" viewBox=\"0 0 "
      "{} {}\" width=\"{}\" height=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">\n",
      window, kLeft + kW + kRight, kTop + kH + kBottom, kLeft + kW + kRight, kTop + kH + kBottom);
  for (const double t : ys)
    out += fmt::format(
        "<line class=\"grid\" x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\"/>"
        "<text class=\"tick\" x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5:.1f}%</text>\n",
        kLeft, kLeft + kW, y(t), kLeft - 6, y(t) + 4, t * 100);
  const int step = window <= 31 ? 5 : window <= 120 ? 10 : window <= 400 ? 30 : 365;
  for (int d = 0; d <= window; d += step)
    out +=
        fmt::format("<text class=\"tick\" x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                    x(d), kTop + kH + 16, d);
  out += fmt::format(
      "<text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">days since the as-of "
      "date</text>\n",
      kLeft + kW / 2, kTop + kH + 36);
  int legend = 0;
  for (const auto& se : series) {
    if (se.units == 0) continue;
    const std::vector<double> c = cumulative(se);
    std::string pts = fmt::format("{:.1f},{:.1f}", x(0), y(c[0]));
    for (int d = 1; d <= window; ++d)
      pts += fmt::format(" {:.1f},{:.1f} {:.1f},{:.1f}", x(d), y(c[static_cast<size_t>(d - 1)]),
                         x(d), y(c[static_cast<size_t>(d)]));
    out += fmt::format(
        "<polyline class=\"series {}\" points=\"{}\"><title>{}: {} of {} units reactivated by day "
        "{}</title></polyline>\n"
        "<text class=\"legend {}\" x=\"{}\" y=\"{}\">{} {}</text>\n",
        se.cls, pts, se.name, pct(c.back()), count(se.units), window, se.cls, kLeft + kW + 10,
        kTop + 14 + 18 * legend, se.name, pct(c.back()));
    ++legend;
  }
  out += "</svg></figure>\n";
  return out;
}

std::string srm_sentence(const SequenceResult& s) {
  if (!s.has_holdout)
    return "This sequence has no holdout, so there is no control group and no sample-ratio "
           "check.";
  if (s.srm_units == 0) return "No unit that was not stopped: nothing to check.";
  const double observed = static_cast<double>(s.srm_held_out) / static_cast<double>(s.srm_units);
  std::string text = fmt::format(
      "{} of {} customers who were not stopped were held out ({}); {} was expected. ",
      count(s.srm_held_out), count(s.srm_units), pct(observed, 2), pct(s.srm_expected_share, 2));
  if (s.srm.mismatch)
    text += fmt::format(
        "<strong>Sample ratio mismatch</strong> (p = {}): a difference this large almost never "
        "happens by chance, so the assignment to the holdout is broken somewhere. Do not trust "
        "the lift until the cause is found.",
        pvalue(s.srm.p_value));
  else
    text +=
        fmt::format("The difference is within chance (p = {}): the holdout assignment looks sound.",
                    pvalue(s.srm.p_value));
  return text;
}

std::string headline(const Metrics& m) {
  if (!m.lift)
    return fmt::format("{} treated and {} control units: the lift needs both.", count(m.treated),
                       count(m.control));
  std::string text = fmt::format(
      "Customers who got a touch reactivated at <b>{}</b> within the window, against <b>{}</b> "
      "in the holdout: a lift of <b>{} points</b> (95% interval {} to {})",
      pct(m.rate_treated, 2), pct(m.rate_control, 2), points(*m.lift), points(*m.ci_low),
      points(*m.ci_high));
  if (m.p_value)
    text += fmt::format(", p = {}. ", pvalue(m.p_value));
  else
    text += ". ";
  if (m.p_value && *m.p_value < 0.05)
    text += *m.lift > 0 ? "The touches bring customers back." : "The touches drive customers away.";
  else
    text += "This could still be chance.";
  if (m.incremental_reactivations)
    text += fmt::format(" About {:.0f} reactivations and {} of revenue are incremental.",
                        *m.incremental_reactivations, money(m.incremental_revenue.value_or(0)));
  return text;
}

const Breakdown* find_by(const SequenceResult& s, std::string_view name) {
  for (const auto& b : s.by)
    if (b.name == name) return &b;
  return nullptr;
}

std::vector<LiftRow> rows_of(const Breakdown* b, const MeasurePlan::Sequence* plan_seq) {
  std::vector<LiftRow> rows;
  if (!b) return rows;
  for (const auto& [key, g] : b->groups) {
    std::string label = key;
    if (b->name == "touch" && plan_seq) {
      const int n = std::atoi(key.c_str());
      if (n >= 1 && static_cast<size_t>(n) <= plan_seq->touches.size())
        label = key + " " + plan_seq->touches[static_cast<size_t>(n - 1)].name;
    }
    rows.push_back({label, metrics_of(g)});
  }
  return rows;
}

constexpr const char* kStyle = R"(
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d232a;
       margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { font-size: 26px; margin-bottom: 4px; } h2 { margin-top: 40px; border-bottom: 2px solid #d8dee4; }
h3 { margin-top: 28px; font-size: 17px; }
.meta { color: #57606a; }
table { border-collapse: collapse; margin: 10px 0; }
th, td { border-bottom: 1px solid #d8dee4; padding: 4px 10px; text-align: right; white-space: nowrap; }
th:first-child, td:first-child, td.name { text-align: left; }
.verdict-winning { color: #116329; font-weight: 600; } .verdict-losing { color: #a40e26; font-weight: 600; }
.verdict-undecided { color: #57606a; }
.srm { padding: 8px 12px; border-left: 4px solid #2da44e; background: #f6f8fa; }
.srm.mismatch { border-color: #cf222e; background: #ffebe9; }
figure.chart { margin: 12px 0 24px; } figcaption { font-weight: 600; margin-bottom: 4px; }
svg text { font: 12px system-ui, sans-serif; fill: #1d232a; }
svg .label { text-anchor: end; } svg .tick { fill: #57606a; } svg .axis { fill: #57606a; }
svg .grid { stroke: #eaeef2; } svg .zero { stroke: #57606a; stroke-dasharray: 3 3; }
svg .ci { stroke-width: 3; } svg .ci.up { stroke: #2da44e; } svg .ci.down { stroke: #cf222e; }
svg .ci.flat { stroke: #8c959f; }
svg circle.up { fill: #116329; } svg circle.down { fill: #a40e26; } svg circle.flat { fill: #57606a; }
svg .missing { fill: #8c959f; font-style: italic; }
svg .series { fill: none; stroke-width: 2.5; } svg .series.treated { stroke: #0969da; }
svg .series.control { stroke: #bc4c00; stroke-dasharray: 6 3; }
svg .legend.treated { fill: #0969da; } svg .legend.control { fill: #bc4c00; }
)";

}  // namespace

std::string report_html(const Report& report, const MeasurePlan& plan) {
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  h += "<title>Rekindle measurement report</title>\n<style>";
  h += kStyle;
  h += "</style></head><body>\n<h1>Win-back measurement</h1>\n";
  h += fmt::format(
      "<p class=\"meta\">{} run(s), {} units from {} events, {} outcomes; an outcome counts "
      "when it falls 1 to {} days after the run's as-of date. Figures below pool every run; the "
      "last table lists each run.</p>\n",
      report.runs.size(), count(report.units), count(report.events), count(report.outcomes),
      report.window_days);
  const std::vector<std::string> paused = paused_variants(report);
  if (report.pooled.sequences.empty()) h += "<p>No events.</p>\n";
  for (const SequenceResult& s : report.pooled.sequences) {
    const MeasurePlan::Sequence* plan_seq = nullptr;
    for (const auto& q : plan.sequences)
      if (q.name == s.sequence) plan_seq = &q;
    const Metrics m = metrics_of(s.overall);
    h += fmt::format("<section class=\"sequence\" data-sequence=\"{0}\"><h2>Sequence {0}</h2>\n",
                     esc(s.sequence));
    h += fmt::format("<p class=\"headline\">{}</p>\n", headline(m));
    h += fmt::format("<p class=\"srm{}\">{}</p>\n", s.srm.mismatch ? " mismatch" : "",
                     srm_sentence(s));
    if (m.control > 0) {
      h += lift_chart("Lift by touch", "touch", rows_of(find_by(s, "touch"), plan_seq));
      h += lift_chart("Lift by offer", "offer", rows_of(find_by(s, "offer"), plan_seq));
    } else {
      h += "<p class=\"meta\">Without control units there is no lift to chart. The treated "
           "units by touch:</p>\n<table class=\"treated\"><tr><th>touch</th><th>treated</th>"
           "<th>reactivated</th><th>rate</th><th>revenue per unit</th></tr>\n";
      for (const LiftRow& r : rows_of(find_by(s, "touch"), plan_seq))
        h += fmt::format(
            "<tr><td class=\"name\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            esc(r.label), count(r.m.treated), count(r.m.reactivated_treated),
            pct(r.m.rate_treated, 2),
            r.m.revenue_per_treated ? money(*r.m.revenue_per_treated) : "–");
      h += "</table>\n";
    }
    h += curve_chart(s, report.window_days);
    if (m.control > 0) {
      h += "<h3>Lift by cohort</h3>\n";
      for (const auto& family : plan.families)
        h += lift_chart("Lift by " + family, "cohort", rows_of(find_by(s, family), plan_seq));
    }
    h += "<h3>Variants</h3>\n";
    if (s.variants.empty()) {
      h += "<p class=\"meta\">No touch of this sequence has variants with treated units.</p>\n";
    } else {
      h += "<table class=\"variants\"><tr><th>touch</th><th>variant</th><th>against</th>"
           "<th>treated</th><th>reactivated</th><th>against: treated</th><th>reactivated</th>"
           "<th>lift (points)</th><th>p-value</th><th>verdict</th></tr>\n";
      for (const VariantComparison& v : s.variants) {
        auto rate = [](int64_t x, int64_t n) {
          return n > 0 ? pct(static_cast<double>(x) / static_cast<double>(n)) : std::string("–");
        };
        h += fmt::format(
            "<tr><td class=\"name\">{} {}</td><td class=\"name\">{}</td><td class=\"name\">{}</td>"
            "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            "<td class=\"verdict-{}\">{}</td></tr>\n",
            v.touch, esc(v.step), esc(v.variant), esc(v.control), count(v.treated),
            rate(v.reactivated, v.treated), count(v.control_treated),
            rate(v.control_reactivated, v.control_treated), v.lift ? points(*v.lift) : "–",
            pvalue(v.p_value), verdict_name(v.verdict), verdict_name(v.verdict));
      }
      h += "</table>\n";
      std::vector<std::string> mine;
      for (const auto& p : paused)
        if (p.rfind(s.sequence + ".", 0) == 0) mine.push_back(esc(p));
      h += mine.empty()
               ? std::string("<p>No variant is paused: none loses with p &lt; 0.05 and at least ") +
                     count(report.min_sample) + " units in both arms, and none wins.</p>\n"
               : fmt::format(
                     "<p class=\"paused\">Paused for the next run: <b>{}</b>. A paused "
                     "variant gets no new customers; its customers move to the first "
                     "variant of the touch that is not paused.</p>\n",
                     fmt::join(mine, ", "));
    }
    h += "</section>\n";
  }
  h += "<h2>Runs</h2>\n<table class=\"runs\"><tr><th>run</th><th>as of</th><th>sequence</th>"
       "<th>treated</th><th>control</th><th>rate treated</th><th>rate control</th>"
       "<th>lift (points)</th><th>p-value</th><th>sample ratio</th></tr>\n";
  for (const RunResult& r : report.runs)
    for (const SequenceResult& s : r.sequences) {
      const Metrics m = metrics_of(s.overall);
      h += fmt::format(
          "<tr><td class=\"name\">{}</td><td class=\"name\">{}</td><td class=\"name\">{}</td>"
          "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
          esc(r.run_id), r.as_of ? format_iso_date(*r.as_of) : "", esc(s.sequence), count(m.treated),
          count(m.control), pct(m.rate_treated, 2), pct(m.rate_control, 2),
          m.lift ? points(*m.lift) : "–", pvalue(m.p_value),
          !s.has_holdout     ? "no holdout"
          : s.srm.mismatch   ? "<b>mismatch</b>"
          : s.srm_units == 0 ? "–"
                             : "sound");
    }
  h += "</table>\n<p class=\"meta\">Made by rekindle measure. How to read it: "
       "docs/measurement.md.</p>\n</body></html>\n";
  return h;
}

}  // namespace rk::measure
