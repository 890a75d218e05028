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
#include <llvm/IR/Constants.h>
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
    // Process-wide LLVM options (LLVM offers no other way to set them):
    // - loop strength reduction buys nothing on the kernels' short unit-stride loops (and was a
    //   fifth of the back end's time on the former vectorized loop); RK_JIT_LSR=1 keeps it;
    // - the X86 machine combiner (reassociation) and domain reassignment (moving i8 logic to
    //   mask registers) take time superlinear in a function's size (a fifth of the back end on
    //   50,000 nodes) and did not change the playbook's machine code or throughput.
    auto& options = llvm::cl::getRegisteredOptions();
    auto set_bool = [&](const char* name, bool value) {
      if (auto it = options.find(name); it != options.end())
        if (auto* opt = static_cast<llvm::cl::opt<bool>*>(it->second)) opt->setValue(value);
    };
    if (!std::getenv("RK_JIT_LSR")) set_bool("disable-lsr", true);
    set_bool("x86-machine-combiner", false);
    set_bool("disable-x86-domain-reassignment", true);
    // RK_JIT_LLVM_ARGS: more process-wide LLVM options, as for `llc` (for measurements).
    if (const char* args = std::getenv("RK_JIT_LLVM_ARGS")) {
      static std::vector<std::string> words;
      std::string word;
      for (const char* c = args;; ++c) {
        if (*c == ' ' || *c == 0) {
          if (!word.empty()) words.push_back(word);
          word.clear();
          if (*c == 0) break;
        } else {
          word += *c;
        }
      }
      std::vector<const char*> argv{"rekindle"};
      for (const std::string& w : words) argv.push_back(w.c_str());
      llvm::cl::ParseCommandLineOptions(static_cast<int>(argv.size()), argv.data());
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

// Errors the ORC session reports on this thread instead of returning them (e.g. a failed mprotect
// while finalizing a kernel's memory: "Permission denied"). ORC would print them to stderr as
// "JIT session error: ..."; load_objects adds them to its error message instead, so the user sees
// only the caller's one warning. With the LLJIT's default in-place dispatch, linking reports on the
// thread that called load_objects; a report from any other thread is dropped.
thread_local std::string session_errors;

void report_session_error(llvm::Error err) {
  std::string text = to_string(std::move(err));
  if (text.empty()) return;
  if (!session_errors.empty()) session_errors += "; ";
  session_errors += text;
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
    (*jit)->getExecutionSession().setErrorReporter(report_session_error);
    e->jit = std::move(*jit);
    return e;
  }();
  return *instance;
}

class OrcLoadedCode final : public LoadedCode {
 public:
  OrcLoadedCode(llvm::orc::ExecutionSession& session, llvm::orc::JITDylib& dylib,
                std::vector<uint64_t> addresses)
      : session_(session), dylib_(dylib), addresses_(std::move(addresses)) {}
  ~OrcLoadedCode() override {
    if (llvm::Error err = session_.removeJITDylib(dylib_)) llvm::consumeError(std::move(err));
  }
  const std::vector<uint64_t>& addresses() const override { return addresses_; }

 private:
  llvm::orc::ExecutionSession& session_;
  llvm::orc::JITDylib& dylib_;
  std::vector<uint64_t> addresses_;
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
  if (opt_level <= 0) return true;
  // The kernels are vector code already, straight-line selects over loads with the invariants
  // hoisted by construction: of the default pipeline (inliner, loop vectorizer, rounds of
  // InstCombine, ...) only one InstCombine pays for itself (it folds the Kleene logic of ranges
  // and shared presence: +25% throughput for ~15% of the compile time).
  // RK_JIT_PIPELINE=default runs the default per-module pipeline at `opt_level`, any other value
  // is a textual pass pipeline (`opt -passes=` syntax); both for measurements.
  const char* pipeline = std::getenv("RK_JIT_PIPELINE");
  llvm::TargetMachine* tm = thread_target_machine(error);
  if (!tm) return false;
  llvm::PassBuilder builder(tm);
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  builder.registerModuleAnalyses(mam);
  builder.registerCGSCCAnalyses(cgam);
  builder.registerFunctionAnalyses(fam);
  builder.registerLoopAnalyses(lam);
  builder.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager passes;
  if (pipeline && std::string(pipeline) == "default") {
    const llvm::OptimizationLevel level = opt_level == 1   ? llvm::OptimizationLevel::O1
                                          : opt_level == 2 ? llvm::OptimizationLevel::O2
                                                           : llvm::OptimizationLevel::O3;
    passes = builder.buildPerModuleDefaultPipeline(level);
  } else if (pipeline && *pipeline) {
    if (llvm::Error err = builder.parsePassPipeline(passes, pipeline)) {
      error = "RK_JIT_PIPELINE: " + to_string(std::move(err));
      return false;
    }
  } else {
    llvm::FunctionPassManager fpm;
    fpm.addPass(llvm::InstCombinePass(/*MaxIterations=*/1));
    passes.addPass(llvm::createModuleToFunctionPassAdaptor(std::move(fpm)));
  }
  passes.run(module, mam);
  return true;
}

unsigned vector_lanes() {
  static const unsigned lanes = [] {
    const HostTarget& host = host_target();
    const std::string features = "," + host.features + ",";
    auto has = [&](const char* f) {
      return features.find(std::string(",+") + f + ",") != std::string::npos;
    };
    const char* env = std::getenv("RK_JIT_VECTOR_WIDTH");
    const int width = env && *env ? std::atoi(env) : 512;
    if (has("avx512f") && width >= 512) return 8u;
    if (has("avx2") && width >= 256) return 4u;
    return 2u;
  }();
  return lanes;
}

std::string host_identity() {
  const HostTarget& host = host_target();
  const char* pipeline = std::getenv("RK_JIT_PIPELINE");
  const char* args = std::getenv("RK_JIT_LLVM_ARGS");
  return std::string("llvm " LLVM_VERSION_STRING "\n") + host.triple + "\n" + host.cpu + "\n" +
         host.features + "\n" + std::to_string(static_cast<int>(codegen_level())) + "\nlanes " +
         std::to_string(vector_lanes()) + "\npipeline " + (pipeline ? pipeline : "") + "\nlsr " +
         (std::getenv("RK_JIT_LSR") ? "1" : "0") + "\nargs " + (args ? args : "");
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

void warm_up_engine() {
  engine();
}

std::unique_ptr<LoadedCode> load_objects(const std::vector<std::string>& objects,
                                         const std::vector<std::string>& symbols,
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
  session_errors.clear();
  auto fail = [&](const std::string& what, llvm::Error err) -> std::unique_ptr<LoadedCode> {
    // The session's report names the cause ("Permission denied"); the returned error only says
    // which symbols failed to materialize.
    error =
        what + (session_errors.empty() ? "" : session_errors + ": ") + to_string(std::move(err));
    session_errors.clear();
    if (llvm::Error rm = session.removeJITDylib(dylib)) llvm::consumeError(std::move(rm));
    return nullptr;
  };
  for (size_t i = 0; i < objects.size(); ++i) {
    auto buffer = llvm::MemoryBuffer::getMemBufferCopy(llvm::StringRef(objects[i]),
                                                       "rk_part_" + std::to_string(i) + ".o");
    if (llvm::Error err = e.jit->addObjectFile(dylib, std::move(buffer)))
      return fail("cannot load the kernel: ", std::move(err));
  }
  std::vector<uint64_t> addresses;
  for (const std::string& symbol : symbols) {
    auto sym = e.jit->lookup(dylib, symbol);
    if (!sym) return fail("cannot link the kernel: ", sym.takeError());
    addresses.push_back(sym->getAddress());
  }
  return std::make_unique<OrcLoadedCode>(session, dylib, std::move(addresses));
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

llvm::Type* vector_of(llvm::Type* elem, unsigned lanes) {
  return llvm::FixedVectorType::get(elem, lanes);
}

llvm::Constant* splat(llvm::Constant* c, unsigned lanes) {
  return llvm::ConstantVector::getSplat(llvm::ElementCount::getFixed(lanes), c);
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
