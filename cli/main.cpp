// Rekindle CLI: entry point. Builds the app from the subcommand registry and runs one.
#include <fmt/format.h>
#include <malloc.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>

#include "cli/command.h"
#include "cli/common.h"
#include "cli/signals.h"
#include "runtime/session.h"

namespace rk::cli {
std::vector<Command>& command_registry() {
  static std::vector<Command> registry;
  return registry;
}
}  // namespace rk::cli

int main(int argc, char** argv) {
  using namespace rk::cli;
  // The evaluator allocates and frees the same few large buffers for every batch (converted
  // columns, encoded results). glibc would hand them back to the kernel each time (mmap above
  // 128 KiB, heap trimming), and every page of the next batch's buffers would fault in again:
  // ~25% of `eval`'s CPU time. Keep freed memory in the process instead; peak memory is unchanged.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  CLI::App app{
      "rekindle: compile and evaluate win-back rules (segments, stops, reviews, sequences) over "
      "customer snapshots"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "rekindle " + std::string(rk::rekindle_version()));
  auto commands = command_registry();
  std::sort(commands.begin(), commands.end(),
            [](const Command& a, const Command& b) { return a.name < b.name; });
  std::map<CLI::App*, std::function<int()>> runners;
  for (auto& c : commands) {
    std::function<int()> run = c.setup(app);
    runners[app.get_subcommand(c.name)] = std::move(run);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  install_signal_handlers();
  for (auto* sub : app.get_subcommands())
    if (auto it = runners.find(sub); it != runners.end()) {
      const int code = it->second();
      // SIGPIPE is ignored (cli/signals.h): output that did not reach standard output (the reader
      // of a pipe went away, a full disk) is an error with a message, never a silent exit 0.
      errno = 0;
      if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
        const int e = errno;
        print_error(e == EPIPE ? "cannot write standard output: the reading end of the pipe "
                                 "was closed (Broken pipe)"
                    : e == 0   ? "cannot write standard output"
                               : fmt::format("cannot write standard output: {}", std::strerror(e)));
        return code == kExitOk ? kExitUsage : code;
      }
      return code;
    }
  return kExitUsage;
}
