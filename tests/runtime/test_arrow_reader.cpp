// Rekindle tests: the Arrow IPC snapshot reader against fixtures written by apache-arrow (JS):
// every value of every supported input type, file and stream formats, LZ4/ZSTD bodies, schema
// mismatches as errors, and hostile input (truncated and bit-flipped files) that must never crash.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "runtime/arrow_format/ipc_io.h"
#include "tests/runtime/test_arrow_util.h"

using nlohmann::json;

using namespace rk_arrow_test;

TEST_CASE("arrow reader: every input type, every value, file/stream/LZ4/ZSTD", "[arrow]") {
  const json expected = load_json("types.json");
  const rk::Schema schema = types_schema();
  for (const char* file : {"types.arrow", "types.arrows", "types_lz4.arrow", "types_zstd.arrows"}) {
    SECTION(file) {
      const ReadResult got = read_all(kDir + file, schema);
      check_all_values(got, schema, expected);
      const bool is_file = std::string(file).size() > 6 &&
                           std::string(file).substr(std::string(file).size() - 6) == ".arrow";
      CHECK(got.total_rows == (is_file ? 12 : -1));
    }
  }
}

TEST_CASE("arrow reader: int columns read as number/money/percent", "[arrow]") {
  using T = rk::FieldType;
  const rk::Schema schema =
      make_schema({field("i16", T::Money), field("u32", T::Percent), field("i64", T::Number)});
  const ReadResult got = read_all(kDir + "types.arrow", schema);
  REQUIRE_FALSE(got.error);
  const json expected = load_json("types.json");
  int64_t row = 0;
  for (const rk::Batch& b : got.batches) {
    for (size_t c = 0; c < 3; ++c) {
      const auto& want = expected["columns"][schema.fields[c].name];
      for (int64_t r = 0; r < b.num_rows; ++r) {
        const json& w = want[static_cast<size_t>(row + r)];
        if (w.is_null()) {
          CHECK_FALSE(rk::is_present(b.columns[c].validity, r));
        } else {
          CHECK(static_cast<const double*>(b.columns[c].values)[r] ==
                static_cast<double>(std::stoll(w.get<std::string>())));
        }
      }
    }
    row += b.num_rows;
  }
  CHECK(row == 12);
}

TEST_CASE("arrow reader: the playbook schema, every value", "[arrow]") {
  const json expected = load_json("customers.json");
  const rk::Schema schema = customer_schema();
  for (const char* file : {"customers.arrow", "customers.arrows"}) {
    SECTION(file) {
      const ReadResult got = read_all(kDir + file, schema);
      check_all_values(got, schema, expected);
      // The key column reads back through the batch's string accessor.
      REQUIRE(got.batches.size() == 2);
      CHECK(*got.batches[0].string_at(0, 2) == "Zoë");
      CHECK(*got.batches[0].string_at(0, 3) == "a,b");
    }
  }
}

TEST_CASE("arrow reader: schema mismatches are errors naming file and column", "[arrow]") {
  using T = rk::FieldType;
  const std::string path = kDir + "types.arrow";
  auto open_err = [&](const rk::Schema& s) {
    std::optional<rk::SnapshotError> err;
    auto r = rk::open_arrow_snapshot(path, s, rk::ReaderOptions{}, err);
    CHECK(r == nullptr);
    REQUIRE(err);
    return err->to_string();
  };
  CHECK(open_err(make_schema({field("i8", T::Int), field("nope", T::Int)})) ==
        path +
            ": column nope: missing from the snapshot (it has: i8, i16, i32, i64, u8, u16, u32, "
            "u64, f32, f64, b, s, ls, ds, ds8, d32, d64, ts_s, ts_ms, ts_us, ts_ns, l, ld, ll)");
  CHECK(open_err(make_schema({field("s", T::Int)})) ==
        path + ": column s: is utf8 in the snapshot but the schema says int");
  CHECK(open_err(make_schema({field("i32", T::Bool)})) ==
        path + ": column i32: is int32 in the snapshot but the schema says bool");
  CHECK(open_err(make_schema({field("b", T::Int)})) ==
        path + ": column b: is bool in the snapshot but the schema says int");
  CHECK(open_err(make_schema({field("f64", T::Int)})) ==
        path + ": column f64: is float64 in the snapshot but the schema says int");
  CHECK(open_err(make_schema({field("ds", T::Date)})) ==
        path + ": column ds: is dictionary<utf8> in the snapshot but the schema says date");
  CHECK(open_err(make_schema({field("l", T::String)})) ==
        path + ": column l: is list<utf8> in the snapshot but the schema says string");
}

TEST_CASE("arrow reader: data errors name the 1-based row", "[arrow]") {
  using T = rk::FieldType;
  {
    // i8 is null at record 3.
    const ReadResult got =
        read_all(kDir + "types.arrow", make_schema({field("i8", T::Int, false)}));
    REQUIRE(got.error);
    CHECK(got.error->to_string() ==
          kDir +
              "types.arrow:3: column i8: missing value, but the schema does not allow missing "
              "values");
  }
  {
    // ... and in the third batch only at record 11 (rows count across batches).
    const ReadResult got =
        read_all(kDir + "types.arrows", make_schema({field("u32", T::Int, false)}));
    REQUIRE(got.error);
    CHECK(got.error->row == 2);
  }
  {
    const ReadResult got =
        read_all(kDir + "customers_bad_enum.arrow",
                 make_schema({field("acquisition_channel", T::Enum, false, kChannels)}));
    REQUIRE(got.error);
    CHECK(got.error->to_string() ==
          kDir +
              "customers_bad_enum.arrow:14: column acquisition_channel: \"affiliate\" is not one "
              "of paid_social, organic_search, email, referral, direct");
  }
  {
    const ReadResult got =
        read_all(kDir + "u64_overflow.arrow", make_schema({field("n", T::Int, false)}));
    REQUIRE(got.error);
    CHECK(got.error->row == 2);
    CHECK(got.error->column == "n");
    CHECK(got.error->message.find("18446744073709551615") != std::string::npos);
  }
}

TEST_CASE("arrow reader: unreadable files are errors", "[arrow]") {
  const rk::Schema schema = make_schema({field("i8", rk::FieldType::Int)});
  std::optional<rk::SnapshotError> err;
  CHECK(rk::open_arrow_snapshot(kDir + "does_not_exist.arrow", schema, {}, err) == nullptr);
  REQUIRE(err);
  CHECK(err->file == kDir + "does_not_exist.arrow");
  const std::string empty = temp_path("empty.arrow");
  write_bytes(empty, "");
  err.reset();
  CHECK(rk::open_arrow_snapshot(empty, schema, {}, err) == nullptr);
  CHECK(err);
  const std::string text = temp_path("text.arrow");
  write_bytes(text, "customer_id,orders_total\nc1,3\n");
  err.reset();
  CHECK(rk::open_arrow_snapshot(text, schema, {}, err) == nullptr);
  CHECK(err);
  CHECK_FALSE(rk::looks_like_arrow(text));
  CHECK(rk::looks_like_arrow(kDir + "types.arrow"));
  CHECK(rk::looks_like_arrow(kDir + "types.arrows"));
}

TEST_CASE("arrow reader: infer_arrow_schema", "[arrow]") {
  std::optional<rk::SnapshotError> err;
  const auto s = rk::infer_arrow_schema(kDir + "customers.arrow", err);
  REQUIRE(s);
  CHECK_FALSE(err);
  const rk::Schema want = customer_schema();
  REQUIRE(s->fields.size() == want.fields.size());
  using T = rk::FieldType;
  auto type_of = [&](const char* name) { return s->fields.at(s->find(name)).type; };
  CHECK(type_of("customer_id") == T::String);
  CHECK(type_of("last_purchase_date") == T::Date);
  CHECK(type_of("last_engagement_date") == T::Date);  // a timestamp column
  CHECK(type_of("orders_total") == T::Int);
  CHECK(type_of("last_touch") == T::Int);  // uint8
  CHECK(type_of("avg_order_value") == T::Number);
  CHECK(type_of("is_subscriber") == T::Bool);
  CHECK(type_of("categories") == T::StringList);
  CHECK(type_of("acquisition_channel") == T::String);  // dictionary<utf8>
  CHECK(s->fields.at(s->find("gross_margin_pct")).nullable);
  const auto t = rk::infer_arrow_schema(kDir + "types.arrows", err);
  REQUIRE(t);
  CHECK(t->fields.at(t->find("ld")).type == T::StringList);
  CHECK(t->fields.at(t->find("ts_ns")).type == T::Date);
  CHECK(t->fields.at(t->find("f32")).type == T::Number);
}

// Hostile input: cut every fixture at every 1 KB boundary and a few odd offsets, and flip random
// bytes; every variant must read correctly or end in an error naming the file, never crash.
TEST_CASE("arrow reader: truncated and corrupted files never crash", "[arrow][fuzz]") {
  const std::string out = temp_path("hostile.arrow");
  int errors = 0, successes = 0;
  // Returns true when the read ended in an error. A successful read of a truncated file must be
  // a correct prefix of the expected values (`expected` non-null).
  auto try_read = [&](const std::string& bytes, const rk::Schema& schema, const json* expected) {
    write_bytes(out, bytes);
    const ReadResult got = read_all(out, schema);
    if (got.error) {
      ++errors;
      CHECK(got.error->file == out);
      CHECK_FALSE(got.error->message.empty());
      return true;
    }
    ++successes;
    // Touch every value so a bad pointer would be caught (under ASan).
    for (const rk::Batch& b : got.batches)
      for (size_t c = 0; c < schema.fields.size(); ++c)
        for (int64_t r = 0; r < b.num_rows; ++r) {
          const json v = value_at(b, c, r, schema.fields[c]);
          if (!expected) continue;
          json want = (*expected)["columns"][schema.fields[c].name].at(
              static_cast<size_t>(b.first_row + r));
          if (!want.is_null() && schema.fields[c].type == rk::FieldType::Int && want.is_number())
            want = std::to_string(want.get<int64_t>());
          CHECK(v == want);
        }
    return false;
  };
  std::mt19937 rng(20261122);
  struct Case {
    const char* file;
    rk::Schema schema;
    json expected;
  };
  const json types = load_json("types.json"), customers = load_json("customers.json");
  const std::vector<Case> cases = {{"types.arrow", types_schema(), types},
                                   {"types.arrows", types_schema(), types},
                                   {"types_lz4.arrow", types_schema(), types},
                                   {"types_zstd.arrows", types_schema(), types},
                                   {"customers.arrow", customer_schema(), customers},
                                   {"customers_legacy.arrows", customer_schema(), customers}};
  for (const Case& c : cases) {
    INFO(c.file);
    const std::string bytes = read_bytes(kDir + c.file);
    REQUIRE(bytes.size() > 1024);
    std::vector<size_t> cuts = {
        0, 1, 5, 7, 9, 13, 100, 333, bytes.size() - 1, bytes.size() - 7, bytes.size() - 11};
    for (size_t k = 1024; k < bytes.size(); k += 1024) cuts.push_back(k);
    for (size_t cut : cuts) {
      const bool failed = try_read(bytes.substr(0, cut), c.schema, &c.expected);
      const std::string f = c.file;
      INFO("cut at " << cut);
      if (f.substr(f.size() - 6) == ".arrow") CHECK(failed);  // no footer: always an error
    }
    for (int v = 0; v < 120; ++v) {
      std::string mutated = bytes;
      const int flips = 1 + static_cast<int>(rng() % 4);
      for (int i = 0; i < flips; ++i)
        mutated[rng() % mutated.size()] = static_cast<char>(rng() & 0xFF);
      try_read(mutated, c.schema, nullptr);
    }
  }
  INFO("errors " << errors << ", successes " << successes);
  CHECK(errors > 0);
  CHECK(successes > 0);
  std::remove(out.c_str());
}

TEST_CASE("arrow reader: legacy stream framing (no continuation marker)", "[arrow]") {
  const rk::Schema schema = customer_schema();
  check_all_values(read_all(kDir + "customers_legacy.arrows", schema), schema,
                   load_json("customers.json"));
  CHECK(rk::looks_like_arrow(kDir + "customers_legacy.arrows"));
}

TEST_CASE("arrow reader: delta and replacement dictionaries in a stream", "[arrow]") {
  const rk::Schema s = make_schema({field("v", rk::FieldType::String)});
  check_all_values(read_all(kDir + "dict_stream.arrows", s), s, load_json("dict_stream.json"));
  // The same column read as an enum maps every dictionary to ordinals.
  const rk::Schema e =
      make_schema({field("v", rk::FieldType::Enum, true, {"p", "q", "x", "y", "z"})});
  const ReadResult got = read_all(kDir + "dict_stream.arrows", e);
  REQUIRE_FALSE(got.error);
  REQUIRE(got.batches.size() == 2);
  CHECK(static_cast<const int32_t*>(got.batches[0].columns[0].values)[1] == 4);
  CHECK(static_cast<const int32_t*>(got.batches[1].columns[0].values)[0] == 1);
  const rk::Schema narrow = make_schema({field("v", rk::FieldType::Enum, true, {"x", "y", "z"})});
  const ReadResult bad = read_all(kDir + "dict_stream.arrows", narrow);
  REQUIRE(bad.error);
  CHECK(bad.error->to_string() ==
        kDir + "dict_stream.arrows:5: column v: \"q\" is not one of x, y, z");
}

// Fuzz finding (CI, fuzz_arrow): a stream whose first message says "Schema" but carries no
// schema table made the reader call through a null pointer. Also the same for a file footer
// block whose record batch message has no header.
TEST_CASE("arrow reader: a message of the right type with an empty header is an error",
          "[arrow][fuzz]") {
  namespace fb = rk::arrowfb;
  flatbuffers::FlatBufferBuilder b;
  fb::MessageBuilder mb(b);
  mb.add_version(fb::MetadataVersion::V5);
  mb.add_header_type(fb::MessageHeader::Schema);  // ... and no header table
  b.Finish(mb.Finish());
  std::string bytes;
  const uint32_t cont = rk::arrow_ipc::kContinuation;
  const int32_t len = static_cast<int32_t>(rk::arrow_ipc::pad8(b.GetSize()));
  bytes.append(reinterpret_cast<const char*>(&cont), 4);
  bytes.append(reinterpret_cast<const char*>(&len), 4);
  bytes.append(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
  bytes.resize(8 + static_cast<size_t>(len), '\0');
  const int32_t eos = 0;
  bytes.append(reinterpret_cast<const char*>(&cont), 4);
  bytes.append(reinterpret_cast<const char*>(&eos), 4);
  const std::string path =
      (std::filesystem::temp_directory_path() / "rk_empty_schema_header.arrows").string();
  {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
  }
  const ReadResult r = read_all(path, customer_schema());
  REQUIRE(r.error);
  CHECK_THAT(r.error->message, Catch::Contains("schema message is empty"));
  std::remove(path.c_str());
}

// Every input a fuzz target once crashed on (tests/fixtures/fuzz/arrow/, see
// docs/reliability.md) is read again, with its own inferred schema and with a fixed one. Under
// the sanitizer build (CI's second pass) a regression is a report, not just a wrong answer.
TEST_CASE("arrow reader: fuzz findings stay fixed", "[arrow][fuzz]") {
  const std::filesystem::path dir = std::string(RK_SOURCE_DIR) + "/tests/fixtures/fuzz/arrow";
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string path = entry.path().string();
    INFO(path);
    ++files;
    std::optional<rk::SnapshotError> ierr;
    if (const std::optional<rk::Schema> inferred = rk::infer_arrow_schema(path, ierr)) {
      const ReadResult r = read_all(path, *inferred);
      CHECK(r.error);  // every finding so far is a corrupt file
    } else {
      CHECK(ierr);
    }
    const ReadResult r = read_all(path, customer_schema());
    CHECK(r.error);
  }
  CHECK(files > 0);
}
