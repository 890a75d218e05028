// Rekindle CLI: `rekindle test FILE.test|FOLDER|FILE.rules...` runs rule tests (the test files of
// folders and rule files are found by test_files.h): each test builds one customer from
// the file's defaults and its `given` values, evaluates the rules with the interpreter (and the
// JIT, asserting both agree) and compares output columns with its `expect` values, naming the
// rule that decided each differing column (read from runtime/explain's RowReading through the
// program's layout; what a column presents is its role, never its name). `--coverage` reports
// labels, stop and review rules, touches, statuses, channels, offers and condition branches that
// no test reached.
// Exit 0: every test passed; 1: a test failed (or, with --fail-uncovered, something is not
// covered), or the rules do not compile; 2: usage errors or errors in the test file.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "base/fnv1a.h"
#include "cli/command.h"
#include "cli/common.h"
#include "cli/diag_output.h"
#include "cli/test_files.h"
#include "compiler/check/compile.h"
#include "grammar/source_root.h"
#include "grammar/test_file.h"
#include "runtime/atoms.h"
#include "runtime/batch_builder.h"
#include "runtime/evaluator.h"
#include "runtime/explain.h"
#include "runtime/interpreter.h"
#include "runtime/send_at.h"
#include "runtime/send_time.h"
#include "runtime/session.h"
#include "runtime/value_text.h"

namespace rk::cli {
namespace {

struct TestArgs {
  std::vector<std::string> files;
  std::string engine = "both";
  std::string filter, root;
  bool coverage = false;
  bool fail_uncovered = false;
};

using Role = ir::ColumnRole;

// The evaluated outputs of every test row, for one engine.
struct Outputs {
  std::vector<std::vector<int8_t>> out;  // out[k][row]
};

std::string join_names(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
  return s;
}

class TestRun {
 public:
  // `root` bounds what the test file reads: --root when given, else the folder argument the file
  // was found below, else (empty) the test file's own folder.
  TestRun(const TestArgs& args, std::string path, const std::string& root)
      : args_(args), path_(std::move(path)), root_(args.root.empty() ? root : args.root) {}

  // Runs the file; returns the exit code and adds to the pass/fail counts.
  int run(int& passed, int& failed) {
    if (!load()) return exit_;
    if (!prepare()) return exit_;
    if (!evaluate()) return exit_;
    int fails = 0;
    for (size_t t = 0; t < selected_.size(); ++t) {
      if (report_test(t))
        ++passed;
      else
        ++failed, ++fails;
    }
    bool uncovered = false;
    if (args_.coverage) uncovered = report_coverage();
    std::fflush(stdout);
    if (fails > 0) return kExitFindings;
    if (uncovered && args_.fail_uncovered) return kExitFindings;
    return kExitOk;
  }

 private:
  // ---- loading and checking ------------------------------------------------------------------
  void error(std::string code, const ast::Span& span, std::string message, std::string help = {}) {
    diags_.push_back(
        {Severity::Error, std::move(code), std::move(message), span, {}, std::move(help)});
  }
  bool flush_diags(int code) {
    if (diags_.empty()) return true;
    std::fputs(render_diagnostics({{&tsrc_, diags_}}, DiagFormat::Text, isatty(2)).c_str(), stderr);
    exit_ = code;
    return false;
  }

  bool load() {
    // The test file and its rules file, like an import, stay in the test file's folder (or
    // --root, or the folder argument it was found below); checked before anything is read.
    const auto root = source_root(path_, root_, diags_);
    if (!root) return flush_diags(kExitUsage);
    std::vector<Diagnostic> d;
    auto idx = tsrc_.load(path_, d);
    if (!idx) {
      diags_ = std::move(d);
      return flush_diags(kExitUsage);
    }
    file_idx_ = *idx;
    tf_ = testfile::parse_test_file(tsrc_, *idx, diags_);
    if (!tf_) return flush_diags(kExitUsage);
    const auto rules = resolve_source(*root, path_, tf_->rules_path, {".rules"}, "rules file",
                                      tf_->rules_span, diags_);
    if (!rules) return flush_diags(kExitUsage);
    rules_path_ = rules->display;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(rules->open, ec)) {
      error("RK0715", tf_->rules_span, fmt::format("cannot read the rules file `{}`", rules_path_),
            "the path is relative to the test file");
      return flush_diags(kExitUsage);
    }
    CompileOptions copts;
    copts.root = root->shown;
    compiled_ = compile_rules(rules_path_, copts);
    {
      std::vector<RunFile> inputs = run_inputs("", compiled_.sources);
      inputs.push_back({"the test file", path_});
      if (stdout_is_an_input(inputs)) {
        exit_ = kExitUsage;
        return false;
      }
    }
    if (!compiled_.program) {
      std::fputs(
          render_diagnostics({{&compiled_.sources, compiled_.diags}}, DiagFormat::Text, isatty(2))
              .c_str(),
          stderr);
      exit_ = kExitFindings;
      return false;
    }
    as_of_ = *tf_->as_of;
    return true;
  }

  std::string where(const ast::Span& s) const {
    return fmt::format("{}:{}", compiled_.sources.file(s.file).path, s.line);
  }
  std::string twhere(const ast::Span& s) const {
    return fmt::format("{}:{}", tsrc_.file(s.file).path, s.line);
  }

  int find_column(const std::string& name) const {
    const auto& cs = compiled_.program->columns;
    for (size_t i = 0; i < cs.size(); ++i)
      if (cs[i].name == name) return static_cast<int>(i);
    return -1;
  }

  // The expected text of column `c` for value `v` (Joined columns: names joined by ';' in the
  // column's order), or nullopt after reporting an error.
  std::optional<std::string> expected_text(size_t c, const testfile::Value& v) {
    using testfile::ValueKind;
    const ir::ResultColumn& col = compiled_.program->columns[c];
    const bool none_is_value =
        std::find(col.texts.begin(), col.texts.end(), "none") != col.texts.end();
    if (v.kind == ValueKind::Missing) return std::string();
    if (v.kind == ValueKind::Word && v.word == "none" && !none_is_value) return std::string();
    auto bad = [&](std::string why) -> std::optional<std::string> {
      error("RK0714", v.span, std::move(why),
            col.texts.empty() ? std::string()
                              : fmt::format("its values are: {} (or none / missing for empty)",
                                            join_names(col.texts)));
      return std::nullopt;
    };
    if (col.role == Role::Key) {
      if (v.kind == ValueKind::String || v.kind == ValueKind::Word) return v.word;
      return bad(fmt::format("column `{}` is the customer key: write it in quotes", col.name));
    }
    if (col.kind == ir::ResultKind::Timestamp || col.kind == ir::ResultKind::FieldText) {
      // A send time (`"2026-11-02T14:00:00Z"`) or an owner: the text the result writes.
      if (v.kind == ValueKind::String) return v.word;
      return bad(fmt::format("column `{}` holds {}: write it in quotes, e.g. `{}`", col.name,
                             col.kind == ir::ResultKind::Timestamp ? "a UTC time" : "a text",
                             col.kind == ir::ResultKind::Timestamp ? "\"2026-11-02T14:00:00Z\""
                                                                   : "\"marketing-ops\""));
    }
    if (col.kind == ir::ResultKind::Number) {
      // A score: a whole number (or, for a decimal score, a decimal) as the result writes it.
      if (v.kind != ValueKind::Number || v.unit != ast::Unit::None ||
          (col.type == ir::ValueType::Int && !v.is_int))
        return bad(fmt::format("column `{}` holds {}: write e.g. `{}`", col.name,
                               col.type == ir::ValueType::Int ? "a whole number" : "a number",
                               col.type == ir::ValueType::Int ? "45" : "4.5"));
      std::string text;
      if (col.type == ir::ValueType::Int)
        append_int_text(text, v.inumber);
      else
        append_number_text(text, v.is_int ? static_cast<double>(v.inumber) : v.number);
      return text;
    }
    if (col.kind == ir::ResultKind::Joined) {
      std::vector<std::string> names;
      if (v.kind == ValueKind::List) {
        for (const auto& it : v.items) names.push_back(it.word);
      } else if (v.kind == ValueKind::Word || v.kind == ValueKind::String) {
        names.push_back(v.word);
      } else {
        return bad(fmt::format("column `{}` holds rule names: write `{{a, b}}`, a name or none",
                               col.name));
      }
      std::vector<bool> on(col.texts.size());
      for (const auto& n : names) {
        auto it = std::find(col.texts.begin(), col.texts.end(), n);
        if (it == col.texts.end())
          return bad(fmt::format("`{}` is not a value of column `{}`", n, col.name));
        on[it - col.texts.begin()] = true;
      }
      std::string s;
      for (size_t i = 0; i < on.size(); ++i)
        if (on[i]) s += (s.empty() ? "" : ";") + col.texts[i];
      return s;
    }
    std::string text;
    switch (v.kind) {
      case ValueKind::Bool:
        text = v.b ? "true" : "false";
        break;
      case ValueKind::Number:
        if (v.unit != ast::Unit::None || !v.is_int)
          return bad(fmt::format("`{}` is not a value of column `{}`", v.text, col.name));
        text = std::to_string(v.inumber);
        break;
      case ValueKind::Word:
      case ValueKind::String:
      case ValueKind::Offer:
        text = v.canonical();
        break;
      case ValueKind::Missing:
      case ValueKind::Date:
      case ValueKind::List:
        return bad(fmt::format("`{}` is not a value of column `{}`", v.text, col.name));
    }
    if (std::find(col.texts.begin(), col.texts.end(), text) == col.texts.end())
      return bad(fmt::format("`{}` is not a value of column `{}`", text, col.name));
    return text;
  }

  struct Expect {
    size_t column;
    std::string text;
    ast::Span span;  // the assignment's value
  };
  struct Prepared {
    const testfile::TestCase* test;
    std::vector<Expect> expects;
  };

  // Converts `a` into the field value of row `row`; reports unknown fields and misfits.
  void set_field(BatchBuilder& b, size_t row, const testfile::Assignment& a) {
    const Schema& s = compiled_.program->schema;
    const int fi = s.find(a.name);
    if (fi < 0) {
      std::vector<std::string> names;
      for (const auto& f : s.fields) names.push_back(f.name);
      error("RK0710", a.name_span,
            fmt::format("`{}` is not a field of schema `{}`", a.name, s.name),
            fmt::format("the fields are: {}", join_names(names)));
      return;
    }
    std::string err;
    auto v = field_value_from_literal(s.fields[fi], a.value, as_of_, err);
    if (!v || !b.set(row, static_cast<size_t>(fi), std::move(*v), err))
      error("RK0711", a.value.span, err);
  }

  bool prepare() {
    const ir::Program& p = *compiled_.program;
    const Schema& schema = p.schema;
    // Defaults: checked once on a scratch row.
    BatchBuilder scratch(schema);
    scratch.add_row();
    for (const auto& a : tf_->defaults) set_field(scratch, 0, a);
    builder_.emplace(schema);
    for (const auto& t : tf_->tests) {
      if (!args_.filter.empty() && t.name.find(args_.filter) == std::string::npos) continue;
      const size_t row = builder_->add_row();
      std::set<std::string> given;
      for (const auto& a : t.given) given.insert(a.name);
      for (const auto& a : tf_->defaults)
        if (!given.count(a.name) && schema.find(a.name) >= 0) set_field(*builder_, row, a);
      for (const auto& a : t.given) set_field(*builder_, row, a);
      std::vector<std::string> unset;
      for (size_t f = 0; f < schema.fields.size(); ++f)
        if (!schema.fields[f].nullable && !builder_->get(row, f) &&
            !std::any_of(t.given.begin(), t.given.end(),
                         [&](const auto& a) { return a.name == schema.fields[f].name; }) &&
            !std::any_of(tf_->defaults.begin(), tf_->defaults.end(),
                         [&](const auto& a) { return a.name == schema.fields[f].name; }))
          unset.push_back("`" + schema.fields[f].name + "`");
      if (!unset.empty())
        error("RK0712", t.name_span,
              fmt::format("test \"{}\": {} {} {} no value (only nullable fields may be left out)",
                          t.name, unset.size() == 1 ? "field" : "fields", join_names(unset),
                          unset.size() == 1 ? "has" : "have"),
              "give every field that is not nullable a value in `defaults { ... }` or in the "
              "test's `given`");
      Prepared prep{&t, {}};
      for (const auto& a : t.expect) {
        const int c = find_column(a.name);
        if (c < 0) {
          std::vector<std::string> names;
          for (const auto& col : p.columns) names.push_back(col.name);
          error("RK0713", a.name_span,
                fmt::format("`{}` is not an output column of `{}`", a.name, rules_path_),
                fmt::format("the columns are: {}", join_names(names)));
          continue;
        }
        if (auto text = expected_text(static_cast<size_t>(c), a.value))
          prep.expects.push_back({static_cast<size_t>(c), *text, a.value.span});
      }
      if (t.expect.empty())
        error("RK0716", t.name_span, fmt::format("test \"{}\" expects nothing", t.name),
              "add e.g. `expect candidate = true`");
      selected_.push_back(std::move(prep));
    }
    for (const auto& u : tf_->unreachable) {
      const int c = find_column(u.what.name);
      const Role role = c < 0 ? Role::Key : p.columns[static_cast<size_t>(c)].role;
      if (role == Role::Key || role == Role::Touch) {
        error("RK0713", u.what.name_span,
              fmt::format("`{}` is not an output column whose values coverage counts", u.what.name),
              "coverage counts candidate, segments, stopped_by, review and each sequence's "
              "_status, _step, _channel and _offer");
        continue;
      }
      auto text = expected_text(static_cast<size_t>(c), u.what.value);
      if (!text) continue;
      if (text->empty() || text->find(';') != std::string::npos) {
        error("RK0714", u.what.value.span, "`unreachable` names one value of the column");
        continue;
      }
      unreachable_[{static_cast<size_t>(c), *text}] = &u;
    }
    return flush_diags(kExitUsage);
  }

  // ---- evaluation ----------------------------------------------------------------------------
  bool evaluate() {
    // The program plus one output per rule condition (for explanations and branch coverage).
    ext_ = *compiled_.program;
    base_outputs_ = ext_.outputs.size();
    for (size_t i = 0; i < compiled_.map.rules.size(); ++i) {
      const auto& r = compiled_.map.rules[i];
      if (r.cond == UINT32_MAX || r.kind == SourceMap::Kind::Let) continue;
      if (r.cond >= ext_.nodes.size() || ext_.nodes[r.cond].ty != ir::Ty::Bool) continue;
      cond_output_[i] = ext_.outputs.size();
      ext_.outputs.push_back({"cond " + r.name, r.cond});
    }
    std::string err;
    auto batch = builder_->build(err);
    if (!batch) {
      print_error(fmt::format("{}: {}", path_, err));
      exit_ = kExitUsage;
      return false;
    }
    batch_ = std::move(*batch);
    rows_ = batch_.num_rows;
    auto interp = make_interpreter(ext_);
    run_engine(*interp, interp_);
    if (args_.engine == "both") {
      EngineChoice jit = choose_engine(ext_, Engine::Jit);
      if (!jit.cache_warning.empty())
        fmt::print(stderr, "rekindle: warning: {}\n", jit.cache_warning);
      if (jit.used != Engine::Jit) {
        fmt::print(stderr,
                   "rekindle: warning: the JIT is unavailable ({}); tests ran on the interpreter "
                   "only\n",
                   jit.fallback);
      } else {
        jit_.emplace();
        run_engine(*jit.executor, *jit_);
      }
    }
    return true;
  }

  void run_engine(const Executor& ex, Outputs& o) {
    o.out.clear();
    for (const auto& out : ext_.outputs)
      o.out.emplace_back(
          static_cast<size_t>(std::max<int64_t>(rows_, 1)) * ir::output_bytes(out.width),
          int8_t{-1});
    if (rows_ == 0) return;
    PreparedAtoms atoms;
    atoms.prepare(ext_, batch_);
    RkBatchView view{batch_.columns.data(), atoms.data(), rows_, as_of_, 0};
    std::vector<int8_t*> ptrs;
    for (auto& v : o.out) ptrs.push_back(v.data());
    RkResultView results{ptrs.data(), rows_};
    ex.run(view, results, 0, rows_);
    SendAtFiller send_at(ext_, as_of_);  // the send_at results, as `eval` fills them
    send_at.prepare_batch(batch_);
    send_at.fill(batch_, ptrs.data(), 0, rows_);
  }

  // The text of column `c` in row `r` (Joined: names joined by ';').
  std::string actual_text(const Outputs& o, size_t c, int64_t r) const {
    const ir::ResultColumn& col = ext_.columns[c];
    switch (col.kind) {
      case ir::ResultKind::Key: {
        auto s = batch_.string_at(static_cast<size_t>(ext_.schema.key_field), r);
        return s ? std::string(*s) : std::string();
      }
      case ir::ResultKind::Enumerated: {
        const int8_t v = o.out[col.outputs[0]][r];
        return v >= 0 && static_cast<size_t>(v) < col.texts.size() ? col.texts[v] : std::string();
      }
      case ir::ResultKind::Joined: {
        std::string s;
        for (size_t k = 0; k < col.outputs.size(); ++k)
          if (o.out[col.outputs[k]][r] == 1) s += (s.empty() ? "" : ";") + col.texts[k];
        return s;
      }
      case ir::ResultKind::Number: {
        std::string s;
        if (o.out[col.outputs[1]][r] != 1) return s;
        if (col.type == ir::ValueType::Int)
          append_int_text(s, output_int(o.out[col.outputs[0]].data(), r));
        else
          append_number_text(s, output_float(o.out[col.outputs[0]].data(), r));
        return s;
      }
      case ir::ResultKind::Timestamp: {
        std::string s;
        if (o.out[col.outputs[1]][r] == 1)
          append_utc_timestamp(s, output_int(o.out[col.outputs[0]].data(), r));
        return s;
      }
      case ir::ResultKind::FieldText: {
        std::vector<const int8_t*> ptrs;
        for (const auto& v : o.out) ptrs.push_back(v.data());
        const auto t = field_text(col, batch_, ptrs.data(), r);
        return t ? std::string(*t) : std::string();
      }
    }
    return {};
  }

  std::string show(size_t c, const std::string& text) const {
    const ir::ResultColumn& col = ext_.columns[c];
    if (col.kind == ir::ResultKind::Joined) {
      if (text.empty()) return "none";
      std::string s = text;
      std::replace(s.begin(), s.end(), ';', ',');
      size_t pos = 0;
      while ((pos = s.find(',', pos)) != std::string::npos) s.insert(++pos, " ");
      return text.find(';') == std::string::npos ? text : "{" + s + "}";
    }
    if (!text.empty()) return text;
    const bool none_is_value =
        std::find(col.texts.begin(), col.texts.end(), "none") != col.texts.end();
    return none_is_value ? "missing" : "none";
  }

  // ---- explanations ----------------------------------------------------------------------------
  // Why a column has its value: the facts come from runtime/explain's RowReading of the row (the
  // layout's evaluated nodes); this only chooses which to cite for each kind of column.
  const SourceMap::Rule* rule(SourceMap::Kind kind, const std::string& owner,
                              const std::string& name) const {
    for (const auto& r : compiled_.map.rules)
      if (r.kind == kind && r.owner == owner && r.name == name) return &r;
    return nullptr;
  }
  std::vector<const SourceMap::Rule*> rules_of_owner(SourceMap::Kind kind,
                                                     const std::string& owner) const {
    std::vector<const SourceMap::Rule*> out;
    for (const auto& r : compiled_.map.rules)
      if (r.kind == kind && r.owner == owner) out.push_back(&r);
    return out;
  }
  const SourceMap::Rule* label_rule(const std::string& family, const std::string& label) const {
    if (auto* r = rule(SourceMap::Kind::Label, family, label)) return r;
    return rule(SourceMap::Kind::Otherwise, family, label);
  }
  std::string cite(const SourceMap::Rule& r) const {
    std::string_view line = compiled_.sources.line_text(r.span.file, r.span.line);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    return fmt::format("{}: `{}`", where(r.span), line);
  }
  std::string rule_with_cond(const char* what, SourceMap::Kind kind, const std::string& owner,
                             const std::string& name, const RowReading& rr) const {
    const SourceMap::Rule* r = rule(kind, owner, name);
    if (!r) return fmt::format("{} `{}`", what, name);
    std::string s = fmt::format("{} `{}` at {}", what, name, cite(*r));
    if (auto v = rr.condition(*r)) s += fmt::format(" (condition {})", *v);
    return s;
  }
  std::string candidate_rule(const RowReading& rr) const {
    if (!rule(SourceMap::Kind::Candidate, "", "candidate")) return {};
    return " (" +
           rule_with_cond("candidate rule", SourceMap::Kind::Candidate, "", "candidate", rr) + ")";
  }
  // The name of the result column with `role` presenting sequence `owner`.
  std::string column_name(Role role, uint32_t owner) const {
    for (const auto& c : ext_.columns)
      if (c.role == role && c.owner == owner) return c.name;
    return {};
  }

  std::vector<std::string> explain(size_t c, int64_t row, const std::string& expected,
                                   const std::string& actual) const {
    std::vector<std::string> lines;
    const ir::ResultColumn& col = ext_.columns[c];
    const ir::Layout& layout = compiled_.program->layout;
    const RowReading rr(compiled_, batch_, row, as_of_);
    switch (col.role) {
      case Role::Key:
        break;
      case Role::Candidate:
        if (rule(SourceMap::Kind::Candidate, "", "candidate"))
          lines.push_back(
              rule_with_cond("candidate rule", SourceMap::Kind::Candidate, "", "candidate", rr));
        break;
      case Role::Score: {
        // Every line, whether it gave its points (only a true condition does).
        const ir::Score& sc = layout.scores[col.owner];
        for (const auto* r : rules_of_owner(SourceMap::Kind::ScoreLine, sc.name)) {
          const std::string v = rr.condition(*r).value_or("unknown");
          lines.push_back(fmt::format("{} points at {}: condition {}{}", r->name, cite(*r), v,
                                      v == "true" ? "" : ", no points"));
        }
        break;
      }
      case Role::Family: {
        const std::string& family = layout.families[col.owner].name;
        if (!actual.empty()) {
          if (auto* r = label_rule(family, actual))
            lines.push_back(fmt::format("label `{}` matched at {}", actual, cite(*r)));
        } else {
          lines.push_back(fmt::format("no label of segment `{}` matched", family));
        }
        if (!expected.empty()) {
          if (auto* r = label_rule(family, expected)) {
            auto v = rr.condition(*r);
            lines.push_back(
                fmt::format("label `{}` at {}{}", expected, cite(*r),
                            v ? fmt::format(": condition {}", *v) : std::string(" (otherwise)")));
          }
        }
        break;
      }
      case Role::StoppedBy: {
        if (!actual.empty())
          lines.push_back(rule_with_cond("stop rule", SourceMap::Kind::Stop, "", actual, rr) +
                          " fired first");
        else if (layout.stops.scope == layout.candidate.value.node &&
                 rr.truth(layout.candidate.value.node) == "false")
          lines.push_back("not a candidate: stop rules apply to candidates only" +
                          candidate_rule(rr));
        else if (rr.truth(layout.stops.scope) == "false")
          lines.push_back("enters no sequence: stop rules apply to customers who enter one");
        else
          lines.push_back("no stop rule fired");
        if (!expected.empty() && expected != actual)
          lines.push_back(rule_with_cond("stop rule", SourceMap::Kind::Stop, "", expected, rr));
        break;
      }
      case Role::Review: {
        std::set<std::string> names;
        auto split = [&](const std::string& s) {
          size_t start = 0;
          while (start < s.size()) {
            size_t e = s.find(';', start);
            if (e == std::string::npos) e = s.size();
            names.insert(s.substr(start, e - start));
            start = e + 1;
          }
        };
        split(expected);
        split(actual);
        for (const auto& n : names)
          lines.push_back(rule_with_cond("review rule", SourceMap::Kind::Review, "", n, rr));
        bool any_due = false;
        for (const auto& q : layout.sequences)
          any_due = any_due || rr.status(q).kind == ir::StatusKind::Due;
        if (!any_due && !expected.empty())
          lines.push_back("review rules apply only to customers with a touch due");
        break;
      }
      case Role::Status:
        explain_status(layout.sequences[col.owner], rr, lines);
        break;
      case Role::Owner:
        if (!actual.empty())
          lines.push_back("a review fired: the owner is filled for reviewed customers");
        else
          lines.push_back("no review fired: the owner is empty");
        break;
      case Role::SendAt:
      case Role::Touch:
      case Role::Step:
      case Role::Variant:
      case Role::Channel:
      case Role::Offer: {
        const ir::Sequence& q = layout.sequences[col.owner];
        const ir::Status& status = rr.status(q);
        if (status.kind != ir::StatusKind::Due)
          lines.push_back(fmt::format("`{}` is {}: no touch is due",
                                      column_name(Role::Status, col.owner), status.name));
        if (const ir::Touch* t = rr.touch(q))
          lines.push_back(rule_with_cond("touch", SourceMap::Kind::Touch, q.name, t->name, rr));
        if (col.role == Role::SendAt)
          if (auto s = rr.send_time(q)) lines.push_back("sends at " + *s);
        if (col.role == Role::Channel)
          for (const auto& r : compiled_.map.rules)
            if (r.kind == SourceMap::Kind::Channel && r.owner == q.name)
              lines.push_back(
                  rule_with_cond("channel", SourceMap::Kind::Channel, q.name, r.name, rr));
        break;
      }
    }
    return lines;
  }

  void explain_status(const ir::Sequence& q, const RowReading& rr,
                      std::vector<std::string>& lines) const {
    const ir::Status& status = rr.status(q);
    switch (status.kind) {
      case ir::StatusKind::NotEntered:
        lines.push_back("not a candidate" + candidate_rule(rr));
        return;
      case ir::StatusKind::Stopped:
        lines.push_back(
            rule_with_cond("stop rule", SourceMap::Kind::Stop, "", rr.stopped_by(), rr) + " fired");
        return;
      case ir::StatusKind::HeldOut:
        if (auto d = rr.holdout(q))
          lines.push_back(
              fmt::format("holdout: fnv1a64(\"{}:{}\") mod {} = {}, below {}: in the control group",
                          d->salt, d->key, d->modulus, d->bucket, d->threshold));
        return;
      case ir::StatusKind::Exit:
        lines.push_back(rule_with_cond("exit", SourceMap::Kind::Exit, q.name, status.name, rr));
        return;
      case ir::StatusKind::Capped:
        for (const auto& cap : q.caps)
          if (rr.truth(cap.fires) == "true")
            lines.push_back(
                cap.cond != ir::kNoNode
                    ? rule_with_cond("cap", SourceMap::Kind::Cap, q.name, cap.name, rr) + " fired"
                    : fmt::format("cap `{}`: at most {} per run, and the sequences "
                                  "before `{}` already have that many due",
                                  cap.name, cap.limit, q.name));
        return;
      case ir::StatusKind::Due: {
        const ir::Touch* t = rr.touch(q);
        lines.push_back(
            rule_with_cond("next touch", SourceMap::Kind::Touch, q.name, t ? t->name : "", rr) +
            " is due");
        return;
      }
      case ir::StatusKind::Exhausted:
        lines.push_back(
            fmt::format("sequence `{}`: no touch left after the last one sent "
                        "(touches whose `only when` is not true are skipped)",
                        q.name));
        return;
      case ir::StatusKind::Waiting:
        lines.push_back(
            fmt::format("sequence `{}`: fewer than `wait` days since the last touch, "
                        "or its date is missing",
                        q.name));
        return;
      case ir::StatusKind::NoChannel:
        lines.push_back(fmt::format(
            "sequence `{}`: neither the touch's channel nor its fallback is allowed", q.name));
        return;
    }
  }

  // ---- reporting -----------------------------------------------------------------------------
  bool report_test(size_t t) {
    const Prepared& p = selected_[t];
    const int64_t row = static_cast<int64_t>(t);
    std::vector<std::string> out;
    for (const auto& e : p.expects) {
      const std::string actual = actual_text(interp_, e.column, row);
      const std::string& name = ext_.columns[e.column].name;
      if (jit_) {
        const std::string other = actual_text(*jit_, e.column, row);
        if (other != actual)
          out.push_back(fmt::format("  {}: the engines disagree: interpreter {}, jit {}", name,
                                    show(e.column, actual), show(e.column, other)));
      }
      if (actual == e.text) continue;
      out.push_back(fmt::format("  {}: expected {}, actual {}  ({})", name, show(e.column, e.text),
                                show(e.column, actual), twhere(e.span)));
      for (const auto& l : explain(e.column, row, e.text, actual)) out.push_back("    " + l);
    }
    if (jit_) {  // every output, including columns the test does not expect
      for (size_t k = 0; k < jit_->out.size(); ++k)
        if (jit_->out[k][row] != interp_.out[k][row]) {
          out.push_back(fmt::format("  the engines disagree on output `{}`: interpreter {}, jit {}",
                                    ext_.outputs[k].name, interp_.out[k][row], jit_->out[k][row]));
          break;
        }
    }
    if (out.empty()) {
      fmt::print("PASS {}\n", p.test->name);
      return true;
    }
    fmt::print("FAIL {}  ({})\n", p.test->name, twhere(p.test->name_span));
    for (const auto& l : out) fmt::print("{}\n", l);
    return false;
  }

  // Prints the coverage report; returns true when something is not covered.
  bool report_coverage() {
    const ir::Program& p = *compiled_.program;
    std::vector<std::string> missing, wrong_unreachable;
    int values = 0, reached = 0, declared = 0;
    std::set<std::pair<size_t, std::string>> seen;
    std::map<std::pair<size_t, std::string>, std::string> first_test;
    for (size_t c = 0; c < p.columns.size(); ++c)
      for (int64_t r = 0; r < rows_; ++r) {
        const std::string a = actual_text(interp_, c, r);
        if (p.columns[c].kind == ir::ResultKind::Joined) {
          size_t start = 0;
          while (start < a.size()) {
            size_t e = a.find(';', start);
            if (e == std::string::npos) e = a.size();
            auto key = std::make_pair(c, a.substr(start, e - start));
            if (seen.insert(key).second) first_test[key] = selected_[r].test->name;
            start = e + 1;
          }
        } else if (seen.insert({c, a}).second) {
          first_test[{c, a}] = selected_[r].test->name;
        }
      }
    for (size_t c = 0; c < p.columns.size(); ++c) {
      const Role role = p.columns[c].role;
      if (role == Role::Key || role == Role::Touch || role == Role::Owner) continue;
      for (const auto& text : p.columns[c].texts) {
        ++values;
        const auto key = std::make_pair(c, text);
        auto un = unreachable_.find(key);
        if (seen.count(key)) {
          ++reached;
          if (un != unreachable_.end())
            wrong_unreachable.push_back(
                fmt::format("{} = {} is declared unreachable at {}, but test \"{}\" reaches it",
                            p.columns[c].name, text, twhere(un->second->span), first_test[key]));
          continue;
        }
        if (un != unreachable_.end()) {
          ++declared;
          unreachable_lines_.push_back(
              fmt::format("  {} = {}: declared unreachable at {}{}", p.columns[c].name, text,
                          twhere(un->second->span),
                          un->second->reason.empty() ? "" : " (" + un->second->reason + ")"));
          continue;
        }
        missing.push_back(describe_value(c, text));
      }
    }
    // Branches: every rule condition seen true and seen false.
    int conds = 0, both = 0;
    std::vector<std::string> branch_missing;
    for (const auto& [idx, k] : cond_output_) {
      const auto& r = compiled_.map.rules[idx];
      ++conds;
      bool t = false, f = false, u = false;
      for (int64_t row = 0; row < rows_; ++row) {
        const int8_t v = interp_.out[k][row];
        (v < 0 ? u : v ? t : f) = true;
      }
      if (t && f) {
        ++both;
        continue;
      }
      branch_missing.push_back(fmt::format("  {} at {}: never {}{}", rule_title(r), cite(r),
                                           !t && !f ? "true or false"
                                           : !t     ? "true"
                                                    : "false",
                                           u ? " (only unknown)" : ""));
    }
    fmt::print("\ncoverage of {} by {} tests:\n", rules_path_, rows_);
    fmt::print("  values reached: {} of {}{}\n", reached, values,
               declared ? fmt::format(" ({} declared unreachable)", declared) : "");
    fmt::print("  conditions seen both true and false: {} of {}\n", both, conds);
    for (const auto& l : unreachable_lines_) fmt::print("{}\n", l);
    if (!missing.empty()) {
      fmt::print("not reached by any test:\n");
      for (const auto& m : missing) fmt::print("  {}\n", m);
    }
    if (!branch_missing.empty()) {
      fmt::print("conditions not seen both true and false:\n");
      for (const auto& m : branch_missing) fmt::print("{}\n", m);
    }
    if (!wrong_unreachable.empty()) {
      fmt::print("wrong `unreachable` declarations:\n");
      for (const auto& m : wrong_unreachable) fmt::print("  {}\n", m);
    }
    const bool uncovered =
        !missing.empty() || !branch_missing.empty() || !wrong_unreachable.empty();
    if (!uncovered) fmt::print("everything reachable is covered\n");
    fmt::print("\n");
    return uncovered;
  }

  std::string rule_title(const SourceMap::Rule& r) const {
    switch (r.kind) {
      case SourceMap::Kind::Label:
        return fmt::format("label {}.{}", r.owner, r.name);
      case SourceMap::Kind::Candidate:
        return "candidate";
      case SourceMap::Kind::Stop:
        return fmt::format("stop {}", r.name);
      case SourceMap::Kind::Review:
        return fmt::format("review {}", r.name);
      case SourceMap::Kind::Touch:
        return fmt::format("touch {}.{} (only when)", r.owner, r.name);
      case SourceMap::Kind::Exit:
        return fmt::format("exit {}.{}", r.owner, r.name);
      case SourceMap::Kind::Channel:
        return fmt::format("channel {}.{} (requires)", r.owner, r.name);
      case SourceMap::Kind::ScoreLine:
        return fmt::format("score {} line `{} points`", r.owner, r.name);
      case SourceMap::Kind::Cap:
        return fmt::format("cap {}.{}", r.owner, r.name);
      case SourceMap::Kind::Otherwise:
      case SourceMap::Kind::Let:
      case SourceMap::Kind::Enter:
        return r.name;
    }
    return r.name;
  }

  std::string describe_value(size_t c, const std::string& text) const {
    const ir::ResultColumn& col = ext_.columns[c];
    const ir::Layout& layout = compiled_.program->layout;
    const SourceMap::Rule* r = nullptr;
    std::string what = fmt::format("{} = {}", col.name, text);
    switch (col.role) {
      case Role::Family: {
        const std::string& family = layout.families[col.owner].name;
        r = label_rule(family, text);
        what = fmt::format("label `{}` of segment `{}`", text, family);
        break;
      }
      case Role::StoppedBy:
        r = rule(SourceMap::Kind::Stop, "", text);
        what = fmt::format("stop rule `{}`", text);
        break;
      case Role::Review:
        r = rule(SourceMap::Kind::Review, "", text);
        what = fmt::format("review rule `{}`", text);
        break;
      case Role::Step: {
        const std::string& seq = layout.sequences[col.owner].name;
        r = rule(SourceMap::Kind::Touch, seq, text);
        what = fmt::format("touch `{}` of sequence `{}`", text, seq);
        break;
      }
      case Role::Status:
        r = rule(SourceMap::Kind::Exit, layout.sequences[col.owner].name, text);
        break;
      case Role::Channel:
        r = rule(SourceMap::Kind::Channel, layout.sequences[col.owner].name, text);
        break;
      case Role::Key:
      case Role::Candidate:
      case Role::Touch:
      case Role::Variant:
      case Role::Offer:
      case Role::Score:
      case Role::SendAt:
      case Role::Owner:
        break;
    }
    if (r) what += fmt::format(" ({})", where(r->span));
    return what;
  }

  const TestArgs& args_;
  std::string path_;
  std::string root_;
  int exit_ = kExitOk;
  SourceSet tsrc_;
  uint32_t file_idx_ = 0;
  std::vector<Diagnostic> diags_;
  std::optional<testfile::TestFile> tf_;
  std::string rules_path_;
  CompileResult compiled_;
  int32_t as_of_ = 0;
  std::optional<BatchBuilder> builder_;
  std::vector<Prepared> selected_;
  std::map<std::pair<size_t, std::string>, const testfile::Unreachable*> unreachable_;
  std::vector<std::string> unreachable_lines_;
  ir::Program ext_;
  size_t base_outputs_ = 0;
  std::map<size_t, size_t> cond_output_;  // map rule index -> ext_ output index
  Batch batch_;
  int64_t rows_ = 0;
  Outputs interp_;
  std::optional<Outputs> jit_;
};

std::function<int()> setup_test(CLI::App& app) {
  auto a = std::make_shared<TestArgs>();
  auto* sub = app.add_subcommand(
      "test", "Run rule tests (*.test files next to the rules) and report coverage");
  sub->add_option("files", a->files,
                  "Test files (rules/winback.test), folders (every *.test below: rules/) or rule "
                  "files (the *.test files beside them that test them: rules/winback.rules)")
      ->required()
      ->check(CLI::ExistingPath);
  sub->add_flag("--coverage", a->coverage,
                "Report labels, rules, touches, statuses, channels, offers and condition "
                "branches that no test reached");
  sub->add_flag("--fail-uncovered", a->fail_uncovered,
                "With --coverage: exit 1 when anything is not covered");
  sub->add_option("--engine", a->engine,
                  "both (default: the interpreter and the JIT, which must agree) or interp")
      ->check(CLI::IsMember({"both", "interp"}));
  sub->add_option("--filter", a->filter, "Run only the tests whose name contains this text");
  add_root_option(sub, a->root);
  sub->footer(
      "Exit status: 0 when every test passed, 1 when a test failed (or, with --coverage "
      "--fail-uncovered, something is not covered) or the rules do not compile, 2 on usage "
      "errors or errors in a test file.\n"
      "Examples:\n"
      "  rekindle test rules/winback.test\n"
      "  rekindle test rules/                 # every *.test file below rules/\n"
      "  rekindle test rules/winback.rules    # the tests of winback.rules beside it\n"
      "  rekindle test rules/winback.test --coverage --fail-uncovered\n"
      "  rekindle test rules/winback.test --filter holdout --engine interp");
  return [a]() {
    if (a->fail_uncovered && !a->coverage) {
      print_error("--fail-uncovered needs --coverage");
      return kExitUsage;
    }
    const TestFileSearch found = find_test_files(a->files);
    for (const auto& e : found.errors) print_error(e);
    if (!found.errors.empty()) return kExitUsage;
    // Every file runs (a file with errors does not stop the others); with several files each
    // file's results follow its name.
    int passed = 0, failed = 0, code = kExitOk;
    for (size_t i = 0; i < found.files.size(); ++i) {
      if (found.files.size() > 1) fmt::print("{}{}\n", i ? "\n" : "", found.files[i]);
      std::fflush(stdout);
      TestRun run(*a, found.files[i], found.roots[i]);
      code = std::max(code, run.run(passed, failed));
    }
    // Errors in the only test file (or in all of them): nothing ran, nothing to count.
    if (code != kExitUsage || passed + failed > 0)
      fmt::print("{} passed, {} failed\n", passed, failed);
    return code;
  };
}

}  // namespace

RK_COMMAND(test, "test", setup_test);

}  // namespace rk::cli
