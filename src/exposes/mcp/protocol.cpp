#include "exposes/mcp/protocol.hpp"

#include <algorithm>
#include <set>

#include "core/base64.hpp"
#include "core/utf8.hpp"

namespace capstan::mcp {

namespace asio = boost::asio;

const std::vector<std::string>& SupportedVersions() {
  static const std::vector<std::string> kVersions = {std::string(kModernVersion), "2025-11-25",
                                                     "2025-06-18", "2025-03-26"};
  return kVersions;
}

bool IsSupportedVersion(std::string_view version) {
  const auto& all = SupportedVersions();
  return std::find(all.begin(), all.end(), version) != all.end();
}

bool IsLegacyVersion(std::string_view version) {
  return IsSupportedVersion(version) && version != kModernVersion;
}

std::string NegotiateVersion(std::string_view requested) {
  return IsLegacyVersion(requested) ? std::string(requested) : std::string(kLatestLegacyVersion);
}

std::string ValidationText(std::string_view tool,
                           const std::vector<jsonschema::ValidationError>& errors) {
  std::string text = "Invalid arguments for tool '" + std::string(tool) + "': ";
  auto best = jsonschema::BestErrors(errors);
  if (best.empty()) best = errors;
  std::size_t shown = 0;
  for (const auto& e : best) {
    if (shown++ == 5) {
      text += "; ...";
      break;
    }
    if (shown > 1) text += "; ";
    std::string where = e.instance_location;
    if (e.keyword == "additionalProperties" || e.keyword == "unevaluatedProperties" ||
        e.keyword == "false") {
      text += "unknown argument";
      if (where.size() > 1) text += " '" + where.substr(1) + "'";
      text += " (not in the tool's inputSchema)";
      continue;
    }
    if (where.size() > 1 && where[0] == '/') text += "argument '" + where.substr(1) + "': ";
    text += e.message;
  }
  return text;
}

std::optional<http::TraceContext> MetaTraceContext(const json::object* params) {
  if (params == nullptr) return std::nullopt;
  const json::value* meta = params->if_contains("_meta");
  if (meta == nullptr || !meta->is_object()) return std::nullopt;
  const json::value* tp = meta->get_object().if_contains("traceparent");
  if (tp == nullptr || !tp->is_string()) return std::nullopt;
  const json::value* ts = meta->get_object().if_contains("tracestate");
  return http::ParseTraceContext(tp->get_string(), ts && ts->is_string()
                                                       ? std::string_view(ts->get_string())
                                                       : std::string_view());
}

namespace {

json::value* Find(json::object& o, std::string_view key) { return o.if_contains(key); }

}  // namespace

Protocol::Protocol(std::shared_ptr<const Catalog> catalog, ProtocolOptions options)
    : catalog_(std::move(catalog)), options_(std::move(options)) {
  for (const Tool& t : catalog_->tools) tool_list_.Add(t.definition);
  for (const Resource& r : catalog_->resources) {
    (r.is_template ? template_list_ : resource_list_).Add(r.definition);
  }
  for (const Prompt& p : catalog_->prompts) prompt_list_.Add(p.definition);
  for (std::size_t i = 0; i < catalog_->skills.size(); ++i) {
    const SkillEntry& skill = catalog_->skills[i];
    skill_list_.Add(skill.entry);
    // SKILL.md is a listed resource whose name and description are the frontmatter's.
    json::object listed;
    listed["uri"] = skill.uri;
    const json::object* fm = skill.entry.at("frontmatter").if_object();
    if (fm != nullptr) {
      if (const json::value* n = fm->if_contains("name")) listed["name"] = *n;
      if (const json::value* d = fm->if_contains("description")) listed["description"] = *d;
    }
    listed["mimeType"] = "text/markdown";
    resource_list_.Add(listed);
    for (std::size_t f = 0; f < skill.files.size(); ++f) skill_files_[skill.files[f].uri] = {i, f};
  }
}

json::object Protocol::Capabilities(bool modern) const {
  // 2026-07-28 moved list changes and subscriptions to subscriptions/listen, which capstan does
  // not offer (its lists never change): those flags are left out there.
  json::object caps;
  json::object tools;
  if (!modern) tools["listChanged"] = options_.tools_list_changed;
  caps["tools"] = std::move(tools);
  caps["logging"] = json::object();
  if (!catalog_->resources.empty() || !catalog_->skills.empty()) {
    json::object resources;
    if (!modern) {
      resources["subscribe"] = true;
      resources["listChanged"] = false;
    }
    caps["resources"] = std::move(resources);
  }
  if (!catalog_->prompts.empty()) {
    json::object prompts;
    if (!modern) prompts["listChanged"] = false;
    caps["prompts"] = std::move(prompts);
  }
  if (!catalog_->prompts.empty() || !template_list_.empty()) caps["completions"] = json::object();
  if (!catalog_->skills.empty()) {
    // skills/list, skills/get, and resources/directory/read over the skills' folders.
    json::object settings;
    settings["directoryRead"] = true;
    json::object extensions;
    extensions[kSkillsExtension] = std::move(settings);
    caps["extensions"] = std::move(extensions);
  }
  return caps;
}

json::object Protocol::InitializeResult(std::string_view version) const {
  json::object result;
  result["protocolVersion"] = version;
  result["capabilities"] = Capabilities();
  json::object info;
  info["name"] = options_.server_name;
  if (!options_.server_title.empty()) info["title"] = options_.server_title;
  info["version"] = options_.server_version;
  result["serverInfo"] = std::move(info);
  if (!catalog_->instructions.empty()) result["instructions"] = catalog_->instructions;
  return result;
}

bool Protocol::WantsStream(const Message& request, const Session& session) const {
  if (const json::object* meta = Meta(request)) {
    if (meta->contains("progressToken")) return true;
    if (session.modern && meta->contains(kMetaLogLevel)) return true;
  }
  if (request.method == "tools/call") {
    if (!session.modern && session.log_level.load() >= 0) return true;
    if (auto name = StringField(request.params, "name")) {
      if (const Tool* tool = catalog_->FindTool(*name)) {
        // A confirmation asks the client on the reply stream (2026-07-28: an input request).
        const bool asks = (tool->confirm || tool->confirms_inner) && !session.modern &&
                          session.client_capabilities.contains("elicitation");
        return tool->prefers_stream || asks;
      }
    }
  }
  return false;
}

json::object Protocol::Cacheable(json::object result, const Session& session) const {
  if (session.modern) {
    result["ttlMs"] = options_.list_ttl_ms;
    result["cacheScope"] = options_.private_cache ? "private" : "public";
  }
  return result;
}

Protocol::Reply Protocol::Error(const Message& request, const Session& session, int code,
                                std::string_view message, const json::value* data) const {
  Reply reply;
  reply.text = ErrorText(request.id, code, message, data);
  if (session.modern) {
    if (code == kMethodNotFound) reply.http_status = 404;
    if (code == kHeaderMismatch || code == kMissingClientCapability ||
        code == kUnsupportedProtocolVersion) {
      reply.http_status = 400;
    }
  }
  return reply;
}

json::object Protocol::WithModernMembers(json::object result, const Session& session) const {
  if (!session.modern) return result;
  if (!result.contains("resultType")) result["resultType"] = "complete";
  json::object meta;
  if (json::value* existing = Find(result, "_meta"); existing && existing->is_object()) {
    meta = existing->get_object();
  }
  json::object info;
  info["name"] = options_.server_name;
  info["version"] = options_.server_version;
  meta[kMetaServerInfo] = std::move(info);
  result["_meta"] = std::move(meta);
  return result;
}

Protocol::Reply Protocol::Result(const Message& request, const Session& session,
                                 json::object result, std::string_view raw_key,
                                 std::string_view raw_json) const {
  result = WithModernMembers(std::move(result), session);
  Reply reply;
  reply.text = raw_key.empty() ? ResultText(*request.id, json::value(std::move(result)))
                               : ResultTextWithRawMember(*request.id, result, raw_key, raw_json);
  return reply;
}

Protocol::Reply Protocol::ToolResult(const Message& request, const Session& session,
                                     json::object result, std::string_view json_body) const {
  Reply reply;
  reply.text = ToolResultTextWithJsonBody(*request.id,
                                          WithModernMembers(std::move(result), session), json_body);
  return reply;
}

std::optional<Protocol::Reply> Protocol::PrepareModernRequest(const Message& request,
                                                              Session& session) const {
  session.modern = true;
  const json::object* meta = Meta(request);
  auto version = StringField(meta, kMetaProtocolVersion);
  const json::value* caps = meta != nullptr ? meta->if_contains(kMetaClientCapabilities) : nullptr;
  if (!version || caps == nullptr || !caps->is_object()) {
    Reply reply =
        Error(request, session, kInvalidParams,
              "2026-07-28 requests need params._meta with \"" + std::string(kMetaProtocolVersion) +
                  "\" and \"" + std::string(kMetaClientCapabilities) + "\"");
    reply.http_status = 400;
    return reply;
  }
  if (!IsSupportedVersion(*version) || IsLegacyVersion(*version)) {
    json::object data;
    json::array supported;
    for (const auto& v : SupportedVersions()) supported.emplace_back(v);
    data["supported"] = std::move(supported);
    data["requested"] = *version;
    json::value d(std::move(data));
    Reply reply = Error(request, session, kUnsupportedProtocolVersion,
                        "unsupported protocol version " + std::string(*version), &d);
    reply.http_status = 400;
    return reply;
  }
  session.protocol_version = std::string(*version);
  session.client_capabilities = caps->get_object();
  if (auto level = StringField(meta, kMetaLogLevel)) session.log_level = LogLevelIndex(*level);
  return std::nullopt;
}

std::optional<Protocol::Reply> Protocol::Precheck(const Message& request,
                                                  const Session& session) const {
  const std::string_view m = request.method;
  const bool has_resources = !catalog_->resources.empty() || !catalog_->skills.empty();
  const bool has_prompts = !catalog_->prompts.empty();
  // The lists answer (empty) even without resources or prompts: clients call them anyway.
  bool known = m == "tools/call" || m == "tools/list" || m == "server/discover" ||
               m == "resources/list" || m == "resources/templates/list" || m == "prompts/list" ||
               (!session.modern && (m == "ping" || m == "logging/setLevel")) ||
               (has_resources && m == "resources/read") ||
               (has_resources && !session.modern &&
                (m == "resources/subscribe" || m == "resources/unsubscribe")) ||
               (has_prompts && m == "prompts/get") ||
               (!catalog_->skills.empty() &&
                (m == "skills/list" || m == "skills/get" || m == "resources/directory/read")) ||
               ((has_prompts || !template_list_.empty()) && m == "completion/complete");
  if (!known)
    return Error(request, session, kMethodNotFound, "method not found: " + std::string(m));
  if (m != "tools/call") return std::nullopt;
  auto name = StringField(request.params, "name");
  if (!name) return Error(request, session, kInvalidParams, "params.name is required");
  const Tool* tool = catalog_->FindTool(*name);
  if (tool == nullptr) {
    return Error(request, session, kInvalidParams, "Unknown tool: " + std::string(*name));
  }
  if (session.modern && !tool->required_capability.empty() &&
      !session.client_capabilities.contains(tool->required_capability)) {
    json::object data;
    json::object required;
    required[tool->required_capability] = json::object();
    data["requiredCapabilities"] = std::move(required);
    json::value d(std::move(data));
    return Error(request, session, kMissingClientCapability,
                 "the tool needs the client capability '" + tool->required_capability + "'", &d);
  }
  return std::nullopt;
}

void Protocol::HandleNotification(const Message& notification, Session& session) const {
  if (notification.method == "notifications/cancelled") {
    if (notification.params == nullptr) return;
    const json::value* id = notification.params->if_contains("requestId");
    if (id != nullptr) session.CancelCall(IdKey(*id));
  }
  // notifications/initialized, roots/list_changed, progress ...: nothing to do.
}

void Protocol::Listing::Add(const json::object& entry) {
  texts.push_back(core::SerializeJson(json::value(entry)));
}

Protocol::Reply Protocol::ListPage(const Message& request, const Session& session,
                                   std::string_view member, const Listing& all) const {
  std::size_t offset = 0;
  if (auto cursor = StringField(request.params, "cursor")) {
    std::string_view c = *cursor;
    bool ok = c.size() > 2 && c.substr(0, 2) == "o:";
    std::size_t value = 0;
    for (std::size_t i = 2; ok && i < c.size(); ++i) {
      ok = c[i] >= '0' && c[i] <= '9' && value < 100000000;
      value = value * 10 + static_cast<std::size_t>(c[i] - '0');
    }
    if (!ok || value > all.texts.size()) {
      return Error(request, session, kInvalidParams, "invalid cursor");
    }
    offset = value;
  }
  const std::size_t end = std::min(all.texts.size(), offset + options_.page_size);
  std::size_t bytes = 2;
  for (std::size_t i = offset; i < end; ++i) bytes += all.texts[i].size() + 1;
  std::string page;
  page.reserve(bytes);
  page += '[';
  for (std::size_t i = offset; i < end; ++i) {
    if (i > offset) page += ',';
    page += all.texts[i];
  }
  page += ']';
  json::object result;
  if (end < all.texts.size()) result["nextCursor"] = "o:" + std::to_string(end);
  return Result(request, session, Cacheable(std::move(result), session), member, page);
}

Protocol::Reply Protocol::ListTools(const Message& request, const Session& session,
                                    const RequestScope& scope) const {
  if (!options_.access) return ListPage(request, session, "tools", tool_list_);
  Listing mine;
  for (std::size_t i = 0; i < catalog_->tools.size(); ++i) {
    if (ToolAllowed(*options_.access, catalog_->tools[i].name, scope.caller.get())) {
      mine.texts.push_back(tool_list_.texts[i]);
    }
  }
  return ListPage(request, session, "tools", mine);
}

asio::awaitable<Protocol::Reply> Protocol::HandleRequest(const Message& request, Session& session,
                                                         RequestScope& scope) const {
  const std::string_view method = request.method;
  const bool has_resources = !catalog_->resources.empty() || !catalog_->skills.empty();
  const bool has_prompts = !catalog_->prompts.empty();
  if (method == "tools/call") co_return co_await CallTool(request, session, scope);
  if (!catalog_->skills.empty() &&
      (method == "skills/list" || method == "skills/get" || method == "resources/directory/read")) {
    co_return SkillsRequest(request, session);
  }
  if (method == "tools/list") co_return ListTools(request, session, scope);
  if (method == "ping" && !session.modern) co_return Result(request, session, json::object());
  if (method == "logging/setLevel" && !session.modern) {
    auto level = StringField(request.params, "level");
    int index = level ? LogLevelIndex(*level) : -1;
    if (index < 0) co_return Error(request, session, kInvalidParams, "unknown log level");
    session.log_level = index;
    co_return Result(request, session, json::object());
  }
  if (method == "server/discover") {
    json::object result;
    json::array versions;
    for (const auto& v : SupportedVersions()) versions.emplace_back(v);
    result["supportedVersions"] = std::move(versions);
    result["capabilities"] = Capabilities(true);
    if (!catalog_->instructions.empty()) result["instructions"] = catalog_->instructions;
    Session as_modern;
    as_modern.modern = true;
    co_return Result(request, session.modern ? session : as_modern,
                     Cacheable(std::move(result), as_modern));
  }
  if (method == "resources/list") {
    co_return ListPage(request, session, "resources", resource_list_);
  }
  if (method == "resources/templates/list") {
    co_return ListPage(request, session, "resourceTemplates", template_list_);
  }
  if (has_resources && method == "resources/read") {
    co_return co_await ReadResourceRequest(request, session, scope);
  }
  if (has_resources && (method == "resources/subscribe" || method == "resources/unsubscribe") &&
      !session.modern) {
    if (!StringField(request.params, "uri")) {
      co_return Error(request, session, kInvalidParams, "params.uri is required");
    }
    co_return Result(request, session, json::object());
  }
  if (method == "prompts/list") {
    co_return ListPage(request, session, "prompts", prompt_list_);
  }
  if (has_prompts && method == "prompts/get") {
    auto name = StringField(request.params, "name");
    const Prompt* prompt = name ? catalog_->FindPrompt(*name) : nullptr;
    if (prompt == nullptr) {
      co_return Error(request, session, kInvalidParams,
                      "unknown prompt" + (name ? ": " + std::string(*name) : std::string()));
    }
    json::object args;
    if (request.params != nullptr) {
      if (const json::value* a = request.params->if_contains("arguments"); a && a->is_object()) {
        args = a->get_object();
      }
    }
    if (session.modern && prompt->input_required) {
      json::object responses;
      if (const json::value* r = request.params->if_contains("inputResponses");
          r && r->is_object()) {
        responses = r->get_object();
      }
      if (auto requests = prompt->input_required(responses)) {
        json::object incomplete;
        incomplete["resultType"] = "input_required";
        incomplete["inputRequests"] = std::move(*requests);
        co_return Result(request, session, std::move(incomplete));
      }
      for (const auto& kv : responses) args[kv.key()] = kv.value();
    }
    auto messages = RenderPrompt(*prompt, args);
    if (!messages) co_return Error(request, session, kInvalidParams, messages.error().message);
    json::object result;
    if (const json::value* d = prompt->definition.if_contains("description")) {
      result["description"] = *d;
    }
    result["messages"] = std::move(*messages);
    co_return Result(request, session, std::move(result));
  }
  if ((has_prompts || !template_list_.empty()) && method == "completion/complete") {
    const json::value* ref = request.params ? request.params->if_contains("ref") : nullptr;
    if (ref == nullptr || !ref->is_object()) {
      co_return Error(request, session, kInvalidParams, "params.ref is required");
    }
    json::object completion;
    completion["values"] = json::array();
    completion["total"] = 0;
    completion["hasMore"] = false;
    json::object result;
    result["completion"] = std::move(completion);
    co_return Result(request, session, std::move(result));
  }
  co_return Error(request, session, kMethodNotFound, "method not found: " + std::string(method));
}

asio::awaitable<Protocol::Reply> Protocol::CallTool(const Message& request, Session& session,
                                                    RequestScope& scope) const {
  auto name = StringField(request.params, "name");
  if (!name) co_return Error(request, session, kInvalidParams, "params.name is required");
  const Tool* tool = catalog_->FindTool(*name);
  // A tool the caller may not use is answered as one that does not exist.
  if (tool == nullptr ||
      (options_.access && !ToolAllowed(*options_.access, tool->name, scope.caller.get()))) {
    co_return Error(request, session, kInvalidParams, "Unknown tool: " + std::string(*name));
  }
  json::object args;
  if (const json::value* a = request.params->if_contains("arguments")) {
    if (a->is_object()) {
      args = a->get_object();
    } else if (!a->is_null()) {
      co_return Error(request, session, kInvalidParams, "params.arguments must be an object");
    }
  }
  if (auto meta_trace = MetaTraceContext(request.params)) {
    // The transport already adopted the same _meta (keeping its exported span id), unless this
    // call came in a batch or over stdio.
    const bool adopted = scope.trace && scope.trace->trace_id == meta_trace->trace_id &&
                         scope.trace->parent_id == meta_trace->parent_id;
    if (!adopted) scope.trace = std::move(meta_trace);
  }
  if (!tool->required_capability.empty() && !scope.ClientSupports(tool->required_capability)) {
    if (session.modern) {
      json::object data;
      json::object required;
      required[tool->required_capability] = json::object();
      data["requiredCapabilities"] = std::move(required);
      json::value d(std::move(data));
      co_return Error(request, session, kMissingClientCapability,
                      "the tool needs the client capability '" + tool->required_capability + "'",
                      &d);
    }
  }
  if (session.modern) {
    if (const json::value* r = request.params->if_contains("inputResponses"); r && r->is_object()) {
      scope.input_responses = r->get_object();
    }
    if (auto state = StringField(request.params, "requestState")) {
      auto opened = OpenState(*state);
      if (!opened) {
        co_return Error(request, session, kInvalidParams,
                        "requestState failed its integrity check (altered, or not issued here)");
      }
      scope.request_state = std::move(*opened);
    }
  }
  if (tool->input_schema) {
    auto errors = tool->input_schema->Validate(json::value(args));
    if (!errors.empty()) {
      json::object bad;
      json::array content;
      json::object text;
      text["type"] = "text";
      text["text"] = ValidationText(tool->name, errors);
      content.emplace_back(std::move(text));
      bad["content"] = std::move(content);
      bad["isError"] = true;
      co_return Result(request, session, std::move(bad));
    }
  }
  ToolOutcome outcome;
  std::optional<ToolOutcome> instead;  // no coroutine frame on the path of tools without one
  if (tool->confirm) instead = co_await ConfirmBeforeRunning(*tool, args, scope);
  if (instead) {
    outcome = std::move(*instead);
  } else if (tool->native) {
    outcome = co_await tool->native(args, scope);
  } else {
    outcome = co_await CallMappedTool(*tool, std::move(args), scope);
  }
  if (outcome.cancelled) {
    Reply reply;
    reply.cancelled = true;
    co_return reply;
  }
  if (outcome.input_requests) {
    json::object incomplete;
    incomplete["resultType"] = "input_required";
    incomplete["inputRequests"] = std::move(*outcome.input_requests);
    if (!outcome.state.empty()) incomplete["requestState"] = SealState(outcome.state);
    co_return Result(request, session, std::move(incomplete));
  }
  if (!outcome.structured_raw.empty()) {
    co_return ToolResult(request, session, std::move(outcome.result), outcome.structured_raw);
  }
  co_return Result(request, session, std::move(outcome.result));
}

Protocol::Reply Protocol::SkillsRequest(const Message& request, const Session& session) const {
  if (request.method == "skills/list") return ListPage(request, session, "skills", skill_list_);
  auto uri = StringField(request.params, "uri");
  if (!uri) return Error(request, session, kInvalidParams, "params.uri is required");
  if (request.method == "resources/directory/read") {
    // The direct children of a skill folder: files, and subfolders as inode/directory.
    const std::string prefix = std::string(*uri) + "/";
    json::array children;
    std::set<std::string> folders;
    for (const SkillEntry& skill : catalog_->skills) {
      for (const SkillFileResource& f : skill.files) {
        if (f.uri.compare(0, prefix.size(), prefix) != 0) continue;
        std::string_view rest = std::string_view(f.uri).substr(prefix.size());
        const std::size_t slash = rest.find('/');
        json::object child;
        if (slash == std::string_view::npos) {
          child["uri"] = f.uri;
          child["name"] = rest;
          child["mimeType"] = f.mime_type;
        } else {
          std::string folder = prefix + std::string(rest.substr(0, slash));
          if (!folders.insert(folder).second) continue;
          child["uri"] = folder;
          child["name"] = rest.substr(0, slash);
          child["mimeType"] = "inode/directory";
        }
        children.push_back(std::move(child));
      }
    }
    if (children.empty()) {
      json::object data;
      data["uri"] = *uri;
      json::value d(std::move(data));
      return Error(request, session, kInvalidParams, "not a skill folder: " + std::string(*uri),
                   &d);
    }
    json::object result;
    result["resources"] = std::move(children);
    return Result(request, session, Cacheable(std::move(result), session));
  }
  for (const SkillEntry& skill : catalog_->skills) {
    if (skill.uri != *uri) continue;
    json::object result;
    result["skill"] = skill.entry;
    return Result(request, session, Cacheable(std::move(result), session));
  }
  json::object data;
  data["uri"] = *uri;
  json::value d(std::move(data));
  return Error(request, session, kInvalidParams, "no skill at " + std::string(*uri), &d);
}

std::optional<Protocol::Reply> Protocol::ReadSkillFile(const Message& request,
                                                       const Session& session,
                                                       std::string_view uri) const {
  auto it = skill_files_.find(uri);
  if (it == skill_files_.end()) return std::nullopt;
  const SkillFileResource& file = catalog_->skills[it->second.first].files[it->second.second];
  json::object content;
  content["uri"] = file.uri;
  content["mimeType"] = file.mime_type;
  // Text when the bytes are UTF-8 (the digest covers these same bytes), else base64.
  if (core::FindInvalidUtf8(file.bytes) == std::string_view::npos) {
    content["text"] = file.bytes;
  } else {
    content["blob"] = core::EncodeBase64(file.bytes);
  }
  json::object result;
  result["contents"] = json::array{std::move(content)};
  return Result(request, session, Cacheable(std::move(result), session));
}

asio::awaitable<Protocol::Reply> Protocol::ReadResourceRequest(const Message& request,
                                                               Session& session,
                                                               RequestScope& scope) const {
  auto uri = StringField(request.params, "uri");
  if (!uri) co_return Error(request, session, kInvalidParams, "params.uri is required");
  if (auto skill_file = ReadSkillFile(request, session, *uri)) co_return std::move(*skill_file);
  const int not_found = session.modern ? kInvalidParams : kResourceNotFound;
  for (const Resource& r : catalog_->resources) {
    json::object variables;
    if (!r.Match(*uri, variables)) continue;
    std::string uri_text(*uri);
    auto contents = co_await ReadResource(r, uri_text, variables, scope);
    if (!contents) {
      if (contents.error().code == core::ErrorCode::kNotFound) {
        json::object data;
        data["uri"] = uri_text;
        json::value d(std::move(data));
        co_return Error(request, session, not_found, contents.error().message, &d);
      }
      co_return Error(request, session, kInternalError, contents.error().message);
    }
    json::object result;
    result["contents"] = std::move(*contents);
    co_return Result(request, session, Cacheable(std::move(result), session));
  }
  json::object data;
  data["uri"] = std::string(*uri);
  json::value d(std::move(data));
  co_return Error(request, session, not_found, "Resource not found: " + std::string(*uri), &d);
}

}  // namespace capstan::mcp
