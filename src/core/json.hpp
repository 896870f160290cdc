// The one JSON vocabulary of capstan: Boost.JSON values, read and written with number-exact
// routines of our own (Boost.JSON 1.81 mis-rounds 16-17 digit doubles and writes 3.0 as 3E0).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "core/result.hpp"

namespace capstan::core {

namespace json = boost::json;

struct JsonParseOptions {
  std::size_t max_depth = 256;        // nesting beyond this is an error, not a stack overflow
  bool allow_duplicate_keys = false;  // duplicates are rejected: parsers disagree on which wins
};

// Parses one JSON text (RFC 8259, UTF-8 validated). Doubles are converted with std::from_chars,
// so every finite number round-trips exactly; out-of-range numbers (1e999) are an error.
[[nodiscard]] Result<json::value> ParseJson(std::string_view text,
                                            const JsonParseOptions& options = {},
                                            json::storage_ptr storage = {});

// Whether `text` is one well-formed JSON text (as ParseJson accepts it, duplicate keys aside),
// checked without building a tree: for bodies that are passed on byte for byte inside JSON.
[[nodiscard]] bool IsJsonText(std::string_view text, std::size_t max_depth = 256);

// Whether `text` is one JSON text by RFC 8259's grammar alone (UTF-8 and depth checked; numbers
// of any size, 1e400 included): for bodies passed on byte for byte to clients that parse them.
[[nodiscard]] bool IsJsonGrammar(std::string_view text, std::size_t max_depth = 256);

// Appends the compact serialisation of `value` to `out`. Doubles use the shortest form that
// parses back to the same double, and keep a fraction or exponent (3.0 stays "3.0").
void AppendJson(std::string& out, const json::value& value);
void AppendJson(std::string& out, const json::object& object);

// Appends `text` as a quoted JSON string, escaping quotes, backslashes and control characters.
// JSON text is UTF-8 (RFC 8259 §8.1): ill-formed parts of `text` are written as U+FFFD
// (core::AppendValidUtf8), so the output is always well-formed whatever bytes came in.
void AppendJsonString(std::string& out, std::string_view text);

[[nodiscard]] std::string SerializeJson(const json::value& value);

}  // namespace capstan::core
