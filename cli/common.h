// Rekindle CLI: small helpers shared by subcommands (flag parsing, dates, errors, the session of a
// command that evaluates rules).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "compiler/check/compile.h"
#include "grammar/diagnostics.h"
#include "runtime/data_errors.h"
#include "runtime/output_guard.h"
#include "runtime/session.h"

namespace rk::cli {

// Parses `--param NAME=VALUE` flags; prints an error and returns false on a malformed one or on
// a parameter given twice.
bool parse_params(const std::vector<std::string>& in, std::map<std::string, std::string>& out);
// Parses `--as-of` (YYYY-MM-DD); empty means today (UTC). Prints an error on failure.
std::optional<int32_t> parse_as_of(const std::string& text);
// Prints `rekindle: error: MESSAGE` to standard error.
void print_error(const std::string& message);
// After a read failed: every bad row the reader reported into `bad` (and their count), or else
// `message`.
void print_read_errors(const DataErrors& bad, const std::string& message);
// The inputs of a run for check_outputs(): the snapshot (if any) and every source file read (the
// rule file, its imports and the schema).
std::vector<RunFile> run_inputs(const std::string& snapshot, const SourceSet& sources);
// True (after printing why) when standard output is one of `inputs` (`rekindle ... >> input`):
// the command would append to a file it reads. Callers exit with kExitUsage.
bool stdout_is_an_input(const std::vector<RunFile>& inputs);
// Adds `--root FOLDER` to a subcommand that compiles rules: the folder imports (and a test
// file's rules file) may be read from; by default the folder of the top file.
void add_root_option(CLI::App* sub, std::string& root);
// The session of a command's `--engine` ("jit" or "interp", checked by CLI11) and `--threads`;
// its warnings are printed as `rekindle: warning: MESSAGE` on standard error.
SessionOptions session_options(const std::string& engine, int threads);

// Options shared by the commands that evaluate rules, each added where the command wants it (so
// every command keeps its order of options and its help). The rule file argument `rules`
// (required, existing); `--snapshot FILE` (existing); `--as-of DATE`; `--threads N` and
// `--engine jit|interp` (the session's).
CLI::Option* add_rules_argument(CLI::App* sub, std::string& rules);
CLI::Option* add_snapshot_option(CLI::App* sub, std::string& snapshot);
CLI::Option* add_as_of_option(CLI::App* sub, std::string& as_of);
void add_session_options(CLI::App* sub, int& threads, std::string& engine);

// "FILE:LINE:COL" of byte `offset` of `text`.
std::string file_position(const std::string& path, const std::string& text, size_t offset);
// `--experiments FILE` (eval, explain): the paused variants, a JSON object whose `paused`
// (optional) is a list of SEQUENCE.TOUCH.VARIANT strings. Prints an error naming the file, line
// and column of a file that cannot be read, is not JSON, or has the wrong shape (nullopt); the
// compiler then checks that each entry names a variant (RK0414).
std::optional<Experiments> read_experiments(const std::string& path);

}  // namespace rk::cli
