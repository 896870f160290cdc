// Typed input values: coercion of text (query strings, path segments, CLI key=value) to the JSON
// type a parameter declares, and the text form a JSON value takes in a URL or a header.
#pragma once

#include <string>
#include <string_view>

#include "core/json.hpp"
#include "core/result.hpp"
#include "spec/capability.hpp"

namespace capstan::runtime {

namespace json = core::json;

// Coerces `text` to `type`: integer (decimal, int64 range), number (finite), boolean
// (true/false in any case, 1/0), string (as is), object/array (JSON text). Errors are
// kInvalidArgument and name `name` and the expected type, never echo long values.
[[nodiscard]] core::Result<json::value> CoerceText(std::string_view name, std::string_view text,
                                                   spec::ValueType type);

// Checks that a JSON value has `type` (an integer-valued double counts as an integer).
[[nodiscard]] core::Status CheckType(std::string_view name, const json::value& value,
                                     spec::ValueType type);

// The text of a scalar in a URL or header: strings as is, numbers as JSON, booleans true/false.
// Objects and arrays are serialised as JSON. Null gives "".
void AppendScalarText(std::string& out, const json::value& value);
[[nodiscard]] std::string ScalarText(const json::value& value);

}  // namespace capstan::runtime
