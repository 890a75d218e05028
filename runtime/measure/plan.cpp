// Rekindle measurement: measure_plan_from, the adapter from a compiled rule file (the source map's
// sequences and segments, ordered as the program declares its result columns) to a MeasurePlan.
// This is the only file of the measurement that reads the compiler's output.
#include "runtime/measure/plan.h"

#include <algorithm>
#include <limits>

#include "compiler/check/compile.h"

namespace rk::measure {

MeasurePlan measure_plan_from(const CompileResult& result) {
  MeasurePlan plan;
  // The source map lists sequences and segments in the order the checker lowered them (a use
  // may lower one early); the program's result columns follow declaration order.
  auto column_position = [&](const std::string& name) {
    if (result.program)
      for (size_t i = 0; i < result.program->columns.size(); ++i)
        if (result.program->columns[i].name == name) return i;
    return std::numeric_limits<size_t>::max();
  };
  std::vector<const SourceMap::Sequence*> seqs;
  for (const auto& s : result.map.sequences) seqs.push_back(&s);
  std::stable_sort(seqs.begin(), seqs.end(), [&](const auto* a, const auto* b) {
    return column_position(a->name + "_status") < column_position(b->name + "_status");
  });
  for (const auto* s : seqs) {
    MeasurePlan::Sequence q;
    q.name = s->name;
    for (size_t i = 0; i < s->touches.size(); ++i)
      q.touches.push_back({static_cast<int>(i + 1), s->touches[i].name, {}});
    plan.sequences.push_back(std::move(q));
  }
  std::vector<const SourceMap::Segment*> segs;
  for (const auto& s : result.map.segments) segs.push_back(&s);
  std::stable_sort(segs.begin(), segs.end(), [&](const auto* a, const auto* b) {
    return column_position(a->name) < column_position(b->name);
  });
  for (const auto* s : segs) plan.families.push_back(s->name);
  return plan;
}

}  // namespace rk::measure
