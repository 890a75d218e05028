// Rekindle JIT: the narrowing of wide nodes and the split of a kernel into parts (see
// kernel_plan.h). Outputs are taken in order; the not yet assigned nodes of each output's
// expression are appended in post-order to the current part, which is closed when it reaches its
// weight or leaf bound. So a part holds whole expressions where it can, and any expression
// (however large) is cut into bounded parts. A node used by a later part is computed again
// there when it is cheap, and materialized in the scratch buffer otherwise.
#include "compiler/jit/kernel_plan.h"

#include <algorithm>
#include <optional>
#include <unordered_set>

namespace rk::jit {

using ir::Node;
using ir::Op;

bool is_leaf(Op op) {
  switch (op) {
    case Op::ConstBool:
    case Op::ConstInt:
    case Op::ConstFloat:
    case Op::Null:
    case Op::AsOf:
    case Op::Column:
    case Op::Atom:
      return true;
    case Op::Add:
    case Op::Sub:
    case Op::Mul:
    case Op::Div:
    case Op::Neg:
    case Op::IntToFloat:
    case Op::Eq:
    case Op::Ne:
    case Op::Lt:
    case Op::Le:
    case Op::Gt:
    case Op::Ge:
    case Op::And:
    case Op::Or:
    case Op::Not:
    case Op::IsMissing:
    case Op::IsTrue:
    case Op::IsFalse:
    case Op::InMask:
    case Op::If:
    case Op::Coalesce:
    case Op::FirstTrue:
    case Op::Switch:
      return false;
  }
  return false;
}

namespace {

size_t round64(size_t n) {
  return (n + 63) & ~size_t{63};
}

size_t node_weight(const Node& n) {
  return is_leaf(n.op) ? 0 : 1 + n.args.size();
}

void add_sorted(std::vector<uint32_t>& v, uint32_t x) {
  auto it = std::lower_bound(v.begin(), v.end(), x);
  if (it == v.end() || *it != x) v.insert(it, x);
}

}  // namespace

ir::Program narrow_program(const ir::Program& program) {
  ir::Program out = program;
  out.nodes.clear();
  std::vector<uint32_t> map(program.nodes.size());
  auto add = [&](Node n) {
    out.nodes.push_back(std::move(n));
    return static_cast<uint32_t>(out.nodes.size() - 1);
  };
  auto constant = [&](int64_t v) {
    Node c;
    c.op = Op::ConstInt;
    c.ty = ir::Ty::Int;
    c.imm = v;
    return add(c);
  };
  auto binary = [&](Op op, ir::Ty ty, uint32_t a, uint32_t b) {
    Node n;
    n.op = op;
    n.ty = ty;
    n.args = {a, b};
    return add(n);
  };
  const auto k = static_cast<int64_t>(kMaxOperands);
  for (size_t i = 0; i < program.nodes.size(); ++i) {
    Node n = program.nodes[i];
    for (uint32_t& a : n.args) a = map[a];
    if (n.op == Op::FirstTrue && n.args.size() > kMaxOperands) {
      // FirstTrue(a_0 .. a_n-1) = Coalesce(FirstTrue(group 0), Coalesce(FirstTrue(group 1) + K,
      // ...)): the first group with a true operand gives the index; none: missing.
      std::vector<uint32_t> found;
      for (size_t from = 0; from < n.args.size(); from += kMaxOperands) {
        Node group;
        group.op = Op::FirstTrue;
        group.ty = ir::Ty::Int;
        group.args.assign(n.args.begin() + static_cast<std::ptrdiff_t>(from),
                          n.args.begin() + static_cast<std::ptrdiff_t>(
                                               std::min(n.args.size(), from + kMaxOperands)));
        uint32_t index = add(group);
        if (from > 0)
          index = binary(Op::Add, ir::Ty::Int, index, constant(static_cast<int64_t>(from)));
        found.push_back(index);
      }
      uint32_t result = found.back();
      for (size_t j = found.size() - 1; j-- > 0;)
        result = binary(Op::Coalesce, ir::Ty::Int, found[j], result);
      map[i] = result;
      continue;
    }
    if (n.op == Op::Switch && n.args.size() - 1 > kMaxOperands) {
      // Switch(i, c_0 .. c_n-1) = If(i < K, Switch(i, group 0), If(i < 2K, Switch(i - K,
      // group 1), ... Switch(i - mK, last group))): a missing i takes the last branch, which is
      // missing; so does an i past the last case, or below 0 (in the first group).
      const uint32_t index = n.args[0];
      const size_t cases = n.args.size() - 1;
      std::vector<uint32_t> groups;
      for (size_t from = 0; from < cases; from += kMaxOperands) {
        Node group;
        group.op = Op::Switch;
        group.ty = n.ty;
        group.args.push_back(
            from == 0 ? index
                      : binary(Op::Sub, ir::Ty::Int, index, constant(static_cast<int64_t>(from))));
        group.args.insert(
            group.args.end(), n.args.begin() + 1 + static_cast<std::ptrdiff_t>(from),
            n.args.begin() + 1 + static_cast<std::ptrdiff_t>(std::min(cases, from + kMaxOperands)));
        groups.push_back(add(group));
      }
      uint32_t result = groups.back();
      for (size_t j = groups.size() - 1; j-- > 0;) {
        const uint32_t below =
            binary(Op::Lt, ir::Ty::Bool, index, constant(static_cast<int64_t>(j + 1) * k));
        Node pick;
        pick.op = Op::If;
        pick.ty = n.ty;
        pick.args = {below, groups[j], result};
        result = add(pick);
      }
      map[i] = result;
      continue;
    }
    map[i] = add(n);
  }
  for (ir::Output& o : out.outputs) o.node = map[o.node];
  return out;
}

KernelPlan plan_kernel(const ir::Program& program, const PlanLimits& limits) {
  const auto& nodes = program.nodes;
  KernelPlan plan;
  plan.slot_of.assign(nodes.size(), -1);

  // Live nodes: those some output depends on (dead ones are not computed at all).
  std::vector<bool> live(nodes.size(), false);
  for (const ir::Output& o : program.outputs) live[o.node] = true;
  size_t total = program.outputs.size();
  for (size_t i = nodes.size(); i-- > 0;) {
    if (!live[i]) continue;
    total += node_weight(nodes[i]);
    for (uint32_t a : nodes[i].args) live[a] = true;
  }
  const size_t max_weight = std::max<size_t>(1, limits.max_part_weight);
  const size_t count = std::max<size_t>(1, (total + max_weight - 1) / max_weight);
  const size_t bound = (total + count - 1) / count;
  plan.block_weight = limits.block_weight;

  std::vector<int32_t> part_of(nodes.size(), -1);
  plan.parts.emplace_back();
  // The columns and atoms the current part reads (each costs a bitmap word per block that stays
  // live through the row loop): bounded too.
  std::unordered_set<uint64_t> leaves;
  auto leaf_key = [&](uint32_t id) -> std::optional<uint64_t> {
    const Node& n = nodes[id];
    if (n.op == Op::Column) return n.index;
    if (n.op == Op::Atom) return (uint64_t{1} << 32) | n.index;
    return std::nullopt;
  };
  // Starts a new part unless `id` (weight `w`, reading the leaves among `reads`) fits the
  // current one.
  auto make_room = [&](size_t w, const std::vector<uint32_t>& reads) {
    size_t added = 0;
    for (uint32_t a : reads)
      if (auto key = leaf_key(a); key && !leaves.count(*key)) ++added;
    const KernelPart& part = plan.parts.back();
    const bool empty = part.weight == 0 && leaves.empty();
    if (!empty && (part.weight + w > bound || leaves.size() + added > limits.max_part_leaves)) {
      plan.parts.emplace_back();
      leaves.clear();
    }
    for (uint32_t a : reads)
      if (auto key = leaf_key(a)) leaves.insert(*key);
  };
  auto place = [&](uint32_t id) {
    const size_t w = node_weight(nodes[id]);
    make_room(w, nodes[id].args);
    plan.parts.back().nodes.push_back(id);
    plan.parts.back().weight += w;
    part_of[id] = static_cast<int32_t>(plan.parts.size() - 1);
  };
  // Post-order over the unassigned non-leaf nodes below `root`, without recursion (expressions
  // may be arbitrarily deep).
  std::vector<std::pair<uint32_t, size_t>> stack;
  auto assign = [&](uint32_t root) {
    if (is_leaf(nodes[root].op) || part_of[root] >= 0) return;
    stack.emplace_back(root, 0);
    while (!stack.empty()) {
      auto& [id, next] = stack.back();
      const Node& n = nodes[id];
      if (next < n.args.size()) {
        const uint32_t a = n.args[next++];
        // Nodes pushed but not yet placed are never reached again: the IR is a DAG.
        if (!is_leaf(nodes[a].op) && part_of[a] < 0) stack.emplace_back(a, 0);
        continue;
      }
      const uint32_t done = id;
      stack.pop_back();
      if (part_of[done] < 0) place(done);
    }
  };
  for (size_t k = 0; k < program.outputs.size(); ++k) {
    const uint32_t id = program.outputs[k].node;
    assign(id);
    if (part_of[id] < 0) make_room(1, {id});  // a leaf: stored by the current part
    const size_t p = part_of[id] >= 0 ? static_cast<size_t>(part_of[id]) : plan.parts.size() - 1;
    plan.parts[p].outputs.push_back(static_cast<uint32_t>(k));
    plan.parts[p].weight += 1;
  }

  // Expression weights down to the leaves, saturated just above the recompute bound.
  const size_t cap = limits.recompute_weight + 1;
  std::vector<size_t> cost(nodes.size(), 0);
  for (size_t i = 0; i < nodes.size(); ++i) {
    size_t c = node_weight(nodes[i]);
    for (uint32_t a : nodes[i].args) c = std::min(cap, c + cost[a]);
    cost[i] = std::min(cap, c);
  }
  // What each part reads: leaves, cheap nodes of earlier parts (computed again, before their
  // first use) and the other nodes of earlier parts (materialized).
  std::vector<int32_t> here(nodes.size(), -1);  // the part that last computed the node
  for (size_t p = 0; p < plan.parts.size(); ++p) {
    KernelPart& part = plan.parts[p];
    const auto self = static_cast<int32_t>(p);
    std::vector<uint32_t> order;
    // Makes node `id` available in this part (recursion depth is bounded by the recompute
    // weight: only cheap expressions are copied).
    auto need = [&](auto&& self_ref, uint32_t id) -> void {
      const Node& n = nodes[id];
      if (n.op == Op::Column) add_sorted(part.fields, n.index);
      if (n.op == Op::Atom) add_sorted(part.atoms, n.index);
      if (is_leaf(n.op) || here[id] == self) return;
      if (part_of[id] == self) return;  // placed in order below
      if (cost[id] <= limits.recompute_weight) {
        for (uint32_t a : n.args) self_ref(self_ref, a);
        order.push_back(id);
        here[id] = self;
      } else {
        add_sorted(part.loads, id);
      }
    };
    for (uint32_t id : part.nodes) {
      for (uint32_t a : nodes[id].args) need(need, a);
      order.push_back(id);
      here[id] = self;
    }
    for (uint32_t k : part.outputs) need(need, program.outputs[k].node);
    part.nodes = std::move(order);
  }
  for (const KernelPart& part : plan.parts)
    for (uint32_t id : part.loads) plan.slot_of[id] = 0;
  for (size_t id = 0; id < nodes.size(); ++id)
    if (plan.slot_of[id] >= 0)
      add_sorted(plan.parts[part_of[id]].stores, static_cast<uint32_t>(id));
  size_t offset = 0;
  if (plan.parts.size() > 1) {
    plan.chunk_blocks = std::max<int64_t>(1, (limits.chunk_rows + kBlockRows - 1) / kBlockRows);
    const auto rows = static_cast<size_t>(plan.chunk_blocks * kBlockRows);
    for (size_t id = 0; id < nodes.size(); ++id) {
      if (plan.slot_of[id] < 0) continue;
      plan.slot_of[id] = static_cast<int32_t>(plan.slots.size());
      ScratchSlot s;
      s.node = static_cast<uint32_t>(id);
      s.value_offset = offset;
      offset += round64(rows * (nodes[id].ty == ir::Ty::Bool ? 1 : 8));
      s.present_offset = offset;
      offset += round64(rows);
      plan.slots.push_back(s);
    }
  }
  for (const KernelPart& part : plan.parts) {
    for (uint32_t f : part.fields) add_sorted(plan.fields, f);
    for (uint32_t a : part.atoms) add_sorted(plan.atoms, a);
  }
  plan.scratch_bytes = offset;
  return plan;
}

}  // namespace rk::jit
