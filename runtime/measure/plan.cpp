// Rekindle measurement: measure_plan_from, the adapter from a compiled rule file to a MeasurePlan.
// It reads the program's typed layout (compiler/ir/layout.h: the families and sequences in
// declaration order, each sequence's touches with their variants), never result column names. This
// is the only file of the measurement that reads the compiler's output.
#include "runtime/measure/plan.h"

#include "compiler/check/compile.h"

namespace rk::measure {

MeasurePlan measure_plan_from(const CompileResult& result) {
  MeasurePlan plan;
  if (!result.program) return plan;
  const ir::Layout& layout = result.program->layout;
  for (const ir::Sequence& s : layout.sequences) {
    MeasurePlan::Sequence q;
    q.name = s.name;
    for (size_t i = 0; i < s.touches.size(); ++i) {
      MeasurePlan::Touch t{static_cast<int>(i + 1), s.touches[i].name, {}};
      for (const ir::Variant& v : s.touches[i].variants) t.variants.push_back(v.name);
      q.touches.push_back(std::move(t));
    }
    plan.sequences.push_back(std::move(q));
  }
  for (const ir::Family& f : layout.families) plan.families.push_back(f.name);
  return plan;
}

}  // namespace rk::measure
