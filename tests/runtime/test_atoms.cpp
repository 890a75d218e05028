// Rekindle tests: atom preparation (runtime/atoms.cpp) against the one-row definitions: the
// interleaved FNV-1a equals the scalar hash, and the holdout table equals fnv1a64 row by row for
// every string encoding, missing values and ragged chunk ends.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "base/fnv1a.h"
#include "compiler/ir/helpers.h"
#include "runtime/atoms.h"

namespace {

std::string random_string(std::mt19937_64& rng) {
  std::string s(rng() % 40, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);  // every byte value, incl. >= 0x80
  return s;
}

}  // namespace

TEST_CASE("atoms: the interleaved FNV-1a equals the scalar one", "[atoms]") {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 2000; ++round) {
    std::string owned[8];
    std::string_view views[8];
    for (int i = 0; i < 8; ++i) views[i] = owned[i] = random_string(rng);
    const uint64_t seed = round % 2 ? rk::kFnvOffset : rng();
    uint64_t got[8];
    rk::fnv1a64_update_lanes<8>(seed, views, got);
    for (int i = 0; i < 8; ++i) CHECK(got[i] == rk::fnv1a64_update(seed, views[i]));
  }
}

TEST_CASE("atoms: holdout table equals the per-row hash for every encoding", "[atoms]") {
  std::mt19937_64 rng(11);
  const int64_t n = 1000;
  std::vector<std::string> values(n);
  for (auto& v : values) v = random_string(rng);
  std::vector<uint8_t> validity((n + 7) / 8, 0);
  for (int64_t r = 0; r < n; ++r)
    if (rng() % 5) validity[r >> 3] |= static_cast<uint8_t>(1 << (r & 7));

  rk::ir::Program program;
  rk::ir::Atom atom;
  atom.kind = rk::ir::AtomKind::Holdout;
  atom.field = 0;
  atom.salt = "winback";
  atom.modulus = 100;
  atom.threshold = 37;
  program.atoms.push_back(atom);

  // Plain (int32 and int64 offsets) and dictionary-encoded versions of the same column.
  std::string data;
  std::vector<int32_t> off32{0};
  std::vector<int64_t> off64{0};
  auto dict = std::make_shared<rk::StringDict>();
  std::vector<int32_t> codes;
  for (const auto& v : values) {
    data += v;
    off32.push_back(static_cast<int32_t>(data.size()));
    off64.push_back(static_cast<int64_t>(data.size()));
  }
  for (const auto& v : values) {
    dict->entries.emplace_back(v);
    codes.push_back(static_cast<int32_t>(dict->entries.size() - 1));
  }
  for (int encoding : {RK_STR_PLAIN32, RK_STR_PLAIN64, RK_STR_DICT}) {
    INFO("encoding " << encoding);
    rk::Batch batch;
    batch.num_rows = n;
    RkColumn col{};
    col.validity = validity.data();
    col.encoding = encoding;
    if (encoding == RK_STR_DICT) {
      col.values = codes.data();
      col.dict = dict.get();
    } else {
      col.data = data.data();
      col.offsets = encoding == RK_STR_PLAIN32 ? static_cast<const void*>(off32.data())
                                               : static_cast<const void*>(off64.data());
    }
    batch.columns.push_back(col);
    rk::PreparedAtoms atoms;
    atoms.prepare_batch(program, batch);
    // Uneven chunks, as the evaluator's tasks may end anywhere.
    for (int64_t begin = 0; begin < n;) {
      const int64_t end = std::min<int64_t>(n, begin + 1 + static_cast<int64_t>(rng() % 77));
      atoms.prepare_rows(program, batch, begin, end);
      begin = end;
    }
    const uint64_t salted = rk::fnv1a64_update(rk::fnv1a64("winback"), ":");
    for (int64_t r = 0; r < n; ++r) {
      const bool present = rk::is_present(validity.data(), r);
      const bool expected = present && rk::fnv1a64_update(salted, values[r]) % 100 < 37;
      REQUIRE(static_cast<bool>(atoms.data()[0].table[r]) == expected);
    }
  }
}

TEST_CASE("atoms: list predicates equal their definitions", "[atoms]") {
  // Lists over a dictionary of 6 words (the bit-mask path) and of 70 (the per-item path); sets
  // of 1-3 words, one of them outside the dictionary.
  std::mt19937_64 rng(3);
  std::vector<std::string> words{"apparel", "garden", "home", "kitchen", "tech", "toys"};
  if (GENERATE(0, 1) == 1)
    for (int k = 0; k < 64; ++k) words.push_back("w" + std::to_string(k));
  INFO("dictionary of " << words.size());
  auto dict = std::make_shared<rk::StringDict>();
  for (const auto& w : words) dict->entries.emplace_back(w);
  const int64_t n = 500;
  std::vector<int32_t> offsets{0}, codes;
  std::vector<uint8_t> validity((n + 7) / 8, 0);
  for (int64_t r = 0; r < n; ++r) {
    const int len = static_cast<int>(rng() % 5);  // 0..4 items, repeats allowed, mostly the 6
    for (int k = 0; k < len; ++k)
      codes.push_back(static_cast<int32_t>(rng() % (rng() % 3 ? 6 : words.size())));
    offsets.push_back(static_cast<int32_t>(codes.size()));
    if (rng() % 6) validity[r >> 3] |= static_cast<uint8_t>(1 << (r & 7));
  }
  codes.push_back(0);
  RkColumn col{};
  col.validity = validity.data();
  col.offsets = offsets.data();
  col.child_codes = codes.data();
  col.dict = dict.get();
  rk::Batch batch;
  batch.num_rows = n;
  batch.columns.push_back(col);
  const std::vector<std::vector<std::string>> sets{
      {"home"}, {"garden", "home", "kitchen"}, {"apparel", "zebra"}, {"tech", "toys"}};
  for (auto kind : {rk::ir::AtomKind::ListHasAny, rk::ir::AtomKind::ListHasAll,
                    rk::ir::AtomKind::ListHasNone}) {
    for (const auto& set : sets) {
      rk::ir::Program program;
      rk::ir::Atom atom;
      atom.kind = kind;
      atom.field = 0;
      atom.set = set;  // sorted, as the checker gives them
      program.atoms.push_back(atom);
      rk::PreparedAtoms atoms;
      atoms.prepare(program, batch);
      for (int64_t r = 0; r < n; ++r) {
        bool expected = false;
        if (rk::is_present(validity.data(), r)) {
          size_t found = 0;
          bool any = false;
          for (const auto& item : set) {
            bool in = false;
            for (int32_t k = offsets[r]; k < offsets[r + 1]; ++k) in |= words[codes[k]] == item;
            any |= in;
            found += in;
          }
          expected = kind == rk::ir::AtomKind::ListHasAny    ? any
                     : kind == rk::ir::AtomKind::ListHasNone ? !any
                                                             : found == set.size();
        }
        INFO("kind " << static_cast<int>(kind) << " row " << r);
        REQUIRE(static_cast<bool>(atoms.data()[0].table[r]) == expected);
      }
    }
  }
}
