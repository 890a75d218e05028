// Tests of local send times (runtime/send_time.h, winback-program.md 4.5 and 9): the zone table
// (names as the system's database has them, backward links included), hand-computed corners
// (daylight-saving starts and ends in the US, the EU and the southern hemisphere, half-hour and
// 45-minute zones, Sundays, date-line day skips), the earlier-offset rule in gaps and folds,
// instants after the last transition a zone file lists, the per-run cache across threads, and a
// differential test against the independent oracle (tests/oracle/program_oracle.py) over every
// zone and the days around each of its transitions.
#include <absl/time/time.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/date.h"
#include "runtime/send_time.h"

using namespace rk;

namespace {

int32_t day_of(std::string_view iso) {
  int32_t d = 0;
  REQUIRE(parse_iso_date(iso, d));
  return d;
}

std::string utc_text(int64_t t) {
  std::string s;
  append_utc_timestamp(s, t);
  return s;
}

const SendWindow kEmail{9 * 60, 0};
const SendWindow kSms{11 * 60, kSunday};

// send_at of the spec: as-of date, zone name, channel.
std::string send_at(std::string_view as_of, std::string_view zone, std::string_view channel) {
  const ZoneTable& zones = ZoneTable::system();
  const ZoneId z = zones.find(zone);
  INFO(zone);
  REQUIRE(z != kNoZone);
  const SendTimes times(zones, day_of(as_of), {kEmail, kSms});
  const auto t = times.instant(z, channel == "sms" ? 1 : 0);
  REQUIRE(t);
  return utc_text(*t);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string fresh_dir(const std::string& name) {
  std::string dir = std::string(RK_BINARY_DIR) + "/test_send_time_" + name;
  REQUIRE(std::system(("rm -rf '" + dir + "' && mkdir -p '" + dir + "'").c_str()) == 0);
  return dir;
}

}  // namespace

TEST_CASE("send time: hand-computed corners", "[send_time]") {
  struct Case {
    const char *day, *zone, *channel, *want;
  };
  // The oracle's selftest corners, each computed by hand (tests/oracle/program_oracle.py).
  const Case cases[] = {
      // Monday after the US fall-back: EST (-05:00).
      {"2026-11-02", "America/New_York", "email", "2026-11-02T14:00:00Z"},
      {"2026-11-02", "America/New_York", "sms", "2026-11-02T16:00:00Z"},
      // Sunday of the fall-back (a backward link): email 09:00 EST; sms moves to Monday 11:00.
      {"2026-11-01", "US/Eastern", "email", "2026-11-01T14:00:00Z"},
      {"2026-11-01", "US/Eastern", "sms", "2026-11-02T16:00:00Z"},
      // The Saturday before: still EDT (-04:00).
      {"2026-10-31", "America/New_York", "email", "2026-10-31T13:00:00Z"},
      // US spring-forward: Saturday EST, Sunday EDT from 02:00, sms to Monday (EDT).
      {"2026-03-07", "America/New_York", "email", "2026-03-07T14:00:00Z"},
      {"2026-03-07", "America/New_York", "sms", "2026-03-07T16:00:00Z"},
      {"2026-03-08", "America/New_York", "email", "2026-03-08T13:00:00Z"},
      {"2026-03-08", "America/New_York", "sms", "2026-03-09T15:00:00Z"},
      // EU: Berlin CEST from 2026-03-29 02:00, CET again from 2026-10-25 03:00.
      {"2026-03-29", "Europe/Berlin", "email", "2026-03-29T07:00:00Z"},
      {"2026-03-29", "Europe/Berlin", "sms", "2026-03-30T09:00:00Z"},
      {"2026-10-25", "Europe/Berlin", "email", "2026-10-25T08:00:00Z"},
      {"2026-10-25", "Europe/Berlin", "sms", "2026-10-26T10:00:00Z"},
      // Half-hour and 45-minute zones.
      {"2026-11-01", "Asia/Kolkata", "email", "2026-11-01T03:30:00Z"},
      {"2026-11-01", "Asia/Calcutta", "sms", "2026-11-02T05:30:00Z"},
      {"2026-11-02", "Asia/Kathmandu", "email", "2026-11-02T03:15:00Z"},
      // Southern hemisphere: Adelaide's DST ends 2026-04-05 (+10:30 -> +09:30), starts 10-04; a
      // zone ahead of UTC puts send_at on the previous UTC day.
      {"2026-04-05", "Australia/Adelaide", "email", "2026-04-04T23:30:00Z"},
      {"2026-04-05", "Australia/Adelaide", "sms", "2026-04-06T01:30:00Z"},
      {"2026-10-04", "Australia/Adelaide", "email", "2026-10-03T22:30:00Z"},
      // Lord Howe's 30-minute DST (+10:30 -> +11:00).
      {"2026-10-04", "Australia/Lord_Howe", "email", "2026-10-03T22:00:00Z"},
      // +14:00.
      {"2026-11-02", "Pacific/Kiritimati", "email", "2026-11-01T19:00:00Z"},
      // Newfoundland -03:30.
      {"2026-11-02", "America/St_Johns", "email", "2026-11-02T12:30:00Z"},
      // Apia skipped 2011-12-30 (-10:00 -> +14:00): the earlier offset -10:00 applies, a Friday.
      {"2011-12-30", "Pacific/Apia", "email", "2011-12-30T19:00:00Z"},
      {"2011-12-30", "Pacific/Apia", "sms", "2011-12-30T21:00:00Z"},
      // Troll: a 2-hour DST (+00:00 -> +02:00) from 2026-03-29 01:00 UTC.
      {"2026-03-29", "Antarctica/Troll", "email", "2026-03-29T07:00:00Z"},
      // Kiritimati skipped 1994-12-31 (-10:00 -> +14:00): 09:00 at -10:00. A Saturday: sms too.
      {"1994-12-31", "Pacific/Kiritimati", "email", "1994-12-31T19:00:00Z"},
      {"1994-12-31", "Pacific/Kiritimati", "sms", "1994-12-31T21:00:00Z"},
      // A Saturday before a DST change, sms stays on Saturday: Berlin 2026-03-28 CET.
      {"2026-03-28", "Europe/Berlin", "sms", "2026-03-28T10:00:00Z"},
      // A plain Sunday in summer: sms on Monday, EDT.
      {"2026-06-14", "America/New_York", "sms", "2026-06-15T15:00:00Z"},
      // Chile's DST starts at 24:00 on Saturday 2026-09-05: Sunday 09:00 is -03:00.
      {"2026-09-06", "America/Santiago", "email", "2026-09-06T12:00:00Z"},
  };
  for (const Case& c : cases) {
    INFO(c.day << " " << c.zone << " " << c.channel);
    CHECK(send_at(c.day, c.zone, c.channel) == c.want);
  }
}

TEST_CASE("send time: a gap or a fold takes the offset in force before the transition",
          "[send_time]") {
  const ZoneTable& zones = ZoneTable::system();
  const ZoneId ny = zones.find("America/New_York");
  // 02:30 on 2026-03-08 does not exist in New York (02:00 EST -> 03:00 EDT): at the earlier
  // offset -05:00 it is 07:30Z (not 07:00Z, the end of the gap).
  CHECK(utc_text(*zones.utc_seconds(ny, day_of("2026-03-08"), 2 * 60 + 30)) ==
        "2026-03-08T07:30:00Z");
  // 01:30 on 2026-11-01 happens twice (EDT, then EST): the first, at -04:00.
  CHECK(utc_text(*zones.utc_seconds(ny, day_of("2026-11-01"), 60 + 30)) == "2026-11-01T05:30:00Z");
  // Brazil's 1931-10-03 change happened at 11:00: 11:00 is in the gap (-03:00 -> -02:00).
  const ZoneId bahia = zones.find("America/Bahia");
  CHECK(utc_text(*zones.utc_seconds(bahia, day_of("1931-10-03"), 11 * 60)) ==
        "1931-10-03T14:00:00Z");
  // Real gaps and folds at 09:00 and 11:00 (the oracle's `scan-gaps 1900 2100` lists them):
  // Athens 1979-04-01 09:00 (+02:00 -> +03:00), a gap: 07:00Z at +02:00.
  CHECK(send_at("1979-04-01", "Europe/Athens", "email") == "1979-04-01T07:00:00Z");
  // Honolulu ended its 1933 daylight saving at 11:00 on 05-21 (-09:30 -> -10:30), a fold: the
  // first 11:00, at -09:30, is 20:30Z.
  CHECK(utc_text(*zones.utc_seconds(zones.find("Pacific/Honolulu"), day_of("1933-05-21"),
                                    11 * 60)) == "1933-05-21T20:30:00Z");
  // Brussels 1918-11-11 11:00 (+01:00 -> +00:00), a fold: the first 11:00, 10:00Z (a Monday).
  CHECK(send_at("1918-11-11", "Europe/Brussels", "sms") == "1918-11-11T10:00:00Z");
  // Every minute of Apia's skipped day reads at -10:00.
  const ZoneId apia = zones.find("Pacific/Apia");
  CHECK(utc_text(*zones.utc_seconds(apia, day_of("2011-12-30"), 0)) == "2011-12-30T10:00:00Z");
  CHECK(utc_text(*zones.utc_seconds(apia, day_of("2011-12-30"), 23 * 60 + 59)) ==
        "2011-12-31T09:59:00Z");
  CHECK(utc_text(*zones.utc_seconds(apia, day_of("2011-12-31"), 0)) == "2011-12-30T10:00:00Z");
}

TEST_CASE("send time: instants after the last transition a zone file lists", "[send_time]") {
  // The files list transitions up to 2037; later ones come from the file's closing rule
  // (EST5EDT,M3.2.0,M11.1.0 for New York). Summer stays on daylight-saving time.
  CHECK(send_at("2040-07-02", "America/New_York", "email") == "2040-07-02T13:00:00Z");
  CHECK(send_at("2040-12-03", "America/New_York", "email") == "2040-12-03T14:00:00Z");
  CHECK(send_at("2100-07-01", "Europe/Berlin", "email") == "2100-07-01T07:00:00Z");
  CHECK(send_at("2099-01-15", "Australia/Sydney", "email") == "2099-01-14T22:00:00Z");
  // Local mean time before the first transition: New York at -04:56:02.
  CHECK(send_at("1850-01-02", "America/New_York", "email") == "1850-01-02T13:56:02Z");
}

TEST_CASE("send time: weekdays and the next allowed day", "[send_time]") {
  CHECK(weekday_of(0) == 3);                     // 1970-01-01, a Thursday
  CHECK(weekday_of(day_of("2026-11-01")) == 6);  // Sunday
  CHECK(weekday_of(day_of("2026-11-02")) == 0);  // Monday
  CHECK(weekday_of(day_of("1969-12-28")) == 6);  // before the epoch
  CHECK(weekday_of(day_of("0001-01-01")) == 0);  // proleptic Gregorian: a Monday
  CHECK(first_allowed_day(day_of("2026-11-01"), kSunday) == day_of("2026-11-02"));
  CHECK(first_allowed_day(day_of("2026-10-31"), kSunday) == day_of("2026-10-31"));
  CHECK(first_allowed_day(day_of("2026-10-31"), kSaturday | kSunday) == day_of("2026-11-02"));
  CHECK(first_allowed_day(day_of("2026-11-04"), kEveryDay & ~kMonday) == day_of("2026-11-09"));
  CHECK(first_allowed_day(day_of("2026-11-04"), kEveryDay) == day_of("2026-11-04"));
  // A window that skips the weekend moves Saturday's and Sunday's sends to Monday.
  const ZoneTable& zones = ZoneTable::system();
  const SendTimes t(zones, day_of("2026-10-31"), {{10 * 60 + 15, kSaturday | kSunday}});
  CHECK(t.local_day(0) == day_of("2026-11-02"));
  CHECK(utc_text(*t.instant(zones.find("Europe/London"), 0)) == "2026-11-02T10:15:00Z");
}

TEST_CASE("send time: windows are checked", "[send_time]") {
  CHECK_FALSE(check_send_window(kEmail));
  CHECK_FALSE(check_send_window(kSms));
  CHECK_FALSE(check_send_window({0, kEveryDay & ~kFriday}));
  CHECK_FALSE(check_send_window({23 * 60 + 59, 0}));
  CHECK(check_send_window({24 * 60, 0}) ==
        "a send time is between 00:00 and 23:59 (minute 1440 of the day is not)");
  CHECK(check_send_window({-1, 0}));
  CHECK(check_send_window({540, kEveryDay}) ==
        "a channel that never sends on any day of the week can never send");
}

TEST_CASE("send time: UTC timestamps", "[send_time]") {
  CHECK(utc_text(0) == "1970-01-01T00:00:00Z");
  CHECK(utc_text(-1) == "1969-12-31T23:59:59Z");
  CHECK(utc_text(-86400) == "1969-12-31T00:00:00Z");
  CHECK(utc_text(1793422800) == "2026-10-31T05:00:00Z");
  CHECK(utc_text((days_from_civil(9999, 12, 31) + 1) * 86400 + 3661) == "+10000-01-01T01:01:01Z");
  CHECK(utc_text(days_from_civil(0, 12, 31) * 86400) == "0000-12-31T00:00:00Z");
  CHECK(utc_text(days_from_civil(-1, 12, 31) * 86400) == "-0001-12-31T00:00:00Z");
  std::string out = "send_at=";
  append_utc_timestamp(out, 0);
  CHECK(out == "send_at=1970-01-01T00:00:00Z");
}

TEST_CASE("zone table: the system database's names, backward links included", "[send_time]") {
  const ZoneTable& zones = ZoneTable::system();
  CHECK(zones.error().empty());
  CHECK(zones.size() > 400);
  for (const char* name : {"America/New_York", "US/Eastern", "Asia/Calcutta", "Asia/Kolkata",
                           "Europe/Berlin", "UTC", "Etc/GMT+5", "EST5EDT", "Factory",
                           "America/Argentina/Buenos_Aires", "Pacific/Kanton", "GMT"}) {
    INFO(name);
    const ZoneId z = zones.find(name);
    REQUIRE(z != kNoZone);
    CHECK(zones.name(z) == name);
    CHECK(zones.utc_offset(z, 0));
  }
  // Not zones: unknown names, other cases, paths, the posix/ and right/ trees, directories,
  // the database's other files, the machine's own `localtime`.
  for (const char* name : {"",
                           "Mars/Olympus_Mons",
                           "america/new_york",
                           "America/New_York ",
                           " UTC",
                           "America//New_York",
                           "America/../America/New_York",
                           "./UTC",
                           "/usr/share/zoneinfo/UTC",
                           "../zoneinfo/UTC",
                           "posix/America/New_York",
                           "right/UTC",
                           "posixrules",
                           "localtime",
                           "America",
                           "Etc",
                           "zone.tab",
                           "zone1970.tab",
                           "iso3166.tab",
                           "tzdata.zi",
                           "leapseconds",
                           "leap-seconds.list",
                           "+VERSION",
                           "UTC\n"}) {
    INFO('"' << name << '"');
    CHECK(zones.find(name) == kNoZone);
  }
  CHECK(zones.suggest("america/new_york") == "America/New_York");
  CHECK(zones.suggest("EUROPE/BERLIN") == "Europe/Berlin");
  CHECK_FALSE(zones.suggest("Europe/Berln"));
  // Offsets: New York at the epoch was EST; Kathmandu +05:45 in 2026.
  CHECK(zones.utc_offset(zones.find("America/New_York"), 0) == -5 * 3600);
  CHECK(zones.utc_offset(zones.find("Asia/Kathmandu"), 1793422800) == 5 * 3600 + 45 * 60);
  CHECK_FALSE(zones.utc_offset(kNoZone, 0));
  CHECK_FALSE(zones.utc_seconds(static_cast<ZoneId>(zones.size()), 0, 0));
}

TEST_CASE("zone table: a database directory of its own", "[send_time]") {
  const std::string dir = fresh_dir("db");
  const std::string sys = ZoneTable::system().directory();
  auto run = [](const std::string& cmd) { REQUIRE(std::system(cmd.c_str()) == 0); };
  run("mkdir -p '" + dir + "/Europe' '" + dir + "/posix/Europe' '" + dir + "/right' '" + dir +
      "/Deep/Er'");
  run("cp '" + sys + "/Europe/Berlin' '" + dir + "/Europe/Berlin'");
  run("cp '" + sys + "/Europe/Berlin' '" + dir + "/posix/Europe/Berlin'");
  run("cp '" + sys + "/UTC' '" + dir + "/right/UTC'");
  run("cp '" + sys + "/Asia/Kathmandu' '" + dir + "/Deep/Er/Zone'");
  run("cp '" + sys + "/America/New_York' '" + dir + "/posixrules'");
  run("ln -s Europe/Berlin '" + dir + "/Berlin_Link'");
  run("ln -s Europe '" + dir + "/EuropeLink'");    // a linked directory is not walked
  run("ln -s Nowhere/Zone '" + dir + "/Broken'");  // a broken link is no zone
  run("ln -s Europe/Berlin '" + dir + "/localtime'");
  run("printf 'Europe/Berlin\\n' > '" + dir + "/zone.tab'");  // not TZif
  run("printf 'TZi' > '" + dir + "/Short'");                  // too short
  const ZoneTable t(dir);
  CHECK(t.error().empty());
  std::vector<std::string> names;
  for (size_t i = 0; i < t.size(); ++i) names.push_back(t.name(static_cast<ZoneId>(i)));
  CHECK(names == std::vector<std::string>{"Berlin_Link", "Deep/Er/Zone", "Europe/Berlin"});
  // Zones load from this directory: Kathmandu's offset under another name.
  const ZoneId z = t.find("Deep/Er/Zone");
  REQUIRE(z != kNoZone);
  CHECK(utc_text(*t.utc_seconds(z, day_of("2026-11-02"), 9 * 60)) == "2026-11-02T03:15:00Z");

  // A zone file replaced by garbage after the table was made cannot be loaded: nullopt, and the
  // per-run cache keeps saying so.
  run("cp '" + sys + "/Europe/Berlin' '" + dir + "/Europe/Gone'");
  const ZoneTable t2(dir);
  const ZoneId gone = t2.find("Europe/Gone");
  REQUIRE(gone != kNoZone);
  run("printf 'garbage' > '" + dir + "/Europe/Gone'");
  const SendTimes st(t2, day_of("2026-11-02"), {kEmail});
  CHECK_FALSE(st.instant(gone, 0));
  CHECK_FALSE(st.instant(gone, 0));
  CHECK(st.instant(t2.find("Europe/Berlin"), 0));

  const ZoneTable missing(dir + "/no-such-directory");
  CHECK(missing.size() == 0);
  CHECK(missing.error().find("cannot read the time-zone database") != std::string::npos);
  CHECK(missing.find("UTC") == kNoZone);
  const ZoneTable empty(dir + "/right/../Deep/Er/..");  // a directory with no zone at its top
  CHECK(empty.error().empty() == (empty.size() > 0));
}

TEST_CASE("send times: one instant per zone and window, the same from every thread",
          "[send_time]") {
  const ZoneTable& zones = ZoneTable::system();
  const int32_t as_of = day_of("2026-11-01");
  const SendTimes times(zones, as_of, {kEmail, kSms});
  CHECK(times.as_of() == as_of);
  CHECK(times.local_day(0) == as_of);
  CHECK(times.local_day(1) == day_of("2026-11-02"));
  CHECK_FALSE(times.instant(kNoZone, 0));
  CHECK_FALSE(times.instant(0, 2));
  // Four threads ask for every (zone, window) in different orders; all agree with a direct
  // computation.
  const size_t n = zones.size();
  std::vector<std::vector<int64_t>> got(4, std::vector<int64_t>(2 * n));
  std::vector<std::thread> threads;
  for (size_t k = 0; k < 4; ++k)
    threads.emplace_back([&, k] {
      for (size_t i = 0; i < 2 * n; ++i) {
        const size_t j = (k % 2 == 0) ? i : 2 * n - 1 - i;
        got[k][j] = times.instant(static_cast<ZoneId>(j % n), j / n).value_or(-1);
      }
    });
  for (auto& t : threads) t.join();
  for (size_t j = 0; j < 2 * n; ++j) {
    const auto direct = zones.utc_seconds(
        static_cast<ZoneId>(j % n), j < n ? as_of : day_of("2026-11-02"), j < n ? 9 * 60 : 11 * 60);
    REQUIRE(direct);
    for (size_t k = 0; k < 4; ++k) REQUIRE(got[k][j] == *direct);
  }
}

TEST_CASE("send time: the oracle agrees on every zone around each of its transitions",
          "[send_time][oracle]") {
  const std::string oracle = std::string(RK_SOURCE_DIR) + "/tests/oracle/program_oracle.py";
  if (access(oracle.c_str(), R_OK) != 0 ||
      std::system("python3 -c 'import zoneinfo' 2>/dev/null")) {
    WARN("skipped: python3 with zoneinfo, or " << oracle << ", is not available");
    return;
  }
  const ZoneTable& zones = ZoneTable::system();
  const std::string dir = fresh_dir("oracle");
  // The script asks the oracle (its zone names and its send_at) about each line of the input.
  {
    std::ofstream py(dir + "/ask.py");
    py << "import datetime as dt, sys\n"
          "sys.path.insert(0, sys.argv[1])\n"
          "import program_oracle as o\n"
          "out = open(sys.argv[3], 'w')\n"
          "out.write('\\n'.join(sorted(o.zone_names())) + '\\n--\\n')\n"
          "for line in open(sys.argv[2]):\n"
          "    zone, day, channel = line.split()\n"
          "    out.write(o.send_at(dt.date.fromisoformat(day), zone, channel) + '\\n')\n";
  }
  // Days: the oracle's corner dates, and for every zone the local dates on both sides of each
  // transition from 1900 to 2100 (every gap and fold at 09:00 or 11:00 that the oracle's
  // `scan-gaps` finds is on such a day), with the day before (a Sunday before a Monday change
  // moves sms onto it).
  // The oracle's own list of the as-of dates that matter (`corner-dates`).
  const std::string corner_cmd = "python3 '" + oracle + "' corner-dates > '" + dir + "/corner.txt'";
  REQUIRE(std::system(corner_cmd.c_str()) == 0);
  std::vector<int32_t> corner;
  {
    std::istringstream lines(slurp(dir + "/corner.txt"));
    for (std::string line; std::getline(lines, line);) corner.push_back(day_of(line));
  }
  REQUIRE(corner.size() >= 20);
  struct Ask {
    ZoneId zone;
    int32_t day;
    bool sms;
  };
  std::vector<Ask> asks;
  const absl::Time from = absl::FromCivil(absl::CivilSecond(1900, 1, 2), absl::UTCTimeZone());
  const absl::Time to = absl::FromCivil(absl::CivilSecond(2100, 1, 1), absl::UTCTimeZone());
  for (size_t zi = 0; zi < zones.size(); ++zi) {
    const auto z = static_cast<ZoneId>(zi);
    std::set<int32_t> days;
    days.insert(corner.begin(), corner.end());
    absl::TimeZone tz;
    REQUIRE(absl::LoadTimeZone(zones.directory() + "/" + zones.name(z), &tz));
    absl::TimeZone::CivilTransition tr;
    for (absl::Time t = from; t < to && tz.NextTransition(t, &tr);) {
      for (const absl::CivilSecond& c : {tr.from, tr.to}) {
        const int32_t d = static_cast<int32_t>(days_from_civil(
            c.year(), static_cast<unsigned>(c.month()), static_cast<unsigned>(c.day())));
        days.insert(d - 1);
        days.insert(d);
      }
      // The transition's instant (`to` at the new offset); strictly forward.
      t = std::max(t + absl::Seconds(1), tz.At(tr.to).post);
    }
    for (int32_t d : days) {
      asks.push_back({z, d, false});
      asks.push_back({z, d, true});
    }
  }
  {
    std::ofstream in(dir + "/in.txt");
    for (const Ask& a : asks) {
      const CivilDate c = civil_from_days(a.day);
      const std::string day = fmt::format("{:04}-{:02}-{:02}", c.year, c.month, c.day);
      in << zones.name(a.zone) << ' ' << day << ' ' << (a.sms ? "sms" : "email") << '\n';
    }
  }
  const std::string cmd = "PYTHONTZPATH='" + zones.directory() + "' python3 '" + dir +
                          "/ask.py' '" + std::string(RK_SOURCE_DIR) + "/tests/oracle' '" + dir +
                          "/in.txt' '" + dir + "/out.txt'";
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::istringstream out(slurp(dir + "/out.txt"));
  // 1. The same zone names.
  std::vector<std::string> oracle_names, names;
  for (std::string line; std::getline(out, line) && line != "--";) oracle_names.push_back(line);
  for (size_t i = 0; i < zones.size(); ++i) names.push_back(zones.name(static_cast<ZoneId>(i)));
  CHECK(names == oracle_names);
  // 2. The same send_at for every question (SendTimes::instant is this computation, cached: the
  // cache is tested above).
  size_t compared = 0, differ = 0;
  for (const Ask& a : asks) {
    std::string want;
    REQUIRE(std::getline(out, want));
    const SendWindow& w = a.sms ? kSms : kEmail;
    const auto t =
        zones.utc_seconds(a.zone, first_allowed_day(a.day, w.excluded_weekdays), w.minute_of_day);
    REQUIRE(t);
    const std::string got = utc_text(*t);
    ++compared;
    if (got != want && ++differ <= 20) {
      const CivilDate c = civil_from_days(a.day);
      FAIL_CHECK(fmt::format("{} {:04}-{:02}-{:02} {}: {}, the oracle says {}", zones.name(a.zone),
                             c.year, c.month, c.day, a.sms ? "sms" : "email", got, want));
    }
  }
  CHECK(differ == 0);
  CHECK(compared > 10000);
  INFO(compared << " send times compared");
}
