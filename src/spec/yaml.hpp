// Reads YAML 1.2 (core schema) into a JSON value plus a table of source positions. It is the one
// place capstan parses YAML (libfyaml), and it enforces size, depth and alias-expansion limits.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/json.hpp"
#include "spec/diagnostic.hpp"
#include "spec/positions.hpp"

namespace capstan::spec {

struct YamlOptions {
  std::size_t max_bytes = std::size_t{8} << 20;  // larger inputs are rejected before parsing
  std::size_t max_depth = 64;                    // nesting of mappings and sequences
  // Aliases (*name) are expanded into copies. The total number of nodes after expansion is capped
  // so that a "billion laughs" document fails fast instead of exhausting memory.
  std::size_t max_nodes = 1'000'000;
  bool allow_aliases = true;
};

struct YamlDocument {
  json::value root;  // null for an empty stream
  PositionTable positions;
};

struct YamlParseResult {
  std::optional<YamlDocument> document;  // set unless there are errors
  Diagnostics diagnostics;
};

// Parses exactly one YAML document from `text`; `file` names it in positions and diagnostics.
// Plain scalars are typed per the YAML 1.2 core schema (null, bool, int incl. 0x/0o, float incl.
// .inf/.nan); quoted and block scalars are strings. Duplicate keys, invalid UTF-8, control
// characters, non-scalar keys, unknown tags and any limit overrun are errors with a position.
// Rule ids: yaml-syntax, yaml-duplicate-key, yaml-invalid-utf8, yaml-too-large, yaml-too-deep,
// yaml-alias, yaml-unsupported, yaml-multiple-documents.
[[nodiscard]] YamlParseResult ParseYaml(std::string_view text, const std::string& file,
                                        const YamlOptions& options = {});

}  // namespace capstan::spec
