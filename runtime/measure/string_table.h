// Rekindle measurement: a compact string -> dense id table for millions of keys (customer ids,
// event units). Open addressing with linear probing over 16-byte slots that hold the key's full
// 64-bit hash, so a probe compares stored bytes only when the hashes are equal (in practice: the
// same key); the bytes themselves live once in an arena. No per-key allocation.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <string_view>
#include <vector>

namespace rk::measure {

class StringTable {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  explicit StringTable(size_t expected = 1024) { rehash(capacity_for(expected)); }

  // The hash intern() and find() use; with prefetch(), a caller can start loading a key's slot
  // before it needs it (the table is far larger than the caches).
  static uint64_t hash(std::string_view s) { return std::hash<std::string_view>{}(s); }
  void prefetch(uint64_t h) const { __builtin_prefetch(&slots_[slot_of(h)]); }

  // The id of `s`, adding it when new (ids are 0, 1, 2, ... in insertion order).
  uint32_t intern(std::string_view s, bool& inserted) { return intern(s, hash(s), inserted); }
  // The same with the key's hash computed by the caller (hash(s)).
  uint32_t intern(std::string_view s, uint64_t h, bool& inserted) {
    size_t i = slot_of(h);
    while (true) {
      Slot& slot = slots_[i];
      if (slot.id == kNone) break;
      if (slot.hash == h && str(slot.id) == s) {
        inserted = false;
        return slot.id;
      }
      i = (i + 1) & mask_;
    }
    const auto id = static_cast<uint32_t>(entries_.size());
    entries_.push_back({arena_.size(), s.size()});
    arena_.insert(arena_.end(), s.begin(), s.end());
    slots_[i] = {h, id};
    inserted = true;
    if (entries_.size() * 10 > slots_.size() * 7) rehash(slots_.size() * 2);
    return id;
  }
  uint32_t intern(std::string_view s) {
    bool inserted = false;
    return intern(s, inserted);
  }
  // The id of `s`, or kNone.
  uint32_t find(std::string_view s) const { return find(s, hash(s)); }
  uint32_t find(std::string_view s, uint64_t h) const {
    for (size_t i = slot_of(h);; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (slot.id == kNone) return kNone;
      if (slot.hash == h && str(slot.id) == s) return slot.id;
    }
  }
  // Makes room for `n` keys without growing.
  void reserve(size_t n) {
    const size_t c = capacity_for(n);
    if (c > slots_.size()) rehash(c);
    entries_.reserve(n);
  }
  std::string_view str(uint32_t id) const {
    const Entry& e = entries_[id];
    return {arena_.data() + e.offset, e.size};
  }
  size_t size() const { return entries_.size(); }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t id = kNone;
  };
  struct Entry {
    size_t offset, size;
  };
  size_t slot_of(uint64_t h) const {
    // Fibonacci hashing: the top bits of a multiplication spread any hash over the table.
    return static_cast<size_t>((h * 0x9E3779B97F4A7C15ULL) >> shift_);
  }
  static size_t capacity_for(size_t n) {
    size_t c = 16;
    while (c * 7 < n * 10) c *= 2;
    return c;
  }
  void rehash(size_t capacity) {
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    shift_ = 64;
    for (size_t c = capacity; c > 1; c >>= 1) --shift_;
    for (uint32_t id = 0; id < entries_.size(); ++id) {
      const uint64_t h = hash(str(id));
      size_t i = slot_of(h);
      while (slots_[i].id != kNone) i = (i + 1) & mask_;
      slots_[i] = {h, id};
    }
  }

  std::vector<Slot> slots_;
  std::vector<Entry> entries_;
  std::vector<char> arena_;
  size_t mask_ = 0;
  unsigned shift_ = 64;
};

}  // namespace rk::measure
