// Rekindle runtime tests: the evaluation session (runtime/session.h) and its worker pool
// (runtime/thread_pool.h): engine names, the result format from a name or an extension, the rules
// hash, a rule set's executors made once, the JIT fallback said once per run (and the run then on
// the interpreter), the run's inputs, the same summary for any thread count, and a pool that runs
// every task exactly once, run after run.
#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <vector>

#include "base/date.h"
#include "base/fnv1a.h"
#include "runtime/session.h"

using namespace rk;

namespace {

std::string playbook() {
  return std::string(RK_SOURCE_DIR) + "/rules/winback.rules";
}

// A rule set whose program the JIT declines (an Int division is not an IR operation), as a
// program the JIT cannot compile for any other reason (size, no executable memory).
std::shared_ptr<const RuleSet> jit_declined_rules() {
  CompileResult r;
  ir::Program p;
  FieldDef key;
  key.name = "id";
  key.type = FieldType::String;
  key.key = true;
  p.schema.fields.push_back(key);
  p.schema.key_field = 0;
  auto node = [&](ir::Op op, ir::Ty ty, std::vector<uint32_t> args, int64_t imm = 0) {
    ir::Node n;
    n.op = op;
    n.ty = ty;
    n.imm = imm;
    n.args = std::move(args);
    p.nodes.push_back(n);
    return static_cast<uint32_t>(p.nodes.size() - 1);
  };
  const uint32_t a = node(ir::Op::ConstInt, ir::Ty::Int, {}, 6);
  const uint32_t b = node(ir::Op::ConstInt, ir::Ty::Int, {}, 3);
  p.outputs.push_back({"div", node(ir::Op::Div, ir::Ty::Int, {a, b})});
  r.program = std::move(p);
  return std::make_shared<const RuleSet>("declined.rules", CompileOptions{}, std::move(r));
}

int32_t day(const char* iso) {
  int32_t d = 0;
  REQUIRE(parse_iso_date(iso, d));
  return d;
}

}  // namespace

TEST_CASE("session: engine names and result formats", "[session]") {
  CHECK(engine_name(Engine::Jit) == "jit");
  CHECK(engine_name(Engine::Interpreter) == "interp");
  CHECK(parse_engine("jit") == Engine::Jit);
  CHECK(parse_engine("interp") == Engine::Interpreter);
  CHECK_FALSE(parse_engine("llvm"));
  CHECK(result_format_for("", "out.csv") == ResultFormat::Csv);
  CHECK(result_format_for("", "out") == ResultFormat::Csv);
  CHECK(result_format_for("", "-") == ResultFormat::Csv);
  CHECK(result_format_for("", "a/b.arrow") == ResultFormat::Arrow);
  CHECK(result_format_for("", "b.feather") == ResultFormat::Arrow);
  CHECK(result_format_for("", "b.ipc") == ResultFormat::Arrow);
  CHECK(result_format_for("", "b.jsonl") == ResultFormat::Jsonl);
  CHECK(result_format_for("", "b.ndjson") == ResultFormat::Jsonl);
  CHECK(result_format_for("", "b.json") == ResultFormat::Jsonl);
  CHECK(result_format_for("csv", "b.arrow") == ResultFormat::Csv);  // the name wins
  CHECK(result_format_for("jsonl", "") == ResultFormat::Jsonl);
  CHECK_FALSE(result_format_for("xml", "b.csv"));
}

TEST_CASE("session: the rules hash is FNV-1a 64 over path, NUL and text of every file",
          "[session]") {
  SourceSet s;
  s.add("a.rules", "x = 1");
  s.add("b.schema", "");
  const std::string bytes = std::string("a.rules") + '\0' + "x = 1" + "b.schema" + '\0';
  char want[17];
  std::snprintf(want, sizeof want, "%016llx", static_cast<unsigned long long>(fnv1a64(bytes)));
  CHECK(rules_hash(s) == want);
  CHECK(rules_hash(SourceSet{}) == "cbf29ce484222325");
}

TEST_CASE("session: a rule set compiles once and makes each executor once", "[session]") {
  const auto rules = load_rules(playbook());
  REQUIRE(rules->ok());
  CHECK(rules->path() == playbook());
  CHECK(rules->hash() == rules_hash(rules->result().sources));
  Engine used = Engine::Jit;
  std::string why;
  const Executor& interp = rules->executor(Engine::Interpreter, used, why);
  CHECK(used == Engine::Interpreter);
  CHECK(interp.name() == "interpreter");
  const Executor& jit = rules->executor(Engine::Jit, used, why);
  CHECK(used == Engine::Jit);
  CHECK(jit.name() == "jit");
  CHECK(why.empty());
  CHECK(&rules->executor(Engine::Jit, used, why) == &jit);
  CHECK(&rules->executor(Engine::Interpreter, used, why) == &interp);
  const auto broken = load_rules_text("broken.rules", "segment {");
  CHECK_FALSE(broken->ok());
  CHECK_FALSE(broken->result().diags.empty());
}

TEST_CASE("session: a JIT fallback is said once and the run goes on on the interpreter",
          "[session]") {
  const auto declined = jit_declined_rules();
  EngineChoice c = choose_engine(declined->program(), Engine::Jit);
  CHECK(c.used == Engine::Interpreter);
  CHECK(c.executor->name() == "interpreter");
  CHECK_FALSE(c.fallback.empty());
  CHECK(choose_engine(declined->program(), Engine::Interpreter).fallback.empty());

  std::vector<std::string> warnings;
  SessionOptions o;
  o.warn = [&](const std::string& w) { warnings.push_back(w); };
  Session session(o);
  CHECK(session.engine() == Engine::Jit);
  CHECK(session.executor(*declined).name() == "interpreter");
  CHECK(session.executor(*declined).name() == "interpreter");
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] == jit_fallback_warning(c.fallback));
  CHECK(warnings[0].rfind("the JIT is unavailable (", 0) == 0);
  CHECK(session.engine() == Engine::Interpreter);
  // One engine per run: a later rule set runs on the interpreter too.
  const auto rules = load_rules(playbook());
  CHECK(session.executor(*rules).name() == "interpreter");
  CHECK(warnings.size() == 1);
  const RunInputs in = session.inputs(*rules, "s.csv", day("2026-11-01"));
  const std::map<std::string, std::string> want{
      {"rules", playbook()}, {"rules_fnv1a64", rules->hash()},
      {"snapshot", "s.csv"}, {"as_of", "2026-11-01"},
      {"engine", "interp"},  {"version", std::string(rekindle_version())}};
  CHECK(in.to_map() == want);
  CHECK(in.numbers() == std::map<std::string, int64_t>{{"threads", session.threads()}});
}

TEST_CASE("session: evaluations give one summary for any thread count", "[session]") {
  const auto rules = load_rules(playbook());
  REQUIRE(rules->ok());
  std::string first;
  for (const int threads : {1, 2, 3}) {
    for (const Engine engine : {Engine::Jit, Engine::Interpreter}) {
      SessionOptions o;
      o.threads = threads;
      o.engine = engine;
      Session session(o);
      CHECK(session.threads() == threads);
      CHECK(session.pool().threads() == threads);
      std::optional<SnapshotError> serr;
      auto reader = open_snapshot(std::string(RK_SOURCE_DIR) + "/rules/sample.csv",
                                  rules->program().schema, ReaderOptions{}, serr);
      REQUIRE(reader);
      EvalOptions eo;
      eo.as_of = day("2026-11-01");
      eo.chunk_rows = 100;
      Summary summary;
      std::string err;
      REQUIRE(session.evaluate(*rules, *reader, nullptr, eo, summary, err));
      CHECK(summary.rows == 3000);
      RunInputs in = session.inputs(*rules, "sample.csv", eo.as_of);
      in.engine = Engine::Jit;  // the engine aside, every run says the same
      const std::string json = summary_json(rules->program(), summary, in.to_map());
      if (first.empty()) first = json;
      CHECK(json == first);
    }
  }
}

TEST_CASE("thread pool: every task runs exactly once, run after run", "[session][pool]") {
  CHECK(thread_count(3) == 3);
  CHECK(thread_count(0) >= 1);
  for (const int threads : {1, 2, 4}) {
    WorkerPool pool(threads);
    CHECK(pool.threads() == threads);
    for (const int64_t n : {0, 1, 7, 1000}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      pool.run(n, [&](int64_t i) { hits[static_cast<size_t>(i)].fetch_add(1); });
      for (const auto& h : hits) CHECK(h.load() == 1);
    }
  }
}
