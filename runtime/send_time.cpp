// Rekindle runtime: local send times (see send_time.h). The zone names come from a walk of the
// database directory (base/zone_names.h); each zone is loaded by Abseil (absl::LoadTimeZone over
// the zone's file, so the TZif footer's rule covers instants after the last listed transition) the
// first time it is used; absl::TimeZone::At(CivilSecond).pre is exactly "the offset in force just
// before the transition" for gaps and folds.
#include "runtime/send_time.h"

#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <mutex>

#include "base/date.h"

namespace rk {

struct ZoneTable::Zone {
  std::once_flag once;
  bool loaded = false;
  absl::TimeZone tz;
};

ZoneTable::ZoneTable(const std::string& dir)
    : own_(std::make_unique<ZoneNames>(dir)), names_(*own_) {
  zones_ = std::make_unique<Zone[]>(names_.names().size());
}

ZoneTable::ZoneTable(const ZoneNames& names) : names_(names) {
  zones_ = std::make_unique<Zone[]>(names_.names().size());
}

ZoneTable::~ZoneTable() = default;

std::string ZoneTable::system_directory() {
  return ZoneNames::system_directory();
}

const ZoneTable& ZoneTable::system() {
  static const ZoneTable table(ZoneNames::system());
  return table;
}

const ZoneTable::Zone* ZoneTable::load(ZoneId zone) const {
  if (zone < 0 || static_cast<size_t>(zone) >= size()) return nullptr;
  Zone& z = zones_[static_cast<size_t>(zone)];
  std::call_once(z.once, [&] {
    // An absolute path: Abseil reads that file (never a built-in or fixed-offset zone).
    z.loaded = absl::LoadTimeZone(directory() + "/" + name(zone), &z.tz);
  });
  return z.loaded ? &z : nullptr;
}

std::optional<int64_t> ZoneTable::utc_seconds(ZoneId zone, int32_t day, int minute_of_day) const {
  const Zone* z = load(zone);
  if (!z) return std::nullopt;
  const CivilDate d = civil_from_days(day);
  const absl::CivilSecond local(d.year, static_cast<int>(d.month), static_cast<int>(d.day),
                                minute_of_day / 60, minute_of_day % 60, 0);
  // UNIQUE: pre == post; SKIPPED and REPEATED: pre is the time at the offset before the
  // transition (the earlier offset of the spec).
  return absl::ToUnixSeconds(z->tz.At(local).pre);
}

std::optional<int32_t> ZoneTable::utc_offset(ZoneId zone, int64_t unix_seconds) const {
  const Zone* z = load(zone);
  if (!z) return std::nullopt;
  return z->tz.At(absl::FromUnixSeconds(unix_seconds)).offset;
}

int32_t first_allowed_day(int32_t day, uint8_t excluded_weekdays) {
  for (int32_t k = 0; k < 7; ++k)
    if (!((excluded_weekdays >> weekday_of(int64_t{day} + k)) & 1)) return day + k;
  return day;
}

std::optional<std::string> check_send_window(const SendWindow& w) {
  if (w.minute_of_day < 0 || w.minute_of_day >= 24 * 60)
    return fmt::format("a send time is between 00:00 and 23:59 (minute {} of the day is not)",
                       w.minute_of_day);
  if ((w.excluded_weekdays & kEveryDay) == kEveryDay)
    return std::string("a channel that never sends on any day of the week can never send");
  return std::nullopt;
}

namespace {
constexpr int64_t kUnknown = std::numeric_limits<int64_t>::min();
constexpr int64_t kFailed = kUnknown + 1;
}  // namespace

SendTimes::SendTimes(const ZoneTable& zones, int32_t as_of, std::vector<SendWindow> windows)
    : zones_(zones), as_of_(as_of), windows_(std::move(windows)) {
  const size_t n = windows_.size() * zones_.size();
  cache_ = std::make_unique<std::atomic<int64_t>[]>(n);
  for (size_t i = 0; i < n; ++i) cache_[i].store(kUnknown, std::memory_order_relaxed);
}

int32_t SendTimes::local_day(size_t window) const {
  return first_allowed_day(as_of_, windows_[window].excluded_weekdays);
}

std::optional<int64_t> SendTimes::instant(ZoneId zone, size_t window) const {
  if (zone < 0 || static_cast<size_t>(zone) >= zones_.size() || window >= windows_.size())
    return std::nullopt;
  std::atomic<int64_t>& slot = cache_[window * zones_.size() + static_cast<size_t>(zone)];
  int64_t t = slot.load(std::memory_order_relaxed);
  if (t == kUnknown) {
    // Two threads may both compute it: the same value, so either store is right.
    const auto u = zones_.utc_seconds(zone, local_day(window), windows_[window].minute_of_day);
    t = u ? *u : kFailed;
    slot.store(t, std::memory_order_relaxed);
  }
  if (t == kFailed) return std::nullopt;
  return t;
}

void append_utc_timestamp(std::string& out, int64_t unix_seconds) {
  int64_t day = unix_seconds / 86400;
  if (unix_seconds % 86400 < 0) --day;
  const auto sec = static_cast<unsigned>(unix_seconds - day * 86400);
  const CivilDate d = civil_from_days(day);
  if (d.year < 0 || d.year > 9999) {
    out += fmt::format("{:+05}-{:02}-{:02}T{:02}:{:02}:{:02}Z", d.year, d.month, d.day, sec / 3600,
                       sec / 60 % 60, sec % 60);
    return;
  }
  char b[20];
  auto two = [&](int at, unsigned v) {
    b[at] = static_cast<char>('0' + v / 10);
    b[at + 1] = static_cast<char>('0' + v % 10);
  };
  const auto y = static_cast<unsigned>(d.year);
  two(0, y / 100);
  two(2, y % 100);
  b[4] = '-';
  two(5, d.month);
  b[7] = '-';
  two(8, d.day);
  b[10] = 'T';
  two(11, sec / 3600);
  b[13] = ':';
  two(14, sec / 60 % 60);
  b[16] = ':';
  two(17, sec % 60);
  b[19] = 'Z';
  out.append(b, sizeof b);
}

}  // namespace rk
