// The generator dialect (docs/capability-dialect.md): finds the constructs that the alpha2 schema
// rejects or the spec does not define but capstan accepts, explains each one, and builds the
// normalized copy of the document that the schema pass then checks.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "spec/diagnostic.hpp"
#include "spec/positions.hpp"

namespace capstan::spec {

struct DialectOptions {
  bool strict = false;  // report the constructs as errors instead of warnings
  // The bind namespaces visible to the document. Unset: the document's own (root and capability
  // binds). Imported consumer files are checked with the importing capability's namespaces.
  std::optional<std::vector<std::string>> bind_namespaces;
};

struct DialectResult {
  json::value normalized;  // the document without the dialect constructs
  Diagnostics diagnostics;
};

// Rule ids: dialect-consumed-param-keys, dialect-object-without-properties,
// dialect-rest-description, dialect-with-prefix, dialect-bind-namespace,
// dialect-identifier-underscore.
[[nodiscard]] DialectResult ApplyDialect(const json::value& root, const PositionTable& positions,
                                         const DialectOptions& options = {});

}  // namespace capstan::spec
