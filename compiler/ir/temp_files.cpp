// Rekindle files: temporary files with a provable owner and liveness (see temp_files.h).
#include "compiler/ir/temp_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

namespace rk::temp_files {

namespace {

constexpr std::string_view kPrefix = ".rekindle-";
constexpr std::string_view kSuffix = ".tmp";

// The start time of process `pid` in clock ticks since boot (field 22 of /proc/PID/stat), 0 when
// there is no such process, -1 when it cannot be told (no /proc).
long long start_time_of(long long pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%lld/stat", pid);
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT || errno == ESRCH ? 0 : -1;
  char buf[1024];
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  // The command name (field 2) is in parentheses and may hold spaces: count after the last ')'.
  const char* p = std::strrchr(buf, ')');
  if (!p) return -1;
  int field = 2;
  for (++p; *p && field < 22; ++p)
    if (*p == ' ') ++field;
  if (field != 22) return -1;
  return std::strtoll(p, nullptr, 10);
}

long long own_start_time() {
  static const long long t = [] {
    const long long s = start_time_of(static_cast<long long>(::getpid()));
    return s > 0 ? s : 0;
  }();
  return t;
}

// Parses `.rekindle-PID-START-HEX.tmp`; false when `name` does not have exactly this form.
bool parse_name(std::string_view name, long long& pid, long long& start) {
  if (name.size() <= kPrefix.size() + kSuffix.size() || name.substr(0, kPrefix.size()) != kPrefix ||
      name.substr(name.size() - kSuffix.size()) != kSuffix)
    return false;
  std::string_view rest =
      name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
  auto number = [&](long long& out, bool hex) {
    size_t i = 0;
    out = 0;
    for (; i < rest.size() && i < 20; ++i) {
      const char c = rest[i];
      if (c >= '0' && c <= '9')
        out = out * (hex ? 16 : 10) + (c - '0');
      else if (hex && c >= 'a' && c <= 'f')
        out = out * 16 + (c - 'a' + 10);
      else
        break;
    }
    if (i == 0) return false;
    rest.remove_prefix(i);
    return true;
  };
  long long random = 0;
  if (!number(pid, false) || rest.empty() || rest[0] != '-') return false;
  rest.remove_prefix(1);
  if (!number(start, false) || rest.empty() || rest[0] != '-') return false;
  rest.remove_prefix(1);
  const size_t hex_digits = rest.size();
  if (hex_digits != 12 || !number(random, true) || !rest.empty()) return false;
  return pid > 0;
}

// Registry of temporary paths for remove_registered_from_signal(). A slot is free (0), being
// filled (1) or holds an open temporary file (2). Plain arrays and atomics only, so the signal
// handler never allocates or locks.
constexpr int kSlots = 128;
constexpr size_t kPathBytes = 4096;
struct Slot {
  std::atomic<int> state{0};
  char path[kPathBytes];
};
Slot g_slots[kSlots];

void register_path(const std::string& path) {
  if (path.size() + 1 > kPathBytes) return;
  for (auto& slot : g_slots) {
    int expected = 0;
    if (slot.state.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) {
      std::memcpy(slot.path, path.c_str(), path.size() + 1);
      slot.state.store(2, std::memory_order_release);
      return;
    }
  }
  // The registry is full: the file is still removed on failure, and by the next run if killed.
}

std::string random_hex12() {
  static std::atomic<uint64_t> counter{0};
  std::random_device rd;
  const uint64_t r = (static_cast<uint64_t>(rd()) << 32) ^ rd() ^ (counter.fetch_add(1) << 40);
  return fmt::format("{:012x}", r & 0xffffffffffffull);
}

}  // namespace

bool is_temp_name(std::string_view name) {
  long long pid = 0, start = 0;
  return parse_name(name, pid, start);
}

int remove_stale(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return 0;
  const int dfd = ::dirfd(d);
  const uid_t me = ::geteuid();
  int removed = 0;
  while (const dirent* e = ::readdir(d)) {
    long long pid = 0, start = 0;
    if (!parse_name(e->d_name, pid, start)) continue;
    struct stat ls {};
    if (::fstatat(dfd, e->d_name, &ls, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(ls.st_mode) ||
        ls.st_uid != me)
      continue;
    // The named process: running (same start time) means the file may be in use.
    const long long now = start_time_of(pid);
    if (now < 0 || (now > 0 && now == start)) continue;
    const int fd = ::openat(dfd, e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat fs {};
    const bool same = ::fstat(fd, &fs) == 0 && fs.st_dev == ls.st_dev && fs.st_ino == ls.st_ino;
    // Holding the lock while removing: a writer cannot have it, so it is dead.
    if (same && ::flock(fd, LOCK_EX | LOCK_NB) == 0 && ::unlinkat(dfd, e->d_name, 0) == 0)
      ++removed;
    ::close(fd);
  }
  ::closedir(d);
  return removed;
}

int create(const std::string& dir, mode_t mode, std::string& path, std::string& error) {
  remove_stale(dir);
  int fd = -1;
  for (int attempt = 0; attempt < 16; ++attempt) {
    path = fmt::format("{}/{}{}-{}-{}{}", dir, kPrefix, static_cast<long long>(::getpid()),
                       own_start_time(), random_hex12(), kSuffix);
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd >= 0 || errno != EEXIST) break;
  }
  if (fd < 0) {
    error = std::strerror(errno);
    path.clear();
    return -1;
  }
  // Locked for the file's whole life (released by the kernel when the process ends); a lock
  // that cannot be taken (a file system without flock) leaves the file unprovable, never stale.
  ::flock(fd, LOCK_EX | LOCK_NB);
  register_path(path);
  return fd;
}

void unregister(const std::string& path) {
  for (auto& slot : g_slots)
    if (slot.state.load(std::memory_order_acquire) == 2 &&
        std::strcmp(slot.path, path.c_str()) == 0) {
      slot.state.store(0, std::memory_order_release);
      return;
    }
}

void remove_registered_from_signal() {
  for (auto& slot : g_slots)
    if (slot.state.load(std::memory_order_acquire) == 2) ::unlink(slot.path);
}

}  // namespace rk::temp_files
