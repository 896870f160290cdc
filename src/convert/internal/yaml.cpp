// YAML to JSON through spec::ParseYaml, the one YAML reader of capstan (libfyaml, YAML 1.2 core
// schema, limits on size, depth and alias expansion). One document per body: a stream of several
// is an error where Jackson would read the first.
#include "spec/yaml.hpp"

#include <cmath>
#include <string>

#include "convert/internal/formats.hpp"

namespace capstan::convert::internal {
namespace {

using core::ErrorCode;
using core::Fail;

// YAML's core schema has .inf and .nan, and 1e999 reads as infinity; JSON has none of them.
// Recursion is bounded by the parser's depth limit.
bool AllFinite(const json::value& value) {
  switch (value.kind()) {
    case json::kind::double_:
      return std::isfinite(value.get_double());
    case json::kind::array:
      for (const json::value& v : value.get_array()) {
        if (!AllFinite(v)) return false;
      }
      return true;
    case json::kind::object:
      for (const auto& member : value.get_object()) {
        if (!AllFinite(member.value())) return false;
      }
      return true;
    default:
      return true;
  }
}

class YamlConverter final : public Converter {
 public:
  explicit YamlConverter(Limits limits) : limits_(limits) {}
  core::Result<json::value> ToJson(std::string_view body) const override {
    return YamlToJson(body, limits_);
  }
  Format format() const override { return Format::kYaml; }

 private:
  Limits limits_;
};

}  // namespace

core::Result<json::value> YamlToJson(std::string_view text, const Limits& limits) {
  CAPSTAN_RETURN_IF_ERROR(CheckSize(text, limits));
  spec::YamlOptions options;
  options.max_bytes = limits.max_input_bytes;
  options.max_depth = limits.max_depth;
  options.max_nodes = limits.max_nodes;
  spec::YamlParseResult parsed = spec::ParseYaml(text, "body", options);
  if (!parsed.document) {
    std::string message = "yaml: ";
    ErrorCode code = ErrorCode::kUpstreamError;
    for (const spec::Diagnostic& d : parsed.diagnostics) {
      if (d.severity != spec::Severity::kError) continue;
      message += d.message;
      if (d.location.line > 0) {
        message += " (line " + std::to_string(d.location.line) + ", column " +
                   std::to_string(d.location.column) + ")";
      }
      if (d.rule_id == "yaml-too-large" || d.rule_id == "yaml-too-deep") {
        code = ErrorCode::kPayloadTooLarge;
      }
      break;
    }
    return Fail(code, std::move(message));
  }
  if (!AllFinite(parsed.document->root)) {
    return Fail(ErrorCode::kUpstreamError,
                "yaml: a number JSON cannot hold (.inf, .nan, or beyond a double's range)");
  }
  return std::move(parsed.document->root);
}

core::Result<ConverterPtr> MakeYaml(Limits limits) {
  return std::make_unique<YamlConverter>(limits);
}

}  // namespace capstan::convert::internal
