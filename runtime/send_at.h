// Rekindle runtime: the `SEQUENCE_send_at` results (winback-program.md 4.5), filled after the
// kernel from what it decided. The kernels (JIT and interpreter alike) write 0 and "not present"
// into a sequence's send_at outputs; SendAtFiller then reads, per row, the sequence's channel
// output (set only for a due touch), that channel's send window and the customer's zone (the
// `local time from` field, or its default), and writes the UTC instant through SendTimes, which
// does the time-zone arithmetic once per distinct (zone, window) of the run. So both engines
// agree by construction, and every consumer of the outputs (writers, summary, hand-off, tests,
// Python) reads the instant like any other result value.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "compiler/ir/program.h"
#include "runtime/columnar.h"
#include "runtime/send_time.h"

namespace rk {

class SendAtFiller {
 public:
  // For `program` evaluated as of `as_of` (days since 1970-01-01), zones from `zones`.
  SendAtFiller(const ir::Program& program, int32_t as_of,
               const ZoneTable& zones = ZoneTable::system());
  // Whether some sequence has send times (otherwise prepare and fill do nothing).
  bool active() const { return !seqs_.empty(); }

  // Once per batch, before fill: looks up each dictionary entry of the zone column once.
  void prepare_batch(const Batch& batch);
  // Fills rows [begin, end) of the send_at outputs of `outputs` (after the kernel wrote them).
  // Thread-safe for disjoint row ranges. A zone that cannot be used (unknown to the database, or
  // its file gone since the run began) leaves the row empty and records error().
  void fill(const Batch& batch, int8_t* const* outputs, int64_t begin, int64_t end);

  // The first problem met by fill, or "".
  std::string error() const;
  // The zone of a customer whose `local time` field holds `text` (nullopt: missing).
  ZoneId zone_of(std::optional<std::string_view> text) const;

 private:
  struct Seq {
    size_t layout_index = 0;
    uint32_t channel = 0, instant = 0, present = 0;  // output indexes
    std::vector<int32_t> window_of_channel;          // -1: the channel has no send time
  };
  const ZoneTable& zones_;
  std::vector<Seq> seqs_;
  int32_t field_ = -1;
  ZoneId fallback_ = kNoZone;
  std::unique_ptr<SendTimes> times_;
  std::vector<ZoneId> dict_zones_;  // the current batch's dictionary entries' zones
  const void* dict_ = nullptr;
  mutable std::mutex m_;
  std::string error_;
};

}  // namespace rk
