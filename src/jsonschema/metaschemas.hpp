// The draft 2020-12 meta-schema documents built into the validator, so that "$schema" and "$ref"
// to https://json-schema.org/draft/2020-12/... resolve without a network or a resolver.
#pragma once

#include <span>
#include <string_view>

namespace capstan::jsonschema {

struct BuiltinDocument {
  std::string_view uri;   // the document's $id
  std::string_view text;  // JSON text
};

[[nodiscard]] std::span<const BuiltinDocument> BuiltinMetaSchemas();

}  // namespace capstan::jsonschema
