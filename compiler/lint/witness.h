// Rekindle lints: concrete customers. Evaluates the IR on one customer with the definitions the
// reference interpreter runs (compiler/ir/semantics.h), atoms computed from the customer's actual
// strings, lists and holdout buckets, so every "there is a customer who ..." finding is confirmed
// on real doubles, real strings and real hashes before it is reported; and shows a customer's
// values in notes. The differential tests (tests/jit) hold it to the interpreter and the JIT.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiler/ir/program.h"
#include "compiler/ir/semantics.h"

namespace rk::lint {

// A concrete customer and as-of date (read off a solver's model by smt.h, or made by a test).
struct FieldValue {
  bool present = false;
  int64_t i = 0;                  // Bool (0/1), Int, Date, Enum ordinal
  double f = 0;                   // Number, Money, Percent
  std::string s;                  // String
  std::vector<std::string> list;  // StringList
};
struct Customer {
  std::vector<FieldValue> fields;  // per schema field
  int64_t as_of = 0;
};

// A node's value for one customer.
using ConcreteValue = ir::Value;

// Every node's value for one customer.
std::vector<ConcreteValue> evaluate(const ir::Program& p, const Customer& c);

// `name = value` of the given fields (in schema order), e.g. `email_bounce_rate is missing,
// sms_consent = false`; the as-of date first when `with_as_of`.
std::string describe(const ir::Program& p, const Customer& c, const std::vector<bool>& fields,
                     bool with_as_of);

// Which schema fields the nodes `roots` read (directly or through earlier nodes).
std::vector<bool> fields_read(const ir::Program& p, const std::vector<uint32_t>& roots);

}  // namespace rk::lint
