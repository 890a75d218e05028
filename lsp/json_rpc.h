// Rekindle language server: the base protocol. Messages are JSON bodies framed by headers
// (`Content-Length: N\r\n`, optionally `Content-Type: ...\r\n`, then `\r\n`), as LSP 3.17 and
// JSON-RPC 2.0 over stdio use them. The reader never throws: a broken header block is reported
// and skipped, an over-long body is skipped, and the end of input ends the session.
#pragma once

#include <cstddef>
#include <istream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

namespace rk::lsp {

using json = nlohmann::json;

// JSON-RPC and LSP error codes.
namespace error_code {
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
inline constexpr int kServerNotInitialized = -32002;
inline constexpr int kRequestFailed = -32803;
inline constexpr int kContentModified = -32801;
}  // namespace error_code

class MessageReader {
 public:
  // Bodies larger than `max_body` bytes are skipped (and reported as BadHeader).
  explicit MessageReader(std::istream& in, size_t max_body = size_t{64} << 20)
      : in_(in), max_body_(max_body) {}

  enum class Status { Message, Eof, BadHeader };
  // Reads the next message's body. BadHeader: `error` says what was wrong; the caller may go on
  // reading. Eof: the input ended (mid-message or between messages).
  Status read(std::string& body, std::string& error);

 private:
  std::istream& in_;
  size_t max_body_;
};

// The framed bytes of one message.
std::string frame(const std::string& body);
// Writes one framed message and flushes.
void write_message(std::ostream& out, const json& message);

}  // namespace rk::lsp
