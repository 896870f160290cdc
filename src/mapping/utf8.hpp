// Small UTF-8 helpers shared by the JSONPath parser, its functions and the template renderer.
// Internal to the mapping component.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/utf8.hpp"

namespace capstan::mapping {

// The offset of the first byte that is not well-formed UTF-8, or npos (core/utf8.hpp).
using core::FindInvalidUtf8;

// Decodes the code point starting at `text[pos]` of well-formed UTF-8 and advances `pos`.
[[nodiscard]] char32_t DecodeUtf8(std::string_view text, std::size_t& pos);

// Number of code points in well-formed UTF-8 text.
[[nodiscard]] std::size_t CountCodePoints(std::string_view text);

// Appends the UTF-8 encoding of a Unicode scalar value.
void AppendUtf8(std::string& out, char32_t code_point);

}  // namespace capstan::mapping
