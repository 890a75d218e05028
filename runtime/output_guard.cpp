// Rekindle runtime: the output rules of output_guard.h (inputs never overwritten, two outputs
// never one file, symlinks followed to the file they name).
#include "runtime/output_guard.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>

namespace rk {

namespace fs = std::filesystem;

bool resolve_write_target(const std::string& path, std::string& resolved, std::string& error) {
  std::string p = path;
  for (int hop = 0; hop < 40; ++hop) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) {
      resolved = p;
      return true;
    }
    std::string target(PATH_MAX, '\0');
    const ssize_t n = ::readlink(p.c_str(), target.data(), target.size());
    if (n < 0) {
      error = fmt::format("{}: cannot read the symbolic link: {}", path, std::strerror(errno));
      return false;
    }
    target.resize(static_cast<size_t>(n));
    if (target.empty() || target[0] != '/') {
      const size_t slash = p.find_last_of('/');
      if (slash != std::string::npos) target.insert(0, p, 0, slash + 1);
    }
    p = target;
  }
  error = fmt::format("{}: too many levels of symbolic links", path);
  return false;
}

namespace {

// What a path is, for comparing files: its inode when it exists, else its resolved path.
struct Identity {
  bool exists = false;
  dev_t dev = 0;
  ino_t ino = 0;
  mode_t mode = 0;
  std::string where;  // resolved absolute path (missing files)
};

Identity identify(const std::string& path) {
  Identity id;
  struct stat st {};
  const bool ok = path == "-" ? ::fstat(STDOUT_FILENO, &st) == 0 : ::stat(path.c_str(), &st) == 0;
  if (ok) {
    id.exists = true;
    id.dev = st.st_dev;
    id.ino = st.st_ino;
    id.mode = st.st_mode;
    return id;
  }
  if (path == "-") return id;
  std::string resolved, error;
  if (!resolve_write_target(path, resolved, error)) resolved = path;
  std::error_code ec;
  const fs::path w = fs::weakly_canonical(fs::absolute(resolved, ec), ec);
  id.where = ec ? resolved : w.string();
  return id;
}

bool same_file(const Identity& a, const Identity& b) {
  if (a.exists != b.exists) return false;
  if (a.exists) return a.dev == b.dev && a.ino == b.ino;
  return !a.where.empty() && a.where == b.where;
}

std::string shown(const RunFile& f) {
  return f.path == "-" ? f.role + " (standard output)" : fmt::format("{} `{}`", f.role, f.path);
}

}  // namespace

std::optional<std::string> check_outputs(const std::vector<RunFile>& inputs,
                                         const std::vector<RunFile>& outputs) {
  std::vector<Identity> in_ids;
  in_ids.reserve(inputs.size());
  for (const auto& f : inputs) in_ids.push_back(f.path.empty() ? Identity{} : identify(f.path));
  std::vector<Identity> out_ids;
  for (size_t o = 0; o < outputs.size(); ++o) {
    const RunFile& out = outputs[o];
    out_ids.push_back(out.path.empty() ? Identity{} : identify(out.path));
    if (out.path.empty()) continue;
    const Identity& id = out_ids.back();
    for (size_t p = 0; p < o; ++p)
      if (outputs[p].path == "-" && out.path == "-")
        return fmt::format("{} and {} both go to standard output; give one of them a file",
                           outputs[p].role, out.role);
    // A character device (/dev/null, a terminal) is a sink: writing to it destroys nothing.
    if (id.exists && S_ISCHR(id.mode)) continue;
    for (size_t i = 0; i < inputs.size(); ++i)
      if (!inputs[i].path.empty() && id.exists && same_file(id, in_ids[i]))
        return fmt::format(
            "{} is {}: writing there would destroy an input of this run; choose another file",
            shown(out), inputs[i].path == out.path ? inputs[i].role : shown(inputs[i]));
    for (size_t p = 0; p < o; ++p)
      if (!outputs[p].path.empty() && same_file(id, out_ids[p]))
        return fmt::format(
            "{} and {} are the same file: one output would replace the other; "
            "choose two files",
            shown(outputs[p]), shown(out));
  }
  return std::nullopt;
}

}  // namespace rk
