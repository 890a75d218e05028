// Rekindle measurement: loading the outcomes into OutcomeTable (through the snapshot readers, a
// counting sort by customer, then by date within each customer), and UnitSet's move from
// front-coded customers to a hash table (see outcomes.h).
#include "runtime/measure/outcomes.h"

#include <fmt/format.h>
#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <optional>
#include <utility>

#include "compiler/ir/schema.h"
#include "runtime/columnar.h"
#include "runtime/measure/measure.h"

namespace rk::measure {

namespace {

// Reserves room for `n` elements and asks for transparent huge pages for it (before any of its
// pages is touched), when it is large enough to span some.
template <class T>
void reserve_huge(std::vector<T>& v, size_t n) {
  v.reserve(n);
  const size_t bytes = v.capacity() * sizeof(T);
  if (bytes < (size_t{4} << 20)) return;
  const auto begin = (reinterpret_cast<uintptr_t>(v.data()) + 4095) & ~uintptr_t{4095};
  const auto end = (reinterpret_cast<uintptr_t>(v.data()) + bytes) & ~uintptr_t{4095};
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

bool is_valid(const RkColumn& c, int64_t r) {
  return !c.validity || ((c.validity[r >> 3] >> (r & 7)) & 1);
}

}  // namespace

bool OutcomeTable::load(const std::string& path, StringTable& customers, int64_t& count,
                        std::string& error) {
  const Schema schema = outcomes_schema();
  std::optional<SnapshotError> serr;
  ReaderOptions options;
  options.fingerprint = false;  // measure reports no snapshot fingerprint: no SHA-256 to pay
  auto reader = open_snapshot(path, schema, options, serr);
  if (!reader) {
    error = serr ? serr->to_string() : fmt::format("{}: cannot open", path);
    return false;
  }
  std::vector<uint32_t> ids;
  std::vector<Outcome> rows;
  // Whether each customer's rows come together (then, numbered in order of appearance, the rows
  // are already grouped by customer).
  bool grouped = customers.size() == 0;
  std::vector<uint64_t> hashes;
  std::string_view previous;  // the customer of the row before (in the table's arena)
  // Room for every row at once (an Arrow file says how many; a CSV row takes some 30 to 40
  // bytes), so neither the rows nor the customer table grow step by step.
  std::error_code ec;
  const uint64_t bytes = std::filesystem::file_size(path, ec);
  const int64_t expected =
      reader->total_rows() >= 0
          ? reader->total_rows()
          : static_cast<int64_t>(ec ? 0 : std::min<uint64_t>(bytes / 32, uint64_t{1} << 26));
  ids.reserve(static_cast<size_t>(expected));
  reserve_huge(rows, static_cast<size_t>(expected));  // it may become outcomes_ (below)
  customers.reserve(static_cast<size_t>(expected));
  // Rows as errors name them: a CSV's header is row 1; an Arrow file's first record is row 1
  // (only Arrow knows its row count in advance).
  const int64_t row_base = reader->total_rows() >= 0 ? 1 : 2;
  Batch batch;
  while (reader->next(batch)) {
    const RkColumn& date = batch.columns[1];
    const RkColumn& kind = batch.columns[2];
    const RkColumn& revenue = batch.columns[3];
    const RkColumn& cost = batch.columns[4];
    const auto* dates = static_cast<const int32_t*>(date.values);
    const auto* kinds = static_cast<const int32_t*>(kind.values);
    const auto* revenues = static_cast<const double*>(revenue.values);
    const auto* costs = static_cast<const double*>(cost.values);
    // Customer ids hashed for the whole batch first, so each one's table slot can be loaded a
    // few rows before it is needed; a customer's rows usually come together, and a row with
    // the previous row's customer takes its id without a lookup.
    const int64_t n = batch.num_rows;
    constexpr int64_t kAhead = 8;
    hashes.resize(static_cast<size_t>(n));
    for (int64_t r = 0; r < n; ++r)
      hashes[static_cast<size_t>(r)] = StringTable::hash(*batch.string_at(0, r));
    for (int64_t r = 0; r < std::min(n, kAhead); ++r)
      customers.prefetch(hashes[static_cast<size_t>(r)]);
    for (int64_t r = 0; r < batch.num_rows; ++r) {
      if (r + kAhead < n) customers.prefetch(hashes[static_cast<size_t>(r + kAhead)]);
      const auto id = batch.string_at(0, r);
      const double rv = is_valid(revenue, r) ? revenues[r] : 0.0;
      const double cv = is_valid(cost, r) ? costs[r] : 0.0;
      for (const auto& [v, name] : {std::pair{rv, "revenue"}, std::pair{cv, "incentive_cost"}})
        if (!std::isfinite(v)) {
          error = SnapshotError{path, batch.first_row + r + row_base, name,
                                "must be a finite amount (missing means 0)"}
                      .to_string();
          return false;
        }
      if (!ids.empty() && same_text(*id, previous)) {
        ids.push_back(ids.back());
      } else {
        bool inserted = false;
        ids.push_back(customers.intern(*id, hashes[static_cast<size_t>(r)], inserted));
        previous = customers.str(ids.back());
        grouped = grouped && inserted;  // a customer seen before, but not on the row before
      }
      rows.push_back({dates[r], static_cast<OutcomeKind>(kinds[r]), rv, cv});
    }
  }
  if (reader->error()) {
    error = reader->error()->to_string();
    return false;
  }
  count = static_cast<int64_t>(rows.size());
  // Grouped by customer with a counting sort (stable: file order within a customer), then each
  // customer's few outcomes sorted by date, stably.
  // Both arrays are read at random (once per treated or control unit with outcomes): huge
  // pages spare most of those reads a TLB miss.
  reserve_huge(first_, customers.size() + 1);
  first_.assign(customers.size() + 1, 0);
  for (const uint32_t id : ids) ++first_[id + 1];
  for (size_t i = 1; i < first_.size(); ++i) first_[i] += first_[i - 1];
  if (grouped) {
    // Already in order (as `rekindle gen` writes them, and any file sorted by customer): no copy.
    outcomes_ = std::move(rows);
  } else {
    reserve_huge(outcomes_, rows.size());
    outcomes_.resize(rows.size());
    std::vector<size_t> next(first_.begin(), first_.end() - 1);
    for (size_t r = 0; r < rows.size(); ++r) outcomes_[next[ids[r]]++] = rows[r];
  }
  const auto by_date = [](const Outcome& a, const Outcome& b) { return a.date < b.date; };
  for (size_t c = 0; c + 1 < first_.size(); ++c) {
    Outcome* const b = outcomes_.data() + first_[c];
    Outcome* const e = outcomes_.data() + first_[c + 1];
    if (e - b > 1 && !std::is_sorted(b, e, by_date)) std::stable_sort(b, e, by_date);
  }
  return true;
}

size_t UnitSet::get_varint(const char*& p) {
  size_t v = 0;
  for (unsigned shift = 0;; shift += 7) {
    const auto byte = static_cast<unsigned char>(*p++);
    v |= static_cast<size_t>(byte & 0x7F) << shift;
    if (byte < 0x80) return v;
  }
}

void UnitSet::to_table() {
  table_ = std::make_unique<StringTable>(count_ * 2);
  std::string cur;
  for (size_t b = 0; b < blocks_.size(); ++b) {
    const char* p = blocks_[b].get();
    const char* const end = b < used_.size() ? p + used_[b] : at_;
    while (p < end) {
      const size_t shared = get_varint(p);
      const size_t rest = get_varint(p);
      cur.resize(shared);
      cur.append(p, rest);
      p += rest;
      table_->intern(cur);
    }
  }
  blocks_.clear();
  used_.clear();
  at_ = block_end_ = nullptr;
}

void UnitSet::new_block(size_t bytes) {
  constexpr size_t kBlockBytes = size_t{1} << 20;
  if (!blocks_.empty()) used_.push_back(static_cast<size_t>(at_ - blocks_.back().get()));
  const size_t size = std::max(bytes, kBlockBytes);
  // Not value-initialised (new char[n], not make_unique): its pages are touched as written.
  blocks_.emplace_back(new char[size]);
  at_ = blocks_.back().get();
  block_end_ = at_ + size;
}

}  // namespace rk::measure
