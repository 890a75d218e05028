// Rekindle runtime: local send times (winback-program.md 4.5). A touch is sent on the as-of date
// (the customer's local date) at its channel's local hour in the customer's time zone, moved to
// the next allowed day when its channel never sends on that local weekday; `send_at` is that
// instant in UTC, `YYYY-MM-DDTHH:MM:SSZ`. Zones come from the system's time-zone database
// (/usr/share/zoneinfo, daylight saving included) through Abseil's time library (cctz), never a
// hand-written offset table. A local time that falls in a gap or a fold takes the earlier offset:
// the one in force just before the transition.
//
// ZoneTable resolves names (each snapshot dictionary entry once; lookups are cheap and
// thread-safe); SendTimes computes each (zone, send window) instant of one as-of date once, so a
// run over millions of rows does the time-zone arithmetic once per distinct zone.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/zone_names.h"

namespace rk {

// A zone of a ZoneTable: an index into its sorted names.
using ZoneId = int32_t;
inline constexpr ZoneId kNoZone = -1;

class ZoneTable {
 public:
  // The zones of the time-zone database in `dir` (base/zone_names.h: the names Python's
  // zoneinfo.available_timezones() lists). Zones are loaded lazily, once each.
  explicit ZoneTable(const std::string& dir);
  ~ZoneTable();
  ZoneTable(const ZoneTable&) = delete;
  ZoneTable& operator=(const ZoneTable&) = delete;

  // The system's database (ZoneNames::system(): $TZDIR when set, else /usr/share/zoneinfo). Read
  // on first use, shared by every thread for the life of the process.
  static const ZoneTable& system();
  static std::string system_directory();

  // The zone called exactly `name` (case-sensitive, as the database spells it), or kNoZone.
  ZoneId find(std::string_view name) const { return names_.find(name); }
  // For an unknown name: a zone with the same name in another case (`europe/berlin` ->
  // `Europe/Berlin`), for a "did you mean".
  std::optional<std::string_view> suggest(std::string_view name) const {
    return names_.suggest(name);
  }

  size_t size() const { return names_.names().size(); }
  const std::string& name(ZoneId zone) const { return names_.names()[static_cast<size_t>(zone)]; }
  const std::string& directory() const { return names_.directory(); }
  // Why the table is empty (the directory cannot be read or holds no zone), else empty.
  const std::string& error() const { return names_.error(); }

  // The UTC instant (seconds since 1970-01-01T00:00:00Z) of local time `minute_of_day` (0..1439)
  // on local date `day` (days since 1970-01-01) in `zone`. A local time in a gap (skipped) or a
  // fold (repeated) takes the offset in force just before the transition: in a gap
  // UTC = local - (the earlier offset), NOT the end of the gap (Pacific/Apia skipped 2011-12-30:
  // 09:00 that day at -10:00 is 2011-12-30T19:00:00Z); in a fold, the first occurrence.
  // nullopt when the zone's file cannot be loaded any more (removed or replaced since the table
  // was made).
  std::optional<int64_t> utc_seconds(ZoneId zone, int32_t day, int minute_of_day) const;
  // The UTC offset in seconds in force in `zone` at `unix_seconds` (for explanations).
  std::optional<int32_t> utc_offset(ZoneId zone, int64_t unix_seconds) const;

 private:
  struct Zone;
  explicit ZoneTable(const ZoneNames& names);
  const Zone* load(ZoneId zone) const;

  std::unique_ptr<ZoneNames> own_;  // the names, unless they are ZoneNames::system()'s
  const ZoneNames& names_;
  std::unique_ptr<Zone[]> zones_;  // parallel to the names, loaded on first use
};

// A channel's local send time.
struct SendWindow {
  int minute_of_day = 9 * 60;     // 0..1439: 09:00 is 540
  uint8_t excluded_weekdays = 0;  // bit w set: never on local weekday w (kMonday .. kSunday)
};
inline constexpr uint8_t kMonday = 1 << 0, kTuesday = 1 << 1, kWednesday = 1 << 2,
                         kThursday = 1 << 3, kFriday = 1 << 4, kSaturday = 1 << 5, kSunday = 1 << 6,
                         kEveryDay = 0x7F;

// The weekday of a date (days since 1970-01-01): 0 Monday .. 6 Sunday.
inline int weekday_of(int64_t day) {
  const int64_t w = (day + 3) % 7;  // 1970-01-01 was a Thursday
  return static_cast<int>(w < 0 ? w + 7 : w);
}
// The first date from `day` on whose weekday is not excluded (`day` itself when every weekday is
// excluded, which a window must not be: check_send_window).
int32_t first_allowed_day(int32_t day, uint8_t excluded_weekdays);
// Why a window is invalid (minute outside 0..1439, every weekday excluded), or nullopt.
std::optional<std::string> check_send_window(const SendWindow& w);

// The send instants of one run: one as-of date, a list of windows (one per channel). Each
// (zone, window) instant is computed on first use and kept; safe to share between threads.
class SendTimes {
 public:
  // Every window must pass check_send_window.
  SendTimes(const ZoneTable& zones, int32_t as_of, std::vector<SendWindow> windows);

  // The UTC instant for a customer in `zone` of a touch sent through window `window`: the local
  // date is the as-of date, moved to the first allowed weekday. nullopt as in
  // ZoneTable::utc_seconds.
  std::optional<int64_t> instant(ZoneId zone, size_t window) const;
  // The local date the touch is sent on (for explanations).
  int32_t local_day(size_t window) const;

  int32_t as_of() const { return as_of_; }
  const ZoneTable& zones() const { return zones_; }

 private:
  const ZoneTable& zones_;
  int32_t as_of_;
  std::vector<SendWindow> windows_;
  // [window * zones + zone]: the instant, kUnknown before the first use, kFailed when the zone
  // could not be loaded.
  std::unique_ptr<std::atomic<int64_t>[]> cache_;
};

// Appends `YYYY-MM-DDTHH:MM:SSZ` (years outside 0000..9999 with a sign and at least 4 digits).
void append_utc_timestamp(std::string& out, int64_t unix_seconds);

}  // namespace rk
