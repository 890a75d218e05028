// Tests of the language server's features on analyses of the playbook and small rule files:
// diagnostics (codes, links, related notes, problems in imported files, unsaved imports), quick
// fixes, hover, go to definition, references, completion in each place, document symbols,
// semantic tokens, formatting, the fallback to the last version that parsed, lint warnings,
// test files, and broken input of every kind never throwing.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "compiler/lint/lint.h"
#include "grammar/doc_links.h"
#include "grammar/names.h"
#include "lsp/analysis.h"
#include "lsp/completion.h"
#include "lsp/features.h"

namespace {

using namespace rk::lsp;
using rk::docs_link;
using rk::Severity;

const std::string kRules = std::string(RK_SOURCE_DIR) + "/rules/";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Files an "editor" has open, by path; everything else is read from disk.
struct Workspace {
  std::map<std::string, std::string> open;
  FileReader reader() const {
    return [this](const std::string& p) -> std::optional<std::string> {
      auto it = open.find(p);
      if (it == open.end()) return std::nullopt;
      return it->second;
    };
  }
};

struct Doc {
  std::string path;
  std::string text;
  std::shared_ptr<const Analysis> a;
  std::unique_ptr<View> v;

  // The position of the `nth` occurrence of `needle`, `delta` bytes into it.
  Position at(const std::string& needle, int nth = 0, int delta = 0) const {
    size_t idx = std::string::npos;
    for (int i = 0; i <= nth; ++i) {
      idx = text.find(needle, idx == std::string::npos ? 0 : idx + 1);
      REQUIRE(idx != std::string::npos);
    }
    return v->lines(0).position(static_cast<uint32_t>(idx + delta), Encoding::Utf16);
  }
  uint32_t offset_of(const std::string& needle, int nth = 0) const {
    size_t idx = std::string::npos;
    for (int i = 0; i <= nth; ++i) idx = text.find(needle, idx == std::string::npos ? 0 : idx + 1);
    return static_cast<uint32_t>(idx);
  }
};

Doc open_doc(const std::string& path, const std::string& text, const Workspace* ws = nullptr,
             std::shared_ptr<const ParsedDoc> parsed = nullptr, DocKind kind = DocKind::Rules) {
  Doc d;
  d.path = path;
  d.text = text;
  AnalyzeInput in;
  in.kind = kind;
  in.path = path;
  in.text = text;
  in.version = 1;
  if (ws) in.read = ws->reader();
  in.parsed = std::move(parsed);
  d.a = analyze(in);
  d.v = std::make_unique<View>(*d.a, Encoding::Utf16, "file://" + path);
  return d;
}

Doc playbook(const std::string& text) {
  return open_doc(kRules + "winback.rules", text);
}

const std::string kPlaybook = slurp(kRules + "winback.rules");

std::vector<const Problem*> errors(const Analysis& a) {
  std::vector<const Problem*> out;
  for (const auto& p : a.problems)
    if (p.severity == Severity::Error) out.push_back(&p);
  return out;
}

std::string hover_text(const Doc& d, Position p) {
  const json h = hover(*d.v, p);
  if (h.is_null()) return "";
  return h["contents"]["value"].get<std::string>();
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const size_t i = s.find(from);
  REQUIRE(i != std::string::npos);
  return s.replace(i, from.size(), to);
}

// The text after applying a WorkspaceEdit's edits to one file (edits given in UTF-16 ranges).
std::string apply_edits(const std::string& text, const json& edits) {
  std::string out = text;
  std::vector<std::pair<Range, std::string>> es;
  for (const auto& e : edits)
    es.push_back({{position_from_json(e["range"]["start"]), position_from_json(e["range"]["end"])},
                  e["newText"].get<std::string>()});
  // From the last to the first, so earlier positions stay valid.
  std::sort(es.begin(), es.end(), [](const auto& x, const auto& y) {
    return std::tie(x.first.start.line, x.first.start.character) >
           std::tie(y.first.start.line, y.first.start.character);
  });
  for (const auto& [r, t] : es) apply_edit(out, r, t, Encoding::Utf16);
  return out;
}

}  // namespace

TEST_CASE("features: the playbook is clean and fully indexed") {
  const Doc d = playbook(kPlaybook);
  CHECK(d.a->problems.empty());
  CHECK_FALSE(d.a->stale);
  REQUIRE(d.a->files.size() == 2);
  CHECK(d.a->files[1].path == kRules + "customer.schema");
  REQUIRE(d.a->compiled);
  // Every name of the playbook denotes something: each word outside comments and strings that is
  // not a keyword is covered by a reference, except the list items of `has` (strings).
  const std::set<std::string> has_items = {"apparel", "footwear", "accessories", "home",
                                           "kitchen", "garden",   "electronics"};
  const std::string& t = kPlaybook;
  size_t unresolved = 0;
  for (size_t i = 0; i < t.size();) {
    if (t[i] == '#') {
      i = t.find('\n', i);
      continue;
    }
    if (t[i] == '"') {
      i = t.find('"', i + 1) + 1;
      continue;
    }
    const size_t n = rk::grammar::ident_length(t.data() + i, t.data() + t.size());
    if (n == 0 ||
        (i > 0 && (std::isalnum(static_cast<unsigned char>(t[i - 1])) || t[i - 1] == '_'))) {
      ++i;
      continue;
    }
    const std::string w = t.substr(i, n);
    if (!rk::grammar::is_keyword(w) && !has_items.count(w)) {
      const Reference* r = d.a->index.reference_at(0, static_cast<uint32_t>(i));
      if (!r || r->loc.offset != i || r->loc.len != n) {
        ++unresolved;
        UNSCOPED_INFO("no reference for `" << w << "` at byte " << i);
      }
    }
    i += n;
  }
  CHECK(unresolved == 0);
}

TEST_CASE("features: a misspelled field is an error at its place, with a link, a note and a fix") {
  const std::string text = replace(kPlaybook, "never_purchased when last_purchase_date",
                                   "never_purchased when last_purchse_date");
  const Doc d = playbook(text);
  const auto errs = errors(*d.a);
  REQUIRE(errs.size() == 1);
  const Problem& p = *errs[0];
  CHECK(p.code == "RK0201");
  CHECK(p.loc.offset == d.offset_of("last_purchse_date"));
  CHECK(p.loc.len == std::string("last_purchse_date").size());
  CHECK(p.message == "unknown name `last_purchse_date`\nhelp: did you mean `last_purchase_date`?");
  const json j = diagnostic_json(*d.v, p, "https://docs.example/rekindle/");
  CHECK(j["severity"] == 1);
  CHECK(j["code"] == "RK0201");
  CHECK(j["source"] == "rekindle");
  CHECK(j["codeDescription"]["href"] == "https://docs.example/rekindle/diagnostics.md#RK0201");
  CHECK(j["range"]["start"]["line"] == d.at("last_purchse_date").line);
  CHECK(j["range"]["start"]["character"] == d.at("last_purchse_date").character);
  CHECK(j["range"]["end"]["character"] == d.at("last_purchse_date").character + 17);
  // "did you mean": where the suggestion is declared.
  REQUIRE(j["relatedInformation"].size() == 1);
  CHECK(j["relatedInformation"][0]["message"] == "`last_purchase_date` is declared here");
  CHECK(j["relatedInformation"][0]["location"]["uri"] == "file://" + kRules + "customer.schema");
  // The quick fix.
  const json actions = code_actions(
      *d.v, {d.at("last_purchse_date", 0, 3), d.at("last_purchse_date", 0, 3)}, d.a->problems, "");
  REQUIRE(actions.size() == 1);
  CHECK(actions[0]["title"] == "Change to `last_purchase_date`");
  CHECK(actions[0]["kind"] == "quickfix");
  CHECK(actions[0]["isPreferred"] == true);
  CHECK(actions[0]["diagnostics"][0]["code"] == "RK0201");
  const json& edits = actions[0]["edit"]["changes"]["file://" + d.path];
  CHECK(apply_edits(text, edits) == kPlaybook);
  // No action away from the problem.
  CHECK(code_actions(*d.v, {{0, 0}, {0, 3}}, d.a->problems, "").empty());
  // Lint codes link to lints.md; an unknown code or base links nowhere.
  CHECK(docs_link("B/", "RK0608") == "B/lints.md#rk0608-channel-without-consent");
  CHECK(docs_link("", "RK0201").empty());
  CHECK(docs_link("B/", "RK9999").empty());
}

TEST_CASE("features: quick fixes for misspelled values, members and labels") {
  struct Case {
    std::string from, to, wrong, right;
  };
  for (const Case& c : std::vector<Case>{
           {"relationship_flag is legal_hold", "relationship_flag is legalhold", "legalhold",
            "legal_hold"},
           {"winback.offer is discount", "winback.ofer is discount", "ofer", "offer"},
           {"only when dormancy is deep", "only when dormancy is deeep", "deeep", "deep"},
           {"{early_warning, active_risk, critical, deep}",
            "{early_warning, active_risk, critcal, deep}", "critcal", "critical"},
           {"avg_order_value >= whale_aov", "avg_order_value >= whale_aw", "whale_aw",
            "whale_aov"}}) {
    INFO(c.wrong);
    const std::string text = replace(kPlaybook, c.from, c.to);
    const Doc d = playbook(text);
    REQUIRE(errors(*d.a).size() == 1);
    const Position at = d.at(c.wrong, 0, 1);
    const json actions = code_actions(*d.v, {at, at}, d.a->problems, "");
    REQUIRE(actions.size() == 1);
    CHECK(actions[0]["title"] == "Change to `" + c.right + "`");
    CHECK(apply_edits(text, actions[0]["edit"]["changes"]["file://" + d.path]) == kPlaybook);
  }
}

TEST_CASE("features: a stop rule without a reason gets a `because` quick fix") {
  const std::string text =
      replace(kPlaybook, "\n  because \"Low-value single buyer, better left inactive\"", "");
  const Doc d = playbook(text);
  const auto errs = errors(*d.a);
  REQUIRE(errs.size() == 1);
  CHECK(errs[0]->code == "RK0404");
  const json actions = code_actions(*d.v, {d.at("poor_fit"), d.at("poor_fit")}, d.a->problems, "");
  REQUIRE(actions.size() == 1);
  CHECK(actions[0]["title"] == "Add `because \"Poor fit\"`");
  const std::string fixed = apply_edits(text, actions[0]["edit"]["changes"]["file://" + d.path]);
  CHECK(fixed.find("days_dormant >= 365 days\n  because \"Poor fit\"\n") != std::string::npos);
  const Doc again = playbook(fixed);
  CHECK(errors(*again.a).empty());
}

TEST_CASE("features: imports come from open buffers, problems in them show at the import") {
  const std::string schema_path = kRules + "customer.schema";
  Workspace ws;
  // An unsaved field in the schema is known to the rules.
  ws.open[schema_path] = slurp(schema_path) + "field vip: bool\n";
  const std::string uses_vip = kPlaybook + "\nreview vip_customer when vip because \"VIP\"\n";
  CHECK(errors(*open_doc(kRules + "winback.rules", uses_vip, &ws).a).empty());
  const Doc on_disk = playbook(uses_vip);
  const auto disk = errors(*on_disk.a);
  REQUIRE(disk.size() == 1);
  CHECK(disk[0]->code == "RK0201");

  // A syntax error in the (unsaved) schema is shown at the rule file's import.
  ws.open[schema_path] =
      replace(slurp(schema_path), "field orders_total: int", "field orders_total: integer");
  const Doc d = open_doc(kRules + "winback.rules", kPlaybook, &ws);
  const auto errs = errors(*d.a);
  REQUIRE(errs.size() == 1);
  CHECK(errs[0]->code == "RK0101");
  CHECK(errs[0]->message.rfind("in `customer.schema`: ", 0) == 0);
  CHECK(errs[0]->loc.file == 0);
  CHECK(errs[0]->loc.offset == d.offset_of("import \"customer.schema\""));
  REQUIRE_FALSE(errs[0]->related.empty());
  CHECK(errs[0]->related[0].loc.file == 1);
  CHECK(d.a->files[1].text.substr(errs[0]->related[0].loc.offset, 7) == "integer");

  // A missing import is an error at the import.
  const Doc m =
      playbook(replace(kPlaybook, "import \"customer.schema\"", "import \"nowhere.schema\""));
  REQUIRE_FALSE(errors(*m.a).empty());
  CHECK(errors(*m.a)[0]->code == "RK0501");
  CHECK(errors(*m.a)[0]->loc.offset == m.offset_of("import"));
}

TEST_CASE("features: hover shows types, nullability, docs, values, conditions and definitions") {
  const Doc d = playbook(kPlaybook);
  const std::string field = hover_text(d, d.at("avg_order_value >= whale_aov", 0, 3));
  CHECK(field.find("**field** `avg_order_value`") == 0);
  CHECK(field.find("field avg_order_value: money") != std::string::npos);
  CHECK(field.find("Currency units, e.g. 84.50.") != std::string::npos);
  CHECK(field.find("type: money, never missing") != std::string::npos);
  const std::string nullable = hover_text(d, d.at("gross_margin_pct is missing", 0, 1));
  CHECK(nullable.find("type: percent, may be missing (`?`)") != std::string::npos);
  const std::string enum_field = hover_text(d, d.at("relationship_flag is legal_hold", 0, 1));
  CHECK(enum_field.find("type: enum {complaint, chargeback, bereavement, legal_hold}, may be "
                        "missing") != std::string::npos);
  const std::string param = hover_text(d, d.at("avg_order_value >= whale_aov", 0, 22));
  CHECK(param.find("**parameter** `whale_aov`") == 0);
  CHECK(param.find("value: $250") != std::string::npos);
  CHECK(param.find("Order value from which a customer counts as a whale.") != std::string::npos);
  const std::string label = hover_text(d, d.at("only when dormancy is deep", 0, 23));
  CHECK(label.find("**label** `deep` of segment `dormancy`") == 0);
  CHECK(label.find("when days_dormant >= 180 days") != std::string::npos);
  CHECK(label.find("label 6 of 6") != std::string::npos);
  const std::string let = hover_text(d, d.at("days_dormant < 60 days"));
  CHECK(let.find("let days_dormant = days since last_purchase_date") != std::string::npos);
  CHECK(let.find("Whole days from the last purchase") != std::string::npos);
  const std::string value = hover_text(d, d.at("relationship_flag is legal_hold", 0, 22));
  CHECK(value.find("**enum value** `legal_hold` of field `relationship_flag`") == 0);
  const std::string member = hover_text(d, d.at("winback.offer", 0, 9));
  CHECK(member.find("**sequence member** `offer` of sequence `winback`") == 0);
  const std::string channel = hover_text(d, d.at("fallback email to sms", 0, 19));
  CHECK(channel.find("allowed when sms_consent is true") != std::string::npos);
  const std::string touch = hover_text(d, d.at("touch scarcity", 0, 7));
  CHECK(touch.find("touch 5 of 7 of sequence `winback`") != std::string::npos);
  const std::string stop = hover_text(d, d.at("stop opted_out", 0, 6));
  CHECK(stop.find("reason: \"Contact opted out\"") != std::string::npos);
  const std::string file = hover_text(d, d.at("import", 0, 2));
  CHECK(file.find("**file** `" + kRules + "customer.schema`") == 0);
  CHECK(hover_text(d, d.at("# The win-back playbook")).empty());  // a comment
  CHECK(hover_text(d, d.at("segment dormancy")).empty());         // a keyword
}

TEST_CASE("features: hover on a cap and a guarantee says what each promises") {
  const Doc d = open_doc(kRules + "program.rules", slurp(kRules + "program.rules"));
  const std::string count = hover_text(d, d.at("cap one_per_run", 0, 5));
  CHECK(count.find("**cap** `one_per_run`") == 0);
  CHECK(count.find("at most 1 message(s) per customer per run") != std::string::npos);
  const std::string when = hover_text(d, d.at("cap busy", 0, 5));
  CHECK(when.find("is `capped` when contacts_30d >= 4") != std::string::npos);
  const std::string g = hover_text(d, d.at("guarantee offer_ceiling", 0, 11));
  INFO(g);
  CHECK(g.find("**guarantee** `offer_ceiling`") == 0);
  CHECK(g.find("a promise: `winback.discount > 25% or winback.credit > $25 or") !=
        std::string::npos);
  CHECK(g.find("` is never true, for every customer and as-of date") != std::string::npos);
  CHECK(g.find("proven by the solver") != std::string::npos);
}

TEST_CASE("features: hover shows a field's value range from the schema") {
  const std::string dir = std::string(RK_SOURCE_DIR) + "/tests/lsp/";
  Workspace ws;  // an unsaved schema beside an unsaved rule file
  ws.open[dir + "account.schema"] =
      "schema account\n\nfield account_id: string key\n## Net promoter score.\n"
      "field nps: int? 0 to 10\nfield mrr: money >= $0\nfield seats: int\n";
  const std::string text =
      "import \"account.schema\"\ncandidate when nps > 5 and mrr > $10 and seats > 1\n";
  const Doc d = open_doc(dir + "account.rules", text, &ws);
  CHECK(errors(*d.a).empty());
  const std::string nps = hover_text(d, d.at("nps > 5", 0, 1));
  CHECK(nps.find("type: int, may be missing") != std::string::npos);
  CHECK(nps.find("range: 0 to 10 (a snapshot value outside it is a data error)") !=
        std::string::npos);
  CHECK(hover_text(d, d.at("mrr > $10", 0, 1)).find("range: >= $0") != std::string::npos);
  CHECK(hover_text(d, d.at("seats > 1", 0, 1)).find("range:") == std::string::npos);
}

TEST_CASE("features: go to definition of every kind of name") {
  const Doc d = playbook(kPlaybook);
  auto def = [&](Position p) {
    const json j = definition(*d.v, p);
    REQUIRE_FALSE(j.is_null());
    const uint32_t file = j["uri"] == "file://" + d.path ? 0 : 1;
    return std::make_pair(
        file, d.v->lines(file).offset(position_from_json(j["range"]["start"]), Encoding::Utf16));
  };
  const std::string& schema = d.a->files[1].text;
  {
    const auto [file, off] = def(d.at("avg_order_value >= whale_aov", 0, 1));
    CHECK(file == 1);
    CHECK(schema.substr(off, 15) == "avg_order_value");
  }
  CHECK(def(d.at("avg_order_value >= whale_aov", 0, 20)) ==
        std::make_pair(0u, d.offset_of("whale_aov")));
  CHECK(def(d.at("days_dormant < 60")) == std::make_pair(0u, d.offset_of("days_dormant")));
  CHECK(def(d.at("dormancy is deep", 0, 12)) == std::make_pair(0u, d.offset_of("deep ")));
  CHECK(def(d.at("value_tier is whale", 0, 2)) == std::make_pair(0u, d.offset_of("value_tier {")));
  CHECK(def(d.at("fallback email to sms", 0, 10)) ==
        std::make_pair(0u, d.offset_of("email requires")));
  CHECK(def(d.at("winback.offer", 0, 2)) == std::make_pair(0u, d.offset_of("winback {")));
  // A built-in member: its sequence.
  CHECK(def(d.at("winback.offer", 0, 10)) == std::make_pair(0u, d.offset_of("winback {")));
  CHECK(def(d.at("progress last_touch on", 0, 10)).first == 1);
  CHECK(def(d.at("import \"customer.schema\"", 0, 10)) == std::make_pair(1u, 0u));
  CHECK(definition(*d.v, d.at("# The win-back")).is_null());
}

TEST_CASE("features: references across the rule file and the schema") {
  const Doc d = playbook(kPlaybook);
  const std::vector<const View*> all{d.v.get()};
  auto count = [&](Position p, bool decl) { return references(*d.v, p, all, decl).size(); };
  const std::regex word("\\bdays_dormant\\b");
  const auto uses = std::distance(std::sregex_iterator(kPlaybook.begin(), kPlaybook.end(), word),
                                  std::sregex_iterator());
  CHECK(count(d.at("days_dormant < 60"), true) == static_cast<size_t>(uses));
  CHECK(count(d.at("days_dormant < 60"), false) == static_cast<size_t>(uses - 1));
  // A field: its declaration in the schema and its uses in the rules.
  const json refs = references(*d.v, d.at("last_touch >"), all, true);
  std::set<std::string> uris;
  for (const auto& r : refs) uris.insert(r["uri"].get<std::string>());
  CHECK(uris == std::set<std::string>{"file://" + d.path, "file://" + kRules + "customer.schema"});
  CHECK(refs.size() == 3);  // field last_touch; progress last_touch; exit ... last_touch > 0
  // A label: declared once, used in `in {...}`.
  CHECK(count(d.at("in {early_warning", 0, 4), true) == 2);
  // A channel: declaration, fallback, and every `via` (seven, one in an `if`).
  CHECK(count(d.at("fallback email", 0, 10), true) == 9);
}

TEST_CASE("features: completion context in each place") {
  auto place = [](const std::string& text, DocKind kind = DocKind::Rules) {
    const size_t at = text.find('|');
    REQUIRE(at != std::string::npos);
    std::string t = text;
    t.erase(at, 1);
    return completion_context(kind, t, static_cast<uint32_t>(at));
  };
  using P = CompletionPlace;
  CHECK(place("|").place == P::Declaration);
  CHECK(place("import \"x\"\nse|").place == P::Declaration);
  CHECK(place("import \"x\"\nse|").prefix == "se");
  CHECK(place("segment s {\n  a when x > 1\n  |").place == P::SegmentLine);
  CHECK(place("sequence w {\n  touch a via email\n  |").place == P::SequenceLine);
  auto v = place("review r when value_tier is |");
  CHECK(v.place == P::Value);
  CHECK(v.subject == "value_tier");
  CHECK(v.after_is);
  v = place("review r when value_tier is not wh|");
  CHECK(v.place == P::Value);
  CHECK(v.prefix == "wh");
  v = place("candidate when dormancy in {early_warning, |");
  CHECK(v.place == P::Value);
  CHECK(v.subject == "dormancy");
  v = place("candidate when winback.status is one of {|");
  CHECK(v.place == P::Value);
  CHECK(v.subject == "winback");
  CHECK(v.member == "status");
  CHECK(place("candidate when categories has any of {|").place == P::None);
  v = place("candidate when acquisition_channel = |");
  CHECK(v.place == P::Value);
  CHECK(v.subject == "acquisition_channel");
  CHECK(place("let x = |").place == P::Expression);
  CHECK(place("stop s when |").place == P::Expression);
  CHECK(place("stop s when a and (|").place == P::Expression);
  CHECK(place("stop s when a |").place == P::Operator);
  CHECK(place("stop s when a > 3 |").place == P::Operator);
  auto m = place("review r when winback.|");
  CHECK(m.place == P::Member);
  CHECK(m.subject == "winback");
  auto ch = place("sequence w {\n  channel email\n  touch a via |");
  CHECK(ch.place == P::Channel);
  CHECK(ch.sequence == "w");
  CHECK(place("sequence w {\n  touch a via (if x then |").place == P::Channel);
  CHECK(place("sequence w {\n  fallback email to |").place == P::Channel);
  CHECK(place("sequence w {\n  progress |").place == P::Field);
  CHECK(place("sequence w {\n  progress n on |").place == P::Field);
  CHECK(place("import |").place == P::Import);
  CHECK(place("import \"cu|").place == P::Import);
  CHECK(place("import \"cu|").in_string);
  CHECK(place("# a comment is |").place == P::None);
  CHECK(place("stop s when x because \"is |").place == P::None);
  CHECK(place("segment |").place == P::None);
  CHECK(place("stop |").place == P::None);
  CHECK(place("field |", DocKind::Schema).place == P::None);
  CHECK(place("schema c\n|", DocKind::Schema).place == P::SchemaLine);
  CHECK(place("field a: |", DocKind::Schema).place == P::SchemaType);
}

TEST_CASE("features: completion items come from the index") {
  auto labels = [](const Doc& d, Position p) {
    std::vector<std::string> out;
    const json list = completion(*d.v, p);
    for (const auto& item : list["items"]) out.push_back(item["label"]);
    return out;
  };
  auto has = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  // A file in the middle of an edit (it does not parse): the names of its last good version.
  const Doc good = playbook(kPlaybook);
  const std::string text = replace(kPlaybook, "review high_value when value_tier is whale",
                                   "review high_value when value_tier is ");
  const Doc d = open_doc(kRules + "winback.rules", text, nullptr, good.a->parsed);
  CHECK(d.a->stale);
  const auto values = labels(d, d.at("value_tier is ", 0, 14));
  CHECK(values ==
        std::vector<std::string>{"whale", "mid", "low", "missing", "present", "not", "one of"});
  const auto names = labels(d, d.at("avg_order_value >= whale_aov", 0, 19));
  for (const char* n : {"avg_order_value", "days_dormant", "whale_aov", "dormancy", "winback",
                        "candidate", "stopped", "not", "days since"})
    CHECK(has(names, n));
  // At the start of a name after `when`: the names an expression can use.
  CHECK(has(labels(good, good.at("winback.offer")), "winback"));
  // In a comment: nothing.
  CHECK(labels(good, good.at("# The win-back playbook", 0, 6)).empty());
  const std::string t2 = replace(kPlaybook, "review discount when winback.offer is discount",
                                 "review discount when winback.status is ");
  const Doc s = open_doc(kRules + "winback.rules", t2, nullptr, good.a->parsed);
  const auto st = labels(s, s.at("winback.status is ", 0, 18));
  for (const char* n : {"not_candidate", "stopped", "holdout", "responded", "exhausted", "waiting",
                        "no_channel", "due"})
    CHECK(has(st, n));
  const auto fields = labels(good, good.at("progress ", 0, 9));
  CHECK(has(fields, "last_touch"));
  CHECK_FALSE(has(fields, "days_dormant"));
  const auto channels = labels(good, good.at("touch recommendation via ", 0, 25));
  CHECK(channels == std::vector<std::string>{"email", "sms"});
  const auto files = labels(good, good.at("import ", 0, 7));
  CHECK(has(files, "customer.schema"));
  CHECK_FALSE(has(files, "winback.rules"));  // not itself
}

TEST_CASE("features: document symbols outline the rule file and the schema") {
  const Doc d = playbook(kPlaybook);
  const json syms = document_symbols(*d.v);
  std::vector<std::string> names;
  for (const auto& s : syms) names.push_back(s["name"]);
  CHECK(names.front() == "whale_aov");
  CHECK(names.back() == "winback");
  CHECK(std::count(names.begin(), names.end(), "dormancy") == 1);
  const json& seq = syms.back();
  CHECK(seq["kind"] == 3);
  std::vector<std::string> children;
  for (const auto& c : seq["children"]) children.push_back(c["name"]);
  CHECK(children == std::vector<std::string>{"responded", "email", "sms", "pattern_interrupt",
                                             "recommendation", "soft_incentive", "social_proof",
                                             "scarcity", "winback_offer", "final_nudge"});
  for (const auto& s : syms) {
    // The selection range lies inside the range.
    const auto r0 = position_from_json(s["range"]["start"]);
    const auto s0 = position_from_json(s["selectionRange"]["start"]);
    CHECK(std::tie(r0.line, r0.character) <= std::tie(s0.line, s0.character));
  }
  const std::string schema_path = kRules + "customer.schema";
  const Doc sc = open_doc(schema_path, slurp(schema_path), nullptr, nullptr, DocKind::Schema);
  CHECK(sc.a->problems.empty());
  const json fields = document_symbols(*sc.v);
  REQUIRE(fields.size() == 21);
  CHECK(fields[0]["name"] == "customer_id");
  CHECK(fields[0]["kind"] == 8);
  CHECK(fields[11]["name"] == "acquisition_channel");
  CHECK(fields[11]["children"].size() == 5);
}

TEST_CASE("features: semantic tokens classify names by what they denote") {
  const Doc d = playbook(kPlaybook);
  const json t = semantic_tokens(*d.v);
  const auto& data = t["data"];
  REQUIRE(data.size() % 5 == 0);
  const auto& types = semantic_token_types();
  std::map<std::pair<uint32_t, uint32_t>, std::pair<std::string, int>> at;  // (line, char) -> type
  uint32_t line = 0, ch = 0;
  for (size_t i = 0; i < data.size(); i += 5) {
    const uint32_t dl = data[i], dc = data[i + 1];
    line += dl;
    ch = dl ? dc : ch + dc;
    at[{line, ch}] = {types[data[i + 3].get<uint32_t>()], data[i + 4].get<int>()};
  }
  auto token = [&](Position p) { return at.at({p.line, p.character}); };
  CHECK(token(d.at("whale_aov")) ==
        std::make_pair(std::string("parameter"), 1 | 2));  // decl, readonly
  CHECK(token(d.at("avg_order_value >= whale_aov", 0, 19)).first == "parameter");
  CHECK(token(d.at("avg_order_value")).first == "property");
  CHECK(token(d.at("days_dormant")) == std::make_pair(std::string("variable"), 1));
  CHECK(token(d.at("dormancy is deep", 0, 12)).first == "enumMember");
  CHECK(token(d.at("value_tier is whale")).first == "enum");
  CHECK(token(d.at("winback.offer")).first == "namespace");
  CHECK(token(d.at("winback.offer", 0, 8)) == std::make_pair(std::string("property"), 4));
  CHECK(token(d.at("stop opted_out", 0, 5)).first == "function");
  CHECK(token(d.at("touch scarcity", 0, 6)).first == "event");
}

TEST_CASE("features: formatting edits only what changes, and a broken file is not formatted") {
  const Doc clean = playbook(kPlaybook);
  std::string error;
  auto none = formatting(*clean.v, error);
  REQUIRE(none.has_value());
  CHECK(none->empty());
  const std::string messy = replace(kPlaybook, "segment value_tier {\n  whale when",
                                    "segment   value_tier{\n      whale   when");
  const Doc d = playbook(messy);
  auto edits = formatting(*d.v, error);
  REQUIRE(edits.has_value());
  REQUIRE(edits->size() == 1);
  const std::string formatted = apply_edits(messy, *edits);
  CHECK(formatted == kPlaybook);
  const Doc broken = playbook(replace(kPlaybook, "segment value_tier {", "segment value_tier {{"));
  CHECK_FALSE(formatting(*broken.v, error).has_value());
  CHECK(error.find("winback.rules:") != std::string::npos);
}

TEST_CASE("features: a file that does not parse is navigated through its last good version") {
  const Doc good = playbook(kPlaybook);
  // Typing a new label into a segment: the file is broken there.
  const std::string text = replace(kPlaybook, "  otherwise low\n", "  otherwise low\n  vip when\n");
  const Doc d = open_doc(kRules + "winback.rules", text, nullptr, good.a->parsed);
  CHECK(d.a->stale);
  REQUIRE(errors(*d.a).size() == 1);
  CHECK(errors(*d.a)[0]->code == "RK0101");
  // Before the edit and after it, names still resolve at their current places.
  CHECK(hover_text(d, d.at("days_dormant < 60")).find("**let** `days_dormant`") == 0);
  CHECK(hover_text(d, d.at("only when dormancy is deep", 0, 23)).find("**label** `deep`") == 0);
  const json def = definition(*d.v, d.at("value_tier is whale", 0, 14));
  REQUIRE_FALSE(def.is_null());
  CHECK(d.v->lines(0).offset(position_from_json(def["range"]["start"]), Encoding::Utf16) ==
        d.offset_of("whale when"));
  // Nothing is claimed inside the edited region.
  CHECK(hover_text(d, d.at("vip when", 0, 1)).empty());
  // The outline is still there.
  CHECK(document_symbols(*d.v).size() == document_symbols(*good.v).size());
  // Without a version that parsed: the declarations before the broken one.
  const Doc fresh = playbook(text);
  CHECK_FALSE(fresh.a->stale);
  CHECK(hover_text(fresh, fresh.at("days_dormant < 60")).find("**let** `days_dormant`") == 0);
  CHECK(hover_text(fresh, fresh.at("last_purchase_date is missing")).find("**field**") == 0);
  CHECK(hover_text(fresh, fresh.at("value_tier is whale")).empty());  // declared in the broken part
  const json syms = document_symbols(*fresh.v);
  REQUIRE_FALSE(syms.empty());
  CHECK(syms.back()["name"] == "dormancy");
}

TEST_CASE("features: a new file being typed completes the names of its schema") {
  const std::string text = "import \"customer.schema\"\n\nlet x = 3\nstop late when ";
  const Doc d = open_doc(kRules + "new.rules", text);
  REQUIRE(errors(*d.a).size() == 1);
  const json list =
      completion(*d.v, d.v->lines(0).position(static_cast<uint32_t>(text.size()), Encoding::Utf16));
  std::vector<std::string> labels;
  for (const auto& item : list["items"]) labels.push_back(item["label"]);
  CHECK(std::find(labels.begin(), labels.end(), "avg_order_value") != labels.end());
  CHECK(std::find(labels.begin(), labels.end(), "x") != labels.end());
}

TEST_CASE(
    "features: lint warnings for a rule file without errors, and a stop function stops them") {
  const Doc d =
      playbook(replace(kPlaybook, "channel sms requires sms_consent is true", "channel sms"));
  REQUIRE(d.a->problems.empty());
  rk::LintOptions o;
  const auto warnings = lint(*d.a, o);
  const auto it = std::find_if(warnings.begin(), warnings.end(),
                               [](const Problem& p) { return p.code == "RK0608"; });
  REQUIRE(it != warnings.end());
  CHECK(it->severity == Severity::Warning);
  CHECK(it->loc.file == 0);
  CHECK(d.text.substr(it->loc.offset - 8, 11) == "channel sms");
  // Asked to stop at once: no solver question is asked, so no claim is made.
  o.stop = [] { return true; };
  for (const auto& p : lint(*d.a, o)) CHECK(p.code != "RK0602");
  // A file with errors has no lint.
  CHECK(lint(*playbook(kPlaybook + "\nstop x when nothing_known because \"x\"\n").a, o).empty());
}

TEST_CASE("features: test files get their syntax errors and an outline of tests") {
  const std::string path = kRules + "winback.test";
  const Doc d = open_doc(path, slurp(path), nullptr, nullptr, DocKind::Test);
  CHECK(d.a->problems.empty());
  const json syms = document_symbols(*d.v);
  REQUIRE(syms.size() > 20);
  CHECK(syms[0]["name"] == "the default customer gets touch 1 by email");
  const Doc bad = open_doc(path, "rules \"winback.rules\"\nas of 2026-13-01\n", nullptr, nullptr,
                           DocKind::Test);
  REQUIRE(bad.a->problems.size() == 1);
  CHECK(bad.a->problems[0].code == "RK0703");
  CHECK(doc_kind("", "/x/a.test") == DocKind::Test);
  CHECK(doc_kind("", "/x/a.schema") == DocKind::Schema);
  CHECK(doc_kind("", "/x/a.rules") == DocKind::Rules);
  CHECK(doc_kind("rekindle-schema", "/x/a.rules") == DocKind::Schema);
}

TEST_CASE("features: no text makes an analysis or a request fail") {
  const Doc good = playbook(kPlaybook);
  std::vector<std::string> texts = {"",
                                    "{",
                                    "}",
                                    "\"",
                                    "segment",
                                    "import",
                                    "import \"",
                                    "sequence s {",
                                    "stop x when a is",
                                    std::string("\xff\xfe\x00", 3),
                                    std::string(3000, '('),
                                    "let a = b\nlet b = a\n"};
  // Every prefix of the playbook at a stride (a file being typed from the top).
  for (size_t n = 0; n < kPlaybook.size(); n += 211) texts.push_back(kPlaybook.substr(0, n));
  for (const auto& t : texts) {
    for (const auto& parsed : {std::shared_ptr<const ParsedDoc>(), good.a->parsed}) {
      const Doc d = open_doc(kRules + "winback.rules", t, nullptr, parsed);
      for (uint32_t off = 0; off <= t.size(); off += 37) {
        const Position p = d.v->lines(0).position(off, Encoding::Utf16);
        hover(*d.v, p);
        definition(*d.v, p);
        completion(*d.v, p);
        references(*d.v, p, {d.v.get()}, true);
      }
      document_symbols(*d.v);
      semantic_tokens(*d.v);
      std::string error;
      formatting(*d.v, error);
      code_actions(*d.v, {{0, 0}, {999, 0}}, d.a->problems, "x/");
    }
  }
  SUCCEED("no exception, no crash");
}
