// Rekindle tests: helpers shared by the measurement tests (test_measure.cpp, and
// test_measure_events.cpp for the event reader): a temporary folder, a plan of two sequences and
// two families, and event lines in the spec's section-7 shape.
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "runtime/measure/plan.h"

namespace rk_measure_test {

using nlohmann::json;
using rk::measure::MeasurePlan;
namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/rk_measure_XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name, const std::string& text) const {
    const std::string p = (path / name).string();
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  std::string at(const std::string& name) const { return (path / name).string(); }
};

inline MeasurePlan test_plan() {
  MeasurePlan p;
  p.sequences.push_back({"welcome_back", {{1, "welcome", {}}, {2, "refresher", {}}}});
  p.sequences.push_back({"winback",
                         {{1, "pattern_interrupt", {"curiosity", "personal"}},
                          {2, "recommendation", {}},
                          {3, "soft_incentive", {}}}});
  p.families = {"dormancy", "acquisition"};
  return p;
}

// One event line in the section-7 shape.
inline std::string event(const std::string& run, const std::string& as_of,
                         const std::string& customer, const std::string& sequence,
                         const std::string& status, json touch = nullptr, json step = nullptr,
                         json variant = nullptr, json channel = nullptr, json offer = nullptr,
                         json would_be = nullptr, json dormancy = "deep", json acquisition = "paid",
                         int share = 5) {
  json e = {{"run_id", run},
            {"as_of", as_of},
            {"customer_id", customer},
            {"sequence", sequence},
            {"status", status},
            {"touch", touch},
            {"step", step},
            {"variant", variant},
            {"channel", channel},
            {"offer", offer},
            {"stopped_by", status == "stopped" ? json("opted_out") : json(nullptr)},
            {"review", json::array()},
            {"cohort", {{"dormancy", dormancy}, {"acquisition", acquisition}, {"churn_risk", 40}}},
            {"holdout_share", share},
            {"would_be", would_be}};
  return e.dump() + "\n";
}

inline json due_wb(int touch, const std::string& step, json variant, const std::string& channel,
                   json offer) {
  return {{"status", "due"},    {"touch", touch},     {"step", step},
          {"variant", variant}, {"channel", channel}, {"offer", offer}};
}

inline const json kNotDue = {{"status", "waiting"}, {"touch", nullptr},   {"step", nullptr},
                             {"variant", nullptr},  {"channel", nullptr}, {"offer", nullptr}};

}  // namespace rk_measure_test
