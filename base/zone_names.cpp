// Rekindle base: the names of the system's time-zone database (see zone_names.h): a walk of the
// directory, like Python's os.walk (unreadable folders skipped, linked folders not entered).
#include "base/zone_names.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace rk {

namespace {

// True when the file at `path` starts with the TZif magic (following symbolic links).
bool is_tzif(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  return in.read(magic, 4) && std::string_view(magic, 4) == "TZif";
}

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

ZoneNames::ZoneNames(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path root = fs::absolute(fs::path(dir), ec);
  dir_ = ec ? dir : root.string();
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  if (ec) {
    error_ = "cannot read the time-zone database " + dir_ + ": " + ec.message();
    return;
  }
  for (const fs::recursive_directory_iterator end; it != end; it.increment(ec)) {
    if (ec) break;
    const fs::directory_entry& e = *it;
    std::error_code fe;
    if (e.is_directory(fe)) {
      const std::string leaf = e.path().filename().string();
      if (it.depth() == 0 && (leaf == "posix" || leaf == "right")) it.disable_recursion_pending();
      continue;
    }
    if (!e.is_regular_file(fe)) continue;
    std::string name = e.path().lexically_relative(root).generic_string();
    if (name == "posixrules" || name == "localtime") continue;
    if (is_tzif(e.path())) names_.push_back(std::move(name));
  }
  if (ec) {
    error_ = "cannot read the time-zone database " + dir_ + ": " + ec.message();
    names_.clear();
    return;
  }
  std::sort(names_.begin(), names_.end());
  names_.erase(std::unique(names_.begin(), names_.end()), names_.end());
  if (names_.empty()) error_ = "the time-zone database " + dir_ + " holds no zone";
}

std::string ZoneNames::system_directory() {
  const char* env = std::getenv("TZDIR");
  return (env && *env) ? std::string(env) : std::string("/usr/share/zoneinfo");
}

const ZoneNames& ZoneNames::system() {
  static const ZoneNames names(system_directory());
  return names;
}

int32_t ZoneNames::find(std::string_view name) const {
  const auto it = std::lower_bound(names_.begin(), names_.end(), name,
                                   [](const std::string& a, std::string_view b) { return a < b; });
  if (it == names_.end() || *it != name) return -1;
  return static_cast<int32_t>(it - names_.begin());
}

std::optional<std::string_view> ZoneNames::suggest(std::string_view name) const {
  for (const std::string& n : names_) {
    if (n.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < n.size() && same; ++i) same = ascii_lower(n[i]) == ascii_lower(name[i]);
    if (same) return std::string_view(n);
  }
  return std::nullopt;
}

}  // namespace rk
