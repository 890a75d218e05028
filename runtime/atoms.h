// Rekindle runtime: preparation of atoms (string, list and holdout predicates) for one batch.
// Written once in C++ and shared by both executors: predicates on dictionary-encoded strings are
// evaluated once per dictionary entry, everything else once per row.
#pragma once

#include <cstdint>
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
  // List atoms over a dictionary of at most 64 entries use, per row, the set of dictionary
  // entries in the row's list as a bit mask: computed once per field and range, shared by every
  // atom on that field, and tested without a loop over the items.
  std::vector<std::vector<uint64_t>> masks_;  // by field; sized only for fields in mask_fields_
  std::vector<uint32_t> mask_fields_;
  std::vector<uint64_t> set_bits_;  // by atom: the set's dictionary entries as a mask
  std::vector<uint8_t> use_mask_;   // by atom: 1 when the atom reads masks_
  std::vector<uint8_t> all_known_;  // by atom: every item of the set is in the dictionary
  // Holdout atoms with the same key field, salt and modulus (a sequence's holdout, a touch's
  // variants) share one hash per row: the first of them (the leader) stores each row's bucket in
  // buckets_ (kNoBucket for a missing key), the others read it.
  static constexpr uint64_t kNoBucket = ~uint64_t{0};
  std::vector<uint32_t> bucket_leader_;         // by atom: the atom whose buckets it reads
  std::vector<std::vector<uint64_t>> buckets_;  // by leader with followers: per row
};

}  // namespace rk
