// Rekindle runtime: the synthetic snapshot generator. Produces customer snapshots of the playbook
// schema (rules/customer.schema) with realistic, long-tailed value shapes and the exact boundary
// values the rules test (e.g. 250.00, 60 days, 5%), deterministic for a seed whatever the thread
// count: batch i is generated from splitmix64(seed, i) alone.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/columnar.h"

namespace rk {

// The 21-column schema of rules/customer.schema, built in code.
Schema playbook_schema();

enum class SnapshotFormat { Csv, Arrow };

struct GenerateOptions {
  int64_t rows = 0;
  uint64_t seed = 1;
  int32_t as_of = 0;           // days since 1970-01-01
  int threads = 0;             // 0: hardware concurrency
  int64_t batch_rows = 65536;  // part of the output's identity (batch i is seeded by i)
};

// Generates batch `index` (snapshot rows [index * batch_rows, ...)) of the playbook schema.
// customer_id is a plain (offsets + bytes) string column, categories a dictionary list column.
Batch generate_batch(const GenerateOptions& opts, int64_t index);

// Writes a whole snapshot to `path` (atomically). Returns false and sets `error` on failure.
bool generate_snapshot(const GenerateOptions& options, const std::string& path,
                       SnapshotFormat format, std::string& error);
inline bool generate_snapshot(int64_t rows, uint64_t seed, int32_t as_of_days,
                              const std::string& path, SnapshotFormat format, std::string& error) {
  GenerateOptions o;
  o.rows = rows;
  o.seed = seed;
  o.as_of = as_of_days;
  return generate_snapshot(o, path, format, error);
}

}  // namespace rk
