// Rekindle CLI: what a signal does to a run. Every catchable signal whose default action ends the
// process (HUP, INT, QUIT, TERM, USR1, USR2, ALRM, VTALRM, PROF, XCPU, POLL, PWR, SYS, TRAP,
// STKFLT, and the crash signals SEGV, BUS, ILL, FPE, ABRT) removes the run's temporary files,
// says which signal stopped the run and ends the process by that same signal (so the exit status
// still tells it: 128 + N). SIGPIPE is ignored, so a write to a closed pipe fails with EPIPE and is
// reported as an error with exit code 2 instead of killing the process silently; SIGXFSZ likewise
// (a file size limit is a write error, EFBIG). A signal that was ignored when the process started
// (`nohup`) stays ignored. A SIGKILL cannot be caught: its leftovers are removed by the next run
// writing into the same folder (compiler/ir/temp_files.h).
#pragma once

namespace rk::cli {

// Installs the handlers above; called once by main() before a subcommand runs.
void install_signal_handlers();

}  // namespace rk::cli
