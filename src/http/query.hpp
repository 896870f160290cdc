// Query strings: split a raw query into ordered (name, value) pairs and percent-decode them
// strictly ('+' is a space, a bad escape is an error that names the parameter, never guessed).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace capstan::http {

// One raw `name=value` piece of a query, still percent-encoded. `has_value` is false for a bare
// `name` (no '='), whose value is then empty.
struct RawQueryParam {
  std::string_view name;
  std::string_view value;
  bool has_value = false;
};

using QueryParam = std::pair<std::string, std::string>;
using QueryParams = std::vector<QueryParam>;

// Splits on '&' in order, keeping duplicates; empty pieces ("a=1&&b=2", a trailing '&') are
// skipped. Never fails; the views point into `query`.
[[nodiscard]] std::vector<RawQueryParam> SplitQuery(std::string_view query);

// Decodes one query component ('+' → ' ', %XX once). Fails on a truncated or non-hex escape.
[[nodiscard]] core::Result<std::string> DecodeQueryComponent(std::string_view text);

// SplitQuery + DecodeQueryComponent on every name and value. The error message names the
// offending parameter: `invalid percent escape in query parameter "a"`.
[[nodiscard]] core::Result<QueryParams> ParseQuery(std::string_view query);

// The value of the first parameter called `name` (exact, case-sensitive), or nullopt.
[[nodiscard]] std::optional<std::string_view> FindQueryParam(const QueryParams& params,
                                                             std::string_view name);

}  // namespace capstan::http
