// Rekindle measurement: a compact string -> dense id table for millions of keys (customer ids).
// Open addressing with linear probing over 16-byte slots that hold 32 bits of the key's hash, its
// id and where its bytes are in the arena (each key once, after its length), so a probe reads
// the slot and, when those 32 bits match (in practice: the same key), the key's bytes: two memory
// accesses, the first of which a caller can prefetch. No per-key allocation; a large slot array
// is mapped with transparent huge pages (fewer TLB misses on random probes) and starts zeroed, so
// its pages cost nothing until used. The hash is an inline 64-bit mix (no library call), and
// same_text(), used here and by measure, compares short texts without one either.
#pragma once

#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <new>
#include <string_view>
#include <utility>
#include <vector>

namespace rk::measure {

// Whether two short texts are equal, without a library call: strings of up to 32 bytes (labels,
// statuses, names, run ids) are compared as overlapping 8-byte words or smaller pieces, reading
// only their own bytes; longer ones go to memcmp.
__attribute__((always_inline)) inline bool same_text(std::string_view a, std::string_view b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  const char* x = a.data();
  const char* y = b.data();
  const auto word = [](const char* p, auto v) {
    std::memcpy(&v, p, sizeof v);
    return v;
  };
  if (n >= 8) {
    if (n > 32) return std::memcmp(x, y, n) == 0;
    if (n > 16)  // a run id: two overlapping 16-byte halves
      return ((word(x, uint64_t{}) ^ word(y, uint64_t{})) |
              (word(x + 8, uint64_t{}) ^ word(y + 8, uint64_t{})) |
              (word(x + n - 16, uint64_t{}) ^ word(y + n - 16, uint64_t{})) |
              (word(x + n - 8, uint64_t{}) ^ word(y + n - 8, uint64_t{}))) == 0;
    return ((word(x, uint64_t{}) ^ word(y, uint64_t{})) |
            (word(x + n - 8, uint64_t{}) ^ word(y + n - 8, uint64_t{}))) == 0;
  }
  if (n >= 4)
    return ((word(x, uint32_t{}) ^ word(y, uint32_t{})) |
            (word(x + n - 4, uint32_t{}) ^ word(y + n - 4, uint32_t{}))) == 0;
  for (size_t i = 0; i < n; ++i)
    if (x[i] != y[i]) return false;
  return true;
}

class StringTable {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  explicit StringTable(size_t expected = 1024) { rehash(capacity_for(expected)); }
  ~StringTable() { release(); }
  StringTable(const StringTable&) = delete;
  StringTable& operator=(const StringTable&) = delete;

  // The hash intern() and find() use; with prefetch(), a caller can start loading a key's slot
  // before it needs it (the table is far larger than the caches).
  static uint64_t hash(std::string_view s) {
    constexpr uint64_t k = 0x9E3779B97F4A7C15ULL;
    uint64_t h = 0x243F6A8885A308D3ULL ^ (s.size() * k);
    const char* p = s.data();
    size_t n = s.size();
    for (; n >= 8; n -= 8, p += 8) h = mix(h ^ load(p, 8));
    if (n) h = mix(h ^ load(p, n));
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    return h;
  }
  void prefetch(uint64_t h) const { __builtin_prefetch(&slots_[slot_of(h)]); }

  // The id of `s`, adding it when new (ids are 0, 1, 2, ... in insertion order).
  uint32_t intern(std::string_view s, bool& inserted) { return intern(s, hash(s), inserted); }
  // The same with the key's hash computed by the caller (hash(s)).
  uint32_t intern(std::string_view s, uint64_t h, bool& inserted) {
    const auto tag = static_cast<uint32_t>(h);
    size_t i = slot_of(h);
    while (true) {
      Slot& slot = slots_[i];
      if (slot.id_plus_1 == 0) break;
      if (slot.tag == tag && same_text(key_at(slot.at), s)) {
        inserted = false;
        return slot.id_plus_1 - 1;
      }
      i = (i + 1) & mask_;
    }
    const auto id = static_cast<uint32_t>(offsets_.size());
    const uint64_t at = append(s);
    offsets_.push_back(at);
    slots_[i] = {tag, id + 1, at};
    inserted = true;
    if (offsets_.size() * 10 > capacity_ * 7) rehash(capacity_ * 2);
    return id;
  }
  uint32_t intern(std::string_view s) {
    bool inserted = false;
    return intern(s, inserted);
  }
  // The id of `s`, or kNone.
  uint32_t find(std::string_view s) const { return find(s, hash(s)); }
  uint32_t find(std::string_view s, uint64_t h) const {
    const auto tag = static_cast<uint32_t>(h);
    for (size_t i = slot_of(h);; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (slot.id_plus_1 == 0) return kNone;
      if (slot.tag == tag && same_text(key_at(slot.at), s)) return slot.id_plus_1 - 1;
    }
  }
  // Makes room for `n` keys without growing.
  void reserve(size_t n) {
    const size_t c = capacity_for(n);
    if (c > capacity_) rehash(c);
    offsets_.reserve(n);
  }
  std::string_view str(uint32_t id) const { return key_at(offsets_[id]); }
  size_t size() const { return offsets_.size(); }

 private:
  struct Slot {
    uint32_t tag;        // the low 32 bits of the key's hash
    uint32_t id_plus_1;  // 0: empty
    uint64_t at;         // the key's place in the arena
  };
  static uint64_t load(const char* p, size_t n) {
    uint64_t v = 0;
    std::memcpy(&v, p, n);
    return v;
  }
  static uint64_t mix(uint64_t h) {
    const __uint128_t m = static_cast<__uint128_t>(h) * 0x9FB21C651E98DF25ULL;
    return static_cast<uint64_t>(m) ^ static_cast<uint64_t>(m >> 64);
  }
  std::string_view key_at(uint64_t at) const {
    uint32_t len = 0;
    std::memcpy(&len, arena_.data() + at, sizeof len);
    return {arena_.data() + at + sizeof len, len};
  }
  uint64_t append(std::string_view s) {
    const uint64_t at = arena_.size();
    const auto len = static_cast<uint32_t>(s.size());
    arena_.resize(at + sizeof len + s.size());
    std::memcpy(arena_.data() + at, &len, sizeof len);
    if (!s.empty()) std::memcpy(arena_.data() + at + sizeof len, s.data(), s.size());
    return at;
  }
  size_t slot_of(uint64_t h) const {
    // Fibonacci hashing: the top bits of a multiplication spread any hash over the table.
    return static_cast<size_t>((h * 0x9E3779B97F4A7C15ULL) >> shift_);
  }
  static size_t capacity_for(size_t n) {
    size_t c = 16;
    while (c * 7 < n * 10) c *= 2;
    return c;
  }
  // Zeroed slots: mapped (huge pages where the kernel allows) when large, else from the heap.
  static Slot* allocate(size_t capacity, bool& mapped) {
    const size_t bytes = capacity * sizeof(Slot);
    mapped = bytes >= (size_t{4} << 20);
    if (mapped) {
      void* m = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (m == MAP_FAILED) throw std::bad_alloc();
      ::madvise(m, bytes, MADV_HUGEPAGE);
      return static_cast<Slot*>(m);
    }
    return new Slot[capacity]();
  }
  void release() {
    if (!slots_) return;
    if (mapped_)
      ::munmap(slots_, capacity_ * sizeof(Slot));
    else
      delete[] slots_;
    slots_ = nullptr;
  }
  void rehash(size_t capacity) {
    bool mapped = false;
    Slot* slots = allocate(capacity, mapped);
    release();
    slots_ = slots;
    mapped_ = mapped;
    capacity_ = capacity;
    mask_ = capacity - 1;
    shift_ = 64;
    for (size_t c = capacity; c > 1; c >>= 1) --shift_;
    for (uint32_t id = 0; id < offsets_.size(); ++id) {
      const uint64_t h = hash(key_at(offsets_[id]));
      size_t i = slot_of(h);
      while (slots_[i].id_plus_1 != 0) i = (i + 1) & mask_;
      slots_[i] = {static_cast<uint32_t>(h), id + 1, offsets_[id]};
    }
  }

  Slot* slots_ = nullptr;
  bool mapped_ = false;
  size_t capacity_ = 0, mask_ = 0;
  unsigned shift_ = 64;
  std::vector<uint64_t> offsets_;  // [id]: the key's place in the arena
  std::vector<char> arena_;        // each key: its length (4 bytes), then its bytes
};

}  // namespace rk::measure
