// Rekindle measurement: the two tables measure keys by customer (see measure.h). OutcomeTable
// holds every outcome of the outcomes file, grouped by customer and sorted by date, for the join
// with each treated or control unit; UnitSet tells a repeated unit (run, customer, sequence) of one
// run and sequence from a new one while keeping almost nothing per unit.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/measure/string_table.h"

namespace rk::measure {

enum class OutcomeKind : uint8_t { Purchase, Unsubscribe, Complaint };

// One row of the outcomes file (its customer is where OutcomeTable keeps it).
struct Outcome {
  int32_t date;  // days since 1970-01-01
  OutcomeKind kind;
  double revenue, cost;
};

// Every outcome, grouped by customer and sorted by date (ties in file order). Customers are
// numbered in the table given to load() (Measurer::customers_), where events look theirs up.
class OutcomeTable {
 public:
  // Reads every outcome of `path` (CSV or Arrow, outcomes_schema()), numbering their customers in
  // `customers`; `count`: the rows read. False with `error` naming the row and column on bad input.
  bool load(const std::string& path, StringTable& customers, int64_t& count, std::string& error);
  // The outcomes of the customer numbered `id` in the table given to load() (none for kNone).
  std::span<const Outcome> of(uint32_t id) const {
    if (id == StringTable::kNone || static_cast<size_t>(id) + 1 >= first_.size()) return {};
    return {outcomes_.data() + first_[id], outcomes_.data() + first_[id + 1]};
  }

 private:
  std::vector<size_t> first_;  // outcomes of customer i: [first_[i], first_[i + 1])
  std::vector<Outcome> outcomes_;
};

// The customers that have a unit of one run and sequence, to tell a repeated unit (the first read
// counts). While the customers come in ascending byte order (as `rekindle eval` writes a snapshot
// sorted by its key), a new customer is simply greater than the last one: nothing is looked up,
// and it is kept front-coded (its length shared with the previous one, then the rest: a few bytes).
// The first customer out of order moves every one kept into a hash table, which answers from then
// on. Either way a customer is new exactly when no earlier unit of the run and sequence had it.
class UnitSet {
 public:
  // Adds `c`; false when it was there already.
  bool insert(std::string_view c) {
    if (!table_) {
      size_t shared = 0;
      const int order =
          count_ == 0 ? 1 : compare(c, std::string_view(last_.data(), last_size_), shared);
      if (order > 0) {
        append(shared, c.substr(shared));
        if (c.size() > last_.size()) last_.resize(std::max(c.size(), 2 * last_.size()));
        if (!c.empty()) std::memcpy(last_.data(), c.data(), c.size());  // (an empty id: no copy)
        last_size_ = c.size();
        ++count_;
        return true;
      }
      if (order == 0) return false;
      to_table();
    }
    bool inserted = false;
    table_->intern(c, inserted);
    return inserted;
  }

 private:
  // The order of a against b (byte-wise, as memcmp; a prefix first) and the length of their
  // common prefix.
  static int compare(std::string_view a, std::string_view b, size_t& shared) {
    const size_t n = std::min(a.size(), b.size());
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      uint64_t x = 0, y = 0;
      std::memcpy(&x, a.data() + i, 8);
      std::memcpy(&y, b.data() + i, 8);
      if (x != y) {
        i += static_cast<size_t>(__builtin_ctzll(x ^ y)) / 8;  // little-endian: first byte first
        break;
      }
    }
    while (i < n && a[i] == b[i]) ++i;
    shared = i;
    if (i < n) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]) ? -1 : 1;
    return a.size() == b.size() ? 0 : a.size() < b.size() ? -1 : 1;
  }
  // Appends a customer: the length it shares with the previous one, the rest's length, the rest.
  void append(size_t shared, std::string_view rest) {
    constexpr size_t kVarints = 20;  // two varints of up to 10 bytes
    if (static_cast<size_t>(block_end_ - at_) < kVarints + rest.size())
      new_block(kVarints + rest.size());
    char* w = put_varint(at_, shared);
    w = put_varint(w, rest.size());
    if (!rest.empty()) std::memcpy(w, rest.data(), rest.size());
    at_ = w + rest.size();
  }
  static char* put_varint(char* w, size_t v) {
    while (v >= 0x80) {
      *w++ = static_cast<char>(0x80 | (v & 0x7F));
      v >>= 7;
    }
    *w++ = static_cast<char>(v);
    return w;
  }
  // A new block with room for at least `bytes` (a customer never spans two blocks).
  void new_block(size_t bytes);
  // The reading of a varint at p (moved past it).
  static size_t get_varint(const char*& p);
  // Moves every customer kept front-coded into the hash table.
  void to_table();

  size_t count_ = 0;
  std::vector<char> last_;  // the last customer: its first last_size_ bytes
  size_t last_size_ = 0;
  // Each customer: shared length, rest length (varints), rest; in blocks that are filled in turn
  // and never moved (growing one array would copy it, and hold both copies for a moment). used_:
  // the bytes written in each block but the last, which is written up to at_ (its end: block_end_).
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::vector<size_t> used_;
  char* at_ = nullptr;
  char* block_end_ = nullptr;
  std::unique_ptr<StringTable> table_;
};

}  // namespace rk::measure
