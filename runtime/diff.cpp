// Rekindle runtime: `rekindle diff` (see diff.h). Two executors per batch over one read of the
// snapshot; per-chunk transition counts merged in chunk order so samples are the first customers
// in snapshot order whatever the thread count.
#include "runtime/diff.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

#include "runtime/atoms.h"
#include "runtime/evaluator.h"

namespace rk {

std::string group_thousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::vector<uint32_t> fields_read(const ir::Program& program) {
  std::set<uint32_t> read;
  for (const auto& n : program.nodes)
    if (n.op == ir::Op::Column) read.insert(n.index);
  for (const auto& a : program.atoms) read.insert(a.field);
  if (program.schema.key_field >= 0) read.insert(static_cast<uint32_t>(program.schema.key_field));
  return {read.begin(), read.end()};
}

namespace {

std::string type_text(const FieldDef& f) {
  if (f.type == FieldType::Enum) {
    std::string s = "enum {";
    for (size_t i = 0; i < f.enum_values.size(); ++i) s += (i ? ", " : "") + f.enum_values[i];
    return s + "}";
  }
  if (f.type == FieldType::StringList) return "list of string";
  return std::string(field_type_name(f));
}

bool same_type(const FieldDef& a, const FieldDef& b) {
  return a.type == b.type && a.time_zone == b.time_zone && a.enum_values == b.enum_values;
}

}  // namespace

bool merge_schemas(const ir::Program& old_p, const ir::Program& new_p, const std::string& old_name,
                   const std::string& new_name, MergedSchema& out, std::string& error) {
  const Schema& so = old_p.schema;
  const Schema& sn = new_p.schema;
  if (so.key_field < 0 || sn.key_field < 0) {
    error = "both rule files need a schema with a key field";
    return false;
  }
  const FieldDef& ko = so.fields[so.key_field];
  const FieldDef& kn = sn.fields[sn.key_field];
  if (ko.name != kn.name) {
    error = fmt::format(
        "the two rule files use different customer keys: `{}` in {}, `{}` in {}; a diff needs "
        "the same key to match customers",
        ko.name, old_name, kn.name, new_name);
    return false;
  }
  const auto ro = fields_read(old_p), rn = fields_read(new_p);
  auto reads = [](const std::vector<uint32_t>& r, int i) {
    return i >= 0 && std::binary_search(r.begin(), r.end(), static_cast<uint32_t>(i));
  };
  out = MergedSchema{};
  out.schema.name = so.name;
  out.old_fields.assign(so.fields.size(), -1);
  out.new_fields.assign(sn.fields.size(), -1);
  std::vector<std::string> conflicts;
  auto add = [&](FieldDef def) {
    out.schema.fields.push_back(std::move(def));
    return static_cast<int>(out.schema.fields.size() - 1);
  };
  for (size_t i = 0; i < so.fields.size(); ++i) {
    const FieldDef& fo = so.fields[i];
    const int j = sn.find(fo.name);
    const bool by_old = reads(ro, static_cast<int>(i)), by_new = reads(rn, j);
    if (!by_old && !by_new) continue;
    const FieldDef* fnew = j >= 0 ? &sn.fields[j] : nullptr;
    if (by_old && by_new && !same_type(fo, *fnew)) {
      conflicts.push_back(fmt::format("`{}` is {} in {} but {} in {}", fo.name, type_text(fo),
                                      old_name, type_text(*fnew), new_name));
      continue;
    }
    FieldDef def = by_old ? fo : *fnew;
    if (fnew && same_type(fo, *fnew)) def.nullable = fo.nullable && fnew->nullable;
    def.key = false;
    const int m = add(def);
    if (fnew && same_type(fo, *fnew)) {
      out.old_fields[i] = m;
      out.new_fields[j] = m;
    } else if (by_old) {
      out.old_fields[i] = m;
    } else {
      out.new_fields[j] = m;
    }
  }
  for (size_t j = 0; j < sn.fields.size(); ++j) {
    if (out.new_fields[j] >= 0 || !reads(rn, static_cast<int>(j))) continue;
    if (so.find(sn.fields[j].name) >= 0) continue;  // a conflict, reported above
    FieldDef def = sn.fields[j];
    def.key = false;
    out.new_fields[j] = add(def);
  }
  if (!conflicts.empty()) {
    error = fmt::format("the two rule files read the snapshot differently: {}",
                        fmt::join(conflicts, "; "));
    return false;
  }
  out.schema.key_field = out.old_fields[so.key_field];
  out.schema.fields[out.schema.key_field].key = true;
  return true;
}

namespace {

// How one compared column maps both programs' output values to shared value ids (0 = empty).
struct ColPlan {
  std::string name;
  uint32_t old_out = 0, new_out = 0;
  std::vector<uint32_t> old_uid, new_uid;  // by output value + 1 (slot 0: -1/out of range)
  std::vector<std::string> values;         // by value id
  uint32_t k = 0;                          // number of value ids
};

struct ReviewPlan {
  std::string rule;
  int old_out = -1, new_out = -1;
};

std::vector<uint32_t> uid_table(const std::vector<std::string>& texts,
                                const std::vector<std::string>& values) {
  std::vector<uint32_t> t(texts.size() + 1, 0);
  for (size_t v = 0; v < texts.size(); ++v)
    t[v + 1] =
        static_cast<uint32_t>(std::find(values.begin(), values.end(), texts[v]) - values.begin());
  return t;
}

// Everything one chunk (or the whole run) counts.
struct Acc {
  std::vector<std::vector<int64_t>> counts;  // per column: k * k cells
  std::vector<std::unordered_map<uint32_t, std::vector<int64_t>>> samples;  // changed cells
  std::vector<int64_t> enter, leave, stay;
  std::vector<std::vector<int64_t>> enter_s, leave_s;
  int64_t changed = 0;
  std::vector<int64_t> changed_s;

  void init(const std::vector<ColPlan>& cols, size_t reviews) {
    counts.resize(cols.size());
    for (size_t c = 0; c < cols.size(); ++c) counts[c].assign(size_t{cols[c].k} * cols[c].k, 0);
    samples.assign(cols.size(), {});
    enter.assign(reviews, 0);
    leave.assign(reviews, 0);
    stay.assign(reviews, 0);
    enter_s.assign(reviews, {});
    leave_s.assign(reviews, {});
    changed = 0;
    changed_s.clear();
  }
};

// The program's view of a merged batch: its own field order over the merged columns.
Batch view_of(const Batch& merged, const std::vector<int>& fields) {
  Batch b;
  b.num_rows = merged.num_rows;
  b.first_row = merged.first_row;
  b.columns.assign(fields.size(),
                   RkColumn{nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, 0, 0});
  b.dicts.assign(fields.size(), nullptr);
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i] < 0) continue;
    b.columns[i] = merged.columns[fields[i]];
    if (static_cast<size_t>(fields[i]) < merged.dicts.size()) b.dicts[i] = merged.dicts[fields[i]];
  }
  return b;
}

}  // namespace

std::vector<TouchRenumbering> touch_renumberings(const ir::Program& old_p,
                                                 const ir::Program& new_p) {
  std::vector<TouchRenumbering> out;
  for (const ir::Sequence& q : old_p.layout.sequences) {
    const ir::Sequence* n = nullptr;
    for (const ir::Sequence& c : new_p.layout.sequences)
      if (c.name == q.name) n = &c;
    if (!n || q.progress_touch == ir::kNoNode || n->progress_touch == ir::kNoNode ||
        q.progress_by_name || n->progress_by_name)
      continue;
    const ir::Node& col = old_p.nodes[q.progress_touch];
    const std::string field = col.op == ir::Op::Column && col.index < old_p.schema.fields.size()
                                  ? old_p.schema.fields[col.index].name
                                  : std::string();
    const size_t count = std::max(q.touches.size(), n->touches.size());
    for (size_t i = 0; i < count; ++i) {
      const std::string before = i < q.touches.size() ? q.touches[i].name : "";
      const std::string after = i < n->touches.size() ? n->touches[i].name : "";
      if (before != after) out.push_back({q.name, field, static_cast<int>(i + 1), before, after});
    }
  }
  return out;
}

namespace {

// "customers at touch 4 would now get winback_offer instead of social_proof".
std::string renumbering_text(const TouchRenumbering& t) {
  if (t.new_touch.empty())
    return fmt::format("customers at touch {} would now be exhausted instead of getting {}",
                       t.number, t.old_touch);
  if (t.old_touch.empty())
    return fmt::format("customers at touch {} would now get {} instead of being exhausted",
                       t.number, t.new_touch);
  return fmt::format("customers at touch {} would now get {} instead of {}", t.number, t.new_touch,
                     t.old_touch);
}

// The renumberings of one sequence after another, each as one paragraph of lines.
std::vector<std::pair<std::string, std::vector<std::string>>> renumbering_groups(
    const DiffReport& r) {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (const auto& t : r.renumbered) {
    if (out.empty() || out.back().first != t.sequence) out.push_back({t.sequence, {}});
    out.back().second.push_back(renumbering_text(t));
  }
  return out;
}

std::string renumbering_field(const DiffReport& r, const std::string& sequence) {
  for (const auto& t : r.renumbered)
    if (t.sequence == sequence) return t.progress_field;
  return {};
}

}  // namespace

bool diff_programs(const ir::Program& old_p, const Executor& old_x, const ir::Program& new_p,
                   const Executor& new_x, const MergedSchema& merged, SnapshotReader& reader,
                   WorkerPool& pool, const DiffOptions& opts, DiffReport& report,
                   std::string& error) {
  report = DiffReport{};
  report.renumbered = touch_renumberings(old_p, new_p);
  const size_t samples = static_cast<size_t>(std::max(0, opts.samples));
  // Plan the compared columns and review rules.
  std::vector<ColPlan> cols;
  const ir::ResultColumn* old_review = nullptr;
  const ir::ResultColumn* new_review = nullptr;
  auto find_col = [](const ir::Program& p, const std::string& name) -> const ir::ResultColumn* {
    for (const auto& c : p.columns)
      if (c.name == name) return &c;
    return nullptr;
  };
  for (const auto& oc : old_p.columns) {
    if (oc.kind == ir::ResultKind::Key) continue;
    const ir::ResultColumn* nc = find_col(new_p, oc.name);
    if (!nc || nc->kind != oc.kind) {
      report.columns_only_old.push_back(oc.name);
      continue;
    }
    if (oc.kind == ir::ResultKind::Joined) {
      if (oc.role == ir::ColumnRole::Review && nc->role == ir::ColumnRole::Review)
        old_review = &oc, new_review = nc;
      continue;
    }
    if (oc.kind == ir::ResultKind::Number || oc.kind == ir::ResultKind::Timestamp ||
        oc.kind == ir::ResultKind::FieldText)
      continue;  // numbers (scores), send times and owners have no moves between values
    ColPlan p;
    p.name = oc.name;
    p.old_out = oc.outputs[0];
    p.new_out = nc->outputs[0];
    p.values.push_back("");
    for (const auto& t : oc.texts)
      if (std::find(p.values.begin(), p.values.end(), t) == p.values.end()) p.values.push_back(t);
    for (const auto& t : nc->texts)
      if (std::find(p.values.begin(), p.values.end(), t) == p.values.end()) p.values.push_back(t);
    p.k = static_cast<uint32_t>(p.values.size());
    p.old_uid = uid_table(oc.texts, p.values);
    p.new_uid = uid_table(nc->texts, p.values);
    DiffColumn dc;
    dc.name = oc.name;
    dc.role = oc.role;
    for (const auto& t : nc->texts)
      if (std::find(oc.texts.begin(), oc.texts.end(), t) == oc.texts.end())
        dc.values_added.push_back(t);
    for (const auto& t : oc.texts)
      if (std::find(nc->texts.begin(), nc->texts.end(), t) == nc->texts.end())
        dc.values_removed.push_back(t);
    report.columns.push_back(std::move(dc));
    cols.push_back(std::move(p));
  }
  for (const auto& nc : new_p.columns)
    if (nc.kind != ir::ResultKind::Key && !find_col(old_p, nc.name))
      report.columns_only_new.push_back(nc.name);
  std::vector<ReviewPlan> reviews;
  if (old_review && new_review) {
    for (size_t k = 0; k < old_review->texts.size(); ++k) {
      ReviewPlan r{old_review->texts[k], static_cast<int>(old_review->outputs[k]), -1};
      for (size_t m = 0; m < new_review->texts.size(); ++m)
        if (new_review->texts[m] == r.rule) r.new_out = static_cast<int>(new_review->outputs[m]);
      reviews.push_back(r);
    }
    for (size_t m = 0; m < new_review->texts.size(); ++m) {
      bool known = false;
      for (const auto& r : reviews) known |= r.rule == new_review->texts[m];
      if (!known)
        reviews.push_back({new_review->texts[m], -1, static_cast<int>(new_review->outputs[m])});
    }
  }

  Acc total;
  total.init(cols, reviews.size());
  std::vector<std::vector<std::string>> cell_ids;  // flattened (column, cell) samples as ids
  std::vector<std::unordered_map<uint32_t, std::vector<std::string>>> col_ids(cols.size());
  std::vector<std::vector<std::string>> enter_ids(reviews.size()), leave_ids(reviews.size());
  std::vector<std::string> changed_ids;

  PreparedAtoms old_atoms, new_atoms;
  OutputColumns old_out(old_p), new_out(new_p);
  const int key = merged.schema.key_field;
  Batch batch;
  while (reader.next(batch)) {
    if (opts.cancel && opts.cancel->load()) {
      error = "interrupted";
      return false;
    }
    const int64_t n = batch.num_rows;
    old_out.resize(n);
    new_out.resize(n);
    int8_t* const* const old_ptr = old_out.pointers();
    int8_t* const* const new_ptr = new_out.pointers();
    const Batch old_b = view_of(batch, merged.old_fields);
    const Batch new_b = view_of(batch, merged.new_fields);
    old_atoms.prepare(old_p, old_b);
    new_atoms.prepare(new_p, new_b);
    const RkBatchView old_v{old_b.columns.data(), old_atoms.data(), n, opts.as_of, 0};
    const RkBatchView new_v{new_b.columns.data(), new_atoms.data(), n, opts.as_of, 0};
    const RkResultView old_r = old_out.view(n);
    const RkResultView new_r = new_out.view(n);
    const int64_t chunk = std::max<int64_t>(1, opts.chunk_rows);
    const int64_t tasks = (n + chunk - 1) / chunk;
    std::vector<Acc> accs(static_cast<size_t>(tasks));
    pool.run(tasks, [&](int64_t t) {
      const int64_t begin = t * chunk, end = std::min(n, begin + chunk);
      old_x.run(old_v, old_r, begin, end);
      new_x.run(new_v, new_r, begin, end);
      Acc& acc = accs[static_cast<size_t>(t)];
      acc.init(cols, reviews.size());
      for (int64_t r = begin; r < end; ++r) {
        bool changed = false;
        for (size_t c = 0; c < cols.size(); ++c) {
          const ColPlan& p = cols[c];
          const int8_t ov = old_ptr[p.old_out][r], nv = new_ptr[p.new_out][r];
          const uint32_t ou = (ov < 0 || ov + 1 >= static_cast<int>(p.old_uid.size()))
                                  ? 0
                                  : p.old_uid[static_cast<size_t>(ov) + 1];
          const uint32_t nu = (nv < 0 || nv + 1 >= static_cast<int>(p.new_uid.size()))
                                  ? 0
                                  : p.new_uid[static_cast<size_t>(nv) + 1];
          const uint32_t cell = ou * p.k + nu;
          ++acc.counts[c][cell];
          if (ou != nu) {
            changed = true;
            auto& s = acc.samples[c][cell];
            if (s.size() < samples) s.push_back(r);
          }
        }
        for (size_t k = 0; k < reviews.size(); ++k) {
          const bool o = reviews[k].old_out >= 0 && old_ptr[reviews[k].old_out][r] == 1;
          const bool w = reviews[k].new_out >= 0 && new_ptr[reviews[k].new_out][r] == 1;
          if (o && w) {
            ++acc.stay[k];
          } else if (w) {
            ++acc.enter[k];
            if (acc.enter_s[k].size() < samples) acc.enter_s[k].push_back(r);
            changed = true;
          } else if (o) {
            ++acc.leave[k];
            if (acc.leave_s[k].size() < samples) acc.leave_s[k].push_back(r);
            changed = true;
          }
        }
        if (changed) {
          ++acc.changed;
          if (acc.changed_s.size() < samples) acc.changed_s.push_back(r);
        }
      }
    });
    // Merge in chunk order: samples stay the first customers in snapshot order.
    auto id_of = [&](int64_t r) {
      auto s = batch.string_at(static_cast<size_t>(key), r);
      return s ? std::string(*s) : std::string();
    };
    auto take = [&](std::vector<std::string>& dst, const std::vector<int64_t>& rows) {
      for (int64_t r : rows) {
        if (dst.size() >= samples) break;
        dst.push_back(id_of(r));
      }
    };
    for (const Acc& a : accs) {
      for (size_t c = 0; c < cols.size(); ++c) {
        for (size_t i = 0; i < a.counts[c].size(); ++i) total.counts[c][i] += a.counts[c][i];
        for (const auto& [cell, rows] : a.samples[c]) take(col_ids[c][cell], rows);
      }
      for (size_t k = 0; k < reviews.size(); ++k) {
        total.enter[k] += a.enter[k];
        total.leave[k] += a.leave[k];
        total.stay[k] += a.stay[k];
        take(enter_ids[k], a.enter_s[k]);
        take(leave_ids[k], a.leave_s[k]);
      }
      total.changed += a.changed;
      take(changed_ids, a.changed_s);
    }
    report.rows += n;
  }
  if (reader.error()) {
    error = reader.error()->to_string();
    return false;
  }
  if (opts.cancel && opts.cancel->load()) {
    error = "interrupted";
    return false;
  }
  for (size_t c = 0; c < cols.size(); ++c) {
    const ColPlan& p = cols[c];
    DiffColumn& dc = report.columns[c];
    for (uint32_t o = 0; o < p.k; ++o)
      for (uint32_t w = 0; w < p.k; ++w) {
        const uint32_t cell = o * p.k + w;
        const int64_t cnt = total.counts[c][cell];
        if (cnt == 0) continue;
        DiffCell cl{p.values[o], p.values[w], cnt, {}};
        if (auto it = col_ids[c].find(cell); it != col_ids[c].end()) cl.samples = it->second;
        if (o != w) dc.changed += cnt;
        dc.cells.push_back(std::move(cl));
      }
  }
  for (size_t k = 0; k < reviews.size(); ++k) {
    DiffReview r;
    r.rule = reviews[k].rule;
    r.in_old = reviews[k].old_out >= 0;
    r.in_new = reviews[k].new_out >= 0;
    r.enter = total.enter[k];
    r.leave = total.leave[k];
    r.stay = total.stay[k];
    r.enter_samples = std::move(enter_ids[k]);
    r.leave_samples = std::move(leave_ids[k]);
    report.reviews.push_back(std::move(r));
  }
  report.changed = total.changed;
  report.changed_samples = std::move(changed_ids);
  return true;
}

// ---- rendering ---------------------------------------------------------------------------------

namespace {

std::string shown(const std::string& v) {
  return v.empty() ? "(empty)" : v;
}

std::string percent_of(int64_t part, int64_t whole) {
  if (whole <= 0) return "0.0%";
  return fmt::format("{:.1f}%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

std::string headline(const DiffReport& r) {
  return fmt::format("{} of {} customers change ({})", group_thousands(r.changed),
                     group_thousands(r.rows), percent_of(r.changed, r.rows));
}

// The compared column presenting the stop rules, if both versions have it.
const DiffColumn* stops_column(const DiffReport& r) {
  for (const auto& c : r.columns)
    if (c.role == ir::ColumnRole::StoppedBy) return &c;
  return nullptr;
}

// Stop-rule moves derived from the stop rules' matrix.
struct StopMoves {
  std::vector<const DiffCell*> start, stop, switch_;
  int64_t started = 0, stopped = 0, switched = 0;
};
StopMoves stop_moves(const DiffReport& r) {
  StopMoves m;
  const DiffColumn* c = stops_column(r);
  if (!c) return m;
  for (const auto& cell : c->cells) {
    if (!cell.changed()) continue;
    if (cell.from.empty())
      m.start.push_back(&cell), m.started += cell.count;
    else if (cell.to.empty())
      m.stop.push_back(&cell), m.stopped += cell.count;
    else
      m.switch_.push_back(&cell), m.switched += cell.count;
  }
  return m;
}

std::string samples_text(const std::vector<std::string>& s) {
  if (s.empty()) return {};
  return "e.g. " + fmt::format("{}", fmt::join(s, ", "));
}

std::string inputs_line(const DiffHeader& h) {
  std::string s = fmt::format("snapshot {}, as of {}", h.snapshot, h.as_of);
  if (!h.engine.empty()) s += fmt::format(" ({} engine)", h.engine);
  for (const auto& [k, v] : h.params) s += fmt::format(", --param {}={}", k, v);
  return s;
}

}  // namespace

std::string diff_text(const DiffReport& r, const DiffHeader& h) {
  std::string out = fmt::format("diff {} -> {}\n{}\n\n{}\n", h.old_rules, h.new_rules,
                                inputs_line(h), headline(r));
  for (const auto& [seq, lines] : renumbering_groups(r)) {
    out +=
        fmt::format("\nwarning: touches renumbered in sequence {} ({} counts touches by number):\n",
                    seq, renumbering_field(r, seq));
    for (const auto& l : lines) out += fmt::format("  {}\n", l);
    out +=
        "  (a progress field by touch name keeps every customer at the touch they got: "
        "docs/language.md)\n";
  }
  if (!r.columns_only_old.empty())
    out += fmt::format("columns only in the old rules (not compared): {}\n",
                       fmt::join(r.columns_only_old, ", "));
  if (!r.columns_only_new.empty())
    out += fmt::format("columns only in the new rules (not compared): {}\n",
                       fmt::join(r.columns_only_new, ", "));
  const StopMoves sm = stop_moves(r);
  if (stops_column(r)) {
    out += fmt::format(
        "\nstops: {} start being stopped, {} stop being stopped, {} change stop rule\n",
        group_thousands(sm.started), group_thousands(sm.stopped), group_thousands(sm.switched));
    for (const DiffCell* c : sm.start)
      out += fmt::format("  start  by {:<24} {:>10}  {}\n", c->to, group_thousands(c->count),
                         samples_text(c->samples));
    for (const DiffCell* c : sm.stop)
      out += fmt::format("  stop   by {:<24} {:>10}  {}\n", c->from, group_thousands(c->count),
                         samples_text(c->samples));
  }
  if (!r.reviews.empty()) {
    int64_t enter = 0, leave = 0;
    for (const auto& v : r.reviews) enter += v.enter, leave += v.leave;
    out += fmt::format("\nreview: {} enter, {} leave (per rule)\n", group_thousands(enter),
                       group_thousands(leave));
    for (const auto& v : r.reviews) {
      const char* tag = !v.in_old ? " (new rule)" : !v.in_new ? " (removed rule)" : "";
      out += fmt::format("  {}{}: {} enter, {} leave\n", v.rule, tag, group_thousands(v.enter),
                         group_thousands(v.leave));
      if (v.enter) out += fmt::format("    enter {}\n", samples_text(v.enter_samples));
      if (v.leave) out += fmt::format("    leave {}\n", samples_text(v.leave_samples));
    }
  }
  std::vector<std::string> unchanged;
  for (const auto& c : r.columns)
    if (c.changed == 0 && c.values_added.empty() && c.values_removed.empty())
      unchanged.push_back(c.name);
  out += "\ncolumns:\n";
  if (!unchanged.empty()) out += fmt::format("  unchanged: {}\n", fmt::join(unchanged, ", "));
  for (const auto& c : r.columns) {
    if (c.changed == 0 && c.values_added.empty() && c.values_removed.empty()) continue;
    out += fmt::format("  {}: {} change\n", c.name, group_thousands(c.changed));
    if (!c.values_added.empty())
      out += fmt::format("    values added: {}\n", fmt::join(c.values_added, ", "));
    if (!c.values_removed.empty())
      out += fmt::format("    values removed: {}\n", fmt::join(c.values_removed, ", "));
    for (const auto& cell : c.cells) {
      if (!cell.changed()) continue;
      out += fmt::format("    {:<36} {:>10}  {}\n", shown(cell.from) + " -> " + shown(cell.to),
                         group_thousands(cell.count), samples_text(cell.samples));
    }
  }
  return out;
}

std::string diff_json(const DiffReport& r, const DiffHeader& h) {
  using J = nlohmann::ordered_json;
  auto val = [](const std::string& s) { return s.empty() ? J(nullptr) : J(s); };
  J j;
  J in;
  in["old"] = h.old_rules;
  in["new"] = h.new_rules;
  in["snapshot"] = h.snapshot;
  in["as_of"] = h.as_of;
  in["engine"] = h.engine;
  J params = J::object();
  for (const auto& [k, v] : h.params) params[k] = v;
  in["params"] = params;
  j["inputs"] = in;
  j["rows"] = r.rows;
  j["changed"] = r.changed;
  j["changed_samples"] = r.changed_samples;
  J renumbered = J::array();
  for (const auto& t : r.renumbered)
    renumbered.push_back({{"sequence", t.sequence},
                          {"progress_field", t.progress_field},
                          {"touch", t.number},
                          {"old", val(t.old_touch)},
                          {"new", val(t.new_touch)},
                          {"text", renumbering_text(t)}});
  j["touches_renumbered"] = renumbered;
  j["columns_only_old"] = r.columns_only_old;
  j["columns_only_new"] = r.columns_only_new;
  const StopMoves sm = stop_moves(r);
  J stops;
  stops["started"] = sm.started;
  stops["stopped"] = sm.stopped;
  stops["switched"] = sm.switched;
  J start = J::object(), stop = J::object();
  for (const DiffCell* c : sm.start) start[c->to] = {{"count", c->count}, {"samples", c->samples}};
  for (const DiffCell* c : sm.stop) stop[c->from] = {{"count", c->count}, {"samples", c->samples}};
  stops["start_by"] = start;
  stops["stop_by"] = stop;
  j["stops"] = stops;
  J reviews = J::array();
  for (const auto& v : r.reviews)
    reviews.push_back({{"rule", v.rule},
                       {"in_old", v.in_old},
                       {"in_new", v.in_new},
                       {"enter", v.enter},
                       {"leave", v.leave},
                       {"stay", v.stay},
                       {"enter_samples", v.enter_samples},
                       {"leave_samples", v.leave_samples}});
  j["reviews"] = reviews;
  J cols = J::array();
  for (const auto& c : r.columns) {
    J cells = J::array();
    for (const auto& cell : c.cells)
      cells.push_back({{"from", val(cell.from)},
                       {"to", val(cell.to)},
                       {"count", cell.count},
                       {"changed", cell.changed()},
                       {"samples", cell.samples}});
    cols.push_back({{"name", c.name},
                    {"changed", c.changed},
                    {"values_added", c.values_added},
                    {"values_removed", c.values_removed},
                    {"cells", cells}});
  }
  j["columns"] = cols;
  return j.dump(2) + "\n";
}

namespace {

// Markdown table cells: escape the pipe and backticks so ids cannot break the table.
std::string md(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|' || c == '`' || c == '*' || c == '_' || c == '<' || c == '>') out += '\\';
    out += c;
  }
  return out;
}
std::string md_samples(const std::vector<std::string>& s) {
  std::vector<std::string> e;
  e.reserve(s.size());
  for (const auto& x : s) e.push_back(md(x));
  return fmt::format("{}", fmt::join(e, ", "));
}

}  // namespace

std::string diff_markdown(const DiffReport& r, const DiffHeader& h) {
  std::string out = fmt::format("### Rekindle: {}\n\n", headline(r));
  out +=
      fmt::format("`{}` → `{}` on `{}`, as of {}", h.old_rules, h.new_rules, h.snapshot, h.as_of);
  for (const auto& [k, v] : h.params) out += fmt::format(", `--param {}={}`", k, v);
  out += "\n\n";
  for (const auto& [seq, lines] : renumbering_groups(r)) {
    out += fmt::format(
        "> **Warning: touches renumbered in sequence `{}`** (`{}` counts touches "
        "by number):\n",
        md(seq), md(renumbering_field(r, seq)));
    for (const auto& l : lines) out += fmt::format("> - {}\n", md(l));
    out += "\n";
  }
  // Overview.
  std::vector<std::string> unchanged;
  std::string rows;
  for (const auto& c : r.columns) {
    if (c.changed == 0) {
      unchanged.push_back(md(c.name));
      continue;
    }
    rows += fmt::format("| {} | {} | {} |\n", md(c.name), group_thousands(c.changed),
                        percent_of(c.changed, r.rows));
  }
  for (const auto& v : r.reviews) {
    if (v.enter + v.leave == 0) {
      unchanged.push_back("review " + md(v.rule));
      continue;
    }
    rows += fmt::format("| review {} | {} | {} |\n", md(v.rule), group_thousands(v.enter + v.leave),
                        percent_of(v.enter + v.leave, r.rows));
  }
  if (!rows.empty())
    out += "| column | customers changing | share |\n|---|---:|---:|\n" + rows + "\n";
  if (!unchanged.empty()) out += fmt::format("Unchanged: {}\n\n", fmt::join(unchanged, ", "));
  if (!r.columns_only_old.empty() || !r.columns_only_new.empty()) {
    if (!r.columns_only_old.empty())
      out += fmt::format("Columns removed (not compared): {}\n\n", md_samples(r.columns_only_old));
    if (!r.columns_only_new.empty())
      out += fmt::format("Columns added (not compared): {}\n\n", md_samples(r.columns_only_new));
  }
  const StopMoves sm = stop_moves(r);
  if (sm.started + sm.stopped + sm.switched > 0) {
    out += "#### Stops\n\n| move | rule | customers | e.g. |\n|---|---|---:|---|\n";
    for (const DiffCell* c : sm.start)
      out += fmt::format("| start being stopped | {} | {} | {} |\n", md(c->to),
                         group_thousands(c->count), md_samples(c->samples));
    for (const DiffCell* c : sm.stop)
      out += fmt::format("| stop being stopped | {} | {} | {} |\n", md(c->from),
                         group_thousands(c->count), md_samples(c->samples));
    for (const DiffCell* c : sm.switch_)
      out += fmt::format("| change stop rule | {} → {} | {} | {} |\n", md(c->from), md(c->to),
                         group_thousands(c->count), md_samples(c->samples));
    out += "\n";
  }
  bool any_review = false;
  for (const auto& v : r.reviews) any_review |= v.enter + v.leave > 0;
  if (any_review) {
    out +=
        "#### Review\n\n| rule | enter | leave | e.g. (enter) | e.g. (leave) |\n"
        "|---|---:|---:|---|---|\n";
    for (const auto& v : r.reviews) {
      if (v.enter + v.leave == 0) continue;
      const char* tag = !v.in_old ? " (new)" : !v.in_new ? " (removed)" : "";
      out += fmt::format("| {}{} | {} | {} | {} | {} |\n", md(v.rule), tag,
                         group_thousands(v.enter), group_thousands(v.leave),
                         md_samples(v.enter_samples), md_samples(v.leave_samples));
    }
    out += "\n";
  }
  for (const auto& c : r.columns) {
    if (c.changed == 0) continue;
    out += fmt::format("#### {}\n\n| old | new | customers | e.g. |\n|---|---|---:|---|\n",
                       md(c.name));
    for (const auto& cell : c.cells) {
      if (!cell.changed()) continue;
      out += fmt::format("| {} | {} | {} | {} |\n", md(shown(cell.from)), md(shown(cell.to)),
                         group_thousands(cell.count), md_samples(cell.samples));
    }
    if (!c.values_added.empty())
      out += fmt::format("\nNew values: {}\n", md_samples(c.values_added));
    if (!c.values_removed.empty())
      out += fmt::format("\nRemoved values: {}\n", md_samples(c.values_removed));
    out += "\n";
  }
  if (r.changed == 0) out += "No customer changes.\n";
  return out;
}

}  // namespace rk
