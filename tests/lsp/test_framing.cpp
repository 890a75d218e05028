// Tests of the language server's base protocol: Content-Length framing, in both directions,
// with the broken inputs a client or a pipe can produce.
#include <catch2/catch.hpp>

#include <sstream>

#include "lsp/json_rpc.h"

using rk::lsp::frame;
using rk::lsp::MessageReader;
using Status = MessageReader::Status;

namespace {

std::string framed(const std::string& body) {
  return frame(body);
}

}  // namespace

TEST_CASE("framing: messages back to back, header names in any case, Content-Type accepted") {
  std::istringstream in(framed(R"({"a":1})") + "content-length: 7\r\nContent-Type: " +
                        "application/vscode-jsonrpc; charset=utf-8\r\n\r\n" + R"({"b":2})" +
                        framed("{}"));
  MessageReader r(in);
  std::string body, error;
  REQUIRE(r.read(body, error) == Status::Message);
  CHECK(body == R"({"a":1})");
  REQUIRE(r.read(body, error) == Status::Message);
  CHECK(body == R"({"b":2})");
  REQUIRE(r.read(body, error) == Status::Message);
  CHECK(body == "{}");
  CHECK(r.read(body, error) == Status::Eof);
}

TEST_CASE("framing: the body is read by length, whatever it holds") {
  const std::string body = "{\"t\":\"line\\none\r\n\r\nContent-Length: 3\"}";
  std::istringstream in(framed(body) + framed("[]"));
  MessageReader r(in);
  std::string got, error;
  REQUIRE(r.read(got, error) == Status::Message);
  CHECK(got == body);
  REQUIRE(r.read(got, error) == Status::Message);
  CHECK(got == "[]");
}

TEST_CASE("framing: UTF-8 bodies are counted in bytes") {
  const std::string body = "{\"s\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}";
  std::istringstream in(framed(body));
  MessageReader r(in);
  std::string got, error;
  REQUIRE(r.read(got, error) == Status::Message);
  CHECK(got == body);
  CHECK(frame(body).rfind("Content-Length: 18\r\n\r\n", 0) == 0);
}

TEST_CASE("framing: a header block without Content-Length is reported and skipped") {
  std::istringstream in("Content-Type: x\r\n\r\n" + framed("{}"));
  MessageReader r(in);
  std::string body, error;
  CHECK(r.read(body, error) == Status::BadHeader);
  CHECK(error == "a message without Content-Length");
  REQUIRE(r.read(body, error) == Status::Message);
  CHECK(body == "{}");
}

TEST_CASE("framing: a malformed header line or length is reported") {
  {
    std::istringstream in("garbage\r\nContent-Length: 2\r\n\r\n{}" + framed("[1]"));
    MessageReader r(in);
    std::string body, error;
    CHECK(r.read(body, error) == Status::BadHeader);
    CHECK(error == "malformed header line `garbage`");
    REQUIRE(r.read(body, error) == Status::Message);  // the next message is intact
    CHECK(body == "[1]");
  }
  for (const char* bad : {"-1", "12x", "", "99999999999999999999999"}) {
    std::istringstream in(std::string("Content-Length: ") + bad + "\r\n\r\n");
    MessageReader r(in);
    std::string body, error;
    CHECK(r.read(body, error) == Status::BadHeader);
    CHECK(error.rfind("bad Content-Length", 0) == 0);
  }
}

TEST_CASE("framing: a body over the limit is skipped, the next message is read") {
  std::istringstream in(framed(std::string(100, 'x')) + framed("{}"));
  MessageReader r(in, 50);
  std::string body, error;
  CHECK(r.read(body, error) == Status::BadHeader);
  CHECK(error == "a message of 100 bytes is larger than the limit of 50 bytes");
  REQUIRE(r.read(body, error) == Status::Message);
  CHECK(body == "{}");
}

TEST_CASE("framing: the end of input, between messages or inside one") {
  for (const std::string& text :
       {std::string(), std::string("\r\n\r\n"), std::string("Content-Length: 10\r\n\r\n{}"),
        std::string("Content-Length: 10\r\n")}) {
    std::istringstream in(text);
    MessageReader r(in);
    std::string body, error;
    CHECK(r.read(body, error) == Status::Eof);
  }
}

TEST_CASE("framing: bare LF line ends are accepted") {
  std::istringstream in("Content-Length: 2\n\n{}");
  MessageReader r(in);
  std::string body, error;
  REQUIRE(r.read(body, error) == Status::Message);
  CHECK(body == "{}");
}

TEST_CASE("framing: write_message frames compact JSON and survives invalid UTF-8") {
  std::ostringstream out;
  rk::lsp::write_message(out, {{"id", 1}, {"s", std::string("a\xff")}});
  const std::string s = out.str();
  const std::string body = s.substr(s.find("\r\n\r\n") + 4);
  CHECK(s.rfind("Content-Length: " + std::to_string(body.size()) + "\r\n\r\n", 0) == 0);
  CHECK(nlohmann::json::parse(body)["id"] == 1);
}
