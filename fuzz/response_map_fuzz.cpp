// libFuzzer target for the upstream response mapping (runtime::MapResponse with the output
// mappings of a capability's consumed operation and MCP tools). Input: byte 0 picks the tool's
// mapping (bits 0-2), the Content-Type (bits 3-5) and a Content-Encoding (bit 6); byte 1 picks the
// status; the rest is the upstream body, arbitrary bytes. Checks: errors are only upstream or
// mapping errors; error statuses and identity mappings pass the body through byte for byte; a
// mapped body is canonical JSON; the mapping is deterministic. Seeds: fuzz/corpus/response_map/.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/json.hpp"
#include "runtime/runtime.hpp"
#include "spec/loader.hpp"

namespace {

namespace json = capstan::core::json;
namespace runtime = capstan::runtime;
namespace spec = capstan::spec;
using capstan::core::ErrorCode;

// Output shapes from the Naftiko tutorial (step 4, output shaping) and the Scaleway capabilities.
constexpr const char* kCapability = R"(naftiko: 1.0.0-alpha2
info:
  label: Fuzz
  description: Response mapping fuzz capability
capability:
  consumes:
  - type: http
    namespace: registry
    baseUri: http://127.0.0.1:9
    resources:
    - name: ships
      path: /ships
      operations:
      - name: list-ships
        method: GET
      - name: named
        method: GET
        outputParameters:
        - {name: ids, type: array, value: '$.jwts[*].jti'}
        - {name: total, type: number, value: $.total_count}
        - {name: first, type: object, value: '$.jwts[0]'}
  exposes:
  - type: mcp
    namespace: fuzz-mcp
    port: 9090
    description: Fuzz tools
    tools:
    - name: scaleway-identity
      description: the Scaleway capabilities' pass-through
      call: registry.list-ships
      outputParameters:
      - type: object
        mapping: $.
    - name: list-ships
      description: tutorial step 4, array of objects
      call: registry.list-ships
      outputParameters:
      - type: array
        mapping: $.
        items:
          type: object
          properties:
            imo: {type: string, mapping: $.imo_number}
            name: {type: string, mapping: $.vessel_name}
            status: {type: string, mapping: $.operational_status}
    - name: get-ship
      description: tutorial step 4, nested object
      call: registry.list-ships
      outputParameters:
      - type: object
        properties:
          imo: {type: string, mapping: $.imo_number}
          flag: {type: string, mapping: $.flag_code}
          specs:
            type: object
            properties:
              yearBuilt: {type: number, mapping: $.year_built}
              length: {type: number, mapping: $.dimensions.length_overall}
    - name: templated
      description: static and templated values
      call: registry.list-ships
      outputParameters:
      - {type: string, value: 'ship {{imo}} ({{status}})'}
    - name: filtered
      description: a filter and a descendant query
      call: registry.list-ships
      outputParameters:
      - type: array
        mapping: "$[?@.flag_code == 'NO' || @.year_built > 2016]"
        items:
          type: object
          properties:
            name: {type: string, mapping: $.vessel_name}
            crew: {type: string, mapping: '$.assignedCrew[-1]'}
    - name: scalar
      description: one scalar
      call: registry.list-ships
      outputParameters:
      - {type: string, mapping: '$.jwts[-1].user_agent'}
    - name: unmapped
      description: no output parameters (identity)
      call: registry.list-ships
)";

constexpr const char* kContentTypes[] = {"application/json",
                                         "application/json; charset=utf-8",
                                         "application/problem+json",
                                         "text/plain",
                                         "",
                                         "APPLICATION/JSON ; x=1",
                                         "application/xml",
                                         "text/json"};
constexpr int kStatuses[] = {200, 201, 204, 206, 299, 301, 304, 400, 401, 404, 429, 500, 503, 100};

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

struct Mapping {
  runtime::OutputMapping output;
  bool identity = false;
};

const std::vector<Mapping>& Mappings() {
  static const std::vector<Mapping> mappings = [] {
    auto loaded = spec::LoadCapabilityFromString(kCapability, "/fuzz/response.yaml");
    for (const spec::Diagnostic& d : loaded.diagnostics) {
      if (d.severity == spec::Severity::kError) {
        std::fprintf(stderr, "response.yaml:%d: %s [%s]\n", static_cast<int>(d.location.line),
                     d.message.c_str(), d.rule_id.c_str());
      }
    }
    Check(loaded.ok());
    std::vector<Mapping> out;
    auto add = [&out](const std::vector<spec::OutputParameter>& params) {
      auto compiled = runtime::OutputMapping::Compile(params);
      Check(compiled.has_value());
      out.push_back({std::move(*compiled), false});
      out.back().identity = out.back().output.identity();
    };
    for (const spec::ConsumesHttp& consumes : loaded.capability->capability->consumes) {
      for (const spec::ConsumedHttpResource& resource : consumes.resources) {
        for (const spec::ConsumedHttpOperation& op : resource.operations) {
          if (!op.output_parameters.empty()) add(op.output_parameters);
        }
      }
    }
    for (const spec::Exposes& exposes : loaded.capability->capability->exposes) {
      const auto* mcp = std::get_if<spec::ExposesMcp>(&exposes);
      if (mcp == nullptr) continue;
      for (const spec::McpTool& tool : mcp->tools) add(tool.output_parameters);
    }
    Check(out.size() == 8 && out[1].identity && out[7].identity && !out[0].identity);
    return out;
  }();
  return mappings;
}

const json::object& Inputs() {
  static const json::object inputs = [] {
    json::object o;
    o["imo"] = "IMO-9321483";
    o["status"] = "active";
    o["count"] = 3;
    return o;
  }();
  return inputs;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::vector<Mapping>& mappings = Mappings();
  const Mapping& mapping = mappings[data[0] & 7];
  const std::string content_type = kContentTypes[(data[0] >> 3) & 7];
  const bool encoded = (data[0] & 0x40) != 0;
  const int status = kStatuses[data[1] % std::size(kStatuses)];
  const std::string body(reinterpret_cast<const char*>(data + 2), size - 2);

  capstan::consumes::UpstreamResponse response;
  response.status = status;
  if (!content_type.empty()) response.headers.Set("Content-Type", content_type);
  if (encoded) response.headers.Add("Content-Encoding", (data[0] & 0x80) ? "identity" : "gzip");
  response.body = body;
  auto again = response;

  auto mapped = runtime::MapResponse(std::move(response), mapping.output, nullptr, Inputs());
  auto repeated = runtime::MapResponse(std::move(again), mapping.output, nullptr, Inputs());
  Check(mapped.has_value() == repeated.has_value());
  if (!mapped) {
    Check(mapped.error().code == ErrorCode::kUpstreamError ||
          mapped.error().code == ErrorCode::kMappingFailed);
    Check(mapped.error().code == repeated.error().code);
    // Only a compressed non-empty body or a 2xx body that the mapping cannot read fails.
    Check((encoded && (data[0] & 0x80) == 0 && !body.empty()) ||
          (status >= 200 && status < 300 && !body.empty()));
    return 0;
  }
  const runtime::InvocationResult& out = *mapped;
  Check(out.body == repeated->body && out.is_json == repeated->is_json);
  Check(out.status == status && out.upstream_status == status);
  if (status < 200 || status >= 300) {
    Check(out.body == body);  // error bodies pass through unchanged
    return 0;
  }
  if (body.empty()) {
    Check(out.body.empty());
    return 0;
  }
  Check(out.is_json && out.content_type == "application/json");
  if (mapping.identity) {
    Check(out.body == body);  // byte for byte
    return 0;
  }
  // The mapping wraps the body's nodes in at most three levels.
  auto reparsed = capstan::core::ParseJson(out.body, {.max_depth = 300});
  Check(reparsed.has_value());
  Check(capstan::core::SerializeJson(*reparsed) == out.body);
  return 0;
}
