// Rekindle runtime: ViewIndex, a small open-addressing index from strings to their position in
// a vector of string_views, for the per-batch dictionaries of list items (the Arrow reader's
// plain list<utf8> columns, the CSV reader's list columns). List items are few distinct words
// repeated on every row, so lookups dominate and must not touch the strings themselves.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace rk {

// string_view -> position in `entries`: open addressing over a cheap hash of the length and the
// first and last 8 bytes; it runs once per item of the snapshot.
// Each slot keeps the length and those 16 bytes: they decide equality without reading the entry
// for items of up to 16 bytes (the usual category word), and rule out almost every other mismatch.
class ViewIndex {
 public:
  // The position of `s` in `entries`, appending it when it is new (as store(s): the view to keep,
  // e.g. a copy of the bytes when `s` does not outlive the index).
  // (Inlined: it runs once per list item, in the readers' innermost loops.)
  [[gnu::always_inline]] int32_t find_or_add(std::string_view s,
                                             std::vector<std::string_view>& entries) {
    return find_or_add(s, entries, [](std::string_view v) { return v; });
  }
  template <typename Store>
  [[gnu::always_inline]] int32_t find_or_add(std::string_view s,
                                             std::vector<std::string_view>& entries,
                                             Store&& store) {
    if ((entries.size() + 1) * 2 > slots_.size())
      rehash(entries, std::max<size_t>(64, slots_.size() * 2));
    const Key key = key_of(s);
    for (size_t i = hash(key) & mask_;; i = (i + 1) & mask_) {
      Slot& slot = slots_[i];
      if (slot.entry < 0) return add(slot, key, entries, store(s));
      if (slot.key.size == key.size && slot.key.head == key.head && slot.key.tail == key.tail &&
          (key.size <= 16 || entries[static_cast<size_t>(slot.entry)] == s))
        return slot.entry;
    }
  }

  // Forgets every entry (keeps the table's memory).
  void clear() { std::fill(slots_.begin(), slots_.end(), Slot{}); }

 private:
  struct Key {
    uint64_t head = 0, tail = 0;  // together every byte of a string of up to 16 bytes
    uint32_t size = 0;
  };
  struct Slot {
    int32_t entry = -1;
    Key key;
  };
  // A new entry (out of line: rare).
  [[gnu::noinline]] static int32_t add(Slot& slot, const Key& key,
                                       std::vector<std::string_view>& entries,
                                       std::string_view kept) {
    slot = Slot{static_cast<int32_t>(entries.size()), key};
    entries.push_back(kept);
    return slot.entry;
  }

  // head: bytes 0..7 (shorter strings: overlapping loads that cover every byte); tail: the last
  // 8 bytes of a string longer than 8. Equal sizes and keys mean equal strings up to 16 bytes.
  static Key key_of(std::string_view s) {
    Key k;
    const char* p = s.data();
    const size_t n = s.size();
    k.size = static_cast<uint32_t>(n);
    if (n >= 8) {
      std::memcpy(&k.head, p, 8);
      if (n > 8) std::memcpy(&k.tail, p + n - 8, 8);
    } else if (n >= 4) {
      uint32_t a = 0, b = 0;
      std::memcpy(&a, p, 4);
      std::memcpy(&b, p + n - 4, 4);
      k.head = a | uint64_t{b} << 32;
    } else if (n > 0) {
      k.head = uint64_t{static_cast<uint8_t>(p[0])} |
               uint64_t{static_cast<uint8_t>(p[n / 2])} << 8 |
               uint64_t{static_cast<uint8_t>(p[n - 1])} << 16;
    }
    return k;
  }
  static size_t hash(const Key& k) {
    const uint64_t h = (k.head ^ (k.tail * 0x9E3779B97F4A7C15ull) ^ k.size) * 0xD6E8FEB86659FD93ull;
    return static_cast<size_t>(h ^ (h >> 32));
  }
  void rehash(const std::vector<std::string_view>& entries, size_t size) {
    slots_.assign(size, Slot{});
    mask_ = size - 1;
    for (size_t e = 0; e < entries.size(); ++e) {
      const Key key = key_of(entries[e]);
      size_t i = hash(key) & mask_;
      while (slots_[i].entry >= 0) i = (i + 1) & mask_;
      slots_[i] = Slot{static_cast<int32_t>(e), key};
    }
  }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
};

}  // namespace rk
