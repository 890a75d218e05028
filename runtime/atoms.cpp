// Rekindle runtime: atom preparation (see atoms.h).
#include "runtime/atoms.h"

#include <algorithm>
#include <string>

#include "compiler/ir/helpers.h"

namespace rk {
namespace {

bool in_set(const std::vector<std::string>& set, std::string_view s) {
  return std::binary_search(set.begin(), set.end(), s, [](const auto& a, const auto& b) {
    return std::string_view(a) < std::string_view(b);
  });
}

}  // namespace

bool PreparedAtoms::per_row(const ir::Atom& a, const RkColumn& col) {
  return !(a.kind == ir::AtomKind::StrInSet && col.encoding == RK_STR_DICT);
}

void PreparedAtoms::prepare_batch(const ir::Program& program, const Batch& batch) {
  const size_t n = program.atoms.size();
  views_.assign(n, RkAtom{nullptr, nullptr, nullptr});
  tables_.resize(n);
  members_.resize(n);
  const size_t rows = static_cast<size_t>(std::max<int64_t>(batch.num_rows, 1));
  for (size_t i = 0; i < n; ++i) {
    const ir::Atom& a = program.atoms[i];
    const RkColumn& col = batch.columns[a.field];
    auto& table = tables_[i];
    RkAtom& view = views_[i];
    view.validity = col.validity;
    if (!per_row(a, col)) {
      // A string predicate on a dictionary column: once per dictionary entry.
      const auto* dict = static_cast<const StringDict*>(col.dict);
      table.assign(std::max<size_t>(dict->entries.size(), 1), 0);
      for (size_t e = 0; e < dict->entries.size(); ++e) table[e] = in_set(a.set, dict->entries[e]);
      view.index = static_cast<const int32_t*>(col.values);
    } else {
      table.resize(rows);
      view.index = nullptr;
    }
    if (a.kind == ir::AtomKind::ListHasAny || a.kind == ir::AtomKind::ListHasAll ||
        a.kind == ir::AtomKind::ListHasNone) {
      // Dictionary entry -> position in the (sorted) set, or -1: once per entry.
      const auto* dict = static_cast<const StringDict*>(col.dict);
      const size_t entries = dict ? dict->entries.size() : 0;
      auto& member = members_[i];
      member.assign(entries, -1);
      for (size_t e = 0; e < entries; ++e) {
        auto it = std::lower_bound(
            a.set.begin(), a.set.end(), dict->entries[e],
            [](const std::string& x, std::string_view y) { return std::string_view(x) < y; });
        if (it != a.set.end() && *it == dict->entries[e])
          member[e] = static_cast<int32_t>(it - a.set.begin());
      }
    }
    view.table = table.data();
  }
}

void PreparedAtoms::prepare_rows(const ir::Program& program, const Batch& batch, int64_t begin,
                                 int64_t end) {
  for (size_t i = 0; i < program.atoms.size(); ++i) {
    const ir::Atom& a = program.atoms[i];
    const RkColumn& col = batch.columns[a.field];
    if (!per_row(a, col)) continue;
    uint8_t* table = tables_[i].data();
    switch (a.kind) {
      case ir::AtomKind::StrInSet:
        for (int64_t r = begin; r < end; ++r) {
          auto s = batch.string_at(a.field, r);
          table[r] = s && in_set(a.set, *s);
        }
        break;
      case ir::AtomKind::ListHasAny:
      case ir::AtomKind::ListHasAll:
      case ir::AtomKind::ListHasNone: {
        const auto& member = members_[i];
        const auto* off = static_cast<const int32_t*>(col.offsets);
        // Sets of up to 64 items use a bit mask; larger ones a vector of flags.
        std::vector<uint8_t> seen(a.set.size());
        for (int64_t r = begin; r < end; ++r) {
          table[r] = 0;
          if (!is_present(col.validity, r)) continue;
          bool any = false;
          size_t distinct = 0;
          if (a.kind == ir::AtomKind::ListHasAll) std::fill(seen.begin(), seen.end(), 0);
          for (int32_t k = off[r]; k < off[r + 1]; ++k) {
            const int32_t m = member[col.child_codes[k]];
            if (m < 0) continue;
            any = true;
            if (a.kind == ir::AtomKind::ListHasAll && !seen[m]) seen[m] = 1, ++distinct;
          }
          table[r] = a.kind == ir::AtomKind::ListHasAny    ? any
                     : a.kind == ir::AtomKind::ListHasNone ? !any
                                                           : distinct == a.set.size();
        }
        break;
      }
      case ir::AtomKind::Holdout: {
        const uint64_t salted = fnv1a64_update(fnv1a64(a.salt), ":");
        for (int64_t r = begin; r < end; ++r) {
          auto s = batch.string_at(a.field, r);
          table[r] = s && (fnv1a64_update(salted, *s) % a.modulus) < a.threshold;
        }
        break;
      }
    }
  }
}

}  // namespace rk
