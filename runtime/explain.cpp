// Rekindle runtime: `rekindle explain` (see explain.h). A one-row evaluator of every IR node with
// the interpreter's semantics, and the walk over the rule file's source that turns node values
// into reasons: each rule's condition text, the value of each part of it and what it read.
#include "runtime/explain.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

#include "compiler/ir/helpers.h"
#include "grammar/parser.h"
#include "runtime/atoms.h"
#include "runtime/csv_reader.h"
#include "runtime/evaluator.h"

namespace rk {

// One-row evaluation is the interpreter's own (runtime/interpreter.h: evaluate_row).

namespace {

using ir::Op;
using ir::Ty;

// 0 false, 1 true, 2 unknown.
int truth(const NodeValue& v) {
  return v.present ? static_cast<int>(v.i != 0) : 2;
}

}  // namespace

// ---- finding the row ---------------------------------------------------------------------------

bool find_customer(SnapshotReader& reader, const Schema& schema, const std::string& id,
                   const std::string& snapshot_name, Batch& out, int64_t& row, std::string& error) {
  if (schema.key_field < 0) {
    error = "the schema has no key field to find a customer by";
    return false;
  }
  const size_t key = static_cast<size_t>(schema.key_field);
  while (reader.next(out)) {
    for (int64_t r = 0; r < out.num_rows; ++r) {
      auto s = out.string_at(key, r);
      if (s && *s == id) {
        row = r;
        return true;
      }
    }
  }
  if (reader.error()) {
    error = reader.error()->to_string();
    return false;
  }
  error = fmt::format("customer `{}` is not in {} (no row has {} = {})", id, snapshot_name,
                      schema.fields[key].name, id);
  return false;
}

namespace {

std::string csv_quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// Edit distance for "did you mean" on --given field names.
size_t distance(std::string_view a, std::string_view b) {
  std::vector<size_t> d(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) d[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t prev = d[0];
    d[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cur = d[j];
      d[j] = std::min({d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
      prev = cur;
    }
  }
  return d[b.size()];
}

}  // namespace

bool given_batch(const Schema& schema, const std::vector<std::string>& given, Batch& out,
                 std::string& error) {
  std::vector<std::optional<std::string>> values(schema.fields.size());
  for (const auto& g : given) {
    const auto eq = g.find('=');
    if (eq == std::string::npos || eq == 0) {
      error = fmt::format("--given {}: expected FIELD=VALUE", g);
      return false;
    }
    const std::string name = g.substr(0, eq);
    const int f = schema.find(name);
    if (f < 0) {
      std::string best;
      size_t best_d = 3;
      for (const auto& fd : schema.fields)
        if (const size_t d = distance(name, fd.name); d < best_d) best_d = d, best = fd.name;
      error = fmt::format("--given {}: the schema has no field `{}`{}", g, name,
                          best.empty() ? "" : fmt::format(" (did you mean `{}`?)", best));
      return false;
    }
    if (values[f]) {
      error = fmt::format("--given {}: field `{}` is given twice", g, name);
      return false;
    }
    values[f] = g.substr(eq + 1);
  }
  std::vector<std::string> needed;
  for (size_t i = 0; i < schema.fields.size(); ++i)
    if (!values[i] && !schema.fields[i].nullable) needed.push_back(schema.fields[i].name);
  if (!needed.empty()) {
    error = fmt::format(
        "--given: these fields cannot be missing and have no value: {} (give each as "
        "--given FIELD=VALUE; fields marked `?` in the schema may be left out)",
        fmt::join(needed, ", "));
    return false;
  }
  std::string csv, line;
  for (size_t i = 0; i < schema.fields.size(); ++i)
    csv += (i ? "," : "") + csv_quote(schema.fields[i].name);
  csv += "\n";
  for (size_t i = 0; i < schema.fields.size(); ++i) {
    if (i) csv += ',';
    if (values[i] && !values[i]->empty()) csv += csv_quote(*values[i]);
  }
  csv += "\n";
  std::optional<SnapshotError> err;
  auto reader = open_csv_snapshot_memory(std::move(csv), "--given", schema, ReaderOptions{}, err);
  if (!reader) {
    error = err ? err->to_string() : "--given: cannot build the customer";
    return false;
  }
  if (!reader->next(out)) {
    const auto& e = reader->error();
    if (e && !e->column.empty()) {
      const int f = schema.find(e->column);
      error = fmt::format("--given {}={}: {}", e->column,
                          f >= 0 && values[f] ? *values[f] : std::string(), e->message);
    } else {
      error = e ? e->to_string() : "--given: cannot build the customer";
    }
    return false;
  }
  return true;
}

// ---- explanation -------------------------------------------------------------------------------

namespace {

struct SpanKey {
  uint32_t file, offset, len;
  bool operator==(const SpanKey& o) const {
    return file == o.file && offset == o.offset && len == o.len;
  }
};
struct SpanHash {
  size_t operator()(const SpanKey& k) const {
    return (size_t{k.file} * 1000003u ^ k.offset) * 1000003u ^ k.len;
  }
};
SpanKey key_of(const ast::Span& s) {
  return {s.file, s.offset, s.len};
}

// An AST expression together with its file.
struct AstRef {
  const ast::File* file = nullptr;
  ast::ExprId id = ast::kNoExpr;
  bool valid() const { return file && id != ast::kNoExpr; }
};

std::string collapse(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string truth_text(const NodeValue& v) {
  const int t = truth(v);
  return t == 1 ? "true" : t == 0 ? "false" : "unknown";
}

std::string number_text(double v) {
  return fmt::format("{:.10g}", v);
}

// The value of field `f` of row `r` as text, or nullopt when missing.
std::optional<std::string> field_text(const Schema& schema, const Batch& b, size_t f, int64_t r) {
  const FieldDef& fd = schema.fields[f];
  const RkColumn& c = b.columns[f];
  if (!is_present(c.validity, r)) return std::nullopt;
  switch (fd.type) {
    case FieldType::Bool:
      return bit_is_set(static_cast<const uint8_t*>(c.values), r) ? "true" : "false";
    case FieldType::Int:
      return std::to_string(static_cast<const int64_t*>(c.values)[r]);
    case FieldType::Number:
    case FieldType::Money:
    case FieldType::Percent: {
      const double v = static_cast<const double*>(c.values)[r];
      if (std::isnan(v)) return std::nullopt;
      if (fd.type == FieldType::Money) return fmt::format("{:.2f}", v);
      if (fd.type == FieldType::Percent) return number_text(v * 100) + "%";
      return number_text(v);
    }
    case FieldType::Date:
      return format_date(static_cast<const int32_t*>(c.values)[r]);
    case FieldType::Enum: {
      const int32_t o = static_cast<const int32_t*>(c.values)[r];
      if (o < 0 || static_cast<size_t>(o) >= fd.enum_values.size()) return std::to_string(o);
      return fd.enum_values[o];
    }
    case FieldType::String: {
      auto s = b.string_at(f, r);
      if (!s) return std::nullopt;
      return std::string(*s);
    }
    case FieldType::StringList: {
      const auto* off = static_cast<const int32_t*>(c.offsets);
      const auto* dict = static_cast<const StringDict*>(c.dict);
      std::vector<std::string> items;
      for (int32_t k = off[r]; k < off[r + 1]; ++k)
        items.emplace_back(dict->entries[c.child_codes[k]]);
      return fmt::format("[{}]", fmt::join(items, ", "));
    }
  }
  return std::nullopt;
}

class Explainer {
 public:
  Explainer(const CompileResult& c, const Batch& b, int64_t row, int32_t as_of)
      : c_(c), p_(*c.program), b_(b), row_(row), as_of_(as_of) {}

  bool run(Explanation& e, std::string& error) {
    if (!parse_sources(error)) return false;
    PreparedAtoms atoms;
    atoms.prepare(p_, b_);
    const RkBatchView view{b_.columns.data(), atoms.data(), b_.num_rows, as_of_, 0};
    v_ = evaluate_row(p_, view, row_);
    for (const auto& x : c_.map.exprs) expr_node_.emplace(key_of(x.span), x.node);
    for (size_t k = 0; k < p_.outputs.size(); ++k)
      output_node_[p_.outputs[k].name] = p_.outputs[k].node;
    for (size_t k = 0; k < p_.columns.size(); ++k) column_[p_.columns[k].name] = &p_.columns[k];
    for (const auto& r : c_.map.rules)
      if (r.kind == SourceMap::Kind::Let) let_node_[r.name] = r.cond;

    const Schema& s = p_.schema;
    e = Explanation{};
    e.key_field = s.key_field >= 0 ? s.fields[s.key_field].name : "";
    if (s.key_field >= 0)
      e.customer = field_text(s, b_, static_cast<size_t>(s.key_field), row_).value_or("");
    e.as_of = format_date(as_of_);
    e.rules_file = c_.sources.size() ? c_.sources.file(0).path : "";
    for (size_t f = 0; f < s.fields.size(); ++f)
      e.fields.emplace_back(s.fields[f].name, field_text(s, b_, f, row_).value_or(""));
    families(e);
    candidate(e);
    stops(e);
    sequences(e);
    reviews(e);
    return true;
  }

 private:
  bool parse_sources(std::string& error) {
    files_.resize(c_.sources.size());
    for (uint32_t i = 0; i < c_.sources.size(); ++i) {
      std::vector<Diagnostic> diags;
      auto f = parse_file(c_.sources, i, diags);
      if (!f) {
        error = fmt::format("cannot re-read {}", c_.sources.file(i).path);
        return false;
      }
      files_[i] = std::make_unique<ast::File>(std::move(*f));
      const ast::File* file = files_[i].get();
      for (const auto& top : file->decls) {
        std::visit(
            [&](const auto& d) {
              using T = std::decay_t<decltype(d)>;
              if constexpr (std::is_same_v<T, ast::SegmentDecl>) {
                for (const auto& l : d.labels) cond_[key_of(l.span)] = {file, l.cond};
              } else if constexpr (std::is_same_v<T, ast::CandidateDecl>) {
                cond_[key_of(d.span)] = {file, d.cond};
              } else if constexpr (std::is_same_v<T, ast::RuleDecl>) {
                cond_[key_of(d.span)] = {file, d.cond};
              } else if constexpr (std::is_same_v<T, ast::LetDecl>) {
                lets_[d.name] = {file, d.value};
              } else if constexpr (std::is_same_v<T, ast::SequenceDecl>) {
                seqs_[d.name] = {file, &d};
                for (const auto& x : d.exits) cond_[key_of(x.span)] = {file, x.cond};
                for (const auto& ch : d.channels) cond_[key_of(ch.span)] = {file, ch.requires_};
                for (const auto& t : d.touches) cond_[key_of(t.span)] = {file, t.only_when};
              }
            },
            top.decl);
      }
    }
    return true;
  }

  std::optional<uint32_t> node_of(const AstRef& r) const {
    if (!r.valid()) return std::nullopt;
    auto it = expr_node_.find(key_of(r.file->expr(r.id).span));
    if (it == expr_node_.end()) return std::nullopt;
    return it->second;
  }
  std::string text_of(const AstRef& r) const {
    const ast::Span& s = r.file->expr(r.id).span;
    return collapse(std::string_view(c_.sources.file(s.file).text).substr(s.offset, s.len));
  }
  std::string value_of(const AstRef& r) const {
    auto n = node_of(r);
    return n ? truth_text(v_[*n]) : "unknown";
  }
  const NodeValue* output(const std::string& name) const {
    auto it = output_node_.find(name);
    return it == output_node_.end() ? nullptr : &v_[it->second];
  }
  // The text of an enumerated result column's value, "" when empty.
  std::string column_text(const std::string& column, const NodeValue& v) const {
    auto it = column_.find(column);
    if (it == column_.end() || !v.present || v.i < 0 ||
        static_cast<size_t>(v.i) >= it->second->texts.size())
      return {};
    return it->second->texts[static_cast<size_t>(v.i)];
  }
  std::string column_value(const std::string& column) const {
    auto it = column_.find(column);
    if (it == column_.end() || it->second->outputs.empty()) return {};
    return column_text(column, v_[p_.outputs[it->second->outputs[0]].node]);
  }

  // "what it read": fields, lets, segments, the candidate flag and sequence values named in a
  // part of a condition, with their values for this customer.
  void collect_reads(const ast::File& f, ast::ExprId id, std::vector<std::string>& out,
                     std::set<std::string>& seen) const {
    if (id == ast::kNoExpr) return;
    const ast::Expr& e = f.expr(id);
    std::visit(
        [&](const auto& k) {
          using T = std::decay_t<decltype(k)>;
          if constexpr (std::is_same_v<T, ast::Name>) {
            if (seen.insert(k.name).second) {
              if (auto r = read_text(k.name)) out.push_back(*r);
            }
          } else if constexpr (std::is_same_v<T, ast::Member>) {
            const ast::Expr& obj = f.expr(k.object);
            const auto* n = std::get_if<ast::Name>(&obj.kind);
            if (!n) return;
            const std::string name = n->name + "." + k.member;
            if (!seen.insert(name).second) return;
            auto it = expr_node_.find(key_of(e.span));
            if (it == expr_node_.end()) return;
            const NodeValue& v = v_[it->second];
            std::string text;
            if (k.member == "touch")
              text = v.present ? std::to_string(v.i) : "";
            else if (k.member == "step")
              text = column_text(n->name + "_step", v);
            else
              text = column_text(n->name + "_" + k.member, v);
            out.push_back(text.empty() ? name + " is empty" : name + " = " + text);
          } else if constexpr (std::is_same_v<T, ast::Unary>) {
            collect_reads(f, k.operand, out, seen);
          } else if constexpr (std::is_same_v<T, ast::Binary>) {
            collect_reads(f, k.lhs, out, seen);
            collect_reads(f, k.rhs, out, seen);
          } else if constexpr (std::is_same_v<T, ast::Is>) {
            collect_reads(f, k.subject, out, seen);
            if (k.kind == ast::IsKind::Value) collect_reads(f, k.value, out, seen);
          } else if constexpr (std::is_same_v<T, ast::InSet>) {
            collect_reads(f, k.subject, out, seen);
          } else if constexpr (std::is_same_v<T, ast::InRange>) {
            collect_reads(f, k.subject, out, seen);
            collect_reads(f, k.lo, out, seen);
            collect_reads(f, k.hi, out, seen);
          } else if constexpr (std::is_same_v<T, ast::Has>) {
            collect_reads(f, k.subject, out, seen);
          } else if constexpr (std::is_same_v<T, ast::DaysSince>) {
            collect_reads(f, k.date, out, seen);
          } else if constexpr (std::is_same_v<T, ast::IfExpr>) {
            collect_reads(f, k.cond, out, seen);
            collect_reads(f, k.then_, out, seen);
            collect_reads(f, k.else_, out, seen);
          } else if constexpr (std::is_same_v<T, ast::OfferLit>) {
            collect_reads(f, k.amount, out, seen);
          }
        },
        e.kind);
  }

  std::optional<std::string> read_text(const std::string& name) const {
    const Schema& s = p_.schema;
    if (const int f = s.find(name); f >= 0) {
      auto t = field_text(s, b_, static_cast<size_t>(f), row_);
      return t ? name + " = " + *t : name + " is missing";
    }
    if (auto it = let_node_.find(name); it != let_node_.end() && it->second != UINT32_MAX) {
      const NodeValue& v = v_[it->second];
      if (!v.present) return name + " is missing";
      const ir::Node& n = p_.nodes[it->second];
      std::string unit;
      if (auto l = lets_.find(name); l != lets_.end()) {
        if (std::holds_alternative<ast::DaysSince>(l->second.file->expr(l->second.id).kind))
          unit = " days";
      }
      if (n.ty == Ty::Bool) return name + " = " + truth_text(v);
      if (n.ty == Ty::Float) return name + " = " + number_text(v.f);
      return name + " = " + std::to_string(v.i) + unit;
    }
    if (name == "candidate") {
      if (const NodeValue* v = output("candidate")) return "candidate = " + truth_text(*v);
      return std::nullopt;
    }
    if (auto it = column_.find(name); it != column_.end() &&
                                      it->second->kind == ir::ResultKind::Enumerated &&
                                      seqs_.find(name) == seqs_.end() && name != "stopped_by") {
      const std::string label = column_value(name);
      return label.empty() ? name + " has no label" : name + " = " + label;
    }
    return std::nullopt;
  }

  ExplainClause clause(const AstRef& r, int depth, bool leaf) const {
    ExplainClause c;
    c.depth = depth;
    c.text = text_of(r);
    c.value = value_of(r);
    if (leaf) {
      std::set<std::string> seen;
      collect_reads(*r.file, r.id, c.reads, seen);
    }
    return c;
  }

  static bool connective(const ast::Expr& e) {
    if (const auto* b = std::get_if<ast::Binary>(&e.kind))
      return b->op == ast::BinOp::And || b->op == ast::BinOp::Or;
    if (const auto* u = std::get_if<ast::Unary>(&e.kind)) return u->op == ast::UnOp::Not;
    return false;
  }

  // The direct parts of a connective (`a and b and c` gives a, b, c).
  static void parts(const ast::File& f, ast::ExprId id, std::vector<ast::ExprId>& out) {
    const ast::Expr& e = f.expr(id);
    if (const auto* u = std::get_if<ast::Unary>(&e.kind)) {
      out.push_back(u->operand);
      return;
    }
    const auto& b = std::get<ast::Binary>(e.kind);
    auto flat = [&](auto&& self, ast::ExprId x) -> void {
      const ast::Expr& xe = f.expr(x);
      const auto* xb = std::get_if<ast::Binary>(&xe.kind);
      if (xb && xb->op == b.op) {
        self(self, xb->lhs);
        self(self, xb->rhs);
      } else {
        out.push_back(x);
      }
    };
    flat(flat, b.lhs);
    flat(flat, b.rhs);
  }

  void clauses(const AstRef& r, int depth, std::vector<ExplainClause>& out) const {
    std::vector<ast::ExprId> ps;
    parts(*r.file, r.id, ps);
    for (ast::ExprId p : ps) {
      const AstRef pr{r.file, p};
      const bool leaf = !connective(r.file->expr(p));
      out.push_back(clause(pr, depth, leaf));
      if (!leaf) clauses(pr, depth + 1, out);
    }
  }

  std::string place(const ast::Span& s) const { return c_.sources.file(s.file).path; }

  // A rule of the source map with its condition explained (value, parts, reads).
  ExplainRule rule(const SourceMap::Rule& m, const char* kind, bool with_clauses) const {
    ExplainRule r;
    r.kind = kind;
    r.owner = m.owner;
    r.name = m.name;
    r.file = place(m.span);
    r.line = m.span.line;
    auto it = cond_.find(key_of(m.span));
    if (it == cond_.end() || !it->second.valid()) return r;
    const AstRef c = it->second;
    r.condition = text_of(c);
    r.value = m.cond != UINT32_MAX ? truth_text(v_[m.cond]) : value_of(c);
    if (!with_clauses) return r;
    const ast::Expr& top = c.file->expr(c.id);
    if (std::holds_alternative<ast::Unary>(top.kind) && connective(top)) {
      // `not (...)`: the whole condition first, so its value shows beside the negated part.
      r.clauses.push_back(clause(c, 0, false));
      clauses(c, 1, r.clauses);
    } else if (connective(top)) {
      clauses(c, 0, r.clauses);
    } else {
      r.clauses.push_back(clause(c, 0, true));
    }
    return r;
  }

  std::vector<const SourceMap::Rule*> rules_of(SourceMap::Kind kind,
                                               const std::string& owner) const {
    std::vector<const SourceMap::Rule*> out;
    for (const auto& r : c_.map.rules)
      if (r.kind == kind && r.owner == owner) out.push_back(&r);
    return out;
  }

  void families(Explanation& e) const {
    for (const auto& col : p_.columns) {
      if (col.kind != ir::ResultKind::Enumerated || col.name == "candidate" ||
          col.name == "stopped_by")
        continue;
      // Segment families are the columns with label rules in the source map.
      std::vector<const SourceMap::Rule*> labels;
      for (const auto& r : c_.map.rules)
        if ((r.kind == SourceMap::Kind::Label || r.kind == SourceMap::Kind::Otherwise) &&
            r.owner == col.name)
          labels.push_back(&r);
      if (!is_family(col.name)) continue;
      ExplainFamily fam;
      fam.name = col.name;
      fam.label = column_value(col.name);
      // Labels in source order (the map lists `otherwise` after the others).
      std::sort(labels.begin(), labels.end(), [](const auto* a, const auto* b) {
        return std::tie(a->span.file, a->span.offset) < std::tie(b->span.file, b->span.offset);
      });
      for (const auto* m : labels) {
        const bool is_otherwise = m->kind == SourceMap::Kind::Otherwise;
        const bool decided = m->name == fam.label;
        ExplainRule r = rule(*m, is_otherwise ? "otherwise" : "label", decided);
        r.decided = decided;
        if (is_otherwise)
          r.verdict = decided ? "MATCHES (no label before it matched)" : "not reached";
        else
          r.verdict = r.value == "true" ? "MATCHES" : "no match (" + r.value + ")";
        fam.rules.push_back(std::move(r));
        if (decided) break;
      }
      e.families.push_back(std::move(fam));
    }
  }
  bool is_family(const std::string& name) const {
    for (const auto& f : files_)
      for (const auto& top : f->decls)
        if (const auto* s = std::get_if<ast::SegmentDecl>(&top.decl); s && s->name == name)
          return true;
    return false;
  }

  void candidate(Explanation& e) const {
    const NodeValue* c = output("candidate");
    e.candidate = c && truth(*c) == 1;
    for (const auto& m : c_.map.rules)
      if (m.kind == SourceMap::Kind::Candidate) {
        e.has_candidate_rule = true;
        e.candidate_rule = rule(m, "candidate", true);
        e.candidate_rule.decided = true;
        e.candidate_rule.verdict =
            e.candidate ? "a candidate" : "not a candidate (" + e.candidate_rule.value + ")";
      }
  }

  static std::string fire_verdict(const std::string& value) {
    if (value == "true") return "FIRES";
    if (value == "unknown") return "FIRES (fail closed: unknown)";
    return "does not fire";
  }

  void stops(Explanation& e) const {
    e.stopped_by = column_value("stopped_by");
    const auto list = rules_of(SourceMap::Kind::Stop, "");
    if (!e.candidate) e.stops_note = "stop rules apply to candidates only";
    bool fired = false;
    for (const auto* m : list) {
      const bool applies = e.candidate && !fired;
      ExplainRule r = rule(*m, "stop", applies);
      if (!e.candidate) {
        r.verdict = "not applied";
      } else if (fired) {
        r.verdict = "not reached (" + e.stopped_by + " fired first)";
      } else {
        r.verdict = fire_verdict(r.value);
        if (r.value != "false") fired = r.decided = true;
      }
      e.stops.push_back(std::move(r));
    }
  }

  void reviews(Explanation& e) const {
    auto it = column_.find("review");
    bool in_scope = false;
    std::vector<std::string> due_seqs, not_due;
    for (const auto& q : e.sequences) (q.status == "due" ? due_seqs : not_due).push_back(q.name);
    if (e.sequences.empty()) {
      in_scope = e.candidate && e.stopped_by.empty();
      if (!in_scope)
        e.review_note = e.candidate ? "review applies to candidates that are not stopped; "
                                      "this customer is stopped by " +
                                          e.stopped_by
                                    : "review applies to candidates only";
    } else {
      in_scope = !due_seqs.empty();
      if (!in_scope) {
        std::vector<std::string> st;
        for (const auto& q : e.sequences) st.push_back(q.name + " is " + q.status);
        e.review_note = fmt::format("review applies only to customers with a touch due ({})",
                                    fmt::join(st, ", "));
      }
    }
    if (it != column_.end()) {
      const ir::ResultColumn& col = *it->second;
      for (size_t k = 0; k < col.outputs.size(); ++k)
        if (truth(v_[p_.outputs[col.outputs[k]].node]) == 1) e.review.push_back(col.texts[k]);
    }
    for (const auto* m : rules_of(SourceMap::Kind::Review, "")) {
      ExplainRule r = rule(*m, "review", in_scope);
      if (!in_scope) {
        r.verdict = "not applied";
      } else {
        r.verdict = fire_verdict(r.value);
        r.decided = r.value != "false";
      }
      e.reviews.push_back(std::move(r));
    }
  }

  void sequences(Explanation& e) const {
    for (const auto& col : p_.columns) {
      if (col.name.size() < 8 || col.name.compare(col.name.size() - 7, 7, "_status") != 0) continue;
      const std::string name = col.name.substr(0, col.name.size() - 7);
      auto sit = seqs_.find(name);
      if (sit == seqs_.end()) continue;
      e.sequences.push_back(sequence(name, *sit->second.file, *sit->second.decl, e));
    }
  }

  struct SeqRef {
    const ast::File* file = nullptr;
    const ast::SequenceDecl* decl = nullptr;
  };

  ExplainSequence sequence(const std::string& name, const ast::File& f, const ast::SequenceDecl& d,
                           const Explanation& e) const {
    ExplainSequence q;
    q.name = name;
    q.status = column_value(name + "_status");
    q.step = column_value(name + "_step");
    q.channel = column_value(name + "_channel");
    q.offer = column_value(name + "_offer");
    if (const NodeValue* t = output(name + "_touch"); t && t->present)
      q.touch = static_cast<int>(t->i) + 1;
    std::string derived;
    auto say = [&](std::string s, std::optional<ExplainRule> r = std::nullopt) {
      q.steps.push_back({std::move(s), std::move(r)});
    };
    auto decide = [&](const std::string& status) {
      derived = status;
      return true;
    };
    [&] {
      // 1. entry
      if (d.enter != ast::kNoExpr) {
        const AstRef r{&f, d.enter};
        const std::string v = value_of(r);
        say(fmt::format("enter when {}: {}", text_of(r), v));
        if (v != "true") return decide("not_candidate");
      } else {
        say(fmt::format("entered: candidate = {}", e.candidate ? "true" : "false"));
        if (!e.candidate) return decide("not_candidate");
      }
      // 2. stops
      if (!e.stopped_by.empty()) {
        say(fmt::format("stopped by {}", e.stopped_by));
        return decide("stopped");
      }
      say("no stop rule fired");
      // 3. holdout
      if (d.holdout_share != ast::kNoExpr) {
        const ir::Atom* atom = nullptr;
        for (const auto& a : p_.atoms)
          if (a.kind == ir::AtomKind::Holdout && a.salt == d.holdout_salt) atom = &a;
        if (atom && p_.schema.key_field >= 0) {
          const std::string key = std::string(
              b_.string_at(static_cast<size_t>(p_.schema.key_field), row_).value_or(""));
          const uint64_t bucket =
              fnv1a64_update(fnv1a64_update(fnv1a64(atom->salt), ":"), key) % atom->modulus;
          const bool held = bucket < atom->threshold;
          say(fmt::format("holdout {} salt \"{}\": bucket {} of {} is {} {}",
                          text_of({&f, d.holdout_share}), d.holdout_salt, bucket, atom->modulus,
                          held ? "below" : "not below", atom->threshold));
          if (held) return decide("holdout");
        }
      }
      // 4. exits
      for (const auto* m : rules_of(SourceMap::Kind::Exit, name)) {
        ExplainRule r = rule(*m, "exit", true);
        const bool out = r.value == "true";
        r.verdict = out ? "EXITS" : "does not exit (" + r.value + ")";
        r.decided = out;
        say(fmt::format("exit {} ({}:{}): {}", m->name, r.file, r.line, r.verdict), r);
        if (out) return decide(m->name);
      }
      // 5. the next touch
      int64_t last = 0;
      std::string last_text = "no progress field: no touch sent";
      std::optional<int32_t> last_date;
      if (d.progress_touch) {
        const int tf = p_.schema.find(d.progress_touch->first);
        const int df = p_.schema.find(d.progress_date->first);
        const NodeValue lv = tf >= 0 ? column_value_of(static_cast<size_t>(tf)) : NodeValue{};
        last = lv.present ? lv.i : 0;
        last_text =
            lv.present ? fmt::format("last touch {} ({} = {})", last, d.progress_touch->first, lv.i)
                       : fmt::format("last touch 0 ({} is missing)", d.progress_touch->first);
        if (df >= 0) {
          const NodeValue dv = column_value_of(static_cast<size_t>(df));
          if (dv.present) last_date = static_cast<int32_t>(dv.i);
        }
      }
      say(last_text);
      const auto touch_rules = rules_of(SourceMap::Kind::Touch, name);
      int next = 0;
      for (size_t i = 0; i < d.touches.size(); ++i) {
        if (static_cast<int64_t>(i + 1) <= last) continue;
        const ast::TouchDecl& t = d.touches[i];
        if (t.only_when == ast::kNoExpr) {
          next = static_cast<int>(i + 1);
          break;
        }
        const SourceMap::Rule* m = nullptr;
        for (const auto* tr : touch_rules)
          if (tr->name == t.name) m = tr;
        const std::string v = value_of({&f, t.only_when});
        std::optional<ExplainRule> r;
        if (m) {
          r = rule(*m, "touch", true);
          r->verdict = v == "true" ? "eligible" : "skipped (" + v + ")";
          r->decided = v == "true";
        }
        if (v == "true") {
          say(fmt::format("touch {} {}: only when {}: true", i + 1, t.name,
                          text_of({&f, t.only_when})),
              std::move(r));
          next = static_cast<int>(i + 1);
          break;
        }
        say(fmt::format("touch {} {} skipped: only when {}: {}", i + 1, t.name,
                        text_of({&f, t.only_when}), v),
            std::move(r));
      }
      if (next == 0) {
        say(fmt::format("no touch after touch {}", last));
        return decide("exhausted");
      }
      const ast::TouchDecl& t = d.touches[static_cast<size_t>(next - 1)];
      say(fmt::format("next touch: {} {} ({}:{})", next, t.name, place(t.span), t.span.line));
      // 6. waiting
      if (d.wait != ast::kNoExpr) {
        auto wn = node_of({&f, d.wait});
        const NodeValue w = wn ? v_[*wn] : NodeValue{};
        const std::string wtext = text_of({&f, d.wait});
        const std::string wshow = w.present && wtext.find(std::to_string(w.i)) == std::string::npos
                                      ? fmt::format("{} ({} days)", wtext, w.i)
                                      : wtext;
        if (last > 0) {
          if (!last_date) {
            say(fmt::format("waiting: {} is missing, so the wait ({}) cannot have passed",
                            d.progress_date ? d.progress_date->first : "the progress date", wshow));
            return decide("waiting");
          }
          const int64_t since = static_cast<int64_t>(as_of_) - *last_date;
          const bool ok = w.present && since >= w.i;
          say(fmt::format("{} days since the last touch on {}; wait {}: {}", since,
                          format_date(*last_date), wshow, ok ? "passed" : "not yet"));
          if (!ok) return decide("waiting");
        } else {
          say("no touch sent yet: no wait");
        }
      }
      // 7. channel
      std::string chosen;
      if (auto cn = node_of({&f, t.channel}); cn && v_[*cn].present) {
        const int64_t ci = v_[*cn].i;
        auto cit = column_.find(name + "_channel");
        if (cit != column_.end() && ci >= 0 && static_cast<size_t>(ci) < cit->second->texts.size())
          chosen = cit->second->texts[static_cast<size_t>(ci)];
      }
      const auto channel_rules = rules_of(SourceMap::Kind::Channel, name);
      auto allowed = [&](const std::string& ch) {
        for (const auto* m : channel_rules)
          if (m->name == ch) {
            ExplainRule r = rule(*m, "channel", true);
            const bool ok = r.value == "true";
            r.verdict = ok ? "allowed" : "not allowed (" + r.value + ")";
            say(fmt::format("channel {} requires {}: {}", ch, r.condition, r.value), r);
            return ok;
          }
        say(fmt::format("channel {}: no requirement", ch));
        return true;
      };
      if (chosen.empty()) {
        say(fmt::format("via {}: no channel", text_of({&f, t.channel})));
        return decide("no_channel");
      }
      if (t.channel != ast::kNoExpr && !std::holds_alternative<ast::Name>(f.expr(t.channel).kind))
        say(fmt::format("via {}: {}", text_of({&f, t.channel}), chosen));
      if (!allowed(chosen)) {
        std::string fb;
        for (const auto& x : d.fallbacks)
          if (x.from == chosen) fb = x.to;
        if (fb.empty()) {
          say(fmt::format("no fallback for {}", chosen));
          return decide("no_channel");
        }
        say(fmt::format("fallback {} to {}", chosen, fb));
        if (!allowed(fb)) return decide("no_channel");
      }
      say(fmt::format("due: touch {} {} via {}, offer {}", next, t.name, q.channel, q.offer));
      return decide("due");
    }();
    if (derived != q.status)
      say(fmt::format("(note: the evaluation says {}; the steps above say {})", q.status, derived));
    return q;
  }

  NodeValue column_value_of(size_t field) const {
    const RkBatchView view{b_.columns.data(), nullptr, b_.num_rows, as_of_, 0};
    return rk::column_value(p_, static_cast<uint32_t>(field), view, row_);
  }

  const CompileResult& c_;
  const ir::Program& p_;
  const Batch& b_;
  int64_t row_;
  int32_t as_of_;
  std::vector<NodeValue> v_;
  std::vector<std::unique_ptr<ast::File>> files_;
  std::unordered_map<SpanKey, AstRef, SpanHash> cond_;
  std::unordered_map<SpanKey, uint32_t, SpanHash> expr_node_;
  std::map<std::string, uint32_t> output_node_;
  std::map<std::string, const ir::ResultColumn*> column_;
  std::map<std::string, uint32_t> let_node_;
  std::map<std::string, AstRef> lets_;
  std::map<std::string, SeqRef> seqs_;
};

}  // namespace

bool explain_row(const CompileResult& compiled, const Batch& batch, int64_t row, int32_t as_of,
                 Explanation& out, std::string& error) {
  if (!compiled.program) {
    error = "the rules did not compile";
    return false;
  }
  if (row < 0 || row >= batch.num_rows) {
    error = "row out of range";
    return false;
  }
  Explainer x(compiled, batch, row, as_of);
  return x.run(out, error);
}

// ---- rendering ---------------------------------------------------------------------------------

namespace {

void render_clauses(std::string& out, const std::vector<ExplainClause>& cs, int indent) {
  size_t width = 0;
  for (const auto& c : cs) width = std::max(width, c.text.size() + 2 * c.depth);
  width = std::min<size_t>(width, 60);
  for (const auto& c : cs) {
    std::string lead(static_cast<size_t>(indent + 2 * c.depth), ' ');
    std::string text = c.text;
    const size_t pad = width > text.size() + 2 * c.depth ? width - text.size() - 2 * c.depth : 0;
    out += fmt::format("{}{}{}   {:<7}", lead, text, std::string(pad, ' '), c.value);
    if (!c.reads.empty()) out += fmt::format("  ({})", fmt::join(c.reads, ", "));
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += "\n";
  }
}

std::string where(const ExplainRule& r) {
  return fmt::format("{}:{}", r.file, r.line);
}

}  // namespace

std::string explain_text(const Explanation& e) {
  std::string out = fmt::format("customer {} = {}, as of {} ({})\n", e.key_field, e.customer,
                                e.as_of, e.rules_file);
  out += "\nsegments\n";
  for (const auto& f : e.families) {
    out += fmt::format("  {} = {}", f.name, f.label.empty() ? "(no label)" : f.label);
    const ExplainRule* win = nullptr;
    std::vector<std::string> before;
    for (const auto& r : f.rules) {
      if (r.decided)
        win = &r;
      else
        before.push_back(fmt::format("{} {}", r.name, r.value.empty() ? "-" : r.value));
    }
    if (win) {
      out += fmt::format("  ({} {}: {})\n", win->kind == "otherwise" ? "otherwise" : "label",
                         where(*win), win->verdict);
      if (!before.empty()) out += fmt::format("    before it: {}\n", fmt::join(before, ", "));
      render_clauses(out, win->clauses, 4);
    } else {
      out += "  (no label matched)\n";
      if (!before.empty()) out += fmt::format("    tried: {}\n", fmt::join(before, ", "));
    }
  }
  if (e.has_candidate_rule) {
    const auto& r = e.candidate_rule;
    out += fmt::format("\ncandidate: {} ({}): {}\n", e.candidate ? "true" : "false", where(r),
                       r.verdict);
    render_clauses(out, r.clauses, 2);
  } else {
    out += "\ncandidate: true (no candidate rule: everyone is a candidate)\n";
  }
  out += fmt::format("\nstops: {}\n", !e.stops_note.empty()  ? e.stops_note
                                      : e.stopped_by.empty() ? std::string("none fired")
                                                             : "stopped by " + e.stopped_by);
  if (e.stops_note.empty())
    for (const auto& r : e.stops) {
      out += fmt::format("  stop {} ({}): {}\n", r.name, where(r), r.verdict);
      render_clauses(out, r.clauses, 4);
    }
  for (const auto& q : e.sequences) {
    out += fmt::format("\nsequence {}: {}", q.name, q.status);
    if (q.status == "due")
      out += fmt::format(" - touch {} {} via {}, offer {}", q.touch, q.step, q.channel, q.offer);
    out += "\n";
    for (const auto& st : q.steps) {
      out += fmt::format("  {}\n", st.text);
      // The parts of an exit, a touch's `only when` or a channel's `requires`, when they say
      // more than the step's own line.
      if (st.rule && (st.rule->clauses.size() > 1 ||
                      (!st.rule->clauses.empty() && !st.rule->clauses[0].reads.empty())))
        render_clauses(out, st.rule->clauses, 4);
    }
  }
  out += fmt::format("\nreview: {}\n", !e.review_note.empty() ? e.review_note
                                       : e.review.empty()
                                           ? std::string("none fired")
                                           : fmt::format("{}", fmt::join(e.review, ", ")));
  if (e.review_note.empty())
    for (const auto& r : e.reviews) {
      out += fmt::format("  review {} ({}): {}\n", r.name, where(r), r.verdict);
      render_clauses(out, r.clauses, 4);
    }
  return out;
}

std::string explain_json(const Explanation& e) {
  using J = nlohmann::ordered_json;
  auto rule = [](const ExplainRule& r) {
    J cl = J::array();
    for (const auto& c : r.clauses)
      cl.push_back({{"depth", c.depth}, {"text", c.text}, {"value", c.value}, {"reads", c.reads}});
    J j = {{"kind", r.kind}, {"name", r.name}, {"file", r.file}, {"line", r.line}};
    if (!r.owner.empty()) j["owner"] = r.owner;
    j["condition"] = r.condition;
    j["value"] = r.value;
    j["verdict"] = r.verdict;
    j["decided"] = r.decided;
    j["clauses"] = cl;
    return j;
  };
  auto opt = [](const std::string& s) { return s.empty() ? J(nullptr) : J(s); };
  J j;
  j["customer"] = e.customer;
  j["key_field"] = e.key_field;
  j["as_of"] = e.as_of;
  j["rules"] = e.rules_file;
  J fields = J::object();
  for (const auto& [k, v] : e.fields) fields[k] = v;
  j["fields"] = fields;
  J fams = J::array();
  for (const auto& f : e.families) {
    J rs = J::array();
    for (const auto& r : f.rules) rs.push_back(rule(r));
    fams.push_back({{"name", f.name}, {"label", opt(f.label)}, {"rules", rs}});
  }
  j["segments"] = fams;
  j["candidate"] = {{"value", e.candidate},
                    {"rule", e.has_candidate_rule ? rule(e.candidate_rule) : J(nullptr)}};
  J stops = J::array();
  for (const auto& r : e.stops) stops.push_back(rule(r));
  j["stops"] = {{"stopped_by", opt(e.stopped_by)}, {"note", opt(e.stops_note)}, {"rules", stops}};
  J seqs = J::array();
  for (const auto& q : e.sequences) {
    J steps = J::array();
    for (const auto& st : q.steps)
      steps.push_back({{"text", st.text}, {"rule", st.rule ? rule(*st.rule) : J(nullptr)}});
    seqs.push_back({{"name", q.name},
                    {"status", q.status},
                    {"touch", q.touch ? J(q.touch) : J(nullptr)},
                    {"step", opt(q.step)},
                    {"channel", opt(q.channel)},
                    {"offer", opt(q.offer)},
                    {"steps", steps}});
  }
  j["sequences"] = seqs;
  J revs = J::array();
  for (const auto& r : e.reviews) revs.push_back(rule(r));
  j["review"] = {{"fired", e.review}, {"note", opt(e.review_note)}, {"rules", revs}};
  return j.dump(2) + "\n";
}

}  // namespace rk
