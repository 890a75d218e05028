// Rekindle IR: the validator (see validate.h).
#include "compiler/ir/validate.h"

#include <fmt/format.h>

#include <initializer_list>

namespace rk::ir {
namespace {

bool validate_nodes(const Program& program, std::string& error) {
  const auto& nodes = program.nodes;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node& n = nodes[i];
    auto fail = [&](const std::string& what) {
      error = fmt::format("node {} ({}): {}", i, op_name(n.op), what);
      return false;
    };
    for (uint32_t a : n.args)
      if (a >= i) return fail(fmt::format("argument {} is not an earlier node", a));
    auto arity = [&](size_t want) { return n.args.size() == want; };
    auto arg_ty = [&](size_t k) { return nodes[n.args[k]].ty; };
    switch (n.op) {
      case Op::ConstBool:
        if (n.ty != Ty::Bool) return fail("must be Bool");
        break;
      case Op::ConstInt:
      case Op::AsOf:
        if (n.ty != Ty::Int) return fail("must be Int");
        break;
      case Op::ConstFloat:
        if (n.ty != Ty::Float) return fail("must be Float");
        break;
      case Op::Null:
        break;
      case Op::Column: {
        if (n.index >= program.schema.fields.size()) return fail("no such field");
        const FieldType t = program.schema.fields[n.index].type;
        // A Column of a String field is always missing (strings are read through atoms).
        if (n.ty != column_ty(t)) return fail("type does not match the field");
        break;
      }
      case Op::Atom:
        if (n.index >= program.atoms.size()) return fail("no such atom");
        if (n.ty != Ty::Bool) return fail("must be Bool");
        break;
      case Op::Add:
      case Op::Sub:
      case Op::Mul:
      case Op::Div:
        if (!arity(2)) return fail("needs 2 arguments");
        if (n.ty == Ty::Bool || arg_ty(0) != n.ty || arg_ty(1) != n.ty)
          return fail("operands must be Int or Float of the node's type");
        if (n.op == Op::Div && n.ty != Ty::Float) return fail("division is Float only");
        break;
      case Op::Neg:
        if (!arity(1) || n.ty == Ty::Bool || arg_ty(0) != n.ty)
          return fail("needs one Int or Float operand of the node's type");
        break;
      case Op::IntToFloat:
        if (!arity(1) || arg_ty(0) != Ty::Int || n.ty != Ty::Float)
          return fail("converts one Int to Float");
        break;
      case Op::Eq:
      case Op::Ne:
      case Op::Lt:
      case Op::Le:
      case Op::Gt:
      case Op::Ge:
        if (!arity(2) || arg_ty(0) != arg_ty(1) || n.ty != Ty::Bool)
          return fail("compares two operands of one type into Bool");
        break;
      case Op::And:
      case Op::Or:
        if (!arity(2) || arg_ty(0) != Ty::Bool || arg_ty(1) != Ty::Bool || n.ty != Ty::Bool)
          return fail("needs two Bool operands");
        break;
      case Op::Not:
      case Op::IsTrue:
      case Op::IsFalse:
        if (!arity(1) || arg_ty(0) != Ty::Bool || n.ty != Ty::Bool)
          return fail("needs one Bool operand");
        break;
      case Op::IsMissing:
        if (!arity(1) || n.ty != Ty::Bool) return fail("needs one operand and is Bool");
        break;
      case Op::InMask:
        if (!arity(1) || arg_ty(0) != Ty::Int || n.ty != Ty::Bool)
          return fail("tests one Int operand into Bool");
        break;
      case Op::If:
        if (!arity(3) || arg_ty(0) != Ty::Bool || arg_ty(1) != n.ty || arg_ty(2) != n.ty)
          return fail("needs a Bool condition and two operands of the node's type");
        break;
      case Op::Coalesce:
        if (!arity(2) || arg_ty(0) != n.ty || arg_ty(1) != n.ty)
          return fail("needs two operands of the node's type");
        break;
      case Op::FirstTrue:
        if (n.ty != Ty::Int) return fail("must be Int");
        for (size_t k = 0; k < n.args.size(); ++k)
          if (arg_ty(k) != Ty::Bool) return fail("operands must be Bool");
        break;
      case Op::Switch:
        if (n.args.empty() || arg_ty(0) != Ty::Int) return fail("needs an Int index");
        for (size_t k = 1; k < n.args.size(); ++k)
          if (arg_ty(k) != n.ty) return fail("cases must have the node's type");
        break;
    }
  }
  return true;
}

// Atoms read fields of their kind: string predicates and the holdout a string field, list
// predicates a list field.
bool validate_atoms(const Program& program, std::string& error) {
  for (size_t i = 0; i < program.atoms.size(); ++i) {
    const Atom& a = program.atoms[i];
    auto fail = [&](const std::string& what) {
      error = fmt::format("atom {}: {}", i, what);
      return false;
    };
    if (a.field >= program.schema.fields.size()) return fail("no such field");
    const FieldType t = program.schema.fields[a.field].type;
    switch (a.kind) {
      case AtomKind::StrInSet:
        if (t != FieldType::String) return fail("a string predicate on a field that is no string");
        break;
      case AtomKind::ListHasAny:
      case AtomKind::ListHasAll:
      case AtomKind::ListHasNone:
        if (t != FieldType::StringList) return fail("a list predicate on a field that is no list");
        break;
      case AtomKind::Holdout:
        if (t != FieldType::String) return fail("a holdout on a field that is no string");
        if (a.modulus == 0 || a.threshold > a.modulus)
          return fail("the holdout's share must lie in 0..modulus");
        break;
    }
  }
  return true;
}

bool validate_outputs(const Program& p, std::string& error) {
  for (size_t k = 0; k < p.outputs.size(); ++k) {
    const Output& o = p.outputs[k];
    if (o.node >= p.nodes.size()) {
      error = fmt::format("output {} ({}): no such node", k, o.name);
      return false;
    }
    const Ty ty = p.nodes[o.node].ty;
    if ((o.width == OutputWidth::Int64 && ty != Ty::Int) ||
        (o.width == OutputWidth::Float64 && ty != Ty::Float) ||
        (o.width == OutputWidth::Code && ty == Ty::Float)) {
      error = fmt::format("output {} ({}): a {} output of a {} node", k, o.name,
                          o.width == OutputWidth::Code    ? "code"
                          : o.width == OutputWidth::Int64 ? "int64"
                                                          : "float64",
                          ty == Ty::Bool  ? "bool"
                          : ty == Ty::Int ? "int"
                                          : "float");
      return false;
    }
  }
  return true;
}

// Result columns and the layout refer to nodes, outputs and atoms that exist.
bool validate_references(const Program& p, std::string& error) {
  const size_t nodes = p.nodes.size(), outputs = p.outputs.size();
  for (const auto& c : p.columns)
    for (uint32_t o : c.outputs)
      if (o >= outputs) {
        error = fmt::format("result column {}: no such output {}", c.name, o);
        return false;
      }
  std::string where;
  auto node = [&](uint32_t n) { return n == kNoNode || n < nodes; };
  auto value = [&](const OutputValue& v) {
    return node(v.node) &&
           (v.output == kNoOutput || (v.output < outputs && p.outputs[v.output].node == v.node));
  };
  auto nodes_ok = [&](std::initializer_list<uint32_t> list) {
    for (uint32_t n : list)
      if (!node(n)) return false;
    return true;
  };
  const Layout& l = p.layout;
  bool ok = true;
  auto check = [&](bool good, const std::string& what) {
    if (ok && !good) {
      ok = false;
      error = "layout: " + what + " refers to a node, output or atom that does not exist";
    }
  };
  check(l.key_field < static_cast<int32_t>(p.schema.fields.size()), "the key field");
  check(node(l.candidate.cond) && value(l.candidate.value), "the candidate rule");
  for (const auto& f : l.families) {
    check(value(f.value), "segment " + f.name);
    for (const auto& lab : f.labels) check(node(lab.cond), "label " + lab.name);
  }
  check(value(l.stops.value) && node(l.stops.stopped) && node(l.stops.scope), "the stop rules");
  for (const auto& s : l.stops.rules) check(nodes_ok({s.cond, s.fires}), "stop " + s.name);
  check(node(l.reviews.scope), "the reviews' scope");
  for (const auto& r : l.reviews.rules) check(node(r.cond) && value(r.value), "review " + r.name);
  for (const auto& g : l.guarantees)
    check(node(g.cond) && p.nodes[g.cond].ty == Ty::Bool, "guarantee " + g.name);
  for (const auto& q : l.sequences) {
    const std::string seq = "sequence " + q.name;
    const auto& d = q.decision;
    check(nodes_ok({q.enter_cond,     q.progress_touch,  q.progress_date,    q.last_touch,
                    q.wait,           q.days_since_last, d.entered,          d.stopped,
                    d.held_out,       d.next_touch,      d.exhausted,        d.waited,
                    d.chosen_channel, d.chosen_allowed,  d.fallback_channel, d.fallback_allowed,
                    d.channel,        d.offer,           d.capped,           d.due}),
          seq);
    check(value(q.result.status) && value(q.result.touch) && value(q.result.channel) &&
              value(q.result.offer),
          seq + "'s results");
    check(value(q.would_be.status) && value(q.would_be.touch) && value(q.would_be.channel) &&
              value(q.would_be.offer) &&
              (q.would_be.variant.node == kNoNode ||
               (!q.variant_names.empty() && value(q.would_be.variant))),
          seq + "'s would_be");
    check(q.holdout_atom == kNoIndex || q.holdout_atom < p.atoms.size(), seq + "'s holdout");
    for (const auto& st : q.statuses)
      check(node(st.when) && (st.kind != StatusKind::Exit || st.exit < q.exits.size()),
            seq + " status " + st.name);
    for (const auto& x : q.exits) check(nodes_ok({x.cond, x.applies}), seq + " exit " + x.name);
    for (const auto& c : q.channels)
      check(nodes_ok({c.requires_, c.allowed}) &&
                (c.fallback == kNoIndex || c.fallback < q.channels.size()),
            seq + " channel " + c.name);
    for (const auto& c : q.caps)
      check(nodes_ok({c.cond, c.earlier, c.fires}) && c.fires != kNoNode &&
                (c.cond == kNoNode) == (c.limit >= 0) && (c.limit < 0) == (c.earlier == kNoNode),
            seq + " cap " + c.name);
    const bool variants = !q.variant_names.empty();
    check(variants == (q.result.variant.node != kNoNode) &&
              (!variants || (value(q.result.variant) && q.result.variant.output != kNoOutput)),
          seq + "'s variant");
    for (const auto& t : q.touches) {
      for (const auto& x : t.variants)
        check(node(x.offer) && x.value < q.variant_names.size() && x.begin <= x.end &&
                  x.end <= 100 && (x.atom == kNoIndex || x.atom < p.atoms.size()) &&
                  (x.serves == kNoIndex || x.serves < t.variants.size()),
              seq + " touch " + t.name + " variant " + x.name);
      check(node(t.variant) && t.variants.empty() == (t.variant == kNoNode),
            seq + " touch " + t.name + "'s variant");
    }
    for (const auto& t : q.touches)
      check(nodes_ok({t.channel, t.offer, t.only_when, t.eligible}), seq + " touch " + t.name);
    // Templates: each placeholder names a field, family, score or shown let that exists.
    auto text_ok = [&](bool has, const MessageText& m) {
      if (!has) return true;
      for (const Placeholder& ph : m.placeholders) {
        switch (ph.kind) {
          case PlaceholderKind::Field:
            if (ph.index >= p.schema.fields.size()) return false;
            break;
          case PlaceholderKind::Family:
            if (ph.index >= l.families.size()) return false;
            break;
          case PlaceholderKind::Score:
            if (ph.index >= l.scores.size()) return false;
            break;
          case PlaceholderKind::Offer:
            break;
          case PlaceholderKind::Let:
            if (ph.index >= l.lets.size()) return false;
            break;
        }
      }
      return true;
    };
    auto message_ok = [&](const Message& m) {
      return (!q.templated || (m.has_subject && m.has_body) || (!m.has_subject && !m.has_body)) &&
             text_ok(m.has_subject, m.subject) && text_ok(m.has_body, m.body);
    };
    for (const auto& t : q.touches) {
      check(message_ok(t.message), seq + " touch " + t.name + "'s message");
      for (const auto& x : t.variants)
        check(message_ok(x.message),
              seq + " touch " + t.name + " variant " + x.name + "'s message");
    }
  }
  // A wide value: its output holds the node at the right width, `present` a Code output.
  auto wide = [&](const WideValue& w, bool decimal) {
    const OutputWidth want = decimal ? OutputWidth::Float64 : OutputWidth::Int64;
    return node(w.node) && w.output < outputs && p.outputs[w.output].node == w.node &&
           p.outputs[w.output].width == want && w.present < outputs &&
           p.outputs[w.present].width == OutputWidth::Code;
  };
  for (const auto& sc : l.scores) {
    check(wide(sc.value, sc.decimal), "score " + sc.name);
    for (const auto& line : sc.lines) check(node(line.cond), "score " + sc.name + " line");
  }
  // A shown let: a Code output of its node (Bool, Enum), or a wide one with its presence.
  for (const auto& lt : l.lets) {
    const bool code = lt.type == FieldType::Bool || lt.type == FieldType::Enum;
    const bool good =
        code ? node(lt.value.node) && lt.value.output < outputs &&
                   p.outputs[lt.value.output].node == lt.value.node &&
                   p.outputs[lt.value.output].width == OutputWidth::Code &&
                   lt.value.present == kNoOutput
             : (lt.type == FieldType::Int || lt.type == FieldType::Date ||
                lt.type == FieldType::Number || lt.type == FieldType::Money) &&
                   wide(lt.value, lt.type == FieldType::Number || lt.type == FieldType::Money);
    check(good, "let " + lt.name);
  }
  for (const auto& q : l.sequences)
    if (q.result.send_at.node != kNoNode)
      check(wide(q.result.send_at, false), "sequence " + q.name + " send_at");
  if (l.owner.declared)
    check(l.owner.reviewed.output < outputs &&
              p.outputs[l.owner.reviewed.output].width == OutputWidth::Code &&
              (l.owner.field < 0 ||
               (static_cast<size_t>(l.owner.field) < p.schema.fields.size() &&
                p.schema.fields[static_cast<size_t>(l.owner.field)].type == FieldType::String)),
          "owner");
  if (l.local_time.field >= 0)
    check(static_cast<size_t>(l.local_time.field) < p.schema.fields.size() &&
              p.schema.fields[static_cast<size_t>(l.local_time.field)].time_zone,
          "local time");
  // A Number or Timestamp column reads a wide output and its presence; the others read Code
  // outputs.
  for (const auto& c : p.columns) {
    const bool number = c.kind == ResultKind::Number || c.kind == ResultKind::Timestamp;
    bool good =
        !number || (c.outputs.size() == 2 && p.outputs[c.outputs[0]].width != OutputWidth::Code &&
                    p.outputs[c.outputs[1]].width == OutputWidth::Code);
    if (!number)
      for (uint32_t o : c.outputs) good = good && p.outputs[o].width == OutputWidth::Code;
    if (ok && !good) {
      ok = false;
      error = "result column " + c.name + ": its outputs have the wrong widths";
    }
  }
  return ok;
}

}  // namespace

bool validate(const Program& program, std::string& error) {
  return validate_nodes(program, error) && validate_outputs(program, error);
}

bool validate_description(const Program& program, std::string& error) {
  return validate_atoms(program, error) && validate_references(program, error);
}

}  // namespace rk::ir
