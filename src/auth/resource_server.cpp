#include "auth/resource_server.hpp"

#include <mutex>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/parse.hpp>

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

  // The jwks_uri from the RFC 8414 metadata (or OIDC discovery), whose issuer must be ours.
  asio::awaitable<core::Result<std::string>> Discover() {
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
      const json::value* jwks = meta.if_contains("jwks_uri");
      if (jwks == nullptr || !jwks->is_string()) {
        co_return Fail(ErrorCode::kUpstreamError, url + " has no jwks_uri");
      }
      co_return std::string(jwks->get_string());
    }
    co_return Fail(ErrorCode::kUpstreamUnavailable, "authorization server metadata: " + why);
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
  // Fetch the keys now, so that the first request finds them.
  asio::co_spawn(
      rs->fetcher_->ioc,
      [f = rs->fetcher_.get()]() -> asio::awaitable<void> { (void)co_await f->Refresh(); },
      asio::detached);
  return rs;
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
