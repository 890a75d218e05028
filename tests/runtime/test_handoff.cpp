// Rekindle runtime tests: the hand-off files (runtime/handoff.h). The review queue's sort by owner
// is stable and the same whether everything fits in memory or sorted runs are spilled and merged;
// the output group's files appear together on finish() and none appear when it is dropped before;
// the playbook's drafts, queue and events are byte-identical for any thread count and engine and
// say what the result says (the e2e test tests/e2e/handoff.sh compares them with an oracle); a
// rule file's templates are rendered into the drafts' subject and body and the queue's subject.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "base/date.h"
#include "runtime/handoff.h"
#include "runtime/session.h"

using namespace rk;
namespace fs = std::filesystem;

namespace {

void put_record(std::string& out, const std::string& owner, const std::string& row) {
  const auto o = static_cast<uint32_t>(owner.size()), r = static_cast<uint32_t>(row.size());
  out.append(reinterpret_cast<const char*>(&o), 4);
  out += owner;
  out.append(reinterpret_cast<const char*>(&r), 4);
  out += row;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path temp_dir(const std::string& name) {
  fs::path d =
      fs::temp_directory_path() / ("rk_handoff_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// Sorts `records` (owner, row) through a QueueSorter with `memory` bytes and returns the text.
std::string sorted(const std::vector<std::pair<std::string, std::string>>& records, size_t memory,
                   size_t per_add, size_t& runs) {
  const fs::path dir = temp_dir("sort");
  QueueSorter sorter(memory);
  std::string chunk;
  for (size_t i = 0; i < records.size(); ++i) {
    put_record(chunk, records[i].first, records[i].second);
    if ((i + 1) % per_add == 0 || i + 1 == records.size()) {
      REQUIRE(sorter.add(chunk));
      chunk.clear();
    }
  }
  AtomicFile out;
  REQUIRE(out.open((dir / "q.csv").string()));
  REQUIRE(sorter.write_sorted(out));
  REQUIRE(out.commit());
  runs = sorter.runs();
  std::string text = read_file(dir / "q.csv");
  fs::remove_all(dir);
  return text;
}

// Evaluates DIR/snap.csv with `engine` on `threads` threads (chunks of 7 rows), writing the drafts
// to DIR/TAG.drafts.jsonl and, with `queue`, the review queue to DIR/TAG.queue.csv.
void write_drafts(const RuleSet& rules, const fs::path& dir, int32_t as_of, const std::string& tag,
                  Engine engine, int threads, bool queue) {
  const ir::Program& program = rules.program();
  HandoffOptions h;
  h.drafts = (dir / (tag + ".drafts.jsonl")).string();
  if (queue) h.review_queue = (dir / (tag + ".queue.csv")).string();
  h.as_of = as_of;
  h.run_id = "r1";
  std::string err;
  auto group = OutputGroupWriter::open(nullptr, program, h, err);
  REQUIRE(group);
  Session session({.engine = engine, .threads = threads});
  std::optional<SnapshotError> serr;
  auto reader = open_snapshot((dir / "snap.csv").string(), program.schema, ReaderOptions{}, serr);
  REQUIRE(reader);
  EvalOptions e;
  e.as_of = as_of;
  e.chunk_rows = 7;
  Summary summary;
  REQUIRE(session.evaluate(rules, *reader, group.get(), e, summary, err));
  REQUIRE(group->finish());
}

}  // namespace

TEST_CASE("handoff: the review queue is sorted by owner, stably, in memory or spilled",
          "[handoff]") {
  std::mt19937 rng(7);
  const std::vector<std::string> owners = {"",    "Bob", "bob", "alice", "Émile",
                                           "zed", "Z",   " a",  "顧客",  "a, b"};
  std::vector<std::pair<std::string, std::string>> records;
  for (int i = 0; i < 5000; ++i) {
    const std::string& o = owners[rng() % owners.size()];
    records.emplace_back(o, o + "|" + std::to_string(i) + "\n");
  }
  // The expected order: code-point order of owners (bytes of UTF-8), snapshot order within.
  std::vector<std::pair<std::string, std::string>> want = records;
  std::stable_sort(want.begin(), want.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string expected;
  for (const auto& w : want) expected += w.second;

  size_t runs = 0;
  CHECK(sorted(records, size_t{64} << 20, 100, runs) == expected);
  CHECK(runs == 0);
  CHECK(sorted(records, 4096, 37, runs) == expected);  // many spilled runs, merged
  CHECK(runs > 10);
  CHECK(sorted({}, 4096, 1, runs).empty());
}

TEST_CASE("handoff: the default run id and bad run ids", "[handoff]") {
  int32_t d = 0;
  REQUIRE(parse_iso_date("2026-11-01", d));
  CHECK(default_run_id(d, "0123456789abcdef") == "2026-11-01/01234567");
  CHECK(check_run_id("nightly-42").empty());
  CHECK(!check_run_id("").empty());
  CHECK(!check_run_id("a\nb").empty());
}

TEST_CASE("handoff: the playbook's files, any thread count, both engines, all or none",
          "[handoff]") {
  const auto rules = load_rules(std::string(RK_SOURCE_DIR) + "/rules/winback.rules");
  REQUIRE(rules->ok());
  const ir::Program& program = rules->program();
  const fs::path dir = temp_dir("group");
  int32_t as_of = 0;
  REQUIRE(parse_iso_date("2026-11-01", as_of));

  auto run = [&](const std::string& tag, Engine engine, int threads, bool finish) {
    HandoffOptions h;
    h.drafts = (dir / (tag + ".drafts.jsonl")).string();
    h.review_queue = (dir / (tag + ".queue.csv")).string();
    h.events = (dir / (tag + ".events.jsonl")).string();
    h.as_of = as_of;
    h.run_id = "r1";
    h.queue_memory_bytes = 2048;  // spills sorted runs even on the sample
    std::string err;
    auto result =
        open_result_writer((dir / (tag + ".csv")).string(), ResultFormat::Csv, program, err);
    REQUIRE(result);
    auto group = OutputGroupWriter::open(std::move(result), program, h, err);
    REQUIRE(group);
    Session session({.engine = engine, .threads = threads});
    std::optional<SnapshotError> serr;
    auto reader = open_snapshot(std::string(RK_SOURCE_DIR) + "/rules/sample.csv", program.schema,
                                ReaderOptions{}, serr);
    REQUIRE(reader);
    EvalOptions e;
    e.as_of = as_of;
    e.chunk_rows = 500;
    Summary summary;
    REQUIRE(session.evaluate(*rules, *reader, group.get(), e, summary, err));
    CHECK(group->queue_runs() > 0);
    if (finish) REQUIRE(group->finish());
  };

  // Dropped before finish(): no file at all, not even the complete ones.
  run("dropped", Engine::Jit, 2, false);
  CHECK(fs::is_empty(dir));

  run("a", Engine::Jit, 1, true);
  run("b", Engine::Interpreter, 2, true);
  for (const char* f : {".csv", ".drafts.jsonl", ".queue.csv", ".events.jsonl"})
    CHECK(read_file(dir / (std::string("a") + f)) == read_file(dir / (std::string("b") + f)));

  // The drafts are the result's due touches, in order; the queue has one row per review.
  std::ifstream result(dir / "a.csv");
  std::string line;
  std::getline(result, line);
  size_t due = 0, reviewed = 0;
  while (std::getline(result, line)) {
    if (line.find(",due,") != std::string::npos) ++due;
    const auto fields = [&] {
      std::vector<std::string> f;
      std::stringstream s(line);
      std::string x;
      while (std::getline(s, x, ',')) f.push_back(x);
      return f;
    }();
    if (fields.size() > 10 && !fields[10].empty()) ++reviewed;
  }
  const std::string drafts = read_file(dir / "a.drafts.jsonl");
  CHECK(static_cast<size_t>(std::count(drafts.begin(), drafts.end(), '\n')) == due);
  const std::string queue = read_file(dir / "a.queue.csv");
  CHECK(static_cast<size_t>(std::count(queue.begin(), queue.end(), '\n')) == reviewed + 1);
  CHECK(queue.rfind(HandoffEncoder::queue_header(), 0) == 0);
  const std::string events = read_file(dir / "a.events.jsonl");
  CHECK(events.find("\"status\":\"holdout\"") != std::string::npos);
  CHECK(events.find("\"would_be\":{\"status\":") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("handoff: drafts and the review queue carry the rendered templates",
          "[handoff][template]") {
  const auto rules = load_rules(std::string(RK_SOURCE_DIR) + "/tests/rules/templates.rules");
  REQUIRE(rules->ok());
  const fs::path dir = temp_dir("templates");
  int32_t as_of = 0;
  REQUIRE(parse_iso_date("2026-11-01", as_of));

  // Many customers of two shapes (a full one by email, an empty one by sms), so that each
  // variant and the touch's own template (shares below 100%) are drawn; one at the second touch
  // whose name looks like a placeholder (one pass: copied as is).
  std::string csv =
      "id,name,tags,color,n,x,spend,rate,d,flag,email_ok,sms_ok,tier,renewal_date,last_touch,"
      "last_touch_date\n";
  for (int i = 0; i < 40; ++i) {
    csv += "F" + std::to_string(i) +
           ",Zoë,home|apparel,red,12,,84.5,0.35,2026-03-08,true,true,false,gold,,0,\n";
    csv += "E" + std::to_string(i) + ",,,,1,,,,,false,false,true,silver,,0,\n";
  }
  csv += "P1,{size},,,1,,,,,false,true,false,bronze,,1,2026-10-01\n";
  {
    std::ofstream out(dir / "snap.csv", std::ios::binary);
    out << csv;
  }

  auto run = [&](const std::string& tag, Engine engine, int threads) {
    write_drafts(*rules, dir, as_of, tag, engine, threads, true);
  };
  run("a", Engine::Jit, 1);
  run("b", Engine::Interpreter, 2);
  CHECK(read_file(dir / "a.drafts.jsonl") == read_file(dir / "b.drafts.jsonl"));
  CHECK(read_file(dir / "a.queue.csv") == read_file(dir / "b.queue.csv"));

  // What each draft must read, by customer shape and variant.
  struct Want {
    nlohmann::json subject;
    std::string body;
  };
  auto want = [](char shape, const std::string& variant) -> Want {
    if (shape == 'F') {
      const std::string touch_subject = "Hi Zoë: a $20 credit for a big customer {VIP}";
      if (variant == "warm") return {touch_subject, "Warm: Zoë gets a $20 credit."};
      if (variant == "cool") return {"Cool 15% off", "Cool: red."};
      return {
          touch_subject,
          "Tier gold, 15 points, tags home, apparel, spend $84.50, since 2026-03-08, rate 0.35."};
    }
    // By sms: no subject.
    if (variant == "warm") return {nullptr, "Warm: friend gets a $20 credit."};
    if (variant == "cool") return {nullptr, "Cool: no color."};
    return {nullptr, "Tier silver, 0 points, tags none, spend unknown, since never, rate ?."};
  };
  std::ifstream drafts(dir / "a.drafts.jsonl");
  std::string line;
  std::set<std::string> variants_seen;
  size_t n = 0, cool_by_email = 0;
  while (std::getline(drafts, line)) {
    ++n;
    const auto j = nlohmann::json::parse(line);
    const std::string id = j["customer_id"];
    INFO(line);
    if (id == "F4")  // the example of docs/handoff.md
      CHECK(line ==
            R"({"customer_id":"F4","sequence":"hello","touch":1,"step":"greet","variant":"cool",)"
            R"("channel":"email","to":null,"send_at":null,"offer":"discount 15%",)"
            R"("subject":"Cool 15% off","body":"Cool: red.","review":["cool_deal"],"owner":null,)"
            R"("key":"hello/greet/F4"})");
    if (id == "P1") {
      CHECK(j["step"] == "bye");
      CHECK(j["subject"] == "Bye {size}");
      CHECK(j["body"] == "Bye, {size}.");
      continue;
    }
    const std::string variant = j["variant"].is_null() ? "" : j["variant"].get<std::string>();
    variants_seen.insert(variant);
    const Want w = want(id[0], variant);
    CHECK(j["channel"] == (id[0] == 'F' ? "email" : "sms"));
    CHECK(j["subject"] == w.subject);
    CHECK(j["body"] == w.body);
    if (id[0] == 'F' && variant == "cool") ++cool_by_email;
  }
  CHECK(n == 81);
  CHECK(variants_seen == std::set<std::string>{"", "warm", "cool"});
  // The review queue: one row per `cool` customer; the subject for email, empty for sms.
  const std::string queue = read_file(dir / "a.queue.csv");
  size_t cool_subjects = 0, rows = 0;
  std::stringstream q(queue);
  std::getline(q, line);
  CHECK(line + "\n" == HandoffEncoder::queue_header());
  while (std::getline(q, line)) {
    ++rows;
    INFO(line);
    if (line[1] == 'F') {
      CHECK(line.substr(line.size() - std::string(",Cool 15% off").size()) == ",Cool 15% off");
      ++cool_subjects;
    } else {
      CHECK(line.back() == ',');
    }
  }
  CHECK(cool_subjects == cool_by_email);
  CHECK(rows > cool_subjects);  // some sms customers are reviewed too
  fs::remove_all(dir);
}

TEST_CASE("handoff: an event's cohort holds every family's label and every score", "[handoff]") {
  // Spec section 7 and 9: `cohort` is every segment family's label (null when a family without
  // `otherwise` matched nothing) and each score: an int score as an integer, a decimal one as a
  // number.
  const auto rules = load_rules_text(std::string(RK_SOURCE_DIR) + "/tests/rules/cohort.rules",
                                     "import \"probe.schema\"\n"
                                     "segment size {\n  big when n >= 10\n}\n"
                                     "score risk {\n  30 points when n >= 3\n"
                                     "  -10 points when flag\n}\n"
                                     "score fine {\n  0.1 points when tags has red\n"
                                     "  0.2 points when tags has green\n}\n"
                                     "candidate when tier is gold\n"
                                     "sequence hello {\n  progress last_touch on last_touch_date\n"
                                     "  channel email\n  touch greet via email\n}\n");
  REQUIRE(rules->ok());
  const ir::Program& program = rules->program();
  const fs::path dir = temp_dir("cohort");
  {
    std::ofstream out(dir / "snap.csv", std::ios::binary);
    out << "id,name,tags,color,n,x,spend,rate,d,flag,email_ok,sms_ok,tier,renewal_date,"
           "last_touch,last_touch_date\n"
           "A,,red|green,,12,,,,,true,,,gold,,0,\n"
           "B,,,,1,,,,,,,,gold,,0,\n"
           "C,,,,,,,,,,,,silver,,0,\n";
  }
  int32_t as_of = 0;
  REQUIRE(parse_iso_date("2026-11-01", as_of));
  for (const Engine engine : {Engine::Jit, Engine::Interpreter}) {
    HandoffOptions h;
    h.events = (dir / "events.jsonl").string();
    h.as_of = as_of;
    h.run_id = "r1";
    std::string err;
    auto group = OutputGroupWriter::open(nullptr, program, h, err);
    REQUIRE(group);
    Session session({.engine = engine, .threads = 1});
    std::optional<SnapshotError> serr;
    auto reader = open_snapshot((dir / "snap.csv").string(), program.schema, ReaderOptions{}, serr);
    REQUIRE(reader);
    EvalOptions e;
    e.as_of = as_of;
    Summary summary;
    REQUIRE(session.evaluate(*rules, *reader, group.get(), e, summary, err));
    REQUIRE(group->finish());
    std::ifstream events(dir / "events.jsonl");
    std::vector<nlohmann::json> cohorts;
    std::string line;
    while (std::getline(events, line)) {
      CAPTURE(line);
      cohorts.push_back(nlohmann::json::parse(line)["cohort"]);
      // Keys in the rule file's order: families, then scores.
      CHECK(line.find(R"("cohort":{"size":)") != std::string::npos);
    }
    REQUIRE(cohorts.size() == 2);  // C is not a candidate: no event
    CHECK(cohorts[0] == nlohmann::json::parse(R"({"size":"big","risk":20,"fine":0.3})"));
    CHECK(cohorts[0]["risk"].is_number_integer());
    CHECK(cohorts[1] == nlohmann::json::parse(R"({"size":null,"risk":0,"fine":0})"));
    CHECK(cohorts[1]["risk"].is_number_integer());
  }
  fs::remove_all(dir);
}

TEST_CASE("handoff: templates show lets of every type, the same with both engines",
          "[handoff][template][let]") {
  const auto rules = load_rules(std::string(RK_SOURCE_DIR) + "/tests/rules/template_lets.rules");
  REQUIRE(rules->ok());
  const fs::path dir = temp_dir("template_lets");
  int32_t as_of = 0;
  REQUIRE(parse_iso_date("2026-11-01", as_of));
  // F: every value present; E: every optional value missing; Z: n = 0 (a division by zero);
  // G: hello exhausted, so `later` shows its fallbacks; H: both sequences due, `later` shows
  // hello's step and channel. Repeated so that batches and threads split them.
  const std::string header =
      "id,name,tags,color,n,x,spend,rate,d,flag,email_ok,sms_ok,tier,renewal_date,last_touch,"
      "last_touch_date\n";
  std::string csv = header;
  for (int i = 0; i < 30; ++i) {
    const std::string k = std::to_string(i);
    csv += "F" + k + ",Zoë,home|apparel,red,12,3,84.5,0.35,2026-03-08,true,true,false,gold,,0,\n";
    csv += "E" + k + ",,,,,,,,,false,true,false,silver,,0,\n";
    csv += "Z" + k + ",,,,0,5,,,,,true,false,bronze,,0,\n";
    csv += "G" + k + ",{nick},,,,,,,,,true,false,gold,,1,2026-10-01\n";
    csv += "H" + k + ",,,,,,,,,,true,false,gold,,0,\n";
  }
  {
    std::ofstream out(dir / "snap.csv", std::ios::binary);
    out << csv;
  }
  auto run = [&](const std::string& tag, Engine engine, int threads) {
    write_drafts(*rules, dir, as_of, tag, engine, threads, false);
  };
  run("a", Engine::Jit, 1);
  run("b", Engine::Interpreter, 2);
  run("c", Engine::Jit, 2);
  CHECK(read_file(dir / "a.drafts.jsonl") == read_file(dir / "b.drafts.jsonl"));
  CHECK(read_file(dir / "a.drafts.jsonl") == read_file(dir / "c.drafts.jsonl"));

  const std::map<std::string, std::pair<std::string, std::string>> want = {
      {"F hello",
       {"Hi Zoë, gold since 2026-03-08, at least $84.50, gold true",
        "orders 13; quiet 238 days; renew 2026-04-07; big true; half 1.5; ratio 0.25; share "
        "0.35; budget $169.00; shade red; bucket big; tags home, apparel; loyalty 10"}},
      {"E hello",
       {"Hi friend, silver since 2026-01-01, at least $0.00, gold false",
        "orders ?; quiet ? days; renew ?; big ?; half ?; ratio ?; share ?; budget ?; shade none; "
        "bucket small; tags none; loyalty 0"}},
      {"Z hello",
       {"Hi friend, bronze since 2026-01-01, at least $0.00, gold false",
        "orders 1; quiet ? days; renew ?; big false; half 2.5; ratio ?; share ?; budget ?; shade "
        "none; bucket small; tags none; loyalty 0"}},
      {"G later", {"After nothing by no channel", "Hello is exhausted."}},
      {"H hello",
       {"Hi friend, gold since 2026-01-01, at least $0.00, gold true",
        "orders ?; quiet ? days; renew ?; big ?; half ?; ratio ?; share ?; budget ?; shade none; "
        "bucket small; tags none; loyalty 0"}},
      {"H later", {"After greet by email", "Hello is due."}},
  };
  std::ifstream drafts(dir / "a.drafts.jsonl");
  std::string line;
  std::map<std::string, int> seen;
  while (std::getline(drafts, line)) {
    INFO(line);
    const auto j = nlohmann::json::parse(line);
    const std::string id = j["customer_id"];
    const std::string key = id.substr(0, 1) + " " + j["sequence"].get<std::string>();
    ++seen[key];
    const auto it = want.find(key);
    REQUIRE(it != want.end());
    CHECK(j["subject"] == it->second.first);
    CHECK(j["body"] == it->second.second);
  }
  for (const auto& [key, texts] : want) CHECK(seen[key] == 30);
  fs::remove_all(dir);
}
