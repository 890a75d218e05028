// Rekindle CLI: `rekindle measure RULES --events FILE... --outcomes FILE --out REPORT.json`
// measures the lift of every sequence against its holdout from the events of `rekindle eval
// --events` and an outcomes file, and writes the JSON report, the verdicts file (`--verdicts`,
// read by `eval --experiments`) and a self-contained HTML report (`--html`). Thin: the work is
// in runtime/measure/. Exit 0: written; 1: errors in the rule file or the data; 2: usage.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/diag_output.h"
#include "compiler/check/compile.h"
#include "runtime/measure/measure.h"
#include "runtime/result_writer.h"

namespace rk::cli {
namespace {

struct MeasureArgs {
  std::string rules, outcomes, out, verdicts, html;
  std::vector<std::string> events, params;
  std::string root;
  int window = 30;
  int64_t min_sample = 100;
  bool quiet = false;
};

std::string percent(const std::optional<double>& v) {
  return v ? fmt::format("{:.2f}%", *v * 100) : "n/a";
}

// One line per run and sequence, and the warnings a person must not miss.
void print_summary(const measure::Report& report, const std::vector<std::string>& paused) {
  fmt::print(stderr, "rekindle: {} events, {} units ({} repeated, counted once), {} outcomes\n",
             report.events, report.units, report.repeated, report.outcomes);
  auto line = [](const std::string& run, const measure::SequenceResult& s) {
    const measure::Metrics m = measure::metrics_of(s.overall);
    fmt::print(stderr, "  {} {}: treated {} control {}, reactivated {} vs {}, lift {}{}\n", run,
               s.sequence, m.treated, m.control, percent(m.rate_treated), percent(m.rate_control),
               m.lift ? fmt::format("{:+.2f} points", *m.lift * 100) : "n/a",
               m.p_value ? fmt::format(" (p = {:.3g})", *m.p_value) : "");
    if (s.has_holdout && s.srm.mismatch)
      fmt::print(stderr,
                 "rekindle: warning: {} {}: sample ratio mismatch: {} of {} units held out, "
                 "{:.2f}% expected (p = {:.3g}); the assignment is broken, do not trust the lift\n",
                 run, s.sequence, s.srm_held_out, s.srm_units, s.srm_expected_share * 100,
                 *s.srm.p_value);
  };
  for (const auto& r : report.runs)
    for (const auto& s : r.sequences) line(r.run_id, s);
  if (report.runs.size() > 1)
    for (const auto& s : report.pooled.sequences) line("pooled", s);
  if (paused.empty())
    fmt::print(stderr, "rekindle: no variant is paused\n");
  else
    fmt::print(stderr, "rekindle: paused: {}\n", fmt::join(paused, ", "));
}

int run_measure(const MeasureArgs& a) {
  CompileOptions copts;
  if (!parse_params(a.params, copts.params)) return kExitUsage;
  copts.root = a.root;
  CompileResult compiled = compile_rules(a.rules, copts);
  if (!compiled.program) {
    std::fputs(
        render_diagnostics({{&compiled.sources, compiled.diags}}, DiagFormat::Text, isatty(2))
            .c_str(),
        stderr);
    return kExitFindings;
  }
  const measure::MeasurePlan plan = measure::measure_plan_from(compiled);

  // No output may be an input (events, outcomes, rule files) or another output
  // (runtime/output_guard.h); signals are handled for every command (cli/signals.h).
  {
    std::vector<RunFile> inputs = run_inputs("", compiled.sources);
    inputs.push_back({"the outcomes file", a.outcomes});
    for (const auto& e : a.events) inputs.push_back({"an events file", e});
    if (auto refused = check_outputs(
            inputs, {{"--out", a.out}, {"--verdicts", a.verdicts}, {"--html", a.html}})) {
      print_error(*refused);
      return kExitUsage;
    }
  }
  // Every output's temporary file first, so an unwritable target fails before the work.
  AtomicFile out, verdicts, html;
  const std::pair<AtomicFile*, const std::string*> outputs[] = {
      {&out, &a.out}, {&verdicts, &a.verdicts}, {&html, &a.html}};
  for (auto [file, path] : outputs)
    if (!path->empty() && !file->open(*path)) {
      print_error(file->error());
      return kExitUsage;
    }

  measure::Options options;
  options.window_days = a.window;
  options.min_sample = a.min_sample;
  measure::Report report;
  std::string error;
  if (!measure::measure(plan, a.events, a.outcomes, options, report, error)) {
    print_error(error);
    return kExitFindings;
  }
  const std::vector<std::string> paused = measure::paused_variants(report);
  const bool written = out.write(measure::report_json(report)) &&
                       (a.verdicts.empty() || verdicts.write(measure::verdicts_json(report))) &&
                       (a.html.empty() || html.write(measure::report_html(report, plan)));
  if (!written) {
    for (auto [file, path] : outputs)
      if (!file->error().empty()) print_error(file->error());
    return kExitFindings;
  }
  for (auto [file, path] : outputs)
    if (!path->empty() && !file->commit()) {
      print_error(file->error());
      return kExitFindings;
    }
  if (!a.quiet) print_summary(report, paused);
  return kExitOk;
}

std::function<int()> setup_measure(CLI::App& app) {
  auto a = std::make_shared<MeasureArgs>();
  auto* sub = app.add_subcommand(
      "measure",
      "Measure the lift of each sequence against its holdout, by touch, offer, variant and "
      "cohort, from the events of `eval --events` and an outcomes file");
  sub->add_option("rules", a->rules,
                  "The rule file the events were made with (its sequences, touches, variants "
                  "and segment families)")
      ->required()
      ->check(CLI::ExistingFile);
  sub->add_option("--events", a->events,
                  "Event files of `rekindle eval --events` (JSON lines), one or more runs; `-` "
                  "reads standard input")
      ->required()
      ->expected(1, -1);
  sub->add_option("--outcomes", a->outcomes,
                  "Outcomes (CSV or Arrow): customer_id, date, kind (purchase, unsubscribe, "
                  "complaint), revenue, incentive_cost")
      ->required()
      ->check(CLI::ExistingFile);
  sub->add_option("--window", a->window,
                  "Days after the as-of date in which an outcome counts (default 30)")
      ->check(CLI::Range(1, measure::kMaxWindowDays));
  sub->add_option("--min-sample", a->min_sample,
                  "Units both arms of a variant comparison need before a verdict (default 100)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  sub->add_option("--out", a->out, "The JSON report")->required();
  sub->add_option("--verdicts", a->verdicts,
                  "Write the paused variants (for `rekindle eval --experiments`)");
  sub->add_option("--html", a->html, "Write a self-contained HTML report");
  sub->add_option("--param", a->params, "Override a parameter of the rules, NAME=VALUE");
  add_root_option(sub, a->root);
  sub->add_flag("--quiet,-q", a->quiet, "No summary on standard error");
  sub->footer(
      "Every file is written atomically; on an error none is left behind.\n"
      "Exit status: 0 when written, 1 on errors in the rule file or the data (each names the\n"
      "file and line or row), 2 on usage errors.\n"
      "Example: rekindle measure rules/winback.rules --events events.jsonl --outcomes "
      "outcomes.csv --out report.json --verdicts verdicts.json --html report.html");
  return [a]() { return run_measure(*a); };
}

}  // namespace

RK_COMMAND(measure, "measure", setup_measure);

}  // namespace rk::cli
