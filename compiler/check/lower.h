// Rekindle compiler: checking and lowering (internal to compiler/check). Two classes that call
// each other, because names are resolved to declarations lowered on first use:
//   - Exprs checks one expression at a time: what each name refers to (names.cpp), types and
//     units (types.cpp) and the kind's own rules and nodes (expr.cpp, one handler per kind), and
//     records the result in the side table (Context::table) and the source map.
//   - Lowering lowers each declaration on first use, with cycle detection: parameters
//     (params.cpp), lets, segment families, the candidate rule and the stop rules (rules.cpp),
//     sequences (sequence.cpp), and finally the whole program: reviews, the layout's result
//     values in kernel outputs, and the output contract's columns (outputs.cpp).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "compiler/check/context.h"
#include "compiler/check/source_map.h"
#include "compiler/check/symbols.h"

namespace rk::check {

class Lowering;

// The candidate closest to `name` by edit distance, "" when none is close.
std::string closest(std::string_view name, const std::vector<std::string>& candidates);

// A comparison as written, for the help of its messages: the file, both operands and the
// operator's text (`<=`, `is`; empty for the ends of a range).
struct Written {
  const ast::File* file = nullptr;
  ast::ExprId lhs = ast::kNoExpr;
  ast::ExprId rhs = ast::kNoExpr;
  std::string_view op;
  ast::Span whole{};  // the comparison's span
};

class Exprs {
 public:
  Exprs(Context& ctx, Symbols& sym, SourceMapBuilder& smap, Lowering& low);

  // Checks expression `id` of `f` (bare words resolved among the values of `expect`, if given),
  // records it in the side table and returns its type and node.
  Typed check_expr(const ast::File& f, ast::ExprId id, const Type* expect);
  // Same, for a condition: it must be yes/no.
  Typed check_cond(const ast::File& f, ast::ExprId id);
  // What `name` refers to: a value of `expect`, a let, a parameter, a field, a segment family,
  // `candidate` or `stopped` (names.cpp).
  Typed resolve_name(const ast::File& f, const std::string& name, const ast::Span& span,
                     const Type* expect);
  // Index of `name` among the values of an enumerated type, or -1.
  int value_index(const Type& t, const std::string& name);
  Typed unknown_value(const Type& t, const std::string& name, const ast::Span& span);
  // The Atom node of `a`, added to the program's atoms unless an equal one is there.
  uint32_t add_atom(ir::Atom a);
  // While a sequence's touches are checked, the offers they make are collected into it.
  void begin_offers(SeqEnt* seq, int index) {
    current_seq_ = seq;
    current_seq_index_ = index;
  }
  void end_offers() { begin_offers(nullptr, -1); }
  // The values of an enumerated type, in order (an enum's values, a family's labels, a
  // sequence's channels, offers, statuses, steps or variants); nullptr for other types.
  const std::vector<std::string>* values_of(const Type& t);

 private:
  void error(Code code, const ast::Span& span, std::string msg, std::string help = {}) {
    ctx_.error(code, span, std::move(msg), std::move(help));
  }

  // names.cpp
  std::string type_title(const Type& t);
  Typed enum_value(const Type& t, const std::string& name, const ast::Span& span);
  // types.cpp
  uint32_t to_float(const Typed& t);
  static void adopt_unit(Typed& lit, const Typed& other);
  std::string unit_hint(const Type& a, const Type& b);
  std::string comparison_help(const Typed& a, const Typed& b, const Written& w);
  bool comparable(Typed& a, Typed& b);
  Typed arith(ast::BinOp op, Typed a, Typed b, const ast::Span& span);
  Typed compare(ir::Op o, Typed a, Typed b, const ast::Span& span, bool ordered,
                const Written& w = {});
  // expr.cpp: `w` is the comparison, for the message when a quoted text meets an enum.
  Typed check_value(const ast::File& f, ast::ExprId id, const Typed& subject,
                    const Written& w = {});
  Typed membership(const Typed& subject, const std::vector<ast::SetItem>& items,
                   const ast::Span& span);
  uint64_t offer_kind_mask(int seq, const std::string& kind);
  Typed check_is(const ast::File& f, const ast::Is& is, const ast::Span& span);
  std::string offer_text(const ast::File& f, const ast::OfferLit& o);
  Typed check_offer(const ast::File& f, const ast::OfferLit& o, const ast::Span& span);

  // One handler per expression kind: an explicit specialization each, in expr.cpp (Name and
  // Member in names.cpp); check_expr dispatches on the kind. A kind without one fails to compile.
  template <typename Kind>
  Typed check_kind(const ast::File&, const Kind&, const ast::Span&, const Type*) {
    static_assert(ast::kUnhandled<Kind>, "an expression kind without its check_kind handler");
    return {};
  }

  Context& ctx_;
  Symbols& sym_;
  SourceMapBuilder& smap_;
  Lowering& low_;
  ir::NodeBuilder& nb_;
  ir::Program& program_;
  std::map<std::string, LetEnt>& lets_;
  std::map<std::string, ParamEnt>& params_;
  std::vector<FamilyEnt>& families_;
  std::unordered_map<std::string, size_t>& family_index_;
  std::vector<SeqEnt>& seqs_;
  std::unordered_map<std::string, size_t>& seq_index_;
  SeqEnt* current_seq_ = nullptr;
  int current_seq_index_ = -1;
  int depth_ = 0;
  bool depth_reported_ = false;
  std::set<std::string> unknown_reported_;  // each unknown name is reported at its first use
};

class Lowering {
 public:
  Lowering(Context& ctx, Symbols& sym, SourceMapBuilder& smap);

  // params.cpp: `--param name=value`, parsed by the parameter's type.
  void apply_param_overrides();
  // outputs.cpp: everything, then the reviews, outputs, layout results and result columns.
  void lower_all();

  // Each declaration, lowered on first use (`use`: where it is used, for cycle messages).
  Typed lower_param(ParamEnt& p);
  Typed lower_let(LetEnt& e, const ast::Span& use);
  Typed lower_family(size_t index, const ast::Span& use);
  // scores.cpp
  Typed lower_score(size_t index, const ast::Span& use);
  Typed lower_candidate(const ast::Span& use);
  // Every stop rule; value = the index of the first that fires (missing when none did).
  Typed lower_stops(const ast::Span& use);
  uint32_t stopped_node(const ast::Span& use);
  // outputs.cpp: every review rule (fail closed, for customers with a touch due); value:
  // `reviewed`, true when any review rule fires for the customer.
  Typed lower_reviews(const ast::Span& use);
  Typed lower_sequence(size_t index, const ast::Span& use);
  // Whether a customer enters sequence `index` (Bool): `enter when`, or the candidates.
  Typed lower_entry(size_t index, const ast::Span& use);

 private:
  void error(Code code, const ast::Span& span, std::string msg, std::string help = {}) {
    ctx_.error(code, span, std::move(msg), std::move(help));
  }
  void error_note(Code code, const ast::Span& span, std::string msg, const ast::Span& at,
                  std::string note) {
    ctx_.error_note(code, span, std::move(msg), at, std::move(note));
  }

  // rules.cpp: the declarations being lowered, innermost last, for cycle detection.
  struct CycleGuard {
    Lowering& l;
    CycleGuard(Lowering& lowering, std::string name, ast::Span span) : l(lowering) {
      l.stack_.push_back({std::move(name), span});
    }
    ~CycleGuard() { l.stack_.pop_back(); }
  };
  bool enter(Entity& e, const std::string& name, const ast::Span& use);

  // sequence.cpp: variants and their pausing (--experiments).
  void lower_variants(int si, const ast::TouchDecl& t, ir::Touch& lt,
                      const std::function<uint32_t(ast::ExprId)>& lower_offer);
  bool pause_variant(const std::string& full_name);
  void paused_everything(const std::string& touch, const ast::Span& touch_span);
  void check_experiments();  // every paused entry names a variant
  // `progress FIELD on DATE` with FIELD an enum of the touch names (`t`): the last touch's number
  // (a missing value: 0, none sent yet), or nullopt after an error (a value that names no touch,
  // a touch that is no value).
  std::optional<uint32_t> progress_by_name(const ast::SequenceDecl& d, const Typed& t);
  // messages.cpp: the subject and body of touch `t` (and of each of its variants) into `lt`;
  // `templated`: the sequence has templates, so every customer who can get the touch needs both.
  void lower_messages(const ast::SequenceDecl& d, const ast::TouchDecl& t, ir::Touch& lt,
                      bool templated);
  bool lower_message_text(const ast::MessageText& m, ir::MessageText& out);
  // The index in shown_lets_ of let `name` (value `v`), added on first use.
  uint32_t show_let(const std::string& name, const Typed& v);
  // Why let `name`'s value (node `node`) can be missing ("the let `x` reads the optional field
  // `y`"), or "" when it cannot; then `help` says what to write.
  std::string let_missing(const std::string& name, uint32_t node, std::string& help);
  ast::Span experiments_span(size_t entry);

  // delivery.cpp: a channel's send time (checked once per declaration: nullopt when it has
  // none or it is malformed), the customers' zone for send times (reported once when missing or
  // wrong: nullptr), and the owner column's layout.
  std::optional<ir::SendsAt> send_window(const ast::ChannelDecl& c);
  const ir::LocalTime* local_time(const ast::Span& use);
  void lower_owner(uint32_t reviewed);

  // outputs.cpp
  void add_output(const std::string& name, uint32_t node,
                  ir::OutputWidth width = ir::OutputWidth::Code);
  uint32_t last_output() const { return static_cast<uint32_t>(program_.outputs.size() - 1); }
  // The events' `would_be` of a sequence with a holdout (outputs.cpp).
  void add_would_be(ir::Sequence& seq);
  std::optional<ast::Span> column_decl(const ir::ResultColumn& c) const;
  void check_column_names();

  Context& ctx_;
  Symbols& sym_;
  SourceMapBuilder& smap_;
  Exprs ex_;
  ir::NodeBuilder& nb_;
  ir::Program& program_;
  std::map<std::string, ParamEnt>& params_;
  std::map<std::string, LetEnt>& lets_;
  std::vector<FamilyEnt>& families_;
  std::vector<RuleEnt>& stops_;
  std::vector<RuleEnt>& reviews_;
  std::vector<SeqEnt>& seqs_;
  std::vector<std::pair<std::string, ast::Span>> stack_;
  std::set<std::string> cycles_reported_;              // each cycle is reported once
  std::set<uint32_t> cycle_use_reported_;              // ... and once per place
  std::unordered_map<uint32_t, uint32_t> atom_nodes_;  // a variant's atom index -> its Atom node
  std::vector<bool> paused_used_;                      // by --experiments entry: it named a variant
  std::vector<std::string> variant_full_names_;        // SEQUENCE.TOUCH.VARIANT, for "did you mean"
  std::optional<uint32_t> experiments_file_;           // the --experiments file in the sources
  std::map<const ast::ChannelDecl*, std::optional<ir::SendsAt>> windows_;  // send_window's
  std::vector<ir::ShownLet> shown_lets_;  // the lets templates show (ir::Layout::lets)
  std::unordered_map<std::string, uint32_t> shown_let_index_;
  bool local_time_done_ = false;
  std::optional<ir::LocalTime> local_time_;
};

}  // namespace rk::check
