// Rekindle compiler: the checker's diagnostic codes in one catalogue. Every error the checker
// reports names its entry here (a Code), never a string literal; each entry has its RKxxxx code, a
// short name, a one-line summary and the anchor of its section in docs/diagnostics.md, and a test
// (tests/compiler/test_codes.cpp) keeps the catalogue and the document in step. The parser's
// syntax codes (RK01xx) are the grammar's; the lints' (RK06xx) are in compiler/lint/lint.h.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace rk::check {

enum class Code : uint8_t {
  NestedTooDeeply,      // RK0106
  FileTooLarge,         // RK0107
  UnknownName,          // RK0201
  DeclaredTwice,        // RK0202
  SchemaImport,         // RK0203
  KeyField,             // RK0205
  BadParam,             // RK0206
  SequenceValue,        // RK0208
  FieldRange,           // RK0209
  Arithmetic,           // RK0301
  Comparison,           // RK0302
  NotACondition,        // RK0303
  NoSuchValue,          // RK0304
  NotApplicable,        // RK0305
  ParamNotLiteral,      // RK0306
  IfBranches,           // RK0307
  HoldoutShare,         // RK0308
  WaitNotDays,          // RK0309
  Offer,                // RK0310
  Progress,             // RK0311
  InvalidProgram,       // RK0400
  Cycle,                // RK0401
  LabelAfterOtherwise,  // RK0402
  LabelTwice,           // RK0403
  StopWithoutReason,    // RK0404
  Limit,                // RK0405
  NoTouches,            // RK0406
  CandidateTwice,       // RK0408
  Channels,             // RK0409
  WrongFileKind,        // RK0410
  DuplicateColumn,      // RK0411
  Score,                // RK0412
  Variant,              // RK0413
  Experiments,          // RK0414
  Template,             // RK0415
  Placeholder,          // RK0416
  MessageMissing,       // RK0417
  SendTime,             // RK0430
  LocalTime,            // RK0431
  Owner,                // RK0432
};

struct CodeInfo {
  Code id;
  std::string_view code;     // RKxxxx
  std::string_view name;     // a short name, e.g. unknown-name
  std::string_view summary;  // what it finds
  std::string_view anchor;   // docs/diagnostics.md#ANCHOR
};

// Every entry, in code order.
const std::vector<CodeInfo>& catalog();
const CodeInfo& info(Code code);

}  // namespace rk::check
