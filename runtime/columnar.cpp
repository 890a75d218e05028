// Rekindle runtime: helpers of the in-memory columnar form (string access, error text).
#include "runtime/columnar.h"

#include <fmt/format.h>

#include "compiler/ir/helpers.h"

namespace rk {

std::optional<std::string_view> Batch::string_at(size_t c, int64_t r) const {
  const RkColumn& col = columns[c];
  if (!is_present(col.validity, r)) return std::nullopt;
  switch (col.encoding) {
    case RK_STR_DICT: {
      const auto* dict = static_cast<const StringDict*>(col.dict);
      return dict->entries[static_cast<const int32_t*>(col.values)[r]];
    }
    case RK_STR_PLAIN32: {
      const auto* off = static_cast<const int32_t*>(col.offsets);
      return std::string_view(col.data + off[r], static_cast<size_t>(off[r + 1] - off[r]));
    }
    default: {
      const auto* off = static_cast<const int64_t*>(col.offsets);
      return std::string_view(col.data + off[r], static_cast<size_t>(off[r + 1] - off[r]));
    }
  }
}

std::string SnapshotError::to_string() const {
  std::string out = file;
  if (row > 0) out += fmt::format(":{}", row);
  out += ": ";
  if (!column.empty()) out += fmt::format("column {}: ", column);
  out += message;
  return out;
}

}  // namespace rk
