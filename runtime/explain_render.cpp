// Rekindle runtime: the two renderings of an explanation (explain.h): the text a marketer reads
// (conditions with their values and what they read, aligned; `##` docs; the sequence's steps) and
// the JSON a tool reads. Pure functions of an Explanation: no evaluation here.
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "runtime/explain.h"

namespace rk {

// ---- rendering ---------------------------------------------------------------------------------

namespace {

void render_clauses(std::string& out, const std::vector<ExplainClause>& cs, int indent) {
  size_t width = 0;
  for (const auto& c : cs) width = std::max(width, c.text.size() + 2 * c.depth);
  width = std::min<size_t>(width, 60);
  for (const auto& c : cs) {
    std::string lead(static_cast<size_t>(indent + 2 * c.depth), ' ');
    std::string text = c.text;
    const size_t pad = width > text.size() + 2 * c.depth ? width - text.size() - 2 * c.depth : 0;
    out += fmt::format("{}{}{}   {:<7}", lead, text, std::string(pad, ' '), c.value);
    if (!c.reads.empty()) out += fmt::format("  ({})", fmt::join(c.reads, ", "));
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += "\n";
  }
}

std::string where(const ExplainRule& r) {
  return fmt::format("{}:{}", r.file, r.line);
}

// A `##` doc comment as the author wrote it, one `## ` line per line, indented.
void render_doc(std::string& out, const std::string& doc, int indent) {
  if (doc.empty()) return;
  const std::string lead(static_cast<size_t>(indent), ' ');
  size_t at = 0;
  while (at <= doc.size()) {
    const size_t end = std::min(doc.find('\n', at), doc.size());
    const std::string line = doc.substr(at, end - at);
    out += line.empty() ? lead + "##\n" : fmt::format("{}## {}\n", lead, line);
    at = end + 1;
  }
}

}  // namespace

std::string explain_text(const Explanation& e) {
  std::string out = fmt::format("customer {} = {}, as of {} ({})\n", e.key_field, e.customer,
                                e.as_of, e.rules_file);
  out += "\nsegments\n";
  for (const auto& f : e.families) {
    out += fmt::format("  {} = {}", f.name, f.label.empty() ? "(no label)" : f.label);
    const ExplainRule* win = nullptr;
    std::vector<std::string> before;
    for (const auto& r : f.rules) {
      if (r.decided)
        win = &r;
      else
        before.push_back(fmt::format("{} {}", r.name, r.value.empty() ? "-" : r.value));
    }
    if (win) {
      out += fmt::format("  ({} {}: {})\n", win->kind == "otherwise" ? "otherwise" : "label",
                         where(*win), win->verdict);
      render_doc(out, f.doc, 4);
      render_doc(out, win->doc, 4);
      if (!before.empty()) out += fmt::format("    before it: {}\n", fmt::join(before, ", "));
      render_clauses(out, win->clauses, 4);
    } else {
      out += "  (no label matched)\n";
      render_doc(out, f.doc, 4);
      if (!before.empty()) out += fmt::format("    tried: {}\n", fmt::join(before, ", "));
    }
  }
  if (!e.scores.empty()) out += "\nscores\n";
  for (const auto& sc : e.scores) {
    out += fmt::format("  {} = {}\n", sc.name, sc.value.empty() ? "(missing)" : sc.value);
    // One row per line: its points and condition, what it added, and what it read.
    std::vector<ExplainClause> rows;
    for (const auto& l : sc.lines) {
      ExplainClause row;
      const bool one = l.name == "1" || l.name == "-1";
      row.text = fmt::format("{} point{} when {}", l.name, one ? "" : "s", l.condition);
      row.value = l.verdict;
      for (const auto& c : l.clauses)
        for (const auto& read : c.reads)
          if (std::find(row.reads.begin(), row.reads.end(), read) == row.reads.end())
            row.reads.push_back(read);
      rows.push_back(std::move(row));
    }
    render_clauses(out, rows, 4);
  }
  if (e.has_candidate_rule) {
    const auto& r = e.candidate_rule;
    out += fmt::format("\ncandidate: {} ({}): {}\n", e.candidate ? "true" : "false", where(r),
                       r.verdict);
    render_doc(out, r.doc, 2);
    render_clauses(out, r.clauses, 2);
  } else {
    out += "\ncandidate: true (no candidate rule: everyone is a candidate)\n";
  }
  out += fmt::format("\nstops: {}\n", !e.stops_note.empty()  ? e.stops_note
                                      : e.stopped_by.empty() ? std::string("none fired")
                                                             : "stopped by " + e.stopped_by);
  if (e.stops_note.empty())
    for (const auto& r : e.stops) {
      out += fmt::format("  stop {} ({}): {}\n", r.name, where(r), r.verdict);
      render_doc(out, r.doc, 4);
      render_clauses(out, r.clauses, 4);
    }
  for (const auto& q : e.sequences) {
    out += fmt::format("\nsequence {}: {}", q.name, q.status);
    if (q.status == "due")
      out += fmt::format(" - touch {} {} via {}, offer {}", q.touch, q.step, q.channel, q.offer);
    out += "\n";
    render_doc(out, q.doc, 2);
    for (const auto& st : q.steps) {
      out += fmt::format("  {}\n", st.text);
      // The parts of an exit, a touch's `only when` or a channel's `requires`, when they say
      // more than the step's own line.
      if (st.rule && (st.rule->clauses.size() > 1 ||
                      (!st.rule->clauses.empty() && !st.rule->clauses[0].reads.empty())))
        render_clauses(out, st.rule->clauses, 4);
    }
  }
  out += fmt::format("\nreview: {}\n", !e.review_note.empty() ? e.review_note
                                       : e.review.empty()
                                           ? std::string("none fired")
                                           : fmt::format("{}", fmt::join(e.review, ", ")));
  if (e.review_note.empty())
    for (const auto& r : e.reviews) {
      out += fmt::format("  review {} ({}): {}\n", r.name, where(r), r.verdict);
      render_doc(out, r.doc, 4);
      render_clauses(out, r.clauses, 4);
    }
  if (!e.owner_from.empty()) out += fmt::format("owner: {} ({})\n", e.owner, e.owner_from);
  return out;
}

std::string explain_json(const Explanation& e) {
  using J = nlohmann::ordered_json;
  auto rule = [](const ExplainRule& r) {
    J cl = J::array();
    for (const auto& c : r.clauses)
      cl.push_back({{"depth", c.depth}, {"text", c.text}, {"value", c.value}, {"reads", c.reads}});
    J j = {{"kind", r.kind}, {"name", r.name}, {"file", r.file}, {"line", r.line}};
    if (!r.owner.empty()) j["owner"] = r.owner;
    j["condition"] = r.condition;
    j["value"] = r.value;
    j["verdict"] = r.verdict;
    j["decided"] = r.decided;
    j["doc"] = r.doc.empty() ? J(nullptr) : J(r.doc);
    j["clauses"] = cl;
    return j;
  };
  auto opt = [](const std::string& s) { return s.empty() ? J(nullptr) : J(s); };
  J j;
  j["customer"] = e.customer;
  j["key_field"] = e.key_field;
  j["as_of"] = e.as_of;
  j["rules"] = e.rules_file;
  J fields = J::object();
  for (const auto& [k, v] : e.fields) fields[k] = v;
  j["fields"] = fields;
  J fams = J::array();
  for (const auto& f : e.families) {
    J rs = J::array();
    for (const auto& r : f.rules) rs.push_back(rule(r));
    fams.push_back({{"name", f.name}, {"doc", opt(f.doc)}, {"label", opt(f.label)}, {"rules", rs}});
  }
  j["segments"] = fams;
  J scores = J::array();
  for (const auto& sc : e.scores) {
    J lines = J::array();
    for (const auto& l : sc.lines) lines.push_back(rule(l));
    // The value as a JSON number (it is written as one: digits, a sign, a decimal point).
    J value = sc.value.empty() ? J(nullptr) : J::parse(sc.value, nullptr, false);
    scores.push_back({{"name", sc.name}, {"value", value}, {"lines", lines}});
  }
  j["scores"] = scores;
  j["candidate"] = {{"value", e.candidate},
                    {"rule", e.has_candidate_rule ? rule(e.candidate_rule) : J(nullptr)}};
  J stops = J::array();
  for (const auto& r : e.stops) stops.push_back(rule(r));
  j["stops"] = {{"stopped_by", opt(e.stopped_by)}, {"note", opt(e.stops_note)}, {"rules", stops}};
  J seqs = J::array();
  for (const auto& q : e.sequences) {
    J steps = J::array();
    for (const auto& st : q.steps)
      steps.push_back({{"text", st.text}, {"rule", st.rule ? rule(*st.rule) : J(nullptr)}});
    seqs.push_back({{"name", q.name},
                    {"doc", opt(q.doc)},
                    {"status", q.status},
                    {"touch", q.touch ? J(q.touch) : J(nullptr)},
                    {"step", opt(q.step)},
                    {"channel", opt(q.channel)},
                    {"offer", opt(q.offer)},
                    {"steps", steps}});
  }
  j["sequences"] = seqs;
  J revs = J::array();
  for (const auto& r : e.reviews) revs.push_back(rule(r));
  j["review"] = {{"fired", e.review}, {"note", opt(e.review_note)}, {"rules", revs}};
  j["owner"] = e.owner_from.empty() ? J(nullptr) : J(e.owner);
  return j.dump(2) + "\n";
}

}  // namespace rk
