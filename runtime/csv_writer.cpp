// Rekindle runtime: CSV / JSON-lines result writers and the CSV snapshot writer. Each batch is
// formatted into one reused string (texts preformatted once per writer, numbers via to_chars) and
// handed to AtomicFile in one write.
#include "runtime/csv_writer.h"

#include <fmt/format.h>

#include <charconv>

#include "base/date.h"
#include "compiler/ir/helpers.h"
#include "runtime/send_time.h"
#include "runtime/value_text.h"

namespace rk {

bool csv_needs_quotes(std::string_view s) {
  for (char c : s)
    if (c == ',' || c == '"' || c == '\n' || c == '\r') return true;
  return false;
}

void append_csv_field(std::string& out, std::string_view s) {
  if (!csv_needs_quotes(s)) {
    out.append(s);
    return;
  }
  out.push_back('"');
  size_t start = 0;
  for (;;) {
    const size_t q = s.find('"', start);
    if (q == std::string_view::npos) {
      out.append(s.substr(start));
      break;
    }
    out.append(s.substr(start, q + 1 - start));
    out.push_back('"');
    start = q + 1;
  }
  out.push_back('"');
}

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t run = 0;  // start of the pending run of bytes that need no escape
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.substr(run, i - run));
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
    }
  }
  out.append(s.substr(run));
  out.push_back('"');
}

namespace {

// ---- Result writers ----------------------------------------------

// Shared part of the text result writers: per column, the preformatted text of each value.
class TextResultWriter : public ResultWriter {
 public:
  TextResultWriter(const ir::Program& program) : program_(program) {}

  bool open(const std::string& path) {
    if (!file_.open(path)) {
      error_ = file_.error();
      return false;
    }
    return true;
  }

  bool write(const Batch& batch, const int8_t* const* outputs) override {
    encode(batch, outputs, 0, batch.num_rows, buf_);
    return append(buf_);
  }

  bool parallel_encoding() const override { return true; }
  void encode(const Batch& batch, const int8_t* const* outputs, int64_t begin, int64_t end,
              EncodedRows& out) const override {
    out.rows = end - begin;
    out.bytes.clear();
    format(batch, outputs, begin, end, out.bytes);
  }
  bool append(EncodedRows& piece) override {
    if (failed_) return false;
    if (!file_.write(piece.bytes)) return fail(file_.error());
    return true;
  }

  bool finish() override { return complete() && publish(); }
  bool complete() override {
    if (failed_) return false;
    if (!file_.complete()) return fail(file_.error());
    return true;
  }
  bool publish() override {
    if (failed_) return false;
    if (!file_.publish()) return fail(file_.error());
    return true;
  }
  std::string target() const override { return file_.target(); }

  const std::string& error() const override { return error_; }

 protected:
  // Appends rows [begin, end) to `out`; const, so disjoint ranges may be formatted concurrently.
  virtual void format(const Batch& batch, const int8_t* const* outputs, int64_t begin, int64_t end,
                      std::string& out) const = 0;

  bool fail(const std::string& e) {
    error_ = e;
    failed_ = true;
    file_.abort();
    return false;
  }

  // The value index of an Enumerated column at row r: -1 when empty or out of range.
  static int value_at(const ir::ResultColumn& col, const int8_t* const* outputs, int64_t r) {
    if (col.outputs.empty()) return -1;
    const int v = outputs[col.outputs[0]][r];
    return (v >= 0 && static_cast<size_t>(v) < col.texts.size()) ? v : -1;
  }

  // Appends the value of a Number column at row r (an int in decimal, a decimal as the shortest
  // text that reads back); false, appending nothing, when it is not present.
  static bool append_number_value(const ir::ResultColumn& col, const int8_t* const* outputs,
                                  int64_t r, std::string& out) {
    if (col.outputs.size() != 2 || outputs[col.outputs[1]][r] != 1) return false;
    if (col.type == ir::ValueType::Int)
      append_int_text(out, output_int(outputs[col.outputs[0]], r));
    else
      append_number_text(out, output_float(outputs[col.outputs[0]], r));
    return true;
  }

  const ir::Program& program_;
  AtomicFile file_;
  EncodedRows buf_;
  std::string error_;
  bool failed_ = false;
};

class CsvResultWriter final : public TextResultWriter {
 public:
  CsvResultWriter(const ir::Program& program) : TextResultWriter(program) {
    for (const auto& col : program.columns) {
      std::vector<std::string> pre;
      for (const auto& t : col.texts) {
        std::string s;
        append_csv_field(s, t);
        pre.push_back(std::move(s));
      }
      pre_.push_back(std::move(pre));
    }
  }

  bool start() {
    std::string header;
    for (size_t c = 0; c < program_.columns.size(); ++c) {
      if (c) header.push_back(',');
      append_csv_field(header, program_.columns[c].name);
    }
    header.push_back('\n');
    if (!file_.write(header)) return fail(file_.error());
    return true;
  }

 protected:
  void format(const Batch& batch, const int8_t* const* outputs, int64_t begin, int64_t end,
              std::string& out) const override {
    const auto& cols = program_.columns;
    const int key = program_.schema.key_field;
    std::string joined;
    for (int64_t r = begin; r < end; ++r) {
      for (size_t c = 0; c < cols.size(); ++c) {
        if (c) out.push_back(',');
        const ir::ResultColumn& col = cols[c];
        switch (col.kind) {
          case ir::ResultKind::Key:
            if (key >= 0)
              if (auto s = batch.string_at(static_cast<size_t>(key), r)) append_csv_field(out, *s);
            break;
          case ir::ResultKind::Enumerated: {
            const int v = value_at(col, outputs, r);
            if (v >= 0) out += pre_[c][static_cast<size_t>(v)];
            break;
          }
          case ir::ResultKind::Joined: {
            joined.clear();
            for (size_t k = 0; k < col.outputs.size() && k < col.texts.size(); ++k)
              if (outputs[col.outputs[k]][r] == 1) {
                if (!joined.empty()) joined.push_back(';');
                joined += col.texts[k];
              }
            append_csv_field(out, joined);
            break;
          }
          case ir::ResultKind::Number:
            append_number_value(col, outputs, r, out);  // digits, `.`, `-`, `e`: never quoted
            break;
          case ir::ResultKind::Timestamp:
            if (outputs[col.outputs[1]][r] == 1)
              append_utc_timestamp(out, output_int(outputs[col.outputs[0]], r));
            break;
          case ir::ResultKind::FieldText:
            if (auto t = field_text(col, batch, outputs, r)) append_csv_field(out, *t);
            break;
        }
      }
      out.push_back('\n');
    }
  }

 private:
  std::vector<std::vector<std::string>> pre_;
};

class JsonlResultWriter final : public TextResultWriter {
 public:
  JsonlResultWriter(const ir::Program& program) : TextResultWriter(program) {
    for (size_t c = 0; c < program.columns.size(); ++c) {
      const auto& col = program.columns[c];
      std::string key = c == 0 ? "{" : ",";
      append_json_string(key, col.name);
      key.push_back(':');
      keys_.push_back(std::move(key));
      std::vector<std::string> pre;
      for (size_t v = 0; v < col.texts.size(); ++v) pre.push_back(json_value(col, v));
      pre_.push_back(std::move(pre));
    }
  }

 protected:
  static std::string json_value(const ir::ResultColumn& col, size_t v) {
    const std::string& t = col.texts[v];
    if (col.kind == ir::ResultKind::Enumerated) {
      if (col.type == ir::ValueType::Bool) {
        if (t == "true" || t == "false") return t;
        return v != 0 ? "true" : "false";
      }
      if (col.type == ir::ValueType::Int) {
        int64_t x;
        const auto r = std::from_chars(t.data(), t.data() + t.size(), x);
        if (r.ec == std::errc() && r.ptr == t.data() + t.size() && !t.empty()) return t;
      }
    }
    std::string s;
    append_json_string(s, t);
    return s;
  }

  void format(const Batch& batch, const int8_t* const* outputs, int64_t begin, int64_t end,
              std::string& out) const override {
    const auto& cols = program_.columns;
    const int key = program_.schema.key_field;
    std::string joined;
    for (int64_t r = begin; r < end; ++r) {
      if (cols.empty()) out.push_back('{');
      for (size_t c = 0; c < cols.size(); ++c) {
        out += keys_[c];
        const ir::ResultColumn& col = cols[c];
        switch (col.kind) {
          case ir::ResultKind::Key: {
            std::optional<std::string_view> s;
            if (key >= 0) s = batch.string_at(static_cast<size_t>(key), r);
            if (s)
              append_json_string(out, *s);
            else
              out += "null";
            break;
          }
          case ir::ResultKind::Enumerated: {
            const int v = value_at(col, outputs, r);
            if (v >= 0)
              out += pre_[c][static_cast<size_t>(v)];
            else
              out += "null";
            break;
          }
          case ir::ResultKind::Joined: {
            joined.clear();
            for (size_t k = 0; k < col.outputs.size() && k < col.texts.size(); ++k)
              if (outputs[col.outputs[k]][r] == 1) {
                if (!joined.empty()) joined.push_back(';');
                joined += col.texts[k];
              }
            append_json_string(out, joined);
            break;
          }
          case ir::ResultKind::Number:
            if (!append_number_value(col, outputs, r, out)) out += "null";
            break;
          case ir::ResultKind::Timestamp:
            if (outputs[col.outputs[1]][r] == 1) {
              out.push_back('"');
              append_utc_timestamp(out, output_int(outputs[col.outputs[0]], r));
              out.push_back('"');
            } else {
              out += "null";
            }
            break;
          case ir::ResultKind::FieldText:
            if (auto t = field_text(col, batch, outputs, r))
              append_json_string(out, *t);
            else
              out += "null";
            break;
        }
      }
      out += "}\n";
    }
  }

 private:
  std::vector<std::string> keys_;
  std::vector<std::vector<std::string>> pre_;
};

}  // namespace

std::unique_ptr<ResultWriter> open_csv_result_writer(const std::string& path,
                                                     const ir::Program& program,
                                                     std::string& error) {
  auto w = std::make_unique<CsvResultWriter>(program);
  if (!w->open(path) || !w->start()) {
    error = w->error();
    return nullptr;
  }
  return w;
}

std::unique_ptr<ResultWriter> open_jsonl_result_writer(const std::string& path,
                                                       const ir::Program& program,
                                                       std::string& error) {
  auto w = std::make_unique<JsonlResultWriter>(program);
  if (!w->open(path)) {
    error = w->error();
    return nullptr;
  }
  return w;
}

// ---- CSV snapshot writer -----------------------------------------

std::string CsvSnapshotWriter::header(const Schema& schema) {
  std::string h;
  for (size_t f = 0; f < schema.fields.size(); ++f) {
    if (f) h.push_back(',');
    append_csv_field(h, schema.fields[f].name);
  }
  h.push_back('\n');
  return h;
}

bool CsvSnapshotWriter::format_rows(const Schema& schema, const Batch& batch, std::string& out,
                                    std::string& error) {
  const size_t nf = schema.fields.size();
  if (batch.columns.size() != nf) {
    error = fmt::format("the batch has {} columns, the schema {}", batch.columns.size(), nf);
    return false;
  }
  auto fail = [&](int64_t r, const FieldDef& fd, std::string msg) {
    error = fmt::format("row {}: column {}: {}", batch.first_row + r + 1, fd.name, msg);
    return false;
  };
  for (int64_t r = 0; r < batch.num_rows; ++r) {
    for (size_t f = 0; f < nf; ++f) {
      if (f) out.push_back(',');
      const FieldDef& fd = schema.fields[f];
      const RkColumn& col = batch.columns[f];
      if (!is_present(col.validity, r)) continue;
      switch (fd.type) {
        case FieldType::Bool:
          out += bool_text(bit_is_set(static_cast<const uint8_t*>(col.values), r));
          break;
        case FieldType::Int:
          append_int_text(out, static_cast<const int64_t*>(col.values)[r]);
          break;
        case FieldType::Number:
        case FieldType::Percent:
          append_number_text(out, static_cast<const double*>(col.values)[r]);
          break;
        case FieldType::Money:
          append_money_text(out, static_cast<const double*>(col.values)[r]);
          break;
        case FieldType::Date: {
          const int32_t d = static_cast<const int32_t*>(col.values)[r];
          if (!append_iso_date(out, d))
            return fail(r, fd,
                        fmt::format("date {} days from 1970-01-01 is outside 0001..9999", d));
          break;
        }
        case FieldType::Enum: {
          const int32_t o = static_cast<const int32_t*>(col.values)[r];
          if (o < 0 || static_cast<size_t>(o) >= fd.enum_values.size())
            return fail(r, fd, fmt::format("enum ordinal {} is out of range", o));
          append_csv_field(out, fd.enum_values[static_cast<size_t>(o)]);
          break;
        }
        case FieldType::String: {
          auto s = batch.string_at(f, r);
          if (s) append_csv_field(out, *s);
          break;
        }
        case FieldType::StringList: {
          const auto* off = static_cast<const int32_t*>(col.offsets);
          const auto* dict = static_cast<const StringDict*>(col.dict);
          const size_t start = out.size();
          bool quote = false;
          for (int32_t i = off[r]; i < off[r + 1]; ++i) {
            const std::string_view e = dict->entries[static_cast<size_t>(col.child_codes[i])];
            if (e.empty() || e.find('|') != std::string_view::npos)
              return fail(r, fd,
                          fmt::format("list element \"{}\" cannot be written to CSV (elements are "
                                      "joined with | and may not be empty or contain it)",
                                      e));
            if (i > off[r]) out.push_back('|');
            out.append(e);
            quote = quote || csv_needs_quotes(e);
          }
          if (quote) {
            const std::string joined = out.substr(start);
            out.resize(start);
            append_csv_field(out, joined);
          }
          break;
        }
      }
    }
    out.push_back('\n');
  }
  return true;
}

bool CsvSnapshotWriter::open(const std::string& path, const Schema& schema) {
  schema_ = schema;
  if (!file_.open(path) || !file_.write(header(schema_))) {
    error_ = file_.error();
    return false;
  }
  return true;
}

bool CsvSnapshotWriter::write(const Batch& batch) {
  buf_.clear();
  if (!format_rows(schema_, batch, buf_, error_)) {
    file_.abort();
    return false;
  }
  if (!file_.write(buf_)) {
    error_ = file_.error();
    return false;
  }
  return true;
}

bool CsvSnapshotWriter::finish() {
  if (!file_.commit()) {
    error_ = file_.error();
    return false;
  }
  return true;
}

}  // namespace rk
