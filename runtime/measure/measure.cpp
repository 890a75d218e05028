// Rekindle measurement: the measurement itself (see measure.h). One pass over the events: each
// unit (run, customer, sequence; the first read counts) is checked against the plan, joined with
// its customer's outcomes (loaded and sorted by date first) and added to the totals of its run
// and sequence; the pooled totals are the runs' totals added up at the end. Nothing per unit is
// kept but what detects a repeated unit (UnitSet in outcomes.h: a few bytes while customers come
// in order).
#include "runtime/measure/measure.h"

#include <fmt/format.h>
#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <span>

#include "base/date.h"
#include "compiler/ir/schema.h"
#include "runtime/measure/events.h"
#include "runtime/measure/outcomes.h"
#include "runtime/measure/string_table.h"

namespace rk::measure {

namespace {

// What a unit's customer did in the window after its as-of date.
struct UnitOutcome {
  bool reactivated = false, unsubscribed = false, complained = false;
  int first_day = 0;  // days from as-of to the first purchase in the window
  double revenue = 0, cost = 0, ltv = 0;
};

UnitOutcome outcome_of(std::span<const Outcome> outcomes, int32_t as_of, int window) {
  UnitOutcome u;
  Sum revenue, cost;
  int32_t d0 = 0;
  const int64_t last = static_cast<int64_t>(as_of) + window;
  for (const Outcome& o : outcomes) {
    if (o.date <= as_of) continue;
    if (o.date > last) break;
    switch (o.kind) {
      case OutcomeKind::Purchase:
        if (!u.reactivated) {
          u.reactivated = true;
          d0 = o.date;
        }
        revenue.add(o.revenue);
        cost.add(o.cost);
        break;
      case OutcomeKind::Unsubscribe:
        u.unsubscribed = true;
        break;
      case OutcomeKind::Complaint:
        u.complained = true;
        break;
    }
  }
  u.revenue = revenue.value();
  u.cost = cost.value();
  if (u.reactivated) {
    u.first_day = d0 - as_of;
    Sum ltv;
    const int64_t ltv_last = static_cast<int64_t>(d0) + (kLtvDays - 1);
    for (const Outcome& o : outcomes) {
      if (o.date < d0) continue;
      if (o.date > ltv_last) break;
      if (o.kind == OutcomeKind::Purchase) ltv.add(o.revenue);
    }
    u.ltv = ltv.value();
  }
  return u;
}

void add_day(std::vector<int64_t>& days, int d) {
  if (days.size() <= static_cast<size_t>(d)) days.resize(static_cast<size_t>(d) + 1, 0);
  ++days[static_cast<size_t>(d)];
}

// Adding 0 to a compensated sum changes neither of its parts (in round-to-nearest, x + 0 is x and
// never -0 unless x is), so the many zero amounts of units that bought nothing are skipped.
inline void add_amount(Sum& s, double v) {
  if (v != 0) s.add(v);
}

void add_treated(GroupTotals& g, const UnitOutcome& u) {
  ++g.treated.units;
  add_amount(g.treated.revenue, u.revenue);
  add_amount(g.incentive_cost, u.cost);
  if (u.reactivated) {
    ++g.treated.reactivated;
    add_amount(g.ltv, u.ltv);
    add_day(g.days, u.first_day);
  }
  g.treated.unsubscribed += u.unsubscribed;
  g.treated.complained += u.complained;
}

void add_control(GroupTotals& g, const UnitOutcome& u) {
  ++g.control.units;
  add_amount(g.control.revenue, u.revenue);
  if (u.reactivated) ++g.control.reactivated;
  g.control.unsubscribed += u.unsubscribed;
  g.control.complained += u.complained;
}

// Whether adding the unit is only counting it: it did nothing in its window (most units), so
// add_treated and add_control would add nothing else (zero amounts included).
inline bool only_counted(const UnitOutcome& u) {
  return !u.reactivated && !u.unsubscribed && !u.complained && u.revenue == 0 && u.cost == 0;
}

// Adds the unit to its arm of g; `counted_only` is only_counted(u), worked out once per unit.
__attribute__((always_inline)) inline void add_unit(GroupTotals& g, const UnitOutcome& u,
                                                    bool treated, bool counted_only) {
  if (counted_only)
    ++(treated ? g.treated.units : g.control.units);
  else if (treated)
    add_treated(g, u);
  else
    add_control(g, u);
}

void merge_arm(ArmTotals& a, const ArmTotals& b) {
  a.units += b.units;
  a.reactivated += b.reactivated;
  a.unsubscribed += b.unsubscribed;
  a.complained += b.complained;
  a.revenue.add(b.revenue);
}

// Small string -> id maps for the values of a breakdown (channels, offers, labels): a handful of
// distinct values, looked up for every unit. A value of up to 16 bytes is its length and two
// words exactly (its bytes, zero-padded), which index a small direct-mapped cache: one compare,
// and no branch that depends on which value it is (labels vary from unit to unit, so a scan's
// exit, or a branch on the length, would be mispredicted). A miss scans the values and fills the
// cache.
class Names {
 public:
  uint32_t id(std::string_view s) {
    uint64_t w0 = 0, w1 = 0;
    if (!words(s, w0, w1)) return scan(s);
    const uint64_t h = (w0 * 0x9E3779B97F4A7C15ULL) ^ (w1 * 0xC2B2AE3D27D4EB4FULL) ^ s.size();
    Cached& c = cache_[(h ^ (h >> 29)) & (kCache - 1)];
    if (c.w0 == w0 && c.w1 == w1 && c.size == s.size()) return c.id;
    const uint32_t id = scan(s);
    c = {w0, w1, static_cast<uint32_t>(s.size()), id};
    return id;
  }
  const std::string& name(uint32_t id) const { return names_[id]; }
  size_t size() const { return names_.size(); }

 private:
  static constexpr size_t kCache = 64;
  struct Cached {
    uint64_t w0 = 0, w1 = 0;
    uint32_t size = UINT32_MAX, id = 0;  // size UINT32_MAX: empty
  };
  // The two words that, with its length, are a text of up to 16 bytes (its bytes, then zeros);
  // false for a longer one. The 16 bytes from its start are loaded whole and masked to its length
  // when they lie in one page (the text's own page is mapped, so they can be read); else byte by
  // byte.
  static bool words(std::string_view s, uint64_t& w0, uint64_t& w1) {
    const size_t n = s.size();
    const char* p = s.data();
    if (n > 16) return false;
    if (kWholeLoads && n && (reinterpret_cast<uintptr_t>(p) & 4095) <= 4096 - 16) {
      std::memcpy(&w0, p, 8);
      std::memcpy(&w1, p + 8, 8);
      w0 &= kLow[n];
      w1 &= kHigh[n];
      return true;
    }
    unsigned char bytes[16] = {};
    if (n) std::memcpy(bytes, p, n);
    std::memcpy(&w0, bytes, 8);
    std::memcpy(&w1, bytes + 8, 8);
    return true;
  }
  // AddressSanitizer would report the bytes loaded past a text's end (never used) as an overflow.
#if defined(__SANITIZE_ADDRESS__)
  static constexpr bool kWholeLoads = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  static constexpr bool kWholeLoads = false;
#else
  static constexpr bool kWholeLoads = true;
#endif
#else
  static constexpr bool kWholeLoads = true;
#endif
  // [n]: the mask of a text's first n bytes in its first word, and in its second.
  static constexpr auto kLow = [] {
    std::array<uint64_t, 17> m{};
    for (size_t n = 0; n <= 16; ++n) m[n] = n >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * n)) - 1;
    return m;
  }();
  static constexpr auto kHigh = [] {
    std::array<uint64_t, 17> m{};
    for (size_t n = 0; n <= 16; ++n)
      m[n] = n >= 16 ? ~uint64_t{0} : n <= 8 ? 0 : (uint64_t{1} << (8 * (n - 8))) - 1;
    return m;
  }();
  uint32_t scan(std::string_view s) {
    for (uint32_t i = 0; i < names_.size(); ++i)
      if (same_text(names_[i], s)) return i;
    names_.emplace_back(s);
    return static_cast<uint32_t>(names_.size() - 1);
  }
  std::vector<std::string> names_;
  Cached cache_[kCache];
};

template <class T>
__attribute__((noinline, cold)) void grow_to(std::vector<T>& v, size_t i) {
  v.resize(i + 1);
}

template <class T>
__attribute__((always_inline)) inline T& at_grow(std::vector<T>& v, size_t i) {
  if (__builtin_expect(v.size() <= i, 0)) grow_to(v, i);
  return v[i];
}

// Zeroed 64-bit words, mapped with transparent huge pages (a probe at random into megabytes of
// them then rarely misses the TLB).
class Words {
 public:
  Words() = default;
  Words(const Words&) = delete;
  Words& operator=(const Words&) = delete;
  ~Words() { release(); }
  void assign(size_t n) {
    release();
    void* m = ::mmap(nullptr, n * sizeof(uint64_t), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) throw std::bad_alloc();
    ::madvise(m, n * sizeof(uint64_t), MADV_HUGEPAGE);
    words_ = static_cast<uint64_t*>(m);
    size_ = n;
  }
  uint64_t& operator[](size_t i) { return words_[i]; }
  const uint64_t& operator[](size_t i) const { return words_[i]; }

 private:
  void release() {
    if (words_) ::munmap(words_, size_ * sizeof(uint64_t));
    words_ = nullptr;
  }
  uint64_t* words_ = nullptr;
  size_t size_ = 0;
};

// Totals of one sequence in one run (or pooled).
struct SeqTotals {
  bool used = false;
  int64_t units = 0, held_out = 0;  // not stopped; of those, held out
  double share_sum = 0;             // sum of the units' holdout_share (percent), not stopped
  double first_share = 0, max_share = 0;
  bool share_seen = false, share_varies = false;
  GroupTotals overall;
  std::vector<GroupTotals> touch;                    // [touch - 1]
  std::vector<GroupTotals> channel, offer, variant;  // by Names id
  std::vector<std::vector<GroupTotals>> family;      // [family][label id]
  std::vector<int64_t> control_days;
  // Treated units and their reactivations per touch and variant: [touch - 1][variant index].
  std::vector<std::vector<std::pair<int64_t, int64_t>>> variant_counts;
  // The customers with a unit of this run and sequence read already (not merged: units are told
  // apart within their run).
  UnitSet seen;

  void merge(const SeqTotals& o) {
    if (!o.used) return;
    if (used && o.share_seen && share_seen && o.first_share != first_share) share_varies = true;
    if (!share_seen && o.share_seen) first_share = o.first_share;
    share_seen = share_seen || o.share_seen;
    share_varies = share_varies || o.share_varies;
    max_share = std::max(max_share, o.max_share);
    used = true;
    units += o.units;
    held_out += o.held_out;
    share_sum += o.share_sum;
    overall.merge(o.overall);
    auto merge_all = [](std::vector<GroupTotals>& a, const std::vector<GroupTotals>& b) {
      if (a.size() < b.size()) a.resize(b.size());
      for (size_t i = 0; i < b.size(); ++i) a[i].merge(b[i]);
    };
    merge_all(touch, o.touch);
    merge_all(channel, o.channel);
    merge_all(offer, o.offer);
    merge_all(variant, o.variant);
    if (family.size() < o.family.size()) family.resize(o.family.size());
    for (size_t f = 0; f < o.family.size(); ++f) merge_all(family[f], o.family[f]);
    if (control_days.size() < o.control_days.size()) control_days.resize(o.control_days.size());
    for (size_t d = 0; d < o.control_days.size(); ++d) control_days[d] += o.control_days[d];
    if (variant_counts.size() < o.variant_counts.size())
      variant_counts.resize(o.variant_counts.size());
    for (size_t t = 0; t < o.variant_counts.size(); ++t) {
      auto& a = variant_counts[t];
      if (a.size() < o.variant_counts[t].size()) a.resize(o.variant_counts[t].size());
      for (size_t v = 0; v < o.variant_counts[t].size(); ++v) {
        a[v].first += o.variant_counts[t][v].first;
        a[v].second += o.variant_counts[t][v].second;
      }
    }
  }
};

bool has_units(const GroupTotals& g) {
  return g.treated.units + g.control.units > 0;
}

// Breakdown groups in the order of `ids`, skipping those no unit reached.
Breakdown make_breakdown(std::string name, const std::vector<GroupTotals>& groups,
                         const std::vector<std::pair<std::string, size_t>>& order) {
  Breakdown b;
  b.name = std::move(name);
  for (const auto& [key, index] : order)
    if (index < groups.size() && has_units(groups[index]))
      b.groups.emplace_back(key, groups[index]);
  return b;
}

// (name, id) of every value of `names`, sorted by name (code points).
std::vector<std::pair<std::string, size_t>> sorted_names(const Names& names) {
  std::vector<std::pair<std::string, size_t>> out;
  for (uint32_t i = 0; i < names.size(); ++i) out.emplace_back(names.name(i), i);
  std::sort(out.begin(), out.end());
  return out;
}

class Measurer {
 public:
  Measurer(const MeasurePlan& plan, const Options& options) : plan_(plan), options_(options) {
    labels_.resize(plan.families.size());
  }

  bool load_outcomes(const std::string& path, std::string& error) {
    if (!outcomes_.load(path, customers_, outcomes_read_, error)) return false;
    // A bitmap of the outcome customers' hashes, 16 bits per customer (a few MB at most, so it
    // stays in the caches): most treated and control units have no outcome, and a clear bit
    // says so without a probe of the table, which is far larger than the caches.
    size_t bits = size_t{1} << 16;
    while (bits < customers_.size() * 16 && bits < (size_t{1} << 28)) bits *= 2;
    filter_.assign(bits / 64);
    filter_mask_ = bits - 1;
    for (uint32_t id = 0; id < customers_.size(); ++id) {
      const uint64_t b = StringTable::hash(customers_.str(id)) & filter_mask_;
      filter_[b / 64] |= uint64_t{1} << (b % 64);
    }
    return true;
  }

  bool read_events(const std::string& path, uint64_t done_before, uint64_t total,
                   std::string& error) {
    layout_ = 0;  // layout numbers are the reader's own
    EventReader reader;
    if (!reader.open(path)) {
      error = reader.error();
      return false;
    }
    // One event ahead: while the next line is parsed, the table slots of the current event's
    // unit and customer are loaded (their keys are known once it is parsed).
    Event events[2];
    Prepared prepared[2];
    int cur = 0;
    uint64_t next_progress = 0;
    auto status = reader.next(events[cur]);
    if (status == EventReader::Status::Event) {
      prepare(events[cur], prepared[cur]);
      probe(prepared[cur]);
    }
    while (status == EventReader::Status::Event) {
      const Event& e = events[cur];
      const auto next = reader.next(events[cur ^ 1]);
      if (next == EventReader::Status::Event) prepare(events[cur ^ 1], prepared[cur ^ 1]);
      ++events_;
      std::string message;
      if (!add(e, prepared[cur], message)) {
        error = fmt::format("{}:{}: {}", reader.display(), e.line, message);
        return false;
      }
      if (next == EventReader::Status::Event) probe(prepared[cur ^ 1]);
      status = next;
      cur ^= 1;
      if (options_.progress && reader.bytes_consumed() >= next_progress) {
        options_.progress(done_before + reader.bytes_consumed(), total);
        next_progress = reader.bytes_consumed() + (uint64_t{64} << 20);
      }
    }
    if (status == EventReader::Status::Error) {
      error = reader.error();
      return false;
    }
    if (options_.progress) options_.progress(done_before + reader.bytes_consumed(), total);
    return true;
  }

  void finish(Report& report) {
    report.window_days = options_.window_days;
    report.min_sample = options_.min_sample;
    report.events = events_;
    report.units = units_;
    report.repeated = repeated_;
    report.outcomes = outcomes_read_;
    std::vector<SeqTotals> pooled(plan_.sequences.size());
    for (size_t r = 0; r < runs_.size(); ++r) {
      RunResult run;
      run.run_id = std::string(run_ids_.str(static_cast<uint32_t>(r)));
      run.as_of = run_as_of_[r];
      for (size_t s = 0; s < plan_.sequences.size(); ++s) {
        const SeqTotals& t = runs_[r][s];
        if (!t.used) continue;
        run.sequences.push_back(result(s, t));
        pooled[s].merge(t);
      }
      report.runs.push_back(std::move(run));
    }
    report.pooled.run_id = "pooled";
    for (size_t s = 0; s < plan_.sequences.size(); ++s)
      if (pooled[s].used) report.pooled.sequences.push_back(result(s, pooled[s]));
  }

 private:
  // What `add` needs of an event that can be had as soon as it is parsed: its run (new runs are
  // numbered here, in event order) and sequence, and for a unit that may be treated or control
  // (only those are joined with outcomes) the hash of its customer and whether it may have
  // outcomes (the filter). Worked out one event ahead, in two steps that each start a memory load
  // the next one needs: prepare() (once the event is parsed) the filter's word, probe() (once the
  // event before is added) the customer's table slot, which then loads while the next line is
  // parsed.
  struct Prepared {
    uint64_t customer_hash = 0;
    bool due = false;  // treated or control, if the event is valid
    bool may_have_outcomes = false;
    uint32_t run = 0;
    int32_t seq = -1;
  };
  void prepare(const Event& e, Prepared& p) {
    if (!same_text(e.run_id, last_run_text_)) {
      bool new_run = false;
      last_run_ = run_ids_.intern(e.run_id, new_run);
      last_run_text_ = run_ids_.str(last_run_);
      if (new_run) {
        run_as_of_.push_back(e.as_of);
        runs_.emplace_back(plan_.sequences.size());
      }
    }
    p.run = last_run_;
    p.seq = sequence_index(e.sequence);
    p.may_have_outcomes = false;
    p.due =
        same_text(e.decision.status, "due") || (e.would_be && same_text(e.would_be->status, "due"));
    if (!p.due) return;
    p.customer_hash = StringTable::hash(e.customer_id);
    __builtin_prefetch(&filter_[(p.customer_hash & filter_mask_) / 64]);
  }
  void probe(Prepared& p) const {
    if (!p.due) return;
    const uint64_t b = p.customer_hash & filter_mask_;
    p.may_have_outcomes = (filter_[b / 64] >> (b % 64)) & 1;
    if (p.may_have_outcomes) customers_.prefetch(p.customer_hash);
  }

  // Adds one event; false with `message` when it does not fit the plan.
  bool add(const Event& e, const Prepared& prepared, std::string& message) {
    const uint32_t run = prepared.run;
    if (run_as_of_[run] != e.as_of) {
      message = fmt::format("run \"{}\" has as_of {} here but {} in an earlier event", e.run_id,
                            format_iso_date(e.as_of), format_iso_date(run_as_of_[run]));
      return false;
    }
    const int seq = prepared.seq;
    if (seq < 0) {
      std::string known;
      for (const auto& q : plan_.sequences) known += (known.empty() ? "" : ", ") + q.name;
      message = fmt::format("sequence \"{}\" is not in the rule file (its sequences: {})",
                            e.sequence, known.empty() ? "none" : known);
      return false;
    }
    // A repeated (run, customer, sequence) counts once: the first read.
    SeqTotals& t = runs_[run][static_cast<size_t>(seq)];
    if (!t.seen.insert(e.customer_id)) {
      ++repeated_;
      return true;
    }
    ++units_;
    if (t.used && t.first_share != e.holdout_share) {
      message = fmt::format(
          "holdout_share {} differs from {} in an earlier event of run \"{}\", sequence \"{}\"",
          e.holdout_share, t.first_share, e.run_id, e.sequence);
      return false;
    }
    t.used = true;
    if (!t.share_seen) {
      t.share_seen = true;
      t.first_share = e.holdout_share;
      t.max_share = e.holdout_share;
    }
    const std::string_view status = e.decision.status;
    const bool holdout = same_text(status, "holdout");
    if (!same_text(status, "stopped")) {
      ++t.units;
      t.share_sum += e.holdout_share;
      if (holdout) ++t.held_out;
    }
    if (holdout && !e.would_be) {
      message = "the status is holdout but \"would_be\" is null";
      return false;
    }
    const bool treated = same_text(status, "due");
    const bool control = holdout && same_text(e.would_be->status, "due");
    if (!treated && !control) return true;
    const EventDecision& d = treated ? e.decision : *e.would_be;
    const char* where = treated ? "" : "would_be.";
    const auto& seq_plan = plan_.sequences[static_cast<size_t>(seq)];
    if (!d.touch || !d.step) {
      message = fmt::format("a due touch needs \"{0}touch\" and \"{0}step\"", where);
      return false;
    }
    if (*d.touch < 1 || *d.touch > static_cast<int64_t>(seq_plan.touches.size())) {
      message = fmt::format("\"{}touch\" {} is not a touch of sequence \"{}\" (it has {})", where,
                            *d.touch, seq_plan.name, seq_plan.touches.size());
      return false;
    }
    const size_t ti = static_cast<size_t>(*d.touch - 1);
    const auto& touch_plan = seq_plan.touches[ti];
    if (!same_text(*d.step, touch_plan.name)) {
      message = fmt::format(
          "\"{}step\" is \"{}\" but touch {} of sequence \"{}\" is \"{}\" in the rule file", where,
          *d.step, *d.touch, seq_plan.name, touch_plan.name);
      return false;
    }
    int variant_index = -1;
    if (d.variant) {
      for (size_t v = 0; v < touch_plan.variants.size(); ++v)
        if (same_text(touch_plan.variants[v], *d.variant)) variant_index = static_cast<int>(v);
      if (variant_index < 0) {
        message = touch_plan.variants.empty()
                      ? fmt::format(
                            "\"{}variant\" is \"{}\" but touch {} of \"{}\" has no variants in "
                            "the rule file",
                            where, *d.variant, touch_plan.name, seq_plan.name)
                      : fmt::format("\"{}variant\" \"{}\" is not a variant of touch {} of \"{}\"",
                                    where, *d.variant, touch_plan.name, seq_plan.name);
        return false;
      }
    }
    // The unit's labels, in plan family order. Which family each cohort position holds is worked
    // out once per cohort layout (the reader numbers layouts: the same number, the same names).
    if (e.cohort_layout == 0 || e.cohort_layout != layout_) {
      layout_ = e.cohort_layout;
      layout_family_.assign(e.cohort.size(), -1);
      layout_missing_ = -1;
      std::vector<bool> present(plan_.families.size(), false);
      for (size_t c = 0; c < e.cohort.size(); ++c)
        for (size_t k = 0; k < plan_.families.size(); ++k)
          if (same_text(plan_.families[k], e.cohort[c].name)) {
            layout_family_[c] = static_cast<int>(k);
            present[k] = true;
          }
      for (size_t k = plan_.families.size(); k-- > 0;)
        if (!present[k]) layout_missing_ = static_cast<int>(k);
    }
    if (family_label_.size() != plan_.families.size()) family_label_.resize(plan_.families.size());
    for (size_t c = 0; c < e.cohort.size(); ++c) {
      const int f = layout_family_[c];
      if (f < 0) continue;
      const CohortEntry& entry = e.cohort[c];
      if (entry.kind == CohortEntry::Kind::Other) {
        message = fmt::format("\"cohort\".\"{}\" must be a label (a string) or null", entry.name);
        return false;
      }
      family_label_[static_cast<size_t>(f)] =
          entry.kind == CohortEntry::Kind::Label
              ? static_cast<int64_t>(labels_[static_cast<size_t>(f)].id(entry.label))
              : -2;
    }
    if (layout_missing_ >= 0) {
      message = fmt::format("\"cohort\" has no \"{}\" (a segment family of the rule file)",
                            plan_.families[static_cast<size_t>(layout_missing_)]);
      return false;
    }

    const UnitOutcome u =
        outcome_of(outcomes_.of(prepared.may_have_outcomes
                                    ? customers_.find(e.customer_id, prepared.customer_hash)
                                    : StringTable::kNone),
                   e.as_of, options_.window_days);
    const bool counted_only = only_counted(u);
    auto add_to = [&](GroupTotals & g) __attribute__((always_inline)) {
      add_unit(g, u, treated, counted_only);
    };
    add_to(t.overall);
    if (control && u.reactivated) add_day(t.control_days, u.first_day);
    add_to(at_grow(t.touch, ti));
    if (d.channel) add_to(at_grow(t.channel, channels_.id(*d.channel)));
    if (d.offer) add_to(at_grow(t.offer, offers_.id(*d.offer)));
    if (d.variant) add_to(at_grow(t.variant, variants_.id(*d.variant)));
    if (t.family.size() < plan_.families.size()) t.family.resize(plan_.families.size());
    for (size_t f = 0; f < plan_.families.size(); ++f)
      if (family_label_[f] >= 0)
        add_to(at_grow(t.family[f], static_cast<size_t>(family_label_[f])));
    if (treated && variant_index >= 0) {
      auto& counts = at_grow(at_grow(t.variant_counts, ti), static_cast<size_t>(variant_index));
      ++counts.first;
      counts.second += u.reactivated;
    }
    return true;
  }

  int sequence_index(std::string_view name) {
    if (last_seq_ >= 0 && same_text(plan_.sequences[static_cast<size_t>(last_seq_)].name, name))
      return last_seq_;
    for (size_t s = 0; s < plan_.sequences.size(); ++s)
      if (same_text(plan_.sequences[s].name, name)) return last_seq_ = static_cast<int>(s);
    return -1;
  }

  SequenceResult result(size_t s, const SeqTotals& t) const {
    const auto& seq_plan = plan_.sequences[s];
    SequenceResult r;
    r.sequence = seq_plan.name;
    r.srm_units = t.units;
    r.srm_held_out = t.held_out;
    r.has_holdout = t.max_share > 0;
    r.srm_expected_share =
        t.units > 0 ? t.share_sum / (100.0 * static_cast<double>(t.units)) : t.first_share / 100.0;
    r.holdout_share = t.share_varies ? r.srm_expected_share * 100.0 : t.first_share;
    if (r.has_holdout) r.srm = sample_ratio(t.units, t.held_out, t.share_sum / 100.0);
    r.overall = t.overall;
    r.control_days = t.control_days;
    std::vector<std::pair<std::string, size_t>> touches, steps;
    for (size_t i = 0; i < seq_plan.touches.size(); ++i) {
      touches.emplace_back(std::to_string(i + 1), i);
      steps.emplace_back(seq_plan.touches[i].name, i);
    }
    r.by.push_back(make_breakdown("touch", t.touch, touches));
    r.by.push_back(make_breakdown("step", t.touch, steps));
    r.by.push_back(make_breakdown("channel", t.channel, sorted_names(channels_)));
    r.by.push_back(make_breakdown("offer", t.offer, sorted_names(offers_)));
    // Variants in plan order (touch by touch, as written); a name used by several touches once.
    std::vector<std::pair<std::string, size_t>> variant_order;
    for (const auto& touch : seq_plan.touches)
      for (const auto& v : touch.variants) {
        bool listed = false;
        for (const auto& [name, id] : variant_order) listed = listed || name == v;
        if (listed) continue;
        for (uint32_t id = 0; id < variants_.size(); ++id)
          if (variants_.name(id) == v) variant_order.emplace_back(v, id);
      }
    r.by.push_back(make_breakdown("variant", t.variant, variant_order));
    for (size_t f = 0; f < plan_.families.size(); ++f)
      r.by.push_back(make_breakdown(plan_.families[f],
                                    f < t.family.size() ? t.family[f] : no_groups_,
                                    sorted_names(labels_[f])));
    // Variants: each after the first against the first, on the treated units at that touch.
    for (size_t ti = 0; ti < seq_plan.touches.size(); ++ti) {
      const auto& touch = seq_plan.touches[ti];
      if (touch.variants.size() < 2) continue;
      if (ti >= t.touch.size() || t.touch[ti].treated.units == 0) continue;
      auto count = [&](size_t v) {
        if (ti < t.variant_counts.size() && v < t.variant_counts[ti].size())
          return t.variant_counts[ti][v];
        return std::pair<int64_t, int64_t>{0, 0};
      };
      const auto first = count(0);
      for (size_t v = 1; v < touch.variants.size(); ++v) {
        const auto mine = count(v);
        VariantComparison c;
        c.touch = static_cast<int>(ti + 1);
        c.step = touch.name;
        c.variant = touch.variants[v];
        c.control = touch.variants[0];
        c.treated = mine.first;
        c.reactivated = mine.second;
        c.control_treated = first.first;
        c.control_reactivated = first.second;
        const ProportionComparison pc =
            compare_proportions(mine.second, mine.first, first.second, first.first);
        c.lift = pc.lift;
        c.p_value = pc.p_value;
        const bool enough =
            c.treated >= options_.min_sample && c.control_treated >= options_.min_sample;
        if (c.lift && c.p_value && *c.p_value < 0.05 && enough) {
          if (*c.lift < 0) c.verdict = Verdict::Losing;
          if (*c.lift > 0) c.verdict = Verdict::Winning;
        }
        r.variants.push_back(std::move(c));
      }
    }
    return r;
  }

  const MeasurePlan& plan_;
  const Options& options_;
  OutcomeTable outcomes_;
  int64_t outcomes_read_ = 0, events_ = 0, units_ = 0, repeated_ = 0;
  StringTable run_ids_{16};
  uint32_t last_run_ = 0;
  std::string_view last_run_text_;  // run_ids_'s text of last_run_ (empty: none yet)
  // The customers of the outcomes (OutcomeTable numbers them), and a bitmap of their hashes.
  StringTable customers_{1 << 16};
  Words filter_;
  uint64_t filter_mask_ = 0;
  std::vector<int32_t> run_as_of_;
  std::vector<std::vector<SeqTotals>> runs_;  // [run][sequence]
  int last_seq_ = -1;
  Names channels_, offers_, variants_;
  std::vector<Names> labels_;  // per family
  // The cohort layout last seen (0: none), the family at each of its positions (-1: not a
  // family of the plan) and the first family it lacks (-1: none).
  uint64_t layout_ = 0;
  std::vector<int> layout_family_;
  int layout_missing_ = -1;
  std::vector<int64_t> family_label_;
  const std::vector<GroupTotals> no_groups_;
};

}  // namespace

void GroupTotals::merge(const GroupTotals& o) {
  merge_arm(treated, o.treated);
  merge_arm(control, o.control);
  incentive_cost.add(o.incentive_cost);
  ltv.add(o.ltv);
  if (days.size() < o.days.size()) days.resize(o.days.size(), 0);
  for (size_t d = 0; d < o.days.size(); ++d) days[d] += o.days[d];
}

Metrics metrics_of(const GroupTotals& g) {
  Metrics m;
  const int64_t nt = g.treated.units, nc = g.control.units;
  m.treated = nt;
  m.control = nc;
  m.reactivated_treated = g.treated.reactivated;
  m.reactivated_control = g.control.reactivated;
  const ProportionComparison pc =
      compare_proportions(g.treated.reactivated, nt, g.control.reactivated, nc);
  m.rate_treated = pc.rate_treated;
  m.rate_control = pc.rate_control;
  m.lift = pc.lift;
  m.ci_low = pc.ci_low;
  m.ci_high = pc.ci_high;
  m.relative_lift = pc.relative_lift;
  m.p_value = pc.p_value;
  const double dnt = static_cast<double>(nt), dnc = static_cast<double>(nc);
  if (m.lift) m.incremental_reactivations = *m.lift * dnt;
  if (nt > 0) {
    m.revenue_per_treated = g.treated.revenue.value() / dnt;
    m.unsubscribe_rate_treated = static_cast<double>(g.treated.unsubscribed) / dnt;
    m.complaint_rate_treated = static_cast<double>(g.treated.complained) / dnt;
  }
  if (nc > 0) {
    m.revenue_per_control = g.control.revenue.value() / dnc;
    m.unsubscribe_rate_control = static_cast<double>(g.control.unsubscribed) / dnc;
    m.complaint_rate_control = static_cast<double>(g.control.complained) / dnc;
  }
  if (nt > 0 && nc > 0)
    m.incremental_revenue = (*m.revenue_per_treated - *m.revenue_per_control) * dnt;
  m.incentive_cost = g.incentive_cost.value();
  if (m.incremental_revenue && m.incentive_cost != 0)
    m.incentive_efficiency = *m.incremental_revenue / m.incentive_cost;
  m.median_days_to_reactivate = median_of_histogram(g.days);
  if (g.treated.reactivated > 0)
    m.reactivated_ltv_90d = g.ltv.value() / static_cast<double>(g.treated.reactivated);
  return m;
}

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Winning:
      return "winning";
    case Verdict::Losing:
      return "losing";
    case Verdict::Undecided:
      return "undecided";
  }
  return "undecided";
}

Schema outcomes_schema() {
  Schema s;
  s.name = "outcomes";
  FieldDef id{"customer_id", FieldType::String, false, false, {}};
  FieldDef date{"date", FieldType::Date, false, false, {}};
  FieldDef kind{"kind", FieldType::Enum, false, false, {"purchase", "unsubscribe", "complaint"}};
  FieldDef revenue{"revenue", FieldType::Money, true, false, {}};
  FieldDef cost{"incentive_cost", FieldType::Money, true, false, {}};
  s.fields = {id, date, kind, revenue, cost};
  return s;
}

bool measure(const MeasurePlan& plan, const std::vector<std::string>& event_files,
             const std::string& outcomes_file, const Options& options, Report& report,
             std::string& error) {
  if (options.window_days < 1 || options.window_days > kMaxWindowDays) {
    error = fmt::format("the window must be 1 to {} days", kMaxWindowDays);
    return false;
  }
  auto m = std::make_unique<Measurer>(plan, options);
  uint64_t total = 0;
  for (const auto& f : event_files) {
    std::error_code ec;
    const auto size = f == "-" ? 0 : std::filesystem::file_size(f, ec);
    total += ec ? 0 : static_cast<uint64_t>(size);
  }
  if (!m->load_outcomes(outcomes_file, error)) return false;
  uint64_t done = 0;
  for (const auto& f : event_files) {
    if (!m->read_events(f, done, total, error)) return false;
    std::error_code ec;
    const auto size = f == "-" ? 0 : std::filesystem::file_size(f, ec);
    done += ec ? 0 : static_cast<uint64_t>(size);
  }
  report = Report{};
  m->finish(report);
  return true;
}

}  // namespace rk::measure
