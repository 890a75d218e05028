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

void PreparedAtoms::prepare(const ir::Program& program, const Batch& batch) {
  const size_t n = program.atoms.size();
  views_.assign(n, RkAtom{nullptr, nullptr, nullptr});
  tables_.resize(n);
  const int64_t rows = batch.num_rows;
  for (size_t i = 0; i < n; ++i) {
    const ir::Atom& a = program.atoms[i];
    const RkColumn& col = batch.columns[a.field];
    auto& table = tables_[i];
    RkAtom& view = views_[i];
    view.validity = col.validity;
    switch (a.kind) {
      case ir::AtomKind::StrInSet: {
        if (col.encoding == RK_STR_DICT) {
          const auto* dict = static_cast<const StringDict*>(col.dict);
          table.resize(std::max<size_t>(dict->entries.size(), 1));
          for (size_t e = 0; e < dict->entries.size(); ++e)
            table[e] = in_set(a.set, dict->entries[e]);
          view.index = static_cast<const int32_t*>(col.values);
        } else {
          table.resize(static_cast<size_t>(std::max<int64_t>(rows, 1)));
          for (int64_t r = 0; r < rows; ++r) {
            auto s = batch.string_at(a.field, r);
            table[r] = s && in_set(a.set, *s);
          }
          view.index = nullptr;
        }
        break;
      }
      case ir::AtomKind::ListHasAny:
      case ir::AtomKind::ListHasAll:
      case ir::AtomKind::ListHasNone: {
        const auto* dict = static_cast<const StringDict*>(col.dict);
        const size_t entries = dict ? dict->entries.size() : 0;
        std::vector<int32_t> member(entries, -1);  // entry -> index in set, or -1
        for (size_t e = 0; e < entries; ++e) {
          auto it = std::lower_bound(
              a.set.begin(), a.set.end(), dict->entries[e],
              [](const std::string& x, std::string_view y) { return std::string_view(x) < y; });
          if (it != a.set.end() && *it == dict->entries[e])
            member[e] = static_cast<int32_t>(it - a.set.begin());
        }
        table.assign(static_cast<size_t>(std::max<int64_t>(rows, 1)), 0);
        const auto* off = static_cast<const int32_t*>(col.offsets);
        std::vector<uint8_t> seen(a.set.size());
        for (int64_t r = 0; r < rows; ++r) {
          if (!is_present(col.validity, r)) continue;
          bool any = false;
          size_t distinct = 0;
          std::fill(seen.begin(), seen.end(), 0);
          for (int32_t k = off[r]; k < off[r + 1]; ++k) {
            const int32_t m = member[col.child_codes[k]];
            if (m < 0) continue;
            any = true;
            if (!seen[m]) seen[m] = 1, ++distinct;
          }
          bool v = a.kind == ir::AtomKind::ListHasAny    ? any
                   : a.kind == ir::AtomKind::ListHasNone ? !any
                                                         : distinct == a.set.size();
          table[r] = v;
        }
        view.index = nullptr;
        break;
      }
      case ir::AtomKind::Holdout: {
        table.assign(static_cast<size_t>(std::max<int64_t>(rows, 1)), 0);
        const uint64_t salted = fnv1a64_update(fnv1a64(a.salt), ":");
        for (int64_t r = 0; r < rows; ++r) {
          auto s = batch.string_at(a.field, r);
          if (!s) continue;
          table[r] = (fnv1a64_update(salted, *s) % a.modulus) < a.threshold;
        }
        view.index = nullptr;
        break;
      }
    }
    view.table = table.data();
  }
}

}  // namespace rk
