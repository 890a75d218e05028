// Rekindle JIT: the only file set that calls LLVM APIs which change between LLVM releases (ORC
// engine construction, host target detection, the new pass manager pipeline, pointer types,
// intrinsic declarations). Internal to compiler/jit; an LLVM upgrade touches llvm_compat.cpp only.
#pragma once

#include <llvm/ADT/ArrayRef.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace llvm {
class Constant;
class Function;
class LLVMContext;
class Module;
class PointerType;
class Type;
class Value;
}  // namespace llvm

namespace rk::jit::compat {

// Machine code of object files loaded into the process-wide engine (one JITDylib). Destroying it
// frees the code and its data.
class LoadedCode {
 public:
  virtual ~LoadedCode() = default;
  // Addresses of the looked-up symbols, in the order they were asked for.
  virtual const std::vector<uint64_t>& addresses() const = 0;
};

// Sets the host triple and data layout on `module`. Fails when the native target is unavailable.
bool prepare_module(llvm::Module& module, std::string& error);

// Marks `fn` for the host CPU ("target-cpu", "target-features") so the optimizer's cost models
// (vector widths) match the machine code.
void set_host_attributes(llvm::Function& fn);

// The number of 64-bit lanes of the host's vector registers the kernels use: 8 with AVX-512, 4
// with AVX2 (or RK_JIT_VECTOR_WIDTH=256), else 2.
unsigned vector_lanes();

// Runs the kernel's pass pipeline at `opt_level` (0: none; 1..3: the lean pipeline; with
// RK_JIT_PIPELINE=default the new pass manager's default pipeline at that level).
bool optimize(llvm::Module& module, int opt_level, std::string& error);

// Identifies the machine code this host produces, for cache keys: the LLVM version, the target
// triple, the host CPU name and its features.
std::string host_identity();

// Compiles the (optimized) `module` to a relocatable object file for the host, in memory.
// Thread-safe (one TargetMachine per thread).
bool emit_object(llvm::Module& module, std::string& object, std::string& error);

// Creates the process-wide LLJIT if it does not exist yet (thread-safe; load_objects does it
// too). Called early on another thread, it overlaps the engine's creation with compiling.
void warm_up_engine();

// Loads object files into one fresh JITDylib of the process-wide LLJIT (created on first use,
// thread-safe) and resolves the external functions `symbols` defined in them. Returns null and
// sets `error` when the engine cannot be created or linking fails.
std::unique_ptr<LoadedCode> load_objects(const std::vector<std::string>& objects,
                                         const std::vector<std::string>& symbols,
                                         std::string& error);

// The SHA-256 of `data` as 64 lowercase hex digits.
std::string sha256_hex(const std::string& data);

// A pointer to `elem` in address space 0 (typed in LLVM 14, opaque `ptr` from LLVM 15 on).
llvm::PointerType* pointer_to(llvm::Type* elem);

// The vector type <lanes x elem>.
llvm::Type* vector_of(llvm::Type* elem, unsigned lanes);

// The constant vector with `lanes` copies of `c`.
llvm::Constant* splat(llvm::Constant* c, unsigned lanes);

// The declaration of intrinsic `id` (an llvm::Intrinsic::ID) overloaded on `types`.
llvm::Function* intrinsic(llvm::Module& module, unsigned id, llvm::ArrayRef<llvm::Type*> types);

// `module` as LLVM assembly text.
std::string module_text(const llvm::Module& module);

// Checks `module` with the LLVM verifier; sets `error` to the verifier's message on failure.
bool verify(const llvm::Module& module, std::string& error);

}  // namespace rk::jit::compat
