// Rekindle JIT tests: the on-disk object cache (compiler/jit/jit.cpp). A miss stores an entry and
// a second compile loads it (no codegen, no optimization) with identical results, also for a
// kernel split into several parts (one entry holding one object per part); a truncated, corrupt
// or foreign entry is ignored and rebuilt; REKINDLE_CACHE=0 and JitOptions::cache = 0 turn it
// off; concurrent compiles of one program leave one valid entry and no temporary files.
//
// The rest of this test binary must not write to the user's cache (and expects fresh compiles
// with optimizer statistics), so unless the environment says otherwise the whole binary runs
// with REKINDLE_CACHE=0; these tests enable the cache explicitly with JitOptions::cache = 1.
#include <catch2/catch.hpp>

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "base/date.h"
#include "compiler/check/compile.h"
#include "compiler/jit/jit.h"
#include "runtime/atoms.h"
#include "runtime/generate.h"
#include "runtime/interpreter.h"

using namespace rk;
namespace fs = std::filesystem;

namespace {

const bool cache_off_by_default = [] {
  ::setenv("REKINDLE_CACHE", "0", /*overwrite=*/0);
  return true;
}();

ir::Program playbook() {
  CompileResult cr = compile_rules(std::string(RK_SOURCE_DIR) + "/rules/winback.rules");
  REQUIRE(cr.program);
  return *cr.program;
}

// A fresh, empty cache folder, removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    static int n = 0;
    path = fs::temp_directory_path() /
           ("rk-test-cache-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::remove_all(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::vector<fs::path> files() const {
    std::vector<fs::path> out;
    if (fs::exists(path))
      for (const auto& e : fs::directory_iterator(path)) out.push_back(e.path());
    return out;
  }
};

jit::JitOptions cached(const TempDir& dir) {
  jit::JitOptions o;
  o.cache = 1;
  o.cache_dir = dir.path.string();
  return o;
}

// Outputs of `exec` over a generated batch, all columns concatenated.
std::vector<int8_t> run_all(const Executor& exec, const ir::Program& program) {
  GenerateOptions g;
  g.rows = 3000;
  g.batch_rows = 3000;
  g.seed = 7;
  g.as_of = static_cast<int32_t>(days_from_civil(2026, 11, 1));
  Batch batch = generate_batch(g, 0);
  PreparedAtoms atoms;
  atoms.prepare(program, batch);
  std::vector<std::vector<int8_t>> cols(program.outputs.size(),
                                        std::vector<int8_t>(batch.num_rows, 99));
  std::vector<int8_t*> ptrs;
  for (auto& c : cols) ptrs.push_back(c.data());
  RkBatchView v{batch.columns.data(), atoms.data(), batch.num_rows, g.as_of, 0};
  RkResultView r{ptrs.data(), batch.num_rows};
  exec.run(v, r, 0, batch.num_rows);
  std::vector<int8_t> all;
  for (auto& c : cols) all.insert(all.end(), c.begin(), c.end());
  return all;
}

std::unique_ptr<Executor> compile_ok(const ir::Program& p, const jit::JitOptions& o,
                                     jit::JitStats& s) {
  std::string error;
  auto exec = jit::compile(p, error, o, &s);
  INFO(error);
  REQUIRE(exec);
  return exec;
}

}  // namespace

TEST_CASE("Object cache: a miss stores, a hit loads the same code", "[jit][cache]") {
  const ir::Program program = playbook();
  TempDir dir;
  jit::JitStats miss, hit;
  auto a = compile_ok(program, cached(dir), miss);
  CHECK_FALSE(miss.cache_hit);
  CHECK(miss.optimize_ms > 0);
  REQUIRE(dir.files().size() == 1);
  CHECK(dir.files()[0].extension() == ".o");
  auto b = compile_ok(program, cached(dir), hit);
  CHECK(hit.cache_hit);
  CHECK(hit.optimize_ms == 0);
  CHECK(hit.codegen_ms == 0);
  auto interp = make_interpreter(program);
  const auto expected = run_all(*interp, program);
  CHECK(run_all(*a, program) == expected);
  CHECK(run_all(*b, program) == expected);
  a.reset();  // the two loaded copies are independent
  CHECK(run_all(*b, program) == expected);

  // Another optimization level is another entry.
  jit::JitOptions o1 = cached(dir);
  o1.opt_level = 1;
  jit::JitStats s1;
  auto c = compile_ok(program, o1, s1);
  CHECK_FALSE(s1.cache_hit);
  CHECK(dir.files().size() == 2);
  CHECK(run_all(*c, program) == expected);
}

TEST_CASE("Object cache: truncated, corrupt or foreign entries are rebuilt", "[jit][cache]") {
  const ir::Program program = playbook();
  auto interp = make_interpreter(program);
  const auto expected = run_all(*interp, program);
  TempDir dir;
  jit::JitStats s;
  compile_ok(program, cached(dir), s);
  REQUIRE(dir.files().size() == 1);
  const fs::path entry = dir.files()[0];
  std::string good;
  {
    std::ifstream in(entry, std::ios::binary);
    good.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  REQUIRE(good.size() > 100);

  auto damage = [&](const std::string& bytes) {
    std::ofstream(entry, std::ios::binary | std::ios::trunc) << bytes;
    jit::JitStats st;
    auto exec = compile_ok(program, cached(dir), st);
    CHECK_FALSE(st.cache_hit);
    CHECK(run_all(*exec, program) == expected);
    // The entry was rewritten: the next compile hits.
    jit::JitStats again;
    auto exec2 = compile_ok(program, cached(dir), again);
    CHECK(again.cache_hit);
    CHECK(run_all(*exec2, program) == expected);
  };
  SECTION("empty") {
    damage("");
  }
  SECTION("header only") {
    damage(good.substr(0, 48));
  }
  SECTION("truncated object") {
    damage(good.substr(0, good.size() / 2));
  }
  SECTION("one byte short") {
    damage(good.substr(0, good.size() - 1));
  }
  SECTION("a flipped byte in the object") {
    std::string bad = good;
    bad[bad.size() / 2] ^= 0x5a;
    damage(bad);
  }
  SECTION("garbage") {
    damage(std::string(good.size(), '\x90'));
  }
  SECTION("a trailing byte") {
    damage(good + "x");
  }
  SECTION("another format's magic") {
    std::string bad = good;
    bad[7] = '9';
    damage(bad);
  }
}

TEST_CASE("Object cache: a kernel of several parts is one entry of several objects",
          "[jit][cache]") {
  const ir::Program program = playbook();
  auto interp = make_interpreter(program);
  const auto expected = run_all(*interp, program);
  TempDir dir;
  jit::JitOptions split = cached(dir);
  split.part_weight = 60;
  jit::JitStats miss, hit;
  auto a = compile_ok(program, split, miss);
  CHECK_FALSE(miss.cache_hit);
  CHECK(miss.parts > 2);
  REQUIRE(dir.files().size() == 1);
  auto b = compile_ok(program, split, hit);
  CHECK(hit.cache_hit);
  CHECK(hit.parts == miss.parts);
  CHECK(run_all(*a, program) == expected);
  CHECK(run_all(*b, program) == expected);
  // Another split is another entry; the one-part kernel is a third.
  jit::JitOptions other = split;
  other.part_weight = 200;
  jit::JitStats s2, s3;
  auto c = compile_ok(program, other, s2);
  CHECK_FALSE(s2.cache_hit);
  auto d = compile_ok(program, cached(dir), s3);
  CHECK_FALSE(s3.cache_hit);
  CHECK(s3.parts == 1);
  CHECK(dir.files().size() == 3);
  CHECK(run_all(*c, program) == expected);
  CHECK(run_all(*d, program) == expected);
}

TEST_CASE("Object cache: off by option or by REKINDLE_CACHE=0", "[jit][cache]") {
  const ir::Program program = playbook();
  TempDir dir;
  jit::JitOptions off = cached(dir);
  off.cache = 0;
  jit::JitStats s;
  compile_ok(program, off, s);
  CHECK(dir.files().empty());
  CHECK(jit::cache_directory(off).empty());

  // cache = -1 follows the environment.
  jit::JitOptions env = cached(dir);
  env.cache = -1;
  ::setenv("REKINDLE_CACHE", "0", 1);
  CHECK(jit::cache_directory(env).empty());
  ::setenv("REKINDLE_CACHE", "1", 1);
  CHECK(jit::cache_directory(env) == dir.path.string());
  env.cache_dir.clear();
  ::setenv("REKINDLE_CACHE_DIR", "/some/where", 1);
  CHECK(jit::cache_directory(env) == "/some/where");
  ::unsetenv("REKINDLE_CACHE_DIR");
  ::setenv("XDG_CACHE_HOME", "/xdg", 1);
  CHECK(jit::cache_directory(env) == "/xdg/rekindle");
  ::unsetenv("XDG_CACHE_HOME");
  ::setenv("REKINDLE_CACHE", "0", 1);
}

TEST_CASE("Object cache: a folder that cannot be written is not an error", "[jit][cache]") {
  const ir::Program program = playbook();
  TempDir dir;
  fs::create_directories(dir.path.parent_path());
  std::ofstream(dir.path) << "a file, not a folder";
  jit::JitStats s;
  auto exec = compile_ok(program, cached(dir), s);
  CHECK_FALSE(s.cache_hit);
  fs::remove(dir.path);
}

TEST_CASE("Object cache: concurrent compiles leave one valid entry", "[jit][cache]") {
  const ir::Program program = playbook();
  auto interp = make_interpreter(program);
  const auto expected = run_all(*interp, program);
  TempDir dir;
  constexpr int kThreads = 4;
  std::vector<std::unique_ptr<Executor>> execs(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t)
    ts.emplace_back([&, t] { execs[t] = jit::compile(program, errors[t], cached(dir)); });
  for (auto& t : ts) t.join();
  for (int t = 0; t < kThreads; ++t) {
    INFO(errors[t]);
    REQUIRE(execs[t]);
    CHECK(run_all(*execs[t], program) == expected);
  }
  const auto files = dir.files();
  REQUIRE(files.size() == 1);  // no temporary files left behind
  CHECK(files[0].extension() == ".o");
  jit::JitStats s;
  auto exec = compile_ok(program, cached(dir), s);
  CHECK(s.cache_hit);
}

namespace {

ir::Program small_program() {
  CompileResult cr = compile_rules_text(std::string(RK_SOURCE_DIR) + "/rules/small.rules",
                                        "import \"customer.schema\"\n"
                                        "candidate when orders_total > 3\n"
                                        "stop opted_out when opted_out because \"opted out\"\n");
  REQUIRE(cr.program);
  return *cr.program;
}

// The only entry of `dir` (there must be exactly one).
fs::path only_entry(const TempDir& dir) {
  const auto files = dir.files();
  REQUIRE(files.size() == 1);
  return files[0];
}

}  // namespace

TEST_CASE("Object cache: an entry under another program's name is a miss, never its code",
          "[jit][cache]") {
  // The entry holds its full key (IR, LLVM version, CPU, build id, options): a file copied or
  // planted under another program's name is compared and refused, so the program runs its own
  // code (before: another rule file's answers, or a SIGSEGV).
  const ir::Program big = playbook(), small = small_program();
  const auto big_expected = run_all(*make_interpreter(big), big);
  const auto small_expected = run_all(*make_interpreter(small), small);
  TempDir big_dir, small_dir;
  jit::JitStats s;
  compile_ok(big, cached(big_dir), s);
  compile_ok(small, cached(small_dir), s);
  const fs::path big_entry = only_entry(big_dir), small_entry = only_entry(small_dir);
  // The playbook's entry planted under the small program's name, and the other way round.
  fs::copy_file(big_entry, small_entry, fs::copy_options::overwrite_existing);
  jit::JitStats planted;
  auto a = compile_ok(small, cached(small_dir), planted);
  CHECK_FALSE(planted.cache_hit);
  CHECK(run_all(*a, small) == small_expected);
  jit::JitStats again;
  auto b = compile_ok(small, cached(small_dir), again);  // the real entry was written back
  CHECK(again.cache_hit);
  CHECK(run_all(*b, small) == small_expected);
  fs::copy_file(small_entry, big_entry, fs::copy_options::overwrite_existing);
  jit::JitStats planted2;
  auto c = compile_ok(big, cached(big_dir), planted2);
  CHECK_FALSE(planted2.cache_hit);
  CHECK(run_all(*c, big) == big_expected);
}

TEST_CASE("Object cache: an entry that is not a regular file of ours is a miss", "[jit][cache]") {
  // Every failure to read an entry is a miss, decided before reading: a directory (was an
  // uncaught std::ios_base::failure), a symlink to /dev/zero (was bad_alloc), a FIFO (was a
  // hang), a file far too large, a file of another user.
  const ir::Program program = small_program();
  const auto expected = run_all(*make_interpreter(program), program);
  TempDir dir;
  jit::JitStats s;
  compile_ok(program, cached(dir), s);
  const fs::path entry = only_entry(dir);
  auto miss = [&](const char* what) {
    INFO(what);
    jit::JitStats st;
    std::string error;
    auto exec = jit::compile(program, error, cached(dir), &st);
    REQUIRE(exec);
    CHECK_FALSE(st.cache_hit);
    CHECK(run_all(*exec, program) == expected);
    fs::remove_all(entry);
  };
  fs::remove(entry);
  fs::create_directory(entry);
  miss("a directory");
  fs::create_symlink("/dev/zero", entry);
  miss("a symlink to /dev/zero");
  REQUIRE(::mkfifo(entry.c_str(), 0600) == 0);
  miss("a FIFO");
  {
    std::ofstream(entry) << "x";
    fs::resize_file(entry, uint64_t{300} << 20);  // sparse: no disk used
  }
  miss("a 300 MiB file");
  if (::geteuid() == 0) {
    compile_ok(program, cached(dir), s);  // a good entry again
    REQUIRE(::chown(entry.c_str(), 65534, 65534) == 0);
    miss("a good entry owned by another user");
  } else {
    WARN("not root: the entry owned by another user is not tested");
  }
}

TEST_CASE("Object cache: a folder others can write to is not used, and the warning says so",
          "[jit][cache]") {
  const ir::Program program = small_program();
  const auto expected = run_all(*make_interpreter(program), program);
  TempDir dir;
  fs::create_directories(dir.path);
  auto refused = [&](const std::string& folder, const char* why) {
    INFO(folder);
    jit::JitOptions o = cached(dir);
    o.cache_dir = folder;
    jit::JitStats st;
    std::string error;
    auto exec = jit::compile(program, error, o, &st);
    REQUIRE(exec);
    CHECK_FALSE(st.cache_hit);
    CHECK(st.cache_warning.find(why) != std::string::npos);
    CHECK(st.cache_warning.rfind("the JIT object cache is not used: ", 0) == 0);
    CHECK(run_all(*exec, program) == expected);
    CHECK(fs::is_empty(folder));  // nothing written there
  };
  const fs::path open = dir.path / "open";
  fs::create_directory(open);
  fs::permissions(open, fs::perms::all);
  refused(open.string(), "is writable by other users (mode 777)");
  fs::permissions(open, fs::perms::owner_all | fs::perms::group_all);
  refused(open.string(), "is writable by other users (mode 770)");
  // A private folder inside a folder others can write to (and that is not sticky, like /tmp).
  const fs::path inner = open / "cache";
  fs::permissions(open, fs::perms::all);
  fs::create_directory(inner);
  fs::permissions(inner, fs::perms::owner_all);
  refused(inner.string(), "(above the cache folder");
  if (::geteuid() == 0) {
    const fs::path theirs = dir.path / "theirs";
    fs::create_directory(theirs);
    fs::permissions(theirs, fs::perms::owner_all);
    REQUIRE(::chown(theirs.c_str(), 65534, 65534) == 0);
    refused(theirs.string(), "is owned by another user (uid 65534)");
  } else {
    WARN("not root: a cache folder owned by another user is not tested");
  }
  // A folder the cache creates itself is private (0700) and used.
  jit::JitOptions fresh = cached(dir);
  fresh.cache_dir = (dir.path / "made" / "here").string();
  jit::JitStats st;
  compile_ok(program, fresh, st);
  CHECK(st.cache_warning.empty());
  CHECK((fs::status(fresh.cache_dir).permissions() & fs::perms::all) == fs::perms::owner_all);
  compile_ok(program, fresh, st);
  CHECK(st.cache_hit);
}
