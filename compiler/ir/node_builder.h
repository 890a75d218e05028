// Rekindle IR: the node builder. Appends nodes to a program in topological order with
// hash-consing, so equal subexpressions anywhere in a rule file become one node (computed once
// per row), and offers the few composite forms lowering uses (fail-closed truth, If, InMask).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "compiler/ir/program.h"

namespace rk::ir {

class NodeBuilder {
 public:
  // The nodes built so far, in order (every node's arguments come before it).
  const std::vector<Node>& nodes() const { return nodes_; }
  const Node& node(uint32_t id) const { return nodes_[id]; }
  // Hands the nodes over (to Program::nodes); the builder is empty afterwards.
  std::vector<Node> take();

  // The id of a node equal to `n`, added when there is none yet.
  uint32_t add(Node n);
  uint32_t op(Op op, Ty ty, std::vector<uint32_t> args);
  uint32_t c_bool(bool b);
  uint32_t c_int(int64_t v);
  uint32_t c_float(double v);
  uint32_t null(Ty ty);
  uint32_t as_of();
  uint32_t column(uint32_t field, Ty ty);
  uint32_t atom(uint32_t index);
  uint32_t is_true(uint32_t a) { return op(Op::IsTrue, Ty::Bool, {a}); }
  uint32_t is_false(uint32_t a) { return op(Op::IsFalse, Ty::Bool, {a}); }
  uint32_t not_(uint32_t a) { return op(Op::Not, Ty::Bool, {a}); }
  uint32_t and_(uint32_t a, uint32_t b) { return op(Op::And, Ty::Bool, {a, b}); }
  uint32_t or_(uint32_t a, uint32_t b) { return op(Op::Or, Ty::Bool, {a, b}); }
  uint32_t is_missing(uint32_t a) { return op(Op::IsMissing, Ty::Bool, {a}); }
  uint32_t cmp(Op o, uint32_t a, uint32_t b) { return op(o, Ty::Bool, {a, b}); }
  uint32_t if_(Ty ty, uint32_t c, uint32_t a, uint32_t b) { return op(Op::If, ty, {c, a, b}); }
  uint32_t in_mask(uint32_t a, uint64_t mask);
  // Switch on `index` over `table` (the value of table[index], missing when out of range).
  uint32_t switch_(uint32_t index, const std::vector<uint32_t>& table, Ty ty);
  // Fail-closed truth: fires unless definitely false.
  uint32_t fires(uint32_t a) { return not_(is_false(a)); }

 private:
  std::vector<Node> nodes_;
  std::unordered_map<std::string, uint32_t> memo_;
};

}  // namespace rk::ir
