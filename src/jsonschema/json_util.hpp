// JSON value helpers with JSON Schema semantics: mathematical number equality (1 == 1.0), exact
// number comparison across int64/uint64/double, decimal-exact multipleOf, code point lengths.
#pragma once

#include <cstddef>
#include <string_view>

#include "core/json.hpp"

namespace capstan::jsonschema {

namespace json = core::json;

// Deep equality: numbers by value, objects regardless of member order.
[[nodiscard]] bool JsonEqual(const json::value& a, const json::value& b);

// A hash consistent with JsonEqual.
[[nodiscard]] std::size_t JsonHash(const json::value& v);

// Exact three-way comparison of two numbers (-1, 0, 1). Both must be numbers.
[[nodiscard]] int CompareNumbers(const json::value& a, const json::value& b);

// True if the number has no fractional part (1.0 counts as an integer).
[[nodiscard]] bool IsIntegral(const json::value& v);

// True if `value` is an integer multiple of `divisor` (> 0), computed on the shortest decimal
// representations of the two numbers, so 0.0075 is a multiple of 0.0001.
[[nodiscard]] bool IsMultipleOf(const json::value& value, const json::value& divisor);

// Number of Unicode code points in a UTF-8 string.
[[nodiscard]] std::size_t CodePointLength(std::string_view utf8);

// True if every element of the array is distinct under JsonEqual; `first` and `second` receive
// the indices of a duplicate pair otherwise.
[[nodiscard]] bool AllUnique(const json::array& array, std::size_t* first = nullptr,
                             std::size_t* second = nullptr);

// Compact JSON text of `v`, shortened to about `max_chars` characters for messages.
[[nodiscard]] std::string ShortJson(const json::value& v, std::size_t max_chars = 60);

}  // namespace capstan::jsonschema
