// Rekindle CLI: signal handlers that remove temporary files and re-raise (see signals.h).
#include "cli/signals.h"

#include <unistd.h>

#include <csignal>
#include <cstring>

#include "runtime/result_writer.h"

namespace rk::cli {

namespace {

struct SignalName {
  int number;
  const char* name;
};

// Every signal whose default action ends the process and that can be caught.
constexpr SignalName kSignals[] = {
    {SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"},     {SIGTERM, "SIGTERM"},
    {SIGUSR1, "SIGUSR1"}, {SIGUSR2, "SIGUSR2"}, {SIGALRM, "SIGALRM"},     {SIGVTALRM, "SIGVTALRM"},
    {SIGPROF, "SIGPROF"}, {SIGXCPU, "SIGXCPU"}, {SIGPOLL, "SIGPOLL"},     {SIGPWR, "SIGPWR"},
    {SIGSYS, "SIGSYS"},   {SIGTRAP, "SIGTRAP"}, {SIGSTKFLT, "SIGSTKFLT"}, {SIGSEGV, "SIGSEGV"},
    {SIGBUS, "SIGBUS"},   {SIGILL, "SIGILL"},   {SIGFPE, "SIGFPE"},       {SIGABRT, "SIGABRT"},
};

void say(const char* text) {
  ssize_t ignored = ::write(STDERR_FILENO, text, std::strlen(text));
  (void)ignored;
}

extern "C" void on_terminating_signal(int sig) {
  remove_open_temp_files_from_signal();
  // Say why the run ended (write(2) is async-signal-safe; fmt and stdio are not).
  const char* name = "a signal";
  for (const auto& s : kSignals)
    if (s.number == sig) name = s.name;
  say(sig == SIGINT ? "\nrekindle: interrupted by signal " : "\nrekindle: stopped by signal ");
  say(name);
  say("; no output was written\n");
  // Re-raise with the default action so the exit status says which signal ended the run.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  ::sigaction(sig, &dfl, nullptr);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  ::pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  ::raise(sig);
}

}  // namespace

void install_signal_handlers() {
  for (const auto& s : kSignals) {
    struct sigaction old {};
    if (::sigaction(s.number, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
    struct sigaction sa {};
    sa.sa_handler = on_terminating_signal;
    sigemptyset(&sa.sa_mask);
    // Other terminating signals wait while one is handled (the handler ends the process).
    for (const auto& other : kSignals) sigaddset(&sa.sa_mask, other.number);
    sa.sa_flags = SA_RESETHAND;
    ::sigaction(s.number, &sa, nullptr);
  }
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGXFSZ, SIG_IGN);
}

}  // namespace rk::cli
