// URI-reference resolution (RFC 3986 §5) and JSON Pointer helpers (RFC 6901) for $id / $ref
// handling inside the validator. Internal to the jsonschema component.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"
#include "core/result.hpp"

namespace capstan::jsonschema {

// Resolves `reference` against `base` (both URI-references) per RFC 3986 §5.2, including
// remove_dot_segments. Scheme is lower-cased. An empty fragment ("x#") is kept as written.
[[nodiscard]] std::string ResolveUri(std::string_view base, std::string_view reference);

// Splits "uri#fragment" into the part before '#' and the (still percent-encoded) fragment.
// `has_fragment` tells "x#" from "x".
struct SplitUri {
  std::string_view without_fragment;
  std::string_view fragment;
  bool has_fragment = false;
};
[[nodiscard]] SplitUri SplitFragment(std::string_view uri);

// Appends one reference token to a JSON Pointer, escaping '~' as "~0" and '/' as "~1".
void AppendPointerToken(std::string& pointer, std::string_view token);
void AppendPointerIndex(std::string& pointer, std::size_t index);

// Splits a JSON Pointer into unescaped reference tokens ("" → none). nullopt if malformed.
[[nodiscard]] std::optional<std::vector<std::string>> ParsePointer(std::string_view pointer);

// Steps from `value` to its member or element named by one unescaped token; nullptr if absent.
[[nodiscard]] const core::json::value* StepPointer(const core::json::value& value,
                                                   std::string_view token);

// Walks `pointer` (already percent-decoded, "" = the whole document) from `root`.
// Returns nullptr if a token does not exist or the pointer is malformed.
[[nodiscard]] const core::json::value* WalkPointer(const core::json::value& root,
                                                   std::string_view pointer);

// Percent-encodes the characters of a JSON Pointer that may not appear raw in a URI fragment.
[[nodiscard]] std::string EncodePointerFragment(std::string_view pointer);

}  // namespace capstan::jsonschema
