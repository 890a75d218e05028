// Rekindle measurement: the outcomes generator (see gen_outcomes.h). Reads the events with the
// measurement's own reader, draws each unit's outcomes from its own seeded generator, and writes
// them in batches through the snapshot writers (CSV or Arrow IPC) with the outcomes schema.
#include "runtime/measure/gen_outcomes.h"

#include <fmt/format.h>

#include <cmath>
#include <memory>

#include "base/fnv1a.h"
#include "runtime/arrow_writer.h"
#include "runtime/csv_writer.h"
#include "runtime/measure/events.h"
#include "runtime/measure/measure.h"
#include "runtime/measure/string_table.h"

namespace rk::measure {

namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  double uniform() { return static_cast<double>(splitmix64(state_) >> 11) * 0x1.0p-53; }
  bool chance(double p) { return uniform() < p; }
  int day(int lo, int hi) {  // uniform in [lo, hi]
    return lo + static_cast<int>(uniform() * (hi - lo + 1));
  }
  double normal() {
    const double u1 = uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1 > 0 ? u1 : 0x1.0p-53)) * std::cos(2 * M_PI * u2);
  }

 private:
  uint64_t state_;
};

double cents(double x) {
  return std::round(x * 100) / 100;
}

struct Row {
  std::string customer;
  int32_t date;
  int32_t kind;  // outcomes_schema's enum ordinal
  double revenue;
  bool has_cost;
  double cost;
};

// What an offer costs on a purchase of `revenue`: a credit up to its amount, a discount its share.
double incentive_cost(std::string_view offer, double revenue) {
  auto number = [](std::string_view s) {
    double v = 0;
    for (const char c : s) {
      if (c < '0' || c > '9') break;
      v = v * 10 + (c - '0');
    }
    return v;
  };
  if (offer.rfind("credit ", 0) == 0) return std::min(number(offer.substr(7)), revenue);
  if (offer.rfind("discount ", 0) == 0) return cents(revenue * number(offer.substr(9)) / 100);
  return 0;
}

class Batcher {
 public:
  explicit Batcher(SnapshotFormat format) : format_(format), arrow_(outcomes_schema()) {}
  bool open(const std::string& path) {
    if (format_ == SnapshotFormat::Csv) return csv_.open(path, schema_);
    return arrow_.open(path);
  }
  bool add(Row row) {
    rows_.push_back(std::move(row));
    return rows_.size() < kBatchRows || flush();
  }
  bool finish() {
    return flush() && (format_ == SnapshotFormat::Csv ? csv_.finish() : arrow_.finish());
  }
  std::string error() const {
    return format_ == SnapshotFormat::Csv ? csv_.error() : arrow_.error();
  }

 private:
  static constexpr size_t kBatchRows = 65536;
  template <typename T>
  static T* buffer(Batch& b, size_t n) {
    auto v = std::make_shared<std::vector<T>>(n);
    T* p = v->data();
    b.owned.push_back(std::move(v));
    return p;
  }
  bool flush() {
    if (rows_.empty()) return true;
    const size_t n = rows_.size();
    Batch b;
    b.num_rows = static_cast<int64_t>(n);
    b.first_row = written_;
    b.columns.assign(5, RkColumn{});
    b.dicts.assign(5, nullptr);
    auto* offsets = buffer<int32_t>(b, n + 1);
    auto data = std::make_shared<std::string>();
    auto* dates = buffer<int32_t>(b, n);
    auto* kinds = buffer<int32_t>(b, n);
    auto* revenue = buffer<double>(b, n);
    auto* cost = buffer<double>(b, n);
    auto* revenue_valid = buffer<uint8_t>(b, (n + 7) / 8);
    auto* cost_valid = buffer<uint8_t>(b, (n + 7) / 8);
    offsets[0] = 0;
    for (size_t i = 0; i < n; ++i) {
      const Row& r = rows_[i];
      *data += r.customer;
      offsets[i + 1] = static_cast<int32_t>(data->size());
      dates[i] = r.date;
      kinds[i] = r.kind;
      revenue[i] = r.revenue;
      cost[i] = r.cost;
      // A purchase has a revenue; an unsubscribe or complaint leaves both amounts missing.
      if (r.kind == 0) revenue_valid[i >> 3] |= static_cast<uint8_t>(1U << (i & 7));
      if (r.has_cost) cost_valid[i >> 3] |= static_cast<uint8_t>(1U << (i & 7));
    }
    b.columns[0].encoding = RK_STR_PLAIN32;
    b.columns[0].offsets = offsets;
    b.columns[0].data = data->data();
    b.owned.push_back(data);
    b.columns[1].values = dates;
    b.columns[2].values = kinds;
    b.columns[3].values = revenue;
    b.columns[3].validity = revenue_valid;
    b.columns[4].values = cost;
    b.columns[4].validity = cost_valid;
    written_ += static_cast<int64_t>(n);
    rows_.clear();
    return format_ == SnapshotFormat::Csv ? csv_.write(b) : arrow_.write(b);
  }

  SnapshotFormat format_;
  Schema schema_ = outcomes_schema();
  CsvSnapshotWriter csv_;
  ArrowSnapshotWriter arrow_;
  std::vector<Row> rows_;
  int64_t written_ = 0;
};

}  // namespace

bool generate_outcomes(const std::vector<std::string>& event_files, const std::string& out_path,
                       SnapshotFormat format, const OutcomeGenOptions& o, OutcomeGenStats& stats,
                       std::string& error) {
  if (o.window_days < 1 || o.window_days > kMaxWindowDays) {
    error = fmt::format("the window must be 1 to {} days", kMaxWindowDays);
    return false;
  }
  Batcher out(format);
  if (!out.open(out_path)) {
    error = out.error();
    return false;
  }
  StringTable seen(1 << 16);
  std::string key;
  for (const std::string& path : event_files) {
    EventReader reader;
    if (!reader.open(path)) {
      error = reader.error();
      return false;
    }
    Event e;
    while (true) {
      const auto status = reader.next(e);
      if (status == EventReader::Status::End) break;
      if (status == EventReader::Status::Error) {
        error = reader.error();
        return false;
      }
      key.assign(e.run_id);
      key += '\0';
      key += e.sequence;
      key += '\0';
      key += e.customer_id;
      bool fresh = false;
      seen.intern(key, fresh);
      if (!fresh) continue;  // a repeated unit: the first read counts, as in measure
      ++stats.units;
      uint64_t h = fnv1a64_update(fnv1a64(key), fmt::format("\x1f{}", o.seed));
      Rng rng(splitmix64(h));
      const bool treated = e.decision.status == "due";
      double p = o.base_rate;
      std::string_view offer;
      if (treated) {
        p += o.lift;
        if (e.decision.offer) offer = *e.decision.offer;
        for (const auto& [name, lift] : o.offer_lift)
          if (e.decision.offer && name == *e.decision.offer) p += lift;
        if (e.decision.variant && e.decision.step) {
          const std::string full =
              fmt::format("{}.{}.{}", e.sequence, *e.decision.step, *e.decision.variant);
          for (const auto& [name, lift] : o.variant_lift)
            if (name == full || name == *e.decision.variant) p += lift;
        }
      }
      p = std::clamp(p, 0.0, 1.0);
      const std::string customer(e.customer_id);
      if (rng.chance(p)) {
        const int32_t d0 = e.as_of + rng.day(1, o.window_days);
        const double revenue = cents(std::exp(std::log(60.0) + 0.6 * rng.normal()));
        const double cost = incentive_cost(offer, revenue);
        if (!out.add({customer, d0, 0, revenue, cost > 0, cost})) break;
        ++stats.outcomes;
        if (rng.chance(o.repeat_rate)) {
          const double again = cents(std::exp(std::log(50.0) + 0.6 * rng.normal()));
          if (!out.add({customer, d0 + rng.day(1, 89), 0, again, false, 0})) break;
          ++stats.outcomes;
        }
      }
      if (rng.chance(o.unsubscribe_rate)) {
        if (!out.add({customer, e.as_of + rng.day(1, o.window_days), 1, 0, false, 0})) break;
        ++stats.outcomes;
      }
      if (rng.chance(o.complaint_rate)) {
        if (!out.add({customer, e.as_of + rng.day(1, o.window_days), 2, 0, false, 0})) break;
        ++stats.outcomes;
      }
    }
  }
  if (!out.finish()) {
    error = out.error();
    return false;
  }
  return true;
}

}  // namespace rk::measure
