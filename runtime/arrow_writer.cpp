// Rekindle runtime: Arrow IPC file writing. A small container writer (magic, schema message,
// dictionary and record batch messages, footer) over rk::AtomicFile, plus the snapshot writer and
// the result writer that turn Rekindle columns into Arrow arrays.
#include "runtime/arrow_writer.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "compiler/ir/helpers.h"
#include "runtime/arrow_format/ipc_io.h"
#include "runtime/send_time.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace rk {

using namespace rk::arrow_ipc;

// ---- Arrays under construction -----------------------------------------------------------------

namespace {

enum class OutType { Int64, Int32, Float64, Date32, Bool, Utf8, ListUtf8, DictUtf8 };

struct OutField {
  std::string name;
  OutType type = OutType::Utf8;
  bool nullable = true;
  int64_t dict_id = -1;  // DictUtf8
  int index_bits = 32;   // DictUtf8: the index type (signed int of 8, 16 or 32 bits)
};

// The nodes and buffers of one record batch, in Arrow's depth-first order.
struct OutBatch {
  int64_t length = 0;
  std::vector<fb::FieldNode> nodes;
  std::vector<std::string> buffers;
};

// Validity bitmap of rows [0, n) or an empty buffer when every value is present.
void add_validity(OutBatch& b, const uint8_t* validity, int64_t n, bool nullable) {
  int64_t nulls = 0;
  std::string bits;
  if (nullable && validity) {
    bits.assign(static_cast<size_t>((n + 7) / 8), '\0');
    for (int64_t r = 0; r < n; ++r) {
      if (bit_is_set(validity, r))
        bits[static_cast<size_t>(r >> 3)] |= static_cast<char>(1 << (r & 7));
      else
        ++nulls;
    }
    if (nulls == 0) bits.clear();
  }
  b.nodes.emplace_back(n, nulls);
  b.buffers.push_back(std::move(bits));
}

// A utf8 array from optional strings.
template <typename Get>
void add_utf8(OutBatch& b, int64_t n, Get get) {
  std::string valid(static_cast<size_t>((n + 7) / 8), '\0');
  std::string offsets(static_cast<size_t>(n + 1) * 4, '\0');
  std::string data;
  data.reserve(static_cast<size_t>(n) * 16);
  int64_t nulls = 0;
  for (int64_t r = 0; r < n; ++r) {
    const std::optional<std::string_view> s = get(r);
    if (s) {
      valid[static_cast<size_t>(r >> 3)] |= static_cast<char>(1 << (r & 7));
      data.append(s->data(), s->size());
    } else {
      ++nulls;
    }
    const int32_t end = static_cast<int32_t>(data.size());
    std::memcpy(offsets.data() + (r + 1) * 4, &end, 4);
  }
  if (nulls == 0) valid.clear();
  b.nodes.emplace_back(n, nulls);
  b.buffers.push_back(std::move(valid));
  b.buffers.push_back(std::move(offsets));
  b.buffers.push_back(std::move(data));
}

template <typename T>
std::string raw_bytes(const T* p, int64_t n) {
  return std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n) * sizeof(T));
}

flatbuffers::Offset<fb::Field> build_field(flatbuffers::FlatBufferBuilder& fbb, const OutField& f) {
  auto name = fbb.CreateString(f.name);
  flatbuffers::Offset<void> type;
  fb::Type tt = fb::Type::Utf8;
  std::vector<flatbuffers::Offset<fb::Field>> children;
  flatbuffers::Offset<fb::DictionaryEncoding> dict = 0;
  switch (f.type) {
    case OutType::Int64:
      tt = fb::Type::Int;
      type = fb::CreateInt(fbb, 64, true).Union();
      break;
    case OutType::Int32:
      tt = fb::Type::Int;
      type = fb::CreateInt(fbb, 32, true).Union();
      break;
    case OutType::Float64:
      tt = fb::Type::FloatingPoint;
      type = fb::CreateFloatingPoint(fbb, fb::Precision::DOUBLE).Union();
      break;
    case OutType::Date32:
      tt = fb::Type::Date;
      type = fb::CreateDate(fbb, fb::DateUnit::DAY).Union();
      break;
    case OutType::Bool:
      tt = fb::Type::Bool;
      type = fb::CreateBool(fbb).Union();
      break;
    case OutType::Utf8:
      tt = fb::Type::Utf8;
      type = fb::CreateUtf8(fbb).Union();
      break;
    case OutType::DictUtf8:
      tt = fb::Type::Utf8;
      type = fb::CreateUtf8(fbb).Union();
      dict = fb::CreateDictionaryEncoding(fbb, f.dict_id, fb::CreateInt(fbb, f.index_bits, true),
                                          false);
      break;
    case OutType::ListUtf8: {
      tt = fb::Type::List;
      type = fb::CreateList(fbb).Union();
      OutField item{"item", OutType::Utf8, true};
      children.push_back(build_field(fbb, item));
      break;
    }
  }
  return fb::CreateField(fbb, name, f.nullable, tt, type, dict, fbb.CreateVector(children));
}

flatbuffers::Offset<fb::Schema> build_schema(flatbuffers::FlatBufferBuilder& fbb,
                                             const std::vector<OutField>& fields) {
  std::vector<flatbuffers::Offset<fb::Field>> fs;
  fs.reserve(fields.size());
  for (const OutField& f : fields) fs.push_back(build_field(fbb, f));
  return fb::CreateSchema(fbb, fb::Endianness::Little, fbb.CreateVector(fs));
}

}  // namespace

// ---- The container -----------------------------------------------------------------------------

class ArrowIpcFileWriter {
 public:
  bool open(const std::string& path, std::vector<OutField> fields) {
    fields_ = std::move(fields);
    if (!file_.open(path)) return fail(file_.error());
    static const char kHead[8] = {'A', 'R', 'R', 'O', 'W', '1', 0, 0};
    if (!put(kHead, 8)) return false;
    flatbuffers::FlatBufferBuilder fbb;
    auto schema = build_schema(fbb, fields_);
    fbb.Finish(fb::CreateMessage(fbb, fb::MetadataVersion::V5, fb::MessageHeader::Schema,
                                 schema.Union(), 0));
    return write_message(fbb, {}, nullptr);
  }

  bool write_dictionary(int64_t id, const std::vector<std::string>& values) {
    OutBatch b;
    b.length = static_cast<int64_t>(values.size());
    add_utf8(b, b.length, [&](int64_t r) -> std::optional<std::string_view> {
      return values[static_cast<size_t>(r)];
    });
    flatbuffers::FlatBufferBuilder fbb;
    auto rb = record_batch(fbb, b);
    auto db = fb::CreateDictionaryBatch(fbb, id, rb, false);
    fbb.Finish(fb::CreateMessage(fbb, fb::MetadataVersion::V5, fb::MessageHeader::DictionaryBatch,
                                 db.Union(), body_length(b)));
    return write_message(fbb, b, &dict_blocks_);
  }

  bool write_batch(const OutBatch& b) {
    EncodedRows e;
    encode_batch(b, e);
    return append(e);
  }

  // The whole record batch message of `b` (continuation marker, metadata, padded body) as bytes:
  // position-independent, so batches can be encoded on several threads and appended in order.
  static void encode_batch(const OutBatch& b, EncodedRows& out) {
    flatbuffers::FlatBufferBuilder fbb;
    auto rb = record_batch(fbb, b);
    const int64_t body_len = body_length(b);
    fbb.Finish(fb::CreateMessage(fbb, fb::MetadataVersion::V5, fb::MessageHeader::RecordBatch,
                                 rb.Union(), body_len));
    const int64_t meta = pad8(static_cast<int64_t>(fbb.GetSize()) + 8) - 8;
    out.bytes.clear();
    out.bytes.reserve(static_cast<size_t>(8 + meta + body_len));
    const uint32_t head[2] = {kContinuation, static_cast<uint32_t>(meta)};
    out.bytes.append(reinterpret_cast<const char*>(head), 8);
    out.bytes.append(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
    out.bytes.resize(static_cast<size_t>(8 + meta), '\0');
    for (const auto& buf : b.buffers) {
      out.bytes.append(buf);
      out.bytes.resize(static_cast<size_t>(pad8(static_cast<int64_t>(out.bytes.size()))), '\0');
    }
    out.rows = b.length;
    out.meta_bytes = static_cast<int32_t>(meta + 8);
    out.body_bytes = body_len;
  }

  // Appends a record batch message made by encode_batch.
  bool append(const EncodedRows& e) {
    const int64_t start = pos_;
    if (!put(e.bytes.data(), e.bytes.size())) return false;
    batch_blocks_.emplace_back(start, e.meta_bytes, e.body_bytes);
    return true;
  }

  bool finish() {
    // End-of-stream marker, then the footer, its length and the closing magic.
    const uint32_t eos[2] = {kContinuation, 0};
    if (!put(eos, 8)) return false;
    flatbuffers::FlatBufferBuilder fbb;
    auto schema = build_schema(fbb, fields_);
    auto dicts = fbb.CreateVectorOfStructs(dict_blocks_);
    auto batches = fbb.CreateVectorOfStructs(batch_blocks_);
    fbb.Finish(fb::CreateFooter(fbb, fb::MetadataVersion::V5, schema, dicts, batches));
    const int32_t len = static_cast<int32_t>(fbb.GetSize());
    if (!put(fbb.GetBufferPointer(), fbb.GetSize()) || !put(&len, 4) || !put(kMagic, 6))
      return false;
    if (!file_.complete()) return fail(file_.error());
    return true;
  }
  // Renames the completed file onto its target.
  bool publish() {
    if (!file_.publish()) return fail(file_.error());
    return true;
  }
  std::string target() const { return file_.target(); }

  const std::string& error() const { return error_; }

 private:
  bool fail(std::string e) {
    error_ = std::move(e);
    file_.abort();
    return false;
  }
  bool put(const void* p, size_t n) {
    if (!file_.write(p, n)) return fail(file_.error());
    pos_ += static_cast<int64_t>(n);
    return true;
  }
  static int64_t body_length(const OutBatch& b) {
    int64_t n = 0;
    for (const auto& buf : b.buffers) n += pad8(static_cast<int64_t>(buf.size()));
    return n;
  }
  static flatbuffers::Offset<fb::RecordBatch> record_batch(flatbuffers::FlatBufferBuilder& fbb,
                                                           const OutBatch& b) {
    std::vector<fb::Buffer> bufs;
    int64_t off = 0;
    for (const auto& buf : b.buffers) {
      bufs.emplace_back(off, static_cast<int64_t>(buf.size()));
      off += pad8(static_cast<int64_t>(buf.size()));
    }
    return fb::CreateRecordBatch(fbb, b.length, fbb.CreateVectorOfStructs(b.nodes),
                                 fbb.CreateVectorOfStructs(bufs));
  }
  // Continuation marker, metadata length, flatbuffer padded to 8, then the padded body buffers.
  bool write_message(flatbuffers::FlatBufferBuilder& fbb, const OutBatch& body,
                     std::vector<fb::Block>* blocks) {
    const int64_t start = pos_;
    const int64_t meta = pad8(static_cast<int64_t>(fbb.GetSize()) + 8) - 8;
    const uint32_t head[2] = {kContinuation, static_cast<uint32_t>(meta)};
    static const char kZeros[8] = {};
    if (!put(head, 8) || !put(fbb.GetBufferPointer(), fbb.GetSize()) ||
        !put(kZeros, static_cast<size_t>(meta) - fbb.GetSize()))
      return false;
    int64_t body_len = 0;
    for (const auto& buf : body.buffers) {
      const int64_t padded = pad8(static_cast<int64_t>(buf.size()));
      if (!put(buf.data(), buf.size()) || !put(kZeros, static_cast<size_t>(padded) - buf.size()))
        return false;
      body_len += padded;
    }
    if (blocks) blocks->emplace_back(start, static_cast<int32_t>(meta + 8), body_len);
    return true;
  }

  AtomicFile file_;
  std::vector<OutField> fields_;
  std::vector<fb::Block> dict_blocks_, batch_blocks_;
  int64_t pos_ = 0;
  std::string error_;
};

// ---- Snapshot writer ---------------------------------------------------------------------------

ArrowSnapshotWriter::ArrowSnapshotWriter(Schema schema) : schema_(std::move(schema)) {}
ArrowSnapshotWriter::~ArrowSnapshotWriter() = default;

bool ArrowSnapshotWriter::open(const std::string& path) {
  std::vector<OutField> fields;
  for (size_t i = 0; i < schema_.fields.size(); ++i) {
    const FieldDef& f = schema_.fields[i];
    OutField o{f.name, OutType::Utf8, f.nullable};
    switch (f.type) {
      case FieldType::Bool:
        o.type = OutType::Bool;
        break;
      case FieldType::Int:
        o.type = OutType::Int64;
        break;
      case FieldType::Number:
      case FieldType::Money:
      case FieldType::Percent:
        o.type = OutType::Float64;
        break;
      case FieldType::Date:
        o.type = OutType::Date32;
        break;
      case FieldType::String:
        o.type = OutType::Utf8;
        break;
      case FieldType::Enum:
        o.type = OutType::DictUtf8;
        o.dict_id = static_cast<int64_t>(i);
        break;
      case FieldType::StringList:
        o.type = OutType::ListUtf8;
        break;
    }
    fields.push_back(std::move(o));
  }
  file_ = std::make_unique<ArrowIpcFileWriter>();
  if (!file_->open(path, std::move(fields))) {
    error_ = file_->error();
    return false;
  }
  for (size_t i = 0; i < schema_.fields.size(); ++i) {
    const FieldDef& f = schema_.fields[i];
    if (f.type == FieldType::Enum &&
        !file_->write_dictionary(static_cast<int64_t>(i), f.enum_values)) {
      error_ = file_->error();
      return false;
    }
  }
  return true;
}

bool ArrowSnapshotWriter::write(const Batch& batch) {
  if (!file_) {
    error_ = "the Arrow writer is not open";
    return false;
  }
  if (batch.columns.size() != schema_.fields.size()) {
    error_ = "batch does not match the schema";
    return false;
  }
  const int64_t n = batch.num_rows;
  OutBatch b;
  b.length = n;
  for (size_t c = 0; c < schema_.fields.size(); ++c) {
    const FieldDef& f = schema_.fields[c];
    const RkColumn& col = batch.columns[c];
    switch (f.type) {
      case FieldType::Bool:
        add_validity(b, col.validity, n, f.nullable);
        b.buffers.push_back(raw_bytes(static_cast<const uint8_t*>(col.values), (n + 7) / 8));
        break;
      case FieldType::Int:
        add_validity(b, col.validity, n, f.nullable);
        b.buffers.push_back(raw_bytes(static_cast<const int64_t*>(col.values), n));
        break;
      case FieldType::Number:
      case FieldType::Money:
      case FieldType::Percent:
        add_validity(b, col.validity, n, f.nullable);
        b.buffers.push_back(raw_bytes(static_cast<const double*>(col.values), n));
        break;
      case FieldType::Date:
      case FieldType::Enum:
        add_validity(b, col.validity, n, f.nullable);
        b.buffers.push_back(raw_bytes(static_cast<const int32_t*>(col.values), n));
        break;
      case FieldType::String:
        add_utf8(b, n, [&](int64_t r) { return batch.string_at(c, r); });
        break;
      case FieldType::StringList: {
        add_validity(b, col.validity, n, f.nullable);
        const auto* off = static_cast<const int32_t*>(col.offsets);
        const auto* dict = static_cast<const StringDict*>(col.dict);
        const int32_t first = n > 0 ? off[0] : 0;
        std::string offsets(static_cast<size_t>(n + 1) * 4, '\0');
        for (int64_t r = 0; r <= n; ++r) {
          const int32_t o = n > 0 ? off[r] - first : 0;
          std::memcpy(offsets.data() + r * 4, &o, 4);
        }
        b.buffers.push_back(std::move(offsets));
        const int64_t items = n > 0 ? off[n] - first : 0;
        add_utf8(b, items, [&](int64_t j) -> std::optional<std::string_view> {
          return dict->entries[static_cast<size_t>(col.child_codes[first + j])];
        });
        break;
      }
    }
  }
  if (!file_->write_batch(b)) {
    error_ = file_->error();
    return false;
  }
  return true;
}

bool ArrowSnapshotWriter::finish() {
  if (!file_) {
    error_ = "the Arrow writer is not open";
    return false;
  }
  if (!file_->finish() || !file_->publish()) {
    error_ = file_->error();
    return false;
  }
  return true;
}

// ---- Result writer -----------------------------------------------------------------------------

namespace {

// Joined columns of up to this many rules are dictionary-encoded (every subset is an entry).
constexpr size_t kMaxJoinedDictRules = 8;

class ArrowResultWriter final : public ResultWriter {
 public:
  explicit ArrowResultWriter(const ir::Program& program)
      : columns_(program.columns), key_field_(program.schema.key_field) {}

  bool open(const std::string& path) {
    std::vector<OutField> fields;
    std::vector<std::pair<int64_t, std::vector<std::string>>> dicts;
    for (size_t k = 0; k < columns_.size(); ++k) {
      const ir::ResultColumn& rc = columns_[k];
      OutField o{rc.name, OutType::Utf8, true};
      // The value each int8 code stands for (Int: its text as an int; Bool: 1 for "true").
      CodeValues values{};
      if (rc.kind == ir::ResultKind::Key && key_field_ < 0) {
        error_ = fmt::format("result column {}: the schema has no key field", rc.name);
        return false;
      }
      if (rc.kind == ir::ResultKind::Enumerated && rc.type == ir::ValueType::Text) {
        // Values are the column's texts: dictionary-encoded with int8 codes (at most 128 texts).
        o.type = OutType::DictUtf8;
        o.index_bits = 8;
        o.dict_id = static_cast<int64_t>(k);
        dicts.emplace_back(o.dict_id, rc.texts);
      }
      if (rc.kind == ir::ResultKind::Enumerated && rc.type == ir::ValueType::Bool) {
        o.type = OutType::Bool;
        for (size_t t = 0; t < std::min<size_t>(rc.texts.size(), 128); ++t)
          values[t] = rc.texts[t] == "true" ? 1 : 0;
      }
      if (rc.kind == ir::ResultKind::Enumerated && rc.type == ir::ValueType::Int) {
        o.type = OutType::Int32;
        for (size_t i = 0; i < rc.texts.size(); ++i) {
          const std::string& t = rc.texts[i];
          int32_t v = 0;
          const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
          if (ec != std::errc() || p != t.data() + t.size()) {
            error_ = fmt::format("result column {}: value \"{}\" is not an int", rc.name, t);
            return false;
          }
          if (i < 128) values[i] = v;
        }
      }
      if (rc.kind == ir::ResultKind::Number)
        o.type = rc.type == ir::ValueType::Int ? OutType::Int64 : OutType::Float64;
      if (rc.kind == ir::ResultKind::Joined && joined_rules(rc) <= kMaxJoinedDictRules) {
        // Entry m is the names of the rules whose bit is set in m, joined by ';'.
        o.type = OutType::DictUtf8;
        o.index_bits = 16;
        o.dict_id = static_cast<int64_t>(k);
        std::vector<std::string> subsets(size_t{1} << joined_rules(rc));
        for (size_t m = 0; m < subsets.size(); ++m)
          for (size_t j = 0; j < joined_rules(rc); ++j)
            if (m >> j & 1) subsets[m] += (subsets[m].empty() ? "" : ";") + rc.texts[j];
        dicts.emplace_back(o.dict_id, std::move(subsets));
      }
      code_values_.push_back(values);
      types_.push_back(o.type);
      fields.push_back(std::move(o));
    }
    if (!file_.open(path, std::move(fields))) {
      error_ = file_.error();
      return false;
    }
    for (const auto& [id, values] : dicts)
      if (!file_.write_dictionary(id, values)) {
        error_ = file_.error();
        return false;
      }
    return true;
  }

  bool write(const Batch& batch, const int8_t* const* outputs) override {
    EncodedRows e;
    encode(batch, outputs, 0, batch.num_rows, e);
    return append(e);
  }

  bool parallel_encoding() const override { return true; }

  // Rows [begin, end) as one record batch message.
  void encode(const Batch& batch, const int8_t* const* outputs, int64_t begin, int64_t end,
              EncodedRows& out) const override {
    const int64_t n = end - begin;
    OutBatch b;
    b.length = n;
    std::string joined;
    for (size_t k = 0; k < columns_.size(); ++k) {
      const ir::ResultColumn& rc = columns_[k];
      if (rc.kind == ir::ResultKind::Key) {
        const size_t key = static_cast<size_t>(key_field_);
        const RkColumn& kc = batch.columns[key];
        if (kc.encoding == RK_STR_PLAIN32 && !kc.validity) {
          // The usual key column (plain utf8, no nulls): rebased offsets and one copy.
          const auto* off = static_cast<const int32_t*>(kc.offsets) + begin;
          std::string offsets(static_cast<size_t>(n + 1) * 4, '\0');
          for (int64_t r = 0; r <= n; ++r) {
            const int32_t o = off[r] - off[0];
            std::memcpy(offsets.data() + r * 4, &o, 4);
          }
          b.nodes.emplace_back(n, 0);
          b.buffers.emplace_back();
          b.buffers.push_back(std::move(offsets));
          b.buffers.emplace_back(kc.data + off[0], static_cast<size_t>(off[n] - off[0]));
        } else {
          add_utf8(b, n, [&](int64_t r) { return batch.string_at(key, begin + r); });
        }
        continue;
      }
      if (rc.kind == ir::ResultKind::Joined && types_[k] == OutType::DictUtf8) {
        std::vector<int16_t> codes(static_cast<size_t>(n), 0);
        for (size_t j = 0; j < joined_rules(rc); ++j) {
          const int8_t* o = outputs[rc.outputs[j]] + begin;
          for (int64_t r = 0; r < n; ++r)
            codes[static_cast<size_t>(r)] |= static_cast<int16_t>((o[r] == 1) << j);
        }
        b.nodes.emplace_back(n, 0);
        b.buffers.emplace_back();
        b.buffers.push_back(raw_bytes(codes.data(), n));
        continue;
      }
      if (rc.kind == ir::ResultKind::Joined) {
        add_utf8(b, n, [&](int64_t r) -> std::optional<std::string_view> {
          joined.clear();
          for (size_t j = 0; j < joined_rules(rc); ++j) {
            if (outputs[rc.outputs[j]][begin + r] != 1) continue;
            if (!joined.empty()) joined += ';';
            joined += rc.texts[j];
          }
          return std::string_view(joined);
        });
        continue;
      }
      if (rc.kind == ir::ResultKind::Number) {
        encode_number(b, outputs[rc.outputs[0]] + begin * 8, outputs[rc.outputs[1]] + begin, n);
        continue;
      }
      if (rc.kind == ir::ResultKind::Timestamp) {  // utf8 `YYYY-MM-DDTHH:MM:SSZ`, as in CSV
        std::string text;
        add_utf8(b, n, [&](int64_t r) -> std::optional<std::string_view> {
          if (outputs[rc.outputs[1]][begin + r] != 1) return std::nullopt;
          text.clear();
          append_utc_timestamp(text, output_int(outputs[rc.outputs[0]], begin + r));
          return std::string_view(text);
        });
        continue;
      }
      if (rc.kind == ir::ResultKind::FieldText) {
        add_utf8(b, n, [&](int64_t r) { return field_text(rc, batch, outputs, begin + r); });
        continue;
      }
      encode_enumerated(b, k, rc.outputs.empty() ? nullptr : outputs[rc.outputs[0]] + begin, n);
    }
    ArrowIpcFileWriter::encode_batch(b, out);
  }

  bool append(EncodedRows& piece) override {
    if (!file_.append(piece)) {
      error_ = file_.error();
      return false;
    }
    return true;
  }

  bool finish() override { return complete() && publish(); }
  bool complete() override {
    if (!file_.finish()) {
      error_ = file_.error();
      return false;
    }
    return true;
  }
  bool publish() override {
    if (!file_.publish()) {
      error_ = file_.error();
      return false;
    }
    return true;
  }
  std::string target() const override { return file_.target(); }

  const std::string& error() const override { return error_; }

 private:
  // A Number column: the eight-byte values of a wide output as they are (0 where missing), and
  // the validity from the output saying whether each is present (1).
  static void encode_number(OutBatch& b, const int8_t* values, const int8_t* present, int64_t n) {
    const auto rows = static_cast<size_t>(n);
    std::string valid((rows + 7) / 8, '\0');
    int64_t nulls = 0;
    for (size_t r = 0; r < rows; ++r) {
      if (present[r] == 1)
        valid[r >> 3] = static_cast<char>(valid[r >> 3] | (1 << (r & 7)));
      else
        ++nulls;
    }
    if (nulls == 0) valid.clear();
    b.nodes.emplace_back(n, nulls);
    b.buffers.push_back(std::move(valid));
    b.buffers.emplace_back(reinterpret_cast<const char*>(values), rows * 8);
  }

  // An Enumerated column: v[r] selects texts[v[r]]; a code outside [0, texts) (-1) is missing.
  // Branch-free loops over the int8 codes (they vectorize): a code is present when, read as a
  // byte, it is below the number of texts (a negative code reads as 128 or more; at most 128
  // texts fit int8 codes). A column without missing values copies its codes as they are.
  void encode_enumerated(OutBatch& b, size_t k, const int8_t* v, int64_t n) const {
    const ir::ResultColumn& rc = columns_[k];
    const auto texts = static_cast<unsigned>(std::min<size_t>(rc.texts.size(), 128));
    const auto* u = reinterpret_cast<const uint8_t*>(v);
    const auto rows = static_cast<size_t>(n);
    // The validity bitmap and the count of missing values in one pass (16 codes per step with
    // SSE2: a code is present when min(code, texts - 1) == code); dropped when none is missing.
    int64_t nulls = n;
    std::string valid;
    if (u) {
      valid.assign((rows + 7) / 8, '\0');
      auto* bits = reinterpret_cast<uint8_t*>(valid.data());
      size_t r = 0, present = 0;
#if defined(__SSE2__)
      if (texts > 0) {
        // Present codes counted in byte lanes (a present code's compare is -1: subtracting it
        // adds 1), summed every 255 steps before a lane can wrap.
        const __m128i last = _mm_set1_epi8(static_cast<char>(texts - 1));
        const __m128i zero = _mm_setzero_si128();
        while (r + 16 <= rows) {
          __m128i counts = zero;
          for (int step = 0; step < 255 && r + 16 <= rows; ++step, r += 16) {
            const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(u + r));
            const __m128i ok = _mm_cmpeq_epi8(_mm_min_epu8(x, last), x);
            const auto m = static_cast<uint32_t>(_mm_movemask_epi8(ok));
            bits[r >> 3] = static_cast<uint8_t>(m);
            bits[(r >> 3) + 1] = static_cast<uint8_t>(m >> 8);
            counts = _mm_sub_epi8(counts, ok);
          }
          const __m128i sums = _mm_sad_epu8(counts, zero);  // two 64-bit lanes of byte sums
          present += static_cast<size_t>(_mm_cvtsi128_si32(sums)) +
                     static_cast<size_t>(_mm_cvtsi128_si32(_mm_unpackhi_epi64(sums, sums)));
        }
      }
#endif
      for (; r < rows; r += 8) {
        unsigned byte = 0;
        for (size_t j = 0; j < 8 && r + j < rows; ++j) {
          const bool ok = u[r + j] < texts;
          byte |= unsigned{ok} << j;
          present += ok;
        }
        bits[r >> 3] = static_cast<uint8_t>(byte);
      }
      nulls = n - static_cast<int64_t>(present);
      if (nulls == 0) valid.clear();
    } else if (n > 0) {
      valid.assign((rows + 7) / 8, '\0');
    }
    b.nodes.emplace_back(n, nulls);
    b.buffers.push_back(std::move(valid));
    if (types_[k] == OutType::DictUtf8) {
      std::string codes(rows, '\0');
      auto* out = reinterpret_cast<uint8_t*>(codes.data());
      if (nulls == 0)
        std::memcpy(out, u, rows);
      else if (u)
        for (size_t r = 0; r < rows; ++r) out[r] = u[r] < texts ? u[r] : 0;
      b.buffers.push_back(std::move(codes));
    } else if (types_[k] == OutType::Bool) {
      const CodeValues& truth = code_values_[k];  // 1 for "true"; missing values are 0
      std::string packed((rows + 7) / 8, '\0');
      auto* bits = reinterpret_cast<uint8_t*>(packed.data());
      if (u)
        for (size_t r = 0; r < rows; r += 8) {
          unsigned byte = 0;
          for (size_t j = 0; j < 8 && r + j < rows; ++j)
            byte |= static_cast<unsigned>(truth[u[r + j]]) << j;
          bits[r >> 3] = static_cast<uint8_t>(byte);
        }
      b.buffers.push_back(std::move(packed));
    } else {
      const CodeValues& ints = code_values_[k];  // missing values are 0
      std::vector<int32_t> vals(rows, 0);
      int32_t* out = vals.data();
      if (u)
        for (size_t r = 0; r < rows; ++r) out[r] = ints[u[r]];
      b.buffers.push_back(raw_bytes(vals.data(), n));
    }
  }

  static size_t joined_rules(const ir::ResultColumn& rc) {
    return std::min(rc.outputs.size(), rc.texts.size());
  }

  std::vector<ir::ResultColumn> columns_;
  int key_field_ = -1;
  ArrowIpcFileWriter file_;
  // By int8 code read as a byte: what it stands for; codes of missing values (-1 reads as 255,
  // and any code past the texts) are 0.
  using CodeValues = std::array<int32_t, 256>;
  std::vector<CodeValues> code_values_;  // per column (Int and Bool columns)
  std::vector<OutType> types_;           // per column: the Arrow type written
  std::string error_;
};

}  // namespace

std::unique_ptr<ResultWriter> open_arrow_result_writer(const std::string& path,
                                                       const ir::Program& program,
                                                       std::string& error) {
  auto w = std::make_unique<ArrowResultWriter>(program);
  if (!w->open(path)) {
    error = w->error();
    return nullptr;
  }
  return w;
}

}  // namespace rk
