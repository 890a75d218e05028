// Rekindle language server: the session (see server.h). Three threads: a reader that turns the
// input into events, the main loop that owns every document and answers in order, and a lint
// worker. The main loop and the worker run with large stacks, as the checker does, so deep but
// legal expressions cannot overflow them.
#include "lsp/server.h"

#include <fmt/format.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "compiler/lint/lint.h"
#include "lsp/analysis.h"
#include "lsp/completion.h"
#include "lsp/features.h"
#include "lsp/json_rpc.h"
#include "lsp/uri.h"

namespace rk::lsp {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr size_t kThreadStack = size_t{256} << 20;

// Runs `fn` on a new thread with a large stack and waits for it (runs it here when no thread can
// be made).
void run_with_big_stack(const std::function<void()>& fn) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, kThreadStack);
  pthread_t thread;
  auto trampoline = [](void* arg) -> void* {
    (*static_cast<const std::function<void()>*>(arg))();
    return nullptr;
  };
  if (pthread_create(&thread, &attr, trampoline, const_cast<std::function<void()>*>(&fn)) != 0) {
    pthread_attr_destroy(&attr);
    fn();
    return;
  }
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
}

struct Event {
  enum Kind : uint8_t { Message, BadMessage, Eof, LintDone };
  explicit Event(Kind k) : kind(k) {}
  Kind kind;
  json message;
  std::string error;
  // LintDone
  std::string uri;
  int64_t version = 0;
  std::vector<Problem> problems;
};

class Queue {
 public:
  void push(Event e) {
    {
      std::lock_guard<std::mutex> lock(m_);
      q_.push_back(std::move(e));
    }
    cv_.notify_one();
  }
  bool empty() {
    std::lock_guard<std::mutex> lock(m_);
    return q_.empty();
  }
  Event pop() {
    std::unique_lock<std::mutex> lock(m_);
    cv_.wait(lock, [&] { return !q_.empty(); });
    Event e = std::move(q_.front());
    q_.pop_front();
    return e;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<Event> q_;
};

// A request the server cannot answer: becomes a JSON-RPC error reply.
struct RpcError {
  int code;
  std::string message;
};

struct Document {
  std::string uri;
  std::string path;  // the file's path, or the URI for a document that is not a file
  DocKind kind = DocKind::Rules;
  std::string text;
  int64_t version = 0;
  bool dirty = true;
  std::shared_ptr<const Analysis> analysis;
  std::shared_ptr<const ParsedDoc> parsed;  // the last version that parsed
  std::vector<Problem> lint;                // lint warnings of analysis->version
  bool lint_done = false;
};

struct LintJob {
  std::string uri;
  int64_t version = 0;
  std::shared_ptr<const Analysis> analysis;
};

class Server {
 public:
  Server(std::istream& in, std::ostream& out, ServerOptions opts)
      : in_(in), out_(out), opts_(std::move(opts)) {}

  int run() {
    // The reader owns a share of the queue: it may outlive the session when the input never ends.
    std::thread reader([q = events_, s = stop_reading_, &in = in_] { read_loop(in, *q, *s); });
    std::thread linter;
    run_with_big_stack([&] {
      // The lint worker is started from here so that it gets a large stack too.
      linter = std::thread([this] { run_with_big_stack([this] { lint_loop(); }); });
      main_loop();
    });
    {
      std::lock_guard<std::mutex> lock(lint_m_);
      lint_quit_ = true;
    }
    lint_cv_.notify_one();
    linter.join();
    // The reader may be blocked reading input that never ends; it only touches the queue, which
    // lives as long as the server object, so it is detached rather than joined.
    if (saw_eof_)
      reader.join();
    else
      reader.detach();
    return exit_code_;
  }

 private:
  // ---- threads -------------------------------------------------------------------------------
  static void read_loop(std::istream& in, Queue& events, const std::atomic<bool>& stop) {
    MessageReader reader(in);
    std::string body;
    std::string error;
    for (;;) {
      const auto status = reader.read(body, error);
      if (status == MessageReader::Status::Eof) {
        events.push(Event(Event::Eof));
        return;
      }
      if (status == MessageReader::Status::BadHeader) {
        Event e(Event::BadMessage);
        e.error = error;
        events.push(std::move(e));
        continue;
      }
      Event e(Event::Message);
      e.message = json::parse(body, nullptr, false);
      if (e.message.is_discarded()) {
        e.kind = Event::BadMessage;
        e.error = "the message is not valid JSON";
        e.message = json();
        e.message["parse_error"] = true;
      }
      events.push(std::move(e));
      if (stop) return;
    }
  }

  void lint_loop() {
    // Below the main loop's priority: on a busy machine the answers to typing come first.
    setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
    for (;;) {
      LintJob job;
      {
        std::unique_lock<std::mutex> lock(lint_m_);
        lint_cv_.wait(lock, [&] { return lint_quit_ || !lint_jobs_.empty(); });
        if (lint_quit_) return;
        job = std::move(lint_jobs_.front());
        lint_jobs_.pop_front();
        // Start only after a pause in typing: a version edited again within the delay is never
        // linted.
        auto obsolete = [&] {
          auto it = latest_.find(job.uri);
          return lint_quit_ || it == latest_.end() || it->second != job.version;
        };
        lint_cv_.wait_for(lock, std::chrono::milliseconds(opts_.lint_delay_ms), obsolete);
        if (lint_quit_) return;
        if (obsolete()) continue;
      }
      const auto start = Clock::now();
      LintOptions lo;
      lo.timeout_ms = opts_.lint_timeout_ms;
      const auto budget = std::chrono::milliseconds(opts_.lint_budget_ms);
      lo.stop = [&] {
        if (Clock::now() - start > budget) return true;
        std::lock_guard<std::mutex> lock(lint_m_);
        if (lint_quit_) return true;
        auto it = latest_.find(job.uri);
        return it == latest_.end() || it->second != job.version;
      };
      Event e(Event::LintDone);
      e.uri = job.uri;
      e.version = job.version;
      e.problems = lint(*job.analysis, lo);
      if (!lo.stop() || Clock::now() - start > budget) events_->push(std::move(e));
    }
  }

  void main_loop() {
    while (!exit_) {
      if (events_->empty()) flush();
      Event e = events_->pop();
      switch (e.kind) {
        case Event::Message:
          handle(e.message);
          break;
        case Event::BadMessage:
          if (e.message.is_object() && e.message.contains("parse_error"))
            reply_error(nullptr, {error_code::kParseError, e.error});
          else
            log(fmt::format("rekindle lsp: skipped a message: {}", e.error));
          break;
        case Event::Eof:
          saw_eof_ = true;
          exit_ = true;
          break;
        case Event::LintDone:
          lint_done(e);
          break;
      }
    }
    *stop_reading_ = true;
  }

  // ---- output --------------------------------------------------------------------------------
  void send(const json& m) {
    std::lock_guard<std::mutex> lock(out_m_);
    write_message(out_, m);
  }
  void reply(const json& id, json result) {
    send({{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}});
  }
  void reply_error(const json& id, const RpcError& e) {
    send({{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", e.code}, {"message", e.message}}}});
  }
  void notify(const std::string& method, json params) {
    send({{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}});
  }
  void log(const std::string& message, int type = 3) {
    if (initialized_)
      notify("window/logMessage", {{"type", type}, {"message", message}});
    else
      fmt::print(stderr, "{}\n", message);
  }

  // ---- dispatch ------------------------------------------------------------------------------
  void handle(const json& m) {
    if (!m.is_object() || !m.contains("method") || !m["method"].is_string()) {
      // A response to a request of ours (we send none) or garbage.
      if (m.is_object() && m.contains("id") && !m.contains("method") &&
          (m.contains("result") || m.contains("error")))
        return;
      json id = m.is_object() && m.contains("id") ? m["id"] : json(nullptr);
      if (!id.is_number() && !id.is_string()) id = nullptr;
      reply_error(id, {error_code::kInvalidRequest, "not a JSON-RPC request or notification"});
      return;
    }
    const std::string method = m["method"].get<std::string>();
    const bool request = m.contains("id");
    json id = request ? m["id"] : json(nullptr);
    if (request && !id.is_number() && !id.is_string()) {
      reply_error(nullptr, {error_code::kInvalidRequest, "the id must be a number or a string"});
      return;
    }
    const json params = m.contains("params") ? m["params"] : json::object();
    try {
      if (!request) {
        notification(method, params);
        return;
      }
      if (method == "initialize") {
        if (initialized_) throw RpcError{error_code::kInvalidRequest, "already initialized"};
        reply(id, initialize(params));
        initialized_ = true;
        return;
      }
      if (!initialized_)
        throw RpcError{error_code::kServerNotInitialized, "the server is not initialized"};
      if (shutdown_) throw RpcError{error_code::kInvalidRequest, "the server is shut down"};
      reply(id, request_result(method, params));
    } catch (const RpcError& e) {
      if (request) reply_error(id, e);
    } catch (const json::exception& e) {
      if (request)
        reply_error(id, {error_code::kInvalidParams, fmt::format("invalid params: {}", e.what())});
      else
        log(fmt::format("rekindle lsp: {}: invalid params: {}", method, e.what()), 1);
    } catch (const std::exception& e) {
      if (request)
        reply_error(id, {error_code::kInternalError, fmt::format("{}: {}", method, e.what())});
      else
        log(fmt::format("rekindle lsp: {}: {}", method, e.what()), 1);
    }
  }

  json initialize(const json& params) {
    const json* encodings = nullptr;
    if (params.contains("capabilities") && params["capabilities"].contains("general") &&
        params["capabilities"]["general"].contains("positionEncodings"))
      encodings = &params["capabilities"]["general"]["positionEncodings"];
    enc_ = Encoding::Utf16;
    if (encodings && encodings->is_array())
      for (const auto& e : *encodings)
        if (e == "utf-8") enc_ = Encoding::Utf8;
    if (params.contains("initializationOptions") && params["initializationOptions"].is_object()) {
      const json& o = params["initializationOptions"];
      if (o.contains("docsBaseUrl") && o["docsBaseUrl"].is_string())
        opts_.docs_base = o["docsBaseUrl"].get<std::string>();
      if (o.contains("lint") && o["lint"].is_boolean()) opts_.lint = o["lint"].get<bool>();
      if (o.contains("lintTimeoutMs") && o["lintTimeoutMs"].is_number_unsigned())
        opts_.lint_timeout_ms = o["lintTimeoutMs"].get<unsigned>();
      if (o.contains("lintBudgetMs") && o["lintBudgetMs"].is_number_unsigned())
        opts_.lint_budget_ms = o["lintBudgetMs"].get<unsigned>();
      if (o.contains("lintDelayMs") && o["lintDelayMs"].is_number_unsigned())
        opts_.lint_delay_ms = o["lintDelayMs"].get<unsigned>();
    }
    json caps;
    caps["positionEncoding"] = enc_ == Encoding::Utf8 ? "utf-8" : "utf-16";
    caps["textDocumentSync"] = {
        {"openClose", true}, {"change", 2}, {"save", {{"includeText", false}}}};
    caps["hoverProvider"] = true;
    caps["definitionProvider"] = true;
    caps["referencesProvider"] = true;
    caps["documentSymbolProvider"] = true;
    caps["documentFormattingProvider"] = true;
    caps["completionProvider"] = {{"triggerCharacters", {".", "{", "\""}}};
    caps["codeActionProvider"] = {{"codeActionKinds", {"quickfix"}}};
    caps["semanticTokensProvider"] = {
        {"legend",
         {{"tokenTypes", semantic_token_types()}, {"tokenModifiers", semantic_token_modifiers()}}},
        {"full", true}};
    return {{"capabilities", caps}, {"serverInfo", {{"name", "rekindle"}, {"version", "0.1.0"}}}};
  }

  void notification(const std::string& method, const json& params) {
    if (method == "exit") {
      exit_code_ = shutdown_ ? 0 : 1;
      exit_ = true;
      return;
    }
    if (!initialized_ || shutdown_) return;  // dropped, as LSP asks
    if (method == "textDocument/didOpen") {
      const json& td = params.at("textDocument");
      Document d;
      d.uri = td.at("uri").get<std::string>();
      const auto path = path_from_uri(d.uri);
      d.path = path ? *path : d.uri;
      d.kind =
          doc_kind(td.contains("languageId") ? td["languageId"].get<std::string>() : "", d.path);
      d.text = td.at("text").get<std::string>();
      d.version = td.contains("version") ? td["version"].get<int64_t>() : 0;
      const std::string uri = d.uri;
      docs_[uri] = std::move(d);
      touched(uri);
    } else if (method == "textDocument/didChange") {
      const std::string uri = params.at("textDocument").at("uri").get<std::string>();
      auto it = docs_.find(uri);
      if (it == docs_.end()) return;
      Document& d = it->second;
      for (const auto& c : params.at("contentChanges")) {
        const std::string text = c.at("text").get<std::string>();
        if (c.contains("range")) {
          const Range r{position_from_json(c["range"].at("start")),
                        position_from_json(c["range"].at("end"))};
          apply_edit(d.text, r, text, enc_);
        } else {
          d.text = text;
        }
      }
      if (params["textDocument"].contains("version") &&
          params["textDocument"]["version"].is_number_integer())
        d.version = params["textDocument"]["version"].get<int64_t>();
      touched(uri);
    } else if (method == "textDocument/didClose") {
      const std::string uri = params.at("textDocument").at("uri").get<std::string>();
      auto it = docs_.find(uri);
      if (it == docs_.end()) return;
      const std::string path = it->second.path;
      docs_.erase(it);
      {
        std::lock_guard<std::mutex> lock(lint_m_);
        latest_.erase(uri);
      }
      notify("textDocument/publishDiagnostics", {{"uri", uri}, {"diagnostics", json::array()}});
      depends_changed(path);
    } else if (method == "textDocument/didSave" || method == "workspace/didChangeWatchedFiles" ||
               method == "workspace/didChangeConfiguration") {
      // Files on disk may have changed: check every document again.
      for (auto& [uri, d] : docs_) d.dirty = true;
    }
    // Anything else ($/cancelRequest, $/setTrace, initialized, unknown): nothing to do.
  }

  json request_result(const std::string& method, const json& params) {
    if (method == "shutdown") {
      shutdown_ = true;
      std::lock_guard<std::mutex> lock(lint_m_);
      lint_jobs_.clear();
      latest_.clear();
      return nullptr;
    }
    if (method.rfind("textDocument/", 0) != 0)
      throw RpcError{error_code::kMethodNotFound, fmt::format("unknown method `{}`", method)};
    static const std::set<std::string> kMethods = {
        "textDocument/hover",          "textDocument/definition",         "textDocument/references",
        "textDocument/documentSymbol", "textDocument/completion",         "textDocument/codeAction",
        "textDocument/formatting",     "textDocument/semanticTokens/full"};
    if (!kMethods.count(method))
      throw RpcError{error_code::kMethodNotFound, fmt::format("unknown method `{}`", method)};
    const std::string uri = params.at("textDocument").at("uri").get<std::string>();
    Document* d = fresh(uri);
    if (!d) throw RpcError{error_code::kInvalidParams, fmt::format("`{}` is not open", uri)};
    const View v(*d->analysis, enc_, d->uri);
    auto pos = [&] { return position_from_json(params.at("position")); };
    if (method == "textDocument/hover") return hover(v, pos());
    if (method == "textDocument/definition") return definition(v, pos());
    if (method == "textDocument/completion") return completion(v, pos());
    if (method == "textDocument/documentSymbol") return document_symbols(v);
    if (method == "textDocument/semanticTokens/full") return semantic_tokens(v);
    if (method == "textDocument/references") {
      const bool decl =
          params.contains("context") && params["context"].value("includeDeclaration", false);
      return find_references(*d, v, pos(), decl);
    }
    if (method == "textDocument/codeAction") {
      const Range r{position_from_json(params.at("range").at("start")),
                    position_from_json(params.at("range").at("end"))};
      return code_actions(v, r, all_problems(*d), opts_.docs_base);
    }
    // textDocument/formatting
    std::string error;
    auto edits = formatting(v, error);
    if (!edits) {
      log(fmt::format("rekindle: cannot format {}: {}", d->path, error), 2);
      return json::array();
    }
    return *edits;
  }

  // ---- documents -----------------------------------------------------------------------------
  // A document changed: check it (and every open document that imports it) again.
  void touched(const std::string& uri) {
    Document& d = docs_[uri];
    d.dirty = true;
    {
      std::lock_guard<std::mutex> lock(lint_m_);
      latest_[uri] = d.version;
    }
    lint_cv_.notify_one();
    depends_changed(d.path);
  }
  void depends_changed(const std::string& path) {
    for (auto& [uri, other] : docs_) {
      if (!other.analysis || other.path == path) continue;
      for (size_t i = 1; i < other.analysis->files.size(); ++i)
        if (same_file(other.analysis->files[i].path, path)) other.dirty = true;
    }
  }
  static bool same_file(const std::string& a, const std::string& b) {
    if (a == b) return true;
    std::error_code e1;
    std::error_code e2;
    const auto ca = fs::weakly_canonical(a, e1);
    const auto cb = fs::weakly_canonical(b, e2);
    return !e1 && !e2 && ca == cb;
  }

  // The open documents' texts, for imports.
  std::optional<std::string> open_text(const std::string& path) const {
    for (const auto& [uri, d] : docs_)
      if (same_file(d.path, path)) return d.text;
    return std::nullopt;
  }

  Document* fresh(const std::string& uri) {
    auto it = docs_.find(uri);
    if (it == docs_.end()) return nullptr;
    if (it->second.dirty || !it->second.analysis) check(it->second);
    return &it->second;
  }

  // Checks every changed document (after a burst of changes: once).
  void flush() {
    for (auto& [uri, d] : docs_)
      if (d.dirty) check(d);
  }

  void check(Document& d) {
    AnalyzeInput in;
    in.kind = d.kind;
    in.path = d.path;
    in.text = d.text;
    in.version = d.version;
    in.read = [this](const std::string& p) { return open_text(p); };
    in.parsed = d.parsed;
    d.analysis = analyze(in);
    d.parsed = d.analysis->parsed;
    d.dirty = false;
    d.lint.clear();
    d.lint_done = false;
    publish(d);
    if (opts_.lint && d.analysis->compiled) {
      {
        std::lock_guard<std::mutex> lock(lint_m_);
        // One pending job per document: the newest.
        for (auto it = lint_jobs_.begin(); it != lint_jobs_.end();)
          it = it->uri == d.uri ? lint_jobs_.erase(it) : std::next(it);
        lint_jobs_.push_back({d.uri, d.version, d.analysis});
        latest_[d.uri] = d.version;
      }
      lint_cv_.notify_one();
    }
  }

  std::vector<Problem> all_problems(const Document& d) const {
    std::vector<Problem> all = d.analysis->problems;
    all.insert(all.end(), d.lint.begin(), d.lint.end());
    return all;
  }

  void publish(const Document& d) {
    const View v(*d.analysis, enc_, d.uri);
    notify("textDocument/publishDiagnostics",
           {{"uri", d.uri},
            {"version", d.version},
            {"diagnostics", diagnostics_json(v, all_problems(d), opts_.docs_base)}});
  }

  void lint_done(Event& e) {
    auto it = docs_.find(e.uri);
    if (it == docs_.end() || shutdown_) return;
    Document& d = it->second;
    if (d.dirty || !d.analysis || d.analysis->version != e.version || d.version != e.version)
      return;  // obsolete: a newer version is (or will be) checked
    d.lint = std::move(e.problems);
    d.lint_done = true;
    publish(d);
  }

  // References in every open document, and in the rule files beside the declaring file that are
  // not open (a field's uses across the rule files that import its schema).
  json find_references(const Document& d, const View& v, Position p, bool decl) {
    std::vector<std::shared_ptr<const Analysis>> extra;
    std::vector<View> views;
    views.reserve(docs_.size() + 64);
    views.emplace_back(*d.analysis, enc_, d.uri);
    for (auto& [uri, other] : docs_) {
      if (uri == d.uri) continue;
      Document* o = fresh(uri);
      if (o) views.emplace_back(*o->analysis, enc_, o->uri);
    }
    // Sibling rule files of the file the symbol is declared in.
    const Reference* r = d.analysis->index.reference_at(0, v.offset(p));
    if (r) {
      const Symbol& s = d.analysis->index.symbol(r->symbol);
      const uint32_t file = s.name_loc ? s.name_loc->file : 0;
      const fs::path dir = fs::path(d.analysis->files[file].path).parent_path();
      std::error_code ec;
      size_t count = 0;
      for (fs::directory_iterator it(dir, ec), end; !ec && it != end && count < 64;
           it.increment(ec)) {
        if (it->path().extension() != ".rules") continue;
        const std::string path = it->path().string();
        bool open = false;
        for (const auto& [uri, o] : docs_) open = open || same_file(o.path, path);
        if (open) continue;
        SourceSet scratch;
        std::vector<Diagnostic> ignored;
        auto idx = scratch.load(path, ignored);
        if (!idx) continue;
        AnalyzeInput in;
        in.kind = DocKind::Rules;
        in.path = path;
        in.text = scratch.file(*idx).text;
        in.read = [this](const std::string& q) { return open_text(q); };
        extra.push_back(analyze(in));
        views.emplace_back(*extra.back(), enc_, uri_from_path(path));
        ++count;
      }
    }
    std::vector<const View*> all;
    all.reserve(views.size());
    for (const auto& w : views) all.push_back(&w);
    return references(views.front(), p, all, decl);
  }

  std::istream& in_;
  std::ostream& out_;
  ServerOptions opts_;
  std::mutex out_m_;
  std::shared_ptr<Queue> events_ = std::make_shared<Queue>();
  std::shared_ptr<std::atomic<bool>> stop_reading_ = std::make_shared<std::atomic<bool>>(false);
  bool saw_eof_ = false;
  bool exit_ = false;
  bool initialized_ = false;
  bool shutdown_ = false;
  int exit_code_ = 1;
  Encoding enc_ = Encoding::Utf16;
  std::map<std::string, Document> docs_;

  // Lint worker.
  std::mutex lint_m_;
  std::condition_variable lint_cv_;
  std::deque<LintJob> lint_jobs_;
  std::map<std::string, int64_t> latest_;  // uri -> the version whose lint is wanted
  bool lint_quit_ = false;
};

}  // namespace

int run_server(std::istream& in, std::ostream& out, const ServerOptions& opts) {
  Server s(in, out, opts);
  return s.run();
}

}  // namespace rk::lsp
