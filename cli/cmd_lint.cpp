// Rekindle CLI: `rekindle lint FILE...` checks rule files like `rekindle check`, then runs the
// RK06xx lints (compiler/lint) on each file without errors: shadowed labels, rules that can never
// fire, always-true or always-false conditions, empty and overlapping ranges, rules that fail
// closed on missing values without saying so, outreach without consent, unreviewed discounts,
// incomplete sequences and unused declarations. Exit 0: no errors (and no warnings with
// --werror); 1: errors, or warnings with --werror; 2: usage or I/O error.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/diag_output.h"
#include "compiler/check/compile.h"
#include "compiler/lint/guarantees.h"
#include "compiler/lint/lint.h"

namespace rk::cli {
namespace {

struct LintArgs {
  std::vector<std::string> files;
  std::vector<std::string> params;
  std::string root;
  std::string format = "text";
  bool werror = false;
  unsigned timeout_ms = 200;
  unsigned guarantee_timeout_ms = 10000;
};

std::function<int()> setup_lint(CLI::App& app) {
  auto args = std::make_shared<LintArgs>();
  auto* sub = app.add_subcommand(
      "lint",
      "Find mistakes the type checker cannot see: rules that can never fire, shadowed "
      "labels, unreviewed discounts, ... (RK06xx warnings)");
  sub->add_option("files", args->files, "Rule files to lint (each with its imports)")
      ->required()
      ->check(CLI::ExistingFile);
  sub->add_option("--param", args->params,
                  "Override a parameter, NAME=VALUE; lints decide for these values");
  add_root_option(sub, args->root);
  sub->add_option("--format", args->format, "Output format: text, json, sarif or github")
      ->check(CLI::IsMember({"text", "json", "sarif", "github"}));
  sub->add_flag("--werror", args->werror, "Exit with status 1 when there is any warning");
  sub->add_option("--timeout-ms", args->timeout_ms,
                  "Time limit per solver question in milliseconds; an undecided question stays "
                  "silent (default 200)")
      ->check(CLI::Range(1u, 600000u));
  sub->add_option("--guarantee-timeout-ms", args->guarantee_timeout_ms,
                  "Time limit per guarantee in milliseconds; one the solver cannot decide in it is "
                  "a warning, never proven (default 10000)")
      ->check(CLI::Range(1u, 3600000u));
  sub->footer(
      "Silence one finding with a comment line directly above the rule (above its `##` doc\n"
      "comment): `# rekindle: allow RK0602`. The lints are listed in docs/lints.md.\n"
      "Exit status: 0 when no file has errors (warnings allowed unless --werror), 1 when errors\n"
      "were found or --werror and warnings were found, 2 on usage or I/O errors.\n"
      "Examples:\n"
      "  rekindle lint rules/winback.rules\n"
      "  rekindle lint --werror rules/*.rules --format github");
  return [args]() {
    DiagFormat format;
    parse_diag_format(args->format, format);
    CompileOptions opts;
    if (!parse_params(args->params, opts.params)) return kExitUsage;
    opts.root = args->root;
    LintOptions lopts;
    lopts.timeout_ms = args->timeout_ms;
    std::vector<CompileResult> results;
    std::vector<DiagSet> sets;
    bool errors = false, warnings = false, io_error = false;
    for (const auto& f : args->files) {
      results.push_back(compile_rules(f, opts));
      if (stdout_is_an_input(run_inputs("", results.back().sources))) return kExitUsage;
      const CompileResult& r = results.back();
      for (const auto& d : r.diags) {
        if (d.severity == Severity::Error) errors = true;
        if (d.severity == Severity::Warning) warnings = true;
        if (d.severity == Severity::Error && (d.code == "RK0501" || d.code == "RK0502") && !d.span)
          io_error = true;
      }
    }
    std::vector<std::vector<Diagnostic>> found(results.size());
    for (size_t i = 0; i < results.size(); ++i) {
      found[i] = results[i].diags;  // check errors first
      if (!results[i].program) continue;
      for (auto& d : lint_program(results[i], lopts)) {
        if (d.severity == Severity::Warning) warnings = true;
        found[i].push_back(std::move(d));
      }
      GuaranteeOptions gopts;
      gopts.timeout_ms = args->guarantee_timeout_ms;
      GuaranteeResults g = prove_guarantees(results[i], gopts);
      if (g.broken > 0) errors = true;
      if (g.undecided > 0) warnings = true;
      for (auto& d : g.diags) found[i].push_back(std::move(d));
    }
    for (size_t i = 0; i < results.size(); ++i) sets.push_back({&results[i].sources, found[i]});
    const std::string text =
        render_diagnostics(sets, format, format == DiagFormat::Text && isatty(2));
    if (format == DiagFormat::Text) {
      std::fputs(text.c_str(), stderr);
      for (size_t i = 0; i < results.size(); ++i)
        if (found[i].empty()) fmt::print(stderr, "{}: ok\n", args->files[i]);
    } else {
      std::fputs(text.c_str(), stdout);
    }
    if (io_error) return kExitUsage;
    if (errors || (args->werror && warnings)) return kExitFindings;
    return kExitOk;
  };
}

}  // namespace

RK_COMMAND(lint, "lint", setup_lint);

}  // namespace rk::cli
