#include "exposes/rest/rest_adapter.hpp"

#include <algorithm>
#include <cstdlib>
#include <optional>

#include <boost/asio/this_coro.hpp>
#include <openssl/crypto.h>
#include <re2/re2.h>

#include "auth/resource_server.hpp"
#include "core/base64.hpp"
#include "core/percent.hpp"
#include "exposes/server/metrics.hpp"
#include "http/query.hpp"
#include "http/route.hpp"
#include "http/wire.hpp"
#include "mapping/json_path.hpp"
#include "mapping/template.hpp"
#include "mapping/utf8.hpp"
#include "runtime/values.hpp"
#include "spec/references.hpp"

namespace capstan::rest {

namespace asio = boost::asio;
namespace json = core::json;
using core::ErrorCode;
using core::Fail;

namespace {

struct Segment {
  bool variable = false;
  std::string text;  // literal (decoded) or variable name
};

struct MethodEntry {
  std::string method;
  std::string name;                 // the operation's, for descriptions (OpenAPI operationId)
  std::string description;          // description, else label
  std::uint32_t metric_series = 0;  // "<METHOD> <path>" of this adapter
  std::shared_ptr<const runtime::Invocation> invocation;
  // Compiled `pattern`s and `$.` body extractors per input, aligned with invocation->inputs().
  std::vector<std::shared_ptr<const RE2>> patterns;
  std::vector<std::optional<mapping::JsonPath>> body_paths;
};

// `forward`: a proxy to a consumes namespace (semantics §2.4), compiled at start-up.
struct ForwardTarget {
  std::string ns;
  // Any compiled operation of the namespace: its origin (base URI, overrides applied) and limits.
  std::shared_ptr<const runtime::CompiledOperation> operation;
  std::vector<std::string> trusted_headers;
  http::Headers auth_headers;                                   // consumes authentication
  std::vector<std::pair<std::string, std::string>> auth_query;  // apikey in query
};

struct Route {
  std::string path;   // as written
  std::string where;  // "file:line" of the resource, for collision messages
  std::vector<Segment> segments;
  // The last segment is the variable `{path}` of a forward resource: it takes one or more
  // segments (the rest of the request path).
  bool tail = false;
  std::vector<MethodEntry> methods;
  std::shared_ptr<const ForwardTarget> forward;  // methods without an operation go there
};

// Headers that describe the connection or the message framing: never copied by `forward`.
bool IsHopByHopOrFraming(std::string_view name) {
  for (std::string_view h :
       {"Host", "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization", "TE",
        "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length", "Expect", "Accept-Encoding"}) {
    if (http::IEquals(name, h)) return true;
  }
  return false;
}

bool IsJsonMediaType(std::string_view ct) {
  std::string_view type = ct.substr(0, ct.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  if (http::IEquals(type, "application/json")) return true;
  return type.size() > 5 && http::IEquals(type.substr(type.size() - 5), "+json");
}

std::string EncodeBase64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : in) {
    buffer = (buffer << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(buffer >> bits) & 63];
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (6 - bits)) & 63];
  while (out.size() % 4 != 0) out += '=';
  return out;
}

struct InboundAuth {
  enum class Kind { kNone, kBearer, kApiKeyHeader, kApiKeyQuery, kBasic } kind = Kind::kNone;
  std::string name;                             // header or query parameter name (apikey)
  std::string expected;                         // the secret (bearer token, key value, "user:pass")
  std::shared_ptr<auth::ResourceServer> oauth;  // oauth2: an OAuth 2.1 resource server
};

std::vector<Segment> ParseTemplate(std::string_view path) {
  std::vector<Segment> out;
  std::string_view rest = path;
  if (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  while (true) {
    std::size_t slash = rest.find('/');
    std::string_view s = rest.substr(0, slash);
    Segment seg;
    if (s.size() >= 4 && s.substr(0, 2) == "{{" && s.substr(s.size() - 2) == "}}") {
      seg.variable = true;
      seg.text = std::string(s.substr(2, s.size() - 4));
    } else if (s.size() >= 2 && s.front() == '{' && s.back() == '}') {
      seg.variable = true;
      seg.text = std::string(s.substr(1, s.size() - 2));
    } else {
      auto decoded = core::PercentDecode(s);
      seg.text = decoded ? *decoded : std::string(s);
    }
    out.push_back(std::move(seg));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return out;
}

http::Response JsonError(int status, std::string_view type, std::string_view message) {
  return exposes::JsonErrorResponse(status, type, message);
}

std::optional<std::string_view> CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    std::size_t semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return std::nullopt;
}

class RestAdapterImpl final : public exposes::Endpoint {
 public:
  RestAdapterImpl(std::shared_ptr<const runtime::Runtime> runtime, std::string ns)
      : runtime_(std::move(runtime)), ns_(std::move(ns)) {}

  core::Status Build(const spec::ExposesRest& spec) {
    CAPSTAN_RETURN_IF_ERROR(BuildAuth(spec));
    for (const spec::ExposedResource& resource : spec.resources) {
      Route route;
      route.path = resource.path;
      if (!resource.source.file.empty()) {
        route.where = resource.source.file + ":" + std::to_string(resource.source.line);
      }
      route.segments = ParseTemplate(resource.path);
      std::vector<std::string> vars;
      for (const Segment& s : route.segments) {
        if (s.variable) vars.push_back(s.text);
      }
      for (const spec::ExposedOperation& op : resource.operations) {
        runtime::Invocation::Definition def;
        def.expose_ns = ns_;
        if (op.call) def.call = op.call->target;
        if (op.ref) def.ref = op.ref->target;
        def.rest_method = op.method;
        def.with = op.with;
        def.steps = op.steps;
        def.mappings = op.mappings;
        def.outputs = op.output_parameters;
        // Resource-level inputs, then the operation's; an operation input replaces a resource
        // input of the same name (the reference engine's "later wins").
        for (const spec::ExposedInputParameter& p : resource.input_parameters) {
          bool replaced = std::any_of(
              op.input_parameters.begin(), op.input_parameters.end(),
              [&](const spec::ExposedInputParameter& q) { return spec::SameName(p.name, q.name); });
          if (!replaced) def.rest_inputs.push_back(p);
        }
        def.rest_inputs.insert(def.rest_inputs.end(), op.input_parameters.begin(),
                               op.input_parameters.end());
        def.route_variables = vars;
        std::string method(spec::HttpMethodName(op.method));
        def.what = "rest adapter '" + ns_ + "' " + method + " " + resource.path;
        auto invocation = runtime::Invocation::Compile(*runtime_, std::move(def));
        if (!invocation) return Fail(std::move(invocation).error());
        MethodEntry entry;
        entry.method = method;
        entry.name = op.name.value_or("");
        entry.description = op.description ? *op.description : op.label.value_or("");
        entry.metric_series =
            exposes::Metrics::Instance().Series(ns_, method + " " + resource.path);
        entry.invocation = std::move(*invocation);
        for (const runtime::InputSpec& in : entry.invocation->inputs()) {
          std::shared_ptr<const RE2> pattern;
          if (in.pattern) {
            pattern = std::make_shared<RE2>(*in.pattern, RE2::Quiet);
            if (!pattern->ok()) {
              return Fail(ErrorCode::kInvalidArgument,
                          "input '" + in.name + "': invalid pattern: " + pattern->error());
            }
          }
          entry.patterns.push_back(std::move(pattern));
          std::optional<mapping::JsonPath> body_path;
          if (in.value && !in.value->empty() && (*in.value)[0] == '$') {
            auto parsed = mapping::JsonPath::ParseLenient(*in.value);
            if (!parsed) {
              return Fail(ErrorCode::kInvalidArgument,
                          "input '" + in.name + "': " + parsed.error().message);
            }
            body_path = std::move(*parsed);
          }
          entry.body_paths.push_back(std::move(body_path));
        }
        route.methods.push_back(std::move(entry));
      }
      if (resource.forward) {
        auto forward = BuildForward(*resource.forward, resource.path);
        if (!forward) return Fail(std::move(forward).error());
        route.forward = std::move(*forward);
        route.tail = !route.segments.empty() && route.segments.back().variable &&
                     route.segments.back().text == "path";
      }
      routes_.push_back(std::move(route));
    }
    return core::Ok();
  }

  std::string Describe() const override { return "rest adapter '" + ns_ + "'"; }

  std::vector<RestOperationInfo> Operations() const {
    std::vector<RestOperationInfo> out;
    for (const Route& r : routes_) {
      for (const MethodEntry& m : r.methods) {
        out.push_back(RestOperationInfo{r.path, m.method, m.name, m.description, m.invocation,
                                        r.forward != nullptr});
      }
    }
    return out;
  }

  std::vector<exposes::ClaimedPath> Claims() const override {
    std::vector<exposes::ClaimedPath> out;
    if (auth_.oauth) out.push_back(exposes::ClaimTemplate(auth_.oauth->metadata_path()));
    for (const Route& r : routes_) {
      out.push_back(exposes::ClaimTemplate(r.path));
      // Two capabilities may use the same namespace: the file tells the sides apart.
      if (!r.where.empty()) out.back().shown += " (" + r.where + ")";
    }
    return out;
  }

  // A route matches a path only when its literal segments equal the decoded ones.
  bool MatchesOnlyClaims() const override { return true; }

  bool Matches(std::string_view raw_path) const override {
    if (auth_.oauth && raw_path == auth_.oauth->metadata_path()) return true;
    auto segments = http::SplitPath(raw_path);
    if (!segments) return false;
    for (const Route& r : routes_) {
      if (MatchRoute(r, *segments, nullptr)) return true;
    }
    return false;
  }

  asio::awaitable<http::Response> Handle(http::Request& request) override {
    if (auth_.oauth && request.path == auth_.oauth->metadata_path()) {
      // RFC 9728 protected resource metadata: public, read by clients before they have a token.
      http::Response r =
          http::MakeResponse(200, core::SerializeJson(json::value(auth_.oauth->Metadata())));
      r.headers.Set("Access-Control-Allow-Origin", "*");
      r.headers.Set("Cache-Control", "max-age=300");
      co_return r;
    }
    auto segments = http::SplitPath(request.path);
    if (!segments) co_return JsonError(400, "invalid_argument", segments.error().message);
    const Route* route = nullptr;
    json::object captures;
    for (const Route& r : routes_) {
      captures.clear();
      if (MatchRoute(r, *segments, &captures)) {
        route = &r;
        break;
      }
    }
    if (route == nullptr) co_return JsonError(404, "not_found", "no route for " + request.path);

    if (auth_.oauth) {
      if (auto denied = co_await CheckOAuth(request)) co_return std::move(*denied);
    } else if (auto denied = CheckAuth(request)) {
      co_return std::move(*denied);
    }

    const MethodEntry* entry = FindMethod(*route, request.method);
    if (entry == nullptr && route->forward) co_return co_await Forward(request, *route, *segments);
    if (request.method == "OPTIONS") {
      http::Response r = http::MakeResponse(204, "", "");
      r.headers.Set("Allow", AllowFor(*segments));
      co_return r;
    }
    if (entry == nullptr) {
      // A later resource of the same shape may declare the method: Scaleway's instance API has
      // PUT .../images/{id} and GET, DELETE .../images/{image_id}.
      for (const Route* r = route + 1; r != routes_.data() + routes_.size(); ++r) {
        if (!MatchRoute(*r, *segments, nullptr)) continue;
        if (const MethodEntry* e = FindMethod(*r, request.method)) {
          route = r;
          entry = e;
          captures.clear();
          (void)MatchRoute(*route, *segments, &captures);
          break;
        }
      }
    }
    if (entry == nullptr) {
      http::Response r =
          JsonError(405, "method_not_allowed",
                    "method " + request.method + " is not allowed on " + route->path);
      r.headers.Set("Allow", AllowFor(*segments));
      co_return r;
    }

    auto inputs = ExtractInputs(*entry, request, captures);
    if (!inputs) co_return exposes::ErrorResponse(inputs.error());

    runtime::CallContext context;
    context.client = &runtime::ThreadUpstreamClient(co_await asio::this_coro::executor,
                                                    runtime_->tls(), runtime_->options().pool);
    if (request.trace) context.trace = &*request.trace;
    auto result = co_await entry->invocation->Execute(std::move(*inputs), context);
    if (!result) {
      http::Response failed = exposes::ErrorResponse(result.error());
      failed.metric_series = entry->metric_series;
      co_return failed;
    }
    http::Response response;
    response.metric_series = entry->metric_series;
    response.status = result->status;
    response.upstream_status = result->upstream_status;
    response.upstream_time = result->upstream_time;
    if (!result->body.empty() && !result->content_type.empty()) {
      response.headers.Set("Content-Type", result->content_type);
    }
    // HEAD keeps the body here: the server sends GET's headers (Content-Length included) and
    // drops the body itself.
    response.body = std::move(result->body);
    co_return response;
  }

 private:
  // The operation of `route` for `method` (HEAD runs GET's).
  static const MethodEntry* FindMethod(const Route& route, std::string_view method) {
    for (const MethodEntry& m : route.methods) {
      if (m.method == method || (method == "HEAD" && m.method == "GET")) return &m;
    }
    return nullptr;
  }

  // The Allow header for a path: the methods of every resource that matches it, in declaration
  // order (a forward resource adds every method), then HEAD if GET is there, then OPTIONS.
  std::string AllowFor(const std::vector<std::string>& segments) const {
    std::vector<std::string> allow;
    auto add = [&](std::string_view m) {
      if (std::find(allow.begin(), allow.end(), m) == allow.end()) allow.emplace_back(m);
    };
    for (const Route& r : routes_) {
      if (!MatchRoute(r, segments, nullptr)) continue;
      for (const MethodEntry& m : r.methods) add(m.method);
      if (r.forward) {
        for (const char* m : {"GET", "POST", "PUT", "PATCH", "DELETE"}) add(m);
      }
    }
    if (std::find(allow.begin(), allow.end(), "GET") != allow.end()) allow.emplace_back("HEAD");
    allow.emplace_back("OPTIONS");
    std::string out;
    for (const std::string& a : allow) out += (out.empty() ? "" : ", ") + a;
    return out;
  }

  static bool MatchRoute(const Route& route, const std::vector<std::string>& segments,
                         json::object* captures) {
    if (route.tail ? segments.size() < route.segments.size()
                   : route.segments.size() != segments.size()) {
      return false;
    }
    for (std::size_t i = 0; i < route.segments.size(); ++i) {
      const Segment& s = route.segments[i];
      if (s.variable) {
        if (segments[i].empty()) return false;
        if (captures != nullptr) (*captures)[s.text] = segments[i];
      } else if (s.text != segments[i]) {
        return false;
      }
    }
    return true;
  }

  // Renders a bind-only template (authentication secrets).
  core::Result<std::string> RenderBinds(const std::optional<std::string>& text,
                                        const std::string& what) const {
    auto tpl = mapping::Template::Compile(text.value_or(""), mapping::TemplateSyntax::kDoubleBrace);
    if (!tpl) return Fail(ErrorCode::kInvalidArgument, what + ": " + tpl.error().message);
    auto lookup = [&](std::string_view name) { return runtime_->binds().Find(name); };
    auto out = mapping::Render(*tpl, lookup, mapping::Escaping::kNone);
    if (!out) return Fail(ErrorCode::kNotFound, what + ": " + out.error().message);
    return out;
  }

  core::Result<std::shared_ptr<const ForwardTarget>> BuildForward(const spec::ForwardConfig& config,
                                                                  const std::string& path) const {
    const std::string what = "rest adapter '" + ns_ + "' " + path + " forward";
    auto target = std::make_shared<ForwardTarget>();
    target->ns = config.target_namespace;
    const spec::ConsumesHttp* consumes = nullptr;
    const spec::Capability& cap = runtime_->capability();
    if (cap.capability) {
      for (const auto& c : cap.capability->consumes) {
        if (c.ns == config.target_namespace) consumes = &c;
      }
    }
    for (const auto& c : cap.consumes) {
      if (c.ns == config.target_namespace) consumes = &c;
    }
    if (consumes == nullptr) {
      return Fail(ErrorCode::kInvalidArgument,
                  what + ": '" + config.target_namespace + "' is not a consumes namespace");
    }
    for (const auto& resource : consumes->resources) {
      for (const auto& op : resource.operations) {
        if (!target->operation) {
          target->operation = runtime_->FindOperation(consumes->ns + "." + op.name);
        }
      }
    }
    if (!target->operation) {
      return Fail(ErrorCode::kInvalidArgument, what + ": consumes '" + consumes->ns +
                                                   "' has no operation to take its origin from");
    }
    for (const std::string& h : config.trusted_headers) {
      if (IsHopByHopOrFraming(h)) {
        return Fail(
            ErrorCode::kInvalidArgument,
            what + ": trusted header '" + h + "' describes the connection and is never forwarded");
      }
      target->trusted_headers.push_back(h);
    }
    if (consumes->authentication) {
      const std::string auth_what = "authentication of consumes '" + consumes->ns + "'";
      const spec::Authentication& auth = *consumes->authentication;
      if (const auto* apikey = std::get_if<spec::AuthApiKey>(&auth)) {
        CAPSTAN_ASSIGN_OR_RETURN(std::string key, RenderBinds(apikey->key, auth_what));
        CAPSTAN_ASSIGN_OR_RETURN(std::string value, RenderBinds(apikey->value, auth_what));
        if (apikey->placement.value_or(spec::ApiKeyPlacement::kHeader) ==
            spec::ApiKeyPlacement::kQuery) {
          target->auth_query.emplace_back(std::move(key), std::move(value));
        } else {
          target->auth_headers.Set(key, value);
        }
      } else if (const auto* bearer = std::get_if<spec::AuthBearer>(&auth)) {
        CAPSTAN_ASSIGN_OR_RETURN(std::string token, RenderBinds(bearer->token, auth_what));
        target->auth_headers.Set("Authorization", "Bearer " + token);
      } else if (const auto* basic = std::get_if<spec::AuthBasic>(&auth)) {
        CAPSTAN_ASSIGN_OR_RETURN(std::string user, RenderBinds(basic->username, auth_what));
        CAPSTAN_ASSIGN_OR_RETURN(std::string pass, RenderBinds(basic->password, auth_what));
        target->auth_headers.Set("Authorization", "Basic " + EncodeBase64(user + ":" + pass));
      } else {
        return Fail(ErrorCode::kInvalidArgument,
                    what +
                        ": only apikey, bearer and basic consumes authentication can sign "
                        "forwarded requests yet");
      }
      for (const auto& [name, value] : target->auth_headers.entries()) {
        if (!http::IsSafeFieldValue(value)) {
          return Fail(ErrorCode::kInvalidArgument, what + ": a secret holds control characters");
        }
      }
    }
    return std::shared_ptr<const ForwardTarget>(std::move(target));
  }

  // Proxies the request to the forward target: the rest of the path (after the route's literal
  // segments) below the consumes base path, the raw query string, the body with its
  // Content-Type, the trusted headers only, and the consumes authentication.
  asio::awaitable<http::Response> Forward(const http::Request& request, const Route& route,
                                          const std::vector<std::string>& segments) const {
    const ForwardTarget& f = *route.forward;
    std::string target = f.operation->origin().base_path;
    std::size_t first = route.tail ? route.segments.size() - 1 : segments.size();
    for (std::size_t i = first; i < segments.size(); ++i) {
      const std::string& s = segments[i];
      if (s.empty() || s == "." || s == "..") {
        co_return JsonError(400, "invalid_argument",
                            "a forwarded path has no empty, '.' or '..' segments");
      }
      target += '/';
      core::AppendPercentEncoded(target, s, core::UrlPart::kPathSegment);
    }
    if (target.empty()) target = "/";
    std::string query = request.query;
    for (const auto& [name, value] : f.auth_query) {
      if (!query.empty()) query += '&';
      core::AppendPercentEncoded(query, name, core::UrlPart::kQuery);
      query += '=';
      core::AppendPercentEncoded(query, value, core::UrlPart::kQuery);
    }
    if (!query.empty()) target += "?" + query;

    consumes::UpstreamRequest up;
    up.method = request.method;
    up.target = std::move(target);
    for (const std::string& trusted : f.trusted_headers) {
      for (const auto& [name, value] : request.headers.entries()) {
        if (http::IEquals(name, trusted)) up.headers.Add(trusted, value);
      }
    }
    if (!request.body.empty()) {
      up.body = request.body;
      if (auto ct = request.headers.Get("Content-Type")) up.headers.Set("Content-Type", *ct);
    }
    for (const auto& [name, value] : f.auth_headers.entries()) up.headers.Set(name, value);

    runtime::CallContext context;
    context.client = &runtime::ThreadUpstreamClient(co_await asio::this_coro::executor,
                                                    runtime_->tls(), runtime_->options().pool);
    consumes::CallOptions options;
    options.limits = f.operation->limits();
    auto answer = co_await context.client->Send(f.operation->origin(), std::move(up), options);
    if (!answer) co_return exposes::ErrorResponse(answer.error());
    auto encoding = answer->headers.Get("Content-Encoding");
    if (encoding && !http::IEquals(*encoding, "identity") && !answer->body.empty()) {
      co_return exposes::ErrorResponse(core::Error{
          ErrorCode::kUpstreamError, "upstream sent Content-Encoding: " + std::string(*encoding) +
                                         ", which capstan does not decode"});
    }
    http::Response response;
    response.status = answer->status;
    response.upstream_status = answer->status;
    response.upstream_time = answer->elapsed;
    if (auto ct = answer->headers.Get("Content-Type"); ct && !answer->body.empty()) {
      response.headers.Set("Content-Type", IsJsonMediaType(*ct) ? "application/json" : *ct);
    }
    response.body = std::move(answer->body);
    co_return response;
  }

  core::Status BuildAuth(const spec::ExposesRest& spec) {
    if (!spec.authentication) return core::Ok();
    const std::string what = "rest adapter '" + ns_ + "' authentication";
    auto render = [&](const std::optional<std::string>& text) { return RenderBinds(text, what); };
    const spec::Authentication& auth = *spec.authentication;
    if (const auto* bearer = std::get_if<spec::AuthBearer>(&auth)) {
      auth_.kind = InboundAuth::Kind::kBearer;
      CAPSTAN_ASSIGN_OR_RETURN(auth_.expected, render(bearer->token));
    } else if (const auto* apikey = std::get_if<spec::AuthApiKey>(&auth)) {
      auth_.kind = apikey->placement.value_or(spec::ApiKeyPlacement::kHeader) ==
                           spec::ApiKeyPlacement::kQuery
                       ? InboundAuth::Kind::kApiKeyQuery
                       : InboundAuth::Kind::kApiKeyHeader;
      CAPSTAN_ASSIGN_OR_RETURN(auth_.name, render(apikey->key));
      CAPSTAN_ASSIGN_OR_RETURN(auth_.expected, render(apikey->value));
    } else if (const auto* basic = std::get_if<spec::AuthBasic>(&auth)) {
      auth_.kind = InboundAuth::Kind::kBasic;
      CAPSTAN_ASSIGN_OR_RETURN(std::string user, render(basic->username));
      CAPSTAN_ASSIGN_OR_RETURN(std::string pass, render(basic->password));
      auth_.expected = user + ":" + pass;
    } else if (const auto* oauth = std::get_if<spec::AuthOAuth2>(&auth)) {
      auto rs = auth::ResourceServer::FromSpec(*oauth, runtime_->tls());
      if (!rs) return Fail(ErrorCode::kInvalidArgument, what + ": " + rs.error().message);
      auth_.oauth = std::move(*rs);
      return core::Ok();
    } else {
      return Fail(ErrorCode::kInvalidArgument, what + ": digest is not an inbound scheme");
    }
    if (auth_.expected.empty()) {
      return Fail(ErrorCode::kInvalidArgument, what + ": the expected secret is empty");
    }
    return core::Ok();
  }

  // oauth2: 401 (with the RFC 9728 metadata URL), 403 insufficient_scope, 503 while the keys
  // cannot be had; the token is never forwarded (upstream requests carry only the consumes
  // authentication).
  asio::awaitable<std::optional<http::Response>> CheckOAuth(const http::Request& request) const {
    auth::AuthOutcome outcome =
        co_await auth_.oauth->Authenticate(request.headers.Get("Authorization").value_or(""));
    auto refusal = auth_.oauth->RefusalFor(outcome);
    if (!refusal) co_return std::nullopt;
    http::Response r = JsonError(refusal->status,
                                 refusal->status == 503   ? "unavailable"
                                 : refusal->status == 403 ? "permission_denied"
                                                          : "unauthenticated",
                                 refusal->reason);
    if (!refusal->challenge.empty()) r.headers.Set("WWW-Authenticate", refusal->challenge);
    if (refusal->retry_after > 0)
      r.headers.Set("Retry-After", std::to_string(refusal->retry_after));
    co_return r;
  }

  // Returns a 401 response when the request is not authenticated.
  std::optional<http::Response> CheckAuth(const http::Request& request) const {
    std::string_view given;
    std::string decoded;
    std::string challenge;
    switch (auth_.kind) {
      case InboundAuth::Kind::kNone:
        return std::nullopt;
      case InboundAuth::Kind::kBearer: {
        auto h = request.headers.Get("Authorization").value_or("");
        if (h.size() > 7 && http::IEquals(h.substr(0, 7), "Bearer ")) given = h.substr(7);
        challenge = "Bearer realm=\"capstan\"";
        break;
      }
      case InboundAuth::Kind::kApiKeyHeader:
        given = request.headers.Get(auth_.name).value_or("");
        break;
      case InboundAuth::Kind::kApiKeyQuery: {
        auto params = http::ParseQuery(request.query);
        if (params) {
          if (auto v = http::FindQueryParam(*params, auth_.name)) {
            decoded = std::string(*v);
            given = decoded;
          }
        }
        break;
      }
      case InboundAuth::Kind::kBasic: {
        auto h = request.headers.Get("Authorization").value_or("");
        if (h.size() > 6 && http::IEquals(h.substr(0, 6), "Basic ")) {
          if (auto d = core::DecodeBase64(h.substr(6))) {
            decoded = std::move(*d);
            given = decoded;
          }
        }
        challenge = "Basic realm=\"capstan\"";
        break;
      }
    }
    if (!given.empty() && core::ConstantTimeEquals(given, auth_.expected)) return std::nullopt;
    http::Response r = JsonError(401, "unauthenticated", "missing or invalid credentials");
    if (!challenge.empty()) r.headers.Set("WWW-Authenticate", challenge);
    return r;
  }

  core::Result<json::object> ExtractInputs(const MethodEntry& entry, const http::Request& request,
                                           const json::object& captures) const {
    json::object inputs;
    std::optional<http::QueryParams> query;
    std::optional<json::value> body;
    bool body_parsed = false;
    auto parse_body = [&]() -> core::Status {
      if (body_parsed) return core::Ok();
      body_parsed = true;
      if (request.body.empty()) return core::Ok();
      auto parsed = core::ParseJson(request.body);
      if (!parsed) {
        return Fail(ErrorCode::kInvalidArgument,
                    "request body is not valid JSON: " + parsed.error().message);
      }
      body = std::move(*parsed);
      return core::Ok();
    };
    const auto& specs = entry.invocation->inputs();
    for (std::size_t i = 0; i < specs.size(); ++i) {
      const runtime::InputSpec& in = specs[i];
      std::optional<json::value> value;
      std::vector<std::string_view> texts;  // raw text values to coerce
      if (in.value && !entry.body_paths[i]) {
        value = json::value(json::string(*in.value));  // a constant
      } else {
        switch (in.in) {
          case spec::ParameterIn::kPath:
            if (const json::value* v = runtime::FindArg(captures, in.name)) {
              texts.emplace_back(v->get_string().data(), v->get_string().size());
            }
            break;
          case spec::ParameterIn::kQuery: {
            if (!query) {
              auto parsed = http::ParseQuery(request.query);
              if (!parsed) return Fail(ErrorCode::kInvalidArgument, parsed.error().message);
              query = std::move(*parsed);
            }
            for (const auto& [name, v] : *query) {
              if (name == in.name || spec::SameName(name, in.name)) texts.emplace_back(v);
            }
            if (in.type != spec::ValueType::kArray && texts.size() > 1) texts.resize(1);
            break;
          }
          case spec::ParameterIn::kHeader:
            if (auto h = request.headers.Get(in.name)) texts.push_back(*h);
            break;
          case spec::ParameterIn::kCookie:
            if (auto c = request.headers.Get("Cookie")) {
              if (auto v = CookieValue(*c, in.name)) texts.push_back(*v);
            }
            break;
          case spec::ParameterIn::kBody:
          case spec::ParameterIn::kEnvironment: {
            CAPSTAN_RETURN_IF_ERROR(parse_body());
            if (!body) break;
            if (entry.body_paths[i]) {
              if (const json::value* v = entry.body_paths[i]->EvaluateFirst(*body)) value = *v;
            } else if (body->is_object() && body->as_object().contains(in.name)) {
              value = body->as_object().at(in.name);
            } else if (in.name == "body" || in.type == spec::ValueType::kObject ||
                       in.type == spec::ValueType::kArray) {
              value = *body;
            }
            break;
          }
        }
      }
      for (std::string_view t : texts) {
        // Percent-decoded CR/LF/NUL never reach an upstream URL or header (injection attempts).
        if (!http::IsSafeFieldValue(t)) {
          return Fail(ErrorCode::kInvalidArgument,
                      "parameter '" + in.name + "' contains a control character (CR, LF or NUL)");
        }
        // Inputs are JSON strings: their bytes must be UTF-8 (%FF is not a character).
        if (mapping::FindInvalidUtf8(t) != std::string_view::npos) {
          return Fail(ErrorCode::kInvalidArgument,
                      "parameter '" + in.name + "' is not valid UTF-8 once percent-decoded");
        }
      }
      if (!texts.empty()) {
        if (in.type == spec::ValueType::kArray) {
          json::array items;
          for (std::string_view t : texts) items.emplace_back(json::string(t));
          value = json::value(std::move(items));
        } else if (texts.front().empty() && in.type != spec::ValueType::kString) {
          // `page_size=`: an empty typed value means "not given", as Scaleway (protobuf zero
          // values) and most APIs read it, rather than a type error.
        } else {
          auto coerced = runtime::CoerceText(in.name, texts.front(), in.type);
          if (!coerced) return Fail(std::move(coerced).error());
          value = std::move(*coerced);
        }
      }
      if (!value) {
        if (in.required) {
          return Fail(ErrorCode::kInvalidArgument, "missing required parameter '" + in.name + "'");
        }
        continue;
      }
      if (in.in == spec::ParameterIn::kBody && !value->is_null()) {
        CAPSTAN_RETURN_IF_ERROR(runtime::CheckType(in.name, *value, in.type));
      }
      if (entry.patterns[i] && value->is_string()) {
        std::string_view s(value->get_string().data(), value->get_string().size());
        if (!RE2::PartialMatch(s, *entry.patterns[i])) {
          return Fail(ErrorCode::kInvalidArgument,
                      "parameter '" + in.name + "' does not match its pattern");
        }
      }
      inputs[in.name] = std::move(*value);
    }
    return inputs;
  }

  std::shared_ptr<const runtime::Runtime> runtime_;
  std::string ns_;
  std::vector<Route> routes_;
  InboundAuth auth_;
};

}  // namespace

core::Result<std::shared_ptr<exposes::Endpoint>> MakeRestAdapter(
    std::shared_ptr<const runtime::Runtime> runtime, const spec::ExposesRest& spec) {
  auto adapter = std::make_shared<RestAdapterImpl>(std::move(runtime), spec.ns);
  CAPSTAN_RETURN_IF_ERROR(adapter->Build(spec));
  return std::shared_ptr<exposes::Endpoint>(std::move(adapter));
}

core::Result<std::vector<RestOperationInfo>> DescribeRestAdapter(
    std::shared_ptr<const runtime::Runtime> runtime, const spec::ExposesRest& spec) {
  RestAdapterImpl adapter(std::move(runtime), spec.ns);
  CAPSTAN_RETURN_IF_ERROR(adapter.Build(spec));
  return adapter.Operations();
}

}  // namespace capstan::rest
