// Rekindle CLI: `rekindle diff OLD.rules NEW.rules --snapshot FILE` evaluates two versions of a
// rule file over the same snapshot and reports how customers move between values (segments,
// candidate, stops, reviews, sequence decisions) as text, JSON or a Markdown pull-request comment.
// It reports, it does not judge: exit 0 when it ran, 1 on rule or data errors, 2 on usage.
#include <fmt/format.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "base/date.h"
#include "cli/command.h"
#include "cli/common.h"
#include "cli/diag_output.h"
#include "runtime/data_errors.h"
#include "runtime/diff.h"
#include "runtime/session.h"

namespace rk::cli {
namespace {

struct DiffArgs {
  std::string old_rules, new_rules, snapshot, as_of, format = "text", engine = "jit";
  std::vector<std::string> params;
  std::string root;
  int samples = 5;
  int threads = 0;
};

std::atomic<bool> g_diff_cancel{false};

extern "C" void on_diff_signal(int) {
  g_diff_cancel.store(true);
}

int run_diff(const DiffArgs& a) {
  CompileOptions copts;
  if (!parse_params(a.params, copts.params)) return kExitUsage;
  copts.root = a.root;
  auto as_of = parse_as_of(a.as_of);
  if (!as_of) return kExitUsage;

  const auto old_rules = load_rules(a.old_rules, copts);
  const auto new_rules = load_rules(a.new_rules, copts);
  if (!old_rules->ok() || !new_rules->ok()) {
    print_diagnostics({{&old_rules->result().sources, old_rules->result().diags},
                       {&new_rules->result().sources, new_rules->result().diags}});
    return kExitFindings;
  }
  {
    std::vector<RunFile> inputs = run_inputs(a.snapshot, old_rules->result().sources);
    for (auto& f : run_inputs("", new_rules->result().sources)) inputs.push_back(std::move(f));
    if (stdout_is_an_input(inputs)) return kExitUsage;
  }
  MergedSchema merged;
  std::string err;
  if (!merge_schemas(old_rules->program(), new_rules->program(), a.old_rules, a.new_rules, merged,
                     err)) {
    print_error(err);
    return kExitFindings;
  }
  Session session(session_options(a.engine, a.threads));
  session.executor(*old_rules);  // the engines now, so a JIT fallback is said before anything else
  session.executor(*new_rules);

  std::optional<SnapshotError> serr;
  DataErrors bad_rows;  // every bad row of the snapshot, not only the first
  ReaderOptions ropts;
  ropts.errors = &bad_rows;
  auto reader = open_snapshot(a.snapshot, merged.schema, ropts, serr);
  if (!reader) {
    print_error(serr ? serr->to_string() : fmt::format("cannot open {}", a.snapshot));
    return kExitFindings;
  }
  std::signal(SIGINT, on_diff_signal);
  std::signal(SIGTERM, on_diff_signal);

  DiffOptions dopts;
  dopts.as_of = *as_of;
  dopts.samples = a.samples;
  dopts.cancel = &g_diff_cancel;
  DiffReport report;
  if (!session.diff(*old_rules, *new_rules, merged, *reader, dopts, report, err)) {
    if (reader->error())
      print_read_errors(bad_rows, err);
    else
      print_error(err);
    return kExitFindings;
  }
  DiffHeader h{a.old_rules,
               a.new_rules,
               a.snapshot,
               format_iso_date(*as_of),
               std::string(engine_name(session.engine())),
               copts.params};
  std::string out;
  if (a.format == "json")
    out = diff_json(report, h);
  else if (a.format == "markdown")
    out = diff_markdown(report, h);
  else
    out = diff_text(report, h);
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
  return kExitOk;
}

std::function<int()> setup_diff(CLI::App& app) {
  auto a = std::make_shared<DiffArgs>();
  auto* sub = app.add_subcommand(
      "diff", "Show how a rule change moves customers: evaluate two rule files over one snapshot");
  sub->add_option("old", a->old_rules, "The rule file before the change")
      ->required()
      ->check(CLI::ExistingFile);
  sub->add_option("new", a->new_rules, "The rule file after the change")
      ->required()
      ->check(CLI::ExistingFile);
  add_snapshot_option(sub, a->snapshot)->required();
  add_as_of_option(sub, a->as_of);
  sub->add_option("--param", a->params,
                  "Override a parameter in both rule files, NAME=VALUE (repeatable)");
  add_root_option(sub, a->root);
  sub->add_option("--format", a->format, "Output: text (default), json or markdown")
      ->check(CLI::IsMember({"text", "json", "markdown"}));
  sub->add_option("--samples", a->samples, "Sample customer ids per move (default 5)")
      ->check(CLI::Range(0, 1000));
  add_session_options(sub, a->threads, a->engine);
  sub->footer(
      "Exit status: 0 when the diff ran (whatever it found), 1 on rule or data errors, 2 on "
      "usage errors.\n"
      "Examples:\n"
      "  rekindle diff main.rules rules/winback.rules --snapshot customers.arrow --as-of "
      "2026-11-01\n"
      "  rekindle diff old.rules new.rules --snapshot customers.csv --format markdown > "
      "comment.md");
  return [a]() { return run_diff(*a); };
}

}  // namespace

RK_COMMAND(diff, "diff", setup_diff);

}  // namespace rk::cli
