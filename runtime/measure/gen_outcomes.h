// Rekindle measurement: outcomes for demos and tests (`rekindle gen --outcomes-for`). For the
// units of a set of event files it draws purchases, unsubscribes and complaints with a planted
// effect: a base reactivation rate, plus a lift for every treated unit, per offer and per
// variant. Each unit's draws come from a generator seeded by (seed, run, customer, sequence)
// alone, so the file depends only on the seed and the units, not on file order or batching.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "runtime/generate.h"

namespace rk::measure {

struct OutcomeGenOptions {
  uint64_t seed = 1;
  int window_days = 30;     // purchases of a reactivated unit fall on days 1..window_days
  double base_rate = 0.08;  // reactivation probability of every unit without a touch
  double lift = 0.0;        // added for every treated (due) unit
  // Added for treated units whose offer (as the events write it, e.g. "credit 10") matches.
  std::vector<std::pair<std::string, double>> offer_lift;
  // Added for treated units whose variant matches: "SEQUENCE.TOUCH.VARIANT" (as paused entries
  // name it) or a bare variant name.
  std::vector<std::pair<std::string, double>> variant_lift;
  double unsubscribe_rate = 0.01;  // per unit, in the window
  double complaint_rate = 0.002;   // per unit, in the window
  double repeat_rate = 0.3;        // a reactivated unit buys again within 90 days
};

struct OutcomeGenStats {
  int64_t units = 0, outcomes = 0;
};

// Writes an outcomes file (CSV or Arrow, atomically) for the units of `event_files`. Returns
// false and sets `error` on unreadable or bad events or when the file cannot be written.
bool generate_outcomes(const std::vector<std::string>& event_files, const std::string& out_path,
                       SnapshotFormat format, const OutcomeGenOptions& options,
                       OutcomeGenStats& stats, std::string& error);

}  // namespace rk::measure
