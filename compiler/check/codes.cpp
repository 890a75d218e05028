// Rekindle compiler: the catalogue of the checker's diagnostic codes (see codes.h).
#include "compiler/check/codes.h"

namespace rk::check {

namespace {

using C = Code;

const std::vector<CodeInfo> kCatalog = {
    {C::NestedTooDeeply, "RK0106", "nested-too-deeply",
     "an expression nested deeper than the checker goes (20,000 levels)", "RK0106"},
    {C::FileTooLarge, "RK0107", "file-too-large",
     "an imported file given by CompileOptions::read_source above 16 MiB", "RK0107"},
    {C::UnknownName, "RK0201", "unknown-name", "a name that nothing declares", "RK0201"},
    {C::DeclaredTwice, "RK0202", "declared-twice",
     "a name, field, enum value, channel, touch or rule declared twice, or a built-in name taken",
     "RK0202"},
    {C::SchemaImport, "RK0203", "schema-import", "no schema imported, or two", "RK0203"},
    {C::KeyField, "RK0205", "key-field", "a schema without exactly one non-missing string key",
     "RK0205"},
    {C::BadParam, "RK0206", "bad-param", "a `--param` override of no parameter or a bad value",
     "RK0206"},
    {C::SequenceValue, "RK0208", "sequence-value",
     "a sequence used as a value, or a member it does not have", "RK0208"},
    {C::FieldRange, "RK0209", "field-range",
     "a field's value range on a type without order, with bounds of the wrong kind, or empty",
     "RK0209"},
    {C::Arithmetic, "RK0301", "arithmetic", "arithmetic that mixes units or kinds", "RK0301"},
    {C::Comparison, "RK0302", "comparison", "a comparison of things that do not compare", "RK0302"},
    {C::NotACondition, "RK0303", "not-a-condition", "a condition that is not yes/no", "RK0303"},
    {C::NoSuchValue, "RK0304", "no-such-value",
     "an enum value, label, status, channel or offer kind that does not exist", "RK0304"},
    {C::NotApplicable, "RK0305", "not-applicable",
     "an operation that does not apply to this kind of value", "RK0305"},
    {C::ParamNotLiteral, "RK0306", "param-not-literal", "a parameter default that is not a literal",
     "RK0306"},
    {C::IfBranches, "RK0307", "if-branches", "`if` branches of different types", "RK0307"},
    {C::HoldoutShare, "RK0308", "holdout-share",
     "a holdout share that is not a fixed percent between 0% and 100% in basis points", "RK0308"},
    {C::WaitNotDays, "RK0309", "wait-not-days", "a `wait` that is not a number of days", "RK0309"},
    {C::Offer, "RK0310", "offer", "an offer without its amount, of the wrong unit, or never made",
     "RK0310"},
    {C::Progress, "RK0311", "progress", "`progress` fields of the wrong types", "RK0311"},
    {C::InvalidProgram, "RK0400", "invalid-program",
     "an internal error: the checker produced a program the IR validator rejects", "RK0400"},
    {C::Cycle, "RK0401", "cycle", "a dependency cycle between rules", "RK0401"},
    {C::LabelAfterOtherwise, "RK0402", "label-after-otherwise",
     "a label after `otherwise`, which can never match", "RK0402"},
    {C::LabelTwice, "RK0403", "label-twice", "a label twice in one segment", "RK0403"},
    {C::StopWithoutReason, "RK0404", "stop-without-reason", "a stop rule without `because`",
     "RK0404"},
    {C::Limit, "RK0405", "limit", "a limit exceeded (labels, touches, enum values, offers, ...)",
     "RK0405"},
    {C::NoTouches, "RK0406", "no-touches", "a sequence without touches", "RK0406"},
    {C::CandidateTwice, "RK0408", "candidate-twice", "`candidate` declared twice", "RK0408"},
    {C::Channels, "RK0409", "channels",
     "a sequence without channels, a `via` that is no channel, or a fallback to itself", "RK0409"},
    {C::WrongFileKind, "RK0410", "wrong-file-kind",
     "a schema file where a rule file is expected, or the reverse", "RK0410"},
    {C::DuplicateColumn, "RK0411", "duplicate-column", "two output columns with one name",
     "RK0411"},
    {C::Score, "RK0412", "score",
     "a score without lines, or points with more than 6 decimals or too large", "RK0412"},
    {C::Variant, "RK0413", "variant",
     "a variant's share that is not a whole percent from 1% to 100%, or shares above 100%",
     "RK0413"},
    {C::Experiments, "RK0414", "experiments",
     "an --experiments entry that names no variant, or that pauses every variant of a touch",
     "RK0414"},
    {C::Template, "RK0415", "template",
     "a subject or body template that is malformed (an unclosed `{`, a `}` without `{`, ...)",
     "RK0415"},
    {C::Placeholder, "RK0416", "placeholder",
     "a placeholder that can be missing without `|fallback`, or names what a template cannot show",
     "RK0416"},
    {C::MessageMissing, "RK0417", "message-missing",
     "a touch or variant without a subject or body in a sequence whose touches have them",
     "RK0417"},
    {C::SendTime, "RK0430", "send-time",
     "a malformed `sends at` (time, weekdays), or a sequence whose channels do not all have one",
     "RK0430"},
    {C::LocalTime, "RK0431", "local-time",
     "send times without `local time from FIELD`, a field that is not a time_zone, a missing "
     "default, or a default that is not a zone of the system's database",
     "RK0431"},
    {C::Owner, "RK0432", "owner",
     "`owner` naming a field that is not a string, or one that can be missing without `or "
     "\"TEXT\"`",
     "RK0432"},
};

}  // namespace

const std::vector<CodeInfo>& catalog() {
  return kCatalog;
}

const CodeInfo& info(Code code) {
  return kCatalog[static_cast<size_t>(code)];  // in enum order (tested)
}

}  // namespace rk::check
