// Rekindle JIT: LLVM-version-specific glue (LLVM 14). The process-wide ORC LLJIT, host target
// detection, the optimization pipeline and small type/intrinsic helpers live here and nowhere
// else, so an LLVM upgrade edits this one file.
#include "compiler/jit/llvm_compat.h"

#include <llvm/ADT/StringMap.h>
#include <llvm/Analysis/CGSCCPassManager.h>
#include <llvm/Analysis/LoopAnalysisManager.h>
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
#include <llvm/Support/Error.h>
#include <llvm/Support/Host.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>

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
    h.builder->setCPU(h.cpu);
    h.builder->getFeatures() = features;
    h.builder->setCodeGenOptLevel(llvm::CodeGenOpt::Aggressive);
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
// outlive static destruction order). Machine code is compiled with ConcurrentIRCompiler, which
// makes a TargetMachine per module, so compile() may run on several threads at once.
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
    auto jit =
        llvm::orc::LLJITBuilder()
            .setJITTargetMachineBuilder(*host.builder)
            .setCompileFunctionCreator(
                [](llvm::orc::JITTargetMachineBuilder jtmb)
                    -> llvm::Expected<std::unique_ptr<llvm::orc::IRCompileLayer::IRCompiler>> {
                  return std::make_unique<llvm::orc::ConcurrentIRCompiler>(std::move(jtmb));
                })
            .create();
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
  OrcLoadedCode(llvm::orc::ResourceTrackerSP tracker, uint64_t address)
      : tracker_(std::move(tracker)), address_(address) {}
  ~OrcLoadedCode() override {
    if (llvm::Error err = tracker_->remove()) llvm::consumeError(std::move(err));
  }
  uint64_t address() const override { return address_; }

 private:
  llvm::orc::ResourceTrackerSP tracker_;
  uint64_t address_;
};

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
}

bool optimize(llvm::Module& module, int opt_level, std::string& error) {
  const HostTarget& host = host_target();
  if (!host.ok) {
    error = host.error;
    return false;
  }
  auto tm = host.builder->createTargetMachine();
  if (!tm) {
    error = to_string(tm.takeError());
    return false;
  }
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = true;
  tuning.SLPVectorization = true;
  tuning.LoopUnrolling = true;
  llvm::PassBuilder builder(tm->get(), tuning);
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
  llvm::ModulePassManager passes = level == llvm::OptimizationLevel::O0
                                       ? builder.buildO0DefaultPipeline(level)
                                       : builder.buildPerModuleDefaultPipeline(level);
  passes.run(module, mam);
  return true;
}

std::unique_ptr<LoadedCode> load(std::unique_ptr<llvm::LLVMContext> context,
                                 std::unique_ptr<llvm::Module> module, const std::string& symbol,
                                 std::string& error) {
  Engine& e = engine();
  if (!e.jit) {
    error = e.error;
    return nullptr;
  }
  llvm::orc::JITDylib& dylib = e.jit->getMainJITDylib();
  llvm::orc::ResourceTrackerSP tracker = dylib.createResourceTracker();
  llvm::orc::ThreadSafeModule tsm(std::move(module), std::move(context));
  if (llvm::Error err = e.jit->addIRModule(tracker, std::move(tsm))) {
    error = "cannot add the kernel to the JIT: " + to_string(std::move(err));
    if (llvm::Error rm = tracker->remove()) llvm::consumeError(std::move(rm));
    return nullptr;
  }
  auto sym = e.jit->lookup(dylib, symbol);
  if (!sym) {
    error = "cannot compile the kernel: " + to_string(sym.takeError());
    if (llvm::Error rm = tracker->remove()) llvm::consumeError(std::move(rm));
    return nullptr;
  }
  return std::make_unique<OrcLoadedCode>(std::move(tracker), sym->getAddress());
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
