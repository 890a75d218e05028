// Rekindle base: the names of the system's time-zone database (the files of /usr/share/zoneinfo,
// or $TZDIR, that start with `TZif`), read once. Shared by the checker (a rule file's default zone
// is checked at compile time), the readers (a `time_zone` field's values) and the send-time
// arithmetic (runtime/send_time.h, which loads the zones themselves).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rk {

class ZoneNames {
 public:
  // The zones of the time-zone database in `dir`: every file (symbolic links to files included)
  // whose content starts with `TZif`, named by its path under `dir` (`America/New_York`, and
  // backward links such as `US/Eastern`), except the `posix/` and `right/` trees at the top,
  // `posixrules` and `localtime` (a link to the machine's own setting, not a zone): the names
  // Python's zoneinfo.available_timezones() lists.
  explicit ZoneNames(const std::string& dir);

  // The system's database: $TZDIR when set, else /usr/share/zoneinfo. Read on first use, shared
  // by every thread for the life of the process.
  static const ZoneNames& system();
  static std::string system_directory();

  // The index of the zone called exactly `name` (case-sensitive, as the database spells it) in
  // names(), or -1.
  int32_t find(std::string_view name) const;
  // For an unknown name: a zone with the same name in another case (`europe/berlin` ->
  // `Europe/Berlin`), for a "did you mean".
  std::optional<std::string_view> suggest(std::string_view name) const;

  const std::vector<std::string>& names() const { return names_; }  // sorted (byte order)
  const std::string& directory() const { return dir_; }
  // Why there are no names (the directory cannot be read or holds no zone), else empty.
  const std::string& error() const { return error_; }

 private:
  std::string dir_;
  std::string error_;
  std::vector<std::string> names_;
};

}  // namespace rk
