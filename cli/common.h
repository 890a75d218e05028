// Rekindle CLI: small helpers shared by subcommands (flag parsing, dates, errors, the session of a
// command that evaluates rules).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/session.h"

namespace rk::cli {

// Parses `--param NAME=VALUE` flags; prints an error and returns false on a malformed one.
bool parse_params(const std::vector<std::string>& in, std::map<std::string, std::string>& out);
// Parses `--as-of` (YYYY-MM-DD); empty means today (UTC). Prints an error on failure.
std::optional<int32_t> parse_as_of(const std::string& text);
// Prints `rekindle: error: MESSAGE` to standard error.
void print_error(const std::string& message);
// The session of a command's `--engine` ("jit" or "interp", checked by CLI11) and `--threads`;
// its warnings are printed as `rekindle: warning: MESSAGE` on standard error.
SessionOptions session_options(const std::string& engine, int threads);

}  // namespace rk::cli
