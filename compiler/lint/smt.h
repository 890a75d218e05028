// Rekindle lints: the SMT encoding of the IR (internal to compiler/lint; includes z3++.h).
// Every node becomes a (value, present) pair of Z3 terms over free variables: one value and one
// presence per schema field (presence forced for non-nullable fields, enum ordinals in range,
// dates in the int32 range, int64 bounds with overflow as a missing value), the chosen string per
// string field, one "contains" flag per list field and mentioned item, one flag per holdout atom,
// and the as-of date. Float arithmetic on non-constants is over-approximated by a fresh value, so
// an UNSAT answer is always exact; SAT answers are confirmed on a concrete customer
// (compiler/lint/witness.h) before anything is claimed.
#pragma once

#include <z3++.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ir/program.h"
#include "compiler/lint/witness.h"

namespace rk::lint {

enum class Verdict { Sat, Unsat, Unknown };

class Encoder {
 public:
  // `stop` (may be empty) is asked before each query: when it returns true, the query (and every
  // later one) is Unknown without asking the solver.
  Encoder(const ir::Program& p, unsigned timeout_ms, std::function<bool()> stop = {});

  z3::context& ctx() { return ctx_; }
  // Value and presence of a node. For Bool nodes the value is a Z3 Bool.
  const z3::expr& value(uint32_t n) const { return val_[n]; }
  const z3::expr& present(uint32_t n) const { return pres_[n]; }
  // Three-valued views of a Bool node.
  z3::expr is_true(uint32_t n) const { return pres_[n] && val_[n]; }
  z3::expr is_false(uint32_t n) const { return pres_[n] && !val_[n]; }
  // An Int node equals k (present and equal).
  z3::expr equals(uint32_t n, int64_t k);
  // The presence variable of a schema field.
  const z3::expr& field_present(size_t f) const { return fpres_[f]; }
  // A node's value as a Real (Int nodes converted exactly).
  z3::expr as_real(uint32_t n);

  // Decides whether `q` can hold for some customer and as-of date.
  Verdict check(const z3::expr& q);
  // Like check; on Sat also reads a concrete customer off the model (nullopt when the model
  // cannot be turned into one, e.g. a non-rational real).
  Verdict check(const z3::expr& q, std::optional<Customer>& witness);

  // Strings mentioned for each string or list field (the only ones that can matter).
  const std::vector<std::vector<std::string>>& mentioned() const { return mentioned_; }

 private:
  void encode(uint32_t id);
  z3::expr real_of_double(double d);
  z3::expr fresh_real();
  z3::expr fresh_bool();
  std::optional<Customer> read_model(const z3::model& m);

  // True when the caller's stop function asked to stop (then every query is Unknown).
  bool stopped();

  const ir::Program& p_;
  std::function<bool()> stop_;
  bool stopped_ = false;
  z3::context ctx_;
  z3::solver solver_;
  std::vector<z3::expr> val_, pres_;
  // Per field: value and presence variables (string fields: choice index; lists: unused).
  std::vector<z3::expr> fval_, fpres_;
  std::vector<std::vector<z3::expr>> contains_;  // list fields: per mentioned item
  std::vector<std::vector<std::string>> mentioned_;
  std::vector<std::pair<uint32_t, z3::expr>> holdouts_;  // atom index, its flag
  z3::expr as_of_;
  unsigned fresh_ = 0;
};

}  // namespace rk::lint
