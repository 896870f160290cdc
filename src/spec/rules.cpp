#include "spec/rules.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "spec/references.hpp"

namespace capstan::spec {
namespace {

std::string ListNames(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  if (names.empty()) return "none";
  std::string out;
  std::size_t shown = 0;
  for (const std::string& n : names) {
    if (shown == 12) {
      out += fmt::format(", ... ({} more)", names.size() - shown);
      break;
    }
    if (!out.empty()) out += ", ";
    out += n;
    ++shown;
  }
  return out;
}

bool ContainsName(const std::vector<std::string>& names, std::string_view name) {
  return std::any_of(names.begin(), names.end(),
                     [&](const std::string& n) { return SameName(n, name); });
}

// The first segment of "$.step.field" / "$.step[0]" / "$['step']" ("" if none).
std::string FirstPathSegment(std::string_view path) {
  if (path.substr(0, 2) != "$.") return {};
  path.remove_prefix(2);
  std::size_t end = path.find_first_of(".[");
  return std::string(path.substr(0, end));
}

// A route key that ignores variable names: "/ships/{imo}" and "/ships/{{id}}" collide.
std::string RouteShape(std::string_view path) {
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '{') {
      std::size_t end = path.find('}', i);
      if (end == std::string_view::npos) {
        out += path.substr(i);
        break;
      }
      while (end + 1 < path.size() && path[end + 1] == '}') ++end;
      out += "{}";
      i = end;
    } else {
      out += path[i];
    }
  }
  return out;
}

// The template-bearing fields of each authentication kind.
std::vector<const std::optional<std::string>*> AuthTemplates(const AuthBasic& a) {
  return {&a.username, &a.password};
}
std::vector<const std::optional<std::string>*> AuthTemplates(const AuthDigest& a) {
  return {&a.username, &a.password};
}
std::vector<const std::optional<std::string>*> AuthTemplates(const AuthApiKey& a) {
  return {&a.key, &a.value};
}
std::vector<const std::optional<std::string>*> AuthTemplates(const AuthBearer& a) {
  return {&a.token};
}
std::vector<const std::optional<std::string>*> AuthTemplates(const AuthOAuth2&) { return {}; }

struct Endpoint {
  std::string host;  // normalized; "*" is the wildcard address
  int port = 0;
  std::string label;
  SourceLocation source;
};

std::string NormalizeHost(std::string_view address) {
  if (address == "localhost" || address == "127.0.0.1") return "127.0.0.1";
  if (address == "0.0.0.0" || address == "::" || address == "[::]") return "*";
  return std::string(address);
}

// What a `with` entry, an operation or a tool calls: the information the invocation rules need.
struct Invocation {
  std::string what;  // for messages: "tool \"get-ship\""
  SourceLocation source;
  const std::optional<Reference>* call = nullptr;
  const std::optional<Reference>* ref = nullptr;
  const WithInjector* with = nullptr;
  const std::vector<OperationStep>* steps = nullptr;
  const std::vector<StepOutputMapping>* mappings = nullptr;
  std::vector<std::string> declared_inputs;  // empty: derived from the consumed operation
  std::vector<std::string_view> input_namespaces;
};

class RuleChecker {
 public:
  explicit RuleChecker(const Capability& capability) : cap_(capability) {}

  Diagnostics Run() {
    Namespaces();
    for (const ConsumesHttp& consumes : AllConsumes()) Consumes(consumes);
    if (cap_.capability) {
      const CapabilityBody& body = *cap_.capability;
      if (body.exposes.empty()) {
        Warn(body.source, "the capability exposes nothing (no rest, mcp, skill or control adapter)",
             "capability-no-exposes");
      }
      Ports(body);
      for (const Exposes& exposes : body.exposes) {
        if (const auto* rest = std::get_if<ExposesRest>(&exposes)) Rest(*rest);
        if (const auto* mcp = std::get_if<ExposesMcp>(&exposes)) Mcp(*mcp);
        if (const auto* skill = std::get_if<ExposesSkill>(&exposes)) Skill(*skill, body);
      }
      for (const Aggregate& aggregate : body.aggregates) Aggregates(aggregate);
    }
    return std::move(diagnostics_);
  }

 private:
  void Error(const SourceLocation& where, std::string message, std::string rule_id) {
    diagnostics_.push_back(
        Diagnostic{Severity::kError, where, std::move(message), std::move(rule_id)});
  }
  void Warn(const SourceLocation& where, std::string message, std::string rule_id) {
    diagnostics_.push_back(
        Diagnostic{Severity::kWarning, where, std::move(message), std::move(rule_id)});
  }

  // Records `name` as declared at `where`; returns the line of an earlier declaration of the
  // same name in `seen`, or nullopt for the first one.
  static std::optional<int> Redeclared(std::map<std::string, SourceLocation>& seen,
                                       const std::string& name, const SourceLocation& where) {
    auto [it, inserted] = seen.emplace(name, where);
    if (inserted) return std::nullopt;
    return it->second.line;
  }

  std::vector<std::reference_wrapper<const ConsumesHttp>> AllConsumes() const {
    std::vector<std::reference_wrapper<const ConsumesHttp>> out;
    if (cap_.capability) {
      for (const ConsumesHttp& c : cap_.capability->consumes) out.emplace_back(c);
    }
    for (const ConsumesHttp& c : cap_.consumes) out.emplace_back(c);
    return out;
  }

  // ---- namespaces -------------------------------------------------------------------------

  void Namespaces() {
    std::map<std::string, std::pair<std::string, SourceLocation>> seen;
    auto claim = [&](const std::string& ns, std::string_view kind, const SourceLocation& where) {
      if (ns.empty()) return;
      auto [it, inserted] = seen.emplace(ns, std::make_pair(std::string(kind), where));
      if (!inserted) {
        Error(where,
              fmt::format("namespace \"{}\" is already used by the {} at line {}", ns,
                          it->second.first, it->second.second.line),
              "namespace-duplicate");
      }
    };
    for (const ConsumesHttp& c : AllConsumes()) claim(c.ns, "consumes adapter", c.source);
    if (cap_.capability) {
      for (const Exposes& e : cap_.capability->exposes) {
        claim(std::string(ExposesNamespace(e)), fmt::format("{} adapter", ExposesTypeName(e)),
              ExposesSource(e));
      }
      for (const Aggregate& a : cap_.capability->aggregates) claim(a.ns, "aggregate", a.source);
    }

    std::map<std::string, SourceLocation> binds;
    std::map<std::string, SourceLocation> variables;
    auto bind = [&](const Binding& b) {
      if (!b.ns.empty()) {
        if (auto first = Redeclared(binds, b.ns, b.source)) {
          Error(b.source,
                fmt::format("bind namespace \"{}\" is already declared at line {}", b.ns, *first),
                "bind-namespace-duplicate");
        }
      }
      for (const BindingKey& key : b.keys) {
        if (auto first = Redeclared(variables, key.variable, key.source)) {
          Warn(key.source,
               fmt::format("bind variable {} is already declared at line {}; the first "
                           "declaration wins",
                           key.variable, *first),
               "bind-variable-duplicate");
        }
      }
    };
    for (const Binding& b : cap_.binds) bind(b);
    if (cap_.capability) {
      for (const Binding& b : cap_.capability->binds) bind(b);
    }
  }

  // ---- consumes ---------------------------------------------------------------------------

  void CheckPath(const std::string& path, const SourceLocation& where, std::string_view what) {
    if (path.find('?') != std::string::npos) {
      Error(where,
            fmt::format("{} path \"{}\" contains a query string; declare query parameters "
                        "instead",
                        what, path),
            "path-query-string");
    }
    if (path.size() > 1 && path.back() == '/') {
      Error(where, fmt::format("{} path \"{}\" ends with '/'", what, path), "path-trailing-slash");
    }
  }

  void Consumes(const ConsumesHttp& c) {
    if (!c.base_uri.empty() && c.base_uri.back() == '/') {
      Error(c.source,
            fmt::format("baseUri \"{}\" of consumes \"{}\" ends with '/'; resource paths start "
                        "with '/', so the URL would contain \"//\"",
                        c.base_uri, c.ns),
            "base-uri-trailing-slash");
    }
    std::map<std::string, SourceLocation> operations;
    for (const ConsumedHttpResource& r : c.resources) {
      CheckPath(r.path, r.source, "consumed resource");
      for (const ConsumedHttpOperation& op : r.operations) {
        if (auto first = Redeclared(operations, op.name, op.source)) {
          Error(op.source,
                fmt::format("consumes \"{}\" already has an operation \"{}\" (line {}); calls "
                            "resolve by name, so the second is unreachable",
                            c.ns, op.name, *first),
                "consumed-operation-duplicate");
        }
        SchemaFile(c, op);
      }
    }
  }

  // avro and protobuf read their schema file when the capability loads: say so here first.
  void SchemaFile(const ConsumesHttp& c, const ConsumedHttpOperation& op) {
    if (op.output_raw_format != OutputRawFormat::kAvro &&
        op.output_raw_format != OutputRawFormat::kProtobuf) {
      return;
    }
    const char* format = op.output_raw_format == OutputRawFormat::kAvro ? "avro" : "protobuf";
    if (!op.output_schema || op.output_schema->empty()) {
      Error(op.source,
            fmt::format("operation \"{}.{}\" answers {} but names no outputSchema (the .{} file "
                        "that decodes it)",
                        c.ns, op.name, format,
                        op.output_raw_format == OutputRawFormat::kAvro ? "avsc" : "proto"),
            "output-schema-missing");
      return;
    }
    const std::string dir = DeclaringDirectory(cap_, c);
    if (!ResolveSchemaFile(*op.output_schema, dir)) {
      Error(op.source,
            fmt::format("outputSchema \"{}\" of operation \"{}.{}\" is not a file (looked next "
                        "to {} and as given)",
                        *op.output_schema, c.ns, op.name, dir.empty() ? "." : dir),
            "output-schema-not-found");
    }
  }

  // The names a consumed operation accepts: declared parameters (adapter, resource, operation),
  // path placeholders and body template variables.
  static std::vector<std::string> ConsumedInputs(const ConsumedOperationRef& ref) {
    std::vector<std::string> names;
    auto add_params = [&](const std::vector<ConsumedInputParameter>& params) {
      for (const ConsumedInputParameter& p : params) {
        names.push_back(p.name);
        if (p.value) {
          for (std::string& v : TemplateVariables(*p.value)) names.push_back(std::move(v));
        }
      }
    };
    add_params(ref.consumes->input_parameters);
    add_params(ref.resource->input_parameters);
    add_params(ref.operation->input_parameters);
    if (ref.consumes->authentication) {
      std::visit(
          [&](const auto& auth) {
            for (const std::optional<std::string>* field : AuthTemplates(auth)) {
              if (!field->has_value()) continue;
              for (std::string& v : TemplateVariables(**field)) names.push_back(std::move(v));
            }
          },
          *ref.consumes->authentication);
    }
    for (std::string& v : PathVariables(ref.resource->path)) names.push_back(std::move(v));
    if (ref.operation->body) {
      const RequestBody& body = *ref.operation->body;
      std::string text = body.data.is_string() ? std::string(body.data.as_string())
                                               : core::SerializeJson(body.data);
      for (const MultipartPart& part : body.parts) text += part.value;
      for (std::string& v : TemplateVariables(text)) names.push_back(std::move(v));
    }
    return names;
  }

  std::vector<std::string> ConsumesNames() const {
    std::vector<std::string> names;
    for (const ConsumesHttp& c : AllConsumes()) names.push_back(c.ns);
    return names;
  }

  // Resolves a call and reports it if it does not resolve.
  std::optional<ConsumedOperationRef> Call(const std::string& call, const SourceLocation& where,
                                           std::string_view what) {
    if (auto ref = ResolveCall(cap_, call)) return ref;
    auto name = SplitQualifiedName(call);
    if (!name) {
      Error(where,
            fmt::format("{} calls \"{}\", which is not of the form consumesNamespace.operationName",
                        what, call),
            "call-unresolved");
      return std::nullopt;
    }
    const ConsumesHttp* consumes = FindConsumes(cap_, name->ns);
    if (consumes == nullptr) {
      Error(where,
            fmt::format("{} calls \"{}\", but no consumes adapter has namespace \"{}\" (known: {})",
                        what, call, name->ns, ListNames(ConsumesNames())),
            "call-unresolved");
    } else {
      std::vector<std::string> ops;
      for (const auto& r : consumes->resources) {
        for (const auto& op : r.operations) ops.push_back(op.name);
      }
      Error(where,
            fmt::format("{} calls \"{}\", but consumes \"{}\" has no operation \"{}\" (known: {})",
                        what, call, name->ns, name->name, ListNames(ops)),
            "call-unresolved");
    }
    return std::nullopt;
  }

  void WithKeys(const WithInjector& with, const ConsumedOperationRef& ref, std::string_view call) {
    std::vector<std::string> inputs = ConsumedInputs(ref);
    for (const WithEntry& entry : with) {
      if (ContainsName(inputs, entry.key)) continue;
      Error(entry.source,
            fmt::format("with key \"{}\" is not an input of {} (inputs: {})", entry.key, call,
                        ListNames(inputs)),
            "with-unknown-input");
    }
  }

  void WithSources(const WithInjector& with, const Invocation& inv) {
    if (inv.declared_inputs.empty()) return;  // inputs are derived: anything may be passed
    for (const WithEntry& entry : with) {
      WithValue v = ClassifyWithValue(entry.value, inv.input_namespaces);
      std::vector<std::string> used;
      if (v.kind == WithValueKind::kInput) used.push_back(v.input);
      if (v.kind == WithValueKind::kTemplate) {
        for (std::string& t : TemplateVariables(std::string(entry.value.as_string()))) {
          if (!IsBindVariableName(t) && t.find('.') == std::string::npos)
            used.push_back(std::move(t));
        }
      }
      for (const std::string& name : used) {
        if (ContainsName(inv.declared_inputs, name)) continue;
        Warn(entry.source,
             fmt::format("with value for \"{}\" reads input \"{}\", which {} does not declare "
                         "(declared: {})",
                         entry.key, name, inv.what, ListNames(inv.declared_inputs)),
             "with-unknown-source");
      }
    }
  }

  void Steps(const Invocation& inv) {
    if (inv.steps == nullptr) return;
    std::map<std::string, SourceLocation> seen;
    std::vector<std::string> all_names;
    for (const OperationStep& step : *inv.steps) all_names.push_back(StepName(step));
    std::vector<std::string> earlier;
    std::vector<std::string> earlier_calls;
    for (const OperationStep& step : *inv.steps) {
      const std::string& name = StepName(step);
      if (auto first = Redeclared(seen, name, StepSource(step))) {
        Error(StepSource(step),
              fmt::format("step name \"{}\" is already used at line {} in {}", name, *first,
                          inv.what),
              "step-name-duplicate");
      }
      if (const auto* call = std::get_if<CallStep>(&step)) {
        if (auto ref =
                Call(call->call.target, call->call.source, fmt::format("step \"{}\"", name))) {
          WithKeys(call->with, *ref, call->call.target);
        }
        WithSources(call->with, inv);
      } else if (const auto* lookup = std::get_if<LookupStep>(&step)) {
        if (std::find(earlier_calls.begin(), earlier_calls.end(), lookup->index) ==
            earlier_calls.end()) {
          Error(lookup->source,
                fmt::format("lookup step \"{}\" indexes \"{}\", which is not an earlier call step "
                            "(earlier call steps: {})",
                            name, lookup->index, ListNames(earlier_calls)),
                "lookup-index-unknown");
        }
        std::string referenced = FirstPathSegment(lookup->lookup_value);
        if (!referenced.empty() &&
            std::find(earlier.begin(), earlier.end(), referenced) == earlier.end()) {
          Error(lookup->source,
                fmt::format("lookupValue \"{}\" of step \"{}\" reads step \"{}\", which is not an "
                            "earlier step",
                            lookup->lookup_value, name, referenced),
                "step-reference-unknown");
        }
      } else if (const auto* script = std::get_if<ScriptStep>(&step)) {
        WithSources(script->with, inv);
        if (script->language == ScriptLanguage::kPython ||
            script->language == ScriptLanguage::kGroovy) {
          Error(
              script->source,
              fmt::format("script step \"{}\" is written in {}, which capstan does not run "
                          "(javascript only)",
                          name, script->language == ScriptLanguage::kPython ? "python" : "groovy"),
              "script-language-unsupported");
        }
      }
      earlier.push_back(name);
      if (std::holds_alternative<CallStep>(step)) earlier_calls.push_back(name);
    }
    if (inv.mappings != nullptr) {
      for (const StepOutputMapping& m : *inv.mappings) {
        std::string referenced = FirstPathSegment(m.value);
        if (referenced.empty() ||
            std::find(all_names.begin(), all_names.end(), referenced) != all_names.end()) {
          continue;
        }
        Error(m.source,
              fmt::format("mapping \"{}\" reads \"{}\", but {} has no step \"{}\" (steps: {})",
                          m.target_name, m.value, inv.what, referenced, ListNames(all_names)),
              "mapping-step-unknown");
      }
    }
  }

  void Invoke(const Invocation& inv) {
    if (inv.call != nullptr && inv.call->has_value()) {
      const Reference& call = **inv.call;
      if (auto ref = Call(call.target, call.source, inv.what))
        WithKeys(*inv.with, *ref, call.target);
    }
    if (inv.with != nullptr) WithSources(*inv.with, inv);
    if (inv.ref != nullptr && inv.ref->has_value() &&
        ResolveRef(cap_, (*inv.ref)->target) == nullptr) {
      std::vector<std::string> known;
      if (cap_.capability) {
        for (const Aggregate& a : cap_.capability->aggregates) {
          for (const AggregateFunction& f : a.functions) known.push_back(a.ns + "." + f.name);
        }
      }
      Error((*inv.ref)->source,
            fmt::format("{} refers to \"{}\", which is not an aggregate function (known: {})",
                        inv.what, (*inv.ref)->target, ListNames(known)),
            "ref-unresolved");
    }
    Steps(inv);
  }

  // ---- exposes ----------------------------------------------------------------------------

  void Ports(const CapabilityBody& body) {
    std::vector<Endpoint> endpoints;
    int controls = 0;
    for (const Exposes& e : body.exposes) {
      std::string label = fmt::format("{} adapter \"{}\"", ExposesTypeName(e), ExposesNamespace(e));
      if (const auto* rest = std::get_if<ExposesRest>(&e)) {
        endpoints.push_back(
            {NormalizeHost(rest->address.value_or("127.0.0.1")), rest->port, label, rest->source});
      } else if (const auto* mcp = std::get_if<ExposesMcp>(&e)) {
        if (mcp->transport == McpTransport::kStdio) {
          if (mcp->port) {
            Error(mcp->source,
                  fmt::format("mcp adapter \"{}\" uses transport stdio, which listens on no port; "
                              "remove port {}",
                              mcp->ns, *mcp->port),
                  "mcp-stdio-port");
          }
          if (mcp->authentication) {
            Warn(mcp->source,
                 fmt::format("mcp adapter \"{}\" uses transport stdio, where authentication does "
                             "not apply",
                             mcp->ns),
                 "mcp-stdio-authentication");
          }
          continue;
        }
        if (mcp->port) {
          endpoints.push_back(
              {NormalizeHost(mcp->address.value_or("localhost")), *mcp->port, label, mcp->source});
        }
      } else if (const auto* skill = std::get_if<ExposesSkill>(&e)) {
        endpoints.push_back({NormalizeHost(skill->address.value_or("127.0.0.1")), skill->port,
                             label, skill->source});
      } else if (const auto* control = std::get_if<ExposesControl>(&e)) {
        if (++controls > 1) {
          Error(control->source, "a capability has at most one control adapter",
                "control-adapter-duplicate");
        }
        endpoints.push_back({NormalizeHost(control->address.value_or("localhost")), control->port,
                             "control adapter", control->source});
      }
    }
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        const Endpoint& a = endpoints[j];
        const Endpoint& b = endpoints[i];
        if (a.port == 0 || a.port != b.port) continue;
        if (a.host != b.host && a.host != "*" && b.host != "*") continue;
        Error(b.source,
              fmt::format("{} listens on {}:{}, which the {} (line {}) already uses", b.label,
                          b.host == "*" ? "*" : b.host, b.port, a.label, a.source.line),
              "port-conflict");
        break;
      }
    }
  }

  void Rest(const ExposesRest& rest) {
    std::map<std::string, SourceLocation> routes;
    for (const ExposedResource& r : rest.resources) {
      CheckPath(r.path, r.source, "exposed resource");
      if (r.forward && FindConsumes(cap_, r.forward->target_namespace) == nullptr) {
        Error(r.forward->source,
              fmt::format("forward targets \"{}\", which is not a consumes namespace (known: {})",
                          r.forward->target_namespace, ListNames(ConsumesNames())),
              "forward-target-unknown");
      }
      std::vector<std::string> path_vars = PathVariables(r.path);
      for (const ExposedOperation& op : r.operations) {
        std::string method(HttpMethodName(op.method));
        std::string key = method + " " + RouteShape(r.path);
        if (auto first = Redeclared(routes, key, op.source)) {
          Error(op.source,
                fmt::format("rest adapter \"{}\" already routes {} {} (line {})", rest.ns, method,
                            r.path, *first),
                "rest-operation-duplicate");
        }
        Invocation inv;
        inv.what = fmt::format("operation {} {}", method, r.path);
        inv.source = op.source;
        inv.call = &op.call;
        inv.ref = &op.ref;
        inv.with = &op.with;
        inv.steps = &op.steps;
        inv.mappings = &op.mappings;
        for (const auto& p : r.input_parameters) inv.declared_inputs.push_back(p.name);
        for (const auto& p : op.input_parameters) inv.declared_inputs.push_back(p.name);
        inv.input_namespaces = {rest.ns};
        Invoke(inv);
        PathBinding(r, op, path_vars, inv);
      }
    }
  }

  // Every path variable must reach the operation: as a declared input, through `with`, through
  // the referenced aggregate function's inputs, or derived from the called operation's inputs.
  void PathBinding(const ExposedResource& r, const ExposedOperation& op,
                   const std::vector<std::string>& path_vars, const Invocation& inv) {
    if (path_vars.empty()) return;
    std::vector<std::string> bound = inv.declared_inputs;
    auto add_with = [&](const WithInjector& with) {
      for (const WithEntry& entry : with) {
        WithValue v = ClassifyWithValue(entry.value, inv.input_namespaces);
        if (v.kind == WithValueKind::kInput) bound.push_back(v.input);
        if (v.kind == WithValueKind::kTemplate) {
          for (std::string& t : TemplateVariables(std::string(entry.value.as_string()))) {
            bound.push_back(std::move(t));
          }
        }
      }
    };
    add_with(op.with);
    for (const OperationStep& step : op.steps) {
      if (const auto* call = std::get_if<CallStep>(&step)) add_with(call->with);
      if (const auto* script = std::get_if<ScriptStep>(&step)) add_with(script->with);
    }
    if (op.ref) {
      if (const AggregateFunction* f = ResolveRef(cap_, op.ref->target)) {
        for (const auto& p : f->input_parameters) bound.push_back(p.name);
      }
    }
    if (op.call && inv.declared_inputs.empty()) {
      if (auto ref = ResolveCall(cap_, op.call->target)) {
        for (std::string& name : ConsumedInputs(*ref)) bound.push_back(std::move(name));
      }
    }
    for (const std::string& var : path_vars) {
      if (ContainsName(bound, var)) continue;
      Error(r.source,
            fmt::format("path variable {{{}}} of \"{}\" is not bound for {} {}: declare an input "
                        "parameter \"{}\" (in: path) or pass it on with `with`",
                        var, r.path, HttpMethodName(op.method), r.path, var),
            "path-variable-unbound");
    }
  }

  void Mcp(const ExposesMcp& mcp) {
    std::map<std::string, SourceLocation> tools;
    for (const McpTool& tool : mcp.tools) {
      if (!tool.name.empty()) {
        if (auto first = Redeclared(tools, tool.name, tool.source)) {
          Error(tool.source,
                fmt::format("mcp adapter \"{}\" already has a tool \"{}\" (line {})", mcp.ns,
                            tool.name, *first),
                "mcp-tool-duplicate");
        }
      }
      Invocation inv;
      inv.what = fmt::format("tool \"{}\"", tool.name);
      inv.source = tool.source;
      inv.call = &tool.call;
      inv.ref = &tool.ref;
      inv.with = &tool.with;
      inv.steps = &tool.steps;
      inv.mappings = &tool.mappings;
      for (const auto& p : tool.input_parameters) inv.declared_inputs.push_back(p.name);
      inv.input_namespaces = {mcp.ns};
      Invoke(inv);
    }
    std::map<std::string, SourceLocation> resources;
    for (const McpResource& resource : mcp.resources) {
      if (auto first = Redeclared(resources, resource.name, resource.source)) {
        Error(resource.source,
              fmt::format("mcp adapter \"{}\" already has a resource \"{}\" (line {})", mcp.ns,
                          resource.name, *first),
              "mcp-resource-duplicate");
      }
      Invocation inv;
      inv.what = fmt::format("resource \"{}\"", resource.name);
      inv.source = resource.source;
      inv.call = &resource.call;
      inv.with = &resource.with;
      inv.steps = &resource.steps;
      inv.mappings = &resource.mappings;
      inv.declared_inputs = PathVariables(resource.uri);
      inv.input_namespaces = {mcp.ns};
      Invoke(inv);
    }
    std::map<std::string, SourceLocation> prompts;
    for (const McpPrompt& prompt : mcp.prompts) {
      if (auto first = Redeclared(prompts, prompt.name, prompt.source)) {
        Error(prompt.source,
              fmt::format("mcp adapter \"{}\" already has a prompt \"{}\" (line {})", mcp.ns,
                          prompt.name, *first),
              "mcp-prompt-duplicate");
      }
    }
  }

  void Skill(const ExposesSkill& skill, const CapabilityBody& body) {
    for (const ExposedSkill& s : skill.skills) {
      for (const SkillTool& tool : s.tools) {
        if (!tool.from) continue;
        const std::string& ns = tool.from->source_namespace;
        const Exposes* target = nullptr;
        for (const Exposes& e : body.exposes) {
          if (ExposesNamespace(e) == ns &&
              (std::holds_alternative<ExposesRest>(e) || std::holds_alternative<ExposesMcp>(e))) {
            target = &e;
          }
        }
        if (target == nullptr) {
          std::vector<std::string> known;
          for (const Exposes& e : body.exposes) {
            if (std::holds_alternative<ExposesRest>(e) || std::holds_alternative<ExposesMcp>(e)) {
              known.emplace_back(ExposesNamespace(e));
            }
          }
          Error(
              tool.from->source,
              fmt::format("skill tool \"{}\" takes its action from \"{}\", which is not a rest or "
                          "mcp adapter (known: {})",
                          tool.name, ns, ListNames(known)),
              "skill-tool-unresolved");
          continue;
        }
        std::vector<std::string> actions;
        if (const auto* mcp = std::get_if<ExposesMcp>(target)) {
          for (const McpTool& t : mcp->tools) actions.push_back(t.name);
        } else if (const auto* rest = std::get_if<ExposesRest>(target)) {
          for (const ExposedResource& r : rest->resources) {
            for (const ExposedOperation& op : r.operations) {
              if (op.name) actions.push_back(*op.name);
            }
          }
        }
        if (std::find(actions.begin(), actions.end(), tool.from->action) == actions.end()) {
          Error(tool.from->source,
                fmt::format("skill tool \"{}\" uses action \"{}\", which adapter \"{}\" does not "
                            "have (known: {})",
                            tool.name, tool.from->action, ns, ListNames(actions)),
                "skill-tool-unresolved");
        }
      }
    }
  }

  void Aggregates(const Aggregate& aggregate) {
    std::map<std::string, SourceLocation> functions;
    for (const AggregateFunction& f : aggregate.functions) {
      if (auto first = Redeclared(functions, f.name, f.source)) {
        Error(f.source,
              fmt::format("aggregate \"{}\" already has a function \"{}\" (line {})", aggregate.ns,
                          f.name, *first),
              "aggregate-function-duplicate");
      }
      Invocation inv;
      inv.what = fmt::format("function \"{}.{}\"", aggregate.ns, f.name);
      inv.source = f.source;
      inv.call = &f.call;
      inv.with = &f.with;
      inv.steps = &f.steps;
      inv.mappings = &f.mappings;
      for (const auto& p : f.input_parameters) inv.declared_inputs.push_back(p.name);
      inv.input_namespaces = {aggregate.ns};
      Invoke(inv);
    }
  }

  const Capability& cap_;
  Diagnostics diagnostics_;
};

// ---- bind references ----------------------------------------------------------------------

class BindReferenceChecker {
 public:
  BindReferenceChecker(const PositionTable& positions, const BindScope& scope)
      : positions_(positions), scope_(scope) {}

  void Walk(const json::value& node, const std::string& pointer, bool in_scope) {
    if (const json::object* o = node.if_object()) {
      for (const auto& member : *o) {
        std::string child = JoinPointer(pointer, member.key());
        bool scoped = in_scope || member.key() == "authentication";
        Walk(member.value(), child, scoped);
      }
      // A consumed parameter's value (consumes[*], resources[*], operations[*]).
      bool consumed =
          pointer.rfind("/consumes/", 0) == 0 || pointer.rfind("/capability/consumes/", 0) == 0;
      if (!in_scope && consumed && pointer.find("/inputParameters/") != std::string::npos) {
        auto value = o->find("value");
        if (value != o->end()) Check(value->value(), JoinPointer(pointer, "value"));
      }
    } else if (const json::array* a = node.if_array()) {
      for (std::size_t i = 0; i < a->size(); ++i) Walk((*a)[i], JoinPointer(pointer, i), in_scope);
    } else if (in_scope) {
      Check(node, pointer);
    }
  }

  Diagnostics Take() { return std::move(diagnostics_); }

 private:
  void Check(const json::value& node, const std::string& pointer) {
    const json::string* s = node.if_string();
    if (s == nullptr) return;
    for (const std::string& variable : TemplateVariables(std::string_view(s->data(), s->size()))) {
      std::string_view name = variable;
      if (auto qualified = SplitQualifiedName(variable)) name = qualified->name;
      if (!IsBindVariableName(name)) continue;  // a parameter, not a bind variable
      if (std::find(scope_.variables.begin(), scope_.variables.end(), name) !=
          scope_.variables.end()) {
        continue;
      }
      diagnostics_.push_back(Diagnostic{
          Severity::kWarning, positions_.LocateValue(pointer),
          fmt::format("\"{{{{{}}}}}\" does not name a declared bind variable (declared: {})",
                      variable, ListNames(scope_.variables)),
          "bind-variable-unknown"});
    }
  }

  const PositionTable& positions_;
  const BindScope& scope_;
  Diagnostics diagnostics_;
};

}  // namespace

BindScope CollectBindScope(const Capability& capability) {
  BindScope scope;
  auto add = [&](const std::vector<Binding>& binds) {
    for (const Binding& b : binds) {
      scope.namespaces.push_back(b.ns);
      for (const BindingKey& k : b.keys) scope.variables.push_back(k.variable);
    }
  };
  add(capability.binds);
  if (capability.capability) add(capability.capability->binds);
  return scope;
}

Diagnostics CheckRules(const Capability& capability) { return RuleChecker(capability).Run(); }

Diagnostics CheckBindReferences(const json::value& root, const PositionTable& positions,
                                const BindScope& scope) {
  BindReferenceChecker checker(positions, scope);
  checker.Walk(root, "", false);
  return checker.Take();
}

}  // namespace capstan::spec
