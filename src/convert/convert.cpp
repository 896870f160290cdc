#include "convert/convert.hpp"

#include <algorithm>
#include <string>

#include "convert/internal/formats.hpp"
#include "core/utf8.hpp"
#include "spec/capability.hpp"

namespace capstan::convert {
namespace {

using core::ErrorCode;
using core::Fail;

// A schema file: relative to the declaring file's directory first, then as given (the
// reference engine reads it from the working directory).
core::Result<std::string> ResolveSchemaFile(Format format, std::string_view schema,
                                            const std::string& base_dir) {
  if (schema.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                std::string(FormatName(format)) + " needs outputSchema (the schema file)");
  }
  if (auto path = spec::ResolveSchemaFile(schema, base_dir)) return *std::move(path);
  return Fail(ErrorCode::kInvalidArgument,
              std::string(FormatName(format)) + " schema file '" + std::string(schema) +
                  "' not found" +
                  (base_dir.empty() ? "" : " (next to " + base_dir + " or as given)"));
}

// JSON needs no conversion at run time; a Converter for it exists so that callers need no
// special case (runtime skips it on the pass-through path).
class JsonConverter final : public Converter {
 public:
  explicit JsonConverter(Limits limits) : limits_(limits) {}
  core::Result<json::value> ToJson(std::string_view body) const override {
    CAPSTAN_RETURN_IF_ERROR(internal::CheckSize(body, limits_));
    auto parsed = core::ParseJson(body, {.max_depth = limits_.max_depth});
    if (!parsed) return Fail(ErrorCode::kUpstreamError, "json: " + parsed.error().message);
    return parsed;
  }
  Format format() const override { return Format::kJson; }

 private:
  Limits limits_;
};

}  // namespace

std::string_view FormatName(Format format) {
  switch (format) {
    case Format::kJson:
      return "json";
    case Format::kXml:
      return "xml";
    case Format::kYaml:
      return "yaml";
    case Format::kCsv:
      return "csv";
    case Format::kTsv:
      return "tsv";
    case Format::kPsv:
      return "psv";
    case Format::kHtml:
      return "html";
    case Format::kMarkdown:
      return "markdown";
    case Format::kAvro:
      return "avro";
    case Format::kProtobuf:
      return "protobuf";
  }
  return "json";
}

core::Result<std::unique_ptr<const Converter>> Converter::Create(Format format,
                                                                 std::string_view schema,
                                                                 const std::string& base_dir,
                                                                 Limits limits) {
  switch (format) {
    case Format::kJson:
      return std::make_unique<JsonConverter>(limits);
    case Format::kXml:
      return internal::MakeXml(limits);
    case Format::kYaml:
      return internal::MakeYaml(limits);
    case Format::kCsv:
      return internal::MakeDelimited(format, ',', limits);
    case Format::kTsv:
      return internal::MakeDelimited(format, '\t', limits);
    case Format::kPsv:
      return internal::MakeDelimited(format, '|', limits);
    case Format::kHtml:
      return internal::MakeHtml(schema, limits);
    case Format::kMarkdown:
      return internal::MakeMarkdown(schema, limits);
    case Format::kAvro: {
      CAPSTAN_ASSIGN_OR_RETURN(std::string path, ResolveSchemaFile(format, schema, base_dir));
      return internal::MakeAvro(path, limits);
    }
    case Format::kProtobuf: {
      CAPSTAN_ASSIGN_OR_RETURN(std::string path, ResolveSchemaFile(format, schema, base_dir));
      return internal::MakeProtobuf(path, limits);
    }
  }
  return Fail(ErrorCode::kInvalidArgument, "unknown outputRawFormat");
}

namespace internal {

core::Status Budget::Take(std::size_t depth) {
  if (depth > limits_.max_depth) {
    return Fail(ErrorCode::kPayloadTooLarge,
                "document nests deeper than " + std::to_string(limits_.max_depth) + " levels");
  }
  if (++nodes_ > limits_.max_nodes) {
    return Fail(ErrorCode::kPayloadTooLarge,
                "document has more than " + std::to_string(limits_.max_nodes) + " values");
  }
  return core::Ok();
}

core::Status CheckSize(std::string_view body, const Limits& limits) {
  if (body.size() > limits.max_input_bytes) {
    return Fail(ErrorCode::kPayloadTooLarge, "document of " + std::to_string(body.size()) +
                                                 " bytes is over the limit of " +
                                                 std::to_string(limits.max_input_bytes));
  }
  return core::Ok();
}

core::Status AppendTable(const std::vector<std::string>& headers,
                         const std::vector<std::vector<std::string>>& rows, Budget& budget,
                         json::array& tables) {
  if (std::all_of(headers.begin(), headers.end(), [](const std::string& h) { return h.empty(); })) {
    return core::Ok();
  }
  CAPSTAN_RETURN_IF_ERROR(budget.Take(2));
  json::array table;
  table.reserve(rows.size());
  for (const std::vector<std::string>& row : rows) {
    CAPSTAN_RETURN_IF_ERROR(budget.Take(3));
    json::object object;
    for (std::size_t i = 0; i < headers.size(); ++i) {
      CAPSTAN_RETURN_IF_ERROR(budget.Take(4));
      object[headers[i]] = i < row.size() ? json::string(row[i]) : json::string();
    }
    table.emplace_back(std::move(object));
  }
  tables.emplace_back(std::move(table));
  return core::Ok();
}

core::Status CheckUtf8(std::string_view body, Format format) {
  if (const std::size_t at = core::FindInvalidUtf8(body); at != std::string_view::npos) {
    return Fail(ErrorCode::kUpstreamError, std::string(FormatName(format)) +
                                               ": the body is not UTF-8 (byte " +
                                               std::to_string(at) + ")");
  }
  return core::Ok();
}

}  // namespace internal
}  // namespace capstan::convert
