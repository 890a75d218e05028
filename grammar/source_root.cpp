// Rekindle sources: the root folder of a compilation and the confinement of imports (see
// source_root.h).
#include "grammar/source_root.h"

#include <fmt/format.h>

#include <filesystem>

namespace rk {

namespace fs = std::filesystem;

namespace {

// Whether canonical `path` is `root` or below it (component-wise: /a/bc is not below /a/b).
bool inside(const fs::path& root, const fs::path& path) {
  auto r = root.begin(), p = path.begin();
  for (; r != root.end(); ++r, ++p) {
    if (r->empty()) continue;  // the trailing "" of a root written with a final slash
    if (p == path.end() || *r != *p) return false;
  }
  return true;
}

bool has_extension(const fs::path& p, const std::vector<std::string_view>& extensions) {
  const std::string name = p.filename().string();
  for (std::string_view ext : extensions)
    if (name.size() > ext.size() && name.compare(name.size() - ext.size(), ext.size(), ext) == 0)
      return true;
  return false;
}

std::string extension_list(const std::vector<std::string_view>& extensions) {
  std::string out;
  for (size_t i = 0; i < extensions.size(); ++i)
    out += fmt::format("{}`{}`",
                       i == 0                       ? ""
                       : i + 1 == extensions.size() ? " or "
                                                    : ", ",
                       extensions[i]);
  return out;
}

}  // namespace

std::optional<SourceRoot> source_root(const std::string& top_file, const std::string& root,
                                      std::vector<Diagnostic>& diags) {
  auto fail = [&](std::string message, std::string help = {}) -> std::optional<SourceRoot> {
    diags.push_back(
        {Severity::Error, "RK0502", std::move(message), std::nullopt, {}, std::move(help)});
    return std::nullopt;
  };
  std::error_code ec;
  if (root.empty()) {
    fs::path dir = fs::path(top_file).parent_path();
    if (dir.empty()) dir = ".";
    const fs::path c = fs::weakly_canonical(fs::absolute(dir, ec), ec);
    if (ec) return fail(fmt::format("cannot resolve the folder of `{}`", top_file));
    // The file itself must not lead out of its folder through a symlink (a rule file in a pull
    // request made a link to /etc/passwd would otherwise be read and quoted).
    const fs::path top = fs::weakly_canonical(fs::absolute(top_file, ec), ec);
    if (!ec && !inside(c, top))
      return fail(fmt::format("`{}` leads, through a symbolic link, outside its folder `{}`",
                              top_file, dir.string()),
                  "files are read only inside the project folder; to allow a wider folder, run "
                  "with --root FOLDER");
    return SourceRoot{c.string(), dir.string()};
  }
  const fs::path c = fs::canonical(root, ec);
  if (ec || !fs::is_directory(c, ec)) return fail(fmt::format("--root {}: not a folder", root));
  const fs::path top = fs::weakly_canonical(fs::absolute(top_file, ec), ec);
  if (ec || !inside(c, top))
    return fail(fmt::format("`{}` is outside the --root folder `{}`", top_file, root),
                "--root must be a folder that holds the rule file");
  return SourceRoot{c.string(), root};
}

std::optional<ResolvedSource> resolve_source(const SourceRoot& root, const std::string& from_file,
                                             const std::string& written,
                                             const std::vector<std::string_view>& extensions,
                                             std::string_view what,
                                             const std::optional<ast::Span>& span,
                                             std::vector<Diagnostic>& diags) {
  auto fail = [&](const char* code, std::string message,
                  std::string help) -> std::optional<ResolvedSource> {
    diags.push_back({Severity::Error, code, std::move(message), span, {}, std::move(help)});
    return std::nullopt;
  };
  const fs::path w(written);
  if (w.is_absolute())
    return fail("RK0502",
                fmt::format("the {} `{}` is an absolute path; it must be relative to the file "
                            "that names it",
                            what, written),
                fmt::format("write the path from this file's folder, inside the project folder "
                            "`{}`",
                            root.shown));
  ResolvedSource out;
  out.display = (fs::path(from_file).parent_path() / w).lexically_normal().string();
  std::error_code ec;
  const fs::path open = fs::weakly_canonical(fs::absolute(out.display, ec), ec);
  if (ec || !inside(fs::path(root.path), open)) {
    std::error_code lec;
    const fs::path lexical = (fs::absolute(out.display, lec)).lexically_normal();
    const fs::path root_lexical = fs::absolute(root.shown, lec).lexically_normal();
    const bool by_link = !lec && inside(root_lexical, lexical);
    return fail(
        "RK0502",
        fmt::format("the {} `{}` {} the project folder `{}`", what, out.display,
                    by_link ? "leads, through a symbolic link, outside" : "is outside", root.shown),
        "files are read only from the folder of the top rule file and below it; to "
        "allow a wider folder, run with --root FOLDER");
  }
  // Both the name written and the file it leads to (through symlinks) must be rule or schema
  // files: nothing else is ever read, so nothing else can be quoted in a diagnostic.
  if (!has_extension(w, extensions) || !has_extension(open, extensions))
    return fail(
        "RK0503",
        fmt::format("the {} `{}` is not a {} file", what, out.display, extension_list(extensions)),
        fmt::format("only {} files are read", extension_list(extensions)));
  out.open = open.string();
  return out;
}

}  // namespace rk
