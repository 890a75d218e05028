// Rekindle compiler: the checker. Loads a rule file and its imports, resolves names, checks
// types and units, detects cycles, and lowers everything to the IR in one pass. Entities (lets,
// segment families, the candidate rule, stops, sequences) are lowered on first use, so the order
// of declarations does not matter and a dependency cycle is reported with its path. Along the way
// it fills the source map (compile.h): rules, checked expressions, condition terms, segments and
// sequence clauses, which is all the tools after it (explain, test) know of the source.
#include <fmt/format.h>

#include <pthread.h>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include "compiler/check/compile.h"
#include "compiler/check/param_value.h"
#include "compiler/check/types.h"
#include "compiler/ir/helpers.h"
#include "grammar/parser.h"
#include "grammar/source_root.h"

namespace rk {
namespace {

using check::Type;
using check::TypeKind;
namespace fs = std::filesystem;

constexpr int kMaxLabels = 127;
constexpr int kMaxTouches = 127;
constexpr size_t kMaxDecls = 20000;
constexpr int kMaxExprDepth = 20000;

// Runs `fn` on a thread with a 512 MiB stack (reserved, touched only as used), so checking deep
// but legal expressions cannot overflow the caller's stack.
void run_on_big_stack(const std::function<void()>& fn) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, size_t{512} << 20);
  pthread_t thread;
  auto trampoline = [](void* arg) -> void* {
    (*static_cast<const std::function<void()>*>(arg))();
    return nullptr;
  };
  if (pthread_create(&thread, &attr, trampoline, const_cast<std::function<void()>*>(&fn)) != 0) {
    pthread_attr_destroy(&attr);
    fn();  // no thread available: run here
    return;
  }
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
}

// A checked expression: its type and the IR node computing it. String and list fields have no
// node (they are read through atoms) but remember their field.
struct Typed {
  Type type;
  uint32_t node = UINT32_MAX;
  int field = -1;
};

Typed error_typed() {
  return Typed{};
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest(std::string_view name, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(2, name.size() / 3) + 1;
  for (const auto& c : candidates) {
    const size_t d = edit_distance(name, c);
    if (d < best_d) best_d = d, best = c;
  }
  return best;
}

std::string type_name(const Type& t) {
  switch (t.kind) {
    case TypeKind::Error:
      return "an erroneous value";
    case TypeKind::Bool:
      return "yes/no (bool)";
    case TypeKind::Int:
      return "a whole number";
    case TypeKind::Number:
      return "a number";
    case TypeKind::Money:
      return "money";
    case TypeKind::Percent:
      return "a percent";
    case TypeKind::Days:
      return "days";
    case TypeKind::Date:
      return "a date";
    case TypeKind::String:
      return "a string";
    case TypeKind::StringList:
      return "a list of strings";
    case TypeKind::Enum:
      return "an enum value";
    case TypeKind::Label:
      return "a segment label";
    case TypeKind::Channel:
      return "a channel";
    case TypeKind::Offer:
      return "an offer";
    case TypeKind::Status:
      return "a sequence status";
    case TypeKind::Step:
      return "a sequence step";
  }
  return "?";
}

ir::Ty phys(const Type& t) {
  switch (t.kind) {
    case TypeKind::Bool:
      return ir::Ty::Bool;
    case TypeKind::Number:
    case TypeKind::Money:
    case TypeKind::Percent:
      return ir::Ty::Float;
    default:
      return ir::Ty::Int;
  }
}

Type field_type(const Schema& s, int f) {
  switch (s.fields[f].type) {
    case FieldType::Bool:
      return {TypeKind::Bool};
    case FieldType::Int:
      return {TypeKind::Int};
    case FieldType::Number:
      return {TypeKind::Number};
    case FieldType::Money:
      return {TypeKind::Money};
    case FieldType::Percent:
      return {TypeKind::Percent};
    case FieldType::Date:
      return {TypeKind::Date};
    case FieldType::String:
      return {TypeKind::String};
    case FieldType::Enum:
      return {TypeKind::Enum, f};
    case FieldType::StringList:
      return {TypeKind::StringList};
  }
  return {};
}

// Builds IR nodes with hash-consing, so equal subexpressions become one node.
class NodeBuilder {
 public:
  std::vector<ir::Node> nodes;

  uint32_t add(ir::Node n) {
    std::string key =
        fmt::format("{}|{}|{}|{}|{}|{}|", static_cast<int>(n.op), static_cast<int>(n.ty), n.index,
                    n.imm, std::bit_cast<uint64_t>(n.fimm), n.mask);
    for (uint32_t a : n.args) key += fmt::format("{},", a);
    auto it = memo_.find(key);
    if (it != memo_.end()) return it->second;
    nodes.push_back(std::move(n));
    const auto id = static_cast<uint32_t>(nodes.size() - 1);
    memo_.emplace(std::move(key), id);
    return id;
  }
  uint32_t op(ir::Op op, ir::Ty ty, std::vector<uint32_t> args) {
    ir::Node n;
    n.op = op;
    n.ty = ty;
    n.args = std::move(args);
    return add(std::move(n));
  }
  uint32_t c_bool(bool b) {
    ir::Node n;
    n.op = ir::Op::ConstBool;
    n.ty = ir::Ty::Bool;
    n.imm = b;
    return add(n);
  }
  uint32_t c_int(int64_t v) {
    ir::Node n;
    n.op = ir::Op::ConstInt;
    n.ty = ir::Ty::Int;
    n.imm = v;
    return add(n);
  }
  uint32_t c_float(double v) {
    ir::Node n;
    n.op = ir::Op::ConstFloat;
    n.ty = ir::Ty::Float;
    n.fimm = v;
    return add(n);
  }
  uint32_t null(ir::Ty ty) {
    ir::Node n;
    n.op = ir::Op::Null;
    n.ty = ty;
    return add(n);
  }
  uint32_t is_true(uint32_t a) { return op(ir::Op::IsTrue, ir::Ty::Bool, {a}); }
  uint32_t is_false(uint32_t a) { return op(ir::Op::IsFalse, ir::Ty::Bool, {a}); }
  uint32_t not_(uint32_t a) { return op(ir::Op::Not, ir::Ty::Bool, {a}); }
  uint32_t and_(uint32_t a, uint32_t b) { return op(ir::Op::And, ir::Ty::Bool, {a, b}); }
  uint32_t or_(uint32_t a, uint32_t b) { return op(ir::Op::Or, ir::Ty::Bool, {a, b}); }
  uint32_t is_missing(uint32_t a) { return op(ir::Op::IsMissing, ir::Ty::Bool, {a}); }
  uint32_t cmp(ir::Op o, uint32_t a, uint32_t b) { return op(o, ir::Ty::Bool, {a, b}); }
  uint32_t if_(ir::Ty ty, uint32_t c, uint32_t a, uint32_t b) {
    return op(ir::Op::If, ty, {c, a, b});
  }
  uint32_t in_mask(uint32_t a, uint64_t mask) {
    ir::Node n;
    n.op = ir::Op::InMask;
    n.ty = ir::Ty::Bool;
    n.mask = mask;
    n.args = {a};
    return add(std::move(n));
  }
  // Fail-closed truth: fires unless definitely false.
  uint32_t fires(uint32_t a) { return not_(is_false(a)); }

 private:
  std::unordered_map<std::string, uint32_t> memo_;
};

enum class State : uint8_t { Pending, Active, Done };

struct Entity {
  const ast::File* file = nullptr;
  State state = State::Pending;
  Typed value;
};

struct LetEnt : Entity {
  const ast::LetDecl* decl = nullptr;
};
struct ParamEnt : Entity {
  const ast::ParamDecl* decl = nullptr;
};
struct FamilyEnt : Entity {
  const ast::SegmentDecl* decl = nullptr;
  std::vector<std::string> labels;  // in order, the otherwise label last
};
struct RuleEnt {
  const ast::File* file = nullptr;
  const ast::RuleDecl* decl = nullptr;
};
struct SeqEnt : Entity {
  const ast::SequenceDecl* decl = nullptr;
  std::vector<std::string> channels;
  std::vector<std::string> offers;  // offer texts, index = offer value
  std::vector<ast::OfferKind> offer_kinds;
  std::vector<std::string> statuses;
  std::vector<std::string> steps;
  uint32_t status = 0, next = 0, channel = 0, offer = 0, touch = 0, is_due = 0;
};

class Checker {
 public:
  Checker(SourceSet& sources, std::vector<Diagnostic>& diags, const CompileOptions& opts,
          SourceMap* map = nullptr)
      : src_(sources), diags_(diags), opts_(opts), map_(map) {}

  // The canonical folder imports are confined to (grammar/source_root.h).
  void set_source_root(SourceRoot root) { root_ = std::move(root); }

  bool load_main(uint32_t file_index) {
    auto parsed = parse_file(src_, file_index, diags_);
    if (!parsed) return false;
    if (parsed->is_schema) {
      error("RK0410", file_span(file_index),
            "this is a schema file; give a rule file that imports it",
            "rule files start with `import \"customer.schema\"`");
      return false;
    }
    loaded_.insert(canonical(src_.file(file_index).path));
    return add_file(std::move(*parsed));
  }

  std::optional<ir::Program> run() {
    if (has_errors(diags_)) return std::nullopt;
    if (!schema_file_) {
      error("RK0203", first_span_, "no schema imported",
            "add `import \"customer.schema\"` at the top of the rule file");
      return std::nullopt;
    }
    build_schema();
    collect();
    if (has_errors(diags_)) return std::nullopt;
    apply_param_overrides();
    lower_all();
    if (has_errors(diags_)) return std::nullopt;
    map_term_nodes();
    program_.nodes = std::move(nb_.nodes);
    return std::move(program_);
  }

  std::optional<Schema> schema_only(uint32_t file_index) {
    auto parsed = parse_file(src_, file_index, diags_);
    if (!parsed) return std::nullopt;
    if (!parsed->is_schema) {
      error("RK0410", file_span(file_index), "this is a rule file, not a schema file",
            "schema files start with `schema NAME`");
      return std::nullopt;
    }
    files_.push_back(std::make_unique<ast::File>(std::move(*parsed)));
    schema_file_ = files_.back().get();
    build_schema();
    if (has_errors(diags_)) return std::nullopt;
    return program_.schema;
  }

 private:
  // ---- diagnostics ---------------------------------------------------------------------------
  void error(std::string code, const ast::Span& span, std::string msg, std::string help = {}) {
    diags_.push_back(
        Diagnostic{Severity::Error, std::move(code), std::move(msg), span, {}, std::move(help)});
  }
  void error_note(std::string code, const ast::Span& span, std::string msg, const ast::Span& at,
                  std::string note) {
    Diagnostic d{Severity::Error, std::move(code), std::move(msg), span, {}, {}};
    d.notes.push_back({std::move(note), at});
    diags_.push_back(std::move(d));
  }
  ast::Span file_span(uint32_t f) const { return src_.span_at(f, 0, 1); }

  static std::string canonical(const std::string& p) {
    std::error_code ec;
    auto c = fs::weakly_canonical(p, ec);
    return ec ? p : c.string();
  }

  // ---- loading -------------------------------------------------------------------------------
  bool add_file(ast::File file) {
    files_.push_back(std::make_unique<ast::File>(std::move(file)));
    const ast::File* f = files_.back().get();
    if (first_span_.line == 0) first_span_ = file_span(f->file_index);
    for (const auto& top : f->decls) {
      if (const auto* imp = std::get_if<ast::ImportDecl>(&top.decl)) {
        auto resolved = resolve_source(root_, src_.file(f->file_index).path, imp->path,
                                       {".rules", ".schema"}, "import", imp->span, diags_);
        if (!resolved) continue;
        const std::string key = canonical(resolved->open);
        if (loaded_.count(key)) continue;
        loaded_.insert(key);
        auto idx = load_import(*resolved, imp->span);
        if (!idx) continue;
        auto parsed = parse_file(src_, *idx, diags_);
        if (!parsed) continue;
        if (parsed->is_schema) {
          if (schema_file_) {
            error("RK0203", imp->span, "a second schema is imported",
                  "a rule set reads one snapshot: import exactly one schema file");
            continue;
          }
          files_.push_back(std::make_unique<ast::File>(std::move(*parsed)));
          schema_file_ = files_.back().get();
        } else {
          add_file(std::move(*parsed));
        }
      }
    }
    rule_files_.push_back(f);
    return true;
  }

  // Reads an imported file: through CompileOptions::read_source when it has the text (an
  // editor's unsaved buffer), else from disk.
  std::optional<uint32_t> load_import(const ResolvedSource& source, const ast::Span& from) {
    const std::string& path = source.display;
    if (opts_.read_source) {
      if (std::optional<std::string> text = opts_.read_source(path)) {
        if (text->size() > kMaxSourceBytes) {
          error("RK0107", from,
                fmt::format("`{}` is too large ({} bytes; the limit is {} bytes)", path,
                            text->size(), kMaxSourceBytes));
          return std::nullopt;
        }
        return src_.add(path, std::move(*text));
      }
    }
    return src_.load(source.open, diags_, from, source.display);
  }

  void build_schema() {
    Schema& s = program_.schema;
    s.name = schema_file_->schema_name;
    std::unordered_map<std::string, ast::Span> seen;
    for (const auto& top : schema_file_->decls) {
      const auto* fd = std::get_if<ast::FieldDecl>(&top.decl);
      if (!fd) continue;
      if (auto it = seen.find(fd->name); it != seen.end()) {
        error_note("RK0202", fd->name_span, fmt::format("field `{}` is declared twice", fd->name),
                   it->second, "first declared here");
        continue;
      }
      seen.emplace(fd->name, fd->name_span);
      FieldDef def;
      def.name = fd->name;
      def.nullable = fd->nullable;
      def.key = fd->key;
      switch (fd->type.kind) {
        case ast::TypeKind::Bool:
          def.type = FieldType::Bool;
          break;
        case ast::TypeKind::Int:
          def.type = FieldType::Int;
          break;
        case ast::TypeKind::Number:
          def.type = FieldType::Number;
          break;
        case ast::TypeKind::Money:
          def.type = FieldType::Money;
          break;
        case ast::TypeKind::Percent:
          def.type = FieldType::Percent;
          break;
        case ast::TypeKind::Date:
          def.type = FieldType::Date;
          break;
        case ast::TypeKind::String:
          def.type = FieldType::String;
          break;
        case ast::TypeKind::Enum:
          def.type = FieldType::Enum;
          break;
        case ast::TypeKind::StringList:
          def.type = FieldType::StringList;
          break;
      }
      if (def.type == FieldType::Enum) {
        std::set<std::string> vals;
        for (const auto& item : fd->type.enum_values) {
          if (!vals.insert(item.text).second)
            error("RK0202", item.span,
                  fmt::format("enum value `{}` is listed twice in `{}`", item.text, fd->name));
          def.enum_values.push_back(item.text);
        }
        if (def.enum_values.size() > 64)
          error("RK0405", fd->type.span,
                fmt::format("enum `{}` has {} values; the limit is 64", fd->name,
                            def.enum_values.size()));
      }
      if (def.key) {
        if (s.key_field >= 0) {
          error("RK0205", fd->name_span,
                fmt::format("`{}` is a second key field; a schema has exactly one", fd->name));
        } else if (def.type != FieldType::String || def.nullable) {
          error("RK0205", fd->name_span, "the key field must be a non-missing `string`");
        } else {
          s.key_field = static_cast<int>(s.fields.size());
        }
      }
      s.fields.push_back(std::move(def));
    }
    if (s.key_field < 0 && !has_errors(diags_))
      error("RK0205", file_span(schema_file_->file_index), "the schema has no key field",
            "mark the customer id with `key`, e.g. `field customer_id: string key`");
  }

  // ---- symbols -------------------------------------------------------------------------------
  void declare(const std::string& name, const ast::Span& span) {
    if (program_.schema.find(name) >= 0) {
      error("RK0202", span,
            fmt::format("`{}` is already a field of the schema; choose another name", name));
      return;
    }
    if (auto it = names_.find(name); it != names_.end()) {
      error_note("RK0202", span, fmt::format("`{}` is declared twice", name), it->second,
                 "first declared here");
      return;
    }
    names_.emplace(name, span);
  }

  void collect() {
    size_t count = 0;
    for (const ast::File* f : rule_files_) {
      for (const auto& top : f->decls) {
        if (++count > kMaxDecls) {
          error("RK0405", file_span(f->file_index),
                fmt::format("too many declarations (limit {})", kMaxDecls));
          return;
        }
        std::visit(
            [&](const auto& d) {
              using D = std::decay_t<decltype(d)>;
              if constexpr (std::is_same_v<D, ast::ParamDecl>) {
                declare(d.name, d.name_span);
                ParamEnt e;
                e.file = f;
                e.decl = &d;
                params_.emplace(d.name, e);
                param_order_.push_back(d.name);
              } else if constexpr (std::is_same_v<D, ast::LetDecl>) {
                declare(d.name, d.name_span);
                LetEnt e;
                e.file = f;
                e.decl = &d;
                lets_.emplace(d.name, e);
              } else if constexpr (std::is_same_v<D, ast::SegmentDecl>) {
                declare(d.name, d.name_span);
                FamilyEnt e;
                e.file = f;
                e.decl = &d;
                family_index_.emplace(d.name, families_.size());
                families_.push_back(std::move(e));
              } else if constexpr (std::is_same_v<D, ast::CandidateDecl>) {
                if (candidate_decl_) {
                  error("RK0408", d.span, "`candidate` is declared twice");
                } else {
                  candidate_decl_ = &d;
                  candidate_file_ = f;
                }
              } else if constexpr (std::is_same_v<D, ast::RuleDecl>) {
                // Stop and review names live in their own namespace (they are output values,
                // never read by conditions), so `stop opted_out when opted_out` is fine.
                if (auto it = rule_names_.find(d.name); it != rule_names_.end())
                  error_note("RK0202", d.name_span,
                             fmt::format("rule `{}` is declared twice", d.name), it->second,
                             "first declared here");
                else
                  rule_names_.emplace(d.name, d.name_span);
                if (top.rule_kind == ast::RuleKind::Stop) {
                  if (d.reason.empty())
                    error("RK0404", d.name_span,
                          fmt::format("stop rule `{}` has no reason", d.name),
                          "add `because \"...\"`: the reason is shown to whoever reads the "
                          "results");
                  stops_.push_back({f, &d});
                } else {
                  reviews_.push_back({f, &d});
                }
              } else if constexpr (std::is_same_v<D, ast::SequenceDecl>) {
                declare(d.name, d.name_span);
                SeqEnt e;
                e.file = f;
                e.decl = &d;
                seq_index_.emplace(d.name, seqs_.size());
                seqs_.push_back(std::move(e));
              }
            },
            top.decl);
      }
    }
    for (const char* reserved : {"candidate", "stopped", "today"})
      if (auto it = names_.find(reserved); it != names_.end())
        error("RK0202", it->second, fmt::format("`{}` is a built-in name", reserved));
  }

  std::vector<std::string> all_names() const {
    std::vector<std::string> out;
    for (const auto& [n, s] : names_) out.push_back(n);
    for (const auto& f : program_.schema.fields) out.push_back(f.name);
    out.push_back("candidate");
    out.push_back("stopped");
    return out;
  }

  // ---- parameters ----------------------------------------------------------------------------
  // Parses an override by the parameter's type (compiler/check/param_value.h); returns false with
  // a message. `shown` is the value as summaries show it (with its unit).
  static bool parse_override(const Type& t, const std::string& text, Typed& out, NodeBuilder& nb,
                             std::string& shown, std::string& why) {
    ParamKind kind = ParamKind::Bool;
    switch (t.kind) {
      case TypeKind::Bool:
        kind = ParamKind::Bool;
        break;
      case TypeKind::Int:
        kind = ParamKind::Int;
        break;
      case TypeKind::Days:
        kind = ParamKind::Days;
        break;
      case TypeKind::Number:
        kind = ParamKind::Number;
        break;
      case TypeKind::Money:
        kind = ParamKind::Money;
        break;
      case TypeKind::Percent:
        kind = ParamKind::Percent;
        break;
      case TypeKind::Date:
        kind = ParamKind::Date;
        break;
      case TypeKind::Error:
      case TypeKind::String:
      case TypeKind::StringList:
      case TypeKind::Enum:
      case TypeKind::Label:
      case TypeKind::Channel:
      case TypeKind::Offer:
      case TypeKind::Status:
      case TypeKind::Step:
        why = "this parameter cannot be overridden";
        return false;
    }
    ParamValue v;
    if (!read_param_value(kind, text, v, why)) return false;
    out.type = t;
    switch (kind) {
      case ParamKind::Bool:
        out.node = nb.c_bool(v.b);
        break;
      case ParamKind::Int:
      case ParamKind::Days:
      case ParamKind::Date:
        out.node = nb.c_int(v.i);
        break;
      case ParamKind::Number:
      case ParamKind::Money:
      case ParamKind::Percent:
        out.node = nb.c_float(v.f);
        break;
    }
    shown = v.text;
    return true;
  }

  void apply_param_overrides() {
    for (const auto& [name, text] : opts_.params) {
      auto it = params_.find(name);
      if (it == params_.end()) {
        std::string help;
        const std::string near = closest(name, param_order_);
        if (!near.empty()) help = fmt::format("did you mean `{}`?", near);
        diags_.push_back(
            Diagnostic{Severity::Error,
                       "RK0206",
                       fmt::format("--param {}: there is no parameter `{}`", name, name),
                       std::nullopt,
                       {},
                       help});
        continue;
      }
      Typed def = lower_param(it->second);
      if (def.type.is_error()) continue;
      Typed v;
      std::string why, shown;
      if (!parse_override(def.type, text, v, nb_, shown, why)) {
        diags_.push_back(Diagnostic{Severity::Error,
                                    "RK0206",
                                    fmt::format("--param {}={}: {}", name, text, why),
                                    std::nullopt,
                                    {},
                                    {}});
        continue;
      }
      it->second.value = v;
      program_.params[name] = shown;
    }
  }

  Typed lower_param(ParamEnt& p) {
    if (p.state == State::Done) return p.value;
    p.state = State::Done;
    const ast::Expr& e = p.file->expr(p.decl->value);
    const ast::Expr* lit = &e;
    bool neg = false;
    if (const auto* u = std::get_if<ast::Unary>(&e.kind); u && u->op == ast::UnOp::Neg) {
      lit = &p.file->expr(u->operand);
      neg = true;
    }
    const bool literal = std::holds_alternative<ast::NumberLit>(lit->kind) ||
                         (!neg && (std::holds_alternative<ast::BoolLit>(lit->kind) ||
                                   std::holds_alternative<ast::DateLit>(lit->kind)));
    if (!literal) {
      error("RK0306", e.span,
            fmt::format("the default of parameter `{}` must be a literal value", p.decl->name),
            "e.g. `parameter whale_aov = $250`, `parameter wait = 7 days`, `parameter cap = 5%`");
      p.value = error_typed();
      return p.value;
    }
    p.value = check_expr(*p.file, p.decl->value, nullptr);
    p.value.type.literal = false;
    program_.params.emplace(p.decl->name, std::string(source_text(e.span)));
    return p.value;
  }

  std::string_view source_text(const ast::Span& s) const {
    return std::string_view(src_.file(s.file).text).substr(s.offset, s.len);
  }

  // ---- entities ------------------------------------------------------------------------------
  struct CycleGuard {
    Checker& c;
    CycleGuard(Checker& checker, std::string name, ast::Span span) : c(checker) {
      c.stack_.push_back({std::move(name), span});
    }
    ~CycleGuard() { c.stack_.pop_back(); }
  };

  bool enter(Entity& e, const std::string& name, const ast::Span& use) {
    if (e.state == State::Active) {
      std::string path;
      bool on = false;
      for (const auto& [n, s] : stack_) {
        if (n == name) on = true;
        if (on) path += n + " -> ";
      }
      path += name;
      std::set<std::string> members;
      on = false;
      for (const auto& [n, s] : stack_) {
        if (n == name) on = true;
        if (on) members.insert(n);
      }
      std::string key;
      for (const auto& m : members) key += m + "|";
      // The same cycle can be reached along several paths; report it once.
      if (cycles_reported_.insert(key).second && !cycle_use_reported_.count(use.offset))
        error("RK0401", use, fmt::format("dependency cycle: {}", path),
              "a rule cannot depend on itself; break the cycle");
      cycle_use_reported_.insert(use.offset);
      return false;
    }
    return true;
  }

  Typed lower_let(LetEnt& e, const ast::Span& use) {
    if (e.state == State::Done) return e.value;
    if (!enter(e, e.decl->name, use)) return error_typed();
    e.state = State::Active;
    CycleGuard g(*this, e.decl->name, use);
    e.value = check_expr(*e.file, e.decl->value, nullptr);
    e.value.type.literal = false;
    map_rule(SourceMap::Kind::Let, "", e.decl->name, e.decl->span, e.value.node,
             map_term(*e.file, e.decl->value), e.decl->doc);
    if (map_) map_->rules.back().shown = shown_as(e.value.type.kind);
    e.state = State::Done;
    return e.value;
  }

  Typed lower_family(size_t index, const ast::Span& use) {
    FamilyEnt& e = families_[index];
    if (e.state == State::Done) return e.value;
    if (!enter(e, e.decl->name, use)) return error_typed();
    e.state = State::Active;
    CycleGuard g(*this, e.decl->name, use);
    const ast::SegmentDecl& d = *e.decl;
    std::vector<uint32_t> conds;
    std::optional<size_t> otherwise;
    std::unordered_map<std::string, ast::Span> seen;
    // Label names first, so conditions may compare against labels of this family's kin.
    for (const auto& l : d.labels) {
      if (auto it = seen.find(l.name); it != seen.end()) {
        error_note("RK0403", l.name_span,
                   fmt::format("label `{}` appears twice in segment `{}`", l.name, d.name),
                   it->second, "first used here");
        continue;
      }
      seen.emplace(l.name, l.name_span);
      e.labels.push_back(l.name);
    }
    if (e.labels.size() > kMaxLabels)
      error("RK0405", d.name_span,
            fmt::format("segment `{}` has {} labels; the limit is {}", d.name, e.labels.size(),
                        kMaxLabels));
    bool after_otherwise = false;
    for (const auto& l : d.labels) {
      if (after_otherwise) {
        error("RK0402", l.span,
              fmt::format("label `{}` can never match: it comes after `otherwise`", l.name),
              "move `otherwise` to the end of the segment");
        continue;
      }
      if (l.otherwise) {
        after_otherwise = true;
        otherwise = conds.size();
        continue;
      }
      Typed c = check_cond(*e.file, l.cond);
      conds.push_back(c.type.is_error() ? nb_.c_bool(false) : nb_.is_true(c.node));
      map_rule(SourceMap::Kind::Label, d.name, l.name, l.span, c.node, map_term(*e.file, l.cond),
               l.doc);
    }
    for (const auto& l : d.labels)
      if (l.otherwise)
        map_rule(SourceMap::Kind::Otherwise, d.name, l.name, l.span, UINT32_MAX, SourceMap::kNone,
                 l.doc);
    if (map_) map_->segments.push_back({d.name, d.span, d.doc});
    // conds[i] belongs to label i (the otherwise label sits at index conds.size()).
    uint32_t node =
        conds.empty() ? nb_.null(ir::Ty::Int) : nb_.op(ir::Op::FirstTrue, ir::Ty::Int, conds);
    if (otherwise)
      node = nb_.op(ir::Op::Coalesce, ir::Ty::Int,
                    {node, nb_.c_int(static_cast<int64_t>(*otherwise))});
    e.value = Typed{Type{TypeKind::Label, static_cast<int>(index)}, node};
    e.state = State::Done;
    return e.value;
  }

  Typed lower_candidate(const ast::Span& use) {
    if (candidate_.state == State::Done) return candidate_.value;
    if (!enter(candidate_, "candidate", use)) return error_typed();
    if (!candidate_decl_) {
      candidate_.value = Typed{Type{TypeKind::Bool}, nb_.c_bool(true)};
      candidate_.state = State::Done;
      return candidate_.value;
    }
    candidate_.state = State::Active;
    CycleGuard g(*this, "candidate", use);
    Typed c = check_cond(*candidate_file_, candidate_decl_->cond);
    map_rule(SourceMap::Kind::Candidate, "", "candidate", candidate_decl_->span, c.node,
             map_term(*candidate_file_, candidate_decl_->cond), candidate_decl_->doc);
    candidate_.value =
        Typed{Type{TypeKind::Bool}, c.type.is_error() ? nb_.c_bool(false) : nb_.is_true(c.node)};
    candidate_.state = State::Done;
    return candidate_.value;
  }

  // Lowers every stop rule; value = stopped_by index node (missing when none fired).
  Typed lower_stops(const ast::Span& use) {
    if (stops_ent_.state == State::Done) return stops_ent_.value;
    if (!enter(stops_ent_, "stop rules", use)) return error_typed();
    stops_ent_.state = State::Active;
    CycleGuard g(*this, "stop rules", use);
    const uint32_t cand = lower_candidate(use).node;
    std::vector<uint32_t> fires;
    for (const auto& s : stops_) {
      Typed c = check_cond(*s.file, s.decl->cond);
      fires.push_back(c.type.is_error() ? nb_.c_bool(false) : nb_.fires(c.node));
      map_rule(SourceMap::Kind::Stop, "", s.decl->name, s.decl->span, c.node,
               map_term(*s.file, s.decl->cond), s.decl->doc);
    }
    uint32_t first =
        fires.empty() ? nb_.null(ir::Ty::Int) : nb_.op(ir::Op::FirstTrue, ir::Ty::Int, fires);
    stops_ent_.value =
        Typed{Type{TypeKind::Int}, nb_.if_(ir::Ty::Int, cand, first, nb_.null(ir::Ty::Int))};
    stops_ent_.state = State::Done;
    return stops_ent_.value;
  }

  uint32_t stopped_node(const ast::Span& use) {
    Typed s = lower_stops(use);
    if (s.type.is_error()) return nb_.c_bool(false);
    return nb_.not_(nb_.is_missing(s.node));
  }

  Typed lower_sequence(size_t index, const ast::Span& use);
  // Records sequence `d`'s clauses in the source map (SourceMap::Sequence); its `enter when` and
  // `only when` terms are those already recorded with its Enter and Touch rules.
  void map_sequence(const ast::File& f, const ast::SequenceDecl& d, uint32_t enter_term,
                    const std::vector<uint32_t>& only_terms);

  // ---- expressions ---------------------------------------------------------------------------
  Typed check_cond(const ast::File& f, ast::ExprId id) {
    Typed t = check_expr(f, id, nullptr);
    if (t.type.is_error()) return t;
    if (t.type.kind != TypeKind::Bool) {
      error("RK0303", f.expr(id).span,
            fmt::format("a condition must be yes or no, but this is {}", type_name(t.type)),
            "compare it with something, e.g. `x > 0` or `x is present`");
      return error_typed();
    }
    return t;
  }

  // Index of `name` among the values of an enumerated type, or -1.
  int value_index(const Type& t, const std::string& name) {
    const auto* vals = values_of(t);
    if (!vals) return -1;
    auto it = std::find(vals->begin(), vals->end(), name);
    return it == vals->end() ? -1 : static_cast<int>(it - vals->begin());
  }
  const std::vector<std::string>* values_of(const Type& t) {
    switch (t.kind) {
      case TypeKind::Enum:
        return &program_.schema.fields[t.ref].enum_values;
      case TypeKind::Label:
        return &families_[t.ref].labels;
      case TypeKind::Channel:
        return &seqs_[t.ref].channels;
      case TypeKind::Status:
        return &seqs_[t.ref].statuses;
      case TypeKind::Step:
        return &seqs_[t.ref].steps;
      case TypeKind::Offer:
        return &seqs_[t.ref].offers;
      default:
        return nullptr;
    }
  }
  std::string type_title(const Type& t) {
    switch (t.kind) {
      case TypeKind::Enum:
        return fmt::format("`{}`", program_.schema.fields[t.ref].name);
      case TypeKind::Label:
        return fmt::format("segment `{}`", families_[t.ref].decl->name);
      case TypeKind::Channel:
        return fmt::format("sequence `{}` channels", seqs_[t.ref].decl->name);
      case TypeKind::Status:
        return fmt::format("`{}.status`", seqs_[t.ref].decl->name);
      case TypeKind::Step:
        return fmt::format("`{}.step`", seqs_[t.ref].decl->name);
      case TypeKind::Offer:
        return fmt::format("`{}.offer`", seqs_[t.ref].decl->name);
      default:
        return type_name(t);
    }
  }

  Typed unknown_value(const Type& t, const std::string& name, const ast::Span& span) {
    const auto* vals = values_of(t);
    std::string help = vals ? fmt::format("the values are: {}", fmt::join(*vals, ", ")) : "";
    if (vals) {
      const std::string near = closest(name, *vals);
      if (!near.empty()) help = fmt::format("did you mean `{}`?", near);
    }
    if (t.kind == TypeKind::Channel)
      error("RK0304", span,
            fmt::format("sequence `{}` has no channel `{}`", seqs_[t.ref].decl->name, name), help);
    else
      error("RK0304", span, fmt::format("{} has no value `{}`", type_title(t), name), help);
    return error_typed();
  }

  // A bare word in a typed context (`dormancy is deep`, `x in {a, b}`, `via email`).
  Typed enum_value(const Type& t, const std::string& name, const ast::Span& span) {
    const int idx = value_index(t, name);
    if (idx < 0) return unknown_value(t, name, span);
    return Typed{t, nb_.c_int(idx)};
  }

  Typed resolve_name(const ast::File& f, const std::string& name, const ast::Span& span,
                     const Type* expect) {
    if (expect && expect->is_enumerated() && value_index(*expect, name) >= 0)
      return enum_value(*expect, name, span);
    if (auto it = lets_.find(name); it != lets_.end()) return lower_let(it->second, span);
    if (auto it = params_.find(name); it != params_.end()) return lower_param(it->second);
    if (const int fi = program_.schema.find(name); fi >= 0) {
      Type t = field_type(program_.schema, fi);
      if (t.kind == TypeKind::String || t.kind == TypeKind::StringList)
        return Typed{t, UINT32_MAX, fi};
      ir::Node n;
      n.op = ir::Op::Column;
      n.ty = phys(t);
      n.index = static_cast<uint32_t>(fi);
      return Typed{t, nb_.add(n), fi};
    }
    if (auto it = family_index_.find(name); it != family_index_.end())
      return lower_family(it->second, span);
    if (name == "candidate") return lower_candidate(span);
    if (name == "stopped") return Typed{Type{TypeKind::Bool}, stopped_node(span)};
    if (seq_index_.count(name)) {
      error("RK0208", span,
            fmt::format("`{}` is a sequence; use one of its values: {}.status, {}.touch, "
                        "{}.step, {}.channel, {}.offer",
                        name, name, name, name, name, name));
      return error_typed();
    }
    if (expect && expect->is_enumerated()) return unknown_value(*expect, name, span);
    std::string help;
    const std::string near = closest(name, all_names());
    if (!near.empty()) help = fmt::format("did you mean `{}`?", near);
    if (unknown_reported_.insert(name).second)
      error("RK0201", span, fmt::format("unknown name `{}`", name), help);
    return error_typed();
  }

  uint32_t to_float(const Typed& t) {
    if (phys(t.type) == ir::Ty::Float) return t.node;
    return nb_.op(ir::Op::IntToFloat, ir::Ty::Float, {t.node});
  }

  // Gives an untyped integer literal the unit of the other side (used by ranges).
  static void adopt_unit(Typed& lit, const Typed& other) {
    if (!lit.type.literal || lit.type.kind != TypeKind::Int) return;
    if (other.type.kind == TypeKind::Days) lit.type.kind = TypeKind::Days;
  }

  std::string unit_hint(const Type& a, const Type& b) {
    const Type& u = a.is_plain_numeric() ? b : a;
    switch (u.kind) {
      case TypeKind::Money:
        return "write money with a $, e.g. $20";
      case TypeKind::Percent:
        return "write percents with a %, e.g. 5%";
      case TypeKind::Days:
        return "write durations with a unit, e.g. 60 days";
      default:
        return {};
    }
  }

  // Brings two numeric operands to one physical type for comparison; false on unit mismatch.
  bool comparable(Typed& a, Typed& b) {
    if (a.type.kind == b.type.kind && a.type.ref == b.type.ref) {
      if (a.type.kind == TypeKind::Int || a.type.kind == TypeKind::Days ||
          a.type.kind == TypeKind::Date || a.type.is_enumerated() || a.type.kind == TypeKind::Bool)
        return true;
      return true;
    }
    if (a.type.is_plain_numeric() && b.type.is_plain_numeric()) {
      if (phys(a.type) != phys(b.type)) {
        a.node = to_float(a);
        b.node = to_float(b);
        a.type.kind = b.type.kind = TypeKind::Number;
      }
      return true;
    }
    return false;
  }

  Typed arith(ast::BinOp op, Typed a, Typed b, const ast::Span& span) {
    using K = TypeKind;
    auto k = [](const Typed& t) { return t.type.kind; };
    const char* sym = op == ast::BinOp::Add   ? "+"
                      : op == ast::BinOp::Sub ? "-"
                      : op == ast::BinOp::Mul ? "*"
                                              : "/";
    auto mismatch = [&]() {
      error("RK0301", span,
            fmt::format("cannot compute {} {} {}", type_name(a.type), sym, type_name(b.type)),
            unit_hint(a.type, b.type));
      return error_typed();
    };
    if (!a.type.is_numeric() && k(a) != K::Date) return mismatch();
    if (!b.type.is_numeric() && k(b) != K::Date) return mismatch();
    Type result;
    bool float_op = false;
    switch (op) {
      case ast::BinOp::Add:
      case ast::BinOp::Sub:
        if (a.type.is_plain_numeric() && b.type.is_plain_numeric()) {
          result.kind = (k(a) == K::Int && k(b) == K::Int) ? K::Int : K::Number;
        } else if (k(a) == k(b) && k(a) != K::Date) {
          result.kind = k(a);
        } else if (k(a) == K::Date && k(b) == K::Days) {
          result.kind = K::Date;
        } else if (k(a) == K::Days && k(b) == K::Date && op == ast::BinOp::Add) {
          result.kind = K::Date;
        } else if (k(a) == K::Date && k(b) == K::Date && op == ast::BinOp::Sub) {
          result.kind = K::Days;
        } else {
          return mismatch();
        }
        break;
      case ast::BinOp::Mul:
        if (a.type.is_plain_numeric() && b.type.is_plain_numeric()) {
          result.kind = (k(a) == K::Int && k(b) == K::Int) ? K::Int : K::Number;
        } else if (k(a) == K::Days || k(b) == K::Days) {
          const Typed& other = k(a) == K::Days ? b : a;
          if (other.type.kind != K::Int) return mismatch();
          result.kind = K::Days;
        } else if (a.type.is_plain_numeric()) {
          result.kind = k(b);
        } else if (b.type.is_plain_numeric()) {
          result.kind = k(a);
        } else if (k(a) == K::Percent) {
          result.kind = k(b);
        } else if (k(b) == K::Percent) {
          result.kind = k(a);
        } else {
          return mismatch();
        }
        if (result.kind == K::Date) return mismatch();
        break;
      case ast::BinOp::Div:
        if (k(a) == K::Days || k(b) == K::Days || k(a) == K::Date || k(b) == K::Date)
          return mismatch();
        if (k(a) == k(b)) {
          result.kind = K::Number;
        } else if (b.type.is_plain_numeric()) {
          result.kind = a.type.is_plain_numeric() ? K::Number : k(a);
        } else if (k(b) == K::Percent) {
          result.kind = a.type.is_plain_numeric() ? K::Number : k(a);
        } else {
          return mismatch();
        }
        float_op = true;
        break;
      default:
        return mismatch();
    }
    ir::Ty ty = phys(result);
    if (float_op) ty = ir::Ty::Float;
    if (float_op || ty == ir::Ty::Float || phys(a.type) != phys(b.type)) {
      ty = ir::Ty::Float;
      a.node = to_float(a);
      b.node = to_float(b);
      if (result.kind == K::Int) result.kind = K::Number;
    }
    const ir::Op o = op == ast::BinOp::Add   ? ir::Op::Add
                     : op == ast::BinOp::Sub ? ir::Op::Sub
                     : op == ast::BinOp::Mul ? ir::Op::Mul
                                             : ir::Op::Div;
    return Typed{result, nb_.op(o, ty, {a.node, b.node})};
  }

  Typed compare(ir::Op o, Typed a, Typed b, const ast::Span& span, bool ordered) {
    if (a.type.is_error() || b.type.is_error()) return error_typed();
    if (a.type.kind == TypeKind::String || b.type.kind == TypeKind::String) {
      if (!ordered && a.type.kind == TypeKind::String && b.field < 0 &&
          b.type.kind == TypeKind::String) {
        // handled by the caller (string literals become atoms)
      }
      error("RK0302", span, "strings can only be tested with `=`, `is`, `in {...}`",
            "e.g. `customer_id is \"C1\"`");
      return error_typed();
    }
    if (a.type.kind == TypeKind::StringList || b.type.kind == TypeKind::StringList) {
      error("RK0305", span,
            "a list is tested with `has any of {...}`, `has all of {...}` or "
            "`has none of {...}`");
      return error_typed();
    }
    if (ordered && (a.type.is_enumerated() || a.type.kind == TypeKind::Bool)) {
      error("RK0302", span,
            fmt::format("{} has no order; use `is`, `=` or `in {{...}}`", type_name(a.type)));
      return error_typed();
    }
    if (!comparable(a, b)) {
      error("RK0302", span,
            fmt::format("cannot compare {} with {}", type_name(a.type), type_name(b.type)),
            unit_hint(a.type, b.type));
      return error_typed();
    }
    return Typed{Type{TypeKind::Bool}, nb_.cmp(o, a.node, b.node)};
  }

  // The right-hand side of `=`/`is` against `subject`, resolving bare words in its value set.
  Typed check_value(const ast::File& f, ast::ExprId id, const Typed& subject) {
    return check_expr(f, id, subject.type.is_enumerated() ? &subject.type : nullptr);
  }

  uint32_t add_atom(ir::Atom a) {
    for (size_t i = 0; i < program_.atoms.size(); ++i) {
      const auto& b = program_.atoms[i];
      if (b.kind == a.kind && b.field == a.field && b.set == a.set && b.salt == a.salt &&
          b.modulus == a.modulus && b.threshold == a.threshold) {
        ir::Node n;
        n.op = ir::Op::Atom;
        n.ty = ir::Ty::Bool;
        n.index = static_cast<uint32_t>(i);
        return nb_.add(n);
      }
    }
    program_.atoms.push_back(std::move(a));
    ir::Node n;
    n.op = ir::Op::Atom;
    n.ty = ir::Ty::Bool;
    n.index = static_cast<uint32_t>(program_.atoms.size() - 1);
    return nb_.add(n);
  }

  // Membership of `subject` in a set of written items; three-valued.
  Typed membership(const Typed& subject, const std::vector<ast::SetItem>& items,
                   const ast::Span& span) {
    if (subject.type.is_error()) return error_typed();
    if (subject.type.kind == TypeKind::String) {
      ir::Atom a;
      a.kind = ir::AtomKind::StrInSet;
      a.field = static_cast<uint32_t>(subject.field);
      for (const auto& it : items) a.set.push_back(it.text);
      std::sort(a.set.begin(), a.set.end());
      a.set.erase(std::unique(a.set.begin(), a.set.end()), a.set.end());
      return Typed{Type{TypeKind::Bool}, add_atom(std::move(a))};
    }
    if (subject.type.is_enumerated() && subject.type.kind != TypeKind::Offer) {
      uint64_t mask = 0;
      bool ok = true;
      for (const auto& it : items) {
        const int idx = value_index(subject.type, it.text);
        if (idx < 0) {
          unknown_value(subject.type, it.text, it.span);
          ok = false;
        } else if (idx >= 64) {
          error("RK0405", it.span, "sets can only name the first 64 values of a segment");
          ok = false;
        } else {
          mask |= uint64_t{1} << idx;
        }
      }
      if (!ok) return error_typed();
      return Typed{Type{TypeKind::Bool}, nb_.in_mask(subject.node, mask)};
    }
    if (subject.type.kind == TypeKind::Offer) {
      uint64_t mask = 0;
      for (const auto& it : items) {
        const uint64_t m = offer_kind_mask(subject.type.ref, it.text);
        if (m == UINT64_MAX) {
          error("RK0304", it.span,
                fmt::format("`{}` is not an offer kind (none, credit, points, early_access, "
                            "discount)",
                            it.text));
          return error_typed();
        }
        mask |= m;
      }
      return Typed{Type{TypeKind::Bool}, nb_.in_mask(subject.node, mask)};
    }
    error("RK0305", span,
          fmt::format("`in {{...}}` needs a string, enum or segment value, not {}",
                      type_name(subject.type)),
          subject.type.is_numeric() ? "for numbers use a range: `x in 1 to 5`" : "");
    return error_typed();
  }

  uint64_t offer_kind_mask(int seq, const std::string& kind) {
    static const std::pair<const char*, ast::OfferKind> kKinds[] = {
        {"none", ast::OfferKind::None},
        {"credit", ast::OfferKind::Credit},
        {"points", ast::OfferKind::Points},
        {"early_access", ast::OfferKind::EarlyAccess},
        {"discount", ast::OfferKind::Discount}};
    for (const auto& [name, k] : kKinds) {
      if (kind != name) continue;
      uint64_t mask = 0;
      const auto& kinds = seqs_[seq].offer_kinds;
      for (size_t i = 0; i < kinds.size() && i < 64; ++i)
        if (kinds[i] == k) mask |= uint64_t{1} << i;
      return mask;
    }
    return UINT64_MAX;
  }

  Typed check_is(const ast::File& f, const ast::Is& is, const ast::Span& span) {
    Typed s = check_expr(f, is.subject, nullptr);
    if (s.type.is_error()) return s;
    uint32_t node = 0;
    switch (is.kind) {
      case ast::IsKind::Missing:
      case ast::IsKind::Present: {
        if (s.field >= 0 && s.node == UINT32_MAX) {
          if (!program_.schema.fields[s.field].nullable) {
            node = nb_.c_bool(false);
          } else {
            // strings and lists: presence via an always-true membership on the column
            ir::Atom a;
            a.kind =
                s.type.kind == TypeKind::String ? ir::AtomKind::StrInSet : ir::AtomKind::ListHasAll;
            a.field = static_cast<uint32_t>(s.field);
            node = nb_.is_missing(add_atom(std::move(a)));
            if (s.type.kind == TypeKind::String) {
              // StrInSet with an empty set is false when present, missing when missing.
            }
          }
        } else {
          node = nb_.is_missing(s.node);
        }
        if (is.kind == ast::IsKind::Present) node = nb_.not_(node);
        if (is.negated) node = nb_.not_(node);
        return Typed{Type{TypeKind::Bool}, node};
      }
      case ast::IsKind::OneOf: {
        Typed m = membership(s, is.items, span);
        if (m.type.is_error()) return m;
        node = nb_.is_true(m.node);
        break;
      }
      case ast::IsKind::Value: {
        const ast::Expr& ve = f.expr(is.value);
        if (s.type.kind == TypeKind::Offer) {
          if (const auto* n = std::get_if<ast::Name>(&ve.kind)) {
            const uint64_t mask = offer_kind_mask(s.type.ref, n->name);
            if (mask == UINT64_MAX) {
              error("RK0304", ve.span,
                    fmt::format("`{}` is not an offer kind (none, credit, points, early_access, "
                                "discount)",
                                n->name));
              return error_typed();
            }
            node = nb_.is_true(nb_.in_mask(s.node, mask));
            break;
          }
          if (const auto* ol = std::get_if<ast::OfferLit>(&ve.kind);
              ol && ol->amount == ast::kNoExpr) {
            // `is discount`, `is credit`, `is none`: any offer of that kind.
            static const char* kKindNames[] = {"none", "credit", "points", "early_access",
                                               "discount"};
            const uint64_t mask =
                offer_kind_mask(s.type.ref, kKindNames[static_cast<int>(ol->kind)]);
            node = nb_.is_true(nb_.in_mask(s.node, mask));
            break;
          }
          if (std::holds_alternative<ast::OfferLit>(ve.kind)) {
            const std::string text = offer_text(f, std::get<ast::OfferLit>(ve.kind));
            const int idx = value_index(s.type, text);
            if (idx < 0) {
              error("RK0310", ve.span,
                    fmt::format("sequence `{}` never offers `{}`", seqs_[s.type.ref].decl->name,
                                text),
                    fmt::format("its offers are: {}", fmt::join(seqs_[s.type.ref].offers, ", ")));
              return error_typed();
            }
            node = nb_.is_true(nb_.cmp(ir::Op::Eq, s.node, nb_.c_int(idx)));
            break;
          }
        }
        if (s.type.kind == TypeKind::String) {
          if (const auto* lit = std::get_if<ast::StringLit>(&ve.kind)) {
            Typed m = membership(s, {ast::SetItem{lit->value, true, ve.span}}, span);
            if (m.type.is_error()) return m;
            node = nb_.is_true(m.node);
            break;
          }
          error("RK0302", ve.span, "compare a string with a quoted text, e.g. `is \"C1\"`");
          return error_typed();
        }
        if (s.type.kind == TypeKind::Bool) {
          if (const auto* b = std::get_if<ast::BoolLit>(&ve.kind)) {
            node = b->value ? nb_.is_true(s.node) : nb_.is_false(s.node);
            break;
          }
        }
        Typed v = check_value(f, is.value, s);
        Typed c = compare(ir::Op::Eq, s, v, span, false);
        if (c.type.is_error()) return c;
        node = nb_.is_true(c.node);
        break;
      }
    }
    if (is.negated) node = nb_.not_(node);
    return Typed{Type{TypeKind::Bool}, node};
  }

  std::string offer_text(const ast::File& f, const ast::OfferLit& o) {
    auto amount = [&]() -> std::string {
      if (o.amount == ast::kNoExpr) return "";
      const auto& e = f.expr(o.amount);
      if (const auto* n = std::get_if<ast::NumberLit>(&e.kind)) return n->text;
      return std::string(source_text(e.span));
    };
    switch (o.kind) {
      case ast::OfferKind::None:
        return "none";
      case ast::OfferKind::EarlyAccess:
        return "early_access";
      case ast::OfferKind::Credit:
        return "credit " + amount();
      case ast::OfferKind::Points:
        return "points " + amount();
      case ast::OfferKind::Discount:
        return "discount " + amount();
    }
    return "none";
  }

  Typed check_offer(const ast::File& f, const ast::OfferLit& o, const ast::Span& span) {
    if (!current_seq_) {
      error("RK0305", span, "an offer can only be given in a sequence's `touch ... offer ...`");
      return error_typed();
    }
    const bool needs_amount = o.kind == ast::OfferKind::Credit ||
                              o.kind == ast::OfferKind::Points ||
                              o.kind == ast::OfferKind::Discount;
    if (needs_amount && o.amount == ast::kNoExpr) {
      error("RK0310", span,
            o.kind == ast::OfferKind::Discount ? "say how much: e.g. `discount 20%`"
                                               : "say how much: e.g. `credit 10` or `points 500`");
      return error_typed();
    }
    if (o.amount != ast::kNoExpr) {
      const auto& e = f.expr(o.amount);
      const auto* n = std::get_if<ast::NumberLit>(&e.kind);
      const bool want_percent = o.kind == ast::OfferKind::Discount;
      if (!n || (want_percent ? n->unit != ast::Unit::Percent
                              : (n->unit == ast::Unit::Percent || n->unit == ast::Unit::Days))) {
        error("RK0301", e.span,
              want_percent ? "a discount is a percent, e.g. `discount 20%`"
                           : "credit and points are amounts, e.g. `credit 10`");
        return error_typed();
      }
    }
    SeqEnt& s = *current_seq_;
    const std::string text = offer_text(f, o);
    int idx = value_index(Type{TypeKind::Offer, current_seq_index_}, text);
    if (idx < 0) {
      s.offers.push_back(text);
      s.offer_kinds.push_back(o.kind);
      idx = static_cast<int>(s.offers.size() - 1);
    }
    return Typed{Type{TypeKind::Offer, current_seq_index_}, nb_.c_int(idx)};
  }

  Typed check_expr(const ast::File& f, ast::ExprId id, const Type* expect) {
    const ast::Expr& e = f.expr(id);
    // Long flat chains (`a or b or ...`) build deep trees; bound the recursion (the checker runs
    // on a thread with a large stack, see run_on_big_stack).
    if (depth_ >= kMaxExprDepth) {
      if (!depth_reported_)
        error("RK0106", e.span,
              fmt::format("this expression is nested too deeply (limit {} levels)", kMaxExprDepth),
              "split it into several `let`s");
      depth_reported_ = true;
      return error_typed();
    }
    ++depth_;
    Typed t = std::visit([&](const auto& k) { return check_kind(f, k, e.span, expect); }, e.kind);
    --depth_;
    if (map_ && t.node != UINT32_MAX && !t.type.is_error()) map_->exprs.push_back({e.span, t.node});
    return t;
  }
  static SourceMap::Rule::Shown shown_as(TypeKind k) {
    using S = SourceMap::Rule::Shown;
    switch (k) {
      case TypeKind::Date:
        return S::Date;
      case TypeKind::Days:
        return S::Days;
      case TypeKind::Money:
        return S::Money;
      case TypeKind::Percent:
        return S::Percent;
      case TypeKind::Error:
      case TypeKind::Bool:
      case TypeKind::Int:
      case TypeKind::Number:
      case TypeKind::String:
      case TypeKind::StringList:
      case TypeKind::Enum:
      case TypeKind::Label:
      case TypeKind::Channel:
      case TypeKind::Offer:
      case TypeKind::Status:
      case TypeKind::Step:
        return S::Other;
    }
    return S::Other;
  }
  void map_rule(SourceMap::Kind kind, std::string owner, std::string name, const ast::Span& span,
                uint32_t cond, uint32_t term, std::string doc = {}) {
    if (map_)
      map_->rules.push_back(
          {kind, std::move(owner), std::move(name), span, cond, std::move(doc), term});
  }
  // Records expression `id` as written, with its sub-expressions, in the source map's terms (their
  // nodes are filled in by map_term_nodes once everything is checked). Returns its index, or
  // kNone without a map or an expression.
  uint32_t map_term(const ast::File& f, ast::ExprId id, int depth = 0) {
    if (!map_ || id == ast::kNoExpr) return SourceMap::kNone;
    using K = SourceMap::Term::Kind;
    const ast::Expr& e = f.expr(id);
    SourceMap::Term t;
    t.span = e.span;
    std::vector<ast::ExprId> subs;
    std::visit(
        [&](const auto& k) {
          using T = std::decay_t<decltype(k)>;
          if constexpr (std::is_same_v<T, ast::Name>) {
            t.kind = K::Name;
            t.name = k.name;
          } else if constexpr (std::is_same_v<T, ast::Member>) {
            t.kind = K::Member;
            if (const auto* n = std::get_if<ast::Name>(&f.expr(k.object).kind)) t.name = n->name;
            t.member = k.member;
            subs = {k.object};
          } else if constexpr (std::is_same_v<T, ast::Unary>) {
            t.kind = k.op == ast::UnOp::Not ? K::Not : K::Other;
            subs = {k.operand};
          } else if constexpr (std::is_same_v<T, ast::Binary>) {
            t.kind = k.op == ast::BinOp::And ? K::And : k.op == ast::BinOp::Or ? K::Or : K::Other;
            subs = {k.lhs, k.rhs};
          } else if constexpr (std::is_same_v<T, ast::Is>) {
            subs = {k.subject};
            if (k.kind == ast::IsKind::Value) subs.push_back(k.value);
          } else if constexpr (std::is_same_v<T, ast::InSet> || std::is_same_v<T, ast::Has>) {
            subs = {k.subject};
          } else if constexpr (std::is_same_v<T, ast::InRange>) {
            subs = {k.subject, k.lo, k.hi};
          } else if constexpr (std::is_same_v<T, ast::DaysSince>) {
            t.kind = K::DaysSince;
            subs = {k.date};
          } else if constexpr (std::is_same_v<T, ast::IfExpr>) {
            subs = {k.cond, k.then_, k.else_};
          } else if constexpr (std::is_same_v<T, ast::OfferLit>) {
            subs = {k.amount};
          }
        },
        e.kind);
    // Deeper than the checker goes is an error already (RK0106); stop there.
    if (depth < kMaxExprDepth)
      for (ast::ExprId sub : subs)
        if (sub != ast::kNoExpr) t.subs.push_back(map_term(f, sub, depth + 1));
    map_->terms.push_back(std::move(t));
    return static_cast<uint32_t>(map_->terms.size() - 1);
  }
  // Gives every term the node of the first checked expression with its span.
  void map_term_nodes() {
    if (!map_) return;
    std::map<std::tuple<uint32_t, uint32_t, uint32_t>, uint32_t> first;
    for (const auto& x : map_->exprs)
      first.emplace(std::tuple{x.span.file, x.span.offset, x.span.len}, x.node);
    for (auto& t : map_->terms)
      if (auto it = first.find({t.span.file, t.span.offset, t.span.len}); it != first.end())
        t.node = it->second;
  }

  Typed check_kind(const ast::File&, const ast::NumberLit& n, const ast::Span&, const Type*) {
    Type t;
    t.literal = n.unit == ast::Unit::None;
    switch (n.unit) {
      case ast::Unit::None:
        t.kind = n.is_int ? TypeKind::Int : TypeKind::Number;
        break;
      case ast::Unit::Days:
        t.kind = TypeKind::Days;
        break;
      case ast::Unit::Money:
        t.kind = TypeKind::Money;
        break;
      case ast::Unit::Percent:
        t.kind = TypeKind::Percent;
        break;
    }
    if (t.kind == TypeKind::Int || t.kind == TypeKind::Days)
      return Typed{t, nb_.c_int(n.unit == ast::Unit::Days ? n.ivalue : n.ivalue)};
    return Typed{t, nb_.c_float(n.value)};
  }
  Typed check_kind(const ast::File&, const ast::BoolLit& b, const ast::Span&, const Type*) {
    return Typed{Type{TypeKind::Bool}, nb_.c_bool(b.value)};
  }
  Typed check_kind(const ast::File&, const ast::StringLit&, const ast::Span& span, const Type*) {
    error("RK0305", span, "a quoted text can only follow `is`, `=` or appear in a set",
          "e.g. `customer_id is \"C1\"`");
    return error_typed();
  }
  Typed check_kind(const ast::File&, const ast::DateLit& d, const ast::Span&, const Type*) {
    return Typed{Type{TypeKind::Date}, nb_.c_int(d.days)};
  }
  Typed check_kind(const ast::File&, const ast::Today&, const ast::Span&, const Type*) {
    ir::Node n;
    n.op = ir::Op::AsOf;
    n.ty = ir::Ty::Int;
    return Typed{Type{TypeKind::Date}, nb_.add(n)};
  }
  Typed check_kind(const ast::File& f, const ast::Name& n, const ast::Span& span,
                   const Type* expect) {
    return resolve_name(f, n.name, span, expect);
  }
  Typed check_kind(const ast::File& f, const ast::Member& m, const ast::Span& span, const Type*) {
    const ast::Expr& obj = f.expr(m.object);
    const auto* name = std::get_if<ast::Name>(&obj.kind);
    auto it = name ? seq_index_.find(name->name) : seq_index_.end();
    if (it == seq_index_.end()) {
      error("RK0208", obj.span, "only a sequence has values after a dot, e.g. `winback.offer`");
      return error_typed();
    }
    Typed s = lower_sequence(it->second, span);
    if (s.type.is_error()) return s;
    SeqEnt& q = seqs_[it->second];
    const int si = static_cast<int>(it->second);
    if (m.member == "status") return Typed{Type{TypeKind::Status, si}, q.status};
    if (m.member == "step") return Typed{Type{TypeKind::Step, si}, q.touch};
    if (m.member == "channel") return Typed{Type{TypeKind::Channel, si}, q.channel};
    if (m.member == "offer") return Typed{Type{TypeKind::Offer, si}, q.offer};
    if (m.member == "touch")
      return Typed{Type{TypeKind::Int}, nb_.op(ir::Op::Add, ir::Ty::Int, {q.touch, nb_.c_int(1)})};
    std::string help;
    const std::string near = closest(m.member, {"status", "touch", "step", "channel", "offer"});
    if (!near.empty()) help = fmt::format("did you mean `{}`?", near);
    error("RK0208", m.member_span,
          fmt::format("sequence `{}` has no value `{}` (it has status, touch, step, channel, "
                      "offer)",
                      name->name, m.member),
          help);
    return error_typed();
  }
  Typed check_kind(const ast::File& f, const ast::Unary& u, const ast::Span& span, const Type*) {
    if (u.op == ast::UnOp::Not) {
      Typed a = check_cond(f, u.operand);
      if (a.type.is_error()) return a;
      return Typed{Type{TypeKind::Bool}, nb_.not_(a.node)};
    }
    Typed a = check_expr(f, u.operand, nullptr);
    if (a.type.is_error()) return a;
    if (!a.type.is_numeric()) {
      error("RK0301", span, fmt::format("cannot negate {}", type_name(a.type)));
      return error_typed();
    }
    return Typed{a.type, nb_.op(ir::Op::Neg, phys(a.type), {a.node})};
  }
  Typed check_kind(const ast::File& f, const ast::Binary& b, const ast::Span& span, const Type*) {
    using ast::BinOp;
    if (b.op == BinOp::And || b.op == BinOp::Or) {
      Typed l = check_cond(f, b.lhs);
      Typed r = check_cond(f, b.rhs);
      if (l.type.is_error() || r.type.is_error()) return error_typed();
      return Typed{Type{TypeKind::Bool},
                   b.op == BinOp::And ? nb_.and_(l.node, r.node) : nb_.or_(l.node, r.node)};
    }
    Typed l = check_expr(f, b.lhs, nullptr);
    if (l.type.is_error()) return l;
    if (b.op == BinOp::Add || b.op == BinOp::Sub || b.op == BinOp::Mul || b.op == BinOp::Div) {
      Typed r = check_expr(f, b.rhs, nullptr);
      if (r.type.is_error()) return r;
      return arith(b.op, l, r, b.op_span.len ? b.op_span : span);
    }
    const bool eq = b.op == BinOp::Eq || b.op == BinOp::Ne;
    if (eq && l.type.kind == TypeKind::String) {
      const ast::Expr& re = f.expr(b.rhs);
      if (const auto* lit = std::get_if<ast::StringLit>(&re.kind)) {
        Typed m = membership(l, {ast::SetItem{lit->value, true, re.span}}, span);
        if (m.type.is_error() || b.op == BinOp::Eq) return m;
        return Typed{Type{TypeKind::Bool}, nb_.not_(m.node)};
      }
    }
    Typed r =
        (eq || l.type.is_enumerated()) ? check_value(f, b.rhs, l) : check_expr(f, b.rhs, nullptr);
    if (r.type.is_error()) return r;
    static const ir::Op kOps[] = {ir::Op::Eq, ir::Op::Ne, ir::Op::Lt,
                                  ir::Op::Le, ir::Op::Gt, ir::Op::Ge};
    const ir::Op o = kOps[static_cast<int>(b.op) - static_cast<int>(BinOp::Eq)];
    return compare(o, l, r, span, !eq);
  }
  Typed check_kind(const ast::File& f, const ast::Is& is, const ast::Span& span, const Type*) {
    return check_is(f, is, span);
  }
  Typed check_kind(const ast::File& f, const ast::InSet& in, const ast::Span& span, const Type*) {
    Typed s = check_expr(f, in.subject, nullptr);
    if (s.type.is_error()) return s;
    Typed m = membership(s, in.items, span);
    if (m.type.is_error() || !in.negated) return m;
    return Typed{Type{TypeKind::Bool}, nb_.not_(m.node)};
  }
  Typed check_kind(const ast::File& f, const ast::InRange& in, const ast::Span& span, const Type*) {
    Typed s = check_expr(f, in.subject, nullptr);
    Typed lo = check_expr(f, in.lo, nullptr);
    Typed hi = check_expr(f, in.hi, nullptr);
    if (s.type.is_error() || lo.type.is_error() || hi.type.is_error()) return error_typed();
    adopt_unit(lo, hi);
    adopt_unit(hi, lo);
    Typed a = compare(ir::Op::Ge, s, lo, span, true);
    if (a.type.is_error()) return a;
    Typed b = compare(ir::Op::Le, s, hi, span, true);
    if (b.type.is_error()) return b;
    uint32_t node = nb_.and_(a.node, b.node);
    if (in.negated) node = nb_.not_(node);
    return Typed{Type{TypeKind::Bool}, node};
  }
  Typed check_kind(const ast::File& f, const ast::Has& h, const ast::Span& span, const Type*) {
    Typed s = check_expr(f, h.subject, nullptr);
    if (s.type.is_error()) return s;
    if (s.type.kind != TypeKind::StringList) {
      error("RK0305", f.expr(h.subject).span,
            fmt::format("`has` needs a list of strings, but this is {}", type_name(s.type)),
            s.type.kind == TypeKind::String || s.type.is_enumerated()
                ? "for a single value use `is one of {...}`"
                : "");
      return error_typed();
    }
    ir::Atom a;
    a.kind = h.kind == ast::HasKind::Any   ? ir::AtomKind::ListHasAny
             : h.kind == ast::HasKind::All ? ir::AtomKind::ListHasAll
                                           : ir::AtomKind::ListHasNone;
    a.field = static_cast<uint32_t>(s.field);
    for (const auto& it : h.items) a.set.push_back(it.text);
    std::sort(a.set.begin(), a.set.end());
    a.set.erase(std::unique(a.set.begin(), a.set.end()), a.set.end());
    return Typed{Type{TypeKind::Bool}, add_atom(std::move(a))};
  }
  Typed check_kind(const ast::File& f, const ast::DaysSince& d, const ast::Span& span,
                   const Type*) {
    Typed x = check_expr(f, d.date, nullptr);
    if (x.type.is_error()) return x;
    if (x.type.kind != TypeKind::Date) {
      error("RK0305", f.expr(d.date).span,
            fmt::format("`days {}` needs a date, but this is {}", d.until ? "until" : "since",
                        type_name(x.type)));
      return error_typed();
    }
    ir::Node n;
    n.op = ir::Op::AsOf;
    n.ty = ir::Ty::Int;
    const uint32_t asof = nb_.add(n);
    const uint32_t node = d.until ? nb_.op(ir::Op::Sub, ir::Ty::Int, {x.node, asof})
                                  : nb_.op(ir::Op::Sub, ir::Ty::Int, {asof, x.node});
    return Typed{Type{TypeKind::Days}, node};
  }
  Typed check_kind(const ast::File& f, const ast::IfExpr& i, const ast::Span& span,
                   const Type* expect) {
    Typed c = check_cond(f, i.cond);
    Typed a = check_expr(f, i.then_, expect);
    Typed b = check_expr(f, i.else_, expect);
    if (c.type.is_error() || a.type.is_error() || b.type.is_error()) return error_typed();
    if (!(a.type == b.type)) {
      if (a.type.is_plain_numeric() && b.type.is_plain_numeric()) {
        a.node = to_float(a);
        b.node = to_float(b);
        a.type.kind = TypeKind::Number;
      } else {
        error("RK0307", span,
              fmt::format("the two branches differ: {} after `then`, {} after `else`",
                          type_name(a.type), type_name(b.type)));
        return error_typed();
      }
    }
    if (a.type.kind == TypeKind::String || a.type.kind == TypeKind::StringList) {
      error("RK0305", span, "`if` cannot choose between strings or lists");
      return error_typed();
    }
    Type t = a.type;
    t.literal = false;
    return Typed{t, nb_.if_(phys(t), c.node, a.node, b.node)};
  }
  Typed check_kind(const ast::File& f, const ast::OfferLit& o, const ast::Span& span, const Type*) {
    return check_offer(f, o, span);
  }

  // ---- whole program -------------------------------------------------------------------------
  void add_output(const std::string& name, uint32_t node) {
    program_.outputs.push_back(ir::Output{name, node});
  }
  uint32_t last_output() const { return static_cast<uint32_t>(program_.outputs.size() - 1); }

  // Adds a result column; `where` is the declaration that introduces it (for RK0411).
  void add_column(ir::ResultColumn c, std::optional<ast::Span> where = std::nullopt) {
    for (size_t i = 0; i < program_.columns.size(); ++i)
      if (program_.columns[i].name == c.name) {
        // Point at whichever of the two was declared by the author.
        error("RK0411", where ? *where : column_spans_[i].value_or(first_span_),
              fmt::format("two output columns would be called `{}`; rename this one", c.name),
              "the key field, `candidate`, `stopped_by`, `review`, every segment and every "
              "sequence's NAME_status/_touch/_step/_channel/_offer each give a column");
        return;
      }
    program_.columns.push_back(std::move(c));
    column_spans_.push_back(where);
  }

  void lower_all() {
    const ast::Span here = first_span_;
    for (auto& [name, p] : params_) lower_param(p);
    for (auto& [name, l] : lets_) lower_let(l, l.decl->name_span);
    for (size_t i = 0; i < families_.size(); ++i) lower_family(i, families_[i].decl->name_span);
    const uint32_t cand = lower_candidate(here).node;
    const Typed stops = lower_stops(here);
    for (size_t i = 0; i < seqs_.size(); ++i) lower_sequence(i, seqs_[i].decl->name_span);
    if (has_errors(diags_)) return;

    // Reviews apply to customers with a touch due (or, without sequences, to candidates that
    // are not stopped). Like stops they fail closed.
    uint32_t scope;
    if (seqs_.empty()) {
      scope = nb_.and_(cand, nb_.is_missing(stops.node));
    } else {
      scope = seqs_[0].is_due;
      for (size_t i = 1; i < seqs_.size(); ++i) scope = nb_.or_(scope, seqs_[i].is_due);
    }
    std::vector<uint32_t> review_nodes;
    for (const auto& r : reviews_) {
      Typed c = check_cond(*r.file, r.decl->cond);
      if (c.type.is_error()) continue;
      map_rule(SourceMap::Kind::Review, "", r.decl->name, r.decl->span, c.node,
               map_term(*r.file, r.decl->cond), r.decl->doc);
      review_nodes.push_back(nb_.if_(ir::Ty::Bool, scope, nb_.fires(c.node), nb_.c_bool(false)));
    }
    if (has_errors(diags_)) return;

    const Schema& s = program_.schema;
    add_column(
        {s.fields[s.key_field].name, ir::ResultKind::Key, ir::ValueType::Text, {}, {}, false});
    add_output("candidate", cand);
    add_column({"candidate",
                ir::ResultKind::Enumerated,
                ir::ValueType::Bool,
                {last_output()},
                {"false", "true"},
                true});
    for (auto& fam : families_) {
      add_output(fam.decl->name, fam.value.node);
      add_column({fam.decl->name,
                  ir::ResultKind::Enumerated,
                  ir::ValueType::Text,
                  {last_output()},
                  fam.labels,
                  true},
                 fam.decl->name_span);
    }
    add_output("stopped_by", stops.node);
    std::vector<std::string> stop_names;
    for (const auto& st : stops_) stop_names.push_back(st.decl->name);
    add_column({"stopped_by",
                ir::ResultKind::Enumerated,
                ir::ValueType::Text,
                {last_output()},
                stop_names,
                true});
    ir::ResultColumn review{"review", ir::ResultKind::Joined, ir::ValueType::Text, {}, {}, true};
    for (size_t i = 0; i < reviews_.size(); ++i) {
      add_output("review " + reviews_[i].decl->name, review_nodes[i]);
      review.outputs.push_back(last_output());
      review.texts.push_back(reviews_[i].decl->name);
    }
    add_column(std::move(review));
    for (auto& q : seqs_) {
      const std::string& n = q.decl->name;
      add_output(n + "_status", q.status);
      add_column({n + "_status",
                  ir::ResultKind::Enumerated,
                  ir::ValueType::Text,
                  {last_output()},
                  q.statuses,
                  true},
                 q.decl->name_span);
      add_output(n + "_touch", q.touch);
      std::vector<std::string> numbers;
      for (size_t i = 0; i < q.steps.size(); ++i) numbers.push_back(std::to_string(i + 1));
      add_column({n + "_touch",
                  ir::ResultKind::Enumerated,
                  ir::ValueType::Int,
                  {last_output()},
                  numbers,
                  true},
                 q.decl->name_span);
      add_column({n + "_step",
                  ir::ResultKind::Enumerated,
                  ir::ValueType::Text,
                  {last_output()},
                  q.steps,
                  true},
                 q.decl->name_span);
      add_output(n + "_channel", q.channel);
      add_column({n + "_channel",
                  ir::ResultKind::Enumerated,
                  ir::ValueType::Text,
                  {last_output()},
                  q.channels,
                  true},
                 q.decl->name_span);
      add_output(n + "_offer", q.offer);
      add_column({n + "_offer",
                  ir::ResultKind::Enumerated,
                  ir::ValueType::Text,
                  {last_output()},
                  q.offers,
                  true},
                 q.decl->name_span);
    }
  }

  friend class SequenceLowering;

  SourceSet& src_;
  std::vector<Diagnostic>& diags_;
  const CompileOptions& opts_;
  SourceMap* map_;
  std::vector<std::unique_ptr<ast::File>> files_;
  std::vector<const ast::File*> rule_files_;
  const ast::File* schema_file_ = nullptr;
  std::set<std::string> loaded_;
  SourceRoot root_;
  ast::Span first_span_;

  std::unordered_map<std::string, ast::Span> names_;
  std::unordered_map<std::string, ast::Span> rule_names_;
  std::map<std::string, ParamEnt> params_;
  std::vector<std::string> param_order_;
  std::map<std::string, LetEnt> lets_;
  std::vector<FamilyEnt> families_;
  std::unordered_map<std::string, size_t> family_index_;
  const ast::CandidateDecl* candidate_decl_ = nullptr;
  const ast::File* candidate_file_ = nullptr;
  Entity candidate_;
  std::vector<RuleEnt> stops_;
  Entity stops_ent_;
  std::vector<RuleEnt> reviews_;
  std::vector<SeqEnt> seqs_;
  std::unordered_map<std::string, size_t> seq_index_;
  SeqEnt* current_seq_ = nullptr;
  int current_seq_index_ = -1;
  std::vector<std::pair<std::string, ast::Span>> stack_;

  NodeBuilder nb_;
  ir::Program program_;
  int depth_ = 0;
  bool depth_reported_ = false;
  std::vector<std::optional<ast::Span>> column_spans_;  // per result column, if declared
  std::set<std::string> unknown_reported_;  // each unknown name is reported at its first use
  std::set<std::string> cycles_reported_;   // each cycle is reported once
  std::set<uint32_t> cycle_use_reported_;   // ... and once per place
};

Typed Checker::lower_sequence(size_t index, const ast::Span& use) {
  SeqEnt& q = seqs_[index];
  if (q.state == State::Done) return q.value;
  if (!enter(q, q.decl->name, use)) return error_typed();
  q.state = State::Active;
  CycleGuard g(*this, q.decl->name, use);
  const ast::SequenceDecl& d = *q.decl;
  const ast::File& f = *q.file;
  const int si = static_cast<int>(index);
  auto fail = [&]() {
    q.value = error_typed();
    q.state = State::Done;
    return q.value;
  };

  if (d.touches.empty()) {
    error("RK0406", d.name_span, fmt::format("sequence `{}` has no touches", d.name),
          "add `touch NAME via CHANNEL`");
    return fail();
  }
  if (d.touches.size() > kMaxTouches) {
    error("RK0405", d.name_span,
          fmt::format("sequence `{}` has {} touches; the limit is {}", d.name, d.touches.size(),
                      kMaxTouches));
    return fail();
  }
  // Channels and their permissions.
  std::unordered_map<std::string, ast::Span> seen;
  for (const auto& c : d.channels) {
    if (auto it = seen.find(c.name); it != seen.end()) {
      error_note("RK0202", c.name_span, fmt::format("channel `{}` is declared twice", c.name),
                 it->second, "first declared here");
      continue;
    }
    seen.emplace(c.name, c.name_span);
    q.channels.push_back(c.name);
  }
  if (q.channels.empty()) {
    error("RK0409", d.name_span, fmt::format("sequence `{}` declares no channel", d.name),
          "add e.g. `channel email requires email_consent is true`");
    return fail();
  }
  std::vector<uint32_t> allowed(q.channels.size(), nb_.c_bool(true));
  for (const auto& c : d.channels) {
    if (c.requires_ == ast::kNoExpr) continue;
    const int ci = value_index(Type{TypeKind::Channel, si}, c.name);
    Typed r = check_cond(f, c.requires_);
    if (!r.type.is_error()) allowed[ci] = nb_.is_true(r.node);
    map_rule(SourceMap::Kind::Channel, d.name, c.name, c.span, r.node, map_term(f, c.requires_));
  }
  std::vector<uint32_t> fallback(q.channels.size(), nb_.null(ir::Ty::Int));
  for (const auto& fb : d.fallbacks) {
    const int from = value_index(Type{TypeKind::Channel, si}, fb.from);
    const int to = value_index(Type{TypeKind::Channel, si}, fb.to);
    if (from < 0) {
      unknown_value(Type{TypeKind::Channel, si}, fb.from, fb.from_span);
      continue;
    }
    if (to < 0) {
      unknown_value(Type{TypeKind::Channel, si}, fb.to, fb.to_span);
      continue;
    }
    if (from == to) {
      error("RK0409", fb.span, fmt::format("channel `{}` cannot fall back to itself", fb.from));
      continue;
    }
    fallback[from] = nb_.c_int(to);
  }

  // Progress: the last touch sent and when.
  uint32_t last = nb_.c_int(0), last_date = nb_.null(ir::Ty::Int);
  if (d.progress_touch) {
    Typed t = resolve_name(f, d.progress_touch->first, d.progress_touch->second, nullptr);
    if (!t.type.is_error() && t.type.kind != TypeKind::Int) {
      error("RK0311", d.progress_touch->second,
            fmt::format("`progress` needs a whole-number field counting touches, but `{}` is {}",
                        d.progress_touch->first, type_name(t.type)));
    } else if (!t.type.is_error()) {
      last = nb_.op(ir::Op::Coalesce, ir::Ty::Int, {t.node, nb_.c_int(0)});
    }
    Typed dt = resolve_name(f, d.progress_date->first, d.progress_date->second, nullptr);
    if (!dt.type.is_error() && dt.type.kind != TypeKind::Date) {
      error("RK0311", d.progress_date->second,
            fmt::format("`progress ... on` needs a date field, but `{}` is {}",
                        d.progress_date->first, type_name(dt.type)));
    } else if (!dt.type.is_error()) {
      last_date = dt.node;
    }
  }

  // Entry, stop, holdout, exits.
  uint32_t entered;
  uint32_t enter_term = SourceMap::kNone;
  if (d.enter != ast::kNoExpr) {
    Typed e = check_cond(f, d.enter);
    entered = e.type.is_error() ? nb_.c_bool(false) : nb_.is_true(e.node);
    enter_term = map_term(f, d.enter);
    map_rule(SourceMap::Kind::Enter, d.name, "enter", f.expr(d.enter).span, e.node, enter_term);
  } else {
    entered = lower_candidate(use).node;
  }
  const uint32_t stopped = stopped_node(use);
  uint32_t hold = nb_.c_bool(false);
  if (d.holdout_share != ast::kNoExpr) {
    Typed share = check_expr(f, d.holdout_share, nullptr);
    const ast::Expr& se = f.expr(d.holdout_share);
    const ir::Node* cn = share.type.is_error() ? nullptr : &nb_.nodes[share.node];
    if (!share.type.is_error() &&
        (share.type.kind != TypeKind::Percent || cn->op != ir::Op::ConstFloat)) {
      error("RK0308", se.span, "the holdout share must be a fixed percent, e.g. `holdout 5%`");
    } else if (cn) {
      const double pct = cn->fimm * 100.0;
      const double bp = cn->fimm * 10000.0;
      ir::Atom a;
      a.kind = ir::AtomKind::Holdout;
      a.field = static_cast<uint32_t>(program_.schema.key_field);
      a.salt = d.holdout_salt;
      if (pct < 0 || pct > 100) {
        error("RK0308", se.span, "the holdout share must lie between 0% and 100%");
      } else if (std::fabs(pct - std::round(pct)) < 1e-9) {
        a.modulus = 100;
        a.threshold = static_cast<uint64_t>(std::llround(pct));
      } else if (std::fabs(bp - std::round(bp)) < 1e-6) {
        a.modulus = 10000;
        a.threshold = static_cast<uint64_t>(std::llround(bp));
      } else {
        error("RK0308", se.span, "the holdout share must be a whole number of basis points");
      }
      if (!has_errors(diags_)) hold = nb_.is_true(add_atom(std::move(a)));
    }
  }
  std::vector<uint32_t> exits;
  std::vector<std::string> exit_names;
  for (const auto& x : d.exits) {
    Typed c = check_cond(f, x.cond);
    exits.push_back(c.type.is_error() ? nb_.c_bool(false) : nb_.is_true(c.node));
    map_rule(SourceMap::Kind::Exit, d.name, x.name, x.span, c.node, map_term(f, x.cond));
    exit_names.push_back(x.name);
  }

  // Touches: the next is the first after `last` whose `only when` holds.
  current_seq_ = &q;
  current_seq_index_ = si;
  q.offers.push_back("none");
  q.offer_kinds.push_back(ast::OfferKind::None);
  std::vector<uint32_t> next_conds, channel_of, offer_of, only_terms;
  std::unordered_map<std::string, ast::Span> touch_names;
  const Type channel_type{TypeKind::Channel, si};
  for (size_t i = 0; i < d.touches.size(); ++i) {
    const ast::TouchDecl& t = d.touches[i];
    if (auto it = touch_names.find(t.name); it != touch_names.end())
      error_note("RK0202", t.name_span, fmt::format("touch `{}` appears twice", t.name), it->second,
                 "first used here");
    touch_names.emplace(t.name, t.name_span);
    q.steps.push_back(t.name);
    uint32_t cond = nb_.cmp(ir::Op::Gt, nb_.c_int(static_cast<int64_t>(i + 1)), last);
    uint32_t only = UINT32_MAX;
    if (t.only_when != ast::kNoExpr) {
      Typed c = check_cond(f, t.only_when);
      cond = nb_.and_(cond, c.type.is_error() ? nb_.c_bool(false) : nb_.is_true(c.node));
      only = c.node;
    }
    only_terms.push_back(map_term(f, t.only_when));
    map_rule(SourceMap::Kind::Touch, d.name, t.name, t.span, only, only_terms.back(), t.doc);
    next_conds.push_back(cond);
    Typed ch = check_expr(f, t.channel, &channel_type);
    if (!ch.type.is_error() && !(ch.type == channel_type)) {
      error("RK0409", f.expr(t.channel).span,
            fmt::format("`via` needs a channel of sequence `{}` ({}), but this is {}", d.name,
                        fmt::join(q.channels, ", "), type_name(ch.type)));
      ch = error_typed();
    }
    channel_of.push_back(ch.type.is_error() ? nb_.null(ir::Ty::Int) : ch.node);
    if (t.offer != ast::kNoExpr) {
      const Type offer_type{TypeKind::Offer, si};
      Typed o = check_expr(f, t.offer, &offer_type);
      if (!o.type.is_error() && !(o.type == offer_type)) {
        error("RK0310", f.expr(t.offer).span,
              fmt::format("`offer` needs an offer (none, credit N, points N, early_access, "
                          "discount N%), but this is {}",
                          type_name(o.type)));
        o = error_typed();
      }
      offer_of.push_back(o.type.is_error() ? nb_.null(ir::Ty::Int) : o.node);
    } else {
      offer_of.push_back(nb_.c_int(0));
    }
  }
  current_seq_ = nullptr;
  current_seq_index_ = -1;
  if (q.offers.size() > 64) error("RK0405", d.name_span, "a sequence can have at most 64 offers");

  const uint32_t next = nb_.op(ir::Op::FirstTrue, ir::Ty::Int, next_conds);
  const uint32_t exhausted = nb_.is_missing(next);
  uint32_t due_time = nb_.c_bool(true);
  if (d.wait != ast::kNoExpr) {
    Typed w = check_expr(f, d.wait, nullptr);
    if (!w.type.is_error() && w.type.kind != TypeKind::Days) {
      error("RK0309", f.expr(d.wait).span,
            fmt::format("`wait` needs a number of days, e.g. `wait 7 days`, but this is {}",
                        type_name(w.type)));
    } else if (!w.type.is_error()) {
      ir::Node asof;
      asof.op = ir::Op::AsOf;
      asof.ty = ir::Ty::Int;
      const uint32_t since = nb_.op(ir::Op::Sub, ir::Ty::Int, {nb_.add(asof), last_date});
      due_time = nb_.or_(nb_.is_true(nb_.cmp(ir::Op::Le, last, nb_.c_int(0))),
                         nb_.is_true(nb_.cmp(ir::Op::Ge, since, w.node)));
    }
  }
  const uint32_t chosen = nb_.op(ir::Op::Switch, ir::Ty::Int, [&] {
    std::vector<uint32_t> a{next};
    a.insert(a.end(), channel_of.begin(), channel_of.end());
    return a;
  }());
  auto switch_on = [&](uint32_t idx, const std::vector<uint32_t>& table, ir::Ty ty) {
    std::vector<uint32_t> a{idx};
    a.insert(a.end(), table.begin(), table.end());
    return nb_.op(ir::Op::Switch, ty, a);
  };
  const uint32_t chosen_ok = nb_.is_true(switch_on(chosen, allowed, ir::Ty::Bool));
  const uint32_t fb = switch_on(chosen, fallback, ir::Ty::Int);
  const uint32_t fb_ok = nb_.is_true(switch_on(fb, allowed, ir::Ty::Bool));
  const uint32_t channel = nb_.if_(ir::Ty::Int, chosen_ok, chosen,
                                   nb_.if_(ir::Ty::Int, fb_ok, fb, nb_.null(ir::Ty::Int)));
  const uint32_t offer = switch_on(next, offer_of, ir::Ty::Int);

  std::vector<uint32_t> status_conds{nb_.not_(entered), stopped, hold};
  q.statuses = {"not_candidate", "stopped", "holdout"};
  for (size_t i = 0; i < exits.size(); ++i) {
    status_conds.push_back(exits[i]);
    q.statuses.push_back(exit_names[i]);
  }
  status_conds.push_back(exhausted);
  status_conds.push_back(nb_.not_(due_time));
  status_conds.push_back(nb_.is_missing(channel));
  status_conds.push_back(nb_.c_bool(true));
  for (const char* s : {"exhausted", "waiting", "no_channel", "due"}) q.statuses.push_back(s);
  {
    std::set<std::string> uniq;
    for (const auto& s : q.statuses)
      if (!uniq.insert(s).second) {
        ast::Span at = d.name_span;
        for (const auto& x : d.exits)
          if (x.name == s) at = x.name_span;
        error(
            "RK0202", at,
            fmt::format("exit `{}` has the name of a built-in status of sequence `{}`", s, d.name),
            "the statuses not_candidate, stopped, holdout, exhausted, waiting, no_channel and "
            "due are built in; give the exit another name");
      }
  }
  q.status = nb_.op(ir::Op::FirstTrue, ir::Ty::Int, status_conds);
  q.is_due = nb_.is_true(
      nb_.cmp(ir::Op::Eq, q.status, nb_.c_int(static_cast<int64_t>(q.statuses.size() - 1))));
  const uint32_t none = nb_.null(ir::Ty::Int);
  q.next = next;
  q.touch = nb_.if_(ir::Ty::Int, q.is_due, next, none);
  q.channel = nb_.if_(ir::Ty::Int, q.is_due, channel, none);
  q.offer = nb_.if_(ir::Ty::Int, q.is_due, offer, none);
  q.value = Typed{Type{TypeKind::Status, si}, q.status};
  q.state = State::Done;
  map_sequence(f, d, enter_term, only_terms);
  return q.value;
}

void Checker::map_sequence(const ast::File& f, const ast::SequenceDecl& d, uint32_t enter_term,
                           const std::vector<uint32_t>& only_terms) {
  if (!map_) return;
  SourceMap::Sequence m;
  m.name = d.name;
  m.span = d.span;
  m.doc = d.doc;
  m.enter = enter_term;
  if (d.progress_touch) {
    m.progress_touch = d.progress_touch->first;
    m.progress_span = d.progress_touch->second;
  }
  if (d.progress_date) m.progress_date = d.progress_date->first;
  m.wait = map_term(f, d.wait);
  m.holdout = map_term(f, d.holdout_share);
  m.holdout_salt = d.holdout_salt;
  m.holdout_span = d.holdout_span;
  for (const auto& fb : d.fallbacks) m.fallbacks.push_back({fb.from, fb.to, fb.span});
  for (size_t i = 0; i < d.touches.size(); ++i) {
    const ast::TouchDecl& t = d.touches[i];
    m.touches.push_back(
        {t.name, t.span, map_term(f, t.channel), map_term(f, t.offer), only_terms.at(i)});
  }
  map_->sequences.push_back(std::move(m));
}

}  // namespace

CompileResult compile_rules_text(const std::string& path, std::string text,
                                 const CompileOptions& opts) {
  CompileResult r;
  auto root = source_root(path, opts.root, r.diags);
  if (!root) return r;
  run_on_big_stack([&] {
    Checker c(r.sources, r.diags, opts, &r.map);
    c.set_source_root(*root);
    const uint32_t idx = r.sources.add(path, std::move(text));
    if (c.load_main(idx)) r.program = c.run();
  });
  if (has_errors(r.diags)) r.program.reset();
  return r;
}

CompileResult compile_rules(const std::string& path, const CompileOptions& opts) {
  CompileResult r;
  auto root = source_root(path, opts.root, r.diags);
  if (!root) return r;
  run_on_big_stack([&] {
    Checker c(r.sources, r.diags, opts, &r.map);
    c.set_source_root(*root);
    auto idx = r.sources.load(path, r.diags);
    if (idx && c.load_main(*idx)) r.program = c.run();
  });
  if (has_errors(r.diags)) r.program.reset();
  return r;
}

SchemaResult compile_schema(const std::string& path) {
  SchemaResult r;
  CompileOptions opts;
  Checker c(r.sources, r.diags, opts);
  auto idx = r.sources.load(path, r.diags);
  if (idx) r.schema = c.schema_only(*idx);
  if (has_errors(r.diags)) r.schema.reset();
  return r;
}

SchemaResult compile_schema_text(const std::string& path, std::string text) {
  SchemaResult r;
  CompileOptions opts;
  Checker c(r.sources, r.diags, opts);
  const uint32_t idx = r.sources.add(path, std::move(text));
  r.schema = c.schema_only(idx);
  if (has_errors(r.diags)) r.schema.reset();
  return r;
}

}  // namespace rk
