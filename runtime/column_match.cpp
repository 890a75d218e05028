// Rekindle runtime: schema fields matched to snapshot columns by name (see column_match.h).
#include "runtime/column_match.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

namespace rk {

namespace {

constexpr size_t kListed = 8;  // column names listed in a "missing" message

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Levenshtein distance, or `limit + 1` as soon as it exceeds `limit`.
size_t distance(std::string_view a, std::string_view b, size_t limit) {
  if (a.size() > b.size() + limit || b.size() > a.size() + limit) return limit + 1;
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    size_t best = cur[0];
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t sub = prev[j - 1] + (lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      best = std::min(best, cur[j]);
    }
    if (best > limit) return limit + 1;
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::string closest_name(std::string_view name, const std::vector<std::string_view>& names) {
  const size_t limit = std::max<size_t>(1, std::min<size_t>(3, name.size() / 3));
  size_t best = limit + 1;
  std::string_view found;
  for (std::string_view n : names) {
    const size_t d = distance(name, n, limit);
    if (d < best) {
      best = d;
      found = n;
    }
  }
  return std::string(found);
}

namespace {

// Each name's position; false with `err` when a name appears twice.
bool positions_of(const std::vector<std::string_view>& names, const std::string& display,
                  std::string_view where, int64_t row, std::optional<SnapshotError>& err,
                  std::unordered_map<std::string_view, size_t>& position) {
  position.reserve(names.size() * 2);
  for (size_t i = 0; i < names.size(); ++i) {
    auto [it, fresh] = position.emplace(names[i], i);
    if (!fresh) {
      err = SnapshotError{display, row, std::string(names[i]),
                          fmt::format("appears more than once in the {} (columns {} and {})", where,
                                      it->second + 1, i + 1)};
      return false;
    }
  }
  return true;
}

}  // namespace

bool unique_column_names(const std::vector<std::string_view>& names, const std::string& display,
                         std::string_view where, int64_t row, std::optional<SnapshotError>& err) {
  std::unordered_map<std::string_view, size_t> position;
  return positions_of(names, display, where, row, err, position);
}

std::optional<std::vector<size_t>> match_columns(const std::vector<std::string_view>& names,
                                                 const Schema& schema, const std::string& display,
                                                 std::string_view where, int64_t row,
                                                 std::optional<SnapshotError>& err) {
  std::unordered_map<std::string_view, size_t> position;
  if (!positions_of(names, display, where, row, err, position)) return std::nullopt;
  std::vector<size_t> out;
  out.reserve(schema.fields.size());
  for (const FieldDef& fd : schema.fields) {
    auto it = position.find(fd.name);
    if (it != position.end()) {
      out.push_back(it->second);
      continue;
    }
    std::string message = fmt::format("missing from the {}", where);
    const std::string near = closest_name(fd.name, names);
    if (!near.empty()) message += fmt::format("; did you mean `{}`?", near);
    std::string listed;
    for (size_t i = 0; i < names.size() && i < kListed; ++i)
      listed += fmt::format("{}{}{}", i ? ", " : "", names[i].substr(0, 40),
                            names[i].size() > 40 ? "..." : "");
    if (names.size() > kListed) listed += ", ...";
    message += names.size() == 1 ? fmt::format(" (it has 1 column: {})", listed)
                                 : fmt::format(" (it has {} columns: {})", names.size(), listed);
    err = SnapshotError{display, 0, fd.name, std::move(message)};
    return std::nullopt;
  }
  return out;
}

}  // namespace rk
