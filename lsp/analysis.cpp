// Rekindle language server: analysing a document with the project's compiler (see analysis.h).
#include "lsp/analysis.h"

#include <fmt/format.h>

#include <cctype>
#include <filesystem>
#include <map>
#include <set>

#include "compiler/check/compile.h"
#include "compiler/format/format.h"
#include "compiler/lint/guarantees.h"
#include "compiler/lint/lint.h"
#include "grammar/names.h"
#include "grammar/parser.h"
#include "grammar/test_file.h"

namespace rk::lsp {

struct ParsedDoc {
  std::string text;
  ast::File ast;
};

namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxFiles = 1000;  // files one analysis loads (imports of imports ...)

std::string canonical(const std::string& p) {
  std::error_code ec;
  auto c = fs::weakly_canonical(p, ec);
  return ec ? p : c.string();
}

// An open document's text, else the file on disk (regular files of bounded size only).
std::optional<std::string> read_file(const FileReader& read, const std::string& path) {
  if (read)
    if (auto t = read(path)) return t;
  SourceSet scratch;
  std::vector<Diagnostic> ignored;
  auto i = scratch.load(path, ignored);
  if (!i) return std::nullopt;
  return scratch.file(*i).text;
}

std::optional<ast::File> parse(const std::string& path, const std::string& text,
                               std::optional<uint32_t>* error_at = nullptr) {
  SourceSet s;
  s.add(path, text);
  std::vector<Diagnostic> diags;
  auto f = parse_file(s, 0, diags);
  if (error_at)
    for (const auto& d : diags)
      if (d.severity == Severity::Error && d.span) {
        *error_at = d.span->offset;
        break;
      }
  return f;
}

// A document that does not parse and never did (a new file being typed): the declarations before
// the one with the error, so its imports and names are known. Tries the text up to the start of
// the error's line, then up to the start of each of the two lines before it that start a
// declaration (a word at the start of the line).
std::optional<ast::File> parse_prefix(const std::string& path, const std::string& text,
                                      uint32_t error_at) {
  size_t cut = std::min<size_t>(error_at, text.size());
  for (int tries = 0; tries < 3 && cut > 0; ++tries) {
    while (cut > 0 && text[cut - 1] != '\n') --cut;
    if (auto f = parse(path, text.substr(0, cut))) return f;
    // The previous line that starts a declaration.
    do {
      if (cut > 0) --cut;
      while (cut > 0 && text[cut - 1] != '\n') --cut;
    } while (cut > 0 && !grammar::ident_length(text.data() + cut, text.data() + text.size()));
  }
  return std::nullopt;
}

struct Loaded {
  std::vector<std::optional<ast::File>> asts;            // per analysis file (the document: [0])
  std::vector<std::map<std::string, uint32_t>> imports;  // per file: import path -> file
};

// Loads what the document imports, and what those import, like the checker does (paths relative
// to the importing file, each file once).
// `map0` moves places of the document's AST when it is of an older version.
void load_imports(Analysis& a, Loaded& l, const FileReader& read, const OffsetMap* map0) {
  std::map<std::string, uint32_t> seen;
  seen.emplace(canonical(a.files[0].path), 0);
  for (uint32_t f = 0; f < a.files.size(); ++f) {
    if (!l.asts[f] || l.asts[f]->is_schema) continue;
    const fs::path dir = fs::path(a.files[f].path).parent_path();
    for (const auto& top : l.asts[f]->decls) {
      const auto* imp = std::get_if<ast::ImportDecl>(&top.decl);
      if (!imp) continue;
      const std::string path = (dir / imp->path).lexically_normal().string();
      const std::string key = canonical(path);
      if (auto it = seen.find(key); it != seen.end()) {
        l.imports[f].emplace(imp->path, it->second);
        continue;
      }
      if (a.files.size() >= kMaxFiles) return;
      auto text = read_file(read, path);
      if (!text) continue;
      const auto id = static_cast<uint32_t>(a.files.size());
      seen.emplace(key, id);
      l.imports[f].emplace(imp->path, id);
      a.files.push_back({path, std::move(*text)});
      l.asts.push_back(parse(path, a.files.back().text));
      l.imports.emplace_back();
      // Shown at the document's own import that (directly or not) brings the file in.
      std::optional<Loc> site = a.import_sites[f];
      if (f == 0) {
        site = Loc{0, imp->span.offset, imp->span.len};
        if (map0) site = map0->extent(*site);
      }
      a.import_sites.push_back(site);
    }
  }
}

std::string humanize(std::string_view name) {
  std::string out;
  for (char c : name) out += c == '_' ? ' ' : c;
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

// Turns the compiler's diagnostics (spans into `sources`) into problems of the analysis.
class Converter {
 public:
  Converter(const Analysis& a, const SourceSet& sources) : a_(a), sources_(sources) {
    for (uint32_t i = 0; i < a.files.size(); ++i) file_of_path_.emplace(a.files[i].path, i);
  }

  Problem convert(const Diagnostic& d) const {
    Problem p;
    p.severity = d.severity;
    p.code = d.code;
    p.message = d.message;
    std::optional<Loc> at = d.span ? loc(*d.span) : std::nullopt;
    if (at && at->file != 0) {
      // In an imported file: at the document's import of it, the place as related information.
      const std::string& path = a_.files[at->file].path;
      p.related.push_back({d.message, *at});
      p.message = fmt::format("in `{}`: {}", fs::path(path).filename().string(), d.message);
      const auto& sites = a_.import_sites;
      p.loc = at->file < sites.size() && sites[at->file] ? *sites[at->file] : Loc{};
    } else if (at) {
      p.loc = *at;
    }
    for (const auto& n : d.notes) {
      std::optional<Loc> nl = n.span ? loc(*n.span) : std::nullopt;
      if (nl)
        p.related.push_back({n.message, *nl});
      else
        p.message += "\nnote: " + n.message;
    }
    if (!d.help.empty()) p.message += "\nhelp: " + d.help;
    fixes(d, at, p);
    return p;
  }

 private:
  std::optional<Loc> loc(const ast::Span& s) const {
    if (s.file >= sources_.size()) return std::nullopt;
    auto it = file_of_path_.find(sources_.file(s.file).path);
    if (it == file_of_path_.end()) return std::nullopt;
    // The texts are the same (both read through the same reader), but never trust a place past
    // the end.
    const auto size = static_cast<uint32_t>(a_.files[it->second].text.size());
    if (s.offset > size) return std::nullopt;
    return Loc{it->second, s.offset, std::min(s.len, size - s.offset)};
  }

  // "did you mean `X`?": replace the name; a stop rule without a reason: add `because`.
  void fixes(const Diagnostic& d, const std::optional<Loc>& at, Problem& p) const {
    static constexpr std::string_view kMean = "did you mean `";
    if (at && d.help.rfind(kMean, 0) == 0) {
      const size_t end = d.help.find('`', kMean.size());
      if (end != std::string::npos) {
        const std::string name = d.help.substr(kMean.size(), end - kMean.size());
        p.fixes.push_back({fmt::format("Change to `{}`", name), {{*at, name}}});
        if (auto s = declared(name))
          p.related.push_back({fmt::format("`{}` is declared here", name), *s});
      }
    }
    if (d.code == "RK0404" && at) {
      for (const auto& s : a_.index.symbols())
        if (s.kind == SymbolKind::Stop && s.name_loc && *s.name_loc == *at && s.decl_loc) {
          const std::string reason = reason_for(s.name);
          const Loc end{s.decl_loc->file, s.decl_loc->offset + s.decl_loc->len, 0};
          p.fixes.push_back({fmt::format("Add `because \"{}\"`", reason),
                             {{end, fmt::format("\n  because \"{}\"", reason)}}});
          break;
        }
    }
  }

  // Where `name` is declared (the first symbol of that name with a place).
  std::optional<Loc> declared(const std::string& name) const {
    if (auto s = a_.index.lookup(name); s && a_.index.symbol(*s).name_loc)
      return a_.index.symbol(*s).name_loc;
    for (const auto& s : a_.index.symbols())
      if (s.name == name && s.name_loc) return s.name_loc;
    return std::nullopt;
  }

  const Analysis& a_;
  const SourceSet& sources_;
  std::map<std::string, uint32_t> file_of_path_;
};

// The document's AST; when it does not parse, the last version that did (then `a.stale`), or
// else the declarations before the error (kept in `prefix`).
const ast::File* document_ast(Analysis& a, const std::string& path,
                              const std::shared_ptr<const ParsedDoc>& last, OffsetMap& map,
                              std::optional<ast::File>& prefix) {
  std::optional<uint32_t> error_at;
  std::optional<ast::File> fresh = parse(path, a.files[0].text, &error_at);
  if (fresh) {
    auto p = std::make_shared<ParsedDoc>();
    p->text = a.files[0].text;
    p->ast = std::move(*fresh);
    a.parsed = p;
    return &p->ast;
  }
  if (last) {
    a.parsed = last;
    a.stale = true;
    map = OffsetMap::between(last->text, a.files[0].text);
    return &last->ast;
  }
  if (error_at) prefix = parse_prefix(path, a.files[0].text, *error_at);
  return prefix ? &*prefix : nullptr;
}

void analyze_rules(const AnalyzeInput& in, Analysis& a) {
  CompileOptions opts;
  opts.read_source = in.read;
  auto compiled = std::make_shared<CompileResult>(compile_rules_text(in.path, in.text, opts));

  Loaded l;
  OffsetMap map;
  std::optional<ast::File> prefix;
  const ast::File* doc = document_ast(a, in.path, in.parsed, map, prefix);
  l.asts.emplace_back();  // the document's AST is `doc`
  l.imports.emplace_back();
  if (doc) {
    // load_imports reads the document's imports from l.asts[0]: a copy of the declarations only.
    ast::File decls;
    decls.file_index = 0;
    for (const auto& top : doc->decls)
      if (std::holds_alternative<ast::ImportDecl>(top.decl)) decls.decls.push_back(top);
    l.asts[0] = std::move(decls);
  }
  load_imports(a, l, in.read, a.stale ? &map : nullptr);

  std::vector<IndexInput> inputs;
  std::vector<std::string> names;
  for (uint32_t f = 0; f < a.files.size(); ++f) {
    names.push_back(a.files[f].path);
    IndexInput x;
    x.file = f;
    x.ast = f == 0 ? doc : (l.asts[f] ? &*l.asts[f] : nullptr);
    x.text =
        f == 0 && a.stale ? std::string_view(a.parsed->text) : std::string_view(a.files[f].text);
    x.map = f == 0 && a.stale ? &map : nullptr;
    x.imports = l.imports[f];
    inputs.push_back(std::move(x));
  }
  a.index = Index::build(inputs, names);

  const Converter c(a, compiled->sources);
  for (const auto& d : compiled->diags) a.problems.push_back(c.convert(d));
  if (compiled->program) a.compiled = std::move(compiled);
}

void analyze_schema(const AnalyzeInput& in, Analysis& a) {
  const SchemaResult r = compile_schema_text(in.path, in.text);
  OffsetMap map;
  std::optional<ast::File> prefix;
  const ast::File* doc = document_ast(a, in.path, in.parsed, map, prefix);
  IndexInput x;
  x.ast = doc;
  x.text = a.stale ? std::string_view(a.parsed->text) : std::string_view(a.files[0].text);
  x.map = a.stale ? &map : nullptr;
  a.index = Index::build({x}, {in.path});
  const Converter c(a, r.sources);
  for (const auto& d : r.diags) a.problems.push_back(c.convert(d));
}

void analyze_test(const AnalyzeInput& in, Analysis& a) {
  SourceSet s;
  s.add(in.path, in.text);
  std::vector<Diagnostic> diags;
  const auto file = testfile::parse_test_file(s, 0, diags);
  if (file) {
    for (const auto& t : file->tests) {
      Symbol sym;
      sym.kind = SymbolKind::Test;
      sym.name = t.name;
      sym.name_loc.emplace(Loc{0, t.name_span.offset, t.name_span.len});
      sym.decl_loc.emplace(Loc{0, t.span.offset, t.span.len});
      a.index.add(std::move(sym));
    }
    a.index.finish();
  }
  const Converter c(a, s);
  for (const auto& d : diags) a.problems.push_back(c.convert(d));
}

}  // namespace

DocKind doc_kind(std::string_view language_id, std::string_view path) {
  if (language_id == "rekindle-rules") return DocKind::Rules;
  if (language_id == "rekindle-schema") return DocKind::Schema;
  if (language_id == "rekindle-test") return DocKind::Test;
  const std::string ext = fs::path(path).extension().string();
  if (ext == ".schema") return DocKind::Schema;
  if (ext == ".test") return DocKind::Test;
  return DocKind::Rules;
}

std::optional<std::string> format_document(const std::string& path, const std::string& text,
                                           std::string& error) {
  FormatResult r = format_text(path, text);
  if (r.text) return std::move(r.text);
  for (const auto& d : r.diags)
    if (d.severity == Severity::Error) {
      error = d.span ? fmt::format("{}:{}:{}: {}", path, d.span->line, d.span->col, d.message)
                     : d.message;
      break;
    }
  if (error.empty()) error = "the file does not parse";
  return std::nullopt;
}

std::string reason_for(std::string_view name) {
  return humanize(name);
}

std::shared_ptr<const Analysis> analyze(const AnalyzeInput& in) {
  auto a = std::make_shared<Analysis>();
  a->kind = in.kind;
  a->version = in.version;
  a->files.push_back({in.path, in.text});
  a->import_sites.emplace_back();
  switch (in.kind) {
    case DocKind::Rules:
      analyze_rules(in, *a);
      break;
    case DocKind::Schema:
      analyze_schema(in, *a);
      break;
    case DocKind::Test:
      analyze_test(in, *a);
      break;
  }
  return a;
}

std::vector<Problem> lint(const Analysis& a, const LintOptions& opts) {
  std::vector<Problem> out;
  if (!a.compiled || !a.compiled->program) return out;
  const Converter c(a, a.compiled->sources);
  for (const auto& d : lint_program(*a.compiled, opts)) out.push_back(c.convert(d));
  // The guarantees, after the lints and within their budget (`stop`): a short limit each while
  // editing (an undecided one says so; `rekindle check` has the full limit).
  GuaranteeOptions g;
  g.timeout_ms = kEditorGuaranteeTimeoutMs;
  g.stop = opts.stop;
  for (const auto& d : prove_guarantees(*a.compiled, g).diags) out.push_back(c.convert(d));
  return out;
}

}  // namespace rk::lsp
