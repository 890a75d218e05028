// Rekindle runtime: the Arrow IPC snapshot reader. Parses the file format (magic, footer, blocks)
// and the stream format (continuation-prefixed or legacy messages), verifies every flatbuffer,
// bounds-checks every buffer against the mapping, decompresses LZ4_FRAME / ZSTD bodies, and
// turns each record batch into an rk::Batch typed by the Rekindle schema (zero copy when the
// Arrow layout already is Rekindle's physical layout).
#include "runtime/arrow_reader.h"
#include "runtime/column_match.h"
#include "runtime/sha256.h"

#include <fcntl.h>
#include <lz4frame.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <new>
#include <unordered_map>

#include <fmt/format.h>

#include "compiler/ir/helpers.h"
#include "runtime/arrow_format/ipc_io.h"
#include "runtime/data_errors.h"
#include "runtime/thread_pool.h"
#include "runtime/utf8.h"
#include "runtime/value_ranges.h"
#include "runtime/view_index.h"

namespace rk {

namespace {

using namespace rk::arrow_ipc;

// ---- The memory mapping ------------------------------------------------------------------------

struct Mapping {
  const uint8_t* data = nullptr;
  size_t size = 0;
  Mapping() = default;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() {
    if (data && size) munmap(const_cast<uint8_t*>(data), size);
  }
};

// Maps a regular file (or a memfd) open at `fd`; closes `fd`.
std::shared_ptr<Mapping> map_fd(int fd, std::string& error);

std::shared_ptr<Mapping> map_file(const std::string& path, std::string& error) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = fmt::format("cannot open: {}", std::strerror(errno));
    return nullptr;
  }
  return map_fd(fd, error);
}

std::shared_ptr<Mapping> map_fd(int fd, std::string& error) {
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    error = "cannot open: not a regular file";
    return nullptr;
  }
  auto m = std::make_shared<Mapping>();
  m->size = static_cast<size_t>(st.st_size);
  if (m->size > 0) {
    void* p = mmap(nullptr, m->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      ::close(fd);
      m->size = 0;
      error = fmt::format("cannot map: {}", std::strerror(errno));
      return nullptr;
    }
    m->data = static_cast<const uint8_t*>(p);
  }
  ::close(fd);
  return m;
}

// No real record batch comes near this; larger lengths are corrupt (and would overflow sizes).
constexpr int64_t kMaxRows = int64_t{1} << 40;

struct Span {
  const uint8_t* p = nullptr;
  size_t n = 0;
};

template <typename T>
bool aligned(const void* p) {
  return reinterpret_cast<uintptr_t>(p) % alignof(T) == 0;
}

// Shared ownership of a vector as an opaque keep-alive handle.
template <typename T>
std::shared_ptr<std::vector<T>> make_buffer(size_t n) {
  return std::make_shared<std::vector<T>>(n);
}

// ---- Messages ----------------------------------------------------------------------------------

struct MessageView {
  const fb::Message* msg = nullptr;
  Span body;
  size_t next = 0;  // offset just past the body
  bool eos = false;
  std::shared_ptr<uint8_t[]> meta_copy;  // the metadata, when it had to be copied to align it
};

// Flatbuffer structs hold 8-byte fields; metadata not 8-aligned in memory (legacy streams,
// sloppy writers) is copied so that reading it is well-defined.
const uint8_t* aligned_copy(const uint8_t* p, size_t n, std::shared_ptr<uint8_t[]>& keep) {
  if (reinterpret_cast<uintptr_t>(p) % 8 == 0) return p;
  keep.reset(new uint8_t[n == 0 ? 1 : n]);
  std::memcpy(keep.get(), p, n);
  return keep.get();
}

// The flatbuffers verifier checks a vector's length prefix for 4-byte alignment only; a vector
// of 8-byte structs (FieldNode, Buffer, Block) in a hostile buffer may therefore sit at an
// address that is not 8-aligned. Our metadata always starts 8-aligned (aligned_copy), so an
// honest writer's struct vectors are aligned: anything else is corrupt metadata.
template <typename T>
bool structs_aligned(const flatbuffers::Vector<const T*>* v) {
  return !v || v->size() == 0 || reinterpret_cast<uintptr_t>(v->Data()) % alignof(T) == 0;
}

bool record_batch_aligned(const fb::RecordBatch* rb) {
  return !rb || (structs_aligned(rb->nodes()) && structs_aligned(rb->buffers()));
}

// Reads the encapsulated message at `pos` (continuation-prefixed or legacy), verifying its
// flatbuffer and that its body lies within the mapping.
bool read_message(const Mapping& m, size_t pos, MessageView& out, std::string& err) {
  out = MessageView{};
  if (pos == m.size) {
    out.eos = true;  // a stream may end without the end-of-stream marker
    return true;
  }
  if (pos > m.size || m.size - pos < 4) {
    err = fmt::format("truncated message header at byte {}", pos);
    return false;
  }
  size_t meta = pos + 4;
  int32_t len = load<int32_t>(m.data + pos);
  if (static_cast<uint32_t>(len) == kContinuation) {
    if (m.size - pos < 8) {
      err = fmt::format("truncated message header at byte {}", pos);
      return false;
    }
    len = load<int32_t>(m.data + pos + 4);
    meta = pos + 8;
  }
  if (len == 0) {
    out.eos = true;
    out.next = meta;
    return true;
  }
  if (len < 0 || static_cast<size_t>(len) > m.size - meta) {
    err = fmt::format("message at byte {} has a metadata length ({}) beyond the end of the file",
                      pos, len);
    return false;
  }
  const uint8_t* p = aligned_copy(m.data + meta, static_cast<size_t>(len), out.meta_copy);
  flatbuffers::Verifier v(p, static_cast<size_t>(len));
  if (!v.VerifyBuffer<fb::Message>(nullptr)) {
    err = fmt::format("message at byte {} has corrupt metadata", pos);
    return false;
  }
  out.msg = flatbuffers::GetRoot<fb::Message>(p);
  const fb::DictionaryBatch* db = out.msg->header_as_DictionaryBatch();
  if (!record_batch_aligned(out.msg->header_as_RecordBatch()) ||
      !record_batch_aligned(db ? db->data() : nullptr)) {
    err = fmt::format("message at byte {} has corrupt metadata (misaligned buffers)", pos);
    return false;
  }
  const int64_t body_len = out.msg->body_length();
  const size_t body = meta + static_cast<size_t>(len);
  if (body_len < 0 || static_cast<uint64_t>(body_len) > m.size - body) {
    err = fmt::format("message at byte {} has a body length ({}) beyond the end of the file", pos,
                      body_len);
    return false;
  }
  out.body = Span{m.data + body, static_cast<size_t>(body_len)};
  out.next = body + static_cast<size_t>(body_len);
  return true;
}

// ---- Arrow type classification -----------------------------------------------------------------

enum class Kind {
  Other,
  Int,
  Float,
  Bool,
  Utf8,
  LargeUtf8,
  Utf8View,
  Date,
  Timestamp,
  List,
  LargeList,
  Dict,  // dictionary-encoded; value type in `value_kind`
};

Kind plain_kind(const fb::Field* f) {
  switch (f->type_type()) {
    case fb::Type::Int:
      return f->type_as_Int() ? Kind::Int : Kind::Other;
    case fb::Type::FloatingPoint: {
      const auto* t = f->type_as_FloatingPoint();
      return t && t->precision() != fb::Precision::HALF ? Kind::Float : Kind::Other;
    }
    case fb::Type::Bool:
      return Kind::Bool;
    case fb::Type::Utf8:
      return Kind::Utf8;
    case fb::Type::LargeUtf8:
      return Kind::LargeUtf8;
    case fb::Type::Utf8View:
      return Kind::Utf8View;
    case fb::Type::Date:
      return f->type_as_Date() ? Kind::Date : Kind::Other;
    case fb::Type::Timestamp:
      return f->type_as_Timestamp() ? Kind::Timestamp : Kind::Other;
    case fb::Type::List:
      return Kind::List;
    case fb::Type::LargeList:
      return Kind::LargeList;
    default:
      return Kind::Other;
  }
}

Kind kind_of(const fb::Field* f) {
  return f->dictionary() ? Kind::Dict : plain_kind(f);
}

bool is_string_kind(Kind k) {
  return k == Kind::Utf8 || k == Kind::LargeUtf8 || k == Kind::Utf8View;
}

// A dictionary-encoded utf8 / large_utf8 / utf8_view field with an integer index type.
bool is_string_dict(const fb::Field* f) {
  if (!f->dictionary() || !is_string_kind(plain_kind(f))) return false;
  const auto* it = f->dictionary()->index_type();
  if (!it) return true;  // default index type: int32
  const int w = it->bit_width();
  return w == 8 || w == 16 || w == 32 || w == 64;
}

bool is_string_like(const fb::Field* f) {
  return f->dictionary() ? is_string_dict(f) : is_string_kind(plain_kind(f));
}

// The element field of a list<utf8> / list<utf8_view> / list<dictionary<utf8>> (or large_list),
// else null.
const fb::Field* string_list_child(const fb::Field* f) {
  const Kind k = kind_of(f);
  if (k != Kind::List && k != Kind::LargeList) return nullptr;
  if (!f->children() || f->children()->size() != 1) return nullptr;
  const fb::Field* c = f->children()->Get(0);
  return c && is_string_like(c) ? c : nullptr;
}

bool compatible(FieldType t, const fb::Field* f) {
  const Kind k = kind_of(f);
  switch (t) {
    case FieldType::Bool:
      return k == Kind::Bool;
    case FieldType::Int:
      return k == Kind::Int;
    case FieldType::Number:
    case FieldType::Money:
    case FieldType::Percent:
      return k == Kind::Int || k == Kind::Float;
    case FieldType::Date:
      return k == Kind::Date || k == Kind::Timestamp;
    case FieldType::String:
    case FieldType::Enum:
      return is_string_like(f);
    case FieldType::StringList:
      return string_list_child(f) != nullptr;
  }
  return false;
}

// Entry k of a record batch's variadicBufferCounts: the number of data buffers of its k-th view
// array (record batches and dictionary batches alike).
bool variadic_count(const fb::RecordBatch* rb, size_t k, int64_t& out, std::string& why) {
  const auto* counts = rb->variadic_buffer_counts();
  const size_t have = counts ? counts->size() : 0;
  if (k >= have) {
    why = fmt::format("variadicBufferCounts has {} entries, too few for the view columns", have);
    return false;
  }
  out = counts->Get(static_cast<flatbuffers::uoffset_t>(k));
  if (out < 0 || out > (1 << 20)) {
    why = fmt::format("corrupt variadic buffer count {}", out);
    return false;
  }
  return true;
}

// Number of buffers of a field's own layout (children not included) in a record batch. A view
// field takes the next entry of the batch's variadicBufferCounts (`variadic` counts them).
bool own_buffer_count(const fb::Field* f, const fb::RecordBatch* rb, size_t& variadic, int& count,
                      std::string& why) {
  if (f->dictionary()) {
    count = 2;
    return true;
  }
  switch (f->type_type()) {
    case fb::Type::Null:
    case fb::Type::RunEndEncoded:
      count = 0;
      return true;
    case fb::Type::Binary:
    case fb::Type::Utf8:
    case fb::Type::LargeBinary:
    case fb::Type::LargeUtf8:
    case fb::Type::ListView:
    case fb::Type::LargeListView:
      count = 3;
      return true;
    case fb::Type::Struct_:
    case fb::Type::FixedSizeList:
      count = 1;
      return true;
    case fb::Type::Union: {
      const auto* u = f->type_as_Union();
      count = u && u->mode() == fb::UnionMode::Dense ? 2 : 1;
      return true;
    }
    case fb::Type::BinaryView:
    case fb::Type::Utf8View: {
      int64_t extra = 0;
      if (!variadic_count(rb, variadic++, extra, why)) return false;
      count = 2 + static_cast<int>(extra);
      return true;
    }
    case fb::Type::NONE:
      why = "a field has no type";
      return false;
    default:
      count = 2;
      return true;
  }
}

// Where a top-level field's nodes and buffers start in a record batch (depth-first pre-order),
// and its first view field's entry in variadicBufferCounts.
struct Position {
  size_t node = 0;
  size_t buffer = 0;
  size_t variadic = 0;
};

bool walk_layout(const fb::Field* f, const fb::RecordBatch* rb, size_t& nodes, size_t& buffers,
                 size_t& variadic, int depth, std::string& why) {
  if (!f || depth > 64) {
    why = "the schema nests too deep";
    return false;
  }
  int count = 0;
  if (!own_buffer_count(f, rb, variadic, count, why)) return false;
  nodes += 1;
  buffers += static_cast<size_t>(count);
  if (f->dictionary()) return true;  // dictionary values travel in dictionary batches
  if (const auto* kids = f->children()) {
    for (const fb::Field* c : *kids)
      if (!walk_layout(c, rb, nodes, buffers, variadic, depth + 1, why)) return false;
  }
  return true;
}

// ---- Dictionaries ------------------------------------------------------------------------------

struct DictEntry {
  std::shared_ptr<const StringDict> dict;
  std::vector<std::shared_ptr<void>> keep;  // buffers the views point into
};

// ---- The reader --------------------------------------------------------------------------------

struct Plan {
  int arrow_index = -1;
  const fb::Field* field = nullptr;
};

class ArrowReader;

// Access to the buffers of one record batch (bounds-checked, decompressed on demand).
class BodyAccess {
 public:
  BodyAccess(const fb::RecordBatch* rb, Span body, std::vector<std::shared_ptr<void>>& owned)
      : rb_(rb), body_(body), owned_(owned) {
    if (rb->buffers()) cache_.resize(rb->buffers()->size());
  }
  bool get(size_t i, Span& out, std::string& err);
  size_t count() const { return cache_.size(); }
  // Entry k of the batch's variadicBufferCounts (the data buffers of its k-th view array).
  bool variadic_count(size_t k, int64_t& out, std::string& err) const {
    return rk::variadic_count(rb_, k, out, err);
  }

 private:
  const fb::RecordBatch* rb_;
  Span body_;
  std::vector<std::shared_ptr<void>>& owned_;
  std::vector<std::optional<Span>> cache_;
};

bool BodyAccess::get(size_t i, Span& out, std::string& err) {
  if (i >= cache_.size()) {
    err = fmt::format("buffer {} is missing from the record batch", i);
    return false;
  }
  if (cache_[i]) {
    out = *cache_[i];
    return true;
  }
  const fb::Buffer* b = rb_->buffers()->Get(static_cast<flatbuffers::uoffset_t>(i));
  const int64_t off = b->offset(), len = b->length();
  if (off < 0 || len < 0 || static_cast<uint64_t>(off) > body_.n ||
      static_cast<uint64_t>(len) > body_.n - static_cast<uint64_t>(off)) {
    err = fmt::format("buffer {} (offset {}, length {}) lies outside the message body ({} bytes)",
                      i, off, len, body_.n);
    return false;
  }
  Span s{body_.p + off, static_cast<size_t>(len)};
  const fb::BodyCompression* comp = rb_->compression();
  if (comp && s.n > 0) {
    if (comp->method() != fb::BodyCompressionMethod::BUFFER) {
      err = "unsupported body compression method";
      return false;
    }
    if (s.n < 8) {
      err = fmt::format("compressed buffer {} is shorter than its length prefix", i);
      return false;
    }
    const int64_t raw_len = load<int64_t>(s.p);
    Span data{s.p + 8, s.n - 8};
    if (raw_len == -1) {
      s = data;
    } else {
      // Refuse absurd sizes before allocating (no real codec expands beyond ~65000x).
      if (raw_len < 0 || raw_len > (int64_t{1} << 36) ||
          static_cast<uint64_t>(raw_len) > data.n * uint64_t{65536} + 65536) {
        err = fmt::format("compressed buffer {} claims an implausible length {}", i, raw_len);
        return false;
      }
      const size_t n = static_cast<size_t>(raw_len);
      std::shared_ptr<uint8_t[]> dst(new (std::nothrow) uint8_t[n == 0 ? 1 : n]);
      if (!dst) {
        err = fmt::format("cannot allocate {} bytes to decompress buffer {}", n, i);
        return false;
      }
      if (comp->codec() == fb::CompressionType::LZ4_FRAME) {
        LZ4F_dctx* ctx = nullptr;
        if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION))) {
          err = "cannot create an LZ4 decompression context";
          return false;
        }
        size_t produced = 0, consumed = 0, ret = 1;
        while (consumed < data.n) {
          size_t dst_size = n - produced, src_size = data.n - consumed;
          ret = LZ4F_decompress(ctx, dst.get() + produced, &dst_size, data.p + consumed, &src_size,
                                nullptr);
          if (LZ4F_isError(ret)) break;
          produced += dst_size;
          consumed += src_size;
          if (ret == 0) break;
          if (dst_size == 0 && src_size == 0) break;
        }
        LZ4F_freeDecompressionContext(ctx);
        if (LZ4F_isError(ret) || ret != 0 || produced != n) {
          err = fmt::format("buffer {}: corrupt LZ4 frame", i);
          return false;
        }
      } else if (comp->codec() == fb::CompressionType::ZSTD) {
        const size_t r = ZSTD_decompress(dst.get(), n, data.p, data.n);
        if (ZSTD_isError(r) || r != n) {
          err = fmt::format("buffer {}: corrupt ZSTD frame", i);
          return false;
        }
      } else {
        err = "unsupported compression codec";
        return false;
      }
      s = Span{dst.get(), n};
      owned_.push_back(std::shared_ptr<void>(dst, dst.get()));
    }
  }
  cache_[i] = s;
  out = s;
  return true;
}

// The strings of a utf8_view array: 16-byte views, each an int32 length followed by the string
// itself when it is at most 12 bytes long, else by its first 4 bytes, the index of one of the
// array's variadic data buffers and the offset of the string in that buffer. Every view is
// checked before its string is used.
class ViewStrings {
 public:
  // `buf`: the views buffer (the data buffers follow it); `variadic`: the array's entry in
  // variadicBufferCounts.
  bool open(BodyAccess& body, size_t buf, size_t variadic, int64_t n, std::string& err);
  bool get(int64_t i, std::string_view& out, std::string& err) const;

 private:
  Span views_;
  std::vector<Span> data_;
};

bool ViewStrings::open(BodyAccess& body, size_t buf, size_t variadic, int64_t n, std::string& err) {
  int64_t count = 0;
  if (!body.variadic_count(variadic, count, err) || !body.get(buf, views_, err)) return false;
  if (views_.n / 16 < static_cast<size_t>(n)) {
    err = fmt::format("views buffer ({} bytes) shorter than the column ({} views)", views_.n, n);
    return false;
  }
  data_.resize(static_cast<size_t>(count));
  for (size_t k = 0; k < data_.size(); ++k)
    if (!body.get(buf + 1 + k, data_[k], err)) return false;
  return true;
}

bool ViewStrings::get(int64_t i, std::string_view& out, std::string& err) const {
  const uint8_t* v = views_.p + i * 16;
  const int32_t len = load<int32_t>(v);
  if (len < 0) {
    err = fmt::format("string view with a negative length ({})", len);
    return false;
  }
  if (len <= 12) {
    out = std::string_view(reinterpret_cast<const char*>(v + 4), static_cast<size_t>(len));
    return true;
  }
  const int32_t index = load<int32_t>(v + 8), offset = load<int32_t>(v + 12);
  if (index < 0 || static_cast<size_t>(index) >= data_.size()) {
    err = fmt::format("string view refers to data buffer {}, but the column has {}", index,
                      data_.size());
    return false;
  }
  const Span& d = data_[static_cast<size_t>(index)];
  if (offset < 0 || static_cast<uint64_t>(offset) + static_cast<uint64_t>(len) > d.n) {
    err = fmt::format("string view (offset {}, length {}) lies outside data buffer {} ({} bytes)",
                      offset, len, index, d.n);
    return false;
  }
  if (std::memcmp(v + 4, d.p + offset, 4) != 0) {
    err = "string view prefix differs from the string in its data buffer";
    return false;
  }
  out = std::string_view(reinterpret_cast<const char*>(d.p + offset), static_cast<size_t>(len));
  return true;
}

// "" when `s` is valid UTF-8, else the reason (as the CSV reader words it).
std::string utf8_problem(std::string_view s) {
  if (is_valid_utf8(s)) return {};
  const size_t at = first_invalid_utf8(s);
  return fmt::format("invalid UTF-8 (byte 0x{:02x} at byte {} of the value)",
                     static_cast<unsigned char>(s[at]), at + 1);
}

// An integer read of any Arrow int width.
struct IntAccess {
  const uint8_t* p = nullptr;
  int width = 8;  // bytes
  bool is_signed = true;
  // Returns false when an unsigned 64-bit value does not fit in int64.
  bool get(int64_t i, int64_t& v) const {
    const uint8_t* q = p + i * width;
    switch (width) {
      case 1:
        v = is_signed ? int64_t{load<int8_t>(q)} : int64_t{load<uint8_t>(q)};
        return true;
      case 2:
        v = is_signed ? int64_t{load<int16_t>(q)} : int64_t{load<uint16_t>(q)};
        return true;
      case 4:
        v = is_signed ? int64_t{load<int32_t>(q)} : int64_t{load<uint32_t>(q)};
        return true;
      default: {
        if (is_signed) {
          v = load<int64_t>(q);
          return true;
        }
        const uint64_t u = load<uint64_t>(q);
        v = static_cast<int64_t>(u);
        return u <= static_cast<uint64_t>(INT64_MAX);
      }
    }
  }
};

bool int_type(const fb::Int* t, int& width, bool& is_signed) {
  if (!t) return false;
  const int w = t->bit_width();
  if (w != 8 && w != 16 && w != 32 && w != 64) return false;
  width = w / 8;
  is_signed = t->is_signed();
  return true;
}

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Where fail() records an error: the reader's own, or, while a column is decoded as a task of the
// pool, that column's (the first column in schema order with an error wins, as one thread would
// have it).
thread_local std::optional<SnapshotError>* tl_column_error = nullptr;

// Whether all n values of type T at p are in [0, size) (as int64; a uint64 above INT64_MAX is
// not). One loop without branches: it vectorizes.
template <typename T>
bool all_below(const uint8_t* p, int64_t n, int64_t size) {
  uint64_t bad = 0;
  for (int64_t r = 0; r < n; ++r) {
    T v;
    std::memcpy(&v, p + r * static_cast<int64_t>(sizeof(T)), sizeof(T));
    bad |= static_cast<uint64_t>(static_cast<int64_t>(v)) >= static_cast<uint64_t>(size);
  }
  return bad == 0;
}

// Whether the n + 1 offsets of type O at p are in order and within [0, limit]: the first at least
// 0, each at least the one before, the last at most `limit` (one loop without branches).
template <typename O>
bool offsets_valid(const uint8_t* p, int64_t n, size_t limit) {
  O prev, last;
  std::memcpy(&prev, p, sizeof(O));
  std::memcpy(&last, p + n * static_cast<int64_t>(sizeof(O)), sizeof(O));
  if (prev < 0 || last < 0 || static_cast<uint64_t>(last) > limit) return false;
  unsigned bad = 0;
  for (int64_t i = 1; i <= n; ++i) {
    O o;
    std::memcpy(&o, p + i * static_cast<int64_t>(sizeof(O)), sizeof(O));
    bad |= o < prev;
    prev = o;
  }
  return bad == 0;
}

// n values of type T at p (all known to fit) as int32.
template <typename T>
void widen(const uint8_t* p, int64_t n, int32_t* out) {
  for (int64_t r = 0; r < n; ++r) {
    T v;
    std::memcpy(&v, p + r * static_cast<int64_t>(sizeof(T)), sizeof(T));
    out[r] = static_cast<int32_t>(v);
  }
}

class ArrowReader final : public SnapshotReader {
 public:
  ArrowReader(std::string path, Schema schema, int threads = 1, DataErrors* sink = nullptr)
      : path_(std::move(path)),
        schema_(std::move(schema)),
        pool_(std::max(1, threads)),
        sink_(sink) {
    for (const auto& f : schema_.fields) ranged_ = ranged_ || f.checked_on_read();
  }
  // Reads from `fd` (a regular file or a memfd, mapped and closed) instead of opening the path.
  void use_fd(int fd) { fd_ = fd; }

  bool open(std::optional<SnapshotError>& err);
  bool open_schema_only(std::optional<SnapshotError>& err);  // for inference
  const fb::Schema* arrow_schema() const { return fschema_; }

  bool next(Batch& out) override;
  const std::optional<SnapshotError>& error() const override { return err_; }
  int64_t total_rows() const override { return total_; }
  std::string sha256() override {
    if (!done_ || err_ || !map_ || !fingerprint_) return "";
    if (digest_.empty()) digest_ = sha_.hex();
    return digest_;
  }
  int64_t bytes_read() const override { return static_cast<int64_t>(hashed_); }
  // Whether to hash the mapping (ReaderOptions::fingerprint); call before open().
  void set_fingerprint(bool on) { fingerprint_ = on; }

 private:
  bool fail(int64_t row, const std::string& column, std::string message) {
    (tl_column_error ? *tl_column_error : err_) =
        SnapshotError{path_, row, column, std::move(message)};
    return false;
  }
  std::string where() const { return fmt::format("record batch {}: ", batch_index_ + 1); }
  bool next_batch(Batch& out);
  // The values of the decoded batch `out` outside their fields' ranges: each reported (with a
  // sink) or the first made the error. False when reading stops here (no sink).
  bool check_batch_ranges(const Batch& out);
  bool open_container();
  bool match_schema();
  void collect_dict_fields(const fb::Field* f, int depth);
  bool read_dictionary(const MessageView& mv);
  bool decode_batch(const fb::RecordBatch* rb, Span body, Batch& out);
  bool decode_column(size_t c, const fb::RecordBatch* rb, const Position& pos, BodyAccess& body,
                     Batch& out);

  // Column decoders; `n` rows; errors name the column.
  bool get_validity(BodyAccess& body, size_t buf, const fb::FieldNode* node, int64_t n,
                    const uint8_t*& validity, const std::string& col);
  bool check_required(const FieldDef& def, const uint8_t* validity, int64_t n);
  // `buf`: the array's validity buffer; `variadic`: its entry in variadicBufferCounts when it is
  // a view array; `list_offs`: the parent list's offsets when it is a list's child array (for
  // the row of an error).
  bool decode_strings(const fb::Field* f, BodyAccess& body, size_t buf, size_t variadic, int64_t n,
                      const uint8_t* validity, Batch& out, RkColumn& col, const std::string& name,
                      std::shared_ptr<const StringDict>& dict_out,
                      const std::vector<int64_t>* list_offs = nullptr);
  bool decode_views(BodyAccess& body, size_t buf, size_t variadic, int64_t n,
                    const uint8_t* validity, Batch& out, RkColumn& col, const std::string& name,
                    std::shared_ptr<const StringDict>& dict_out,
                    const std::vector<int64_t>* list_offs);
  bool decode_codes(const fb::Field* f, BodyAccess& body, size_t buf, int64_t n,
                    const uint8_t* validity, Batch& out, const int32_t*& codes,
                    std::shared_ptr<const StringDict>& dict, const std::string& name,
                    const std::vector<int64_t>* list_offs = nullptr);
  // The 1-based snapshot row of element j of an array, and (via `item`) the element's 1-based
  // place in its list when the array is a list's child (`list_offs`: the list's offsets); row 0
  // when no row holds the element.
  int64_t row_of_element(int64_t j, const std::vector<int64_t>* list_offs, int64_t& item) const;
  // Strings must be valid UTF-8 (the Arrow format requires it, and results and explanations print
  // them): every dictionary entry, or every present value of a plain column (one pass over the
  // column's bytes when they are all ASCII).
  bool check_utf8(const RkColumn& col, const StringDict* dict, int64_t n, const std::string& name);
  // "list item K: " for an element of a list (item > 0), else "".
  static std::string item_prefix(int64_t item) {
    return item ? fmt::format("list item {}: ", item) : std::string();
  }

  std::string path_;
  Schema schema_;
  int fd_ = -1;
  std::shared_ptr<Mapping> map_;
  std::shared_ptr<uint8_t[]> metadata_copy_;  // footer / schema message when copied to align it
  bool is_file_ = false;
  const fb::Footer* footer_ = nullptr;
  const fb::Schema* fschema_ = nullptr;
  size_t stream_pos_ = 0;
  size_t next_block_ = 0;
  std::vector<Plan> plans_;
  std::map<int64_t, const fb::Field*> dict_fields_;  // id -> field carrying the dictionary
  std::map<int64_t, DictEntry> dicts_;
  int64_t next_row_ = 0;
  int64_t batch_index_ = 0;
  int64_t total_ = -1;
  bool done_ = false;
  // The run manifest's fingerprint: the mapping's bytes [0, hashed_) are in sha_, hashed in file
  // order on a thread of their own as the batches that lie in them are decoded (map_ keeps them).
  // Without fingerprint_ nothing is hashed and hashed_ only counts the bytes read.
  BackgroundSha256 sha_;
  bool fingerprint_ = true;
  size_t hashed_ = 0;
  std::string digest_;
  void hash_to(size_t end) {
    end = std::min(end, map_ ? map_->size : 0);
    if (end <= hashed_) return;
    if (fingerprint_) sha_.add(map_->data + hashed_, end - hashed_);
    hashed_ = end;
  }
  std::optional<SnapshotError> err_;
  WorkerPool pool_;                           // decodes the columns of a batch
  DataErrors* sink_ = nullptr;                // where bad rows go (ReaderOptions::errors)
  bool ranged_ = false;                       // some field has a value range or zones
  std::optional<SnapshotError> first_error_;  // the first value outside its range
  bool finished_ = false;
  struct ColumnJob {
    Batch batch;
    std::optional<SnapshotError> error;
  };
  std::vector<ColumnJob> jobs_;
};

bool ArrowReader::open_container() {
  std::string e;
  if (fd_ >= 0) {
    map_ = map_fd(fd_, e);
    fd_ = -1;
  } else {
    map_ = map_file(path_, e);
  }
  if (!map_) return fail(0, "", e);
  const Mapping& m = *map_;
  if (m.size >= 6 && std::memcmp(m.data, kMagic, 6) == 0) {
    is_file_ = true;
    if (m.size < 6 + 2 + 4 + 6) return fail(0, "", "truncated Arrow file (no footer)");
    if (std::memcmp(m.data + m.size - 6, kMagic, 6) != 0)
      return fail(0, "", "truncated Arrow file (the closing ARROW1 magic is missing)");
    const int32_t flen = load<int32_t>(m.data + m.size - 10);
    if (flen <= 0 || static_cast<size_t>(flen) > m.size - 10 - 8)
      return fail(0, "", fmt::format("corrupt Arrow file footer (length {})", flen));
    const uint8_t* fp =
        aligned_copy(m.data + m.size - 10 - flen, static_cast<size_t>(flen), metadata_copy_);
    flatbuffers::Verifier v(fp, static_cast<size_t>(flen));
    if (!v.VerifyBuffer<fb::Footer>(nullptr)) return fail(0, "", "corrupt Arrow file footer");
    footer_ = flatbuffers::GetRoot<fb::Footer>(fp);
    if (!structs_aligned(footer_->record_batches()) || !structs_aligned(footer_->dictionaries()))
      return fail(0, "", "corrupt Arrow file footer (misaligned blocks)");
    fschema_ = footer_->schema();
    if (!fschema_) return fail(0, "", "the Arrow file footer has no schema");
  } else {
    MessageView mv;
    if (!read_message(m, 0, mv, e)) return fail(0, "", "not an Arrow IPC file or stream: " + e);
    if (mv.eos || mv.msg->header_type() != fb::MessageHeader::Schema)
      return fail(0, "", "not an Arrow IPC stream: it does not start with a schema message");
    fschema_ = mv.msg->header_as_Schema();
    if (!fschema_) return fail(0, "", "corrupt Arrow stream: the schema message is empty");
    metadata_copy_ = mv.meta_copy;
    stream_pos_ = mv.next;
  }
  if (fschema_->endianness() != fb::Endianness::Little)
    return fail(0, "", "big-endian Arrow data is not supported");
  if (!fschema_->fields()) return fail(0, "", "the Arrow schema has no fields");
  for (const fb::Field* f : *fschema_->fields()) collect_dict_fields(f, 0);
  return true;
}

void ArrowReader::collect_dict_fields(const fb::Field* f, int depth) {
  if (!f || depth > 64) return;
  if (f->dictionary()) dict_fields_.emplace(f->dictionary()->id(), f);
  if (f->children())
    for (const fb::Field* c : *f->children()) collect_dict_fields(c, depth + 1);
}

bool ArrowReader::match_schema() {
  const auto* fields = fschema_->fields();
  std::vector<std::string_view> names;
  names.reserve(fields->size());
  for (const fb::Field* f : *fields)
    names.push_back(f->name() ? f->name()->string_view() : std::string_view("(unnamed)"));
  std::optional<SnapshotError> e;
  const auto positions = match_columns(names, schema_, path_, "Arrow schema", 0, e);
  if (!positions) {
    err_ = e;
    return false;
  }
  for (size_t k = 0; k < schema_.fields.size(); ++k) {
    const FieldDef& def = schema_.fields[k];
    Plan p;
    p.arrow_index = static_cast<int>((*positions)[k]);
    p.field = fields->Get(static_cast<flatbuffers::uoffset_t>((*positions)[k]));
    if (!compatible(def.type, p.field))
      return fail(0, def.name,
                  fmt::format("is {} in the snapshot but the schema says {}", type_name(p.field),
                              field_type_name(def.type)));
    plans_.push_back(p);
  }
  return true;
}

bool ArrowReader::read_dictionary(const MessageView& mv) {
  const fb::DictionaryBatch* db = mv.msg->header_as_DictionaryBatch();
  if (!db || !db->data()) return fail(0, "", "corrupt dictionary batch");
  const int64_t id = db->id();
  auto fit = dict_fields_.find(id);
  if (fit == dict_fields_.end())
    return fail(0, "", fmt::format("dictionary batch for unknown dictionary id {}", id));
  const fb::Field* f = fit->second;
  const Kind vk = plain_kind(f);
  if (!is_string_kind(vk)) return true;  // a dictionary we never read (the column is rejected)
  const fb::RecordBatch* rb = db->data();
  std::vector<std::shared_ptr<void>> keep;
  keep.push_back(map_);
  BodyAccess body(rb, mv.body, keep);
  const int64_t n = rb->length();
  const std::string name = f->name() ? f->name()->str() : std::string();
  if (!rb->nodes() || rb->nodes()->size() < 1 || n < 0 || n > kMaxRows ||
      rb->nodes()->Get(0)->length() != n)
    return fail(0, name, fmt::format("corrupt dictionary batch (id {})", id));
  std::string e;
  auto dict = std::make_shared<StringDict>();
  const auto it = dicts_.find(id);
  if (db->is_delta() && it != dicts_.end()) {
    dict->entries = it->second.dict->entries;
    keep.insert(keep.end(), it->second.keep.begin(), it->second.keep.end());
    keep.push_back(std::const_pointer_cast<StringDict>(it->second.dict));
  }
  if (vk == Kind::Utf8View) {
    // Views are checked one by one; a missing entry (never referenced by a present row, as
    // writers use it) reads as "".
    const int64_t nulls = rb->nodes()->Get(0)->null_count();
    if (nulls < 0 || nulls > n)
      return fail(0, name, fmt::format("dictionary (id {}): corrupt null count {}", id, nulls));
    Span valid;
    if (nulls > 0 && (!body.get(0, valid, e) || valid.n < static_cast<size_t>((n + 7) / 8)))
      return fail(0, name,
                  fmt::format("dictionary (id {}): {}", id,
                              e.empty() ? "validity bitmap shorter than the dictionary" : e));
    ViewStrings strings;
    if (!strings.open(body, 1, 0, n, e))
      return fail(0, name, fmt::format("dictionary (id {}): {}", id, e));
    for (int64_t i = 0; i < n; ++i) {
      std::string_view s;
      if (nulls > 0 && !bit_is_set(valid.p, i)) {
        dict->entries.emplace_back();
        continue;
      }
      if (!strings.get(i, s, e))
        return fail(0, name, fmt::format("dictionary (id {}) entry {}: {}", id, i, e));
      if (const std::string bad = utf8_problem(s); !bad.empty())
        return fail(0, name, fmt::format("dictionary (id {}) entry {}: {}", id, i, bad));
      dict->entries.push_back(s);
    }
    if (dict->entries.size() > static_cast<size_t>(INT32_MAX))
      return fail(0, name, "dictionary too large");
    // Checked above (and a delta's earlier entries when their dictionary was).
    dict->utf8_checked = !(db->is_delta() && it != dicts_.end()) || it->second.dict->utf8_checked;
    dicts_[id] = DictEntry{std::move(dict), std::move(keep)};
    return true;
  }
  Span off, data;
  if (!body.get(1, off, e) || !body.get(2, data, e))
    return fail(0, name, fmt::format("dictionary (id {}): {}", id, e));
  const size_t w = vk == Kind::Utf8 ? 4 : 8;
  if (n > 0 && (off.n / w < static_cast<size_t>(n) + 1))
    return fail(0, name, fmt::format("dictionary (id {}): offsets buffer too short", id));
  int64_t prev = 0;
  for (int64_t i = 0; i <= n && n > 0; ++i) {
    const int64_t o = w == 4 ? load<int32_t>(off.p + i * 4) : load<int64_t>(off.p + i * 8);
    if (o < 0 || static_cast<uint64_t>(o) > data.n || (i > 0 && o < prev))
      return fail(0, name, fmt::format("dictionary (id {}): offsets out of order or range", id));
    if (i > 0)
      dict->entries.emplace_back(reinterpret_cast<const char*>(data.p) + prev,
                                 static_cast<size_t>(o - prev));
    prev = o;
  }
  if (dict->entries.size() > static_cast<size_t>(INT32_MAX))
    return fail(0, name, "dictionary too large");
  dicts_[id] = DictEntry{std::move(dict), std::move(keep)};
  return true;
}

bool ArrowReader::open(std::optional<SnapshotError>& err) {
  if (!open_container() || !match_schema()) {
    err = err_;
    return false;
  }
  if (is_file_) {
    std::string e;
    if (const auto* dblocks = footer_->dictionaries()) {
      for (const fb::Block* b : *dblocks) {
        MessageView mv;
        if (b->offset() < 0 || static_cast<uint64_t>(b->offset()) >= map_->size ||
            !read_message(*map_, static_cast<size_t>(b->offset()), mv, e) || mv.eos ||
            mv.msg->header_type() != fb::MessageHeader::DictionaryBatch) {
          fail(0, "", "corrupt dictionary block in the Arrow file" + (e.empty() ? "" : ": " + e));
          err = err_;
          return false;
        }
        if (!read_dictionary(mv)) {
          err = err_;
          return false;
        }
      }
    }
    total_ = 0;
    if (const auto* rblocks = footer_->record_batches()) {
      int64_t k = 0;
      for (const fb::Block* b : *rblocks) {
        ++k;
        MessageView mv;
        if (b->offset() < 0 || static_cast<uint64_t>(b->offset()) >= map_->size ||
            !read_message(*map_, static_cast<size_t>(b->offset()), mv, e) || mv.eos ||
            mv.msg->header_type() != fb::MessageHeader::RecordBatch) {
          fail(0, "",
               fmt::format("record batch {}: corrupt block{}", k, e.empty() ? "" : ": " + e));
          err = err_;
          return false;
        }
        const fb::RecordBatch* rb = mv.msg->header_as_RecordBatch();
        if (!rb) {
          fail(0, "", fmt::format("record batch {}: corrupt block (empty header)", k));
          err = err_;
          return false;
        }
        const int64_t len = rb->length();
        if (len < 0 || len > INT64_MAX - total_) {
          fail(0, "", fmt::format("record batch {}: corrupt length {}", k, len));
          err = err_;
          return false;
        }
        total_ += len;
      }
    }
  }
  return true;
}

bool ArrowReader::open_schema_only(std::optional<SnapshotError>& err) {
  if (!open_container()) {
    err = err_;
    return false;
  }
  return true;
}

bool ArrowReader::next(Batch& out) {
  bool ok = next_batch(out);
  // With a sink, a snapshot with a value out of range is read to its end (every such row
  // reported) and no batch is handed out after it; error() is then the first.
  while (ok && first_error_) ok = next_batch(out);
  if (!ok && !finished_) {
    finished_ = true;
    if (sink_ && err_ && first_error_) sink_->report(*err_);  // what stopped the reading
    if (first_error_) err_ = first_error_;
  }
  return ok;
}

bool ArrowReader::check_batch_ranges(const Batch& out) {
  if (!ranged_) return true;
  const int64_t first = next_row_;
  check_ranges(schema_, out, sink_ != nullptr, [&](int64_t r, size_t f, std::string message) {
    SnapshotError e{path_, first + r + 1, schema_.fields[f].name, std::move(message)};
    if (sink_) sink_->report(e);
    if (!first_error_) first_error_ = std::move(e);
  });
  if (!first_error_ || sink_) return true;
  err_ = first_error_;
  return false;
}

bool ArrowReader::next_batch(Batch& out) {
  if (done_ || err_) return false;
  std::string e;
  while (true) {
    MessageView mv;
    if (is_file_) {
      const auto* rblocks = footer_->record_batches();
      if (!rblocks || next_block_ >= rblocks->size()) {
        done_ = true;
        hash_to(map_->size);
        return false;
      }
      const fb::Block* b = rblocks->Get(static_cast<flatbuffers::uoffset_t>(next_block_++));
      if (!read_message(*map_, static_cast<size_t>(b->offset()), mv, e))
        return fail(0, "", where() + e);
    } else {
      if (!read_message(*map_, stream_pos_, mv, e)) return fail(0, "", where() + e);
      if (mv.eos) {
        done_ = true;
        hash_to(map_->size);
        return false;
      }
      stream_pos_ = mv.next;
    }
    switch (mv.msg->header_type()) {
      case fb::MessageHeader::DictionaryBatch:
        if (!read_dictionary(mv)) return false;
        continue;
      case fb::MessageHeader::RecordBatch: {
        const fb::RecordBatch* rb = mv.msg->header_as_RecordBatch();
        if (!rb) return fail(0, "", where() + "corrupt record batch");
        if (!decode_batch(rb, mv.body, out)) return false;
        ++batch_index_;
        hash_to(static_cast<size_t>(mv.body.p + mv.body.n - map_->data));
        return true;
      }
      default:
        return fail(0, "", where() + "unexpected message in the Arrow stream");
    }
  }
}

bool ArrowReader::decode_batch(const fb::RecordBatch* rb, Span body_span, Batch& out) {
  const int64_t n = rb->length();
  if (n < 0 || n > kMaxRows || n > INT64_MAX - next_row_)
    return fail(0, "", where() + fmt::format("corrupt row count {}", n));
  out = Batch{};
  out.num_rows = n;
  out.first_row = next_row_;
  out.columns.assign(schema_.fields.size(), RkColumn{});
  out.dicts.assign(schema_.fields.size(), nullptr);
  out.owned.push_back(map_);
  // Positions of every top-level field.
  const auto* fields = fschema_->fields();
  std::vector<Position> positions(fields->size());
  size_t nodes = 0, buffers = 0, variadic = 0;
  std::string why;
  for (flatbuffers::uoffset_t i = 0; i < fields->size(); ++i) {
    positions[i] = Position{nodes, buffers, variadic};
    if (!walk_layout(fields->Get(i), rb, nodes, buffers, variadic, 0, why))
      return fail(0, "", where() + "cannot lay out the record batch: " + why);
  }
  if (!rb->nodes() || rb->nodes()->size() < nodes)
    return fail(0, "", where() + "fewer field nodes than the schema needs");
  if (!rb->buffers() || rb->buffers()->size() < buffers)
    return fail(0, "", where() + "fewer buffers than the schema needs");
  // The columns are independent: each is decoded by a task of the pool into a batch of its own
  // (its buffers, its decompressed bodies, its error), then moved into `out` in schema order.
  const size_t nc = plans_.size();
  if (jobs_.size() < nc) jobs_.resize(nc);
  pool_.run(static_cast<int64_t>(nc), [&](int64_t ci) {
    const auto c = static_cast<size_t>(ci);
    ColumnJob& job = jobs_[c];
    job.error.reset();
    job.batch = Batch{};
    job.batch.num_rows = n;
    job.batch.first_row = next_row_;
    job.batch.columns.assign(nc, RkColumn{});
    job.batch.dicts.assign(nc, nullptr);
    tl_column_error = &job.error;
    BodyAccess body(rb, body_span, job.batch.owned);
    if (!decode_column(c, rb, positions[static_cast<size_t>(plans_[c].arrow_index)], body,
                       job.batch) &&
        !job.error)
      job.error = SnapshotError{path_, 0, schema_.fields[c].name, where() + "cannot decode"};
    tl_column_error = nullptr;
  });
  for (size_t c = 0; c < nc; ++c)
    if (jobs_[c].error) {
      err_ = std::move(jobs_[c].error);
      return false;
    }
  for (size_t c = 0; c < nc; ++c) {
    Batch& b = jobs_[c].batch;
    out.columns[c] = b.columns[c];
    out.dicts[c] = std::move(b.dicts[c]);
    for (auto& keep : b.owned) out.owned.push_back(std::move(keep));
    b = Batch{};
  }
  const bool in_range = check_batch_ranges(out);
  next_row_ += n;
  return in_range;
}

bool ArrowReader::get_validity(BodyAccess& body, size_t buf, const fb::FieldNode* node, int64_t n,
                               const uint8_t*& validity, const std::string& col) {
  validity = nullptr;
  const int64_t nulls = node->null_count();
  if (n < 0 || n > kMaxRows) return fail(0, col, where() + fmt::format("corrupt length {}", n));
  if (nulls < 0 || nulls > n)
    return fail(0, col, where() + fmt::format("corrupt null count {}", nulls));
  if (nulls == 0) return true;
  std::string e;
  Span s;
  if (!body.get(buf, s, e)) return fail(0, col, where() + e);
  if (s.n < static_cast<size_t>((n + 7) / 8))
    return fail(0, col, where() + "validity bitmap shorter than the column");
  validity = s.p;
  return true;
}

bool ArrowReader::check_required(const FieldDef& def, const uint8_t* validity, int64_t n) {
  if (def.nullable || !validity) return true;
  for (int64_t r = 0; r < n; ++r)
    if (!bit_is_set(validity, r))
      return fail(next_row_ + r + 1, def.name,
                  "missing value, but the schema does not allow missing values");
  return true;
}

// Dictionary codes of a dictionary-encoded string array as int32 (validated against the
// dictionary for present rows; missing rows get code 0).
int64_t ArrowReader::row_of_element(int64_t j, const std::vector<int64_t>* list_offs,
                                    int64_t& item) const {
  item = 0;
  if (!list_offs) return next_row_ + j + 1;
  const auto it = std::upper_bound(list_offs->begin(), list_offs->end(), j);
  if (it == list_offs->begin() || it == list_offs->end()) return 0;
  const int64_t r = (it - list_offs->begin()) - 1;
  item = j - (*list_offs)[static_cast<size_t>(r)] + 1;
  return next_row_ + r + 1;
}

// Whether a value of a plain string column starts inside a multi-byte character (with a
// continuation byte 10xxxxxx); O is the offset type.
template <typename O>
bool a_value_starts_inside_a_character(const RkColumn& col, int64_t n, int64_t end) {
  const auto* off = static_cast<const O*>(col.offsets);
  unsigned inside = 0;
  for (int64_t r = 0; r < n; ++r)
    inside |= off[r] < end ? unsigned{(static_cast<uint8_t>(col.data[off[r]]) & 0xC0) == 0x80} : 0u;
  return inside != 0;
}

bool ArrowReader::check_utf8(const RkColumn& col, const StringDict* dict, int64_t n,
                             const std::string& name) {
  if (dict) {
    // (Columns are decoded in parallel; two could share a dictionary: the flag is atomic.)
    std::atomic_ref<bool> checked(dict->utf8_checked);
    if (checked.load(std::memory_order_acquire) || dict->entries.empty()) return true;
    for (size_t i = 0; i < dict->entries.size(); ++i)
      if (std::string problem = utf8_problem(dict->entries[i]); !problem.empty())
        return fail(0, name, where() + fmt::format("dictionary entry {}: {}", i, problem));
    checked.store(true, std::memory_order_release);
    return true;
  }
  if (n == 0 || (col.encoding != RK_STR_PLAIN32 && col.encoding != RK_STR_PLAIN64)) return true;
  const bool wide = col.encoding == RK_STR_PLAIN64;
  const int64_t begin = wide ? static_cast<const int64_t*>(col.offsets)[0]
                             : static_cast<const int32_t*>(col.offsets)[0];
  const int64_t end = wide ? static_cast<const int64_t*>(col.offsets)[n]
                           : static_cast<const int32_t*>(col.offsets)[n];
  // The column's bytes as one text (those of missing values too): when they are valid UTF-8 and
  // no value starts inside a character, no character crosses a value's end, so every value is
  // valid. Otherwise value by value, to name the row.
  const std::string_view bytes(col.data + begin, static_cast<size_t>(end - begin));
  if (all_ascii(bytes.data(), bytes.size())) return true;
  if (first_invalid_utf8(bytes) == std::string_view::npos &&
      !(wide ? a_value_starts_inside_a_character<int64_t>(col, n, end)
             : a_value_starts_inside_a_character<int32_t>(col, n, end)))
    return true;
  for (int64_t r = 0; r < n; ++r)
    if (const auto s = column_string_at(col, r))
      if (std::string problem = utf8_problem(*s); !problem.empty())
        return fail(next_row_ + r + 1, name, where() + problem);
  return true;
}

bool ArrowReader::decode_codes(const fb::Field* f, BodyAccess& body, size_t buf, int64_t n,
                               const uint8_t* validity, Batch& out, const int32_t*& codes,
                               std::shared_ptr<const StringDict>& dict, const std::string& name,
                               const std::vector<int64_t>* list_offs) {
  const int64_t id = f->dictionary()->id();
  auto it = dicts_.find(id);
  if (it == dicts_.end() && n > 0)
    return fail(0, name, where() + fmt::format("dictionary id {} was never sent", id));
  static const auto kEmpty = std::make_shared<const StringDict>();
  if (it != dicts_.end()) {
    dict = it->second.dict;
    out.owned.insert(out.owned.end(), it->second.keep.begin(), it->second.keep.end());
  } else {
    dict = kEmpty;
  }
  int width = 4;
  bool is_signed = true;
  if (const auto* it_type = f->dictionary()->index_type()) int_type(it_type, width, is_signed);
  std::string e;
  Span s;
  if (!body.get(buf, s, e)) return fail(0, name, where() + e);
  if (s.n / static_cast<size_t>(width) < static_cast<size_t>(n))
    return fail(0, name, where() + "index buffer shorter than the column");
  const int64_t size = static_cast<int64_t>(dict->entries.size());
  IntAccess ia{s.p, width, is_signed};
  bool in_place = width == 4 && is_signed && aligned<int32_t>(s.p);
  // The usual case first: every index (of present and missing rows alike) inside the dictionary,
  // checked by one loop without branches per width; then the codes are used in place or copied.
  bool all_inside = false;
  switch (width) {
    case 1:
      all_inside = is_signed ? all_below<int8_t>(s.p, n, size) : all_below<uint8_t>(s.p, n, size);
      break;
    case 2:
      all_inside = is_signed ? all_below<int16_t>(s.p, n, size) : all_below<uint16_t>(s.p, n, size);
      break;
    case 4:
      all_inside = is_signed ? all_below<int32_t>(s.p, n, size) : all_below<uint32_t>(s.p, n, size);
      break;
    default:
      all_inside = is_signed ? all_below<int64_t>(s.p, n, size) : all_below<uint64_t>(s.p, n, size);
      break;
  }
  if (all_inside && in_place) {
    codes = reinterpret_cast<const int32_t*>(s.p);
    return true;
  }
  if (all_inside) {
    auto buf_out = make_buffer<int32_t>(static_cast<size_t>(n));
    int32_t* dst = buf_out->data();
    switch (width) {
      case 1:  // (every index is in [0, size): signed or not, the byte is the same value)
        widen<uint8_t>(s.p, n, dst);
        break;
      case 2:
        is_signed ? widen<int16_t>(s.p, n, dst) : widen<uint16_t>(s.p, n, dst);
        break;
      case 4:
        is_signed ? widen<int32_t>(s.p, n, dst) : widen<uint32_t>(s.p, n, dst);
        break;
      default:
        is_signed ? widen<int64_t>(s.p, n, dst) : widen<uint64_t>(s.p, n, dst);
        break;
    }
    if (validity)  // missing rows get code 0, as below
      for (int64_t r = 0; r < n; ++r)
        if (!bit_is_set(validity, r)) dst[r] = 0;
    codes = dst;
    out.owned.push_back(buf_out);
    return true;
  }
  for (int64_t r = 0; r < n; ++r) {
    int64_t v = 0;
    const bool ok = ia.get(r, v);
    if (!is_present(validity, r)) {
      if (!ok || v < 0 || v >= size) in_place = false;
      continue;
    }
    if (!ok || v < 0 || v >= size) {
      int64_t item = 0;
      const int64_t row = row_of_element(r, list_offs, item);
      return fail(
          row, name,
          where() + item_prefix(item) +
              fmt::format("dictionary index {} is outside the dictionary ({} entries)", v, size));
    }
  }
  if (in_place) {
    codes = reinterpret_cast<const int32_t*>(s.p);
    return true;
  }
  auto buf_out = make_buffer<int32_t>(static_cast<size_t>(n));
  for (int64_t r = 0; r < n; ++r) {
    int64_t v = 0;
    (*buf_out)[static_cast<size_t>(r)] =
        is_present(validity, r) && ia.get(r, v) ? static_cast<int32_t>(v) : 0;
  }
  codes = buf_out->data();
  out.owned.push_back(buf_out);
  return true;
}

// A utf8_view array as a String column: its present strings are interned into a dictionary of
// the batch (views into the views buffer or the data buffers, no copies), each new one checked to
// be UTF-8; missing rows get code 0.
bool ArrowReader::decode_views(BodyAccess& body, size_t buf, size_t variadic, int64_t n,
                               const uint8_t* validity, Batch& out, RkColumn& col,
                               const std::string& name, std::shared_ptr<const StringDict>& dict_out,
                               const std::vector<int64_t>* list_offs) {
  // The 1-based snapshot row of element j, and the element's place in its list (0 when the
  // array is not a list's child or no row holds the element).
  auto fail_at = [&](int64_t j, const std::string& message) {
    int64_t item = 0;
    const int64_t row = row_of_element(j, list_offs, item);
    return fail(row, name, where() + item_prefix(item) + message);
  };
  if (n > INT32_MAX) return fail(0, name, where() + "string column too large");
  std::string e;
  ViewStrings strings;
  if (!strings.open(body, buf + 1, variadic, n, e)) return fail(0, name, where() + e);
  auto dict = std::make_shared<StringDict>();
  auto codes = make_buffer<int32_t>(static_cast<size_t>(n));
  ViewIndex index;
  for (int64_t r = 0; r < n; ++r) {
    if (!is_present(validity, r)) continue;  // code 0
    std::string_view s;
    if (!strings.get(r, s, e)) return fail_at(r, e);
    const size_t before = dict->entries.size();
    (*codes)[static_cast<size_t>(r)] = index.find_or_add(s, dict->entries);
    if (dict->entries.size() != before) {
      const std::string bad = utf8_problem(s);
      if (!bad.empty()) return fail_at(r, bad);
    }
  }
  col.encoding = RK_STR_DICT;
  col.values = codes->data();
  col.dict = dict.get();
  out.owned.push_back(codes);
  dict->utf8_checked = true;  // every distinct string was checked as it came in
  dict_out = std::move(dict);
  return true;
}

// A string-like array (utf8, large_utf8, utf8_view or dictionary<utf8>) as a String column.
bool ArrowReader::decode_strings(const fb::Field* f, BodyAccess& body, size_t buf, size_t variadic,
                                 int64_t n, const uint8_t* validity, Batch& out, RkColumn& col,
                                 const std::string& name,
                                 std::shared_ptr<const StringDict>& dict_out,
                                 const std::vector<int64_t>* list_offs) {
  if (f->dictionary()) {
    const int32_t* codes = nullptr;
    if (!decode_codes(f, body, buf + 1, n, validity, out, codes, dict_out, name, list_offs))
      return false;
    col.encoding = RK_STR_DICT;
    col.values = codes;
    col.dict = dict_out.get();
    return true;
  }
  if (plain_kind(f) == Kind::Utf8View)
    return decode_views(body, buf, variadic, n, validity, out, col, name, dict_out, list_offs);
  const bool large = plain_kind(f) == Kind::LargeUtf8;
  const size_t w = large ? 8 : 4;
  std::string e;
  Span off, data;
  if (!body.get(buf + 1, off, e) || !body.get(buf + 2, data, e)) return fail(0, name, where() + e);
  col.encoding = large ? RK_STR_PLAIN64 : RK_STR_PLAIN32;
  col.data = reinterpret_cast<const char*>(data.p);
  if (n == 0) {
    static const int64_t kZero = 0;
    col.offsets = &kZero;
    return true;
  }
  if (off.n / w < static_cast<size_t>(n) + 1)
    return fail(0, name, where() + "offsets buffer shorter than the column");
  if (!(large ? offsets_valid<int64_t>(off.p, n, data.n)
              : offsets_valid<int32_t>(off.p, n, data.n)))
    return fail(0, name, where() + "string offsets out of order or outside the data");
  if ((large && aligned<int64_t>(off.p)) || (!large && aligned<int32_t>(off.p))) {
    col.offsets = off.p;
  } else {
    auto copy = make_buffer<uint8_t>(w * (static_cast<size_t>(n) + 1) + 8);
    // vector<uint8_t> storage from operator new is suitably aligned for int64.
    std::memcpy(copy->data(), off.p, w * (static_cast<size_t>(n) + 1));
    col.offsets = copy->data();
    out.owned.push_back(copy);
  }
  return true;
}

bool ArrowReader::decode_column(size_t c, const fb::RecordBatch* rb, const Position& pos,
                                BodyAccess& body, Batch& out) {
  const FieldDef& def = schema_.fields[c];
  const fb::Field* f = plans_[c].field;
  const std::string& name = def.name;
  const int64_t n = out.num_rows;
  const fb::FieldNode* node = rb->nodes()->Get(static_cast<flatbuffers::uoffset_t>(pos.node));
  if (node->length() != n)
    return fail(0, name,
                where() + fmt::format("column length {} differs from the batch length {}",
                                      node->length(), n));
  RkColumn& col = out.columns[c];
  const uint8_t* validity = nullptr;
  if (!get_validity(body, pos.buffer, node, n, validity, name)) return false;
  if (!check_required(def, validity, n)) return false;
  col.validity = validity;
  std::string e;
  const Kind k = kind_of(f);
  switch (def.type) {
    case FieldType::Bool: {
      Span s;
      if (!body.get(pos.buffer + 1, s, e)) return fail(0, name, where() + e);
      if (s.n < static_cast<size_t>((n + 7) / 8))
        return fail(0, name, where() + "bool buffer shorter than the column");
      static const uint8_t kNone = 0;
      col.values = n ? s.p : &kNone;
      return true;
    }
    case FieldType::Int:
    case FieldType::Number:
    case FieldType::Money:
    case FieldType::Percent: {
      Span s;
      if (!body.get(pos.buffer + 1, s, e)) return fail(0, name, where() + e);
      const bool want_int = def.type == FieldType::Int;
      int width = 8;
      bool is_signed = true;
      if (k == Kind::Int) {
        if (!int_type(f->type_as_Int(), width, is_signed))
          return fail(0, name, "unsupported integer width");
      } else {
        width = f->type_as_FloatingPoint()->precision() == fb::Precision::SINGLE ? 4 : 8;
      }
      if (s.n / static_cast<size_t>(width) < static_cast<size_t>(n))
        return fail(0, name, where() + "value buffer shorter than the column");
      // Zero copy when the layout already is ours.
      if (want_int && k == Kind::Int && width == 8 && is_signed && aligned<int64_t>(s.p)) {
        col.values = s.p;
        return true;
      }
      if (!want_int && k == Kind::Float && width == 8 && aligned<double>(s.p)) {
        col.values = s.p;
        return true;
      }
      if (want_int) {
        auto v = make_buffer<int64_t>(static_cast<size_t>(n));
        IntAccess ia{s.p, width, is_signed};
        for (int64_t r = 0; r < n; ++r) {
          int64_t x = 0;
          if (!ia.get(r, x) && is_present(validity, r))
            return fail(
                next_row_ + r + 1, name,
                fmt::format("value {} does not fit in a 64-bit int", load<uint64_t>(s.p + r * 8)));
          (*v)[static_cast<size_t>(r)] = x;
        }
        col.values = v->data();
        out.owned.push_back(v);
      } else {
        auto v = make_buffer<double>(static_cast<size_t>(n));
        if (k == Kind::Float) {
          for (int64_t r = 0; r < n; ++r)
            (*v)[static_cast<size_t>(r)] =
                width == 4 ? load<float>(s.p + r * 4) : load<double>(s.p + r * 8);
        } else {
          IntAccess ia{s.p, width, is_signed};
          for (int64_t r = 0; r < n; ++r) {
            int64_t x = 0;
            if (ia.get(r, x))
              (*v)[static_cast<size_t>(r)] = static_cast<double>(x);
            else
              (*v)[static_cast<size_t>(r)] = static_cast<double>(load<uint64_t>(s.p + r * 8));
          }
        }
        col.values = v->data();
        out.owned.push_back(v);
      }
      return true;
    }
    case FieldType::Date: {
      Span s;
      if (!body.get(pos.buffer + 1, s, e)) return fail(0, name, where() + e);
      int64_t per_day = 0;  // 0: already days (date32)
      if (k == Kind::Date) {
        if (f->type_as_Date()->unit() != fb::DateUnit::DAY) per_day = 86400000;
      } else {
        static constexpr int64_t kPerDay[] = {86400, 86400000, 86400000000, 86400000000000};
        const int u = static_cast<int>(f->type_as_Timestamp()->unit());
        if (u < 0 || u > 3) return fail(0, name, "unknown timestamp unit");
        per_day = kPerDay[u];
      }
      const size_t width = per_day == 0 ? 4 : 8;
      if (s.n / width < static_cast<size_t>(n))
        return fail(0, name, where() + "value buffer shorter than the column");
      if (per_day == 0 && aligned<int32_t>(s.p)) {
        col.values = s.p;
        return true;
      }
      auto v = make_buffer<int32_t>(static_cast<size_t>(n));
      for (int64_t r = 0; r < n; ++r) {
        int64_t d = per_day == 0 ? load<int32_t>(s.p + r * 4)
                                 : floor_div(load<int64_t>(s.p + r * 8), per_day);
        if (d < INT32_MIN || d > INT32_MAX) {
          if (is_present(validity, r)) return fail(next_row_ + r + 1, name, "date out of range");
          d = 0;
        }
        (*v)[static_cast<size_t>(r)] = static_cast<int32_t>(d);
      }
      col.values = v->data();
      out.owned.push_back(v);
      return true;
    }
    case FieldType::String: {
      std::shared_ptr<const StringDict> dict;
      if (!decode_strings(f, body, pos.buffer, pos.variadic, n, validity, out, col, name, dict))
        return false;
      if (!check_utf8(col, dict.get(), n, name)) return false;
      out.dicts[c] = dict;
      return true;
    }
    case FieldType::Enum: {
      RkColumn tmp{};
      tmp.validity = validity;
      std::shared_ptr<const StringDict> dict;
      if (!decode_strings(f, body, pos.buffer, pos.variadic, n, validity, out, tmp, name, dict))
        return false;
      auto v = make_buffer<int32_t>(static_cast<size_t>(n));
      std::vector<int32_t> by_code;
      if (dict) {
        by_code.resize(dict->entries.size());
        for (size_t i = 0; i < dict->entries.size(); ++i)
          by_code[i] = Schema::enum_ordinal(def, dict->entries[i]);
      }
      // Every dictionary entry an enum value (the usual case): a table lookup per row, no
      // checks (the codes of every row, missing ones too, are inside the dictionary).
      if (dict && !by_code.empty() &&
          std::all_of(by_code.begin(), by_code.end(), [](int32_t o) { return o >= 0; })) {
        const auto* codes = static_cast<const int32_t*>(tmp.values);
        int32_t* dst = v->data();
        for (int64_t r = 0; r < n; ++r) dst[r] = by_code[static_cast<size_t>(codes[r])];
        if (validity)
          for (int64_t r = 0; r < n; ++r)
            if (!bit_is_set(validity, r)) dst[r] = 0;
        col.values = v->data();
        out.owned.push_back(v);
        return true;
      }
      Batch view;  // string_at needs a batch; borrow the column
      view.columns.push_back(tmp);
      for (int64_t r = 0; r < n; ++r) {
        if (!is_present(validity, r)) {
          (*v)[static_cast<size_t>(r)] = 0;
          continue;
        }
        int32_t ord;
        std::string_view text;
        if (dict) {
          const int32_t code = static_cast<const int32_t*>(tmp.values)[r];
          ord = by_code[static_cast<size_t>(code)];
          text = dict->entries[static_cast<size_t>(code)];
        } else {
          text = *view.string_at(0, r);
          ord = Schema::enum_ordinal(def, text);
        }
        if (ord < 0) {
          std::string allowed;
          for (const auto& s : def.enum_values) allowed += (allowed.empty() ? "" : ", ") + s;
          return fail(next_row_ + r + 1, name,
                      fmt::format("\"{}\" is not one of {}", text, allowed));
        }
        (*v)[static_cast<size_t>(r)] = ord;
      }
      col.values = v->data();
      out.owned.push_back(v);
      return true;
    }
    case FieldType::StringList: {
      const fb::Field* child = string_list_child(f);
      const bool large = k == Kind::LargeList;
      Span off;
      if (!body.get(pos.buffer + 1, off, e)) return fail(0, name, where() + e);
      const size_t w = large ? 8 : 4;
      const size_t child_node_index = pos.node + 1;
      const fb::FieldNode* cnode =
          rb->nodes()->Get(static_cast<flatbuffers::uoffset_t>(child_node_index));
      const int64_t cn = cnode->length();
      if (cn < 0) return fail(0, name, where() + "corrupt list child length");
      if (n > 0 && off.n / w < static_cast<size_t>(n) + 1)
        return fail(0, name, where() + "list offsets buffer shorter than the column");
      std::vector<int64_t> offs(static_cast<size_t>(n) + 1, 0);
      for (int64_t i = 0; i <= n && n > 0; ++i) {
        const int64_t o = large ? load<int64_t>(off.p + i * 8) : load<int32_t>(off.p + i * 4);
        if (o < 0 || o > cn || (i > 0 && o < offs[static_cast<size_t>(i - 1)]))
          return fail(0, name, where() + "list offsets out of order or outside the child array");
        offs[static_cast<size_t>(i)] = o;
      }
      // The child array: its own validity, then strings or dictionary codes.
      const size_t cbuf = pos.buffer + 2;
      const uint8_t* cvalid = nullptr;
      if (!get_validity(body, cbuf, cnode, cn, cvalid, name)) return false;
      RkColumn ccol{};
      std::shared_ptr<const StringDict> cdict;
      if (!decode_strings(child, body, cbuf, pos.variadic, cn, cvalid, out, ccol, name, cdict,
                          &offs))
        return false;
      auto out_off = make_buffer<int32_t>(static_cast<size_t>(n) + 1);
      auto codes = make_buffer<int32_t>(0);
      std::shared_ptr<StringDict> local;
      ViewIndex index;
      Batch view;
      view.columns.push_back(ccol);
      const int64_t first = n > 0 ? offs[0] : 0;
      const int64_t last = n > 0 ? offs[static_cast<size_t>(n)] : 0;
      codes->reserve(static_cast<size_t>(last - first));
      if (!cdict) local = std::make_shared<StringDict>();
      // The usual plain list<utf8> without missing items: straight over the child's offsets and
      // bytes into the codes (their count is known: the items between the first and last
      // offsets), one index lookup per item.
      const bool plain = !cdict && !cvalid && ccol.encoding == RK_STR_PLAIN32 &&
                         last - first <= static_cast<int64_t>(INT32_MAX);
      for (int64_t r = 0; plain && r < n; ++r) {
        if (r == 0) codes->resize(static_cast<size_t>(last - first));
        const auto* coff = static_cast<const int32_t*>(ccol.offsets);
        int32_t* dst = codes->data();
        (*out_off)[static_cast<size_t>(r)] =
            static_cast<int32_t>(offs[static_cast<size_t>(r)] - first);
        for (int64_t j = offs[static_cast<size_t>(r)]; j < offs[static_cast<size_t>(r) + 1]; ++j)
          dst[j - first] = index.find_or_add(
              std::string_view(ccol.data + coff[j], static_cast<size_t>(coff[j + 1] - coff[j])),
              local->entries);
      }
      for (int64_t r = 0; !plain && r < n; ++r) {
        (*out_off)[static_cast<size_t>(r)] = static_cast<int32_t>(codes->size());
        for (int64_t j = offs[static_cast<size_t>(r)]; j < offs[static_cast<size_t>(r) + 1]; ++j) {
          if (!is_present(cvalid, j)) continue;  // a missing element is dropped
          if (cdict) {
            codes->push_back(static_cast<const int32_t*>(ccol.values)[j]);
          } else {
            codes->push_back(index.find_or_add(*view.string_at(0, j), local->entries));
          }
        }
        if (codes->size() > static_cast<size_t>(INT32_MAX))
          return fail(0, name, where() + "list column too large");
      }
      (*out_off)[static_cast<size_t>(n)] = static_cast<int32_t>(codes->size());
      if (codes->empty()) codes->push_back(0);  // keep a valid pointer
      col.offsets = out_off->data();
      col.child_codes = codes->data();
      out.owned.push_back(out_off);
      out.owned.push_back(codes);
      if (local) cdict = local;
      if (!check_utf8(col, cdict.get(), n, name)) return false;
      col.dict = cdict.get();
      out.dicts[c] = cdict;
      return true;
    }
  }
  return fail(0, name, "unsupported field type");
}

}  // namespace

bool looks_like_arrow_head(std::string_view head) {
  const auto* p = reinterpret_cast<const uint8_t*>(head.data());
  const size_t got = head.size();
  if (got >= 6 && std::memcmp(p, kMagic, 6) == 0) return true;
  if (got < 8) return false;
  if (load<uint32_t>(p) == kContinuation) return true;
  // Legacy stream: int32 length, then a Message flatbuffer holding the schema.
  const int32_t len = load<int32_t>(p);
  if (len <= 0 || static_cast<size_t>(len) > got - 4) return false;
  std::shared_ptr<uint8_t[]> keep;
  const uint8_t* m = aligned_copy(p + 4, static_cast<size_t>(len), keep);
  flatbuffers::Verifier v(m, static_cast<size_t>(len));
  if (!v.VerifyBuffer<fb::Message>(nullptr)) return false;
  return flatbuffers::GetRoot<fb::Message>(m)->header_type() == fb::MessageHeader::Schema;
}

bool looks_like_arrow(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  // Enough for the file magic, a continuation marker, or a whole legacy schema message.
  std::string head(64 * 1024, '\0');
  const ssize_t got = ::read(fd, head.data(), head.size());
  ::close(fd);
  head.resize(got > 0 ? static_cast<size_t>(got) : 0);
  return looks_like_arrow_head(head);
}

std::unique_ptr<SnapshotReader> open_arrow_snapshot(const std::string& path, const Schema& schema,
                                                    const ReaderOptions& opts,
                                                    std::optional<SnapshotError>& err) {
  auto reader = std::make_unique<ArrowReader>(path, schema, opts.threads, opts.errors);
  reader->set_fingerprint(opts.fingerprint);
  if (!reader->open(err)) return nullptr;
  return reader;
}

std::unique_ptr<SnapshotReader> open_arrow_snapshot_fd(int fd, const std::string& display,
                                                       const Schema& schema,
                                                       const ReaderOptions& opts,
                                                       std::optional<SnapshotError>& err) {
  auto reader = std::make_unique<ArrowReader>(display, schema, opts.threads, opts.errors);
  reader->set_fingerprint(opts.fingerprint);
  reader->use_fd(fd);
  if (!reader->open(err)) return nullptr;
  return reader;
}

std::optional<Schema> infer_arrow_schema(const std::string& path,
                                         std::optional<SnapshotError>& err) {
  ArrowReader reader(path, Schema{});
  if (!reader.open_schema_only(err)) return std::nullopt;
  Schema out;
  {
    std::string stem = path.substr(path.find_last_of('/') + 1);
    out.name = stem.substr(0, stem.find('.'));
  }
  std::vector<std::string_view> names;
  for (const fb::Field* f : *reader.arrow_schema()->fields())
    names.push_back(f->name() ? f->name()->string_view() : std::string_view("(unnamed)"));
  if (!unique_column_names(names, path, "Arrow schema", 0, err)) return std::nullopt;
  for (const fb::Field* f : *reader.arrow_schema()->fields()) {
    FieldDef d;
    d.name = f->name() ? f->name()->str() : std::string();
    d.nullable = f->nullable();
    const Kind k = kind_of(f);
    if (is_string_like(f))
      d.type = FieldType::String;
    else if (string_list_child(f))
      d.type = FieldType::StringList;
    else if (k == Kind::Int)
      d.type = FieldType::Int;
    else if (k == Kind::Float)
      d.type = FieldType::Number;
    else if (k == Kind::Bool)
      d.type = FieldType::Bool;
    else if (k == Kind::Date || k == Kind::Timestamp)
      d.type = FieldType::Date;
    else {
      err = SnapshotError{path, 0, d.name,
                          fmt::format("has type {}, which has no schema field type", type_name(f))};
      return std::nullopt;
    }
    out.fields.push_back(std::move(d));
  }
  return out;
}

}  // namespace rk
