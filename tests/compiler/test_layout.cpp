// Rekindle tests: the layout lowering returns beside the IR (compiler/ir/layout.h), its
// presentation as result columns (columns.h), and the IR validator (validate.h): the playbook's
// layout says what each output means (statuses by kind, offers by kind, the nodes of every
// decision), every column's role points back into it, compiled programs validate, and programs
// with a broken node or output (validate) or atom, column or layout entry (validate_description)
// are rejected with a message naming it.
#include <catch2/catch.hpp>

#include <algorithm>

#include <string>

#include "compiler/check/compile.h"
#include "compiler/ir/columns.h"
#include "compiler/ir/validate.h"

namespace {

const std::string kRules = std::string(RK_SOURCE_DIR) + "/rules/winback.rules";
const std::string kSequences = std::string(RK_SOURCE_DIR) + "/tests/rules/sequences.rules";

rk::ir::Program compiled(const std::string& path) {
  auto r = rk::compile_rules(path);
  REQUIRE(r.program);
  return *r.program;
}

}  // namespace

TEST_CASE("layout: the playbook's outputs as data", "[layout]") {
  using rk::ir::StatusKind;
  const rk::ir::Program p = compiled(kRules);
  const rk::ir::Layout& l = p.layout;
  CHECK(l.key_field == p.schema.key_field);
  CHECK(l.candidate.declared);
  REQUIRE(l.families.size() == 7);
  CHECK(l.families[0].name == "dormancy");
  CHECK(l.families[0].labels.front().name == "never_purchased");
  CHECK_FALSE(l.families[0].labels.front().otherwise);
  CHECK(l.families[0].labels.back().name == "deep");
  CHECK_FALSE(l.families[0].labels.back().otherwise);
  CHECK(l.families[1].name == "value_tier");
  CHECK(l.families[1].labels.back().name == "low");
  CHECK(l.families[1].labels.back().otherwise);
  CHECK(l.families[1].labels.back().cond == rk::ir::kNoNode);
  REQUIRE(l.stops.rules.size() == 5);
  CHECK(l.stops.rules[0].name == "opted_out");
  CHECK(l.stops.rules[0].reason == "Contact opted out");
  REQUIRE(l.reviews.rules.size() == 3);
  CHECK(l.reviews.rules[2].name == "discount");
  REQUIRE(l.sequences.size() == 1);
  const rk::ir::Sequence& q = l.sequences[0];
  CHECK(q.name == "winback");
  std::vector<StatusKind> kinds;
  for (const auto& s : q.statuses) kinds.push_back(s.kind);
  CHECK(kinds == std::vector<StatusKind>{StatusKind::NotEntered, StatusKind::Stopped,
                                         StatusKind::HeldOut, StatusKind::Exit,
                                         StatusKind::Exhausted, StatusKind::Waiting,
                                         StatusKind::NoChannel, StatusKind::Due});
  CHECK(q.statuses[3].name == "responded");
  CHECK(q.exits.at(q.statuses[3].exit).name == "responded");
  CHECK(q.touches.size() == 7);
  CHECK(q.touches[0].name == "pattern_interrupt");
  CHECK(q.touches[0].only_when == rk::ir::kNoNode);
  REQUIRE(q.channels.size() == 2);
  CHECK(q.channels[0].name == "email");
  CHECK(q.channels[0].fallback == 1);  // fallback email to sms
  CHECK(q.channels[1].fallback == rk::ir::kNoIndex);
  CHECK(q.offers[0].text == "none");
  CHECK(q.offers[0].kind == rk::ir::OfferKind::None);
  bool discount = false;
  for (const auto& o : q.offers)
    discount =
        discount || (o.kind == rk::ir::OfferKind::Discount && o.text == "discount " + o.amount);
  CHECK(discount);
  CHECK(q.holdout_atom != rk::ir::kNoIndex);
  CHECK(p.atoms.at(q.holdout_atom).salt == "winback");
  CHECK(q.progress_touch != rk::ir::kNoNode);
  CHECK(q.wait != rk::ir::kNoNode);
  // Every decision is a node; every result value is held by the output that says so.
  const auto& d = q.decision;
  for (uint32_t n :
       {d.entered, d.stopped, d.held_out, d.next_touch, d.exhausted, d.waited, d.chosen_channel,
        d.chosen_allowed, d.fallback_channel, d.fallback_allowed, d.channel, d.offer, d.due})
    CHECK(n < p.nodes.size());
  for (const auto* v : {&q.result.status, &q.result.touch, &q.result.channel, &q.result.offer}) {
    REQUIRE(v->output < p.outputs.size());
    CHECK(p.outputs[v->output].node == v->node);
  }
  // The status node picks the first status whose `when` holds.
  const rk::ir::Node& status = p.nodes[q.result.status.node];
  CHECK(status.op == rk::ir::Op::FirstTrue);
  REQUIRE(status.args.size() == q.statuses.size());
  for (size_t i = 0; i < q.statuses.size(); ++i) CHECK(status.args[i] == q.statuses[i].when);
}

TEST_CASE("layout: result columns are its presentation, each with its role", "[layout]") {
  using Role = rk::ir::ColumnRole;
  const rk::ir::Program p = compiled(kSequences);
  const auto columns = rk::ir::result_columns(p.layout, p.schema);
  REQUIRE(columns.size() == p.columns.size());
  for (size_t i = 0; i < columns.size(); ++i) {
    INFO(columns[i].name);
    CHECK(columns[i].name == p.columns[i].name);
    CHECK(columns[i].outputs == p.columns[i].outputs);
    CHECK(columns[i].texts == p.columns[i].texts);
    CHECK(columns[i].role == p.columns[i].role);
  }
  const rk::ir::Sequence& q = p.layout.sequences.at(0);
  for (const auto& c : columns) {
    INFO(c.name);
    switch (c.role) {
      case Role::Key:
        CHECK(c.name == p.schema.fields[p.schema.key_field].name);
        break;
      case Role::Candidate:
        CHECK(c.outputs == std::vector<uint32_t>{p.layout.candidate.value.output});
        break;
      case Role::Family:
        CHECK(c.name == p.layout.families.at(c.owner).name);
        break;
      case Role::StoppedBy:
        CHECK(c.texts.size() == p.layout.stops.rules.size());
        break;
      case Role::Review:
        CHECK(c.outputs.size() == p.layout.reviews.rules.size());
        break;
      case Role::Status:
        CHECK(c.name == q.name + "_status");
        CHECK(c.texts.size() == q.statuses.size());
        break;
      case Role::Touch:
        CHECK(c.texts.back() == std::to_string(q.touches.size()));
        break;
      case Role::Step:
        CHECK(c.texts.front() == q.touches.front().name);
        break;
      case Role::Variant:
        CHECK(c.name == q.name + "_variant");
        CHECK(c.texts == q.variant_names);
        break;
      case Role::Channel:
        CHECK(c.texts.size() == q.channels.size());
        break;
      case Role::Offer:
        CHECK(c.texts.size() == q.offers.size());
        break;
      case Role::Score:
        CHECK(c.name == p.layout.scores.at(c.owner).name);
        break;
      case Role::SendAt:
        CHECK(c.name == q.name + "_send_at");
        CHECK(c.outputs ==
              std::vector<uint32_t>{q.result.send_at.output, q.result.send_at.present});
        break;
      case Role::Owner:
        CHECK(c.name == "owner");
        CHECK(c.outputs == std::vector<uint32_t>{p.layout.owner.reviewed.output});
        break;
    }
  }
}

TEST_CASE("layout: a score is a wide value presented as a number column", "[layout][score]") {
  using rk::ir::OutputWidth;
  const rk::ir::Program p = compiled(std::string(RK_SOURCE_DIR) + "/tests/rules/scores.rules");
  const rk::ir::Layout& l = p.layout;
  REQUIRE(l.scores.size() == 3);
  const rk::ir::Score& risk = l.scores[0];
  CHECK(risk.name == "risk");
  CHECK_FALSE(risk.decimal);
  REQUIRE(risk.lines.size() == 5);
  CHECK(risk.lines[4].points == "-10");
  CHECK(p.outputs.at(risk.value.output).width == OutputWidth::Int64);
  CHECK(p.outputs.at(risk.value.present).width == OutputWidth::Code);
  CHECK(l.scores[1].decimal);
  CHECK(p.outputs.at(l.scores[1].value.output).width == OutputWidth::Float64);
  // The columns: after the families, stops and reviews (no sequences here), one per score.
  const auto& c = p.columns.at(p.columns.size() - 3);
  CHECK(c.name == "risk");
  CHECK(c.kind == rk::ir::ResultKind::Number);
  CHECK(c.type == rk::ir::ValueType::Int);
  CHECK(c.outputs == std::vector<uint32_t>{risk.value.output, risk.value.present});
  CHECK(p.columns.at(p.columns.size() - 2).type == rk::ir::ValueType::Number);
  std::string error;
  CHECK(rk::ir::validate(p, error));
  CHECK(rk::ir::validate_description(p, error));
  // A wide output of the wrong width is rejected.
  rk::ir::Program bad = p;
  bad.outputs[risk.value.output].width = OutputWidth::Float64;
  CHECK_FALSE(rk::ir::validate(bad, error));
  CHECK(error.find("float64 output of a int node") != std::string::npos);
}

TEST_CASE("layout: send times and the owner", "[layout][send_at]") {
  using rk::ir::OutputWidth;
  const rk::ir::Program p = compiled(std::string(RK_SOURCE_DIR) + "/tests/rules/send_times.rules");
  const rk::ir::Layout& l = p.layout;
  REQUIRE(l.sequences.size() == 1);
  const rk::ir::Sequence& q = l.sequences[0];
  REQUIRE(q.channels.size() == 2);
  REQUIRE(q.channels[0].sends);
  CHECK(q.channels[0].sends->minute_of_day == 9 * 60);
  CHECK(q.channels[0].sends->excluded_weekdays == 0);
  REQUIRE(q.channels[1].sends);
  CHECK(q.channels[1].sends->minute_of_day == 11 * 60);
  CHECK(q.channels[1].sends->excluded_weekdays == 1 << 6);  // sunday
  CHECK(l.local_time.field == p.schema.find("tz"));
  CHECK(l.local_time.fallback == "America/New_York");
  CHECK(p.outputs.at(q.result.send_at.output).width == OutputWidth::Int64);
  CHECK(p.outputs.at(q.result.send_at.present).width == OutputWidth::Code);
  // NAME_send_at right after NAME_offer; the owner last.
  std::vector<std::string> names;
  for (const auto& c : p.columns) names.push_back(c.name);
  const auto offer = std::find(names.begin(), names.end(), "hello_offer");
  REQUIRE(offer != names.end());
  REQUIRE(offer + 1 != names.end());
  CHECK(*(offer + 1) == "hello_send_at");
  const rk::ir::ResultColumn& send_at = p.columns[static_cast<size_t>(offer + 1 - names.begin())];
  CHECK(send_at.kind == rk::ir::ResultKind::Timestamp);
  CHECK(send_at.role == rk::ir::ColumnRole::SendAt);
  const rk::ir::ResultColumn& owner = p.columns.back();
  CHECK(owner.name == "owner");
  CHECK(owner.kind == rk::ir::ResultKind::FieldText);
  CHECK(owner.role == rk::ir::ColumnRole::Owner);
  CHECK(owner.field == p.schema.find("csm"));
  CHECK(owner.texts == std::vector<std::string>{"marketing-ops"});
  CHECK(l.owner.declared);
  std::string error;
  CHECK(rk::ir::validate(p, error));
  CHECK(rk::ir::validate_description(p, error));
  // The dump (the JIT's object-cache key) holds the windows, the zone field and the owner.
  const std::string dump = rk::ir::dump(p);
  CHECK(dump.find("channel sms sends at minute 660 except weekdays 0x40") != std::string::npos);
  CHECK(dump.find("local time field") != std::string::npos);
  CHECK(dump.find("owner field") != std::string::npos);
  // The playbook has neither.
  const rk::ir::Program w = compiled(std::string(RK_SOURCE_DIR) + "/rules/winback.rules");
  for (const auto& c : w.columns) {
    CHECK(c.role != rk::ir::ColumnRole::SendAt);
    CHECK(c.role != rk::ir::ColumnRole::Owner);
  }
  CHECK_FALSE(w.layout.owner.declared);
  CHECK(w.layout.local_time.field == -1);
}

TEST_CASE("layout: templates with each placeholder's source, variants inherit the touch's",
          "[layout][template]") {
  using rk::ir::PlaceholderKind;
  const rk::ir::Program p = compiled(std::string(RK_SOURCE_DIR) + "/tests/rules/templates.rules");
  REQUIRE(p.layout.sequences.size() == 1);
  const rk::ir::Sequence& q = p.layout.sequences[0];
  CHECK(q.templated);
  const rk::ir::Touch& greet = q.touches.at(0);
  REQUIRE(greet.message.has_subject);
  REQUIRE(greet.message.has_body);
  CHECK(greet.message.subject.text == "Hi {name|friend}: {offer} for a {size} customer {{VIP}}");
  auto kind = [](const rk::ir::MessageText& m, const char* name) {
    const rk::ir::Placeholder* ph = m.find(name);
    REQUIRE(ph);
    return ph->kind;
  };
  CHECK(kind(greet.message.subject, "name") == PlaceholderKind::Field);
  CHECK(kind(greet.message.subject, "offer") == PlaceholderKind::Offer);
  CHECK(kind(greet.message.subject, "size") == PlaceholderKind::Family);
  CHECK(kind(greet.message.body, "loyalty") == PlaceholderKind::Score);
  CHECK(greet.message.subject.find("tier") == nullptr);
  CHECK(p.schema.fields.at(greet.message.subject.find("name")->index).name == "name");
  // `warm` has its own body and the touch's subject; `cool` has both of its own.
  REQUIRE(greet.variants.size() == 2);
  CHECK(greet.variants[0].message.subject.text == greet.message.subject.text);
  CHECK(greet.variants[0].message.body.text == "Warm: {name|friend} gets {offer}.");
  CHECK(greet.variants[1].message.subject.text == "Cool {offer}");
  CHECK(rk::ir::dump(p).find("message greet.cool subject \"Cool {offer}\" offer=offer:-") !=
        std::string::npos);
  std::string error;
  CHECK(rk::ir::validate(p, error));
  CHECK(rk::ir::validate_description(p, error));
  // A placeholder naming a field that does not exist is rejected.
  rk::ir::Program bad = p;
  bad.layout.sequences[0].touches[0].message.body.placeholders[0].index = 999;
  CHECK_FALSE(rk::ir::validate_description(bad, error));
  CHECK(error.find("greet's message") != std::string::npos);
  // The playbook has no templates.
  CHECK_FALSE(compiled(kRules).layout.sequences.at(0).templated);
}

TEST_CASE("validate: compiled programs are valid, broken ones are named", "[layout][validate]") {
  std::string error;
  const rk::ir::Program good = compiled(kRules);
  REQUIRE(rk::ir::validate(good, error));
  REQUIRE(rk::ir::validate_description(good, error));
  REQUIRE(rk::ir::validate_description(compiled(kSequences), error));
  const uint32_t beyond = static_cast<uint32_t>(good.nodes.size());
  {
    rk::ir::Program p = good;
    p.layout.sequences[0].statuses[2].when = beyond;
    CHECK_FALSE(rk::ir::validate_description(p, error));
    CHECK(error ==
          "layout: sequence winback status holdout refers to a node, output or atom "
          "that does not exist");
  }
  {
    rk::ir::Program p = good;
    p.layout.families[1].value.output = 0;  // the candidate's output holds another node
    CHECK_FALSE(rk::ir::validate_description(p, error));
    CHECK(error.find("segment value_tier") != std::string::npos);
  }
  {
    rk::ir::Program p = good;
    p.columns.back().outputs = {static_cast<uint32_t>(p.outputs.size())};
    CHECK_FALSE(rk::ir::validate_description(p, error));
    CHECK(error.find("result column winback_offer: no such output") == 0);
  }
  {
    rk::ir::Program p = good;
    p.atoms.at(p.layout.sequences[0].holdout_atom).field = 1;  // a date field
    CHECK_FALSE(rk::ir::validate_description(p, error));
    CHECK(error.find("a holdout on a field that is no string") != std::string::npos);
  }
  {
    rk::ir::Program p = good;
    p.outputs[0].node = beyond;
    CHECK_FALSE(rk::ir::validate(p, error));
    CHECK(error == "output 0 (candidate): no such node");
  }
  {
    rk::ir::Program p = good;
    rk::ir::Node n;
    n.op = rk::ir::Op::Div;
    n.ty = rk::ir::Ty::Int;
    n.args = {0, 0};
    p.nodes.push_back(n);
    CHECK_FALSE(rk::ir::validate(p, error));
    CHECK(error.find("(Div): ") != std::string::npos);
  }
}

TEST_CASE("layout: the lets templates show, each in outputs that are no result column",
          "[layout][template][let]") {
  using rk::FieldType;
  const rk::ir::Program p =
      compiled(std::string(RK_SOURCE_DIR) + "/tests/rules/template_lets.rules");
  const rk::ir::Layout& l = p.layout;
  // In order of first use; a string or a list let is its field under another name.
  std::vector<std::string> names;
  for (const auto& lt : l.lets) names.push_back(lt.name);
  CHECK(names == std::vector<std::string>{"level", "first_seen", "floor_spend", "gold", "orders",
                                          "quiet", "renew", "big_buyer", "half", "ratio", "share",
                                          "budget", "shade", "bucket", "loyal", "first_step",
                                          "first_channel", "first_status"});
  auto let = [&](const char* name) -> const rk::ir::ShownLet& {
    for (const auto& lt : l.lets)
      if (lt.name == name) return lt;
    FAIL("no let " << name);
    return l.lets.front();
  };
  CHECK(let("orders").type == FieldType::Int);
  CHECK(let("quiet").type == FieldType::Int);  // days
  CHECK(let("renew").type == FieldType::Date);
  CHECK(let("gold").type == FieldType::Bool);
  CHECK(let("half").type == FieldType::Number);
  CHECK(let("share").type == FieldType::Number);  // a percent, written as a fraction
  CHECK(let("budget").type == FieldType::Money);
  CHECK(let("level").type == FieldType::Enum);
  CHECK(let("level").texts == std::vector<std::string>{"gold", "silver", "bronze"});
  CHECK(let("bucket").texts == std::vector<std::string>{"big", "small"});
  CHECK(let("first_step").texts == std::vector<std::string>{"greet"});
  CHECK(let("first_channel").texts == std::vector<std::string>{"email"});
  CHECK(let("first_status").texts.back() == "due");
  // Outputs: Code for yes/no and enumerated values, else wide with a presence output.
  for (const auto& lt : l.lets) {
    INFO(lt.name);
    REQUIRE(lt.value.output < p.outputs.size());
    CHECK(p.outputs[lt.value.output].node == lt.value.node);
    const bool code = lt.type == FieldType::Bool || lt.type == FieldType::Enum;
    CHECK((p.outputs[lt.value.output].width == rk::ir::OutputWidth::Code) == code);
    CHECK((lt.value.present == rk::ir::kNoOutput) == code);
    for (const auto& c : p.columns) {
      CHECK(c.name != lt.name);
      CHECK(std::find(c.outputs.begin(), c.outputs.end(), lt.value.output) == c.outputs.end());
      CHECK(std::find(c.outputs.begin(), c.outputs.end(), lt.value.present) == c.outputs.end());
    }
  }
  const rk::ir::Touch& greet = l.sequences.at(0).touches.at(0);
  const rk::ir::Placeholder* nick = greet.message.subject.find("nick");
  REQUIRE(nick);
  CHECK(nick->kind == rk::ir::PlaceholderKind::Field);
  CHECK(p.schema.fields.at(nick->index).name == "name");
  const rk::ir::Placeholder* orders = greet.message.body.find("orders");
  REQUIRE(orders);
  CHECK(orders->kind == rk::ir::PlaceholderKind::Let);
  CHECK(l.lets.at(orders->index).name == "orders");
  CHECK(rk::ir::dump(p).find("  let renew date = ") != std::string::npos);
  std::string error;
  CHECK(rk::ir::validate(p, error));
  CHECK(rk::ir::validate_description(p, error));
  // A Let placeholder past the shown lets, and a let whose output has the wrong width, are
  // rejected.
  rk::ir::Program bad = p;
  for (auto& ph : bad.layout.sequences[0].touches[0].message.body.placeholders)
    if (ph.kind == rk::ir::PlaceholderKind::Let) ph.index = 99;
  CHECK_FALSE(rk::ir::validate_description(bad, error));
  rk::ir::Program wide = p;
  wide.layout.lets[0].value.present = 0;  // `level` is an enum: a Code output, no presence
  CHECK_FALSE(rk::ir::validate_description(wide, error));
  CHECK(error.find("let level") != std::string::npos);
  // A file whose templates show no let has none, and no outputs for them.
  const rk::ir::Program t = compiled(std::string(RK_SOURCE_DIR) + "/tests/rules/templates.rules");
  CHECK(t.layout.lets.empty());
  for (const auto& o : t.outputs) CHECK(o.name.rfind("let ", 0) != 0);
}
