#include "sim/simulator.hpp"

#include <random>

#include "core/json.hpp"
#include "core/percent.hpp"
#include "http/route.hpp"
#include "http/server.hpp"
#include "sim/errors.hpp"
#include "sim/list_query.hpp"

namespace capstan::sim {
namespace {

http::Response RouteNotFound() {
  return JsonResponse(404, R"({"message":"no such route","type":"not_found"})");
}

http::Response MethodNotAllowed(std::string_view allow) {
  http::Response response =
      JsonResponse(405, R"({"message":"method not allowed","type":"method_not_allowed"})");
  response.headers.Set("Allow", allow);
  return response;
}

double UniformRandom() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

}  // namespace

std::vector<TokenGrant> MergeTokens(const std::vector<TokenGrant>& seed,
                                    const std::vector<TokenGrant>& flags) {
  std::vector<TokenGrant> out;
  for (const TokenGrant& grant : seed) {
    bool replaced = false;
    for (const TokenGrant& flag : flags) replaced = replaced || flag.secret_key == grant.secret_key;
    if (!replaced) out.push_back(grant);
  }
  out.insert(out.end(), flags.begin(), flags.end());
  if (out.empty()) out.push_back(TokenGrant{std::string(kDefaultToken), std::nullopt});
  return out;
}

Simulator::Simulator(std::unique_ptr<JwtStore> store, SimulatorOptions options)
    : store_(std::move(store)), options_(std::move(options)) {
  for (const TokenGrant& grant : options_.tokens) tokens_[grant.secret_key] = grant;
  while (!options_.path_prefix.empty() && options_.path_prefix.back() == '/') {
    options_.path_prefix.pop_back();
  }
  bucket_tokens_ = options_.rate_limit;
  bucket_refilled_ = std::chrono::steady_clock::now();
}

Simulator::Route Simulator::Match(std::string_view path, std::string_view& jti) const {
  if (!options_.path_prefix.empty()) {
    if (auto rest = http::StripPathPrefix(path, options_.path_prefix)) path = *rest;
  }
  if (path == kCollectionPath) return Route::kList;
  if (path == "/metadata") return Route::kMetadata;
  if (path.size() > kCollectionPath.size() + 1 &&
      path.substr(0, kCollectionPath.size()) == kCollectionPath &&
      path[kCollectionPath.size()] == '/') {
    std::string_view rest = path.substr(kCollectionPath.size() + 1);
    if (rest.find('/') != std::string_view::npos) return Route::kNone;
    jti = rest;
    return Route::kItem;
  }
  return Route::kNone;
}

const TokenGrant* Simulator::Authenticate(const http::Request& request,
                                          http::Response& denied) const {
  auto token = request.headers.Get("X-Auth-Token");
  if (!token || token->empty()) {
    denied = DeniedAuthentication("invalid_argument");
    return nullptr;
  }
  auto it = tokens_.find(std::string(*token));
  if (it == tokens_.end()) {
    denied = DeniedAuthentication(IsUuid(*token) ? "not_found" : "invalid_argument");
    return nullptr;
  }
  return &it->second;
}

http::Response Simulator::Handle(const http::Request& request, Micros now) {
  std::string_view raw_jti;
  Route route = Match(request.path, raw_jti);
  if (route == Route::kNone) return RouteNotFound();
  if (route == Route::kMetadata) {
    if (request.method != "GET") return MethodNotAllowed("GET");
    return JsonResponse(200, R"({"domain":"scw.eu","partition":"scw","platform":"external"})");
  }
  bool is_get = request.method == "GET";
  if (route == Route::kList && !is_get) return MethodNotAllowed("GET");
  if (route == Route::kItem && !is_get && request.method != "DELETE") {
    return MethodNotAllowed("GET, DELETE");
  }
  http::Response denied;
  const TokenGrant* grant = Authenticate(request, denied);
  if (!grant) return denied;
  if (route == Route::kList) return List(request, *grant, now);
  return Item(request, raw_jti, *grant);
}

http::Response Simulator::List(const http::Request& request, const TokenGrant& grant,
                               Micros now) const {
  auto query = ParseListQuery(request.query);
  if (!query) return InvalidArguments(query.error());
  if (grant.user_id && *grant.user_id != query->audience_id) {
    return PermissionsDenied("read", "jwt");
  }
  std::string body;
  store_->RenderList(*query, now, body);
  return JsonResponse(200, std::move(body));
}

http::Response Simulator::Item(const http::Request& request, std::string_view raw_jti,
                               const TokenGrant& grant) {
  auto jti = core::PercentDecode(raw_jti);
  if (!jti || !IsUuid(*jti)) {
    return InvalidArguments({{"jti", "format", "value must be a valid UUID"}});
  }
  std::string key = ToLower(*jti);
  StoredJwtPtr stored = store_->Find(key);
  if (!stored) return NotFound("jwt", *jti);
  bool is_get = request.method == "GET";
  if (grant.user_id && *grant.user_id != stored->jwt.audience_id) {
    return PermissionsDenied(is_get ? "read" : "write", "jwt");
  }
  if (is_get) return JsonResponse(200, stored->json);
  if (!store_->Erase(key)) return NotFound("jwt", *jti);  // deleted concurrently
  return JsonResponse(204, "");
}

bool Simulator::AdmitRateLimited() {
  std::lock_guard lock(bucket_mu_);
  auto now = std::chrono::steady_clock::now();
  double elapsed = std::chrono::duration<double>(now - bucket_refilled_).count();
  bucket_refilled_ = now;
  bucket_tokens_ = std::min(options_.rate_limit, bucket_tokens_ + elapsed * options_.rate_limit);
  if (bucket_tokens_ < 1.0) return false;
  bucket_tokens_ -= 1.0;
  return true;
}

bool Simulator::ShouldFail() const { return UniformRandom() < options_.fail_rate; }

boost::asio::awaitable<http::Response> Simulator::Serve(http::Request& request) {
  if (options_.rate_limit > 0 && !AdmitRateLimited()) co_return RateLimited();
  if (options_.latency.count() > 0) co_await http::Sleep(options_.latency);
  if (options_.fail_rate > 0 && ShouldFail()) co_return InternalError();
  co_return Handle(request, NowMicros());
}

http::Handler Simulator::MakeHandler() {
  return [this](http::Request& request) { return Serve(request); };
}

std::string AccessLogLine(const http::Request& request, const http::Response& response,
                          std::chrono::microseconds duration) {
  std::string out;
  out.reserve(512);
  out.append("{\"time\":\"");
  AppendTimestamp(out, NowMicros());
  out.append("\",\"request_id\":");
  core::AppendJsonString(out, request.request_id);
  out.append(",\"remote\":");
  core::AppendJsonString(out, request.remote_address);
  out.append(",\"method\":");
  core::AppendJsonString(out, request.method);
  out.append(",\"target\":");
  core::AppendJsonString(out, request.target);
  out.append(",\"path\":");
  core::AppendJsonString(out, request.path);
  out.append(",\"query\":");
  core::AppendJsonString(out, request.query);
  out.append(",\"status\":");
  out.append(std::to_string(response.status));
  out.append(",\"duration_us\":");
  out.append(std::to_string(duration.count()));
  out.append(",\"bytes_in\":");
  out.append(std::to_string(request.body.size()));
  out.append(",\"bytes_out\":");
  out.append(std::to_string(response.body.size()));
  out.append(",\"auth_token_present\":");
  out.append(request.headers.Has("X-Auth-Token") ? "true" : "false");
  out.append(",\"user_agent\":");
  auto user_agent = request.headers.Get("User-Agent");
  if (user_agent) {
    core::AppendJsonString(out, *user_agent);
  } else {
    out.append("null");
  }
  out.append(",\"header_names\":[");
  bool first = true;
  for (const auto& [name, value] : request.headers.entries()) {
    if (!first) out.push_back(',');
    first = false;
    core::AppendJsonString(out, name);
  }
  out.append("]}");
  return out;
}

}  // namespace capstan::sim
