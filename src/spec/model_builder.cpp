#include "spec/model_builder.hpp"

#include <utility>

namespace capstan::spec {
namespace {

std::optional<HttpMethod> ParseMethod(std::string_view s) {
  if (s == "GET") return HttpMethod::kGet;
  if (s == "POST") return HttpMethod::kPost;
  if (s == "PUT") return HttpMethod::kPut;
  if (s == "PATCH") return HttpMethod::kPatch;
  if (s == "DELETE") return HttpMethod::kDelete;
  return std::nullopt;
}

std::optional<ParameterIn> ParseIn(std::string_view s) {
  if (s == "query") return ParameterIn::kQuery;
  if (s == "header") return ParameterIn::kHeader;
  if (s == "path") return ParameterIn::kPath;
  if (s == "cookie") return ParameterIn::kCookie;
  if (s == "body") return ParameterIn::kBody;
  if (s == "environment") return ParameterIn::kEnvironment;
  return std::nullopt;
}

std::optional<ValueType> ParseValueType(std::string_view s) {
  if (s == "string") return ValueType::kString;
  if (s == "number") return ValueType::kNumber;
  if (s == "integer") return ValueType::kInteger;
  if (s == "boolean") return ValueType::kBoolean;
  if (s == "array") return ValueType::kArray;
  if (s == "object") return ValueType::kObject;
  return std::nullopt;
}

std::optional<OutputRawFormat> ParseRawFormat(std::string_view s) {
  static constexpr std::pair<std::string_view, OutputRawFormat> kFormats[] = {
      {"json", OutputRawFormat::kJson}, {"xml", OutputRawFormat::kXml},
      {"avro", OutputRawFormat::kAvro}, {"protobuf", OutputRawFormat::kProtobuf},
      {"csv", OutputRawFormat::kCsv},   {"tsv", OutputRawFormat::kTsv},
      {"psv", OutputRawFormat::kPsv},   {"yaml", OutputRawFormat::kYaml},
      {"html", OutputRawFormat::kHtml}, {"markdown", OutputRawFormat::kMarkdown},
  };
  for (const auto& [name, format] : kFormats) {
    if (name == s) return format;
  }
  return std::nullopt;
}

std::optional<ScriptLanguage> ParseLanguage(std::string_view s) {
  if (s == "javascript") return ScriptLanguage::kJavascript;
  if (s == "python") return ScriptLanguage::kPython;
  if (s == "groovy") return ScriptLanguage::kGroovy;
  return std::nullopt;
}

// Reads fields of JSON objects, remembering where each object came from.
class Reader {
 public:
  explicit Reader(const PositionTable& positions) : positions_(positions) {}

  // Where the node at `pointer` starts: its key for object members, else its first token.
  SourceLocation Loc(const std::string& pointer) const { return positions_.Locate(pointer); }

  static const json::value* Get(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it == o.end() ? nullptr : &it->value();
  }
  static std::optional<std::string> Str(const json::object& o, std::string_view key) {
    const json::value* v = Get(o, key);
    if (v == nullptr || !v->is_string()) return std::nullopt;
    return std::string(v->as_string());
  }
  static std::string StrOr(const json::object& o, std::string_view key) {
    return Str(o, key).value_or(std::string());
  }
  static std::optional<bool> Bool(const json::object& o, std::string_view key) {
    const json::value* v = Get(o, key);
    if (v == nullptr || !v->is_bool()) return std::nullopt;
    return v->as_bool();
  }
  static std::optional<std::int64_t> Int(const json::object& o, std::string_view key) {
    const json::value* v = Get(o, key);
    if (v == nullptr) return std::nullopt;
    if (v->is_int64()) return v->as_int64();
    if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
      return static_cast<std::int64_t>(v->as_uint64());
    }
    return std::nullopt;
  }
  static std::optional<double> Number(const json::object& o, std::string_view key) {
    const json::value* v = Get(o, key);
    if (v == nullptr || !v->is_number()) return std::nullopt;
    return v->to_number<double>();
  }
  std::optional<Reference> Ref(const json::object& o, std::string_view key,
                               const std::string& pointer) const {
    auto target = Str(o, key);
    if (!target) return std::nullopt;
    return Reference{Loc(JoinPointer(pointer, key)), std::move(*target)};
  }

  static std::vector<std::string> Strings(const json::object& o, std::string_view key) {
    std::vector<std::string> out;
    const json::value* v = Get(o, key);
    if (v == nullptr || !v->is_array()) return out;
    for (const json::value& item : v->as_array()) {
      if (item.is_string()) out.emplace_back(item.as_string());
    }
    return out;
  }
  static std::optional<int> Port(const json::object& o) {
    auto port = Int(o, "port");
    if (!port || *port < 0 || *port > 65535) return std::nullopt;
    return static_cast<int>(*port);
  }

  // Calls `read(object, pointer)` for every object item of the array at o[key].
  template <typename T, typename F>
  std::vector<T> List(const json::object& o, std::string_view key, const std::string& pointer,
                      F&& read) const {
    std::vector<T> out;
    const json::value* v = Get(o, key);
    if (v == nullptr || !v->is_array()) return out;
    std::string base = JoinPointer(pointer, key);
    const json::array& arr = v->as_array();
    for (std::size_t i = 0; i < arr.size(); ++i) {
      if (const json::object* item = arr[i].if_object()) {
        out.push_back(read(*item, JoinPointer(base, i)));
      }
    }
    return out;
  }

  // Calls `read(object, pointer)` on o[key] if it is an object.
  template <typename T, typename F>
  std::optional<T> One(const json::object& o, std::string_view key, const std::string& pointer,
                       F&& read) const {
    const json::value* v = Get(o, key);
    if (v == nullptr || !v->is_object()) return std::nullopt;
    return read(v->as_object(), JoinPointer(pointer, key));
  }

  Info ReadInfo(const json::object& o, const std::string& p) const {
    Info info;
    info.source = Loc(p);
    info.label = StrOr(o, "label");
    info.description = StrOr(o, "description");
    info.tags = Strings(o, "tags");
    info.created = Str(o, "created");
    info.modified = Str(o, "modified");
    info.stakeholders =
        List<Person>(o, "stakeholders", p, [&](const json::object& so, const std::string& sp) {
          return Person{Loc(sp), StrOr(so, "role"), StrOr(so, "fullName"), Str(so, "email")};
        });
    return info;
  }

  Binding ReadBinding(const json::object& o, const std::string& p) const {
    Binding b;
    b.source = Loc(p);
    b.ns = StrOr(o, "namespace");
    b.description = Str(o, "description");
    b.location = Str(o, "location");
    if (const json::value* keys = Get(o, "keys"); keys != nullptr && keys->is_object()) {
      std::string kp = JoinPointer(p, "keys");
      for (const auto& member : keys->as_object()) {
        std::string variable(member.key());
        b.keys.push_back(
            BindingKey{Loc(JoinPointer(kp, variable)), variable,
                       member.value().is_string() ? std::string(member.value().as_string()) : ""});
      }
    }
    return b;
  }

  std::optional<Authentication> ReadAuth(const json::object& o, const std::string& p) const {
    std::string type = StrOr(o, "type");
    SourceLocation loc = Loc(p);
    if (type == "basic") return AuthBasic{loc, Str(o, "username"), Str(o, "password")};
    if (type == "digest") return AuthDigest{loc, Str(o, "username"), Str(o, "password")};
    if (type == "bearer") return AuthBearer{loc, Str(o, "token")};
    if (type == "apikey") {
      AuthApiKey a{loc, Str(o, "key"), Str(o, "value"), std::nullopt};
      if (auto placement = Str(o, "placement")) {
        if (*placement == "header") a.placement = ApiKeyPlacement::kHeader;
        if (*placement == "query") a.placement = ApiKeyPlacement::kQuery;
      }
      return a;
    }
    if (type == "oauth2") {
      AuthOAuth2 a;
      a.source = loc;
      a.authorization_server_uri = StrOr(o, "authorizationServerUri");
      a.resource = StrOr(o, "resource");
      a.scopes = Strings(o, "scopes");
      a.audience = Str(o, "audience");
      a.token_endpoint = Str(o, "tokenEndpoint");
      if (Str(o, "tokenValidation") == "introspection") {
        a.token_validation = TokenValidation::kIntrospection;
      }
      return a;
    }
    return std::nullopt;
  }

  std::optional<Authentication> ReadAuthField(const json::object& o, const std::string& p) const {
    const json::value* v = Get(o, "authentication");
    if (v == nullptr || !v->is_object()) return std::nullopt;
    return ReadAuth(v->as_object(), JoinPointer(p, "authentication"));
  }

  WithInjector ReadWith(const json::object& o, const std::string& p) const {
    WithInjector with;
    const json::value* v = Get(o, "with");
    if (v == nullptr || !v->is_object()) return with;
    std::string wp = JoinPointer(p, "with");
    for (const auto& member : v->as_object()) {
      std::string key(member.key());
      with.push_back(WithEntry{Loc(JoinPointer(wp, key)), key, member.value()});
    }
    return with;
  }

  OutputParameter ReadOutput(const json::object& o, const std::string& p) const {
    OutputParameter out;
    out.source = Loc(p);
    out.name = StrOr(o, "name");
    out.type = ParseValueType(StrOr(o, "type")).value_or(ValueType::kString);
    out.mapping = Str(o, "mapping");
    out.value = Str(o, "value");
    if (const json::value* c = Get(o, "const")) out.const_value = *c;
    if (const json::value* props = Get(o, "properties"); props != nullptr && props->is_object()) {
      out.properties_declared = true;
      std::string pp = JoinPointer(p, "properties");
      for (const auto& member : props->as_object()) {
        if (!member.value().is_object()) continue;
        std::string key(member.key());
        OutputParameter child = ReadOutput(member.value().as_object(), JoinPointer(pp, key));
        if (child.name.empty()) child.name = key;
        out.properties.push_back(std::move(child));
      }
    }
    if (const json::value* items = Get(o, "items")) {
      std::string ip = JoinPointer(p, "items");
      if (items->is_object()) {
        out.items.push_back(ReadOutput(items->as_object(), ip));
      } else if (items->is_array()) {
        const json::array& arr = items->as_array();
        for (std::size_t i = 0; i < arr.size(); ++i) {
          if (arr[i].is_object())
            out.items.push_back(ReadOutput(arr[i].as_object(), JoinPointer(ip, i)));
        }
      }
    }
    return out;
  }

  std::vector<OutputParameter> ReadOutputs(const json::object& o, const std::string& p) const {
    return List<OutputParameter>(
        o, "outputParameters", p,
        [&](const json::object& oo, const std::string& op) { return ReadOutput(oo, op); });
  }

  OperationStep ReadStep(const json::object& o, const std::string& p) const {
    std::string type = StrOr(o, "type");
    if (type.empty()) {
      if (Get(o, "index") != nullptr) type = "lookup";
      if (Get(o, "file") != nullptr) type = "script";
    }
    SourceLocation loc = Loc(p);
    if (type == "lookup") {
      return LookupStep{loc,
                        StrOr(o, "name"),
                        StrOr(o, "index"),
                        StrOr(o, "match"),
                        StrOr(o, "lookupValue"),
                        Strings(o, "outputParameters")};
    }
    if (type == "script") {
      ScriptStep s;
      s.source = loc;
      s.name = StrOr(o, "name");
      if (auto language = Str(o, "language")) s.language = ParseLanguage(*language);
      s.location = Str(o, "location");
      s.file = StrOr(o, "file");
      s.dependencies = Strings(o, "dependencies");
      s.with = ReadWith(o, p);
      return s;
    }
    return CallStep{loc, StrOr(o, "name"), Ref(o, "call", p).value_or(Reference{loc, ""}),
                    ReadWith(o, p)};
  }

  std::vector<OperationStep> ReadSteps(const json::object& o, const std::string& p) const {
    return List<OperationStep>(o, "steps", p, [&](const json::object& so, const std::string& sp) {
      return ReadStep(so, sp);
    });
  }

  std::vector<StepOutputMapping> ReadMappings(const json::object& o, const std::string& p) const {
    return List<StepOutputMapping>(
        o, "mappings", p, [&](const json::object& mo, const std::string& mp) {
          return StepOutputMapping{Loc(mp), StrOr(mo, "targetName"), StrOr(mo, "value")};
        });
  }

  ConsumedInputParameter ReadConsumedInput(const json::object& o, const std::string& p) const {
    ConsumedInputParameter in;
    in.source = Loc(p);
    in.name = StrOr(o, "name");
    in.in = ParseIn(StrOr(o, "in")).value_or(ParameterIn::kQuery);
    in.value = Str(o, "value");
    if (auto type = Str(o, "type")) in.type = ParseValueType(*type);
    in.description = Str(o, "description");
    in.required = Bool(o, "required");
    return in;
  }

  std::vector<ConsumedInputParameter> ReadConsumedInputs(const json::object& o,
                                                         const std::string& p) const {
    return List<ConsumedInputParameter>(
        o, "inputParameters", p,
        [&](const json::object& io, const std::string& ip) { return ReadConsumedInput(io, ip); });
  }

  RequestBody ReadRequestBody(const json::value& v, const std::string& p) const {
    RequestBody body;
    body.source = Loc(p);
    if (v.is_string()) {
      body.type = RequestBodyType::kRaw;
      body.data = v;
      return body;
    }
    if (!v.is_object()) return body;
    const json::object& o = v.as_object();
    std::string type = StrOr(o, "type");
    if (type == "json") body.type = RequestBodyType::kJson;
    if (type == "text") body.type = RequestBodyType::kText;
    if (type == "xml") body.type = RequestBodyType::kXml;
    if (type == "sparql") body.type = RequestBodyType::kSparql;
    if (type == "formUrlEncoded") body.type = RequestBodyType::kFormUrlEncoded;
    if (type == "multipartForm") {
      body.type = RequestBodyType::kMultipartForm;
      body.parts =
          List<MultipartPart>(o, "data", p, [&](const json::object& po, const std::string& pp) {
            return MultipartPart{Loc(pp), StrOr(po, "name"), StrOr(po, "value"),
                                 Str(po, "filename"), Str(po, "contentType")};
          });
    } else if (const json::value* data = Get(o, "data")) {
      body.data = *data;
    }
    return body;
  }

  ConsumedHttpOperation ReadConsumedOperation(const json::object& o, const std::string& p) const {
    ConsumedHttpOperation op;
    op.source = Loc(p);
    op.name = StrOr(o, "name");
    op.label = Str(o, "label");
    op.description = Str(o, "description");
    op.method = ParseMethod(StrOr(o, "method")).value_or(HttpMethod::kGet);
    op.input_parameters = ReadConsumedInputs(o, p);
    op.output_raw_format =
        ParseRawFormat(StrOr(o, "outputRawFormat")).value_or(OutputRawFormat::kJson);
    op.output_schema = Str(o, "outputSchema");
    op.output_parameters = ReadOutputs(o, p);
    if (const json::value* body = Get(o, "body"))
      op.body = ReadRequestBody(*body, JoinPointer(p, "body"));
    return op;
  }

  ConsumesHttp ReadConsumes(const json::object& o, const std::string& p) const {
    ConsumesHttp c;
    c.source = Loc(p);
    c.ns = StrOr(o, "namespace");
    c.description = Str(o, "description");
    c.base_uri = StrOr(o, "baseUri");
    c.input_parameters = ReadConsumedInputs(o, p);
    c.authentication = ReadAuthField(o, p);
    c.resources = List<ConsumedHttpResource>(
        o, "resources", p, [&](const json::object& ro, const std::string& rp) {
          ConsumedHttpResource r;
          r.source = Loc(rp);
          r.name = StrOr(ro, "name");
          r.label = Str(ro, "label");
          r.description = Str(ro, "description");
          r.path = StrOr(ro, "path");
          r.input_parameters = ReadConsumedInputs(ro, rp);
          r.operations = List<ConsumedHttpOperation>(
              ro, "operations", rp, [&](const json::object& oo, const std::string& op) {
                return ReadConsumedOperation(oo, op);
              });
          return r;
        });
    return c;
  }

  static bool IsImport(const json::object& o) {
    return Get(o, "type") == nullptr &&
           (Get(o, "import") != nullptr || Get(o, "location") != nullptr);
  }

  ConsumesImport ReadImport(const json::object& o, const std::string& p) const {
    ConsumesImport i;
    i.source = Loc(p);
    i.location = StrOr(o, "location");
    i.import_namespace = StrOr(o, "import");
    i.as = Str(o, "as");
    i.description = Str(o, "description");
    return i;
  }

  // Splits a `consumes` array into inline adapters and import entries.
  void ReadConsumesList(const json::object& o, const std::string& p,
                        std::vector<ConsumesHttp>& consumes,
                        std::vector<ConsumesImport>& imports) const {
    const json::value* v = Get(o, "consumes");
    if (v == nullptr || !v->is_array()) return;
    std::string base = JoinPointer(p, "consumes");
    const json::array& arr = v->as_array();
    for (std::size_t i = 0; i < arr.size(); ++i) {
      const json::object* item = arr[i].if_object();
      if (item == nullptr) continue;
      std::string ip = JoinPointer(base, i);
      if (IsImport(*item)) {
        imports.push_back(ReadImport(*item, ip));
      } else {
        consumes.push_back(ReadConsumes(*item, ip));
      }
    }
  }

  ExposedInputParameter ReadExposedInput(const json::object& o, const std::string& p) const {
    ExposedInputParameter in;
    in.source = Loc(p);
    in.name = StrOr(o, "name");
    in.in = ParseIn(StrOr(o, "in")).value_or(ParameterIn::kQuery);
    in.type = ParseValueType(StrOr(o, "type")).value_or(ValueType::kString);
    in.description = StrOr(o, "description");
    in.pattern = Str(o, "pattern");
    in.value = Str(o, "value");
    return in;
  }

  std::vector<ExposedInputParameter> ReadExposedInputs(const json::object& o,
                                                       const std::string& p) const {
    return List<ExposedInputParameter>(
        o, "inputParameters", p,
        [&](const json::object& io, const std::string& ip) { return ReadExposedInput(io, ip); });
  }

  std::vector<McpToolInputParameter> ReadToolInputs(const json::object& o,
                                                    const std::string& p) const {
    return List<McpToolInputParameter>(
        o, "inputParameters", p, [&](const json::object& io, const std::string& ip) {
          McpToolInputParameter in;
          in.source = Loc(ip);
          in.name = StrOr(io, "name");
          in.type = ParseValueType(StrOr(io, "type")).value_or(ValueType::kString);
          in.description = StrOr(io, "description");
          in.required = Bool(io, "required").value_or(true);
          return in;
        });
  }

  ExposesRest ReadRest(const json::object& o, const std::string& p) const {
    ExposesRest r;
    r.source = Loc(p);
    r.address = Str(o, "address");
    r.port = Port(o).value_or(0);
    r.ns = StrOr(o, "namespace");
    r.authentication = ReadAuthField(o, p);
    r.description = Str(o, "description");
    r.resources = List<
        ExposedResource>(o, "resources", p, [&](const json::object& ro, const std::string& rp) {
      ExposedResource res;
      res.source = Loc(rp);
      res.path = StrOr(ro, "path");
      res.name = Str(ro, "name");
      res.label = Str(ro, "label");
      res.description = Str(ro, "description");
      res.input_parameters = ReadExposedInputs(ro, rp);
      res.operations = List<ExposedOperation>(
          ro, "operations", rp, [&](const json::object& oo, const std::string& op) {
            ExposedOperation e;
            e.source = Loc(op);
            e.name = Str(oo, "name");
            e.label = Str(oo, "label");
            e.description = Str(oo, "description");
            e.method = ParseMethod(StrOr(oo, "method")).value_or(HttpMethod::kGet);
            e.input_parameters = ReadExposedInputs(oo, op);
            e.ref = Ref(oo, "ref", op);
            e.call = Ref(oo, "call", op);
            e.with = ReadWith(oo, op);
            e.output_parameters = ReadOutputs(oo, op);
            e.steps = ReadSteps(oo, op);
            e.mappings = ReadMappings(oo, op);
            return e;
          });
      res.forward = One<
          ForwardConfig>(ro, "forward", rp, [&](const json::object& fo, const std::string& fp) {
        return ForwardConfig{Loc(fp), StrOr(fo, "targetNamespace"), Strings(fo, "trustedHeaders")};
      });
      return res;
    });
    return r;
  }

  ExposesMcp ReadMcp(const json::object& o, const std::string& p) const {
    ExposesMcp m;
    m.source = Loc(p);
    if (Str(o, "transport") == "stdio") m.transport = McpTransport::kStdio;
    m.address = Str(o, "address");
    m.port = Port(o);
    m.ns = StrOr(o, "namespace");
    m.description = Str(o, "description");
    m.authentication = ReadAuthField(o, p);
    m.tools = List<McpTool>(o, "tools", p, [&](const json::object& to, const std::string& tp) {
      McpTool t;
      t.source = Loc(tp);
      t.name = StrOr(to, "name");
      t.label = Str(to, "label");
      t.description = Str(to, "description");
      t.input_parameters = ReadToolInputs(to, tp);
      t.ref = Ref(to, "ref", tp);
      t.call = Ref(to, "call", tp);
      t.with = ReadWith(to, tp);
      t.steps = ReadSteps(to, tp);
      t.mappings = ReadMappings(to, tp);
      t.hints =
          One<McpToolHints>(to, "hints", tp, [&](const json::object& ho, const std::string& hp) {
            return McpToolHints{Loc(hp), Bool(ho, "readOnly"), Bool(ho, "destructive"),
                                Bool(ho, "idempotent"), Bool(ho, "openWorld")};
          });
      t.output_parameters = ReadOutputs(to, tp);
      return t;
    });
    m.resources =
        List<McpResource>(o, "resources", p, [&](const json::object& ro, const std::string& rp) {
          McpResource r;
          r.source = Loc(rp);
          r.name = StrOr(ro, "name");
          r.label = StrOr(ro, "label");
          r.uri = StrOr(ro, "uri");
          r.description = StrOr(ro, "description");
          r.mime_type = Str(ro, "mimeType");
          r.call = Ref(ro, "call", rp);
          r.with = ReadWith(ro, rp);
          r.steps = ReadSteps(ro, rp);
          r.mappings = ReadMappings(ro, rp);
          r.output_parameters = ReadOutputs(ro, rp);
          r.location = Str(ro, "location");
          return r;
        });
    m.prompts =
        List<McpPrompt>(o, "prompts", p, [&](const json::object& po, const std::string& pp) {
          McpPrompt pr;
          pr.source = Loc(pp);
          pr.name = StrOr(po, "name");
          pr.label = StrOr(po, "label");
          pr.description = StrOr(po, "description");
          pr.arguments = List<McpPromptArgument>(
              po, "arguments", pp, [&](const json::object& ao, const std::string& ap) {
                return McpPromptArgument{Loc(ap), StrOr(ao, "name"), Str(ao, "label"),
                                         StrOr(ao, "description"),
                                         Bool(ao, "required").value_or(true)};
              });
          pr.template_messages = List<McpPromptMessage>(
              po, "template", pp, [&](const json::object& mo, const std::string& mp) {
                return McpPromptMessage{
                    Loc(mp),
                    Str(mo, "role") == "assistant" ? PromptRole::kAssistant : PromptRole::kUser,
                    StrOr(mo, "content")};
              });
          pr.location = Str(po, "location");
          return pr;
        });
    return m;
  }

  ExposesSkill ReadSkill(const json::object& o, const std::string& p) const {
    ExposesSkill s;
    s.source = Loc(p);
    s.address = Str(o, "address");
    s.port = Port(o).value_or(0);
    s.ns = StrOr(o, "namespace");
    s.description = Str(o, "description");
    s.authentication = ReadAuthField(o, p);
    s.skills =
        List<ExposedSkill>(o, "skills", p, [&](const json::object& so, const std::string& sp) {
          ExposedSkill k;
          k.source = Loc(sp);
          k.name = StrOr(so, "name");
          k.description = StrOr(so, "description");
          k.license = Str(so, "license");
          k.compatibility = Str(so, "compatibility");
          if (const json::value* md = Get(so, "metadata"); md != nullptr && md->is_object()) {
            for (const auto& member : md->as_object()) {
              if (member.value().is_string()) {
                k.metadata.emplace_back(std::string(member.key()),
                                        std::string(member.value().as_string()));
              }
            }
          }
          k.allowed_tools = Str(so, "allowed-tools");
          k.argument_hint = Str(so, "argument-hint");
          k.user_invocable = Bool(so, "user-invocable").value_or(true);
          k.disable_model_invocation = Bool(so, "disable-model-invocation").value_or(false);
          k.location = Str(so, "location");
          k.tools = List<
              SkillTool>(so, "tools", sp, [&](const json::object& to, const std::string& tp) {
            SkillTool t;
            t.source = Loc(tp);
            t.name = StrOr(to, "name");
            t.description = StrOr(to, "description");
            t.from = One<SkillToolFrom>(
                to, "from", tp, [&](const json::object& fo, const std::string& fp) {
                  return SkillToolFrom{Loc(fp), StrOr(fo, "sourceNamespace"), StrOr(fo, "action")};
                });
            t.instruction = Str(to, "instruction");
            return t;
          });
          return k;
        });
    return s;
  }

  ExposesControl ReadControl(const json::object& o, const std::string& p) const {
    ExposesControl c;
    c.source = Loc(p);
    c.address = Str(o, "address");
    c.port = Port(o).value_or(0);
    c.authentication = ReadAuthField(o, p);
    c.management = One<ControlManagement>(
        o, "management", p, [&](const json::object& mo, const std::string& mp) {
          ControlManagement m;
          m.source = Loc(mp);
          m.health = Bool(mo, "health").value_or(true);
          m.info = Bool(mo, "info").value_or(false);
          m.reload = Bool(mo, "reload").value_or(false);
          m.validate = Bool(mo, "validate").value_or(false);
          m.logs.source = Loc(JoinPointer(mp, "logs"));
          if (const json::value* logs = Get(mo, "logs")) {
            if (logs->is_bool()) {
              // Simple mode: true turns on level control and the stream.
              m.logs.enabled = logs->as_bool();
              m.logs.stream = logs->as_bool();
            } else if (logs->is_object()) {
              const json::object& lo = logs->as_object();
              m.logs.enabled = true;
              m.logs.level_control = Bool(lo, "level-control").value_or(true);
              m.logs.stream = Bool(lo, "stream").value_or(false);
              m.logs.max_subscribers = static_cast<int>(Int(lo, "max-subscribers").value_or(5));
            }
          }
          m.scripting = One<ScriptingManagement>(
              mo, "scripting", mp, [&](const json::object& so, const std::string& sp) {
                ScriptingManagement s;
                s.source = Loc(sp);
                s.enabled = Bool(so, "enabled").value_or(true);
                s.default_location = Str(so, "defaultLocation");
                if (auto language = Str(so, "defaultLanguage"))
                  s.default_language = ParseLanguage(*language);
                s.timeout_ms = Int(so, "timeout").value_or(60000);
                s.statement_limit = Int(so, "statementLimit").value_or(100000);
                for (const std::string& language : Strings(so, "allowedLanguages")) {
                  if (auto l = ParseLanguage(language)) s.allowed_languages.push_back(*l);
                }
                return s;
              });
          return m;
        });
    c.observability = One<Observability>(
        o, "observability", p, [&](const json::object& bo, const std::string& bp) {
          Observability ob;
          ob.source = Loc(bp);
          ob.enabled = Bool(bo, "enabled").value_or(true);
          if (const json::value* metrics = Get(bo, "metrics");
              metrics != nullptr && metrics->is_object()) {
            if (const json::value* local = Get(metrics->as_object(), "local");
                local != nullptr && local->is_object()) {
              ob.metrics_local_enabled = Bool(local->as_object(), "enabled").value_or(true);
            }
          }
          ob.traces.source = Loc(JoinPointer(bp, "traces"));
          if (const json::value* traces = Get(bo, "traces");
              traces != nullptr && traces->is_object()) {
            const json::object& to = traces->as_object();
            ob.traces.sampling = Number(to, "sampling").value_or(1.0);
            if (Str(to, "propagation") == "b3") ob.traces.propagation = TracePropagation::kB3;
            if (const json::value* local = Get(to, "local");
                local != nullptr && local->is_object()) {
              ob.traces.local_enabled = Bool(local->as_object(), "enabled").value_or(true);
              ob.traces.local_buffer_size =
                  static_cast<int>(Int(local->as_object(), "buffer-size").value_or(100));
            }
          }
          if (const json::value* exporters = Get(bo, "exporters");
              exporters != nullptr && exporters->is_object()) {
            if (const json::value* otlp = Get(exporters->as_object(), "otlp");
                otlp != nullptr && otlp->is_object()) {
              ob.otlp_endpoint = Str(otlp->as_object(), "endpoint");
            }
          }
          return ob;
        });
    return c;
  }

  Aggregate ReadAggregate(const json::object& o, const std::string& p) const {
    Aggregate a;
    a.source = Loc(p);
    a.label = StrOr(o, "label");
    a.ns = StrOr(o, "namespace");
    a.functions = List<
        AggregateFunction>(o, "functions", p, [&](const json::object& fo, const std::string& fp) {
      AggregateFunction f;
      f.source = Loc(fp);
      f.name = StrOr(fo, "name");
      f.description = StrOr(fo, "description");
      f.semantics = One<
          Semantics>(fo, "semantics", fp, [&](const json::object& so, const std::string& sp) {
        return Semantics{Loc(sp), Bool(so, "safe"), Bool(so, "idempotent"), Bool(so, "cacheable")};
      });
      f.input_parameters = ReadToolInputs(fo, fp);
      f.call = Ref(fo, "call", fp);
      f.with = ReadWith(fo, fp);
      f.steps = ReadSteps(fo, fp);
      f.mappings = ReadMappings(fo, fp);
      f.output_parameters = ReadOutputs(fo, fp);
      return f;
    });
    return a;
  }

  CapabilityBody ReadCapabilityBody(const json::object& o, const std::string& p) const {
    CapabilityBody body;
    body.source = Loc(p);
    body.binds = List<Binding>(o, "binds", p, [&](const json::object& bo, const std::string& bp) {
      return ReadBinding(bo, bp);
    });
    ReadConsumesList(o, p, body.consumes, body.imports);
    if (const json::value* exposes = Get(o, "exposes"); exposes != nullptr && exposes->is_array()) {
      std::string base = JoinPointer(p, "exposes");
      const json::array& arr = exposes->as_array();
      for (std::size_t i = 0; i < arr.size(); ++i) {
        const json::object* item = arr[i].if_object();
        if (item == nullptr) continue;
        std::string ip = JoinPointer(base, i);
        std::string type = StrOr(*item, "type");
        if (type == "rest") body.exposes.emplace_back(ReadRest(*item, ip));
        if (type == "mcp") body.exposes.emplace_back(ReadMcp(*item, ip));
        if (type == "skill") body.exposes.emplace_back(ReadSkill(*item, ip));
        if (type == "control") body.exposes.emplace_back(ReadControl(*item, ip));
      }
    }
    body.aggregates = List<Aggregate>(
        o, "aggregates", p,
        [&](const json::object& ao, const std::string& ap) { return ReadAggregate(ao, ap); });
    return body;
  }

 private:
  const PositionTable& positions_;
};

}  // namespace

Capability BuildCapability(const json::value& root, const PositionTable& positions) {
  Reader reader(positions);
  Capability cap;
  cap.file = positions.file();
  cap.source = SourceLocation{positions.file(), 1, 1};
  const json::object* o = root.if_object();
  if (o == nullptr) return cap;
  cap.naftiko = Reader::StrOr(*o, "naftiko");
  cap.info = reader.One<Info>(*o, "info", "", [&](const json::object& io, const std::string& ip) {
    return reader.ReadInfo(io, ip);
  });
  cap.binds = reader.List<Binding>(
      *o, "binds", "",
      [&](const json::object& bo, const std::string& bp) { return reader.ReadBinding(bo, bp); });
  reader.ReadConsumesList(*o, "", cap.consumes, cap.imports);
  cap.capability = reader.One<CapabilityBody>(*o, "capability", "",
                                              [&](const json::object& co, const std::string& cp) {
                                                return reader.ReadCapabilityBody(co, cp);
                                              });
  return cap;
}

ConsumesHttp BuildConsumesHttp(const json::object& object, const std::string& pointer,
                               const PositionTable& positions) {
  return Reader(positions).ReadConsumes(object, pointer);
}

}  // namespace capstan::spec
