// Rekindle IR: the one list of the IR's operations. Each row X(Name, "mnemonic") makes the
// enumerator ir::Op::Name, its name (op_name: "FirstTrue", in messages such as the validator's)
// and its mnemonic (op_mnemonic: "first_true", in ir::dump); an op cannot lack either. What each
// op computes is defined once, in compiler/ir/semantics.h; the comments here say what it reads.
#pragma once

#include <cstdint>
#include <string_view>

// clang-format off
#define RK_IR_OPS(X)                                                                              \
  /* Leaves. */                                                                                   \
  X(ConstBool, "const.b")    /* imm (0/1) */                                                      \
  X(ConstInt, "const.i")     /* imm */                                                            \
  X(ConstFloat, "const.f")   /* fimm */                                                           \
  X(Null, "null")            /* a missing value of type ty */                                     \
  X(AsOf, "as_of")           /* Int: the evaluation's as-of date, days since 1970-01-01 */        \
  X(Column, "column")        /* index = schema field; Bool field -> Bool, Int/Date/Enum -> Int,   \
                                Number/Money/Percent -> Float. String and list fields are only    \
                                read through atoms. */                                            \
  X(Atom, "atom")            /* Bool: index = Program::atoms entry */                             \
  /* Arithmetic; operands and result of type ty. Missing if an operand is missing, if an Int      \
     operation overflows int64, on division by zero, or when a Float result is NaN. */            \
  X(Add, "add")                                                                                   \
  X(Sub, "sub")                                                                                   \
  X(Mul, "mul")                                                                                   \
  X(Div, "div")              /* Float only */                                                     \
  X(Neg, "neg")                                                                                   \
  X(IntToFloat, "i2f")       /* args[0] Int -> Float */                                           \
  /* Comparisons: operands of one type, result Bool, missing if an operand is. */                \
  X(Eq, "eq")                                                                                     \
  X(Ne, "ne")                                                                                     \
  X(Lt, "lt")                                                                                     \
  X(Le, "le")                                                                                     \
  X(Gt, "gt")                                                                                     \
  X(Ge, "ge")                                                                                     \
  /* Kleene logic on Bool. */                                                                     \
  X(And, "and")                                                                                   \
  X(Or, "or")                                                                                     \
  X(Not, "not")                                                                                   \
  /* Two-valued tests (result always present). */                                               \
  X(IsMissing, "is_missing") /* args[0] of any type */                                            \
  X(IsTrue, "is_true")       /* args[0] Bool: present and 1 */                                    \
  X(IsFalse, "is_false")     /* args[0] Bool: present and 0 */                                    \
  /* Set membership of a small Int (enum ordinal, label index) in [0, 64): bit x of `mask`.       \
     Three-valued: missing when args[0] is missing; false when x is outside [0, 64). */           \
  X(InMask, "in_mask")                                                                            \
  /* Selection. */                                                                                \
  X(If, "if")                /* args: cond (Bool), then, else. IsTrue(cond) ? then : else */      \
  X(Coalesce, "coalesce")    /* args[0] if present, else args[1] */                               \
  X(FirstTrue, "first_true") /* Int: index of the first arg that is present and true; missing if  \
                                none */                                                           \
  X(Switch, "switch")        /* args[0] Int index i; value of args[1 + i]; missing if i is        \
                                missing or out of range */
// clang-format on

namespace rk::ir {

enum class Op : uint8_t {
#define RK_IR_OP_ENUMERATOR(name, mnemonic) name,
  RK_IR_OPS(RK_IR_OP_ENUMERATOR)
#undef RK_IR_OP_ENUMERATOR
};

struct OpInfo {
  std::string_view name;      // the enumerator: "FirstTrue"
  std::string_view mnemonic;  // ir::dump's spelling: "first_true"
};

// Indexed by Op.
inline constexpr OpInfo kOps[] = {
#define RK_IR_OP_INFO(name, mnemonic) OpInfo{#name, mnemonic},
    RK_IR_OPS(RK_IR_OP_INFO)
#undef RK_IR_OP_INFO
};

inline constexpr size_t kOpCount = sizeof(kOps) / sizeof(kOps[0]);

inline constexpr std::string_view op_name(Op op) {
  return kOps[static_cast<size_t>(op)].name;
}
inline constexpr std::string_view op_mnemonic(Op op) {
  return kOps[static_cast<size_t>(op)].mnemonic;
}

}  // namespace rk::ir
