// Rekindle runtime: the synthetic snapshot generator. Batches are generated (and, for CSV,
// formatted) in parallel by worker threads and written in order by the calling thread; each batch
// depends only on (seed, batch index), so the output is identical for any thread count.
#include "runtime/generate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/arrow_writer.h"
#include "runtime/csv_writer.h"
#include "runtime/result_writer.h"
#include "runtime/thread_pool.h"

namespace rk {

namespace {

constexpr const char* kCategories[] = {"apparel", "footwear",    "accessories", "home",   "kitchen",
                                       "garden",  "electronics", "books",       "beauty", "toys"};
constexpr int kNumCategories = 10;

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// xoshiro256** seeded by splitmix64: fast, good enough for synthetic data.
class Rng {
 public:
  Rng(uint64_t seed, uint64_t stream) {
    uint64_t sm = seed;
    const uint64_t mixed = splitmix64(sm) ^ (stream * 0xD1B54A32D192ED03ull);
    sm = mixed;
    for (auto& x : s_) x = splitmix64(sm);
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return uniform() < p; }
  int64_t below(int64_t n) {
    return static_cast<int64_t>((next() >> 1) % static_cast<uint64_t>(n));
  }
  int64_t range(int64_t lo, int64_t hi) { return lo + below(hi - lo + 1); }  // inclusive
  double normal() {
    // Box-Muller (one value per call keeps the stream simple).
    double u1 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * uniform());
  }
  // Geometric on {1, 2, ...} with success probability p.
  int64_t geometric(double p) {
    int64_t k = 1;
    while (!chance(p) && k < 10000) ++k;
    return k;
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

template <typename T>
T* new_buffer(Batch& b, size_t n) {
  auto v = std::make_shared<std::vector<T>>(n);
  T* p = v->data();
  b.owned.push_back(std::move(v));
  return p;
}
inline void set_bit(uint8_t* bits, int64_t i) {
  bits[i >> 3] |= static_cast<uint8_t>(1u << (i & 7));
}

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

Batch generate_batch(const GenerateOptions& opts, int64_t index) {
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

bool run_pipeline(const GenerateOptions& opts, Sink& sink, std::string& error) {
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
      s.batch = generate_batch(opts, idx);
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

bool generate_snapshot(const GenerateOptions& options, const std::string& path,
                       SnapshotFormat format, std::string& error) {
  GenerateOptions opts = options;  // defaults filled in below
  if (opts.rows < 0) {
    error = "the row count must not be negative";
    return false;
  }
  if (opts.batch_rows <= 0) opts.batch_rows = 65536;
  const Schema schema = playbook_schema();
  if (format == SnapshotFormat::Csv) {
    CsvSink sink(schema);
    if (!sink.open(path)) {
      error = sink.error();
      return false;
    }
    return run_pipeline(opts, sink, error);
  }
  ArrowSink sink(schema);
  if (!sink.open(path)) {
    error = sink.error();
    return false;
  }
  return run_pipeline(opts, sink, error);
}

}  // namespace rk
