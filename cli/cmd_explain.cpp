// Rekindle CLI: `rekindle explain RULES --snapshot FILE --customer ID` (or `--given FIELD=VALUE
// ...`) says why one customer got what they got: every segment, the candidate rule, every stop and
// review rule and each sequence decision, with the rule that decided it (file:line), the values it
// read and which part of its condition was true, false or unknown.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/diag_output.h"
#include "runtime/explain.h"
#include "runtime/session.h"

namespace rk::cli {
namespace {

struct ExplainArgs {
  std::string rules, snapshot, customer, as_of, format = "text", experiments;
  std::vector<std::string> params, given;
  std::string root;
};

int run_explain(const ExplainArgs& a) {
  const bool by_snapshot = !a.snapshot.empty() || !a.customer.empty();
  if (by_snapshot && !a.given.empty()) {
    print_error("give either --snapshot FILE --customer ID or --given FIELD=VALUE ..., not both");
    return kExitUsage;
  }
  if (!by_snapshot && a.given.empty()) {
    print_error(
        "say which customer: --snapshot FILE --customer ID, or the customer's fields with "
        "--given FIELD=VALUE ...");
    return kExitUsage;
  }
  if (by_snapshot && (a.snapshot.empty() || a.customer.empty())) {
    print_error(a.snapshot.empty() ? "--customer needs --snapshot FILE"
                                   : "--snapshot needs --customer ID");
    return kExitUsage;
  }
  CompileOptions copts;
  if (!parse_params(a.params, copts.params)) return kExitUsage;
  copts.root = a.root;
  if (!a.experiments.empty()) {
    copts.experiments = read_experiments(a.experiments);
    if (!copts.experiments) return kExitUsage;
  }
  auto as_of = parse_as_of(a.as_of);
  if (!as_of) return kExitUsage;

  const auto rules = load_rules(a.rules, copts);
  if (!rules->ok()) {
    print_diagnostics({{&rules->result().sources, rules->result().diags}});
    return kExitFindings;
  }
  const ir::Program& program = rules->program();
  if (stdout_is_an_input(run_inputs(by_snapshot ? a.snapshot : "", rules->result().sources)))
    return kExitUsage;
  Batch batch;
  int64_t row = 0;
  std::string err;
  if (by_snapshot) {
    std::optional<SnapshotError> serr;
    auto reader = open_snapshot(a.snapshot, program.schema, ReaderOptions{}, serr);
    if (!reader) {
      print_error(serr ? serr->to_string() : fmt::format("cannot open {}", a.snapshot));
      return kExitFindings;
    }
    if (!find_customer(*reader, program.schema, a.customer, a.snapshot, batch, row, err)) {
      print_error(err);
      return kExitFindings;
    }
  } else if (!given_batch(program.schema, a.given, batch, err)) {
    print_error(err);
    return err.rfind("--given ", 0) == 0 && err.find("expected FIELD=VALUE") != std::string::npos
               ? kExitUsage
               : kExitFindings;
  }
  Explanation e;
  if (!explain_row(rules->result(), batch, row, *as_of, e, err)) {
    print_error(err);
    return kExitFindings;
  }
  const std::string out = a.format == "json" ? explain_json(e) : explain_text(e);
  std::fputs(out.c_str(), stdout);
  return kExitOk;
}

std::function<int()> setup_explain(CLI::App& app) {
  auto a = std::make_shared<ExplainArgs>();
  auto* sub = app.add_subcommand(
      "explain",
      "Explain one customer's result: the rule behind every segment, stop, review and touch");
  add_rules_argument(sub, a->rules);
  add_snapshot_option(sub, a->snapshot);
  sub->add_option("--customer", a->customer, "The customer's key (e.g. its customer_id)");
  sub->add_option("--given", a->given,
                  "A field of a made-up customer, FIELD=VALUE as written in a CSV snapshot "
                  "(repeatable; instead of --snapshot/--customer)");
  add_as_of_option(sub, a->as_of);
  sub->add_option("--param", a->params, "Override a parameter, NAME=VALUE (repeatable)");
  sub->add_option("--experiments", a->experiments,
                  "Paused variants, as `rekindle eval --experiments` reads them (the verdicts "
                  "file of `rekindle measure`)");
  add_root_option(sub, a->root);
  sub->add_option("--format", a->format, "Output: text (default) or json")
      ->check(CLI::IsMember({"text", "json"}));
  sub->footer(
      "Exit status: 0 when explained, 1 on rule or data errors or an unknown customer, 2 on "
      "usage errors.\n"
      "Examples:\n"
      "  rekindle explain rules/winback.rules --snapshot customers.csv --customer C000042 "
      "--as-of 2026-11-01\n"
      "  rekindle explain rules/winback.rules --as-of 2026-11-01 --given customer_id=X "
      "--given orders_total=3 ...");
  return [a]() { return run_explain(*a); };
}

}  // namespace

RK_COMMAND(explain, "explain", setup_explain);

}  // namespace rk::cli
