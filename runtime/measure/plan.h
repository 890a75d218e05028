// Rekindle measurement: what `rekindle measure` needs to know about a rule file, as plain data.
// The measurement library takes a MeasurePlan; measure_plan_from() is the one place that reads
// it out of a compiled rule file, so a change to the compiler's output touches only that adapter.
#pragma once

#include <string>
#include <vector>

namespace rk {
struct CompileResult;
}

namespace rk::measure {

struct MeasurePlan {
  struct Touch {
    int number = 0;                     // 1, 2, ... (the events' `touch`)
    std::string name;                   // the touch's name (the events' `step`)
    std::vector<std::string> variants;  // in the order written; empty: no variants
  };
  struct Sequence {
    std::string name;
    std::vector<Touch> touches;  // touch 1 first
  };
  std::vector<Sequence> sequences;    // in priority (declaration) order
  std::vector<std::string> families;  // segment families, in declaration order
};

// The plan of a rule file that compiled without errors (result.program is set): its sequences in
// declaration order with their touches (each with its variants in the order written), and its
// segment families.
MeasurePlan measure_plan_from(const CompileResult& result);

}  // namespace rk::measure
