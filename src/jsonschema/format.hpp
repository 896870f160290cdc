// Checks for the "format" keyword when it is asserted (CompileOptions::assert_format or the
// format-assertion vocabulary). By default 2020-12 treats "format" as an annotation only.
#pragma once

#include <string_view>

namespace capstan::jsonschema {

using FormatCheck = bool (*)(std::string_view value);

// Returns the checker for a known format name, nullptr for an unknown one (unknown formats
// always pass).
[[nodiscard]] FormatCheck FindFormatCheck(std::string_view name);

}  // namespace capstan::jsonschema
