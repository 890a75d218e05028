// Rekindle CLI: the subcommand registry. Each cli/cmd_*.cpp registers its subcommand with
// RK_COMMAND; main.cpp builds the CLI11 app from the registry and runs the chosen one.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace rk::cli {

// Exit codes shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFindings = 1;  // errors in rule files or data, failed tests, ...
inline constexpr int kExitUsage = 2;     // bad flags, unreadable files

struct Command {
  std::string name;
  // Adds the subcommand to `app` and returns the function that runs it (its exit code).
  std::function<std::function<int()>(CLI::App& app)> setup;
};

std::vector<Command>& command_registry();

struct CommandRegistrar {
  explicit CommandRegistrar(Command c) { command_registry().push_back(std::move(c)); }
};

#define RK_COMMAND(ident, name, setup_fn)                 \
  static ::rk::cli::CommandRegistrar rk_command_##ident { \
    ::rk::cli::Command {                                  \
      name, setup_fn                                      \
    }                                                     \
  }

}  // namespace rk::cli
