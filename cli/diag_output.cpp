// Rekindle CLI: text, JSON, SARIF 2.1.0 and GitHub-annotation renderings of diagnostics.
#include "cli/diag_output.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include <nlohmann/json.hpp>
#include <set>

#include "grammar/doc_links.h"

namespace rk::cli {

bool parse_diag_format(const std::string& name, DiagFormat& out) {
  if (name == "text")
    out = DiagFormat::Text;
  else if (name == "json")
    out = DiagFormat::Json;
  else if (name == "sarif")
    out = DiagFormat::Sarif;
  else if (name == "github")
    out = DiagFormat::Github;
  else
    return false;
  return true;
}

namespace {

std::string path_of(const SourceSet& s, const Diagnostic& d) {
  return d.span ? s.file(d.span->file).path : std::string();
}

// GitHub workflow commands need %, CR and LF escaped in messages.
std::string gh_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '%')
      out += "%25";
    else if (c == '\r')
      out += "%0D";
    else if (c == '\n')
      out += "%0A";
    else
      out += c;
  }
  return out;
}

std::string full_message(const Diagnostic& d) {
  std::string m = d.message;
  if (!d.help.empty()) m += " (help: " + d.help + ")";
  return m;
}

}  // namespace

std::string render_diagnostics(const std::vector<DiagSet>& sets, DiagFormat format, bool color,
                               const std::string& tool_name) {
  std::string out;
  switch (format) {
    case DiagFormat::Text:
      for (const auto& set : sets)
        for (const auto& d : set.diags) out += render_text(*set.sources, d, color);
      return out;
    case DiagFormat::Github:
      for (const auto& set : sets)
        for (const auto& d : set.diags) {
          const char* level = d.severity == Severity::Error     ? "error"
                              : d.severity == Severity::Warning ? "warning"
                                                                : "notice";
          if (d.span)
            out += fmt::format("::{} file={},line={},col={},title={}::{}\n", level,
                               path_of(*set.sources, d), d.span->line, d.span->col, d.code,
                               gh_escape(full_message(d)));
          else
            out += fmt::format("::{} title={}::{}\n", level, d.code, gh_escape(full_message(d)));
        }
      return out;
    case DiagFormat::Json: {
      nlohmann::ordered_json arr = nlohmann::ordered_json::array();
      for (const auto& set : sets)
        for (const auto& d : set.diags) {
          nlohmann::ordered_json j;
          j["severity"] = std::string(severity_name(d.severity));
          j["code"] = d.code;
          j["message"] = d.message;
          if (d.span) {
            j["file"] = path_of(*set.sources, d);
            j["line"] = d.span->line;
            j["column"] = d.span->col;
            j["length"] = d.span->len;
          }
          if (!d.help.empty()) j["help"] = d.help;
          nlohmann::ordered_json notes = nlohmann::ordered_json::array();
          for (const auto& n : d.notes) {
            nlohmann::ordered_json jn;
            jn["message"] = n.message;
            if (n.span) {
              jn["file"] = set.sources->file(n.span->file).path;
              jn["line"] = n.span->line;
              jn["column"] = n.span->col;
            }
            notes.push_back(jn);
          }
          if (!notes.empty()) j["notes"] = notes;
          arr.push_back(j);
        }
      nlohmann::ordered_json root;
      root["diagnostics"] = arr;
      return root.dump(2) + "\n";
    }
    case DiagFormat::Sarif: {
      nlohmann::ordered_json results = nlohmann::ordered_json::array();
      std::set<std::string> codes;
      for (const auto& set : sets)
        for (const auto& d : set.diags) {
          codes.insert(d.code);
          nlohmann::ordered_json r;
          r["ruleId"] = d.code;
          r["level"] = d.severity == Severity::Error     ? "error"
                       : d.severity == Severity::Warning ? "warning"
                                                         : "note";
          r["message"] = {{"text", full_message(d)}};
          if (d.span) {
            nlohmann::ordered_json region;
            region["startLine"] = d.span->line;
            region["startColumn"] = d.span->col;
            region["endColumn"] = d.span->col + std::max<uint32_t>(d.span->len, 1);
            r["locations"] = nlohmann::ordered_json::array(
                {{{"physicalLocation",
                   {{"artifactLocation", {{"uri", path_of(*set.sources, d)}}},
                    {"region", region}}}}});
          }
          results.push_back(r);
        }
      // Each code once, described and linked from its section of the docs (grammar/doc_links.h).
      const std::string base = docs_base_url();
      nlohmann::ordered_json rules = nlohmann::ordered_json::array();
      for (const auto& c : codes) {
        nlohmann::ordered_json rule;
        rule["id"] = c;
        if (const CodeDoc* doc = find_code_doc(c)) {
          rule["shortDescription"] = {{"text", markdown_to_text(doc->title)}};
          rule["fullDescription"] = {{"text", markdown_to_text(doc->description)},
                                     {"markdown", doc->description}};
          if (const std::string uri = docs_link(base, c); !uri.empty()) rule["helpUri"] = uri;
        }
        rules.push_back(rule);
      }
      nlohmann::ordered_json driver;
      driver["name"] = tool_name;
      driver["version"] = "0.1.0";
      if (!base.empty()) driver["informationUri"] = base;
      driver["rules"] = rules;
      nlohmann::ordered_json root;
      root["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
      root["version"] = "2.1.0";
      root["runs"] =
          nlohmann::ordered_json::array({{{"tool", {{"driver", driver}}}, {"results", results}}});
      return root.dump(2) + "\n";
    }
  }
  return out;
}

void print_diagnostics(const std::vector<DiagSet>& sets) {
  std::fputs(render_diagnostics(sets, DiagFormat::Text, isatty(2)).c_str(), stderr);
}

}  // namespace rk::cli
