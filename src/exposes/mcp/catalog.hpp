// The MCP primitives an adapter offers, compiled once: tools (from McpTool through a runtime
// Invocation, or native fixture code), resources and resource templates, and prompts. Also the
// RequestScope through which a running handler talks back to the client.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include "auth/jwt.hpp"
#include "consumes/upstream_client.hpp"
#include "core/json.hpp"
#include "core/result.hpp"
#include "exposes/mcp/session.hpp"
#include "http/trace.hpp"
#include "jsonschema/schema.hpp"
#include "mapping/template.hpp"
#include "runtime/runtime.hpp"
#include "spec/capability.hpp"

namespace capstan::mcp {

namespace json = core::json;

// What a handler may do while it runs. Related messages go on the request's SSE stream (or
// stdout); in a JSON reply they are dropped, so handlers never need to check.
struct RequestScope {
  Session* session = nullptr;
  std::string protocol_version;
  json::value progress_token;             // null: the client asked for no progress
  int log_level = -1;                     // LogLevelIndex; -1: no log messages
  bool modern = false;                    // 2026-07-28 request
  std::function<void(std::string)> send;  // a related notification or request; may be empty
  std::function<void()> close_stream;     // end the HTTP response now (SSE polling); may be empty
  boost::asio::cancellation_slot cancel;
  consumes::UpstreamClient* client = nullptr;
  std::chrono::milliseconds client_request_timeout{60000};
  // 2026-07-28 input-required results (MRTR): the client's answers to earlier inputRequests, and
  // the payload of the verified requestState it echoed (empty when none).
  json::object input_responses;
  std::string request_state;
  // W3C trace context of the call (HTTP headers, or the request's _meta); upstream calls carry
  // a child of it.
  std::optional<http::TraceContext> trace;
  // The caller an OAuth access token describes (null without one): tool access rules read it.
  std::shared_ptr<const auth::Principal> caller;

  // notifications/message when `level` is at or above the requested level.
  void Log(int level, std::string_view logger, json::value data) const;
  // notifications/progress when the request carried a progressToken; `progress` must grow.
  void Progress(double progress, double total, std::string_view message);
  // Whether Log(level, ...) and Progress would send anything: callers skip building the text of
  // messages nobody listens to (most calls).
  [[nodiscard]] bool Logs(int level) const { return send && log_level >= 0 && level >= log_level; }
  [[nodiscard]] bool ReportsProgress() const { return send && !progress_token.is_null(); }
  [[nodiscard]] bool ClientSupports(std::string_view capability) const;
  // Sends a request to the client on this request's stream and awaits its result (the
  // `result` member) or its error (as kInvalidArgument with the error message).
  [[nodiscard]] boost::asio::awaitable<core::Result<json::value>> AskClient(std::string_view method,
                                                                            json::object params);

 private:
  double last_progress_ = -1;
};

// A tool's outcome: a CallToolResult, or nothing when the request was cancelled.
struct ToolOutcome {
  json::object result;
  // When not empty: the upstream body, one JSON object, byte for byte. It is both the text of the
  // result's one content item and its structuredContent, which `result` then lacks: the reply
  // writer escapes it once and splices it once (ToolResultTextWithJsonBody), no tree, no copy.
  std::string structured_raw;
  bool cancelled = false;
  // 2026-07-28: instead of a result, ask the client for input (`inputRequests`) and to call
  // again; `state` becomes the signed `requestState` it must echo.
  std::optional<json::object> input_requests;
  std::string state;
};

using NativeTool =
    std::function<boost::asio::awaitable<ToolOutcome>(const json::object& args, RequestScope&)>;

struct Tool {
  std::string name;         // on the wire
  json::object definition;  // the tools/list entry
  std::optional<jsonschema::Schema> input_schema;
  std::shared_ptr<const runtime::Invocation> invocation;  // mapped tools
  NativeTool native;                                      // fixture tools
  bool prefers_stream = false;      // talks to the client mid-call: always reply with SSE
  std::string required_capability;  // client capability it needs ("sampling", "elicitation")
  bool confirm = false;             // ask the user (elicitation) before running it
  bool confirms_inner = false;      // may ask for an inner tool (discovery's call_tool)
};

// resources/read contents (array of {uri, mimeType, text|blob}), or an error.
using NativeResource = std::function<boost::asio::awaitable<core::Result<json::array>>(
    const std::string& uri, const json::object& variables, RequestScope&)>;

struct Resource {
  std::string uri;  // a URI, or a template with {name} variables
  bool is_template = false;
  json::object definition;  // the resources/list or resources/templates/list entry
  std::string mime_type;
  std::shared_ptr<const runtime::Invocation> invocation;  // call-backed
  std::string location;                                   // static file or directory
  NativeResource native;
  // Template pieces: literal, variable, literal, ... (even indexes literal).
  std::vector<std::string> pieces;
  // Matches `uri` against the template (or equals it); fills `variables`.
  [[nodiscard]] bool Match(std::string_view uri, json::object& variables) const;
};

// prompts/get messages, or kInvalidArgument for missing arguments.
using NativePrompt = std::function<core::Result<json::array>(const json::object& args)>;

struct Prompt {
  std::string name;
  json::object definition;  // the prompts/list entry
  // 2026-07-28: inputRequests to answer before the prompt renders (given inputResponses), or
  // nullopt when it can render now. Optional.
  std::function<std::optional<json::object>(const json::object& input_responses)> input_required;
  std::vector<std::string> required;
  std::vector<std::pair<std::string, mapping::Template>> messages;  // role, content template
  std::string location;                                             // file:/// prompt text
  NativePrompt native;
};

// A skill served through the draft Skills extension (SEP-2640, io.modelcontextprotocol/skills):
// its skills/list entry ({uri, frontmatter, resources: [{uri, digest, size}]}) and its files,
// read with resources/read. `uri` is skill://<adapter>/<name>/SKILL.md.
struct SkillFileResource {
  std::string uri;
  std::string mime_type;
  std::string bytes;
};
struct SkillEntry {
  std::string uri;
  json::object entry;
  std::vector<SkillFileResource> files;  // SKILL.md first
};
inline constexpr std::string_view kSkillsExtension = "io.modelcontextprotocol/skills";

struct Catalog {
  std::vector<Tool> tools;  // in list order
  std::map<std::string, std::size_t, std::less<>> tool_index;
  std::vector<Resource> resources;  // direct resources and templates
  std::vector<Prompt> prompts;
  std::vector<SkillEntry> skills;
  std::string instructions;  // the adapter's description

  core::Status AddTool(Tool tool);
  [[nodiscard]] const Tool* FindTool(std::string_view name) const;
  [[nodiscard]] const Prompt* FindPrompt(std::string_view name) const;
};

// Builds the catalog of an ExposesMcp block: names, descriptions, input schemas (declared, or
// derived from the called consumed operation), annotations, resources and prompts.
// A tool's hints: an aggregate function's `semantics` first (safe ⇒ readOnly and not
// destructive, idempotent 1:1), then the tool's own `hints`, which win field by field.
[[nodiscard]] spec::McpToolHints ToolHints(const std::optional<spec::McpToolHints>& hints,
                                           const std::optional<spec::Semantics>& semantics);

[[nodiscard]] core::Result<Catalog> BuildCatalog(std::shared_ptr<const runtime::Runtime> runtime,
                                                 const spec::ExposesMcp& spec);

// Keeps `name` when it matches ^[A-Za-z0-9_.-]{1,64}$ (the MCP tool-name characters) and is
// free; otherwise replaces every other character by '_', cuts to 64 characters and appends _2,
// _3, ... until unique.
[[nodiscard]] std::string SanitizeToolName(std::string_view name,
                                           const std::set<std::string>& taken);

// {"type":"object","properties":{...},"required":[...],"additionalProperties":false}
[[nodiscard]] json::object InputSchemaFor(const std::vector<runtime::InputSpec>& inputs);

// Adds a tool whose inputSchema is given verbatim (compiled for validation).
[[nodiscard]] core::Status AddNativeTool(Catalog& catalog, std::string name,
                                         std::string description, json::object input_schema,
                                         NativeTool handler, bool prefers_stream = false,
                                         std::string required_capability = {});

// A boolean hint of the tool's annotations ("readOnlyHint", ...), or `absent` when the tool
// does not give it.
[[nodiscard]] bool Hint(const Tool& tool, std::string_view hint, bool absent);

// The key of the confirmation in a 2026-07-28 tool call's inputResponses.
inline constexpr std::string_view kConfirmInputKey = "capstan_confirm";

// The destructive tools (destructiveHint true, the MCP default, and not readOnly) of `catalog`
// get `confirm`; returns how many.
std::size_t MarkForConfirmation(Catalog& catalog);

// When `tool.confirm` is set and the client declared elicitation: asks the user to confirm the
// call (an elicitation/create request on the reply stream, or a 2026-07-28 input request) and
// returns what to answer instead of running the tool: an input request, or an isError result
// when the user did not accept. nullopt: run it (confirmed, or no confirmation to ask for).
// `args` must outlive the coroutine.
[[nodiscard]] boost::asio::awaitable<std::optional<ToolOutcome>> ConfirmBeforeRunning(
    const Tool& tool, const json::object& args, RequestScope& scope);

// Runs a mapped tool: validates nothing (the caller did), executes the invocation, emits
// gateway progress and log messages, and maps the outcome to a CallToolResult.
[[nodiscard]] boost::asio::awaitable<ToolOutcome> CallMappedTool(const Tool& tool,
                                                                 json::object args,
                                                                 RequestScope& scope);

// Maps an invocation outcome to a CallToolResult (`result`); a JSON object answered with success
// becomes `structured_raw` instead, the text and structured content of the reply (exposed for
// tests).
[[nodiscard]] ToolOutcome ToolResultFor(core::Result<runtime::InvocationResult> outcome,
                                        std::string_view what);

// Reads a resource (the caller matched it): static file(s), an invocation or native code.
[[nodiscard]] boost::asio::awaitable<core::Result<json::array>> ReadResource(
    const Resource& resource, const std::string& uri, const json::object& variables,
    RequestScope& scope);

// Renders a prompt with its arguments (all strings).
[[nodiscard]] core::Result<json::array> RenderPrompt(const Prompt& prompt,
                                                     const json::object& args);

}  // namespace capstan::mcp
