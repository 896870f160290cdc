#include "exposes/rest/openapi.hpp"

#include <cctype>
#include <set>

#include "exposes/rest/rest_adapter.hpp"
#include "spec/references.hpp"

namespace capstan::rest {
namespace {

namespace json = core::json;

json::object InputSchema(const runtime::InputSpec& in) {
  json::object schema{{"type", spec::ValueTypeName(in.type)}};
  // A query array takes every occurrence as a string (docs/rest.md).
  if (in.type == spec::ValueType::kArray) schema["items"] = json::object{{"type", "string"}};
  if (in.pattern) schema["pattern"] = *in.pattern;
  return schema;
}

// The schema of a mapped output as the file declares it; a pass-through (`mapping: $.` without
// properties) is any value of the declared type.
json::object OutputSchema(const spec::OutputParameter& p) {
  json::object schema;
  if (p.const_value) {
    schema["const"] = *p.const_value;
    return schema;
  }
  schema["type"] = spec::ValueTypeName(p.type);
  if (p.type == spec::ValueType::kObject && !p.properties.empty()) {
    json::object properties;
    for (const spec::OutputParameter& q : p.properties) properties[q.name] = OutputSchema(q);
    schema["properties"] = std::move(properties);
  }
  if (p.type == spec::ValueType::kArray && !p.items.empty()) {
    schema["items"] = OutputSchema(p.items.front());
  }
  return schema;
}

json::object ResponseSchema(const std::vector<spec::OutputParameter>& outputs) {
  if (outputs.empty()) return json::object();
  if (outputs.size() == 1 && outputs.front().name.empty()) return OutputSchema(outputs.front());
  json::object properties;
  for (const spec::OutputParameter& p : outputs) properties[p.name] = OutputSchema(p);
  return json::object{{"type", "object"}, {"properties", std::move(properties)}};
}

// "/v1/jwts/{{jti}}" → "/v1/jwts/{jti}", and the variable names in order.
std::string OpenApiPath(std::string_view path, std::vector<std::string>& variables) {
  std::string out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '{') {
      std::size_t open = path.compare(i, 2, "{{") == 0 ? 2 : 1;
      std::size_t close = path.find('}', i);
      if (close == std::string_view::npos) break;
      std::string name(path.substr(i + open, close - i - open));
      variables.push_back(name);
      out += "{" + name + "}";
      i = close + (open == 2 && path.compare(close, 2, "}}") == 0 ? 2 : 1);
      continue;
    }
    out.push_back(path[i++]);
  }
  return out;
}

// A literal secret name (an API key header) or "" when it is a template over the binds.
std::string Literal(const std::optional<std::string>& text) {
  if (!text || text->find("{{") != std::string::npos) return "";
  return *text;
}

json::object ErrorSchema() {
  return json::object{{"type", "object"},
                      {"description", "capstan's own error answer"},
                      {"properties", json::object{{"type", json::object{{"type", "string"}}},
                                                  {"message", json::object{{"type", "string"}}}}},
                      {"required", json::array{"type", "message"}}};
}

}  // namespace

core::Result<json::object> ExportOpenApi(std::shared_ptr<const runtime::Runtime> runtime,
                                         const spec::ExposesRest& spec,
                                         const OpenApiOptions& options) {
  const spec::Capability& capability = runtime->capability();
  CAPSTAN_ASSIGN_OR_RETURN(std::vector<RestOperationInfo> operations,
                           DescribeRestAdapter(runtime, spec));
  // The operations in declaration order, beside their spec (for names and output schemas).
  std::vector<const spec::ExposedOperation*> declared;
  for (const spec::ExposedResource& r : spec.resources) {
    for (const spec::ExposedOperation& op : r.operations) declared.push_back(&op);
  }
  json::object info;
  info["title"] = capability.info ? capability.info->label : spec.ns;
  std::string description =
      spec.description.value_or(capability.info ? capability.info->description : std::string());
  if (!description.empty()) info["description"] = description;
  info["version"] = capability.info && capability.info->modified ? *capability.info->modified
                                                                 : std::string("1.0.0");
  std::string server = options.server_url;
  if (server.empty()) {
    std::string address = spec.address.value_or("127.0.0.1");
    if (address == "localhost") address = "127.0.0.1";
    if (address.find(':') != std::string::npos) address = "[" + address + "]";
    server = "http://" + address + ":" + std::to_string(spec.port);
  }

  json::object paths;
  std::set<std::string> operation_ids;
  for (std::size_t k = 0; k < operations.size(); ++k) {
    const RestOperationInfo& op = operations[k];
    const spec::ExposedOperation* decl = k < declared.size() ? declared[k] : nullptr;
    std::vector<std::string> variables;
    std::string path = OpenApiPath(op.path, variables);
    json::object operation;
    std::string id = op.name;
    if (id.empty() || operation_ids.count(id)) {
      id.clear();
      for (char c : op.method + path) {
        id.push_back(
            std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '-');
      }
    }
    operation_ids.insert(id);
    operation["operationId"] = id;
    if (!op.description.empty()) operation["summary"] = op.description;
    json::array parameters;
    std::set<std::string> bound;
    json::object body_properties;
    json::array body_required;
    std::optional<json::object> whole_body;
    bool body_required_any = false;
    for (const runtime::InputSpec& in : op.invocation->inputs()) {
      if (in.value && (in.value->empty() || (*in.value)[0] != '$')) continue;  // a constant
      if (in.in == spec::ParameterIn::kBody) {
        const bool whole = (in.name == "body" || in.type == spec::ValueType::kObject ||
                            in.type == spec::ValueType::kArray) &&
                           !in.value;
        json::object schema = InputSchema(in);
        if (!in.description.empty()) schema["description"] = in.description;
        if (whole) {
          whole_body = std::move(schema);
        } else {
          body_properties[in.name] = std::move(schema);
          if (in.required) body_required.emplace_back(in.name);
        }
        body_required_any = body_required_any || in.required;
        continue;
      }
      std::string_view where = in.in == spec::ParameterIn::kPath     ? "path"
                               : in.in == spec::ParameterIn::kHeader ? "header"
                               : in.in == spec::ParameterIn::kCookie ? "cookie"
                                                                     : "query";
      std::string name = in.name;
      if (where == "path") {
        // The template's spelling: {access-key} serves the input access_key.
        for (const std::string& v : variables) {
          if (spec::SameName(v, in.name)) name = v;
        }
        bound.insert(name);
      }
      json::object parameter{{"name", name}, {"in", where}};
      if (!in.description.empty()) parameter["description"] = in.description;
      parameter["required"] = where == "path" || in.required;
      parameter["schema"] = InputSchema(in);
      if (in.type == spec::ValueType::kArray && where == "query") {
        parameter["style"] = "form";
        parameter["explode"] = true;
      }
      parameters.emplace_back(std::move(parameter));
    }
    for (const std::string& v : variables) {  // a path variable no input reads
      if (bound.count(v)) continue;
      parameters.emplace_back(json::object{{"name", v},
                                           {"in", "path"},
                                           {"required", true},
                                           {"schema", json::object{{"type", "string"}}}});
    }
    if (!parameters.empty()) operation["parameters"] = std::move(parameters);
    if (whole_body || !body_properties.empty()) {
      json::object schema;
      if (whole_body) {
        schema = std::move(*whole_body);
      } else {
        schema = json::object{{"type", "object"}, {"properties", std::move(body_properties)}};
        if (!body_required.empty()) schema["required"] = std::move(body_required);
      }
      operation["requestBody"] = json::object{
          {"required", body_required_any},
          {"content", json::object{{"application/json", json::object{{"schema", schema}}}}}};
    }
    json::object ok{{"description", "The mapped answer of the upstream"}};
    json::object schema = decl ? ResponseSchema(decl->output_parameters) : json::object();
    ok["content"] = json::object{{"application/json", json::object{{"schema", schema}}}};
    json::object error_content{
        {"application/json",
         json::object{{"schema", json::object{{"$ref", "#/components/schemas/Error"}}}}}};
    json::object responses{{"200", ok}};
    responses["400"] = json::object{{"description", "An input is missing or has the wrong type"},
                                    {"content", error_content}};
    if (spec.authentication) {
      responses["401"] = json::object{{"description", "Not authenticated"}};
    }
    responses["502"] = json::object{{"description", "The upstream did not give a usable answer"},
                                    {"content", error_content}};
    responses["504"] = json::object{{"description", "The upstream did not answer in time"},
                                    {"content", error_content}};
    responses["default"] =
        json::object{{"description", "The upstream's own answer, passed through"}};
    operation["responses"] = std::move(responses);
    std::string method;
    for (char c : op.method) method.push_back(static_cast<char>(std::tolower(c)));
    json::value& item = paths[path];
    if (!item.is_object()) item = json::object();
    item.as_object()[method] = std::move(operation);
  }

  json::object components{{"schemas", json::object{{"Error", ErrorSchema()}}}};
  json::object document{{"openapi", "3.1.0"}, {"info", std::move(info)}};
  document["servers"] = json::array{json::object{{"url", server}}};
  if (spec.authentication) {
    json::object scheme;
    std::string name = "capstan";
    if (std::holds_alternative<spec::AuthBearer>(*spec.authentication)) {
      scheme = json::object{{"type", "http"}, {"scheme", "bearer"}};
      name = "bearer";
    } else if (std::holds_alternative<spec::AuthBasic>(*spec.authentication)) {
      scheme = json::object{{"type", "http"}, {"scheme", "basic"}};
      name = "basic";
    } else if (std::holds_alternative<spec::AuthDigest>(*spec.authentication)) {
      scheme = json::object{{"type", "http"}, {"scheme", "digest"}};
      name = "digest";
    } else if (const auto* key = std::get_if<spec::AuthApiKey>(&*spec.authentication)) {
      const bool query =
          key->placement.value_or(spec::ApiKeyPlacement::kHeader) == spec::ApiKeyPlacement::kQuery;
      std::string key_name = Literal(key->key);
      scheme = json::object{{"type", "apiKey"},
                            {"name", key_name.empty() ? "X-API-Key" : key_name},
                            {"in", query ? "query" : "header"}};
      name = "apiKey";
    } else if (const auto* oauth = std::get_if<spec::AuthOAuth2>(&*spec.authentication)) {
      scheme = json::object{
          {"type", "oauth2"},
          {"flows", json::object{{"clientCredentials",
                                  json::object{{"tokenUrl", oauth->token_endpoint.value_or(
                                                                oauth->authorization_server_uri)},
                                               {"scopes", json::object()}}}}}};
      name = "oauth2";
    }
    components["securitySchemes"] = json::object{{name, scheme}};
    document["security"] = json::array{json::object{{name, json::array()}}};
  }
  document["paths"] = std::move(paths);
  document["components"] = std::move(components);
  return document;
}

}  // namespace capstan::rest
