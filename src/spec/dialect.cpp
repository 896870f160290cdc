#include "spec/dialect.hpp"

#include <algorithm>
#include <string_view>

#include <fmt/format.h>

#include "spec/references.hpp"

namespace capstan::spec {
namespace {

class DialectPass {
 public:
  DialectPass(const PositionTable& positions, const DialectOptions& options,
              std::vector<std::string> bind_namespaces)
      : positions_(positions), options_(options), bind_namespaces_(std::move(bind_namespaces)) {}

  void Run(json::value& root) {
    json::object* o = root.if_object();
    if (o == nullptr) return;
    ConsumesList(*o, "");
    if (json::object* body = Object(*o, "capability")) {
      std::string bp = "/capability";
      ConsumesList(*body, bp);
      Exposes(*body, bp);
      Aggregates(*body, bp);
    }
    Templates(root, "");
  }

  Diagnostics TakeDiagnostics() { return std::move(diagnostics_); }

 private:
  static json::object* Object(json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it == o.end() ? nullptr : it->value().if_object();
  }
  static json::array* Array(json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it == o.end() ? nullptr : it->value().if_array();
  }
  static std::string_view Str(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    if (it == o.end() || !it->value().is_string()) return {};
    const json::string& s = it->value().as_string();
    return std::string_view(s.data(), s.size());
  }

  // Calls f(object, pointer) for each object item of o[key].
  template <typename F>
  static void ForEach(json::object& o, std::string_view key, const std::string& pointer, F&& f) {
    json::array* arr = Array(o, key);
    if (arr == nullptr) return;
    std::string base = JoinPointer(pointer, key);
    for (std::size_t i = 0; i < arr->size(); ++i) {
      if (json::object* item = (*arr)[i].if_object()) f(*item, JoinPointer(base, i));
    }
  }

  // A schema deviation: a warning, or an error with --strict.
  void Report(SourceLocation location, std::string message, std::string rule_id) {
    diagnostics_.push_back(Diagnostic{options_.strict ? Severity::kError : Severity::kWarning,
                                      std::move(location), std::move(message), std::move(rule_id)});
  }

  // A schema-valid convention of the dialect whose meaning capstan interprets: always a warning,
  // so that --strict reports exactly the schema deviations (docs/capability-dialect.md).
  void Note(SourceLocation location, std::string message, std::string rule_id) {
    diagnostics_.push_back(Diagnostic{Severity::kWarning, std::move(location), std::move(message),
                                      std::move(rule_id)});
  }

  // ---- consumes ----

  void ConsumedParams(json::object& o, const std::string& pointer) {
    ForEach(o, "inputParameters", pointer, [&](json::object& param, const std::string& pp) {
      std::string name(Str(param, "name"));
      for (std::string_view key : {"type", "description", "required"}) {
        if (!param.contains(key)) continue;
        std::string explanation =
            key == "type"          ? "capstan uses it as the type of the REST/MCP input it derives"
            : key == "description" ? "capstan uses it to describe the REST/MCP input it derives"
                                   : "capstan uses it to decide whether the derived REST/MCP input "
                                     "is required (default false; path parameters are always "
                                     "required)";
        Report(positions_.Locate(JoinPointer(pp, key)),
               fmt::format("consumed input parameter \"{}\" has \"{}\", which the alpha2 schema "
                           "does not allow on consumed parameters; {}",
                           name, key, explanation),
               "dialect-consumed-param-keys");
        param.erase(key);
      }
    });
  }

  void ResourceName(json::object& resource, const std::string& pointer) {
    auto it = resource.find("name");
    if (it == resource.end() || !it->value().is_string()) return;
    std::string name(it->value().as_string());
    if (name.find('_') == std::string::npos) return;
    bool extended = std::all_of(name.begin(), name.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '-' || c == '_';
    });
    if (!extended) return;  // something else is wrong: leave it to the schema
    Report(positions_.LocateValue(JoinPointer(pointer, "name")),
           fmt::format("resource name \"{}\" contains '_', which alpha2 identifiers "
                       "(^[a-zA-Z0-9-]+$) do not allow; capstan accepts it, since resource names "
                       "are labels that nothing references",
                       name),
           "dialect-identifier-underscore");
    std::replace(name.begin(), name.end(), '_', '-');
    it->value() = json::string(name);
  }

  void ConsumesList(json::object& o, const std::string& pointer) {
    ForEach(o, "consumes", pointer, [&](json::object& consumes, const std::string& cp) {
      ConsumedParams(consumes, cp);
      ForEach(consumes, "resources", cp, [&](json::object& resource, const std::string& rp) {
        ResourceName(resource, rp);
        ConsumedParams(resource, rp);
        ForEach(resource, "operations", rp,
                [&](json::object& op, const std::string& opp) { ConsumedParams(op, opp); });
      });
    });
  }

  // ---- outputs ----

  void Output(json::object& param, const std::string& pointer) {
    if (Str(param, "type") == "object" && !param.contains("properties") &&
        param.contains("mapping")) {
      Report(
          positions_.LocateValue(pointer),
          fmt::format("output parameter {{type: object, mapping: \"{}\"}} has no \"properties\", "
                      "which the alpha2 schema requires for objects; capstan passes the node "
                      "selected by the mapping through unchanged",
                      Str(param, "mapping")),
          "dialect-object-without-properties");
      param["properties"] = json::object();
      return;
    }
    if (json::object* props = Object(param, "properties")) {
      std::string pp = JoinPointer(pointer, "properties");
      for (auto& member : *props) {
        if (json::object* child = member.value().if_object()) {
          Output(*child, JoinPointer(pp, member.key()));
        }
      }
    }
    auto items = param.find("items");
    if (items != param.end()) {
      std::string ip = JoinPointer(pointer, "items");
      if (json::object* child = items->value().if_object()) {
        Output(*child, ip);
      } else if (json::array* arr = items->value().if_array()) {
        for (std::size_t i = 0; i < arr->size(); ++i) {
          if (json::object* c = (*arr)[i].if_object()) Output(*c, JoinPointer(ip, i));
        }
      }
    }
  }

  void Outputs(json::object& o, const std::string& pointer) {
    ForEach(o, "outputParameters", pointer,
            [&](json::object& param, const std::string& pp) { Output(param, pp); });
  }

  // ---- with ----

  void With(json::object& o, const std::string& pointer,
            const std::vector<std::string_view>& own_namespaces, std::string_view spec_namespace) {
    if (json::object* with = Object(o, "with")) {
      std::string wp = JoinPointer(pointer, "with");
      for (auto& member : *with) {
        WithValue v = ClassifyWithValue(member.value(), own_namespaces);
        if (v.kind != WithValueKind::kInput || !v.dialect_prefix) continue;
        std::string text(member.value().as_string());
        std::string prefix = text.substr(0, text.find('.'));
        Note(positions_.LocateValue(JoinPointer(wp, member.key())),
             spec_namespace.empty()
                 ? fmt::format("with value \"{}\" uses the generator prefix \"{}.\"; capstan reads "
                               "it as the caller's input \"{}\" (omitted when absent)",
                               text, prefix, v.input)
                 : fmt::format("with value \"{}\" uses the generator prefix \"{}.\"; capstan reads "
                               "it as the caller's input \"{}\" (omitted when absent); the alpha2 "
                               "form is \"{}.{}\"",
                               text, prefix, v.input, spec_namespace, v.input),
             "dialect-with-prefix");
      }
    }
    ForEach(o, "steps", pointer, [&](json::object& step, const std::string& sp) {
      With(step, sp, own_namespaces, spec_namespace);
    });
  }

  // ---- exposes and aggregates ----

  void Exposes(json::object& body, const std::string& pointer) {
    ForEach(body, "exposes", pointer, [&](json::object& adapter, const std::string& ap) {
      std::string_view type = Str(adapter, "type");
      std::string ns(Str(adapter, "namespace"));
      std::vector<std::string_view> own = {ns};
      if (type == "rest") {
        if (adapter.contains("description")) {
          Report(positions_.Locate(JoinPointer(ap, "description")),
                 "\"description\" is not an alpha2 field of a rest adapter; capstan accepts it as "
                 "documentation (it has no effect on serving)",
                 "dialect-rest-description");
          adapter.erase("description");
        }
        ForEach(adapter, "resources", ap, [&](json::object& resource, const std::string& rp) {
          ResourceName(resource, rp);
          ForEach(resource, "operations", rp, [&](json::object& op, const std::string& opp) {
            Outputs(op, opp);
            With(op, opp, own, ns);
          });
        });
      } else if (type == "mcp") {
        ForEach(adapter, "tools", ap, [&](json::object& tool, const std::string& tp) {
          Outputs(tool, tp);
          With(tool, tp, own, ns);
        });
        ForEach(adapter, "resources", ap, [&](json::object& resource, const std::string& rp) {
          Outputs(resource, rp);
          With(resource, rp, own, ns);
        });
      }
    });
  }

  void Aggregates(json::object& body, const std::string& pointer) {
    ForEach(body, "aggregates", pointer, [&](json::object& aggregate, const std::string& ap) {
      std::string ns(Str(aggregate, "namespace"));
      std::vector<std::string_view> own = {ns};
      ForEach(aggregate, "functions", ap, [&](json::object& function, const std::string& fp) {
        Outputs(function, fp);
        With(function, fp, own, {});
      });
    });
  }

  // ---- {{namespace.VARIABLE}} ----

  void Templates(const json::value& node, const std::string& pointer) {
    if (const json::object* o = node.if_object()) {
      for (const auto& member : *o) Templates(member.value(), JoinPointer(pointer, member.key()));
    } else if (const json::array* a = node.if_array()) {
      for (std::size_t i = 0; i < a->size(); ++i) Templates((*a)[i], JoinPointer(pointer, i));
    } else if (const json::string* s = node.if_string()) {
      for (const std::string& variable :
           TemplateVariables(std::string_view(s->data(), s->size()))) {
        auto qualified = SplitQualifiedName(variable);
        if (!qualified || !IsBindVariableName(qualified->name)) continue;
        if (std::find(bind_namespaces_.begin(), bind_namespaces_.end(), qualified->ns) !=
            bind_namespaces_.end()) {
          continue;  // {{bindNamespace.VARIABLE}} is alpha2 (spec §3.19.2)
        }
        Note(positions_.LocateValue(pointer),
             fmt::format("\"{{{{{}}}}}\" qualifies the variable with \"{}\", which is not a "
                         "declared bind namespace; capstan resolves {} from the declared binds "
                         "(then the environment)",
                         variable, qualified->ns, qualified->name),
             "dialect-bind-namespace");
      }
    }
  }

  const PositionTable& positions_;
  const DialectOptions& options_;
  std::vector<std::string> bind_namespaces_;
  Diagnostics diagnostics_;
};

std::vector<std::string> OwnBindNamespaces(const json::value& root) {
  std::vector<std::string> out;
  auto collect = [&](const json::object& o) {
    auto it = o.find("binds");
    if (it == o.end() || !it->value().is_array()) return;
    for (const json::value& bind : it->value().as_array()) {
      const json::object* b = bind.if_object();
      if (b == nullptr) continue;
      auto ns = b->find("namespace");
      if (ns != b->end() && ns->value().is_string()) out.emplace_back(ns->value().as_string());
    }
  };
  if (const json::object* o = root.if_object()) {
    collect(*o);
    auto body = o->find("capability");
    if (body != o->end() && body->value().is_object()) collect(body->value().as_object());
  }
  return out;
}

}  // namespace

DialectResult ApplyDialect(const json::value& root, const PositionTable& positions,
                           const DialectOptions& options) {
  DialectResult result;
  result.normalized = root;
  DialectPass pass(positions, options,
                   options.bind_namespaces ? *options.bind_namespaces : OwnBindNamespaces(root));
  pass.Run(result.normalized);
  result.diagnostics = pass.TakeDiagnostics();
  return result;
}

}  // namespace capstan::spec
