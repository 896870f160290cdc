// The conformance-suite fixture server (`capstan serve --conformance-fixtures`). What a gateway
// does naturally goes through the real mapping path: a capability (below) whose consumed
// operations call a built-in mock upstream on a loopback port (text, errors, progress and log
// messages around an upstream call, a call-backed resource template, template prompts). The
// rest (image/audio/embedded content, sampling, elicitation, SSE polling) is native code.
#include <boost/asio/this_coro.hpp>

#include "exposes/mcp/transport.hpp"
#include "http/server.hpp"
#include "spec/loader.hpp"

namespace capstan::mcp {

namespace asio = boost::asio;
using core::ErrorCode;
using core::Fail;

namespace {

constexpr std::string_view kUpstreamNamespace = "fixtures-upstream";

constexpr std::string_view kCapability = R"YAML(naftiko: 1.0.0-alpha2
info:
  label: MCP conformance fixtures
  description: The fixture tools, resources and prompts of @modelcontextprotocol/conformance.
capability:
  consumes:
  - type: http
    namespace: fixtures-upstream
    baseUri: http://127.0.0.1:9
    description: capstan's built-in mock upstream for the conformance fixtures.
    resources:
    - name: work
      path: /work
      operations:
      - name: work
        method: GET
        description: A slow upstream call (about 50 ms).
    - name: fail
      path: /fail
      operations:
      - name: fail
        method: GET
        description: Always answers 500.
    - name: items
      path: /items/{id}
      operations:
      - name: item
        method: GET
        description: One item by id.
        inputParameters:
        - name: id
          in: path
          type: string
          description: The item id.
          required: true
  exposes:
  - type: mcp
    namespace: conformance-fixtures
    port: 3000
    description: capstan's fixture server for the MCP conformance suite.
    tools:
    - name: test-simple-text
      description: Tests simple text content response
      outputParameters:
      - name: text
        type: string
        value: This is a simple text response for testing.
    - name: test-error-handling
      description: Tests error response handling (the upstream answers 500)
      call: fixtures-upstream.fail
    - name: test-tool-with-logging
      description: Tests tool that emits log messages during execution (around an upstream call)
      call: fixtures-upstream.work
    - name: test-logging-tool
      description: Logs around an upstream call only when the request asks for a log level
      call: fixtures-upstream.work
    - name: test-tool-with-progress
      description: Tests tool that reports progress notifications (around an upstream call)
      call: fixtures-upstream.work
    resources:
    - name: template
      label: Resource Template
      uri: test://template/{id}/data
      description: A resource template with parameter substitution
      mimeType: application/json
      call: fixtures-upstream.item
    prompts:
    - name: test_simple_prompt
      label: Simple Test Prompt
      description: A simple prompt without arguments
      template:
      - role: user
        content: This is a simple prompt for testing.
    - name: test_prompt_with_arguments
      label: Prompt With Arguments
      description: A prompt with required arguments
      arguments:
      - name: arg1
        description: First test argument
      - name: arg2
        description: Second test argument
      template:
      - role: user
        content: "Prompt with arguments: arg1='{{arg1}}', arg2='{{arg2}}'"
)YAML";

// A 1x1 red PNG and a minimal WAV file.
constexpr std::string_view kPngBase64 =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg"
    "==";
constexpr std::string_view kWavBase64 =
    "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

json::value Parse(std::string_view text) { return *core::ParseJson(text); }

json::object TextContent(std::string text) {
  json::object item;
  item["type"] = "text";
  item["text"] = std::move(text);
  return item;
}

ToolOutcome Contents(json::array content, bool is_error = false) {
  ToolOutcome out;
  out.result["content"] = std::move(content);
  if (is_error) out.result["isError"] = true;
  return out;
}

ToolOutcome Text(std::string text, bool is_error = false) {
  json::array content;
  content.emplace_back(TextContent(std::move(text)));
  return Contents(std::move(content), is_error);
}

json::object NoArgs() {
  json::object schema;
  schema["type"] = "object";
  schema["properties"] = json::object();
  schema["additionalProperties"] = false;
  return schema;
}

json::object OneStringArg(std::string_view name, std::string_view description) {
  return Parse(R"({"type":"object","properties":{")" + std::string(name) +
               R"(":{"type":"string","description":")" + std::string(description) +
               R"("}},"required":[")" + std::string(name) + R"("],"additionalProperties":false})")
      .as_object();
}

// Elicitation: asks the client and reports its answer.
asio::awaitable<ToolOutcome> Elicit(RequestScope& scope, json::object params,
                                    std::string_view prefix) {
  if (!scope.ClientSupports("elicitation")) {
    co_return Text("Elicitation not supported: the client did not declare `elicitation`", true);
  }
  auto answer = co_await scope.AskClient("elicitation/create", std::move(params));
  if (!answer) co_return Text("Elicitation failed: " + answer.error().message, true);
  std::string action = "unknown";
  json::value content = json::object();
  if (answer->is_object()) {
    if (auto a = StringField(&answer->as_object(), "action")) action = std::string(*a);
    if (const json::value* c = answer->as_object().if_contains("content")) content = *c;
  }
  co_return Text(std::string(prefix) + "action=" + action +
                 ", content=" + core::SerializeJson(content));
}

// ---- 2026-07-28 input-required results (MRTR) -----------------------------------------------

json::object ElicitRequest(std::string message, std::string property, std::string type) {
  json::object schema;
  schema["type"] = "object";
  json::object properties;
  json::object prop;
  prop["type"] = std::move(type);
  properties[property] = std::move(prop);
  schema["properties"] = std::move(properties);
  json::array required;
  required.emplace_back(property);
  schema["required"] = std::move(required);
  json::object params;
  params["message"] = std::move(message);
  params["requestedSchema"] = std::move(schema);
  json::object request;
  request["method"] = "elicitation/create";
  request["params"] = std::move(params);
  return request;
}

json::object SamplingRequest(std::string text, int max_tokens) {
  json::object message;
  message["role"] = "user";
  message["content"] = TextContent(std::move(text));
  json::array messages;
  messages.emplace_back(std::move(message));
  json::object params;
  params["messages"] = std::move(messages);
  params["maxTokens"] = max_tokens;
  json::object request;
  request["method"] = "sampling/createMessage";
  request["params"] = std::move(params);
  return request;
}

json::object RootsRequest() {
  json::object request;
  request["method"] = "roots/list";
  request["params"] = json::object();
  return request;
}

ToolOutcome NeedInput(json::object requests, std::string state = {}) {
  ToolOutcome out;
  out.input_requests = std::move(requests);
  out.state = std::move(state);
  return out;
}

// The string `field` of an elicitation answer's content ("" when absent).
std::string ElicitedField(const json::object& responses, std::string_view key,
                          std::string_view field) {
  const json::value* r = responses.if_contains(key);
  if (r == nullptr || !r->is_object()) return "";
  const json::value* content = r->as_object().if_contains("content");
  if (content == nullptr || !content->is_object()) return "";
  const json::value* v = content->as_object().if_contains(field);
  if (v == nullptr) return "";
  return v->is_string() ? std::string(v->get_string()) : core::SerializeJson(*v);
}

std::string SampledText(const json::object& responses, std::string_view key) {
  const json::value* r = responses.if_contains(key);
  if (r == nullptr || !r->is_object()) return "";
  const json::value* content = r->as_object().if_contains("content");
  if (content == nullptr || !content->is_object()) return "";
  return std::string(StringField(&content->as_object(), "text").value_or(""));
}

void AddInputRequiredTools(
    const std::function<void(std::string, std::string, json::object, NativeTool)>& add) {
  add("test_input_required_result_elicitation", "MRTR: asks the client for a name", NoArgs(),
      [](const json::object&, RequestScope& scope) -> asio::awaitable<ToolOutcome> {
        if (!scope.input_responses.contains("user_name")) {
          json::object requests;
          requests["user_name"] = ElicitRequest("What is your name?", "name", "string");
          co_return NeedInput(std::move(requests));
        }
        co_return Text("Hello, " + ElicitedField(scope.input_responses, "user_name", "name") + "!");
      });
  add("test_input_required_result_sampling", "MRTR: asks the client's model a question", NoArgs(),
      [](const json::object&, RequestScope& scope) -> asio::awaitable<ToolOutcome> {
        if (!scope.input_responses.contains("capital_question")) {
          json::object requests;
          requests["capital_question"] = SamplingRequest("What is the capital of France?", 100);
          co_return NeedInput(std::move(requests));
        }
        co_return Text("The model answered: " +
                       SampledText(scope.input_responses, "capital_question"));
      });
  add("test_input_required_result_list_roots", "MRTR: asks the client for its roots", NoArgs(),
      [](const json::object&, RequestScope& scope) -> asio::awaitable<ToolOutcome> {
        const json::value* roots = scope.input_responses.if_contains("client_roots");
        if (roots == nullptr || !roots->is_object()) {
          json::object requests;
          requests["client_roots"] = RootsRequest();
          co_return NeedInput(std::move(requests));
        }
        std::string text = "Client roots:";
        if (const json::value* list = roots->as_object().if_contains("roots");
            list && list->is_array()) {
          for (const json::value& root : list->get_array()) {
            if (root.is_object()) {
              text += " " + std::string(StringField(&root.as_object(), "uri").value_or(""));
            }
          }
        }
        co_return Text(text);
      });
  add("test_input_required_result_request_state", "MRTR: round-trips a signed requestState",
      NoArgs(), [](const json::object&, RequestScope& scope) -> asio::awaitable<ToolOutcome> {
        if (scope.request_state == "request-state" && scope.input_responses.contains("confirm")) {
          co_return Text("state-ok: the requestState was verified");
        }
        json::object requests;
        requests["confirm"] = ElicitRequest("Please confirm", "ok", "boolean");
        co_return NeedInput(std::move(requests), "request-state");
      });
  add("test_input_required_result_multiple_inputs",
      "MRTR: asks for elicitation, sampling and roots at once", NoArgs(),
      [](const json::object&, RequestScope& scope) -> asio::awaitable<ToolOutcome> {
        const auto& r = scope.input_responses;
        if (scope.request_state == "multiple" && r.contains("user_name") &&
            r.contains("greeting") && r.contains("client_roots")) {
          co_return Text("All inputs received: " + ElicitedField(r, "user_name", "name") + ", " +
                         SampledText(r, "greeting"));
        }
        json::object requests;
        requests["user_name"] = ElicitRequest("What is your name?", "name", "string");
        requests["greeting"] = SamplingRequest("Generate a greeting", 50);
        requests["client_roots"] = RootsRequest();
        co_return NeedInput(std::move(requests), "multiple");
      });
  add("test_input_required_result_multi_round", "MRTR: two rounds of questions", NoArgs(),
      [](const json::object&, RequestScope& scope) -> asio::awaitable<ToolOutcome> {
        const auto& r = scope.input_responses;
        if (scope.request_state.rfind("round-2:", 0) == 0 && r.contains("step2")) {
          co_return Text("Hello " + scope.request_state.substr(8) + ", your favorite color is " +
                         ElicitedField(r, "step2", "color"));
        }
        if (scope.request_state == "round-1" && r.contains("step1")) {
          json::object requests;
          requests["step2"] =
              ElicitRequest("Step 2: What is your favorite color?", "color", "string");
          co_return NeedInput(std::move(requests), "round-2:" + ElicitedField(r, "step1", "name"));
        }
        json::object requests;
        requests["step1"] = ElicitRequest("Step 1: What is your name?", "name", "string");
        co_return NeedInput(std::move(requests), "round-1");
      });
  add("test_input_required_result_tampered_state",
      "MRTR: its requestState is HMAC-signed; an altered one is -32602", NoArgs(),
      [](const json::object&, RequestScope& scope) -> asio::awaitable<ToolOutcome> {
        if (scope.request_state == "tamper-check" && !scope.input_responses.empty()) {
          co_return Text("state verified");
        }
        json::object requests;
        requests["confirm"] = ElicitRequest("Please confirm", "ok", "boolean");
        co_return NeedInput(std::move(requests), "tamper-check");
      });
  add("test_input_required_result_capabilities",
      "MRTR: asks only through the methods the client declared", NoArgs(),
      [](const json::object&, RequestScope& scope) -> asio::awaitable<ToolOutcome> {
        json::object requests;
        if (scope.ClientSupports("elicitation") && !scope.input_responses.contains("user_name")) {
          requests["user_name"] = ElicitRequest("What is your name?", "name", "string");
        }
        if (scope.ClientSupports("sampling") && !scope.input_responses.contains("greeting")) {
          requests["greeting"] = SamplingRequest("Generate a greeting", 50);
        }
        if (scope.ClientSupports("roots") && !scope.input_responses.contains("client_roots")) {
          requests["client_roots"] = RootsRequest();
        }
        if (!requests.empty()) co_return NeedInput(std::move(requests));
        co_return Text("Done with the client's declared capabilities");
      });
  add("test_streaming_elicitation",
      "Elicitation: a server request on the SSE stream (legacy) or an input-required result "
      "(2026-07-28)",
      NoArgs(), [](const json::object&, RequestScope& scope) -> asio::awaitable<ToolOutcome> {
        if (scope.modern) {
          if (!scope.input_responses.contains("user_name")) {
            json::object requests;
            requests["user_name"] = ElicitRequest("What is your name?", "name", "string");
            co_return NeedInput(std::move(requests));
          }
          co_return Text("Hello, " + ElicitedField(scope.input_responses, "user_name", "name") +
                         "!");
        }
        json::object params =
            ElicitRequest("What is your name?", "name", "string")["params"].as_object();
        co_return co_await Elicit(scope, std::move(params), "User response: ");
      });
}

core::Status AddNativeTools(Catalog& catalog) {
  core::Status status = core::Ok();
  auto add = [&](std::string name, std::string description, json::object schema, NativeTool tool,
                 bool prefers_stream = false, std::string capability = {}) {
    if (status) {
      status = AddNativeTool(catalog, std::move(name), std::move(description), std::move(schema),
                             std::move(tool), prefers_stream, std::move(capability));
    }
  };
  add("test_image_content", "Tests image content response", NoArgs(),
      [](const json::object&, RequestScope&) -> asio::awaitable<ToolOutcome> {
        json::object image;
        image["type"] = "image";
        image["data"] = kPngBase64;
        image["mimeType"] = "image/png";
        json::array content;
        content.emplace_back(std::move(image));
        co_return Contents(std::move(content));
      });
  add("test_audio_content", "Tests audio content response", NoArgs(),
      [](const json::object&, RequestScope&) -> asio::awaitable<ToolOutcome> {
        json::object audio;
        audio["type"] = "audio";
        audio["data"] = kWavBase64;
        audio["mimeType"] = "audio/wav";
        json::array content;
        content.emplace_back(std::move(audio));
        co_return Contents(std::move(content));
      });
  add("test_embedded_resource", "Tests embedded resource content response", NoArgs(),
      [](const json::object&, RequestScope&) -> asio::awaitable<ToolOutcome> {
        json::array content;
        content.push_back(
            Parse(R"({"type":"resource","resource":{"uri":"test://embedded-resource",)"
                  R"("mimeType":"text/plain","text":"This is an embedded resource content."}})"));
        co_return Contents(std::move(content));
      });
  add("test_multiple_content_types",
      "Tests response with multiple content types (text, image, resource)", NoArgs(),
      [](const json::object&, RequestScope&) -> asio::awaitable<ToolOutcome> {
        json::array content;
        content.emplace_back(TextContent("Multiple content types test:"));
        json::object image;
        image["type"] = "image";
        image["data"] = kPngBase64;
        image["mimeType"] = "image/png";
        content.emplace_back(std::move(image));
        content.push_back(
            Parse(R"({"type":"resource","resource":{"uri":"test://mixed-content-resource",)"
                  R"("mimeType":"application/json","text":"{\"test\":\"data\",\"value\":123}"}})"));
        co_return Contents(std::move(content));
      });
  add(
      "test_sampling", "Tests server-initiated sampling (LLM completion request)",
      OneStringArg("prompt", "The prompt to send to the LLM"),
      [](const json::object& args, RequestScope& scope) -> asio::awaitable<ToolOutcome> {
        if (!scope.ClientSupports("sampling")) {
          co_return Text("Sampling not supported: the client did not declare `sampling`", true);
        }
        json::object params;
        json::array messages;
        json::object message;
        message["role"] = "user";
        message["content"] = TextContent(std::string(args.at("prompt").as_string()));
        messages.emplace_back(std::move(message));
        params["messages"] = std::move(messages);
        params["maxTokens"] = 100;
        auto answer = co_await scope.AskClient("sampling/createMessage", std::move(params));
        if (!answer) co_return Text("Sampling failed: " + answer.error().message, true);
        std::string text = "No response";
        if (answer->is_object()) {
          if (const json::value* c = answer->as_object().if_contains("content");
              c && c->is_object()) {
            if (auto t = StringField(&c->as_object(), "text")) text = std::string(*t);
          }
        }
        co_return Text("LLM response: " + text);
      },
      true, "sampling");
  add(
      "test_elicitation", "Tests server-initiated elicitation (user input request)",
      OneStringArg("message", "The message to show the user"),
      [](const json::object& args, RequestScope& scope) -> asio::awaitable<ToolOutcome> {
        json::object params;
        params["message"] = args.at("message");
        params["requestedSchema"] = Parse(
            R"({"type":"object","properties":{"username":{"type":"string","description":"User's response"},)"
            R"("email":{"type":"string","description":"User's email address"}},"required":["username","email"]})");
        co_return co_await Elicit(scope, std::move(params), "User response: ");
      },
      true, "elicitation");
  add(
      "test_elicitation_sep1034_defaults", "Tests elicitation with default values per SEP-1034",
      NoArgs(),
      [](const json::object&, RequestScope& scope) -> asio::awaitable<ToolOutcome> {
        json::object params;
        params["message"] = "Please review and update the form fields with defaults";
        params["requestedSchema"] = Parse(
            R"({"type":"object","properties":{)"
            R"("name":{"type":"string","description":"User name","default":"John Doe"},)"
            R"("age":{"type":"integer","description":"User age","default":30},)"
            R"("score":{"type":"number","description":"User score","default":95.5},)"
            R"("status":{"type":"string","description":"User status","enum":["active","inactive","pending"],"default":"active"},)"
            R"("verified":{"type":"boolean","description":"Verification status","default":true}},"required":[]})");
        co_return co_await Elicit(scope, std::move(params), "Elicitation completed: ");
      },
      true, "elicitation");
  add(
      "test_elicitation_sep1330_enums",
      "Tests elicitation with enum schema improvements per SEP-1330", NoArgs(),
      [](const json::object&, RequestScope& scope) -> asio::awaitable<ToolOutcome> {
        json::object params;
        params["message"] = "Please select options from the enum fields";
        params["requestedSchema"] = Parse(
            R"({"type":"object","properties":{)"
            R"("untitledSingle":{"type":"string","description":"Select one option","enum":["option1","option2","option3"]},)"
            R"("titledSingle":{"type":"string","description":"Select one option with titles","oneOf":[)"
            R"({"const":"value1","title":"First Option"},{"const":"value2","title":"Second Option"},{"const":"value3","title":"Third Option"}]},)"
            R"J("legacyEnum":{"type":"string","description":"Select one option (legacy)","enum":["opt1","opt2","opt3"],"enumNames":["Option One","Option Two","Option Three"]},)J"
            R"("untitledMulti":{"type":"array","description":"Select multiple options","minItems":1,"maxItems":3,"items":{"type":"string","enum":["option1","option2","option3"]}},)"
            R"("titledMulti":{"type":"array","description":"Select multiple options with titles","minItems":1,"maxItems":3,"items":{"anyOf":[)"
            R"({"const":"value1","title":"First Choice"},{"const":"value2","title":"Second Choice"},{"const":"value3","title":"Third Choice"}]}}},"required":[]})");
        co_return co_await Elicit(scope, std::move(params), "Elicitation completed: ");
      },
      true, "elicitation");
  add(
      "test_reconnection",
      "Tests SSE stream disconnection and client reconnection (SEP-1699): the server closes the "
      "stream mid-call and sends the result after the client reconnects.",
      NoArgs(),
      [](const json::object&, RequestScope& scope) -> asio::awaitable<ToolOutcome> {
        if (scope.close_stream) scope.close_stream();
        co_await http::Sleep(std::chrono::milliseconds(100));
        co_return Text(
            "Reconnection test completed successfully. If you received this, the client "
            "properly reconnected after stream closure.");
      },
      true);
  add("json_schema_2020_12_tool",
      "Tool with JSON Schema 2020-12 features for conformance testing (SEP-1613)",
      Parse(
          R"({"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",)"
          R"("$defs":{"address":{"$anchor":"addressDef","type":"object",)"
          R"("properties":{"street":{"type":"string"},"city":{"type":"string"}}}},)"
          R"("properties":{"name":{"type":"string"},"address":{"$ref":"#/$defs/address"},)"
          R"("contactMethod":{"type":"string","enum":["phone","email"]},)"
          R"("phone":{"type":"string"},"email":{"type":"string"}},)"
          R"("allOf":[{"anyOf":[{"required":["phone"]},{"required":["email"]}]}],)"
          R"("if":{"properties":{"contactMethod":{"const":"phone"}},"required":["contactMethod"]},)"
          R"("then":{"required":["phone"]},"else":{"required":["email"]},)"
          R"("additionalProperties":false})")
          .as_object(),
      [](const json::object& args, RequestScope&) -> asio::awaitable<ToolOutcome> {
        co_return Text("JSON Schema 2020-12 tool called with: " +
                       core::SerializeJson(json::value(args)));
      });
  add(
      "test_missing_capability",
      "Needs the client's sampling capability (2026-07-28: MissingRequiredClientCapability)",
      NoArgs(),
      [](const json::object&, RequestScope& scope) -> asio::awaitable<ToolOutcome> {
        if (!scope.ClientSupports("sampling")) {
          co_return Text("This tool needs the client capability `sampling`", true);
        }
        co_return Text("The client declared sampling");
      },
      false, "sampling");
  AddInputRequiredTools(
      [&](std::string name, std::string description, json::object schema, NativeTool tool) {
        add(std::move(name), std::move(description), std::move(schema), std::move(tool));
      });
  return status;
}

Resource NativeResourceEntry(std::string uri, std::string name, std::string title,
                             std::string description, std::string mime, NativeResource read) {
  Resource r;
  r.uri = uri;
  r.mime_type = mime;
  r.definition["uri"] = std::move(uri);
  r.definition["name"] = std::move(name);
  r.definition["title"] = std::move(title);
  r.definition["description"] = std::move(description);
  r.definition["mimeType"] = std::move(mime);
  r.native = std::move(read);
  return r;
}

NativeResource Contents(std::string uri, std::string mime, std::string member, std::string data) {
  return [uri, mime, member, data](const std::string&, const json::object&,
                                   RequestScope&) -> asio::awaitable<core::Result<json::array>> {
    json::object item;
    item["uri"] = uri;
    item["mimeType"] = mime;
    item[member] = data;
    json::array contents;
    contents.emplace_back(std::move(item));
    co_return contents;
  };
}

void AddNativeResourcesAndPrompts(Catalog& catalog) {
  catalog.resources.push_back(
      NativeResourceEntry("test://static-text", "static-text", "Static Text Resource",
                          "A static text resource for testing", "text/plain",
                          Contents("test://static-text", "text/plain", "text",
                                   "This is the content of the static text resource.")));
  catalog.resources.push_back(NativeResourceEntry(
      "test://static-binary", "static-binary", "Static Binary Resource",
      "A static binary resource (image) for testing", "image/png",
      Contents("test://static-binary", "image/png", "blob", std::string(kPngBase64))));
  catalog.resources.push_back(NativeResourceEntry(
      "test://watched-resource", "watched-resource", "Watched Resource",
      "A resource that can be subscribed to", "text/plain",
      Contents("test://watched-resource", "text/plain", "text", "Watched resource content")));

  Prompt embedded;
  embedded.name = "test_prompt_with_embedded_resource";
  embedded.definition =
      Parse(
          R"({"name":"test_prompt_with_embedded_resource","title":"Prompt With Embedded Resource",)"
          R"("description":"A prompt that includes an embedded resource","arguments":[)"
          R"({"name":"resourceUri","description":"URI of the resource to embed","required":true}]})")
          .as_object();
  embedded.native = [](const json::object& args) -> core::Result<json::array> {
    auto uri = StringField(&args, "resourceUri");
    if (!uri) return Fail(ErrorCode::kInvalidArgument, "the argument 'resourceUri' is required");
    json::object resource;
    resource["uri"] = *uri;
    resource["mimeType"] = "text/plain";
    resource["text"] = "Embedded resource content for testing.";
    json::object content;
    content["type"] = "resource";
    content["resource"] = std::move(resource);
    json::array messages;
    json::object first;
    first["role"] = "user";
    first["content"] = std::move(content);
    messages.emplace_back(std::move(first));
    json::object second;
    second["role"] = "user";
    second["content"] = TextContent("Please process the embedded resource above.");
    messages.emplace_back(std::move(second));
    return messages;
  };
  catalog.prompts.push_back(std::move(embedded));

  Prompt image;
  image.name = "test_prompt_with_image";
  image.definition =
      Parse(R"({"name":"test_prompt_with_image","title":"Prompt With Image",)"
            R"("description":"A prompt that includes image content","arguments":[]})")
          .as_object();
  image.native = [](const json::object&) -> core::Result<json::array> {
    json::array messages;
    json::object first;
    first["role"] = "user";
    first["content"] = Parse(R"({"type":"image","mimeType":"image/png","data":")" +
                             std::string(kPngBase64) + "\"}");
    messages.emplace_back(std::move(first));
    json::object second;
    second["role"] = "user";
    second["content"] = TextContent("Please analyze the image above.");
    messages.emplace_back(std::move(second));
    return messages;
  };
  catalog.prompts.push_back(std::move(image));

  Prompt mrtr;
  mrtr.name = "test_input_required_result_prompt";
  mrtr.definition =
      Parse(R"({"name":"test_input_required_result_prompt",)"
            R"("description":"2026-07-28: asks the client for context first","arguments":[]})")
          .as_object();
  mrtr.input_required = [](const json::object& responses) -> std::optional<json::object> {
    if (responses.contains("user_context")) return std::nullopt;
    json::object requests;
    requests["user_context"] =
        ElicitRequest("What context should the prompt use?", "context", "string");
    return requests;
  };
  mrtr.native = [](const json::object& args) -> core::Result<json::array> {
    std::string context = ElicitedField(args, "user_context", "context");
    json::array messages;
    json::object message;
    message["role"] = "user";
    message["content"] = TextContent("Use this context: " + context);
    messages.emplace_back(std::move(message));
    return messages;
  };
  catalog.prompts.push_back(std::move(mrtr));
}

// The mock upstream: /work (about 50 ms), /fail (500), /items/{id}.
asio::awaitable<http::Response> MockUpstream(http::Request& request) {
  if (request.path == "/work") {
    co_await http::Sleep(std::chrono::milliseconds(50));
    co_return http::MakeResponse(200, R"({"message":"Tool executed successfully"})");
  }
  if (request.path == "/fail") {
    co_return http::MakeResponse(
        500, R"({"message":"This tool intentionally returns an error for testing"})");
  }
  constexpr std::string_view kItems = "/items/";
  if (request.path.substr(0, kItems.size()) == kItems) {
    std::string id = request.path.substr(kItems.size());
    std::string body = "{\"id\":";
    core::AppendJsonString(body, id);
    body += ",\"templateTest\":true,\"data\":";
    core::AppendJsonString(body, "Data for ID: " + id);
    body += '}';
    co_return http::MakeResponse(200, std::move(body));
  }
  co_return http::MakeResponse(404, R"({"message":"not found"})");
}

class Fixtures final : public ConformanceFixtures {
 public:
  std::shared_ptr<exposes::Endpoint> endpoint() const override { return endpoint_; }
  std::shared_ptr<const runtime::Runtime> runtime() const override { return runtime_; }

  std::unique_ptr<http::Server> upstream_;
  std::shared_ptr<const runtime::Runtime> runtime_;
  std::shared_ptr<exposes::Endpoint> endpoint_;
};

}  // namespace

core::Result<std::unique_ptr<ConformanceFixtures>> StartConformanceFixtures(
    const McpOptions& options) {
  auto fixtures = std::make_unique<Fixtures>();
  http::ServerOptions upstream_options;
  upstream_options.address = "127.0.0.1";
  upstream_options.threads = 1;
  fixtures->upstream_ = std::make_unique<http::Server>(upstream_options, MockUpstream);
  CAPSTAN_RETURN_IF_ERROR(fixtures->upstream_->Start());

  spec::LoadedCapability loaded =
      spec::LoadCapabilityFromString(kCapability, "<conformance-fixtures>");
  if (!loaded.ok()) {
    std::string message = "the built-in fixture capability is invalid";
    for (const auto& d : loaded.diagnostics) message += "; " + d.message;
    return Fail(ErrorCode::kInternal, message);
  }
  runtime::RuntimeOptions runtime_options;
  runtime_options.base_uris[std::string(kUpstreamNamespace)] =
      "http://127.0.0.1:" + std::to_string(fixtures->upstream_->port());
  auto rt = runtime::Runtime::Create(loaded.capability, std::move(runtime_options));
  if (!rt) return Fail(std::move(rt).error());
  fixtures->runtime_ = *rt;

  const spec::ExposesMcp* mcp = nullptr;
  for (const auto& e : loaded.capability->capability->exposes) {
    if (const auto* m = std::get_if<spec::ExposesMcp>(&e)) mcp = m;
  }
  auto catalog = BuildCatalog(fixtures->runtime_, *mcp);
  if (!catalog) return Fail(std::move(catalog).error());
  // The capability's tool names are kebab-case (IdentifierKebab); the suite wants snake_case.
  catalog->tool_index.clear();
  for (std::size_t i = 0; i < catalog->tools.size(); ++i) {
    Tool& tool = catalog->tools[i];
    for (char& c : tool.name) c = c == '-' ? '_' : c;
    tool.definition["name"] = tool.name;
    catalog->tool_index[tool.name] = i;
  }
  CAPSTAN_RETURN_IF_ERROR(AddNativeTools(*catalog));
  AddNativeResourcesAndPrompts(*catalog);

  ProtocolOptions po;
  po.server_name = "capstan-conformance-fixtures";
  po.server_version = options.server_version;
  auto protocol = std::make_shared<const Protocol>(
      std::make_shared<const Catalog>(std::move(*catalog)), std::move(po));
  fixtures->endpoint_ =
      MakeHttpEndpoint("mcp adapter '" + std::string(kFixturesNamespace) + "'", fixtures->runtime_,
                       std::move(protocol), InboundAuth(), options);
  return std::unique_ptr<ConformanceFixtures>(std::move(fixtures));
}

}  // namespace capstan::mcp
