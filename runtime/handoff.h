// Rekindle runtime: the nightly job's hand-off files (spec winback-program.md section 7) and the
// output group that writes them with the result: outreach drafts (JSON lines), the owner-approval
// queue (CSV) and decision events (JSON lines), each read from the program's layout
// (compiler/ir/layout.h) for any rule file. The group encodes them beside the result, in the same
// parallel pieces (so they are byte-identical for any thread count) and streams them to temporary
// files; nothing appears at any target until every file of the group is complete (all or none).
// The review queue is sorted by owner in bounded memory (sorted runs spilled to temporary files,
// then merged). docs/handoff.md describes every field.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "compiler/ir/program.h"
#include "runtime/columnar.h"
#include "runtime/result_writer.h"
#include "runtime/template_render.h"

namespace rk {

struct HandoffOptions {
  std::string drafts;        // --drafts FILE ("" : not written)
  std::string review_queue;  // --review-queue FILE
  std::string events;        // --events FILE
  std::string run_id;        // the events' run_id (default_run_id when not given)
  int32_t as_of = 0;         // days since 1970-01-01
  // Review-queue rows kept in memory before a sorted run is spilled to a temporary file.
  size_t queue_memory_bytes = size_t{64} << 20;
  bool any() const { return !drafts.empty() || !review_queue.empty() || !events.empty(); }
};

// The default run id: `AS_OF/` + the first 8 hex digits of the rule set's hash.
std::string default_run_id(int32_t as_of, const std::string& rules_hash);

// Checks that a run id can be written (non-empty, no control characters); "" when it can.
std::string check_run_id(const std::string& run_id);

// What the hand-off files say about each customer, encoded from a program's kernel outputs.
// Const and thread-safe: disjoint row ranges may be encoded concurrently.
class HandoffEncoder {
 public:
  HandoffEncoder(const ir::Program& program, const HandoffOptions& options);

  // Rows [begin, end) of a batch: one draft per due touch (snapshot order, then sequence order).
  void drafts(const Batch& batch, const int8_t* const* outputs, int64_t begin, int64_t end,
              std::string& out) const;
  // One event per customer and sequence entered.
  void events(const Batch& batch, const int8_t* const* outputs, int64_t begin, int64_t end,
              std::string& out) const;
  // One review-queue row per customer with a review, as records for QueueSorter::add:
  // [u32 owner length][owner][u32 row length][CSV row with its line end].
  void queue_records(const Batch& batch, const int8_t* const* outputs, int64_t begin, int64_t end,
                     std::string& out) const;
  // The review queue's header line.
  static std::string queue_header();
  // Why the templates could not be bound ("" : they were); a checked program always binds.
  const std::string& error() const { return error_; }

 private:
  // The subject and body renderers of one touch (or one variant of it).
  struct MessageRender {
    bool has_subject = false;
    bool has_body = false;
    TemplateRenderer subject, body;
  };
  struct SequenceInfo {
    std::vector<std::string> touch_json;    // per touch: its number
    std::vector<std::string> step_json;     // per touch: its name as a JSON string
    std::vector<std::string> channel_json;  // per channel
    std::vector<int> channel_address;       // per channel: the address field, or -1
    std::vector<std::string> offer_json;    // per offer: its text as a JSON string
    std::vector<std::string> variant_json;  // per variant name (Sequence::variant_names)
    std::vector<std::string> status_json;   // per status
    std::string name_json;
    std::string holdout_share;          // a JSON number: the share in percent (0 without holdout)
    std::vector<bool> channel_subject;  // per channel: a subject is written (not for `sms`)
    // Per touch: [0] the customers in no variant, [1 + k] the touch's variant k.
    std::vector<std::vector<MessageRender>> messages;
    // Per touch: for each Sequence::variant_names index, the touch's variant k, or -1.
    std::vector<std::vector<int>> variant_of_name;
  };
  const ir::Program& program_;
  HandoffOptions options_;
  std::string run_prefix_;  // `{"run_id":...,"as_of":...,"customer_id":` for events
  std::vector<SequenceInfo> sequences_;
  const ir::ResultColumn* owner_ = nullptr;  // the `owner` column, when the rule file has one
  std::vector<std::vector<std::string>> label_json_;  // per family, per label
  std::vector<std::string> stop_json_;
  std::vector<std::string> review_json_;  // per review rule, its name as a JSON string
  std::vector<std::string> family_key_;   // per family: `"NAME":` for the cohort
  std::vector<std::string> score_key_;    // per score: `"NAME":` for the cohort
  std::string error_;

  // Binds the subjects and bodies of a sequence with templates into info.messages.
  void bind_messages(const ir::Sequence& seq, SequenceInfo& info);
  // The message of touch t (variant code v, -1: none) of sequence s; null without templates.
  const MessageRender* message(size_t s, int t, int v) const;
  // The score columns templates read (Source::Column), over a batch's outputs, for rows
  // [begin, end): the wide value output, and a validity bitmap (in `validity`) from the score's
  // presence output, so a score that overflowed reads as missing (its fallback).
  void score_columns(const int8_t* const* outputs, int64_t begin, int64_t end,
                     std::vector<RkColumn>& columns,
                     std::vector<std::vector<uint8_t>>& validity) const;
  // Appends the subject (or body) of row r's message `m`, through the scratch buffer `text`, as a
  // JSON string, or null when there is none.
  void message_json(const MessageRender* m, bool subject, const TemplateInputs& in, int64_t r,
                    std::string& text, std::string& out) const;

  // `,"touch":T,"step":S,"variant":V,"channel":C,"offer":O` as events and would_be write them
  // (null for an index below 0).
  static void append_decision(const SequenceInfo& info, int t, int v, int c, int o,
                              std::string& out);
  // The review rules that fired for row r, as a JSON list.
  void review_list(const int8_t* const* outputs, int64_t r, std::string& json) const;
  // Every family's label and every score of row r, as a JSON object.
  void cohort(const int8_t* const* outputs, int64_t r, std::string& out) const;
  // The sequence whose touch is due for row r (the first in priority order), or -1.
  int due_sequence(const int8_t* const* outputs, int64_t r) const;
  bool is_due(size_t s, const int8_t* const* outputs, int64_t r) const;
  // The `would_be` object of held-out row r in sequence s (null when the layout has none).
  void would_be(size_t s, const int8_t* const* outputs, int64_t r, std::string& out) const;
};

// Sorts review-queue records by owner (code-point order), keeping snapshot order among equal
// owners, in bounded memory: records are kept up to a budget, then sorted and spilled as a run to
// an unlinked temporary file; the runs are merged into the output at the end.
class QueueSorter {
 public:
  explicit QueueSorter(size_t memory_bytes) : memory_(memory_bytes) {}
  ~QueueSorter();
  QueueSorter(const QueueSorter&) = delete;
  QueueSorter& operator=(const QueueSorter&) = delete;
  // Adds records made by HandoffEncoder::queue_records, in snapshot order.
  bool add(std::string_view records);
  // Writes every row, sorted, to `out`.
  bool write_sorted(AtomicFile& out);
  const std::string& error() const { return error_; }
  size_t runs() const { return runs_.size(); }

 private:
  bool spill();
  size_t memory_;
  std::string arena_;              // records in arrival order
  std::vector<uint64_t> offsets_;  // where each record starts in arena_
  std::vector<std::FILE*> runs_;   // spilled sorted runs
  std::string error_;
};

// The review queue of `records` (HandoffEncoder::queue_records, in snapshot order) as CSV text with
// its header, sorted in memory (the Python binding's frames).
std::string sorted_queue_text(std::string_view records);

// The result writer and the hand-off files as one group: every file is written under a temporary
// name and renamed onto its target only when all of them are complete; a failure in any leaves
// none. Companions (the summary) join the group with add_companion. The environment variable
// RK_TEST_KILL_IN_COMMIT=N (tests only) kills the process with SIGKILL once N files of the group
// are complete, before the others are, to prove no file appears.
class OutputGroupWriter final : public ResultWriter {
 public:
  // `result` may be null (no result file). Returns null with `error` set when a file cannot be
  // created.
  static std::unique_ptr<OutputGroupWriter> open(std::unique_ptr<ResultWriter> result,
                                                 const ir::Program& program,
                                                 const HandoffOptions& options, std::string& error);
  ~OutputGroupWriter() override;

  // A file written by the caller that appears with the group: it may be written until publish(),
  // which completes it before renaming anything (the summary, which states what complete() waits
  // for: the snapshot's digest).
  void add_companion(AtomicFile& file) { companions_.push_back(&file); }

  bool write(const Batch& batch, const int8_t* const* outputs) override;
  bool finish() override { return complete() && publish(); }
  bool complete() override;
  bool publish() override;
  const std::string& error() const override { return error_; }
  bool parallel_encoding() const override;
  void encode(const Batch& batch, const int8_t* const* outputs, int64_t begin, int64_t end,
              EncodedRows& out) const override;
  bool append(EncodedRows& piece) override;
  size_t queue_runs() const { return sorter_ ? sorter_->runs() : 0; }

 private:
  OutputGroupWriter(std::unique_ptr<ResultWriter> result, const ir::Program& program,
                    const HandoffOptions& options);
  bool fail(std::string e);
  bool append_companions(const EncodedRows& piece);
  // The hand-off files of the group, in the order of kDrafts, kQueue, kEvents.
  enum : size_t { kDrafts = 0, kQueue = 1, kEvents = 2, kFiles = 3 };
  std::unique_ptr<ResultWriter> result_;
  HandoffEncoder encoder_;
  HandoffOptions options_;
  AtomicFile files_[kFiles];
  bool wanted_[kFiles] = {false, false, false};
  std::unique_ptr<QueueSorter> sorter_;
  std::vector<AtomicFile*> companions_;
  EncodedRows whole_;  // write()'s piece
  int completed_ = 0;  // files completed (for RK_TEST_KILL_IN_COMMIT)
  std::string error_;
  bool failed_ = false;
};

}  // namespace rk
