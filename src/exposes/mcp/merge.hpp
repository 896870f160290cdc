// Many mcp adapters on one listener as one MCP endpoint: the union of their catalogs under a
// name-clash policy, the operator's tool controls (filter, rename, re-describe, hints), and
// optional per-adapter mounts. docs/operations.md shows the flags and the side config.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json.hpp"
#include "core/result.hpp"
#include "exposes/mcp/access.hpp"
#include "exposes/mcp/catalog.hpp"
#include "exposes/mcp/mcp_adapter.hpp"

namespace capstan::mcp {

// What happens when two merged adapters offer the same tool (or prompt) name.
enum class ToolClash {
  kError,      // a load-time error naming both adapters and files
  kPrefix,     // every tool of a clashing name becomes "<adapter-namespace>_<name>"
  kPrefixAll,  // every tool of a merged endpoint is prefixed, clash or not (stable names)
};
[[nodiscard]] core::Result<ToolClash> ParseToolClash(std::string_view text);

struct ToolOverride {
  std::optional<std::string> name;
  std::optional<std::string> description;
  spec::McpToolHints hints;  // fields that are set replace the tool's annotations
};

// Operator controls over what an agent sees; the capability files stay untouched. Patterns and
// override keys are a tool's name as its adapter serves it, or "<adapter-namespace>/<name>".
struct ToolControls {
  std::vector<std::string> include;  // globs (fnmatch); empty: every tool
  std::vector<std::string> exclude;  // globs; win over include
  bool read_only = false;            // keep only tools whose readOnlyHint is true
  std::vector<AccessRule> access;    // per-caller tool access (empty: every caller, every tool)
  std::vector<std::pair<std::string, ToolOverride>> overrides;
  [[nodiscard]] bool empty() const {
    return include.empty() && exclude.empty() && !read_only && overrides.empty();
  }  // (access is applied per request, not to the catalog)
};

// Reads a tool-controls document (the JSON value of a YAML or JSON file):
//   {include: [glob], exclude: [glob], readOnly: bool,
//    tools: {<key>: {name, description, hints: {readOnly, destructive, idempotent, openWorld}}}}
// Unknown members and wrong types are errors naming the member.
[[nodiscard]] core::Result<ToolControls> ParseToolControls(const core::json::value& document);

// One mcp adapter to serve: its runtime, its block, and its file (for messages).
struct AdapterSource {
  std::shared_ptr<const runtime::Runtime> runtime;
  const spec::ExposesMcp* spec = nullptr;
  std::string file;
  std::vector<SkillEntry> skills;  // its capability's skills, for the Skills extension
};

struct MountOptions {
  ToolClash clash = ToolClash::kPrefix;
  bool per_adapter = false;          // also each adapter alone at <path>/<namespace>
  bool discovery = false;            // the union serves the meta-tools of discovery.hpp instead
  bool confirm_destructive = false;  // destructive tools ask the user first (elicitation)
  ToolControls controls;
};

// A catalog with the adapter it came from, for merging.
struct CatalogPart {
  std::string ns;
  std::string label;  // "mcp adapter 'ns' (file)"
  Catalog catalog;
};

// What building endpoints changed, for the operator: a line per tool renamed (sanitised, clash,
// override) or left out, and which overrides matched a tool (an override that matches none,
// over every listener, is a typo the caller reports).
struct MountReport {
  std::vector<std::string> lines;
  std::vector<bool> override_used;  // parallel to ToolControls::overrides
};

// Applies the controls to one adapter's catalog: overrides first (hints included), then
// include, exclude and read-only (on the overridden hints). Renamed tools are sanitised.
[[nodiscard]] core::Status ApplyToolControls(CatalogPart& part, const ToolControls& controls,
                                             MountReport& report);

// The union of `parts` (tools, resources, prompts) in part order. Resources with the same URI
// are always an error; tool and prompt names follow `clash`.
[[nodiscard]] core::Result<Catalog> MergeCatalogs(std::vector<CatalogPart> parts, ToolClash clash,
                                                  MountReport& report);

// The endpoints to register on one shared listener: the union at options.path (it also answers
// "/" and the /.well-known paths), then, with per_adapter, each adapter alone at
// options.path + "/" + namespace. Adapters with different inbound authentication cannot share
// an endpoint, nor can adapters whose runtimes use different upstream TLS contexts.
[[nodiscard]] core::Result<std::vector<std::shared_ptr<exposes::Endpoint>>> MakeMcpEndpoints(
    const std::vector<AdapterSource>& sources, const McpOptions& options, const MountOptions& mount,
    MountReport& report);

}  // namespace capstan::mcp
