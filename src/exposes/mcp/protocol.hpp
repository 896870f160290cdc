// The transport-independent MCP server: version negotiation and every method of the legacy
// (2025-03-26 .. 2025-11-25) and stateless 2026-07-28 revisions, dispatched against a Catalog.
// Transports (Streamable HTTP, stdio) classify messages and own sessions and streams.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/json.hpp"
#include "exposes/mcp/access.hpp"
#include "exposes/mcp/catalog.hpp"
#include "exposes/mcp/jsonrpc.hpp"
#include "exposes/mcp/session.hpp"

namespace capstan::mcp {

inline constexpr std::string_view kModernVersion = "2026-07-28";
inline constexpr std::string_view kLatestLegacyVersion = "2025-11-25";
inline constexpr std::string_view kDefaultHeaderVersion = "2025-03-26";

// Every version capstan speaks, newest first.
[[nodiscard]] const std::vector<std::string>& SupportedVersions();
[[nodiscard]] bool IsSupportedVersion(std::string_view version);
[[nodiscard]] bool IsLegacyVersion(std::string_view version);
// initialize: the requested version when it is a supported legacy one, else the latest legacy.
[[nodiscard]] std::string NegotiateVersion(std::string_view requested);

// The _meta keys of 2026-07-28 requests and results.
inline constexpr std::string_view kMetaProtocolVersion = "io.modelcontextprotocol/protocolVersion";
inline constexpr std::string_view kMetaClientCapabilities =
    "io.modelcontextprotocol/clientCapabilities";
inline constexpr std::string_view kMetaClientInfo = "io.modelcontextprotocol/clientInfo";
inline constexpr std::string_view kMetaLogLevel = "io.modelcontextprotocol/logLevel";
inline constexpr std::string_view kMetaServerInfo = "io.modelcontextprotocol/serverInfo";

// The text of the isError result of a tools/call whose arguments fail the tool's inputSchema:
// the most telling errors (at most five), unknown arguments named as such.
[[nodiscard]] std::string ValidationText(std::string_view tool,
                                         const std::vector<jsonschema::ValidationError>& errors);

// The trace context a request's `params._meta` carries (`traceparent`, `tracestate`), if any.
[[nodiscard]] std::optional<http::TraceContext> MetaTraceContext(const json::object* params);

struct ProtocolOptions {
  std::string server_name = "capstan";
  std::string server_title;
  std::string server_version = "0.1.0";
  std::size_t page_size = 100;        // tools, resources, prompts per page
  std::int64_t list_ttl_ms = 300000;  // 2026-07-28 ttlMs on cacheable results
  bool private_cache = false;         // cacheScope "private" (inbound auth) or "public"
  bool tools_list_changed = false;    // legacy capabilities.tools.listChanged (hot reload)
  // Per-caller tool access (RequestScope::caller); null: every tool for everyone.
  std::shared_ptr<const std::vector<AccessRule>> access;
};

class Protocol {
 public:
  Protocol(std::shared_ptr<const Catalog> catalog, ProtocolOptions options);

  [[nodiscard]] const Catalog& catalog() const { return *catalog_; }
  [[nodiscard]] const ProtocolOptions& options() const { return options_; }

  // The initialize result for a negotiated legacy version.
  [[nodiscard]] json::object InitializeResult(std::string_view version) const;
  [[nodiscard]] json::object Capabilities(bool modern = false) const;

  // True when a request's reply should be an SSE stream: progress was asked for, log messages
  // may be sent, or the tool talks to the client mid-call.
  [[nodiscard]] bool WantsStream(const Message& request, const Session& session) const;

  struct Reply {
    std::string text;       // the JSON-RPC response; empty when `cancelled`
    int http_status = 200;  // 2026-07-28 maps some errors to 400/404
    bool cancelled = false;
  };
  // Handles one request (not initialize, which the transports answer with InitializeResult).
  [[nodiscard]] boost::asio::awaitable<Reply> HandleRequest(const Message& request,
                                                            Session& session,
                                                            RequestScope& scope) const;
  // The errors a request gets before any work: unknown method, unknown tool, a client
  // capability the tool needs (2026-07-28). Lets the transport pick the HTTP status first.
  [[nodiscard]] std::optional<Reply> Precheck(const Message& request, const Session& session) const;
  // Handles a notification (initialized, cancelled, roots/list_changed ...).
  void HandleNotification(const Message& notification, Session& session) const;

  // 2026-07-28: checks the request's _meta (protocol version, client capabilities) and fills
  // the per-request session. Returns an error reply (HTTP 400) when they are missing or bad.
  [[nodiscard]] std::optional<Reply> PrepareModernRequest(const Message& request,
                                                          Session& session) const;

 private:
  [[nodiscard]] json::object Cacheable(json::object result, const Session& session) const;
  [[nodiscard]] Reply Error(const Message& request, const Session& session, int code,
                            std::string_view message, const json::value* data = nullptr) const;
  // With `raw_key`, the result gets one more member whose value is the well-formed JSON text
  // `raw_json`, written verbatim.
  [[nodiscard]] Reply Result(const Message& request, const Session& session, json::object result,
                             std::string_view raw_key = {}, std::string_view raw_json = {}) const;
  // A tools/call result whose text and structuredContent are `json_body` (a tool's upstream
  // body, one well-formed JSON object): ToolResultTextWithJsonBody.
  [[nodiscard]] Reply ToolResult(const Message& request, const Session& session,
                                 json::object result, std::string_view json_body) const;
  // `result` with the members a 2026-07-28 session's results carry (resultType, serverInfo).
  [[nodiscard]] json::object WithModernMembers(json::object result, const Session& session) const;
  [[nodiscard]] boost::asio::awaitable<Reply> CallTool(const Message& request, Session& session,
                                                       RequestScope& scope) const;
  [[nodiscard]] Reply SkillsRequest(const Message& request, const Session& session) const;
  // resources/read of a skill's file, or nullopt when `uri` is not one.
  [[nodiscard]] std::optional<Reply> ReadSkillFile(const Message& request, const Session& session,
                                                   std::string_view uri) const;
  [[nodiscard]] boost::asio::awaitable<Reply> ReadResourceRequest(const Message& request,
                                                                  Session& session,
                                                                  RequestScope& scope) const;
  // The entries of a list method (tools, resources, ...), each serialised once at start-up:
  // a page is spliced from their texts instead of copying and writing JSON trees per request.
  struct Listing {
    std::vector<std::string> texts;
    void Add(const json::object& entry);
    [[nodiscard]] bool empty() const { return texts.empty(); }
  };
  [[nodiscard]] Reply ListPage(const Message& request, const Session& session,
                               std::string_view member, const Listing& all) const;
  // tools/list; with access rules, of the caller's tools only.
  [[nodiscard]] Reply ListTools(const Message& request, const Session& session,
                                const RequestScope& scope) const;

  std::shared_ptr<const Catalog> catalog_;
  ProtocolOptions options_;
  Listing tool_list_;
  Listing resource_list_;
  Listing template_list_;
  Listing prompt_list_;
  Listing skill_list_;
  // skill file URI → (skill, file) indexes into catalog_->skills.
  std::map<std::string, std::pair<std::size_t, std::size_t>, std::less<>> skill_files_;
};

}  // namespace capstan::mcp
