// Rekindle CLI: `rekindle eval RULES --snapshot FILE` compiles the rules, evaluates every customer
// of the snapshot with the JIT (or the interpreter) and writes the output contract atomically,
// with a summary of counts on standard error or as JSON.
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "base/date.h"
#include "cli/command.h"
#include "cli/common.h"
#include "cli/diag_output.h"
#include "runtime/data_errors.h"
#include "runtime/handoff.h"
#include "runtime/output_guard.h"
#include "runtime/session.h"

namespace rk::cli {
namespace {

struct EvalArgs {
  std::string rules, snapshot, as_of, out, format, summary, experiments, engine = "jit";
  std::string drafts, review_queue, events;
  std::optional<std::string> run_id;  // unset: the default run id
  std::vector<std::string> params;
  std::string root;
  int threads = 0;
  bool quiet = false;
};

std::atomic<bool> g_cancel{false};

class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled), start_(clock::now()) {}
  // `estimated`: `total` is an estimate (from the share of a CSV file read), shown with a `~`.
  void update(int64_t done, int64_t total, bool estimated = false) {
    if (!enabled_) return;
    const double secs = std::chrono::duration<double>(clock::now() - start_).count();
    if (secs < 1.0) return;
    const double rate = done / std::max(secs, 1e-9);
    std::string line = fmt::format("\r{:>12} rows  {:>10.0f} rows/s", done, rate);
    if (total > 0) {
      const double frac = static_cast<double>(done) / total;
      const int width = 24, filled = static_cast<int>(frac * width);
      line += fmt::format("  [{}{}] {}{:3.0f}%  ETA {:.0f}s", std::string(filled, '#'),
                          std::string(width - filled, '.'), estimated ? "~" : "", frac * 100,
                          rate > 0 ? (total - done) / rate : 0.0);
    }
    fmt::print(stderr, "{}", line);
    shown_ = true;
  }
  void finish() {
    if (shown_) fmt::print(stderr, "\n");
  }

 private:
  using clock = std::chrono::steady_clock;
  bool enabled_, shown_ = false;
  clock::time_point start_;
};

int run_eval(const EvalArgs& a) {
  CompileOptions copts;
  if (!parse_params(a.params, copts.params)) return kExitUsage;
  copts.root = a.root;
  if (!a.experiments.empty()) {
    copts.experiments = read_experiments(a.experiments);
    if (!copts.experiments) return kExitUsage;
  }
  auto as_of = parse_as_of(a.as_of);
  if (!as_of) return kExitUsage;
  const std::optional<ResultFormat> format = result_format_for(a.format, a.out);
  if (!format) {
    print_error(fmt::format("--format {}: expected csv, jsonl or arrow", a.format));
    return kExitUsage;
  }
  if (a.out.empty() && *format == ResultFormat::Arrow) {
    print_error("--format arrow needs --out FILE");
    return kExitUsage;
  }

  const auto rules = load_rules(a.rules, copts);
  if (!rules->ok()) {
    print_diagnostics({{&rules->result().sources, rules->result().diags}});
    return kExitFindings;
  }
  const ir::Program& program = rules->program();
  Session session(session_options(a.engine, a.threads));
  session.executor(*rules);  // the engine now, so a JIT fallback is said before anything else

  // No output may be an input of the run (the experiments file too) or another output
  // (runtime/output_guard.h).
  std::vector<RunFile> inputs = run_inputs(a.snapshot, rules->result().sources);
  if (!a.experiments.empty()) inputs.push_back({"the experiments file", a.experiments});
  if (auto refused = check_outputs(inputs, {{"--out", a.out.empty() ? "-" : a.out},
                                            {"--summary", a.summary},
                                            {"--drafts", a.drafts},
                                            {"--review-queue", a.review_queue},
                                            {"--events", a.events}})) {
    print_error(*refused);
    return kExitUsage;
  }

  std::optional<SnapshotError> serr;
  DataErrors bad_rows;  // every bad row of the snapshot, not only the first
  ReaderOptions ropts;
  ropts.threads = a.threads > 0
                      ? a.threads
                      : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  ropts.errors = &bad_rows;
  // The snapshot's SHA-256 is only computed for a run that reports it: in the summary's manifest,
  // or on standard error when not --quiet (docs/cli.md).
  ropts.fingerprint = !a.summary.empty() || !a.quiet;
  auto reader = open_snapshot(a.snapshot, program.schema, ropts, serr);
  if (!reader) {
    print_error(serr ? serr->to_string() : fmt::format("cannot open {}", a.snapshot));
    return kExitFindings;
  }

  // The summary's temporary file is opened before the run, so a summary that cannot be written
  // (a missing or read-only folder) fails at once, before any result file is made.
  AtomicFile summary_file;
  if (!a.summary.empty() && !summary_file.open(a.summary)) {
    print_error(summary_file.error());
    return kExitUsage;
  }

  HandoffOptions hopts;
  hopts.drafts = a.drafts;
  hopts.review_queue = a.review_queue;
  hopts.events = a.events;
  hopts.as_of = *as_of;
  hopts.run_id = a.run_id ? *a.run_id : default_run_id(*as_of, rules->hash());
  if (const std::string bad = check_run_id(hopts.run_id); !bad.empty()) {
    print_error(bad);
    return kExitUsage;
  }

  // The result, the hand-off files and the summary are one group: each is written under a
  // temporary name, and they appear together once all are complete (runtime/handoff.h).
  std::string err;
  std::unique_ptr<ResultWriter> result =
      open_result_writer(a.out.empty() ? "-" : a.out, *format, program, err);
  std::unique_ptr<OutputGroupWriter> writer;
  if (result) writer = OutputGroupWriter::open(std::move(result), program, hopts, err);
  if (!writer) {
    print_error(err);
    return kExitUsage;
  }
  if (!a.summary.empty()) writer->add_companion(summary_file);

  ProgressBar bar(isatty(2) && !a.quiet);
  EvalOptions eopts;
  eopts.as_of = *as_of;
  eopts.cancel = &g_cancel;
  eopts.read_ahead = true;  // the C++ readers may run on another thread
  eopts.progress = [&](int64_t done, int64_t total) {
    // A CSV's row count is not known in advance: estimate it from the share of bytes read.
    const double read = total < 0 ? reader->fraction_read() : -1;
    if (read > 0.001 && done > 0) total = std::max(done, static_cast<int64_t>(done / read));
    bar.update(done, total, total >= 0 && read > 0);
  };
  Summary summary;
  const bool ok = session.evaluate(*rules, *reader, writer.get(), eopts, summary, err);
  bar.finish();
  if (!ok) {
    // A write error (a full disk, a closed pipe) is an I/O error; anything else is in the data.
    const bool io = !writer->error().empty();
    writer.reset();  // removes the temporary file
    if (reader->error())
      print_read_errors(bad_rows, err);
    else
      print_error(err);
    return io ? kExitUsage : kExitFindings;
  }
  // The result and the hand-off files are completed (written and synced) first; the snapshot's
  // SHA-256, computed on a thread of its own as the snapshot was read, finishes meanwhile. Then
  // the summary states the run (the manifest), and every file is renamed into place together.
  if (!writer->complete()) {
    print_error(writer->error());
    return kExitUsage;  // an I/O error; the writers' destructors remove their temporary files
  }
  RunInputs run = session.inputs(*rules, a.snapshot, *as_of);
  run.run_id = hopts.run_id;
  run.snapshot_sha256 = reader->sha256();
  run.snapshot_bytes = reader->bytes_read();
  if (!a.summary.empty() &&
      !summary_file.write(summary_json(program, summary, run.to_map(), run.numbers()))) {
    print_error(summary_file.error());
    return kExitFindings;
  }
  if (!writer->publish()) {
    print_error(writer->error());
    return kExitUsage;
  }
  if (a.summary.empty() && !a.quiet) {
    // The run's inputs first, so a summary pasted into a ticket says how to reproduce it.
    std::string params;
    for (const auto& [name, value] : program.params)
      params += fmt::format("{}{} = {}", params.empty() ? "" : ", ", name, value);
    fmt::print(stderr, "rules {} (fnv1a64 {}), snapshot {}, as of {}, {} engine\n", run.rules,
               run.rules_hash, run.snapshot, format_iso_date(run.as_of), engine_name(run.engine));
    if (!params.empty()) fmt::print(stderr, "params: {}\n", params);
    fmt::print(stderr, "run {}, rekindle {}, {} thread(s), snapshot {} bytes, sha256 {}\n",
               run.run_id, rekindle_version(), run.threads, run.snapshot_bytes,
               run.snapshot_sha256.empty() ? "-" : run.snapshot_sha256);
    fmt::print(stderr, "{}", summary_text(program, summary));
  }
  return kExitOk;
}

std::function<int()> setup_eval(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  auto* sub = app.add_subcommand(
      "eval", "Evaluate rules over a customer snapshot and write one result row per customer");
  add_rules_argument(sub, a->rules);
  add_snapshot_option(sub, a->snapshot)->required();
  add_as_of_option(sub, a->as_of);
  sub->add_option("--param", a->params, "Override a parameter, NAME=VALUE (repeatable)");
  add_root_option(sub, a->root);
  sub->add_option("--out", a->out, "Result file (default: CSV on standard output)");
  sub->add_option("--format", a->format,
                  "Result format: csv, jsonl or arrow (default: from --out's extension)");
  sub->add_option("--summary", a->summary, "Write the summary as JSON to this file");
  sub->add_option("--experiments", a->experiments,
                  "Pause variants: a JSON object {\"paused\": [\"SEQUENCE.TOUCH.VARIANT\", ...]} "
                  "(the verdicts file of `rekindle measure --verdicts`)");
  sub->add_option("--drafts", a->drafts,
                  "Write one outreach draft per due touch to this file (JSON lines)");
  sub->add_option("--review-queue", a->review_queue,
                  "Write the owner-approval queue, one row per reviewed customer (CSV)");
  sub->add_option("--events", a->events,
                  "Write one decision event per customer and sequence entered (JSON lines)");
  sub->add_option("--run-id", a->run_id,
                  "The events' run id (default: AS_OF/ and the rule set's hash's first 8 digits)");
  add_session_options(sub, a->threads, a->engine);
  sub->add_flag("--quiet", a->quiet, "No summary or progress on standard error");
  sub->footer(
      "Example: rekindle eval rules/winback.rules --snapshot rules/sample.csv --as-of "
      "2026-11-01 --out results.csv --summary summary.json");
  return [a]() { return run_eval(*a); };
}

}  // namespace

RK_COMMAND(eval, "eval", setup_eval);

}  // namespace rk::cli
