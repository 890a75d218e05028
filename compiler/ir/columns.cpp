// Rekindle IR: the presentation of the layout as result columns (see columns.h).
#include "compiler/ir/columns.h"

#include <string>

namespace rk::ir {

std::vector<ResultColumn> result_columns(const Layout& layout, const Schema& schema) {
  std::vector<ResultColumn> out;
  auto add = [&](std::string name, ResultKind kind, ValueType type, std::vector<uint32_t> outputs,
                 std::vector<std::string> texts, bool summarize, ColumnRole role,
                 uint32_t owner = kNoIndex) {
    out.push_back({std::move(name), kind, type, std::move(outputs), std::move(texts), summarize,
                   role, owner});
  };
  if (layout.key_field >= 0)
    add(schema.fields[static_cast<size_t>(layout.key_field)].name, ResultKind::Key, ValueType::Text,
        {}, {}, false, ColumnRole::Key);
  add("candidate", ResultKind::Enumerated, ValueType::Bool, {layout.candidate.value.output},
      {"false", "true"}, true, ColumnRole::Candidate);
  for (uint32_t f = 0; f < layout.families.size(); ++f) {
    const Family& fam = layout.families[f];
    std::vector<std::string> labels;
    for (const auto& l : fam.labels) labels.push_back(l.name);
    add(fam.name, ResultKind::Enumerated, ValueType::Text, {fam.value.output}, std::move(labels),
        true, ColumnRole::Family, f);
  }
  std::vector<std::string> stops;
  for (const auto& s : layout.stops.rules) stops.push_back(s.name);
  add("stopped_by", ResultKind::Enumerated, ValueType::Text, {layout.stops.value.output},
      std::move(stops), true, ColumnRole::StoppedBy);
  std::vector<uint32_t> review_outputs;
  std::vector<std::string> reviews;
  for (const auto& r : layout.reviews.rules) {
    review_outputs.push_back(r.value.output);
    reviews.push_back(r.name);
  }
  add("review", ResultKind::Joined, ValueType::Text, std::move(review_outputs), std::move(reviews),
      true, ColumnRole::Review);
  for (uint32_t s = 0; s < layout.sequences.size(); ++s) {
    const Sequence& q = layout.sequences[s];
    std::vector<std::string> statuses, numbers, steps, channels, offers;
    for (const auto& st : q.statuses) statuses.push_back(st.name);
    for (size_t t = 0; t < q.touches.size(); ++t) {
      numbers.push_back(std::to_string(t + 1));
      steps.push_back(q.touches[t].name);
    }
    for (const auto& c : q.channels) channels.push_back(c.name);
    for (const auto& o : q.offers) offers.push_back(o.text);
    add(q.name + "_status", ResultKind::Enumerated, ValueType::Text, {q.result.status.output},
        std::move(statuses), true, ColumnRole::Status, s);
    add(q.name + "_touch", ResultKind::Enumerated, ValueType::Int, {q.result.touch.output},
        std::move(numbers), true, ColumnRole::Touch, s);
    add(q.name + "_step", ResultKind::Enumerated, ValueType::Text, {q.result.touch.output},
        std::move(steps), true, ColumnRole::Step, s);
    if (!q.variant_names.empty())
      add(q.name + "_variant", ResultKind::Enumerated, ValueType::Text, {q.result.variant.output},
          q.variant_names, true, ColumnRole::Variant, s);
    add(q.name + "_channel", ResultKind::Enumerated, ValueType::Text, {q.result.channel.output},
        std::move(channels), true, ColumnRole::Channel, s);
    add(q.name + "_offer", ResultKind::Enumerated, ValueType::Text, {q.result.offer.output},
        std::move(offers), true, ColumnRole::Offer, s);
    if (q.result.send_at.output != kNoOutput)
      add(q.name + "_send_at", ResultKind::Timestamp, ValueType::Text,
          {q.result.send_at.output, q.result.send_at.present}, {}, false, ColumnRole::SendAt, s);
  }
  for (uint32_t i = 0; i < layout.scores.size(); ++i) {
    const Score& sc = layout.scores[i];
    add(sc.name, ResultKind::Number, sc.decimal ? ValueType::Number : ValueType::Int,
        {sc.value.output, sc.value.present}, {}, true, ColumnRole::Score, i);
  }
  if (layout.owner.declared) {
    add("owner", ResultKind::FieldText, ValueType::Text, {layout.owner.reviewed.output},
        {layout.owner.text}, false, ColumnRole::Owner);
    out.back().field = layout.owner.field;
  }
  return out;
}

std::string_view column_role_name(ColumnRole role) {
  switch (role) {
    case ColumnRole::Key:
      return "key";
    case ColumnRole::Candidate:
      return "candidate";
    case ColumnRole::Family:
      return "family";
    case ColumnRole::StoppedBy:
      return "stopped_by";
    case ColumnRole::Review:
      return "review";
    case ColumnRole::Status:
      return "status";
    case ColumnRole::Touch:
      return "touch";
    case ColumnRole::Step:
      return "step";
    case ColumnRole::Variant:
      return "variant";
    case ColumnRole::Channel:
      return "channel";
    case ColumnRole::Offer:
      return "offer";
    case ColumnRole::Score:
      return "score";
    case ColumnRole::SendAt:
      return "send_at";
    case ColumnRole::Owner:
      return "owner";
  }
  return "?";
}

std::string_view result_kind_name(ResultKind kind) {
  switch (kind) {
    case ResultKind::Key:
      return "key";
    case ResultKind::Enumerated:
      return "enumerated";
    case ResultKind::Joined:
      return "joined";
    case ResultKind::Number:
      return "number";
    case ResultKind::Timestamp:
      return "timestamp";
    case ResultKind::FieldText:
      return "field_text";
  }
  return "?";
}

std::string_view value_type_name(ValueType type) {
  switch (type) {
    case ValueType::Text:
      return "text";
    case ValueType::Bool:
      return "bool";
    case ValueType::Int:
      return "int";
    case ValueType::Number:
      return "number";
  }
  return "?";
}

}  // namespace rk::ir
