// Rekindle IR: the output contract's columns, presented from the layout in one place. Which
// columns a rule file's results have, their names (the key field, `candidate`, one per segment,
// `stopped_by`, `review`, then NAME_status, _touch, _step, _channel and _offer per sequence),
// their value texts and how JSON lines and Arrow type them are decided here and nowhere else; a
// new result value (a score, a variant, a send time) is one more column here.
#pragma once

#include <vector>

#include "compiler/ir/program.h"

namespace rk::ir {

// The result columns of a program with `layout` over `schema`, in output-contract order.
std::vector<ResultColumn> result_columns(const Layout& layout, const Schema& schema);

}  // namespace rk::ir
