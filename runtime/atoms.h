// Rekindle runtime: preparation of atoms (string, list and holdout predicates) for one batch.
// Written once in C++ and shared by both executors: predicates on dictionary-encoded strings are
// evaluated once per dictionary entry, everything else once per row.
#pragma once

#include <vector>

#include "compiler/ir/program.h"
#include "runtime/columnar.h"

namespace rk {

class PreparedAtoms {
 public:
  // Evaluates every atom of `program` over all rows of `batch`.
  void prepare(const ir::Program& program, const Batch& batch) {
    prepare_batch(program, batch);
    prepare_rows(program, batch, 0, batch.num_rows);
  }
  // In two steps, so the per-row work can be spread over threads: prepare_batch sizes the tables
  // and evaluates dictionary-entry predicates once; prepare_rows then fills the per-row tables of
  // rows [begin, end) (disjoint ranges may run concurrently).
  void prepare_batch(const ir::Program& program, const Batch& batch);
  void prepare_rows(const ir::Program& program, const Batch& batch, int64_t begin, int64_t end);
  const RkAtom* data() const { return views_.data(); }

 private:
  static bool per_row(const ir::Atom& a, const RkColumn& col);
  std::vector<RkAtom> views_;
  std::vector<std::vector<uint8_t>> tables_;
  std::vector<std::vector<int32_t>> members_;  // list atoms: dictionary entry -> set position
};

}  // namespace rk
