// Rekindle language server: Content-Length framing of JSON-RPC messages (see json_rpc.h).
#include "lsp/json_rpc.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

namespace rk::lsp {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
  return s.substr(b, e - b);
}

}  // namespace

MessageReader::Status MessageReader::read(std::string& body, std::string& error) {
  body.clear();
  error.clear();
  std::optional<size_t> length;
  bool any_header = false;
  bool bad = false;
  std::string line;
  for (;;) {
    if (!std::getline(in_, line)) return Status::Eof;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      if (!any_header) continue;  // stray blank lines between messages
      break;
    }
    any_header = true;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) {
      if (!bad) error = fmt::format("malformed header line `{}`", line.substr(0, 80));
      bad = true;
      continue;
    }
    const std::string name = lower(trim(line.substr(0, colon)));
    const std::string value = trim(line.substr(colon + 1));
    if (name == "content-length") {
      size_t n = 0;
      const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || p != value.data() + value.size()) {
        if (!bad) error = fmt::format("bad Content-Length `{}`", value.substr(0, 40));
        bad = true;
        continue;
      }
      length = n;
    }
    // Content-Type and unknown headers are ignored (the body is always UTF-8 JSON).
  }
  if (!length) {
    if (!bad) error = "a message without Content-Length";
    return Status::BadHeader;
  }
  if (*length > max_body_) {
    in_.ignore(static_cast<std::streamsize>(*length));
    if (in_.eof()) return Status::Eof;
    error = fmt::format("a message of {} bytes is larger than the limit of {} bytes", *length,
                        max_body_);
    return Status::BadHeader;
  }
  body.resize(*length);
  in_.read(body.data(), static_cast<std::streamsize>(*length));
  if (static_cast<size_t>(in_.gcount()) != *length) return Status::Eof;
  if (bad) return Status::BadHeader;
  return Status::Message;
}

std::string frame(const std::string& body) {
  return fmt::format("Content-Length: {}\r\n\r\n", body.size()) + body;
}

void write_message(std::ostream& out, const json& message) {
  // Invalid UTF-8 in a string (a broken source file quoted in a message) is replaced, never
  // thrown.
  out << frame(message.dump(-1, ' ', false, json::error_handler_t::replace));
  out.flush();
}

}  // namespace rk::lsp
