// Rekindle CLI: small helpers shared by subcommands (flag parsing, dates, errors).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rk {
class DataErrors;
}

namespace rk::cli {

// Parses `--param NAME=VALUE` flags; prints an error and returns false on a malformed one.
bool parse_params(const std::vector<std::string>& in, std::map<std::string, std::string>& out);
// Parses `--as-of` (YYYY-MM-DD); empty means today (UTC). Prints an error on failure.
std::optional<int32_t> parse_as_of(const std::string& text);
// Prints `rekindle: error: MESSAGE` to standard error.
void print_error(const std::string& message);
// After a read failed: every bad row the reader reported into `bad` (and their count), or else
// `message`.
void print_read_errors(const DataErrors& bad, const std::string& message);

}  // namespace rk::cli
