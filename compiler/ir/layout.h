// Rekindle IR: the typed layout of a program's outputs, returned by lowering beside the nodes
// (Program::layout). It says what the program decides for every customer, as data: the key, the
// candidate rule, each segment family with its labels, the stop and review rules, and for each
// sequence its statuses (a kind per status), exits, touches, channels and offers, with the IR
// node that computes every decision and the kernel output (Program::outputs) that holds every
// result value. Lint, explain, test, diff and the Python binding read meaning here, never from
// column names; the result columns of the output contract are its presentation
// (compiler/ir/columns.h), built from it in one place.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ir/message_template.h"
#include "compiler/ir/schema.h"

namespace rk::ir {

inline constexpr uint32_t kNoNode = UINT32_MAX;
inline constexpr uint32_t kNoOutput = UINT32_MAX;
inline constexpr uint32_t kNoIndex = UINT32_MAX;

// A value of the result: the node that computes it and the kernel output that holds it.
struct OutputValue {
  uint32_t node = kNoNode;
  uint32_t output = kNoOutput;  // index into Program::outputs
};

// A number of the result (a score): the node, its wide output (Int64 or Float64) and the Code
// output (Bool) saying whether it is present.
struct WideValue {
  uint32_t node = kNoNode;
  uint32_t output = kNoOutput;
  uint32_t present = kNoOutput;
};

// `candidate when COND`; without it every customer is a candidate.
struct CandidateLayout {
  bool declared = false;
  uint32_t cond = kNoNode;  // the condition as written (three-valued); kNoNode when not declared
  OutputValue value;        // Bool: IsTrue(cond), or true
};

struct Label {
  std::string name;
  bool otherwise = false;
  uint32_t cond = kNoNode;  // the condition as written; kNoNode for `otherwise`
};
// `segment NAME { ... }`: value = the index of the first label whose condition is true, else
// the `otherwise` label, else missing.
struct Family {
  std::string name;
  std::vector<Label> labels;  // in order; at most one is `otherwise`, and it is last
  OutputValue value;          // Int: index into labels
};

// One line of a score: `points` when `cond` is true (an unknown or false condition adds nothing).
struct ScoreLine {
  std::string points;       // as written: "30", "-10", "2.5"
  uint32_t cond = kNoNode;  // the condition as written
};
// `score NAME { N points when COND ... }`: value = the sum of the points of the lines whose
// condition is true; an Int, or a Float when a line's points are decimal (summed exactly in
// units of the finest decimal written, then divided). Never missing unless the sum overflows.
struct Score {
  std::string name;
  std::vector<ScoreLine> lines;
  bool decimal = false;  // a Float value (some line is decimal)
  WideValue value;
};

// A `let` that some template shows (a Let placeholder's index): its value in a kernel output and
// how a template writes it. Only the lets templates show are here (in order of first use), so a
// program whose templates show none has no outputs for lets; none is a result column.
struct ShownLet {
  std::string name;
  // How it reads: Bool (`true`/`false`), Int (whole numbers and days), Number (numbers, and
  // percents as fractions, like the CSV writer), Money (`$84.50`), Date (ISO), or Enum: an
  // enumerated value (an enum's value, a segment's label, a sequence's status, step, channel,
  // offer or variant) written as texts[code].
  FieldType type = FieldType::Int;
  std::vector<std::string> texts;  // Enum: the text of each code
  // node: the let's value. Bool and Enum: `output` is a Code output (the value, -1 when missing)
  // and `present` kNoOutput; Int and Date: an Int64 output, Number and Money a Float64 output,
  // each with its presence in `present` (a Code output).
  WideValue value;
};

struct StopRule {
  std::string name, reason;
  uint32_t cond = kNoNode;   // as written
  uint32_t fires = kNoNode;  // Bool: fails closed, Not(IsFalse(cond))
};
// The stop rules: value = the index of the first rule that fires for a customer in scope;
// missing for a customer out of scope or whom no rule stops.
struct Stops {
  std::vector<StopRule> rules;
  // Bool: whom stops apply to: customers who enter at least one sequence; without sequences, the
  // candidates (the candidate node itself when every sequence enters the candidates).
  uint32_t scope = kNoNode;
  OutputValue value;           // Int: index into rules
  uint32_t stopped = kNoNode;  // Bool: value is present
};

struct ReviewRule {
  std::string name, reason;
  uint32_t cond = kNoNode;  // as written
  OutputValue value;        // Bool: fires (fail closed) for a customer in scope
};
struct Reviews {
  // Bool: whom reviews apply to: customers with a touch due in some sequence; without
  // sequences, candidates no stop rule stops.
  uint32_t scope = kNoNode;
  std::vector<ReviewRule> rules;
};

// What a sequence status means. Statuses are tried in order and the first that applies is the
// customer's; a new kind is added here, placed in Sequence::statuses by lowering, and every
// switch over it (explain, test) fails to compile until it is handled.
enum class StatusKind : uint8_t {
  NotEntered,  // "not_candidate": the customer does not enter the sequence
  Stopped,     // a stop rule fired
  HeldOut,     // "holdout": in the control group
  Exit,        // an `exit NAME when ...` applies (Status::exit says which)
  Exhausted,   // no touch left after the last one sent
  Waiting,     // the `wait` since the last touch has not passed
  NoChannel,   // neither the touch's channel nor its fallback is allowed
  Capped,      // "capped": a contact-pressure cap applies (only in sequences with caps)
  Due,         // a touch is due: the sequence's result values are set
};
std::string_view status_kind_name(StatusKind k);

struct Status {
  StatusKind kind = StatusKind::Due;
  std::string name;          // as written in results: not_candidate, stopped, ..., the exit's name
  uint32_t exit = kNoIndex;  // Exit: index into Sequence::exits
  uint32_t when = kNoNode;   // Bool: applies when true and no earlier status applies
};

struct Exit {
  std::string name;
  uint32_t cond = kNoNode;     // as written
  uint32_t applies = kNoNode;  // Bool: IsTrue(cond)
};

enum class OfferKind : uint8_t { None, Credit, Points, EarlyAccess, Discount };
std::string_view offer_kind_name(OfferKind k);  // none, credit, points, early_access, discount
struct Offer {
  std::string text;  // as written in results: "none", "credit 10", "discount 20%"
  OfferKind kind = OfferKind::None;
  std::string amount;  // the amount as written ("10", "20%"); "" for none and early_access
};

// A channel's local send time (`sends at 11:00 except sunday`): the local minute of the day and
// the local weekdays it never sends on (bit 0 Monday .. bit 6 Sunday, runtime/send_time.h).
struct SendsAt {
  int32_t minute_of_day = 0;
  uint8_t excluded_weekdays = 0;
};

struct Channel {
  std::string name;
  uint32_t requires_ = kNoNode;  // the `requires` condition as written; kNoNode: none
  uint32_t allowed = kNoNode;    // Bool: IsTrue(requires), or true
  uint32_t fallback = kNoIndex;  // `fallback NAME to OTHER`: index into Sequence::channels
  std::optional<SendsAt> sends;  // its local send time; none: the channel has no send time
};

// `local time from FIELD, or "ZONE" when missing`: where send times take a customer's zone.
struct LocalTime {
  int32_t field = -1;    // a time_zone field of the schema; -1: no declaration
  std::string fallback;  // the zone of a customer whose field is missing ("" for a field that
                         // cannot be missing)
};

// `owner FIELD or "TEXT"`: who approves a reviewed customer's outreach. The result column
// `owner` is the field's text, or `text` when it is missing (or always, without a field), for a
// customer with a review; empty otherwise.
struct Owner {
  bool declared = false;
  int32_t field = -1;    // a string field of the schema; -1: the text alone
  std::string text;      // "" with a field that cannot be missing
  OutputValue reviewed;  // Bool: some review rule fired (the column is filled)
};

// A contact-pressure cap that applies to a sequence: `cap NAME when COND` (fires unless COND is
// false, like a stop rule) or `cap NAME: at most N messages per run` (fires when the sequences
// written before this one already have N or more touches due).
struct Cap {
  std::string name;
  bool shared = false;         // declared at top level (every sequence), else in this sequence
  uint32_t cond = kNoNode;     // `when`: the condition as written; kNoNode for a count
  int64_t limit = -1;          // `at most N`: N; -1 for `when`
  uint32_t earlier = kNoNode;  // count: Int, the touches due in the sequences written before
  uint32_t fires = kNoNode;    // Bool
};

// Where the value of a template placeholder `{name}` comes from.
enum class PlaceholderKind : uint8_t {
  Field,   // a snapshot field: index into Schema::fields
  Family,  // a segment family's label: index into Layout::families
  Score,   // a score: index into Layout::scores
  Offer,   // `{offer}`: the touch's offer in words (ir::offer_in_words of Offer::text)
  Let,     // a `let` of a number, date, yes/no or enumerated type: index into Layout::lets (a let
           // of a string or list is a field under another name: a Field placeholder)
};
std::string_view placeholder_kind_name(PlaceholderKind k);  // field, family, score, offer, let
struct Placeholder {
  std::string name;
  PlaceholderKind kind = PlaceholderKind::Field;
  uint32_t index = kNoIndex;  // by kind (kNoIndex for Offer)
};
// A subject or body template: the text as written (escapes resolved), its parts, and each
// distinct placeholder name's source, in order of first use. The checker has proven every
// placeholder without a fallback never missing.
struct MessageText {
  std::string text;
  MessageTemplate parsed;
  std::vector<Placeholder> placeholders;
  const Placeholder* find(std::string_view name) const {
    for (const Placeholder& p : placeholders)
      if (p.name == name) return &p;
    return nullptr;
  }
};
// `subject "..."` and `body "..."` of a touch or a variant: `has_*` false when none is declared
// (a sequence without templates; in a sequence with templates the checker requires both for
// every customer who can get the touch).
struct Message {
  bool has_subject = false;
  bool has_body = false;
  MessageText subject, body;
};

// `variant NAME SHARE%` of a touch: the customers whose bucket under the touch's salt
// (compiler/ir/bucket.h, modulus 100) lies in [begin, end); the ranges are consecutive in the
// order written. A paused variant (`rekindle eval --experiments FILE`) serves no one: its buckets
// go to `serves`, the first variant of the touch that is not paused.
struct Variant {
  std::string name;
  uint32_t value = kNoIndex;  // index into Sequence::variant_names (the SEQUENCE_variant value)
  uint64_t begin = 0;         // buckets [begin, end) of 100
  uint64_t end = 0;
  uint32_t atom = kNoIndex;  // index into Program::atoms: the Holdout atom `bucket < end`
  bool paused = false;
  uint32_t serves = kNoIndex;  // index into Touch::variants: whom its buckets get (itself unless
                               // paused; kNoIndex when every variant is paused, an error)
  uint32_t offer = kNoNode;    // Int: its offer (index into Sequence::offers), the touch's unless
                               // it declares one
  Message message;             // its subject and body, each the touch's unless it declares one
};

struct Touch {
  std::string name;              // touch i is number i + 1
  uint32_t channel = kNoNode;    // Int: the `via` expression (index into Sequence::channels)
  uint32_t offer = kNoNode;      // Int: the `offer` expression (index into Sequence::offers)
  uint32_t only_when = kNoNode;  // the `only when` condition as written; kNoNode: none
  uint32_t eligible = kNoNode;   // Bool: after the last touch sent, and `only when` holds
  // Variants (empty: none). The salt is "SEQUENCE.TOUCH"; `variant` is an Int, the index into
  // `variants` of the variant the customer gets (pausing applied), missing when the customer's
  // bucket lies beyond the last range (shares below 100%): the touch without a variant.
  std::string salt;
  std::vector<Variant> variants;
  uint32_t variant = kNoNode;
  // The subject and body of the customers who get the touch without a variant (a variant's own
  // are in Variant::message).
  Message message;
};

// What one sequence decides for a customer, step by step: each field is a node.
struct SequenceDecision {
  uint32_t entered = kNoNode;           // Bool: `enter when` holds (or: a candidate)
  uint32_t stopped = kNoNode;           // Bool: a stop rule fired
  uint32_t held_out = kNoNode;          // Bool: in the holdout
  uint32_t next_touch = kNoNode;        // Int: index of the first eligible touch, missing: none
  uint32_t exhausted = kNoNode;         // Bool: no eligible touch
  uint32_t waited = kNoNode;            // Bool: no touch sent yet, or the wait has passed
  uint32_t chosen_channel = kNoNode;    // Int: the next touch's `via` channel
  uint32_t chosen_allowed = kNoNode;    // Bool: that channel's `requires` holds
  uint32_t fallback_channel = kNoNode;  // Int: its fallback channel, missing: none
  uint32_t fallback_allowed = kNoNode;  // Bool: the fallback's `requires` holds
  uint32_t channel = kNoNode;           // Int: the channel used (chosen, else fallback), or missing
  uint32_t offer = kNoNode;             // Int: the next touch's offer
  uint32_t capped = kNoNode;            // Bool: some cap fires (false without caps)
  uint32_t variant = kNoNode;           // Int: the next touch's variant (index into
                                        // Sequence::variant_names); kNoNode without variants
  uint32_t due = kNoNode;               // Bool: the status is `due`
};

// A sequence's result values: what the output contract shows for a customer.
struct SequenceResult {
  OutputValue status;   // Int: index into Sequence::statuses
  OutputValue touch;    // Int: index into Sequence::touches; missing unless due
  OutputValue channel;  // Int: index into Sequence::channels; missing unless due
  OutputValue offer;    // Int: index into Sequence::offers; missing unless due
  OutputValue variant;  // Int: index into Sequence::variant_names; missing unless due (and the
                        // touch has a variant); node kNoNode when the sequence has no variants
  // The UTC instant the due touch is sent (seconds since 1970-01-01T00:00:00Z), only in a
  // sequence whose channels have send times (node kNoNode otherwise). The kernels write 0 and
  // "not present"; the runtime fills both from `channel`, the customer's zone and the as-of
  // date after the kernel (runtime/send_at.h), the same for every engine.
  WideValue send_at;
};

// For a customer in the holdout: what the sequence would have decided had they not been held
// out (spec winback-program.md section 7, the events' `would_be`): the statuses after `holdout`,
// tried in order, caps included, computed in the same pass as the result. Every value is missing
// for a customer who is not held out; a sequence without a holdout has no outputs (kNoOutput).
struct WouldBe {
  OutputValue status;   // Int: index into Sequence::statuses
  OutputValue touch;    // Int: index into Sequence::touches; missing unless that status is Due
  OutputValue channel;  // Int: index into Sequence::channels; missing unless Due
  OutputValue offer;    // Int: index into Sequence::offers; missing unless Due
  OutputValue variant;  // Int: index into Sequence::variant_names; missing unless Due and the
                        // touch has a variant; node kNoNode when the sequence has no variants
};

struct Sequence {
  std::string name;
  std::vector<Status> statuses;  // in the order they are tried; the last one is Due
  std::vector<Exit> exits;
  std::vector<Touch> touches;
  std::vector<Channel> channels;
  std::vector<Offer> offers;  // offer 0 is none
  std::vector<Cap> caps;      // the top-level caps, then its own, in order written
  // The distinct names of its touches' variants, in order of first appearance; empty: the
  // sequence has no variants (and no SEQUENCE_variant column).
  std::vector<std::string> variant_names;
  // Its touches have subjects and bodies (Touch::message, Variant::message).
  bool templated = false;
  // What it reads.
  uint32_t enter_cond = kNoNode;       // `enter when` as written; kNoNode: the candidates enter
  uint32_t progress_touch = kNoNode;   // the `progress` count field's Column node, kNoNode: none
  bool progress_by_name = false;       // progress_touch is an enum of the touch names
  uint32_t progress_date = kNoNode;    // the `progress ... on` date field's Column node
  uint32_t last_touch = kNoNode;       // Int: the last touch sent (a missing count is 0)
  uint32_t wait = kNoNode;             // Int: `wait` in days; kNoNode without `wait`
  uint32_t days_since_last = kNoNode;  // Int: as-of minus the progress date (with `wait`)
  uint32_t holdout_atom = kNoIndex;    // index into Program::atoms; kNoIndex without holdout
  SequenceDecision decision;
  SequenceResult result;
  WouldBe would_be;
};

// `guarantee NAME: never COND` / `always COND`: a promise over every customer and as-of date that
// compiler/lint/guarantees.h proves with the solver. No output: nothing reads it per row.
struct Guarantee {
  std::string name;
  bool always = false;      // `always COND` (COND true for everyone); else `never COND`
  uint32_t cond = kNoNode;  // Bool: the condition as written
};

struct Layout {
  int32_t key_field = -1;  // Schema::key_field
  CandidateLayout candidate;
  std::vector<Family> families;  // in declaration order
  std::vector<Score> scores;     // in declaration order
  std::vector<ShownLet> lets;    // the lets templates show, in order of first use
  Stops stops;
  Reviews reviews;
  std::vector<Sequence> sequences;  // in declaration order
  LocalTime local_time;             // for the sequences' send times
  Owner owner;
  std::vector<Guarantee> guarantees;  // in declaration order
};

// A deterministic text form of the layout (part of ir::dump).
std::string dump_layout(const Layout& layout);

}  // namespace rk::ir
