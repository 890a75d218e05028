// Rekindle runtime: the chunked parallel batch evaluator and the run summary.
#include "runtime/evaluator.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "runtime/atoms.h"
#include "runtime/send_at.h"
#include "runtime/thread_pool.h"

namespace rk {

void Summary::init(const ir::Program& program) {
  rows = 0;
  counts.assign(program.columns.size(), {});
  numbers.assign(program.columns.size(), {});
  for (size_t c = 0; c < program.columns.size(); ++c)
    counts[c].assign(program.columns[c].texts.size() + 1, 0);
}

void NumberStats::merge(const NumberStats& o) {
  if (o.count == 0) return;
  if (count == 0) {
    *this = o;
    return;
  }
  count += o.count;
  imin = std::min(imin, o.imin);
  imax = std::max(imax, o.imax);
  isum += o.isum;
  fmin = std::min(fmin, o.fmin);
  fmax = std::max(fmax, o.fmax);
  fsum += o.fsum;
}

void Summary::add(const ir::Program& program, const int8_t* const* outputs, int64_t begin,
                  int64_t end) {
  const int64_t n = end - begin;
  rows += n;
  for (size_t c = 0; c < program.columns.size(); ++c) {
    const auto& col = program.columns[c];
    auto& cnt = counts[c];
    if (col.kind == ir::ResultKind::Enumerated) {
      // A histogram over all 256 int8 values, four interleaved copies so that consecutive
      // equal values do not wait on each other's increments; then folded into the texts.
      const int8_t* o = outputs[col.outputs[0]] + begin;
      const int64_t texts = static_cast<int64_t>(col.texts.size());
      int64_t hist[4][256] = {};
      int64_t r = 0;
      for (; r + 4 <= n; r += 4)
        for (int k = 0; k < 4; ++k) ++hist[k][static_cast<uint8_t>(o[r + k])];
      for (; r < n; ++r) ++hist[0][static_cast<uint8_t>(o[r])];
      int64_t counted = 0;
      for (int64_t v = 0; v < texts && v < 128; ++v) {
        const int64_t c = hist[0][v] + hist[1][v] + hist[2][v] + hist[3][v];
        cnt[static_cast<size_t>(v)] += c;
        counted += c;
      }
      cnt[static_cast<size_t>(texts)] += n - counted;  // missing or out of range: empty
    } else if (col.kind == ir::ResultKind::Number) {
      const int8_t* values = outputs[col.outputs[0]];
      const int8_t* present = outputs[col.outputs[1]];
      NumberStats part;
      const bool ints = col.type == ir::ValueType::Int;
      for (int64_t r = begin; r < end; ++r) {
        if (present[r] != 1) continue;
        if (ints) {
          const int64_t v = output_int(values, r);
          part.imin = part.count ? std::min(part.imin, v) : v;
          part.imax = part.count ? std::max(part.imax, v) : v;
          part.isum += v;
        } else {
          const double v = output_float(values, r);
          part.fmin = part.count ? std::min(part.fmin, v) : v;
          part.fmax = part.count ? std::max(part.fmax, v) : v;
          part.fsum += v;
        }
        ++part.count;
      }
      numbers[c].merge(part);
      cnt.back() += n - part.count;
    } else if (col.kind == ir::ResultKind::Joined) {
      std::vector<uint8_t> any(static_cast<size_t>(n), 0);
      for (size_t k = 0; k < col.outputs.size(); ++k) {
        const int8_t* o = outputs[col.outputs[k]] + begin;
        for (int64_t r = 0; r < n; ++r)
          if (o[r] == 1) ++cnt[k], any[r] = 1;
      }
      for (int64_t r = 0; r < n; ++r)
        if (!any[r]) ++cnt.back();
    }
  }
}

void Summary::merge(const Summary& other) {
  rows += other.rows;
  for (size_t c = 0; c < numbers.size() && c < other.numbers.size(); ++c)
    numbers[c].merge(other.numbers[c]);
  for (size_t c = 0; c < counts.size(); ++c)
    for (size_t v = 0; v < counts[c].size(); ++v) counts[c][v] += other.counts[c][v];
}

namespace {

// Appends the encoded pieces of each batch to the writer on a thread of its own, in the order
// they were pushed, while the next batch is evaluated. At most two batches wait; push() blocks
// beyond that, so memory stays bounded. Drained vectors come back through push()'s argument, so
// the pieces' buffers are reused from batch to batch.
class Appender {
 public:
  explicit Appender(ResultWriter& writer) : writer_(writer), thread_([this] { loop(); }) {}
  ~Appender() { finish(false); }
  Appender(const Appender&) = delete;
  Appender& operator=(const Appender&) = delete;

  // Queues the first `count` pieces of `pieces` and gives back an empty-able vector to fill for
  // the next batch. False once an append has failed (then error() says why).
  bool push(std::vector<EncodedRows>& pieces, size_t count) {
    std::unique_lock<std::mutex> lock(mu_);
    space_.wait(lock, [&] { return queue_.size() < kDepth || failed_; });
    if (failed_) return false;
    queue_.push_back({std::move(pieces), count});
    pieces.clear();
    if (!free_.empty()) {
      pieces = std::move(free_.back());
      free_.pop_back();
    }
    work_.notify_one();
    return true;
  }
  // Waits until every queued batch is appended (drain) or drops what is left, and stops the
  // thread. Returns false when an append failed.
  bool finish(bool drain) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (!drain) queue_.clear();
      stop_ = true;
    }
    work_.notify_one();
    if (thread_.joinable()) thread_.join();
    return !failed_;
  }
  std::string error() const { return writer_.error(); }

 private:
  static constexpr size_t kDepth = 2;
  struct Item {
    std::vector<EncodedRows> pieces;
    size_t count = 0;
  };
  void loop() {
    for (;;) {
      Item item;
      {
        std::unique_lock<std::mutex> lock(mu_);
        work_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopped and drained
        item = std::move(queue_.front());
        queue_.pop_front();
      }
      space_.notify_one();
      bool ok = true;
      for (size_t i = 0; i < item.count && ok; ++i) ok = writer_.append(item.pieces[i]);
      std::lock_guard<std::mutex> lock(mu_);
      if (!ok) {
        failed_ = true;
        queue_.clear();
        space_.notify_all();
        return;
      }
      free_.push_back(std::move(item.pieces));
    }
  }
  ResultWriter& writer_;
  std::mutex mu_;
  std::condition_variable work_, space_;
  std::deque<Item> queue_;
  std::vector<std::vector<EncodedRows>> free_;
  bool stop_ = false, failed_ = false;
  std::thread thread_;  // last: started once the members above exist
};

}  // namespace

bool evaluate(const ir::Program& program, const Executor& executor, SnapshotReader& reader,
              ResultWriter* writer, WorkerPool& pool, const EvalOptions& opts, Summary& summary,
              std::string& error) {
  const int threads = pool.threads();
  summary.init(program);
  PreparedAtoms atoms;
  SendAtFiller send_at(program, opts.as_of);  // the send_at outputs, after the kernel
  if (!send_at.error().empty()) {
    error = send_at.error();
    return false;
  }
  const bool pieces = writer && writer->parallel_encoding();
  std::vector<Summary> partial;      // per task of a batch
  std::vector<EncodedRows> encoded;  // per task of a batch, when the writer encodes in parallel
  OutputColumns out(program);
  Batch batch;
  const int64_t total = reader.total_rows();
  int64_t done = 0;
  // The reader is used by one thread at a time: the future's get() orders each read after the
  // previous one. On an early return the pending read finishes in the future's destructor.
  struct Read {
    bool ok = false;
    Batch batch;
  };
  auto read_next = [&reader] {
    Read r;
    r.ok = reader.next(r.batch);
    return r;
  };
  const bool read_ahead = opts.read_ahead && threads > 1;
  // With several threads the pieces are appended while the next batch is evaluated.
  std::unique_ptr<Appender> appender;
  if (pieces && threads > 1) appender = std::make_unique<Appender>(*writer);
  std::future<Read> ahead;
  auto next_batch = [&](Batch& out) {
    if (!read_ahead) return reader.next(out);
    Read r = ahead.valid() ? ahead.get() : read_next();
    if (!r.ok) return false;
    out = std::move(r.batch);
    ahead = std::async(std::launch::async, read_next);
    return true;
  };
  while (next_batch(batch)) {
    if (opts.cancel && opts.cancel->load()) {
      error = "interrupted";
      return false;
    }
    const int64_t n = batch.num_rows;
    out.resize(n);
    atoms.prepare_batch(program, batch);
    send_at.prepare_batch(batch);
    RkBatchView view{batch.columns.data(), atoms.data(), n, opts.as_of, 0};
    const RkResultView results = out.view(n);
    const int64_t chunk = std::max<int64_t>(1, opts.chunk_rows);
    const int64_t tasks = (n + chunk - 1) / chunk;
    // Each task evaluates, counts and encodes its own rows; the pieces are then merged and
    // appended in row order. Tasks are cut by chunk_rows alone, so the result does not depend
    // on the thread count.
    if (partial.size() < static_cast<size_t>(tasks)) partial.resize(static_cast<size_t>(tasks));
    if (encoded.size() < static_cast<size_t>(tasks)) encoded.resize(static_cast<size_t>(tasks));
    pool.run(tasks, [&](int64_t t) {
      const int64_t begin = t * chunk, end = std::min(n, begin + chunk);
      atoms.prepare_rows(program, batch, begin, end);
      executor.run(view, results, begin, end);
      send_at.fill(batch, out.pointers(), begin, end);
      Summary& part = partial[static_cast<size_t>(t)];
      part.init(program);
      part.add(program, out.pointers(), begin, end);
      if (pieces)
        writer->encode(batch, out.pointers(), begin, end, encoded[static_cast<size_t>(t)]);
    });
    if (send_at.active() && !send_at.error().empty()) {
      error = send_at.error();
      return false;
    }
    for (int64_t t = 0; t < tasks; ++t) summary.merge(partial[static_cast<size_t>(t)]);
    bool written = true;
    if (appender) {
      written = appender->push(encoded, static_cast<size_t>(tasks));
    } else if (pieces) {
      for (int64_t t = 0; t < tasks && written; ++t)
        written = writer->append(encoded[static_cast<size_t>(t)]);
    } else if (writer) {
      written = writer->write(batch, out.pointers());
    }
    if (!written) {
      error = writer->error();
      return false;
    }
    done += n;
    if (opts.progress) opts.progress(done, total);
  }
  if (reader.error()) {
    error = reader.error()->to_string();
    return false;
  }
  if (opts.cancel && opts.cancel->load()) {
    error = "interrupted";
    return false;
  }
  if (appender && !appender->finish(true)) {
    error = appender->error();
    return false;
  }
  return true;
}

namespace {

// A mean rounded to 6 decimals (a decimal sum's last bits are noise, not information).
double mean6(double m) {
  return std::round(m * 1e6) / 1e6;
}

// A Number column's figures: count, min, max, mean (null without values), then the empties.
nlohmann::ordered_json number_json(const ir::ResultColumn& col, const NumberStats& s,
                                   int64_t empty) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j["count"] = s.count;
  if (s.count == 0) {
    j["min"] = j["max"] = j["mean"] = nullptr;
  } else if (col.type == ir::ValueType::Int) {
    j["min"] = s.imin;
    j["max"] = s.imax;
    j["mean"] = mean6(static_cast<double>(static_cast<long double>(s.isum) / s.count));
  } else {
    j["min"] = s.fmin;
    j["max"] = s.fmax;
    j["mean"] = mean6(s.fsum / static_cast<double>(s.count));
  }
  j["(empty)"] = empty;
  return j;
}

}  // namespace

std::string summary_json(const ir::Program& program, const Summary& summary,
                         const std::map<std::string, std::string>& inputs,
                         const std::map<std::string, int64_t>& numbers) {
  nlohmann::ordered_json j;
  nlohmann::json in_sorted = nlohmann::json::object();  // one key order, texts and numbers alike
  for (const auto& [k, v] : inputs) in_sorted[k] = v;
  for (const auto& [k, v] : numbers) in_sorted[k] = v;
  nlohmann::ordered_json in = nlohmann::ordered_json::object();
  for (const auto& [k, v] : in_sorted.items()) in[k] = v;
  nlohmann::ordered_json params = nlohmann::ordered_json::object();
  for (const auto& [k, v] : program.params) params[k] = v;
  in["params"] = params;
  j["inputs"] = in;
  j["rows"] = summary.rows;
  nlohmann::ordered_json cols = nlohmann::ordered_json::object();
  for (size_t c = 0; c < program.columns.size(); ++c) {
    const auto& col = program.columns[c];
    if (!col.summarize || col.kind == ir::ResultKind::Key) continue;
    if (col.kind == ir::ResultKind::Number) {
      cols[col.name] = number_json(col, summary.numbers[c], summary.counts[c].back());
      continue;
    }
    nlohmann::ordered_json counts = nlohmann::ordered_json::object();
    for (size_t v = 0; v < col.texts.size(); ++v) counts[col.texts[v]] = summary.counts[c][v];
    counts[col.kind == ir::ResultKind::Joined ? "(none)" : "(empty)"] = summary.counts[c].back();
    cols[col.name] = counts;
  }
  j["counts"] = cols;
  return j.dump(2) + "\n";
}

std::string summary_text(const ir::Program& program, const Summary& summary) {
  std::string out = fmt::format("{} rows\n", summary.rows);
  for (size_t c = 0; c < program.columns.size(); ++c) {
    const auto& col = program.columns[c];
    if (!col.summarize || col.kind == ir::ResultKind::Key) continue;
    if (col.kind == ir::ResultKind::Number) {
      const nlohmann::ordered_json j =
          number_json(col, summary.numbers[c], summary.counts[c].back());
      out += fmt::format("  {}:", col.name);
      for (const auto& [k, v] : j.items()) out += fmt::format(" {} {}", k, v.dump());
      out += "\n";
      continue;
    }
    out += fmt::format("  {}:", col.name);
    for (size_t v = 0; v < col.texts.size(); ++v)
      out += fmt::format(" {} {}", col.texts[v], summary.counts[c][v]);
    out += fmt::format(" {} {}\n", col.kind == ir::ResultKind::Joined ? "(none)" : "(empty)",
                       summary.counts[c].back());
  }
  return out;
}

}  // namespace rk
