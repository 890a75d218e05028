// Rekindle runtime: the evaluation session, the one place for what every command that evaluates
// rules (`rekindle eval`, `diff`, `test`, `explain`) and the Python binding need around the
// evaluator: a rule set compiled with its parameters and its hash (RuleSet); the engine, the JIT
// or the interpreter when asked for or when the JIT is unavailable, with the reason; the format of
// a result file from its name or extension; one pool of worker threads per run (Session); and the
// run's inputs as its summary states them (RunInputs). What a run grows next (experiments,
// hand-off files, a run manifest: spec winback-program.md sections 7 and 8) belongs here too.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "compiler/check/compile.h"
#include "compiler/ir/executor.h"
#include "runtime/diff.h"
#include "runtime/evaluator.h"
#include "runtime/result_writer.h"
#include "runtime/thread_pool.h"

namespace rk {

enum class Engine : uint8_t { Jit, Interpreter };
// "jit" or "interp", as on the command line and in summaries.
std::string_view engine_name(Engine engine);
std::optional<Engine> parse_engine(std::string_view name);

// The format of result file `path`: `name` ("csv", "jsonl" or "arrow") or, when `name` is empty,
// its extension (.arrow, .feather, .ipc: Arrow; .jsonl, .ndjson, .json: JSON lines; anything
// else: CSV). nullopt for an unknown name.
std::optional<ResultFormat> result_format_for(std::string_view name, std::string_view path);

// FNV-1a 64 over every source file of a rule set (path, NUL, text, in load order) as 16 hex
// digits: the `rules_fnv1a64` of a summary, which says which rules a result came from.
std::string rules_hash(const SourceSet& sources);

// "the JIT is unavailable (REASON); using the interpreter"
std::string jit_fallback_warning(std::string_view reason);

// An executor for one program: the JIT when `wanted` is Jit and it compiles the program, else the
// interpreter; `used` says which runs, and `fallback` why the JIT does not when it was wanted.
// `cache_warning` is set when the JIT's object cache folder cannot be trusted (owned by another
// user or writable by others: docs/performance.md), so the cache was not used.
struct EngineChoice {
  std::unique_ptr<Executor> executor;
  Engine used = Engine::Interpreter;
  std::string fallback;
  std::string cache_warning;
};
EngineChoice choose_engine(const ir::Program& program, Engine wanted);

// A compiled rule file: the compile result (program, diagnostics, sources, source map), its hash,
// and its executors, each made on first use and shared by every later evaluation (executors are
// thread-safe, and so is executor()).
class RuleSet {
 public:
  RuleSet(std::string path, CompileOptions options, CompileResult result);
  RuleSet(const RuleSet&) = delete;
  RuleSet& operator=(const RuleSet&) = delete;

  const std::string& path() const { return path_; }
  const CompileOptions& options() const { return options_; }
  const CompileResult& result() const { return result_; }
  // True when the rules compiled (no errors); program() may only be called then.
  bool ok() const { return result_.program.has_value(); }
  const ir::Program& program() const { return *result_.program; }
  const std::string& hash() const { return hash_; }

  // The executor for `wanted`. When the JIT is wanted but unavailable (tried once), returns the
  // interpreter with `used` Interpreter and `fallback` saying why. `cache_warning`, when given, is
  // set to the JIT's object cache warning (EngineChoice) by the call that compiled the JIT.
  const Executor& executor(Engine wanted, Engine& used, std::string& fallback,
                           std::string* cache_warning = nullptr) const;

 private:
  std::string path_;
  CompileOptions options_;
  CompileResult result_;
  std::string hash_;
  mutable std::mutex mu_;
  mutable bool jit_tried_ = false;
  mutable std::string jit_error_;
  mutable std::unique_ptr<Executor> jit_, interpreter_;
};

// Compiles a rule file (its imports relative to it), or rule text already in memory.
std::shared_ptr<const RuleSet> load_rules(const std::string& path,
                                          const CompileOptions& options = {});
std::shared_ptr<const RuleSet> load_rules_text(const std::string& path, std::string text,
                                               const CompileOptions& options = {});

// rekindle's version ("0.1.0"), as `--version` and the run manifest state it.
std::string_view rekindle_version();

// What a run read, as the `inputs` of its summary (the run manifest): rekindle's version, the
// rule file as given and its hash, the snapshot as given ("<DataFrame>" for a frame) with its size
// and SHA-256 when it is a file, the as-of date, the engine that ran, its threads and the run id.
struct RunInputs {
  std::string rules;
  std::string rules_hash;
  std::string snapshot;
  int32_t as_of = 0;
  Engine engine = Engine::Jit;
  std::string run_id;           // "" : not stated (a run without events)
  std::string snapshot_sha256;  // "" : not a file, or not read to its end
  int64_t snapshot_bytes = -1;  // -1: not a file
  int threads = 0;              // 0: not stated
  // The summary's `inputs` as text (its parameters are added from the program by summary_json).
  std::map<std::string, std::string> to_map() const;
  // ... and as numbers: snapshot_bytes and threads, when known.
  std::map<std::string, int64_t> numbers() const;
};

struct SessionOptions {
  Engine engine = Engine::Jit;
  int threads = 0;  // worker threads, the caller included; 0: one per core
  // Told each warning of the run once (a JIT fallback, an untrusted object cache folder); nothing
  // is said when unset.
  std::function<void(const std::string&)> warn;
};

// One run: its engine, its worker pool and its warnings. The engine is one for the whole run:
// once the JIT is unavailable for a rule set, every later rule set of the session runs on the
// interpreter too, so a run (and its report) names one engine.
class Session {
 public:
  explicit Session(SessionOptions options = {});
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // The engine of the run: the one asked for, or Interpreter after a fallback.
  Engine engine() const { return engine_; }
  int threads() const { return threads_; }
  // The run's worker pool, made on first use.
  WorkerPool& pool();
  // The executor of a rule set (which must be ok()) under the run's engine.
  const Executor& executor(const RuleSet& rules);
  // The run's inputs for a rule set evaluated over `snapshot` at `as_of`.
  RunInputs inputs(const RuleSet& rules, std::string snapshot, int32_t as_of) const;

  // evaluate() (runtime/evaluator.h) of a rule set on the run's engine and pool.
  bool evaluate(const RuleSet& rules, SnapshotReader& reader, ResultWriter* writer,
                const EvalOptions& options, Summary& summary, std::string& error);
  // diff_programs() (runtime/diff.h) of two rule sets on the run's engine and pool.
  bool diff(const RuleSet& old_rules, const RuleSet& new_rules, const MergedSchema& merged,
            SnapshotReader& reader, const DiffOptions& options, DiffReport& report,
            std::string& error);

 private:
  SessionOptions options_;
  Engine engine_;
  int threads_;
  std::unique_ptr<WorkerPool> pool_;
};

}  // namespace rk
