// Rekindle runtime: open_snapshot, the one entry point to the snapshot readers. Dispatches on the
// file extension (.csv -> CSV; .arrow/.feather/.ipc/.arrows -> Arrow IPC) and otherwise sniffs
// the first bytes (Arrow file magic "ARROW1" or the stream's 0xFFFFFFFF continuation -> Arrow,
// anything else -> CSV).
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "runtime/arrow_reader.h"
#include "runtime/columnar.h"
#include "runtime/csv_reader.h"

namespace rk {

namespace {

std::string lower_extension(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return {};
  std::string ext = path.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

enum class Kind { Csv, Arrow, Unreadable };

Kind sniff(const std::string& path, std::optional<SnapshotError>& err) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    err = SnapshotError{path, 0, {}, fmt::format("cannot open: {}", std::strerror(errno))};
    return Kind::Unreadable;
  }
  unsigned char head[8] = {};
  size_t got = 0;
  while (got < sizeof head) {
    const ssize_t r = ::read(fd, head + got, sizeof head - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  ::close(fd);
  if (got >= 6 && std::memcmp(head, "ARROW1", 6) == 0) return Kind::Arrow;
  if (got >= 4 && head[0] == 0xFF && head[1] == 0xFF && head[2] == 0xFF && head[3] == 0xFF)
    return Kind::Arrow;
  return Kind::Csv;
}

}  // namespace

std::unique_ptr<SnapshotReader> open_snapshot(const std::string& path, const Schema& schema,
                                              const ReaderOptions& opts,
                                              std::optional<SnapshotError>& err) {
  const std::string ext = lower_extension(path);
  Kind kind;
  if (ext == "csv")
    kind = Kind::Csv;
  else if (ext == "arrow" || ext == "feather" || ext == "ipc" || ext == "arrows")
    kind = Kind::Arrow;
  else
    kind = sniff(path, err);
  switch (kind) {
    case Kind::Csv:
      return open_csv_snapshot(path, schema, opts, err);
    case Kind::Arrow:
      return open_arrow_snapshot(path, schema, opts, err);
    case Kind::Unreadable:
      break;
  }
  return nullptr;
}

}  // namespace rk
