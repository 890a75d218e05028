// Rekindle IR: buckets, how a customer is assigned to a share of customers by key, the same on
// every run and machine. A customer's bucket under a salt is fnv1a64(salt + ":" + key) mod
// `modulus`: 100 for shares in whole percents, 10000 for shares in basis points. A holdout of
// share s takes buckets [0, s) (salt: the sequence's `holdout ... salt`, or its name); the
// variants of a touch (spec winback-program.md 4.3) will take consecutive ranges of buckets in the
// order written, under the salt "SEQUENCE.TOUCH". The atoms of a batch (runtime/atoms.cpp) and
// the lint's witness and solver (compiler/lint) assign buckets here.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/fnv1a.h"
#include "compiler/ir/program.h"

namespace rk::ir {

// Buckets under one salt and modulus; the salt's part of the hash is computed once.
class Bucketing {
 public:
  Bucketing(std::string_view salt, uint64_t modulus)
      : seed_(fnv1a64_update(fnv1a64(salt), ":")), modulus_(modulus) {}
  uint64_t modulus() const { return modulus_; }
  // The bucket of `key`, in [0, modulus).
  uint64_t operator()(std::string_view key) const { return fnv1a64_update(seed_, key) % modulus_; }
  // The buckets of L keys at once (interleaved hashing, see fnv1a64_update_lanes).
  template <int L>
  void of_lanes(const std::string_view* keys, uint64_t* out) const {
    fnv1a64_update_lanes<L>(seed_, keys, out);
    for (int i = 0; i < L; ++i) out[i] %= modulus_;
  }

 private:
  uint64_t seed_;
  uint64_t modulus_;
};

// fnv1a64(salt + ":" + key) mod modulus.
inline uint64_t bucket(std::string_view salt, std::string_view key, uint64_t modulus) {
  return Bucketing(salt, modulus)(key);
}

// Buckets [begin, end).
struct BucketRange {
  uint64_t begin = 0;
  uint64_t end = 0;
  bool contains(uint64_t b) const { return b >= begin && b < end; }
};

// The buckets a holdout atom holds out: [0, threshold) of `modulus`.
inline BucketRange holdout_range(const Atom& a) {
  return BucketRange{0, a.threshold};
}
// Whether holdout atom `a` holds out the customer with key `key`.
inline bool held_out(const Atom& a, std::string_view key) {
  return holdout_range(a).contains(bucket(a.salt, key, a.modulus));
}

}  // namespace rk::ir
