// Rekindle runtime: helpers of the in-memory columnar form (string access, error text).
#include "runtime/columnar.h"

#include <fmt/format.h>

namespace rk {

std::string SnapshotError::to_string() const {
  std::string out = file;
  if (row > 0) out += fmt::format(":{}", row);
  out += ": ";
  if (!column.empty()) out += fmt::format("column {}: ", column);
  out += message;
  return out;
}

}  // namespace rk
