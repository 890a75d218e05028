// Rekindle JIT: compile() and llvm_ir(): rk IR -> LLVM IR (kernel_codegen) -> optimized IR ->
// an object file (llvm_compat) -> linked into the process-wide ORC engine, wrapped as an
// rk::Executor that owns the code. Object files are cached on disk, keyed by the program's dump,
// the LLVM version, the host CPU and features, the options and this build of the code generator.
#include "compiler/jit/jit.h"

#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "compiler/jit/kernel_codegen.h"
#include "compiler/jit/llvm_compat.h"

namespace rk::jit {

namespace {

// Every kernel lives in a JITDylib of its own, so all share one symbol name.
constexpr const char* kSymbol = "rk_kernel";

class JitExecutor final : public rk::Executor {
 public:
  JitExecutor(std::unique_ptr<compat::LoadedCode> code)
      : code_(std::move(code)), kernel_(reinterpret_cast<RkKernelFn>(code_->address())) {}

  void run(const RkBatchView& batch, const RkResultView& results, int64_t begin,
           int64_t end) const override {
    kernel_(&batch, &results, begin, end);
  }
  std::string_view name() const override { return "jit"; }

 private:
  std::unique_ptr<compat::LoadedCode> code_;
  RkKernelFn kernel_;
};

using Clock = std::chrono::steady_clock;
double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// Builds and optimizes the kernel module; returns null and sets `error` on failure.
std::unique_ptr<llvm::Module> optimized_module(const ir::Program& program,
                                               llvm::LLVMContext& context, const JitOptions& opts,
                                               std::string& error, JitStats* stats) {
  const auto t0 = Clock::now();
  std::unique_ptr<llvm::Module> module = build_kernel_module(program, kSymbol, context, error);
  if (!module) return nullptr;
  const auto t1 = Clock::now();
  if (!compat::optimize(*module, opts.opt_level, error)) return nullptr;
  const auto t2 = Clock::now();
  if (stats) {
    stats->codegen_ms = ms_between(t0, t1);
    stats->optimize_ms = ms_between(t1, t2);
  }
  if (opts.dump_ir) std::fputs(compat::module_text(*module).c_str(), stderr);
  return module;
}

// ---- The object cache -------------------------------------------------------------------
//
// One file per kernel, <sha256 of the key>.o, holding a header and the object file:
//   "RKOBJ001" | payload size (8 bytes, little endian) | SHA-256 of the payload (32 bytes) |
//   payload
// An entry whose header, size or digest does not match (truncated, corrupt, another format) is
// ignored and rebuilt. Entries are written to a unique temporary file in the folder and renamed
// into place, so concurrent runs never see a partial entry (the last rename wins; all are equal).

constexpr char kMagic[8] = {'R', 'K', 'O', 'B', 'J', '0', '0', '1'};
constexpr size_t kHeader = 8 + 8 + 32;

// Changes whenever this file set is rebuilt: a new code generator never reuses old objects.
constexpr const char* kBuildId = __DATE__ " " __TIME__;

std::string hex_to_bytes(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

std::string cache_key(const ir::Program& program, const JitOptions& opts) {
  std::string text = "rekindle jit object cache 1\n";
  text += kBuildId;
  text += "\n" + compat::host_identity() + "\nopt " + std::to_string(opts.opt_level) + "\n";
  text += ir::dump(program);
  return compat::sha256_hex(text);
}

bool read_entry(const std::filesystem::path& path, std::string& object) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.size() < kHeader || std::memcmp(data.data(), kMagic, 8) != 0) return false;
  uint64_t size = 0;
  for (int i = 0; i < 8; ++i) size |= uint64_t{static_cast<uint8_t>(data[8 + i])} << (8 * i);
  if (size != data.size() - kHeader) return false;
  object = data.substr(kHeader);
  return hex_to_bytes(compat::sha256_hex(object)) == data.substr(16, 32);
}

void write_entry(const std::filesystem::path& dir, const std::filesystem::path& path,
                 const std::string& object) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (!std::filesystem::is_directory(dir, ec)) return;  // not a folder: run without caching
  std::string data(kMagic, 8);
  for (int i = 0; i < 8; ++i) data += static_cast<char>((uint64_t{object.size()} >> (8 * i)) & 255);
  data += hex_to_bytes(compat::sha256_hex(object));
  data += object;
  std::random_device rd;
  const std::filesystem::path tmp =
      path.string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(rd());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return;  // a read-only or missing folder: run without caching
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.close();
    if (!out) {
      std::filesystem::remove(tmp, ec);
      return;
    }
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) std::filesystem::remove(tmp, ec);
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
  // LLVM's compile time grows faster than linearly with the size of the one kernel function
  // (about 1 s CPU at 2,000 nodes, 20 s at 4,000). Above this bound the JIT declines and the
  // caller runs the interpreter, so no rule file can make a run compile for minutes.
  if (program.nodes.size() > kMaxJitNodes) {
    error = fmt::format(
        "the rules have {} IR nodes; above {} the JIT's compile time is not bounded, so they run "
        "on the interpreter",
        program.nodes.size(), kMaxJitNodes);
    return nullptr;
  }
  const auto start = Clock::now();
  JitStats local;
  const std::string dir = opts.dump_ir ? "" : cache_directory(opts);
  std::filesystem::path path;
  std::string object;
  if (!dir.empty()) {
    // Validate before trusting a cached object for this program.
    if (!validate_program(program, error)) return nullptr;
    path = std::filesystem::path(dir) / (cache_key(program, opts) + ".o");
    if (read_entry(path, object)) {
      const auto t_load = Clock::now();
      local.cache_ms = ms_between(start, t_load);
      std::string load_error;
      if (auto code = compat::load_object(object, kSymbol, load_error)) {
        const auto done = Clock::now();
        local.cache_hit = true;
        local.machine_code_ms = ms_between(t_load, done);
        local.total_ms = ms_between(start, done);
        if (stats) *stats = local;
        return std::make_unique<JitExecutor>(std::move(code));
      }
      // An entry that does not load is rebuilt below and replaced.
    }
    object.clear();
  }
  const auto t_build = Clock::now();
  const double key_ms = ms_between(start, t_build);
  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> module = optimized_module(program, context, opts, error, &local);
  if (!module) return nullptr;
  const auto t_emit = Clock::now();
  if (!compat::emit_object(*module, object, error)) return nullptr;
  std::unique_ptr<compat::LoadedCode> code = compat::load_object(object, kSymbol, error);
  if (!code) return nullptr;
  const auto t_loaded = Clock::now();
  local.machine_code_ms = ms_between(t_emit, t_loaded);
  if (!dir.empty()) write_entry(dir, path, object);
  const auto done = Clock::now();
  local.cache_ms = dir.empty() ? 0 : key_ms + ms_between(t_loaded, done);
  local.total_ms = ms_between(start, done);
  if (stats) *stats = local;
  return std::make_unique<JitExecutor>(std::move(code));
}

std::string llvm_ir(const ir::Program& program, const JitOptions& opts) {
  llvm::LLVMContext context;
  std::string error;
  JitOptions quiet = opts;
  quiet.dump_ir = false;
  std::unique_ptr<llvm::Module> module = optimized_module(program, context, quiet, error, nullptr);
  if (!module) return "error: " + error;
  return compat::module_text(*module);
}

}  // namespace rk::jit
