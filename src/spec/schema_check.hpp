// The schema pass: validates a (normalized) document against the official alpha2 JSON Schema,
// which is embedded in the binary, and turns validator errors into readable located diagnostics.
#pragma once

#include <string_view>

#include "core/json.hpp"
#include "core/result.hpp"
#include "jsonschema/schema.hpp"
#include "spec/diagnostic.hpp"
#include "spec/positions.hpp"

namespace capstan::spec {

// The text of naftiko-schema-1.0.0-alpha2.json as shipped in schemas/.
[[nodiscard]] std::string_view NaftikoSchemaText();

// The parsed schema document (parsed once).
[[nodiscard]] const json::value& NaftikoSchemaDocument();

// The compiled schema (compiled once, thread-safe). Fails only if the embedded schema is broken.
[[nodiscard]] core::Result<const jsonschema::Schema*> NaftikoSchema();

// Validates `document` and maps every relevant error (jsonschema::BestErrors) to a diagnostic at
// the position `positions` gives its instance location. Rule ids: schema-unknown-key,
// schema-type, schema-required, schema-enum, schema-const, schema-pattern, and
// schema-<keyword> for the other keywords.
[[nodiscard]] Diagnostics CheckSchema(const json::value& document, const PositionTable& positions);

}  // namespace capstan::spec
