#include "runtime/operation.hpp"

#include <algorithm>
#include <random>

#include "core/percent.hpp"
#include "mapping/utf8.hpp"
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

// The variables a request template sees: the call's arguments (parameter names, '-' == '_'),
// then the `in: environment` parameters, then the bind variables.
class Variables {
 public:
  Variables(const json::object& args, const std::vector<ConsumedParam>& params,
            const BindValues* binds)
      : args_(args), params_(params), binds_(binds) {}

  // The argument's JSON value, or nullptr when absent or null.
  [[nodiscard]] const json::value* Arg(std::string_view name) const {
    const json::value* v = FindArg(args_, name);
    return v != nullptr && !v->is_null() ? v : nullptr;
  }

  // The text of a variable (a VariableLookup): valid until the next call.
  std::optional<std::string_view> operator()(std::string_view name) const {
    if (const json::value* v = Arg(name)) {
      buffer_.clear();
      AppendScalarText(buffer_, *v);
      return std::string_view(buffer_);
    }
    for (const ConsumedParam& p : params_) {
      if (p.in == spec::ParameterIn::kEnvironment && p.environment &&
          spec::SameName(p.name, name)) {
        return std::string_view(*p.environment);
      }
    }
    if (binds_ != nullptr) return binds_->Find(name);
    return std::nullopt;
  }

 private:
  const json::object& args_;
  const std::vector<ConsumedParam>& params_;
  const BindValues* binds_;
  mutable std::string buffer_;
};

// Where the text of a body lands, which decides how each template value is escaped.
enum class BodyContext {
  kPlain,  // text/plain, SPARQL, multipart part values: as is
  kJson,   // JSON text: string content escaped inside "...", JSON values outside
  kXml,    // XML: & < > " ' as entities
  kForm,   // a pre-encoded form string: each value form-encoded
};

void AppendXmlEscaped(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
}

// Renders a body template, escaping each value for `context`. In JSON text, a placeholder inside
// a string literal gets JSON string escaping; outside one it becomes one JSON value: an argument
// keeps its JSON type (numbers stay numbers), text (a string argument, a bind) is a JSON string.
core::Result<std::string> RenderBody(const mapping::Template& tpl, const Variables& vars,
                                     BodyContext context) {
  std::string out;
  out.reserve(tpl.source().size() + 32);
  bool in_string = false;
  bool escaped = false;
  for (const mapping::TemplateSegment& segment : tpl.segments()) {
    if (segment.kind == mapping::TemplateSegment::Kind::kLiteral) {
      out += segment.text;
      if (context != BodyContext::kJson) continue;
      for (char c : segment.text) {
        if (escaped) {
          escaped = false;
        } else if (in_string && c == '\\') {
          escaped = true;
        } else if (c == '"') {
          in_string = !in_string;
        }
      }
      continue;
    }
    escaped = false;
    if (context == BodyContext::kJson && !in_string) {
      // Outside a string literal a value is one JSON value: never raw text that could add keys.
      if (const json::value* v = vars.Arg(segment.text);
          v != nullptr && !v->is_string() && !v->is_object() && !v->is_array()) {
        core::AppendJson(out, *v);
        continue;
      }
    }
    std::optional<std::string_view> value = vars(segment.text);
    if (!value && context == BodyContext::kJson && !in_string) {
      // An optional input the caller left out is JSON null there, never an empty gap that
      // would make the body invalid JSON (the reference engine renders "").
      out += "null";
      continue;
    }
    if (!value) {
      return Fail(ErrorCode::kInvalidArgument,
                  "body: template variable '" + segment.text + "' is not defined");
    }
    switch (context) {
      case BodyContext::kPlain:
        out += *value;
        break;
      case BodyContext::kJson: {
        if (mapping::FindInvalidUtf8(*value) != std::string_view::npos) {
          return Fail(ErrorCode::kInvalidArgument,
                      "body: value of '" + segment.text + "' is not valid UTF-8");
        }
        if (!in_string) {
          const json::value* v = vars.Arg(segment.text);
          if (v != nullptr && !v->is_string()) {
            core::AppendJson(out, *v);  // an object or array argument
          } else {
            core::AppendJsonString(out, *value);  // text: a JSON string
          }
          break;
        }
        std::size_t start = out.size();
        core::AppendJsonString(out, *value);  // inside "...": drop the quotes
        out.pop_back();
        out.erase(start, 1);
        break;
      }
      case BodyContext::kXml:
        AppendXmlEscaped(out, *value);
        break;
      case BodyContext::kForm:
        core::AppendPercentEncoded(out, *value, core::UrlPart::kForm);
        break;
    }
  }
  return out;
}

// Compiles every string leaf of a structured JSON body, so that a bad template is a start-up
// error.
core::Status CheckJsonTemplates(const json::value& data, const std::string& what) {
  if (data.is_string()) {
    auto tpl = mapping::Template::Compile(std::string_view(data.get_string()),
                                          mapping::TemplateSyntax::kDoubleBrace);
    if (!tpl) return Fail(ErrorCode::kInvalidArgument, what + ": body: " + tpl.error().message);
  } else if (data.is_array()) {
    for (const json::value& v : data.get_array()) {
      CAPSTAN_RETURN_IF_ERROR(CheckJsonTemplates(v, what));
    }
  } else if (data.is_object()) {
    for (const auto& kv : data.get_object()) {
      CAPSTAN_RETURN_IF_ERROR(CheckJsonTemplates(kv.value(), what));
    }
  }
  return core::Ok();
}

// Renders the string leaves of a structured JSON body. A leaf that is exactly "{{x}}" takes the
// argument's JSON value (so numbers stay numbers), and is left out when x is an optional
// parameter the call does not give; other leaves render as text (escaped when serialised).
// Returns nullopt for a leaf to leave out.
core::Result<std::optional<json::value>> RenderJsonData(const json::value& data,
                                                        const Variables& vars,
                                                        const CompiledOperation& op) {
  if (data.is_string()) {
    std::string_view s(data.get_string().data(), data.get_string().size());
    auto tpl = mapping::Template::Compile(s, mapping::TemplateSyntax::kDoubleBrace);
    if (!tpl) return Fail(ErrorCode::kInvalidArgument, "body: " + tpl.error().message);
    const auto& segs = tpl->segments();
    if (segs.size() == 1 && segs[0].kind == mapping::TemplateSegment::Kind::kVariable) {
      if (const json::value* v = vars.Arg(segs[0].text)) return std::optional<json::value>(*v);
      if (!vars(segs[0].text)) {
        const ConsumedParam* param = op.FindParam(segs[0].text);
        if (param != nullptr && !param->required && param->in != spec::ParameterIn::kEnvironment) {
          return std::optional<json::value>();
        }
      }
    }
    auto rendered = mapping::Render(*tpl, vars, mapping::Escaping::kNone);
    if (!rendered) {
      return Fail(ErrorCode::kInvalidArgument, "body: " + rendered.error().message);
    }
    if (mapping::FindInvalidUtf8(*rendered) != std::string_view::npos) {
      return Fail(ErrorCode::kInvalidArgument, "body: a value is not valid UTF-8");
    }
    return std::optional<json::value>(json::value(json::string(*rendered)));
  }
  if (data.is_array()) {
    json::array out;
    for (const json::value& v : data.get_array()) {
      CAPSTAN_ASSIGN_OR_RETURN(auto item, RenderJsonData(v, vars, op));
      if (item) out.push_back(std::move(*item));
    }
    return std::optional<json::value>(json::value(std::move(out)));
  }
  if (data.is_object()) {
    json::object out;
    for (const auto& kv : data.get_object()) {
      CAPSTAN_ASSIGN_OR_RETURN(auto item, RenderJsonData(kv.value(), vars, op));
      if (item) out.emplace(kv.key(), std::move(*item));
    }
    return std::optional<json::value>(json::value(std::move(out)));
  }
  return std::optional<json::value>(data);
}

bool IsJsonMediaType(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  if (http::IEquals(type, "application/json")) return true;
  return type.size() > 5 && http::IEquals(type.substr(type.size() - 5), "+json");
}

// A multipart boundary no part value contains: 32 random hex digits.
std::string MakeBoundary() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "capstan-";
  for (int i = 0; i < 32; ++i) out += kHex[rng() & 0xF];
  return out;
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
  op->resilience_ = overrides.resilience;
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
        // The variable `value` names (else the parameter's own name); unset is a start-up error.
        std::string variable = p.value.value_or(p.name);
        param.environment = env(variable);
        param.value.reset();
        if (!param.environment) {
          return Fail(ErrorCode::kNotFound, op->call_ + ": parameter '" + p.name +
                                                "' (in: environment) reads environment "
                                                "variable " +
                                                variable + ", which is not set");
        }
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
  // A value template's bind-style variables ({{VAR}}, {{ns.VAR}}) must resolve now: a missing one
  // is a start-up error, never a header silently left out. Lower-case names are call inputs.
  for (const ConsumedParam& p : op->params_) {
    if (!p.value) continue;
    for (const std::string& name : p.value->ListVariables()) {
      bool bind_style = spec::IsBindVariableName(name) || name.find('.') != std::string::npos;
      if (!bind_style || binds.Find(name) || op->FindParam(name) != nullptr) continue;
      return Fail(ErrorCode::kNotFound, op->call_ + ": parameter '" + p.name +
                                            "': template variable '" + name +
                                            "' is not defined (declare it under `binds`)");
    }
  }

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
    const spec::RequestBody& spec_body = *ref.operation->body;
    Body body;
    body.type = spec_body.type;
    auto compile = [&](std::string_view text) -> core::Result<mapping::Template> {
      auto tpl = mapping::Template::Compile(text, mapping::TemplateSyntax::kDoubleBrace);
      if (!tpl) {
        return Fail(ErrorCode::kInvalidArgument, op->call_ + ": body: " + tpl.error().message);
      }
      return tpl;
    };
    if (body.type == spec::RequestBodyType::kMultipartForm) {
      for (const spec::MultipartPart& part : spec_body.parts) {
        const std::string no_text;
        for (const std::string* text : {&part.name, part.filename ? &*part.filename : &no_text,
                                        part.content_type ? &*part.content_type : &no_text}) {
          if (!IsHeaderSafe(*text) || text->find('"') != std::string::npos) {
            return Fail(ErrorCode::kInvalidArgument,
                        op->call_ + ": multipart part '" + part.name +
                            "': names, file names and content types cannot hold quotes or "
                            "control characters");
          }
        }
        CAPSTAN_ASSIGN_OR_RETURN(mapping::Template value, compile(part.value));
        body.parts.push_back(Part{part, std::move(value)});
      }
    } else if (spec_body.data.is_string()) {
      CAPSTAN_ASSIGN_OR_RETURN(body.text, compile(std::string_view(spec_body.data.get_string())));
    } else if (body.type == spec::RequestBodyType::kFormUrlEncoded && spec_body.data.is_object()) {
      for (const auto& kv : spec_body.data.get_object()) {
        std::string text = kv.value().is_string() ? std::string(kv.value().get_string())
                                                  : core::SerializeJson(kv.value());
        CAPSTAN_ASSIGN_OR_RETURN(mapping::Template value, compile(text));
        body.fields.emplace_back(std::string(kv.key()), std::move(value));
      }
    } else if (body.type == spec::RequestBodyType::kJson ||
               body.type == spec::RequestBodyType::kRaw) {
      CAPSTAN_RETURN_IF_ERROR(CheckJsonTemplates(spec_body.data, op->call_));
      body.data = spec_body.data;
    } else {
      // text, xml and sparql bodies are strings (the schema says so); anything else goes out
      // as its JSON text.
      CAPSTAN_ASSIGN_OR_RETURN(body.text, compile(core::SerializeJson(spec_body.data)));
    }
    op->body_ = std::move(body);
  }
  return std::shared_ptr<const CompiledOperation>(std::move(op));
}

core::Result<consumes::UpstreamRequest> CompiledOperation::BuildRequest(
    const json::object& args) const {
  consumes::UpstreamRequest request;
  request.method = method_;
  Variables vars(args, params_, binds_);

  // Path: each value is exactly one percent-encoded segment.
  auto path = mapping::Render(*path_, vars, mapping::Escaping::kPathSegment);
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
    if (p.in == spec::ParameterIn::kPath || p.in == spec::ParameterIn::kBody ||
        p.in == spec::ParameterIn::kEnvironment) {
      continue;
    }
    std::optional<json::value> value;
    if (const json::value* arg = vars.Arg(p.name)) {
      value = *arg;
    } else if (p.value) {
      // A value template whose variables are not all given leaves the parameter out.
      auto rendered = mapping::Render(*p.value, vars,
                                      {mapping::Escaping::kNone, mapping::MissingPolicy::kOmit});
      if (!rendered) {
        return Fail(ErrorCode::kInvalidArgument, call_ + ": " + rendered.error().message);
      }
      if (rendered->missing.empty()) value = json::value(json::string(rendered->text));
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
      case spec::ParameterIn::kHeader: {
        std::string text = ScalarText(*value);
        if (!IsHeaderSafe(text)) {
          return Fail(ErrorCode::kInvalidArgument,
                      "parameter '" + p.name +
                          "' holds control characters (CR/LF) and cannot be sent as a header");
        }
        request.headers.Set(p.name, text);
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
  Variables vars(args, params_, binds_);
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
      if (body_->text) {
        // A raw body is JSON unless a header parameter gave it another Content-Type.
        auto declared = request.headers.Get("Content-Type");
        BodyContext context = body_->type == Type::kJson || !declared || IsJsonMediaType(*declared)
                                  ? BodyContext::kJson
                                  : BodyContext::kPlain;
        CAPSTAN_ASSIGN_OR_RETURN(request.body, RenderBody(*body_->text, vars, context));
      } else {
        CAPSTAN_ASSIGN_OR_RETURN(auto data, RenderJsonData(body_->data, vars, *this));
        request.body = core::SerializeJson(data ? *data : json::value(nullptr));
      }
      set_type("application/json");
      return core::Ok();
    }
    case Type::kText:
    case Type::kSparql: {
      CAPSTAN_ASSIGN_OR_RETURN(request.body, RenderBody(*body_->text, vars, BodyContext::kPlain));
      set_type(body_->type == Type::kText ? "text/plain" : "application/sparql-query");
      return core::Ok();
    }
    case Type::kXml: {
      CAPSTAN_ASSIGN_OR_RETURN(request.body, RenderBody(*body_->text, vars, BodyContext::kXml));
      set_type("application/xml");
      return core::Ok();
    }
    case Type::kFormUrlEncoded: {
      if (body_->text) {
        CAPSTAN_ASSIGN_OR_RETURN(request.body, RenderBody(*body_->text, vars, BodyContext::kForm));
      } else {
        std::string out;
        for (const auto& [name, tpl] : body_->fields) {
          CAPSTAN_ASSIGN_OR_RETURN(std::string value, RenderBody(tpl, vars, BodyContext::kPlain));
          if (!out.empty()) out += '&';
          core::AppendPercentEncoded(out, name, core::UrlPart::kForm);
          out += '=';
          core::AppendPercentEncoded(out, value, core::UrlPart::kForm);
        }
        request.body = std::move(out);
      }
      set_type("application/x-www-form-urlencoded");
      return core::Ok();
    }
    case Type::kMultipartForm: {
      std::vector<std::string> values;
      values.reserve(body_->parts.size());
      for (const Part& part : body_->parts) {
        CAPSTAN_ASSIGN_OR_RETURN(std::string value,
                                 RenderBody(part.value, vars, BodyContext::kPlain));
        values.push_back(std::move(value));
      }
      std::string boundary = MakeBoundary();
      while (std::any_of(values.begin(), values.end(), [&](const std::string& v) {
        return v.find(boundary) != std::string::npos;
      })) {
        boundary = MakeBoundary();
      }
      std::string out;
      for (std::size_t i = 0; i < body_->parts.size(); ++i) {
        const spec::MultipartPart& part = body_->parts[i].spec;
        out += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + part.name + "\"";
        if (part.filename) out += "; filename=\"" + *part.filename + "\"";
        out += "\r\n";
        if (part.content_type) out += "Content-Type: " + *part.content_type + "\r\n";
        out += "\r\n" + values[i] + "\r\n";
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
