// Rekindle runtime: the evaluation session (see session.h).
#include "runtime/session.h"

#include <fmt/format.h>

#include <filesystem>

#include "base/date.h"
#include "base/fnv1a.h"
#include "compiler/jit/jit.h"
#include "runtime/interpreter.h"

namespace rk {

std::string_view engine_name(Engine engine) {
  switch (engine) {
    case Engine::Jit:
      return "jit";
    case Engine::Interpreter:
      return "interp";
  }
  return "?";
}

std::optional<Engine> parse_engine(std::string_view name) {
  if (name == "jit") return Engine::Jit;
  if (name == "interp") return Engine::Interpreter;
  return std::nullopt;
}

std::optional<ResultFormat> result_format_for(std::string_view name, std::string_view path) {
  std::string_view f = name;
  if (f.empty()) {
    const std::string ext = std::filesystem::path(path).extension().string();
    if (ext == ".arrow" || ext == ".feather" || ext == ".ipc")
      f = "arrow";
    else if (ext == ".jsonl" || ext == ".ndjson" || ext == ".json")
      f = "jsonl";
    else
      f = "csv";
  }
  if (f == "csv") return ResultFormat::Csv;
  if (f == "jsonl") return ResultFormat::Jsonl;
  if (f == "arrow") return ResultFormat::Arrow;
  return std::nullopt;
}

std::string rules_hash(const SourceSet& sources) {
  uint64_t h = kFnvOffset;
  for (size_t i = 0; i < sources.size(); ++i) {
    const SourceFile& f = sources.file(static_cast<uint32_t>(i));
    h = fnv1a64_update(h, f.path);
    h = fnv1a64_update(h, std::string_view("\0", 1));
    h = fnv1a64_update(h, f.text);
  }
  return fmt::format("{:016x}", h);
}

std::string jit_fallback_warning(std::string_view reason) {
  return fmt::format("the JIT is unavailable ({}); using the interpreter", reason);
}

EngineChoice choose_engine(const ir::Program& program, Engine wanted) {
  EngineChoice c;
  if (wanted == Engine::Jit) {
    jit::JitStats stats;
    c.executor = jit::compile(program, c.fallback, {}, &stats);
    c.cache_warning = std::move(stats.cache_warning);
    if (c.executor) {
      c.used = Engine::Jit;
      return c;
    }
  }
  c.executor = make_interpreter(program);
  c.used = Engine::Interpreter;
  return c;
}

RuleSet::RuleSet(std::string path, CompileOptions options, CompileResult result)
    : path_(std::move(path)),
      options_(std::move(options)),
      result_(std::move(result)),
      hash_(rules_hash(result_.sources)) {}

const Executor& RuleSet::executor(Engine wanted, Engine& used, std::string& fallback,
                                  std::string* cache_warning) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (wanted == Engine::Jit) {
    if (!jit_tried_) {
      jit_tried_ = true;
      EngineChoice c = choose_engine(program(), Engine::Jit);
      if (cache_warning) *cache_warning = std::move(c.cache_warning);
      if (c.used == Engine::Jit)
        jit_ = std::move(c.executor);
      else
        jit_error_ = std::move(c.fallback);
    }
    if (jit_) {
      used = Engine::Jit;
      return *jit_;
    }
    fallback = jit_error_;
  }
  if (!interpreter_) interpreter_ = make_interpreter(program());
  used = Engine::Interpreter;
  return *interpreter_;
}

std::shared_ptr<const RuleSet> load_rules(const std::string& path, const CompileOptions& options) {
  return std::make_shared<const RuleSet>(path, options, compile_rules(path, options));
}

std::shared_ptr<const RuleSet> load_rules_text(const std::string& path, std::string text,
                                               const CompileOptions& options) {
  return std::make_shared<const RuleSet>(path, options,
                                         compile_rules_text(path, std::move(text), options));
}

std::string_view rekindle_version() {
  return RK_VERSION;
}

std::map<std::string, std::string> RunInputs::to_map() const {
  std::map<std::string, std::string> m{{"version", std::string(rekindle_version())},
                                       {"rules", rules},
                                       {"rules_fnv1a64", rules_hash},
                                       {"snapshot", snapshot},
                                       {"as_of", format_iso_date(as_of)},
                                       {"engine", std::string(engine_name(engine))}};
  if (!run_id.empty()) m["run_id"] = run_id;
  if (!snapshot_sha256.empty()) m["snapshot_sha256"] = snapshot_sha256;
  return m;
}

std::map<std::string, int64_t> RunInputs::numbers() const {
  std::map<std::string, int64_t> m;
  if (snapshot_bytes >= 0) m["snapshot_bytes"] = snapshot_bytes;
  if (threads > 0) m["threads"] = threads;
  return m;
}

Session::Session(SessionOptions options)
    : options_(std::move(options)),
      engine_(options_.engine),
      threads_(thread_count(options_.threads)) {}

WorkerPool& Session::pool() {
  if (!pool_) pool_ = std::make_unique<WorkerPool>(threads_);
  return *pool_;
}

const Executor& Session::executor(const RuleSet& rules) {
  Engine used = engine_;
  std::string fallback, cache_warning;
  const Executor& x = rules.executor(engine_, used, fallback, &cache_warning);
  if (!cache_warning.empty() && options_.warn) options_.warn(cache_warning);
  if (used != engine_) {
    engine_ = used;
    if (options_.warn) options_.warn(jit_fallback_warning(fallback));
  }
  return x;
}

RunInputs Session::inputs(const RuleSet& rules, std::string snapshot, int32_t as_of) const {
  RunInputs in{rules.path(), rules.hash(), std::move(snapshot), as_of, engine_};
  in.threads = threads_;
  return in;
}

bool Session::evaluate(const RuleSet& rules, SnapshotReader& reader, ResultWriter* writer,
                       const EvalOptions& options, Summary& summary, std::string& error) {
  const Executor& x = executor(rules);
  return rk::evaluate(rules.program(), x, reader, writer, pool(), options, summary, error);
}

bool Session::diff(const RuleSet& old_rules, const RuleSet& new_rules, const MergedSchema& merged,
                   SnapshotReader& reader, const DiffOptions& options, DiffReport& report,
                   std::string& error) {
  const Executor& old_x = executor(old_rules);
  const Executor& new_x = executor(new_rules);
  return diff_programs(old_rules.program(), old_x, new_rules.program(), new_x, merged, reader,
                       pool(), options, report, error);
}

}  // namespace rk
