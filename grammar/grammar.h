// Rekindle grammar: the PEGTL rules of schema and rule files (tokens, expressions, declarations),
// built on the reserved words of names.h, and the messages raised at must<> points for precise
// syntax errors.
// Tokens consume their trailing whitespace and comments, so an error points at the next token.
// Actions that build the AST live in parser.cpp; this header only describes the language.
#pragma once

#include <tao/pegtl.hpp>
#include <tao/pegtl/contrib/analyze_traits.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/literal.h"
#include "grammar/ast.h"
#include "grammar/names.h"

namespace rk::grammar {

using namespace tao::pegtl;  // NOLINT: the grammar is written in PEGTL's vocabulary

// Thrown by hand-written rules and by parser actions; parse_file turns it into a Diagnostic.
struct SyntaxError {
  std::string code;  // RK01xx
  std::string message;
  size_t offset = 0;  // byte offset in the file
  size_t len = 1;
};

// ---- Lexical --------------------------------------------------------------------------------

struct comment : seq<one<'#'>, star<not_one<'\n'>>> {};
struct ws : star<sor<space, comment>> {};
template <typename R>
struct tok : seq<R, ws> {};

// An identifier that is not a reserved word.
struct name_raw {
  using rule_t = name_raw;
  using subs_t = empty_list;
  template <typename ParseInput>
  static bool match(ParseInput& in) {
    const size_t n = ident_length(in.current(), in.end());
    if (n == 0 || is_keyword(std::string_view(in.current(), n))) return false;
    in.bump(n);
    return true;
  }
};

// An offer word used as the name of a stop or review rule.
struct offer_word_name_raw {
  using rule_t = offer_word_name_raw;
  using subs_t = empty_list;
  template <typename ParseInput>
  static bool match(ParseInput& in) {
    const size_t n = ident_length(in.current(), in.end());
    if (n == 0 || !is_offer_word(std::string_view(in.current(), n))) return false;
    in.bump(n);
    return true;
  }
};

// An identifier that is a reserved word (used only in look-ahead).
struct keyword_word {
  using rule_t = keyword_word;
  using subs_t = empty_list;
  template <typename ParseInput>
  static bool match(ParseInput& in) {
    const size_t n = ident_length(in.current(), in.end());
    if (n == 0 || !is_keyword(std::string_view(in.current(), n))) return false;
    in.bump(n);
    return true;
  }
};

// Where a name is required: a reserved word there is error RK0108; anything else fails.
struct reserved_as_name {
  using rule_t = reserved_as_name;
  using subs_t = empty_list;
  template <typename ParseInput>
  static bool match(ParseInput& in) {
    const size_t n = ident_length(in.current(), in.end());
    const std::string_view word(in.current(), n);
    if (n == 0 || !is_keyword(word)) return false;
    throw SyntaxError{"RK0108",
                      "`" + std::string(word) + "` is a keyword and cannot be used as a name",
                      static_cast<size_t>(in.current() - in.begin()), n};
  }
};

// A "double-quoted string" on one line; \" and \\ are its only escapes (base/literal.h): RK0101
// for another escape, RK0102 when unterminated.
struct string_raw {
  using rule_t = string_raw;
  using subs_t = empty_list;
  template <typename ParseInput>
  static bool match(ParseInput& in) {
    return match_string_literal<SyntaxError>(in, "RK0101", "RK0102");
  }
};

// Keywords: the word not followed by an identifier character, one struct k_WORD per word of
// names.h (RK_RESERVED_WORDS and RK_CONTEXTUAL_WORDS: the one list).
#define RK_KEYWORD(id) \
  struct k_##id : TAO_PEGTL_KEYWORD(#id) {};
RK_RESERVED_WORDS(RK_KEYWORD)
RK_CONTEXTUAL_WORDS(RK_KEYWORD)
#undef RK_KEYWORD

// ---- Names ----------------------------------------------------------------------------------

struct decl_name_raw : name_raw {};  // pushed on the name stack
struct ref_name_raw : name_raw {};   // a Name expression
struct member_raw : identifier {};   // after `.`: any word, keywords included (`winback.offer`)
// A declared name (segment, rule, field, channel, ...): a keyword here is RK0108.
struct name_slot : sor<tok<decl_name_raw>, reserved_as_name> {};

// ---- Literals -------------------------------------------------------------------------------

struct digits : plus<digit> {};
struct decimal : seq<digits, opt<one<'.'>, digits>> {};
struct money_digits : decimal {};
// Letters or digits running on from a number (`1e300`, `5x`, `$5k`): part of the literal, so the
// parser reports it (RK0109) instead of reading a number followed by a name.
struct number_junk : plus<identifier_other> {};
struct money_num : seq<one<'$'>, must<money_digits>, opt<number_junk>> {};
struct day_unit : sor<k_days, k_day, k_weeks, k_week> {};
struct plain_num : seq<decimal, opt<sor<one<'%'>, seq<ws, day_unit>>>, opt<number_junk>> {};
struct number_lit : sor<money_num, plain_num> {};
struct date_lit : seq<rep<4, digit>, one<'-'>, rep<2, digit>, one<'-'>, rep<2, digit>,
                      not_at<identifier_other>> {};
struct string_lit : string_raw {};

// Sets `{a, b, "c d"}` (at least one item; a trailing comma is allowed).
struct set_word : identifier {};
struct set_string : string_raw {};
struct set_item : sor<tok<set_string>, tok<set_word>> {};
struct set_open : tok<one<'{'>> {};
struct set_first : set_item {};
struct set_close : tok<one<'}'>> {};
struct item_set : seq<set_open, must<set_first>, star<tok<one<','>>, set_item>, opt<tok<one<','>>>,
                      must<set_close>> {};

// ---- Expressions ----------------------------------------------------------------------------

// Rules deriving from nest_tag count toward rk::kMaxNesting (checked by the parser's control).
struct nest_tag {};
template <typename R>
struct nested : seq<R>, nest_tag {};

struct expression;
struct postfix;
struct unary;
struct not_expr;
struct additive;
struct multiplicative;
struct and_expr;

struct paren_inner : nested<expression> {};
struct paren_close : tok<one<')'>> {};
struct paren : seq<tok<one<'('>>, must<paren_inner>, must<paren_close>> {};

struct true_lit : k_true {};
struct false_lit : k_false {};
struct today_lit : k_today {};
struct candidate_ref : k_candidate {};  // `candidate` reads as a name inside expressions

struct days_dir : tok<sor<k_since, k_until>> {};
struct days_operand : nested<postfix> {};
struct days_since : seq<tok<k_days>, must<days_dir>, must<days_operand>> {};

template <ast::OfferKind K, typename Kw>
struct offer_word : tok<Kw> {};
template <ast::OfferKind K, typename Kw>
struct offer_amount : seq<tok<Kw>, opt<tok<number_lit>>> {};
struct offer_lit : sor<offer_word<ast::OfferKind::None, k_none>,
                       offer_word<ast::OfferKind::EarlyAccess, k_early_access>,
                       offer_amount<ast::OfferKind::Credit, k_credit>,
                       offer_amount<ast::OfferKind::Points, k_points>,
                       offer_amount<ast::OfferKind::Discount, k_discount>> {};

struct primary
    : sor<paren, tok<date_lit>, tok<number_lit>, tok<string_lit>, tok<true_lit>, tok<false_lit>,
          tok<today_lit>, days_since, offer_lit, tok<candidate_ref>, tok<ref_name_raw>> {};

struct member_name : tok<member_raw> {};
struct member_tail : seq<tok<one<'.'>>, must<member_name>> {};
struct postfix : seq<primary, star<member_tail>> {};

struct neg_operand : nested<unary> {};
struct neg : seq<tok<one<'-'>>, must<neg_operand>> {};
struct unary : sor<neg, postfix> {};

// Binary operator tokens; the action pushes the operator and its span.
template <typename R, ast::BinOp Op>
struct op_tok : tok<R> {};

struct mul_rhs : unary {};
struct mul_tail : seq<sor<op_tok<one<'*'>, ast::BinOp::Mul>, op_tok<one<'/'>, ast::BinOp::Div>>,
                      must<mul_rhs>> {};
struct multiplicative : seq<unary, star<mul_tail>> {};

struct add_rhs : multiplicative {};
// `- 10 points` starts the next line of a score, not a subtraction (`x - 10 points` could be
// nothing else: a number followed by `points` is no expression).
struct score_line_minus : seq<one<'-'>, ws, decimal, ws, sor<k_points, k_point>> {};
struct add_tail : seq<sor<op_tok<one<'+'>, ast::BinOp::Add>,
                          seq<not_at<score_line_minus>, op_tok<one<'-'>, ast::BinOp::Sub>>>,
                      must<add_rhs>> {};
struct additive : seq<multiplicative, star<add_tail>> {};

// Comparisons and tests (at most one per comparison; non-associative).
struct cmp_rhs : additive {};
struct sym_op
    : sor<op_tok<string<'!', '='>, ast::BinOp::Ne>, op_tok<string<'<', '='>, ast::BinOp::Le>,
          op_tok<string<'>', '='>, ast::BinOp::Ge>, op_tok<one<'='>, ast::BinOp::Eq>,
          op_tok<one<'<'>, ast::BinOp::Lt>, op_tok<one<'>'>, ast::BinOp::Gt>> {};
struct sym_cmp : seq<sym_op, must<cmp_rhs>> {};

struct at_which : sor<tok<k_least>, tok<k_most>> {};
struct at_op : seq<tok<k_at>, must<at_which>> {};  // action: Ge or Le
struct word_op : sor<at_op, op_tok<k_above, ast::BinOp::Gt>, op_tok<k_below, ast::BinOp::Lt>,
                     op_tok<k_under, ast::BinOp::Lt>> {};
struct word_cmp : seq<word_op, must<cmp_rhs>> {};

struct one_of_of : tok<k_of> {};
struct one_of_set : item_set {};
template <bool Neg>
struct is_one_of : seq<tok<k_one>, must<one_of_of>, must<one_of_set>> {};
template <bool Neg>
struct is_missing : tok<k_missing> {};
template <bool Neg>
struct is_present : tok<k_present> {};
template <bool Neg>
struct is_value : additive {};
struct is_not_rest : sor<is_one_of<true>, is_missing<true>, is_present<true>, is_value<true>> {};
struct is_not_tail : seq<tok<k_is>, tok<k_not>, must<is_not_rest>> {};
struct is_rest
    : sor<is_one_of<false>, is_missing<false>, is_present<false>, word_cmp, is_value<false>> {};
struct is_tail : seq<tok<k_is>, must<is_rest>> {};

struct range_to : tok<k_to> {};
struct range_hi : additive {};
template <bool Neg>
struct in_set : item_set {};
template <bool Neg>
struct in_range : seq<additive, must<range_to>, must<range_hi>> {};
template <bool Neg>
struct in_rest : sor<in_set<Neg>, in_range<Neg>> {};
struct in_tail : seq<tok<k_in>, must<in_rest<false>>> {};
struct not_in_tail : seq<tok<k_not>, tok<k_in>, must<in_rest<true>>> {};

struct has_kw : tok<k_has> {};
struct has_of : tok<k_of> {};
struct has_set : item_set {};
template <ast::HasKind K, typename Kw>
struct has_quant : seq<tok<Kw>, must<has_of>, must<has_set>> {};
struct has_item : set_item {};
struct has_rest : sor<has_quant<ast::HasKind::Any, k_any>, has_quant<ast::HasKind::All, k_all>,
                      has_quant<ast::HasKind::None, k_none>, has_item> {};
struct has_tail : seq<has_kw, must<has_rest>> {};

struct cmp_tail : sor<sym_cmp, is_not_tail, is_tail, word_cmp, in_tail, not_in_tail, has_tail> {};
// A second comparison right after the first (`2 < x < 10`) is an error, not two statements.
struct chain_start : sor<one<'<', '>', '='>, string<'!', '='>, k_is, k_at, k_above, k_below,
                         k_under, k_in, k_has, seq<k_not, ws, k_in>> {};
struct no_chained_comparison : not_at<chain_start> {};
struct comparison : seq<additive, opt<cmp_tail, must<no_chained_comparison>>> {};

struct not_operand : nested<not_expr> {};
struct not_prefix : seq<tok<k_not>, must<not_operand>> {};
struct not_expr : sor<not_prefix, comparison> {};

struct and_rhs : not_expr {};
struct and_tail : seq<op_tok<k_and, ast::BinOp::And>, must<and_rhs>> {};
struct and_expr : seq<not_expr, star<and_tail>> {};

struct or_rhs : and_expr {};
struct or_tail : seq<op_tok<k_or, ast::BinOp::Or>, must<or_rhs>> {};
struct or_expr : seq<and_expr, star<or_tail>> {};

struct if_cond : nested<expression> {};
struct if_then : tok<k_then> {};
struct if_then_expr : nested<expression> {};
struct if_else : tok<k_else> {};
struct if_else_expr : nested<expression> {};
struct if_expr : seq<tok<k_if>, must<if_cond>, must<if_then>, must<if_then_expr>, must<if_else>,
                     must<if_else_expr>> {};

struct expression : sor<if_expr, or_expr> {};

// ---- Schema files ---------------------------------------------------------------------------

template <ast::TypeKind K, typename Kw>
struct simple_type : tok<Kw> {};
struct enum_set : item_set {};
struct type_enum : seq<tok<k_enum>, must<enum_set>> {};
struct list_of : tok<k_of> {};
struct list_string : tok<k_string> {};
struct type_list : seq<tok<k_list>, must<list_of>, must<list_string>> {};
struct field_type
    : sor<simple_type<ast::TypeKind::Bool, k_bool>, simple_type<ast::TypeKind::Int, k_int>,
          simple_type<ast::TypeKind::Number, k_number>, simple_type<ast::TypeKind::Money, k_money>,
          simple_type<ast::TypeKind::Percent, k_percent>, simple_type<ast::TypeKind::Date, k_date>,
          simple_type<ast::TypeKind::String, k_string>,
          simple_type<ast::TypeKind::TimeZone, k_time_zone>, type_enum, type_list> {};
struct field_name : name_slot {};
struct field_colon : tok<one<':'>> {};
struct nullable_mark : tok<one<'?'>> {};
struct key_mark : tok<k_key> {};
// The values a field may hold: `0 to 10`, `>= 0`, `> $0`, `<= 100%`, `< 2030-01-01` (literal
// bounds, a leading `-` allowed).
struct range_value : sor<tok<date_lit>, tok<number_lit>> {};
struct range_neg_value : range_value {};
struct range_neg : seq<tok<one<'-'>>, must<range_neg_value>> {};
struct range_bound : sor<range_neg, range_value> {};
struct range_upper : range_bound {};
struct field_range_to : tok<k_to> {};
struct field_range_span : seq<range_bound, must<field_range_to>, must<range_upper>> {};
template <bool Lower, bool Inclusive>
struct range_op;
template <>
struct range_op<true, true> : tok<string<'>', '='>> {};
template <>
struct range_op<false, true> : tok<string<'<', '='>> {};
template <>
struct range_op<true, false> : tok<one<'>'>> {};
template <>
struct range_op<false, false> : tok<one<'<'>> {};
struct range_cmp_bound : range_bound {};
struct field_range_cmp : seq<sor<range_op<true, true>, range_op<false, true>, range_op<true, false>,
                                 range_op<false, false>>,
                             must<range_cmp_bound>> {};
struct field_range : sor<field_range_cmp, field_range_span> {};
struct field_decl : seq<tok<k_field>, must<field_name>, must<field_colon>, must<field_type>,
                        opt<nullable_mark>, opt<field_range>, opt<key_mark>> {};
struct schema_name : name_slot {};
struct schema_head : seq<tok<k_schema>, must<schema_name>> {};
struct schema_end : eof {};
struct schema_file : seq<schema_head, star<field_decl>, must<schema_end>> {};

// ---- Rule files -----------------------------------------------------------------------------

struct import_path_raw : string_raw {};
struct import_path : tok<import_path_raw> {};
struct import_decl : seq<tok<k_import>, must<import_path>> {};

struct param_name : name_slot {};
struct param_eq : tok<one<'='>> {};
struct param_value : expression {};
struct parameter_decl : seq<tok<k_parameter>, must<param_name>, must<param_eq>, must<param_value>> {
};

struct let_name : name_slot {};
struct let_eq : tok<one<'='>> {};
struct let_value : expression {};
struct let_decl : seq<tok<k_let>, must<let_name>, must<let_eq>, must<let_value>> {};

struct segment_name : name_slot {};
struct segment_open : tok<one<'{'>> {};
struct segment_close : tok<one<'}'>> {};
struct otherwise_name : name_slot {};
struct label_otherwise : seq<tok<k_otherwise>, must<otherwise_name>> {};
struct label_name : sor<tok<decl_name_raw>, seq<at<keyword_word, ws, k_when>, reserved_as_name>> {};
struct label_when : tok<k_when> {};
struct label_cond : expression {};
struct label_rule : seq<label_name, must<label_when>, must<label_cond>> {};
struct segment_decl : seq<tok<k_segment>, must<segment_name>, must<segment_open>,
                          star<sor<label_otherwise, label_rule>>, must<segment_close>> {};

struct candidate_when : tok<k_when> {};
struct candidate_cond : expression {};
struct candidate_decl : seq<tok<k_candidate>, must<candidate_when>, must<candidate_cond>> {};

struct reason_raw : string_raw {};
struct reason : tok<reason_raw> {};
struct because_clause : seq<tok<k_because>, must<reason>> {};
template <ast::RuleKind K>
struct rule_name : sor<tok<decl_name_raw>, tok<offer_word_name_raw>, reserved_as_name> {};
template <ast::RuleKind K>
struct rule_when : tok<k_when> {};
struct rule_cond : expression {};
template <ast::RuleKind K, typename Kw>
struct rule_decl
    : seq<tok<Kw>, must<rule_name<K>>, must<rule_when<K>>, must<rule_cond>, opt<because_clause>> {};
using stop_decl = rule_decl<ast::RuleKind::Stop, k_stop>;
using review_decl = rule_decl<ast::RuleKind::Review, k_review>;

// Sequence clauses.
struct enter_when : tok<k_when> {};
struct enter_cond : expression {};
struct enter_clause : seq<tok<k_enter>, must<enter_when>, must<enter_cond>> {};
struct progress_field : name_slot {};
struct progress_on : tok<k_on> {};
struct progress_date : name_slot {};
struct progress_clause
    : seq<tok<k_progress>, must<progress_field>, must<progress_on>, must<progress_date>> {};
struct wait_value : expression {};
struct wait_clause : seq<tok<k_wait>, must<wait_value>> {};
struct holdout_share : expression {};
struct holdout_salt : tok<k_salt> {};
struct salt_raw : string_raw {};
struct salt_string : tok<salt_raw> {};
struct holdout_clause
    : seq<tok<k_holdout>, must<holdout_share>, must<holdout_salt>, must<salt_string>> {};
struct exit_name : name_slot {};
struct exit_when : tok<k_when> {};
struct exit_cond : expression {};
struct exit_clause : seq<tok<k_exit>, must<exit_name>, must<exit_when>, must<exit_cond>> {};
struct channel_name : name_slot {};
struct requires_cond : expression {};
struct requires_part : seq<tok<k_requires>, must<requires_cond>> {};
// A channel's local send time: `sends at 09:00` (24-hour HH:MM), `except saturday and sunday`
// (weekdays joined by `,` or `and`); after `requires` a `,` may separate them.
struct clock_raw : seq<digit, digit, one<':'>, digit, digit> {};
struct send_clock : tok<clock_raw> {};
struct sends_at_kw : tok<k_at> {};
struct weekday_raw : identifier {};
struct weekday : tok<weekday_raw> {};
struct weekday_sep : sor<tok<one<','>>, tok<k_and>> {};
struct except_days : seq<tok<k_except>, must<weekday>, star<weekday_sep, must<weekday>>> {};
struct sends_part
    : seq<opt<tok<one<','>>>, tok<k_sends>, must<sends_at_kw>, must<send_clock>, opt<except_days>> {
};
struct channel_clause
    : seq<tok<k_channel>, must<channel_name>, opt<requires_part>, opt<sends_part>> {};
struct fallback_from : name_slot {};
struct fallback_to_kw : tok<k_to> {};
struct fallback_to : name_slot {};
struct fallback_clause
    : seq<tok<k_fallback>, must<fallback_from>, must<fallback_to_kw>, must<fallback_to>> {};
struct touch_name : name_slot {};
struct touch_via : tok<k_via> {};
struct touch_channel : expression {};
struct offer_value : expression {};
struct offer_part : seq<tok<k_offer>, must<offer_value>> {};
struct only_when : tok<k_when> {};
struct only_cond : expression {};
struct only_part : seq<tok<k_only>, must<only_when>, must<only_cond>> {};
struct touch_options : opt<sor<seq<offer_part, opt<only_part>>, seq<only_part, opt<offer_part>>>> {
};
// `variant NAME SHARE% [{ offer OFFER }]` inside a touch's `{ ... }`: a share of the touch's
// customers (whole percents, consecutive bucket ranges in the order written); an offer word may
// name a variant (`variant credit 20% { offer credit 25 }`).
struct variant_name : sor<tok<decl_name_raw>, tok<offer_word_name_raw>, reserved_as_name> {};
struct variant_share_raw : seq<decimal, one<'%'>> {};
struct variant_share : tok<variant_share_raw> {};
struct variant_offer_value : expression {};
struct variant_offer : seq<tok<k_offer>, must<variant_offer_value>> {};
// `subject "TEXT"` and `body "TEXT"` in a touch's or a variant's braces: the message's templates
// (compiler/ir/message_template.h), the subject first.
struct subject_raw : string_raw {};
struct subject_text : tok<subject_raw> {};
struct subject_clause : seq<tok<k_subject>, must<subject_text>> {};
struct body_raw : string_raw {};
struct body_text : tok<body_raw> {};
struct body_clause : seq<tok<k_body>, must<body_text>> {};
struct message_clauses : seq<opt<subject_clause>, opt<body_clause>> {};
struct touch_message : message_clauses {};
struct variant_close : tok<one<'}'>> {};
struct variant_body : seq<tok<one<'{'>>, opt<variant_offer>, message_clauses, must<variant_close>> {
};
struct variant_decl
    : seq<tok<k_variant>, must<variant_name>, must<variant_share>, opt<variant_body>> {};
struct touch_body_close : tok<one<'}'>> {};
struct touch_body : seq<tok<one<'{'>>, touch_message, star<variant_decl>, must<touch_body_close>> {
};
struct touch_clause : seq<tok<k_touch>, must<touch_name>, must<touch_via>, must<touch_channel>,
                          touch_options, opt<touch_body>> {};
// `cap NAME when COND` / `cap NAME: at most N message(s) per run`.
struct cap_name : name_slot {};
struct cap_when : tok<k_when> {};
struct cap_cond : expression {};
struct cap_limit_raw : digits {};
struct cap_limit : tok<cap_limit_raw> {};
struct cap_at_most : seq<tok<k_at>, tok<k_most>> {};
struct cap_messages : tok<sor<k_messages, k_message>> {};
struct cap_per_run : seq<tok<k_per>, tok<k_run>> {};
struct cap_count : seq<tok<one<':'>>, must<cap_at_most>, must<cap_limit>, must<cap_messages>,
                       must<cap_per_run>> {};
struct cap_body : sor<seq<cap_when, must<cap_cond>>, cap_count> {};
struct cap_clause : seq<tok<k_cap>, must<cap_name>, must<cap_body>> {};
struct sequence_clause
    : sor<enter_clause, progress_clause, wait_clause, holdout_clause, exit_clause, channel_clause,
          fallback_clause, touch_clause, cap_clause> {};
struct sequence_name : name_slot {};
struct sequence_open : tok<one<'{'>> {};
struct sequence_close : tok<one<'}'>> {};
struct sequence_decl : seq<tok<k_sequence>, must<sequence_name>, must<sequence_open>,
                           star<sequence_clause>, must<sequence_close>> {};

// `score NAME { N points when COND ... }` (`score` is contextual: a declaration that starts with
// it is a score; elsewhere it is a name).
struct score_name : name_slot {};
struct score_open : tok<one<'{'>> {};
struct score_close : tok<one<'}'>> {};
struct score_number : seq<opt<one<'-'>>, decimal, not_at<identifier_other>> {};
struct score_points_word : tok<sor<k_points, k_point>> {};
struct score_when : tok<k_when> {};
struct score_cond : expression {};
struct score_line
    : seq<tok<score_number>, must<score_points_word>, must<score_when>, must<score_cond>> {};
struct score_decl
    : seq<tok<k_score>, must<score_name>, must<score_open>, star<score_line>, must<score_close>> {};

// `guarantee NAME: never COND` / `guarantee NAME: always COND`: a promise over every customer
// and as-of date, proven by the solver (compiler/lint/guarantees.h).
struct guarantee_name : name_slot {};
struct guarantee_colon : tok<one<':'>> {};
struct guarantee_never : tok<k_never> {};
struct guarantee_always : tok<k_always> {};
struct guarantee_kind : sor<guarantee_never, guarantee_always> {};
struct guarantee_cond : expression {};
struct guarantee_decl : seq<tok<k_guarantee>, must<guarantee_name>, must<guarantee_colon>,
                            must<guarantee_kind>, must<guarantee_cond>> {};

// Top-level channels and fallbacks (shared by every sequence that declares no channel) and caps
// (every sequence).
struct top_channel_decl : seq<channel_clause> {};
struct top_fallback_decl : seq<fallback_clause> {};
struct top_cap_decl : seq<cap_clause> {};
// `local time from timezone, or "America/New_York" when missing`
struct local_time_kw : tok<k_time> {};
struct local_from_kw : tok<k_from> {};
struct local_field : name_slot {};
struct local_zone_raw : string_raw {};
struct local_zone : tok<local_zone_raw> {};
struct local_when_kw : tok<k_when> {};
struct local_missing_kw : tok<k_missing> {};
struct local_default : seq<opt<tok<one<','>>>, tok<k_or>, must<local_zone>, must<local_when_kw>,
                           must<local_missing_kw>> {};
struct local_time_decl : seq<tok<k_local>, must<local_time_kw>, must<local_from_kw>,
                             must<local_field>, opt<local_default>> {};
// `owner csm_owner or "marketing-ops"`, `owner "marketing-ops"`
struct owner_text_raw : string_raw {};
struct owner_text : tok<owner_text_raw> {};
struct owner_field : name_slot {};
struct owner_default : seq<tok<k_or>, must<owner_text>> {};
struct owner_text_alone : tok<owner_text_raw> {};
struct owner_source : sor<owner_text_alone, seq<owner_field, opt<owner_default>>> {};
struct owner_decl : seq<tok<k_owner>, must<owner_source>> {};

struct rules_decl : sor<import_decl, parameter_decl, let_decl, segment_decl, candidate_decl,
                        stop_decl, review_decl, sequence_decl, score_decl, top_channel_decl,
                        top_fallback_decl, top_cap_decl, local_time_decl, owner_decl,
                        guarantee_decl> {};
struct rules_end : eof {};
struct rules_file : seq<star<rules_decl>, must<rules_end>> {};

// The whole file (a UTF-8 byte order mark is skipped): a schema file starts with `schema`,
// anything else is a rule file.
struct bom : string<'\xEF', '\xBB', '\xBF'> {};
struct file : seq<opt<bom>, ws, sor<schema_file, rules_file>> {};

// ---- Syntax-error messages ------------------------------------------------------------------
// A message may start with "RKxxxx|" to choose its code; the default is RK0101. The parser adds
// ", found ..." describing the token at the error position.

template <typename>
inline constexpr const char* error_message = nullptr;

// clang-format off
template <> inline constexpr auto error_message<money_digits> = "expected digits after `$`";
template <> inline constexpr auto error_message<set_first> = "expected a word or a \"string\" after `{`";
template <> inline constexpr auto error_message<set_close> = "expected `,` or `}` in the set";
template <> inline constexpr auto error_message<paren_inner> = "expected an expression after `(`";
template <> inline constexpr auto error_message<paren_close> = "expected `)` to close the parenthesis";
template <> inline constexpr auto error_message<days_dir> = "expected `since` or `until` after `days`";
template <> inline constexpr auto error_message<days_operand> = "expected a date after `days since` / `days until`";
template <> inline constexpr auto error_message<member_name> = "expected a name after `.`";
template <> inline constexpr auto error_message<neg_operand> = "expected an expression after `-`";
template <> inline constexpr auto error_message<mul_rhs> = "expected an expression after the operator";
template <> inline constexpr auto error_message<add_rhs> = "expected an expression after the operator";
template <> inline constexpr auto error_message<cmp_rhs> = "expected a value to compare with";
template <> inline constexpr auto error_message<at_which> = "expected `least` or `most` after `at`";
template <> inline constexpr auto error_message<one_of_of> = "expected `of` after `is one`";
template <> inline constexpr auto error_message<one_of_set> = "expected a set `{...}` after `one of`";
template <> inline constexpr auto error_message<is_not_rest> = "expected `missing`, `present`, `one of {...}` or a value after `is not`";
template <> inline constexpr auto error_message<is_rest> = "expected `missing`, `present`, `one of {...}`, `not`, a comparison word or a value after `is`";
template <> inline constexpr auto error_message<range_to> = "expected `to` in the range (`in A to B`)";
template <> inline constexpr auto error_message<range_hi> = "expected the upper end of the range after `to`";
template <> inline constexpr auto error_message<in_rest<false>> = "expected a set `{...}` or a range `A to B` after `in`";
template <> inline constexpr auto error_message<in_rest<true>> = "expected a set `{...}` or a range `A to B` after `not in`";
template <> inline constexpr auto error_message<has_of> = "expected `of` (`has any of {...}`)";
template <> inline constexpr auto error_message<has_set> = "expected a set `{...}` after `of`";
template <> inline constexpr auto error_message<has_rest> = "expected `any of`, `all of`, `none of` or a value after `has`";
template <> inline constexpr auto error_message<no_chained_comparison> = "comparisons cannot be chained; join them with `and` (`a < b and b < c`)";
template <> inline constexpr auto error_message<not_operand> = "expected an expression after `not`";
template <> inline constexpr auto error_message<and_rhs> = "expected an expression after `and`";
template <> inline constexpr auto error_message<or_rhs> = "expected an expression after `or`";
template <> inline constexpr auto error_message<if_cond> = "expected a condition after `if`";
template <> inline constexpr auto error_message<if_then> = "expected `then` after the condition of `if`";
template <> inline constexpr auto error_message<if_then_expr> = "expected an expression after `then`";
template <> inline constexpr auto error_message<if_else> = "expected `else` (every `if` needs an `else`)";
template <> inline constexpr auto error_message<if_else_expr> = "expected an expression after `else`";
template <> inline constexpr auto error_message<enum_set> = "expected the values of the enum in braces, e.g. `enum {a, b}`";
template <> inline constexpr auto error_message<list_of> = "expected `of` after `list` (`list of string`)";
template <> inline constexpr auto error_message<list_string> = "expected `string` after `list of` (only lists of strings are supported)";
template <> inline constexpr auto error_message<field_type> = "expected a type (bool, int, number, money, percent, date, string, time_zone, enum {...}, list of string)";
template <> inline constexpr auto error_message<field_name> = "expected the field name after `field`";
template <> inline constexpr auto error_message<field_colon> = "expected `:` after the field name";
template <> inline constexpr auto error_message<range_neg_value> = "expected a number after `-`";
template <> inline constexpr auto error_message<field_range_to> = "expected `to` in the field's range (`0 to 10`)";
template <> inline constexpr auto error_message<range_upper> = "expected the upper end of the range after `to`";
template <> inline constexpr auto error_message<range_cmp_bound> = "expected a value after the comparison (`>= 0`)";
template <> inline constexpr auto error_message<schema_name> = "expected the schema name after `schema`";
template <> inline constexpr auto error_message<schema_end> = "RK0103|expected a field declaration (`field NAME: TYPE`)";
template <> inline constexpr auto error_message<import_path> = "expected a quoted path after `import`";
template <> inline constexpr auto error_message<param_name> = "expected the parameter name after `parameter`";
template <> inline constexpr auto error_message<param_eq> = "expected `=` after the parameter name";
template <> inline constexpr auto error_message<param_value> = "expected a value after `=`";
template <> inline constexpr auto error_message<let_name> = "expected a name after `let`";
template <> inline constexpr auto error_message<let_eq> = "expected `=` after the name of the `let`";
template <> inline constexpr auto error_message<let_value> = "expected an expression after `=`";
template <> inline constexpr auto error_message<segment_name> = "expected the segment name after `segment`";
template <> inline constexpr auto error_message<segment_open> = "expected `{` after the segment name";
template <> inline constexpr auto error_message<segment_close> = "expected a label (`NAME when CONDITION`), `otherwise NAME` or `}`";
template <> inline constexpr auto error_message<otherwise_name> = "expected a label name after `otherwise`";
template <> inline constexpr auto error_message<label_when> = "expected `when` after the label name";
template <> inline constexpr auto error_message<label_cond> = "expected a condition after `when`";
template <> inline constexpr auto error_message<candidate_when> = "expected `when` after `candidate`";
template <> inline constexpr auto error_message<candidate_cond> = "expected a condition after `when`";
template <> inline constexpr auto error_message<reason> = "expected a quoted reason after `because`";
template <> inline constexpr auto error_message<rule_name<ast::RuleKind::Stop>> = "expected the rule name after `stop`";
template <> inline constexpr auto error_message<rule_name<ast::RuleKind::Review>> = "expected the rule name after `review`";
template <> inline constexpr auto error_message<rule_when<ast::RuleKind::Stop>> = "expected `when` after the stop rule name";
template <> inline constexpr auto error_message<rule_when<ast::RuleKind::Review>> = "expected `when` after the review rule name";
template <> inline constexpr auto error_message<rule_cond> = "expected a condition after `when`";
template <> inline constexpr auto error_message<enter_when> = "expected `when` after `enter`";
template <> inline constexpr auto error_message<enter_cond> = "expected a condition after `when`";
template <> inline constexpr auto error_message<progress_field> = "expected the touch-number field after `progress`";
template <> inline constexpr auto error_message<progress_on> = "expected `on` after the touch-number field (`progress FIELD on DATE_FIELD`)";
template <> inline constexpr auto error_message<progress_date> = "expected the date field after `on`";
template <> inline constexpr auto error_message<wait_value> = "expected a duration after `wait`";
template <> inline constexpr auto error_message<holdout_share> = "expected a share after `holdout`, e.g. `5%`";
template <> inline constexpr auto error_message<holdout_salt> = "expected `salt \"...\"` after the holdout share";
template <> inline constexpr auto error_message<salt_string> = "expected a quoted salt after `salt`";
template <> inline constexpr auto error_message<exit_name> = "expected the exit name after `exit`";
template <> inline constexpr auto error_message<exit_when> = "expected `when` after the exit name";
template <> inline constexpr auto error_message<exit_cond> = "expected a condition after `when`";
template <> inline constexpr auto error_message<channel_name> = "expected the channel name after `channel`";
template <> inline constexpr auto error_message<requires_cond> = "expected a condition after `requires`";
template <> inline constexpr auto error_message<fallback_from> = "expected a channel name after `fallback`";
template <> inline constexpr auto error_message<fallback_to_kw> = "expected `to` after the channel name (`fallback FROM to TO`)";
template <> inline constexpr auto error_message<fallback_to> = "expected a channel name after `to`";
template <> inline constexpr auto error_message<touch_name> = "expected the touch name after `touch`";
template <> inline constexpr auto error_message<touch_via> = "expected `via` after the touch name";
template <> inline constexpr auto error_message<touch_channel> = "expected a channel after `via`";
template <> inline constexpr auto error_message<offer_value> = "expected an offer after `offer` (none, credit N, points N, early_access, discount N%)";
template <> inline constexpr auto error_message<only_when> = "expected `when` after `only`";
template <> inline constexpr auto error_message<only_cond> = "expected a condition after `only when`";
template <> inline constexpr auto error_message<sequence_name> = "expected the sequence name after `sequence`";
template <> inline constexpr auto error_message<sequence_open> = "expected `{` after the sequence name";
template <> inline constexpr auto error_message<sequence_close> = "expected a sequence clause (enter, progress, wait, holdout, exit, channel, fallback, touch, cap) or `}`";
template <> inline constexpr auto error_message<variant_name> = "expected the variant name after `variant`";
template <> inline constexpr auto error_message<variant_share> = "expected the variant's share after its name, a percent (`variant curiosity 50%`)";
template <> inline constexpr auto error_message<variant_offer_value> = "expected an offer after `offer`";
template <> inline constexpr auto error_message<variant_close> = "expected `offer OFFER`, `subject \"TEXT\"`, `body \"TEXT\"` (in this order) or `}` in the variant";
template <> inline constexpr auto error_message<touch_body_close> = "expected `subject \"TEXT\"`, `body \"TEXT\"` (in this order), a variant (`variant NAME SHARE% { ... }`) or `}`";
template <> inline constexpr auto error_message<subject_text> = "expected the subject's text after `subject`, a string (`subject \"Welcome back, {first_name|friend}!\"`)";
template <> inline constexpr auto error_message<body_text> = "expected the body's text after `body`, a string (`body \"Good to see you, {first_name|friend}.\"`)";
template <> inline constexpr auto error_message<sends_at_kw> = "expected `at` after `sends` (`sends at 09:00`)";
template <> inline constexpr auto error_message<send_clock> = "expected a local time after `sends at`, written HH:MM (`09:00`, `17:30`)";
template <> inline constexpr auto error_message<weekday> = "expected a weekday (monday ... sunday)";
template <> inline constexpr auto error_message<local_time_kw> = "expected `time from FIELD` after `local`";
template <> inline constexpr auto error_message<local_from_kw> = "expected `from FIELD` after `local time`";
template <> inline constexpr auto error_message<local_field> = "expected a time_zone field after `local time from`";
template <> inline constexpr auto error_message<local_zone> = "expected a time-zone name in quotes after `or` (`or \"America/New_York\" when missing`)";
template <> inline constexpr auto error_message<local_when_kw> = "expected `when missing` after the zone";
template <> inline constexpr auto error_message<local_missing_kw> = "expected `missing` after `when`";
template <> inline constexpr auto error_message<owner_source> = "expected a field or a text in quotes after `owner` (`owner csm_owner or \"marketing-ops\"`)";
template <> inline constexpr auto error_message<owner_text> = "expected a text in quotes after `or` (`owner csm_owner or \"marketing-ops\"`)";
template <> inline constexpr auto error_message<cap_name> = "expected the cap name after `cap`";
template <> inline constexpr auto error_message<cap_body> = "expected `when CONDITION` or `: at most N messages per run` after the cap name";
template <> inline constexpr auto error_message<cap_cond> = "expected a condition after `when`";
template <> inline constexpr auto error_message<cap_at_most> = "expected `at most` after `:` (`cap NAME: at most 1 message per run`)";
template <> inline constexpr auto error_message<cap_limit> = "expected a whole number after `at most`";
template <> inline constexpr auto error_message<cap_messages> = "expected `messages` after the number";
template <> inline constexpr auto error_message<cap_per_run> = "expected `per run` after `messages`";
template <> inline constexpr auto error_message<score_name> = "expected the score name after `score`";
template <> inline constexpr auto error_message<score_open> = "expected `{` after the score name";
template <> inline constexpr auto error_message<score_close> = "expected a line (`N points when CONDITION`) or `}`";
template <> inline constexpr auto error_message<score_points_word> = "expected `points` after the number (`30 points when ...`)";
template <> inline constexpr auto error_message<score_when> = "expected `when` after `points`";
template <> inline constexpr auto error_message<score_cond> = "expected a condition after `when`";
template <> inline constexpr auto error_message<guarantee_name> = "expected the guarantee name after `guarantee`";
template <> inline constexpr auto error_message<guarantee_colon> = "expected `:` after the guarantee name (`guarantee NAME: never CONDITION`)";
template <> inline constexpr auto error_message<guarantee_kind> = "expected `never` or `always` after `:` (`guarantee NAME: never CONDITION`)";
template <> inline constexpr auto error_message<guarantee_cond> = "expected a condition after `never` or `always`";
template <> inline constexpr auto error_message<rules_end> = "RK0103|expected a declaration (segment, score, stop, review, sequence, channel, fallback, cap, local time, owner, guarantee, let, parameter, candidate, import)";
// clang-format on

struct error {
  template <typename Rule>
  static constexpr auto message = error_message<Rule>;
};

}  // namespace rk::grammar

namespace tao::pegtl {
// The hand-written rules consume input when they succeed.
template <typename Name>
struct analyze_traits<Name, rk::grammar::name_raw> : analyze_any_traits<> {};
template <typename Name>
struct analyze_traits<Name, rk::grammar::offer_word_name_raw> : analyze_any_traits<> {};
template <typename Name>
struct analyze_traits<Name, rk::grammar::keyword_word> : analyze_any_traits<> {};
template <typename Name>
struct analyze_traits<Name, rk::grammar::reserved_as_name> : analyze_any_traits<> {};
template <typename Name>
struct analyze_traits<Name, rk::grammar::string_raw> : analyze_any_traits<> {};
}  // namespace tao::pegtl
