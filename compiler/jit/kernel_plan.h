// Rekindle JIT: how a program's kernel is split into parts. Each part is a function of its own
// (compiled separately, in parallel, so compile time grows linearly with the program) with its
// own loop over the blocks of a chunk; a node computed by one part and used by a later one is
// materialized in a per-chunk scratch buffer, or computed again when it is cheap. The plan also
// lays out the scratch buffer. No LLVM here: a cache hit recomputes the plan without generating
// code. Internal to compiler/jit; see docs/design.md "The JIT".
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "compiler/ir/program.h"

namespace rk::jit {

// Rows per block: one 64-bit word per bitmap.
inline constexpr int64_t kBlockRows = 64;

// Bounds of the split (JitOptions may override them for tests and measurements). Weights count
// about one unit per node operand (a comparison of a column with a constant weighs 3); the
// playbook weighs about 460, a generated file of 1,000 rules about 5,800.
struct PlanLimits {
  // Largest weight of one part. Larger programs are split into parts of about equal weight,
  // compiled in parallel. A split costs throughput (every part reads its columns again, and
  // nodes shared across parts are computed again or go through the scratch buffer), so the
  // bound is high: with the row loop cut into basic blocks (below) the back end's time is
  // nearly linear in a part's size, and splitting is for very large programs.
  size_t max_part_weight = 8000;
  // Most columns and atoms one part reads: every one costs a bitmap word per block that stays
  // live through the row loop (a part of thousands of them would take the register allocator
  // minutes).
  size_t max_part_leaves = 64;
  // Largest weight of one basic block of a part's row loop (see kernel_codegen.cpp).
  size_t block_weight = 512;
  // A node of an earlier part whose expression weighs at most this much (down to leaves) is
  // computed again by a later part that uses it rather than read back from the scratch buffer.
  size_t recompute_weight = 6;
  // Rows per chunk when there are several parts (rounded up to whole blocks): each part runs
  // over one chunk before the next part does, so the chunk's inputs and scratch stay in cache
  // (shorter chunks break the hardware prefetcher's streams).
  int64_t chunk_rows = 2048;
};

// One function of the kernel.
struct KernelPart {
  // The non-leaf nodes it computes, in topological order: its own and copies of cheap nodes of
  // earlier parts.
  std::vector<uint32_t> nodes;
  std::vector<uint32_t> outputs;  // the Program::outputs it stores
  std::vector<uint32_t> fields;   // the schema fields it reads (sorted)
  std::vector<uint32_t> atoms;    // the atoms it reads (sorted)
  std::vector<uint32_t> loads;    // materialized nodes of earlier parts it reads (sorted)
  std::vector<uint32_t> stores;   // materialized nodes it computes for later parts (sorted)
  size_t weight = 0;
};

// A node materialized in the scratch buffer: its value (1 byte per row for Bool, 8 for Int and
// Float) and its presence (1 byte per row) for the rows of one chunk.
struct ScratchSlot {
  uint32_t node = 0;
  size_t value_offset = 0;
  size_t present_offset = 0;
};

struct KernelPlan {
  std::vector<KernelPart> parts;
  std::vector<int32_t> slot_of;  // per node: index into slots, or -1
  std::vector<ScratchSlot> slots;
  int64_t chunk_blocks = 0;      // blocks per chunk; 0: one part, called once per range
  size_t block_weight = 0;       // PlanLimits::block_weight
  size_t scratch_bytes = 0;      // the slots (per chunk)
  std::vector<uint32_t> fields;  // the fields any part reads (sorted)
  std::vector<uint32_t> atoms;   // the atoms any part reads (sorted)
};

// FirstTrue and Switch nodes with more operands than this are rewritten by narrow_program().
inline constexpr size_t kMaxOperands = 32;

// `program` with every FirstTrue and Switch of more than kMaxOperands operands rewritten into an
// equivalent chain of narrow ones (groups of kMaxOperands operands, combined with Coalesce and
// If), so no single node reads an unbounded number of columns, atoms or earlier parts' values.
// Other nodes are copied; outputs point at the equivalent nodes. `program` must be valid.
ir::Program narrow_program(const ir::Program& program);

// The plan for `program` (valid and narrow: see validate_program and narrow_program).
// Deterministic: it depends only on the program and the limits.
KernelPlan plan_kernel(const ir::Program& program, const PlanLimits& limits = {});

// Whether `op` is a leaf read or built directly by every part that uses it.
bool is_leaf(ir::Op op);

}  // namespace rk::jit
