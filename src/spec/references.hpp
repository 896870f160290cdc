// The small languages inside capability strings: `namespace.name` references, {{template}} and
// {path} placeholders, and the name matching rules the validator and the runtime share.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"

namespace capstan::spec {

struct QualifiedName {
  std::string_view ns;
  std::string_view name;
};

// Splits "ns.name" at its first dot. Returns nullopt if there is no dot or either side is empty.
[[nodiscard]] std::optional<QualifiedName> SplitQualifiedName(std::string_view text);

// Returns the names inside {{...}} placeholders, trimmed, in order of appearance ("{{ a }}" → "a").
[[nodiscard]] std::vector<std::string> TemplateVariables(std::string_view text);

// Returns the variables of a path template: both {{name}} and {name} forms, in order.
[[nodiscard]] std::vector<std::string> PathVariables(std::string_view path);

// Names that differ only in '-' versus '_' are the same parameter ("access-key" == "access_key").
[[nodiscard]] std::string CanonicalName(std::string_view name);
[[nodiscard]] bool SameName(std::string_view a, std::string_view b);

// True if `text` matches the bind variable pattern ^[A-Z][A-Z0-9_]*$.
[[nodiscard]] bool IsBindVariableName(std::string_view text);

// The generator dialect's pseudo namespaces for "the caller's input": rest.x, tools.x, mcp.x.
[[nodiscard]] bool IsDialectInputPrefix(std::string_view ns);

// What a `with` value means.
enum class WithValueKind {
  kLiteral,   // a static string or number, sent as is
  kInput,     // a caller input: "<exposeNamespace>.x" (or dialect "rest.x" / "tools.x" / "mcp.x")
  kTemplate,  // a Mustache template over the inputs: "{{x}}"
};

struct WithValue {
  WithValueKind kind = WithValueKind::kLiteral;
  std::string input;            // kInput: the input's name
  bool dialect_prefix = false;  // kInput through rest./tools./mcp.
};

// Classifies a `with` value. `input_namespaces` are the namespaces whose prefix designates a caller
// input here (the exposing adapter's, and for aggregate functions the aggregate's).
[[nodiscard]] WithValue ClassifyWithValue(const core::json::value& value,
                                          const std::vector<std::string_view>& input_namespaces);

}  // namespace capstan::spec
