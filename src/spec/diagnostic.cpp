#include "spec/diagnostic.hpp"

#include <algorithm>
#include <tuple>

namespace capstan::spec {

std::string_view SeverityName(Severity severity) {
  return severity == Severity::kError ? "error" : "warning";
}

bool HasErrors(const Diagnostics& diagnostics) {
  return std::any_of(diagnostics.begin(), diagnostics.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::kError; });
}

void SortDiagnostics(Diagnostics& diagnostics) {
  auto key = [](const Diagnostic& d) {
    // Errors sort before warnings at the same position.
    return std::tie(d.location.file, d.location.line, d.location.column);
  };
  std::stable_sort(diagnostics.begin(), diagnostics.end(),
                   [&](const Diagnostic& a, const Diagnostic& b) {
                     if (key(a) != key(b)) return key(a) < key(b);
                     if (a.severity != b.severity) return a.severity == Severity::kError;
                     return std::tie(a.rule_id, a.message) < std::tie(b.rule_id, b.message);
                   });
  diagnostics.erase(std::unique(diagnostics.begin(), diagnostics.end()), diagnostics.end());
}

}  // namespace capstan::spec
