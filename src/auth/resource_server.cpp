#include "auth/resource_server.hpp"

#include <cstdlib>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/parse.hpp>
#include <openssl/evp.h>

#include "core/base64.hpp"
#include "core/percent.hpp"

namespace capstan::auth {

using core::ErrorCode;
using core::Fail;
namespace asio = boost::asio;

namespace {

// "https://as.example/tenant" → origin "https://as.example", path "/tenant".
core::Result<std::pair<std::string, std::string>> SplitUrl(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed || (parsed->scheme() != "http" && parsed->scheme() != "https") ||
      parsed->host().empty()) {
    return Fail(ErrorCode::kInvalidArgument, "'" + std::string(url) + "' is not an http(s) URL");
  }
  std::string origin = std::string(parsed->scheme()) + "://" + std::string(parsed->encoded_host());
  if (parsed->has_port()) origin += ":" + std::string(parsed->port());
  std::string target(parsed->encoded_path());
  if (parsed->has_query()) target += "?" + std::string(parsed->encoded_query());
  return std::make_pair(std::move(origin), std::move(target));
}

}  // namespace

struct ResourceServer::Fetcher {
  asio::io_context ioc;
  asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
  consumes::UpstreamClient client;
  asio::steady_timer inflight{ioc};
  const ResourceServerOptions& options;
  // Fetch thread only:
  std::string jwks_uri;
  std::string introspection_endpoint;
  struct Introspected {
    std::chrono::steady_clock::time_point until;
    bool active = false;
    Principal principal;
    std::string why;
  };
  std::unordered_map<std::string, Introspected> introspected;  // by SHA-256 of the token
  bool fetching = false;
  std::chrono::steady_clock::time_point last_attempt{};
  std::string last_error;
  // Any thread:
  mutable std::mutex mu;
  std::shared_ptr<const KeySet> keys;
  std::thread thread;

  explicit Fetcher(const ResourceServerOptions& o)
      : client(ioc.get_executor(), o.tls), options(o), thread([this] { ioc.run(); }) {}
  ~Fetcher() {
    work.reset();
    ioc.stop();
    thread.join();
  }

  std::shared_ptr<const KeySet> Current() const {
    std::lock_guard<std::mutex> lock(mu);
    return keys;
  }

  asio::awaitable<core::Result<std::string>> Get(const std::string& url) {
    auto split = SplitUrl(url);
    if (!split) co_return Fail(std::move(split).error());
    auto origin = consumes::ParseOrigin(split->first);
    if (!origin) co_return Fail(std::move(origin).error());
    consumes::UpstreamRequest request;
    request.target = split->second.empty() ? "/" : split->second;
    request.headers.Set("Accept", "application/json");
    consumes::CallOptions call;
    call.limits = options.limits;
    auto response = co_await client.Send(*origin, std::move(request), call);
    if (!response) co_return Fail(std::move(response).error());
    if (response->status != 200) {
      co_return Fail(ErrorCode::kUpstreamError,
                     "GET " + url + " answered " + std::to_string(response->status));
    }
    co_return std::move(response->body);
  }

  // The jwks_uri (or, for introspection, the introspection_endpoint) from the RFC 8414
  // metadata (or OIDC discovery), whose issuer must be ours.
  asio::awaitable<core::Result<std::string>> Discover(std::string_view member = "jwks_uri") {
    std::string why;
    for (const std::string& url :
         {AuthorizationServerMetadataUrl(options.issuer),
          (options.issuer.back() == '/' ? options.issuer.substr(0, options.issuer.size() - 1)
                                        : options.issuer) +
              "/.well-known/openid-configuration"}) {
      auto body = co_await Get(url);
      if (!body) {
        why = body.error().message;
        continue;
      }
      auto parsed = core::ParseJson(*body);
      if (!parsed || !parsed->is_object()) {
        why = url + " is not a JSON object";
        continue;
      }
      const json::object& meta = parsed->get_object();
      const json::value* issuer = meta.if_contains("issuer");
      if (issuer == nullptr || !issuer->is_string() || issuer->get_string() != options.issuer) {
        co_return Fail(ErrorCode::kUpstreamError,
                       url + " names another issuer than " + options.issuer);
      }
      const json::value* found = meta.if_contains(member);
      if (found == nullptr || !found->is_string()) {
        co_return Fail(ErrorCode::kUpstreamError, url + " has no " + std::string(member));
      }
      co_return std::string(found->get_string());
    }
    co_return Fail(ErrorCode::kUpstreamUnavailable, "authorization server metadata: " + why);
  }

  // RFC 7662: what the authorization server says of `token`, cached by its digest.
  asio::awaitable<AuthOutcome> Introspect(std::string token, const TokenPolicy& policy) {
    AuthOutcome out;
    const std::string key = Digest(token);
    const auto now = std::chrono::steady_clock::now();
    if (auto it = introspected.find(key); it != introspected.end() && now < it->second.until) {
      out.kind = it->second.active ? AuthOutcome::Kind::kOk : AuthOutcome::Kind::kInvalid;
      out.principal = it->second.principal;
      out.description = it->second.why;
      co_return out;
    }
    if (introspection_endpoint.empty()) {
      auto found = co_await Discover("introspection_endpoint");
      if (!found) {
        out.kind = AuthOutcome::Kind::kUnavailable;
        out.description = found.error().message;
        co_return out;
      }
      introspection_endpoint = std::move(*found);
    }
    auto split = SplitUrl(introspection_endpoint);
    auto origin = split ? consumes::ParseOrigin(split->first)
                        : core::Result<consumes::Origin>(Fail(split.error()));
    if (!origin) {
      out.kind = AuthOutcome::Kind::kUnavailable;
      out.description = "introspection_endpoint: " + origin.error().message;
      co_return out;
    }
    consumes::UpstreamRequest request;
    request.method = "POST";
    request.target = split->second.empty() ? "/" : split->second;
    request.headers.Set("Content-Type", "application/x-www-form-urlencoded");
    request.headers.Set("Accept", "application/json");
    if (!options.client_id.empty()) {
      request.headers.Set(
          "Authorization",
          "Basic " + core::EncodeBase64(
                         core::PercentEncode(options.client_id, core::UrlPart::kForm) + ":" +
                         core::PercentEncode(options.client_secret, core::UrlPart::kForm)));
    }
    request.body = "token=" + core::PercentEncode(token, core::UrlPart::kForm) +
                   "&token_type_hint=access_token";
    consumes::CallOptions call;
    call.limits = options.limits;
    auto response = co_await client.Send(*origin, std::move(request), call);
    if (!response || response->status != 200) {
      out.kind = AuthOutcome::Kind::kUnavailable;
      out.description = response ? "introspection answered " + std::to_string(response->status)
                                 : response.error().message;
      co_return out;
    }
    auto parsed = core::ParseJson(response->body);
    const json::object* answer = parsed && parsed->is_object() ? &parsed->get_object() : nullptr;
    const json::value* active = answer ? answer->if_contains("active") : nullptr;
    if (active == nullptr || !active->is_bool()) {
      out.kind = AuthOutcome::Kind::kUnavailable;
      out.description = "the introspection answer has no \"active\"";
      co_return out;
    }
    Introspected entry;
    entry.until = now + std::chrono::seconds(10);
    if (!active->get_bool()) {
      entry.why = "token is not active";
    } else {
      auto principal = IntrospectedPrincipal(*answer, policy);
      if (principal) {
        entry.active = true;
        entry.principal = std::move(*principal);
        auto cap = now + options.introspection_cache;
        if (const json::value* exp = answer->if_contains("exp"); exp && exp->is_number()) {
          const double left =
              exp->to_number<double>() -
              std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                  .count();
          cap = std::min(cap,
                         now + std::chrono::seconds(static_cast<long long>(std::max(0.0, left))));
        }
        entry.until = cap;
      } else {
        entry.why = principal.error();
      }
    }
    if (introspected.size() > 10000) {
      for (auto it = introspected.begin(); it != introspected.end();) {
        it = it->second.until <= now ? introspected.erase(it) : std::next(it);
      }
      if (introspected.size() > 10000) introspected.clear();
    }
    out.kind = entry.active ? AuthOutcome::Kind::kOk : AuthOutcome::Kind::kInvalid;
    out.principal = entry.principal;
    out.description = entry.why;
    introspected[key] = std::move(entry);
    co_return out;
  }

  // An active introspection answer's claims, checked as a JWT's would be where present.
  static tl::expected<Principal, std::string> IntrospectedPrincipal(const json::object& a,
                                                                    const TokenPolicy& policy) {
    if (const json::value* iss = a.if_contains("iss");
        iss && (!iss->is_string() || iss->get_string() != policy.issuer)) {
      return tl::unexpected(std::string("wrong issuer"));
    }
    if (const json::value* aud = a.if_contains("aud")) {
      bool ok = aud->is_string() && aud->get_string() == policy.audience;
      if (aud->is_array()) {
        for (const json::value& v : aud->get_array()) {
          ok = ok || (v.is_string() && v.get_string() == policy.audience);
        }
      }
      if (!ok) return tl::unexpected(std::string("wrong audience"));
    }
    if (const json::value* exp = a.if_contains("exp"); exp && exp->is_number()) {
      const double now =
          std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
              .count();
      if (now > exp->to_number<double>() + static_cast<double>(policy.leeway.count())) {
        return tl::unexpected(std::string("expired"));
      }
    }
    Principal p;
    if (const json::value* sub = a.if_contains("sub"); sub && sub->is_string()) {
      p.subject = std::string(sub->get_string());
    }
    if (const json::value* scope = a.if_contains("scope"); scope && scope->is_string()) {
      p.scopes = SplitScopes(scope->get_string());
    }
    p.claims = a;
    return p;
  }

  static std::string Digest(std::string_view token) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_Digest(token.data(), token.size(), digest, &size, EVP_sha256(), nullptr);
    return std::string(reinterpret_cast<char*>(digest), size);
  }

  // New keys, unless keys were fetched less than min_refresh_interval ago (then the current
  // ones). Concurrent callers wait for the fetch in flight.
  asio::awaitable<core::Result<std::shared_ptr<const KeySet>>> Refresh() {
    if (fetching) {
      inflight.expires_after(options.limits.total_timeout * 2);
      co_await inflight.async_wait(asio::as_tuple(asio::use_awaitable));
      if (auto k = Current()) co_return k;
      co_return Fail(ErrorCode::kUpstreamUnavailable, last_error);
    }
    const auto now = std::chrono::steady_clock::now();
    auto current = Current();
    if (last_attempt != std::chrono::steady_clock::time_point{} &&
        now - last_attempt < options.min_refresh_interval) {
      if (current) co_return current;
      co_return Fail(ErrorCode::kUpstreamUnavailable, last_error);
    }
    last_attempt = now;
    fetching = true;
    core::Result<std::shared_ptr<const KeySet>> outcome = current;
    if (jwks_uri.empty()) {
      auto discovered = co_await Discover();
      if (discovered) {
        jwks_uri = std::move(*discovered);
      } else {
        outcome = Fail(std::move(discovered).error());
      }
    }
    if (!jwks_uri.empty()) {
      auto body = co_await Get(jwks_uri);
      auto set = body ? KeySet::FromJson(*body) : core::Result<KeySet>(Fail(body.error()));
      if (set && set->keys.empty()) {
        set = Fail(ErrorCode::kUpstreamError, "the JWK Set at " + jwks_uri + " has no usable key");
      }
      if (set) {
        auto fresh = std::make_shared<const KeySet>(std::move(*set));
        std::lock_guard<std::mutex> lock(mu);
        keys = fresh;
        outcome = fresh;
      } else {
        outcome = Fail(std::move(set).error());
      }
    }
    fetching = false;
    last_error = outcome ? std::string() : outcome.error().message;
    inflight.cancel();
    co_return outcome;
  }
};

std::string ResourceServer::AuthorizationServerMetadataUrl(const std::string& issuer) {
  auto split = SplitUrl(issuer);
  if (!split) return issuer + "/.well-known/oauth-authorization-server";
  std::string path = split->second == "/" ? std::string() : split->second;
  while (!path.empty() && path.back() == '/') path.pop_back();
  return split->first + "/.well-known/oauth-authorization-server" + path;
}

ResourceServer::ResourceServer(ResourceServerOptions options) : options_(std::move(options)) {}

ResourceServer::~ResourceServer() = default;

core::Result<std::shared_ptr<ResourceServer>> ResourceServer::Create(
    ResourceServerOptions options) {
  auto issuer = SplitUrl(options.issuer);
  if (!issuer) {
    return Fail(ErrorCode::kInvalidArgument, "authorizationServerUri: " + issuer.error().message);
  }
  auto resource = SplitUrl(options.resource);
  if (!resource) return Fail(ErrorCode::kInvalidArgument, "resource: " + resource.error().message);
  std::shared_ptr<ResourceServer> rs(new ResourceServer(std::move(options)));
  rs->policy_.issuer = rs->options_.issuer;
  rs->policy_.audience =
      rs->options_.audience.empty() ? rs->options_.resource : rs->options_.audience;
  rs->policy_.leeway = rs->options_.leeway;
  std::string path = resource->second == "/" ? std::string() : resource->second;
  const std::size_t q = path.find('?');
  if (q != std::string::npos) path.resize(q);
  rs->metadata_path_ = "/.well-known/oauth-protected-resource" + path;
  rs->metadata_url_ = resource->first + rs->metadata_path_;
  rs->fetcher_ = std::make_unique<Fetcher>(rs->options_);
  if (rs->options_.introspection) return rs;
  // Fetch the keys now, so that the first request finds them.
  asio::co_spawn(
      rs->fetcher_->ioc,
      [f = rs->fetcher_.get()]() -> asio::awaitable<void> { (void)co_await f->Refresh(); },
      asio::detached);
  return rs;
}

core::Result<std::shared_ptr<ResourceServer>> ResourceServer::FromSpec(
    const spec::AuthOAuth2& oauth, std::shared_ptr<consumes::TlsContext> tls) {
  ResourceServerOptions o;
  o.issuer = oauth.authorization_server_uri;
  o.resource = oauth.resource;
  o.audience = oauth.audience.value_or("");
  o.scopes = oauth.scopes;
  o.introspection = oauth.token_validation == spec::TokenValidation::kIntrospection;
  if (const char* id = std::getenv("CAPSTAN_OAUTH_CLIENT_ID")) o.client_id = id;
  if (const char* secret = std::getenv("CAPSTAN_OAUTH_CLIENT_SECRET")) o.client_secret = secret;
  o.tls = std::move(tls);
  return Create(std::move(o));
}

namespace {

// A quoted-string for a WWW-Authenticate parameter (RFC 9110 §5.6.4), control bytes dropped.
std::string Quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out += c;
  }
  return out + "\"";
}

}  // namespace

std::optional<Refusal> ResourceServer::RefusalFor(const AuthOutcome& outcome) const {
  std::string challenge = "Bearer resource_metadata=" + Quoted(metadata_url_);
  std::string scopes;
  for (const std::string& s : options_.scopes) scopes += (scopes.empty() ? "" : " ") + s;
  switch (outcome.kind) {
    case AuthOutcome::Kind::kOk:
      break;
    case AuthOutcome::Kind::kMissing:
      if (!scopes.empty()) challenge += ", scope=" + Quoted(scopes);
      return Refusal{401, std::move(challenge), "an access token is required", 0};
    case AuthOutcome::Kind::kInvalid:
      return Refusal{
          401,
          challenge + ", error=\"invalid_token\", error_description=" + Quoted(outcome.description),
          "invalid access token: " + outcome.description, 0};
    case AuthOutcome::Kind::kUnavailable:
      return Refusal{503, "", "the authorization server's keys cannot be fetched", 5};
  }
  // A token for this resource carries one of the scopes it recognises (when it names some).
  if (options_.scopes.empty()) return std::nullopt;
  for (const std::string& s : options_.scopes) {
    if (outcome.principal.HasScope(s)) return std::nullopt;
  }
  return Refusal{403, challenge + ", error=\"insufficient_scope\", scope=" + Quoted(scopes),
                 "insufficient scope", 0};
}

json::object ResourceServer::Metadata() const {
  json::object m;
  m["resource"] = options_.resource;
  m["authorization_servers"] = json::array{json::value(options_.issuer)};
  json::array scopes;
  for (const std::string& s : options_.scopes) scopes.emplace_back(s);
  m["scopes_supported"] = std::move(scopes);
  m["bearer_methods_supported"] = json::array{json::value("header")};
  return m;
}

asio::awaitable<AuthOutcome> ResourceServer::Authenticate(std::string_view header) {
  AuthOutcome out;
  if (header.size() < 8 ||
      !(header.substr(0, 7) == "Bearer " || header.substr(0, 7) == "bearer ")) {
    co_return out;  // kMissing
  }
  std::string_view token = header.substr(7);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty()) co_return out;
  if (options_.introspection) {
    // A named local, not a temporary inside the co_await (GCC 12 destroys those twice).
    auto introspect = [f = fetcher_.get(), t = std::string(token), &policy = policy_] {
      return f->Introspect(t, policy);
    };
    AuthOutcome answer =
        co_await asio::co_spawn(fetcher_->ioc, std::move(introspect), asio::use_awaitable);
    co_return answer;
  }
  auto keys = fetcher_->Current();
  if (keys) {
    auto checked = ValidateAccessToken(token, *keys, policy_);
    if (checked) {
      out.kind = AuthOutcome::Kind::kOk;
      out.principal = std::move(*checked);
      co_return out;
    }
    if (!checked.error().unknown_key) {
      out.kind = AuthOutcome::Kind::kInvalid;
      out.description = checked.error().description;
      co_return out;
    }
  }
  // No keys yet, or a kid we do not know (the server may have rotated): refresh, bounded.
  auto refreshed = co_await asio::co_spawn(
      fetcher_->ioc, [f = fetcher_.get()] { return f->Refresh(); }, asio::use_awaitable);
  if (!refreshed) {
    out.kind = keys ? AuthOutcome::Kind::kInvalid : AuthOutcome::Kind::kUnavailable;
    out.description = keys ? "no key for the token's kid (the keys could not be refreshed)"
                           : "the authorization server's keys are unavailable";
    co_return out;
  }
  auto checked = ValidateAccessToken(token, **refreshed, policy_);
  if (checked) {
    out.kind = AuthOutcome::Kind::kOk;
    out.principal = std::move(*checked);
  } else {
    out.kind = AuthOutcome::Kind::kInvalid;
    out.description = checked.error().description;
  }
  co_return out;
}

}  // namespace capstan::auth
