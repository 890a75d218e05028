// Rekindle compiler: the front door (compile.h). Runs the checker's passes in order on a thread
// with a large stack: loading, the schema, the declarations, parameter overrides, the lowering of
// every declaration and of the whole program, the source map's terms, and the IR validator.
#include <fmt/format.h>
#include <pthread.h>

#include <algorithm>
#include <functional>

#include "compiler/check/lower.h"
#include "compiler/check/passes.h"
#include "compiler/ir/validate.h"
#include "grammar/source_root.h"

namespace rk {
namespace check {

std::optional<ir::Program> check_program(Context& ctx) {
  if (ctx.failed()) return std::nullopt;
  if (!ctx.files.schema) {
    ctx.error(Code::SchemaImport, ctx.files.first, "no schema imported",
              "add `import \"customer.schema\"` at the top of the rule file");
    return std::nullopt;
  }
  build_schema(ctx);
  Symbols symbols;
  declare_all(ctx, symbols);
  if (ctx.failed()) return std::nullopt;
  SourceMapBuilder smap(ctx);
  Lowering lowering(ctx, symbols, smap);
  lowering.apply_param_overrides();
  lowering.lower_all();
  if (ctx.failed()) return std::nullopt;
  smap.finish();
  ctx.program.nodes = ctx.nb.take();
  std::string why;
  if (!ir::validate(ctx.program, why) || !ir::validate_description(ctx.program, why)) {
    ctx.error(Code::InvalidProgram, ctx.files.first,
              fmt::format("internal error: the checked program is invalid ({})", why),
              "please report this with the rule file; nothing was evaluated");
    return std::nullopt;
  }
  return std::move(ctx.program);
}

}  // namespace check

namespace {

// Runs `fn` on a thread with a 512 MiB stack (reserved, touched only as used), so checking deep
// but legal expressions cannot overflow the caller's stack.
void run_on_big_stack(const std::function<void()>& fn) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, size_t{512} << 20);
  pthread_t thread;
  auto trampoline = [](void* arg) -> void* {
    (*static_cast<const std::function<void()>*>(arg))();
    return nullptr;
  };
  if (pthread_create(&thread, &attr, trampoline, const_cast<std::function<void()>*>(&fn)) != 0) {
    pthread_attr_destroy(&attr);
    fn();  // no thread available: run here
    return;
  }
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
}

// The parsed files in source order (CompileResult::syntax).
std::vector<std::shared_ptr<const ast::File>> syntax(const check::Context& ctx) {
  std::vector<std::shared_ptr<const ast::File>> out(ctx.files.all.begin(), ctx.files.all.end());
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a->file_index < b->file_index; });
  return out;
}

// Compiles source `index` of `r.sources` (nullopt: it could not be read) into `r`, its imports
// confined to `root`.
void compile_into(CompileResult& r, std::optional<uint32_t> index, const CompileOptions& opts,
                  SourceRoot root) {
  check::Context ctx(r.sources, r.diags, opts, &r.map);
  ctx.files.root = std::move(root);
  if (index && check::load_main(ctx, *index)) r.program = check::check_program(ctx);
  r.syntax = syntax(ctx);
}

}  // namespace

CompileResult compile_rules_text(const std::string& path, std::string text,
                                 const CompileOptions& opts) {
  CompileResult r;
  auto root = source_root(path, opts.root, r.diags);
  if (!root) return r;
  run_on_big_stack([&] {
    const uint32_t idx = r.sources.add(path, std::move(text));
    compile_into(r, idx, opts, std::move(*root));
  });
  if (has_errors(r.diags)) r.program.reset();
  return r;
}

CompileResult compile_rules(const std::string& path, const CompileOptions& opts) {
  CompileResult r;
  auto root = source_root(path, opts.root, r.diags);
  if (!root) return r;
  run_on_big_stack([&] { compile_into(r, r.sources.load(path, r.diags), opts, std::move(*root)); });
  if (has_errors(r.diags)) r.program.reset();
  return r;
}

SchemaResult compile_schema(const std::string& path) {
  SchemaResult r;
  // A schema file given on the command line that is a symlink out of its folder is refused
  // before it is read, like a rule file (grammar/source_root.h).
  if (!source_root(path, "", r.diags)) return r;
  CompileOptions opts;
  check::Context ctx(r.sources, r.diags, opts, nullptr);
  auto idx = r.sources.load(path, r.diags);
  if (idx) r.schema = check::load_schema(ctx, *idx);
  if (has_errors(r.diags)) r.schema.reset();
  return r;
}

SchemaResult compile_schema_text(const std::string& path, std::string text) {
  SchemaResult r;
  CompileOptions opts;
  check::Context ctx(r.sources, r.diags, opts, nullptr);
  const uint32_t idx = r.sources.add(path, std::move(text));
  r.schema = check::load_schema(ctx, idx);
  if (has_errors(r.diags)) r.schema.reset();
  return r;
}

}  // namespace rk
