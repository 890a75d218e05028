// Rekindle files: the temporary files every output is written through before it is renamed into
// place (results, summaries, snapshots, formatted rule files, JIT cache entries). One naming
// scheme, `.rekindle-PID-START-RANDOM.tmp` (PID and start time of the process that made it), and
// one proof of staleness, so that files a killed run (SIGKILL, a power cut) left behind are
// recognised and removed by the next run writing into the same folder, and nothing else is:
//   1. the name matches the scheme exactly;
//   2. it is a regular file (not a symlink) owned by the user running now;
//   3. no process holds its lock (every temporary file is flock()ed by its writer for its whole
//      life; the kernel drops the lock when the writer dies, however it dies);
//   4. the process named in it is not running (no /proc/PID, or a different start time), which
//      covers the instant between creating the file and locking it.
// Also an async-signal-safe registry of open temporary files, removed by signal handlers.
// Used by runtime/atomic_file.cpp and the JIT's object cache; Linux (flock, /proc).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

namespace rk::temp_files {

// Whether `name` (a file name, no folder) has the form of a temporary file of this scheme.
bool is_temp_name(std::string_view name);

// Removes the stale temporary files of this scheme in `dir` (see above); returns how many.
int remove_stale(const std::string& dir);

// Creates a new temporary file in `dir` with permission bits `mode` (before the umask), locks
// it and registers it for removal from signal handlers. On failure returns -1 and sets `error`
// (the reason, from errno). Stale leftovers in `dir` are removed first.
int create(const std::string& dir, mode_t mode, std::string& path, std::string& error);

// Forgets `path` in the signal registry (after it was renamed or removed).
void unregister(const std::string& path);

// Removes every registered temporary file; async-signal-safe (no allocation, no locks).
void remove_registered_from_signal();

}  // namespace rk::temp_files
