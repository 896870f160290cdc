// Format conversion for consumed operations (`outputRawFormat`): an upstream body in XML, YAML,
// CSV/TSV/PSV, HTML, Markdown, Avro or Protobuf becomes the JSON tree that output mappings read,
// with the reference engine's shapes (docs/conversion.md) and limits on size, depth and nodes.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/json.hpp"
#include "core/result.hpp"

namespace capstan::convert {

namespace json = core::json;

enum class Format { kJson, kXml, kYaml, kCsv, kTsv, kPsv, kHtml, kMarkdown, kAvro, kProtobuf };

// "xml", "csv", ... as outputRawFormat spells them.
[[nodiscard]] std::string_view FormatName(Format format);

// Bounds on one conversion; a document past one is an error (the caller answers 502), never a
// crash or an unbounded allocation.
struct Limits {
  std::size_t max_input_bytes = 32 << 20;
  std::size_t max_depth = 128;      // nesting of elements, mappings, messages
  std::size_t max_nodes = 1 << 20;  // values in the resulting tree
};

// One compiled conversion: the format, and what `outputSchema` names for it (the CSS selector of
// html, the heading prefix of markdown, the schema file of avro and protobuf, loaded once).
// Thread-safe: ToJson is const and keeps no state between calls.
class Converter {
 public:
  Converter() = default;
  Converter(const Converter&) = delete;
  Converter& operator=(const Converter&) = delete;
  Converter(Converter&&) = delete;
  Converter& operator=(Converter&&) = delete;
  virtual ~Converter() = default;

  // `schema` is the operation's outputSchema (empty when absent); a schema file is looked up
  // relative to `base_dir` (the directory of the file that declares the operation), then as
  // given. Errors are load-time errors: an unknown selector syntax, a missing or invalid schema
  // file, avro or protobuf without a schema.
  [[nodiscard]] static core::Result<std::unique_ptr<const Converter>> Create(
      Format format, std::string_view schema, const std::string& base_dir, Limits limits = {});

  // Converts one upstream body. Errors carry the parser's message (kUpstreamError), or
  // kPayloadTooLarge for a limit.
  [[nodiscard]] virtual core::Result<json::value> ToJson(std::string_view body) const = 0;

  [[nodiscard]] virtual Format format() const = 0;
};

}  // namespace capstan::convert
