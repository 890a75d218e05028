// Rekindle compiler: loading. Reads and parses the main rule file and, depth first, every file
// it imports (each once, by canonical path; relative to the importing file and confined to the
// project folder, grammar/source_root.h; from an editor's unsaved buffer when
// CompileOptions::read_source has it), keeping the one schema file apart; a schema where a rule
// file is expected (or the reverse) and a second schema are reported here.
#include <fmt/format.h>

#include <filesystem>

#include "compiler/check/passes.h"
#include "grammar/parser.h"
#include "grammar/source_root.h"

namespace rk::check {
namespace {

namespace fs = std::filesystem;

std::string canonical(const std::string& p) {
  std::error_code ec;
  auto c = fs::weakly_canonical(p, ec);
  return ec ? p : c.string();
}

// Reads an imported file: through CompileOptions::read_source when it has the text (an editor's
// unsaved buffer), else from disk (a regular file only: SourceSet::load).
std::optional<uint32_t> load_import(Context& ctx, const ResolvedSource& source,
                                    const ast::Span& from) {
  const std::string& path = source.display;
  if (ctx.opts.read_source) {
    if (std::optional<std::string> text = ctx.opts.read_source(path)) {
      if (text->size() > kMaxSourceBytes) {
        ctx.error(Code::FileTooLarge, from,
                  fmt::format("`{}` is too large ({} bytes; the limit is {} bytes)", path,
                              text->size(), kMaxSourceBytes));
        return std::nullopt;
      }
      return ctx.src.add(path, std::move(*text));
    }
  }
  return ctx.src.load(source.open, ctx.diags, from, source.display);
}

// Adds a parsed rule file and, depth first, the files it imports (each once).
bool add_file(Context& ctx, ast::File file) {
  ctx.files.all.push_back(std::make_shared<ast::File>(std::move(file)));
  const ast::File* f = ctx.files.all.back().get();
  if (ctx.files.first.line == 0) ctx.files.first = ctx.file_span(f->file_index);
  for (const auto& top : f->decls) {
    if (const auto* imp = std::get_if<ast::ImportDecl>(&top.decl)) {
      auto resolved = resolve_source(ctx.files.root, ctx.src.file(f->file_index).path, imp->path,
                                     {".rules", ".schema"}, "import", imp->span, ctx.diags);
      if (!resolved) continue;
      const std::string key = canonical(resolved->open);
      if (ctx.files.loaded.count(key)) continue;
      ctx.files.loaded.insert(key);
      auto idx = load_import(ctx, *resolved, imp->span);
      if (!idx) continue;
      auto parsed = parse_file(ctx.src, *idx, ctx.diags);
      if (!parsed) continue;
      if (parsed->is_schema) {
        if (ctx.files.schema) {
          ctx.error(Code::SchemaImport, imp->span, "a second schema is imported",
                    "a rule set reads one snapshot: import exactly one schema file");
          continue;
        }
        ctx.files.all.push_back(std::make_shared<ast::File>(std::move(*parsed)));
        ctx.files.schema = ctx.files.all.back().get();
      } else {
        add_file(ctx, std::move(*parsed));
      }
    }
  }
  ctx.files.rules.push_back(f);
  return true;
}

}  // namespace

bool load_main(Context& ctx, uint32_t file_index) {
  auto parsed = parse_file(ctx.src, file_index, ctx.diags);
  if (!parsed) return false;
  if (parsed->is_schema) {
    ctx.error(Code::WrongFileKind, ctx.file_span(file_index),
              "this is a schema file; give a rule file that imports it",
              "rule files start with `import \"customer.schema\"`");
    return false;
  }
  ctx.files.loaded.insert(canonical(ctx.src.file(file_index).path));
  return add_file(ctx, std::move(*parsed));
}

std::optional<Schema> load_schema(Context& ctx, uint32_t file_index) {
  auto parsed = parse_file(ctx.src, file_index, ctx.diags);
  if (!parsed) return std::nullopt;
  if (!parsed->is_schema) {
    ctx.error(Code::WrongFileKind, ctx.file_span(file_index),
              "this is a rule file, not a schema file", "schema files start with `schema NAME`");
    return std::nullopt;
  }
  ctx.files.all.push_back(std::make_shared<ast::File>(std::move(*parsed)));
  ctx.files.schema = ctx.files.all.back().get();
  build_schema(ctx);
  if (ctx.failed()) return std::nullopt;
  return ctx.program.schema;
}

}  // namespace rk::check
