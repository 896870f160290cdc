#include "runtime/operation.hpp"

#include <atomic>

#include "core/percent.hpp"
#include "runtime/values.hpp"
#include "spec/references.hpp"

namespace capstan::runtime {

using core::ErrorCode;
using core::Fail;

namespace {

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    auto n = (static_cast<unsigned char>(in[i]) << 16) |
             (static_cast<unsigned char>(in[i + 1]) << 8) | static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == in.size()) {
    auto n = static_cast<unsigned char>(in[i]) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    auto n =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

bool IsHeaderSafe(std::string_view value) {
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && u != '\t') || u == 0x7F) return false;
  }
  return true;
}

// Renders a template whose variables are bind variables only (authentication, static values).
core::Result<std::string> RenderWithBinds(const std::string& text, const BindValues& binds,
                                          std::string_view what) {
  auto tpl = mapping::Template::Compile(text, mapping::TemplateSyntax::kDoubleBrace);
  if (!tpl)
    return Fail(ErrorCode::kInvalidArgument, std::string(what) + ": " + tpl.error().message);
  auto lookup = [&](std::string_view name) { return binds.Find(name); };
  auto rendered = mapping::Render(*tpl, lookup, mapping::Escaping::kNone);
  if (!rendered) {
    return Fail(ErrorCode::kNotFound, std::string(what) + ": " + rendered.error().message +
                                          " (declare it under `binds`)");
  }
  return rendered;
}

// Variable lookup over the call's arguments, then the bind variables.
class ArgLookup {
 public:
  ArgLookup(const json::object& args, const BindValues* binds) : args_(args), binds_(binds) {}
  std::optional<std::string_view> operator()(std::string_view name) const {
    if (const json::value* v = FindArg(args_, name); v != nullptr && !v->is_null()) {
      buffer_.clear();
      AppendScalarText(buffer_, *v);
      return std::string_view(buffer_);
    }
    if (binds_ != nullptr) return binds_->Find(name);
    return std::nullopt;
  }

 private:
  const json::object& args_;
  const BindValues* binds_;
  mutable std::string buffer_;
};

// Renders the string leaves of a structured JSON body. A leaf that is exactly "{{x}}" takes the
// argument's JSON value (so numbers stay numbers); other leaves render as text.
core::Result<json::value> RenderJsonData(const json::value& data, const json::object& args,
                                         const BindValues* binds) {
  if (data.is_string()) {
    std::string_view s(data.get_string().data(), data.get_string().size());
    auto tpl = mapping::Template::Compile(s, mapping::TemplateSyntax::kDoubleBrace);
    if (!tpl) return Fail(ErrorCode::kInvalidArgument, "body: " + tpl.error().message);
    const auto& segs = tpl->segments();
    if (segs.size() == 1 && segs[0].kind == mapping::TemplateSegment::Kind::kVariable) {
      if (const json::value* v = FindArg(args, segs[0].text)) return *v;
    }
    ArgLookup lookup(args, binds);
    auto rendered = mapping::Render(*tpl, lookup, mapping::Escaping::kNone);
    if (!rendered) return Fail(rendered.error());
    return json::value(json::string(*rendered));
  }
  if (data.is_array()) {
    json::array out;
    for (const json::value& v : data.get_array()) {
      CAPSTAN_ASSIGN_OR_RETURN(json::value item, RenderJsonData(v, args, binds));
      out.push_back(std::move(item));
    }
    return json::value(std::move(out));
  }
  if (data.is_object()) {
    json::object out;
    for (const auto& kv : data.get_object()) {
      CAPSTAN_ASSIGN_OR_RETURN(json::value item, RenderJsonData(kv.value(), args, binds));
      out.emplace(kv.key(), std::move(item));
    }
    return json::value(std::move(out));
  }
  return data;
}

core::Result<std::string> RenderText(const json::value& data, const json::object& args,
                                     const BindValues* binds, mapping::Escaping escaping) {
  std::string text = data.is_string() ? std::string(data.get_string()) : core::SerializeJson(data);
  auto tpl = mapping::Template::Compile(text, mapping::TemplateSyntax::kDoubleBrace);
  if (!tpl) return Fail(ErrorCode::kInvalidArgument, "body: " + tpl.error().message);
  ArgLookup lookup(args, binds);
  return mapping::Render(*tpl, lookup, escaping);
}

}  // namespace

const json::value* FindArg(const json::object& args, std::string_view name) {
  if (const json::value* v = args.if_contains(name)) return v;
  for (const auto& kv : args) {
    if (spec::SameName(std::string_view(kv.key().data(), kv.key().size()), name))
      return &kv.value();
  }
  return nullptr;
}

std::string_view CompiledOperation::description() const {
  if (ref_.operation->description) return *ref_.operation->description;
  if (ref_.operation->label) return *ref_.operation->label;
  return {};
}

const ConsumedParam* CompiledOperation::FindParam(std::string_view name) const {
  for (const ConsumedParam& p : params_) {
    if (p.name == name) return &p;
  }
  for (const ConsumedParam& p : params_) {
    if (spec::SameName(p.name, name)) return &p;
  }
  return nullptr;
}

core::Result<std::shared_ptr<const CompiledOperation>> CompiledOperation::Compile(
    const spec::ConsumedOperationRef& ref, const BindValues& binds, const EnvLookup& env,
    const OperationOverrides& overrides) {
  auto op = std::make_shared<CompiledOperation>();
  op->ref_ = ref;
  op->binds_ = &binds;
  op->limits_ = overrides.limits;
  op->call_ = ref.consumes->ns + "." + ref.operation->name;
  op->method_ = std::string(spec::HttpMethodName(ref.operation->method));
  const std::string& base_uri = overrides.base_uri ? *overrides.base_uri : ref.consumes->base_uri;
  auto origin = consumes::ParseOrigin(base_uri);
  if (!origin) {
    return Fail(ErrorCode::kInvalidArgument,
                "consumes '" + ref.consumes->ns + "': " + origin.error().message);
  }
  op->origin_ = std::move(*origin);
  auto path = mapping::Template::Compile(op->origin_.base_path + ref.resource->path,
                                         mapping::TemplateSyntax::kPath);
  if (!path) {
    return Fail(ErrorCode::kInvalidArgument,
                op->call_ + ": resource path: " + path.error().message);
  }
  op->path_ = std::move(*path);

  auto add_params = [&](const std::vector<spec::ConsumedInputParameter>& list) -> core::Status {
    for (const spec::ConsumedInputParameter& p : list) {
      ConsumedParam param;
      param.name = p.name;
      param.in = p.in;
      param.type = p.type;
      param.description = p.description.value_or("");
      param.required = p.in == spec::ParameterIn::kPath || p.required.value_or(false);
      if (p.value) {
        auto tpl = mapping::Template::Compile(*p.value, mapping::TemplateSyntax::kDoubleBrace);
        if (!tpl) {
          return Fail(ErrorCode::kInvalidArgument,
                      op->call_ + ": parameter '" + p.name + "': " + tpl.error().message);
        }
        param.value = std::move(*tpl);
      }
      if (p.in == spec::ParameterIn::kEnvironment) {
        param.environment = env(p.value.value_or(p.name));
        param.value.reset();
      }
      // A later level (resource, then operation) replaces an earlier one of the same name.
      auto same = std::find_if(op->params_.begin(), op->params_.end(), [&](const ConsumedParam& q) {
        return q.in == param.in && spec::SameName(q.name, param.name);
      });
      if (same != op->params_.end()) {
        *same = std::move(param);
      } else {
        op->params_.push_back(std::move(param));
      }
    }
    return core::Ok();
  };
  CAPSTAN_RETURN_IF_ERROR(add_params(ref.consumes->input_parameters));
  CAPSTAN_RETURN_IF_ERROR(add_params(ref.resource->input_parameters));
  CAPSTAN_RETURN_IF_ERROR(add_params(ref.operation->input_parameters));

  if (ref.consumes->authentication) {
    const std::string what = "authentication of consumes '" + ref.consumes->ns + "'";
    const spec::Authentication& auth = *ref.consumes->authentication;
    if (const auto* apikey = std::get_if<spec::AuthApiKey>(&auth)) {
      CAPSTAN_ASSIGN_OR_RETURN(std::string key,
                               RenderWithBinds(apikey->key.value_or(""), binds, what));
      CAPSTAN_ASSIGN_OR_RETURN(std::string value,
                               RenderWithBinds(apikey->value.value_or(""), binds, what));
      if (key.empty()) return Fail(ErrorCode::kInvalidArgument, what + ": apikey needs a `key`");
      if (apikey->placement.value_or(spec::ApiKeyPlacement::kHeader) ==
          spec::ApiKeyPlacement::kQuery) {
        op->auth_query_.emplace_back(std::move(key), std::move(value));
      } else {
        if (!IsHeaderSafe(key) || !IsHeaderSafe(value)) {
          return Fail(ErrorCode::kInvalidArgument, what + ": value holds control characters");
        }
        op->auth_headers_.Set(key, value);
      }
    } else if (const auto* bearer = std::get_if<spec::AuthBearer>(&auth)) {
      CAPSTAN_ASSIGN_OR_RETURN(std::string token,
                               RenderWithBinds(bearer->token.value_or(""), binds, what));
      if (!IsHeaderSafe(token)) {
        return Fail(ErrorCode::kInvalidArgument, what + ": token holds control characters");
      }
      op->auth_headers_.Set("Authorization", "Bearer " + token);
    } else if (const auto* basic = std::get_if<spec::AuthBasic>(&auth)) {
      CAPSTAN_ASSIGN_OR_RETURN(std::string user,
                               RenderWithBinds(basic->username.value_or(""), binds, what));
      CAPSTAN_ASSIGN_OR_RETURN(std::string pass,
                               RenderWithBinds(basic->password.value_or(""), binds, what));
      op->auth_headers_.Set("Authorization", "Basic " + Base64(user + ":" + pass));
    } else if (const auto* digest = std::get_if<spec::AuthDigest>(&auth)) {
      DigestCredentials creds;
      CAPSTAN_ASSIGN_OR_RETURN(creds.username,
                               RenderWithBinds(digest->username.value_or(""), binds, what));
      CAPSTAN_ASSIGN_OR_RETURN(creds.password,
                               RenderWithBinds(digest->password.value_or(""), binds, what));
      op->digest_ = std::move(creds);
    } else {
      return Fail(ErrorCode::kInvalidArgument,
                  what + ": oauth2 only protects exposed adapters; it cannot sign upstream calls");
    }
  }

  if (ref.operation->body) {
    Body body;
    body.type = ref.operation->body->type;
    body.data = ref.operation->body->data;
    body.parts = ref.operation->body->parts;
    op->body_ = std::move(body);
  }
  return std::shared_ptr<const CompiledOperation>(std::move(op));
}

core::Result<consumes::UpstreamRequest> CompiledOperation::BuildRequest(
    const json::object& args) const {
  consumes::UpstreamRequest request;
  request.method = method_;
  ArgLookup lookup(args, binds_);

  // Path: each value is exactly one percent-encoded segment.
  auto path = mapping::Render(*path_, lookup, mapping::Escaping::kPathSegment);
  if (!path) {
    return Fail(ErrorCode::kInvalidArgument, call_ + ": " + path.error().message);
  }
  request.target = std::move(*path);

  std::string query;
  auto add_query = [&query](std::string_view name, std::string_view value) {
    query += query.empty() ? '?' : '&';
    core::AppendPercentEncoded(query, name, core::UrlPart::kQuery);
    query += '=';
    core::AppendPercentEncoded(query, value, core::UrlPart::kQuery);
  };
  std::string cookies;
  for (const ConsumedParam& p : params_) {
    if (p.in == spec::ParameterIn::kPath || p.in == spec::ParameterIn::kBody) continue;
    std::optional<json::value> value;
    if (p.environment) {
      value = json::value(json::string(*p.environment));
    } else if (const json::value* arg = FindArg(args, p.name); arg != nullptr && !arg->is_null()) {
      value = *arg;
    } else if (p.value) {
      auto rendered = mapping::Render(*p.value, lookup, mapping::Escaping::kNone);
      if (!rendered)
        return Fail(ErrorCode::kInvalidArgument, call_ + ": " + rendered.error().message);
      value = json::value(json::string(*rendered));
    }
    if (!value) {
      if (p.required) {
        return Fail(ErrorCode::kInvalidArgument, "missing required parameter '" + p.name + "'");
      }
      continue;
    }
    switch (p.in) {
      case spec::ParameterIn::kQuery:
        if (value->is_array()) {
          for (const json::value& item : value->get_array()) add_query(p.name, ScalarText(item));
        } else {
          add_query(p.name, ScalarText(*value));
        }
        break;
      case spec::ParameterIn::kHeader:
      case spec::ParameterIn::kEnvironment: {
        std::string text = ScalarText(*value);
        if (!IsHeaderSafe(text)) {
          return Fail(ErrorCode::kInvalidArgument,
                      "parameter '" + p.name +
                          "' holds control characters (CR/LF) and cannot be "
                          "sent as a header");
        }
        if (p.in == spec::ParameterIn::kHeader) request.headers.Set(p.name, text);
        break;
      }
      case spec::ParameterIn::kCookie: {
        std::string text = ScalarText(*value);
        if (!IsHeaderSafe(text) || text.find(';') != std::string::npos) {
          return Fail(ErrorCode::kInvalidArgument,
                      "parameter '" + p.name + "' cannot be sent as a cookie");
        }
        if (!cookies.empty()) cookies += "; ";
        cookies += p.name + "=" + text;
        break;
      }
      default:
        break;
    }
  }
  for (const auto& [name, value] : auth_query_) add_query(name, value);
  request.target += query;
  if (!cookies.empty()) request.headers.Set("Cookie", cookies);
  CAPSTAN_RETURN_IF_ERROR(AppendBody(args, request));
  for (const auto& [name, value] : auth_headers_.entries()) request.headers.Set(name, value);
  if (!request.headers.Has("Accept")) request.headers.Set("Accept", "application/json");
  return request;
}

core::Status CompiledOperation::AppendBody(const json::object& args,
                                           consumes::UpstreamRequest& request) const {
  auto set_type = [&](std::string_view type) {
    if (!request.headers.Has("Content-Type")) request.headers.Set("Content-Type", type);
  };
  if (!body_) {
    // No declared body: parameters `in: body` carry it. One parameter holding an object or
    // array (or named "body") is the whole body; otherwise they form an object.
    std::vector<const ConsumedParam*> body_params;
    for (const ConsumedParam& p : params_) {
      if (p.in == spec::ParameterIn::kBody) body_params.push_back(&p);
    }
    if (body_params.empty()) return core::Ok();
    json::object fields;
    for (const ConsumedParam* p : body_params) {
      const json::value* arg = FindArg(args, p->name);
      if (arg == nullptr) {
        if (p->required) {
          return Fail(ErrorCode::kInvalidArgument, "missing required parameter '" + p->name + "'");
        }
        continue;
      }
      if (body_params.size() == 1 && (p->name == "body" || arg->is_object() || arg->is_array())) {
        request.body = core::SerializeJson(*arg);
        set_type("application/json");
        return core::Ok();
      }
      fields.emplace(p->name, *arg);
    }
    if (!fields.empty()) {
      request.body = core::SerializeJson(json::value(std::move(fields)));
      set_type("application/json");
    }
    return core::Ok();
  }

  using Type = spec::RequestBodyType;
  switch (body_->type) {
    case Type::kJson:
    case Type::kRaw: {
      if (body_->data.is_string()) {
        CAPSTAN_ASSIGN_OR_RETURN(request.body,
                                 RenderText(body_->data, args, binds_, mapping::Escaping::kNone));
      } else {
        CAPSTAN_ASSIGN_OR_RETURN(json::value data, RenderJsonData(body_->data, args, binds_));
        request.body = core::SerializeJson(data);
      }
      set_type("application/json");
      return core::Ok();
    }
    case Type::kText:
    case Type::kXml:
    case Type::kSparql: {
      CAPSTAN_ASSIGN_OR_RETURN(request.body,
                               RenderText(body_->data, args, binds_, mapping::Escaping::kNone));
      set_type(body_->type == Type::kText  ? "text/plain"
               : body_->type == Type::kXml ? "application/xml"
                                           : "application/sparql-query");
      return core::Ok();
    }
    case Type::kFormUrlEncoded: {
      if (body_->data.is_object()) {
        std::string out;
        for (const auto& kv : body_->data.get_object()) {
          CAPSTAN_ASSIGN_OR_RETURN(std::string value,
                                   RenderText(kv.value(), args, binds_, mapping::Escaping::kNone));
          if (!out.empty()) out += '&';
          core::AppendPercentEncoded(out, std::string_view(kv.key().data(), kv.key().size()),
                                     core::UrlPart::kForm);
          out += '=';
          core::AppendPercentEncoded(out, value, core::UrlPart::kForm);
        }
        request.body = std::move(out);
      } else {
        CAPSTAN_ASSIGN_OR_RETURN(request.body,
                                 RenderText(body_->data, args, binds_, mapping::Escaping::kNone));
      }
      set_type("application/x-www-form-urlencoded");
      return core::Ok();
    }
    case Type::kMultipartForm: {
      static std::atomic<unsigned> counter{0};
      std::string boundary = "capstan-boundary-" + std::to_string(++counter) + "-" +
                             std::to_string(reinterpret_cast<std::uintptr_t>(this) & 0xFFFFFF);
      std::string out;
      for (const spec::MultipartPart& part : body_->parts) {
        CAPSTAN_ASSIGN_OR_RETURN(std::string value,
                                 RenderText(json::value(json::string(part.value)), args, binds_,
                                            mapping::Escaping::kNone));
        if (!IsHeaderSafe(part.name) || part.name.find('"') != std::string::npos) {
          return Fail(ErrorCode::kInvalidArgument, "multipart part name is not safe");
        }
        out += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + part.name + "\"";
        if (part.filename) out += "; filename=\"" + *part.filename + "\"";
        out += "\r\n";
        if (part.content_type) out += "Content-Type: " + *part.content_type + "\r\n";
        out += "\r\n" + value + "\r\n";
      }
      out += "--" + boundary + "--\r\n";
      request.body = std::move(out);
      request.headers.Set("Content-Type", "multipart/form-data; boundary=" + boundary);
      return core::Ok();
    }
  }
  return core::Ok();
}

}  // namespace capstan::runtime
