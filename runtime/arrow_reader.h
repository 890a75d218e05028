// Rekindle runtime: the Arrow IPC snapshot reader (file format "ARROW1" and stream format, with
// optional LZ4_FRAME / ZSTD body compression). Memory-maps the file and hands out record batches
// as rk::Batch views over the mapping where the physical layout already matches (zero copy);
// other types are converted. Every offset and length in the file is checked before use.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "compiler/ir/schema.h"
#include "runtime/columnar.h"

namespace rk {

// Opens an Arrow IPC file or stream and matches its columns to `schema` by name (extra columns
// are ignored). Returns null and sets `err` when the file cannot be read or does not match.
// Each next() yields one record batch of the file.
std::unique_ptr<SnapshotReader> open_arrow_snapshot(const std::string& path, const Schema& schema,
                                                    const ReaderOptions& opts,
                                                    std::optional<SnapshotError>& err);

// Same, over an open descriptor of a regular file or a memfd (mapped; the reader takes the
// descriptor over); `display` names it in errors.
std::unique_ptr<SnapshotReader> open_arrow_snapshot_fd(int fd, const std::string& display,
                                                       const Schema& schema,
                                                       const ReaderOptions& opts,
                                                       std::optional<SnapshotError>& err);

// Maps the file's columns to schema field types (ints -> int, floats -> number, utf8, large_utf8,
// utf8_view and dictionary utf8 -> string, date/timestamp -> date, bool -> bool, list of utf8 (or
// utf8_view) -> list of string; nullable as the Arrow field says). Columns of other types are an
// error naming them.
std::optional<Schema> infer_arrow_schema(const std::string& path,
                                         std::optional<SnapshotError>& err);

// True when the first bytes of `path` look like Arrow IPC (file magic or stream message).
bool looks_like_arrow(const std::string& path);
// The same test on the first bytes of a file (up to 64 KiB).
bool looks_like_arrow_head(std::string_view head);

}  // namespace rk
