// Discovery mode for very large tool sets: instead of every tool, an MCP endpoint lists three
// meta-tools (search_tools, describe_tool, call_tool) over the full catalog, so an agent does not
// pay for hundreds of schemas in its context. docs/operations.md shows it.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "exposes/mcp/catalog.hpp"

namespace capstan::mcp {

inline constexpr std::string_view kSearchToolsName = "search_tools";
inline constexpr std::string_view kDescribeToolName = "describe_tool";
inline constexpr std::string_view kCallToolName = "call_tool";

// A tool found by SearchTools, best first.
struct ToolMatch {
  const Tool* tool = nullptr;
  int score = 0;
};

// Ranks the tools of `catalog` for the words of `query` (split on anything but letters and
// digits, compared without case): a word that is a whole token of the name counts 4, a part of
// the name 2, a word of the description 1; every word must match somewhere. Ties keep the
// catalog's order. At most `limit` matches.
[[nodiscard]] std::vector<ToolMatch> SearchTools(const Catalog& catalog, std::string_view query,
                                                 std::size_t limit);

// The catalog a discovery endpoint serves: the three meta-tools over `full`, whose resources,
// prompts and instructions it keeps (the instructions also say how to use the meta-tools).
[[nodiscard]] core::Result<Catalog> MakeDiscoveryCatalog(std::shared_ptr<const Catalog> full);

}  // namespace capstan::mcp
