// The semantic rules of capstan validate: what the schema cannot say (references resolve, names and
// ports are unique, paths are well formed, ...). docs/validation-rules.md lists every rule id.
#pragma once

#include <string>
#include <vector>

#include "core/json.hpp"
#include "spec/capability.hpp"
#include "spec/diagnostic.hpp"
#include "spec/positions.hpp"

namespace capstan::spec {

// The bind namespaces and variables a document may reference.
struct BindScope {
  std::vector<std::string> namespaces;
  std::vector<std::string> variables;
};

[[nodiscard]] BindScope CollectBindScope(const Capability& capability);

// Checks the model: namespaces, call/ref/with resolution, path variables, ports, paths, steps,
// mappings, duplicate names.
[[nodiscard]] Diagnostics CheckRules(const Capability& capability);

// Checks that {{VARIABLE}} and {{namespace.VARIABLE}} in authentication blocks and consumed
// parameter values name a declared bind variable (warnings). Runs on the JSON so that the
// position is the exact string's; imported consumer files are checked with the importer's scope.
[[nodiscard]] Diagnostics CheckBindReferences(const json::value& root,
                                              const PositionTable& positions,
                                              const BindScope& scope);

}  // namespace capstan::spec
