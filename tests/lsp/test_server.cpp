// Tests of the language server's session over pipes: the life cycle (initialize, shutdown, exit
// codes), error replies to what it cannot handle, position encodings, diagnostics after open and
// change, lint warnings after the errors and never for an obsolete version, documents that import
// open documents, closing, and deep expressions.
#include <catch2/catch.hpp>

#include <unistd.h>
#include <ext/stdio_filebuf.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "lsp/json_rpc.h"
#include "lsp/server.h"

namespace {

using rk::lsp::json;
using namespace std::chrono_literals;

const std::string kRules = std::string(RK_SOURCE_DIR) + "/rules/";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A server on a thread, talked to through two pipes.
class Session {
 public:
  explicit Session(const rk::lsp::ServerOptions& opts = {}) {
    int to[2], from[2];
    REQUIRE(pipe(to) == 0);
    REQUIRE(pipe(from) == 0);
    write_fd_ = to[1];
    server_ = std::thread([this, in_fd = to[0], out_fd = from[1], opts] {
      __gnu_cxx::stdio_filebuf<char> inbuf(in_fd, std::ios::in);
      __gnu_cxx::stdio_filebuf<char> outbuf(out_fd, std::ios::out);
      std::istream in(&inbuf);
      std::ostream out(&outbuf);
      exit_code_ = rk::lsp::run_server(in, out, opts);
      out.flush();
      // The filebufs close both descriptors: the reader below sees the end.
    });
    reader_ = std::thread([this, fd = from[0]] {
      __gnu_cxx::stdio_filebuf<char> buf(fd, std::ios::in);
      std::istream in(&buf);
      rk::lsp::MessageReader r(in);
      std::string body, error;
      while (r.read(body, error) != rk::lsp::MessageReader::Status::Eof) {
        std::lock_guard<std::mutex> lock(m_);
        got_.push_back(json::parse(body));
        arrived_.push_back(got_.back());
        cv_.notify_all();
      }
      std::lock_guard<std::mutex> lock(m_);
      closed_ = true;
      cv_.notify_all();
    });
  }
  ~Session() { finish(); }

  void send(const json& m) { raw(rk::lsp::frame(m.dump())); }
  void raw(const std::string& bytes) {
    REQUIRE(::write(write_fd_, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  }
  void notify(const std::string& method, json params) {
    send({{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}});
  }
  int request_async(const std::string& method, json params) {
    const int id = next_id_++;
    send({{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}});
    return id;
  }
  json request(const std::string& method, json params) {
    const int id = request_async(method, std::move(params));
    return wait([&](const json& m) { return m.contains("id") && m["id"] == id; });
  }
  // The first message (in order of arrival, not yet taken) that `pred` accepts; earlier ones stay.
  template <typename Pred>
  json wait(Pred pred, std::chrono::seconds timeout = 60s) {
    std::unique_lock<std::mutex> lock(m_);
    json found;
    const bool ok = cv_.wait_for(lock, timeout, [&] {
      for (auto it = got_.begin(); it != got_.end(); ++it)
        if (pred(*it)) {
          found = *it;
          got_.erase(it);
          return true;
        }
      return closed_;
    });
    REQUIRE(ok);
    REQUIRE_FALSE(found.is_null());
    return found;
  }
  json diagnostics(const std::string& uri, int64_t version) {
    return wait([&](const json& m) {
      return m.value("method", "") == "textDocument/publishDiagnostics" &&
             m["params"]["uri"] == uri && m["params"].value("version", -1) == version;
    });
  }
  // Every message received so far (taken or not), in order of arrival.
  std::vector<json> all() {
    std::lock_guard<std::mutex> lock(m_);
    return arrived_;
  }
  json initialize(json caps = json::object()) {
    json r = request("initialize",
                     {{"processId", nullptr}, {"rootUri", nullptr}, {"capabilities", caps}});
    notify("initialized", json::object());
    return r;
  }
  void open(const std::string& uri, const std::string& text, int version = 1,
            const std::string& lang = "rekindle-rules") {
    notify("textDocument/didOpen",
           {{"textDocument",
             {{"uri", uri}, {"languageId", lang}, {"version", version}, {"text", text}}}});
  }
  void change(const std::string& uri, int version, const std::string& text) {
    notify("textDocument/didChange", {{"textDocument", {{"uri", uri}, {"version", version}}},
                                      {"contentChanges", json::array({{{"text", text}}})}});
  }
  // Ends the input and waits for the server; returns its exit code.
  int finish() {
    if (write_fd_ >= 0) {
      ::close(write_fd_);
      write_fd_ = -1;
    }
    if (server_.joinable()) server_.join();
    if (reader_.joinable()) reader_.join();
    return exit_code_;
  }

 private:
  int write_fd_ = -1;
  int next_id_ = 1;
  std::thread server_, reader_;
  int exit_code_ = -1;
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<json> got_;
  std::vector<json> arrived_;
  bool closed_ = false;
};

int error_code(const json& reply) {
  REQUIRE(reply.contains("error"));
  return reply["error"]["code"].get<int>();
}

const std::string kUri = "file://" + kRules + "winback.rules";
const std::string kPlaybook = slurp(kRules + "winback.rules");

}  // namespace

TEST_CASE("server: initialize, shutdown, exit: exit code 0") {
  Session s;
  const json init = s.initialize();
  const json& caps = init["result"]["capabilities"];
  CHECK(caps["positionEncoding"] == "utf-16");
  CHECK(caps["textDocumentSync"]["change"] == 2);
  CHECK(caps["hoverProvider"] == true);
  CHECK(caps["codeActionProvider"]["codeActionKinds"][0] == "quickfix");
  CHECK(caps["semanticTokensProvider"]["legend"]["tokenTypes"].size() == 8);
  CHECK(init["result"]["serverInfo"]["name"] == "rekindle");
  CHECK(s.request("shutdown", nullptr)["result"].is_null());
  // After shutdown, requests are refused.
  CHECK(error_code(s.request("textDocument/hover", json::object())) == -32600);
  s.notify("exit", nullptr);
  CHECK(s.finish() == 0);
}

TEST_CASE("server: exit without shutdown, or the end of input, is exit code 1") {
  {
    Session s;
    s.initialize();
    s.notify("exit", nullptr);
    CHECK(s.finish() == 1);
  }
  {
    Session s;
    s.initialize();
    CHECK(s.finish() == 1);
  }
}

TEST_CASE("server: UTF-8 positions when the client offers them") {
  Session s;
  const json init = s.initialize({{"general", {{"positionEncodings", {"utf-8", "utf-16"}}}}});
  CHECK(init["result"]["capabilities"]["positionEncoding"] == "utf-8");
  const std::string text =
      kPlaybook +
      "stop s when customer_id is \"\xf0\x9f\x98\x80\xc3\xa9\" and nope because \"x\"\n";
  s.open(kUri, text);
  const json d = s.diagnostics(kUri, 1);
  REQUIRE(d["params"]["diagnostics"].size() == 1);
  // Bytes: `stop s when customer_id is "` is 28, the string 8, `" and ` 6.
  CHECK(d["params"]["diagnostics"][0]["range"]["start"]["character"] == 28 + 6 + 6);
}

TEST_CASE("server: requests it cannot handle get JSON-RPC errors, and the session goes on") {
  Session s;
  // Before initialize.
  CHECK(error_code(s.request("textDocument/hover", json::object())) == -32002);
  s.initialize();
  CHECK(error_code(s.request("initialize", json::object())) == -32600);
  CHECK(error_code(s.request("workspace/symbol", {{"query", ""}})) == -32601);
  CHECK(error_code(s.request("textDocument/typeDefinition", json::object())) == -32601);
  CHECK(error_code(s.request("textDocument/hover", json::object())) == -32602);
  CHECK(error_code(s.request("textDocument/hover",
                             {{"textDocument", {{"uri", "file:///not/open.rules"}}},
                              {"position", {{"line", 0}, {"character", 0}}}})) == -32602);
  s.open(kUri, kPlaybook);
  CHECK(error_code(s.request("textDocument/hover",
                             {{"textDocument", {{"uri", kUri}}},
                              {"position", {{"line", -1}, {"character", "x"}}}})) == -32602);
  // Not JSON, not an object, an id that is neither number nor string.
  s.raw(rk::lsp::frame("{oops"));
  const json parse = s.wait([](const json& m) { return m.contains("error") && m["id"].is_null(); });
  CHECK(error_code(parse) == -32700);
  s.raw(rk::lsp::frame("[1,2]"));
  CHECK(error_code(s.wait(
            [](const json& m) { return m.contains("error") && m["id"].is_null(); })) == -32600);
  s.send({{"jsonrpc", "2.0"}, {"id", {{"a", 1}}}, {"method", "shutdown"}});
  CHECK(error_code(s.wait(
            [](const json& m) { return m.contains("error") && m["id"].is_null(); })) == -32600);
  // A header block without Content-Length is skipped.
  s.raw("Content-Type: x\r\n\r\n");
  // Unknown notifications and $/ notifications are ignored without a reply.
  s.notify("$/cancelRequest", {{"id", 99}});
  s.notify("custom/thing", {{"x", 1}});
  s.notify("textDocument/didChange", {{"textDocument", {{"uri", "file:///nope"}}}});
  const json hover = s.request(
      "textDocument/hover",
      {{"textDocument", {{"uri", kUri}}}, {"position", {{"line", 30}, {"character", 34}}}});
  CHECK(hover["result"]["contents"]["value"].get<std::string>().find("whale_aov") !=
        std::string::npos);
  for (const auto& m : s.all())
    if (m.contains("id") && m.contains("error")) CHECK(m["error"]["code"] != -32603);
  CHECK(s.request("shutdown", nullptr)["result"].is_null());
  s.notify("exit", nullptr);
  CHECK(s.finish() == 0);
}

TEST_CASE("server: diagnostics on open and change, incremental edits, and close clears them") {
  Session s;
  s.initialize();
  const std::string text = kPlaybook + "stop late when days_dormnt > 400 days because \"Late\"\n";
  s.open(kUri, text);
  const json d1 = s.diagnostics(kUri, 1);
  REQUIRE(d1["params"]["diagnostics"].size() == 1);
  const json& diag = d1["params"]["diagnostics"][0];
  CHECK(diag["code"] == "RK0201");
  const int line = static_cast<int>(std::count(kPlaybook.begin(), kPlaybook.end(), '\n'));
  CHECK(diag["range"]["start"] == json({{"line", line}, {"character", 15}}));
  CHECK(diag["range"]["end"] == json({{"line", line}, {"character", 26}}));
  // An incremental change: insert the missing `a`.
  s.notify("textDocument/didChange",
           {{"textDocument", {{"uri", kUri}, {"version", 2}}},
            {"contentChanges", json::array({{{"range",
                                              {{"start", {{"line", line}, {"character", 24}}},
                                               {"end", {{"line", line}, {"character", 24}}}}},
                                             {"text", "a"}}})}});
  const json d2 = s.diagnostics(kUri, 2);
  CHECK(d2["params"]["diagnostics"].empty());
  s.notify("textDocument/didClose", {{"textDocument", {{"uri", kUri}}}});
  const json cleared = s.wait([&](const json& m) {
    return m.value("method", "") == "textDocument/publishDiagnostics" &&
           !m["params"].contains("version");
  });
  CHECK(cleared["params"]["diagnostics"].empty());
}

TEST_CASE("server: lint warnings come after the errors, and never for an obsolete version") {
  rk::lsp::ServerOptions opts;
  opts.docs_base = "https://docs.example/";
  Session s(opts);
  s.initialize();
  const std::string linted = [] {
    std::string t = kPlaybook;
    const std::string from = "channel sms requires sms_consent is true";
    t.replace(t.find(from), from.size(), "channel sms");
    return t;
  }();
  s.open(kUri, linted);
  // First the checker's (no problems), then the lints.
  const json first = s.diagnostics(kUri, 1);
  bool lint_in_first = false;
  for (const auto& d : first["params"]["diagnostics"]) lint_in_first |= d["code"] == "RK0608";
  CHECK_FALSE(lint_in_first);
  const json second = s.diagnostics(kUri, 1);
  bool found = false;
  for (const auto& d : second["params"]["diagnostics"])
    if (d["code"] == "RK0608") {
      found = true;
      CHECK(d["severity"] == 2);
      CHECK(d["codeDescription"]["href"].get<std::string>().find("lints.md#rk0608") !=
            std::string::npos);
    }
  CHECK(found);
  // A burst of edits: the publications that follow never go back to an older version.
  for (int v = 2; v <= 12; ++v)
    s.change(kUri, v, linted + std::string(static_cast<size_t>(v), '\n'));
  const json last = s.request("textDocument/documentSymbol", {{"textDocument", {{"uri", kUri}}}});
  CHECK(last["result"].size() > 10);
  s.wait([&](const json& m) {
    if (m.value("method", "") != "textDocument/publishDiagnostics" || m["params"]["version"] != 12)
      return false;
    for (const auto& d : m["params"]["diagnostics"])
      if (d["code"] == "RK0608") return true;
    return false;
  });
  int64_t version = 0;
  for (const auto& m : s.all())
    if (m.value("method", "") == "textDocument/publishDiagnostics") {
      CHECK(m["params"]["version"].get<int64_t>() >= version);
      version = m["params"]["version"].get<int64_t>();
    }
}

TEST_CASE("server: a rule file sees its open schema, and a schema change checks it again") {
  Session s;
  s.initialize();
  const std::string schema_uri = "file://" + kRules + "customer.schema";
  const std::string schema = slurp(kRules + "customer.schema");
  s.open(schema_uri, schema + "field vip: bool\n", 1, "rekindle-schema");
  s.open(kUri, kPlaybook + "review vip when vip because \"VIP\"\n");
  CHECK(s.diagnostics(schema_uri, 1)["params"]["diagnostics"].empty());
  CHECK(s.diagnostics(kUri, 1)["params"]["diagnostics"].empty());
  s.change(schema_uri, 2, schema);  // the field is gone (unsaved)
  const json d = s.diagnostics(kUri, 1);
  REQUIRE(d["params"]["diagnostics"].size() == 1);
  CHECK(d["params"]["diagnostics"][0]["code"] == "RK0201");
  // Go to definition from the rules into the open schema buffer.
  s.change(schema_uri, 3, schema + "field vip: bool\n");
  const int line = static_cast<int>(std::count(kPlaybook.begin(), kPlaybook.end(), '\n'));
  const json def = s.request(
      "textDocument/definition",
      {{"textDocument", {{"uri", kUri}}}, {"position", {{"line", line}, {"character", 17}}}});
  CHECK(def["result"]["uri"] == schema_uri);
  CHECK(def["result"]["range"]["start"]["line"] ==
        static_cast<int>(std::count(schema.begin(), schema.end(), '\n')));
}

TEST_CASE("server: deep expressions are answered, not crashed on") {
  Session s;
  s.initialize();
  std::string cond = "orders_total > 0";
  for (int i = 0; i < 15000; ++i) cond += " or orders_total > " + std::to_string(i);
  const std::string text =
      "import \"customer.schema\"\nstop deep when " + cond + " because \"x\"\n";
  const std::string uri = "file://" + kRules + "deep.rules";
  s.open(uri, text);
  s.diagnostics(uri, 1);
  const json h = s.request("textDocument/hover", {{"textDocument", {{"uri", uri}}},
                                                  {"position", {{"line", 1}, {"character", 16}}}});
  CHECK(h["result"]["contents"]["value"].get<std::string>().find("orders_total") !=
        std::string::npos);
  const json t = s.request("textDocument/semanticTokens/full", {{"textDocument", {{"uri", uri}}}});
  CHECK(t["result"]["data"].size() == 5 * (15001 + 1));  // the fields and the rule's name
}
