// Tests of the snapshot generator of the reference schemas: determinism (same seed -> identical
// bytes, for any thread count), the playbook's output pinned byte for byte, the value shapes the
// playbook and the program need (boundaries, missing values, non-ASCII keys and names, time
// zones, caps, welcome touches), the program's playbook columns equal to the playbook's, and the
// CSV and Arrow round trips (generated -> reader -> CSV writer -> identical bytes).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "base/date.h"
#include "base/fnv1a.h"
#include "compiler/ir/helpers.h"
#include "runtime/csv_reader.h"
#include "runtime/csv_writer.h"
#include "runtime/generate.h"
#include "runtime/send_time.h"
#include "runtime/utf8.h"

using namespace rk;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string tmp(const std::string& name) {
  return std::string(RK_BINARY_DIR) + "/" + name;
}

int32_t as_of() {
  int32_t d = 0;
  parse_iso_date("2026-11-01", d);
  return d;
}

GenerateOptions options(int64_t rows, uint64_t seed, int threads, int64_t batch_rows = 4096) {
  GenerateOptions o;
  o.rows = rows;
  o.seed = seed;
  o.as_of = as_of();
  o.threads = threads;
  o.batch_rows = batch_rows;
  return o;
}

}  // namespace

TEST_CASE("generate: the playbook schema", "[generate]") {
  const Schema s = playbook_schema();
  REQUIRE(s.fields.size() == 21);
  CHECK(s.key_field == 0);
  CHECK(s.fields[0].name == "customer_id");
  CHECK(s.fields[10].type == FieldType::StringList);
  CHECK(s.fields[11].enum_values.size() == 5);
  CHECK(s.fields[15].nullable);
  CHECK(s.fields[20].name == "responded");
}

TEST_CASE("generate: same seed gives identical bytes for any thread count", "[generate]") {
  std::string err;
  REQUIRE(generate_snapshot(options(20000, 7, 1), tmp("gen_a.csv"), SnapshotFormat::Csv, err));
  REQUIRE(generate_snapshot(options(20000, 7, 3), tmp("gen_b.csv"), SnapshotFormat::Csv, err));
  REQUIRE(generate_snapshot(options(20000, 8, 2), tmp("gen_c.csv"), SnapshotFormat::Csv, err));
  const std::string a = slurp(tmp("gen_a.csv"));
  CHECK(a.size() > 20000 * 50);
  CHECK(a == slurp(tmp("gen_b.csv")));
  CHECK(a != slurp(tmp("gen_c.csv")));
  std::remove(tmp("gen_a.csv").c_str());
  std::remove(tmp("gen_b.csv").c_str());
  std::remove(tmp("gen_c.csv").c_str());
}

TEST_CASE("generate: round trip CSV -> batches -> CSV is byte-identical", "[generate]") {
  std::string err;
  const std::string in = tmp("gen_rt_in.csv"), out = tmp("gen_rt_out.csv");
  REQUIRE(generate_snapshot(options(30000, 3, 2), in, SnapshotFormat::Csv, err));
  const Schema s = playbook_schema();
  std::optional<SnapshotError> rerr;
  ReaderOptions ro;
  ro.batch_rows = 7000;
  auto r = open_csv_snapshot(in, s, ro, rerr);
  REQUIRE(r);
  CsvSnapshotWriter w;
  REQUIRE(w.open(out, s));
  Batch b;
  int64_t rows = 0;
  while (r->next(b)) {
    rows += b.num_rows;
    REQUIRE(w.write(b));
  }
  REQUIRE_FALSE(r->error());
  REQUIRE(w.finish());
  CHECK(rows == 30000);
  CHECK(slurp(in) == slurp(out));
  std::remove(in.c_str());
  std::remove(out.c_str());
}

TEST_CASE("generate: value shapes", "[generate]") {
  const Schema s = playbook_schema();
  const auto opts = options(200000, 1, 2, 65536);
  const int32_t today = as_of();
  int64_t rows = 0, never = 0, after = 0, whales = 0, small = 0, ones = 0, margin_missing = 0,
          margin_exact = 0, consent_missing = 0, opted = 0, flags = 0, bounce_missing = 0,
          bounce_tail = 0, bounce_exact = 0, touch_zero_with_date = 0, touch_without_date = 0,
          touch_7_days = 0, responded = 0, non_ascii = 0, commas = 0, quotes = 0;
  std::set<double> aov_edges;
  std::set<int32_t> dormancy_edges;
  std::set<std::string> ids;
  std::set<int> category_counts;
  for (int64_t bi = 0; bi * opts.batch_rows < opts.rows; ++bi) {
    const Batch b = generate_batch(opts, bi);
    CHECK(b.first_row == bi * opts.batch_rows);
    for (int64_t r = 0; r < b.num_rows; ++r, ++rows) {
      const std::string id(*b.string_at(0, r));
      ids.insert(id);
      bool ascii = true;
      for (unsigned char c : id) ascii = ascii && c < 0x80;
      non_ascii += !ascii;
      commas += id.find(',') != std::string::npos;
      quotes += id.find('"') != std::string::npos;
      REQUIRE(is_valid_utf8(id));
      auto present = [&](int f) { return is_present(b.columns[f].validity, r); };
      auto i32 = [&](int f) { return static_cast<const int32_t*>(b.columns[f].values)[r]; };
      auto i64 = [&](int f) { return static_cast<const int64_t*>(b.columns[f].values)[r]; };
      auto f64 = [&](int f) { return static_cast<const double*>(b.columns[f].values)[r]; };
      auto bit = [&](int f) {
        return bit_is_set(static_cast<const uint8_t*>(b.columns[f].values), r);
      };
      if (!present(1)) {
        ++never;
      } else {
        const int32_t days = today - i32(1);
        after += days < 0;
        if (days == 59 || days == 60 || days == 89 || days == 90 || days == 119 || days == 120 ||
            days == 179 || days == 180 || days == 365)
          dormancy_edges.insert(days);
        CHECK(days <= 1460);
      }
      ones += i64(3) == 1;
      const double aov = f64(4);
      whales += aov >= 250;
      small += aov > 0 && aov < 20;
      if (aov == 250.0 || aov == 75.0 || aov == 20.0) aov_edges.insert(aov);
      margin_missing += !present(5);
      margin_exact += present(5) && f64(5) == 0.4;
      const auto* off = static_cast<const int32_t*>(b.columns[10].offsets);
      category_counts.insert(off[r + 1] - off[r]);
      consent_missing += !present(12);
      opted += bit(14);
      flags += present(15);
      bounce_missing += !present(17);
      bounce_tail += present(17) && f64(17) > 0.05;
      bounce_exact += present(17) && f64(17) == 0.05;
      if (i64(18) == 0 && present(19)) ++touch_zero_with_date;
      if (i64(18) > 0 && !present(19)) ++touch_without_date;
      if (present(19)) {
        CHECK(today - i32(19) >= 0);
        CHECK(today - i32(19) <= 30);
        touch_7_days += today - i32(19) == 7;
      }
      CHECK(i64(18) >= 0);
      CHECK(i64(18) <= 7);
      responded += bit(20);
    }
  }
  REQUIRE(rows == 200000);
  CHECK(ids.size() == 200000);  // unique keys
  auto share = [&](int64_t n) { return static_cast<double>(n) / rows; };
  CHECK(share(never) == Approx(0.03).margin(0.01));
  CHECK(after > 0);
  CHECK(dormancy_edges.size() == 9);
  CHECK(aov_edges.size() == 3);
  CHECK(share(whales) > 0.02);
  CHECK(share(small) > 0.05);
  CHECK(share(ones) > 0.3);
  CHECK(share(margin_missing) == Approx(0.08).margin(0.01));
  CHECK(margin_exact > 0);
  CHECK(category_counts == std::set<int>{0, 1, 2, 3, 4});
  CHECK(share(consent_missing) == Approx(0.10).margin(0.01));
  CHECK(share(opted) == Approx(0.03).margin(0.01));
  CHECK(share(flags) == Approx(0.05).margin(0.01));
  CHECK(share(bounce_missing) == Approx(0.05).margin(0.01));
  CHECK(bounce_tail > 0);
  CHECK(bounce_exact > 0);
  CHECK(touch_zero_with_date == 0);
  CHECK(touch_without_date > 0);
  CHECK(touch_7_days > 0);
  CHECK(share(responded) == Approx(0.15).margin(0.01));
  CHECK(non_ascii > 200);  // a few thousand per million
  CHECK(commas > 50);
  CHECK(quotes > 50);
}

TEST_CASE("generate: errors are values", "[generate]") {
  std::string err;
  CHECK_FALSE(
      generate_snapshot(options(10, 1, 1), "/nonexistent-dir-rk/x.csv", SnapshotFormat::Csv, err));
  CHECK(err.find("/nonexistent-dir-rk/x.csv: cannot create a temporary file") == 0);
  auto o = options(-1, 1, 1);
  CHECK_FALSE(generate_snapshot(o, tmp("neg.csv"), SnapshotFormat::Csv, err));
  CHECK(err == "the row count must not be negative");
  // Zero rows: a header only.
  REQUIRE(generate_snapshot(options(0, 1, 1), tmp("empty.csv"), SnapshotFormat::Csv, err));
  CHECK(slurp(tmp("empty.csv")) == CsvSnapshotWriter::header(playbook_schema()));
  std::remove(tmp("empty.csv").c_str());
}

TEST_CASE("generate: Arrow output is deterministic and reads back like the CSV", "[generate]") {
  std::string err;
  const std::string a = tmp("gen_a.arrow"), b = tmp("gen_b.arrow"), c = tmp("gen_c.csv");
  REQUIRE(generate_snapshot(options(10000, 5, 1), a, SnapshotFormat::Arrow, err));
  REQUIRE(generate_snapshot(options(10000, 5, 2), b, SnapshotFormat::Arrow, err));
  REQUIRE(generate_snapshot(options(10000, 5, 2), c, SnapshotFormat::Csv, err));
  CHECK(slurp(a) == slurp(b));
  CHECK(slurp(a).compare(0, 6, "ARROW1") == 0);
  // Arrow -> CSV through the readers and the CSV writer gives the generated CSV.
  const Schema s = playbook_schema();
  std::optional<SnapshotError> rerr;
  auto r = open_snapshot(a, s, {}, rerr);
  REQUIRE(r);
  std::string text = CsvSnapshotWriter::header(s);
  Batch batch;
  while (r->next(batch)) REQUIRE(CsvSnapshotWriter::format_rows(s, batch, text, err));
  REQUIRE_FALSE(r->error());
  CHECK(text == slurp(c));
  for (const auto& p : {a, b, c}) std::remove(p.c_str());
}

TEST_CASE("generate: the playbook's output is pinned byte for byte", "[generate]") {
  // What `rekindle gen` writes for the playbook must not change (tests, benchmarks and the bundled
  // sample depend on it): FNV-1a 64 of the files as written before the program's columns existed.
  std::string err;
  GenerateOptions small = options(3000, 1, 2, 65536);
  REQUIRE(generate_snapshot(small, tmp("pin_a.csv"), SnapshotFormat::Csv, err));
  const std::string a = slurp(tmp("pin_a.csv"));
  CHECK(a.size() == 366430);
  CHECK(fnv1a64(a) == 0x742e5713a3d60a1eull);
  GenerateOptions two_batches = options(70000, 7, 3, 65536);
  parse_iso_date("2026-03-08", two_batches.as_of);
  REQUIRE(generate_snapshot(two_batches, tmp("pin_b.csv"), SnapshotFormat::Csv, err));
  REQUIRE(generate_snapshot(two_batches, tmp("pin_b.arrow"), SnapshotFormat::Arrow, err));
  CHECK(fnv1a64(slurp(tmp("pin_b.csv"))) == 0x9810f687f97d657dull);
  CHECK(fnv1a64(slurp(tmp("pin_b.arrow"))) == 0xd04eaf6c36f1efc5ull);
  for (const char* f : {"pin_a.csv", "pin_b.csv", "pin_b.arrow"}) std::remove(tmp(f).c_str());
}

TEST_CASE("generate: the program schema is the playbook's and nine more columns", "[generate]") {
  const Schema p = playbook_schema(), s = program_schema();
  REQUIRE(s.fields.size() == 30);
  CHECK(s.key_field == 0);
  for (size_t i = 0; i < p.fields.size(); ++i) {
    CHECK(s.fields[i].name == p.fields[i].name);
    CHECK(s.fields[i].type == p.fields[i].type);
    CHECK(s.fields[i].nullable == p.fields[i].nullable);
    CHECK(s.fields[i].enum_values == p.fields[i].enum_values);
  }
  const std::vector<std::pair<std::string, FieldType>> extra = {
      {"first_name", FieldType::String},      {"email", FieldType::String},
      {"phone", FieldType::String},           {"timezone", FieldType::String},
      {"csm_owner", FieldType::String},       {"last_contact_date", FieldType::Date},
      {"contacts_30d", FieldType::Int},       {"welcome_touch", FieldType::Int},
      {"welcome_touch_date", FieldType::Date}};
  for (size_t i = 0; i < extra.size(); ++i) {
    CHECK(s.fields[21 + i].name == extra[i].first);
    CHECK(s.fields[21 + i].type == extra[i].second);
    const bool not_null = extra[i].first == "contacts_30d" || extra[i].first == "welcome_touch";
    CHECK(s.fields[21 + i].nullable == !not_null);
  }
}

TEST_CASE("generate: the program's playbook columns are exactly the playbook's", "[generate]") {
  // The program's columns come from a stream of their own, so a program snapshot evaluates under
  // the playbook exactly like the playbook snapshot of the same seed.
  const Schema playbook = playbook_schema();
  for (uint64_t seed : {1, 2, 99}) {
    GenerateOptions a = options(9000, seed, 1, 4096);
    GenerateOptions b = a;
    b.program = true;
    for (int64_t i = 0; i * a.batch_rows < a.rows; ++i) {
      const Batch pa = generate_batch(a, i);
      Batch pb = generate_batch(b, i);
      REQUIRE(pa.columns.size() == 21);
      REQUIRE(pb.columns.size() == 30);
      pb.columns.resize(21);  // the program's own columns are left out
      pb.dicts.resize(21);
      std::string ta, tb, err;
      REQUIRE(CsvSnapshotWriter::format_rows(playbook, pa, ta, err));
      REQUIRE(CsvSnapshotWriter::format_rows(playbook, pb, tb, err));
      CHECK(ta == tb);
    }
  }
}

TEST_CASE("generate: program snapshots are deterministic and round-trip through CSV and Arrow",
          "[generate]") {
  std::string err;
  GenerateOptions o1 = options(20000, 4, 1), o3 = options(20000, 4, 3),
                  other = options(20000, 5, 2);
  o1.program = o3.program = other.program = true;
  const std::string a = tmp("prog_a.csv"), b = tmp("prog_b.csv"), c = tmp("prog_c.csv"),
                    d = tmp("prog_d.arrow"), e = tmp("prog_e.csv");
  REQUIRE(generate_snapshot(o1, a, SnapshotFormat::Csv, err));
  REQUIRE(generate_snapshot(o3, b, SnapshotFormat::Csv, err));
  REQUIRE(generate_snapshot(other, c, SnapshotFormat::Csv, err));
  REQUIRE(generate_snapshot(o3, d, SnapshotFormat::Arrow, err));
  CHECK(slurp(a) == slurp(b));
  CHECK(slurp(a) != slurp(c));
  CHECK(slurp(a).rfind(CsvSnapshotWriter::header(program_schema()), 0) == 0);
  // CSV -> batches -> CSV, and Arrow -> batches -> CSV, give the generated CSV.
  const Schema s = program_schema();
  for (const auto& in : {a, d}) {
    std::optional<SnapshotError> rerr;
    ReaderOptions ro;
    ro.batch_rows = 3001;
    auto r = open_snapshot(in, s, ro, rerr);
    REQUIRE(r);
    std::string text = CsvSnapshotWriter::header(s);
    Batch batch;
    while (r->next(batch)) REQUIRE(CsvSnapshotWriter::format_rows(s, batch, text, err));
    REQUIRE_FALSE(r->error());
    CHECK(text == slurp(a));
  }
  // Zero rows: the program's header only.
  GenerateOptions none = options(0, 1, 1);
  none.program = true;
  REQUIRE(generate_snapshot(none, e, SnapshotFormat::Csv, err));
  CHECK(slurp(e) == CsvSnapshotWriter::header(program_schema()));
  for (const auto& p : {a, b, c, d, e}) std::remove(p.c_str());
}

TEST_CASE("generate: the program's value shapes", "[generate]") {
  // winback-program.md: time zones over many regions (half-hour and 45-minute offsets, southern
  // daylight saving, backward links), non-ASCII names, consent without an address, contacts
  // around the caps (0 to 2 days ago, after the as-of date, 4 or more in 30 days), owners and the
  // team queue, reactivated customers at every welcome touch with touches 0 to 5 days ago.
  GenerateOptions opts = options(100000, 1, 2, 65536);
  opts.program = true;
  const int32_t today = as_of();
  enum : size_t { kId = 0, kLastPurchase = 1, kEmailConsent = 12, kSmsConsent = 13 };
  enum : size_t { kLastTouch = 18, kLastTouchDate = 19, kName = 21, kEmail, kPhone, kZone };
  enum : size_t { kOwner = 25, kContact, kContacts, kWelcome, kWelcomeDate };
  int64_t rows = 0, names_missing = 0, names_non_ascii = 0, names_blank = 0, zones_missing = 0,
          owners_missing = 0, email_consent_no_email = 0, sms_consent_no_phone = 0,
          contact_missing = 0, contact_after = 0, capped_by_count = 0, welcome_dateless = 0;
  std::set<std::string> zones, owners, names, emails;
  std::set<int32_t> contact_days;
  std::set<int64_t> counts;
  std::map<int64_t, std::set<int32_t>> reactivated_at;  // welcome touch -> days since its date
  std::set<std::string> valid_zones;
  for (const auto& z : generated_time_zones()) valid_zones.insert(z);
  for (int64_t bi = 0; bi * opts.batch_rows < opts.rows; ++bi) {
    const Batch b = generate_batch(opts, bi);
    REQUIRE(b.columns.size() == 30);
    for (int64_t r = 0; r < b.num_rows; ++r, ++rows) {
      auto present = [&](size_t f) { return is_present(b.columns[f].validity, r); };
      auto i32 = [&](size_t f) { return static_cast<const int32_t*>(b.columns[f].values)[r]; };
      auto i64 = [&](size_t f) { return static_cast<const int64_t*>(b.columns[f].values)[r]; };
      auto is_true = [&](size_t f) {
        return present(f) && bit_is_set(static_cast<const uint8_t*>(b.columns[f].values), r);
      };
      if (auto name = b.string_at(kName, r)) {
        REQUIRE(is_valid_utf8(*name));
        REQUIRE_FALSE(name->empty());
        names.emplace(*name);
        bool ascii = true;
        for (unsigned char ch : *name) ascii = ascii && ch < 0x80;
        names_non_ascii += !ascii;
        names_blank += name->find_first_not_of(' ') == std::string_view::npos;
      } else {
        ++names_missing;
      }
      if (auto email = b.string_at(kEmail, r)) {
        REQUIRE(is_valid_utf8(*email));
        emails.emplace(*email);
      } else {
        email_consent_no_email += is_true(kEmailConsent);
      }
      if (!present(kPhone)) sms_consent_no_phone += is_true(kSmsConsent);
      if (auto zone = b.string_at(kZone, r)) {
        CHECK(valid_zones.count(std::string(*zone)) == 1);
        zones.emplace(*zone);
      } else {
        ++zones_missing;
      }
      if (auto owner = b.string_at(kOwner, r))
        owners.emplace(*owner);
      else
        ++owners_missing;
      if (present(kContact)) {
        const int32_t days = today - i32(kContact);
        contact_after += days < 0;
        if (days >= 0 && days <= 3) contact_days.insert(days);
      } else {
        ++contact_missing;
      }
      CHECK(i64(kContacts) >= 0);
      counts.insert(i64(kContacts));
      capped_by_count += i64(kContacts) >= 4;
      // Missing when welcome_touch is 0, and for a few others (waiting).
      if (i64(kWelcome) == 0) CHECK_FALSE(present(kWelcomeDate));
      welcome_dateless += i64(kWelcome) > 0 && !present(kWelcomeDate);
      CHECK(i64(kWelcome) >= 0);
      CHECK(i64(kWelcome) <= 3);
      const bool reactivated = i64(kLastTouch) > 0 && present(kLastTouchDate) &&
                               present(kLastPurchase) && i32(kLastPurchase) >= i32(kLastTouchDate);
      if (reactivated) {
        auto& at = reactivated_at[i64(kWelcome)];
        if (present(kWelcomeDate)) at.insert(today - i32(kWelcomeDate));
      }
    }
  }
  REQUIRE(rows == 100000);
  auto share = [&](int64_t n) { return static_cast<double>(n) / rows; };
  CHECK(share(names_missing) == Approx(0.07).margin(0.01));
  CHECK(share(names_non_ascii) > 0.05);
  CHECK(names_blank > 0);  // spaces are data
  CHECK(names.size() > 100);
  CHECK(emails.size() > 80000);
  CHECK(email_consent_no_email > 1000);  // consent without an address: no_channel is reachable
  CHECK(sms_consent_no_phone > 1000);
  CHECK(share(zones_missing) == Approx(0.08).margin(0.01));
  CHECK(zones.size() >= 80);
  for (const char* z : {"America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Adelaide",
                        "Australia/Lord_Howe", "Pacific/Chatham", "America/Santiago",
                        "Pacific/Auckland", "Pacific/Kiritimati", "US/Eastern", "Asia/Calcutta",
                        "Europe/Kiev", "America/St_Johns", "Asia/Tehran"})
    CHECK(zones.count(z) == 1);
  CHECK(share(owners_missing) > 0.4);
  CHECK(owners.size() == 12);
  CHECK(owners.count("Émile Laurent") == 1);
  CHECK(owners.count("ana lópez") == 1);
  CHECK(contact_missing > 0);
  CHECK(contact_after > 0);
  CHECK(contact_days == std::set<int32_t>{0, 1, 2, 3});
  CHECK(counts.count(3) == 1);
  CHECK(counts.count(4) == 1);
  CHECK(counts.count(5) == 1);
  CHECK(share(capped_by_count) > 0.05);
  CHECK(share(capped_by_count) < 0.3);
  CHECK(welcome_dateless > 0);
  // Reactivated customers at every welcome touch, with touches 0 to 5 days ago.
  for (int64_t t : {0, 1, 2}) CHECK(reactivated_at.count(t) == 1);
  for (int64_t t : {1, 2}) {
    for (int32_t d = 0; d <= 5; ++d) CHECK(reactivated_at[t].count(d) == 1);
    CHECK(reactivated_at[t].count(-1) + reactivated_at[t].count(-2) > 0);  // after the as-of date
  }
}

TEST_CASE("generate: the program's time zones are names of the system's tz database",
          "[generate]") {
  // Every zone the generator writes must be valid for `rekindle eval` (an unknown zone is a data
  // error): the runtime's own ZoneTable over the system's database finds each (links such as
  // US/Eastern included), and each is a file of the database.
  const ZoneTable& zones = ZoneTable::system();
  if (zones.size() == 0) {
    WARN("no time-zone database on this machine (" << zones.error() << "): skipped");
    return;
  }
  for (const auto& z : generated_time_zones()) {
    INFO(z);
    CHECK(zones.find(z) != kNoZone);
    CHECK(std::filesystem::is_regular_file(std::filesystem::path(zones.directory()) / z));
  }
}
