// Rekindle runtime: atom preparation (see atoms.h).
#include "runtime/atoms.h"

#include <algorithm>
#include <optional>
#include <string>

#include "compiler/ir/bucket.h"
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
  set_bits_.assign(n, 0);
  use_mask_.assign(n, 0);
  all_known_.assign(n, 0);
  mask_fields_.clear();
  masks_.resize(batch.columns.size());
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
      if (entries <= 64) {
        std::vector<uint8_t> found(a.set.size(), 0);
        for (size_t e = 0; e < entries; ++e)
          if (member[e] >= 0) {
            set_bits_[i] |= uint64_t{1} << e;
            found[static_cast<size_t>(member[e])] = 1;
          }
        all_known_[i] =
            std::count(found.begin(), found.end(), 1) == static_cast<std::ptrdiff_t>(a.set.size());
        use_mask_[i] = 1;
        if (std::find(mask_fields_.begin(), mask_fields_.end(), a.field) == mask_fields_.end()) {
          mask_fields_.push_back(a.field);
          masks_[a.field].resize(rows);
        }
      }
    }
    view.table = table.data();
  }
  // Holdout atoms of one (field, salt, modulus) hash each row once.
  bucket_leader_.resize(n);
  buckets_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const ir::Atom& a = program.atoms[i];
    bucket_leader_[i] = static_cast<uint32_t>(i);
    buckets_[i].clear();
    if (a.kind != ir::AtomKind::Holdout) continue;
    for (size_t j = 0; j < i; ++j) {
      const ir::Atom& b = program.atoms[j];
      if (b.kind == ir::AtomKind::Holdout && bucket_leader_[j] == j && b.field == a.field &&
          b.salt == a.salt && b.modulus == a.modulus) {
        bucket_leader_[i] = static_cast<uint32_t>(j);
        buckets_[j].resize(rows);
        break;
      }
    }
  }
}

void PreparedAtoms::prepare_rows(const ir::Program& program, const Batch& batch, int64_t begin,
                                 int64_t end) {
  for (const uint32_t f : mask_fields_) {
    const RkColumn& col = batch.columns[f];
    const int32_t* const off = static_cast<const int32_t*>(col.offsets);
    const int32_t* const codes = col.child_codes;
    uint64_t* const mask = masks_[f].data();
    for (int64_t r = begin; r < end; ++r) {
      uint64_t m = 0;
      for (int32_t k = off[r]; k < off[r + 1]; ++k) m |= uint64_t{1} << (codes[k] & 63);
      mask[r] = m;
    }
  }
  for (size_t i = 0; i < program.atoms.size(); ++i) {
    const ir::Atom& a = program.atoms[i];
    const RkColumn& col = batch.columns[a.field];
    if (!per_row(a, col)) continue;
    uint8_t* table = tables_[i].data();
    switch (a.kind) {
      case ir::AtomKind::StrInSet:
        for (int64_t r = begin; r < end; ++r) {
          auto s = column_string_at(col, r);
          table[r] = s && in_set(a.set, *s);
        }
        break;
      case ir::AtomKind::ListHasAny:
      case ir::AtomKind::ListHasAll:
      case ir::AtomKind::ListHasNone: {
        // Locals, not members: `table` is uint8_t*, which may alias anything, so the compiler
        // would otherwise reload every pointer after each store.
        const int32_t* const member = members_[i].data();
        const int32_t* const off = static_cast<const int32_t*>(col.offsets);
        const int32_t* const codes = col.child_codes;
        const uint8_t* const validity = col.validity;
        if (use_mask_[i]) {
          // One loop per kind, without a branch inside (they vectorize); missing lists are
          // cleared after.
          const uint64_t* const mask = masks_[a.field].data();
          const uint64_t bits = set_bits_[i];
          if (a.kind == ir::AtomKind::ListHasAny) {
            for (int64_t r = begin; r < end; ++r) table[r] = (mask[r] & bits) != 0;
          } else if (a.kind == ir::AtomKind::ListHasNone) {
            for (int64_t r = begin; r < end; ++r) table[r] = (mask[r] & bits) == 0;
          } else if (all_known_[i]) {
            for (int64_t r = begin; r < end; ++r) table[r] = (mask[r] & bits) == bits;
          } else {
            std::fill(table + begin, table + end, uint8_t{0});
          }
          if (validity)
            for (int64_t r = begin; r < end; ++r) table[r] &= bit_is_set(validity, r);
          break;
        }
        if (a.kind != ir::AtomKind::ListHasAll) {
          const uint8_t hit = a.kind == ir::AtomKind::ListHasAny ? 1 : 0;
          for (int64_t r = begin; r < end; ++r) {
            bool any = false;
            for (int32_t k = off[r]; k < off[r + 1]; ++k) any |= member[codes[k]] >= 0;
            table[r] = is_present(validity, r) ? (any ? hit : static_cast<uint8_t>(1 - hit)) : 0;
          }
          break;
        }
        // has all of: every item of the set occurs; sets of any size, a flag per item.
        std::vector<uint8_t> seen(a.set.size());
        for (int64_t r = begin; r < end; ++r) {
          table[r] = 0;
          if (!is_present(validity, r)) continue;
          std::fill(seen.begin(), seen.end(), 0);
          size_t distinct = 0;
          for (int32_t k = off[r]; k < off[r + 1]; ++k) {
            const int32_t m = member[codes[k]];
            if (m >= 0 && !seen[static_cast<size_t>(m)])
              seen[static_cast<size_t>(m)] = 1, ++distinct;
          }
          table[r] = distinct == a.set.size();
        }
        break;
      }
      case ir::AtomKind::Holdout: {
        const ir::BucketRange held = ir::holdout_range(a);
        if (const uint32_t leader = bucket_leader_[i]; leader != i) {
          // The leader (an earlier atom) already stored these rows' buckets.
          const uint64_t* const b = buckets_[leader].data();
          for (int64_t r = begin; r < end; ++r) table[r] = b[r] != kNoBucket && held.contains(b[r]);
          break;
        }
        uint64_t* const store = buckets_[i].empty() ? nullptr : buckets_[i].data();
        // Eight rows at a time through the interleaved hash (see fnv1a64_update_lanes).
        const ir::Bucketing buckets(a.salt, a.modulus);
        constexpr int kLanes = 8;
        std::string_view s[kLanes];
        bool present[kLanes];
        uint64_t h[kLanes];
        for (int64_t r0 = begin; r0 < end; r0 += kLanes) {
          const int lanes = static_cast<int>(std::min<int64_t>(kLanes, end - r0));
          for (int i = 0; i < kLanes; ++i) {
            const std::optional<std::string_view> v =
                i < lanes ? column_string_at(col, r0 + i) : std::nullopt;
            present[i] = v.has_value();
            s[i] = v.value_or(std::string_view());
          }
          buckets.of_lanes<kLanes>(s, h);
          for (int i = 0; i < lanes; ++i) table[r0 + i] = present[i] && held.contains(h[i]);
          if (store)
            for (int i = 0; i < lanes; ++i) store[r0 + i] = present[i] ? h[i] : kNoBucket;
        }
        break;
      }
    }
  }
}

}  // namespace rk
