// Per-caller tool access: rules that give the callers an OAuth access token describes (its scopes
// and claims) a set of tools. With rules, tools/list shows a caller only its tools and
// tools/call refuses the others as unknown. docs/operations.md ("Tool access") shows the rules.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/jwt.hpp"
#include "core/json.hpp"
#include "core/result.hpp"

namespace capstan::mcp {

struct AccessRule {
  std::vector<std::string> scopes;  // the token has one of them (empty: no condition)
  std::vector<std::pair<std::string, std::string>> claims;  // claim → glob; all must hold
  std::vector<std::string> tools;                           // globs over served tool names
};

// Reads `access: [{scopes: [..], claims: {name: glob}, tools: [glob, ..]}, ...]` of a
// tool-controls document; unknown members and wrong types are errors naming the member.
[[nodiscard]] core::Result<std::vector<AccessRule>> ParseAccessRules(const core::json::value& v);

// Whether a caller (null: no token, as without OAuth) may see and call `tool`: some rule whose
// conditions the caller meets names it. A rule with a condition never matches a null caller.
[[nodiscard]] bool ToolAllowed(const std::vector<AccessRule>& rules, std::string_view tool,
                               const auth::Principal* caller);

}  // namespace capstan::mcp
