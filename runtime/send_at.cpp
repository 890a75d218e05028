// Rekindle runtime: the send_at results filled after the kernel (see send_at.h).
#include "runtime/send_at.h"

#include <fmt/format.h>

#include "compiler/ir/batch_abi.h"
#include "compiler/ir/helpers.h"

namespace rk {

SendAtFiller::SendAtFiller(const ir::Program& program, int32_t as_of, const ZoneTable& zones)
    : zones_(zones) {
  const ir::Layout& L = program.layout;
  std::vector<SendWindow> windows;
  for (size_t s = 0; s < L.sequences.size(); ++s) {
    const ir::Sequence& q = L.sequences[s];
    if (q.result.send_at.output == ir::kNoOutput) continue;
    Seq seq;
    seq.layout_index = s;
    seq.channel = q.result.channel.output;
    seq.instant = q.result.send_at.output;
    seq.present = q.result.send_at.present;
    for (const ir::Channel& c : q.channels) {
      if (!c.sends) {
        seq.window_of_channel.push_back(-1);
        continue;
      }
      const SendWindow w{c.sends->minute_of_day, c.sends->excluded_weekdays};
      int32_t k = 0;
      while (static_cast<size_t>(k) < windows.size() &&
             (windows[static_cast<size_t>(k)].minute_of_day != w.minute_of_day ||
              windows[static_cast<size_t>(k)].excluded_weekdays != w.excluded_weekdays))
        ++k;
      if (static_cast<size_t>(k) == windows.size()) windows.push_back(w);
      seq.window_of_channel.push_back(k);
    }
    seqs_.push_back(std::move(seq));
  }
  field_ = L.local_time.field;
  if (!L.local_time.fallback.empty()) fallback_ = zones_.find(L.local_time.fallback);
  times_ = std::make_unique<SendTimes>(zones_, as_of, std::move(windows));
  if (active() && !L.local_time.fallback.empty() && fallback_ == kNoZone)
    error_ = fmt::format("the default time zone \"{}\" is not in the time-zone database {}",
                         L.local_time.fallback, zones_.directory());
}

ZoneId SendAtFiller::zone_of(std::optional<std::string_view> text) const {
  return text ? zones_.find(*text) : fallback_;
}

void SendAtFiller::prepare_batch(const Batch& batch) {
  dict_zones_.clear();
  dict_ = nullptr;
  if (!active() || field_ < 0) return;
  const RkColumn& c = batch.columns[static_cast<size_t>(field_)];
  if (c.encoding != RK_STR_DICT || c.dict == nullptr) return;
  const auto& d = *static_cast<const StringDict*>(c.dict);
  dict_zones_.reserve(d.entries.size());
  for (std::string_view e : d.entries) dict_zones_.push_back(zones_.find(e));
  dict_ = c.dict;
}

void SendAtFiller::fill(const Batch& batch, int8_t* const* outputs, int64_t begin, int64_t end) {
  if (!active()) return;
  const RkColumn* zc = field_ >= 0 ? &batch.columns[static_cast<size_t>(field_)] : nullptr;
  const bool coded = zc && dict_ != nullptr && zc->dict == dict_;
  // The row's zone, looked up at most once per row whatever the number of sequences.
  auto zone_at = [&](int64_t r) {
    if (!zc || !is_present(zc->validity, r)) return fallback_;
    if (coded) return dict_zones_[static_cast<size_t>(static_cast<const int32_t*>(zc->values)[r])];
    return zone_of(column_string_at(*zc, r));
  };
  for (int64_t r = begin; r < end; ++r) {
    std::optional<ZoneId> zone;
    for (const Seq& s : seqs_) {
      auto* instant = reinterpret_cast<int64_t*>(outputs[s.instant]);
      int8_t* present = outputs[s.present];
      instant[r] = 0;
      present[r] = 0;
      const int ch = outputs[s.channel][r];
      if (ch < 0) continue;  // no touch due
      const int32_t w = s.window_of_channel[static_cast<size_t>(ch)];
      if (w < 0) continue;
      if (!zone) zone = zone_at(r);
      const std::optional<int64_t> t = times_->instant(*zone, static_cast<size_t>(w));
      if (!t) {
        std::lock_guard<std::mutex> lock(m_);
        if (error_.empty()) {
          const std::optional<std::string_view> text = zc ? column_string_at(*zc, r) : std::nullopt;
          error_ = fmt::format(
              "row {}: the time zone \"{}\" cannot be read from {}", batch.first_row + r + 1,
              text ? std::string(*text) : std::string("(the default)"), zones_.directory());
        }
        continue;
      }
      instant[r] = *t;
      present[r] = 1;
    }
  }
}

std::string SendAtFiller::error() const {
  std::lock_guard<std::mutex> lock(m_);
  return error_;
}

}  // namespace rk
