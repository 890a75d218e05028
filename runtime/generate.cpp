// Rekindle runtime: the synthetic snapshot generator of the playbook and program schemas, and the
// pipeline every generator writes through: batches are generated (and, for CSV, formatted) in
// parallel by worker threads and written in order by the calling thread; each batch depends only
// on (seed, batch index), so the output is identical for any thread count.
#include "runtime/generate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "compiler/ir/helpers.h"
#include "runtime/arrow_writer.h"
#include "runtime/csv_writer.h"
#include "runtime/generate_util.h"
#include "runtime/result_writer.h"
#include "runtime/thread_pool.h"

namespace rk {

namespace {

constexpr const char* kCategories[] = {"apparel", "footwear",    "accessories", "home",   "kitchen",
                                       "garden",  "electronics", "books",       "beauty", "toys"};
constexpr int kNumCategories = 10;

using gen::new_buffer;
using gen::Rng;
using gen::set_bit;

std::shared_ptr<const StringDict> category_dict() {
  static const std::shared_ptr<const StringDict> dict = [] {
    auto d = std::make_shared<StringDict>();
    for (const char* c : kCategories) d->entries.emplace_back(c);
    return d;
  }();
  return dict;
}

double cents(double x) {
  return std::round(x * 100.0) / 100.0;
}

// Field indexes of the playbook schema.
enum F : size_t {
  kCustomerId,
  kLastPurchase,
  kLastEngagement,
  kOrdersTotal,
  kAov,
  kMargin,
  kSubscriber,
  kOpens,
  kClicks,
  kPurchases90,
  kCategoriesF,
  kChannel,
  kEmailConsent,
  kSmsConsent,
  kOptedOut,
  kFlag,
  kSpam,
  kBounce,
  kLastTouch,
  kLastTouchDate,
  kResponded,
  kNumFields
};

}  // namespace

Schema playbook_schema() {
  Schema s;
  s.name = "customer";
  auto add = [&](const char* name, FieldType t, bool nullable) -> FieldDef& {
    s.fields.push_back(FieldDef{name, t, nullable, false, {}});
    return s.fields.back();
  };
  add("customer_id", FieldType::String, false).key = true;
  s.key_field = 0;
  add("last_purchase_date", FieldType::Date, true);
  add("last_engagement_date", FieldType::Date, true);
  add("orders_total", FieldType::Int, false);
  add("avg_order_value", FieldType::Money, false);
  add("gross_margin_pct", FieldType::Percent, true);
  add("is_subscriber", FieldType::Bool, false);
  add("email_opens_90d", FieldType::Int, false);
  add("email_clicks_90d", FieldType::Int, false);
  add("purchases_90d", FieldType::Int, false);
  add("categories", FieldType::StringList, false);
  add("acquisition_channel", FieldType::Enum, false).enum_values = {"paid_social", "organic_search",
                                                                    "email", "referral", "direct"};
  add("email_consent", FieldType::Bool, true);
  add("sms_consent", FieldType::Bool, true);
  add("opted_out", FieldType::Bool, false);
  add("relationship_flag", FieldType::Enum, true).enum_values = {"complaint", "chargeback",
                                                                 "bereavement", "legal_hold"};
  add("spam_complaints_90d", FieldType::Int, false);
  add("email_bounce_rate", FieldType::Percent, true);
  add("last_touch", FieldType::Int, false);
  add("last_touch_date", FieldType::Date, true);
  add("responded", FieldType::Bool, false);
  return s;
}

namespace {

Batch playbook_batch(const GenerateOptions& opts, int64_t index) {
  const int64_t first = index * opts.batch_rows;
  const int64_t n = std::max<int64_t>(0, std::min(opts.batch_rows, opts.rows - first));
  const auto rows = static_cast<size_t>(n);
  const size_t bitmap = (rows + 7) / 8;
  Rng rng(opts.seed, static_cast<uint64_t>(index));
  const int32_t as_of = opts.as_of;

  Batch b;
  b.num_rows = n;
  b.first_row = first;
  b.columns.assign(kNumFields, RkColumn{});
  b.dicts.assign(kNumFields, nullptr);

  // Buffers.
  auto id_offsets = new_buffer<int32_t>(b, rows + 1);
  auto id_data = std::make_shared<std::string>();
  id_data->reserve(rows * 11);
  int32_t* last_purchase = new_buffer<int32_t>(b, rows);
  int32_t* last_engagement = new_buffer<int32_t>(b, rows);
  int64_t* orders = new_buffer<int64_t>(b, rows);
  double* aov = new_buffer<double>(b, rows);
  double* margin = new_buffer<double>(b, rows);
  uint8_t* subscriber = new_buffer<uint8_t>(b, bitmap);
  int64_t* opens = new_buffer<int64_t>(b, rows);
  int64_t* clicks = new_buffer<int64_t>(b, rows);
  int64_t* purchases = new_buffer<int64_t>(b, rows);
  int32_t* cat_offsets = new_buffer<int32_t>(b, rows + 1);
  auto cat_codes = std::make_shared<std::vector<int32_t>>();
  cat_codes->reserve(rows * 2);
  int32_t* channel = new_buffer<int32_t>(b, rows);
  uint8_t* email_consent = new_buffer<uint8_t>(b, bitmap);
  uint8_t* sms_consent = new_buffer<uint8_t>(b, bitmap);
  uint8_t* opted_out = new_buffer<uint8_t>(b, bitmap);
  int32_t* flag = new_buffer<int32_t>(b, rows);
  int64_t* spam = new_buffer<int64_t>(b, rows);
  double* bounce = new_buffer<double>(b, rows);
  int64_t* last_touch = new_buffer<int64_t>(b, rows);
  int32_t* touch_date = new_buffer<int32_t>(b, rows);
  uint8_t* responded = new_buffer<uint8_t>(b, bitmap);
  // Validity of the nullable fields.
  uint8_t* v_last_purchase = new_buffer<uint8_t>(b, bitmap);
  uint8_t* v_last_engagement = new_buffer<uint8_t>(b, bitmap);
  uint8_t* v_margin = new_buffer<uint8_t>(b, bitmap);
  uint8_t* v_email_consent = new_buffer<uint8_t>(b, bitmap);
  uint8_t* v_sms_consent = new_buffer<uint8_t>(b, bitmap);
  uint8_t* v_flag = new_buffer<uint8_t>(b, bitmap);
  uint8_t* v_bounce = new_buffer<uint8_t>(b, bitmap);
  uint8_t* v_touch_date = new_buffer<uint8_t>(b, bitmap);

  static constexpr int kDormancyEdges[] = {59, 60, 89, 90, 119, 120, 179, 180, 364, 365, 366};
  static constexpr double kAovEdges[] = {250.0, 249.99, 75.0, 74.99, 20.0, 19.99};
  static constexpr int kChannelWeights[] = {30, 25, 20, 10, 15};  // sums to 100

  id_offsets[0] = 0;
  cat_offsets[0] = 0;
  char id[96];
  for (size_t r = 0; r < rows; ++r) {
    const auto i = static_cast<int64_t>(r);
    const int64_t serial = first + i + 1;
    // customer_id: unique (the serial is part of every form).
    int len;
    const double idk = rng.uniform();
    if (idk < 0.0020)
      len = std::snprintf(id, sizeof id,
                          "C-\xC3\x9Cn\xC3\xAF"
                          "c\xC3\xB8"
                          "d\xC3\xA9-%09lld",
                          static_cast<long long>(serial));
    else if (idk < 0.0040)
      len = std::snprintf(id, sizeof id, "\xE9\xA1\xA7\xE5\xAE\xA2%09lld",
                          static_cast<long long>(serial));
    else if (idk < 0.0050)
      len = std::snprintf(id, sizeof id, "C,%09lld", static_cast<long long>(serial));
    else if (idk < 0.0060)
      len = std::snprintf(id, sizeof id, "C\"%09lld\", x", static_cast<long long>(serial));
    else
      len = std::snprintf(id, sizeof id, "C%09lld", static_cast<long long>(serial));
    id_data->append(id, static_cast<size_t>(len));
    id_offsets[r + 1] = static_cast<int32_t>(id_data->size());

    // Purchase history.
    const bool never = rng.chance(0.03);
    if (!never) {
      set_bit(v_last_purchase, i);
      const double k = rng.uniform();
      int64_t days;
      if (k < 0.05)
        days = kDormancyEdges[rng.below(std::size(kDormancyEdges))];
      else if (k < 0.06)
        days = -rng.range(1, 30);  // after the as-of date
      else if (k < 0.40)
        days = rng.range(0, 200);
      else
        days = rng.range(0, 1460);
      last_purchase[r] = static_cast<int32_t>(as_of - days);
      orders[r] = rng.geometric(0.45);
      const double a = rng.uniform();
      if (a < 0.02)
        aov[r] = kAovEdges[rng.below(std::size(kAovEdges))];
      else
        aov[r] = std::max(1.0, cents(std::exp(std::log(60.0) + 0.9 * rng.normal())));
    } else {
      last_purchase[r] = 0;
      orders[r] = 0;
      aov[r] = 0.0;
    }
    if (!rng.chance(0.10)) {
      set_bit(v_last_engagement, i);
      last_engagement[r] = static_cast<int32_t>(as_of - rng.range(0, 730));
    }
    if (!rng.chance(0.08)) {
      set_bit(v_margin, i);
      margin[r] =
          rng.chance(0.03)
              ? 0.4
              : std::round(std::clamp(0.35 + 0.12 * rng.normal(), 0.01, 0.9) * 1000.0) / 1000.0;
    }
    if (rng.chance(0.12)) set_bit(subscriber, i);

    // Engagement: mostly none, with a tail.
    opens[r] = rng.chance(0.6) ? 0 : rng.geometric(0.25);
    clicks[r] = (opens[r] == 0 || rng.chance(0.5))
                    ? (rng.chance(0.02) ? 1 : 0)
                    : std::min<int64_t>(opens[r], rng.geometric(0.5));
    purchases[r] =
        (clicks[r] == 0 || rng.chance(0.6)) ? (rng.chance(0.01) ? 1 : 0) : rng.range(1, 3);

    // Categories: 0-4 distinct ones.
    const double ck = rng.uniform();
    const int count = ck < 0.10 ? 0 : ck < 0.45 ? 1 : ck < 0.75 ? 2 : ck < 0.90 ? 3 : 4;
    unsigned used = 0;
    for (int c = 0; c < count; ++c) {
      int pick;
      do pick = static_cast<int>(rng.below(kNumCategories));
      while (used & (1u << pick));
      used |= 1u << pick;
      cat_codes->push_back(pick);
    }
    cat_offsets[r + 1] = static_cast<int32_t>(cat_codes->size());

    int64_t w = rng.below(100);
    int ch = 0;
    while (w >= kChannelWeights[ch]) w -= kChannelWeights[ch++];
    channel[r] = ch;

    if (!rng.chance(0.10)) {
      set_bit(v_email_consent, i);
      if (rng.chance(0.8)) set_bit(email_consent, i);
    }
    if (!rng.chance(0.10)) {
      set_bit(v_sms_consent, i);
      if (rng.chance(0.35)) set_bit(sms_consent, i);
    }
    if (rng.chance(0.03)) set_bit(opted_out, i);
    if (rng.chance(0.05)) {
      set_bit(v_flag, i);
      flag[r] = static_cast<int32_t>(rng.below(4));
    } else {
      flag[r] = 0;
    }
    spam[r] = rng.chance(0.97) ? 0 : rng.range(1, 3);
    if (!rng.chance(0.05)) {
      set_bit(v_bounce, i);
      bounce[r] = rng.chance(0.02)
                      ? 0.05
                      : std::round(-0.015 * std::log(1.0 - rng.uniform()) * 10000.0) / 10000.0;
    }

    // Sequence progress.
    last_touch[r] = rng.chance(0.5) ? 0 : rng.range(1, 7);
    if (last_touch[r] > 0 && !rng.chance(0.01)) {
      set_bit(v_touch_date, i);
      touch_date[r] = static_cast<int32_t>(as_of - (rng.chance(0.08) ? 7 : rng.range(0, 30)));
    } else {
      touch_date[r] = 0;
    }
    if (rng.chance(0.15)) set_bit(responded, i);
  }

  auto col = [&](F f) -> RkColumn& { return b.columns[f]; };
  auto nullable_column = [](const uint8_t* validity, const void* values) {
    RkColumn c{};
    c.validity = validity;
    c.values = values;
    return c;
  };
  col(kCustomerId).encoding = RK_STR_PLAIN32;
  col(kCustomerId).offsets = id_offsets;
  col(kCustomerId).data = id_data->data();
  b.owned.push_back(id_data);
  col(kLastPurchase) = nullable_column(v_last_purchase, last_purchase);
  col(kLastEngagement) = nullable_column(v_last_engagement, last_engagement);
  col(kOrdersTotal).values = orders;
  col(kAov).values = aov;
  col(kMargin) = nullable_column(v_margin, margin);
  col(kSubscriber).values = subscriber;
  col(kOpens).values = opens;
  col(kClicks).values = clicks;
  col(kPurchases90).values = purchases;
  auto dict = category_dict();
  col(kCategoriesF).offsets = cat_offsets;
  col(kCategoriesF).child_codes = cat_codes->data();
  col(kCategoriesF).dict = dict.get();
  col(kCategoriesF).encoding = RK_STR_DICT;
  b.dicts[kCategoriesF] = dict;
  b.owned.push_back(cat_codes);
  col(kChannel).values = channel;
  col(kEmailConsent) = nullable_column(v_email_consent, email_consent);
  col(kSmsConsent) = nullable_column(v_sms_consent, sms_consent);
  col(kOptedOut).values = opted_out;
  col(kFlag) = nullable_column(v_flag, flag);
  col(kSpam).values = spam;
  col(kBounce) = nullable_column(v_bounce, bounce);
  col(kLastTouch).values = last_touch;
  col(kLastTouchDate) = nullable_column(v_touch_date, touch_date);
  col(kResponded).values = responded;
  return b;
}

}  // namespace

// --- The program's columns (winback-program.md section 1) ------------------------------------

namespace {

// A time zone the program generator writes: its name, the calling code of its country (for phone
// numbers), its weight within its region.
struct ZoneDef {
  const char* name;
  const char* calling_code;
  int weight;
};

// Regions of the world: their share of customers, their zones and first names (names are shown
// as they are written in the region, so many are not ASCII).
struct RegionDef {
  int weight;
  const ZoneDef* zones;
  size_t num_zones;
  const char* const* names;
  size_t num_names;
};

// North America: US zones with and without daylight saving (Phoenix, Honolulu), Newfoundland's
// half-hour offset, backward links (US/Eastern, US/Pacific, US/Central, Canada/Eastern).
constexpr ZoneDef kNorthAmericaZones[] = {
    {"America/New_York", "1", 30}, {"America/Chicago", "1", 18},
    {"America/Denver", "1", 6},    {"America/Los_Angeles", "1", 20},
    {"America/Phoenix", "1", 4},   {"America/Anchorage", "1", 1},
    {"Pacific/Honolulu", "1", 1},  {"America/Toronto", "1", 6},
    {"America/Vancouver", "1", 3}, {"America/Halifax", "1", 2},
    {"America/St_Johns", "1", 1},  {"America/Mexico_City", "52", 4},
    {"US/Eastern", "1", 2},        {"US/Pacific", "1", 1},
    {"US/Central", "1", 1},        {"Canada/Eastern", "1", 1}};
constexpr const char* kNorthAmericaNames[] = {
    "James", "Mary",  "Olivia",  "Liam",      "Emma",    "Noah",   "Ava",    "Sophia", "Michael",
    "Emily", "Ethan", "Madison", "Aaliyah",   "Jamal",   "Chloé",  "José",   "María",  "Zoë",
    "Renée", "André", "D'Andre", "Mary-Kate", "Siobhán", "Nguyễn", "Ximena", "Dakota", "Jean Luc"};

// Europe: western, central and eastern zones, Lisbon and the Azores an hour apart, Istanbul and
// Moscow without daylight saving, GB and Europe/Kiev as backward links.
constexpr ZoneDef kEuropeZones[] = {
    {"Europe/London", "44", 18},   {"Europe/Dublin", "353", 3},   {"Europe/Berlin", "49", 15},
    {"Europe/Paris", "33", 12},    {"Europe/Madrid", "34", 8},    {"Europe/Rome", "39", 7},
    {"Europe/Amsterdam", "31", 5}, {"Europe/Stockholm", "46", 3}, {"Europe/Warsaw", "48", 5},
    {"Europe/Athens", "30", 2},    {"Europe/Istanbul", "90", 3},  {"Europe/Moscow", "7", 3},
    {"Europe/Lisbon", "351", 2},   {"Atlantic/Azores", "351", 1}, {"Atlantic/Reykjavik", "354", 1},
    {"Europe/Kyiv", "380", 1},     {"Europe/Kiev", "380", 1},     {"GB", "44", 1}};
constexpr const char* kEuropeNames[] = {
    "Oliver", "Amelia", "Lukas",     "Mia",    "Léa",   "Hugo",       "Mathéo",    "Sofía",
    "Lucía",  "Giulia", "Francesco", "Łukasz", "Zofia", "Małgorzata", "Søren",     "Åsa",
    "Björn",  "Jürgen", "Çağla",     "Şebnem", "Νίκος", "Ελένη",      "Дмитрий",   "Анастасия",
    "Олена",  "Guðrún", "Þór",       "Aoife",  "Seán",  "João",       "Conceição", "Pieter"};

// Latin America: southern-hemisphere daylight saving (Santiago, Asunción), zones without it.
constexpr ZoneDef kLatinAmericaZones[] = {
    {"America/Sao_Paulo", "55", 40}, {"America/Argentina/Buenos_Aires", "54", 15},
    {"America/Santiago", "56", 10},  {"America/Bogota", "57", 12},
    {"America/Lima", "51", 8},       {"America/Caracas", "58", 3},
    {"America/Asuncion", "595", 2},  {"America/Havana", "53", 1}};
constexpr const char* kLatinAmericaNames[] = {"João",      "Ana",     "Luíza",  "Gabriel",
                                              "Valentina", "Mateo",   "Camila", "Sebastián",
                                              "Martín",    "Joaquín", "Renata", "Thiago"};

// Asia: half-hour (Kolkata, Colombo, Tehran, Kabul, Yangon) and 45-minute (Kathmandu) offsets,
// Asia/Calcutta and Asia/Saigon as backward links.
constexpr ZoneDef kAsiaZones[] = {
    {"Asia/Kolkata", "91", 25},   {"Asia/Calcutta", "91", 2},    {"Asia/Kathmandu", "977", 2},
    {"Asia/Colombo", "94", 1},    {"Asia/Tehran", "98", 2},      {"Asia/Kabul", "93", 1},
    {"Asia/Yangon", "95", 1},     {"Asia/Dubai", "971", 5},      {"Asia/Karachi", "92", 3},
    {"Asia/Dhaka", "880", 3},     {"Asia/Bangkok", "66", 4},     {"Asia/Singapore", "65", 6},
    {"Asia/Shanghai", "86", 12},  {"Asia/Hong_Kong", "852", 4},  {"Asia/Tokyo", "81", 12},
    {"Asia/Seoul", "82", 8},      {"Asia/Manila", "63", 5},      {"Asia/Jakarta", "62", 5},
    {"Asia/Jerusalem", "972", 2}, {"Asia/Ho_Chi_Minh", "84", 2}, {"Asia/Saigon", "84", 1}};
constexpr const char* kAsiaNames[] = {
    "Aarav", "Priya", "अर्जुन", "Ananya", "Rohan", "陽翔",  "さくら", "結衣", "지민",
    "서연",  "민준",  "伟",   "芳",     "Siti",  "Putri", "สมชาย",  "محمد", "فاطمة",
    "נועה",  "علی",   "Minh", "Wei",    "Yuki",  "Arjun", "Farah"};

// Africa.
constexpr ZoneDef kAfricaZones[] = {{"Africa/Lagos", "234", 8},
                                    {"Africa/Cairo", "20", 5},
                                    {"Africa/Johannesburg", "27", 6},
                                    {"Africa/Nairobi", "254", 4},
                                    {"Africa/Casablanca", "212", 3}};
constexpr const char* kAfricaNames[] = {"Chinedu", "Ngozi",   "Amara",  "Thabo", "Lerato",
                                        "Wanjiru", "Youssef", "Fatima", "Kwame", "Zanele"};

// Oceania: southern-hemisphere daylight saving (Sydney, Melbourne, Adelaide at +9:30/+10:30,
// Lord Howe's half-hour change, Auckland, Chatham at +12:45/+13:45), Brisbane, Perth and Darwin
// without it, Apia and Kiritimati (+14) across the date line, NZ and Australia/ACT as links.
constexpr ZoneDef kOceaniaZones[] = {
    {"Australia/Sydney", "61", 25},   {"Australia/Melbourne", "61", 20},
    {"Australia/Brisbane", "61", 10}, {"Australia/Perth", "61", 8},
    {"Australia/Adelaide", "61", 6},  {"Australia/Darwin", "61", 2},
    {"Australia/Lord_Howe", "61", 1}, {"Australia/ACT", "61", 1},
    {"Pacific/Auckland", "64", 12},   {"NZ", "64", 1},
    {"Pacific/Chatham", "64", 1},     {"Pacific/Apia", "685", 1},
    {"Pacific/Kiritimati", "686", 1}, {"Pacific/Tongatapu", "676", 1},
    {"Pacific/Pago_Pago", "1", 1}};
constexpr const char* kOceaniaNames[] = {"Jack",  "Charlotte", "Isla",  "Harper",  "Wiremu",
                                         "Aroha", "Mele",      "Sione", "Matilda", "Lachlan"};

// UTC itself, for the few customers whose zone was never localized.
constexpr ZoneDef kUtcZones[] = {{"UTC", "44", 2}, {"Etc/UTC", "44", 1}};

template <typename T, size_t N>
constexpr size_t count_of(const T (&)[N]) {
  return N;
}

constexpr RegionDef kRegions[] = {
    {40, kNorthAmericaZones, count_of(kNorthAmericaZones), kNorthAmericaNames,
     count_of(kNorthAmericaNames)},
    {24, kEuropeZones, count_of(kEuropeZones), kEuropeNames, count_of(kEuropeNames)},
    {8, kLatinAmericaZones, count_of(kLatinAmericaZones), kLatinAmericaNames,
     count_of(kLatinAmericaNames)},
    {16, kAsiaZones, count_of(kAsiaZones), kAsiaNames, count_of(kAsiaNames)},
    {3, kAfricaZones, count_of(kAfricaZones), kAfricaNames, count_of(kAfricaNames)},
    {8, kOceaniaZones, count_of(kOceaniaZones), kOceaniaNames, count_of(kOceaniaNames)},
    {1, kUtcZones, count_of(kUtcZones), kNorthAmericaNames, count_of(kNorthAmericaNames)}};

// Owners who approve outreach (csm_owner): names in several scripts and cases, so the review
// queue's code-point order (uppercase before lowercase, Latin before accented and other scripts)
// is exercised, and one owner written as blanks (spaces are data).
constexpr const char* kOwners[] = {
    "Ana García",    "Ben Carter",   "Chloé Martin", "Dmitri Volkov",
    "Émile Laurent", "Grace O'Neil", "Hiro Tanaka",  "Ingrid Sørensen",
    "ana lópez",     "Zoë Adler",    "李雷",         "  "};
constexpr int kOwnerWeights[] = {14, 12, 10, 9, 8, 8, 8, 7, 6, 6, 4, 1};
static_assert(count_of(kOwners) == count_of(kOwnerWeights));

constexpr const char* kEmailDomains[] = {"example.com", "example.net", "example.org",
                                         "mail.example", "shop.example"};

// Field indexes of the program's own columns, after the playbook's.
enum P : size_t {
  kFirstName = kNumFields,
  kEmail,
  kPhone,
  kTimezone,
  kCsmOwner,
  kLastContact,
  kContacts30,
  kWelcomeTouch,
  kWelcomeTouchDate,
  kNumProgramFields
};

// Every zone in a fixed order (regions, then zones as listed); a zone listed twice is kept once.
const std::vector<std::string>& zone_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& region : kRegions)
      for (size_t z = 0; z < region.num_zones; ++z)
        if (std::find(v.begin(), v.end(), region.zones[z].name) == v.end())
          v.emplace_back(region.zones[z].name);
    return v;
  }();
  return names;
}

// A dictionary viewing `values`, which must outlive it (static tables).
std::shared_ptr<const StringDict> dict_of(const std::vector<std::string>& values) {
  auto d = std::make_shared<StringDict>();
  for (const auto& v : values) d->entries.emplace_back(v);
  d->utf8_checked = true;
  return d;
}

std::shared_ptr<const StringDict> zone_dict() {
  static const std::shared_ptr<const StringDict> dict = dict_of(zone_names());
  return dict;
}

std::shared_ptr<const StringDict> owner_dict() {
  static const std::vector<std::string> owners(std::begin(kOwners), std::end(kOwners));
  static const std::shared_ptr<const StringDict> dict = dict_of(owners);
  return dict;
}

// Per region, the weights of its zones and their codes in zone_names(), in the order listed.
struct RegionTables {
  std::vector<int> weights;
  std::vector<int32_t> codes;
};
const RegionTables& region_tables(const RegionDef& region) {
  static const std::vector<RegionTables> tables = [] {
    const auto& names = zone_names();
    std::vector<RegionTables> t;
    for (const auto& rd : kRegions) {
      t.emplace_back();
      for (size_t z = 0; z < rd.num_zones; ++z) {
        t.back().weights.push_back(rd.zones[z].weight);
        t.back().codes.push_back(static_cast<int32_t>(
            std::find(names.begin(), names.end(), rd.zones[z].name) - names.begin()));
      }
    }
    return t;
  }();
  return tables[static_cast<size_t>(&region - kRegions)];
}

bool is_ascii_letters(std::string_view s) {
  for (char c : s)
    if (!std::isalpha(static_cast<unsigned char>(c))) return false;
  return !s.empty();
}

// A string column of plain offsets and bytes, filled row by row.
struct PlainStrings {
  int32_t* offsets;
  uint8_t* validity;
  std::shared_ptr<std::string> data = std::make_shared<std::string>();
  void present(size_t r, std::string_view s, int64_t row) {
    data->append(s);
    offsets[r + 1] = static_cast<int32_t>(data->size());
    set_bit(validity, row);
  }
  void missing(size_t r) { offsets[r + 1] = static_cast<int32_t>(data->size()); }
  RkColumn column(Batch& b) {
    RkColumn c{};
    c.validity = validity;
    c.offsets = offsets;
    c.data = data->data();
    c.encoding = RK_STR_PLAIN32;
    b.owned.push_back(data);
    return c;
  }
};

// Appends the program's nine columns to a playbook batch, reading the playbook's values of each
// row (consent, touches, purchases, order value) so the two agree: addresses mostly where there
// is consent, reactivated customers (last purchase on or after the last win-back touch) at every
// welcome-back touch, contacts that include the last win-back touch.
void add_program_columns(const GenerateOptions& opts, int64_t index, Batch& b) {
  const auto rows = static_cast<size_t>(b.num_rows);
  const size_t bitmap = (rows + 7) / 8;
  // A stream of its own: the playbook's columns stay exactly what `rekindle gen` writes for them.
  Rng rng(opts.seed, static_cast<uint64_t>(index) ^ 0x50524F4752414D00ull);
  const int32_t as_of = opts.as_of;

  PlainStrings first_name{new_buffer<int32_t>(b, rows + 1), new_buffer<uint8_t>(b, bitmap)};
  PlainStrings email{new_buffer<int32_t>(b, rows + 1), new_buffer<uint8_t>(b, bitmap)};
  PlainStrings phone{new_buffer<int32_t>(b, rows + 1), new_buffer<uint8_t>(b, bitmap)};
  first_name.offsets[0] = email.offsets[0] = phone.offsets[0] = 0;
  int32_t* zone = new_buffer<int32_t>(b, rows);
  uint8_t* v_zone = new_buffer<uint8_t>(b, bitmap);
  int32_t* owner = new_buffer<int32_t>(b, rows);
  uint8_t* v_owner = new_buffer<uint8_t>(b, bitmap);
  int32_t* last_contact = new_buffer<int32_t>(b, rows);
  uint8_t* v_last_contact = new_buffer<uint8_t>(b, bitmap);
  int64_t* contacts = new_buffer<int64_t>(b, rows);
  int64_t* welcome = new_buffer<int64_t>(b, rows);
  int32_t* welcome_date = new_buffer<int32_t>(b, rows);
  uint8_t* v_welcome_date = new_buffer<uint8_t>(b, bitmap);

  const auto& cols = b.columns;
  auto present = [&](size_t f, size_t r) {
    return is_present(cols[f].validity, static_cast<int64_t>(r));
  };
  auto i32 = [&](size_t f, size_t r) { return static_cast<const int32_t*>(cols[f].values)[r]; };
  auto i64 = [&](size_t f, size_t r) { return static_cast<const int64_t*>(cols[f].values)[r]; };
  auto f64 = [&](size_t f, size_t r) { return static_cast<const double*>(cols[f].values)[r]; };
  auto is_true = [&](size_t f, size_t r) {
    return present(f, r) &&
           bit_is_set(static_cast<const uint8_t*>(cols[f].values), static_cast<int64_t>(r));
  };

  int region_weights[count_of(kRegions)];
  for (size_t i = 0; i < count_of(kRegions); ++i) region_weights[i] = kRegions[i].weight;
  std::string text;
  for (size_t r = 0; r < rows; ++r) {
    const auto i = static_cast<int64_t>(r);
    const int64_t serial = b.first_row + i + 1;

    // Where the customer lives: a region, a zone of it (8% missing: America/New_York applies).
    const RegionDef& region = kRegions[rng.weighted(region_weights, count_of(kRegions))];
    const RegionTables& tables = region_tables(region);
    const size_t zi = rng.weighted(tables.weights.data(), region.num_zones);
    const ZoneDef& zd = region.zones[zi];
    if (!rng.chance(0.08)) {
      set_bit(v_zone, i);
      zone[r] = tables.codes[zi];
    } else {
      zone[r] = 0;
    }

    // first_name: 7% missing; a few with blanks around them or blank (spaces are data).
    const std::string_view name = region.names[rng.below(static_cast<int64_t>(region.num_names))];
    const double nk = rng.uniform();
    if (nk < 0.07) {
      first_name.missing(r);
    } else if (nk < 0.072) {
      first_name.present(r, " ", i);
    } else if (nk < 0.075) {
      text.assign(name);
      text += ' ';
      first_name.present(r, text, i);
    } else {
      first_name.present(r, name, i);
    }

    // email: present for 94% of customers with email consent, 75% of the others ("consent
    // without an address" makes no_channel reachable); a few internationalized or mixed-case
    // addresses, and a blank one.
    const bool email_consent = is_true(kEmailConsent, r);
    if (rng.chance(email_consent ? 0.94 : 0.75)) {
      const double ek = rng.uniform();
      const char* domain = kEmailDomains[rng.below(static_cast<int64_t>(count_of(kEmailDomains)))];
      if (ek < 0.001) {
        text = " ";
      } else if (ek < 0.006 && !is_ascii_letters(name)) {
        text =
            fmt::format("{}{}@{}", name, serial % 1000, domain);  // an internationalized local part
      } else {
        std::string local;
        if (is_ascii_letters(name)) {
          local.assign(name);
          if (!rng.chance(0.05))
            for (auto& c : local)
              c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        } else {
          local = "customer";
        }
        text = fmt::format("{}.{}@{}", local, serial, domain);
      }
      email.present(r, text, i);
    } else {
      email.missing(r);
    }

    // phone: present for 88% with sms consent, 45% of the others; E.164-like with the zone's
    // calling code, written with or without spaces.
    const bool sms_consent = is_true(kSmsConsent, r);
    if (rng.chance(sms_consent ? 0.88 : 0.45)) {
      const int64_t subscriber = rng.range(1000000, 9999999);
      if (rng.chance(0.7))
        text = fmt::format("+{} {} {}", zd.calling_code, rng.range(20, 999), subscriber);
      else
        text = fmt::format("+{}{}{}", zd.calling_code, rng.range(20, 999), subscriber);
      phone.present(r, text, i);
    } else {
      phone.missing(r);
    }

    // csm_owner: mostly for high-value customers; missing means the team queue.
    const bool high_value = f64(kAov, r) >= 250.0;
    if (rng.chance(high_value ? 0.8 : 0.35)) {
      set_bit(v_owner, i);
      owner[r] = static_cast<int32_t>(rng.weighted(kOwnerWeights, count_of(kOwnerWeights)));
    } else {
      owner[r] = 0;
    }

    // last_contact_date: the most recent of the last win-back touch (when dated and not after
    // the as-of date) and the last message of another campaign: 0, 1 and 2 days before the as-of
    // date for some (the 2-day cap's edge), a few after it; 25% with no other campaign.
    const bool touch_dated = i64(kLastTouch, r) > 0 && present(kLastTouchDate, r);
    int64_t contact = INT64_MIN;  // days since 1970, INT64_MIN: none on record
    if (touch_dated && i32(kLastTouchDate, r) <= as_of) contact = i32(kLastTouchDate, r);
    if (!rng.chance(0.25)) {
      static constexpr int kDayWeights[] = {10, 10, 6, 4, 3};  // 0, 1, 2, 3 days; after
      const double k = rng.uniform();
      int64_t other;
      if (k < 0.2) {
        const size_t d = rng.weighted(kDayWeights, count_of(kDayWeights));
        other = d < 4 ? as_of - static_cast<int64_t>(d) : as_of + rng.range(1, 2);
      } else {
        other = as_of - rng.range(4, 120);
      }
      contact = std::max(contact, other);
    }
    if (contact != INT64_MIN) {
      set_bit(v_last_contact, i);
      last_contact[r] = static_cast<int32_t>(contact);
    } else {
      last_contact[r] = 0;
    }

    // contacts_30d: 0 without a contact in the 30 days before the as-of date; else 1 to 10,
    // mostly 1 to 3, about one in five 4 or more (the cap is 4).
    if (contact != INT64_MIN && contact > as_of - 30) {
      static constexpr int kCountWeights[] = {32, 26, 20, 9, 6, 3, 1, 1, 1, 1};  // 1..10
      contacts[r] = 1 + static_cast<int64_t>(rng.weighted(kCountWeights, count_of(kCountWeights)));
    } else {
      contacts[r] = 0;
    }

    // Welcome-back progress. Reactivated customers (a dated win-back touch, a purchase on or
    // after it) are at every welcome touch: 0 (none yet), 1, 2, and a few past the last (3);
    // their last welcome touch 0 to 5 days ago (3 days is the wait), sometimes after the as-of
    // date or undated (waiting). Of the others, a few were welcomed back in an earlier cycle.
    const bool reactivated =
        touch_dated && present(kLastPurchase, r) && i32(kLastPurchase, r) >= i32(kLastTouchDate, r);
    welcome_date[r] = 0;
    if (reactivated) {
      static constexpr int kTouchWeights[] = {35, 30, 28, 7};
      welcome[r] = static_cast<int64_t>(rng.weighted(kTouchWeights, count_of(kTouchWeights)));
      if (welcome[r] > 0) {
        const double k = rng.uniform();
        if (k >= 0.01) {
          set_bit(v_welcome_date, i);
          static constexpr int kAgoWeights[] = {15, 15, 20, 25, 15, 10};  // 0..5 days ago
          welcome_date[r] = k < 0.03
                                ? static_cast<int32_t>(as_of + rng.range(1, 2))
                                : static_cast<int32_t>(
                                      as_of - static_cast<int64_t>(rng.weighted(kAgoWeights, 6)));
        }
      }
    } else if (rng.chance(0.06)) {
      welcome[r] = rng.chance(0.1) ? 3 : rng.range(1, 2);
      if (!rng.chance(0.02)) {
        set_bit(v_welcome_date, i);
        welcome_date[r] = static_cast<int32_t>(as_of - rng.range(20, 400));
      }
    } else {
      welcome[r] = 0;
    }
  }

  b.columns.resize(kNumProgramFields, RkColumn{});
  b.dicts.resize(kNumProgramFields, nullptr);
  auto nullable_column = [](const uint8_t* validity, const void* values) {
    RkColumn c{};
    c.validity = validity;
    c.values = values;
    return c;
  };
  auto dict_column = [&](size_t f, const uint8_t* validity, const int32_t* codes,
                         std::shared_ptr<const StringDict> dict) {
    RkColumn c{};
    c.validity = validity;
    c.values = codes;
    c.dict = dict.get();
    c.encoding = RK_STR_DICT;
    b.columns[f] = c;
    b.dicts[f] = std::move(dict);
  };
  b.columns[kFirstName] = first_name.column(b);
  b.columns[kEmail] = email.column(b);
  b.columns[kPhone] = phone.column(b);
  dict_column(kTimezone, v_zone, zone, zone_dict());
  dict_column(kCsmOwner, v_owner, owner, owner_dict());
  b.columns[kLastContact] = nullable_column(v_last_contact, last_contact);
  b.columns[kContacts30].values = contacts;
  b.columns[kWelcomeTouch].values = welcome;
  b.columns[kWelcomeTouchDate] = nullable_column(v_welcome_date, welcome_date);
}

}  // namespace

Schema program_schema() {
  Schema s = playbook_schema();
  s.name = "program_customer";
  auto add = [&](const char* name, FieldType t, bool nullable) {
    s.fields.push_back(FieldDef{name, t, nullable, false, {}});
  };
  add("first_name", FieldType::String, true);
  add("email", FieldType::String, true);
  add("phone", FieldType::String, true);
  add("timezone", FieldType::String, true);
  add("csm_owner", FieldType::String, true);
  add("last_contact_date", FieldType::Date, true);
  add("contacts_30d", FieldType::Int, false);
  add("welcome_touch", FieldType::Int, false);
  add("welcome_touch_date", FieldType::Date, true);
  return s;
}

const std::vector<std::string>& generated_time_zones() {
  return zone_names();
}

const std::vector<std::string>& generated_first_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& region : kRegions)
      for (size_t i = 0; i < region.num_names; ++i)
        if (std::find(v.begin(), v.end(), region.names[i]) == v.end())
          v.emplace_back(region.names[i]);
    return v;
  }();
  return names;
}

Batch generate_batch(const GenerateOptions& opts, int64_t index) {
  Batch b = playbook_batch(opts, index);
  if (opts.program) add_program_columns(opts, index, b);
  return b;
}

namespace {

// Where finished batches go, in order.
class Sink {
 public:
  virtual ~Sink() = default;
  // Work done on a worker thread (e.g. formatting); returns false and sets `error` on failure.
  virtual bool prepare(Batch& batch, std::string& text, std::string& error) = 0;
  virtual bool consume(Batch& batch, std::string& text) = 0;
  virtual bool finish() = 0;
  virtual std::string error() const = 0;
};

class CsvSink final : public Sink {
 public:
  CsvSink(const Schema& schema) : schema_(schema) {}
  bool open(const std::string& path) {
    return file_.open(path) && file_.write(CsvSnapshotWriter::header(schema_));
  }
  bool prepare(Batch& batch, std::string& text, std::string& error) override {
    return CsvSnapshotWriter::format_rows(schema_, batch, text, error);
  }
  bool consume(Batch&, std::string& text) override { return file_.write(text); }
  bool finish() override { return file_.commit(); }
  std::string error() const override { return file_.error(); }

 private:
  const Schema& schema_;
  AtomicFile file_;
};

class ArrowSink final : public Sink {
 public:
  explicit ArrowSink(const Schema& schema) : writer_(schema) {}
  bool open(const std::string& path) { return writer_.open(path); }
  bool prepare(Batch&, std::string&, std::string&) override { return true; }
  bool consume(Batch& batch, std::string&) override { return writer_.write(batch); }
  bool finish() override { return writer_.finish(); }
  std::string error() const override { return writer_.error(); }

 private:
  ArrowSnapshotWriter writer_;
};

bool run_pipeline(const GenerateOptions& opts, const std::function<Batch(int64_t)>& make,
                  Sink& sink, std::string& error) {
  const int64_t batches = (opts.rows + opts.batch_rows - 1) / opts.batch_rows;
  const int threads = static_cast<int>(
      std::min<int64_t>(thread_count(opts.threads), std::max<int64_t>(1, batches)));
  const int64_t window = 2 * threads;  // batches in flight

  struct Slot {
    Batch batch;
    std::string text;
    std::string error;
    bool ok = true;
  };
  std::mutex mu;
  std::condition_variable cv;
  std::map<int64_t, Slot> ready;
  int64_t next_claim = 0, next_write = 0;
  bool stop = false;

  auto worker = [&] {
    for (;;) {
      int64_t idx;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock,
                [&] { return stop || next_claim >= batches || next_claim < next_write + window; });
        if (stop || next_claim >= batches) return;
        idx = next_claim++;
      }
      Slot s;
      s.batch = make(idx);
      s.ok = sink.prepare(s.batch, s.text, s.error);
      {
        std::lock_guard<std::mutex> lock(mu);
        ready.emplace(idx, std::move(s));
      }
      cv.notify_all();
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(threads));
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);

  bool ok = true;
  while (ok && next_write < batches) {
    Slot s;
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return ready.count(next_write) > 0; });
      auto it = ready.find(next_write);
      s = std::move(it->second);
      ready.erase(it);
    }
    if (!s.ok) {
      error = s.error;
      ok = false;
    } else if (!sink.consume(s.batch, s.text)) {
      error = sink.error();
      ok = false;
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      ++next_write;
      if (!ok) stop = true;
    }
    cv.notify_all();
  }
  for (auto& t : pool) t.join();
  if (!ok) return false;
  if (!sink.finish()) {
    error = sink.error();
    return false;
  }
  return true;
}

}  // namespace

namespace gen {

bool write_generated(const Schema& schema, const GenerateOptions& opts,
                     const std::function<Batch(int64_t)>& make, const std::string& path,
                     SnapshotFormat format, std::string& error) {
  if (format == SnapshotFormat::Csv) {
    CsvSink sink(schema);
    if (!sink.open(path)) {
      error = sink.error();
      return false;
    }
    return run_pipeline(opts, make, sink, error);
  }
  ArrowSink sink(schema);
  if (!sink.open(path)) {
    error = sink.error();
    return false;
  }
  return run_pipeline(opts, make, sink, error);
}

}  // namespace gen

bool generate_snapshot(const GenerateOptions& options, const std::string& path,
                       SnapshotFormat format, std::string& error) {
  GenerateOptions opts = options;  // defaults filled in below
  if (opts.rows < 0) {
    error = "the row count must not be negative";
    return false;
  }
  if (opts.batch_rows <= 0) opts.batch_rows = 65536;
  const Schema schema = opts.program ? program_schema() : playbook_schema();
  return gen::write_generated(
      schema, opts, [&opts](int64_t index) { return generate_batch(opts, index); }, path, format,
      error);
}

}  // namespace rk
