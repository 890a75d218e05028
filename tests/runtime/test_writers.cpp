// Tests of the output side: AtomicFile (nothing left behind on abort, on destruction, on a failed
// write such as EFBIG), the CSV / JSON-lines result writers (quoting, escaping, null handling) and
// the CSV snapshot writer.
#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/csv_reader.h"
#include "runtime/csv_writer.h"
#include "runtime/result_writer.h"

using namespace rk;

namespace {

// A fresh empty directory under the build tree.
std::string fresh_dir(const std::string& name) {
  const std::string dir = std::string(RK_BINARY_DIR) + "/test_writers_" + name;
  std::system(("rm -rf '" + dir + "' && mkdir -p '" + dir + "'").c_str());
  return dir;
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A program with the column kinds of the output contract, over a one-field schema.
ir::Program result_program() {
  ir::Program p;
  p.schema.name = "t";
  p.schema.fields.push_back({"customer_id", FieldType::String, false, true, {}});
  p.schema.key_field = 0;
  p.outputs = {{"cand", 0}, {"seg", 0}, {"r1", 0}, {"r2", 0}, {"touch", 0}};
  ir::ResultColumn key{"customer_id", ir::ResultKind::Key, ir::ValueType::Text, {}, {}, false};
  ir::ResultColumn cand{
      "candidate", ir::ResultKind::Enumerated, ir::ValueType::Bool, {0}, {"false", "true"}};
  ir::ResultColumn seg{"segment",
                       ir::ResultKind::Enumerated,
                       ir::ValueType::Text,
                       {1},
                       {"plain", "has,comma", "has \"quote\"", "line\nbreak", "ünï"}};
  ir::ResultColumn review{
      "review", ir::ResultKind::Joined, ir::ValueType::Text, {2, 3}, {"high_value", "discount"}};
  ir::ResultColumn touch{
      "touch", ir::ResultKind::Enumerated, ir::ValueType::Int, {4}, {"0", "1", "2"}};
  p.columns = {key, cand, seg, review, touch};
  return p;
}

// A batch with one dictionary-encoded string column.
struct KeyBatch {
  Batch batch;
  std::vector<std::string> storage;
  std::shared_ptr<StringDict> dict = std::make_shared<StringDict>();
  std::vector<int32_t> codes;
  std::vector<uint8_t> validity;
  explicit KeyBatch(const std::vector<std::optional<std::string>>& keys) {
    storage.reserve(keys.size());  // the dictionary's views point into it
    validity.assign((keys.size() + 7) / 8, 0);
    for (size_t i = 0; i < keys.size(); ++i) {
      storage.push_back(keys[i].value_or(""));
      if (keys[i]) validity[i / 8] |= static_cast<uint8_t>(1 << (i % 8));
      codes.push_back(static_cast<int32_t>(dict->entries.size()));
      dict->entries.push_back(storage.back());
    }
    batch.num_rows = static_cast<int64_t>(keys.size());
    RkColumn c{};
    c.validity = validity.data();
    c.values = codes.data();
    c.dict = dict.get();
    c.encoding = RK_STR_DICT;
    batch.columns.push_back(c);
    batch.dicts.push_back(dict);
  }
};

}  // namespace

TEST_CASE("atomic file: commit renames, abort and destruction leave nothing", "[writers]") {
  const std::string dir = fresh_dir("atomic");
  const std::string target = dir + "/out.csv";
  {
    AtomicFile f;
    REQUIRE(f.open(target));
    const std::string temp = f.temp_path();
    // compiler/ir/temp_files.h: `.rekindle-PID-START-RANDOM.tmp`, whatever the target's name.
    CHECK(temp.rfind(dir + "/.rekindle-" + std::to_string(getpid()) + "-", 0) == 0);
    CHECK(temp.size() - dir.size() <= 60);
    REQUIRE(f.write("hello\n"));
    CHECK(list_dir(dir).size() == 1);  // only the temporary file
    CHECK_FALSE(access(target.c_str(), F_OK) == 0);
    REQUIRE(f.commit());
  }
  CHECK(list_dir(dir) == std::vector<std::string>{"out.csv"});
  CHECK(slurp(target) == "hello\n");
  {
    AtomicFile f;
    REQUIRE(f.open(target));
    REQUIRE(f.write(std::string(3 << 20, 'x')));  // more than the buffer
    f.abort();
    CHECK_FALSE(f.write("more"));
  }
  CHECK(list_dir(dir) == std::vector<std::string>{"out.csv"});
  CHECK(slurp(target) == "hello\n");  // the old file is untouched
  {
    AtomicFile f;
    REQUIRE(f.open(target));
    REQUIRE(f.write("partial"));
  }  // destroyed without commit
  CHECK(list_dir(dir) == std::vector<std::string>{"out.csv"});
}

TEST_CASE("atomic file: errors name the path", "[writers]") {
  AtomicFile f;
  CHECK_FALSE(f.open("/nonexistent-dir-rk/out.csv"));
  CHECK(f.error() ==
        "/nonexistent-dir-rk/out.csv: cannot create a temporary file in /nonexistent-dir-rk: No "
        "such file or directory");
  const std::string dir = fresh_dir("isdir");
  CHECK_FALSE(f.open(dir));
  CHECK(f.error() == dir + ": is a directory");
}

TEST_CASE("atomic file: remove_open_temp_files_from_signal removes open temporaries", "[writers]") {
  const std::string dir = fresh_dir("signal");
  AtomicFile a, b;
  REQUIRE(a.open(dir + "/a.csv"));
  REQUIRE(b.open(dir + "/b.csv"));
  CHECK(list_dir(dir).size() == 2);
  remove_open_temp_files_from_signal();
  CHECK(list_dir(dir).empty());
}

TEST_CASE("atomic file: a write past RLIMIT_FSIZE fails with EFBIG and leaves nothing",
          "[writers]") {
  const std::string dir = fresh_dir("efbig");
  const std::string target = dir + "/big.csv";
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    rlimit lim{100000, 100000};
    setrlimit(RLIMIT_FSIZE, &lim);
    AtomicFile f;
    if (!f.open(target)) _exit(10);
    bool ok = true;
    for (int i = 0; i < 10 && ok; ++i) ok = f.write(std::string(1 << 20, 'x'));
    if (ok) ok = f.commit();
    if (ok) _exit(11);
    if (f.error() != "cannot write " + target + ": File too large") _exit(12);
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(list_dir(dir).empty());
}

TEST_CASE("csv result writer: header, quoting, enumerated and joined columns", "[writers]") {
  const std::string dir = fresh_dir("csvres");
  const ir::Program p = result_program();
  KeyBatch kb({std::string("C1"), std::string("C,2"), std::string("C \"3\""), std::nullopt,
               std::string("顧客5")});
  const int8_t cand[] = {1, 0, -1, 1, 0};
  const int8_t seg[] = {0, 1, 2, 3, 4};
  const int8_t r1[] = {1, 0, 1, 0, -1};
  const int8_t r2[] = {1, 1, 0, 0, 1};
  const int8_t touch[] = {2, -1, 0, 1, 9};  // 9 is out of range: empty
  const int8_t* outs[] = {cand, seg, r1, r2, touch};
  std::string err;
  auto w = open_result_writer(dir + "/r.csv", ResultFormat::Csv, p, err);
  REQUIRE(w);
  REQUIRE(w->write(kb.batch, outs));
  REQUIRE(w->write(kb.batch, outs));
  CHECK(list_dir(dir).size() == 1);
  CHECK(access((dir + "/r.csv").c_str(), F_OK) != 0);  // not there before finish()
  REQUIRE(w->finish());
  const std::string rows =
      "C1,true,plain,high_value;discount,2\n"
      "\"C,2\",false,\"has,comma\",discount,\n"
      "\"C \"\"3\"\"\",,\"has \"\"quote\"\"\",high_value,0\n"
      ",true,\"line\nbreak\",,1\n"
      "顧客5,false,ünï,discount,\n";
  CHECK(slurp(dir + "/r.csv") == "customer_id,candidate,segment,review,touch\n" + rows + rows);
  CHECK(list_dir(dir) == std::vector<std::string>{"r.csv"});
}

TEST_CASE("jsonl result writer: typed values, escapes and nulls", "[writers]") {
  const std::string dir = fresh_dir("jsonl");
  const ir::Program p = result_program();
  KeyBatch kb({std::string("C1"), std::string("C\\\"2\t"), std::nullopt});
  const int8_t cand[] = {1, 0, -1};
  const int8_t seg[] = {3, 2, 4};
  const int8_t r1[] = {1, 0, 0};
  const int8_t r2[] = {1, 0, 1};
  const int8_t touch[] = {2, -1, 0};
  const int8_t* outs[] = {cand, seg, r1, r2, touch};
  std::string err;
  auto w = open_result_writer(dir + "/r.jsonl", ResultFormat::Jsonl, p, err);
  REQUIRE(w);
  REQUIRE(w->write(kb.batch, outs));
  REQUIRE(w->finish());
  CHECK(slurp(dir + "/r.jsonl") ==
        "{\"customer_id\":\"C1\",\"candidate\":true,\"segment\":\"line\\nbreak\",\"review\":"
        "\"high_value;discount\",\"touch\":2}\n"
        "{\"customer_id\":\"C\\\\\\\"2\\t\",\"candidate\":false,\"segment\":\"has "
        "\\\"quote\\\"\",\"review\":\"\",\"touch\":null}\n"
        "{\"customer_id\":null,\"candidate\":null,\"segment\":\"ünï\",\"review\":\"discount\","
        "\"touch\":0}\n");
}

TEST_CASE("result writer without finish leaves nothing, open errors are values", "[writers]") {
  const std::string dir = fresh_dir("nofinish");
  const ir::Program p = result_program();
  {
    std::string err;
    auto w = open_result_writer(dir + "/r.csv", ResultFormat::Csv, p, err);
    REQUIRE(w);
    KeyBatch kb({std::string("C1")});
    const int8_t z[] = {0};
    const int8_t* outs[] = {z, z, z, z, z};
    REQUIRE(w->write(kb.batch, outs));
  }
  CHECK(list_dir(dir).empty());
  std::string err;
  CHECK_FALSE(open_result_writer("/nonexistent-dir-rk/r.csv", ResultFormat::Jsonl, p, err));
  CHECK(err.find("/nonexistent-dir-rk/r.csv: cannot create a temporary file") == 0);
}

TEST_CASE("csv and json helpers", "[writers]") {
  std::string s;
  append_csv_field(s, "plain");
  s += '|';
  append_csv_field(s, "a,b");
  s += '|';
  append_csv_field(s, "q\"q\"");
  s += '|';
  append_csv_field(s, "cr\r");
  CHECK(s == "plain|\"a,b\"|\"q\"\"q\"\"\"|\"cr\r\"");
  std::string j;
  append_json_string(j, std::string("a\"b\\c\n\x01\x1f\xC3\xBC", 10));
  CHECK(j == "\"a\\\"b\\\\c\\n\\u0001\\u001f\xC3\xBC\"");
}

TEST_CASE("csv snapshot writer: every type, and the reader reads it back", "[writers]") {
  const std::string dir = fresh_dir("snapcsv");
  const std::string csv =
      "id,n,x,m,d,b,e,l\n"
      "\"a,1\",1,0.1,84.5,2026-11-01,true,red,x|y\n"
      "b,-9223372036854775808,,19.99,,false,blue,\n"
      "\"q\"\"\",7,1e-07,250,1970-01-01,,green,\"p,q|r\"\n";
  Schema s;
  s.fields = {{"id", FieldType::String, false, true, {}},
              {"n", FieldType::Int, false, false, {}},
              {"x", FieldType::Number, true, false, {}},
              {"m", FieldType::Money, false, false, {}},
              {"d", FieldType::Date, true, false, {}},
              {"b", FieldType::Bool, true, false, {}},
              {"e", FieldType::Enum, false, false, {"red", "green", "blue"}},
              {"l", FieldType::StringList, false, false, {}}};
  std::optional<SnapshotError> rerr;
  auto r = open_csv_snapshot_memory(csv, "in.csv", s, {}, rerr);
  REQUIRE(r);
  Batch b;
  REQUIRE(r->next(b));
  CsvSnapshotWriter w;
  REQUIRE(w.open(dir + "/out.csv", s));
  REQUIRE(w.write(b));
  REQUIRE(w.finish());
  CHECK(slurp(dir + "/out.csv") ==
        "id,n,x,m,d,b,e,l\n"
        "\"a,1\",1,0.1,84.50,2026-11-01,true,red,x|y\n"
        "b,-9223372036854775808,,19.99,,false,blue,\n"
        "\"q\"\"\",7,1e-07,250.00,1970-01-01,,green,\"p,q|r\"\n");
}

TEST_CASE("csv snapshot writer: unrepresentable values are errors, no file left", "[writers]") {
  const std::string dir = fresh_dir("snapbad");
  Schema s;
  s.fields = {{"l", FieldType::StringList, false, false, {}}};
  auto dict = std::make_shared<StringDict>();
  dict->entries = {"ok", "a|b"};
  std::vector<int32_t> offsets = {0, 1, 2};
  std::vector<int32_t> codes = {0, 1};
  Batch b;
  b.num_rows = 2;
  RkColumn c{};
  c.offsets = offsets.data();
  c.child_codes = codes.data();
  c.dict = dict.get();
  b.columns.push_back(c);
  CsvSnapshotWriter w;
  REQUIRE(w.open(dir + "/out.csv", s));
  CHECK_FALSE(w.write(b));
  CHECK(w.error() ==
        "row 2: column l: list element \"a|b\" cannot be written to CSV (elements are joined with "
        "| and may not be empty or contain it)");
  CHECK(list_dir(dir).empty());
}
