// Rekindle compiler: the checker's symbol table (internal to compiler/check). Every declaration
// of the rule files, by namespace: parameters, lets, segment families, scores and sequences share
// one (with the schema's fields beside it), stop and review rules have their own, and `candidate`
// is one. Each is an entity lowered on first use (its state guards against cycles) holding its
// typed value and what lowering learned (a family's labels, a sequence's channels, offers,
// statuses and layout).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "compiler/check/context.h"
#include "compiler/ir/layout.h"
#include "grammar/ast.h"

namespace rk::check {

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
  ir::Family layout;
};
struct ScoreEnt : Entity {
  const ast::ScoreDecl* decl = nullptr;
  ir::Score layout;
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
  std::vector<std::string> offer_amounts;
  std::vector<double> offer_values;  // the amount as a number (a discount as a fraction); 0: none
  std::vector<std::string> statuses;
  std::vector<std::string> steps;
  uint32_t status = 0, next = 0, channel = 0, offer = 0, touch = 0, is_due = 0;
  uint32_t variant = UINT32_MAX;           // Int: the due touch's variant; UINT32_MAX: none
  std::vector<std::string> variant_names;  // distinct, in order of first appearance
  Entity entry;  // `enter when` (or the candidates), lowered on first use: stops read it
  uint32_t enter_term = UINT32_MAX;  // the source map's term of `enter when`
  ir::Sequence layout;
  bool send_times = false;  // its channels have send times: a NAME_send_at result
};

// A top-level channel, fallback or cap and the file it is written in.
template <typename D>
struct TopClause {
  const ast::File* file = nullptr;
  const D* decl = nullptr;
};

struct Symbols {
  std::unordered_map<std::string, ast::Span> names;       // lets, parameters, segments, sequences
  std::unordered_map<std::string, ast::Span> rule_names;  // stop and review rules
  std::map<std::string, ParamEnt> params;
  std::vector<std::string> param_order;
  std::map<std::string, LetEnt> lets;
  std::vector<FamilyEnt> families;
  std::unordered_map<std::string, size_t> family_index;
  std::vector<ScoreEnt> scores;
  std::unordered_map<std::string, size_t> score_index;
  const ast::CandidateDecl* candidate_decl = nullptr;
  const ast::File* candidate_file = nullptr;
  Entity candidate;
  std::vector<RuleEnt> stops;
  Entity stops_ent;
  std::vector<RuleEnt> reviews;
  // The review rules, lowered on first use (the results or `reviewed`); value: `reviewed`.
  Entity reviews_ent;
  std::vector<uint32_t> review_nodes, review_conds;  // per review rule (errors leave it out)
  uint32_t review_scope = 0;
  std::vector<SeqEnt> seqs;
  std::unordered_map<std::string, size_t> seq_index;
  // Top level: channels and fallbacks shared by every sequence that declares no channel, caps
  // that apply to every sequence.
  std::vector<TopClause<ast::ChannelDecl>> channels;
  std::vector<TopClause<ast::FallbackDecl>> fallbacks;
  std::vector<TopClause<ast::CapDecl>> caps;
  // `local time from FIELD ...` and `owner FIELD or "TEXT"` (at most one each; decl null: none).
  TopClause<ast::LocalTimeDecl> local_time;
  TopClause<ast::OwnerDecl> owner;
  // Guarantees, in the order written (their names are a namespace of their own).
  std::vector<TopClause<ast::GuaranteeDecl>> guarantees;
  std::unordered_map<std::string, ast::Span> guarantee_names;

  // Why a node can be missing, where its IR does not say it in words: a segment without
  // `otherwise`, a sequence's touch, channel, offer, variant, discount and credit. The words
  // follow "the let `x` " in RK0416 (messages.cpp): "reads `winback.channel`, missing unless ...".
  std::unordered_map<uint32_t, std::string> missing_why;

  // Every name an expression may read (for "did you mean").
  std::vector<std::string> all_names(const Schema& schema) const;
};

// Declares every declaration of the rule files (ctx.files.rules) in `symbols`, reporting names
// declared twice, taken from the schema or built in, and the limit on declarations.
void declare_all(Context& ctx, Symbols& symbols);

}  // namespace rk::check
