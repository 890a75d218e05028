// Rekindle tests: the Arrow IPC writers. Snapshot round trips (read a fixture, write it, read it
// back: every value equal), the result writer's column types, and files Rekindle wrote read by
// the independent apache-arrow JS package (skipped when node or node_modules is absent).
#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "runtime/arrow_writer.h"
#include "tests/runtime/test_arrow_util.h"

using namespace rk_arrow_test;

namespace {

// Reads `src` with `schema`, writes every batch with ArrowSnapshotWriter to `dst`.
void copy_snapshot(const std::string& src, const std::string& dst, const rk::Schema& schema) {
  const ReadResult got = read_all(src, schema);
  REQUIRE_FALSE(got.error);
  rk::ArrowSnapshotWriter w(schema);
  REQUIRE(w.open(dst));
  for (const rk::Batch& b : got.batches) REQUIRE(w.write(b));
  REQUIRE(w.finish());
}

bool have_node() {
  return std::filesystem::exists(kDir + "node_modules/apache-arrow") &&
         std::system("node --version > /dev/null 2>&1") == 0;
}

// Runs read_arrow.mjs on `path` and parses its JSON output.
json read_with_js(const std::string& path) {
  const std::string cmd = "node '" + kDir + "read_arrow.mjs' '" + path + "' 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  REQUIRE(pipe);
  std::string out;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe.get())) > 0) out.append(buf.data(), n);
  INFO(out);
  const json j = json::parse(out, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

// A hand-built program with one result column of every kind and value type.
struct ResultCase {
  rk::ir::Program program;
  std::vector<std::vector<int8_t>> outputs;  // per Program::outputs entry, one value per row
  std::vector<std::string> keys;
};

ResultCase make_result_case() {
  ResultCase rc;
  auto& p = rc.program;
  p.schema = make_schema({field("customer_id", rk::FieldType::String, false)});
  p.schema.fields[0].key = true;
  p.schema.key_field = 0;
  for (const char* name : {"dormancy", "candidate", "touch", "review_a", "review_b"})
    p.outputs.push_back(rk::ir::Output{name, 0});
  using K = rk::ir::ResultKind;
  using V = rk::ir::ValueType;
  p.columns.push_back({"customer_id", K::Key, V::Text, {}, {}, false});
  p.columns.push_back({"dormancy", K::Enumerated, V::Text, {0}, {"active", "deep"}, true});
  p.columns.push_back({"candidate", K::Enumerated, V::Bool, {1}, {"false", "true"}, true});
  p.columns.push_back({"winback_touch", K::Enumerated, V::Int, {2}, {"1", "2", "7"}, true});
  p.columns.push_back({"review", K::Joined, V::Text, {3, 4}, {"high_value", "discount"}, true});
  rc.keys = {"c1", "Zoë", "a,b", "say \"hi\"", ""};
  rc.outputs = {
      {0, 1, -1, 1, 0}, {1, 0, 1, -1, 1}, {2, -1, 0, 1, -1}, {1, 0, 1, 0, 0}, {1, 1, 0, 0, -1}};
  return rc;
}

// The expected result values, in read_arrow.mjs's conventions.
json expected_results() {
  json j;
  j["customer_id"] = {"c1", "Zoë", "a,b", "say \"hi\"", ""};
  j["dormancy"] = {"active", "deep", nullptr, "deep", "active"};
  j["candidate"] = {true, false, true, nullptr, true};
  j["winback_touch"] = {"7", nullptr, "1", "2", nullptr};
  j["review"] = {"high_value;discount", "discount", "high_value", "", ""};
  return j;
}

// Writes the result case as two batches (rows 0-2 and 3-4) to `path`.
void write_results(const ResultCase& rc, const std::string& path) {
  std::string error;
  auto w = rk::open_arrow_result_writer(path, rc.program, error);
  INFO(error);
  REQUIRE(w);
  int64_t first = 0;
  for (int64_t len : {3, 2}) {
    std::string data;
    std::vector<int32_t> offsets{0};
    for (int64_t r = first; r < first + len; ++r) {
      data += rc.keys[static_cast<size_t>(r)];
      offsets.push_back(static_cast<int32_t>(data.size()));
    }
    rk::Batch b;
    b.num_rows = len;
    b.first_row = first;
    RkColumn key{};
    key.encoding = RK_STR_PLAIN32;
    key.offsets = offsets.data();
    key.data = data.data();
    b.columns.push_back(key);
    std::vector<const int8_t*> outs;
    for (const auto& o : rc.outputs) outs.push_back(o.data() + first);
    REQUIRE(w->write(b, outs.data()));
    first += len;
  }
  REQUIRE(w->finish());
}

}  // namespace

TEST_CASE("arrow writer: snapshot round trip keeps every value", "[arrow]") {
  SECTION("playbook schema") {
    const std::string out = temp_path("roundtrip_customers.arrow");
    copy_snapshot(kDir + "customers.arrow", out, customer_schema());
    check_all_values(read_all(out, customer_schema()), customer_schema(),
                     load_json("customers.json"));
    std::remove(out.c_str());
  }
  SECTION("every type") {
    const std::string out = temp_path("roundtrip_types.arrow");
    copy_snapshot(kDir + "types_zstd.arrows", out, types_schema());
    const ReadResult got = read_all(out, types_schema());
    check_all_values(got, types_schema(), load_json("types.json"));
    CHECK(got.total_rows == 12);
    std::remove(out.c_str());
  }
}

TEST_CASE("arrow writer: a failed write leaves no file behind", "[arrow]") {
  rk::ArrowSnapshotWriter w(customer_schema());
  CHECK_FALSE(w.open("/nonexistent-dir/x/out.arrow"));
  CHECK_FALSE(w.error().empty());
  const std::string out = temp_path("unfinished.arrow");
  std::remove(out.c_str());
  {
    rk::ArrowSnapshotWriter w2(customer_schema());
    REQUIRE(w2.open(out));
  }  // destroyed without finish()
  CHECK_FALSE(std::filesystem::exists(out));
}

TEST_CASE("arrow result writer: column types and values", "[arrow]") {
  const ResultCase rc = make_result_case();
  const std::string out = temp_path("results.arrow");
  write_results(rc, out);
  using T = rk::FieldType;
  // Read back with Rekindle's reader (int32 reads as int, bool as bool, utf8 as string).
  const rk::Schema schema = make_schema(
      {field("customer_id", T::String), field("dormancy", T::String), field("candidate", T::Bool),
       field("winback_touch", T::Int), field("review", T::String)});
  json expected;
  expected["rows"] = 5;
  expected["batches"] = {3, 2};
  expected["columns"] = expected_results();
  check_all_values(read_all(out, schema), schema, expected);
  std::optional<rk::SnapshotError> err;
  const auto inferred = rk::infer_arrow_schema(out, err);
  REQUIRE(inferred);
  CHECK(inferred->fields.at(3).type == T::Int);
  CHECK(inferred->fields.at(2).type == T::Bool);
  for (const auto& f : inferred->fields) CHECK(f.nullable);
  std::remove(out.c_str());

  std::string error;
  rk::ir::Program bad = rc.program;
  bad.columns[3].texts = {"1", "x"};
  CHECK(rk::open_arrow_result_writer(out, bad, error) == nullptr);
  CHECK(error.find("winback_touch") != std::string::npos);
}

TEST_CASE("arrow writer: files Rekindle wrote are readable by apache-arrow JS", "[arrow][js]") {
  if (!have_node()) {
    WARN("skipped: node or tests/fixtures/arrowjs/node_modules is missing (run npm ci there)");
    SUCCEED();
    return;
  }
  SECTION("snapshot") {
    const std::string out = temp_path("js_customers.arrow");
    copy_snapshot(kDir + "customers.arrows", out, customer_schema());
    const json got = read_with_js(out);
    const json want = load_json("customers.json");
    CHECK(got["rows"] == want["rows"]);
    CHECK(got["batches"] == want["batches"]);
    const rk::Schema schema = customer_schema();
    for (const auto& f : schema.fields) {
      json w = want["columns"][f.name];
      if (f.type == rk::FieldType::Int)
        for (auto& v : w)
          if (!v.is_null()) v = std::to_string(v.get<int64_t>());
      INFO("column " << f.name);
      CHECK(got["columns"][f.name] == w);
    }
    const json& fields = got["fields"];
    REQUIRE(fields.size() == schema.fields.size());
    CHECK(fields[0]["type"] == "Utf8");
    CHECK(fields[0]["nullable"] == false);
    CHECK(fields[1]["type"] == "Date32<DAY>");
    CHECK(fields[3]["type"] == "Int64");
    CHECK(fields[4]["type"] == "Float64");
    CHECK(fields[6]["type"] == "Bool");
    CHECK(fields[10]["type"] == "List<Utf8>");
    CHECK(fields[11]["type"] == "Dictionary<Int32, Utf8>");
    std::remove(out.c_str());
  }
  SECTION("results") {
    const std::string out = temp_path("js_results.arrow");
    write_results(make_result_case(), out);
    const json got = read_with_js(out);
    CHECK(got["rows"] == 5);
    CHECK(got["batches"] == json({3, 2}));
    CHECK(got["columns"] == expected_results());
    std::vector<std::string> types;
    for (const auto& f : got["fields"]) types.push_back(f["type"]);
    // Text columns are dictionaries of their texts; the joined column a dictionary of subsets.
    CHECK(types == std::vector<std::string>{"Utf8", "Dictionary<Int8, Utf8>", "Bool", "Int32",
                                            "Dictionary<Int16, Utf8>"});
    std::remove(out.c_str());
  }
}
