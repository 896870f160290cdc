// Inbound authentication and the Host/Origin allow-list of the MCP HTTP transport.
#include <algorithm>
#include <cstdlib>

#include <openssl/crypto.h>

#include "core/base64.hpp"
#include "exposes/mcp/transport.hpp"
#include "http/query.hpp"
#include "mapping/template.hpp"

namespace capstan::mcp {

using core::ErrorCode;
using core::Fail;

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// "host:port", "[v6]:port" or "host" → the host part, lower case.
std::string HostPart(std::string_view authority) {
  if (!authority.empty() && authority.front() == '[') {
    std::size_t close = authority.find(']');
    return Lower(
        authority.substr(0, close == std::string_view::npos ? authority.size() : close + 1));
  }
  std::size_t colon = authority.rfind(':');
  return Lower(authority.substr(0, colon));
}

const std::vector<std::string>& LoopbackNames() {
  static const std::vector<std::string> kNames = {"localhost", "127.0.0.1", "[::1]"};
  return kNames;
}

http::Response Unauthorized(std::string challenge) {
  http::Response r = http::MakeResponse(
      401,
      R"({"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Unauthorized: missing or invalid credentials"}})");
  r.headers.Set("WWW-Authenticate", challenge);
  return r;
}

}  // namespace

core::Result<InboundAuth> InboundAuth::Build(const runtime::Runtime* runtime,
                                             const std::optional<spec::Authentication>& auth,
                                             std::string_view what) {
  InboundAuth out;
  if (!auth) return out;
  const std::string where = std::string(what) + " authentication";
  auto render = [&](const std::optional<std::string>& text) -> core::Result<std::string> {
    auto tpl = mapping::Template::Compile(text.value_or(""), mapping::TemplateSyntax::kDoubleBrace);
    if (!tpl) return Fail(ErrorCode::kInvalidArgument, where + ": " + tpl.error().message);
    auto lookup = [&](std::string_view name) -> std::optional<std::string_view> {
      if (runtime == nullptr) return std::nullopt;
      return runtime->binds().Find(name);
    };
    auto rendered = mapping::Render(*tpl, lookup, mapping::Escaping::kNone);
    if (!rendered) return Fail(ErrorCode::kNotFound, where + ": " + rendered.error().message);
    return rendered;
  };
  if (const auto* bearer = std::get_if<spec::AuthBearer>(&*auth)) {
    out.kind_ = Kind::kBearer;
    CAPSTAN_ASSIGN_OR_RETURN(out.expected_, render(bearer->token));
  } else if (const auto* apikey = std::get_if<spec::AuthApiKey>(&*auth)) {
    out.kind_ =
        apikey->placement.value_or(spec::ApiKeyPlacement::kHeader) == spec::ApiKeyPlacement::kQuery
            ? Kind::kApiKeyQuery
            : Kind::kApiKeyHeader;
    CAPSTAN_ASSIGN_OR_RETURN(out.name_, render(apikey->key));
    CAPSTAN_ASSIGN_OR_RETURN(out.expected_, render(apikey->value));
    if (out.name_.empty()) return Fail(ErrorCode::kInvalidArgument, where + ": apikey needs `key`");
  } else if (const auto* basic = std::get_if<spec::AuthBasic>(&*auth)) {
    out.kind_ = Kind::kBasic;
    CAPSTAN_ASSIGN_OR_RETURN(std::string user, render(basic->username));
    CAPSTAN_ASSIGN_OR_RETURN(std::string pass, render(basic->password));
    out.expected_ = user + ":" + pass;
  } else if (const auto* oauth = std::get_if<spec::AuthOAuth2>(&*auth)) {
    auto rs = auth::ResourceServer::FromSpec(*oauth, runtime != nullptr ? runtime->tls() : nullptr);
    if (!rs) return Fail(ErrorCode::kInvalidArgument, where + ": " + rs.error().message);
    out.kind_ = Kind::kOAuth2;
    out.oauth_ = std::move(*rs);
    return out;
  } else {
    return Fail(ErrorCode::kInvalidArgument, where + ": digest is not an inbound scheme");
  }
  if (out.expected_.empty()) {
    return Fail(ErrorCode::kInvalidArgument, where + ": the expected secret is empty");
  }
  return out;
}

boost::asio::awaitable<std::optional<http::Response>> InboundAuth::Authenticate(
    const http::Request& request, std::optional<auth::Principal>* principal) const {
  if (kind_ != Kind::kOAuth2) co_return Check(request);
  auth::AuthOutcome outcome =
      co_await oauth_->Authenticate(request.headers.Get("Authorization").value_or(""));
  if (auto refusal = oauth_->RefusalFor(outcome)) {
    if (refusal->status == 401) co_return Unauthorized(refusal->challenge);
    http::Response r = http::MakeResponse(
        refusal->status,
        refusal->status == 403
            ? R"({"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Forbidden: insufficient scope"}})"
            : R"({"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Service Unavailable: the authorization server's keys cannot be fetched"}})");
    if (!refusal->challenge.empty()) r.headers.Set("WWW-Authenticate", refusal->challenge);
    if (refusal->retry_after > 0)
      r.headers.Set("Retry-After", std::to_string(refusal->retry_after));
    co_return r;
  }
  if (principal != nullptr) *principal = std::move(outcome.principal);
  co_return std::nullopt;
}

std::optional<http::Response> InboundAuth::Check(const http::Request& request) const {
  switch (kind_) {
    case Kind::kNone:
    case Kind::kOAuth2:  // Authenticate() handles it
      return std::nullopt;
    case Kind::kBearer: {
      auto h = request.headers.Get("Authorization").value_or("");
      bool given = h.size() > 7 && http::IEquals(h.substr(0, 7), "Bearer ");
      if (given && core::ConstantTimeEquals(h.substr(7), expected_)) return std::nullopt;
      return Unauthorized(given ? R"(Bearer realm="capstan", error="invalid_token")"
                                : R"(Bearer realm="capstan")");
    }
    case Kind::kApiKeyHeader: {
      auto h = request.headers.Get(name_);
      if (h && core::ConstantTimeEquals(*h, expected_)) return std::nullopt;
      return Unauthorized("ApiKey realm=\"capstan\", header=\"" + name_ + "\"");
    }
    case Kind::kApiKeyQuery: {
      auto params = http::ParseQuery(request.query);
      if (params) {
        if (auto v = http::FindQueryParam(*params, name_);
            v && core::ConstantTimeEquals(*v, expected_)) {
          return std::nullopt;
        }
      }
      return Unauthorized("ApiKey realm=\"capstan\", query=\"" + name_ + "\"");
    }
    case Kind::kBasic: {
      auto h = request.headers.Get("Authorization").value_or("");
      if (h.size() > 6 && http::IEquals(h.substr(0, 6), "Basic ")) {
        if (auto d = core::DecodeBase64(h.substr(6));
            d && core::ConstantTimeEquals(*d, expected_)) {
          return std::nullopt;
        }
      }
      return Unauthorized(R"(Basic realm="capstan")");
    }
  }
  return std::nullopt;
}

bool HostAllowed(std::string_view host_header, const std::vector<std::string>& allowed) {
  const auto& names = allowed.empty() ? LoopbackNames() : allowed;
  std::string host = HostPart(host_header);
  for (const std::string& a : names) {
    if (a == "*" || Lower(a) == host) return true;
  }
  return false;
}

bool OriginAllowed(std::string_view origin, const std::vector<std::string>& allowed) {
  const auto& names = allowed.empty() ? LoopbackNames() : allowed;
  std::string lower = Lower(origin);
  if (lower == "null") return std::find(names.begin(), names.end(), "*") != names.end();
  std::size_t scheme = lower.find("://");
  std::string authority = scheme == std::string::npos ? lower : lower.substr(scheme + 3);
  if (std::size_t slash = authority.find('/'); slash != std::string::npos) authority.resize(slash);
  std::string host = HostPart(authority);
  for (const std::string& a : names) {
    std::string la = Lower(a);
    if (la == "*" || la == lower || la == host) return true;
  }
  return false;
}

bool PrefersEventStream(std::string_view accept) {
  const std::size_t sse = http::IFind(accept, "text/event-stream");
  const std::size_t json = http::IFind(accept, "application/json");
  return sse != std::string_view::npos && (json == std::string_view::npos || sse < json);
}

}  // namespace capstan::mcp
