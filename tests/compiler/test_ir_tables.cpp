// Rekindle compiler tests: the IR's tables written once: the op list (compiler/ir/ops.h), one name
// and one mnemonic per op, every one distinct.
#include <catch2/catch.hpp>

#include <set>
#include <string_view>

#include "compiler/ir/ops.h"

using namespace rk;

TEST_CASE("IR ops: one name and one mnemonic per op, each distinct", "[ir]") {
  std::set<std::string_view> names, mnemonics;
  for (size_t k = 0; k < ir::kOpCount; ++k) {
    const auto op = static_cast<ir::Op>(k);
    CHECK(!ir::op_name(op).empty());
    CHECK(!ir::op_mnemonic(op).empty());
    names.insert(ir::op_name(op));
    mnemonics.insert(ir::op_mnemonic(op));
  }
  CHECK(names.size() == ir::kOpCount);
  CHECK(mnemonics.size() == ir::kOpCount);
  CHECK(ir::kOpCount == static_cast<size_t>(ir::Op::Switch) + 1);
  CHECK(ir::op_name(ir::Op::ConstBool) == "ConstBool");
  CHECK(ir::op_mnemonic(ir::Op::ConstBool) == "const.b");
  CHECK(ir::op_name(ir::Op::IntToFloat) == "IntToFloat");
  CHECK(ir::op_mnemonic(ir::Op::IntToFloat) == "i2f");
  CHECK(ir::op_name(ir::Op::FirstTrue) == "FirstTrue");
  CHECK(ir::op_mnemonic(ir::Op::FirstTrue) == "first_true");
  static_assert(ir::op_mnemonic(ir::Op::Switch) == "switch");
}
