// Tests of the template renderer (runtime/template_render.h) against winback-program.md sections
// 5 and 9: fallbacks for missing, empty strings and empty lists; one-pass substitution; values as
// the CSV writer writes them except money ($84.50) and lists (", "); offers in words; no CSV
// quoting; non-ASCII; every value source (snapshot field, coded output, typed column); binding
// errors; and appending into a reused buffer.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "base/date.h"
#include "compiler/ir/message_template.h"
#include "runtime/batch_builder.h"
#include "runtime/csv_writer.h"
#include "runtime/template_render.h"

using namespace rk;

namespace {

Schema render_schema() {
  Schema s;
  s.name = "t";
  s.fields = {
      {"customer_id", FieldType::String, false, true, {}},
      {"first_name", FieldType::String, true, false, {}},
      {"last_purchase_date", FieldType::Date, true, false, {}},
      {"avg_order_value", FieldType::Money, true, false, {}},
      {"categories", FieldType::StringList, true, false, {}},
      {"margin", FieldType::Percent, true, false, {}},
      {"orders", FieldType::Int, true, false, {}},
      {"subscriber", FieldType::Bool, true, false, {}},
      {"tier", FieldType::Enum, true, false, {"gold", "silver"}},
      {"ratio", FieldType::Number, true, false, {}},
  };
  s.key_field = 0;
  return s;
}

// A batch of rows given as {field: value}; unset fields are missing.
Batch make_batch(const Schema& s,
                 const std::vector<std::vector<std::pair<std::string, FieldValue>>>& rows) {
  BatchBuilder b(s);
  std::string err;
  for (const auto& row : rows) {
    const size_t r = b.add_row();
    REQUIRE(b.set(r, "customer_id", FieldValue::of_text(std::to_string(r)), err));
    for (const auto& [name, v] : row) {
      INFO(name);
      REQUIRE(b.set(r, name, v, err));
    }
  }
  auto batch = b.build(err);
  INFO(err);
  REQUIRE(batch);
  return std::move(*batch);
}

int32_t date(int y, unsigned m, unsigned d) {
  return static_cast<int32_t>(days_from_civil(y, m, d));
}

// Outputs of a fake kernel: output 0 is a segment family's label (fashion, home), output 1 the
// touch's offer (none, credit 20, discount 15%).
struct Outputs {
  std::vector<int8_t> affinity, offer;
  std::vector<const int8_t*> ptrs;
  Outputs(std::vector<int8_t> a, std::vector<int8_t> o)
      : affinity(std::move(a)), offer(std::move(o)) {
    ptrs = {affinity.data(), offer.data()};
  }
};

std::vector<std::string> offer_words(const std::vector<std::string>& offers) {
  std::vector<std::string> words;
  words.reserve(offers.size());
  for (const auto& o : offers) words.push_back(*ir::offer_in_words(o));
  return words;
}

// Binds `text` with the schema's fields by name, `affinity` and `offer` as coded outputs and
// `score` as typed column 0.
TemplateRenderer bind_template(const Schema& s, std::string_view text, int* lookups = nullptr) {
  ir::MessageTemplate t;
  const auto perr = ir::parse_message_template(text, t);
  REQUIRE_FALSE(perr);
  TemplateRenderer r;
  std::string err;
  const bool ok = r.bind(
      t,
      [&](std::string_view name) -> std::optional<TemplateValue> {
        if (lookups) ++*lookups;
        if (name == "affinity") return TemplateValue::coded(0, {"fashion", "home"});
        if (name == "offer")
          return TemplateValue::coded(1, offer_words({"none", "credit 20", "discount 15%"}));
        if (name == "score") return TemplateValue::column(0, FieldType::Int);
        const int f = s.find(name);
        if (f < 0) return std::nullopt;
        return TemplateValue::field(s, static_cast<uint32_t>(f));
      },
      err);
  INFO(err);
  REQUIRE(ok);
  return r;
}

std::string render(const TemplateRenderer& r, const TemplateInputs& in, int64_t row) {
  std::string out;
  const bool complete = r.render(in, row, out);
  INFO(out);
  CHECK(complete);
  return out;
}

}  // namespace

TEST_CASE("render: a fallback for a missing value, an empty string and an empty list",
          "[template]") {
  const Schema s = render_schema();
  const Batch b = make_batch(
      s, {{},
          {{"first_name", FieldValue::of_text("")}, {"categories", FieldValue::of_list({})}},
          {{"first_name", FieldValue::of_text("Ana")},
           {"categories", FieldValue::of_list({"home"})}}});
  Outputs o({1, 1, 1}, {0, 0, 0});
  const TemplateInputs in{&b, o.ptrs.data(), nullptr};
  const TemplateRenderer r =
      bind_template(s, "Welcome back, {first_name|friend}! {categories|nothing yet}");
  CHECK(render(r, in, 0) == "Welcome back, friend! nothing yet");
  CHECK(render(r, in, 1) == "Welcome back, friend! nothing yet");
  CHECK(render(r, in, 2) == "Welcome back, Ana! home");
  // An empty fallback gives nothing.
  CHECK(render(bind_template(s, "[{first_name|}]"), in, 0) == "[]");
}

TEST_CASE("render: the spec's templates (section 5) for a customer", "[template]") {
  const Schema s = render_schema();
  const Batch b = make_batch(s, {{{"first_name", FieldValue::of_text("Zoë")},
                                  {"last_purchase_date", FieldValue::of_date(date(2026, 3, 8))}},
                                 {}});
  Outputs o({1, 0}, {1, 2});
  const TemplateInputs in{&b, o.ptrs.data(), nullptr};
  CHECK(render(bind_template(s,
                             "Good to see you again, {first_name|friend}. Here is what is new in "
                             "{affinity}."),
               in, 0) == "Good to see you again, Zoë. Here is what is new in home.");
  CHECK(render(bind_template(s, "Something changed since {last_purchase_date|your last visit}."),
               in, 0) == "Something changed since 2026-03-08.");
  CHECK(render(bind_template(s, "Something changed since {last_purchase_date|your last visit}."),
               in, 1) == "Something changed since your last visit.");
  CHECK(render(bind_template(s, "There is {offer} waiting in your account, {first_name|friend}."),
               in, 0) == "There is a $20 credit waiting in your account, Zoë.");
  CHECK(render(
            bind_template(s,
                          "Come back with {offer} on your next order, {first_name|friend}. Ends in "
                          "72 hours."),
            in, 1) == "Come back with 15% off on your next order, friend. Ends in 72 hours.");
  CHECK(render(bind_template(s, "{first_name|Hi there}, we saved something for you"), in, 1) ==
        "Hi there, we saved something for you");
}

TEST_CASE("render: one pass, and values are inserted as they are, without CSV quoting",
          "[template]") {
  const Schema s = render_schema();
  const Batch b = make_batch(s, {{{"first_name", FieldValue::of_text("{affinity}")}},
                                 {{"first_name", FieldValue::of_text(" Zoë, \"Jr\" ")}},
                                 {{"first_name", FieldValue::of_text("{{x}}|y\r\nz")}},
                                 {{"first_name", FieldValue::of_text("小林 さくら 🌸")}}});
  Outputs o({0, 0, 0, 0}, {0, 0, 0, 0});
  const TemplateInputs in{&b, o.ptrs.data(), nullptr};
  const TemplateRenderer r = bind_template(s, "Did we lose you, {first_name|friend}? {affinity}");
  CHECK(render(r, in, 0) == "Did we lose you, {affinity}? fashion");
  CHECK(render(r, in, 1) == "Did we lose you,  Zoë, \"Jr\" ? fashion");
  CHECK(render(r, in, 2) == "Did we lose you, {{x}}|y\r\nz? fashion");
  CHECK(render(r, in, 3) == "Did we lose you, 小林 さくら 🌸? fashion");
}

TEST_CASE("render: values as the CSV writer writes them, money with $ and lists with ', '",
          "[template]") {
  const Schema s = render_schema();
  const Batch b =
      make_batch(s, {{{"avg_order_value", FieldValue::of_float(84.5)},
                      {"categories", FieldValue::of_list({"apparel", "home", "garden"})},
                      {"margin", FieldValue::of_float(0.35)},
                      {"orders", FieldValue::of_int(-10)},
                      {"subscriber", FieldValue::of_bool(false)},
                      {"tier", FieldValue::of_text("silver")},
                      {"ratio", FieldValue::of_float(1.0 / 3)},
                      {"last_purchase_date", FieldValue::of_date(date(2024, 2, 29))}},
                     {{"avg_order_value", FieldValue::of_float(1e20)},
                      {"margin", FieldValue::of_float(1.5)},
                      {"orders", FieldValue::of_int(std::numeric_limits<int64_t>::max())},
                      {"subscriber", FieldValue::of_bool(true)},
                      {"ratio", FieldValue::of_float(1e-7)}},
                     {{"avg_order_value", FieldValue::of_float(-5)}},
                     {{"avg_order_value", FieldValue::of_float(0.125)}},
                     {{"avg_order_value", FieldValue::of_float(84.505)}},
                     {{"avg_order_value", FieldValue::of_float(19.99)}},
                     {{"avg_order_value", FieldValue::of_float(0)}}});
  Outputs o(std::vector<int8_t>(7, 0), std::vector<int8_t>(7, 0));
  const TemplateInputs in{&b, o.ptrs.data(), nullptr};
  const TemplateRenderer r =
      bind_template(s,
                    "{avg_order_value|-} {categories|-} {margin|-} {orders|-} "
                    "{subscriber|-} {tier|-} {ratio|-} {last_purchase_date|-}");
  CHECK(render(r, in, 0) ==
        "$84.50 apparel, home, garden 0.35 -10 false silver "
        "0.3333333333333333 2024-02-29");
  CHECK(render(r, in, 1) == "$1e+20 - 1.5 9223372036854775807 true - 1e-07 -");
  // Money as the CSV writer writes it: two decimals when exact, else the shortest text (no
  // rounding to the cent), negative amounts with the sign after $.
  const TemplateRenderer money = bind_template(s, "{avg_order_value}");
  CHECK(render(money, in, 2) == "$-5.00");
  CHECK(render(money, in, 3) == "$0.125");
  CHECK(render(money, in, 4) == "$84.505");
  CHECK(render(money, in, 5) == "$19.99");
  CHECK(render(money, in, 6) == "$0.00");

  // The same texts as the CSV snapshot writer's, field by field (one definition of each).
  std::string csv, err;
  REQUIRE(CsvSnapshotWriter::format_rows(s, b, csv, err));
  size_t line_start = 0;
  for (int64_t row = 0; row < b.num_rows; ++row) {
    const size_t line_end = csv.find('\n', line_start);
    const std::string line = csv.substr(line_start, line_end - line_start);
    line_start = line_end + 1;
    std::vector<std::string> cells;
    size_t a = 0;
    for (size_t c; (c = line.find(',', a)) != std::string::npos; a = c + 1)
      cells.push_back(line.substr(a, c - a));
    cells.push_back(line.substr(a));
    REQUIRE(cells.size() == s.fields.size());
    for (const char* f : {"avg_order_value", "margin", "orders", "subscriber", "tier", "ratio",
                          "last_purchase_date"}) {
      const std::string& cell = cells[static_cast<size_t>(s.find(f))];
      std::string shown = render(bind_template(s, std::string("{") + f + "|}"), in, row);
      if (std::string(f) == "avg_order_value" && !shown.empty()) shown.erase(0, 1);  // the $
      INFO(f << " row " << row);
      CHECK(shown == cell);
    }
  }
}

TEST_CASE("render: NaN is missing, an empty list without fallback reads as nothing", "[template]") {
  const Schema s = render_schema();
  const Batch b = make_batch(s, {{{"categories", FieldValue::of_list({})}}});
  Outputs o({0}, {0});
  // Snapshot readers turn NaN into a missing value; a typed column (a kernel output) may hold
  // one: it reads as missing too.
  const double nan = std::nan("");
  std::vector<RkColumn> cols(2);
  cols[0] = RkColumn{nullptr, &nan, nullptr, nullptr, nullptr, nullptr, 0, 0};
  cols[1] = RkColumn{nullptr, &nan, nullptr, nullptr, nullptr, nullptr, 0, 0};
  const TemplateInputs in{&b, o.ptrs.data(), cols.data()};
  ir::MessageTemplate t;
  REQUIRE_FALSE(ir::parse_message_template("{ratio|n/a} {value|n/a}", t));
  TemplateRenderer r;
  std::string err;
  REQUIRE(r.bind(
      t,
      [](std::string_view name) -> std::optional<TemplateValue> {
        return TemplateValue::column(name == "ratio" ? 0 : 1,
                                     name == "ratio" ? FieldType::Number : FieldType::Money);
      },
      err));
  CHECK(render(r, in, 0) == "n/a n/a");
  // An empty list or string is a value: without a fallback it reads as nothing, and the
  // rendering is complete.
  CHECK(render(bind_template(s, "[{categories}]"), in, 0) == "[]");
}

TEST_CASE("render: a missing value without fallback reads as nothing and is reported",
          "[template]") {
  const Schema s = render_schema();
  const Batch b = make_batch(s, {{}});
  Outputs o({-1}, {0});
  const TemplateInputs in{&b, o.ptrs.data(), nullptr};
  std::string out = "x:";
  CHECK_FALSE(bind_template(s, "Hi {first_name}!").render(in, 0, out));
  CHECK(out == "x:Hi !");
  CHECK_FALSE(bind_template(s, "{affinity}").render(in, 0).has_value());
  CHECK(bind_template(s, "{affinity|our range}").render(in, 0) == "our range");
}

TEST_CASE("render: offers in words, none reads as empty", "[template]") {
  const Schema s = render_schema();
  const Batch b = make_batch(s, {{}, {}, {}});
  Outputs o({0, 0, 0}, {0, 1, 2});
  const TemplateInputs in{&b, o.ptrs.data(), nullptr};
  const TemplateRenderer r = bind_template(s, "A thank-you: {offer}");
  CHECK(render(r, in, 0) == "A thank-you: ");
  CHECK(render(r, in, 1) == "A thank-you: a $20 credit");
  CHECK(render(r, in, 2) == "A thank-you: 15% off");
  // `none` is an empty text: a fallback applies.
  CHECK(render(bind_template(s, "{offer|a surprise}"), in, 0) == "a surprise");
}

TEST_CASE("render: typed columns (a score as int64, a plain-encoded string)", "[template]") {
  const Schema s = render_schema();
  const Batch b = make_batch(s, {{}, {}, {}});
  Outputs o({0, 0, 0}, {0, 0, 0});
  const std::vector<int64_t> score = {75, -10, 0};
  const uint8_t score_valid = 0b011;  // row 2: missing
  // A plain (offsets + bytes) string column: "ünï", "", missing.
  const std::string bytes = "ünï";
  const std::vector<int32_t> offsets = {0, static_cast<int32_t>(bytes.size()),
                                        static_cast<int32_t>(bytes.size()),
                                        static_cast<int32_t>(bytes.size())};
  const uint8_t text_valid = 0b011;
  std::vector<RkColumn> cols(2);
  cols[0] = RkColumn{&score_valid, score.data(), nullptr, nullptr, nullptr, nullptr, 0, 0};
  cols[1] = RkColumn{&text_valid, nullptr, offsets.data(), bytes.data(),
                     nullptr,     nullptr, RK_STR_PLAIN32, 0};
  const TemplateInputs in{&b, o.ptrs.data(), cols.data()};
  ir::MessageTemplate t;
  REQUIRE_FALSE(ir::parse_message_template("{score|?}/{nick|no nick}", t));
  TemplateRenderer r;
  std::string err;
  REQUIRE(r.bind(
      t,
      [](std::string_view name) -> std::optional<TemplateValue> {
        if (name == "score") return TemplateValue::column(0, FieldType::Int);
        if (name == "nick") return TemplateValue::column(1, FieldType::String);
        return std::nullopt;
      },
      err));
  CHECK(render(r, in, 0) == "75/ünï");
  CHECK(render(r, in, 1) == "-10/no nick");
  CHECK(render(r, in, 2) == "?/no nick");
}

TEST_CASE("render: dates outside 0001..9999 in ISO 8601's expanded form", "[template]") {
  const Schema s = render_schema();
  const Batch b = make_batch(s, {{{"last_purchase_date", FieldValue::of_date(date(-44, 3, 15))}},
                                 {{"last_purchase_date", FieldValue::of_date(date(10000, 1, 1))}},
                                 {{"last_purchase_date", FieldValue::of_date(date(1, 1, 1))}}});
  Outputs o({0, 0, 0}, {0, 0, 0});
  const TemplateInputs in{&b, o.ptrs.data(), nullptr};
  const TemplateRenderer r = bind_template(s, "{last_purchase_date}");
  CHECK(render(r, in, 0) == "-0044-03-15");
  CHECK(render(r, in, 1) == "+10000-01-01");
  CHECK(render(r, in, 2) == "0001-01-01");
}

TEST_CASE("render: binding looks each name up once and reports an unknown one", "[template]") {
  const Schema s = render_schema();
  int lookups = 0;
  bind_template(s, "{first_name|a} {first_name|b} {affinity} {first_name}", &lookups);
  CHECK(lookups == 2);
  ir::MessageTemplate t;
  REQUIRE_FALSE(ir::parse_message_template("Hi {frist_name|there}", t));
  TemplateRenderer r;
  std::string err;
  CHECK_FALSE(r.bind(
      t, [](std::string_view) { return std::optional<TemplateValue>(); }, err));
  CHECK(err == "the template uses `{frist_name}`, but nothing is called `frist_name`");
}

TEST_CASE("render: appends to the caller's buffer and reuses its capacity", "[template]") {
  const Schema s = render_schema();
  std::vector<std::vector<std::pair<std::string, FieldValue>>> rows;
  rows.reserve(200);
  for (int i = 0; i < 200; ++i)
    rows.push_back({{"first_name", i % 3 ? FieldValue::of_text("Name" + std::to_string(i))
                                         : FieldValue::missing()},
                    {"categories", FieldValue::of_list({"a", "b"})}});
  const Batch b = make_batch(s, rows);
  Outputs o(std::vector<int8_t>(200, 1), std::vector<int8_t>(200, 1));
  const TemplateInputs in{&b, o.ptrs.data(), nullptr};
  const TemplateRenderer r =
      bind_template(s, "Hi {first_name|there}: {offer} on {categories} in {affinity}.\n");
  std::string out;
  out.reserve(1 << 16);
  const size_t capacity = out.capacity();
  const char* data = out.data();
  for (int64_t row = 0; row < b.num_rows; ++row) REQUIRE(r.render(in, row, out));
  CHECK(out.capacity() == capacity);  // no reallocation: rows were appended in place
  CHECK(out.data() == data);
  CHECK(out.substr(0, 50) == "Hi there: a $20 credit on a, b in home.\nHi Name1: ");
  // Rendering row by row appends exactly the rows' texts.
  std::string joined;
  for (int64_t row = 0; row < b.num_rows; ++row) joined += *r.render(in, row);
  CHECK(joined == out);
}

TEST_CASE("render: wide kernel outputs with their presence (a let)", "[template][let]") {
  const Schema s = render_schema();
  const Batch b = make_batch(s, {{}, {}, {}});
  // Outputs 0..1: an int64 and its presence; 2..3: a double and its presence; 4: a date's days.
  const std::vector<int64_t> ints{238, 0, -5};
  const std::vector<double> doubles{84.5, std::nan(""), 0.125};
  const std::vector<int64_t> days{20520, 0, 3000000};  // 2026-03-08, 1970-01-01, past 9999
  const std::vector<int8_t> present{1, -1, 1}, all{1, 1, 1};
  const std::vector<const int8_t*> outputs{
      reinterpret_cast<const int8_t*>(ints.data()), present.data(),
      reinterpret_cast<const int8_t*>(doubles.data()), all.data(),
      reinterpret_cast<const int8_t*>(days.data())};
  const TemplateInputs in{&b, outputs.data(), nullptr};
  auto bound = [&](FieldType type, uint32_t value, uint32_t pres) {
    ir::MessageTemplate t;
    REQUIRE_FALSE(ir::parse_message_template("[{v|none}]", t));
    TemplateRenderer r;
    std::string err;
    REQUIRE(r.bind(
        t,
        [&](std::string_view) -> std::optional<TemplateValue> {
          return TemplateValue::wide(value, pres, type);
        },
        err));
    return r;
  };
  const TemplateRenderer i = bound(FieldType::Int, 0, 1);
  CHECK(render(i, in, 0) == "[238]");
  CHECK(render(i, in, 1) == "[none]");  // not present
  CHECK(render(i, in, 2) == "[-5]");
  const TemplateRenderer money = bound(FieldType::Money, 2, 3);
  CHECK(render(money, in, 0) == "[$84.50]");
  CHECK(render(money, in, 1) == "[none]");  // NaN reads as missing
  CHECK(render(money, in, 2) == "[$0.125]");
  CHECK(render(bound(FieldType::Number, 2, 3), in, 0) == "[84.5]");
  const TemplateRenderer date = bound(FieldType::Date, 4, 3);
  CHECK(render(date, in, 0) == "[2026-03-08]");
  CHECK(render(date, in, 1) == "[1970-01-01]");
  CHECK(render(date, in, 2) == "[+10183-09-21]");
}
