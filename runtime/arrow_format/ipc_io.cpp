// Rekindle runtime: Arrow type names for diagnostics (shared by the Arrow reader and writer).
#include "runtime/arrow_format/ipc_io.h"

namespace rk::arrow_ipc {

namespace {

std::string plain_type_name(const fb::Field* f) {
  switch (f->type_type()) {
    case fb::Type::Null:
      return "null";
    case fb::Type::Int: {
      const auto* t = f->type_as_Int();
      if (!t) return "int";
      return std::string(t->is_signed() ? "int" : "uint") + std::to_string(t->bit_width());
    }
    case fb::Type::FloatingPoint: {
      const auto* t = f->type_as_FloatingPoint();
      if (!t) return "float";
      switch (t->precision()) {
        case fb::Precision::HALF:
          return "float16";
        case fb::Precision::SINGLE:
          return "float32";
        default:
          return "float64";
      }
    }
    case fb::Type::Binary:
      return "binary";
    case fb::Type::Utf8:
      return "utf8";
    case fb::Type::Bool:
      return "bool";
    case fb::Type::Decimal:
      return "decimal";
    case fb::Type::Date: {
      const auto* t = f->type_as_Date();
      return t && t->unit() == fb::DateUnit::DAY ? "date32" : "date64";
    }
    case fb::Type::Time:
      return "time";
    case fb::Type::Timestamp: {
      const auto* t = f->type_as_Timestamp();
      static const char* kUnits[] = {"s", "ms", "us", "ns"};
      const int u = t ? static_cast<int>(t->unit()) : 1;
      return std::string("timestamp[") + (u >= 0 && u < 4 ? kUnits[u] : "?") + "]";
    }
    case fb::Type::Interval:
      return "interval";
    case fb::Type::List:
    case fb::Type::LargeList: {
      std::string outer = f->type_type() == fb::Type::List ? "list" : "large_list";
      const auto* kids = f->children();
      if (!kids || kids->size() != 1) return outer;
      return outer + "<" + type_name(kids->Get(0)) + ">";
    }
    case fb::Type::Struct_:
      return "struct";
    case fb::Type::Union:
      return "union";
    case fb::Type::FixedSizeBinary:
      return "fixed_size_binary";
    case fb::Type::FixedSizeList:
      return "fixed_size_list";
    case fb::Type::Map:
      return "map";
    case fb::Type::Duration:
      return "duration";
    case fb::Type::LargeBinary:
      return "large_binary";
    case fb::Type::LargeUtf8:
      return "large_utf8";
    case fb::Type::RunEndEncoded:
      return "run_end_encoded";
    case fb::Type::BinaryView:
      return "binary_view";
    case fb::Type::Utf8View:
      return "utf8_view";
    case fb::Type::ListView:
      return "list_view";
    case fb::Type::LargeListView:
      return "large_list_view";
    default:
      return "unknown type";
  }
}

}  // namespace

std::string type_name(const fb::Field* field) {
  if (!field) return "unknown type";
  if (field->dictionary()) return "dictionary<" + plain_type_name(field) + ">";
  return plain_type_name(field);
}

}  // namespace rk::arrow_ipc
