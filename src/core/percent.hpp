// Percent-encoding per RFC 3986, for the places a value lands in a URL: one path segment, a query
// component, or a form body. Decoding is strict: a bad escape is an error, never guessed.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace capstan::core {

enum class UrlPart {
  kPathSegment,  // everything but unreserved and sub-delims minus '/' is escaped; "." and ".." too
  kQuery,        // a query name or value: unreserved kept, everything else escaped ('+' too)
  kForm,         // application/x-www-form-urlencoded: like kQuery but space becomes '+'
};

// Appends `value` percent-encoded for `part`. A path segment that is exactly "." or ".." is
// written as "%2E" / "%2E%2E" so that it cannot climb the path.
void AppendPercentEncoded(std::string& out, std::string_view value, UrlPart part);
[[nodiscard]] std::string PercentEncode(std::string_view value, UrlPart part);

// Decodes %XX escapes once. With `plus_is_space`, '+' decodes to ' ' (query strings and forms).
// Fails on a truncated or non-hex escape.
[[nodiscard]] Result<std::string> PercentDecode(std::string_view text, bool plus_is_space = false);

}  // namespace capstan::core
