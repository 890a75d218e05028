// Rekindle tests: writes the JSON and HTML measurement reports of an oracle-generated input
// directory (tests/oracle/measure_oracle.py generate) with the plan of its plan.json, variants
// included, which a rule file cannot declare yet. The browser test loads the HTML.
//
//   measure_report_fixture DIR   -> DIR/report.json, DIR/report.html
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "runtime/measure/measure.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: measure_report_fixture DIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  const nlohmann::json p = nlohmann::json::parse(std::ifstream(dir + "/plan.json"));
  rk::measure::MeasurePlan plan;
  for (const auto& s : p["sequences"]) {
    rk::measure::MeasurePlan::Sequence q{s["name"], {}};
    for (const auto& t : s["touches"])
      q.touches.push_back({t["number"], t["name"], t["variants"].get<std::vector<std::string>>()});
    plan.sequences.push_back(q);
  }
  plan.families = p["families"].get<std::vector<std::string>>();
  rk::measure::Options options;
  options.min_sample = 20;
  rk::measure::Report report;
  std::string error;
  if (!rk::measure::measure(plan, {dir + "/events_1.jsonl", dir + "/events_2.jsonl"},
                            dir + "/outcomes.csv", options, report, error)) {
    std::cerr << error << "\n";
    return 1;
  }
  std::ofstream(dir + "/report.json") << rk::measure::report_json(report);
  std::ofstream(dir + "/report.html") << rk::measure::report_html(report, plan);
  return 0;
}
