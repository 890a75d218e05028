// Rekindle diagnostics: source files, line/column lookup and the text renderer.
#include "grammar/diagnostics.h"
#include "grammar/parser.h"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace rk {

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::Error:
      return "error";
    case Severity::Warning:
      return "warning";
    case Severity::Note:
      return "note";
  }
  return "error";
}

uint32_t SourceSet::add(std::string path, std::string text) {
  SourceFile f;
  f.path = std::move(path);
  f.text = std::move(text);
  // A lone CR (classic Mac line ends) is a line end, as in the CSV reader: it becomes LF here,
  // once, so every reader of the text (grammar, comments, strings, line numbers, fmt) sees the
  // same lines. Byte offsets do not move; CRLF stays as it is (CR is white space before LF).
  for (size_t i = 0; i < f.text.size(); ++i)
    if (f.text[i] == '\r' && (i + 1 == f.text.size() || f.text[i + 1] != '\n')) f.text[i] = '\n';
  f.line_starts.push_back(0);
  for (uint32_t i = 0; i < f.text.size(); ++i)
    if (f.text[i] == '\n') f.line_starts.push_back(i + 1);
  files_.push_back(std::move(f));
  return static_cast<uint32_t>(files_.size() - 1);
}

std::optional<uint32_t> SourceSet::load(const std::string& open_path,
                                        std::vector<Diagnostic>& diags,
                                        std::optional<ast::Span> from, const std::string& display) {
  const std::string& path = display.empty() ? open_path : display;
  // Only regular files of bounded size are read, and the checks are made on the descriptor that
  // is read (no window between a check by name and the open): `import "/dev/zero"`, a FIFO or a
  // file swapped for one must give an error, not exhaust memory or hang (O_NONBLOCK: opening a
  // FIFO without a writer returns at once).
  auto fail = [&](std::string code, std::string message) {
    diags.push_back({Severity::Error, std::move(code), std::move(message), from, {}, ""});
    return std::nullopt;
  };
  const int fd = ::open(open_path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return fail("RK0501", fmt::format("cannot read `{}`", path));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail("RK0501", fmt::format("cannot read `{}`: not a regular file", path));
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxSourceBytes) {
    ::close(fd);
    return fail("RK0107", fmt::format("`{}` is too large ({} bytes; the limit is {} bytes)", path,
                                      st.st_size, kMaxSourceBytes));
  }
  // Read at most one byte past the limit (a file growing while it is read stays bounded).
  std::string text;
  text.resize(static_cast<size_t>(st.st_size) + 1);
  size_t got = 0;
  bool read_error = false;
  while (got <= kMaxSourceBytes) {
    if (got == text.size()) text.resize(std::min<size_t>(text.size() * 2, kMaxSourceBytes + 1));
    const ssize_t r = ::read(fd, text.data() + got, text.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) read_error = true;
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  ::close(fd);
  if (read_error) return fail("RK0501", fmt::format("cannot read `{}`", path));
  if (got > kMaxSourceBytes)
    return fail("RK0107",
                fmt::format("`{}` is too large (more than {} bytes; the limit is {} bytes)", path,
                            kMaxSourceBytes, kMaxSourceBytes));
  text.resize(got);
  return add(path, std::move(text));
}

std::pair<uint32_t, uint32_t> SourceSet::line_col(uint32_t file, uint32_t offset) const {
  const auto& starts = files_[file].line_starts;
  auto it = std::upper_bound(starts.begin(), starts.end(), offset);
  const uint32_t line = static_cast<uint32_t>(it - starts.begin());
  return {line, offset - starts[line - 1] + 1};
}

std::string_view SourceSet::line_text(uint32_t file, uint32_t line) const {
  const auto& f = files_[file];
  if (line == 0 || line > f.line_starts.size()) return {};
  const uint32_t begin = f.line_starts[line - 1];
  uint32_t end = line < f.line_starts.size() ? f.line_starts[line] : f.text.size();
  while (end > begin && (f.text[end - 1] == '\n' || f.text[end - 1] == '\r')) --end;
  return std::string_view(f.text).substr(begin, end - begin);
}

ast::Span SourceSet::span_at(uint32_t file, uint32_t offset, uint32_t len) const {
  auto [line, col] = line_col(file, offset);
  return ast::Span{file, line, col, len, offset};
}

namespace {

void render_snippet(std::string& out, const SourceSet& sources, const ast::Span& s) {
  std::string_view text = sources.line_text(s.file, s.line);
  size_t col = s.col > 0 ? s.col - 1 : 0;  // 0-based byte column of the span
  size_t len = std::max<size_t>(1, s.len);
  // Very long lines (generated files, one-line rules) are shown as a window around the span.
  constexpr size_t kWindow = 120;
  std::string prefix, suffix;
  if (text.size() > kWindow) {
    const size_t start = col > kWindow / 3 ? col - kWindow / 3 : 0;
    if (start > 0) prefix = "...";
    if (start + kWindow < text.size()) suffix = "...";
    text = text.substr(start, kWindow);
    col = col - start + prefix.size();
    len = std::min(len, kWindow - (col - prefix.size()));
  }
  const std::string shown = prefix + std::string(text) + suffix;
  const std::string gutter = fmt::format("{:>5}", s.line);
  out += fmt::format("{} | {}\n", gutter, shown);
  std::string caret(col, ' ');
  // Keep tabs aligned with the source line.
  for (size_t i = 0; i < caret.size() && i < shown.size(); ++i)
    if (shown[i] == '\t') caret[i] = '\t';
  const size_t room = shown.size() > col ? shown.size() - col : 1;
  const size_t width = std::max<size_t>(1, std::min(len, room));
  out +=
      fmt::format("{} | {}{}\n", std::string(gutter.size(), ' '), caret, std::string(width, '^'));
}

}  // namespace

std::string render_text(const SourceSet& sources, const Diagnostic& d, bool color) {
  std::string out;
  const char* bold = color ? "\x1b[1m" : "";
  const char* red = color ? (d.severity == Severity::Error ? "\x1b[1;31m" : "\x1b[1;33m") : "";
  const char* reset = color ? "\x1b[0m" : "";
  if (d.span) {
    const auto& s = *d.span;
    out += fmt::format("{}{}:{}:{}:{} ", bold, sources.file(s.file).path, s.line, s.col, reset);
  }
  out += fmt::format("{}{}[{}]{}: {}{}{}\n", red, severity_name(d.severity), d.code, reset, bold,
                     d.message, reset);
  if (d.span && d.span->file < sources.size()) render_snippet(out, sources, *d.span);
  for (const auto& n : d.notes) {
    if (n.span)
      out += fmt::format("  note: {}:{}:{}: {}\n", sources.file(n.span->file).path, n.span->line,
                         n.span->col, n.message);
    else
      out += fmt::format("  note: {}\n", n.message);
  }
  if (!d.help.empty()) out += fmt::format("  help: {}\n", d.help);
  return out;
}

}  // namespace rk
