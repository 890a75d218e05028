// Rekindle tests: the Arrow IPC snapshot reader against fixtures written by apache-arrow (JS):
// every value of every supported input type, file and stream formats, LZ4/ZSTD bodies, schema
// mismatches as errors, and hostile input (truncated and bit-flipped files) that must never crash.
// utf8_view columns (polars' default) are tested on streams and files built here message by
// message with the flatc-generated classes, including hostile views.
#include <fmt/format.h>
#include <lz4frame.h>
#include <zstd.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <sstream>

#include "runtime/arrow_format/ipc_io.h"
#include "runtime/sha256.h"
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
            ": column nope: missing from the Arrow schema (it has 24 columns: i8, i16, i32, i64, "
            "u8, u16, u32, u64, ...)");
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
    CHECK(got.error->to_string() ==
          kDir +
              "u64_overflow.arrow:2: column n: value 18446744073709551615 does not fit in a "
              "64-bit int");
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

TEST_CASE("arrow reader: columns decoded in parallel read the same values and errors", "[arrow]") {
  // The fixtures cut short and with bytes flipped (as above), read with one decoding thread and
  // with three: every value and every error the same (an error in several columns is the first
  // column's, in schema order).
  const std::string out = temp_path("parallel.arrow");
  auto text = [](const ReadResult& r, const rk::Schema& schema) {
    std::string t = r.error ? r.error->to_string() : "ok";
    for (const rk::Batch& b : r.batches)
      for (size_t c = 0; c < schema.fields.size(); ++c)
        for (int64_t row = 0; row < b.num_rows; ++row)
          t += "|" + value_at(b, c, row, schema.fields[c]).dump();
    return t;
  };
  std::mt19937 rng(7);
  int errors = 0;
  for (const auto& [file, schema] :
       {std::pair{"types.arrow", types_schema()}, std::pair{"types_zstd.arrows", types_schema()},
        std::pair{"customers.arrow", customer_schema()}}) {
    const std::string bytes = read_bytes(kDir + file);
    for (int v = 0; v < 150; ++v) {
      std::string mutated = bytes;
      if (v > 0)
        for (int i = 0; i < 1 + static_cast<int>(rng() % 4); ++i)
          mutated[rng() % mutated.size()] = static_cast<char>(rng() & 0xFF);
      write_bytes(out, mutated);
      const ReadResult one = read_all(out, schema, 1), three = read_all(out, schema, 3);
      INFO(file << " variant " << v);
      CHECK(text(one, schema) == text(three, schema));
      errors += one.error.has_value();
    }
  }
  CHECK(errors > 0);
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

// ---- utf8_view (polars' default string layout), built here message by message ----------------

namespace {

namespace fb = rk::arrowfb;
using Strings = std::vector<std::optional<std::string>>;

// A field of a hand-built schema: utf8_view, utf8, int64, list or large_list (one child), or a
// dictionary<int32, utf8_view> when dict_id >= 0.
struct TField {
  TField(const char* name, fb::Type type = fb::Type::Utf8View, std::vector<TField> children = {},
         int64_t dict_id = -1)
      : name(name), type(type), children(std::move(children)), dict_id(dict_id) {}
  std::string name;
  fb::Type type;
  std::vector<TField> children;
  int64_t dict_id;
};

flatbuffers::Offset<fb::Field> build_tfield(flatbuffers::FlatBufferBuilder& b, const TField& f) {
  std::vector<flatbuffers::Offset<fb::Field>> kids;
  for (const TField& c : f.children) kids.push_back(build_tfield(b, c));
  flatbuffers::Offset<void> type;
  switch (f.type) {
    case fb::Type::Utf8View:
      type = fb::CreateUtf8View(b).Union();
      break;
    case fb::Type::BinaryView:
      type = fb::CreateBinaryView(b).Union();
      break;
    case fb::Type::Utf8:
      type = fb::CreateUtf8(b).Union();
      break;
    case fb::Type::Int:
      type = fb::CreateInt(b, 64, true).Union();
      break;
    case fb::Type::List:
      type = fb::CreateList(b).Union();
      break;
    case fb::Type::LargeList:
      type = fb::CreateLargeList(b).Union();
      break;
    default:
      FAIL("unsupported test field type");
  }
  flatbuffers::Offset<fb::DictionaryEncoding> dict = 0;
  if (f.dict_id >= 0) dict = fb::CreateDictionaryEncoding(b, f.dict_id, fb::CreateInt(b, 32, true));
  return fb::CreateField(b, b.CreateString(f.name), true, f.type, type, dict, b.CreateVector(kids));
}

flatbuffers::Offset<fb::Schema> build_tschema(flatbuffers::FlatBufferBuilder& b,
                                              const std::vector<TField>& fields) {
  std::vector<flatbuffers::Offset<fb::Field>> fs;
  for (const TField& f : fields) fs.push_back(build_tfield(b, f));
  return fb::CreateSchema(b, fb::Endianness::Little, b.CreateVector(fs));
}

// The nodes, buffers and variadic buffer counts of one record batch, uncompressed.
struct RawBatch {
  int64_t length = 0;
  std::vector<fb::FieldNode> nodes;
  std::vector<std::string> buffers;
  std::vector<int64_t> variadic;
};

std::string validity_of(const Strings& v) {
  std::string bits((v.size() + 7) / 8, '\0');
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i]) bits[i / 8] = static_cast<char>(bits[i / 8] | (1 << (i % 8)));
  return bits;
}

template <typename T>
void put(std::string& s, T v) {
  s.append(reinterpret_cast<const char*>(&v), sizeof(T));
}

// A utf8_view array: validity, views, then data buffers of at most `max_data` bytes each (a string
// longer than that gets a buffer of its own). Missing values get zeroed views.
void add_views(RawBatch& rb, const Strings& values, size_t max_data = 64) {
  int64_t nulls = 0;
  std::string views;
  std::vector<std::string> data(1);
  for (const auto& v : values) {
    if (!v) {
      ++nulls;
      views.append(16, '\0');
      continue;
    }
    const std::string& s = *v;
    put<int32_t>(views, static_cast<int32_t>(s.size()));
    if (s.size() <= 12) {
      std::string inl = s;
      inl.resize(12, '\0');
      views += inl;
      continue;
    }
    if (!data.back().empty() && data.back().size() + s.size() > max_data) data.emplace_back();
    views += s.substr(0, 4);
    put<int32_t>(views, static_cast<int32_t>(data.size() - 1));
    put<int32_t>(views, static_cast<int32_t>(data.back().size()));
    data.back() += s;
  }
  if (data.back().empty()) data.pop_back();
  rb.nodes.emplace_back(static_cast<int64_t>(values.size()), nulls);
  rb.buffers.push_back(nulls ? validity_of(values) : std::string());
  rb.buffers.push_back(views);
  rb.buffers.insert(rb.buffers.end(), data.begin(), data.end());
  rb.variadic.push_back(static_cast<int64_t>(data.size()));
}

// A list<utf8_view> (or large_list) array; a missing list is a missing row.
void add_view_list(RawBatch& rb, const std::vector<std::optional<Strings>>& lists, bool large,
                   size_t max_data = 64) {
  Strings flat;
  std::string offsets;
  int64_t nulls = 0;
  Strings present;  // for the validity bitmap
  auto put_off = [&](size_t o) {
    if (large)
      put<int64_t>(offsets, static_cast<int64_t>(o));
    else
      put<int32_t>(offsets, static_cast<int32_t>(o));
  };
  put_off(0);
  for (const auto& l : lists) {
    if (l)
      flat.insert(flat.end(), l->begin(), l->end());
    else
      ++nulls;
    present.push_back(l ? std::optional<std::string>("") : std::nullopt);
    put_off(flat.size());
  }
  rb.nodes.emplace_back(static_cast<int64_t>(lists.size()), nulls);
  rb.buffers.push_back(nulls ? validity_of(present) : std::string());
  rb.buffers.push_back(offsets);
  add_views(rb, flat, max_data);
}

void add_int64s(RawBatch& rb, const std::vector<int64_t>& values) {
  rb.nodes.emplace_back(static_cast<int64_t>(values.size()), 0);
  rb.buffers.emplace_back();
  std::string s;
  for (int64_t v : values) put<int64_t>(s, v);
  rb.buffers.push_back(s);
}

void add_int32s(RawBatch& rb, const std::vector<int32_t>& values) {
  rb.nodes.emplace_back(static_cast<int64_t>(values.size()), 0);
  rb.buffers.emplace_back();
  std::string s;
  for (int32_t v : values) put<int32_t>(s, v);
  rb.buffers.push_back(s);
}

enum class Codec { None, Lz4, Zstd };

// One encapsulated message (continuation, length, metadata padded to 8, body).
std::string encapsulate(flatbuffers::FlatBufferBuilder& b, const std::string& body,
                        int32_t* meta_len = nullptr) {
  std::string out;
  const auto padded = static_cast<int32_t>(rk::arrow_ipc::pad8(b.GetSize()));
  put<uint32_t>(out, rk::arrow_ipc::kContinuation);
  put<int32_t>(out, padded);
  out.append(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
  out.resize(8 + static_cast<size_t>(padded), '\0');
  if (meta_len) *meta_len = 8 + padded;
  return out + body;
}

std::string schema_message(const std::vector<TField>& fields) {
  flatbuffers::FlatBufferBuilder b;
  const auto schema = build_tschema(b, fields);
  b.Finish(
      fb::CreateMessage(b, fb::MetadataVersion::V5, fb::MessageHeader::Schema, schema.Union(), 0));
  return encapsulate(b, "");
}

// A record batch message (or, with dict_id >= 0, a dictionary batch) and its body; body buffers
// are compressed with `codec` (each prefixed by its uncompressed length, as Arrow does).
std::string batch_message(const RawBatch& rb, Codec codec = Codec::None, int64_t dict_id = -1,
                          int32_t* meta_len = nullptr, int64_t* body_len = nullptr) {
  std::string body;
  std::vector<fb::Buffer> bufs;
  for (const std::string& raw : rb.buffers) {
    std::string enc = raw;
    if (codec != Codec::None && !raw.empty()) {
      enc.clear();
      put<int64_t>(enc, static_cast<int64_t>(raw.size()));
      std::string z;
      if (codec == Codec::Lz4) {
        z.resize(LZ4F_compressFrameBound(raw.size(), nullptr));
        const size_t n = LZ4F_compressFrame(z.data(), z.size(), raw.data(), raw.size(), nullptr);
        REQUIRE_FALSE(LZ4F_isError(n));
        z.resize(n);
      } else {
        z.resize(ZSTD_compressBound(raw.size()));
        const size_t n = ZSTD_compress(z.data(), z.size(), raw.data(), raw.size(), 3);
        REQUIRE_FALSE(ZSTD_isError(n));
        z.resize(n);
      }
      enc += z;
    }
    bufs.emplace_back(static_cast<int64_t>(body.size()), static_cast<int64_t>(enc.size()));
    body += enc;
    body.resize(static_cast<size_t>(rk::arrow_ipc::pad8(static_cast<int64_t>(body.size()))), '\0');
  }
  flatbuffers::FlatBufferBuilder b;
  flatbuffers::Offset<fb::BodyCompression> comp = 0;
  if (codec != Codec::None)
    comp = fb::CreateBodyCompression(
        b, codec == Codec::Lz4 ? fb::CompressionType::LZ4_FRAME : fb::CompressionType::ZSTD);
  const auto rec = fb::CreateRecordBatch(b, rb.length, b.CreateVectorOfStructs(rb.nodes),
                                         b.CreateVectorOfStructs(bufs), comp,
                                         rb.variadic.empty() ? 0 : b.CreateVector(rb.variadic));
  if (dict_id >= 0) {
    const auto db = fb::CreateDictionaryBatch(b, dict_id, rec);
    b.Finish(fb::CreateMessage(b, fb::MetadataVersion::V5, fb::MessageHeader::DictionaryBatch,
                               db.Union(), static_cast<int64_t>(body.size())));
  } else {
    b.Finish(fb::CreateMessage(b, fb::MetadataVersion::V5, fb::MessageHeader::RecordBatch,
                               rec.Union(), static_cast<int64_t>(body.size())));
  }
  if (body_len) *body_len = static_cast<int64_t>(body.size());
  return encapsulate(b, body, meta_len);
}

// An Arrow IPC stream of `dicts` (dictionary batches: id and data) then `batches`.
std::string view_stream(const std::vector<TField>& fields, const std::vector<RawBatch>& batches,
                        Codec codec = Codec::None,
                        const std::vector<std::pair<int64_t, RawBatch>>& dicts = {}) {
  std::string out = schema_message(fields);
  for (const auto& [id, d] : dicts) out += batch_message(d, codec, id);
  for (const RawBatch& rb : batches) out += batch_message(rb, codec);
  put<uint32_t>(out, rk::arrow_ipc::kContinuation);
  put<int32_t>(out, 0);
  return out;
}

// The same as an Arrow IPC file (magic, messages, footer with the blocks).
std::string view_file(const std::vector<TField>& fields, const std::vector<RawBatch>& batches,
                      Codec codec = Codec::None,
                      const std::vector<std::pair<int64_t, RawBatch>>& dicts = {}) {
  std::string out("ARROW1\0\0", 8);
  out += schema_message(fields);
  std::vector<fb::Block> dblocks, rblocks;
  auto append = [&](const RawBatch& rb, int64_t id, std::vector<fb::Block>& blocks) {
    int32_t meta = 0;
    int64_t body = 0;
    const std::string msg = batch_message(rb, codec, id, &meta, &body);
    blocks.emplace_back(static_cast<int64_t>(out.size()), meta, body);
    out += msg;
  };
  for (const auto& [id, d] : dicts) append(d, id, dblocks);
  for (const RawBatch& rb : batches) append(rb, -1, rblocks);
  put<uint32_t>(out, rk::arrow_ipc::kContinuation);
  put<int32_t>(out, 0);
  flatbuffers::FlatBufferBuilder b;
  const auto schema = build_tschema(b, fields);
  b.Finish(fb::CreateFooter(b, fb::MetadataVersion::V5, schema, b.CreateVectorOfStructs(dblocks),
                            b.CreateVectorOfStructs(rblocks)));
  out.append(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
  put<int32_t>(out, static_cast<int32_t>(b.GetSize()));
  out.append("ARROW1", 6);
  return out;
}

ReadResult read_bytes_as(const std::string& bytes, const std::string& name,
                         const rk::Schema& schema) {
  const std::string path = temp_path(name);
  write_bytes(path, bytes);
  ReadResult r = read_all(path, schema);
  std::remove(path.c_str());
  return r;
}

// The test data: two record batches of id (utf8_view: inline, exactly 12 and 13 bytes, long,
// non-ASCII, empty, repeated), channel (utf8_view read as an enum), note (utf8_view with
// missing values), n (int64, after the view columns), tags (list<utf8_view>) and ltags
// (large_list<utf8_view>).
const std::vector<TField> kViewFields = {
    {"id"},
    {"channel"},
    {"note"},
    {"n", fb::Type::Int},
    {"tags", fb::Type::List, {{"item"}}},
    {"ltags", fb::Type::LargeList, {{"item"}}},
};

const std::vector<Strings> kIds = {
    {"c1", "twelve_bytes", "thirteen_byte", "a customer id well beyond twelve bytes", "",
     "Zoë Ünïcødé 顧客 with a long tail", "a customer id well beyond twelve bytes"},
    {"顧客", "another rather long identifier, long enough for its own data buffer..............",
     "c9"}};
const std::vector<Strings> kChannelValues = {
    {"email", "organic_search", "paid_social", "organic_search", "direct", "referral", "email"},
    {"organic_search", "direct", "paid_social"}};
const std::vector<Strings> kNotes = {
    {std::nullopt, "short", "a note that is definitely out of line", std::nullopt, "", std::nullopt,
     "x"},
    {std::nullopt, std::nullopt, "another out-of-line note"}};
const std::vector<std::vector<int64_t>> kNs = {{1, 2, 3, 4, 5, 6, 7}, {8, 9, 10}};
using Lists = std::vector<std::optional<Strings>>;
const std::vector<Lists> kTags = {
    {Strings{"apparel", "electronics and gadgets"}, Strings{}, std::nullopt,
     Strings{"home", std::nullopt, "kitchen appliances"}, Strings{"books"},
     Strings{"electronics and gadgets", "electronics and gadgets"}, Strings{"toys"}},
    {Strings{"garden furniture and tools"}, std::nullopt, Strings{"beauty", "apparel"}}};

std::vector<RawBatch> view_batches(size_t max_data) {
  std::vector<RawBatch> out;
  for (size_t k = 0; k < 2; ++k) {
    RawBatch rb;
    rb.length = static_cast<int64_t>(kIds[k].size());
    add_views(rb, kIds[k], max_data);
    add_views(rb, kChannelValues[k], max_data);
    add_views(rb, kNotes[k], max_data);
    add_int64s(rb, kNs[k]);
    add_view_list(rb, kTags[k], false, max_data);
    add_view_list(rb, kTags[k], true, max_data);
    out.push_back(rb);
  }
  return out;
}

rk::Schema view_schema() {
  using T = rk::FieldType;
  return make_schema({field("id", T::String), field("channel", T::Enum, false, kChannels),
                      field("note", T::String), field("n", T::Int), field("tags", T::StringList),
                      field("ltags", T::StringList)});
}

void check_view_values(const ReadResult& got) {
  INFO((got.error ? got.error->to_string() : std::string("no error")));
  REQUIRE_FALSE(got.error);
  REQUIRE(got.batches.size() == 2);
  const rk::Schema schema = view_schema();
  int64_t first = 0;
  for (size_t k = 0; k < 2; ++k) {
    const rk::Batch& b = got.batches[k];
    INFO("batch " << k);
    REQUIRE(b.num_rows == static_cast<int64_t>(kIds[k].size()));
    CHECK(b.first_row == first);
    for (int64_t r = 0; r < b.num_rows; ++r) {
      const auto i = static_cast<size_t>(r);
      INFO("row " << r);
      CHECK(value_at(b, 0, r, schema.fields[0]) == json(*kIds[k][i]));
      CHECK(value_at(b, 1, r, schema.fields[1]) == json(*kChannelValues[k][i]));
      CHECK(value_at(b, 2, r, schema.fields[2]) ==
            (kNotes[k][i] ? json(*kNotes[k][i]) : json(nullptr)));
      CHECK(value_at(b, 3, r, schema.fields[3]) == json(std::to_string(kNs[k][i])));
      json want = nullptr;
      if (kTags[k][i]) {
        want = json::array();
        for (const auto& t : *kTags[k][i])
          if (t) want.push_back(*t);  // missing items are dropped
      }
      for (size_t c : {size_t{4}, size_t{5}}) {
        if (want.is_null())
          CHECK_FALSE(rk::is_present(b.columns[c].validity, r));
        else
          CHECK(value_at(b, c, r, schema.fields[c]) == want);
      }
    }
    first += b.num_rows;
  }
  // Strings are interned per batch: the repeated long id has one code.
  const RkColumn& ids = got.batches[0].columns[0];
  CHECK(ids.encoding == RK_STR_DICT);
  const auto* codes = static_cast<const int32_t*>(ids.values);
  CHECK(codes[3] == codes[6]);
  CHECK(static_cast<const rk::StringDict*>(ids.dict)->entries.size() == 6);
}

// Rewrites the views of `rb`'s array whose views buffer is buffer `views_buf`: view `i` gets
// the given int32 words (length, then prefix/inline bytes, buffer index, offset).
void poke_view(RawBatch& rb, size_t views_buf, size_t i, size_t word, int32_t v) {
  std::memcpy(rb.buffers[views_buf].data() + i * 16 + word * 4, &v, 4);
}

}  // namespace

TEST_CASE("arrow reader: utf8_view columns, every value (stream/file, LZ4, ZSTD)", "[arrow]") {
  const rk::Schema schema = view_schema();
  for (size_t max_data : {size_t{16}, size_t{1 << 20}}) {
    const auto batches = view_batches(max_data);
    INFO("max data buffer " << max_data);
    if (max_data == 16) CHECK(batches[0].variadic[0] >= 3);  // several data buffers
    CHECK(batches[0].variadic[2] == 1);
    for (Codec codec : {Codec::None, Codec::Lz4, Codec::Zstd}) {
      INFO("codec " << static_cast<int>(codec));
      check_view_values(
          read_bytes_as(view_stream(kViewFields, batches, codec), "v.arrows", schema));
      const ReadResult file =
          read_bytes_as(view_file(kViewFields, batches, codec), "v.arrow", schema);
      check_view_values(file);
      CHECK(file.total_rows == 10);
    }
  }
}

TEST_CASE("arrow reader: a utf8_view column of inline strings only has no data buffers",
          "[arrow]") {
  RawBatch rb;
  rb.length = 4;
  add_views(rb, {"a", std::nullopt, "twelve_bytes", ""});
  REQUIRE(rb.variadic == std::vector<int64_t>{0});
  REQUIRE(rb.buffers.size() == 2);
  const rk::Schema s = make_schema({field("s", rk::FieldType::String)});
  const ReadResult got = read_bytes_as(view_stream({{"s"}}, {rb}), "inline.arrows", s);
  REQUIRE_FALSE(got.error);
  REQUIRE(got.batches.size() == 1);
  const rk::Batch& b = got.batches[0];
  CHECK(*b.string_at(0, 0) == "a");
  CHECK_FALSE(b.string_at(0, 1));
  CHECK(*b.string_at(0, 2) == "twelve_bytes");
  CHECK(*b.string_at(0, 3) == "");
}

TEST_CASE("arrow reader: dictionary<utf8_view>", "[arrow]") {
  const std::vector<TField> fields = {{"v", fb::Type::Utf8View, {}, 3}};
  RawBatch dict;
  dict.length = 4;
  add_views(dict, {"email", std::nullopt, "a channel name longer than twelve", "ü"}, 16);
  RawBatch rb;
  rb.length = 5;
  add_int32s(rb, {2, 0, 3, 2, 0});
  using T = rk::FieldType;
  const rk::Schema s = make_schema({field("v", T::String)});
  for (Codec codec : {Codec::None, Codec::Lz4}) {
    for (bool file : {false, true}) {
      const std::string bytes = file ? view_file(fields, {rb}, codec, {{3, dict}})
                                     : view_stream(fields, {rb}, codec, {{3, dict}});
      const ReadResult got = read_bytes_as(bytes, "d.arrow", s);
      INFO((got.error ? got.error->to_string() : std::string("no error")));
      REQUIRE_FALSE(got.error);
      REQUIRE(got.batches.size() == 1);
      const rk::Batch& b = got.batches[0];
      const std::vector<std::string> want = {"a channel name longer than twelve", "email", "ü",
                                             "a channel name longer than twelve", "email"};
      for (int64_t r = 0; r < 5; ++r) CHECK(*b.string_at(0, r) == want[static_cast<size_t>(r)]);
    }
  }
  // Read as an enum.
  const rk::Schema e = make_schema(
      {field("v", T::Enum, false, {"email", "ü", "a channel name longer than twelve"})});
  const ReadResult got =
      read_bytes_as(view_stream(fields, {rb}, Codec::None, {{3, dict}}), "d.arrows", e);
  REQUIRE_FALSE(got.error);
  CHECK(value_at(got.batches[0], 0, 2, e.fields[0]) == "ü");
  // A corrupt view in the dictionary is an error naming the column and the entry.
  RawBatch bad = dict;
  poke_view(bad, 1, 2, 2, 7);  // data buffer 7 of 2
  const ReadResult err =
      read_bytes_as(view_stream(fields, {rb}, Codec::None, {{3, bad}}), "d.arrows", s);
  REQUIRE(err.error);
  CHECK(err.error->column == "v");
  CHECK(err.error->message ==
        "dictionary (id 3) entry 2: string view refers to data buffer 7, but the column has 1");
  // Invalid UTF-8 in a dictionary entry.
  bad = dict;
  bad.buffers[1][4] = '\xff';  // "email" -> "\xffmail"
  const ReadResult utf =
      read_bytes_as(view_stream(fields, {rb}, Codec::None, {{3, bad}}), "d.arrows", s);
  REQUIRE(utf.error);
  CHECK(utf.error->message ==
        "dictionary (id 3) entry 0: invalid UTF-8 (byte 0xff at byte 1 of the value)");
}

TEST_CASE("arrow reader: a bad dictionary index inside a list names the record's row", "[arrow]") {
  // list<dictionary<int32, utf8_view>>: three rows holding 2, 0 and 3 items; item 2 of row 3 (the
  // 4th element of the flat child array) points past the 2-entry dictionary.
  const std::vector<TField> fields = {
      {"tags", fb::Type::List, {TField("item", fb::Type::Utf8View, {}, 5)}}};
  RawBatch dict;
  dict.length = 2;
  add_views(dict, {"home", "garden"});
  RawBatch rb;
  rb.length = 3;
  rb.nodes.emplace_back(3, 0);
  rb.buffers.emplace_back();
  std::string offsets;
  for (int32_t o : {0, 2, 2, 5}) put<int32_t>(offsets, o);
  rb.buffers.push_back(offsets);
  add_int32s(rb, {0, 1, 1, 9, 0});
  using T = rk::FieldType;
  const rk::Schema s = make_schema({field("tags", T::StringList)});
  const ReadResult got =
      read_bytes_as(view_stream(fields, {rb}, Codec::None, {{5, dict}}), "l.arrows", s);
  REQUIRE(got.error);
  CHECK(got.error->row == 3);
  CHECK(got.error->column == "tags");
  CHECK(got.error->message.find("list item 2: dictionary index 9 is outside the dictionary (2 "
                                "entries)") != std::string::npos);
}

TEST_CASE("arrow reader: invalid UTF-8 in a utf8 column is an error naming the row", "[arrow]") {
  const std::vector<TField> fields = {{"id", fb::Type::Utf8}};
  auto batch = [](const std::vector<std::string>& values) {
    RawBatch rb;
    rb.length = static_cast<int64_t>(values.size());
    rb.nodes.emplace_back(rb.length, 0);
    rb.buffers.emplace_back();
    std::string offsets, data;
    put<int32_t>(offsets, 0);
    for (const std::string& v : values) {
      data += v;
      put<int32_t>(offsets, static_cast<int32_t>(data.size()));
    }
    rb.buffers.push_back(offsets);
    rb.buffers.push_back(data);
    return rb;
  };
  using T = rk::FieldType;
  const rk::Schema s = make_schema({field("id", T::String)});
  // ASCII and valid multi-byte text reads; a lone continuation byte in row 2 of the second
  // record batch (snapshot row 5) is an error.
  const ReadResult ok =
      read_bytes_as(view_stream(fields, {batch({"a", "Zo\xc3\xab", "\xe9\xa1\xa7"})}, Codec::None),
                    "u.arrows", s);
  INFO((ok.error ? ok.error->to_string() : std::string("no error")));
  REQUIRE_FALSE(ok.error);
  CHECK(*ok.batches[0].string_at(0, 1) == "Zo\xc3\xab");
  const ReadResult bad = read_bytes_as(view_stream(fields,
                                                   {batch({"a", "b", "c"}), batch({"d",
                                                                                   "e\x80"
                                                                                   "f"})},
                                                   Codec::None),
                                       "u.arrows", s);
  REQUIRE(bad.error);
  CHECK(bad.error->row == 5);
  CHECK(bad.error->column == "id");
  CHECK(bad.error->message == "record batch 2: invalid UTF-8 (byte 0x80 at byte 2 of the value)");
  // A character split between two values: the column's bytes together are valid UTF-8, each
  // value is not.
  const ReadResult split = read_bytes_as(
      view_stream(fields, {batch({"ok", "Zo\xc3", "\xab"})}, Codec::None), "u.arrows", s);
  REQUIRE(split.error);
  CHECK(split.error->row == 2);
  CHECK(split.error->message == "record batch 1: invalid UTF-8 (byte 0xc3 at byte 3 of the value)");
}

TEST_CASE("arrow reader: utf8_view in rekindle schema and in type errors", "[arrow]") {
  std::vector<TField> fields = kViewFields;
  fields.push_back({"d", fb::Type::Utf8View, {}, 1});
  fields.push_back({"bin", fb::Type::BinaryView});
  const std::string path = temp_path("infer_view.arrows");
  write_bytes(path, view_stream(fields, {}));
  std::optional<rk::SnapshotError> err;
  using T = rk::FieldType;
  {
    // Without the binary_view column, every column has a schema type.
    std::vector<TField> ok(fields.begin(), fields.end() - 1);
    const std::string p2 = temp_path("infer_view2.arrows");
    write_bytes(p2, view_stream(ok, {}));
    const auto s = rk::infer_arrow_schema(p2, err);
    INFO((err ? err->to_string() : std::string("no error")));
    REQUIRE(s);
    auto type_of = [&](const char* name) { return s->fields.at(s->find(name)).type; };
    CHECK(type_of("id") == T::String);
    CHECK(type_of("channel") == T::String);
    CHECK(type_of("n") == T::Int);
    CHECK(type_of("tags") == T::StringList);
    CHECK(type_of("ltags") == T::StringList);
    CHECK(type_of("d") == T::String);
    std::remove(p2.c_str());
  }
  CHECK_FALSE(rk::infer_arrow_schema(path, err));
  REQUIRE(err);
  CHECK(err->to_string() ==
        path + ": column bin: has type binary_view, which has no schema field type");
  auto open_err = [&](const rk::Schema& s) {
    std::optional<rk::SnapshotError> e;
    CHECK(rk::open_arrow_snapshot(path, s, rk::ReaderOptions{}, e) == nullptr);
    REQUIRE(e);
    return e->to_string();
  };
  CHECK(open_err(make_schema({field("id", T::Int)})) ==
        path + ": column id: is utf8_view in the snapshot but the schema says int");
  CHECK(open_err(make_schema({field("bin", T::String)})) ==
        path + ": column bin: is binary_view in the snapshot but the schema says string");
  CHECK(open_err(make_schema({field("tags", T::String)})) ==
        path + ": column tags: is list<utf8_view> in the snapshot but the schema says string");
  std::remove(path.c_str());
}

TEST_CASE("arrow reader: hostile utf8_view data is an error, never a crash", "[arrow][fuzz]") {
  const rk::Schema schema = view_schema();
  // Buffers of a view batch: id 0 validity, 1 views, 2.. data; then channel, note, n, tags.
  auto layout = [](const RawBatch& rb, size_t column) {
    size_t buf = 0;
    for (size_t c = 0; c < column; ++c) buf += 2 + static_cast<size_t>(rb.variadic[c]);
    return buf;  // validity of `column` (a view column among the first three)
  };
  auto read = [&](const std::vector<RawBatch>& batches) {
    return read_bytes_as(view_stream(kViewFields, batches), "hostile_view.arrows", schema);
  };
  auto expect = [&](const std::vector<RawBatch>& batches, int64_t row, const std::string& column,
                    const std::string& message) {
    const ReadResult got = read(batches);
    REQUIRE(got.error);
    CHECK(got.error->file == temp_path("hostile_view.arrows"));
    CHECK(got.error->row == row);
    CHECK(got.error->column == column);
    CHECK(got.error->message == message);
  };
  const auto good = view_batches(16);
  {
    auto b = good;  // row 4 of batch 1 ("a customer id ...") refers to a missing data buffer
    poke_view(b[0], layout(b[0], 0) + 1, 3, 2, 99);
    expect(
        b, 4, "id",
        fmt::format("record batch 1: string view refers to data buffer 99, but the column has {}",
                    good[0].variadic[0]));
  }
  {
    auto b = good;
    poke_view(b[0], layout(b[0], 0) + 1, 3, 2, -1);
    expect(
        b, 4, "id",
        fmt::format("record batch 1: string view refers to data buffer -1, but the column has {}",
                    good[0].variadic[0]));
  }
  {
    auto b = good;  // offset past the end of its data buffer (batch 2, row 2 -> snapshot row 9)
    const size_t views = layout(b[1], 0) + 1;
    int32_t index = 0;
    std::memcpy(&index, b[1].buffers[views].data() + 16 + 8, 4);
    const size_t size = b[1].buffers[views + 1 + static_cast<size_t>(index)].size();
    poke_view(b[1], views, 1, 3, static_cast<int32_t>(size) - 3);
    expect(b, 9, "id",
           fmt::format("record batch 2: string view (offset {}, length {}) lies outside data "
                       "buffer {} ({} bytes)",
                       size - 3, kIds[1][1]->size(), index, size));
    poke_view(b[1], views, 1, 3, INT32_MAX);  // offset + length overflows int32
    const ReadResult got = read(b);
    REQUIRE(got.error);
    CHECK_THAT(got.error->message, Catch::Contains("lies outside data buffer"));
  }
  {
    auto b = good;  // negative length
    poke_view(b[0], layout(b[0], 1) + 1, 2, 0, -5);
    expect(b, 3, "channel", "record batch 1: string view with a negative length (-5)");
    poke_view(b[0], layout(b[0], 1) + 1, 2, 0, INT32_MIN);
    expect(b, 3, "channel", "record batch 1: string view with a negative length (-2147483648)");
  }
  {
    auto b = good;  // the prefix does not match the data
    b[0].buffers[layout(b[0], 0) + 1][3 * 16 + 5] = 'X';
    expect(b, 4, "id",
           "record batch 1: string view prefix differs from the string in its data buffer");
  }
  {
    auto b = good;  // invalid UTF-8, inline ("short" -> "sh\xC3rt": a cut sequence)
    b[0].buffers[layout(b[0], 2) + 1][1 * 16 + 4 + 2] = '\xC3';
    expect(b, 2, "note", "record batch 1: invalid UTF-8 (byte 0xc3 at byte 3 of the value)");
  }
  {
    auto b = good;  // invalid UTF-8 out of line: an overlong encoding in a data buffer
    const size_t views = layout(b[0], 2) + 1;
    int32_t index = 0, offset = 0;
    std::memcpy(&index, b[0].buffers[views].data() + 2 * 16 + 8, 4);
    std::memcpy(&offset, b[0].buffers[views].data() + 2 * 16 + 12, 4);
    std::string& data = b[0].buffers[views + 1 + static_cast<size_t>(index)];
    data[static_cast<size_t>(offset) + 20] = '\xC0';
    data[static_cast<size_t>(offset) + 21] = '\xAF';
    expect(b, 3, "note", "record batch 1: invalid UTF-8 (byte 0xc0 at byte 21 of the value)");
  }
  {
    auto b = good;  // a garbage view at a missing row is never looked at
    poke_view(b[0], layout(b[0], 2) + 1, 0, 0, -7);
    poke_view(b[0], layout(b[0], 2) + 1, 3, 0, 100);
    poke_view(b[0], layout(b[0], 2) + 1, 3, 2, 1000);
    check_view_values(read(b));
  }
  {
    // A list item's bad view names the row holding it and its place in the list: batch 2's
    // third list ("beauty", "apparel") is snapshot row 10; "apparel" is item 2.
    auto b = good;
    size_t views = 0;
    for (size_t c = 0; c < 3; ++c) views += 2 + static_cast<size_t>(b[1].variadic[c]);
    views += 2;      // n: validity, values
    views += 2 + 1;  // tags: validity, offsets; the child's validity; then its views
    poke_view(b[1], views, 2, 0, -1);
    expect(b, 10, "tags", "record batch 2: list item 2: string view with a negative length (-1)");
  }
  {
    auto b = good;  // variadicBufferCounts: missing, too short, negative, too large
    b[0].variadic.clear();
    expect(b, 0, "",
           "record batch 1: cannot lay out the record batch: variadicBufferCounts has 0 entries, "
           "too few for the view columns");
    b = good;
    b[1].variadic.pop_back();
    expect(b, 0, "",
           "record batch 2: cannot lay out the record batch: variadicBufferCounts has 4 entries, "
           "too few for the view columns");
    b = good;
    b[0].variadic[1] = -2;
    expect(b, 0, "",
           "record batch 1: cannot lay out the record batch: corrupt variadic buffer count -2");
    b = good;
    b[0].variadic.back() += 1000;  // claims more buffers than the batch has
    expect(b, 0, "", "record batch 1: fewer buffers than the schema needs");
    b = good;
    b[0].variadic[0] -= 1;  // one data buffer fewer: the last long id's buffer index is too large
    const ReadResult got = read(b);
    REQUIRE(got.error);
    CHECK(got.error->column == "id");
  }
  {
    auto b = good;  // a views buffer shorter than the column
    b[0].buffers[layout(b[0], 1) + 1].resize(16 * 6);
    expect(b, 0, "channel",
           "record batch 1: views buffer (96 bytes) shorter than the column (7 views)");
  }
  // Random damage to the whole stream and file, compressed or not: an error or a correct
  // read, never a crash (ASan in CI).
  std::mt19937 rng(7001);
  int errors = 0;
  for (Codec codec : {Codec::None, Codec::Lz4}) {
    for (const std::string& bytes :
         {view_stream(kViewFields, good, codec), view_file(kViewFields, good, codec)}) {
      for (int v = 0; v < 300; ++v) {
        std::string mutated = bytes;
        if (v % 10 == 0) {
          mutated.resize(rng() % bytes.size());
        } else {
          const int flips = 1 + static_cast<int>(rng() % 4);
          for (int i = 0; i < flips; ++i)
            mutated[rng() % mutated.size()] = static_cast<char>(rng() & 0xFF);
        }
        const ReadResult got = read_bytes_as(mutated, "hostile_view_fuzz.arrow", schema);
        if (got.error) {
          ++errors;
          CHECK_FALSE(got.error->message.empty());
          continue;
        }
        for (const rk::Batch& b : got.batches)
          for (size_t c = 0; c < schema.fields.size(); ++c)
            for (int64_t r = 0; r < b.num_rows; ++r) (void)value_at(b, c, r, schema.fields[c]);
      }
    }
  }
  CHECK(errors > 0);
}

TEST_CASE("arrow reader: a field name given twice is an error naming both columns", "[arrow]") {
  // Like a CSV header: never "the first one wins" (column_match.h).
  const rk::Schema schema = make_schema({field("id", rk::FieldType::String, false)});
  for (const std::string& bytes :
       {view_stream({TField("id", fb::Type::Utf8), TField("n", fb::Type::Int),
                     TField("id", fb::Type::Utf8)},
                    {}),
        view_file({TField("id", fb::Type::Utf8), TField("id", fb::Type::Utf8)}, {})}) {
    const ReadResult got = read_bytes_as(bytes, "twice.arrow", schema);
    REQUIRE(got.error);
    CHECK(got.error->column == "id");
    CHECK(got.error->message.rfind("appears more than once in the Arrow schema (columns 1 and ",
                                   0) == 0);
  }
}

TEST_CASE("arrow reader: the snapshot's SHA-256 covers the whole file, or is skipped", "[arrow]") {
  const rk::Schema schema = customer_schema();
  for (const char* name : {"customers.arrow", "customers.arrows"}) {
    SECTION(name) {
      const std::string path = kDir + name;
      std::ifstream in(path, std::ios::binary);
      const std::string bytes((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
      REQUIRE_FALSE(bytes.empty());
      rk::Sha256 expect;
      expect.update(bytes.data(), bytes.size());
      const std::string digest = expect.hex();
      for (const bool fingerprint : {true, false}) {
        std::optional<rk::SnapshotError> err;
        rk::ReaderOptions ro;
        ro.fingerprint = fingerprint;
        auto reader = rk::open_arrow_snapshot(path, schema, ro, err);
        REQUIRE(reader);
        CHECK(reader->sha256().empty());  // not read to its end yet
        rk::Batch b;
        while (reader->next(b)) {
        }
        REQUIRE_FALSE(reader->error());
        CHECK(reader->bytes_read() == static_cast<int64_t>(bytes.size()));
        CHECK(reader->sha256() == (fingerprint ? digest : ""));
      }
      // A reader dropped before its end (a failed run) does not wait for the digest.
      std::optional<rk::SnapshotError> err;
      auto reader = rk::open_arrow_snapshot(path, schema, rk::ReaderOptions{}, err);
      REQUIRE(reader);
      reader.reset();
    }
  }
}
