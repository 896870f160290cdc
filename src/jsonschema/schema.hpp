// A JSON Schema draft 2020-12 validator of our own: a schema is compiled once and then validates
// many instances (capability documents at load, MCP tool arguments on every call).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "core/result.hpp"

namespace capstan::jsonschema {

namespace json = core::json;

// One failed assertion. Locations are JSON Pointers (RFC 6901): `instance_location` points into
// the validated document ("/capability/exposes/0/port"), `keyword_location` is the evaluation path
// through the schema ("/properties/capability/$ref/properties/exposes/items/oneOf/0/...").
struct ValidationError {
  std::string instance_location;
  std::string keyword_location;
  std::string absolute_keyword_location;  // canonical URI of the failing keyword
  std::string keyword;                    // "required", "type", "oneOf", ...
  std::string message;                    // human text: "missing required property \"port\""
  // For a failed oneOf/anyOf: the errors of each alternative, in schema order.
  std::vector<std::vector<ValidationError>> alternatives;
};

// Resolves a URI that is not defined by a loaded schema (remote $ref). Returns nullopt if unknown.
using SchemaResolver = std::function<std::optional<json::value>(const std::string& uri)>;

struct CompileOptions {
  SchemaResolver resolver;       // remote documents; the 2020-12 meta-schemas are built in
  bool assert_format = false;    // 2020-12 default: "format" is an annotation only
  std::string default_base_uri;  // base URI when the root schema has no $id
};

struct ValidateOptions {
  std::size_t max_errors = 100;  // stop collecting after this many top-level errors
};

class CompiledSchema;

class Schema {
 public:
  // Compiles `schema` (an object or a boolean). Fails on an invalid schema or an unresolvable $ref.
  [[nodiscard]] static core::Result<Schema> Compile(const json::value& schema,
                                                    const CompileOptions& options = {});

  // Returns every error found (empty = valid).
  [[nodiscard]] std::vector<ValidationError> Validate(const json::value& instance,
                                                      const ValidateOptions& options = {}) const;
  // Fast path: stops at the first failure and builds no messages.
  [[nodiscard]] bool IsValid(const json::value& instance) const;

 private:
  explicit Schema(std::shared_ptr<const CompiledSchema> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const CompiledSchema> impl_;
};

// Reduces a validation result to the errors a person should read: for every failed oneOf/anyOf it
// keeps only the most relevant alternative (the one whose errors reach deepest into the instance;
// ties go to the alternative with fewest errors), recursively, and drops the summary error when an
// alternative was chosen. The result is flat (no `alternatives`).
[[nodiscard]] std::vector<ValidationError> BestErrors(const std::vector<ValidationError>& errors);

}  // namespace capstan::jsonschema
