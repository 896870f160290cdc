// Private to src/exposes/mcp: the pieces the transports share — inbound authentication, the
// Host/Origin allow-list, and the constructors of the HTTP endpoint and the stdio loop over a
// compiled Protocol.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/resource_server.hpp"
#include "core/result.hpp"
#include "exposes/mcp/mcp_adapter.hpp"
#include "exposes/mcp/protocol.hpp"
#include "http/message.hpp"

namespace capstan::mcp {

// Inbound authentication of an MCP adapter (bearer, apikey in a header or the query, basic, or
// an OAuth 2.1 resource server validating access tokens: docs/security.md).
class InboundAuth {
 public:
  [[nodiscard]] static core::Result<InboundAuth> Build(
      const runtime::Runtime* runtime, const std::optional<spec::Authentication>& auth,
      std::string_view what);
  // The answer to send instead when the request is not authenticated: 401 with
  // WWW-Authenticate (RFC 6750 / RFC 9728 for oauth2), 403 insufficient_scope, or 503 while an
  // authorization server's keys cannot be had. With oauth2, `principal` (when given) receives
  // the token's subject, scopes and claims.
  [[nodiscard]] boost::asio::awaitable<std::optional<http::Response>> Authenticate(
      const http::Request& request, std::optional<auth::Principal>* principal = nullptr) const;
  [[nodiscard]] bool enabled() const { return kind_ != Kind::kNone; }
  // The OAuth 2.1 resource server, when the adapter is one.
  [[nodiscard]] const std::shared_ptr<auth::ResourceServer>& resource_server() const {
    return oauth_;
  }
  // Same scheme, name and expected credential (adapters may then share an endpoint).
  friend bool operator==(const InboundAuth&, const InboundAuth&) = default;

 private:
  // The static kinds: no I/O.
  [[nodiscard]] std::optional<http::Response> Check(const http::Request& request) const;
  enum class Kind { kNone, kBearer, kApiKeyHeader, kApiKeyQuery, kBasic, kOAuth2 };
  Kind kind_ = Kind::kNone;
  std::string name_;
  std::string expected_;
  std::shared_ptr<auth::ResourceServer> oauth_;
};

// Host header (with or without port) against allowed host names; empty list = loopback names.
[[nodiscard]] bool HostAllowed(std::string_view host_header,
                               const std::vector<std::string>& allowed);
// Origin header against allowed origins or host names; "null" is never allowed.
[[nodiscard]] bool OriginAllowed(std::string_view origin, const std::vector<std::string>& allowed);

// Which reply the client prefers when it accepts both: true when text/event-stream is listed
// before application/json.
[[nodiscard]] bool PrefersEventStream(std::string_view accept);

// `describe` names the endpoint in messages ("mcp adapter 'ns'").
[[nodiscard]] std::shared_ptr<exposes::Endpoint> MakeHttpEndpoint(
    std::string describe, std::shared_ptr<const runtime::Runtime> runtime,
    std::shared_ptr<const Protocol> protocol, InboundAuth auth, McpOptions options);

[[nodiscard]] core::Status RunStdio(std::shared_ptr<const runtime::Runtime> runtime,
                                    std::shared_ptr<const Protocol> protocol, int in_fd,
                                    int out_fd);

// The SSE framing of one message: "id: <id>\nevent: message\ndata: <json>\n\n".
[[nodiscard]] std::string SseEvent(std::string_view id, std::string_view data);

}  // namespace capstan::mcp
