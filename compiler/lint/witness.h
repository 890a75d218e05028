// Rekindle lints: concrete customers. Evaluates the IR on one customer exactly as the reference
// interpreter does (so every "there is a customer who ..." finding is confirmed on real doubles,
// real strings and real hashes before it is reported), and shows a customer's values in notes.
#pragma once

#include <string>
#include <vector>

#include "compiler/ir/program.h"
#include "compiler/lint/smt.h"

namespace rk::lint {

struct ConcreteValue {
  int64_t i = 0;
  double f = 0;
  bool present = false;
  bool is_true() const { return present && i != 0; }
  bool equals(int64_t k) const { return present && i == k; }
};

// Every node's value for one customer.
std::vector<ConcreteValue> evaluate(const ir::Program& p, const Customer& c);

// `name = value` of the given fields (in schema order), e.g. `email_bounce_rate is missing,
// sms_consent = false`; the as-of date first when `with_as_of`.
std::string describe(const ir::Program& p, const Customer& c, const std::vector<bool>& fields,
                     bool with_as_of);

// Which schema fields the nodes `roots` read (directly or through earlier nodes).
std::vector<bool> fields_read(const ir::Program& p, const std::vector<uint32_t>& roots);

}  // namespace rk::lint
