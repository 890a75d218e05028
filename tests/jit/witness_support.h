// Rekindle JIT tests: the lint witness (compiler/lint/witness.h) as a third engine of the
// differential tests. A batch row becomes one lint::Customer (its values read from the columns,
// strings and lists included), the witness evaluates every node for it, and its values must equal
// the interpreter's for that row (runtime/interpreter.h: evaluate_row), node by node.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "compiler/ir/program.h"
#include "compiler/lint/witness.h"
#include "runtime/columnar.h"
#include "runtime/interpreter.h"

namespace rk::jit_test {

// Row `r` of a batch's columns as one customer, for `program`'s schema.
inline lint::Customer customer_of_row(const ir::Program& program, const RkColumn* columns,
                                      int64_t r, int32_t as_of) {
  lint::Customer c;
  c.as_of = as_of;
  c.fields.resize(program.schema.fields.size());
  for (size_t f = 0; f < program.schema.fields.size(); ++f) {
    const RkColumn& col = columns[f];
    lint::FieldValue& v = c.fields[f];
    v.present = col.validity == nullptr || ((col.validity[r >> 3] >> (r & 7)) & 1);
    if (!v.present) continue;
    switch (program.schema.fields[f].type) {
      case FieldType::Bool:
        v.i = (static_cast<const uint8_t*>(col.values)[r >> 3] >> (r & 7)) & 1;
        break;
      case FieldType::Int:
        v.i = static_cast<const int64_t*>(col.values)[r];
        break;
      case FieldType::Number:
      case FieldType::Money:
      case FieldType::Percent:
        v.f = static_cast<const double*>(col.values)[r];
        break;
      case FieldType::Date:
      case FieldType::Enum:
        v.i = static_cast<const int32_t*>(col.values)[r];
        break;
      case FieldType::String:
        v.s = std::string(column_string_at(col, r).value_or(""));
        break;
      case FieldType::StringList: {
        const auto* off = static_cast<const int32_t*>(col.offsets);
        const auto* dict = static_cast<const StringDict*>(col.dict);
        for (int32_t k = off[r]; k < off[r + 1]; ++k)
          v.list.emplace_back(dict->entries[static_cast<size_t>(col.child_codes[k])]);
        break;
      }
    }
  }
  return c;
}

// Two evaluations of one node agree: both missing, or both present with the same bits.
inline bool same_value(const ir::Value& a, const ir::Value& b) {
  if (a.present != b.present) return false;
  return !a.present || (a.i == b.i && std::memcmp(&a.f, &b.f, sizeof a.f) == 0);
}

// Requires the witness, evaluating `witness_program` for `customer`, to compute every node as the
// interpreter computes `program` for row `r` of `view` (atoms prepared). The two programs have the
// same nodes; they differ only where a test's atoms are given as tables (see test_jit_random.cpp).
inline void require_witness_agrees(const ir::Program& program, const RkBatchView& view, int64_t r,
                                   const ir::Program& witness_program,
                                   const lint::Customer& customer) {
  const std::vector<NodeValue> want = evaluate_row(program, view, r);
  const std::vector<ir::Value> got = lint::evaluate(witness_program, customer);
  REQUIRE(got.size() == want.size());
  for (size_t n = 0; n < want.size(); ++n) {
    if (same_value(got[n], want[n])) continue;
    INFO("row " << r << " node %" << n << ": interpreter present " << want[n].present << " i "
                << want[n].i << " f " << want[n].f << ", witness present " << got[n].present
                << " i " << got[n].i << " f " << got[n].f);
    REQUIRE(same_value(got[n], want[n]));
  }
}

}  // namespace rk::jit_test
