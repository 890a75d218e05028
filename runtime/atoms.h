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
  // Evaluates every atom of `program` over `batch`.
  void prepare(const ir::Program& program, const Batch& batch);
  const RkAtom* data() const { return views_.data(); }

 private:
  std::vector<RkAtom> views_;
  std::vector<std::vector<uint8_t>> tables_;
};

}  // namespace rk
