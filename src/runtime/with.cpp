#include "runtime/with.hpp"

#include "runtime/operation.hpp"
#include "runtime/values.hpp"
#include "spec/references.hpp"

namespace capstan::runtime {

using core::ErrorCode;
using core::Fail;

const json::value* ValueScope::Find(std::string_view name) const {
  if (inputs != nullptr) {
    if (const json::value* v = FindArg(*inputs, name); v != nullptr && !v->is_null()) return v;
  }
  if (steps == nullptr || !steps->is_object()) return nullptr;
  // "step.field.sub": the longest step name that prefixes it wins ("get-ship" over "get").
  const json::value* node = nullptr;
  std::size_t best = 0;
  for (const auto& kv : steps->get_object()) {
    std::string_view step(kv.key().data(), kv.key().size());
    if (step.empty() || name.substr(0, step.size()) != step) continue;
    if (name.size() != step.size() && name[step.size()] != '.') continue;
    if (step.size() > best) {
      node = &kv.value();
      best = step.size();
    }
  }
  std::string_view rest = node != nullptr && best < name.size() ? name.substr(best + 1) : "";
  while (node != nullptr && !rest.empty()) {
    std::size_t dot = rest.find('.');
    std::string_view field = rest.substr(0, dot);
    rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
    if (node->is_object()) {
      node = node->get_object().if_contains(field);
    } else if (node->is_array() && !field.empty() &&
               field.find_first_not_of("0123456789") == std::string_view::npos) {
      std::size_t index = std::stoul(std::string(field));
      const json::array& a = node->get_array();
      node = index < a.size() ? &a[index] : nullptr;
    } else {
      node = nullptr;
    }
  }
  return node != nullptr && !node->is_null() ? node : nullptr;
}

core::Result<WithRules> WithRules::Compile(const spec::WithInjector& with,
                                           const std::vector<std::string_view>& namespaces,
                                           bool step_paths, std::string_view what) {
  WithRules out;
  for (const spec::WithEntry& entry : with) {
    Rule rule;
    rule.key = entry.key;
    if (step_paths && entry.value.is_string() && !entry.value.get_string().empty() &&
        entry.value.get_string()[0] == '$') {
      auto path = mapping::JsonPath::ParseLenient(std::string_view(entry.value.get_string()));
      if (!path) {
        return Fail(ErrorCode::kInvalidArgument,
                    std::string(what) + ": with '" + entry.key + "': " + path.error().message);
      }
      rule.kind = Rule::Kind::kPath;
      rule.path = std::move(*path);
      out.rules_.push_back(std::move(rule));
      continue;
    }
    spec::WithValue classified = spec::ClassifyWithValue(entry.value, namespaces);
    switch (classified.kind) {
      case spec::WithValueKind::kInput:
        rule.kind = Rule::Kind::kInput;
        rule.input = classified.input;
        break;
      case spec::WithValueKind::kTemplate: {
        rule.kind = Rule::Kind::kTemplate;
        auto tpl = mapping::Template::Compile(std::string(entry.value.get_string()),
                                              mapping::TemplateSyntax::kDoubleBrace);
        if (!tpl) {
          return Fail(ErrorCode::kInvalidArgument,
                      std::string(what) + ": with '" + entry.key + "': " + tpl.error().message);
        }
        rule.tpl = std::move(*tpl);
        break;
      }
      case spec::WithValueKind::kLiteral:
        rule.kind = Rule::Kind::kLiteral;
        rule.literal = entry.value;
        break;
    }
    out.rules_.push_back(std::move(rule));
  }
  return out;
}

core::Status WithRules::Apply(const ValueScope& scope, json::object& args) const {
  auto erase_named = [&args](std::string_view key) {
    for (auto it = args.begin(); it != args.end();) {
      if (spec::SameName(std::string_view(it->key().data(), it->key().size()), key)) {
        it = args.erase(it);
      } else {
        ++it;
      }
    }
  };
  for (const Rule& rule : rules_) {
    switch (rule.kind) {
      case Rule::Kind::kInput: {
        const json::value* v = scope.Find(rule.input);
        json::value copy = v != nullptr ? *v : json::value();
        erase_named(rule.key);
        if (!copy.is_null()) args[rule.key] = std::move(copy);
        break;
      }
      case Rule::Kind::kPath: {
        static const json::value kNone;
        mapping::JsonPath::NodeList nodes =
            rule.path->Evaluate(scope.steps != nullptr ? *scope.steps : kNone);
        erase_named(rule.key);
        if (nodes.size() == 1 && !nodes[0]->is_null()) {
          args[rule.key] = *nodes[0];
        } else if (nodes.size() > 1) {
          json::array all;
          for (const json::value* n : nodes) all.push_back(*n);
          args[rule.key] = std::move(all);
        }
        break;
      }
      case Rule::Kind::kTemplate: {
        const auto& segs = rule.tpl->segments();
        if (segs.size() == 1 && segs[0].kind == mapping::TemplateSegment::Kind::kVariable) {
          // "{{x}}" alone keeps the value's JSON type, and is omitted when x is absent.
          const json::value* v = scope.Find(segs[0].text);
          json::value copy = v != nullptr ? *v : json::value();
          erase_named(rule.key);
          if (!copy.is_null()) {
            args[rule.key] = std::move(copy);
          } else if (scope.binds != nullptr) {
            if (auto bound = scope.binds->Find(segs[0].text)) args[rule.key] = json::string(*bound);
          }
          break;
        }
        std::string buffer;
        auto lookup = [&](std::string_view name) -> std::optional<std::string_view> {
          if (const json::value* v = scope.Find(name)) {
            buffer = ScalarText(*v);
            return std::string_view(buffer);
          }
          if (scope.binds != nullptr) return scope.binds->Find(name);
          return std::nullopt;
        };
        auto rendered = mapping::Render(*rule.tpl, lookup, mapping::Escaping::kNone);
        if (!rendered) {
          return Fail(ErrorCode::kInvalidArgument,
                      "with '" + rule.key + "': " + rendered.error().message);
        }
        erase_named(rule.key);
        args[rule.key] = json::string(*rendered);
        break;
      }
      case Rule::Kind::kLiteral:
        erase_named(rule.key);
        args[rule.key] = rule.literal;
        break;
    }
  }
  return core::Ok();
}

}  // namespace capstan::runtime
