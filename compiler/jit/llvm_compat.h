// Rekindle JIT: the only file set that calls LLVM APIs which change between LLVM releases (ORC
// engine construction, host target detection, the new pass manager pipeline, pointer types,
// intrinsic declarations). Internal to compiler/jit; an LLVM upgrade touches llvm_compat.cpp only.
#pragma once

#include <llvm/ADT/ArrayRef.h>

#include <cstdint>
#include <memory>
#include <string>

namespace llvm {
class Function;
class LLVMContext;
class Module;
class PointerType;
class Type;
}  // namespace llvm

namespace rk::jit::compat {

// Machine code of one module loaded into the process-wide engine (one ORC ResourceTracker).
// Destroying it frees the code and its data.
class LoadedCode {
 public:
  virtual ~LoadedCode() = default;
  // Address of the looked-up kernel symbol.
  virtual uint64_t address() const = 0;
};

// Sets the host triple and data layout on `module`. Fails when the native target is unavailable.
bool prepare_module(llvm::Module& module, std::string& error);

// Marks `fn` for the host CPU ("target-cpu", "target-features") so the optimizer's cost models
// (vector widths) match the machine code.
void set_host_attributes(llvm::Function& fn);

// Runs the new-pass-manager default pipeline at `opt_level` (0..3) with loop and SLP
// vectorization enabled, using the host target's cost model.
bool optimize(llvm::Module& module, int opt_level, std::string& error);

// Identifies the machine code this host produces, for cache keys: the LLVM version, the target
// triple, the host CPU name and its features.
std::string host_identity();

// Compiles the (optimized) `module` to a relocatable object file for the host, in memory.
bool emit_object(llvm::Module& module, std::string& object, std::string& error);

// Loads an object file holding the external function `symbol` into a fresh JITDylib of the
// process-wide LLJIT (created on first use, thread-safe) and resolves it. Returns null and sets
// `error` when the engine cannot be created or linking fails.
std::unique_ptr<LoadedCode> load_object(const std::string& object, const std::string& symbol,
                                        std::string& error);

// The SHA-256 of `data` as 64 lowercase hex digits.
std::string sha256_hex(const std::string& data);

// A pointer to `elem` in address space 0 (typed in LLVM 14, opaque `ptr` from LLVM 15 on).
llvm::PointerType* pointer_to(llvm::Type* elem);

// The declaration of intrinsic `id` (an llvm::Intrinsic::ID) overloaded on `types`.
llvm::Function* intrinsic(llvm::Module& module, unsigned id, llvm::ArrayRef<llvm::Type*> types);

// `module` as LLVM assembly text.
std::string module_text(const llvm::Module& module);

// Checks `module` with the LLVM verifier; sets `error` to the verifier's message on failure.
bool verify(const llvm::Module& module, std::string& error);

}  // namespace rk::jit::compat
