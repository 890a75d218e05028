// Rekindle runtime: the synthetic snapshot generator of the reference schemas. Produces customer
// snapshots of the playbook schema (rules/customer.schema) with realistic, long-tailed value shapes
// and the exact boundary values the rules test (e.g. 250.00, 60 days, 5%), and of the program
// schema (the playbook's columns, then the nine of winback-program.md section 1: names, addresses,
// time zones, owners, contact pressure, welcome-back progress), deterministic for a seed whatever
// the thread count: batch i is generated from splitmix64(seed, i) alone. The playbook's columns
// are the same in both (the program's columns come from a random stream of their own).
// Snapshots of any other schema: runtime/generate_schema.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/columnar.h"

namespace rk {

// The 21-column schema of rules/customer.schema, built in code.
Schema playbook_schema();
// The 30-column schema of the full program (winback-program.md section 1): the playbook's 21
// columns, then first_name, email, phone, timezone (a plain string here), csm_owner,
// last_contact_date, contacts_30d, welcome_touch, welcome_touch_date.
Schema program_schema();
// The time-zone names the program generator writes (valid names of the system's tz database:
// canonical zones, half-hour and 45-minute offsets, both hemispheres, backward links such as
// US/Eastern), in a fixed order.
const std::vector<std::string>& generated_time_zones();
// The first names the program generator writes (from every region, many not ASCII).
const std::vector<std::string>& generated_first_names();

enum class SnapshotFormat { Csv, Arrow };

struct GenerateOptions {
  int64_t rows = 0;
  uint64_t seed = 1;
  int32_t as_of = 0;           // days since 1970-01-01
  int threads = 0;             // 0: hardware concurrency
  int64_t batch_rows = 65536;  // part of the output's identity (batch i is seeded by i)
  bool program = false;        // the program schema (playbook columns + the program's nine)
};

// Generates batch `index` (snapshot rows [index * batch_rows, ...)) of the playbook schema, or
// of the program schema when opts.program. customer_id is a plain (offsets + bytes) string column,
// categories a dictionary list column.
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
