#include "exposes/rest/rest_adapter.hpp"

#include <algorithm>
#include <optional>

#include <boost/asio/this_coro.hpp>
#include <openssl/crypto.h>
#include <re2/re2.h>

#include "core/percent.hpp"
#include "http/query.hpp"
#include "http/route.hpp"
#include "mapping/json_path.hpp"
#include "mapping/template.hpp"
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
  std::shared_ptr<const runtime::Invocation> invocation;
  // Compiled `pattern`s and `$.` body extractors per input, aligned with invocation->inputs().
  std::vector<std::shared_ptr<const RE2>> patterns;
  std::vector<std::optional<mapping::JsonPath>> body_paths;
};

struct Route {
  std::string path;  // as written
  std::vector<Segment> segments;
  std::vector<MethodEntry> methods;
  std::string allow;  // "GET, HEAD, DELETE, OPTIONS"
};

struct InboundAuth {
  enum class Kind { kNone, kBearer, kApiKeyHeader, kApiKeyQuery, kBasic } kind = Kind::kNone;
  std::string name;      // header or query parameter name (apikey)
  std::string expected;  // the secret (bearer token, key value, "user:pass")
};

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // Compare over the longer length so that timing does not reveal the secret's length prefix.
  std::size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

std::optional<std::string> DecodeBase64(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    int v = value(c);
    if (v < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

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
  std::string body = "{\"type\":";
  core::AppendJsonString(body, type);
  body += ",\"message\":";
  core::AppendJsonString(body, message);
  body += '}';
  return http::MakeResponse(status, std::move(body));
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
      route.segments = ParseTemplate(resource.path);
      std::vector<std::string> vars;
      for (const Segment& s : route.segments) {
        if (s.variable) vars.push_back(s.text);
      }
      for (const spec::ExposedOperation& op : resource.operations) {
        runtime::Invocation::Definition def;
        def.expose_ns = ns_;
        if (op.call) def.call = op.call->target;
        def.with = op.with;
        def.outputs = op.output_parameters;
        def.rest_inputs = resource.input_parameters;
        def.rest_inputs.insert(def.rest_inputs.end(), op.input_parameters.begin(),
                               op.input_parameters.end());
        def.route_variables = vars;
        std::string method(spec::HttpMethodName(op.method));
        def.what = "rest adapter '" + ns_ + "' " + method + " " + resource.path;
        if (op.ref || !op.steps.empty()) {
          return Fail(
              ErrorCode::kInvalidArgument,
              def.what + ": `ref` and `steps` are not supported yet (issue: orchestration)");
        }
        auto invocation = runtime::Invocation::Compile(*runtime_, std::move(def));
        if (!invocation) return Fail(std::move(invocation).error());
        MethodEntry entry;
        entry.method = method;
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
      if (resource.forward && resource.operations.empty()) {
        return Fail(ErrorCode::kInvalidArgument, "rest adapter '" + ns_ + "' " + resource.path +
                                                     ": `forward` is not supported yet");
      }
      std::vector<std::string> allow;
      for (const MethodEntry& m : route.methods) allow.push_back(m.method);
      if (std::find(allow.begin(), allow.end(), "GET") != allow.end()) allow.push_back("HEAD");
      allow.push_back("OPTIONS");
      for (const std::string& a : allow) route.allow += (route.allow.empty() ? "" : ", ") + a;
      routes_.push_back(std::move(route));
    }
    return core::Ok();
  }

  std::string Describe() const override { return "rest adapter '" + ns_ + "'"; }

  std::vector<exposes::ClaimedPath> Claims() const override {
    std::vector<exposes::ClaimedPath> out;
    for (const Route& r : routes_) out.push_back(exposes::ClaimTemplate(r.path));
    return out;
  }

  bool Matches(std::string_view raw_path) const override {
    auto segments = http::SplitPath(raw_path);
    if (!segments) return false;
    for (const Route& r : routes_) {
      if (MatchRoute(r, *segments, nullptr)) return true;
    }
    return false;
  }

  asio::awaitable<http::Response> Handle(http::Request& request) override {
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

    if (auto denied = CheckAuth(request)) co_return std::move(*denied);

    const bool head = request.method == "HEAD";
    if (request.method == "OPTIONS") {
      http::Response r = http::MakeResponse(204, "", "");
      r.headers.Set("Allow", route->allow);
      co_return r;
    }
    const MethodEntry* entry = nullptr;
    for (const MethodEntry& m : route->methods) {
      if (m.method == request.method || (head && m.method == "GET")) {
        entry = &m;
        break;
      }
    }
    if (entry == nullptr) {
      http::Response r =
          JsonError(405, "method_not_allowed",
                    "method " + request.method + " is not allowed on " + route->path);
      r.headers.Set("Allow", route->allow);
      co_return r;
    }

    auto inputs = ExtractInputs(*entry, request, captures);
    if (!inputs) co_return exposes::ErrorResponse(inputs.error());

    runtime::CallContext context;
    context.client = &runtime::ThreadUpstreamClient(co_await asio::this_coro::executor,
                                                    runtime_->tls(), runtime_->options().pool);
    auto result = co_await entry->invocation->Execute(std::move(*inputs), context);
    if (!result) co_return exposes::ErrorResponse(result.error());
    http::Response response;
    response.status = result->status;
    response.upstream_status = result->upstream_status;
    response.upstream_time = result->upstream_time;
    if (!result->body.empty() && !result->content_type.empty()) {
      response.headers.Set("Content-Type", result->content_type);
    }
    if (!head) response.body = std::move(result->body);
    co_return response;
  }

 private:
  static bool MatchRoute(const Route& route, const std::vector<std::string>& segments,
                         json::object* captures) {
    if (route.segments.size() != segments.size()) return false;
    for (std::size_t i = 0; i < segments.size(); ++i) {
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

  core::Status BuildAuth(const spec::ExposesRest& spec) {
    if (!spec.authentication) return core::Ok();
    const std::string what = "rest adapter '" + ns_ + "' authentication";
    auto render = [&](const std::optional<std::string>& text) -> core::Result<std::string> {
      auto tpl =
          mapping::Template::Compile(text.value_or(""), mapping::TemplateSyntax::kDoubleBrace);
      if (!tpl) return Fail(ErrorCode::kInvalidArgument, what + ": " + tpl.error().message);
      auto lookup = [&](std::string_view name) { return runtime_->binds().Find(name); };
      auto out = mapping::Render(*tpl, lookup, mapping::Escaping::kNone);
      if (!out) return Fail(ErrorCode::kNotFound, what + ": " + out.error().message);
      return out;
    };
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
    } else {
      return Fail(ErrorCode::kInvalidArgument,
                  what + ": only bearer, apikey and basic are supported on inbound requests yet");
    }
    if (auth_.expected.empty()) {
      return Fail(ErrorCode::kInvalidArgument, what + ": the expected secret is empty");
    }
    return core::Ok();
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
          if (auto d = DecodeBase64(h.substr(6))) {
            decoded = std::move(*d);
            given = decoded;
          }
        }
        challenge = "Basic realm=\"capstan\"";
        break;
      }
    }
    if (!given.empty() && ConstantTimeEquals(given, auth_.expected)) return std::nullopt;
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
      if (!texts.empty()) {
        if (in.type == spec::ValueType::kArray) {
          json::array items;
          for (std::string_view t : texts) items.emplace_back(json::string(t));
          value = json::value(std::move(items));
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

}  // namespace capstan::rest
