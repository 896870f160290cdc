// Request paths for routing: split the raw (still percent-encoded) path into segments and decode
// each segment once, so that an encoded '/' (%2F) stays inside its segment.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace capstan::http {

// Splits "/a/b%2Fc/" into {"a", "b%2Fc", ""} without decoding. The path must start with '/';
// "/" alone gives {""}. Empty segments are kept, so "/a//b" and "/a/b/" stay distinguishable.
[[nodiscard]] core::Result<std::vector<std::string_view>> SplitPathRaw(std::string_view path);

// SplitPathRaw, then each segment percent-decoded once ('+' stays '+'). Fails on a bad escape and
// on a segment that decodes to a NUL byte.
[[nodiscard]] core::Result<std::vector<std::string>> SplitPath(std::string_view path);

// If `path` is `prefix` or starts with `prefix` + "/", returns the rest ("" or "/..."); else
// nullopt. An empty prefix or "/" matches every path unchanged. Comparison is on the raw path.
[[nodiscard]] std::optional<std::string_view> StripPathPrefix(std::string_view path,
                                                              std::string_view prefix);

}  // namespace capstan::http
