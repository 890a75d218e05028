// Rekindle compiler: scores. Lowers `score NAME { N points when COND ... }` on first use: each
// line adds its points when its condition is true (an unknown condition adds nothing), as
// `If(IsTrue(cond), points, 0)` summed with Add. Points are whole numbers or decimals; a score
// with a decimal line is summed exactly in units of its finest decimal (2.5 and 0.25 in
// hundredths) and divided once at the end, so 0.1 + 0.2 reads 0.3. Records the layout's Score
// and each line in the source map.
#include <fmt/format.h>

#include <charconv>

#include "compiler/check/lower.h"

namespace rk::check {

namespace {

constexpr size_t kMaxDecimals = 6;
constexpr int64_t kMaxPoints =
    1'000'000'000'000;  // |points| x 10^decimals, summed without overflow

// Points as written ("-10", "2.5") in units of 10^-scale; false when they do not fit.
bool scaled_points(const std::string& text, size_t scale, int64_t& out) {
  std::string_view t = text;
  const bool neg = !t.empty() && t.front() == '-';
  if (neg) t.remove_prefix(1);
  const size_t dot = t.find('.');
  std::string digits(t.substr(0, dot));
  std::string frac(dot == std::string_view::npos ? "" : t.substr(dot + 1));
  if (frac.size() > scale) return false;
  digits += frac + std::string(scale - frac.size(), '0');
  int64_t v = 0;
  const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (r.ec != std::errc() || r.ptr != digits.data() + digits.size() || v > kMaxPoints) return false;
  out = neg ? -v : v;
  return true;
}

size_t decimals_of(const std::string& text) {
  const size_t dot = text.find('.');
  return dot == std::string::npos ? 0 : text.size() - dot - 1;
}

}  // namespace

Typed Lowering::lower_score(size_t index, const ast::Span& use) {
  ScoreEnt& e = sym_.scores[index];
  if (e.state == State::Done) return e.value;
  if (!enter(e, e.decl->name, use)) return error_typed();
  e.state = State::Active;
  CycleGuard g(*this, e.decl->name, use);
  const ast::ScoreDecl& d = *e.decl;
  auto fail = [&]() {
    e.value = error_typed();
    e.state = State::Done;
    return e.value;
  };
  if (d.lines.empty()) {
    error(Code::Score, d.name_span, fmt::format("score `{}` has no lines", d.name),
          "add a line such as `10 points when engagement is dark`");
    return fail();
  }
  size_t scale = 0;
  for (const auto& l : d.lines) {
    const size_t dec = decimals_of(l.points);
    if (dec > kMaxDecimals) {
      error(
          Code::Score, l.points_span,
          fmt::format("`{}` has {} decimals; points have at most {}", l.points, dec, kMaxDecimals));
      return fail();
    }
    scale = std::max(scale, dec);
  }
  e.layout.name = d.name;
  e.layout.decimal = scale > 0;
  uint32_t sum = ir::kNoNode;
  bool ok = true;
  for (const auto& l : d.lines) {
    int64_t points = 0;
    if (!scaled_points(l.points, scale, points)) {
      error(Code::Score, l.points_span,
            fmt::format("`{}` points are too many (at most 1000000000000 in units of the finest "
                        "decimal of the score)",
                        l.points));
      ok = false;
      continue;
    }
    Typed c = ex_.check_cond(*e.file, l.cond);
    e.layout.lines.push_back({l.points, c.node});
    smap_.rule(SourceMap::Kind::ScoreLine, d.name, l.points, l.span, c.node,
               smap_.term(*e.file, l.cond), l.doc);
    if (c.type.is_error()) {
      ok = false;
      continue;
    }
    const uint32_t line =
        nb_.if_(ir::Ty::Int, nb_.is_true(c.node), nb_.c_int(points), nb_.c_int(0));
    sum = sum == ir::kNoNode ? line : nb_.op(ir::Op::Add, ir::Ty::Int, {sum, line});
  }
  if (!ok) return fail();
  if (scale == 0) {
    e.value = Typed{Type{TypeKind::Int}, sum};
  } else {
    int64_t unit = 1;
    for (size_t i = 0; i < scale; ++i) unit *= 10;
    const uint32_t f = nb_.op(ir::Op::IntToFloat, ir::Ty::Float, {sum});
    e.value = Typed{Type{TypeKind::Number}, nb_.op(ir::Op::Div, ir::Ty::Float,
                                                   {f, nb_.c_float(static_cast<double>(unit))})};
  }
  e.layout.value.node = e.value.node;
  e.state = State::Done;
  return e.value;
}

}  // namespace rk::check
