#include "runtime/values.hpp"

#include <charconv>
#include <cmath>

namespace capstan::runtime {

using core::ErrorCode;
using core::Fail;

namespace {

std::string Quote(std::string_view text) {
  constexpr std::size_t kMax = 40;
  std::string out = "\"";
  out += text.substr(0, kMax);
  if (text.size() > kMax) out += "...";
  out += "\"";
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

}  // namespace

core::Result<json::value> CoerceText(std::string_view name, std::string_view text,
                                     spec::ValueType type) {
  switch (type) {
    case spec::ValueType::kString:
      return json::value(json::string(text));
    case spec::ValueType::kInteger: {
      std::int64_t v = 0;
      const char* end = text.data() + text.size();
      auto [ptr, ec] = std::from_chars(text.data(), end, v);
      if (text.empty() || ec != std::errc() || ptr != end || (text[0] == '+')) {
        return Fail(ErrorCode::kInvalidArgument,
                    "parameter '" + std::string(name) + "' must be an integer, got " + Quote(text));
      }
      return json::value(v);
    }
    case spec::ValueType::kNumber: {
      auto parsed = core::ParseJson(text);
      if (!parsed || !(parsed->is_number())) {
        return Fail(ErrorCode::kInvalidArgument,
                    "parameter '" + std::string(name) + "' must be a number, got " + Quote(text));
      }
      return std::move(*parsed);
    }
    case spec::ValueType::kBoolean:
      if (EqualsIgnoreCase(text, "true") || text == "1") return json::value(true);
      if (EqualsIgnoreCase(text, "false") || text == "0") return json::value(false);
      return Fail(ErrorCode::kInvalidArgument, "parameter '" + std::string(name) +
                                                   "' must be true or false, got " + Quote(text));
    case spec::ValueType::kObject:
    case spec::ValueType::kArray: {
      auto parsed = core::ParseJson(text);
      bool ok =
          parsed && (type == spec::ValueType::kObject ? parsed->is_object() : parsed->is_array());
      if (!ok) {
        return Fail(ErrorCode::kInvalidArgument, "parameter '" + std::string(name) +
                                                     "' must be a JSON " +
                                                     std::string(spec::ValueTypeName(type)));
      }
      return std::move(*parsed);
    }
  }
  return Fail(ErrorCode::kInternal, "unknown type");
}

core::Status CheckType(std::string_view name, const json::value& value, spec::ValueType type) {
  bool ok = false;
  switch (type) {
    case spec::ValueType::kString:
      ok = value.is_string();
      break;
    case spec::ValueType::kNumber:
      ok = value.is_number();
      break;
    case spec::ValueType::kInteger:
      ok = value.is_int64() || value.is_uint64() ||
           (value.is_double() && std::isfinite(value.get_double()) &&
            std::floor(value.get_double()) == value.get_double());
      break;
    case spec::ValueType::kBoolean:
      ok = value.is_bool();
      break;
    case spec::ValueType::kObject:
      ok = value.is_object();
      break;
    case spec::ValueType::kArray:
      ok = value.is_array();
      break;
  }
  if (ok) return core::Ok();
  return Fail(ErrorCode::kInvalidArgument, "parameter '" + std::string(name) + "' must be " +
                                               (type == spec::ValueType::kInteger ? "an " : "a ") +
                                               std::string(spec::ValueTypeName(type)));
}

void AppendScalarText(std::string& out, const json::value& value) {
  switch (value.kind()) {
    case json::kind::null:
      return;
    case json::kind::string: {
      const json::string& s = value.get_string();
      out.append(s.data(), s.size());
      return;
    }
    case json::kind::double_:
      if (std::isfinite(value.get_double()) &&
          std::floor(value.get_double()) == value.get_double() &&
          std::fabs(value.get_double()) < 1e15) {
        out += std::to_string(static_cast<std::int64_t>(value.get_double()));
        return;
      }
      core::AppendJson(out, value);
      return;
    default:
      core::AppendJson(out, value);
  }
}

std::string ScalarText(const json::value& value) {
  std::string out;
  AppendScalarText(out, value);
  return out;
}

}  // namespace capstan::runtime
