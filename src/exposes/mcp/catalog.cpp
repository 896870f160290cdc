#include "exposes/mcp/catalog.hpp"

#include <filesystem>

namespace capstan::mcp {

using core::ErrorCode;
using core::Fail;

namespace {

bool IsSafeNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

// Splits "a/{id}/b" into {"a/", "id", "/b"}.
std::vector<std::string> SplitUriTemplate(std::string_view uri) {
  std::vector<std::string> pieces;
  std::string literal;
  std::size_t i = 0;
  while (i < uri.size()) {
    if (uri[i] == '{') {
      std::size_t close = uri.find('}', i);
      if (close == std::string_view::npos) break;
      pieces.push_back(std::move(literal));
      literal.clear();
      std::string_view name = uri.substr(i + 1, close - i - 1);
      while (!name.empty() && name.front() == '{') name.remove_prefix(1);
      pieces.emplace_back(name);
      i = close + 1;
      while (i < uri.size() && uri[i] == '}') ++i;
      continue;
    }
    literal += uri[i++];
  }
  pieces.push_back(std::move(literal));
  return pieces;
}

std::string FilePathOf(std::string_view location) {
  constexpr std::string_view kScheme = "file://";
  if (location.substr(0, kScheme.size()) == kScheme) location.remove_prefix(kScheme.size());
  return std::string(location);
}

}  // namespace

std::string SanitizeToolName(std::string_view name, const std::set<std::string>& taken) {
  bool valid = !name.empty() && name.size() <= 64;
  for (char c : name) valid = valid && IsSafeNameChar(c);
  if (valid && !taken.count(std::string(name))) return std::string(name);
  std::string base;
  for (char c : name) base += IsSafeNameChar(c) ? c : '_';
  if (base.empty()) base = "tool";
  if (base.size() > 64) base.resize(64);
  if (!taken.count(base)) return base;
  for (int n = 2;; ++n) {
    std::string suffix(1, '_');
    suffix += std::to_string(n);
    std::string candidate = base.substr(0, 64 - suffix.size()) + suffix;
    if (!taken.count(candidate)) return candidate;
  }
}

json::object InputSchemaFor(const std::vector<runtime::InputSpec>& inputs) {
  json::object schema;
  schema["type"] = "object";
  json::object properties;
  json::array required;
  for (const runtime::InputSpec& in : inputs) {
    json::object property;
    property["type"] = spec::ValueTypeName(in.type);
    if (in.type == spec::ValueType::kArray) property["items"] = json::object();
    if (!in.description.empty()) property["description"] = in.description;
    if (in.pattern) property["pattern"] = *in.pattern;
    properties[in.name] = std::move(property);
    if (in.required || in.in == spec::ParameterIn::kPath) required.emplace_back(in.name);
  }
  schema["properties"] = std::move(properties);
  if (!required.empty()) schema["required"] = std::move(required);
  schema["additionalProperties"] = false;
  return schema;
}

core::Status Catalog::AddTool(Tool tool) {
  if (tool_index.count(tool.name)) {
    return Fail(ErrorCode::kInvalidArgument, "duplicate tool name '" + tool.name + "'");
  }
  tool_index[tool.name] = tools.size();
  tools.push_back(std::move(tool));
  return core::Ok();
}

const Tool* Catalog::FindTool(std::string_view name) const {
  auto it = tool_index.find(name);
  return it == tool_index.end() ? nullptr : &tools[it->second];
}

const Prompt* Catalog::FindPrompt(std::string_view name) const {
  for (const Prompt& p : prompts) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

core::Status AddNativeTool(Catalog& catalog, std::string name, std::string description,
                           json::object input_schema, NativeTool handler, bool prefers_stream,
                           std::string required_capability) {
  Tool tool;
  tool.name = std::move(name);
  auto compiled = jsonschema::Schema::Compile(json::value(input_schema));
  if (!compiled) {
    return Fail(ErrorCode::kInvalidArgument,
                "tool '" + tool.name + "': invalid inputSchema: " + compiled.error().message);
  }
  tool.input_schema = std::move(*compiled);
  tool.definition["name"] = tool.name;
  tool.definition["description"] = std::move(description);
  tool.definition["inputSchema"] = std::move(input_schema);
  tool.native = std::move(handler);
  tool.prefers_stream = prefers_stream;
  tool.required_capability = std::move(required_capability);
  return catalog.AddTool(std::move(tool));
}

bool Resource::Match(std::string_view uri_in, json::object& variables) const {
  if (!is_template) return uri_in == uri;
  std::string_view rest = uri_in;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (i % 2 == 0) {
      const std::string& literal = pieces[i];
      if (rest.substr(0, literal.size()) != literal) return false;
      rest.remove_prefix(literal.size());
      continue;
    }
    // A variable runs to the next literal (or the end); a single segment unless it is last.
    const std::string& next = i + 1 < pieces.size() ? pieces[i + 1] : std::string();
    std::size_t end = next.empty() ? rest.size() : rest.find(next);
    if (end == std::string_view::npos || end == 0) return false;
    std::string_view value = rest.substr(0, end);
    if (!next.empty() && value.find('/') != std::string_view::npos) return false;
    variables[pieces[i]] = json::string(value);
    rest.remove_prefix(end);
  }
  return rest.empty();
}

spec::McpToolHints ToolHints(const std::optional<spec::McpToolHints>& hints,
                             const std::optional<spec::Semantics>& semantics) {
  spec::McpToolHints out;
  if (semantics) {
    if (semantics->safe.value_or(false)) {
      out.read_only = true;
      out.destructive = false;
    }
    if (semantics->idempotent) out.idempotent = *semantics->idempotent;
  }
  if (hints) {
    if (hints->read_only) out.read_only = hints->read_only;
    if (hints->destructive) out.destructive = hints->destructive;
    if (hints->idempotent) out.idempotent = hints->idempotent;
    if (hints->open_world) out.open_world = hints->open_world;
  }
  return out;
}

core::Result<Catalog> BuildCatalog(std::shared_ptr<const runtime::Runtime> runtime,
                                   const spec::ExposesMcp& spec) {
  Catalog catalog;
  catalog.instructions = spec.description.value_or("");
  std::set<std::string> taken;
  const std::string what_adapter = "mcp adapter '" + spec.ns + "'";
  for (const spec::McpTool& t : spec.tools) {
    runtime::Invocation::Definition def;
    def.expose_ns = spec.ns;
    def.input_namespaces = {"tools", "mcp"};
    if (t.call) def.call = t.call->target;
    if (t.ref) def.ref = t.ref->target;
    def.with = t.with;
    def.steps = t.steps;
    def.mappings = t.mappings;
    def.tool_inputs = t.input_parameters;
    def.outputs = t.output_parameters;
    def.what = what_adapter + " tool '" + t.name + "'";
    auto invocation = runtime::Invocation::Compile(*runtime, std::move(def));
    if (!invocation) return Fail(std::move(invocation).error());

    Tool tool;
    tool.name = SanitizeToolName(t.name, taken);
    taken.insert(tool.name);
    tool.invocation = std::move(*invocation);
    const runtime::CompiledOperation* op = tool.invocation->operation();
    const spec::AggregateFunction* fn = tool.invocation->function();
    std::string description = t.description.value_or("");
    if (description.empty() && fn != nullptr) description = fn->description;
    if (description.empty() && op != nullptr) description = std::string(op->description());
    if (description.empty() && t.label) description = *t.label;
    if (description.empty() && op != nullptr) {
      description = "Calls " + op->method() + " " + op->call() + ".";
    }
    if (description.empty()) description = "Tool " + t.name + ".";
    json::object schema = InputSchemaFor(tool.invocation->inputs());
    auto compiled = jsonschema::Schema::Compile(json::value(schema));
    if (!compiled) {
      return Fail(ErrorCode::kInternal,
                  what_adapter + " tool '" + t.name + "': " + compiled.error().message);
    }
    tool.input_schema = std::move(*compiled);

    json::object& d = tool.definition;
    d["name"] = tool.name;
    if (t.label) d["title"] = *t.label;
    d["description"] = description;
    d["inputSchema"] = std::move(schema);
    json::object annotations;
    if (t.label) annotations["title"] = *t.label;
    const spec::McpToolHints hints =
        ToolHints(t.hints, fn != nullptr ? fn->semantics : std::nullopt);
    annotations["readOnlyHint"] = hints.read_only.value_or(false);
    annotations["destructiveHint"] = hints.destructive.value_or(true);
    annotations["idempotentHint"] = hints.idempotent.value_or(false);
    annotations["openWorldHint"] = hints.open_world.value_or(true);
    d["annotations"] = std::move(annotations);
    CAPSTAN_RETURN_IF_ERROR(catalog.AddTool(std::move(tool)));
  }

  for (const spec::McpResource& r : spec.resources) {
    if (!r.steps.empty()) {
      return Fail(ErrorCode::kInvalidArgument,
                  what_adapter + " resource '" + r.name + "': `steps` are not supported yet");
    }
    Resource res;
    res.uri = r.uri;
    res.is_template = r.uri.find('{') != std::string::npos;
    res.pieces = SplitUriTemplate(r.uri);
    res.mime_type = r.mime_type.value_or(r.location ? "text/plain" : "application/json");
    if (r.location) {
      res.location = FilePathOf(*r.location);
    } else if (r.call) {
      runtime::Invocation::Definition def;
      def.expose_ns = spec.ns;
      def.input_namespaces = {"resources", "mcp"};
      def.call = r.call->target;
      def.with = r.with;
      def.outputs = r.output_parameters;
      def.what = what_adapter + " resource '" + r.name + "'";
      auto invocation = runtime::Invocation::Compile(*runtime, std::move(def));
      if (!invocation) return Fail(std::move(invocation).error());
      res.invocation = std::move(*invocation);
    } else {
      return Fail(ErrorCode::kInvalidArgument,
                  what_adapter + " resource '" + r.name + "': needs `call` or `location`");
    }
    json::object& d = res.definition;
    d[res.is_template ? "uriTemplate" : "uri"] = r.uri;
    d["name"] = r.name;
    if (!r.label.empty()) d["title"] = r.label;
    d["description"] = r.description.empty() ? r.label : r.description;
    d["mimeType"] = res.mime_type;
    catalog.resources.push_back(std::move(res));
  }

  for (const spec::McpPrompt& p : spec.prompts) {
    Prompt prompt;
    prompt.name = p.name;
    json::object& d = prompt.definition;
    d["name"] = p.name;
    if (!p.label.empty()) d["title"] = p.label;
    d["description"] = p.description.empty() ? p.label : p.description;
    json::array args;
    for (const spec::McpPromptArgument& a : p.arguments) {
      json::object arg;
      arg["name"] = a.name;
      if (a.label) arg["title"] = *a.label;
      arg["description"] = a.description;
      arg["required"] = a.required;
      if (a.required) prompt.required.push_back(a.name);
      args.emplace_back(std::move(arg));
    }
    d["arguments"] = std::move(args);
    for (const spec::McpPromptMessage& m : p.template_messages) {
      auto tpl = mapping::Template::Compile(m.content, mapping::TemplateSyntax::kDoubleBrace);
      if (!tpl) {
        return Fail(ErrorCode::kInvalidArgument,
                    what_adapter + " prompt '" + p.name + "': " + tpl.error().message);
      }
      prompt.messages.emplace_back(m.role == spec::PromptRole::kAssistant ? "assistant" : "user",
                                   std::move(*tpl));
    }
    if (p.location) prompt.location = FilePathOf(*p.location);
    catalog.prompts.push_back(std::move(prompt));
  }
  return catalog;
}

}  // namespace capstan::mcp
