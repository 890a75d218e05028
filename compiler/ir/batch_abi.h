// Rekindle IR: the in-memory columnar ABI shared by the readers, the interpreter and the JIT
// kernels. Plain C structs so generated code can read them with fixed offsets. A batch is a set of
// columns in schema order; results are one column per program output: int8 codes, or eight-byte
// int64/double values for a wide output (Program::outputs[k].width).
#pragma once

#include <cstdint>

extern "C" {

// Physical encodings of a string column.
enum RkStringEncoding : int32_t {
  RK_STR_DICT = 0,     // values = int32 codes into `dict`
  RK_STR_PLAIN32 = 1,  // offsets = int32[rows+1] into `data`
  RK_STR_PLAIN64 = 2,  // offsets = int64[rows+1] into `data`
};

// One column of one batch. Which pointers are set depends on the field's FieldType:
//   Bool:        values = bit-packed bitmap (bit i = row i, LSB first)
//   Int:         values = int64_t[rows]
//   Number/Money/Percent: values = double[rows]
//   Date:        values = int32_t[rows], days since 1970-01-01
//   Enum:        values = int32_t[rows], ordinal into the schema's enum values
//   String:      encoding says: DICT (values = int32 codes, dict set) or PLAIN32/PLAIN64
//                (offsets + data)
//   StringList:  offsets = int32_t[rows+1] into child_codes; child_codes = int32 codes into dict
// validity: bit-packed, bit set = value present; nullptr = every value present.
struct RkColumn {
  const uint8_t* validity;
  const void* values;
  const void* offsets;
  const char* data;
  const int32_t* child_codes;
  const void* dict;  // const rk::StringDict* (runtime type); only read by C++ helpers
  int32_t encoding;  // RkStringEncoding for String columns
  int32_t reserved;
};

// A precomputed predicate over a string-like column or the holdout hash ("atom"), evaluated once
// per dictionary entry or once per row by shared C++ code before the kernel runs.
// Value for row r: table[index ? index[r] : r] (0 = false, 1 = true);
// present when `validity` is null or its bit r is set.
struct RkAtom {
  const int32_t* index;
  const uint8_t* table;
  const uint8_t* validity;
};

struct RkBatchView {
  const RkColumn* columns;  // schema order
  const RkAtom* atoms;      // Program::atoms order
  int64_t num_rows;
  int32_t as_of;  // days since 1970-01-01
  int32_t reserved;
};

// Result columns: outputs[k][row] for a Code output Program::outputs[k] (-1 means empty /
// missing); for an Int64 or Float64 output, outputs[k] points at int64_t[num_rows] or
// double[num_rows] (8-byte aligned; 0 when missing, presence is another output).
struct RkResultView {
  int8_t* const* outputs;
  int64_t num_rows;
};

// The JIT kernel signature: evaluate rows [begin, end) of `batch` into `results` (same row
// indexing).
typedef void (*RkKernelFn)(const RkBatchView* batch, const RkResultView* results, int64_t begin,
                           int64_t end);
}
