// Rekindle runtime: the key uniqueness check (fingerprints in partitions, suspects confirmed by
// reading the keys again); see key_check.h.
#include "runtime/key_check.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <random>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace rk {

namespace {

constexpr int kPartitionBits = 8;
constexpr size_t kPartitions = size_t{1} << kPartitionBits;
constexpr size_t kMaxBlock = 4096;
// Suspects confirmed per pass over the snapshot (each pass reads the key column once and keeps
// the suspects' keys: about 50 MB for a million). With 64-bit fingerprints the suspects are the
// duplicates themselves, so one pass confirms all of them unless a snapshot has more than a
// million duplicate rows; then the rows of later passes are counted, not read ("about N more").
constexpr size_t kConfirmRound = size_t{1} << 20;

// A key as shown in a message: control characters escaped, long keys shortened.
std::string shown_key(std::string_view key) {
  std::string out;
  for (size_t i = 0; i < key.size() && out.size() < 60; ++i) {
    const auto c = static_cast<unsigned char>(key[i]);
    if (c < 0x20 || c == 0x7f)
      out += fmt::format("\\x{:02x}", c);
    else
      out += static_cast<char>(c);
  }
  if (out.size() >= 60 && key.size() > 60) {
    // Cut at a character boundary.
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
    if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
    out += "...";
  }
  return "\"" + out + "\"";
}

}  // namespace

// The fingerprints of one partition in row order, in blocks that grow to kMaxBlock entries (a
// small snapshot allocates little; a large one wastes at most one partial block per partition).
struct KeyFingerprints::Partition {
  struct Block {
    std::vector<uint64_t> fp;
    std::vector<uint32_t> row_low;
    uint32_t row_high = 0;  // the high half of every row number in the block
  };
  std::vector<Block> blocks;
  size_t size = 0;

  void push(uint64_t fp, int64_t row) {
    const auto high = static_cast<uint32_t>(static_cast<uint64_t>(row) >> 32);
    if (blocks.empty() || blocks.back().fp.size() == blocks.back().fp.capacity() ||
        blocks.back().row_high != high) {
      const size_t cap = blocks.empty() ? 64 : std::min(kMaxBlock, blocks.back().fp.capacity() * 2);
      blocks.emplace_back();
      blocks.back().fp.reserve(cap);
      blocks.back().row_low.reserve(cap);
      blocks.back().row_high = high;
    }
    Block& b = blocks.back();
    b.fp.push_back(fp);
    b.row_low.push_back(static_cast<uint32_t>(row));
    ++size;
  }
};

KeyFingerprints::KeyFingerprints(uint64_t seed, int bits)
    : seed_(seed), mask_(bits >= 64 ? ~uint64_t{0} : ~((uint64_t{1} << (64 - bits)) - 1)) {
  parts_.reserve(kPartitions);
  for (size_t i = 0; i < kPartitions; ++i) parts_.push_back(std::make_unique<Partition>());
  stages_.resize(kPartitions);
}

KeyFingerprints::~KeyFingerprints() = default;

size_t KeyFingerprints::bytes() const {
  size_t n = 0;
  for (const auto& part : parts_)
    for (const auto& b : part->blocks)
      n += b.fp.capacity() * sizeof(uint64_t) + b.row_low.capacity() * sizeof(uint32_t);
  return n;
}

uint64_t KeyFingerprints::fingerprint(std::string_view key) const {
  return XXH3_64bits_withSeed(key.data(), key.size(), seed_) & mask_;
}

// Rows are first staged per partition, Stage::kSize at a time, in one contiguous array (64 KiB,
// stays in cache), and moved to the partition's block in a run, instead of one write into one of
// 256 growing blocks per row.

void KeyFingerprints::flush(size_t p) {
  Stage& st = stages_[p];
  Partition& part = *parts_[p];
  for (int i = 0; i < st.n; ++i) part.push(st.fp[i], st.row[i]);
  st.n = 0;
}

void KeyFingerprints::add(const Batch& batch, size_t field) {
  const RkColumn& col = batch.columns[field];
  const int64_t n = batch.num_rows;
  auto push = [&](uint64_t fp, int64_t r) {
    const size_t p = fp >> (64 - kPartitionBits);
    Stage& st = stages_[p];
    st.fp[st.n] = fp;
    st.row[st.n] = batch.first_row + r;
    if (++st.n == Stage::kSize) flush(p);
  };
  const auto* dict =
      col.encoding == RK_STR_DICT ? static_cast<const StringDict*>(col.dict) : nullptr;
  // A dictionary no larger than the batch is hashed once per entry; a larger one (shared by many
  // Arrow batches) per row, so the work per batch stays bounded by its rows.
  if (dict && dict->entries.size() <= static_cast<size_t>(n) && !col.validity) {
    scratch_.resize(dict->entries.size());
    for (size_t e = 0; e < dict->entries.size(); ++e) scratch_[e] = fingerprint(dict->entries[e]);
    const auto* codes = static_cast<const int32_t*>(col.values);
    for (int64_t r = 0; r < n; ++r) push(scratch_[static_cast<size_t>(codes[r])], r);
  } else {
    for (int64_t r = 0; r < n; ++r)
      if (auto key = column_string_at(col, r)) push(fingerprint(*key), r);
  }
  rows_ += n;
}

std::vector<KeyFingerprints::Suspect> KeyFingerprints::suspects() {
  for (size_t p = 0; p < parts_.size(); ++p) flush(p);
  std::vector<Suspect> out;
  std::vector<uint64_t> fps;
  std::vector<int64_t> rows;
  std::vector<uint32_t> table;
  std::vector<uint8_t> listed;  // per entry: already in `out`
  for (const auto& part : parts_) {
    if (part->size < 2) continue;
    fps.clear();
    rows.clear();
    for (const auto& b : part->blocks)
      for (size_t i = 0; i < b.fp.size(); ++i) {
        fps.push_back(b.fp[i]);
        rows.push_back(static_cast<int64_t>((uint64_t{b.row_high} << 32) | b.row_low[i]));
      }
    // Open addressing over this partition only (it fits in cache): slot = entry index + 1, the
    // first entry of each fingerprint.
    size_t cap = 16;
    while (cap < fps.size() * 2) cap *= 2;
    table.assign(cap, 0);
    listed.assign(fps.size(), 0);
    const size_t mask = cap - 1;
    for (size_t i = 0; i < fps.size(); ++i) {
      size_t slot = static_cast<size_t>(fps[i]) & mask;
      for (;;) {
        const uint32_t at = table[slot];
        if (at == 0) {
          table[slot] = static_cast<uint32_t>(i + 1);
          break;
        }
        if (fps[at - 1] == fps[i]) {
          if (!listed[at - 1]) {
            listed[at - 1] = 1;
            out.push_back({fps[i], rows[at - 1]});
          }
          out.push_back({fps[i], rows[i]});
          break;
        }
        slot = (slot + 1) & mask;
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const Suspect& a, const Suspect& b) {
    return a.fp != b.fp ? a.fp < b.fp : a.row < b.row;
  });
  return out;
}

namespace {

uint64_t run_seed() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace

KeyCheckingReader::KeyCheckingReader(std::unique_ptr<SnapshotReader> inner, const Schema& schema,
                                     std::string display, Reopen reread, int fingerprint_bits)
    : inner_(std::move(inner)),
      field_(static_cast<size_t>(schema.key_field)),
      key_(schema.fields[static_cast<size_t>(schema.key_field)]),
      display_(std::move(display)),
      reread_(std::move(reread)),
      prints_(run_seed(), fingerprint_bits) {}

bool KeyCheckingReader::next(Batch& out) {
  if (done_ || error_) return false;
  if (inner_->next(out)) {
    prints_.add(out, field_);
    return true;
  }
  done_ = true;
  if (!inner_->error()) finish();
  return false;
}

const std::optional<SnapshotError>& KeyCheckingReader::error() const {
  return error_ ? error_ : inner_->error();
}

// Confirms suspects by reading their keys again, whole fingerprint groups of about
// kConfirmRound rows per pass: within a group, a row whose key text is the key of an earlier
// row of the group is a duplicate of that row. Fills `found` (at most kMaxDuplicatesShown, by
// row) and `total`.
KeyCheckingReader::Outcome KeyCheckingReader::confirm(
    const std::vector<KeyFingerprints::Suspect>& suspects, std::vector<Duplicate>& found,
    size_t& total, bool& exact) {
  Schema key_only;
  key_only.name = "key";
  key_only.fields.push_back(key_);
  key_only.fields.back().key = false;
  exact = true;
  size_t start = 0;
  while (start < suspects.size()) {
    // A round: whole groups, at least kConfirmRound rows (or what is left).
    size_t end = start;
    while (end < suspects.size() &&
           (end - start < kConfirmRound || suspects[end].fp == suspects[end - 1].fp))
      ++end;
    std::vector<int64_t> wanted;
    for (size_t i = start; i < end; ++i) wanted.push_back(suspects[i].row);
    std::sort(wanted.begin(), wanted.end());
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
    std::vector<std::string> texts(wanted.size());
    auto reader = reread_(key_only);
    if (!reader) return Outcome::Unconfirmed;
    Batch b;
    size_t w = 0;
    while (w < wanted.size() && reader->next(b)) {
      for (; w < wanted.size() && wanted[w] < b.first_row + b.num_rows; ++w)
        if (wanted[w] >= b.first_row)
          if (auto s = b.string_at(0, wanted[w] - b.first_row)) texts[w] = std::string(*s);
    }
    if (w < wanted.size()) return Outcome::Unconfirmed;  // shorter than before: changed
    auto text_of = [&](int64_t row) -> const std::string& {
      return texts[static_cast<size_t>(std::lower_bound(wanted.begin(), wanted.end(), row) -
                                       wanted.begin())];
    };
    std::vector<Duplicate> round;
    for (size_t g = start; g < end;) {
      size_t h = g;
      while (h < end && suspects[h].fp == suspects[g].fp) ++h;
      // Rows of one fingerprint, in row order: the first row of each text is its first row.
      std::map<std::string_view, int64_t> first;
      for (size_t i = g; i < h; ++i) {
        const std::string& key = text_of(suspects[i].row);
        auto [it, fresh] = first.emplace(key, suspects[i].row);
        if (!fresh) round.push_back({it->second, suspects[i].row, key});
      }
      g = h;
    }
    total += round.size();
    // The earliest rows are shown: merge this round's duplicates in, by row.
    for (auto& d : round) found.push_back(std::move(d));
    std::sort(found.begin(), found.end(),
              [](const Duplicate& a, const Duplicate& b) { return a.row < b.row; });
    if (found.size() > kMaxDuplicatesShown) found.resize(kMaxDuplicatesShown);
    start = end;
    if (total > 0 && start < suspects.size()) {
      // The rest is not read again: its rows are counted as the duplicates they most likely are
      // (each group's rows after its first).
      for (size_t i = start + 1; i < suspects.size(); ++i)
        if (suspects[i].fp == suspects[i - 1].fp) ++total;
      exact = false;
      break;
    }
  }
  std::sort(found.begin(), found.end(),
            [](const Duplicate& a, const Duplicate& b) { return a.row < b.row; });
  return total > 0 ? Outcome::Confirmed : Outcome::NoDuplicate;
}

bool KeyCheckingReader::finish() {
  const std::vector<KeyFingerprints::Suspect> suspects = prints_.suspects();
  if (suspects.empty()) return true;
  std::vector<Duplicate> found;
  size_t total = 0;
  bool exact = true;
  const Outcome outcome = reread_ ? confirm(suspects, found, total, exact) : Outcome::Unconfirmed;
  if (outcome == Outcome::NoDuplicate) return true;
  if (outcome == Outcome::Unconfirmed) {
    // Every row of a group after its first, reported by fingerprint.
    found.clear();
    total = 0;
    size_t first = 0;
    for (size_t i = 1; i < suspects.size(); ++i) {
      if (suspects[i].fp != suspects[i - 1].fp) {
        first = i;
        continue;
      }
      ++total;
      found.push_back({suspects[first].row, suspects[i].row, {}});
    }
    std::sort(found.begin(), found.end(),
              [](const Duplicate& a, const Duplicate& b) { return a.row < b.row; });
    if (found.size() > kMaxDuplicatesShown) found.resize(kMaxDuplicatesShown);
  }
  auto line = [&](const Duplicate& d) {
    if (outcome == Outcome::Confirmed)
      return fmt::format(
          "the key {} is also in row {}: one customer has two rows (each would get "
          "its own messages)",
          shown_key(d.key), inner_->display_row(d.first));
    return fmt::format(
        "has the same key as row {} (compared by fingerprint only: the snapshot "
        "cannot be read a second time to compare the keys themselves)",
        inner_->display_row(d.first));
  };
  SnapshotError e{display_, inner_->display_row(found[0].row), key_.name, line(found[0])};
  for (size_t i = 1; i < found.size(); ++i)
    e.message +=
        "\n" + SnapshotError{display_, inner_->display_row(found[i].row), key_.name, line(found[i])}
                   .to_string();
  if (total > found.size())
    e.message += fmt::format("\n... and {}{} more rows whose key is in an earlier row",
                             exact ? "" : "about ", total - found.size());
  error_ = std::move(e);
  return false;
}

}  // namespace rk
