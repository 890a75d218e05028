// Rekindle runtime: what an output may overwrite. Every file a run writes (results, summary,
// converted or generated snapshots, formatted rule files) goes through these rules:
//   - an output is never one of the run's inputs (snapshot, rule files, imports, schema), and two
//     outputs of one run are never one file: compared by device and inode after following
//     symlinks (so hard links and symlinks are caught), or by resolved path for files that do not
//     exist yet; standard output (`-`) is compared by what it is connected to;
//   - a symlinked output is written at the file it points to (the link stays a link);
//   - only a regular file or a missing path is replaced (temporary file + rename); a character
//     device (`/dev/null`, a terminal), a FIFO and `-` are written straight through; a block
//     device, a socket and a directory are refused.
// Character devices are sinks: several outputs may go to one (`--out /dev/null --summary
// /dev/null`).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace rk {

// A file a run reads or writes and how messages call it (e.g. "--out", "the snapshot").
struct RunFile {
  std::string role;
  std::string path;
};

// The message refusing the run when an output is an input or two outputs are one file, or
// nullopt when the outputs are safe. Empty paths are skipped.
std::optional<std::string> check_outputs(const std::vector<RunFile>& inputs,
                                         const std::vector<RunFile>& outputs);

// The file a write to `path` lands on: symlinks followed to the end (a dangling link gives the
// missing file it points to). Returns false with `error` set on a symlink loop.
bool resolve_write_target(const std::string& path, std::string& resolved, std::string& error);

}  // namespace rk
