// Rekindle compiler: symbols. Declares every declaration of the rule files in its namespace
// (see symbols.h), in file order: a name declared twice, a name that is a schema field or a
// built-in, a second `candidate`, a stop rule without a reason, and too many declarations are
// reported here; nothing is checked or lowered yet.
#include "compiler/check/symbols.h"

#include <fmt/format.h>

#include <type_traits>
#include <variant>

namespace rk::check {
namespace {

class Declarer {
 public:
  Declarer(Context& ctx, Symbols& sym)
      : ctx_(ctx),
        program_(ctx.program),
        rule_files_(ctx.files.rules),
        names_(sym.names),
        rule_names_(sym.rule_names),
        params_(sym.params),
        param_order_(sym.param_order),
        lets_(sym.lets),
        families_(sym.families),
        family_index_(sym.family_index),
        scores_(sym.scores),
        score_index_(sym.score_index),
        candidate_decl_(sym.candidate_decl),
        candidate_file_(sym.candidate_file),
        stops_(sym.stops),
        reviews_(sym.reviews),
        seqs_(sym.seqs),
        seq_index_(sym.seq_index),
        sym_(sym) {}

  // A declaration that a file may have at most once (`local time`, `owner`): the first is kept,
  // a second is RK0202 pointing at the first.
  template <typename D>
  void declare_once(TopClause<D>& slot, const ast::File* f, const D& d, std::string_view what) {
    if (slot.decl)
      error_note(Code::DeclaredTwice, d.span, fmt::format("{} is declared twice", what),
                 slot.decl->span, "first declared here");
    else
      slot = {f, &d};
  }

  void declare(const std::string& name, const ast::Span& span) {
    if (program_.schema.find(name) >= 0) {
      error(Code::DeclaredTwice, span,
            fmt::format("`{}` is already a field of the schema; choose another name", name));
      return;
    }
    if (auto it = names_.find(name); it != names_.end()) {
      error_note(Code::DeclaredTwice, span, fmt::format("`{}` is declared twice", name), it->second,
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
          error(Code::Limit, file_span(f->file_index),
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
              } else if constexpr (std::is_same_v<D, ast::ScoreDecl>) {
                declare(d.name, d.name_span);
                ScoreEnt e;
                e.file = f;
                e.decl = &d;
                score_index_.emplace(d.name, scores_.size());
                scores_.push_back(std::move(e));
              } else if constexpr (std::is_same_v<D, ast::ChannelDecl>) {
                sym_.channels.push_back({f, &d});
              } else if constexpr (std::is_same_v<D, ast::FallbackDecl>) {
                sym_.fallbacks.push_back({f, &d});
              } else if constexpr (std::is_same_v<D, ast::CapDecl>) {
                sym_.caps.push_back({f, &d});
              } else if constexpr (std::is_same_v<D, ast::LocalTimeDecl>) {
                declare_once(sym_.local_time, f, d, "`local time`");
              } else if constexpr (std::is_same_v<D, ast::OwnerDecl>) {
                declare_once(sym_.owner, f, d, "`owner`");
              } else if constexpr (std::is_same_v<D, ast::GuaranteeDecl>) {
                // Guarantee names are only shown (never read by conditions): a namespace of
                // their own, like stop and review rules.
                if (auto it = sym_.guarantee_names.find(d.name); it != sym_.guarantee_names.end())
                  error_note(Code::DeclaredTwice, d.name_span,
                             fmt::format("guarantee `{}` is declared twice", d.name), it->second,
                             "first declared here");
                else
                  sym_.guarantee_names.emplace(d.name, d.name_span);
                sym_.guarantees.push_back({f, &d});
              } else if constexpr (std::is_same_v<D, ast::CandidateDecl>) {
                if (candidate_decl_) {
                  error(Code::CandidateTwice, d.span, "`candidate` is declared twice");
                } else {
                  candidate_decl_ = &d;
                  candidate_file_ = f;
                }
              } else if constexpr (std::is_same_v<D, ast::RuleDecl>) {
                // Stop and review names live in their own namespace (they are output values,
                // never read by conditions), so `stop opted_out when opted_out` is fine.
                if (auto it = rule_names_.find(d.name); it != rule_names_.end())
                  error_note(Code::DeclaredTwice, d.name_span,
                             fmt::format("rule `{}` is declared twice", d.name), it->second,
                             "first declared here");
                else
                  rule_names_.emplace(d.name, d.name_span);
                if (top.rule_kind == ast::RuleKind::Stop) {
                  if (d.reason.empty())
                    error(Code::StopWithoutReason, d.name_span,
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
    for (const char* reserved : {"candidate", "stopped", "reviewed", "today"})
      if (auto it = names_.find(reserved); it != names_.end())
        error(Code::DeclaredTwice, it->second, fmt::format("`{}` is a built-in name", reserved));
  }

 private:
  void error(Code code, const ast::Span& span, std::string msg, std::string help = {}) {
    ctx_.error(code, span, std::move(msg), std::move(help));
  }
  void error_note(Code code, const ast::Span& span, std::string msg, const ast::Span& at,
                  std::string note) {
    ctx_.error_note(code, span, std::move(msg), at, std::move(note));
  }
  ast::Span file_span(uint32_t f) const { return ctx_.file_span(f); }

  Context& ctx_;
  const ir::Program& program_;
  const std::vector<const ast::File*>& rule_files_;
  std::unordered_map<std::string, ast::Span>& names_;
  std::unordered_map<std::string, ast::Span>& rule_names_;
  std::map<std::string, ParamEnt>& params_;
  std::vector<std::string>& param_order_;
  std::map<std::string, LetEnt>& lets_;
  std::vector<FamilyEnt>& families_;
  std::unordered_map<std::string, size_t>& family_index_;
  std::vector<ScoreEnt>& scores_;
  std::unordered_map<std::string, size_t>& score_index_;
  const ast::CandidateDecl*& candidate_decl_;
  const ast::File*& candidate_file_;
  std::vector<RuleEnt>& stops_;
  std::vector<RuleEnt>& reviews_;
  std::vector<SeqEnt>& seqs_;
  std::unordered_map<std::string, size_t>& seq_index_;
  Symbols& sym_;
};

}  // namespace

std::vector<std::string> Symbols::all_names(const Schema& schema) const {
  std::vector<std::string> out;
  for (const auto& [n, s] : names) out.push_back(n);
  for (const auto& f : schema.fields) out.push_back(f.name);
  out.push_back("candidate");
  out.push_back("stopped");
  out.push_back("reviewed");
  return out;
}

void declare_all(Context& ctx, Symbols& symbols) {
  Declarer(ctx, symbols).collect();
}

}  // namespace rk::check
