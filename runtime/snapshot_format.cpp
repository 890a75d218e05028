// Rekindle runtime: snapshot format sniffing (see snapshot_format.h).
#include "runtime/snapshot_format.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "runtime/arrow_reader.h"

namespace rk {

namespace {

bool starts(std::string_view head, std::string_view magic) {
  return head.substr(0, magic.size()) == magic;
}

SnapshotFormat unsupported(std::string problem) {
  return {SnapshotFormat::Kind::Unsupported, std::move(problem)};
}

SnapshotFormat compressed(const char* what, const char* tool) {
  return unsupported(fmt::format(
      "is {}-compressed; Rekindle reads Arrow IPC and CSV: decompress it first (`{} FILE > "
      "FILE.csv`), or stream it (`--snapshot <({} FILE)`)",
      what, tool, tool));
}

}  // namespace

SnapshotFormat sniff_snapshot_format(std::string_view head, std::string_view extension) {
  using namespace std::string_view_literals;
  if (looks_like_arrow_head(head)) return {SnapshotFormat::Kind::Arrow, {}};
  if (starts(head, "PAR1"))
    return unsupported(
        "is a Parquet file, and Parquet is not read; Rekindle reads Arrow IPC and CSV: convert "
        "it first, e.g. with DuckDB (`COPY (SELECT * FROM 'IN.parquet') TO 'OUT.csv'`) or "
        "pyarrow (`pyarrow.feather.write_feather(pyarrow.parquet.read_table('IN.parquet'), "
        "'OUT.arrow', compression='uncompressed')`)");
  if (starts(head, "\x1f\x8b"sv)) return compressed("gzip", "zcat");
  if (starts(head, "\x28\xb5\x2f\xfd"sv)) return compressed("zstd", "zstdcat");
  if (head.size() >= 4 && starts(head, "BZh") && head[3] >= '1' && head[3] <= '9')
    return compressed("bzip2", "bzcat");
  if (starts(head,
             "\xfd"
             "7zXZ\x00"sv))
    return compressed("xz", "xzcat");
  if (starts(head, "\x04\x22\x4d\x18"sv)) return compressed("lz4", "lz4cat");
  if (starts(head, "PK\x03\x04"sv) || starts(head, "PK\x05\x06"sv))
    return unsupported(
        "is a ZIP archive (an Excel .xlsx or OpenDocument .ods workbook, or a zipped file); "
        "Rekindle reads Arrow IPC and CSV: export the sheet as CSV (UTF-8), or unzip the file");
  if (starts(head, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"sv))
    return unsupported(
        "is a legacy Office file (an Excel .xls workbook?); Rekindle reads Arrow IPC and CSV: "
        "export the sheet as CSV (UTF-8)");
  if (starts(head, "7z\xbc\xaf\x27\x1c"sv))
    return unsupported("is a 7-Zip archive; extract the snapshot from it first");
  const char* utf = nullptr;
  if (starts(head, "\x00\x00\xfe\xff"sv) || starts(head, "\xff\xfe\x00\x00"sv))
    utf = "UTF-32";
  else if (starts(head, "\xff\xfe"sv) || starts(head, "\xfe\xff"sv))
    utf = "UTF-16";
  else if (head.size() >= 4 && ((head[0] != 0 && head[1] == 0 && head[2] != 0 && head[3] == 0) ||
                                (head[0] == 0 && head[1] != 0 && head[2] == 0 && head[3] != 0)))
    utf = "UTF-16";  // ASCII text as UTF-16 without a byte order mark
  if (utf)
    return unsupported(fmt::format(
        "is {} text; Rekindle reads UTF-8: convert it first (`iconv -f {} -t UTF-8 FILE > "
        "FILE.utf8.csv`; in Excel, save as \"CSV UTF-8\")",
        utf, utf));
  if (extension == "arrow" || extension == "feather" || extension == "ipc" || extension == "arrows")
    return {SnapshotFormat::Kind::Arrow, {}};
  return {SnapshotFormat::Kind::Csv, {}};
}

SnapshotFormat sniff_snapshot_file(const std::string& path, bool& regular) {
  regular = false;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return unsupported(fmt::format("cannot open: {}", std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return unsupported(S_ISDIR(st.st_mode) ? "cannot open: is a directory"
                                           : "cannot open: not a regular file");
  }
  regular = true;
  std::string head(64 * 1024, '\0');
  size_t got = 0;
  while (got < head.size()) {
    const ssize_t r = ::pread(fd, head.data() + got, head.size() - got, static_cast<off_t>(got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  ::close(fd);
  head.resize(got);
  std::string ext;
  const size_t slash = path.find_last_of('/'), dot = path.find_last_of('.');
  if (dot != std::string::npos && (slash == std::string::npos || dot > slash))
    ext = path.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return sniff_snapshot_format(head, ext);
}

}  // namespace rk
