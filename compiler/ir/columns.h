// Rekindle IR: the output contract's columns, presented from the layout in one place. Which
// columns a rule file's results have, their names (the key field, `candidate`, one per segment,
// `stopped_by`, `review`, then NAME_status, _touch, _step, _channel and _offer per sequence),
// their value texts and how JSON lines and Arrow type them are decided here and nowhere else; a
// new result value (a score, a variant, a send time) is one more column here.
#pragma once

#include <string_view>
#include <vector>

#include "compiler/ir/program.h"

namespace rk::ir {

// The result columns of a program with `layout` over `schema`, in output-contract order.
std::vector<ResultColumn> result_columns(const Layout& layout, const Schema& schema);

// Names for tools and bindings: key, candidate, family, stopped_by, review, status, touch, step,
// channel, offer; key, enumerated, joined; text, bool, int.
std::string_view column_role_name(ColumnRole role);
std::string_view result_kind_name(ResultKind kind);
std::string_view value_type_name(ValueType type);

}  // namespace rk::ir
