// Rekindle JIT: compile() and llvm_ir(): rk IR -> a plan of kernel parts (kernel_plan) -> one
// LLVM module per part (kernel_codegen), optimized and compiled to object files on several
// threads (llvm_compat) -> linked into the process-wide ORC engine, wrapped as an rk::Executor
// that owns the code and calls the parts chunk by chunk. Object files are cached on disk, keyed
// by the program's dump, the LLVM version, the host CPU and features, the options and the
// sources of this code generator.
#include "compiler/jit/jit.h"

#include <fcntl.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <new>
#include <system_error>
#include <thread>

#include "compiler/ir/temp_files.h"
#include "compiler/ir/validate.h"
#include "compiler/jit/jit_build_id.h"
#include "compiler/jit/kernel_codegen.h"
#include "compiler/jit/kernel_plan.h"
#include "compiler/jit/llvm_compat.h"

namespace rk::jit {

namespace {

// Every kernel lives in a JITDylib of its own, so all share the symbol names rk_part_<i>.
std::string part_symbol(size_t i) {
  return "rk_part_" + std::to_string(i);
}

// Per-thread buffers of run(): the parts' scratch and the staging of partial blocks. run() is not
// reentrant on one thread, so one set per thread serves every executor.
struct ThreadBuffers {
  uint8_t* scratch = nullptr;  // 64-byte aligned
  size_t scratch_size = 0;
  std::vector<RkColumn> columns;
  std::vector<RkAtom> atoms;
  std::vector<uint64_t> words;     // per staged field: validity, Bool values; per atom: validity
  std::vector<uint64_t> values;    // per staged field: 64 values of up to 8 bytes
  std::vector<uint8_t> rows;       // per staged atom: 64 table bytes
  std::vector<RkAtom> view_atoms;  // the batch's atoms, dictionary atoms replaced by gathered
  std::vector<uint8_t> gathered;   // per dictionary atom: kGatherRows bytes
  std::vector<uint64_t> outputs;   // per output: 64 rows of up to 8 bytes
  std::vector<int8_t*> output_ptrs;
  ~ThreadBuffers() { std::free(scratch); }

  uint8_t* scratch_of(size_t bytes) {
    if (scratch_size < bytes || !scratch) {
      const size_t size = std::max<size_t>(4096, (bytes + 63) & ~size_t{63});
      auto* data = static_cast<uint8_t*>(std::aligned_alloc(64, size));
      if (!data) throw std::bad_alloc();
      std::free(scratch);
      scratch = data;
      scratch_size = size;
    }
    return scratch;
  }
};

ThreadBuffers& thread_buffers() {
  thread_local ThreadBuffers buffers;
  return buffers;
}

// Bits [jlo, jhi) of block `blk` of a bitmap, read byte by byte (never a byte outside them), in
// place; other bits are zero.
uint64_t read_bits(const uint8_t* bitmap, int64_t blk, int64_t jlo, int64_t jhi) {
  uint64_t word = 0;
  for (int64_t k = jlo >> 3; k <= (jhi - 1) >> 3; ++k)
    word |= uint64_t{bitmap[8 * blk + k]} << (8 * k);
  return word;
}

// Bytes per value of a field the kernels read with vector loads (0: bitmap or never read).
size_t value_bytes(FieldType t) {
  switch (t) {
    case FieldType::Int:
    case FieldType::Number:
    case FieldType::Money:
    case FieldType::Percent:
      return 8;
    case FieldType::Date:
    case FieldType::Enum:
      return 4;
    case FieldType::Bool:
    case FieldType::String:
    case FieldType::StringList:
      return 0;
  }
  return 0;
}

// Rows per chunk of the gathering of dictionary atoms (a multiple of kBlockRows).
constexpr int64_t kGatherRows = 2048;

class JitExecutor final : public rk::Executor {
 public:
  JitExecutor(std::unique_ptr<compat::LoadedCode> code, const KernelPlan& plan,
              const ir::Program& program)
      : code_(std::move(code)),
        chunk_blocks_(plan.chunk_blocks),
        scratch_bytes_(plan.scratch_bytes),
        fields_(plan.fields),
        atoms_(plan.atoms),
        num_fields_(program.schema.fields.size()),
        num_atoms_(program.atoms.size()),
        num_outputs_(program.outputs.size()) {
    for (uint64_t address : code_->addresses()) parts_.push_back(reinterpret_cast<PartFn>(address));
    for (uint32_t f : fields_) types_.push_back(program.schema.fields[f].type);
    for (const auto& o : program.outputs) output_bytes_.push_back(ir::output_bytes(o.width));
  }

  void run(const RkBatchView& batch, const RkResultView& results, int64_t begin,
           int64_t end) const override {
    if (begin >= end) return;
    ThreadBuffers& buffers = thread_buffers();
    uint8_t* scratch = buffers.scratch_of(scratch_bytes_);
    size_t dictionary = 0;
    for (uint32_t a : atoms_) dictionary += batch.atoms[a].index != nullptr;
    if (dictionary == 0) {
      run_range(batch, results, begin, end, buffers, scratch);
      return;
    }
    // The kernels read every atom as a per-row table. A dictionary atom (value of row r:
    // table[index[r]]) is gathered into one first, a chunk of rows at a time; a missing row
    // reads 0 and never its index entry's table byte (its code may be anything).
    RkBatchView view = batch;
    buffers.view_atoms.assign(batch.atoms, batch.atoms + num_atoms_);
    view.atoms = buffers.view_atoms.data();
    buffers.gathered.resize(kGatherRows * dictionary);
    for (int64_t from = begin; from < end;) {
      const int64_t chunk = from / kGatherRows * kGatherRows;
      const int64_t to = std::min(end, chunk + kGatherRows);
      size_t slot = 0;
      for (uint32_t a : atoms_) {
        const RkAtom& src = batch.atoms[a];
        if (!src.index) continue;
        uint8_t* rows = &buffers.gathered[kGatherRows * slot++];
        for (int64_t r = from; r < to; ++r) {
          const bool present = !src.validity || ((src.validity[r >> 3] >> (r & 7)) & 1);
          rows[r - chunk] = present ? src.table[src.index[r]] : 0;
        }
        // Indexed by absolute row: rows [from, to) of the chunk are the ones read.
        buffers.view_atoms[a].index = nullptr;
        buffers.view_atoms[a].table = reinterpret_cast<const uint8_t*>(
            reinterpret_cast<uintptr_t>(rows) - static_cast<uintptr_t>(chunk));
      }
      run_range(view, results, from, to, buffers, scratch);
      from = to;
    }
  }
  std::string_view name() const override { return "jit"; }

 private:
  // Whole blocks inside [begin, end) run in place; a partial first or last block is staged: its
  // rows are copied into a block of their own (other rows absent), run, and copied back, so the
  // kernels only ever see whole blocks and never touch a row outside [begin, end). Every atom is
  // a per-row table here.
  void run_range(const RkBatchView& batch, const RkResultView& results, int64_t begin, int64_t end,
                 ThreadBuffers& buffers, uint8_t* scratch) const {
    const int64_t first_full = (begin + kBlockRows - 1) / kBlockRows;
    const int64_t end_full = end / kBlockRows;
    if (first_full >= end_full) {
      // No whole block: one partial block, or the partial ends of two neighbouring blocks.
      const int64_t head = begin / kBlockRows;
      const int64_t head_end = std::min(end, (head + 1) * kBlockRows);
      run_partial(batch, results, begin, head_end, buffers, scratch);
      if (head_end < end) run_partial(batch, results, head_end, end, buffers, scratch);
      return;
    }
    if (begin < first_full * kBlockRows)
      run_partial(batch, results, begin, first_full * kBlockRows, buffers, scratch);
    run_blocks(&batch, &results, first_full, end_full, scratch);
    if (end_full * kBlockRows < end)
      run_partial(batch, results, end_full * kBlockRows, end, buffers, scratch);
  }

  // Blocks [first, end) of the views: every part in turn over each chunk of blocks (a part reads
  // what earlier parts left in the scratch buffer for the same rows).
  void run_blocks(const RkBatchView* batch, const RkResultView* results, int64_t first, int64_t end,
                  uint8_t* scratch) const {
    if (parts_.size() == 1) {
      parts_[0](batch, results, first, end, scratch);
      return;
    }
    for (int64_t from = first; from < end; from += chunk_blocks_) {
      const int64_t to = std::min(end, from + chunk_blocks_);
      for (PartFn part : parts_) part(batch, results, from, to, scratch);
    }
  }

  // Rows [begin, end) of one block.
  void run_partial(const RkBatchView& batch, const RkResultView& results, int64_t begin,
                   int64_t end, ThreadBuffers& b, uint8_t* scratch) const {
    const int64_t blk = begin / kBlockRows;
    const int64_t base = blk * kBlockRows;
    const int64_t jlo = begin - base;
    const int64_t jhi = end - base;
    const uint64_t active =
        (jhi == 64 ? ~uint64_t{0} : (uint64_t{1} << jhi) - 1) & (~uint64_t{0} << jlo);
    b.columns.assign(num_fields_, RkColumn{});
    b.atoms.assign(num_atoms_, RkAtom{});
    b.words.resize(2 * fields_.size() + atoms_.size());
    b.values.resize(kBlockRows * fields_.size());
    b.rows.resize(kBlockRows * atoms_.size());
    for (size_t i = 0; i < fields_.size(); ++i) {
      const RkColumn& src = batch.columns[fields_[i]];
      RkColumn& dst = b.columns[fields_[i]];
      if (types_[i] == FieldType::String || types_[i] == FieldType::StringList) continue;
      uint64_t& valid = b.words[2 * i];
      valid = (src.validity ? read_bits(src.validity, blk, jlo, jhi) : ~uint64_t{0}) & active;
      dst.validity = reinterpret_cast<const uint8_t*>(&valid);
      if (types_[i] == FieldType::Bool) {
        uint64_t& bits = b.words[2 * i + 1];
        bits = read_bits(static_cast<const uint8_t*>(src.values), blk, jlo, jhi);
        dst.values = &bits;
        continue;
      }
      const size_t size = value_bytes(types_[i]);
      auto* to = reinterpret_cast<uint8_t*>(&b.values[kBlockRows * i]);
      std::memset(to, 0, kBlockRows * size);
      std::memcpy(to + jlo * size, static_cast<const uint8_t*>(src.values) + (base + jlo) * size,
                  (jhi - jlo) * size);
      dst.values = to;
    }
    for (size_t i = 0; i < atoms_.size(); ++i) {
      const RkAtom& src = batch.atoms[atoms_[i]];
      RkAtom& dst = b.atoms[atoms_[i]];
      uint64_t& valid = b.words[2 * fields_.size() + i];
      valid = (src.validity ? read_bits(src.validity, blk, jlo, jhi) : ~uint64_t{0}) & active;
      dst.validity = reinterpret_cast<const uint8_t*>(&valid);
      uint8_t* rows = &b.rows[kBlockRows * i];
      std::memset(rows, 0, kBlockRows);
      std::memcpy(rows + jlo, src.table + base + jlo, static_cast<size_t>(jhi - jlo));
      dst.table = rows;
    }
    b.outputs.resize(kBlockRows * num_outputs_);
    b.output_ptrs.resize(num_outputs_);
    for (size_t k = 0; k < num_outputs_; ++k)
      b.output_ptrs[k] = reinterpret_cast<int8_t*>(&b.outputs[kBlockRows * k]);
    const RkBatchView staged{b.columns.data(), b.atoms.data(), kBlockRows, batch.as_of, 0};
    const RkResultView staged_results{b.output_ptrs.data(), kBlockRows};
    run_blocks(&staged, &staged_results, 0, 1, scratch);
    for (size_t k = 0; k < num_outputs_; ++k) {
      const size_t size = output_bytes_[k];
      std::memcpy(results.outputs[k] + static_cast<size_t>(begin) * size,
                  b.output_ptrs[k] + static_cast<size_t>(jlo) * size,
                  static_cast<size_t>(jhi - jlo) * size);
    }
  }

  std::unique_ptr<compat::LoadedCode> code_;
  std::vector<PartFn> parts_;
  int64_t chunk_blocks_;
  size_t scratch_bytes_;
  std::vector<uint32_t> fields_;  // the fields the kernel reads, and their types
  std::vector<FieldType> types_;
  std::vector<uint32_t> atoms_;
  size_t num_fields_, num_atoms_, num_outputs_;
  std::vector<size_t> output_bytes_;  // per output: bytes per row (ir::output_bytes)
};

using Clock = std::chrono::steady_clock;
double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// CPU time of the calling thread in milliseconds (the steps of a compile are measured in thread
// time: on a loaded machine wall time also counts waiting for a core).
double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

PlanLimits limits_of(const JitOptions& opts) {
  PlanLimits limits;
  if (opts.part_weight > 0) limits.max_part_weight = opts.part_weight;
  if (opts.block_weight > 0) limits.block_weight = opts.block_weight;
  if (opts.chunk_rows > 0) limits.chunk_rows = opts.chunk_rows;
  return limits;
}

// Builds and optimizes the module of part `i`; returns null and sets `error` on failure.
std::unique_ptr<llvm::Module> optimized_module(const ir::Program& program, const KernelPlan& plan,
                                               size_t i, llvm::LLVMContext& context,
                                               const JitOptions& opts, std::string& error,
                                               double* codegen_ms, double* optimize_ms) {
  const double t0 = thread_cpu_ms();
  std::unique_ptr<llvm::Module> module =
      build_part_module(program, plan, i, part_symbol(i), context, error);
  if (!module) return nullptr;
  const double t1 = thread_cpu_ms();
  if (!compat::optimize(*module, opts.opt_level, error)) return nullptr;
  const double t2 = thread_cpu_ms();
  if (codegen_ms) *codegen_ms = t1 - t0;
  if (optimize_ms) *optimize_ms = t2 - t1;
  return module;
}

// Compiles every part of `plan` into an object file, on up to as many threads as the machine has
// cores (the calling thread is one of them). Returns false and sets `error` when a part fails.
bool compile_parts(const ir::Program& program, const KernelPlan& plan, const JitOptions& opts,
                   std::vector<std::string>& objects, std::string& error, JitStats& stats) {
  const size_t count = plan.parts.size();
  objects.assign(count, std::string());
  std::vector<std::string> errors(count);
  std::vector<double> codegen(count), optimize(count), emit(count);
  std::vector<std::string> dumps(opts.dump_ir ? count : 0);
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < count;) {
      llvm::LLVMContext context;
      std::unique_ptr<llvm::Module> module =
          optimized_module(program, plan, i, context, opts, errors[i], &codegen[i], &optimize[i]);
      if (!module) continue;
      if (opts.dump_ir) dumps[i] = compat::module_text(*module);
      const double t0 = thread_cpu_ms();
      if (!compat::emit_object(*module, objects[i], errors[i])) objects[i].clear();
      emit[i] = thread_cpu_ms() - t0;
    }
  };
  const size_t cores = std::max(1u, std::thread::hardware_concurrency());
  const size_t threads = std::min(count, cores);
  std::vector<std::thread> helpers;
  for (size_t t = 1; t < threads; ++t) {
    try {
      helpers.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // no more threads: the others do the work
    }
  }
  work();
  for (std::thread& t : helpers) t.join();
  stats.parts = count;
  stats.threads = helpers.size() + 1;
  for (size_t i = 0; i < count; ++i) {
    if (!errors[i].empty()) {
      error = errors[i];
      return false;
    }
    stats.codegen_ms += codegen[i];
    stats.optimize_ms += optimize[i];
    stats.machine_code_ms += emit[i];
    if (opts.dump_ir) std::fputs(dumps[i].c_str(), stderr);
  }
  return true;
}

// ---- The object cache -------------------------------------------------------------------
//
// One file per kernel, <sha256 of the key>.o, holding a header, the full key and the object
// files of its parts:
//   "RKOBJ003" | key size (8 bytes, little endian) | payload size (8 bytes) |
//   SHA-256 of key + payload (32 bytes) | key | payload
//   payload = number of parts (8 bytes) | per part: object size (8 bytes) | ELF object
// The key is the text the file name hashes: the cache format, the code generator's build id, the
// LLVM version, the host triple, CPU and features, the JIT options and the program's IR dump. An
// entry is used only when its stored key equals the key of the program being compiled, so an
// entry copied or planted under another program's name is a miss, never the wrong code.
// Everything else that is not exactly an entry is a miss too (and is rebuilt): a file that is not
// regular (a directory, a FIFO, a device: opened with O_NONBLOCK, checked with fstat before any
// read), a symlink (O_NOFOLLOW), a file owned by another user, larger than kMaxEntryBytes, of
// another format, truncated or corrupt. The folder itself must be trusted (cache_folder_trusted):
// owned by the user (or root) and writable by no one else, and so must every folder above it
// (unless sticky, like /tmp); otherwise the cache is not used and JitStats::cache_warning says
// why. Entries are written to a temporary file in the folder (compiler/ir/temp_files.h) and
// renamed into place, so concurrent runs never see a partial entry.

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'R', 'K', 'O', 'B', 'J', '0', '0', '3'};
constexpr size_t kHeader = 8 + 8 + 8 + 32;
// Far above any kernel (the playbook's entry is ~40 KB, 2,000 rules ~1 MB); a larger file is not
// read at all.
constexpr uint64_t kMaxEntryBytes = uint64_t{256} << 20;

// The SHA-256 of the code generator's sources (compiler/jit/*, compiler/ir/batch_abi.h), made by
// CMake: any change to the code generator changes every key, so it never reuses old objects.
constexpr const char* kBuildId = RK_JIT_BUILD_ID;

void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 255);
}
bool get_u64(const std::string& in, size_t& at, uint64_t& v) {
  if (at > in.size() || in.size() - at < 8) return false;
  v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{static_cast<uint8_t>(in[at + i])} << (8 * i);
  at += 8;
  return true;
}

std::string pack_objects(const std::vector<std::string>& objects) {
  std::string out;
  put_u64(out, objects.size());
  for (const std::string& o : objects) {
    put_u64(out, o.size());
    out += o;
  }
  return out;
}

// Splits a payload into `count` objects; false when it does not hold exactly that.
bool unpack_objects(const std::string& payload, size_t count, std::vector<std::string>& objects) {
  size_t at = 0;
  uint64_t n = 0;
  if (!get_u64(payload, at, n) || n != count) return false;
  objects.clear();
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t size = 0;
    if (!get_u64(payload, at, size) || size > payload.size() - at) return false;
    objects.push_back(payload.substr(at, size));
    at += size;
  }
  return at == payload.size();
}

std::string hex_to_bytes(const std::string& hex) {
  static constexpr auto nibble = [](char c) {
    return c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 : c - '0';
  };
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>((nibble(hex[i]) << 4) | nibble(hex[i + 1]));
  return out;
}

std::string cache_key_text(const ir::Program& program, const JitOptions& opts) {
  std::string text = fmt::format("rekindle jit object cache 3\n{}\n{}\nopt {}\nparts {} {} {}\n",
                                 kBuildId, compat::host_identity(), opts.opt_level,
                                 opts.part_weight, opts.chunk_rows, opts.block_weight);
  text += ir::dump(program);
  return text;
}

// Reads an entry; the objects' payload when the file is exactly an entry for `key`.
bool read_entry(const std::string& path, const std::string& key, std::string& payload) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return false;
  struct stat st {};
  const bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == ::geteuid() &&
                  static_cast<uint64_t>(st.st_size) <= kMaxEntryBytes &&
                  static_cast<uint64_t>(st.st_size) >= kHeader;
  std::string data;
  if (ok) {
    data.resize(static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < data.size()) {
      const ssize_t r = ::read(fd, data.data() + got, data.size() - got);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      got += static_cast<size_t>(r);
    }
    data.resize(got);
  }
  ::close(fd);
  if (!ok || data.size() < kHeader || std::memcmp(data.data(), kMagic, 8) != 0) return false;
  size_t at = 8;
  uint64_t key_size = 0, payload_size = 0;
  if (!get_u64(data, at, key_size) || !get_u64(data, at, payload_size)) return false;
  if (key_size != key.size() || payload_size > data.size() ||
      data.size() - kHeader - key.size() != payload_size)
    return false;
  if (data.compare(kHeader, key.size(), key) != 0) return false;  // another program's entry
  const std::string body = data.substr(kHeader);
  if (hex_to_bytes(compat::sha256_hex(body)) != data.substr(24, 32)) return false;
  payload = body.substr(key.size());
  return true;
}

// Whether `dir` may hold code this process will run: it and every folder above it are owned by
// this user or root, and none is writable by group or others unless it is sticky (like /tmp).
bool cache_folder_trusted(const std::string& dir, std::string& why) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(dir, ec), ec);
  if (ec) {
    why = fmt::format("cannot resolve {}: {}", dir, ec.message());
    return false;
  }
  const uid_t me = ::geteuid();
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    why = fmt::format("{} is not a folder", dir);
    return false;
  }
  if (st.st_uid != me) {
    why = fmt::format("{} is owned by another user (uid {})", dir, st.st_uid);
    return false;
  }
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    why = fmt::format("{} is writable by other users (mode {:o})", dir, st.st_mode & 07777);
    return false;
  }
  for (p = p.parent_path();; p = p.parent_path()) {
    if (::stat(p.c_str(), &st) != 0) break;
    if (st.st_uid != me && st.st_uid != 0) {
      why = fmt::format("{} (above the cache folder {}) is owned by another user (uid {})",
                        p.string(), dir, st.st_uid);
      return false;
    }
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
      why = fmt::format("{} (above the cache folder {}) is writable by other users (mode {:o})",
                        p.string(), dir, st.st_mode & 07777);
      return false;
    }
    if (p == p.root_path()) break;
  }
  return true;
}

// Creates the cache folder (only its last part: mode 0700) and checks that it can be trusted.
// False when the cache cannot be used; `warning` is set when the folder exists but is not
// trusted (a folder that cannot be made is simply no cache: a read-only home is not a problem).
bool prepare_cache_folder(const std::string& dir, std::string& warning) {
  std::error_code ec;
  const fs::path p(dir);
  if (!fs::exists(p, ec)) {
    if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
    if (::mkdir(p.c_str(), 0700) != 0 && errno != EEXIST) return false;
  }
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return false;
  std::string why;
  if (!cache_folder_trusted(dir, why)) {
    warning = fmt::format("the JIT object cache is not used: {}", why);
    return false;
  }
  return true;
}

void write_entry(const std::string& dir, const std::string& path, const std::string& key,
                 const std::string& payload) {
  std::string data(kMagic, 8);
  put_u64(data, key.size());
  put_u64(data, payload.size());
  data += hex_to_bytes(compat::sha256_hex(key + payload));
  data += key;
  data += payload;
  std::string tmp, error;
  const int fd = temp_files::create(dir, 0600, tmp, error);
  if (fd < 0) return;  // a read-only folder: run without caching
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t w = ::write(fd, data.data() + done, data.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    done += static_cast<size_t>(w);
  }
  const bool ok = ::close(fd) == 0 && done == data.size();
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) ::unlink(tmp.c_str());
  temp_files::unregister(tmp);
}

}  // namespace

std::string cache_directory(const JitOptions& opts) {
  bool on = opts.cache != 0;
  if (opts.cache < 0) {
    const char* env = std::getenv("REKINDLE_CACHE");
    if (env && std::strcmp(env, "0") == 0) on = false;
  }
  if (!on) return "";
  if (!opts.cache_dir.empty()) return opts.cache_dir;
  if (const char* d = std::getenv("REKINDLE_CACHE_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x)
    return (std::filesystem::path(x) / "rekindle").string();
  if (const char* h = std::getenv("HOME"); h && *h)
    return (std::filesystem::path(h) / ".cache" / "rekindle").string();
  return "";
}

std::unique_ptr<rk::Executor> compile(const ir::Program& program, std::string& error,
                                      const JitOptions& opts, JitStats* stats) {
  // Compile time is about linear in the program's size (the kernel is split into functions,
  // and their row loops into basic blocks, of bounded size): 0.02-0.16 ms of CPU per node
  // depending on the shape of the rules, on a 2-core machine in parallel. Above this bound the
  // JIT declines and the caller runs the interpreter, so no rule file can make a run compile
  // for minutes.
  if (program.nodes.size() > kMaxJitNodes) {
    error = fmt::format(
        "the rules have {} IR nodes; above {} the JIT's compile time is not bounded, so they run "
        "on the interpreter",
        program.nodes.size(), kMaxJitNodes);
    return nullptr;
  }
  const auto start = Clock::now();
  if (!ir::validate(program, error)) return nullptr;
  const ir::Program narrow = narrow_program(program);
  const KernelPlan plan = plan_kernel(narrow, limits_of(opts));
  std::vector<std::string> symbols;
  for (size_t i = 0; i < plan.parts.size(); ++i) symbols.push_back(part_symbol(i));
  JitStats local;
  local.parts = plan.parts.size();
  std::string dir = opts.dump_ir ? "" : cache_directory(opts);
  if (!dir.empty() && !prepare_cache_folder(dir, local.cache_warning)) dir.clear();
  std::string path, key;
  std::vector<std::string> objects;
  if (!dir.empty()) {
    key = cache_key_text(program, opts);
    path = (std::filesystem::path(dir) / (compat::sha256_hex(key) + ".o")).string();
    std::string payload;
    if (read_entry(path, key, payload) && unpack_objects(payload, plan.parts.size(), objects)) {
      const auto t_load = Clock::now();
      local.cache_ms = ms_between(start, t_load);
      std::string load_error;
      if (auto code = compat::load_objects(objects, symbols, load_error)) {
        const auto done = Clock::now();
        local.cache_hit = true;
        local.machine_code_ms = ms_between(t_load, done);
        local.total_ms = ms_between(start, done);
        if (stats) *stats = local;
        return std::make_unique<JitExecutor>(std::move(code), plan, program);
      }
      // An entry that does not load is rebuilt below and replaced.
    }
  }
  const auto t_build = Clock::now();
  const double key_ms = ms_between(start, t_build);
  if (!compile_parts(narrow, plan, opts, objects, error, local)) return nullptr;
  const double cpu_load = thread_cpu_ms();
  std::unique_ptr<compat::LoadedCode> code = compat::load_objects(objects, symbols, error);
  if (!code) return nullptr;
  const auto t_loaded = Clock::now();
  local.link_ms = thread_cpu_ms() - cpu_load;
  local.machine_code_ms += local.link_ms;
  if (!dir.empty()) write_entry(dir, path, key, pack_objects(objects));
  const auto done = Clock::now();
  local.cache_ms = dir.empty() ? 0 : key_ms + ms_between(t_loaded, done);
  local.total_ms = ms_between(start, done);
  if (stats) *stats = local;
  return std::make_unique<JitExecutor>(std::move(code), plan, program);
}

std::string llvm_ir(const ir::Program& program, const JitOptions& opts) {
  std::string error;
  if (!ir::validate(program, error)) return "error: " + error;
  const ir::Program narrow = narrow_program(program);
  const KernelPlan plan = plan_kernel(narrow, limits_of(opts));
  std::string text;
  for (size_t i = 0; i < plan.parts.size(); ++i) {
    llvm::LLVMContext context;
    std::unique_ptr<llvm::Module> module =
        optimized_module(narrow, plan, i, context, opts, error, nullptr, nullptr);
    if (!module) return "error: " + error;
    text += compat::module_text(*module);
  }
  return text;
}

}  // namespace rk::jit
