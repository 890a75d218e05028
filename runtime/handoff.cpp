// Rekindle runtime: the hand-off files (drafts, review queue, events) encoded from a program's
// layout, the review queue's bounded-memory sort, and the output group that makes every file of a
// run appear together (see handoff.h).
#include "runtime/handoff.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "base/date.h"
#include "compiler/ir/message_template.h"
#include "runtime/csv_writer.h"
#include "runtime/send_time.h"
#include "runtime/value_text.h"

namespace rk {

std::string default_run_id(int32_t as_of, const std::string& rules_hash) {
  return format_iso_date(as_of) + "/" + rules_hash.substr(0, 8);
}

std::string check_run_id(const std::string& run_id) {
  if (run_id.empty()) return "--run-id: the run id is empty";
  for (char c : run_id)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return "--run-id: the run id holds a control character";
  return "";
}

namespace {

std::string json_text(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

// The field that holds a channel's address: a string field named as the channel (`email`), or
// `phone` for a channel named `sms`; -1 when the schema has none.
int address_field(const Schema& schema, const std::string& channel) {
  auto string_field = [&](std::string_view name) {
    const int f = schema.find(name);
    return f >= 0 && schema.fields[static_cast<size_t>(f)].type == FieldType::String ? f : -1;
  };
  int f = string_field(channel);
  if (f < 0 && channel == "sms") f = string_field("phone");
  return f;
}

// A holdout's share in percent as a JSON number: 5, or 2.5 for a share in basis points.
std::string holdout_share_text(const ir::Program& program, const ir::Sequence& seq) {
  if (seq.holdout_atom == ir::kNoIndex) return "0";
  const ir::Atom& a = program.atoms[seq.holdout_atom];
  if (a.modulus == 0) return "0";
  if ((a.threshold * 100) % a.modulus == 0) return fmt::format("{}", a.threshold * 100 / a.modulus);
  return fmt::format("{}",
                     static_cast<double>(a.threshold) * 100.0 / static_cast<double>(a.modulus));
}

// The int8 output `o` at row r as an index into a list of `size` entries, or -1.
inline int index_at(const int8_t* const* outputs, uint32_t o, int64_t r, size_t size) {
  if (o == ir::kNoOutput) return -1;
  const int v = outputs[o][r];
  return v >= 0 && static_cast<size_t>(v) < size ? v : -1;
}

void put_u32(std::string& out, size_t n) {
  const auto v = static_cast<uint32_t>(n);
  out.append(reinterpret_cast<const char*>(&v), 4);
}

uint32_t get_u32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

}  // namespace

HandoffEncoder::HandoffEncoder(const ir::Program& program, const HandoffOptions& options)
    : program_(program), options_(options) {
  const ir::Layout& layout = program.layout;
  for (const ir::ResultColumn& c : program.columns)
    if (c.role == ir::ColumnRole::Owner) owner_ = &c;
  for (const ir::Sequence& seq : layout.sequences) {
    SequenceInfo info;
    info.name_json = json_text(seq.name);
    for (size_t t = 0; t < seq.touches.size(); ++t) {
      info.touch_json.push_back(std::to_string(t + 1));
      info.step_json.push_back(json_text(seq.touches[t].name));
    }
    for (const ir::Channel& ch : seq.channels) {
      info.channel_json.push_back(json_text(ch.name));
      info.channel_address.push_back(address_field(program.schema, ch.name));
    }
    for (const ir::Offer& o : seq.offers) info.offer_json.push_back(json_text(o.text));
    for (const std::string& v : seq.variant_names) info.variant_json.push_back(json_text(v));
    for (const ir::Status& st : seq.statuses) info.status_json.push_back(json_text(st.name));
    info.holdout_share = holdout_share_text(program, seq);
    for (const ir::Channel& ch : seq.channels) info.channel_subject.push_back(ch.name != "sms");
    if (seq.templated) bind_messages(seq, info);
    sequences_.push_back(std::move(info));
  }
  for (const ir::Family& fam : layout.families) {
    std::vector<std::string> labels;
    for (const ir::Label& l : fam.labels) labels.push_back(json_text(l.name));
    label_json_.push_back(std::move(labels));
    family_key_.push_back(json_text(fam.name) + ":");
  }
  for (const ir::Score& sc : layout.scores) score_key_.push_back(json_text(sc.name) + ":");
  for (const ir::StopRule& s : layout.stops.rules) stop_json_.push_back(json_text(s.name));
  for (const ir::ReviewRule& rv : layout.reviews.rules) review_json_.push_back(json_text(rv.name));
  run_prefix_ = "{\"run_id\":" + json_text(options.run_id) + ",\"as_of\":\"" +
                format_iso_date(options.as_of) + "\",\"customer_id\":";
}

bool HandoffEncoder::is_due(size_t s, const int8_t* const* outputs, int64_t r) const {
  const ir::Sequence& seq = program_.layout.sequences[s];
  const int st = index_at(outputs, seq.result.status.output, r, seq.statuses.size());
  return st >= 0 && seq.statuses[static_cast<size_t>(st)].kind == ir::StatusKind::Due;
}

int HandoffEncoder::due_sequence(const int8_t* const* outputs, int64_t r) const {
  for (size_t s = 0; s < sequences_.size(); ++s)
    if (is_due(s, outputs, r)) return static_cast<int>(s);
  return -1;
}

void HandoffEncoder::bind_messages(const ir::Sequence& seq, SequenceInfo& info) {
  const ir::Program& program = program_;
  std::vector<std::string> offer_words;
  for (const ir::Offer& o : seq.offers)
    offer_words.push_back(ir::offer_in_words(o.text).value_or(""));
  auto bind = [&](const ir::MessageText& text, TemplateRenderer& r) {
    const TemplateLookup lookup = [&](std::string_view name) -> std::optional<TemplateValue> {
      const ir::Placeholder* p = text.find(name);
      if (!p) return std::nullopt;
      switch (p->kind) {
        case ir::PlaceholderKind::Field:
          return TemplateValue::field(program.schema, p->index);
        case ir::PlaceholderKind::Family: {
          const ir::Family& fam = program.layout.families[p->index];
          std::vector<std::string> labels;
          for (const ir::Label& l : fam.labels) labels.push_back(l.name);
          return TemplateValue::coded(fam.value.output, std::move(labels));
        }
        case ir::PlaceholderKind::Score:
          return TemplateValue::column(p->index, program.layout.scores[p->index].decimal
                                                     ? FieldType::Number
                                                     : FieldType::Int);
        case ir::PlaceholderKind::Offer:
          return TemplateValue::coded(seq.result.offer.output, offer_words);
        case ir::PlaceholderKind::Let: {
          const ir::ShownLet& lt = program.layout.lets[p->index];
          if (lt.type == FieldType::Bool)
            return TemplateValue::coded(lt.value.output, {"false", "true"});
          if (lt.type == FieldType::Enum) return TemplateValue::coded(lt.value.output, lt.texts);
          return TemplateValue::wide(lt.value.output, lt.value.present, lt.type);
        }
      }
      return std::nullopt;
    };
    std::string e;
    if (!r.bind(text.parsed, lookup, e) && error_.empty())
      error_ = "sequence " + seq.name + ": a template cannot be bound: " + e;
  };
  auto render = [&](const ir::Message& m) {
    MessageRender out;
    out.has_subject = m.has_subject;
    out.has_body = m.has_body;
    if (m.has_subject) bind(m.subject, out.subject);
    if (m.has_body) bind(m.body, out.body);
    return out;
  };
  for (const ir::Touch& t : seq.touches) {
    std::vector<MessageRender> per;
    per.push_back(render(t.message));
    for (const ir::Variant& v : t.variants) per.push_back(render(v.message));
    info.messages.push_back(std::move(per));
    std::vector<int> of_name(seq.variant_names.size(), -1);
    for (size_t k = 0; k < t.variants.size(); ++k)
      if (t.variants[k].value < of_name.size()) of_name[t.variants[k].value] = static_cast<int>(k);
    info.variant_of_name.push_back(std::move(of_name));
  }
}

const HandoffEncoder::MessageRender* HandoffEncoder::message(size_t s, int t, int v) const {
  const SequenceInfo& info = sequences_[s];
  if (t < 0 || static_cast<size_t>(t) >= info.messages.size()) return nullptr;
  const auto& per = info.messages[static_cast<size_t>(t)];
  size_t k = 0;  // no variant
  if (v >= 0) {
    const auto& of_name = info.variant_of_name[static_cast<size_t>(t)];
    if (static_cast<size_t>(v) < of_name.size() && of_name[static_cast<size_t>(v)] >= 0)
      k = static_cast<size_t>(of_name[static_cast<size_t>(v)]) + 1;
  }
  return &per[k];
}

void HandoffEncoder::score_columns(const int8_t* const* outputs, int64_t begin, int64_t end,
                                   std::vector<RkColumn>& columns,
                                   std::vector<std::vector<uint8_t>>& validity) const {
  const auto& scores = program_.layout.scores;
  columns.assign(scores.size(), RkColumn{});
  validity.resize(scores.size());
  for (size_t k = 0; k < scores.size(); ++k) {
    const ir::Score& sc = scores[k];
    RkColumn& c = columns[k];
    c.values = sc.value.output == ir::kNoOutput ? nullptr : outputs[sc.value.output];
    if (sc.value.present == ir::kNoOutput) continue;
    // Bit r (row r of the batch) set where the score is present: 1 in its presence output.
    std::vector<uint8_t>& bits = validity[k];
    bits.assign(static_cast<size_t>((end + 7) / 8), 0);
    const int8_t* present = outputs[sc.value.present];
    for (int64_t r = begin; r < end; ++r)
      if (present[r] == 1) bits[static_cast<size_t>(r >> 3)] |= static_cast<uint8_t>(1U << (r & 7));
    c.validity = bits.data();
  }
}

void HandoffEncoder::message_json(const MessageRender* m, bool subject, const TemplateInputs& in,
                                  int64_t r, std::string& text, std::string& out) const {
  if (!m || !(subject ? m->has_subject : m->has_body)) {
    out += "null";
    return;
  }
  text.clear();
  (subject ? m->subject : m->body).render(in, r, text);
  append_json_string(out, text);
}

void HandoffEncoder::review_list(const int8_t* const* outputs, int64_t r, std::string& json) const {
  json.push_back('[');
  bool first = true;
  const auto& rules = program_.layout.reviews.rules;
  for (size_t k = 0; k < rules.size(); ++k) {
    const uint32_t o = rules[k].value.output;
    if (o == ir::kNoOutput || outputs[o][r] != 1) continue;
    if (!first) json.push_back(',');
    first = false;
    json += review_json_[k];
  }
  json.push_back(']');
}

void HandoffEncoder::cohort(const int8_t* const* outputs, int64_t r, std::string& out) const {
  out.push_back('{');
  const auto& families = program_.layout.families;
  for (size_t f = 0; f < families.size(); ++f) {
    if (f) out.push_back(',');
    out += family_key_[f];
    const int v = index_at(outputs, families[f].value.output, r, families[f].labels.size());
    out += v >= 0 ? std::string_view(label_json_[f][static_cast<size_t>(v)]) : "null";
  }
  // Each score: an integer, or the shortest decimal that reads back for a decimal score; null
  // only when its sum overflowed.
  const auto& scores = program_.layout.scores;
  for (size_t k = 0; k < scores.size(); ++k) {
    if (!families.empty() || k) out.push_back(',');
    out += score_key_[k];
    const ir::WideValue& w = scores[k].value;
    if (w.output == ir::kNoOutput || w.present == ir::kNoOutput || outputs[w.present][r] != 1)
      out += "null";
    else if (scores[k].decimal)
      append_number_text(out, output_float(outputs[w.output], r));
    else
      append_int_text(out, output_int(outputs[w.output], r));
  }
  out.push_back('}');
}

void HandoffEncoder::drafts(const Batch& batch, const int8_t* const* outputs, int64_t begin,
                            int64_t end, std::string& out) const {
  const auto key = static_cast<size_t>(program_.schema.key_field);
  std::string review, text;
  std::vector<RkColumn> scores;
  std::vector<std::vector<uint8_t>> score_validity;
  score_columns(outputs, begin, end, scores, score_validity);
  const TemplateInputs in{&batch, outputs, scores.data()};
  for (int64_t r = begin; r < end; ++r) {
    bool reviews_made = false;
    for (size_t s = 0; s < sequences_.size(); ++s) {
      if (!is_due(s, outputs, r)) continue;
      const ir::Sequence& seq = program_.layout.sequences[s];
      const SequenceInfo& info = sequences_[s];
      const int t = index_at(outputs, seq.result.touch.output, r, seq.touches.size());
      const int c = index_at(outputs, seq.result.channel.output, r, seq.channels.size());
      const int o = index_at(outputs, seq.result.offer.output, r, seq.offers.size());
      const int v = index_at(outputs, seq.result.variant.output, r, seq.variant_names.size());
      if (!reviews_made) {
        review.clear();
        review_list(outputs, r, review);
        reviews_made = true;
      }
      const std::optional<std::string_view> id = batch.string_at(key, r);
      out += "{\"customer_id\":";
      append_json_string(out, id.value_or(""));
      out += ",\"sequence\":";
      out += info.name_json;
      out += ",\"touch\":";
      out += t >= 0 ? std::string_view(info.touch_json[static_cast<size_t>(t)]) : "null";
      out += ",\"step\":";
      out += t >= 0 ? std::string_view(info.step_json[static_cast<size_t>(t)]) : "null";
      out += ",\"variant\":";
      out += v >= 0 ? std::string_view(info.variant_json[static_cast<size_t>(v)]) : "null";
      out += ",\"channel\":";
      out += c >= 0 ? std::string_view(info.channel_json[static_cast<size_t>(c)]) : "null";
      out += ",\"to\":";
      std::optional<std::string_view> to;
      if (c >= 0 && info.channel_address[static_cast<size_t>(c)] >= 0)
        to = batch.string_at(static_cast<size_t>(info.channel_address[static_cast<size_t>(c)]), r);
      if (to)
        append_json_string(out, *to);
      else
        out += "null";
      out += ",\"send_at\":";
      if (seq.result.send_at.output != ir::kNoOutput &&
          outputs[seq.result.send_at.present][r] == 1) {
        out.push_back('"');
        append_utc_timestamp(out, output_int(outputs[seq.result.send_at.output], r));
        out.push_back('"');
      } else {
        out += "null";
      }
      out += ",\"offer\":";
      out += o >= 0 ? std::string_view(info.offer_json[static_cast<size_t>(o)]) : "null";
      const MessageRender* m = message(s, t, v);
      out += ",\"subject\":";
      message_json(c >= 0 && info.channel_subject[static_cast<size_t>(c)] ? m : nullptr, true, in,
                   r, text, out);
      out += ",\"body\":";
      message_json(m, false, in, r, text, out);
      out += ",\"review\":";
      out += review;
      out += ",\"owner\":";
      if (auto who = owner_ ? field_text(*owner_, batch, outputs, r) : std::nullopt)
        append_json_string(out, *who);
      else
        out += "null";
      out += ",\"key\":";
      std::string k = seq.name;
      k += '/';
      if (t >= 0) k += seq.touches[static_cast<size_t>(t)].name;
      k += '/';
      k += id.value_or("");
      append_json_string(out, k);
      out += "}\n";
    }
  }
}

void HandoffEncoder::events(const Batch& batch, const int8_t* const* outputs, int64_t begin,
                            int64_t end, std::string& out) const {
  const auto key = static_cast<size_t>(program_.schema.key_field);
  const ir::Layout& layout = program_.layout;
  std::string common;  // stopped_by, review and cohort: the same on each of the row's events
  for (int64_t r = begin; r < end; ++r) {
    common.clear();
    for (size_t s = 0; s < sequences_.size(); ++s) {
      const ir::Sequence& seq = layout.sequences[s];
      const SequenceInfo& info = sequences_[s];
      const int st = index_at(outputs, seq.result.status.output, r, seq.statuses.size());
      if (st < 0 || seq.statuses[static_cast<size_t>(st)].kind == ir::StatusKind::NotEntered)
        continue;
      if (common.empty()) {
        common += ",\"stopped_by\":";
        const int stop = index_at(outputs, layout.stops.value.output, r, layout.stops.rules.size());
        common += stop >= 0 ? std::string_view(stop_json_[static_cast<size_t>(stop)]) : "null";
        common += ",\"review\":";
        review_list(outputs, r, common);
        common += ",\"cohort\":";
        cohort(outputs, r, common);
      }
      const bool due = seq.statuses[static_cast<size_t>(st)].kind == ir::StatusKind::Due;
      const int t = due ? index_at(outputs, seq.result.touch.output, r, seq.touches.size()) : -1;
      const int c = due ? index_at(outputs, seq.result.channel.output, r, seq.channels.size()) : -1;
      const int o = due ? index_at(outputs, seq.result.offer.output, r, seq.offers.size()) : -1;
      const int v =
          due ? index_at(outputs, seq.result.variant.output, r, seq.variant_names.size()) : -1;
      out += run_prefix_;
      append_json_string(out, batch.string_at(key, r).value_or(""));
      out += ",\"sequence\":";
      out += info.name_json;
      out += ",\"status\":";
      out += info.status_json[static_cast<size_t>(st)];
      append_decision(info, t, v, c, o, out);
      out += common;
      out += ",\"holdout_share\":";
      out += info.holdout_share;
      out += ",\"would_be\":";
      if (seq.statuses[static_cast<size_t>(st)].kind == ir::StatusKind::HeldOut)
        would_be(s, outputs, r, out);
      else
        out += "null";
      out += "}\n";
    }
  }
}

void HandoffEncoder::would_be(size_t s, const int8_t* const* outputs, int64_t r,
                              std::string& out) const {
  const ir::Sequence& seq = program_.layout.sequences[s];
  const SequenceInfo& info = sequences_[s];
  const ir::WouldBe& w = seq.would_be;
  const int st = index_at(outputs, w.status.output, r, seq.statuses.size());
  if (st < 0) {
    out += "null";
    return;
  }
  const int t = index_at(outputs, w.touch.output, r, seq.touches.size());
  const int c = index_at(outputs, w.channel.output, r, seq.channels.size());
  const int o = index_at(outputs, w.offer.output, r, seq.offers.size());
  const int v = index_at(outputs, w.variant.output, r, seq.variant_names.size());
  out += "{\"status\":";
  out += info.status_json[static_cast<size_t>(st)];
  append_decision(info, t, v, c, o, out);
  out += "}";
}

void HandoffEncoder::append_decision(const SequenceInfo& info, int t, int v, int c, int o,
                                     std::string& out) {
  auto json_or_null = [](const std::vector<std::string>& names, int i) {
    return i >= 0 ? std::string_view(names[static_cast<size_t>(i)]) : std::string_view("null");
  };
  out += ",\"touch\":";
  out += json_or_null(info.touch_json, t);
  out += ",\"step\":";
  out += json_or_null(info.step_json, t);
  out += ",\"variant\":";
  out += json_or_null(info.variant_json, v);
  out += ",\"channel\":";
  out += json_or_null(info.channel_json, c);
  out += ",\"offer\":";
  out += json_or_null(info.offer_json, o);
}

std::string HandoffEncoder::queue_header() {
  return "owner,customer_id,sequence,touch,step,channel,offer,rules,reasons,subject\n";
}

void HandoffEncoder::queue_records(const Batch& batch, const int8_t* const* outputs, int64_t begin,
                                   int64_t end, std::string& out) const {
  const auto key = static_cast<size_t>(program_.schema.key_field);
  const auto& rules = program_.layout.reviews.rules;
  std::string row, names, reasons, subject;
  std::vector<RkColumn> scores;
  std::vector<std::vector<uint8_t>> score_validity;
  score_columns(outputs, begin, end, scores, score_validity);
  const TemplateInputs in{&batch, outputs, scores.data()};
  for (int64_t r = begin; r < end; ++r) {
    names.clear();
    reasons.clear();
    for (const ir::ReviewRule& rule : rules) {
      if (rule.value.output == ir::kNoOutput || outputs[rule.value.output][r] != 1) continue;
      if (!names.empty()) names += ';', reasons += "; ";
      names += rule.name;
      reasons += rule.reason;
    }
    if (names.empty()) continue;
    // The rule file's `owner` (filled for every reviewed customer); without one, every row goes
    // to the empty owner.
    const std::string_view owner =
        owner_ ? field_text(*owner_, batch, outputs, r).value_or("") : std::string_view();
    row.clear();
    append_csv_field(row, owner);
    row.push_back(',');
    append_csv_field(row, batch.string_at(key, r).value_or(""));
    row.push_back(',');
    const int s = due_sequence(outputs, r);
    subject.clear();
    if (s >= 0) {
      const ir::Sequence& seq = program_.layout.sequences[static_cast<size_t>(s)];
      const int t = index_at(outputs, seq.result.touch.output, r, seq.touches.size());
      const int c = index_at(outputs, seq.result.channel.output, r, seq.channels.size());
      const int o = index_at(outputs, seq.result.offer.output, r, seq.offers.size());
      append_csv_field(row, seq.name);
      row.push_back(',');
      if (t >= 0) row += std::to_string(t + 1);
      row.push_back(',');
      if (t >= 0) append_csv_field(row, seq.touches[static_cast<size_t>(t)].name);
      row.push_back(',');
      if (c >= 0) append_csv_field(row, seq.channels[static_cast<size_t>(c)].name);
      row.push_back(',');
      if (o >= 0) append_csv_field(row, seq.offers[static_cast<size_t>(o)].text);
      // The subject of the due touch's message (empty for a channel without subjects: sms).
      const SequenceInfo& info = sequences_[static_cast<size_t>(s)];
      const int v = index_at(outputs, seq.result.variant.output, r, seq.variant_names.size());
      const MessageRender* m = message(static_cast<size_t>(s), t, v);
      if (m && m->has_subject && c >= 0 && info.channel_subject[static_cast<size_t>(c)])
        m->subject.render(in, r, subject);
    } else {
      row += ",,,,";  // reviews without sequences: no touch to name
    }
    row.push_back(',');
    append_csv_field(row, names);
    row.push_back(',');
    append_csv_field(row, reasons);
    row.push_back(',');
    append_csv_field(row, subject);
    row.push_back('\n');
    put_u32(out, owner.size());
    out += owner;
    put_u32(out, row.size());
    out += row;
  }
}

// ---- The review queue's sort ----------------------------------------------------------------

namespace {

struct RecordView {
  std::string_view owner, row;
};

// The record at `p` (see HandoffEncoder::queue_records) and its size.
RecordView record_at(const char* p, size_t& size) {
  const uint32_t olen = get_u32(p);
  const uint32_t rlen = get_u32(p + 4 + olen);
  size = 8 + static_cast<size_t>(olen) + rlen;
  return {std::string_view(p + 4, olen), std::string_view(p + 8 + olen, rlen)};
}

// Reads one spilled run back, a record at a time.
class RunReader {
 public:
  explicit RunReader(std::FILE* f) : f_(f) { std::rewind(f_); }
  // The next record, or false at the end (or on a read error: `failed`).
  bool next(bool& failed) {
    char head[4];
    if (std::fread(head, 1, 4, f_) != 4) return false;
    owner_.resize(get_u32(head));
    if (!owner_.empty() && std::fread(owner_.data(), 1, owner_.size(), f_) != owner_.size())
      return failed = true, false;
    if (std::fread(head, 1, 4, f_) != 4) return failed = true, false;
    row_.resize(get_u32(head));
    if (!row_.empty() && std::fread(row_.data(), 1, row_.size(), f_) != row_.size())
      return failed = true, false;
    return true;
  }
  const std::string& owner() const { return owner_; }
  const std::string& row() const { return row_; }

 private:
  std::FILE* f_;
  std::string owner_, row_;
};

// An unlinked temporary file (gone when closed, or when the process ends however it ends).
std::FILE* anonymous_file(std::string& error) {
  const char* dir = std::getenv("TMPDIR");
  std::string path = fmt::format("{}/rekindle-queue-XXXXXX", dir && *dir ? dir : "/tmp");
  const int fd = ::mkstemp(path.data());
  if (fd < 0) {
    error = fmt::format("cannot create a temporary file for the review queue in {}: {}",
                        dir && *dir ? dir : "/tmp", std::strerror(errno));
    return nullptr;
  }
  ::unlink(path.c_str());
  std::FILE* f = ::fdopen(fd, "w+b");
  if (!f) {
    ::close(fd);
    error =
        fmt::format("cannot open a temporary file for the review queue: {}", std::strerror(errno));
  }
  return f;
}

}  // namespace

QueueSorter::~QueueSorter() {
  for (std::FILE* f : runs_) std::fclose(f);
}

bool QueueSorter::add(std::string_view records) {
  size_t pos = 0;
  while (pos < records.size()) {
    size_t size = 0;
    record_at(records.data() + pos, size);
    offsets_.push_back(arena_.size());
    arena_.append(records.data() + pos, size);
    pos += size;
  }
  if (arena_.size() >= memory_) return spill();
  return true;
}

bool QueueSorter::spill() {
  // Sorted by owner; equal owners keep their order, so the run is in snapshot order within each.
  std::stable_sort(offsets_.begin(), offsets_.end(), [&](uint64_t a, uint64_t b) {
    size_t sa = 0, sb = 0;
    return record_at(arena_.data() + a, sa).owner < record_at(arena_.data() + b, sb).owner;
  });
  std::FILE* f = anonymous_file(error_);
  if (!f) return false;
  runs_.push_back(f);
  for (uint64_t off : offsets_) {
    size_t size = 0;
    record_at(arena_.data() + off, size);
    if (std::fwrite(arena_.data() + off, 1, size, f) != size) {
      error_ =
          fmt::format("cannot write the review queue's temporary file: {}", std::strerror(errno));
      return false;
    }
  }
  if (std::fflush(f) != 0) {
    error_ =
        fmt::format("cannot write the review queue's temporary file: {}", std::strerror(errno));
    return false;
  }
  arena_.clear();
  offsets_.clear();
  return true;
}

bool QueueSorter::write_sorted(AtomicFile& out) {
  if (runs_.empty()) {
    // Everything fits in memory: one sort, written straight out.
    std::stable_sort(offsets_.begin(), offsets_.end(), [&](uint64_t a, uint64_t b) {
      size_t sa = 0, sb = 0;
      return record_at(arena_.data() + a, sa).owner < record_at(arena_.data() + b, sb).owner;
    });
    for (uint64_t off : offsets_) {
      size_t size = 0;
      if (!out.write(record_at(arena_.data() + off, size).row)) return error_ = out.error(), false;
    }
    return true;
  }
  if (!offsets_.empty() && !spill()) return false;
  // Merge the runs: the smallest owner first; among equal owners the earlier run (runs are in
  // snapshot order), so the merge is stable.
  std::vector<RunReader> readers;
  std::vector<bool> live;
  bool failed = false;
  for (std::FILE* f : runs_) {
    readers.emplace_back(f);
    live.push_back(readers.back().next(failed));
  }
  for (;;) {
    if (failed) {
      error_ = "cannot read the review queue's temporary file back";
      return false;
    }
    int best = -1;
    for (size_t i = 0; i < readers.size(); ++i)
      if (live[i] && (best < 0 || readers[i].owner() < readers[static_cast<size_t>(best)].owner()))
        best = static_cast<int>(i);
    if (best < 0) return true;
    auto& rd = readers[static_cast<size_t>(best)];
    if (!out.write(rd.row())) return error_ = out.error(), false;
    live[static_cast<size_t>(best)] = rd.next(failed);
  }
}

std::string sorted_queue_text(std::string_view records) {
  std::vector<RecordView> rows;
  for (size_t pos = 0; pos < records.size();) {
    size_t size = 0;
    rows.push_back(record_at(records.data() + pos, size));
    pos += size;
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const RecordView& a, const RecordView& b) { return a.owner < b.owner; });
  std::string out = HandoffEncoder::queue_header();
  for (const RecordView& r : rows) out += r.row;
  return out;
}

// ---- The output group -------------------------------------------------------------------------

OutputGroupWriter::OutputGroupWriter(std::unique_ptr<ResultWriter> result,
                                     const ir::Program& program, const HandoffOptions& options)
    : result_(std::move(result)), encoder_(program, options), options_(options) {}

OutputGroupWriter::~OutputGroupWriter() = default;

std::unique_ptr<OutputGroupWriter> OutputGroupWriter::open(std::unique_ptr<ResultWriter> result,
                                                           const ir::Program& program,
                                                           const HandoffOptions& options,
                                                           std::string& error) {
  if (options.any() && program.schema.key_field < 0) {
    error = "the hand-off files need a key field in the schema";
    return nullptr;
  }
  std::unique_ptr<OutputGroupWriter> g(new OutputGroupWriter(std::move(result), program, options));
  if (options.any() && !g->encoder_.error().empty()) {
    error = g->encoder_.error();
    return nullptr;
  }
  const std::string* paths[kFiles] = {&options.drafts, &options.review_queue, &options.events};
  for (size_t k = 0; k < kFiles; ++k) {
    if (paths[k]->empty()) continue;
    if (*paths[k] == "-") {
      error = "the hand-off files are written to files, not to standard output";
      return nullptr;
    }
    g->wanted_[k] = true;
    if (!g->files_[k].open(*paths[k])) {
      error = g->files_[k].error();
      return nullptr;
    }
  }
  if (g->wanted_[kQueue]) {
    g->sorter_ = std::make_unique<QueueSorter>(options.queue_memory_bytes);
    if (!g->files_[kQueue].write(HandoffEncoder::queue_header())) {
      error = g->files_[kQueue].error();
      return nullptr;
    }
  }
  return g;
}

bool OutputGroupWriter::fail(std::string e) {
  error_ = std::move(e);
  failed_ = true;
  return false;
}

bool OutputGroupWriter::parallel_encoding() const {
  return !result_ || result_->parallel_encoding();
}

void OutputGroupWriter::encode(const Batch& batch, const int8_t* const* outputs, int64_t begin,
                               int64_t end, EncodedRows& out) const {
  if (result_) {
    result_->encode(batch, outputs, begin, end, out);
  } else {
    out.bytes.clear();
    out.rows = end - begin;
  }
  out.companions.resize(kFiles);
  for (auto& c : out.companions) c.clear();
  if (wanted_[kDrafts]) encoder_.drafts(batch, outputs, begin, end, out.companions[kDrafts]);
  if (wanted_[kQueue]) encoder_.queue_records(batch, outputs, begin, end, out.companions[kQueue]);
  if (wanted_[kEvents]) encoder_.events(batch, outputs, begin, end, out.companions[kEvents]);
}

bool OutputGroupWriter::append(EncodedRows& piece) {
  if (failed_) return false;
  if (result_ && !result_->append(piece)) return fail(result_->error());
  return append_companions(piece);
}

bool OutputGroupWriter::append_companions(const EncodedRows& piece) {
  if (piece.companions.size() < kFiles) return true;
  if (wanted_[kDrafts] && !files_[kDrafts].write(piece.companions[kDrafts]))
    return fail(files_[kDrafts].error());
  if (wanted_[kQueue] && !sorter_->add(piece.companions[kQueue])) return fail(sorter_->error());
  if (wanted_[kEvents] && !files_[kEvents].write(piece.companions[kEvents]))
    return fail(files_[kEvents].error());
  return true;
}

bool OutputGroupWriter::write(const Batch& batch, const int8_t* const* outputs) {
  if (failed_) return false;
  if (result_ && !result_->parallel_encoding()) {
    // A writer that only takes whole batches writes them; the group encodes its own files.
    if (!result_->write(batch, outputs)) return fail(result_->error());
    whole_.companions.resize(kFiles);
    for (auto& c : whole_.companions) c.clear();
    if (wanted_[kDrafts])
      encoder_.drafts(batch, outputs, 0, batch.num_rows, whole_.companions[kDrafts]);
    if (wanted_[kQueue])
      encoder_.queue_records(batch, outputs, 0, batch.num_rows, whole_.companions[kQueue]);
    if (wanted_[kEvents])
      encoder_.events(batch, outputs, 0, batch.num_rows, whole_.companions[kEvents]);
    return append_companions(whole_);
  }
  encode(batch, outputs, 0, batch.num_rows, whole_);
  return append(whole_);
}

namespace {

// Tests only: RK_TEST_KILL_IN_COMMIT=N kills the process once N files of a group are complete.
void maybe_kill(int completed) {
  static const int at = [] {
    const char* v = std::getenv("RK_TEST_KILL_IN_COMMIT");
    return v && *v ? std::atoi(v) : -1;
  }();
  if (at == completed) std::raise(SIGKILL);
}

}  // namespace

bool OutputGroupWriter::complete() {
  if (failed_) return false;
  int completed = 0;
  if (result_) {
    if (!result_->complete()) return fail(result_->error());
    maybe_kill(++completed);
  }
  for (size_t k = 0; k < kFiles; ++k) {
    if (!wanted_[k]) continue;
    if (k == kQueue && !sorter_->write_sorted(files_[kQueue])) return fail(sorter_->error());
    if (!files_[k].complete()) return fail(files_[k].error());
    maybe_kill(++completed);
  }
  completed_ = completed;
  return true;
}

bool OutputGroupWriter::publish() {
  if (failed_) return false;
  // The companions (the summary, written after complete()) are completed first, so every file is
  // complete before any is renamed.
  for (AtomicFile* f : companions_) {
    if (!f->complete()) return fail(f->error());
    maybe_kill(++completed_);
  }
  // Every file is complete: the renames follow one another. Should one fail, the files already
  // renamed are removed again, so the group still appears whole or not at all.
  std::vector<std::string> published;
  auto undo = [&](std::string e) {
    for (const std::string& p : published) ::unlink(p.c_str());
    return fail(std::move(e));
  };
  auto publish_one = [&](std::string target, auto&& rename, auto&& error) {
    if (!rename()) return undo(error());
    if (!target.empty()) published.push_back(std::move(target));
    return true;
  };
  if (result_ &&
      !publish_one(
          result_->target(), [&] { return result_->publish(); }, [&] { return result_->error(); }))
    return false;
  for (size_t k = 0; k < kFiles; ++k)
    if (wanted_[k] && !publish_one(
                          files_[k].target(), [&] { return files_[k].publish(); },
                          [&] { return files_[k].error(); }))
      return false;
  for (AtomicFile* f : companions_)
    if (!publish_one(
            f->target(), [&] { return f->publish(); }, [&] { return f->error(); }))
      return false;
  return true;
}

}  // namespace rk
