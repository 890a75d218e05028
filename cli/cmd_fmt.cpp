// Rekindle CLI: `rekindle fmt FILE...` rewrites schema and rule files in the canonical layout
// (compiler/format), keeping every comment. `--check` writes nothing and prints a unified diff of
// each file that is not formatted; `-` formats standard input to standard output. Files are
// replaced atomically (temp file + rename). Exit 0: all formatted; 1: syntax errors or (with
// --check) unformatted files; 2: usage or I/O error.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <iterator>
#include <string_view>

#include "cli/command.h"
#include "cli/common.h"
#include "compiler/format/format.h"
#include "grammar/source_root.h"
#include "runtime/result_writer.h"

namespace rk::cli {
namespace {

struct FmtArgs {
  std::vector<std::string> files;
  std::string root;
  bool check = false;
};

std::vector<std::string_view> split_lines(std::string_view s) {
  std::vector<std::string_view> out;
  size_t b = 0;
  while (b < s.size()) {
    size_t e = s.find('\n', b);
    if (e == std::string_view::npos)
      e = s.size();
    else
      ++e;
    out.push_back(s.substr(b, e - b));
    b = e;
  }
  return out;
}

// A unified diff (3 lines of context) of `a` and `b`. The middle that differs is aligned with a
// longest-common-subsequence table when it is small enough, else shown as one replaced block.
std::string unified_diff(const std::string& name, std::string_view a_text,
                         std::string_view b_text) {
  const auto a = split_lines(a_text), b = split_lines(b_text);
  size_t pre = 0;
  while (pre < a.size() && pre < b.size() && a[pre] == b[pre]) ++pre;
  size_t suf = 0;
  while (suf < a.size() - pre && suf < b.size() - pre &&
         a[a.size() - 1 - suf] == b[b.size() - 1 - suf])
    ++suf;
  const size_t n = a.size() - pre - suf, m = b.size() - pre - suf;
  // ops: ' ' keep, '-' delete, '+' insert, over the whole files.
  std::vector<std::pair<char, size_t>> ops;  // (op, index into a or b)
  for (size_t i = 0; i < pre; ++i) ops.push_back({' ', i});
  if (n > 0 && m > 0 && n * m <= 16'000'000) {
    std::vector<uint32_t> t((n + 1) * (m + 1), 0);
    auto at = [&](size_t i, size_t j) -> uint32_t& { return t[i * (m + 1) + j]; };
    for (size_t i = n; i-- > 0;)
      for (size_t j = m; j-- > 0;)
        at(i, j) =
            a[pre + i] == b[pre + j] ? at(i + 1, j + 1) + 1 : std::max(at(i + 1, j), at(i, j + 1));
    size_t i = 0, j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[pre + i] == b[pre + j]) {
        ops.push_back({' ', pre + i});
        ++i, ++j;
      } else if (j < m && (i == n || at(i, j + 1) >= at(i + 1, j))) {
        ops.push_back({'+', pre + j++});
      } else {
        ops.push_back({'-', pre + i++});
      }
    }
  } else {
    for (size_t i = 0; i < n; ++i) ops.push_back({'-', pre + i});
    for (size_t j = 0; j < m; ++j) ops.push_back({'+', pre + j});
  }
  for (size_t i = 0; i < suf; ++i) ops.push_back({' ', a.size() - suf + i});

  std::string out = fmt::format("--- {}\n+++ {} (formatted)\n", name, name);
  // Positions (1-based line numbers) before each op.
  std::vector<size_t> ai(ops.size() + 1), bi(ops.size() + 1);
  for (size_t k = 0, x = 0, y = 0; k <= ops.size(); ++k) {
    ai[k] = x, bi[k] = y;
    if (k == ops.size()) break;
    if (ops[k].first != '+') ++x;
    if (ops[k].first != '-') ++y;
  }
  auto line_of = [&](size_t k) {
    const std::string_view l = ops[k].first == '+' ? b[ops[k].second] : a[ops[k].second];
    std::string s(1, ops[k].first);
    s += l;
    if (s.back() != '\n') s += "\n\\ No newline at end of file\n";
    return s;
  };
  const size_t ctx = 3;
  size_t k = 0;
  while (k < ops.size()) {
    while (k < ops.size() && ops[k].first == ' ') ++k;
    if (k == ops.size()) break;
    size_t start = k >= ctx ? k - ctx : 0;
    size_t end = k;
    // Extend over changes closer than 2*ctx lines of context apart.
    for (;;) {
      while (end < ops.size() && ops[end].first != ' ') ++end;
      size_t next = end;
      while (next < ops.size() && ops[next].first == ' ') ++next;
      if (next < ops.size() && next - end <= 2 * ctx) {
        end = next;
        continue;
      }
      end = std::min(ops.size(), end + ctx);
      break;
    }
    size_t a_len = 0, b_len = 0;
    for (size_t q = start; q < end; ++q) {
      if (ops[q].first != '+') ++a_len;
      if (ops[q].first != '-') ++b_len;
    }
    out += fmt::format("@@ -{},{} +{},{} @@\n", a_len ? ai[start] + 1 : ai[start], a_len,
                       b_len ? bi[start] + 1 : bi[start], b_len);
    for (size_t q = start; q < end; ++q) out += line_of(q);
    k = end;
  }
  return out;
}

// Reads a regular file (a FIFO, a device or a directory is refused, without blocking); false with
// `error` set on failure.
bool read_file(const std::string& path, std::string& out, std::string& error) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    error = std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    error = "not a regular file";
    return false;
  }
  out.clear();
  char buf[1 << 16];
  for (;;) {
    const ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      error = std::strerror(errno);
      ::close(fd);
      return false;
    }
    if (r == 0) break;
    out.append(buf, static_cast<size_t>(r));
  }
  ::close(fd);
  return true;
}

// Replaces `path` with `text` through AtomicFile: a temporary file in the same folder renamed
// over it (the file's mode is kept; a symlinked rule file is written at the file it names).
bool write_atomically(const std::string& path, const std::string& text, std::string& error) {
  AtomicFile file;
  if (!file.open(path) || !file.write(text) || !file.commit()) {
    error = file.error();
    return false;
  }
  return true;
}

std::function<int()> setup_fmt(CLI::App& app) {
  auto args = std::make_shared<FmtArgs>();
  auto* sub = app.add_subcommand(
      "fmt", "Rewrite rule and schema files in the canonical layout, keeping every comment");
  sub->add_option("files", args->files, "Rule or schema files to format; `-` for standard input")
      ->required();
  add_root_option(sub, args->root);
  sub->add_flag("--check", args->check,
                "Write nothing; print a diff of each file that is not formatted and exit 1");
  sub->footer(
      "Exit status: 0 when every file is (now) formatted, 1 on syntax errors or (with --check) "
      "unformatted files, 2 on usage or I/O errors.\n"
      "Examples: rekindle fmt rules/*.rules rules/*.schema\n"
      "          rekindle fmt --check rules/winback.rules   # in CI\n"
      "          rekindle fmt - < draft.rules > clean.rules");
  return [args]() {
    bool findings = false, io_error = false;
    for (const auto& path : args->files) {
      std::string text;
      const bool is_stdin = path == "-";
      if (is_stdin) {
        text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
      } else if (std::vector<Diagnostic> outside; !source_root(path, args->root, outside)) {
        // A file that leads out of its folder (or --root) through a symlink is not read: its
        // content would be quoted in a diff or a syntax error.
        for (const auto& d : outside) print_error(fmt::format("{}: {}", d.message, d.help));
        io_error = true;
        continue;
      } else if (std::string why; !read_file(path, text, why)) {
        print_error(fmt::format("cannot read `{}`: {}", path, why));
        io_error = true;
        continue;
      }
      const FormatResult r = format_text(is_stdin ? "<stdin>" : path, text);
      if (!r.text) {
        for (const auto& d : r.diags)
          std::fputs(render_text(r.sources, d, isatty(2)).c_str(), stderr);
        findings = true;
        continue;
      }
      if (args->check) {
        if (*r.text != text) {
          std::fputs(unified_diff(path, text, *r.text).c_str(), stdout);
          findings = true;
        }
        continue;
      }
      if (is_stdin) {
        std::fwrite(r.text->data(), 1, r.text->size(), stdout);
        continue;
      }
      if (*r.text == text) continue;
      std::string error;
      if (!write_atomically(path, *r.text, error)) {
        print_error(error);
        io_error = true;
        continue;
      }
      fmt::print(stderr, "formatted {}\n", path);
    }
    if (io_error) return kExitUsage;
    return findings ? kExitFindings : kExitOk;
  };
}

}  // namespace

RK_COMMAND(fmt, "fmt", setup_fmt);

}  // namespace rk::cli
