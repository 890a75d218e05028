// Rekindle fuzzing: the parser and the checker on arbitrary bytes. The text is compiled as
// rules/fuzz.rules, so `import "customer.schema"` finds the playbook schema and the checker and
// the IR lowering run too. Every input must end in a program or in diagnostics, never a crash.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "compiler/check/compile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  // Imports of device files (/dev/zero, /dev/stdin, /proc/...) would read forever: that is a known
  // problem of SourceSet::load (see docs/reliability.md), not worth rediscovering on every run.
  if (text.find("/dev") != std::string::npos || text.find("/proc") != std::string::npos ||
      text.find("/sys") != std::string::npos)
    return 0;
  rk::CompileResult r =
      rk::compile_rules_text(std::string(RK_SOURCE_DIR) + "/rules/fuzz.rules", std::move(text));
  if (!r.program && r.diags.empty()) std::abort();  // a failure must say why
  return 0;
}
