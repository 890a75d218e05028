// Rekindle JIT tests: helpers to build tiny IR programs and columnar batches by hand (buffers
// owned by the test), create either executor (the reference interpreter or the JIT) for them, run
// it and read the int8 outputs back.
#pragma once

#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "compiler/ir/batch_abi.h"
#include "compiler/ir/executor.h"
#include "compiler/ir/program.h"
#include "compiler/jit/jit.h"
#include "runtime/interpreter.h"

namespace rk::jit_test {

using ir::Op;
using ir::Ty;

// Builds an ir::Program node by node.
struct ProgramBuilder {
  ir::Program program;

  uint32_t field(const std::string& name, FieldType type, bool nullable = true) {
    FieldDef f;
    f.name = name;
    f.type = type;
    f.nullable = nullable;
    program.schema.fields.push_back(f);
    return static_cast<uint32_t>(program.schema.fields.size() - 1);
  }
  uint32_t atom() {
    program.atoms.push_back(ir::Atom{});
    return static_cast<uint32_t>(program.atoms.size() - 1);
  }
  uint32_t node(Op op, Ty ty, std::vector<uint32_t> args = {}) {
    ir::Node n;
    n.op = op;
    n.ty = ty;
    n.args = std::move(args);
    program.nodes.push_back(n);
    return static_cast<uint32_t>(program.nodes.size() - 1);
  }
  uint32_t column(uint32_t field) {
    uint32_t id = node(Op::Column, ir::column_ty(program.schema.fields[field].type));
    program.nodes[id].index = field;
    return id;
  }
  uint32_t atom_node(uint32_t atom) {
    uint32_t id = node(Op::Atom, Ty::Bool);
    program.nodes[id].index = atom;
    return id;
  }
  uint32_t const_int(int64_t v) {
    uint32_t id = node(Op::ConstInt, Ty::Int);
    program.nodes[id].imm = v;
    return id;
  }
  uint32_t const_bool(bool v) {
    uint32_t id = node(Op::ConstBool, Ty::Bool);
    program.nodes[id].imm = v;
    return id;
  }
  uint32_t const_float(double v) {
    uint32_t id = node(Op::ConstFloat, Ty::Float);
    program.nodes[id].fimm = v;
    return id;
  }
  uint32_t in_mask(uint32_t x, uint64_t mask) {
    uint32_t id = node(Op::InMask, Ty::Bool, {x});
    program.nodes[id].mask = mask;
    return id;
  }
  size_t output(uint32_t node, std::string name = "out",
                ir::OutputWidth width = ir::OutputWidth::Code) {
    program.outputs.push_back(ir::Output{std::move(name), node, width});
    return program.outputs.size() - 1;
  }
};

inline void set_bit(std::vector<uint8_t>& bits, int64_t i, bool v) {
  if (v) bits[i >> 3] |= static_cast<uint8_t>(1u << (i & 7));
}

// Owns the buffers of one batch; columns are added in schema order.
class TestBatch {
 public:
  explicit TestBatch(int64_t rows) : rows_(rows) {}
  int64_t rows() const { return rows_; }

  // `with_validity` false: validity = nullptr (every row present; values must all be set).
  void add_int(const std::vector<std::optional<int64_t>>& v, bool with_validity = true) {
    add_fixed<int64_t>(v, with_validity);
  }
  void add_float(const std::vector<std::optional<double>>& v, bool with_validity = true) {
    add_fixed<double>(v, with_validity);
  }
  void add_int32(const std::vector<std::optional<int32_t>>& v, bool with_validity = true) {
    add_fixed<int32_t>(v, with_validity);
  }
  void add_bool(const std::vector<std::optional<bool>>& v, bool with_validity = true) {
    std::vector<uint8_t>& bits = bytes((rows_ + 7) / 8);
    for (int64_t i = 0; i < rows_; ++i) set_bit(bits, i, v[i].value_or(false));
    RkColumn c{};
    c.validity = with_validity ? validity(v) : nullptr;
    c.values = bits.data();
    columns_.push_back(c);
  }
  // A String column (not read by kernels; only atoms refer to strings).
  void add_string_placeholder() { columns_.push_back(RkColumn{}); }
  // An atom: row r is table[index ? index[r] : r], present when valid[r].
  void add_atom(const std::vector<uint8_t>& table, const std::vector<int32_t>* index,
                const std::vector<bool>* valid) {
    std::vector<uint8_t>& t = bytes(table.size() + 1);
    std::memcpy(t.data(), table.data(), table.size());
    RkAtom a{};
    a.table = t.data();
    if (index) {
      int32s_.push_back(*index);
      a.index = int32s_.back().data();
    }
    if (valid) {
      std::vector<uint8_t>& bits = bytes((rows_ + 7) / 8);
      for (int64_t i = 0; i < rows_; ++i) set_bit(bits, i, (*valid)[i]);
      a.validity = bits.data();
    }
    atoms_.push_back(a);
  }

  RkBatchView view(int32_t as_of = 0) const {
    RkBatchView b{};
    b.columns = columns_.data();
    b.atoms = atoms_.data();
    b.num_rows = rows_;
    b.as_of = as_of;
    return b;
  }

 private:
  std::vector<uint8_t>& bytes(size_t n) {
    // Exact sizes (no padding), so reading past the last byte of a bitmap is caught by ASan.
    buffers_.emplace_back(n, 0);
    return buffers_.back();
  }
  template <class T>
  const uint8_t* validity(const std::vector<std::optional<T>>& v) {
    std::vector<uint8_t>& bits = bytes((rows_ + 7) / 8);
    for (int64_t i = 0; i < rows_; ++i) set_bit(bits, i, v[i].has_value());
    return bits.data();
  }
  template <class T>
  void add_fixed(const std::vector<std::optional<T>>& v, bool with_validity) {
    std::vector<uint8_t>& data = bytes(sizeof(T) * rows_ + 1);
    for (int64_t i = 0; i < rows_; ++i) {
      // A missing row holds garbage, as a real reader may leave it.
      T x = v[i].has_value() ? *v[i] : static_cast<T>(0x5a5a5a5a);
      std::memcpy(data.data() + sizeof(T) * i, &x, sizeof(T));
    }
    RkColumn c{};
    c.validity = with_validity ? validity(v) : nullptr;
    c.values = data.data();
    columns_.push_back(c);
  }

  int64_t rows_;
  std::deque<std::vector<uint8_t>> buffers_;
  std::deque<std::vector<int32_t>> int32s_;
  std::vector<RkColumn> columns_;
  std::vector<RkAtom> atoms_;
};

// Output buffers for a program's outputs, pre-filled with a sentinel to catch unwritten rows.
// Result columns of `rows` rows: one byte per row for a Code output, eight for a wide one
// (Int64, Float64).
struct TestResults {
  std::vector<std::vector<int8_t>> columns;
  std::vector<int8_t*> pointers;
  int64_t rows = 0;
  // Code outputs only.
  TestResults(size_t outputs, int64_t num_rows, int8_t fill = 99) : rows(num_rows) {
    columns.assign(outputs, std::vector<int8_t>(static_cast<size_t>(rows), fill));
    for (auto& c : columns) pointers.push_back(c.data());
  }
  TestResults(const ir::Program& program, int64_t num_rows, int8_t fill = 99) : rows(num_rows) {
    for (const auto& o : program.outputs)
      columns.emplace_back(static_cast<size_t>(rows) * ir::output_bytes(o.width), fill);
    for (auto& c : columns) pointers.push_back(c.data());
  }
  RkResultView view() {
    RkResultView r{};
    r.outputs = pointers.data();
    r.num_rows = rows;
    return r;
  }
};

inline std::vector<std::vector<int8_t>> run_all(const Executor& exec, const ir::Program& program,
                                                const TestBatch& batch, int32_t as_of = 0) {
  TestResults results(program, batch.rows());
  RkBatchView b = batch.view(as_of);
  RkResultView r = results.view();
  exec.run(b, r, 0, batch.rows());
  return results.columns;
}

// The two executors of the IR. Hand-written expectations run on both (RK_EACH_ENGINE), so the
// interpreter's semantics are pinned directly and not only by comparing it with the JIT.
enum class Engine { Interpreter, Jit };

inline const char* engine_name(Engine e) {
  return e == Engine::Interpreter ? "interpreter" : "jit";
}

// An executor of `program` on `engine`; fails the test when the JIT cannot compile it.
inline std::unique_ptr<Executor> make_executor(Engine engine, const ir::Program& program) {
  if (engine == Engine::Interpreter) {
    auto exec = make_interpreter(program);
    REQUIRE(exec->name() == "interpreter");
    return exec;
  }
  std::string error;
  auto exec = jit::compile(program, error);
  INFO(error);
  REQUIRE(exec);
  REQUIRE(exec->name() == "jit");
  return exec;
}

}  // namespace rk::jit_test

// Runs the rest of the enclosing TEST_CASE once per executor (a Catch2 generator), declaring
// `var` as the Engine of this run and naming it in every failure message.
#define RK_EACH_ENGINE(var)                                                       \
  const ::rk::jit_test::Engine var =                                              \
      GENERATE(::rk::jit_test::Engine::Interpreter, ::rk::jit_test::Engine::Jit); \
  INFO("engine: " << ::rk::jit_test::engine_name(var))
