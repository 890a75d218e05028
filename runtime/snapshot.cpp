// Rekindle runtime: open_snapshot, the one entry point to the snapshot readers. The input is
// opened once and its first bytes are read from that same descriptor to tell its format, so a
// pipe or a FIFO (`--snapshot <(zcat x.csv.gz)`) loses nothing to the sniffing: Arrow (file magic
// "ARROW1", a stream's 0xFFFFFFFF continuation, or a legacy stream's schema message) or CSV;
// formats Rekindle does not read (Parquet, gzip, zstd, bzip2, xz, ZIP/Excel, UTF-16/UTF-32 text)
// are refused with a message saying what the file is and how to convert it, whatever its
// extension. A regular file is then read by path (Arrow: memory-mapped); a pipe is streamed
// (CSV) or copied into memory (Arrow, which needs random access). Every reader of a schema with a
// key is wrapped in the key uniqueness check (runtime/key_check.h).
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "runtime/arrow_reader.h"
#include "runtime/columnar.h"
#include "runtime/csv_reader.h"
#include "runtime/key_check.h"
#include "runtime/snapshot_format.h"

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

// Enough for the magics, a UTF-16 guess and a legacy Arrow stream's whole schema message.
constexpr size_t kSniffBytes = 64 * 1024;

// Reads up to `n` bytes from the start of `fd` (pread for a regular file, read otherwise).
bool read_head(int fd, bool regular, size_t n, std::string& head, std::string& error) {
  head.resize(n);
  size_t got = 0;
  while (got < n) {
    const ssize_t r = regular ? ::pread(fd, head.data() + got, n - got, static_cast<off_t>(got))
                              : ::read(fd, head.data() + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      error = fmt::format("read error: {}", std::strerror(errno));
      return false;
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  head.resize(got);
  return true;
}

// Copies a pipe's whole content (after `head`) into a memfd, so the Arrow reader can map it.
int spool_to_memory(int fd, const std::string& head, std::string& error) {
  const int mfd = ::memfd_create("rekindle-snapshot", MFD_CLOEXEC);
  if (mfd < 0) {
    error = fmt::format("cannot buffer the stream: {}", std::strerror(errno));
    return -1;
  }
  auto put = [&](const char* p, size_t n) {
    while (n > 0) {
      const ssize_t w = ::write(mfd, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      p += w;
      n -= static_cast<size_t>(w);
    }
    return true;
  };
  bool ok = put(head.data(), head.size());
  std::string buf(1 << 20, '\0');
  while (ok) {
    const ssize_t r = ::read(fd, buf.data(), buf.size());
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      ok = r == 0;
      break;
    }
    ok = put(buf.data(), static_cast<size_t>(r));
  }
  if (!ok) {
    error = fmt::format("cannot buffer the stream: {}", std::strerror(errno));
    ::close(mfd);
    return -1;
  }
  return mfd;
}

}  // namespace

std::unique_ptr<SnapshotReader> open_snapshot(const std::string& path, const Schema& schema,
                                              const ReaderOptions& opts,
                                              std::optional<SnapshotError>& err) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    err = SnapshotError{path, 0, {}, fmt::format("cannot open: {}", std::strerror(errno))};
    return nullptr;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    ::close(fd);
    err = SnapshotError{path, 0, {}, "cannot open: is a directory"};
    return nullptr;
  }
  const bool regular = S_ISREG(st.st_mode);
  std::string head, error;
  if (!read_head(fd, regular, kSniffBytes, head, error)) {
    ::close(fd);
    err = SnapshotError{path, 0, {}, error};
    return nullptr;
  }
  const SnapshotFormat format = sniff_snapshot_format(head, lower_extension(path));
  if (format.kind == SnapshotFormat::Kind::Unsupported) {
    ::close(fd);
    err = SnapshotError{path, 0, {}, format.problem};
    return nullptr;
  }
  const bool arrow = format.kind == SnapshotFormat::Kind::Arrow;
  std::unique_ptr<SnapshotReader> reader;
  if (regular) {
    ::close(fd);
    reader = arrow ? open_arrow_snapshot(path, schema, opts, err)
                   : open_csv_snapshot(path, schema, opts, err);
  } else if (arrow) {
    const int mfd = spool_to_memory(fd, head, error);
    ::close(fd);
    if (mfd < 0) {
      err = SnapshotError{path, 0, {}, error};
      return nullptr;
    }
    reader = open_arrow_snapshot_fd(mfd, path, schema, opts, err);
  } else {
    reader = open_csv_snapshot_fd(fd, std::move(head), path, schema, opts, err);
  }
  if (!reader || schema.key_field < 0 || !opts.check_keys) return reader;
  // A regular file can be read a second time, to compare the keys of suspected duplicates.
  KeyCheckingReader::Reopen reread;
  if (regular)
    reread = [path, opts](const Schema& key_only) {
      ReaderOptions o = opts;
      o.check_keys = false;
      o.fingerprint = false;  // the manifest's digest is the first reading's
      std::optional<SnapshotError> e;
      return open_snapshot(path, key_only, o, e);
    };
  return std::make_unique<KeyCheckingReader>(std::move(reader), schema, path, std::move(reread));
}

}  // namespace rk
