#include "runtime/output.hpp"

#include "runtime/operation.hpp"
#include "runtime/values.hpp"

namespace capstan::runtime {

using core::ErrorCode;
using core::Fail;

namespace {

bool IsRootPath(const std::string& path) { return path == "$" || path == "$."; }

core::Result<CompiledOutput> CompileOne(const spec::OutputParameter& p) {
  CompiledOutput out;
  out.name = p.name;
  out.type = p.type;
  out.const_value = p.const_value;
  std::optional<std::string> path = p.mapping;
  // Consumed output parameters carry their JSONPath in `value`.
  if (!path && p.value && !p.value->empty() && (*p.value)[0] == '$') path = p.value;
  if (path) {
    auto compiled = mapping::JsonPath::ParseLenient(*path);
    if (!compiled) {
      return Fail(ErrorCode::kInvalidArgument,
                  "output parameter '" + p.name + "': " + compiled.error().message);
    }
    out.mapping = std::move(*compiled);
  } else if (p.value) {
    auto tpl = mapping::Template::Compile(*p.value, mapping::TemplateSyntax::kDoubleBrace);
    if (!tpl) {
      return Fail(ErrorCode::kInvalidArgument,
                  "output parameter '" + p.name + "': " + tpl.error().message);
    }
    out.value = std::move(*tpl);
  }
  for (const spec::OutputParameter& child : p.properties) {
    CAPSTAN_ASSIGN_OR_RETURN(CompiledOutput c, CompileOne(child));
    out.properties.push_back(std::move(c));
  }
  for (const spec::OutputParameter& child : p.items) {
    CAPSTAN_ASSIGN_OR_RETURN(CompiledOutput c, CompileOne(child));
    out.items.push_back(std::move(c));
  }
  out.whole_node = p.type == spec::ValueType::kObject && p.properties.empty();
  return out;
}

bool IsStaticOnly(const CompiledOutput& o) {
  if (o.mapping) return false;
  for (const auto& c : o.properties) {
    if (!IsStaticOnly(c)) return false;
  }
  for (const auto& c : o.items) {
    if (!IsStaticOnly(c)) return false;
  }
  return o.value.has_value() || o.const_value.has_value() || !o.properties.empty();
}

// Converts a static/template text to the declared scalar type.
json::value TypedText(const std::string& text, spec::ValueType type) {
  if (type == spec::ValueType::kString) return json::value(json::string(text));
  if (text.empty()) return json::value(nullptr);  // a template over absent inputs
  auto coerced = CoerceText("value", text, type);
  if (coerced) return std::move(*coerced);
  return json::value(json::string(text));
}

core::Result<std::optional<json::value>> ApplyOne(const CompiledOutput& o, const json::value& node,
                                                  const json::object& inputs) {
  if (o.const_value) return std::optional<json::value>(*o.const_value);
  if (o.value) {
    // Typed inputs (integer, boolean, ...) render as their text, like string ones.
    std::string buffer;
    auto lookup = [&](std::string_view name) -> std::optional<std::string_view> {
      const json::value* v = FindArg(inputs, name);
      if (v == nullptr || v->is_null()) return std::nullopt;
      if (v->is_string()) return std::string_view(v->get_string().data(), v->get_string().size());
      buffer = ScalarText(*v);
      return std::string_view(buffer);
    };
    mapping::RenderOptions options;
    options.missing = mapping::MissingPolicy::kOmit;
    auto rendered = mapping::Render(*o.value, lookup, options);
    if (!rendered) return Fail(rendered.error());
    return std::optional<json::value>(TypedText(rendered->text, o.type));
  }
  const json::value* target = &node;
  json::value selected;
  if (o.mapping && o.type == spec::ValueType::kArray && !o.mapping->IsSingular()) {
    // An array from a query that can select several nodes ($.jwts[*].jti) is its nodelist.
    json::array nodes;
    for (const json::value* v : o.mapping->Evaluate(node)) nodes.push_back(*v);
    selected = json::value(std::move(nodes));
    target = &selected;
  } else if (o.mapping) {
    target = o.mapping->EvaluateFirst(node);
    if (target == nullptr) return std::optional<json::value>();
  }
  if (o.type == spec::ValueType::kArray && !o.items.empty()) {
    if (target->is_null()) return std::optional<json::value>();
    // A list read from a converted XML document: the root is dropped, so `$.` of
    // <vessels><vessel/><vessel/></vessels> is {"vessel": [...]}, an object of one member whose
    // value is the list; and one <vessel> alone is an object, not a list of one. So an object of
    // one member that holds an array or an object stands for that member's value, and one object
    // where a list is declared is a list of one (an API may collapse a single result too).
    if (target->is_object() && target->get_object().size() == 1) {
      const json::value& only = target->get_object().begin()->value();
      if (only.is_array() || only.is_object()) target = &only;
    }
    json::array single;
    if (!target->is_array()) single.push_back(*target);
    const json::array& elements = target->is_array() ? target->get_array() : single;
    json::array out;
    for (const json::value& element : elements) {
      CAPSTAN_ASSIGN_OR_RETURN(auto mapped, ApplyOne(o.items.front(), element, inputs));
      out.push_back(mapped ? std::move(*mapped) : json::value(nullptr));
    }
    return std::optional<json::value>(json::value(std::move(out)));
  }
  if (o.type == spec::ValueType::kObject && !o.properties.empty()) {
    json::object out;
    for (const CompiledOutput& child : o.properties) {
      CAPSTAN_ASSIGN_OR_RETURN(auto mapped, ApplyOne(child, *target, inputs));
      out.emplace(child.name, mapped ? std::move(*mapped) : json::value(nullptr));
    }
    return std::optional<json::value>(json::value(std::move(out)));
  }
  return std::optional<json::value>(*target);
}

}  // namespace

core::Result<OutputMapping> OutputMapping::Compile(
    const std::vector<spec::OutputParameter>& params) {
  OutputMapping m;
  for (const spec::OutputParameter& p : params) {
    CAPSTAN_ASSIGN_OR_RETURN(CompiledOutput c, CompileOne(p));
    m.params_.push_back(std::move(c));
  }
  m.identity_ = m.params_.empty() ||
                (m.params_.size() == 1 && m.params_[0].whole_node && m.params_[0].mapping &&
                 IsRootPath(m.params_[0].mapping->text()) && !m.params_[0].const_value);
  // Consumed parameters name their JSONPath in `value`; identity then means `value: $.`.
  if (m.params_.size() == 1 && m.params_[0].whole_node && m.params_[0].mapping &&
      IsRootPath(m.params_[0].mapping->text())) {
    m.identity_ = true;
  }
  m.mock_only_ = !m.params_.empty();
  for (const auto& p : m.params_) {
    if (!IsStaticOnly(p)) m.mock_only_ = false;
  }
  return m;
}

core::Result<json::value> OutputMapping::Apply(const json::value& body,
                                               const json::object& inputs) const {
  if (identity_) return body;
  bool named = params_.size() > 1;
  for (const auto& p : params_) {
    if (p.name.empty()) named = false;
  }
  if (named) {
    json::object out;
    for (const CompiledOutput& p : params_) {
      CAPSTAN_ASSIGN_OR_RETURN(auto mapped, ApplyOne(p, body, inputs));
      out.emplace(p.name, mapped ? std::move(*mapped) : json::value(nullptr));
    }
    return json::value(std::move(out));
  }
  for (const CompiledOutput& p : params_) {
    CAPSTAN_ASSIGN_OR_RETURN(auto mapped, ApplyOne(p, body, inputs));
    if (mapped) return std::move(*mapped);
  }
  return json::value(nullptr);
}

core::Result<json::value> OutputMapping::ApplyToStepOutput(const json::value& body,
                                                           const json::object& inputs) const {
  if (identity_) return body;
  if (body.is_array()) {
    // Each element keeps its fields and gains the named projections (so a lookup may match on
    // a projected name), as the reference's resolveStepOutput does.
    json::array out;
    for (const json::value& element : body.get_array()) {
      json::object augmented = element.is_object() ? element.get_object() : json::object();
      for (const CompiledOutput& p : params_) {
        if (p.name.empty()) continue;
        CAPSTAN_ASSIGN_OR_RETURN(auto mapped, ApplyOne(p, element, inputs));
        if (mapped && !mapped->is_null()) augmented[p.name] = std::move(*mapped);
      }
      out.push_back(std::move(augmented));
    }
    return json::value(std::move(out));
  }
  json::object projected;
  std::optional<json::value> unnamed;
  for (const CompiledOutput& p : params_) {
    CAPSTAN_ASSIGN_OR_RETURN(auto mapped, ApplyOne(p, body, inputs));
    if (!p.name.empty()) {
      projected[p.name] = mapped ? std::move(*mapped) : json::value(nullptr);
    } else if (!unnamed && mapped) {
      unnamed = std::move(*mapped);
    }
  }
  if (!projected.empty()) return json::value(std::move(projected));
  return unnamed ? std::move(*unnamed) : body;
}

}  // namespace capstan::runtime
