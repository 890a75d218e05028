// Rekindle runtime: the bad rows of a snapshot, collected so a user fixes them all in one go. A
// reader given a DataErrors sink (ReaderOptions::errors) reports the first bad value of each bad
// row into it and reads on to the end of the snapshot; it still hands out no batch after a bad
// row and fails at the end, so a run stays all-or-nothing. The sink keeps the first `limit` rows
// by row number (100 by default; reports may arrive out of order from parallel decoding) and
// counts the rest. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/columnar.h"

namespace rk {

class DataErrors {
 public:
  static constexpr size_t kDefaultLimit = 100;
  explicit DataErrors(size_t limit = kDefaultLimit) : limit_(limit) {}

  // One bad row (its first bad value), or a problem of the whole file (row 0).
  void report(SnapshotError e);

  // Rows reported so far.
  size_t rows() const;
  bool empty() const { return rows() == 0; }
  // The kept errors (at most `limit`), by row; ties in report order.
  std::vector<SnapshotError> listed() const;
  // Rows reported but not listed.
  size_t more() const;
  // What to print: each listed error (SnapshotError::to_string()), then, when more than one row
  // is bad, a last line with the count: "FILE: 4211 rows with errors (the first 100 are shown)".
  std::vector<std::string> lines() const;

 private:
  size_t limit_;
  mutable std::mutex m_;
  size_t rows_ = 0;
  uint64_t seq_ = 0;
  struct Kept {
    SnapshotError e;
    uint64_t seq;
  };
  std::vector<Kept> kept_;  // a max-heap by (row, seq) while more than `limit` arrive
};

}  // namespace rk
