// Rekindle tests: the decision-event reader of `rekindle measure` (runtime/measure/events.cpp and
// its one-pass line parser, event_parser*): bad events name the file, the line and what is wrong;
// any valid JSON reads the same; long files and long lines stream; the one-pass parser reads
// exactly what simdjson reads on thousands of mutated files. ctest runs the `[events]` cases again
// with RK_EVENTS_SIMD=sse2 (the parser's baseline build).
#include <catch2/catch.hpp>

#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/measure/events.h"
#include "runtime/measure/measure.h"
#include "tests/runtime/measure_test_util.h"

using namespace rk::measure;
using namespace rk_measure_test;

TEST_CASE("Measure: bad events name the file, the line and what is wrong", "[measure][events]") {
  TempDir dir;
  const std::string outcomes = dir.file("o.csv", "customer_id,date,kind,revenue,incentive_cost\n");
  const std::string good = event("r", "2026-11-01", "A", "winback", "waiting");
  auto error_of = [&](const std::string& second_line, MeasurePlan plan = test_plan()) {
    const std::string path = dir.file("bad.jsonl", good + second_line);
    Report report;
    std::string error;
    CHECK_FALSE(measure(plan, {path}, outcomes, Options{}, report, error));
    return error;
  };
  const std::string at = dir.at("bad.jsonl") + ":2: ";
  CHECK(error_of("{\"run_id\": \n").rfind(at + "not valid JSON", 0) == 0);
  CHECK(error_of("[1, 2]\n") == at + "an event must be a JSON object, not a list");
  json e = json::parse(good);
  e.erase("cohort");
  CHECK(error_of(e.dump() + "\n") == at + "the event has no \"cohort\"");
  e = json::parse(good);
  e["touch"] = "3";
  CHECK(error_of(e.dump() + "\n") == at + "\"touch\" must be an integer or null, not a string");
  e = json::parse(good);
  e["as_of"] = "2026-02-30";
  CHECK(error_of(e.dump() + "\n") ==
        at + "\"as_of\" must be a date YYYY-MM-DD, not \"2026-02-30\"");
  e = json::parse(good);
  e["as_of"] = "2026-11-02";
  CHECK(error_of(e.dump() + "\n") ==
        at + "run \"r\" has as_of 2026-11-02 here but 2026-11-01 in an earlier event");
  e = json::parse(good);
  e["sequence"] = "winbak";
  CHECK(error_of(e.dump() + "\n") ==
        at + "sequence \"winbak\" is not in the rule file (its sequences: welcome_back, winback)");
  CHECK(error_of(event("r", "2026-11-01", "B", "winback", "due", 2, "soft_incentive", nullptr,
                       "email", "none")) ==
        at + "\"step\" is \"soft_incentive\" but touch 2 of sequence \"winback\" is "
             "\"recommendation\" in the rule file");
  CHECK(
      error_of(event("r", "2026-11-01", "B", "winback", "due", 9, "x", nullptr, "email", "none")) ==
      at + "\"touch\" 9 is not a touch of sequence \"winback\" (it has 3)");
  CHECK(error_of(event("r", "2026-11-01", "B", "winback", "due", 1, "pattern_interrupt", "bold",
                       "email", "none")) ==
        at + "\"variant\" \"bold\" is not a variant of touch pattern_interrupt of \"winback\"");
  CHECK(error_of(event("r", "2026-11-01", "B", "winback", "due", 2, "recommendation", "bold",
                       "email", "none")) ==
        at + "\"variant\" is \"bold\" but touch recommendation of \"winback\" has no variants in "
             "the rule file");
  CHECK(error_of(event("r", "2026-11-01", "B", "winback", "holdout")) ==
        at + "the status is holdout but \"would_be\" is null");
  json wb = due_wb(1, "pattern_interrupt", "curiosity", "email", "none");
  wb.erase("offer");
  CHECK(error_of(event("r", "2026-11-01", "B", "winback", "holdout", nullptr, nullptr, nullptr,
                       nullptr, nullptr, wb)) == at + "\"would_be\" has no \"offer\"");
  e = json::parse(event("r", "2026-11-01", "B", "winback", "due", 2, "recommendation", nullptr,
                        "email", "none"));
  e["cohort"].erase("dormancy");
  CHECK(error_of(e.dump() + "\n") ==
        at + "\"cohort\" has no \"dormancy\" (a segment family of the rule file)");
  e["cohort"]["dormancy"] = 3;
  CHECK(error_of(e.dump() + "\n") ==
        at + "\"cohort\".\"dormancy\" must be a label (a string) or null");
  e = json::parse(good);
  e["customer_id"] = "B";
  e["holdout_share"] = 7;
  CHECK(
      error_of(e.dump() + "\n") ==
      at + "holdout_share 7 differs from 5 in an earlier event of run \"r\", sequence \"winback\"");
  e["holdout_share"] = 101;
  CHECK(error_of(e.dump() + "\n") == at + "\"holdout_share\" must be a percent from 0 to 100");
  // Invalid UTF-8 is invalid JSON.
  CHECK(error_of("{\"run_id\": \"\xff\"}\n").rfind(at + "not valid JSON", 0) == 0);
  // A missing file.
  Report report;
  std::string error;
  CHECK_FALSE(measure(test_plan(), {dir.at("none.jsonl")}, outcomes, Options{}, report, error));
  CHECK(error == dir.at("none.jsonl") + ": cannot open: No such file or directory");
}

TEST_CASE("Measure: any valid JSON is read the same", "[measure][events]") {
  TempDir dir;
  const std::string outcomes = dir.file("o.csv",
                                        "customer_id,date,kind,revenue,incentive_cost\n"
                                        "Zoë,2026-11-02,purchase,12.5,\n");
  // Escaped keys and values, another key order, spaces, a CRLF line end, 1.0 for a touch, 5.0 for
  // a share, a repeated key (the last counts), and no newline at the end of the file.
  const std::string good =
      "{ \"\\u0073tatus\" : \"d\\u0075e\", \"customer_id\":\"Zo\\u00eb\",\"sequence\":\"winback\","
      "\"touch\":1.0,\"step\":\"pattern_interrupt\",\"variant\":\"curiosity\",\"channel\":"
      "\"email\","
      "\"offer\":\"none\",\"cohort\":{\"acquisition\":null,\"dormancy\":\"shallow\","
      "\"dormancy\":\"deep\"},\"holdout_share\":5.0,\"would_be\":null,\"run_id\":\"r\","
      "\"as_of\":\"2026-11-01\"}\r\n";
  const std::string path = dir.file("a.jsonl", good + good.substr(0, good.size() - 2));
  Report report;
  std::string error;
  REQUIRE(measure(test_plan(), {path}, outcomes, Options{}, report, error));
  CHECK(report.repeated == 1);
  const json j = json::parse(report_json(report));
  const json& seq = j["runs"][0]["sequences"][0];
  CHECK(seq["overall"]["reactivated_treated"] == 1);
  CHECK(seq["holdout_share"] == 5);
  CHECK(seq["by"]["dormancy"].contains("deep"));
  CHECK_FALSE(seq["by"]["dormancy"].contains("shallow"));
  // A line that is not a whole JSON value is an error, even with a valid line after it.
  const std::string bad = dir.file("b.jsonl", "{ \"status\" : \"due\",\n" + good);
  CHECK_FALSE(measure(test_plan(), {bad}, outcomes, Options{}, report, error));
  CHECK(error.rfind(bad + ":1: not valid JSON", 0) == 0);
}

TEST_CASE("Measure: the event reader streams long files and long lines", "[measure][events]") {
  // More than one read buffer of events, and one line longer than the buffer.
  std::string text;
  for (int i = 0; i < 20000; ++i)
    text += event("r", "2026-11-01", "C" + std::to_string(i), "winback", "waiting");
  json big = json::parse(event("r", "2026-11-01", "LONG", "winback", "waiting"));
  big["review"] = std::string(5 << 20, 'x');
  text += big.dump() + "\n";
  EventReader reader;
  reader.open_memory(text, "mem");
  Event e;
  int n = 0;
  while (reader.next(e) == EventReader::Status::Event) ++n;
  CHECK(reader.error().empty());
  CHECK(n == 20001);
  CHECK(e.customer_id == "LONG");
}

namespace {

// Everything an event says, as text, to compare two readings of it.
std::string describe(const Event& e) {
  auto opt = [](const std::optional<std::string_view>& v) {
    return v ? "\"" + std::string(*v) + "\"" : std::string("null");
  };
  auto decision = [&](const EventDecision& d) {
    return std::string(d.status) + "|" + (d.touch ? std::to_string(*d.touch) : "null") + "|" +
           opt(d.step) + "|" + opt(d.variant) + "|" + opt(d.channel) + "|" + opt(d.offer);
  };
  std::ostringstream out;
  out << e.line << ' ' << e.run_id << ' ' << e.customer_id << ' ' << e.sequence << ' ' << e.as_of
      << ' ' << decision(e.decision) << ' '
      << (e.would_be ? decision(*e.would_be) : std::string("no would_be")) << ' ' << e.holdout_share
      << " {";
  for (const CohortEntry& c : e.cohort)
    out << c.name << ':' << static_cast<int>(c.kind) << ':' << c.label << ',';
  out << '}';
  return out.str();
}

std::string fmt_hex(unsigned char b) {
  const char* digits = "0123456789abcdef";
  return std::string("\\x") + digits[b >> 4] + digits[b & 15];
}

// Every event of a file (or the error that stops it), read with the one-pass parser or without.
std::vector<std::string> read_all(const std::string& path, const std::string* memory, bool fast) {
  EventReader reader;
  reader.set_fast_path(fast);
  if (memory)
    reader.open_memory(*memory, path);
  else
    REQUIRE(reader.open(path));
  std::vector<std::string> out;
  Event e;
  while (true) {
    const auto status = reader.next(e);
    if (status == EventReader::Status::End) break;
    if (status == EventReader::Status::Error) {
      out.push_back("error: " + reader.error());
      break;
    }
    out.push_back(describe(e));
  }
  return out;
}

}  // namespace

TEST_CASE("Measure: the one-pass parser reads exactly what simdjson reads", "[measure][events]") {
  // Lines of every shape measure reads, then thousands of mutations of them (bytes replaced,
  // inserted, deleted, spans repeated): read from a mapped file and from memory, with the
  // one-pass parser and with simdjson alone, the events and the first error must be the same.
  std::string base;
  base += event("2026-11-01/r", "2026-11-01", "A", "winback", "due", 1, "pattern_interrupt",
                "curiosity", "email", "none");
  base += event("2026-11-01/r", "2026-11-01", "B", "winback", "holdout", nullptr, nullptr, nullptr,
                nullptr, nullptr, due_wb(2, "recommendation", nullptr, "sms", "credit 10"), nullptr,
                "owned", 12);
  base += event("2026-11-01/r", "2026-11-01", "C\xc3\xa9", "welcome_back", "stopped", nullptr,
                nullptr, nullptr, nullptr, nullptr, nullptr, "deep", "paid", 0);
  base +=
      "{\"run_id\":\"r\",\"as_of\":\"2026-11-01\",\"customer_id\":\"D\",\"sequence\":\"w\","
      "\"status\":\"due\",\"touch\":3,\"step\":\"s\",\"variant\":null,\"channel\":\"e\","
      "\"offer\":null,\"stopped_by\":null,\"review\":[{\"a\":[1,2.5e3,-0.5,true,false]}],"
      "\"cohort\":{\"dormancy\":\"x\",\"churn_risk\":40.25,\"acquisition\":null},"
      "\"holdout_share\":7.5,\"would_be\":null}\n";
  // Lines exactly as `rekindle eval --events` writes them (its key order, no spaces), which the
  // one-pass parser reads with one compare per key: a unit with a variant and a review list, a
  // holdout with its would_be, a stopped unit with a non-ASCII label and a fractional share, and
  // a cohort with the same names plus one more.
  const std::string writer =
      "{\"run_id\":\"2026-11-01/3f9a12c4\",\"as_of\":\"2026-11-01\",\"customer_id\":\"C01\","
      "\"sequence\":\"winback\",\"status\":\"due\",\"touch\":2,\"step\":\"recommendation\","
      "\"variant\":\"curiosity\",\"channel\":\"email\",\"offer\":\"credit 10\",\"stopped_by\":null,"
      "\"review\":[\"high_value\",\"vip\"],\"cohort\":{\"dormancy\":\"deep\",\"acquisition\":null,"
      "\"churn_risk\":52},\"holdout_share\":5,\"would_be\":null}\n"
      "{\"run_id\":\"2026-11-01/3f9a12c4\",\"as_of\":\"2026-11-01\",\"customer_id\":\"C02\","
      "\"sequence\":\"winback\",\"status\":\"holdout\",\"touch\":null,\"step\":null,"
      "\"variant\":null,\"channel\":null,\"offer\":null,\"stopped_by\":null,\"review\":[],"
      "\"cohort\":{\"dormancy\":\"critical\",\"acquisition\":\"paid\",\"churn_risk\":7},"
      "\"holdout_share\":5,\"would_be\":{\"status\":\"due\",\"touch\":1,\"step\":"
      "\"pattern_interrupt\",\"variant\":null,\"channel\":\"sms\",\"offer\":\"none\"}}\n"
      "{\"run_id\":\"2026-11-01/3f9a12c4\",\"as_of\":\"2026-11-01\",\"customer_id\":\"C03\","
      "\"sequence\":\"winback\",\"status\":\"stopped\",\"touch\":null,\"step\":null,"
      "\"variant\":null,\"channel\":null,\"offer\":null,\"stopped_by\":\"opted_out\","
      "\"review\":[],\"cohort\":{\"dormancy\":\"d\xc3\xa9"
      "ep\",\"acquisition\":\"owned\","
      "\"churn_risk\":null},\"holdout_share\":12.5,\"would_be\":null}\n"
      "{\"run_id\":\"2026-11-01/3f9a12c4\",\"as_of\":\"2026-11-01\",\"customer_id\":\"C04\","
      "\"sequence\":\"winback\",\"status\":\"waiting\",\"touch\":null,\"step\":null,"
      "\"variant\":null,\"channel\":null,\"offer\":null,\"stopped_by\":null,\"review\":[],"
      "\"cohort\":{\"dormancy\":\"deep\",\"acquisition\":null,\"churn_risk\":3,\"extra\":\"x\"},"
      "\"holdout_share\":5,\"would_be\":null}\n";
  base += writer + writer;
  base += base;  // the second copy meets remembered keys
  TempDir dir;
  {
    // Unchanged, every line is read by the one-pass parser (so the mutations below test it).
    const std::string path = dir.file("base.jsonl", base);
    EventReader reader;
    REQUIRE(reader.open(path));
    Event e;
    int64_t lines = 0;
    while (reader.next(e) == EventReader::Status::Event) ++lines;
    CHECK(reader.error().empty());
    CHECK(lines == 24);
    CHECK(reader.fast_lines() == lines);
  }
  uint64_t state = 0x9E3779B97F4A7C15ULL;
  auto rnd = [&](uint64_t n) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return n ? state % n : 0;
  };
  const std::string alphabet =
      std::string("\"\\{}[]:, \t\r\n0123456789-+.eEnulltruefalsx\x01\x1f") +
      std::string("\x00\x7f\x80\xbf\xc3\xa9\xe2\x82\xac\xed\xa0\xf0\xf4\xff", 14);
  int disagreements = 0;
  for (int round = 0; round < 3000 && disagreements < 5; ++round) {
    std::string text = base;
    const uint64_t edits = 1 + rnd(3);
    for (uint64_t k = 0; k < edits && !text.empty(); ++k) {
      size_t at = rnd(text.size());
      const char c = alphabet[rnd(alphabet.size())];
      const uint64_t kind = rnd(7);
      if (kind >= 4)  // next to a structural character, where the grammar is decided
        for (int tries = 0;
             tries < 64 && std::string_view("{}[]:,\"").find(text[at]) == std::string_view::npos;
             ++tries)
          at = rnd(text.size());
      switch (kind) {
        case 0:
          text[at] = c;
          break;
        case 1:
          text.insert(text.begin() + static_cast<ptrdiff_t>(at), c);
          break;
        case 2:
          text.erase(at, 1 + rnd(3));
          break;
        case 3:
          text.insert(at, text.substr(rnd(text.size()), rnd(12)));
          break;
        case 4:
          text.insert(text.begin() + static_cast<ptrdiff_t>(at), c);
          break;
        case 5:
          text.insert(text.begin() + static_cast<ptrdiff_t>(at) + 1, c);
          break;
        default:
          text.erase(at, 1);
          break;
      }
    }
    const std::string path = dir.file("m" + std::to_string(round % 4) + ".jsonl", text);
    const auto want = read_all(path, nullptr, false);
    const auto mapped = read_all(path, nullptr, true);
    const auto memory = read_all(path, &text, true);
    if (mapped != want || memory != read_all(path, &text, false)) {
      ++disagreements;
      std::string shown;  // the file, its bytes outside printable ASCII as \xHH
      for (const char ch : text) {
        const auto b = static_cast<unsigned char>(ch);
        shown += b >= 0x20 && b < 0x7f ? std::string(1, ch) : fmt_hex(b);
      }
      INFO("round " << round << ": " << shown);
      CHECK(mapped == want);
      CHECK(memory == read_all(path, &text, false));
    }
  }
  CHECK(disagreements == 0);
}
