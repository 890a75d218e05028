// Rekindle language server: the symbol index of one analysis, built from the ASTs of a document
// and the files it imports. Every declaration is a Symbol (fields, enum values, parameters, lets,
// segments and their labels, the candidate rule, stops, reviews, sequences with their exits,
// channels and touches, and the built-in statuses and members of each sequence); every name in the
// source that denotes one is a Reference, resolved the way the checker resolves it (a bare word
// after `is`, `=`, `in {..}` or `via` first among the values of its subject). Hover, go to
// definition, references, document symbols, semantic tokens and completion all read this one
// table, so a new construct needs a symbol kind and a walk, not a change to each feature.
// This file and analysis.cpp are the only ones that know the AST.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "grammar/ast.h"

namespace rk::lsp {

// A place in one of the analysis's files, in bytes of that file's current text.
struct Loc {
  uint32_t file = 0;
  uint32_t offset = 0;
  uint32_t len = 0;
  bool operator==(const Loc&) const = default;
};

// Where the text an AST was parsed from differs from the current text: one edited region (the
// texts' common prefix and suffix around it). Places before it are unchanged, places after it
// move by the change in length, names inside it are gone. Used when a document does not parse:
// navigation then works from its last version that did.
struct OffsetMap {
  uint32_t begin = 0;    // where the edit starts (both texts)
  uint32_t old_end = 0;  // where it ends in the old text
  uint32_t new_end = 0;  // and in the new one

  static OffsetMap between(std::string_view old_text, std::string_view new_text);
  // A name's place now, or nullopt when the edit touched it.
  std::optional<Loc> name(Loc l) const;
  // A declaration's extent now (stretched over an edit inside it).
  Loc extent(Loc l) const;
};

enum class SymbolKind : uint8_t {
  File,       // an imported file (the target of `import "..."`)
  Field,      // a schema field
  EnumValue,  // a value of an enum field
  Parameter,
  Let,
  Segment,
  Label,      // a label of a segment (parent: the segment)
  Candidate,  // the `candidate when` rule, or the built-in `candidate` flag
  Stop,
  Review,
  Sequence,
  Exit,       // a sequence's exit (parent: the sequence), also one of its statuses
  Channel,    // a sequence's channel
  Touch,      // a sequence's touch, also one of its steps
  Status,     // a built-in status of a sequence (not_candidate, ..., due)
  Member,     // a member of a sequence (status, touch, step, channel, offer)
  Builtin,    // `stopped`
  Test,       // a test of a `.test` file
  Cap,        // a contact-pressure cap (top level, or in a sequence: parent the sequence)
  Guarantee,  // a promise the solver proves (`guarantee NAME: never|always COND`)
};

// "field", "label", ... as shown in hovers.
std::string_view symbol_kind_name(SymbolKind k);

struct Symbol {
  SymbolKind kind = SymbolKind::Builtin;
  std::string name;
  int parent = -1;                 // the segment, sequence or field it belongs to
  std::optional<Loc> name_loc;     // where its name is declared (absent for built-ins)
  std::optional<Loc> decl_loc;     // the whole declaration
  std::string code;                // the declaration as written (a few lines at most)
  std::string doc;                 // its `##` doc comment
  std::vector<std::string> facts;  // one line each: type, value, position, meaning, ...
  std::vector<uint32_t> children;  // labels, enum values, exits, channels, touches, statuses
};

struct Reference {
  Loc loc;
  uint32_t symbol = 0;
  bool declaration = false;  // the name where the symbol is declared
};

// One file for the index: its AST and the text it was parsed from. `map` is set when that text is
// an older version of the file (see OffsetMap). `imports` gives the analysis file of each
// `import "PATH"` (by PATH as written) that could be read.
struct IndexInput {
  uint32_t file = 0;
  const ast::File* ast = nullptr;
  std::string_view text;
  const OffsetMap* map = nullptr;
  std::map<std::string, uint32_t> imports;
};

class Index {
 public:
  // Builds the index of the given files; `file_names` names each analysis file (for File
  // symbols). Never throws; unknown names are simply not references.
  static Index build(const std::vector<IndexInput>& inputs,
                     const std::vector<std::string>& file_names);

  const std::vector<Symbol>& symbols() const { return symbols_; }
  const Symbol& symbol(uint32_t id) const { return symbols_[id]; }
  // All references, ordered by file and offset.
  const std::vector<Reference>& references() const { return refs_; }
  // The reference covering `offset` of `file` (its end included, so a cursor right after a name
  // finds it), if any.
  const Reference* reference_at(uint32_t file, uint32_t offset) const;
  // The symbol a name denotes where no value set applies (lets, parameters, fields, segments,
  // sequences, `candidate`, `stopped`), like the checker's lookup.
  std::optional<uint32_t> lookup(std::string_view name) const;
  // The names an expression can use, in that order of kinds.
  std::vector<uint32_t> names_in_scope() const;
  // The values `subject` (a name, or `sequence.member` when member is not empty) is compared
  // with: enum values, labels, channels, statuses, steps. Empty when it has no value set.
  std::vector<uint32_t> values_of(std::string_view subject, std::string_view member = {}) const;
  // Symbols of `kind` (in declaration order).
  std::vector<uint32_t> of_kind(SymbolKind kind) const;
  // The symbols declared in `file` that have no parent, in source order (an outline's roots).
  std::vector<uint32_t> roots(uint32_t file) const;

  // Adds a symbol with its declaration reference (used for test files, which have no AST here).
  uint32_t add(Symbol s);
  // Orders references after additions.
  void finish();

 private:
  friend class IndexBuilder;
  std::vector<Symbol> symbols_;
  std::vector<Reference> refs_;
  std::map<std::string, uint32_t, std::less<>> top_;      // names visible in expressions
  std::map<uint32_t, std::vector<uint32_t>> let_values_;  // a let's value set, when it has one
};

}  // namespace rk::lsp
