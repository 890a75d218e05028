// Rekindle compiler: the checker's passes before lowering, and their order (internal to
// compiler/check; see context.h for the whole flow).
#pragma once

#include <cstdint>
#include <optional>

#include "compiler/check/context.h"

namespace rk::check {

// load.cpp: the main rule file `file_index` and its imports into ctx.files; false when the main
// file does not parse or is a schema file.
bool load_main(Context& ctx, uint32_t file_index);
// load.cpp: a schema file alone (`rekindle convert --schema`).
std::optional<Schema> load_schema(Context& ctx, uint32_t file_index);
// schema.cpp: ctx.program.schema from ctx.files.schema.
void build_schema(Context& ctx);
// compile.cpp: every pass after loading, up to the validated program.
std::optional<ir::Program> check_program(Context& ctx);

}  // namespace rk::check
