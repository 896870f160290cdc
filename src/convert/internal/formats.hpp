// The converters behind convert::Converter, one per format family, each in its own translation
// unit so that a format's library (libxml2, libcsv, gumbo, cmark-gfm, avro, protobuf) stays there.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "convert/convert.hpp"

namespace capstan::convert::internal {

using ConverterPtr = std::unique_ptr<const Converter>;

// Counts the values a conversion builds and checks depth, against Limits.
class Budget {
 public:
  explicit Budget(const Limits& limits) : limits_(limits) {}
  // One more value at `depth`; an error once past max_nodes or max_depth.
  [[nodiscard]] core::Status Take(std::size_t depth);

 private:
  const Limits& limits_;
  std::size_t nodes_ = 0;
};

// The input-size check every converter starts with.
[[nodiscard]] core::Status CheckSize(std::string_view body, const Limits& limits);

// Text formats are UTF-8 (as JSON strings must be): an ill-formed byte is an error naming its
// offset, for `format`.
[[nodiscard]] core::Status CheckUtf8(std::string_view body, Format format);

// Appends one table to `tables` as the reference's mapRowsToTable builds it: one object per row,
// header → cell ("" for a cell the row lacks). A table whose headers are all blank is skipped.
[[nodiscard]] core::Status AppendTable(const std::vector<std::string>& headers,
                                       const std::vector<std::vector<std::string>>& rows,
                                       Budget& budget, json::array& tables);

[[nodiscard]] core::Result<ConverterPtr> MakeXml(Limits limits);
[[nodiscard]] core::Result<ConverterPtr> MakeYaml(Limits limits);
// `separator` is ',', '\t' or '|'.
[[nodiscard]] core::Result<ConverterPtr> MakeDelimited(Format format, char separator,
                                                       Limits limits);
[[nodiscard]] core::Result<ConverterPtr> MakeHtml(std::string_view selector, Limits limits);
[[nodiscard]] core::Result<ConverterPtr> MakeMarkdown(std::string_view heading_prefix,
                                                      Limits limits);
// `schema_path` is the resolved path of the .avsc / .proto file.
[[nodiscard]] core::Result<ConverterPtr> MakeAvro(const std::string& schema_path, Limits limits);
[[nodiscard]] core::Result<ConverterPtr> MakeProtobuf(const std::string& schema_path,
                                                      Limits limits);

// YAML text to JSON (also used by markdown's front matter): the first document, scalars typed
// by the YAML 1.2 core schema unless quoted, aliases resolved within the budget.
[[nodiscard]] core::Result<json::value> YamlToJson(std::string_view text, const Limits& limits);

}  // namespace capstan::convert::internal
