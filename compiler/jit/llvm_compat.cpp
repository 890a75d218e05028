// Rekindle JIT: LLVM-version-specific glue (LLVM 14). The process-wide ORC LLJIT, host target
// detection, the optimization pipeline and small type/intrinsic helpers live here and nowhere
// else, so an LLVM upgrade edits this one file.
#include "compiler/jit/llvm_compat.h"

#include <llvm/ADT/StringMap.h>
#include <llvm/Analysis/CGSCCPassManager.h>
#include <llvm/Analysis/LoopAnalysisManager.h>
#include <llvm/Config/llvm-config.h>
#include <llvm/ExecutionEngine/Orc/CompileUtils.h>
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/DerivedTypes.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/PassManager.h>
#include <llvm/IR/Verifier.h>
#include <llvm/MC/SubtargetFeature.h>
#include <llvm/Passes/OptimizationLevel.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/CommandLine.h>
#include <llvm/Support/Error.h>
#include <llvm/Support/Host.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/SHA256.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Transforms/InstCombine/InstCombine.h>
#include <llvm/Transforms/Scalar/EarlyCSE.h>
#include <llvm/Transforms/Scalar/LICM.h>
#include <llvm/Transforms/Scalar/LoopPassManager.h>
#include <llvm/Transforms/Scalar/SROA.h>
#include <llvm/Transforms/Scalar/SimplifyCFG.h>
#include <llvm/Transforms/Vectorize/LoopVectorize.h>

#include <atomic>
#include <cstdlib>

namespace rk::jit::compat {

namespace {

std::string to_string(llvm::Error err) {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::logAllUnhandledErrors(std::move(err), os);
  os.flush();
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

// Instruction selection and scheduling effort. Less (-O1) keeps the vector code the optimizer
// produced and costs far less than Aggressive on large straight-line loop bodies.
// RK_JIT_CODEGEN_LEVEL=0..3 overrides it (for measurements).
llvm::CodeGenOpt::Level codegen_level() {
  const char* env = std::getenv("RK_JIT_CODEGEN_LEVEL");
  const int level = env && *env >= '0' && *env <= '3' ? *env - '0' : 1;
  switch (level) {
    case 0:
      return llvm::CodeGenOpt::None;
    case 1:
      return llvm::CodeGenOpt::Less;
    case 2:
      return llvm::CodeGenOpt::Default;
    default:
      return llvm::CodeGenOpt::Aggressive;
  }
}

// The host target, detected once: triple, CPU name and features (sys::getHostCPUName and
// sys::getHostCPUFeatures), and the JITTargetMachineBuilder every TargetMachine is made from.
struct HostTarget {
  bool ok = false;
  std::string error;
  std::string cpu;
  std::string features;
  std::unique_ptr<llvm::orc::JITTargetMachineBuilder> builder;
  std::string data_layout;
  std::string triple;
};

const HostTarget& host_target() {
  static const HostTarget host = [] {
    HostTarget h;
    if (llvm::InitializeNativeTarget() || llvm::InitializeNativeTargetAsmPrinter()) {
      h.error = "LLVM has no native target for this host";
      return h;
    }
    auto detected = llvm::orc::JITTargetMachineBuilder::detectHost();
    if (!detected) {
      h.error = to_string(detected.takeError());
      return h;
    }
    h.builder = std::make_unique<llvm::orc::JITTargetMachineBuilder>(std::move(*detected));
    h.cpu = llvm::sys::getHostCPUName().str();
    llvm::SubtargetFeatures features;
    llvm::StringMap<bool> host_features;
    if (llvm::sys::getHostCPUFeatures(host_features))
      for (auto& f : host_features) features.AddFeature(f.first(), f.second);
    h.features = features.getString();
    // Loop strength reduction is a fifth of instruction selection's time on the kernel and buys
    // nothing on its 64-iteration row loop with unit-stride addressing; LLVM only offers it as
    // a process-wide option. RK_JIT_LSR=1 keeps it (for measurements).
    if (!std::getenv("RK_JIT_LSR")) {
      auto& options = llvm::cl::getRegisteredOptions();
      if (auto it = options.find("disable-lsr"); it != options.end())
        if (auto* opt = static_cast<llvm::cl::opt<bool>*>(it->second)) opt->setValue(true);
    }
    h.builder->setCPU(h.cpu);
    h.builder->getFeatures() = features;
    h.builder->setCodeGenOptLevel(codegen_level());
    auto layout = h.builder->getDefaultDataLayoutForTarget();
    if (!layout) {
      h.error = to_string(layout.takeError());
      return h;
    }
    h.data_layout = layout->getStringRepresentation();
    h.triple = h.builder->getTargetTriple().str();
    h.ok = true;
    return h;
  }();
  return host;
}

// The process-wide engine: one LLJIT, created on first use and never destroyed (executors may
// outlive static destruction order). It links object files; each kernel gets a JITDylib of its
// own, so every kernel may define the same symbol and a cached object is position independent
// of the process that wrote it.
struct Engine {
  std::unique_ptr<llvm::orc::LLJIT> jit;
  std::string error;
};

Engine& engine() {
  static Engine* const instance = [] {
    auto* e = new Engine;
    const HostTarget& host = host_target();
    if (!host.ok) {
      e->error = host.error;
      return e;
    }
    // Kernels arrive as object files (compiled by emit_object or read from the object cache), so
    // the LLJIT only links them.
    auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(*host.builder).create();
    if (!jit) {
      e->error = "cannot create the LLVM JIT: " + to_string(jit.takeError());
      return e;
    }
    // Generated code may call memset/memcpy (e.g. a constant output column becomes a memset).
    auto process = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
        (*jit)->getDataLayout().getGlobalPrefix());
    if (!process) {
      e->error = "cannot create the LLVM JIT: " + to_string(process.takeError());
      return e;
    }
    (*jit)->getMainJITDylib().addGenerator(std::move(*process));
    e->jit = std::move(*jit);
    return e;
  }();
  return *instance;
}

class OrcLoadedCode final : public LoadedCode {
 public:
  OrcLoadedCode(llvm::orc::ExecutionSession& session, llvm::orc::JITDylib& dylib, uint64_t address)
      : session_(session), dylib_(dylib), address_(address) {}
  ~OrcLoadedCode() override {
    if (llvm::Error err = session_.removeJITDylib(dylib_)) llvm::consumeError(std::move(err));
  }
  uint64_t address() const override { return address_; }

 private:
  llvm::orc::ExecutionSession& session_;
  llvm::orc::JITDylib& dylib_;
  uint64_t address_;
};

// A TargetMachine for the host, one per thread (creating one costs about a millisecond; a
// TargetMachine must not be used by two threads at once).
llvm::TargetMachine* thread_target_machine(std::string& error) {
  thread_local std::unique_ptr<llvm::TargetMachine> tm;
  if (tm) return tm.get();
  const HostTarget& host = host_target();
  if (!host.ok) {
    error = host.error;
    return nullptr;
  }
  auto made = host.builder->createTargetMachine();
  if (!made) {
    error = to_string(made.takeError());
    return nullptr;
  }
  tm = std::move(*made);
  return tm.get();
}

}  // namespace

bool prepare_module(llvm::Module& module, std::string& error) {
  const HostTarget& host = host_target();
  if (!host.ok) {
    error = host.error;
    return false;
  }
  module.setTargetTriple(host.triple);
  module.setDataLayout(host.data_layout);
  return true;
}

void set_host_attributes(llvm::Function& fn) {
  const HostTarget& host = host_target();
  if (!host.ok) return;
  fn.addFnAttr("target-cpu", host.cpu);
  fn.addFnAttr("target-features", host.features);
  // The vector width follows the host (512 bits with AVX-512). 256-bit vectors cut the back
  // end's time by ~10% but the playbook's throughput by ~30% on Zen 4, so they are not the
  // default; RK_JIT_VECTOR_WIDTH=256 selects them (for measurements).
  const char* width = std::getenv("RK_JIT_VECTOR_WIDTH");
  if (width && *width) fn.addFnAttr("prefer-vector-width", width);
}

bool optimize(llvm::Module& module, int opt_level, std::string& error) {
  const HostTarget& host = host_target();
  if (!host.ok) {
    error = host.error;
    return false;
  }
  llvm::TargetMachine* tm = thread_target_machine(error);
  if (!tm) return false;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = true;
  tuning.SLPVectorization = true;
  tuning.LoopUnrolling = true;
  llvm::PassBuilder builder(tm, tuning);
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  builder.registerModuleAnalyses(mam);
  builder.registerCGSCCAnalyses(cgam);
  builder.registerFunctionAnalyses(fam);
  builder.registerLoopAnalyses(lam);
  builder.crossRegisterProxies(lam, fam, cgam, mam);

  llvm::OptimizationLevel level = llvm::OptimizationLevel::O2;
  switch (opt_level <= 0 ? 0 : opt_level >= 3 ? 3 : opt_level) {
    case 0:
      level = llvm::OptimizationLevel::O0;
      break;
    case 1:
      level = llvm::OptimizationLevel::O1;
      break;
    case 2:
      level = llvm::OptimizationLevel::O2;
      break;
    default:
      level = llvm::OptimizationLevel::O3;
      break;
  }
  llvm::ModulePassManager passes;
  const char* pipeline = std::getenv("RK_JIT_PIPELINE");
  const bool full = pipeline && std::string(pipeline) == "default";
  if (level == llvm::OptimizationLevel::O0) {
    passes = builder.buildO0DefaultPipeline(level);
  } else if (full) {
    passes = builder.buildPerModuleDefaultPipeline(level);
  } else {
    // The lean pipeline: the kernel is one function whose row loop is straight-line code of
    // selects over loads, so it needs promotion, CSE, peephole and CFG cleanup, loop-invariant
    // hoisting and the loop vectorizer, not the default pipeline's inliner, interprocedural
    // passes and repeated rounds (which cost ~5x the time for the same vector body).
    // RK_JIT_PIPELINE=default selects the default per-module pipeline (for measurements).
    llvm::FunctionPassManager fpm;
    fpm.addPass(llvm::SROAPass());
    fpm.addPass(llvm::EarlyCSEPass(/*UseMemorySSA=*/false));
    fpm.addPass(llvm::InstCombinePass());
    fpm.addPass(llvm::SimplifyCFGPass());
    fpm.addPass(llvm::createFunctionToLoopPassAdaptor(llvm::LICMPass(), /*UseMemorySSA=*/true,
                                                      /*UseBlockFrequencyInfo=*/false));
    fpm.addPass(llvm::LoopVectorizePass(llvm::LoopVectorizeOptions(
        /*InterleaveOnlyWhenForced=*/false, /*VectorizeOnlyWhenForced=*/false)));
    fpm.addPass(llvm::EarlyCSEPass(/*UseMemorySSA=*/false));
    fpm.addPass(llvm::InstCombinePass());
    fpm.addPass(llvm::SimplifyCFGPass(llvm::SimplifyCFGOptions().hoistCommonInsts(true)));
    passes.addPass(llvm::createModuleToFunctionPassAdaptor(std::move(fpm)));
  }
  passes.run(module, mam);
  return true;
}

std::string host_identity() {
  const HostTarget& host = host_target();
  return std::string("llvm " LLVM_VERSION_STRING "\n") + host.triple + "\n" + host.cpu + "\n" +
         host.features + "\n" + std::to_string(static_cast<int>(codegen_level()));
}

bool emit_object(llvm::Module& module, std::string& object, std::string& error) {
  llvm::TargetMachine* tm = thread_target_machine(error);
  if (!tm) return false;
  llvm::orc::SimpleCompiler compiler(*tm);
  auto buffer = compiler(module);
  if (!buffer) {
    error = "cannot compile the kernel: " + to_string(buffer.takeError());
    return false;
  }
  object.assign((*buffer)->getBufferStart(), (*buffer)->getBufferSize());
  return true;
}

std::unique_ptr<LoadedCode> load_object(const std::string& object, const std::string& symbol,
                                        std::string& error) {
  Engine& e = engine();
  if (!e.jit) {
    error = e.error;
    return nullptr;
  }
  static std::atomic<uint64_t> counter{0};
  llvm::orc::ExecutionSession& session = e.jit->getExecutionSession();
  llvm::orc::JITDylib& dylib =
      session.createBareJITDylib("rk_kernel_" + std::to_string(counter.fetch_add(1)));
  // memset/memcpy and other process symbols resolve through the main JITDylib's generator.
  dylib.addToLinkOrder(e.jit->getMainJITDylib());
  auto fail = [&](const std::string& what, llvm::Error err) -> std::unique_ptr<LoadedCode> {
    error = what + to_string(std::move(err));
    if (llvm::Error rm = session.removeJITDylib(dylib)) llvm::consumeError(std::move(rm));
    return nullptr;
  };
  auto buffer = llvm::MemoryBuffer::getMemBufferCopy(llvm::StringRef(object), "rk_kernel.o");
  if (llvm::Error err = e.jit->addObjectFile(dylib, std::move(buffer)))
    return fail("cannot load the kernel: ", std::move(err));
  auto sym = e.jit->lookup(dylib, symbol);
  if (!sym) return fail("cannot link the kernel: ", sym.takeError());
  return std::make_unique<OrcLoadedCode>(session, dylib, sym->getAddress());
}

std::string sha256_hex(const std::string& data) {
  const auto digest = llvm::SHA256::hash(
      llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
  static const char* const hex = "0123456789abcdef";
  std::string out;
  for (uint8_t byte : digest) {
    out += hex[byte >> 4];
    out += hex[byte & 15];
  }
  return out;
}

llvm::PointerType* pointer_to(llvm::Type* elem) {
  return llvm::PointerType::get(elem, 0);
}

llvm::Function* intrinsic(llvm::Module& module, unsigned id, llvm::ArrayRef<llvm::Type*> types) {
  return llvm::Intrinsic::getDeclaration(&module, static_cast<llvm::Intrinsic::ID>(id), types);
}

std::string module_text(const llvm::Module& module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  module.print(os, nullptr);
  os.flush();
  return text;
}

bool verify(const llvm::Module& module, std::string& error) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (llvm::verifyModule(module, &os)) {
    os.flush();
    error = "invalid LLVM IR: " + text;
    return false;
  }
  return true;
}

}  // namespace rk::jit::compat
