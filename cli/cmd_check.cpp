// Rekindle CLI: `rekindle check FILE...` parses and type-checks rule files, proves their
// guarantees (compiler/lint/guarantees.h: a broken one is an error, an undecided one a warning)
// and reports every diagnostic. Exit 0: clean; 1: errors found; 2: usage or I/O error.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/diag_output.h"
#include "compiler/check/compile.h"
#include "compiler/lint/guarantees.h"

namespace rk::cli {
namespace {

struct CheckArgs {
  std::vector<std::string> files;
  std::vector<std::string> params;
  std::string root;
  std::string format = "text";
  unsigned guarantee_timeout_ms = 10000;
};

std::function<int()> setup_check(CLI::App& app) {
  auto args = std::make_shared<CheckArgs>();
  auto* sub = app.add_subcommand(
      "check", "Parse and type-check rule files; print every problem with its place");
  sub->add_option("files", args->files, "Rule files to check (each with its imports)")
      ->required()
      ->check(CLI::ExistingFile);
  sub->add_option("--param", args->params,
                  "Override a parameter, NAME=VALUE (checked against its type)");
  add_root_option(sub, args->root);
  sub->add_option("--format", args->format, "Output format: text, json, sarif or github")
      ->check(CLI::IsMember({"text", "json", "sarif", "github"}));
  sub->add_option("--guarantee-timeout-ms", args->guarantee_timeout_ms,
                  "Time limit per guarantee in milliseconds; one the solver cannot decide in it is "
                  "a warning, never proven (default 10000)")
      ->check(CLI::Range(1u, 3600000u));
  sub->footer(
      "Exit status: 0 when every file is clean, 1 when errors were found (a broken guarantee "
      "included), 2 on usage or I/O errors.\nExample: rekindle check rules/winback.rules "
      "--format sarif > rekindle.sarif");
  return [args]() {
    DiagFormat format;
    parse_diag_format(args->format, format);
    CompileOptions opts;
    if (!parse_params(args->params, opts.params)) return kExitUsage;
    opts.root = args->root;
    std::vector<CompileResult> results;
    bool errors = false, io_error = false;
    for (const auto& f : args->files) {
      results.push_back(compile_rules(f, opts));
      if (stdout_is_an_input(run_inputs("", results.back().sources))) return kExitUsage;
      for (const auto& d : results.back().diags) {
        if (d.severity != Severity::Error) continue;
        errors = true;
        if ((d.code == "RK0501" || d.code == "RK0502") && !d.span) io_error = true;
      }
    }
    // Guarantees: proven on each file that checked clean.
    GuaranteeOptions gopts;
    gopts.timeout_ms = args->guarantee_timeout_ms;
    std::vector<std::vector<Diagnostic>> found(results.size());
    std::vector<std::string> proven(results.size());
    for (size_t i = 0; i < results.size(); ++i) {
      found[i] = results[i].diags;
      GuaranteeResults g = prove_guarantees(results[i], gopts);
      if (g.broken > 0) errors = true;
      for (auto& d : g.diags) found[i].push_back(std::move(d));
      std::vector<std::string> said;
      if (g.proven > 0)
        said.push_back(fmt::format("{} guarantee{} proven", g.proven, g.proven == 1 ? "" : "s"));
      if (g.undecided > 0) said.push_back(fmt::format("{} undecided", g.undecided));
      if (!said.empty()) proven[i] = fmt::format(" ({})", fmt::join(said, ", "));
    }
    std::vector<DiagSet> sets;
    sets.reserve(results.size());
    for (size_t i = 0; i < results.size(); ++i) sets.push_back({&results[i].sources, found[i]});
    const std::string text =
        render_diagnostics(sets, format, format == DiagFormat::Text && isatty(2));
    if (format == DiagFormat::Text) {
      std::fputs(text.c_str(), stderr);
      if (!errors)
        for (size_t i = 0; i < args->files.size(); ++i)
          fmt::print(stderr, "{}: ok{}\n", args->files[i], proven[i]);
    } else {
      std::fputs(text.c_str(), stdout);
    }
    if (io_error) return kExitUsage;
    return errors ? kExitFindings : kExitOk;
  };
}

}  // namespace

RK_COMMAND(check, "check", setup_check);

}  // namespace rk::cli
