// The Duktape side of script steps: one fresh heap per run, with the limits enforced from
// Duktape's hooks and the JSON input and output converted value by value (docs/scripting.md).
// Keeps duktape.h out of script.hpp.
#pragma once

#include <optional>
#include <vector>

#include "core/json.hpp"
#include "core/result.hpp"
#include "script/script.hpp"

namespace capstan::script::internal {

// Compiles each source (without running it) and returns the first syntax error, as
// "lib/x.js:3: SyntaxError: ...".
[[nodiscard]] core::Status CheckSyntax(const std::vector<Script::Source>& sources,
                                       const Limits& limits);

// Runs the sources in order in a fresh heap whose global `context` is `input`; returns the
// global `result` as JSON, or nullopt when the script defined none.
[[nodiscard]] core::Result<std::optional<core::json::value>> Execute(
    const std::vector<Script::Source>& sources, const core::json::object& input,
    const Limits& limits);

}  // namespace capstan::script::internal
