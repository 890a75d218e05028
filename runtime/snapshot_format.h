// Rekindle runtime: telling a snapshot's format from its first bytes, whatever its name. Arrow IPC
// (file or stream) and CSV are read; Parquet, compressed files (gzip, zstd, bzip2, xz, lz4),
// archives and spreadsheets (ZIP: .xlsx/.ods; OLE: .xls) and UTF-16/UTF-32 text are recognised
// and refused with a message that says what the file is and how to convert it.
#pragma once

#include <string>
#include <string_view>

namespace rk {

struct SnapshotFormat {
  enum class Kind { Csv, Arrow, Unsupported };
  Kind kind = Kind::Csv;
  std::string problem;  // Unsupported: what the file is and what to do (no file name)
};

// `head`: the first bytes of the file (up to 64 KiB); `extension`: lower case, without the dot
// (an Arrow extension makes a file that is neither recognisably Arrow nor another known format
// Arrow, so the Arrow reader names what is wrong with it).
SnapshotFormat sniff_snapshot_format(std::string_view head, std::string_view extension);

// Opens `path` and tells its format from its first bytes and its extension. Sets `regular` when it
// is a regular file (a pipe or a FIFO can be read only once: whoever sniffs it must then read it
// through open_snapshot()). Returns Unsupported with `problem` set when it cannot be opened or is
// a format that is not read.
SnapshotFormat sniff_snapshot_file(const std::string& path, bool& regular);

}  // namespace rk
