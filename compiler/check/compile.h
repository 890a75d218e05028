// Rekindle compiler: the front door. Parses a rule file with its imports (or a schema file),
// checks names, types, units and structure, and lowers the result to the IR and its layout. Every
// problem is a Diagnostic in the result; nothing is thrown.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ir/program.h"
#include "grammar/diagnostics.h"

namespace rk {

namespace ast {
struct File;
}

// `rekindle eval --experiments FILE`: the variants to pause, each "SEQUENCE.TOUCH.VARIANT" with
// where it is written in the file (diagnostics point there).
struct Experiments {
  std::string path;  // as the user gave it
  std::string text;  // the file's text
  struct Entry {
    std::string name;
    uint32_t offset = 0;  // of the entry in `text`
    uint32_t length = 0;
  };
  std::vector<Entry> paused;
};

struct CompileOptions {
  // `--param name=value` overrides, parsed by the parameter's declared type.
  std::map<std::string, std::string> params;
  // Reads an imported file (its path as the importing file names it, made relative to that
  // file's folder): the text, or nullopt to read the file from disk. An editor passes its unsaved
  // buffers here (`rekindle lsp`); unset, every import is read from disk. Only imports allowed by
  // the confinement below are asked for.
  std::function<std::optional<std::string>(const std::string& path)> read_source;
  // The folder imports may be read from (`--root`); empty: the folder of the top rule file.
  // Imports are confined to it: absolute paths, paths leading out of it and files that are not
  // `.rules` or `.schema` files are errors (RK0502, RK0503; grammar/source_root.h).
  std::string root;
  // Paused variants (`--experiments`); unset: none. Part of the program, so both engines and the
  // JIT's object cache see it. An entry that names no variant, or pausing every variant of a
  // touch, is an error (RK0414).
  std::optional<Experiments> experiments;
};

// Where the IR came from: every rule with its condition node and every checked expression with
// its node, the shape of each condition as written (terms) and the clauses of every segment and
// sequence, so tools (explain, test coverage, lint) can point back at the source and take a
// condition apart without the parser (the runtime's tools also without the AST; lint, inside the
// compiler, reads CompileResult::syntax where it needs the syntax itself). What the outputs mean
// is Program::layout. Spans index CompileResult::sources.
struct SourceMap {
  static constexpr uint32_t kNone = UINT32_MAX;
  enum class Kind : uint8_t {
    Label,
    Otherwise,
    Candidate,
    Stop,
    Review,
    Touch,
    Exit,
    Channel,
    Let,
    Enter,
    ScoreLine,  // owner: the score; name: the points as written
    Cap         // owner: the sequence; name: the cap (a `when` cap's condition)
  };
  struct Rule {
    Kind kind;
    std::string owner;      // segment or sequence name ("" for candidate, stops, reviews, lets)
    std::string name;       // label, rule, touch, exit or channel name
    ast::Span span;         // the whole declaration
    uint32_t cond = kNone;  // the condition's node as written (three-valued), if any
    std::string doc;
    uint32_t term = kNone;  // the condition (a let: its value) as written, index into terms
    // A let's value type, for showing the value (`explain`): a date as a date, days with their
    // unit, money with `$`, a percent with `%` (Other: as the IR value is).
    enum class Shown : uint8_t { Other, Date, Days, Money, Percent };
    Shown shown = Shown::Other;
  };
  std::vector<Rule> rules;
  struct Expr {
    ast::Span span;
    uint32_t node;
  };
  std::vector<Expr> exprs;  // every checked expression that has a node, in checking order

  // An expression as written: what it is (as far as tools take it apart), its span, its node and
  // its sub-expressions. Terms are recorded for rule conditions, let values and the expressions of
  // sequence clauses; a term's subs come before it.
  struct Term {
    enum class Kind : uint8_t {
      And,        // a and b (subs: a, b)
      Or,         // a or b
      Not,        // not a (subs: a)
      Name,       // a field, let, parameter, segment, label, `candidate`, ... (name)
      Member,     // object.member (name: the object when it is a name, member; subs: object)
      DaysSince,  // days since / days until DATE (subs: DATE)
      Other       // literals, arithmetic, comparisons, is/in/has tests, if, offers
    };
    Kind kind = Kind::Other;
    ast::Span span;
    uint32_t node = kNone;  // its node: the first of exprs with this span, if any
    std::string name;
    std::string member;
    std::vector<uint32_t> subs;  // every sub-expression in source order (indices into terms)
  };
  std::vector<Term> terms;

  struct Segment {
    std::string name;
    ast::Span span;   // the whole declaration; its labels are the Label and Otherwise rules
    std::string doc;  // its `##` doc comment, if any
  };
  std::vector<Segment> segments;  // in the order they were lowered

  // A sequence's clauses; its exits, channels, touches and `enter when` are also rules (Exit,
  // Channel, Touch, Enter, owner = the sequence).
  struct Touch {
    std::string name;
    ast::Span span;
    uint32_t channel = kNone;    // the `via` expression (term)
    uint32_t offer = kNone;      // the `offer` expression (term), kNone for offer none
    uint32_t only_when = kNone;  // the `only when` condition (term)
  };
  struct Fallback {
    std::string from, to;
    ast::Span span;
  };
  struct Sequence {
    std::string name;
    ast::Span span;
    std::string doc;         // its `##` doc comment, if any
    uint32_t enter = kNone;  // `enter when` (term); kNone: the candidates enter
    // `progress FIELD on DATE_FIELD`: the fields counting touches sent and dating the last one
    // ("" without a progress clause).
    std::string progress_touch, progress_date;
    ast::Span progress_span;   // the touch-count field as written
    uint32_t wait = kNone;     // `wait DURATION` (term)
    uint32_t holdout = kNone;  // `holdout SHARE` (term: the share)
    std::string holdout_salt;
    ast::Span holdout_span;
    std::vector<Fallback> fallbacks;
    std::vector<Touch> touches;  // in order: touch 1 first
  };
  std::vector<Sequence> sequences;  // in the order they were lowered
};

struct CompileResult {
  std::optional<ir::Program> program;  // set when there are no errors
  std::vector<Diagnostic> diags;
  SourceSet sources;
  SourceMap map;
  // The parsed files in source order, for the tools in compiler/ that read syntax (lint); the
  // runtime never includes the AST and works from `map` and `program->layout`.
  std::vector<std::shared_ptr<const ast::File>> syntax;
};

// Compiles the rule file at `path` (reading its imports relative to it).
CompileResult compile_rules(const std::string& path, const CompileOptions& opts = {});
// Same, from text already in memory (path is used for messages and relative imports).
CompileResult compile_rules_text(const std::string& path, std::string text,
                                 const CompileOptions& opts = {});

struct SchemaResult {
  std::optional<Schema> schema;
  std::vector<Diagnostic> diags;
  SourceSet sources;
};
// Parses and checks a schema file alone (e.g. for `rekindle convert --schema`).
SchemaResult compile_schema(const std::string& path);
// Same, from text already in memory (path is used for messages).
SchemaResult compile_schema_text(const std::string& path, std::string text);

}  // namespace rk
