// Rekindle guarantees (see guarantees.h): one solver question per guarantee over the IR's
// encoding; a counterexample is made smaller (values that do not matter left missing), confirmed
// by evaluation, and explained by the sequences and review rules its condition reads.
#include "compiler/lint/guarantees.h"

#include <fmt/format.h>

#include <optional>

#include "compiler/lint/smt.h"
#include "compiler/lint/witness.h"
#include "grammar/ast.h"

namespace rk {
namespace {

using lint::Customer;
using lint::Verdict;

const std::vector<GuaranteeCodeInfo> kCatalog = {
    {"RK0801", "guarantee-broken",
     "a guarantee that does not hold: an example customer, confirmed by evaluation"},
    {"RK0802", "guarantee-undecided",
     "a guarantee the solver could neither prove nor refute within its time limit"},
};

// The longest condition text a message quotes (longer ones are named "its condition").
constexpr size_t kQuoteLimit = 70;

class Prover {
 public:
  Prover(const CompileResult& r, const GuaranteeOptions& opts)
      : r_(r), p_(*r.program), opts_(opts), enc_(p_, opts.timeout_ms, opts.stop) {}

  GuaranteeResults run() {
    GuaranteeResults out;
    for (const auto& g : p_.layout.guarantees) prove(g, out);
    return out;
  }

 private:
  const ast::GuaranteeDecl* decl_of(const std::string& name) const {
    for (const auto& f : r_.syntax)
      for (const auto& d : f->decls)
        if (const auto* g = std::get_if<ast::GuaranteeDecl>(&d.decl); g && g->name == name)
          return g;
    return nullptr;
  }
  const ast::File* file_of(uint32_t index) const {
    for (const auto& f : r_.syntax)
      if (f->file_index == index) return f.get();
    return nullptr;
  }
  const ast::SequenceDecl* sequence_decl(const std::string& name) const {
    for (const auto& f : r_.syntax)
      for (const auto& d : f->decls)
        if (const auto* s = std::get_if<ast::SequenceDecl>(&d.decl); s && s->name == name) return s;
    return nullptr;
  }
  std::string_view text(const ast::Span& s) const {
    const auto& t = r_.sources.file(s.file).text;
    if (s.offset + s.len > t.size()) return {};
    return std::string_view(t).substr(s.offset, s.len);
  }

  static bool broken(const ir::Guarantee& g, const std::vector<lint::ConcreteValue>& v) {
    return g.always ? !v[g.cond].is_true() : v[g.cond].is_true();
  }

  void prove(const ir::Guarantee& g, GuaranteeResults& out) {
    const ast::GuaranteeDecl* d = decl_of(g.name);
    Diagnostic diag;
    diag.span = d ? std::optional<ast::Span>(d->name_span) : std::nullopt;
    const z3::expr violated = g.always ? !enc_.is_true(g.cond) : enc_.is_true(g.cond);
    std::optional<Customer> w;
    const Verdict verdict = enc_.check(violated, w);
    if (verdict == Verdict::Unsat) {
      ++out.proven;
      return;
    }
    std::optional<std::vector<lint::ConcreteValue>> vals;
    if (verdict == Verdict::Sat && w) {
      vals = lint::evaluate(p_, *w);
      if (!broken(g, *vals)) vals.reset();
    }
    if (!vals) {
      ++out.undecided;
      diag.severity = Severity::Warning;
      diag.code = "RK0802";
      if (verdict == Verdict::Sat) {
        diag.message = fmt::format(
            "guarantee `{}` is undecided: the solver's counterexample did not hold when "
            "evaluated, so it is neither proven nor refuted",
            g.name);
        diag.help =
            "the proof treats arithmetic on decimals as any value; compare fields and constants "
            "directly where you can";
      } else {
        diag.message = fmt::format(
            "guarantee `{}` is undecided: the solver found neither a proof nor a counterexample "
            "within {} ms",
            g.name, opts_.timeout_ms);
        diag.help =
            "give it more time (`--guarantee-timeout-ms`), or split it into smaller guarantees";
      }
      out.diags.push_back(std::move(diag));
      return;
    }
    ++out.broken;
    Customer c = *w;
    smaller(g, c);
    const auto v = lint::evaluate(p_, c);
    diag.severity = Severity::Error;
    diag.code = "RK0801";
    const ast::File* f = d ? file_of(d->span.file) : nullptr;
    const std::string_view cond = f && d ? text(f->expr(d->cond).span) : std::string_view{};
    const bool quote =
        !cond.empty() && cond.size() <= kQuoteLimit && cond.find('\n') == std::string_view::npos;
    const std::string what = quote ? fmt::format("`{}`", cond) : "its condition";
    diag.message =
        g.always
            ? fmt::format("guarantee `{}` is broken: {} is not true for this customer", g.name,
                          what)
            : fmt::format("guarantee `{}` is broken: {} is true for this customer", g.name, what);
    diag.notes.push_back({"for example: " + example(g, c), std::nullopt});
    explain(g, v, diag.notes);
    diag.help =
        "change the rule that breaks it (above), or the guarantee if the promise is not meant";
    out.diags.push_back(std::move(diag));
  }

  // Leaves missing every value the counterexample does not need (still confirmed by evaluation).
  void smaller(const ir::Guarantee& g, Customer& c) const {
    const std::vector<bool> read = lint::fields_read(p_, {g.cond});
    for (size_t f = 0; f < read.size(); ++f) {
      if (!read[f] || !p_.schema.fields[f].nullable || !c.fields[f].present) continue;
      Customer t = c;
      t.fields[f] = lint::FieldValue{};
      if (broken(g, lint::evaluate(p_, t))) c = std::move(t);
    }
  }

  // The as-of date and the values the condition reads that are present (or cannot be missing).
  std::string example(const ir::Guarantee& g, const Customer& c) const {
    std::vector<bool> read = lint::fields_read(p_, {g.cond});
    bool missing = false;
    for (size_t f = 0; f < read.size(); ++f) {
      if (!read[f] || c.fields[f].present) continue;
      read[f] = false;
      missing = true;
    }
    std::string s = lint::describe(p_, c, read, true);
    if (missing) s += "; every other value it reads is missing";
    return s;
  }

  // What the sequences and review rules the condition reads decided for the customer.
  void explain(const ir::Guarantee& g, const std::vector<lint::ConcreteValue>& v,
               std::vector<DiagNote>& notes) const {
    std::vector<bool> reach(p_.nodes.size(), false);
    reach[g.cond] = true;
    for (size_t id = p_.nodes.size(); id-- > 0;)
      if (reach[id])
        for (uint32_t a : p_.nodes[id].args) reach[a] = true;
    for (const ir::Sequence& q : p_.layout.sequences) {
      const ir::SequenceResult& res = q.result;
      const bool reads = reach[res.status.node] || reach[res.touch.node] ||
                         reach[res.channel.node] || reach[res.offer.node] ||
                         (res.variant.node != ir::kNoNode && reach[res.variant.node]);
      if (reads) notes.push_back(sequence_note(q, v));
    }
    bool reviews = false;
    std::vector<std::string> fired;
    for (const auto& rv : p_.layout.reviews.rules) {
      if (reach[rv.value.node]) reviews = true;
      if (v[rv.value.node].is_true()) fired.push_back("`" + rv.name + "`");
    }
    if (reviews)
      notes.push_back({fired.empty()
                           ? std::string("no review rule fires")
                           : fmt::format("review rules that fire: {}", fmt::join(fired, ", ")),
                       std::nullopt});
  }

  DiagNote sequence_note(const ir::Sequence& q, const std::vector<lint::ConcreteValue>& v) const {
    const ir::SequenceResult& res = q.result;
    const ast::SequenceDecl* sd = sequence_decl(q.name);
    const auto& st = v[res.status.node];
    const auto& tv = v[res.touch.node];
    if (!tv.present || tv.i < 0 || static_cast<size_t>(tv.i) >= q.touches.size()) {
      const std::string status =
          st.present && st.i >= 0 && static_cast<size_t>(st.i) < q.statuses.size()
              ? q.statuses[static_cast<size_t>(st.i)].name
              : "missing";
      return {fmt::format("sequence `{}` has no touch due (status `{}`)", q.name, status),
              sd ? std::optional<ast::Span>(sd->name_span) : std::nullopt};
    }
    const auto ti = static_cast<size_t>(tv.i);
    const ir::Touch& t = q.touches[ti];
    std::optional<ast::Span> at;
    if (sd && ti < sd->touches.size()) at = sd->touches[ti].name_span;
    std::string variant;
    if (res.variant.node != ir::kNoNode) {
      const auto& vv = v[res.variant.node];
      if (vv.present && vv.i >= 0 && static_cast<size_t>(vv.i) < q.variant_names.size()) {
        const std::string& name = q.variant_names[static_cast<size_t>(vv.i)];
        variant = fmt::format(" (variant `{}`)", name);
        if (sd && ti < sd->touches.size())
          for (const auto& vd : sd->touches[ti].variants)
            if (vd.name == name) at = vd.name_span;
      }
    }
    auto name_of = [&](uint32_t node, auto names) -> std::string {
      const auto& x = v[node];
      if (!x.present || x.i < 0 || static_cast<size_t>(x.i) >= names.size()) return "";
      return names[static_cast<size_t>(x.i)];
    };
    std::vector<std::string> channels, offers;
    for (const auto& ch : q.channels) channels.push_back(ch.name);
    for (const auto& o : q.offers) offers.push_back(o.text);
    const std::string channel = name_of(res.channel.node, channels);
    const std::string offer = name_of(res.offer.node, offers);
    std::string msg = fmt::format("touch `{}`{} of sequence `{}` is due", t.name, variant, q.name);
    if (!channel.empty()) {
      msg += fmt::format(" via {}", channel);
      // The touch's own channel, when the customer got its fallback instead.
      const std::string own = t.channel < v.size() ? name_of(t.channel, channels) : "";
      if (!own.empty() && own != channel)
        msg += fmt::format(" (a fallback: its channel {} is not allowed)", own);
    }
    if (!offer.empty()) msg += offer == "none" ? ", no offer" : fmt::format(", offering {}", offer);
    return {std::move(msg), at};
  }

  const CompileResult& r_;
  const ir::Program& p_;
  const GuaranteeOptions& opts_;
  lint::Encoder enc_;
};

}  // namespace

const std::vector<GuaranteeCodeInfo>& guarantee_catalog() {
  return kCatalog;
}

GuaranteeResults prove_guarantees(const CompileResult& r, const GuaranteeOptions& opts) {
  if (!r.program || r.program->layout.guarantees.empty()) return {};
  try {
    return Prover(r, opts).run();
  } catch (const z3::exception& e) {
    GuaranteeResults out;
    Diagnostic d;
    d.severity = Severity::Warning;
    d.code = "RK0802";
    d.message = fmt::format("the guarantees are undecided: the solver failed ({})", e.msg());
    out.undecided = r.program->layout.guarantees.size();
    out.diags.push_back(std::move(d));
    return out;
  }
}

}  // namespace rk
