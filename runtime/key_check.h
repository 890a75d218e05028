// Rekindle runtime: the uniqueness check of the schema's key, one implementation for every
// reader. open_snapshot() wraps each reader of a schema with a key in a KeyCheckingReader (the
// Python binding wraps its in-memory reader the same way), so `eval`, `diff`, `explain`,
// `convert` and Python all refuse a snapshot in which one customer has two rows: two rows for one
// customer would get two messages.
//
// Memory: 12 bytes per row (a 64-bit fingerprint of the key and a 32-bit row number), kept in
// 256 partitions by the fingerprint's top byte; 10M rows: 120 MB. The fingerprint is a keyed
// hash (XXH3-64 with a seed drawn at random for every run). Equal keys always have equal
// fingerprints, so a duplicate is never missed. Different keys may share a fingerprint (for n
// rows, probability below n^2 / 2^65 per run: 2.7e-6 for 10M rows; a new seed every run, so no
// input can be made to collide on purpose): every row of a group of rows with one fingerprint is
// a suspect, and the group's keys are read again from the snapshot (a regular file; Python
// frames are in memory) and compared as text before anything is reported. Only a snapshot that
// cannot be read twice (a pipe or a FIFO) has its suspects reported unconfirmed, and the message
// says so.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/columnar.h"

namespace rk {

// The fingerprints of every key seen, partitioned; finds the rows whose fingerprint was seen
// before.
class KeyFingerprints {
 public:
  // `bits` < 64 keeps only the top `bits` of each fingerprint: tests use it to force
  // collisions between different keys.
  explicit KeyFingerprints(uint64_t seed, int bits = 64);
  ~KeyFingerprints();
  KeyFingerprints(const KeyFingerprints&) = delete;
  KeyFingerprints& operator=(const KeyFingerprints&) = delete;

  uint64_t fingerprint(std::string_view key) const;
  // Records the keys of every row of `batch` (String column `field`), numbered from first_row.
  void add(const Batch& batch, size_t field);

  // A row whose key fingerprint is shared with another row. Every row of such a group is a
  // suspect (not only the first and a later one: a collision between different keys must not
  // hide a real duplicate of one of them).
  struct Suspect {
    uint64_t fp = 0;
    int64_t row = 0;
  };
  // Every suspect, ordered by fingerprint, then row (after the last add()).
  std::vector<Suspect> suspects();
  int64_t rows() const { return rows_; }
  // Bytes held for the rows added so far (the blocks' capacity), for measurements.
  size_t bytes() const;
  static constexpr size_t kBytesPerRow = 12;

 private:
  struct Partition;
  // Rows staged for one partition (see add()).
  struct Stage {
    static constexpr int kSize = 16;
    uint64_t fp[kSize];
    int64_t row[kSize];
    int n = 0;
  };
  void flush(size_t partition);
  uint64_t seed_;
  uint64_t mask_;
  int64_t rows_ = 0;
  std::vector<std::unique_ptr<Partition>> parts_;
  std::vector<Stage> stages_;
  std::vector<uint64_t> scratch_;  // per-dictionary-entry fingerprints of the current batch
};

// A snapshot reader that passes another reader's batches through and checks the key: after the
// last batch, a key seen in two rows is a data error (error() names both rows), so the consumer
// never finishes a run over such a snapshot. `reread` opens the same snapshot again with the given
// (key-only) schema to confirm suspects; null when the input cannot be read twice.
class KeyCheckingReader final : public SnapshotReader {
 public:
  using Reopen = std::function<std::unique_ptr<SnapshotReader>(const Schema& key_only)>;
  // `fingerprint_bits`: see KeyFingerprints (tests only).
  KeyCheckingReader(std::unique_ptr<SnapshotReader> inner, const Schema& schema,
                    std::string display, Reopen reread, int fingerprint_bits = 64);
  bool next(Batch& out) override;
  const std::optional<SnapshotError>& error() const override;
  int64_t total_rows() const override { return inner_->total_rows(); }
  double fraction_read() const override { return inner_->fraction_read(); }
  int64_t display_row(int64_t index) const override { return inner_->display_row(index); }
  std::string sha256() override { return inner_->sha256(); }
  int64_t bytes_read() const override { return inner_->bytes_read(); }

 private:
  enum class Outcome { Confirmed, NoDuplicate, Unconfirmed };
  struct Duplicate {
    int64_t first = 0, row = 0;
    std::string key;  // empty when not confirmed
  };
  // `exact`: false when `total` counts suspects that were not read again (an estimate).
  Outcome confirm(const std::vector<KeyFingerprints::Suspect>& suspects,
                  std::vector<Duplicate>& found, size_t& total, bool& exact);
  bool finish();
  std::unique_ptr<SnapshotReader> inner_;
  size_t field_;
  FieldDef key_;
  std::string display_;
  Reopen reread_;
  KeyFingerprints prints_;
  bool done_ = false;
  std::optional<SnapshotError> error_;
};

// The most duplicate rows named in one error (the rest are counted).
inline constexpr size_t kMaxDuplicatesShown = 20;

}  // namespace rk
