// Rekindle CLI: `rekindle check FILE...` parses and type-checks rule files and reports every
// diagnostic. Exit 0: clean; 1: errors found; 2: usage or I/O error.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/diag_output.h"
#include "compiler/check/compile.h"

namespace rk::cli {
namespace {

struct CheckArgs {
  std::vector<std::string> files;
  std::vector<std::string> params;
  std::string root;
  std::string format = "text";
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
  sub->footer(
      "Exit status: 0 when every file is clean, 1 when errors were found, 2 on usage or I/O "
      "errors.\nExample: rekindle check rules/winback.rules --format sarif > rekindle.sarif");
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
    std::vector<DiagSet> sets;
    sets.reserve(results.size());
    for (const auto& r : results) sets.push_back({&r.sources, r.diags});
    const std::string text =
        render_diagnostics(sets, format, format == DiagFormat::Text && isatty(2));
    if (format == DiagFormat::Text) {
      std::fputs(text.c_str(), stderr);
      if (!errors)
        for (const auto& f : args->files) fmt::print(stderr, "{}: ok\n", f);
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
