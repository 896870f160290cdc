#include "exposes/mcp/jsonrpc.hpp"

namespace capstan::mcp {

Message Classify(const json::value& value) {
  Message m;
  if (!value.is_object()) {
    m.problem = "a JSON-RPC message must be an object";
    return m;
  }
  const json::object& o = value.get_object();
  const json::value* version = o.if_contains("jsonrpc");
  if (version == nullptr || !version->is_string() || version->get_string() != "2.0") {
    m.problem = "\"jsonrpc\" must be \"2.0\"";
    return m;
  }
  const json::value* id = o.if_contains("id");
  const json::value* method = o.if_contains("method");
  if (id != nullptr && !id->is_string() && !id->is_int64() && !id->is_uint64()) {
    if (!(id->is_null() && method == nullptr)) {  // error responses may carry a null id
      m.problem = "\"id\" must be a string or an integer";
      return m;
    }
  }
  if (method != nullptr) {
    if (!method->is_string()) {
      m.problem = "\"method\" must be a string";
      return m;
    }
    m.method = std::string_view(method->get_string().data(), method->get_string().size());
    if (const json::value* params = o.if_contains("params")) {
      if (!params->is_object()) {
        m.problem = "\"params\" must be an object";
        return m;
      }
      m.params = &params->get_object();
    }
    m.id = id;
    m.kind = id != nullptr ? MessageKind::kRequest : MessageKind::kNotification;
    return m;
  }
  const json::value* result = o.if_contains("result");
  const json::value* error = o.if_contains("error");
  if (id != nullptr && ((result != nullptr) != (error != nullptr))) {
    m.kind = MessageKind::kResponse;
    m.id = id;
    m.result = result;
    m.error = error;
    return m;
  }
  m.problem = "not a request, notification or response";
  return m;
}

std::string IdKey(const json::value& id) {
  if (id.is_string()) return "s:" + std::string(id.get_string());
  if (id.is_int64()) return "n:" + std::to_string(id.get_int64());
  if (id.is_uint64()) return "n:" + std::to_string(id.get_uint64());
  return "x:";
}

namespace {

void AppendId(std::string& out, const json::value* id) {
  out += "{\"jsonrpc\":\"2.0\",\"id\":";
  if (id == nullptr) {
    out += "null";
  } else {
    core::AppendJson(out, *id);
  }
}

// `object` without its closing brace, and a comma if a member is to follow one.
void AppendOpenObject(std::string& out, const json::object& object) {
  core::AppendJson(out, object);
  out.pop_back();
  if (!object.empty()) out += ',';
}

}  // namespace

std::string ResultText(const json::value& id, const json::value& result) {
  std::string out;
  AppendId(out, &id);
  out += ",\"result\":";
  core::AppendJson(out, result);
  out += '}';
  return out;
}

std::string ResultTextWithRawMember(const json::value& id, const json::object& result,
                                    std::string_view key, std::string_view raw_json) {
  std::string out;
  AppendId(out, &id);
  out += ",\"result\":";
  AppendOpenObject(out, result);
  core::AppendJsonString(out, key);
  out += ':';
  out += raw_json;
  out += "}}";
  return out;
}

std::string ToolResultTextWithJsonBody(const json::value& id, const json::object& result,
                                       std::string_view json_body) {
  std::string out;
  out.reserve(2 * json_body.size() + 256);  // the body twice, once escaped (~1/10 more bytes)
  AppendId(out, &id);
  out += ",\"result\":";
  AppendOpenObject(out, result);
  out += R"("content":[{"type":"text","text":)";
  core::AppendJsonString(out, json_body);
  out += R"(}],"structuredContent":)";
  out += json_body;
  out += "}}";
  return out;
}

std::string ErrorText(const json::value* id, int code, std::string_view message,
                      const json::value* data) {
  std::string out;
  AppendId(out, id);
  out += ",\"error\":{\"code\":" + std::to_string(code) + ",\"message\":";
  core::AppendJsonString(out, message);
  if (data != nullptr) {
    out += ",\"data\":";
    core::AppendJson(out, *data);
  }
  out += "}}";
  return out;
}

std::string NotificationText(std::string_view method, const json::object& params) {
  std::string out = "{\"jsonrpc\":\"2.0\",\"method\":";
  core::AppendJsonString(out, method);
  out += ",\"params\":";
  core::AppendJson(out, params);
  out += '}';
  return out;
}

std::string RequestText(std::string_view id, std::string_view method, const json::object& params) {
  std::string out = "{\"jsonrpc\":\"2.0\",\"id\":";
  core::AppendJsonString(out, id);
  out += ",\"method\":";
  core::AppendJsonString(out, method);
  out += ",\"params\":";
  core::AppendJson(out, params);
  out += '}';
  return out;
}

const json::object* Meta(const Message& message) {
  if (message.params == nullptr) return nullptr;
  const json::value* meta = message.params->if_contains("_meta");
  return meta != nullptr && meta->is_object() ? &meta->get_object() : nullptr;
}

std::optional<std::string_view> StringField(const json::object* object, std::string_view key) {
  if (object == nullptr) return std::nullopt;
  const json::value* v = object->if_contains(key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string_view(v->get_string().data(), v->get_string().size());
}

}  // namespace capstan::mcp
