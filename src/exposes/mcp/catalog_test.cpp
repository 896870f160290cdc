#include "exposes/mcp/catalog.hpp"

#include <gtest/gtest.h>

#include "core/utf8.hpp"
#include "spec/loader.hpp"

namespace capstan::mcp {
namespace {

json::value Parse(std::string_view text) { return *core::ParseJson(text); }

TEST(SanitizeToolName, KeepsValidNames) {
  EXPECT_EQ(SanitizeToolName("list-jwts", {}), "list-jwts");
  EXPECT_EQ(SanitizeToolName("get_item_2", {}), "get_item_2");
}

TEST(SanitizeToolName, ReplacesCutsAndDeduplicates) {
  EXPECT_EQ(SanitizeToolName("jwts.list/all", {}), "jwts.list_all");
  EXPECT_EQ(SanitizeToolName("list jwts\xc3\xa9", {}), "list_jwts__");
  EXPECT_EQ(SanitizeToolName("", {}), "tool");
  std::string longer(80, 'a');
  EXPECT_EQ(SanitizeToolName(longer, {}), std::string(64, 'a'));
  EXPECT_EQ(SanitizeToolName("list-jwts", {"list-jwts"}), "list-jwts_2");
  EXPECT_EQ(SanitizeToolName("x/y", {"x_y", "x_y_2"}), "x_y_3");
  EXPECT_EQ(SanitizeToolName("x.y", {}), "x.y");
  std::string taken(64, 'b');
  std::string unique = SanitizeToolName(std::string(70, 'b'), {taken});
  EXPECT_EQ(unique.size(), 64u);
  EXPECT_EQ(unique.substr(62), "_2");
}

TEST(InputSchemaFor, TypesDescriptionsRequired) {
  std::vector<runtime::InputSpec> inputs(3);
  inputs[0].name = "jti";
  inputs[0].in = spec::ParameterIn::kPath;
  inputs[0].description = "JWT ID";
  inputs[1].name = "page_size";
  inputs[1].type = spec::ValueType::kInteger;
  inputs[2].name = "tags";
  inputs[2].type = spec::ValueType::kArray;
  inputs[2].required = true;
  json::object schema = InputSchemaFor(inputs);
  EXPECT_EQ(core::SerializeJson(json::value(schema)),
            R"({"type":"object","properties":{"jti":{"type":"string","description":"JWT ID"},)"
            R"("page_size":{"type":"integer"},"tags":{"type":"array","items":{}}},)"
            R"("required":["jti","tags"],"additionalProperties":false})");
  EXPECT_EQ(core::SerializeJson(json::value(InputSchemaFor({}))),
            R"({"type":"object","properties":{},"additionalProperties":false})");
}

runtime::InvocationResult Upstream(int status, std::string body, bool is_json = true) {
  runtime::InvocationResult r;
  r.status = status;
  r.upstream_status = status;
  r.body = std::move(body);
  r.is_json = is_json;
  r.content_type = is_json ? "application/json" : "text/plain";
  return r;
}

std::string Text(const json::object& result) {
  return std::string(result.at("content").as_array()[0].as_object().at("text").as_string());
}

TEST(ToolResultFor, JsonObjectGetsStructuredContent) {
  // The object's bytes, as they are, are both the text and the structured content: they are
  // handed on whole (the reply writer puts them in both places), the result has neither yet.
  ToolOutcome r = ToolResultFor(Upstream(200, R"( {"b":1.50, "a":[]})"), "GET x");
  EXPECT_EQ(core::SerializeJson(json::value(r.result)), "{}");
  EXPECT_EQ(r.structured_raw, R"( {"b":1.50, "a":[]})");
  // Not an object, not JSON, or not valid JSON: text only.
  for (auto [body, is_json] : {std::pair{R"([1,2])", true}, std::pair{R"({"a":1})", false},
                               std::pair{R"({"a":1)", true}}) {
    ToolOutcome text = ToolResultFor(Upstream(200, body, is_json), "GET x");
    EXPECT_TRUE(text.structured_raw.empty()) << body;
    EXPECT_FALSE(text.result.contains("structuredContent")) << body;
    EXPECT_EQ(Text(text.result), body);
  }
  // Bytes pass through as the upstream sent them, duplicate keys included (as on REST).
  EXPECT_EQ(ToolResultFor(Upstream(200, R"({"a":1,"a":2})"), "GET x").structured_raw,
            R"({"a":1,"a":2})");
  // A JSON string is given as its value.
  EXPECT_EQ(Text(ToolResultFor(Upstream(200, R"("hello")"), "GET x").result), "hello");
}

TEST(ToolResultFor, EmptySuccessIsNotAnError) {
  json::object r = ToolResultFor(Upstream(204, ""), "DELETE x").result;
  EXPECT_FALSE(r.contains("isError"));
  EXPECT_NE(Text(r).find("204"), std::string::npos);
}

TEST(ToolResultFor, UpstreamErrorsCarryStatusAndBody) {
  ToolOutcome r = ToolResultFor(Upstream(404, R"({"type":"not_found"})"), "GET x");
  EXPECT_EQ(r.result["isError"], true);
  EXPECT_TRUE(r.structured_raw.empty());
  std::string text = Text(r.result);
  EXPECT_NE(text.find("HTTP 404 Not Found"), std::string::npos);
  EXPECT_NE(text.find("not_found"), std::string::npos);
}

TEST(ToolResultFor, RepliesAreWellFormedUtf8WhateverTheUpstreamSent) {
  // A Latin-1 error body, and a Latin-1 text/plain success: the reply is still JSON (UTF-8),
  // the bytes that are not UTF-8 read as U+FFFD.
  for (auto [status, is_json] : {std::pair{404, true}, std::pair{200, false}}) {
    ToolOutcome r =
        ToolResultFor(Upstream(status, "{\"message\":\"caf\xE9 \xFF\"}", is_json), "GET x");
    auto parsed = core::ParseJson(core::SerializeJson(json::value(r.result)));
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_NE(Text(parsed->as_object()).find("caf\xEF\xBF\xBD \xEF\xBF\xBD"), std::string::npos);
  }
  // A long error body is cut at 8 KiB before a character, never inside one: here an é would
  // straddle the cut.
  std::string body(8191, 'x');
  body += "\xC3\xA9 and more";
  std::string text = Text(ToolResultFor(Upstream(500, body, false), "GET x").result);
  EXPECT_EQ(core::FindInvalidUtf8(text), std::string::npos);
  EXPECT_NE(text.find(std::string(8191, 'x') + "... (truncated)"), std::string::npos)
      << text.size();
}

TEST(ToolResultFor, TransportErrorsAreClear) {
  core::Result<runtime::InvocationResult> timeout =
      core::Fail(core::ErrorCode::kUpstreamTimeout, "no answer after 30 s");
  json::object r = ToolResultFor(timeout, "GET x").result;
  EXPECT_EQ(r["isError"], true);
  EXPECT_NE(Text(r).find("did not answer in time"), std::string::npos);
  core::Result<runtime::InvocationResult> down =
      core::Fail(core::ErrorCode::kUpstreamUnavailable, "connection refused");
  EXPECT_NE(Text(ToolResultFor(down, "GET x").result).find("could not be reached"),
            std::string::npos);
}

TEST(ResourceMatch, Templates) {
  Resource r;
  r.uri = "test://template/{id}/data";
  r.is_template = true;
  r.pieces = {"test://template/", "id", "/data"};
  json::object vars;
  EXPECT_TRUE(r.Match("test://template/123/data", vars));
  EXPECT_EQ(vars["id"], "123");
  json::object none;
  EXPECT_FALSE(r.Match("test://template/1/2/data", none));
  EXPECT_FALSE(r.Match("test://template//data", none));
  EXPECT_FALSE(r.Match("test://other/1/data", none));
}

constexpr std::string_view kCapability = R"YAML(naftiko: 1.0.0-alpha2
info:
  label: t
  description: t
capability:
  consumes:
  - type: http
    namespace: up
    baseUri: http://127.0.0.1:9
    description: upstream
    resources:
    - name: items
      path: /items/{id}
      operations:
      - name: get-item
        method: GET
        description: Get one item
        inputParameters:
        - name: id
          in: path
          type: string
          description: The item id.
        - name: verbose
          in: query
          type: boolean
          description: More detail.
  exposes:
  - type: mcp
    namespace: t-mcp
    port: 9091
    description: Test server.
    tools:
    - name: get-item
      description: ""
      call: up.get-item
      with:
        id: tools.id
    - name: typed
      label: Typed tool
      description: Declared inputs.
      hints:
        readOnly: true
      inputParameters:
      - name: count
        type: integer
        description: How many.
      - name: note
        type: string
        description: Optional note.
        required: false
      call: up.get-item
      with:
        id: '{{count}}'
    prompts:
    - name: greet
      label: Greet
      description: Says hello.
      arguments:
      - name: who
        description: Whom to greet.
      template:
      - role: user
        content: Hello {{who}}!
)YAML";

TEST(BuildCatalog, ToolsFromTheCapability) {
  auto loaded = spec::LoadCapabilityFromString(kCapability, "t.yaml");
  ASSERT_TRUE(loaded.ok()) << (loaded.diagnostics.empty() ? "" : loaded.diagnostics[0].message);
  auto rt = runtime::Runtime::Create(loaded.capability, {});
  ASSERT_TRUE(rt) << rt.error().message;
  const auto& mcp = std::get<spec::ExposesMcp>(loaded.capability->capability->exposes[0]);
  auto catalog = BuildCatalog(*rt, mcp);
  ASSERT_TRUE(catalog) << catalog.error().message;
  ASSERT_EQ(catalog->tools.size(), 2u);
  const json::object& derived = catalog->tools[0].definition;
  EXPECT_EQ(derived.at("description"), "Get one item");  // from the consumed operation
  EXPECT_EQ(core::SerializeJson(derived.at("inputSchema")),
            R"({"type":"object","properties":{"id":{"type":"string","description":"The item id."},)"
            R"("verbose":{"type":"boolean","description":"More detail."}},"required":["id"],)"
            R"("additionalProperties":false})");
  EXPECT_EQ(
      core::SerializeJson(derived.at("annotations")),
      R"({"readOnlyHint":false,"destructiveHint":true,"idempotentHint":false,"openWorldHint":true})");
  const Tool& typed = catalog->tools[1];
  EXPECT_EQ(typed.definition.at("title"), "Typed tool");
  EXPECT_EQ(
      core::SerializeJson(typed.definition.at("inputSchema")),
      R"({"type":"object","properties":{"count":{"type":"integer","description":"How many."},)"
      R"("note":{"type":"string","description":"Optional note."}},"required":["count"],)"
      R"("additionalProperties":false})");
  EXPECT_EQ(typed.definition.at("annotations").as_object().at("readOnlyHint"), true);
  ASSERT_TRUE(typed.input_schema);
  EXPECT_TRUE(typed.input_schema->IsValid(Parse(R"({"count":3})")));
  EXPECT_FALSE(typed.input_schema->IsValid(Parse(R"({"count":"3"})")));
  EXPECT_FALSE(typed.input_schema->IsValid(Parse(R"({"count":3,"other":1})")));
  EXPECT_FALSE(typed.input_schema->IsValid(Parse(R"({})")));

  ASSERT_EQ(catalog->prompts.size(), 1u);
  json::object args;
  args["who"] = "Ada";
  auto messages = RenderPrompt(catalog->prompts[0], args);
  ASSERT_TRUE(messages);
  EXPECT_EQ(core::SerializeJson(json::value(*messages)),
            R"([{"role":"user","content":{"type":"text","text":"Hello Ada!"}}])");
  EXPECT_FALSE(RenderPrompt(catalog->prompts[0], json::object()));
}

TEST(ToolHintsTest, SemanticsGiveHintsAndExplicitHintsWinFieldByField) {
  spec::Semantics safe;
  safe.safe = true;
  safe.idempotent = true;
  spec::McpToolHints from_semantics = ToolHints(std::nullopt, safe);
  EXPECT_EQ(from_semantics.read_only, true);
  EXPECT_EQ(from_semantics.destructive, false);
  EXPECT_EQ(from_semantics.idempotent, true);
  EXPECT_FALSE(from_semantics.open_world.has_value());

  spec::McpToolHints explicit_hints;
  explicit_hints.destructive = true;
  explicit_hints.open_world = false;
  spec::McpToolHints merged = ToolHints(explicit_hints, safe);
  EXPECT_EQ(merged.read_only, true);    // from semantics
  EXPECT_EQ(merged.destructive, true);  // the tool's own
  EXPECT_EQ(merged.idempotent, true);   // from semantics
  EXPECT_EQ(merged.open_world, false);  // the tool's own

  spec::Semantics unsafe;
  unsafe.safe = false;
  unsafe.idempotent = false;
  spec::McpToolHints none = ToolHints(std::nullopt, unsafe);
  EXPECT_FALSE(none.read_only.has_value());  // not safe says nothing about read-only
  EXPECT_FALSE(none.destructive.has_value());
  EXPECT_EQ(none.idempotent, false);
  EXPECT_FALSE(ToolHints(std::nullopt, std::nullopt).read_only.has_value());
}

}  // namespace
}  // namespace capstan::mcp
