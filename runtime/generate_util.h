// Rekindle runtime: pieces shared by the snapshot generators (runtime/generate.cpp for the
// playbook and program schemas, runtime/generate_schema.cpp for any schema): the random number
// generator (xoshiro256** seeded by splitmix64), owned buffers of a Batch, bitmap writes and the
// parallel, ordered writing of generated batches. Internal to the runtime.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/columnar.h"
#include "runtime/generate.h"

namespace rk::gen {

inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// xoshiro256** seeded by splitmix64: fast, good enough for synthetic data. A (seed, stream) pair
// gives one independent sequence; the generators use the batch index (and a per-column salt) as
// the stream, so a batch depends on nothing else.
class Rng {
 public:
  Rng(uint64_t seed, uint64_t stream) {
    uint64_t sm = seed;
    const uint64_t mixed = splitmix64(sm) ^ (stream * 0xD1B54A32D192ED03ull);
    sm = mixed;
    for (auto& x : s_) x = splitmix64(sm);
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return uniform() < p; }
  int64_t below(int64_t n) {
    return static_cast<int64_t>((next() >> 1) % static_cast<uint64_t>(n));
  }
  int64_t range(int64_t lo, int64_t hi) { return lo + below(hi - lo + 1); }  // inclusive
  double normal() {
    // Box-Muller (one value per call keeps the stream simple).
    double u1 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * uniform());
  }
  // Geometric on {1, 2, ...} with success probability p.
  int64_t geometric(double p) {
    int64_t k = 1;
    while (!chance(p) && k < 10000) ++k;
    return k;
  }
  // An index drawn with the given weights (which need not sum to anything in particular).
  template <typename W>
  size_t weighted(const W* weights, size_t n) {
    double total = 0;
    for (size_t i = 0; i < n; ++i) total += weights[i];
    double x = uniform() * total;
    for (size_t i = 0; i + 1 < n; ++i) {
      if (x < weights[i]) return i;
      x -= weights[i];
    }
    return n - 1;
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

template <typename T>
T* new_buffer(Batch& b, size_t n) {
  auto v = std::make_shared<std::vector<T>>(n);
  T* p = v->data();
  b.owned.push_back(std::move(v));
  return p;
}
inline void set_bit(uint8_t* bits, int64_t i) {
  bits[i >> 3] |= static_cast<uint8_t>(1u << (i & 7));
}

// Rows [index * batch_rows, ...) of a snapshot of opts.rows rows: how many there are.
inline int64_t batch_row_count(const GenerateOptions& opts, int64_t index) {
  const int64_t first = index * opts.batch_rows;
  return std::max<int64_t>(0, std::min(opts.batch_rows, opts.rows - first));
}

// The least difference between two values of a field type as the generator writes them (1 for
// int and date, 0.01 for money, ...; 0 for types without order): the step from a boundary to its
// neighbours. From the type table of runtime/generate_schema.cpp.
double value_step(FieldType type);

// Writes a snapshot of `schema` whose batch i is make(i), generated (and, for CSV, formatted) on
// worker threads and written in order by the calling thread, atomically. `opts` gives the row
// count, batch size and threads (its defaults must be filled in).
bool write_generated(const Schema& schema, const GenerateOptions& opts,
                     const std::function<Batch(int64_t)>& make, const std::string& path,
                     SnapshotFormat format, std::string& error);

}  // namespace rk::gen
