#include "http/query.hpp"

#include "core/percent.hpp"

namespace capstan::http {

std::vector<RawQueryParam> SplitQuery(std::string_view query) {
  std::vector<RawQueryParam> out;
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view piece = query.substr(start, end - start);
    if (!piece.empty()) {
      RawQueryParam param;
      std::size_t eq = piece.find('=');
      if (eq == std::string_view::npos) {
        param.name = piece;
      } else {
        param.name = piece.substr(0, eq);
        param.value = piece.substr(eq + 1);
        param.has_value = true;
      }
      out.push_back(param);
    }
    start = end + 1;
  }
  return out;
}

core::Result<std::string> DecodeQueryComponent(std::string_view text) {
  return core::PercentDecode(text, /*plus_is_space=*/true);
}

core::Result<QueryParams> ParseQuery(std::string_view query) {
  QueryParams out;
  for (const RawQueryParam& raw : SplitQuery(query)) {
    auto name = DecodeQueryComponent(raw.name);
    if (!name) {
      std::string shown(raw.name);
      return core::Fail(core::ErrorCode::kInvalidArgument,
                        name.error().message + " in query parameter name \"" + shown + "\"");
    }
    auto value = DecodeQueryComponent(raw.value);
    if (!value) {
      return core::Fail(core::ErrorCode::kInvalidArgument,
                        value.error().message + " in query parameter \"" + *name + "\"");
    }
    out.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

std::optional<std::string_view> FindQueryParam(const QueryParams& params, std::string_view name) {
  for (const QueryParam& p : params) {
    if (p.first == name) return std::string_view(p.second);
  }
  return std::nullopt;
}

}  // namespace capstan::http
