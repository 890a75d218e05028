// Rekindle CLI: `rekindle gen` writes a synthetic customer snapshot (CSV or Arrow IPC),
// deterministic for a seed: of the playbook schema (the default), of the full program's schema
// (`--program`), or of any schema (`--schema FILE`), guided by a rule file's thresholds
// (`--rules FILE`); with `--outcomes-for EVENTS` it writes instead an outcomes file for the units
// of those events with a planted effect (for `rekindle measure` demos and tests). Exit 0: written;
// 1: errors in the schema or rule file, or bad events; 2: usage or I/O error (nothing is left at
// the target on failure).
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/diag_output.h"
#include "compiler/check/compile.h"
#include "runtime/generate.h"
#include "runtime/generate_schema.h"
#include "runtime/measure/gen_outcomes.h"
#include "runtime/measure/measure.h"
#include "runtime/result_writer.h"

namespace rk::cli {
namespace {

struct GenArgs {
  int64_t rows = -1;
  uint64_t seed = 1;
  std::string as_of, out, format, schema, rules, root;
  std::vector<std::string> params;
  int threads = 0;
  bool quiet = false;
  bool program = false;
  bool verbose = false;
  // Outcomes mode.
  std::vector<std::string> outcomes_for, offer_lift, variant_lift;
  measure::OutcomeGenOptions outcomes;
};

// The output format from --format or the file extension.
bool snapshot_format(const std::string& name, const std::string& path, SnapshotFormat& out) {
  std::string f = name;
  if (f.empty()) {
    std::string ext = std::filesystem::path(path).extension().string();
    for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (ext == ".csv")
      f = "csv";
    else if (ext == ".arrow" || ext == ".feather" || ext == ".ipc")
      f = "arrow";
    else {
      print_error(fmt::format(
          "{}: cannot tell the format from the extension (use .csv or .arrow, or --format)", path));
      return false;
    }
  }
  out = f == "arrow" ? SnapshotFormat::Arrow : SnapshotFormat::Csv;
  return true;
}

// Prints a compilation's diagnostics; the exit code: usage when the file could not be read.
int report_diagnostics(const SourceSet& sources, const std::vector<Diagnostic>& diags) {
  bool io = false;
  for (const auto& d : diags)
    if (d.severity == Severity::Error && d.code == "RK0501" && !d.span) io = true;
  std::fputs(render_diagnostics({{&sources, diags}}, DiagFormat::Text, isatty(2)).c_str(), stderr);
  return io ? kExitUsage : kExitFindings;
}

// Parses `NAME=LIFT` (LIFT a number of percentage points as a fraction, e.g. 0.03).
bool parse_lifts(const std::string& flag, const std::vector<std::string>& in,
                 std::vector<std::pair<std::string, double>>& out) {
  for (const auto& text : in) {
    const auto eq = text.rfind('=');
    char* end = nullptr;
    const double v = eq == std::string::npos ? 0 : std::strtod(text.c_str() + eq + 1, &end);
    if (eq == std::string::npos || eq == 0 || end == text.c_str() + eq + 1 || *end != '\0' ||
        !(v >= -1 && v <= 1)) {
      print_error(
          fmt::format("{} {}: expected NAME=LIFT with LIFT from -1 to 1 (e.g. 0.03)", flag, text));
      return false;
    }
    out.emplace_back(text.substr(0, eq), v);
  }
  return true;
}

int run_outcomes(GenArgs& a) {
  if (a.rows >= 0) {
    print_error("--rows makes a snapshot and --outcomes-for an outcomes file: give one of them");
    return kExitUsage;
  }
  SnapshotFormat format;
  if (!snapshot_format(a.format, a.out, format)) return kExitUsage;
  a.outcomes.seed = a.seed;
  if (!parse_lifts("--offer-lift", a.offer_lift, a.outcomes.offer_lift) ||
      !parse_lifts("--variant-lift", a.variant_lift, a.outcomes.variant_lift))
    return kExitUsage;
  // No output may be an input (an events file); signals are handled for every command
  // (cli/signals.h).
  {
    std::vector<RunFile> inputs;
    for (const auto& e : a.outcomes_for) inputs.push_back({"an events file", e});
    if (auto refused = check_outputs(inputs, {{"--out", a.out}})) {
      print_error(*refused);
      return kExitUsage;
    }
  }
  measure::OutcomeGenStats stats;
  std::string error;
  if (!measure::generate_outcomes(a.outcomes_for, a.out, format, a.outcomes, stats, error)) {
    print_error(error);
    return kExitFindings;
  }
  if (!a.quiet)
    fmt::print(stderr, "rekindle: wrote {} outcomes for {} units to {}\n", stats.outcomes,
               stats.units, a.out);
  return kExitOk;
}

std::function<int()> setup_gen(CLI::App& app) {
  auto args = std::make_shared<GenArgs>();
  auto* sub = app.add_subcommand(
      "gen",
      "Generate a synthetic customer snapshot (CSV or Arrow) of the playbook schema, the full "
      "program's schema, or any schema guided by a rule file; or outcomes with a planted effect "
      "for the units of event files");
  sub->add_option("--rows", args->rows, "Number of customers (rows) to generate")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--seed", args->seed,
                  "Random seed; the same seed, rows, as-of date (and schema and rules) give a "
                  "byte-identical file")
      ->capture_default_str();
  sub->add_option("--as-of", args->as_of,
                  "Date the snapshot is taken, YYYY-MM-DD (default: today, UTC); dates are spread "
                  "around it (use the date you will evaluate with)");
  sub->add_option("--out", args->out,
                  "Output file; the format follows the extension (.csv, .arrow)")
      ->required();
  sub->add_option("--format", args->format, "Output format, overriding the extension: csv or arrow")
      ->check(CLI::IsMember({"csv", "arrow"}));
  sub->add_option("--threads", args->threads,
                  "Worker threads (default: all cores); the output does not depend on it")
      ->check(CLI::NonNegativeNumber);
  sub->add_flag("--quiet,-q", args->quiet, "Do not print the summary line");
  auto* program = sub->add_flag(
      "--program", args->program,
      "The full program's schema: the playbook's 21 columns (as without --program) and first_name, "
      "email, phone, timezone, csm_owner, last_contact_date, contacts_30d, welcome_touch, "
      "welcome_touch_date");
  auto* schema =
      sub->add_option("--schema", args->schema,
                      "Any schema file: a plausible snapshot of its fields (default with --rules: "
                      "the schema the rule file imports)");
  auto* rules = sub->add_option(
      "--rules", args->rules,
      "A rule file whose thresholds guide the values: both sides of every comparison, the string "
      "values, list items and enum values it tests");
  sub->add_option("--param", args->params,
                  "With --rules: override a parameter, NAME=VALUE (repeatable), as for eval");
  add_root_option(sub, args->root);
  sub->add_flag("--verbose,-v", args->verbose,
                "With --schema or --rules: print what each field's values look like");
  program->excludes(schema)->excludes(rules);
  auto* o = &args->outcomes;
  sub->add_option("--outcomes-for", args->outcomes_for,
                  "Outcomes mode: write outcomes (customer_id, date, kind, revenue, "
                  "incentive_cost) for the units of these event files (`eval --events`)")
      ->expected(1, -1)
      ->excludes(program)
      ->excludes(schema)
      ->excludes(rules);
  sub->add_option("--base-rate", o->base_rate,
                  "Outcomes: reactivation probability without a touch (default 0.08)")
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--lift", o->lift,
                  "Outcomes: added to the reactivation probability of every treated unit, e.g. "
                  "0.03 (default 0)")
      ->check(CLI::Range(-1.0, 1.0));
  sub->add_option("--offer-lift", args->offer_lift,
                  "Outcomes: OFFER=LIFT, added for treated units with that offer as the events "
                  "write it (\"credit 10=0.02\"); repeatable");
  sub->add_option("--variant-lift", args->variant_lift,
                  "Outcomes: SEQUENCE.TOUCH.VARIANT=LIFT (or VARIANT=LIFT), added for treated "
                  "units given that variant; repeatable");
  sub->add_option("--window", o->window_days,
                  "Outcomes: a reactivated unit's first purchase falls 1 to this many days after "
                  "its as-of date (default 30)")
      ->check(CLI::Range(1, measure::kMaxWindowDays));
  sub->add_option("--unsubscribe-rate", o->unsubscribe_rate,
                  "Outcomes: probability of an unsubscribe per unit (default 0.01)")
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--complaint-rate", o->complaint_rate,
                  "Outcomes: probability of a complaint per unit (default 0.002)")
      ->check(CLI::Range(0.0, 1.0));
  sub->footer(
      "Without --schema or --rules the snapshot has the 21 columns of rules/customer.schema:\n"
      "long-tailed order values with whales and exact rule boundaries (250.00, 75.00, 20.00;\n"
      "60, 90, 120, 180, 365 days), missing values where the schema allows them, and some\n"
      "customer ids with commas, quotes and non-ASCII text; --program adds the program's nine.\n"
      "With --schema FILE (or --rules FILE) any schema is generated: values of each type's usual\n"
      "shape, hints from field names (email, phone, name, time zone, consent, opted_out), unique\n"
      "keys, and with --rules the rule file's boundaries, string values and list items.\n"
      "The file is written atomically (temporary file, then rename).\n"
      "Outcomes mode: each unit (run, customer, sequence) reactivates with the base rate, plus\n"
      "--lift, --offer-lift and --variant-lift when it was treated (status due); its draws\n"
      "depend only on the seed and the unit, so the same seed gives the same file.\n"
      "Exit status: 0 when written, 1 on errors in the schema or rule file or bad events, 2 on\n"
      "usage or I/O errors.\n"
      "Example: rekindle gen --rows 1000000 --seed 7 --as-of 2026-11-01 --out customers.arrow\n"
      "Example: rekindle gen --rules my.rules --rows 5000 --as-of 2026-11-01 --out test.csv\n"
      "Example: rekindle gen --outcomes-for events.jsonl --lift 0.03 --variant-lift\n"
      "         winback.winback_offer.credit=-0.02 --seed 7 --out outcomes.csv");
  return [args]() {
    if (!args->outcomes_for.empty()) return run_outcomes(*args);
    if (args->rows < 0) {
      print_error("give --rows N for a snapshot, or --outcomes-for EVENTS... for outcomes");
      return kExitUsage;
    }
    auto as_of = parse_as_of(args->as_of);
    if (!as_of) return kExitUsage;
    SnapshotFormat format;
    if (!snapshot_format(args->format, args->out, format)) return kExitUsage;
    if (!args->params.empty() && args->rules.empty()) {
      print_error("--param needs --rules (it overrides a parameter of the rule file)");
      return kExitUsage;
    }
    GenerateOptions opts;
    opts.rows = args->rows;
    opts.seed = args->seed;
    opts.as_of = *as_of;
    opts.threads = args->threads;
    opts.program = args->program;

    // Any schema: from --schema, else the one the rule file imports; guided by the rule file.
    const bool any_schema = !args->schema.empty() || !args->rules.empty();
    Schema target;
    GenerationGuide guide;
    std::optional<CompileResult> compiled;
    if (any_schema) {
      if (!args->rules.empty()) {
        CompileOptions copts;
        if (!parse_params(args->params, copts.params)) return kExitUsage;
        copts.root = args->root;
        compiled = compile_rules(args->rules, copts);
        if (!compiled->program) return report_diagnostics(compiled->sources, compiled->diags);
      }
      if (!args->schema.empty()) {
        SchemaResult sr = compile_schema(args->schema);
        if (!sr.schema) return report_diagnostics(sr.sources, sr.diags);
        target = std::move(*sr.schema);
      } else {
        target = compiled->program->schema;
      }
      if (compiled) {
        std::string error;
        if (!guide_from_program(*compiled->program, target, *as_of, guide, error)) {
          print_error(fmt::format("{} and {}: {}", args->rules, args->schema, error));
          return kExitFindings;
        }
      }
    }

    // No output may be an input (the schema, the rule file and its imports): signals are handled
    // for every command (cli/signals.h).
    {
      std::vector<RunFile> inputs;
      if (compiled) inputs = run_inputs("", compiled->sources);
      if (!args->schema.empty()) inputs.push_back({"the schema", args->schema});
      if (auto refused = check_outputs(inputs, {{"--out", args->out}})) {
        print_error(*refused);
        return kExitUsage;
      }
    }
    const auto start = std::chrono::steady_clock::now();
    std::string error;
    if (any_schema) {
      SchemaGenerator probe(target, guide, opts);
      if (!probe.valid()) {
        print_error(fmt::format("{}: {}", args->schema.empty() ? args->rules : args->schema,
                                probe.error()));
        return kExitFindings;
      }
      if (args->verbose)
        for (const auto& line : probe.describe()) fmt::print(stderr, "  {}\n", line);
      if (!generate_schema_snapshot(target, guide, opts, args->out, format, error)) {
        print_error(error);
        return kExitUsage;
      }
    } else if (!generate_snapshot(opts, args->out, format, error)) {
      print_error(error);
      return kExitUsage;
    }
    if (!args->quiet) {
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::error_code ec;
      const auto bytes = std::filesystem::file_size(args->out, ec);
      std::string guided;
      if (!args->rules.empty())
        guided = fmt::format(", guided by {} comparisons and {} value sets of {}",
                             guide.comparisons, guide.sets, args->rules);
      fmt::print(stderr, "rekindle: wrote {} rows to {} ({:.1f} MB) in {:.2f} s{}\n", args->rows,
                 args->out, ec ? 0.0 : static_cast<double>(bytes) / 1e6, secs, guided);
    }
    return kExitOk;
  };
}

}  // namespace

RK_COMMAND(gen, "gen", setup_gen);

}  // namespace rk::cli
