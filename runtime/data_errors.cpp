// Rekindle runtime: the bad rows of a snapshot (see data_errors.h).
#include "runtime/data_errors.h"

#include <fmt/format.h>

#include <algorithm>

namespace rk {
namespace {

struct ByRow {
  template <typename K>
  bool operator()(const K& a, const K& b) const {
    return a.e.row != b.e.row ? a.e.row < b.e.row : a.seq < b.seq;
  }
};

}  // namespace

void DataErrors::report(SnapshotError e) {
  std::lock_guard lock(m_);
  ++rows_;
  if (limit_ == 0) return;
  Kept k{std::move(e), seq_++};
  if (kept_.size() < limit_) {
    kept_.push_back(std::move(k));
    std::push_heap(kept_.begin(), kept_.end(), ByRow{});
  } else if (ByRow{}(k, kept_.front())) {  // earlier than the latest kept row: it takes its place
    std::pop_heap(kept_.begin(), kept_.end(), ByRow{});
    kept_.back() = std::move(k);
    std::push_heap(kept_.begin(), kept_.end(), ByRow{});
  }
}

size_t DataErrors::rows() const {
  std::lock_guard lock(m_);
  return rows_;
}

std::vector<SnapshotError> DataErrors::listed() const {
  std::vector<Kept> k;
  {
    std::lock_guard lock(m_);
    k = kept_;
  }
  std::sort(k.begin(), k.end(), ByRow{});
  std::vector<SnapshotError> out;
  out.reserve(k.size());
  for (auto& x : k) out.push_back(std::move(x.e));
  return out;
}

size_t DataErrors::more() const {
  std::lock_guard lock(m_);
  return rows_ - kept_.size();
}

std::vector<std::string> DataErrors::lines() const {
  const std::vector<SnapshotError> errors = listed();
  std::vector<std::string> out;
  out.reserve(errors.size() + 1);
  for (const auto& e : errors) out.push_back(e.to_string());
  const size_t total = rows();
  if (total > 1 && !errors.empty()) {
    std::string line = fmt::format("{}: {} rows with errors", errors.front().file, total);
    if (total > errors.size()) line += fmt::format(" (the first {} are shown)", errors.size());
    out.push_back(std::move(line));
  }
  return out;
}

}  // namespace rk
