// Rekindle runtime: the impact of a rule change on real data (`rekindle diff`). Runs two programs
// (the old and the new rule file) over the same snapshot batches, chunked and in parallel, and
// counts, per output column present in both, how customers move from one value to another, with
// the first customer ids of every move in snapshot order (deterministic for any thread count).
// Renders the report as text (people), JSON (tools) and Markdown (a pull-request comment).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "compiler/ir/executor.h"
#include "compiler/ir/program.h"
#include "runtime/columnar.h"
#include "runtime/thread_pool.h"

namespace rk {

// The schema one snapshot is read with for two programs: every field either program reads (and
// the key), each program's field index mapped to its index here (-1: a field it never reads).
struct MergedSchema {
  Schema schema;
  std::vector<int> old_fields;  // old program's field index -> merged index, or -1
  std::vector<int> new_fields;  // new program's field index -> merged index, or -1
};

// Fields a program reads: columns, string/list predicates and the key. Sorted, unique.
std::vector<uint32_t> fields_read(const ir::Program& program);

// Checks that both programs can read the same snapshot (the same key; every field both read has
// the same type, enum values and list-ness) and builds the merged schema. A field is nullable in
// the merged schema only when both schemas that declare it say so. `old_name`/`new_name` name
// the rule files in the error message.
bool merge_schemas(const ir::Program& old_p, const ir::Program& new_p, const std::string& old_name,
                   const std::string& new_name, MergedSchema& out, std::string& error);

// One non-zero cell of a transition matrix: `count` customers had `from` under the old rules and
// `to` under the new ones ("" = empty). `samples`: the first customer ids in snapshot order.
struct DiffCell {
  std::string from, to;
  int64_t count = 0;
  std::vector<std::string> samples;
  bool changed() const { return from != to; }
};

// One result column present in both programs (candidate, segments, stopped_by, sequences).
struct DiffColumn {
  std::string name;
  ir::ColumnRole role = ir::ColumnRole::Family;  // what it presents (the old program's column)
  std::vector<DiffCell> cells;  // non-zero cells, ordered by old value then new value
  int64_t changed = 0;          // customers whose value differs
  // Values only one version can produce (labels added or removed between versions).
  std::vector<std::string> values_added, values_removed;
};

// Per review rule: customers who enter review by it and who leave it.
struct DiffReview {
  std::string rule;
  bool in_old = true, in_new = true;  // false: the rule exists in one version only
  int64_t enter = 0, leave = 0, stay = 0;
  std::vector<std::string> enter_samples, leave_samples;
};

// A touch number whose touch changed between the versions of a sequence whose progress field
// counts touches by number: customers at touch `number` (their progress field is number - 1) get
// `new_touch` instead of `old_touch` ("" = none: past the last touch, exhausted).
struct TouchRenumbering {
  std::string sequence, progress_field;
  int number = 0;
  std::string old_touch, new_touch;
};

// Every renumbered touch of the sequences in both programs whose progress is by number in both
// (a progress field by touch name is never reinterpreted), in sequence then number order.
std::vector<TouchRenumbering> touch_renumberings(const ir::Program& old_p,
                                                 const ir::Program& new_p);

struct DiffReport {
  // Said up front: touches added, removed or moved reinterpret the customers in flight.
  std::vector<TouchRenumbering> renumbered;
  int64_t rows = 0;
  int64_t changed = 0;  // customers with any difference in a compared column or review rule
  std::vector<std::string> changed_samples;
  std::vector<DiffColumn> columns;  // in the old program's column order
  std::vector<DiffReview> reviews;  // old rules in order, then rules new in the new version
  std::vector<std::string> columns_only_old, columns_only_new;  // not compared
};

struct DiffOptions {
  int32_t as_of = 0;           // days since 1970-01-01
  int64_t chunk_rows = 16384;  // rows per task
  int samples = 5;             // sample customer ids per move
  const std::atomic<bool>* cancel = nullptr;
};

// Evaluates both programs over every batch of `reader` (opened with `merged.schema`), chunks on
// `pool`, and fills `report`. Returns false with `error` set on a data error or cancellation.
bool diff_programs(const ir::Program& old_p, const Executor& old_x, const ir::Program& new_p,
                   const Executor& new_x, const MergedSchema& merged, SnapshotReader& reader,
                   WorkerPool& pool, const DiffOptions& opts, DiffReport& report,
                   std::string& error);

// What the report is about, shown in its header.
struct DiffHeader {
  std::string old_rules, new_rules, snapshot, as_of, engine;
  std::map<std::string, std::string> params;  // overridden parameters
};

// Renderings. Text and Markdown show the moves (changed cells); JSON has every non-zero cell.
std::string diff_text(const DiffReport& report, const DiffHeader& header);
std::string diff_json(const DiffReport& report, const DiffHeader& header);
std::string diff_markdown(const DiffReport& report, const DiffHeader& header);

// 1234567 -> "1,234,567".
std::string group_thousands(int64_t n);

}  // namespace rk
