// Diagnostics of the capability loader and validator: what went wrong (or looks suspicious), where
// in which file, and under which stable rule id. Validation collects all of them, never just one.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace capstan::spec {

// A position in a source file. Lines and columns are 1-based; 0 means "unknown".
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;

  friend bool operator==(const SourceLocation&, const SourceLocation&) = default;
};

enum class Severity {
  kWarning,
  kError,
};

// Returns "error" or "warning".
std::string_view SeverityName(Severity severity);

struct Diagnostic {
  Severity severity = Severity::kError;
  SourceLocation location;
  std::string message;
  std::string rule_id;  // kebab-case, stable: "call-unresolved", "dialect-rest-description", ...

  friend bool operator==(const Diagnostic&, const Diagnostic&) = default;
};

using Diagnostics = std::vector<Diagnostic>;

// True if any diagnostic is an error.
[[nodiscard]] bool HasErrors(const Diagnostics& diagnostics);

// Sorts by file, line, column, then severity (errors first), rule id and message, and drops exact
// duplicates.
void SortDiagnostics(Diagnostics& diagnostics);

}  // namespace capstan::spec
