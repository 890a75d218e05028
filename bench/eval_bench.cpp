// Rekindle bench: in one run on one machine, measures the playbook's JIT compile time (cold and
// warm), interpreter and JIT throughput over a generated snapshot held in memory (1 and all
// threads), the JIT with its atom preparation counted (the evaluator's chunked loop, 1 and all
// threads), and the sequential read bandwidth of one core and of all cores, then reports JIT
// throughput as a fraction of bandwidth (bytes the rules read per row x rows/s / bandwidth).
//
// The object cache is measured too: the cold and warm compiles above run with it off, then the
// same program is stored into and loaded from a fresh temporary cache folder. --compile-only
// compiles once (the cache as the environment says) and prints the JIT's statistics as JSON, so
// a second process measures a cached load in a cold process.
//
//   eval_bench [--rows N] [--json FILE] [--rules FILE] [--program] [--opt 0-3] [--part-weight N]
//              [--chunk-rows N] [--reps N] [--compile-only] [--jit-only] [--dump-ir FILE]
// --program generates the full program's schema (rules/program.schema: the playbook's columns and
// the program's nine) and defaults --rules to rules/program.rules; the rule file's schema must
// be the generated one, field for field (checked).
// Throughput figures are the best of --reps runs (3); with --compile-only, --reps N adds N - 1
// compiles in the warm process and reports the least CPU time of those.
// --part-weight bounds the size of one function of the kernel and --chunk-rows sets the rows per
// chunk of a split kernel (JitOptions::part_weight, chunk_rows).
// --jit-only skips the interpreter runs (their figures are then 0) and the bandwidth measurement.
#include <fmt/format.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <thread>

#include <unistd.h>

#include "base/date.h"
#include "compiler/check/compile.h"
#include "compiler/jit/jit.h"
#include "runtime/atoms.h"
#include "runtime/generate.h"
#include "runtime/interpreter.h"
#include "runtime/thread_pool.h"

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Sequential read bandwidth in bytes/s over `buf`, split across `threads`; best of `reps`.
double read_bandwidth(const std::vector<uint64_t>& buf, int threads, int reps) {
  double best = 0;
  for (int rep = 0; rep < reps; ++rep) {
    std::vector<uint64_t> sums(threads);
    auto t0 = Clock::now();
    std::vector<std::thread> ts;
    ts.reserve(static_cast<size_t>(threads));
    const size_t per = buf.size() / threads;
    for (int t = 0; t < threads; ++t)
      ts.emplace_back([&, t] {
        const uint64_t* p = buf.data() + t * per;
        uint64_t a = 0, b = 0, c = 0, d = 0;
        for (size_t i = 0; i + 4 <= per; i += 4) {
          a += p[i];
          b += p[i + 1];
          c += p[i + 2];
          d += p[i + 3];
        }
        sums[t] = a + b + c + d;
      });
    for (auto& t : ts) t.join();
    const double s = seconds_since(t0);
    volatile uint64_t sink = std::accumulate(sums.begin(), sums.end(), uint64_t{0});
    (void)sink;
    best = std::max(best, static_cast<double>(per * threads * sizeof(uint64_t)) / s);
  }
  return best;
}

// Bytes of input the program reads per row: each column node's values plus validity, each atom's
// per-row index or table.
double bytes_per_row(const rk::ir::Program& p, const rk::Batch& b) {
  double bytes = 0;
  std::vector<bool> seen(p.schema.fields.size());
  for (const auto& n : p.nodes) {
    if (n.op != rk::ir::Op::Column || seen[n.index]) continue;
    seen[n.index] = true;
    const auto& f = p.schema.fields[n.index];
    switch (f.type) {
      case rk::FieldType::Bool:
        bytes += 1.0 / 8;
        break;
      case rk::FieldType::Date:
      case rk::FieldType::Enum:
        bytes += 4;
        break;
      default:
        bytes += 8;
        break;
    }
    if (b.columns[n.index].validity) bytes += 1.0 / 8;
  }
  for (const auto& a : p.atoms) {
    const auto& c = b.columns[a.field];
    const bool dict = a.kind == rk::ir::AtomKind::StrInSet && c.encoding == RK_STR_DICT;
    bytes += dict ? 4 : 1;
    if (c.validity) bytes += 1.0 / 8;
  }
  return bytes;
}

struct Run {
  std::string name;
  double seconds;
  double rows_per_s;
};

}  // namespace

int main(int argc, char** argv) {
  int64_t rows = 10'000'000;
  int opt_level = 2;
  size_t part_weight = 0;
  int reps = 0;  // 0: the default (3 throughput runs, 1 compile)
  int64_t chunk_rows = 0;
  bool compile_only = false, jit_only = false, program_schema = false;
  std::string json_path, dump_ir, rules;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--rows" && i + 1 < argc)
      rows = std::stoll(argv[++i]);
    else if (a == "--json" && i + 1 < argc)
      json_path = argv[++i];
    else if (a == "--rules" && i + 1 < argc)
      rules = argv[++i];
    else if (a == "--opt" && i + 1 < argc)
      opt_level = std::stoi(argv[++i]);
    else if (a == "--part-weight" && i + 1 < argc)
      part_weight = std::stoul(argv[++i]);
    else if (a == "--chunk-rows" && i + 1 < argc)
      chunk_rows = std::stoll(argv[++i]);
    else if (a == "--reps" && i + 1 < argc)
      reps = std::max(1, std::stoi(argv[++i]));
    else if (a == "--compile-only")
      compile_only = true;
    else if (a == "--jit-only")
      jit_only = true;
    else if (a == "--program")
      program_schema = true;
    else if (a == "--dump-ir" && i + 1 < argc)
      dump_ir = argv[++i];
    else {
      fmt::print(stderr,
                 "usage: eval_bench [--rows N] [--json FILE] [--rules FILE] [--program] "
                 "[--opt 0-3] [--part-weight N] [--chunk-rows N] [--reps N] [--compile-only] "
                 "[--jit-only] [--dump-ir FILE]\n");
      return 2;
    }
  }
  if (rules.empty())
    rules = std::string(RK_SOURCE_DIR) +
            (program_schema ? "/rules/program.rules" : "/rules/winback.rules");
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

  // Compile: the first JIT compile in the process (cold, includes creating the LLJIT) and a
  // second one of the same program (warm process).
  auto compiled = rk::compile_rules(rules);
  if (!compiled.program) {
    fmt::print(stderr, "rules do not compile\n");
    return 1;
  }
  const auto& program = *compiled.program;
  std::string err;
  rk::jit::JitStats cold{}, warm{};
  rk::jit::JitOptions jopts;
  jopts.opt_level = opt_level;
  jopts.part_weight = part_weight;
  jopts.chunk_rows = chunk_rows;
  if (!dump_ir.empty()) std::ofstream(dump_ir) << rk::jit::llvm_ir(program, jopts);
  if (compile_only) {
    rk::jit::JitStats s{};
    // CPU time as well as wall time: on a loaded machine the wall time also counts waiting for
    // a core.
    auto cpu_ms = [] {
      timespec ts{};
      clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
      return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
    };
    const double cpu0 = cpu_ms();
    auto t = Clock::now();
    auto k = rk::jit::compile(program, err, jopts, &s);
    const double ms = seconds_since(t) * 1e3;
    const double cpu = cpu_ms() - cpu0;
    if (!k) {
      fmt::print(stderr, "JIT unavailable: {}\n", err);
      return 1;
    }
    // --reps N > 1: N - 1 more compiles in this (now warm) process without the cache; the least
    // CPU time is a low-noise figure for comparing code generators on a busy machine.
    double warm_min_cpu = 0;
    for (int r = 1; r < reps; ++r) {
      rk::jit::JitOptions again = jopts;
      again.cache = 0;
      const double c0 = cpu_ms();
      auto k2 = rk::jit::compile(program, err, again);
      const double c = cpu_ms() - c0;
      if (k2 && (warm_min_cpu == 0 || c < warm_min_cpu)) warm_min_cpu = c;
    }
    nlohmann::ordered_json j;
    j["nodes"] = program.nodes.size();
    j["outputs"] = program.outputs.size();
    j["compile_ms"] = ms;
    j["compile_cpu_ms"] = cpu;
    if (reps > 1) j["warm_min_cpu_ms"] = warm_min_cpu;
    j["cache_hit"] = s.cache_hit;
    j["codegen_ms"] = s.codegen_ms;
    j["optimize_ms"] = s.optimize_ms;
    j["machine_code_ms"] = s.machine_code_ms;
    j["link_ms"] = s.link_ms;
    j["cache_ms"] = s.cache_ms;
    j["parts"] = s.parts;
    j["threads"] = s.threads;
    fmt::print("{}\n", j.dump());
    return 0;
  }
  jopts.cache = 0;
  auto t0 = Clock::now();
  auto jit = rk::jit::compile(program, err, jopts, &cold);
  const double cold_ms = seconds_since(t0) * 1e3;
  if (!jit) {
    fmt::print(stderr, "JIT unavailable: {}\n", err);
    return 1;
  }
  t0 = Clock::now();
  auto jit2 = rk::jit::compile(program, err, jopts, &warm);
  const double warm_ms = seconds_since(t0) * 1e3;
  jit2.reset();
  // The object cache in this (warm) process: a miss that stores the object, then a hit.
  const std::filesystem::path cache_dir =
      std::filesystem::temp_directory_path() / fmt::format("rk-bench-cache-{}", ::getpid());
  rk::jit::JitOptions copts = jopts;
  copts.cache = 1;
  copts.cache_dir = cache_dir.string();
  rk::jit::JitStats store{}, hit{};
  rk::jit::compile(program, err, copts, &store);
  rk::jit::compile(program, err, copts, &hit);
  std::filesystem::remove_all(cache_dir);
  auto interp = rk::make_interpreter(program);

  // The snapshot, generated into memory.
  rk::GenerateOptions g;
  g.program = program_schema;
  {
    // The batches are positional: the rule file's schema must be the generated one.
    const rk::Schema gen = program_schema ? rk::program_schema() : rk::playbook_schema();
    bool same = gen.fields.size() == program.schema.fields.size();
    for (size_t f = 0; same && f < gen.fields.size(); ++f)
      same = gen.fields[f].name == program.schema.fields[f].name &&
             gen.fields[f].type == program.schema.fields[f].type;
    if (!same) {
      fmt::print(stderr, "{}: its schema is not the generated {} schema, field for field\n", rules,
                 program_schema ? "program" : "playbook");
      return 1;
    }
  }
  g.rows = rows;
  g.seed = 42;
  g.as_of = static_cast<int32_t>(rk::days_from_civil(2026, 11, 1));
  t0 = Clock::now();
  std::vector<rk::Batch> batches;
  for (int64_t i = 0; i * g.batch_rows < rows; ++i) batches.push_back(rk::generate_batch(g, i));
  const double gen_s = seconds_since(t0);
  std::vector<rk::PreparedAtoms> atoms(batches.size());
  t0 = Clock::now();
  for (size_t i = 0; i < batches.size(); ++i) atoms[i].prepare(program, batches[i]);
  const double atoms_s = seconds_since(t0);
  std::vector<std::vector<std::vector<int8_t>>> outs(batches.size());
  std::vector<std::vector<int8_t*>> out_ptrs(batches.size());
  for (size_t i = 0; i < batches.size(); ++i) {
    for (const auto& o : program.outputs)
      outs[i].emplace_back(static_cast<size_t>(batches[i].num_rows) *
                           rk::ir::output_bytes(o.width));
    for (auto& o : outs[i]) out_ptrs[i].push_back(o.data());
  }

  auto run = [&](const rk::Executor& ex, int threads, const std::string& name) {
    double best = 1e30;
    for (int rep = 0; rep < (reps > 0 ? reps : 3); ++rep) {
      std::atomic<size_t> next{0};
      auto start = Clock::now();
      std::vector<std::thread> ts;
      ts.reserve(static_cast<size_t>(threads));
      for (int t = 0; t < threads; ++t)
        ts.emplace_back([&] {
          for (size_t i; (i = next++) < batches.size();) {
            RkBatchView v{batches[i].columns.data(), atoms[i].data(), batches[i].num_rows, g.as_of,
                          0};
            RkResultView r{out_ptrs[i].data(), batches[i].num_rows};
            ex.run(v, r, 0, batches[i].num_rows);
          }
        });
      for (auto& t : ts) t.join();
      best = std::min(best, seconds_since(start));
    }
    return Run{name, best, rows / best};
  };
  // The evaluator's in-memory loop (runtime/evaluator.cpp) without reading or writing: per
  // batch the dictionary atoms once, then chunks of 16,384 rows on a pool, each preparing its
  // rows' atoms and running the kernel over them: the kernel with its atom preparation counted.
  auto run_with_atoms = [&](const rk::Executor& ex, int threads, const std::string& name) {
    rk::WorkerPool pool(threads);
    rk::PreparedAtoms prepared;
    constexpr int64_t kChunk = 16384;
    double best = 1e30;
    for (int rep = 0; rep < (reps > 0 ? reps : 3); ++rep) {
      auto start = Clock::now();
      for (size_t i = 0; i < batches.size(); ++i) {
        const rk::Batch& b = batches[i];
        prepared.prepare_batch(program, b);
        RkBatchView v{b.columns.data(), prepared.data(), b.num_rows, g.as_of, 0};
        RkResultView r{out_ptrs[i].data(), b.num_rows};
        pool.run((b.num_rows + kChunk - 1) / kChunk, [&](int64_t t) {
          const int64_t begin = t * kChunk, end = std::min(b.num_rows, begin + kChunk);
          prepared.prepare_rows(program, b, begin, end);
          ex.run(v, r, begin, end);
        });
      }
      best = std::min(best, seconds_since(start));
    }
    return Run{name, best, rows / best};
  };
  std::vector<Run> runs;
  if (jit_only) {
    runs.push_back(Run{"interpreter, 1 thread", 0, 0});
    runs.push_back(Run{fmt::format("interpreter, {} threads", cores), 0, 0});
  } else {
    runs.push_back(run(*interp, 1, "interpreter, 1 thread"));
    runs.push_back(run(*interp, cores, fmt::format("interpreter, {} threads", cores)));
  }
  runs.push_back(run(*jit, 1, "jit, 1 thread"));
  runs.push_back(run(*jit, cores, fmt::format("jit, {} threads", cores)));
  runs.push_back(run_with_atoms(*jit, 1, "jit + atoms, 1 thread"));
  runs.push_back(run_with_atoms(*jit, cores, fmt::format("jit + atoms, {} threads", cores)));

  std::vector<uint64_t> buf(jit_only ? 1024 : size_t{1} << 27);  // 1 GiB
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = i;
  const double bw1 = jit_only ? 1 : read_bandwidth(buf, 1, 3);
  const double bwn = jit_only ? 1 : read_bandwidth(buf, cores, 3);
  const double bpr = bytes_per_row(program, batches[0]);

  fmt::print("Rekindle eval_bench: {} rows of the {} schema ({} batches), {} cores\n", rows,
             program_schema ? "program" : "playbook", batches.size(), cores);
  fmt::print("  generate (in memory)          {:10.2f} s\n", gen_s);
  fmt::print(
      "  JIT compile, cold             {:10.1f} ms (codegen {:.1f}, optimize {:.1f}, machine code "
      "{:.1f})\n",
      cold_ms, cold.codegen_ms, cold.optimize_ms, cold.machine_code_ms);
  fmt::print("  JIT compile, warm process     {:10.1f} ms\n", warm_ms);
  fmt::print("  JIT compile, cache store      {:10.1f} ms\n", store.total_ms);
  fmt::print("  JIT compile, cache hit        {:10.1f} ms{}\n", hit.total_ms,
             hit.cache_hit ? "" : " (not a hit!)");
  fmt::print("  atom preparation (1 thread)   {:10.3f} s  {:12.0f} rows/s\n", atoms_s,
             rows / atoms_s);
  for (const auto& r : runs)
    if (r.seconds > 0)  // runs --jit-only skipped are not printed
      fmt::print("  {:<30}{:10.3f} s  {:12.0f} rows/s\n", r.name, r.seconds, r.rows_per_s);
  const double jit1 = runs[2].rows_per_s, jitn = runs[3].rows_per_s, int1 = runs[0].rows_per_s;
  fmt::print("  bytes the rules read per row  {:10.2f}\n", bpr);
  fmt::print("  JIT {} threads / 1 thread      {:10.2f}x\n", cores, jitn / jit1);
  if (!jit_only) {  // --jit-only measures neither the interpreter nor the bandwidth
    fmt::print("  read bandwidth, 1 core        {:10.2f} GB/s\n", bw1 / 1e9);
    fmt::print("  read bandwidth, {} cores       {:10.2f} GB/s\n", cores, bwn / 1e9);
    fmt::print("  JIT / interpreter (1 thread)  {:10.1f}x\n", jit1 / int1);
    fmt::print("  JIT 1 thread: fraction of 1-core bandwidth {:.1f}%\n", 100 * bpr * jit1 / bw1);
    fmt::print("  JIT {} threads: fraction of all-core bandwidth {:.1f}%\n", cores,
               100 * bpr * jitn / bwn);
  }

  if (!json_path.empty()) {
    nlohmann::ordered_json j;
    j["rows"] = rows;
    j["rules"] = std::filesystem::path(rules).filename().string();
    j["cores"] = cores;
    j["compile_cold_ms"] = cold_ms;
    j["compile_warm_ms"] = warm_ms;
    j["compile_cold_stats"] = {{"codegen_ms", cold.codegen_ms},
                               {"optimize_ms", cold.optimize_ms},
                               {"machine_code_ms", cold.machine_code_ms}};
    j["compile_cache_store_ms"] = store.total_ms;
    j["compile_cache_hit_ms"] = hit.cache_hit ? hit.total_ms : -1;
    j["nodes"] = program.nodes.size();
    j["outputs"] = program.outputs.size();
    j["atoms_rows_per_s"] = rows / atoms_s;
    for (const auto& r : runs) j["runs"][r.name] = r.rows_per_s;
    j["bandwidth_1core_Bps"] = bw1;
    j["bandwidth_allcores_Bps"] = bwn;
    j["bytes_per_row"] = bpr;
    j["jit_over_interp"] = jit1 / int1;
    j["jit_fraction_of_bandwidth_1core"] = bpr * jit1 / bw1;
    j["jit_threads_over_1"] = jitn / jit1;
    std::ofstream(json_path) << j.dump(2) << "\n";
  }
  return 0;
}
