// Rekindle Python bindings: the extension module `rekindle._core` (pybind11). A thin layer over
// the same evaluation session the CLI uses (runtime/session.h: a compiled rule set with its hash
// and executors, the engine choice, the result format, the worker pool, the summary's inputs):
// diagnostics as data and rendered text, the output columns and the layout of what they mean,
// open_snapshot + evaluation + open_result_writer for files, an in-memory batch built from numpy
// arrays (int64/float64 used in place) for pandas frames, and `measure` (runtime/measure) for
// `rekindle.measure`. The friendly API
// (rekindle.compile, RuleSet, CompileError, DataFrame conversion) is Python: rekindle/__init__.py.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/date.h"
#include "compiler/check/compile.h"
#include "compiler/ir/columns.h"
#include "compiler/ir/helpers.h"
#include "runtime/data_errors.h"
#include "runtime/handoff.h"
#include "runtime/key_check.h"
#include "runtime/measure/measure.h"
#include "runtime/output_guard.h"
#include "runtime/result_writer.h"
#include "runtime/session.h"
#include "runtime/value_ranges.h"

namespace py = pybind11;

namespace {

// A data, read or write error during evaluation (rekindle.EvaluationError in Python).
struct EvaluationError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string severity_text(rk::Severity s) {
  return std::string(rk::severity_name(s));
}

// One compilation: the rule set (the program when there were no errors, its diagnostics, sources
// and hash) whose executors are made on first use and shared by every later evaluation (they are
// thread-safe).
class Compiled {
 public:
  explicit Compiled(std::shared_ptr<const rk::RuleSet> rules) : rules_(std::move(rules)) {}

  bool ok() const { return rules_->ok(); }
  const std::string& path() const { return rules_->path(); }
  const std::map<std::string, std::string>& params() const { return rules_->options().params; }
  const rk::CompileResult& result() const { return rules_->result(); }
  const rk::RuleSet& rules() const {
    if (!rules_->ok()) throw std::logic_error("the rules did not compile");
    return *rules_;
  }
  const rk::ir::Program& program() const { return rules().program(); }
  const rk::SourceSet& source_set() const { return rules_->result().sources; }

  py::list diagnostics() const {
    py::list out;
    for (const auto& d : rules_->result().diags) {
      py::dict e;
      e["severity"] = severity_text(d.severity);
      e["code"] = d.code;
      e["message"] = d.message;
      e["help"] = d.help;
      place(e, d.span);
      py::list notes;
      for (const auto& n : d.notes) {
        py::dict ne;
        ne["message"] = n.message;
        place(ne, n.span);
        notes.append(ne);
      }
      e["notes"] = notes;
      out.append(e);
    }
    return out;
  }

  // The diagnostics as `rekindle check` prints them (text, no colour).
  std::string rendered() const {
    std::string out;
    for (const auto& d : rules_->result().diags)
      out += rk::render_text(rules_->result().sources, d, false);
    return out;
  }

  py::list sources() const {
    py::list out;
    const rk::SourceSet& sources = rules_->result().sources;
    for (size_t i = 0; i < sources.size(); ++i) {
      const auto& f = sources.file(static_cast<uint32_t>(i));
      out.append(py::make_tuple(f.path, py::bytes(f.text)));
    }
    return out;
  }

  // FNV-1a 64 over every source file (path, NUL, text), as `rekindle eval`'s summary.
  const std::string& rules_hash() const { return rules_->hash(); }

  py::list schema() const {
    py::list out;
    for (const auto& f : program().schema.fields) {
      py::dict e;
      e["name"] = f.name;
      e["type"] = std::string(rk::field_type_name(f));
      e["nullable"] = f.nullable;
      e["key"] = f.key;
      e["enum_values"] = f.enum_values;
      e["range"] = rk::range_text(f);
      out.append(e);
    }
    return out;
  }

  py::list columns() const {
    py::list out;
    for (const auto& c : program().columns) {
      py::dict e;
      e["name"] = c.name;
      e["kind"] = std::string(rk::ir::result_kind_name(c.kind));
      e["type"] = std::string(rk::ir::value_type_name(c.type));
      e["outputs"] = c.outputs;
      e["texts"] = c.texts;
      // field_text (`owner`): the schema field it shows, None for a text alone.
      e["field"] =
          c.field >= 0
              ? py::object(py::str(program().schema.fields[static_cast<size_t>(c.field)].name))
              : py::object(py::none());
      out.append(e);
    }
    return out;
  }

  // What the result columns mean (Program::layout, without node ids): the candidate rule, the
  // segment families with their labels, the stop and review rules, and each sequence's statuses
  // (with their kinds), touches, channels and offers; `columns` names the result column that
  // presents each value (`variant` only for a sequence with variants).
  py::dict layout() const {
    const rk::ir::Program& p = program();
    const rk::ir::Layout& l = p.layout;
    auto column_of = [&](rk::ir::ColumnRole role, uint32_t owner) -> py::object {
      for (const auto& c : p.columns)
        if (c.role == role && c.owner == owner) return py::str(c.name);
      return py::none();
    };
    py::dict out;
    out["candidate"] =
        py::dict(py::arg("declared") = l.candidate.declared,
                 py::arg("column") = column_of(rk::ir::ColumnRole::Candidate, rk::ir::kNoIndex));
    py::list families;
    for (uint32_t f = 0; f < l.families.size(); ++f) {
      py::list labels;
      for (const auto& lab : l.families[f].labels)
        labels.append(py::dict(py::arg("name") = lab.name, py::arg("otherwise") = lab.otherwise));
      families.append(py::dict(py::arg("name") = l.families[f].name, py::arg("labels") = labels,
                               py::arg("column") = column_of(rk::ir::ColumnRole::Family, f)));
    }
    out["families"] = families;
    py::list stops, reviews;
    for (const auto& s : l.stops.rules)
      stops.append(py::dict(py::arg("name") = s.name, py::arg("reason") = s.reason));
    for (const auto& r : l.reviews.rules)
      reviews.append(py::dict(py::arg("name") = r.name, py::arg("reason") = r.reason));
    out["stops"] =
        py::dict(py::arg("rules") = stops,
                 py::arg("column") = column_of(rk::ir::ColumnRole::StoppedBy, rk::ir::kNoIndex));
    out["reviews"] =
        py::dict(py::arg("rules") = reviews,
                 py::arg("column") = column_of(rk::ir::ColumnRole::Review, rk::ir::kNoIndex));
    py::list sequences;
    for (uint32_t s = 0; s < l.sequences.size(); ++s) {
      const rk::ir::Sequence& q = l.sequences[s];
      py::list statuses, touches, channels, offers;
      for (const auto& st : q.statuses)
        statuses.append(py::dict(py::arg("name") = st.name,
                                 py::arg("kind") = std::string(rk::ir::status_kind_name(st.kind))));
      for (const auto& t : q.touches) touches.append(t.name);
      for (const auto& c : q.channels)
        channels.append(
            py::dict(py::arg("name") = c.name,
                     py::arg("fallback") = c.fallback == rk::ir::kNoIndex
                                               ? py::object(py::none())
                                               : py::object(py::str(q.channels[c.fallback].name))));
      for (const auto& o : q.offers)
        offers.append(py::dict(py::arg("text") = o.text,
                               py::arg("kind") = std::string(rk::ir::offer_kind_name(o.kind)),
                               py::arg("amount") = o.amount));
      py::dict columns;
      for (auto role :
           {rk::ir::ColumnRole::Status, rk::ir::ColumnRole::Touch, rk::ir::ColumnRole::Step,
            rk::ir::ColumnRole::Variant, rk::ir::ColumnRole::Channel, rk::ir::ColumnRole::Offer,
            rk::ir::ColumnRole::SendAt}) {
        // `variant` only for a sequence with variants, `send_at` only for one with send times
        // (they have no column otherwise).
        py::object column = column_of(role, s);
        if (!column.is_none())
          columns[py::str(std::string(rk::ir::column_role_name(role)))] = column;
      }
      sequences.append(py::dict(py::arg("name") = q.name, py::arg("statuses") = statuses,
                                py::arg("touches") = touches, py::arg("channels") = channels,
                                py::arg("offers") = offers, py::arg("columns") = columns));
    }
    out["sequences"] = sequences;
    out["owner"] = column_of(rk::ir::ColumnRole::Owner, rk::ir::kNoIndex);
    return out;
  }

  std::map<std::string, std::string> program_params() const { return program().params; }

 private:
  void place(py::dict& e, const std::optional<rk::ast::Span>& span) const {
    if (span) {
      e["file"] = rules_->result().sources.file(span->file).path;
      e["line"] = span->line;
      e["column"] = span->col;
      e["length"] = span->len;
    } else {
      e["file"] = py::none();
      e["line"] = py::none();
      e["column"] = py::none();
      e["length"] = py::none();
    }
  }

  std::shared_ptr<const rk::RuleSet> rules_;
};

std::shared_ptr<Compiled> compile(const std::string& path,
                                  const std::map<std::string, std::string>& params,
                                  const std::optional<std::string>& text, const std::string& root) {
  rk::CompileOptions opts;
  opts.params = params;
  opts.root = root;
  std::shared_ptr<const rk::RuleSet> rules;
  {
    py::gil_scoped_release release;
    rules = text ? rk::load_rules_text(path, *text, opts) : rk::load_rules(path, opts);
  }
  return std::make_shared<Compiled>(std::move(rules));
}

// A session on `engine` ("jit" or "interp") with `threads` worker threads; a JIT fallback's
// warning goes to `warning`, for Python to show.
rk::SessionOptions session_options(const std::string& engine, int threads, std::string& warning) {
  const std::optional<rk::Engine> e = rk::parse_engine(engine);
  if (!e) throw py::value_error("engine must be \"jit\" or \"interp\", not \"" + engine + "\"");
  rk::SessionOptions o;
  o.engine = *e;
  o.threads = threads;
  o.warn = [&warning](const std::string& message) {
    warning += (warning.empty() ? "" : "; ") + message;
  };
  return o;
}

// The engine that runs the rules for `engine`, and the warning of a JIT fallback ("" when none).
py::tuple engine_of(const Compiled& c, const std::string& engine) {
  std::string warning;
  rk::Session session(session_options(engine, 1, warning));
  session.executor(c.rules());
  return py::make_tuple(std::string(rk::engine_name(session.engine())), warning);
}

// The summary's inputs: the rules named and hashed as Python's RuleSet says (a rule set restored
// from a pickle keeps the names of the original files).
std::map<std::string, std::string> run_inputs(const rk::Session& session, const Compiled& c,
                                              const std::string& snapshot, int32_t as_of,
                                              const std::string& rules_name,
                                              const std::string& rules_hash) {
  rk::RunInputs run = session.inputs(c.rules(), snapshot, as_of);
  run.rules = rules_name;
  run.rules_hash = rules_hash;
  return run.to_map();
}

int32_t parse_date(const std::string& s) {
  int32_t d = 0;
  if (!rk::parse_iso_date(s, d))
    throw py::value_error("`" + s + "` is not a date (write YYYY-MM-DD)");
  return d;
}

// ---------------------------------------------------------------------------------------------
// In-memory batches from numpy arrays.

// A reader that hands out one batch built in memory.
class OneBatchReader : public rk::SnapshotReader {
 public:
  explicit OneBatchReader(rk::Batch b) : batch_(std::move(b)) {}
  bool next(rk::Batch& out) override {
    if (done_) return false;
    out = batch_;
    done_ = true;
    return true;
  }
  const std::optional<rk::SnapshotError>& error() const override { return error_; }
  int64_t total_rows() const override { return batch_.num_rows; }

 private:
  rk::Batch batch_;
  bool done_ = false;
  std::optional<rk::SnapshotError> error_;
};

// A writer that copies every output column into caller-owned arrays (by snapshot row; a wide
// output's array holds eight bytes per row) and, when asked, encodes the hand-off files' text from
// the same outputs (runtime/handoff.h).
class CollectWriter : public rk::ResultWriter {
 public:
  CollectWriter(std::vector<int8_t*> dest, const rk::ir::Program& program,
                const rk::HandoffEncoder* handoff = nullptr,
                const rk::HandoffOptions* wanted = nullptr)
      : dest_(std::move(dest)), handoff_(handoff), wanted_(wanted) {
    for (const auto& o : program.outputs) bytes_.push_back(rk::ir::output_bytes(o.width));
  }
  bool write(const rk::Batch& batch, const int8_t* const* outputs) override {
    for (size_t k = 0; k < dest_.size(); ++k)
      std::memcpy(dest_[k] + static_cast<size_t>(batch.first_row) * bytes_[k], outputs[k],
                  static_cast<size_t>(batch.num_rows) * bytes_[k]);
    if (handoff_) {
      if (!wanted_->drafts.empty()) handoff_->drafts(batch, outputs, 0, batch.num_rows, drafts);
      if (!wanted_->review_queue.empty())
        handoff_->queue_records(batch, outputs, 0, batch.num_rows, queue);
      if (!wanted_->events.empty()) handoff_->events(batch, outputs, 0, batch.num_rows, events);
    }
    return true;
  }
  std::string drafts, queue, events;  // the hand-off files' text (queue: unsorted records)
  bool finish() override { return true; }
  const std::string& error() const override { return error_; }

 private:
  std::vector<int8_t*> dest_;
  std::vector<size_t> bytes_;
  const rk::HandoffEncoder* handoff_;
  const rk::HandoffOptions* wanted_;
  std::string error_;
};

template <class T>
std::shared_ptr<std::vector<T>> owned_vector(rk::Batch& b, size_t n) {
  auto v = std::make_shared<std::vector<T>>(n);
  b.owned.push_back(v);
  return v;
}

// Validity bitmap (bit set = present) from a numpy bool mask (true = missing); null when no mask.
const uint8_t* validity_from_mask(rk::Batch& b, const py::object& mask, int64_t rows,
                                  const std::string& name) {
  if (mask.is_none()) return nullptr;
  auto m = py::array_t<bool, py::array::c_style | py::array::forcecast>::ensure(mask);
  if (!m || m.size() != rows) throw py::value_error("column " + name + ": mask has a wrong size");
  auto bits = owned_vector<uint8_t>(b, static_cast<size_t>((rows + 7) / 8 + 1));
  const bool* p = m.data();
  for (int64_t r = 0; r < rows; ++r)
    if (!p[r]) (*bits)[static_cast<size_t>(r >> 3)] |= static_cast<uint8_t>(1u << (r & 7));
  return bits->data();
}

// UTF-8 bytes of a Python str (nullopt if not a str).
// Raises rekindle.DataError (a bad value in a frame) with `message`.
[[noreturn]] void raise_data_error(const std::string& message) {
  py::object cls = py::module_::import("rekindle").attr("DataError");
  PyErr_SetString(cls.ptr(), message.c_str());
  throw py::error_already_set();
}

std::string row_place(const std::string& name, int64_t r);

// The UTF-8 of a str, nullopt for any other object. A str that is not valid Unicode (a lone
// surrogate) is a DataError naming its column and row (`field`, `row`; none when `field` is
// null), never a raw UnicodeEncodeError.
std::optional<std::string_view> utf8_of(PyObject* o, const std::string* field = nullptr,
                                        int64_t row = 0) {
  if (!PyUnicode_Check(o)) return std::nullopt;
  Py_ssize_t n = 0;
  const char* s = PyUnicode_AsUTF8AndSize(o, &n);
  if (!s) {
    if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError)) throw py::error_already_set();
    PyErr_Clear();
    raise_data_error((field ? row_place(*field, row) : std::string()) +
                     py::repr(o).cast<std::string>() +
                     " is not valid Unicode text (a lone surrogate cannot be encoded as UTF-8)");
  }
  return std::string_view(s, static_cast<size_t>(n));
}

bool is_missing_object(PyObject* o) {
  if (o == Py_None) return true;
  if (PyFloat_Check(o)) return std::isnan(PyFloat_AS_DOUBLE(o));
  // pandas.NA / NaT: not None, not float; their type names are NAType and NaTType.
  const char* tn = Py_TYPE(o)->tp_name;
  return std::strcmp(tn, "NAType") == 0 || std::strcmp(tn, "NaTType") == 0;
}

// Interns strings into a StringDict (copies the bytes into an arena).
struct DictBuilder {
  std::shared_ptr<rk::StringDict> dict = std::make_shared<rk::StringDict>();
  std::unordered_map<std::string, int32_t> index;

  int32_t intern(std::string_view s) {
    auto it = index.find(std::string(s));
    if (it != index.end()) return it->second;
    auto buf = std::make_unique<char[]>(std::max<size_t>(s.size(), 1));
    std::memcpy(buf.get(), s.data(), s.size());
    dict->entries.emplace_back(buf.get(), s.size());
    dict->arena.push_back(std::move(buf));
    const auto code = static_cast<int32_t>(dict->entries.size() - 1);
    index.emplace(std::string(s), code);
    return code;
  }
};

std::string row_place(const std::string& name, int64_t r) {
  return "column " + name + ", row " + std::to_string(r) + ": ";
}

// Builds one column from its Python description (see rekindle/__init__.py: _field_arrays):
//   bool: (uint8/bool values, mask)   int: (int64 values, mask)   float: (float64 values, mask)
//   date: (int32 days, mask)   enum: (int32 ordinals, mask)
//   string: (int32 codes with -1 = missing, None, [unique strings])
//   list: (object array of lists, `|`-joined strings or missing values, None, None)
RkColumn build_column(rk::Batch& b, std::vector<py::object>& keep, const rk::FieldDef& f,
                      const py::tuple& desc, int64_t rows) {
  RkColumn col{};
  if (desc.size() != 3) throw py::value_error("column " + f.name + ": bad description");
  py::object values = desc[0], mask = desc[1], extra = desc[2];
  auto check_size = [&](const py::array& a) {
    if (a.ndim() != 1 || a.shape(0) != rows)
      throw py::value_error("column " + f.name + ": expected " + std::to_string(rows) + " values");
  };
  switch (f.type) {
    case rk::FieldType::Bool: {
      auto a = py::array_t<uint8_t, py::array::c_style | py::array::forcecast>::ensure(values);
      if (!a) throw py::value_error("column " + f.name + ": expected bool values");
      check_size(a);
      auto bits = owned_vector<uint8_t>(b, static_cast<size_t>((rows + 7) / 8 + 1));
      const uint8_t* p = a.data();
      for (int64_t r = 0; r < rows; ++r)
        if (p[r]) (*bits)[static_cast<size_t>(r >> 3)] |= static_cast<uint8_t>(1u << (r & 7));
      col.values = bits->data();
      col.validity = validity_from_mask(b, mask, rows, f.name);
      break;
    }
    case rk::FieldType::Int: {
      auto a = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(values);
      if (!a) throw py::value_error("column " + f.name + ": expected int64 values");
      check_size(a);
      keep.push_back(a);  // used in place
      col.values = a.data();
      col.validity = validity_from_mask(b, mask, rows, f.name);
      break;
    }
    case rk::FieldType::Number:
    case rk::FieldType::Money:
    case rk::FieldType::Percent: {
      auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(values);
      if (!a) throw py::value_error("column " + f.name + ": expected float64 values");
      check_size(a);
      keep.push_back(a);  // used in place
      col.values = a.data();
      col.validity = validity_from_mask(b, mask, rows, f.name);
      break;
    }
    case rk::FieldType::Date:
    case rk::FieldType::Enum: {
      auto a = py::array_t<int32_t, py::array::c_style | py::array::forcecast>::ensure(values);
      if (!a) throw py::value_error("column " + f.name + ": expected int32 values");
      check_size(a);
      keep.push_back(a);
      col.values = a.data();
      col.validity = validity_from_mask(b, mask, rows, f.name);
      if (f.type == rk::FieldType::Enum) {
        const int32_t* p = a.data();
        const auto n = static_cast<int32_t>(f.enum_values.size());
        for (int64_t r = 0; r < rows; ++r)
          if ((p[r] < 0 || p[r] >= n) && rk::is_present(col.validity, r))
            throw py::value_error(row_place(f.name, r) + "enum ordinal out of range");
      }
      break;
    }
    case rk::FieldType::String: {
      auto a = py::array_t<int32_t, py::array::c_style | py::array::forcecast>::ensure(values);
      if (!a) throw py::value_error("column " + f.name + ": expected int32 codes");
      check_size(a);
      auto dict = std::make_shared<rk::StringDict>();
      py::list uniques = extra;
      auto buf_size = size_t{0};
      std::vector<std::string_view> views;
      for (auto u : uniques) {
        auto s = utf8_of(u.ptr());
        if (!s) throw py::value_error("column " + f.name + ": dictionary entries must be str");
        views.push_back(*s);
        buf_size += s->size();
      }
      auto arena = std::make_unique<char[]>(std::max<size_t>(buf_size, 1));
      size_t at = 0;
      for (auto s : views) {
        std::memcpy(arena.get() + at, s.data(), s.size());
        dict->entries.emplace_back(arena.get() + at, s.size());
        at += s.size();
      }
      dict->arena.push_back(std::move(arena));
      if (dict->entries.empty()) dict->entries.emplace_back();  // missing rows point at code 0
      const int32_t* p = a.data();
      const auto n_entries = static_cast<int32_t>(views.size());
      bool any_missing = false;
      for (int64_t r = 0; r < rows; ++r) {
        if (p[r] < 0)
          any_missing = true;
        else if (p[r] >= n_entries)
          throw py::value_error(row_place(f.name, r) + "code out of range");
      }
      if (any_missing) {
        if (!f.nullable)
          throw py::value_error("column " + f.name +
                                ": missing value, but the schema does not allow missing values");
        auto codes = owned_vector<int32_t>(b, static_cast<size_t>(rows));
        auto bits = owned_vector<uint8_t>(b, static_cast<size_t>((rows + 7) / 8 + 1));
        for (int64_t r = 0; r < rows; ++r) {
          if (p[r] >= 0) {
            (*codes)[static_cast<size_t>(r)] = p[r];
            (*bits)[static_cast<size_t>(r >> 3)] |= static_cast<uint8_t>(1u << (r & 7));
          }
        }
        col.values = codes->data();
        col.validity = bits->data();
      } else {
        keep.push_back(a);
        col.values = a.data();
      }
      col.encoding = RK_STR_DICT;
      col.dict = dict.get();
      b.owned.push_back(dict);
      b.dicts.back() = dict;
      break;
    }
    case rk::FieldType::StringList: {
      auto a = py::array::ensure(values);
      if (!a || a.dtype().kind() != 'O')
        throw py::value_error("column " + f.name + ": expected an object array");
      check_size(a);
      if (a.ndim() == 1 && a.shape(0) > 1 &&
          a.strides(0) != static_cast<py::ssize_t>(sizeof(PyObject*)))
        throw py::value_error("column " + f.name + ": expected a contiguous object array");
      keep.push_back(a);
      PyObject* const* p = static_cast<PyObject* const*>(a.data());
      DictBuilder db;
      std::unordered_map<std::string, std::vector<int32_t>> joined;  // `a|b` -> codes
      auto offsets = owned_vector<int32_t>(b, static_cast<size_t>(rows + 1));
      auto child = std::make_shared<std::vector<int32_t>>();
      b.owned.push_back(child);
      std::shared_ptr<std::vector<uint8_t>> bits;
      for (int64_t r = 0; r < rows; ++r) {
        PyObject* o = p[r];
        if (is_missing_object(o)) {
          if (f.nullable) {
            if (!bits) {
              bits = owned_vector<uint8_t>(b, static_cast<size_t>((rows + 7) / 8 + 1));
              for (int64_t q = 0; q < r; ++q)
                (*bits)[static_cast<size_t>(q >> 3)] |= static_cast<uint8_t>(1u << (q & 7));
            }
          } else if (bits) {
            (*bits)[static_cast<size_t>(r >> 3)] |= static_cast<uint8_t>(1u << (r & 7));
          }
          // Not nullable: a missing value is an empty list (as an empty CSV field).
        } else {
          if (bits) (*bits)[static_cast<size_t>(r >> 3)] |= static_cast<uint8_t>(1u << (r & 7));
          if (auto s = utf8_of(o, &f.name, r)) {
            if (!s->empty()) {
              auto it = joined.find(std::string(*s));
              if (it == joined.end()) {
                std::vector<int32_t> codes;
                size_t start = 0;
                for (;;) {
                  const size_t bar = s->find('|', start);
                  const std::string_view item = s->substr(
                      start, bar == std::string_view::npos ? std::string_view::npos : bar - start);
                  if (item.empty())
                    throw py::value_error(row_place(f.name, r) + "\"" + std::string(*s) +
                                          "\" has an empty list element (elements are joined "
                                          "with |)");
                  codes.push_back(db.intern(item));
                  if (bar == std::string_view::npos) break;
                  start = bar + 1;
                }
                it = joined.emplace(std::string(*s), std::move(codes)).first;
              }
              child->insert(child->end(), it->second.begin(), it->second.end());
            }
          } else {
            py::handle h(o);
            if (!py::isinstance<py::sequence>(h) && !py::isinstance<py::array>(h))
              throw py::value_error(row_place(f.name, r) +
                                    "expected a list of str or a `|`-joined str, not " +
                                    std::string(Py_TYPE(o)->tp_name));
            for (auto item : py::iter(h)) {
              if (is_missing_object(item.ptr())) continue;  // missing elements are dropped
              auto e = utf8_of(item.ptr(), &f.name, r);
              if (!e)
                throw py::value_error(row_place(f.name, r) + "list elements must be str, not " +
                                      std::string(Py_TYPE(item.ptr())->tp_name));
              child->push_back(db.intern(*e));
            }
          }
        }
        if (child->size() > static_cast<size_t>(INT32_MAX))
          throw py::value_error("column " + f.name + ": too many list elements");
        (*offsets)[static_cast<size_t>(r + 1)] = static_cast<int32_t>(child->size());
      }
      if (child->empty()) child->push_back(0);
      if (db.dict->entries.empty()) db.dict->entries.emplace_back();
      col.offsets = offsets->data();
      col.child_codes = child->data();
      col.validity = bits ? bits->data() : nullptr;
      col.dict = db.dict.get();
      b.owned.push_back(db.dict);
      b.dicts.back() = db.dict;
      break;
    }
  }
  return col;
}

// Raises rekindle.DataError listing the rows of a frame whose values lie outside their fields'
// ranges (runtime/value_ranges.h): one line per row, up to DataErrors' limit, then the count.
void check_frame_ranges(const rk::Schema& schema, const rk::Batch& batch) {
  const auto limit = static_cast<int64_t>(rk::DataErrors::kDefaultLimit);
  std::string lines;
  int64_t listed = 0;
  const int64_t bad =
      rk::check_ranges(schema, batch, true, [&](int64_t r, size_t f, const std::string& m) {
        if (listed++ >= limit) return;
        lines += (lines.empty() ? "" : "\n") + row_place(schema.fields[f].name, r) + m;
      });
  if (bad == 0) return;
  if (bad > 1) lines += "\n" + std::to_string(bad) + " rows with errors";
  if (bad > limit) lines += " (the first " + std::to_string(limit) + " are shown)";
  raise_data_error(lines);
}

// Evaluates in-memory columns (one description per schema field). Returns (one int8 array per
// program output, summary JSON, engine used, warning).
py::tuple evaluate_columns(const Compiled& c, const py::list& fields, int64_t rows, int32_t as_of,
                           const std::string& engine, int threads, const std::string& rules_name,
                           const std::string& rules_hash, const std::string& handoff,
                           const std::string& run_id) {
  const rk::ir::Program& program = c.program();
  if (static_cast<size_t>(py::len(fields)) != program.schema.fields.size())
    throw py::value_error("expected one description per schema field");
  std::string warning;
  rk::Session session(session_options(engine, threads, warning));
  session.executor(c.rules());

  rk::Batch batch;
  batch.num_rows = rows;
  batch.first_row = 0;
  std::vector<py::object> keep;
  for (size_t i = 0; i < program.schema.fields.size(); ++i) {
    batch.dicts.emplace_back();
    batch.columns.push_back(
        build_column(batch, keep, program.schema.fields[i], fields[i].cast<py::tuple>(), rows));
  }
  check_frame_ranges(program.schema, batch);

  std::vector<py::array_t<int8_t>> outs;
  std::vector<int8_t*> dest;
  for (size_t k = 0; k < program.outputs.size(); ++k) {
    // A wide output (a score) holds eight bytes per row; numpy's buffers are 16-byte aligned.
    outs.emplace_back(static_cast<py::ssize_t>(rows) *
                      static_cast<py::ssize_t>(rk::ir::output_bytes(program.outputs[k].width)));
    dest.push_back(outs.back().mutable_data());
  }
  if (!handoff.empty() && program.schema.key_field < 0)
    throw py::value_error("the hand-off files need a key field in the schema");
  rk::Summary summary;
  std::string error, json;
  std::string writer_drafts, writer_queue, writer_events;
  bool ok = true, bad_data = false;
  {
    py::gil_scoped_release release;
    // The key's uniqueness is checked like for every snapshot (runtime/key_check.h); the frame
    // is in memory, so suspects are confirmed by reading its key column again.
    std::unique_ptr<rk::SnapshotReader> reader;
    if (program.schema.key_field >= 0) {
      const auto key = static_cast<size_t>(program.schema.key_field);
      rk::Batch keys;
      keys.num_rows = batch.num_rows;
      keys.columns = {batch.columns[key]};
      keys.dicts = {batch.dicts[key]};
      keys.owned = batch.owned;
      reader = std::make_unique<rk::KeyCheckingReader>(
          std::make_unique<OneBatchReader>(std::move(batch)), program.schema, "<DataFrame>",
          [keys](const rk::Schema&) -> std::unique_ptr<rk::SnapshotReader> {
            return std::make_unique<OneBatchReader>(keys);
          });
    } else {
      reader = std::make_unique<OneBatchReader>(std::move(batch));
    }
    // `handoff` names the hand-off files wanted: d (drafts), q (review queue), e (events).
    rk::HandoffOptions wanted;
    if (handoff.find('d') != std::string::npos) wanted.drafts = "-";
    if (handoff.find('q') != std::string::npos) wanted.review_queue = "-";
    if (handoff.find('e') != std::string::npos) wanted.events = "-";
    wanted.as_of = as_of;
    wanted.run_id = run_id.empty() ? rk::default_run_id(as_of, rules_hash) : run_id;
    std::optional<rk::HandoffEncoder> encoder;
    if (wanted.any()) encoder.emplace(program, wanted);
    CollectWriter writer(dest, program, encoder ? &*encoder : nullptr, &wanted);
    rk::EvalOptions opts;
    opts.as_of = as_of;
    if (rows > 0)
      ok = session.evaluate(c.rules(), *reader, &writer, opts, summary, error);
    else
      summary.init(program);
    bad_data = !ok && reader->error().has_value();
    if (ok)
      json = rk::summary_json(program, summary,
                              run_inputs(session, c, "<DataFrame>", as_of, rules_name, rules_hash));
    writer_drafts = std::move(writer.drafts);
    writer_queue = std::move(writer.queue);
    writer_events = std::move(writer.events);
  }
  if (bad_data) raise_data_error(error);  // e.g. a key in two rows
  if (!ok) throw EvaluationError(error);
  py::list out_list;
  for (auto& o : outs) out_list.append(o);
  py::dict files;
  if (handoff.find('d') != std::string::npos) files["drafts"] = py::bytes(writer_drafts);
  if (handoff.find('q') != std::string::npos)
    files["review_queue"] = py::bytes(rk::sorted_queue_text(writer_queue));
  if (handoff.find('e') != std::string::npos) files["events"] = py::bytes(writer_events);
  return py::make_tuple(out_list, json, std::string(rk::engine_name(session.engine())), warning,
                        files);
}

// Evaluates a snapshot file with the C++ readers and writes `out` (atomically; "" = no output).
// Returns (summary JSON, engine used, warning). Ctrl-C (in the main thread) cancels the run and
// leaves nothing at `out`.
py::tuple evaluate_file(const Compiled& c, const std::string& snapshot, const std::string& out,
                        const std::string& format, int32_t as_of, const std::string& engine,
                        int threads, const std::string& rules_name, const std::string& rules_hash,
                        const std::string& drafts, const std::string& review_queue,
                        const std::string& events, const std::string& run_id) {
  const rk::ir::Program& program = c.program();
  const std::optional<rk::ResultFormat> rf = rk::result_format_for(format, out);
  if (!rf) throw py::value_error("format must be csv, jsonl or arrow, not \"" + format + "\"");
  // No output may be an input (runtime/output_guard.h).
  std::vector<rk::RunFile> inputs{{"the snapshot", snapshot}};
  for (size_t i = 0; i < c.source_set().size(); ++i)
    inputs.push_back(
        {i == 0 ? "the rule file" : "a file the rules import", c.source_set().file(i).path});
  if (auto refused = rk::check_outputs(
          inputs,
          {{"out", out}, {"drafts", drafts}, {"review_queue", review_queue}, {"events", events}}))
    throw py::value_error(*refused);
  // The hand-off files (runtime/handoff.h): written with the result as one all-or-none group.
  rk::HandoffOptions hopts;
  hopts.drafts = drafts;
  hopts.review_queue = review_queue;
  hopts.events = events;
  hopts.as_of = as_of;
  hopts.run_id = run_id.empty() ? rk::default_run_id(as_of, rules_hash) : run_id;
  if (const std::string bad = rk::check_run_id(hopts.run_id); !bad.empty())
    throw py::value_error(bad);
  if (hopts.any() && program.schema.key_field < 0)
    throw py::value_error("the hand-off files need a key field in the schema");
  std::string warning;
  rk::Session session(session_options(engine, threads, warning));
  session.executor(c.rules());

  std::string error, json;
  bool ok = false, interrupted = false;
  {
    py::gil_scoped_release release;
    std::optional<rk::SnapshotError> serr;
    rk::DataErrors bad_rows;  // every bad row of the snapshot, not only the first
    rk::ReaderOptions ropts;
    ropts.errors = &bad_rows;
    auto reader = rk::open_snapshot(snapshot, program.schema, ropts, serr);
    std::unique_ptr<rk::ResultWriter> writer;
    if (!reader) {
      error = serr ? serr->to_string() : "cannot open " + snapshot;
    } else if (!out.empty() && !(writer = rk::open_result_writer(out, *rf, program, error))) {
      // error set
    } else if (hopts.any() &&
               !(writer = rk::OutputGroupWriter::open(std::move(writer), program, hopts, error))) {
      // error set
    } else {
      std::atomic<bool> cancel{false};
      rk::EvalOptions opts;
      opts.as_of = as_of;
      opts.cancel = &cancel;
      opts.progress = [&](int64_t, int64_t) {
        py::gil_scoped_acquire acquire;
        if (PyErr_CheckSignals() != 0) {
          cancel = true;
          interrupted = true;
        }
      };
      rk::Summary summary;
      ok = session.evaluate(c.rules(), *reader, writer.get(), opts, summary, error);
      if (!ok && reader->error() && !bad_rows.empty()) {  // one line per bad row, then the count
        error.clear();
        for (const auto& line : bad_rows.lines()) error += (error.empty() ? "" : "\n") + line;
      }
      if (ok && writer && !writer->finish()) {
        ok = false;
        error = writer->error();
      }
      if (ok) {
        // The run manifest, as `rekindle eval --summary` states it.
        rk::RunInputs run = session.inputs(c.rules(), snapshot, as_of);
        run.rules = rules_name;
        run.rules_hash = rules_hash;
        run.run_id = hopts.run_id;
        run.snapshot_sha256 = reader->sha256();
        run.snapshot_bytes = reader->bytes_read();
        json = rk::summary_json(program, summary, run.to_map(), run.numbers());
      }
      // On failure the writer's destructor removes its temporary file.
    }
  }
  if (interrupted && PyErr_Occurred()) throw py::error_already_set();
  if (!ok) throw EvaluationError(error);
  return py::make_tuple(json, std::string(rk::engine_name(session.engine())), warning);
}

// `rekindle measure`: the report as JSON text, the paused variants, and the files asked for
// (report, verdicts, HTML; each written atomically, none when the measurement fails).
py::tuple measure(const Compiled& c, const std::vector<std::string>& events,
                  const std::string& outcomes, int window, int64_t min_sample,
                  const std::string& out, const std::string& verdicts, const std::string& html) {
  c.program();  // the rules compiled
  // No output may be an input (events, outcomes, rule files) or another output
  // (runtime/output_guard.h), as for `rekindle measure`.
  std::vector<rk::RunFile> inputs{{"the outcomes file", outcomes}};
  for (const auto& e : events) inputs.push_back({"an events file", e});
  for (size_t i = 0; i < c.source_set().size(); ++i)
    inputs.push_back(
        {i == 0 ? "the rule file" : "a file the rules import", c.source_set().file(i).path});
  if (auto refused =
          rk::check_outputs(inputs, {{"out", out}, {"verdicts", verdicts}, {"html", html}}))
    throw py::value_error(*refused);
  const rk::measure::MeasurePlan plan = rk::measure::measure_plan_from(c.result());
  std::string error, report_text;
  std::vector<std::string> paused;
  bool ok = false;
  {
    py::gil_scoped_release release;
    rk::measure::Options options;
    options.window_days = window;
    options.min_sample = min_sample;
    rk::measure::Report report;
    if (rk::measure::measure(plan, events, outcomes, options, report, error)) {
      report_text = rk::measure::report_json(report);
      paused = rk::measure::paused_variants(report);
      rk::AtomicFile files[3];
      const std::pair<const std::string*, std::string> outputs[] = {
          {&out, report_text},
          {&verdicts, verdicts.empty() ? "" : rk::measure::verdicts_json(report)},
          {&html, html.empty() ? "" : rk::measure::report_html(report, plan)}};
      ok = true;
      for (size_t i = 0; i < 3 && ok; ++i)
        if (!outputs[i].first->empty() &&
            !(files[i].open(*outputs[i].first) && files[i].write(outputs[i].second))) {
          error = files[i].error();
          ok = false;
        }
      for (size_t i = 0; i < 3 && ok; ++i)
        if (!outputs[i].first->empty() && !files[i].commit()) {
          error = files[i].error();
          ok = false;
        }
    }
  }
  if (!ok) throw EvaluationError(error);
  return py::make_tuple(report_text, paused);
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "Rekindle's compiler, JIT and evaluator (use the `rekindle` package, not this module)";
  py::register_exception<EvaluationError>(m, "EvaluationError", PyExc_RuntimeError);

  py::class_<Compiled, std::shared_ptr<Compiled>>(m, "Compiled")
      .def_property_readonly("ok", &Compiled::ok)
      .def_property_readonly("path", &Compiled::path)
      .def_property_readonly("params", &Compiled::params)
      .def("diagnostics", &Compiled::diagnostics)
      .def("rendered", &Compiled::rendered)
      .def("sources", &Compiled::sources)
      .def("rules_hash", &Compiled::rules_hash)
      .def("schema", &Compiled::schema)
      .def("columns", &Compiled::columns)
      .def("layout", &Compiled::layout)
      .def("program_params", &Compiled::program_params)
      .def("engine", &engine_of);

  // The output rules of runtime/output_guard.h and the atomic file every output is written
  // through, for the Python side's own outputs (rekindle.dask: markers, summary, --merged).
  py::class_<rk::AtomicFile>(m, "AtomicFile")
      .def(py::init<>())
      .def("open",
           [](rk::AtomicFile& f, const std::string& path) {
             if (!f.open(path)) throw EvaluationError(f.error());
           })
      .def("write",
           [](rk::AtomicFile& f, const py::bytes& data) {
             const std::string bytes = data;
             if (!f.write(bytes.data(), bytes.size())) throw EvaluationError(f.error());
           })
      .def("commit",
           [](rk::AtomicFile& f) {
             if (!f.commit()) throw EvaluationError(f.error());
           })
      .def("abort", &rk::AtomicFile::abort);
  m.def(
      "check_outputs",
      [](const std::vector<std::pair<std::string, std::string>>& inputs,
         const std::vector<std::pair<std::string, std::string>>& outputs) {
        std::vector<rk::RunFile> in, out;
        for (const auto& [role, path] : inputs) in.push_back({role, path});
        for (const auto& [role, path] : outputs) out.push_back({role, path});
        return rk::check_outputs(in, out);
      },
      "The message refusing outputs that are inputs or one another, or None");

  m.def("compile", &compile, py::arg("path"), py::arg("params"), py::arg("text") = py::none(),
        py::arg("root") = std::string(),
        "Compiles a rule file (or its text); check .ok and .diagnostics()");
  m.def("parse_date", &parse_date, "YYYY-MM-DD -> days since 1970-01-01");
  m.def("format_date", &rk::format_iso_date, "days since 1970-01-01 -> YYYY-MM-DD");
  m.def("evaluate_columns", &evaluate_columns, py::arg("compiled"), py::arg("fields"),
        py::arg("rows"), py::arg("as_of"), py::arg("engine"), py::arg("threads"),
        py::arg("rules_name"), py::arg("rules_hash"), py::arg("handoff") = "",
        py::arg("run_id") = "");
  m.def("measure", &measure, py::arg("compiled"), py::arg("events"), py::arg("outcomes"),
        py::arg("window"), py::arg("min_sample"), py::arg("out"), py::arg("verdicts"),
        py::arg("html"));
  m.def("evaluate_file", &evaluate_file, py::arg("compiled"), py::arg("snapshot"), py::arg("out"),
        py::arg("format"), py::arg("as_of"), py::arg("engine"), py::arg("threads"),
        py::arg("rules_name"), py::arg("rules_hash"), py::arg("drafts") = "",
        py::arg("review_queue") = "", py::arg("events") = "", py::arg("run_id") = "");
}
