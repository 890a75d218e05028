// Rekindle tests: hostile and broken inputs. Rule files at and over the compiler's limits (size,
// nesting, declarations), Arrow files whose metadata lies about lengths and offsets, CSV files
// with 10,000 columns or a 100 MB line (peak memory measured in a child process), and the
// regressions found by the fuzz targets in fuzz/ (see docs/reliability.md). Each failure must be
// a diagnostic or a SnapshotError with a clear message, never a crash or an unbounded allocation.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/check/compile.h"
#include "fuzz/rule_gen.h"
#include "grammar/parser.h"
#include "runtime/arrow_reader.h"
#include "runtime/csv_reader.h"
#include "runtime/generate.h"

using namespace rk;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAsan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAsan = true;
#else
constexpr bool kAsan = false;
#endif
#else
constexpr bool kAsan = false;
#endif

const std::string kRulesDir = std::string(RK_SOURCE_DIR) + "/rules/";

std::string temp_file(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("rk_hostile_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

void write_file(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CompileResult compile_text(std::string text) {
  return compile_rules_text(kRulesDir + "hostile.rules", std::move(text));
}

bool has_diag(const CompileResult& r, const std::string& code, const std::string& text) {
  for (const auto& d : r.diags)
    if (d.code == code && d.message.find(text) != std::string::npos) return true;
  return false;
}

std::string diags_text(const CompileResult& r) {
  std::string s;
  for (const auto& d : r.diags) s += d.code + ": " + d.message + "\n";
  return s;
}

// Runs `body` in a forked child; returns {exit status of the child, growth of its peak RSS in
// MiB}. The child reports success with exit code 0; a crash or a signal is a non-zero status.
struct ChildResult {
  int status = -1;
  double peak_growth_mib = 0;
  bool exited = false;
  int exit_code = -1;
};
ChildResult in_child(const std::function<bool()>& body, int timeout_s = 120,
                     rlim_t address_limit = 0) {
  int pipefd[2];
  REQUIRE(::pipe(pipefd) == 0);
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(pipefd[0]);
    ::alarm(static_cast<unsigned>(timeout_s));
    if (address_limit) {
      rlimit rl{address_limit, address_limit};
      ::setrlimit(RLIMIT_AS, &rl);
    }
    rusage before{};
    ::getrusage(RUSAGE_SELF, &before);
    bool ok = false;
    try {
      ok = body();
    } catch (...) {
      ok = false;
    }
    rusage after{};
    ::getrusage(RUSAGE_SELF, &after);
    const double growth = (after.ru_maxrss - before.ru_maxrss) / 1024.0;
    std::fflush(nullptr);
    [[maybe_unused]] ssize_t n = ::write(pipefd[1], &growth, sizeof growth);
    ::_exit(ok ? 0 : 1);
  }
  ::close(pipefd[1]);
  ChildResult res;
  double growth = -1;
  if (::read(pipefd[0], &growth, sizeof growth) == sizeof growth) res.peak_growth_mib = growth;
  ::close(pipefd[0]);
  ::waitpid(pid, &res.status, 0);
  res.exited = WIFEXITED(res.status);
  res.exit_code = res.exited ? WEXITSTATUS(res.status) : -1;
  return res;
}

std::string playbook_header() {
  std::string h;
  for (const auto& f : playbook_schema().fields) h += (h.empty() ? "" : ",") + f.name;
  return h;
}
const char* kPlaybookRow =
    "C1,2026-06-05,2026-05-17,2,40.57,0.102,false,3,1,0,home,email,true,true,false,,0,0.0051,6,"
    "2026-10-16,false";

}  // namespace

// ---- rule files ---------------------------------------------------------------------------------

TEST_CASE("hostile rules: a file over the size limit is RK0107 naming the size",
          "[hostile][rules]") {
  std::string text = "import \"customer.schema\"\n";
  text.reserve(kMaxSourceBytes + 4096);
  const std::string line = "# " + std::string(1021, 'x') + "\n";
  while (text.size() <= kMaxSourceBytes) text += line;
  const size_t size = text.size();
  const CompileResult r = compile_text(std::move(text));
  INFO(diags_text(r));
  CHECK_FALSE(r.program);
  CHECK(has_diag(r, "RK0107",
                 "is too large (" + std::to_string(size) + " bytes; the limit is 16777216 bytes)"));
}

TEST_CASE("hostile rules: a file of exactly the size limit compiles", "[hostile][rules]") {
  std::string text = "import \"customer.schema\"\ncandidate when orders_total > 1\n";
  while (text.size() + 1024 < kMaxSourceBytes) text += "# " + std::string(1021, 'x') + "\n";
  text += "#" + std::string(kMaxSourceBytes - text.size() - 2, 'y') + "\n";
  REQUIRE(text.size() == kMaxSourceBytes);
  const CompileResult r = compile_text(std::move(text));
  INFO(diags_text(r));
  CHECK(r.program);
}

TEST_CASE("hostile rules: nesting over the limit is RK0106, at the limit it compiles",
          "[hostile][rules]") {
  auto nested = [](int depth) {
    return "import \"customer.schema\"\ncandidate when " + std::string(depth, '(') +
           "orders_total > 1" + std::string(depth, ')') + "\n";
  };
  const CompileResult over = compile_text(nested(kMaxNesting + 1));
  INFO(diags_text(over));
  CHECK_FALSE(over.program);
  CHECK(has_diag(over, "RK0106", "expressions are nested too deeply (limit 256)"));
  const CompileResult deep = compile_text(nested(100000));  // far over: still one clean error
  CHECK_FALSE(deep.program);
  CHECK(has_diag(deep, "RK0106", "nested too deeply"));
  const CompileResult ok = compile_text(nested(kMaxNesting - 2));
  INFO(diags_text(ok));
  CHECK(ok.program);
  // `not`, unary minus and `days since` nest too.
  std::string nots = "import \"customer.schema\"\ncandidate when ";
  for (int i = 0; i < 100000; ++i) nots += "not ";
  const CompileResult r = compile_text(nots + "opted_out\n");
  CHECK_FALSE(r.program);
  CHECK(has_diag(r, "RK0106", "nested too deeply"));
}

TEST_CASE("hostile rules: long flat chains are not nesting and do not overflow the stack",
          "[hostile][rules]") {
  for (const char* op : {" or ", " and ", " + "}) {
    INFO(op);
    std::string text = "import \"customer.schema\"\ncandidate when ";
    const bool arith = std::string(op) == " + ";
    for (int i = 0; i < 50000; ++i)
      text += (i ? op : "") + std::string(arith ? "orders_total" : "opted_out");
    if (arith) text += " > 1";
    const CompileResult r = compile_text(text + "\n");
    // Either compiled or one clear diagnostic; never a crash.
    if (!r.program) {
      INFO(diags_text(r));
      REQUIRE_FALSE(r.diags.empty());
    }
  }
}

TEST_CASE("hostile rules: more than 20,000 declarations is RK0405", "[hostile][rules]") {
  std::string text = "import \"customer.schema\"\n";
  for (int i = 0; i < 20001; ++i) text += "let x" + std::to_string(i) + " = " + "1\n";
  const CompileResult r = compile_text(text);
  INFO(diags_text(r));
  CHECK_FALSE(r.program);
  CHECK(has_diag(r, "RK0405", "too many declarations (limit 20000)"));
}

TEST_CASE("hostile rules: 1,000+ generated rules compile in bounded time", "[hostile][rules]") {
  // 1,000 stop rules + 1,000 review rules + 40 segments over the playbook schema.
  fuzz::SeededBytes bytes(42, 1 << 22);
  fuzz::ByteSource src = bytes.source();
  fuzz::GenOptions o;
  o.max_depth = 3;
  o.max_stops = 0;
  o.max_reviews = 0;
  fuzz::RuleGen gen(src, o);
  std::string text = gen.rule_file();
  for (int i = 0; i < 1000; ++i) {
    text += "stop big_stop" + std::to_string(i) + " when orders_total > " + std::to_string(i) +
            " and avg_order_value < $" + std::to_string(i + 5) + " because \"r" +
            std::to_string(i) + "\"\n";
    text += "review big_review" + std::to_string(i) + " when days since last_purchase_date in " +
            std::to_string(i) + " to " + std::to_string(i + 30) + " days\n";
  }
  const auto t0 = std::chrono::steady_clock::now();
  const CompileResult r = compile_text(text);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  INFO(diags_text(r).substr(0, 2000));
  REQUIRE(r.program);
  std::printf("hostile: %zu-byte rule file with 2,000+ rules checked in %.2f s (%zu IR nodes)\n",
              text.size(), secs, r.program->nodes.size());
  CHECK(secs < (kAsan ? 60.0 : 10.0));  // the documented bound (docs/reliability.md)
}

TEST_CASE("hostile rules: importing a device file does not read forever", "[hostile][rules]") {
  // SourceSet::load reads only regular files (and checks their size first), so
  // `import "/dev/zero"` is RK0501 at once instead of growing memory (or, for /dev/stdin,
  // blocking). Run in a child with a 2 GiB address-space limit and a 20 s alarm; skipped under
  // ASan (its shadow memory needs more address space).
  if (kAsan) {
    WARN("skipped under ASan: RLIMIT_AS does not fit its shadow memory");
    return;
  }
  const ChildResult c = in_child(
      [] {
        // An absolute path is refused before anything is opened (grammar/source_root.h); a
        // device reached inside the project folder is refused by SourceSet::load.
        const CompileResult r = compile_text("import \"/dev/zero\"\ncandidate when true\n");
        return !r.program && has_diag(r, "RK0502", "absolute path");
      },
      20, rlim_t{2} << 30);
  INFO("child status " << c.status);
  CHECK(c.exited);
  CHECK(c.exit_code == 0);
}

// ---- Arrow: lying metadata ----------------------------------------------------------------------

namespace {

struct LieStats {
  int errors = 0, reads = 0;
};

// Reads `bytes` (as a file) with `schema`, touching every string; returns true on error.
bool read_arrow_bytes(const std::string& path, const std::string& bytes, const Schema& schema,
                      LieStats& st) {
  write_file(path, bytes);
  std::optional<SnapshotError> err;
  auto reader = open_arrow_snapshot(path, schema, ReaderOptions{}, err);
  ++st.reads;
  if (!reader) {
    REQUIRE(err);
    CHECK(err->file == path);
    CHECK_FALSE(err->message.empty());
    ++st.errors;
    return true;
  }
  Batch b;
  uint64_t sink = 0;
  while (reader->next(b)) {
    for (size_t c = 0; c < b.columns.size(); ++c)
      if (schema.fields[c].type == FieldType::String)
        for (int64_t r = 0; r < b.num_rows; ++r)
          if (auto s = b.string_at(c, r)) sink += s->size() + (s->empty() ? 0 : (*s)[0]);
  }
  (void)sink;
  if (reader->error()) {
    CHECK(reader->error()->file == path);
    CHECK_FALSE(reader->error()->message.empty());
    ++st.errors;
    return true;
  }
  return false;
}

}  // namespace

TEST_CASE("hostile arrow: every int64/int32 of the file replaced by a lie never crashes",
          "[hostile][arrow]") {
  // For each fixture, every aligned 8-byte value that looks like a length or an offset (1 ..
  // file size) is replaced by a lie (+8, 2^40, -1, 2^62), and every aligned 4-byte value by
  // (+1000, INT32_MAX): metadata lengths, buffer offsets, record counts, string offsets,
  // dictionary ids and flatbuffer offsets. The read must fail cleanly or succeed, within bounded
  // memory (checked in a child: a lie of 2^40 must not become an allocation).
  const std::string dir = std::string(RK_SOURCE_DIR) + "/tests/fixtures/arrowjs/";
  for (const char* name : {"customers.arrow", "customers.arrows", "types_lz4.arrow",
                           "types_zstd.arrows", "dict_stream.arrows"}) {
    INFO(name);
    const std::string bytes = read_file(dir + name);
    REQUIRE(bytes.size() > 100);
    std::optional<SnapshotError> ierr;
    const std::string path = temp_file(std::string("lie_") + name);
    write_file(path, bytes);
    const std::optional<Schema> schema = infer_arrow_schema(path, ierr);
    REQUIRE(schema);
    LieStats st;
    const ChildResult child = in_child([&] {
      for (size_t pos = 0; pos + 8 <= bytes.size(); pos += 8) {
        int64_t v;
        std::memcpy(&v, bytes.data() + pos, 8);
        if (v < 1 || v > static_cast<int64_t>(bytes.size())) continue;
        for (int64_t lie : {v + 8, int64_t{1} << 40, int64_t{-1}, int64_t{1} << 62}) {
          std::string m = bytes;
          std::memcpy(m.data() + pos, &lie, 8);
          read_arrow_bytes(path, m, *schema, st);
        }
      }
      for (size_t pos = 0; pos + 4 <= bytes.size(); pos += 4) {
        int32_t v;
        std::memcpy(&v, bytes.data() + pos, 4);
        if (v == 0) continue;
        for (int32_t lie : {v > INT32_MAX - 1000 ? v - 1000 : v + 1000, INT32_MAX}) {
          std::string m = bytes;
          std::memcpy(m.data() + pos, &lie, 4);
          read_arrow_bytes(path, m, *schema, st);
        }
      }
      std::printf("hostile arrow %s: %d lies read, %d errors\n", path.c_str(), st.reads, st.errors);
      return st.errors > 0 && st.reads > 0;
    });
    std::remove(path.c_str());
    INFO("child status " << child.status << ", peak RSS growth " << child.peak_growth_mib
                         << " MiB");
    CHECK(child.exited);
    CHECK(child.exit_code == 0);
    CHECK(child.peak_growth_mib < (kAsan ? 1024 : 256));
  }
}

TEST_CASE("hostile arrow: a truncated file is an error naming the file, for every cut",
          "[hostile][arrow]") {
  const std::string dir = std::string(RK_SOURCE_DIR) + "/tests/fixtures/arrowjs/";
  const std::string bytes = read_file(dir + "customers.arrow");
  const std::string path = temp_file("trunc.arrow");
  write_file(path, bytes);
  std::optional<SnapshotError> ierr;
  const std::optional<Schema> schema = infer_arrow_schema(path, ierr);
  REQUIRE(schema);
  LieStats st;
  for (size_t cut = 0; cut < bytes.size(); cut += 1 + cut / 64)
    CHECK(read_arrow_bytes(path, bytes.substr(0, cut), *schema, st));
  CHECK(st.errors == st.reads);
  std::remove(path.c_str());
}

// ---- CSV ----------------------------------------------------------------------------------------

TEST_CASE("hostile csv: 10,000 columns (9,979 extra) read correctly", "[hostile][csv]") {
  std::string header = playbook_header(), row = kPlaybookRow;
  for (int i = 21; i < 10000; ++i) {
    header += ",extra_" + std::to_string(i);
    row += "," + std::to_string(i);
  }
  std::string text = header + "\n";
  for (int r = 0; r < 50; ++r) text += row + "\n";
  const std::string path = temp_file("wide.csv");
  write_file(path, text);
  std::optional<SnapshotError> err;
  auto reader = open_csv_snapshot(path, playbook_schema(), ReaderOptions{}, err);
  INFO((err ? err->to_string() : ""));
  REQUIRE(reader);
  Batch b;
  int64_t rows = 0;
  while (reader->next(b)) {
    rows += b.num_rows;
    CHECK(b.string_at(0, 0) == std::optional<std::string_view>("C1"));
  }
  CHECK_FALSE(reader->error());
  CHECK(rows == 50);
  std::remove(path.c_str());
}

TEST_CASE("hostile csv: 10,000 columns without the schema's columns is one error",
          "[hostile][csv]") {
  std::string header;
  for (int i = 0; i < 10000; ++i) header += (i ? ",c" : "c") + std::to_string(i);
  const std::string path = temp_file("wide_bad.csv");
  write_file(path, header + "\n");
  std::optional<SnapshotError> err;
  auto reader = open_csv_snapshot(path, playbook_schema(), ReaderOptions{}, err);
  CHECK_FALSE(reader);
  REQUIRE(err);
  INFO(err->to_string());
  CHECK(err->file == path);
  CHECK(err->to_string().find("customer_id") != std::string::npos);
  std::remove(path.c_str());
}

TEST_CASE("hostile csv: a 100 MB line is an error naming the row, in bounded memory",
          "[hostile][csv]") {
  const std::string path = temp_file("long_line.csv");
  {
    std::ofstream out(path, std::ios::binary);
    out << playbook_header() << "\n" << kPlaybookRow << "\n";
    out << "C2,2026-06-05,,2,40.57,,false,3,1,0,";
    const std::string chunk(1 << 20, 'a');
    for (int i = 0; i < 100; ++i) out << chunk;  // one 100 MiB categories value
    out << ",email,true,true,false,,0,0.0051,6,2026-10-16,false\n";
    REQUIRE(out.good());
  }
  const ChildResult c = in_child([&] {
    std::optional<SnapshotError> err;
    auto reader = open_csv_snapshot(path, playbook_schema(), ReaderOptions{}, err);
    if (!reader) return false;
    Batch b;
    while (reader->next(b)) {
    }
    if (!reader->error()) return false;
    const std::string m = reader->error()->to_string();
    std::printf("hostile csv: %s\n", m.c_str());
    return m.find(":3") != std::string::npos &&
           m.find("record larger than 64 MiB") != std::string::npos;
  });
  std::remove(path.c_str());
  INFO("child status " << c.status << ", peak RSS growth " << c.peak_growth_mib << " MiB");
  CHECK(c.exit_code == 0);
  // The record buffer may grow to the 64 MiB guard (plus the read buffer), never to the line.
  CHECK(c.peak_growth_mib < (kAsan ? 400 : 100));
}

TEST_CASE("hostile csv: a huge quoted string value (unterminated quote) stays bounded",
          "[hostile][csv]") {
  const std::string path = temp_file("open_quote.csv");
  {
    std::ofstream out(path, std::ios::binary);
    out << playbook_header() << "\n\"C1";
    const std::string chunk(1 << 20, 'q');
    for (int i = 0; i < 80; ++i) out << chunk << "\n";
  }
  const ChildResult c = in_child([&] {
    std::optional<SnapshotError> err;
    auto reader = open_csv_snapshot(path, playbook_schema(), ReaderOptions{}, err);
    if (!reader) return false;
    Batch b;
    while (reader->next(b)) {
    }
    return reader->error().has_value() &&
           reader->error()->message.find("closing quote") != std::string::npos;
  });
  std::remove(path.c_str());
  INFO("child status " << c.status << ", peak RSS growth " << c.peak_growth_mib << " MiB");
  CHECK(c.exit_code == 0);
  CHECK(c.peak_growth_mib < (kAsan ? 400 : 100));
}

// ---- fuzz regressions ---------------------------------------------------------------------------
// Inputs found by the fuzz targets (fuzz/*.cpp) that crashed or disagreed; each stays here so it
// can never come back. (None so far for the CSV reader; see docs/reliability.md.)
