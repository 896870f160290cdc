// UTF-8 well-formedness (RFC 3629, Unicode §3.9): where text stops being UTF-8, and a lossy copy
// that replaces each ill-formed part with U+FFFD, for text that must become JSON (RFC 8259 §8.1).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace capstan::core {

// Returns the offset of the first byte that is not part of a well-formed UTF-8 sequence
// (overlong forms, surrogates and code points above U+10FFFF are ill-formed), or npos.
[[nodiscard]] std::size_t FindInvalidUtf8(std::string_view text);

// Appends `text` with every maximal subpart of an ill-formed sequence replaced by U+FFFD (the
// practice Unicode §3.9 recommends and the WHATWG decoder follows): "\xE2\x82A" becomes
// U+FFFD then "A". Well-formed text is appended as it is.
void AppendValidUtf8(std::string& out, std::string_view text);

}  // namespace capstan::core
