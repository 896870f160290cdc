// An OAuth 2.1 resource server (alpha2 `authentication: {type: oauth2}` on an exposed adapter):
// the authorization server's keys, found through its RFC 8414 (or OIDC) metadata and cached,
// refreshed when a token names an unknown kid (at most once per interval), access tokens
// validated against them, and the RFC 9728 protected resource metadata. Key fetches run on a
// thread of their own; the request loops only await them.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "auth/jwt.hpp"
#include "consumes/upstream_client.hpp"
#include "core/json.hpp"
#include "core/result.hpp"
#include "spec/capability.hpp"

namespace capstan::auth {

struct ResourceServerOptions {
  std::string issuer;               // authorizationServerUri
  std::string resource;             // this server's canonical URI (RFC 8707)
  std::string audience;             // the expected "aud"; the resource when empty
  std::vector<std::string> scopes;  // scopes_supported in the metadata
  // tokenValidation: introspection (RFC 7662) instead of local JWT checks: each new token is
  // POSTed to the introspection_endpoint of the metadata, with HTTP Basic client credentials
  // when given; answers are cached (active: until exp, at most introspection_cache; inactive:
  // 10 s).
  bool introspection = false;
  std::string client_id;
  std::string client_secret;
  std::chrono::seconds introspection_cache{60};
  std::chrono::seconds min_refresh_interval{30};
  std::chrono::seconds leeway{60};
  std::shared_ptr<consumes::TlsContext> tls;  // for https authorization servers
  consumes::UpstreamLimits limits = [] {
    consumes::UpstreamLimits l;
    l.connect_timeout = std::chrono::seconds(3);
    l.read_timeout = std::chrono::seconds(5);
    l.total_timeout = std::chrono::seconds(8);
    l.max_response_bytes = 1 << 20;
    return l;
  }();
};

// The outcome of checking a request's credentials.
struct AuthOutcome {
  enum class Kind { kOk, kMissing, kInvalid, kUnavailable };
  Kind kind = Kind::kMissing;
  Principal principal;      // kOk
  std::string description;  // kInvalid, kUnavailable: why (no token text)
};

// How to answer a request that Authenticate() did not let through: 401 (missing or invalid
// token), 403 (insufficient scope) or 503 (keys unavailable), the WWW-Authenticate value (empty
// for 503), a reason for the body, and Retry-After seconds (0: none).
struct Refusal {
  int status = 401;
  std::string challenge;
  std::string reason;
  int retry_after = 0;
};

class ResourceServer {
 public:
  // The resource server an exposed adapter's `authentication: {type: oauth2}` declares. Its own
  // credentials for introspection come from CAPSTAN_OAUTH_CLIENT_ID / CAPSTAN_OAUTH_CLIENT_SECRET
  // (alpha2 has no place for them).
  [[nodiscard]] static core::Result<std::shared_ptr<ResourceServer>> FromSpec(
      const spec::AuthOAuth2& oauth, std::shared_ptr<consumes::TlsContext> tls);
  [[nodiscard]] static core::Result<std::shared_ptr<ResourceServer>> Create(
      ResourceServerOptions options);
  ~ResourceServer();
  ResourceServer(const ResourceServer&) = delete;
  ResourceServer& operator=(const ResourceServer&) = delete;

  // Validates `Authorization: Bearer <token>` (`header`, empty when absent).
  [[nodiscard]] boost::asio::awaitable<AuthOutcome> Authenticate(std::string_view header);

  // What to answer instead of serving the request (nullopt: serve it): the outcome's refusal, or
  // 403 when the adapter names scopes and the token carries none of them.
  [[nodiscard]] std::optional<Refusal> RefusalFor(const AuthOutcome& outcome) const;

  // RFC 9728: {"resource", "authorization_servers", "scopes_supported",
  // "bearer_methods_supported"}.
  [[nodiscard]] json::object Metadata() const;
  // Where Metadata() is served: <origin of resource>/.well-known/oauth-protected-resource<path>.
  [[nodiscard]] const std::string& metadata_url() const { return metadata_url_; }
  // The path part of metadata_url() (what a listener matches).
  [[nodiscard]] const std::string& metadata_path() const { return metadata_path_; }
  [[nodiscard]] const ResourceServerOptions& options() const { return options_; }

  // The RFC 8414 metadata URL of an issuer: /.well-known/oauth-authorization-server inserted
  // between the host and the issuer's path.
  [[nodiscard]] static std::string AuthorizationServerMetadataUrl(const std::string& issuer);

 private:
  struct Fetcher;
  explicit ResourceServer(ResourceServerOptions options);
  ResourceServerOptions options_;
  TokenPolicy policy_;
  std::string metadata_url_;
  std::string metadata_path_;
  std::unique_ptr<Fetcher> fetcher_;
};

}  // namespace capstan::auth
