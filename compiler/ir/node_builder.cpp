// Rekindle IR: the node builder (see node_builder.h).
#include "compiler/ir/node_builder.h"

#include <fmt/format.h>

#include <bit>

namespace rk::ir {

std::vector<Node> NodeBuilder::take() {
  memo_.clear();
  return std::move(nodes_);
}

uint32_t NodeBuilder::add(Node n) {
  std::string key =
      fmt::format("{}|{}|{}|{}|{}|{}|", static_cast<int>(n.op), static_cast<int>(n.ty), n.index,
                  n.imm, std::bit_cast<uint64_t>(n.fimm), n.mask);
  for (uint32_t a : n.args) key += fmt::format("{},", a);
  auto it = memo_.find(key);
  if (it != memo_.end()) return it->second;
  nodes_.push_back(std::move(n));
  const auto id = static_cast<uint32_t>(nodes_.size() - 1);
  memo_.emplace(std::move(key), id);
  return id;
}

uint32_t NodeBuilder::op(Op op, Ty ty, std::vector<uint32_t> args) {
  Node n;
  n.op = op;
  n.ty = ty;
  n.args = std::move(args);
  return add(std::move(n));
}

uint32_t NodeBuilder::c_bool(bool b) {
  Node n;
  n.op = Op::ConstBool;
  n.ty = Ty::Bool;
  n.imm = b;
  return add(n);
}

uint32_t NodeBuilder::c_int(int64_t v) {
  Node n;
  n.op = Op::ConstInt;
  n.ty = Ty::Int;
  n.imm = v;
  return add(n);
}

uint32_t NodeBuilder::c_float(double v) {
  Node n;
  n.op = Op::ConstFloat;
  n.ty = Ty::Float;
  n.fimm = v;
  return add(n);
}

uint32_t NodeBuilder::null(Ty ty) {
  Node n;
  n.op = Op::Null;
  n.ty = ty;
  return add(n);
}

uint32_t NodeBuilder::as_of() {
  Node n;
  n.op = Op::AsOf;
  n.ty = Ty::Int;
  return add(n);
}

uint32_t NodeBuilder::column(uint32_t field, Ty ty) {
  Node n;
  n.op = Op::Column;
  n.ty = ty;
  n.index = field;
  return add(n);
}

uint32_t NodeBuilder::atom(uint32_t index) {
  Node n;
  n.op = Op::Atom;
  n.ty = Ty::Bool;
  n.index = index;
  return add(n);
}

uint32_t NodeBuilder::in_mask(uint32_t a, uint64_t mask) {
  Node n;
  n.op = Op::InMask;
  n.ty = Ty::Bool;
  n.mask = mask;
  n.args = {a};
  return add(std::move(n));
}

uint32_t NodeBuilder::switch_(uint32_t index, const std::vector<uint32_t>& table, Ty ty) {
  std::vector<uint32_t> args{index};
  args.insert(args.end(), table.begin(), table.end());
  return op(Op::Switch, ty, std::move(args));
}

}  // namespace rk::ir
