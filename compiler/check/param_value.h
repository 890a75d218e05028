// Rekindle compiler: reading a `--param NAME=VALUE` value by the parameter's type. A value is
// accepted when it is a literal of that type as a rule file writes it (`$300`, `-$5`, `7%`,
// `10 days`, `2 weeks`, `2026-11-01`, `true`) or a value of that type as a snapshot holds it
// (base/value_parse.h: `300`, `1e3`, `14` days, `TRUE`), and never otherwise: no spaces
// around it, no `$-5`, nothing out of range (`1e-400`), no NaN. Percents must carry `%` (a bare
// `5` would be 500% as a snapshot fraction: too easy to get wrong on a command line).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rk {

enum class ParamKind { Bool, Int, Days, Number, Money, Percent, Date };

struct ParamValue {
  bool b = false;
  int64_t i = 0;     // Int, Days (a count of days), Date (days since 1970-01-01)
  double f = 0;      // Number, Money, Percent (a fraction: 5% is 0.05)
  std::string text;  // as shown in summaries, with its unit (`14 days`, `$300`, `5%`)
};

// Reads `text` as a value of `kind`. Returns false with `why` set (what is expected, with an
// example) when it is not one.
bool read_param_value(ParamKind kind, std::string_view text, ParamValue& out, std::string& why);

}  // namespace rk
