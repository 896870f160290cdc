#include "spec/schema_check.hpp"

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace capstan::spec {

// Defined in the naftiko_schema_data.cpp that CMake generates from schemas/ at build time.
extern const unsigned char kNaftikoSchemaData[];
extern const std::size_t kNaftikoSchemaSize;

namespace {

std::string HumanPath(std::string_view pointer) {
  std::string out;
  for (const std::string& token : SplitPointer(pointer)) {
    bool index = !token.empty() && std::all_of(token.begin(), token.end(),
                                               [](char c) { return c >= '0' && c <= '9'; });
    if (index) {
      out += '[';
      out += token;
      out += ']';
    } else {
      if (!out.empty()) out += '.';
      out += token;
    }
  }
  return out.empty() ? std::string("document") : out;
}

std::string JsonTypeName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "boolean";
    case json::kind::int64:
    case json::kind::uint64:
      return "integer";
    case json::kind::double_:
      return "number";
    case json::kind::string:
      return "string";
    case json::kind::array:
      return "array";
    case json::kind::object:
      return "object";
  }
  return "value";
}

std::string Describe(const json::value& v) {
  std::string text = core::SerializeJson(v);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

std::string Kebab(std::string_view keyword) {
  std::string out;
  for (char c : keyword) {
    if (c >= 'A' && c <= 'Z') {
      out += '-';
      out += static_cast<char>(c - 'A' + 'a');
    } else {
      out += c;
    }
  }
  return out;
}

std::string JoinValues(const json::array& values) {
  std::string out;
  for (const json::value& v : values) {
    if (!out.empty()) out += ", ";
    out += v.is_string() ? std::string(v.as_string()) : Describe(v);
  }
  return out;
}

// The schema node an absolute keyword location ("<uri>#/$defs/X/properties/port/type") names.
std::string Fragment(std::string_view absolute_location) {
  std::size_t hash = absolute_location.find('#');
  return hash == std::string_view::npos ? std::string()
                                        : std::string(absolute_location.substr(hash + 1));
}

std::string ParentPointer(std::string_view pointer) {
  std::size_t slash = pointer.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(pointer.substr(0, slash));
}

std::string LastToken(std::string_view pointer) {
  auto tokens = SplitPointer(pointer);
  return tokens.empty() ? std::string() : tokens.back();
}

const json::value* SchemaNode(std::string_view fragment) {
  if (fragment.empty()) return nullptr;
  return ResolvePointer(NaftikoSchemaDocument(), fragment);
}

void CollectProperties(const json::value* schema, std::vector<std::string>& out, int depth = 0) {
  if (schema == nullptr || !schema->is_object() || depth > 8) return;
  const json::object& o = schema->as_object();
  if (auto it = o.find("properties"); it != o.end() && it->value().is_object()) {
    for (const auto& member : it->value().as_object()) out.emplace_back(member.key());
  }
  if (auto it = o.find("$ref"); it != o.end() && it->value().is_string()) {
    std::string_view ref(it->value().as_string().data(), it->value().as_string().size());
    if (!ref.empty() && ref.front() == '#')
      CollectProperties(SchemaNode(ref.substr(1)), out, depth + 1);
  }
  if (auto it = o.find("allOf"); it != o.end() && it->value().is_array()) {
    for (const json::value& sub : it->value().as_array()) CollectProperties(&sub, out, depth + 1);
  }
}

// The property names allowed next to the failing additional/unevaluatedProperties keyword: the
// `properties` of its schema object and, inside an allOf, of the sibling branches.
std::vector<std::string> AllowedKeys(const std::string& keyword_fragment) {
  std::vector<std::string> allowed;
  std::string owner = ParentPointer(keyword_fragment);
  CollectProperties(SchemaNode(owner), allowed);
  std::string container = ParentPointer(owner);
  if (LastToken(container) == "allOf") {
    if (const json::value* all = SchemaNode(container); all != nullptr && all->is_array()) {
      for (const json::value& sub : all->as_array()) CollectProperties(&sub, allowed);
    }
  }
  std::sort(allowed.begin(), allowed.end());
  allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
  return allowed;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

// ---- discriminated alternatives -------------------------------------------------------------

bool HasErrorAt(const std::vector<jsonschema::ValidationError>& errors,
                const std::string& location) {
  for (const jsonschema::ValidationError& e : errors) {
    if (e.instance_location == location) return true;
    for (const auto& alternative : e.alternatives) {
      if (HasErrorAt(alternative, location)) return true;
    }
  }
  return false;
}

void CollectExpected(const std::vector<jsonschema::ValidationError>& errors,
                     const std::string& location, std::vector<std::string>& out) {
  for (const jsonschema::ValidationError& e : errors) {
    if (e.instance_location == location && (e.keyword == "const" || e.keyword == "enum")) {
      const json::value* node = SchemaNode(Fragment(e.absolute_keyword_location));
      if (node != nullptr && node->is_string()) out.emplace_back(node->as_string());
      if (node != nullptr && node->is_array()) {
        for (const json::value& v : node->as_array()) {
          if (v.is_string()) out.emplace_back(v.as_string());
        }
      }
    }
    for (const auto& alternative : e.alternatives) CollectExpected(alternative, location, out);
  }
}

// A failed oneOf/anyOf over objects tagged by "type" (adapters, authentication, steps, bodies) or
// "transport" (MCP): the alternative whose tag matched is the one the author meant, so its errors
// replace the summary. Without a matching alternative, the tag itself is the error.
std::vector<jsonschema::ValidationError> PreferTagged(
    const std::vector<jsonschema::ValidationError>& errors, const json::value& document) {
  std::vector<jsonschema::ValidationError> out;
  for (const jsonschema::ValidationError& e : errors) {
    bool handled = false;
    const json::value* instance = ResolvePointer(document, e.instance_location);
    if ((e.keyword == "oneOf" || e.keyword == "anyOf") && e.alternatives.size() > 1 &&
        instance != nullptr && instance->is_object()) {
      for (std::string_view tag : {"type", "transport"}) {
        auto it = instance->as_object().find(tag);
        if (it == instance->as_object().end() || !it->value().is_string()) continue;
        std::string tag_location = JoinPointer(e.instance_location, tag);
        std::vector<std::size_t> matching;
        for (std::size_t i = 0; i < e.alternatives.size(); ++i) {
          if (!HasErrorAt(e.alternatives[i], tag_location)) matching.push_back(i);
        }
        if (matching.size() == 1 && !e.alternatives[matching[0]].empty()) {
          for (auto& sub : PreferTagged(e.alternatives[matching[0]], document)) {
            out.push_back(std::move(sub));
          }
          handled = true;
        } else if (matching.empty()) {
          std::vector<std::string> expected;
          for (const auto& alternative : e.alternatives) {
            CollectExpected(alternative, tag_location, expected);
          }
          if (!expected.empty()) {
            std::sort(expected.begin(), expected.end());
            expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
            jsonschema::ValidationError tag_error;
            tag_error.instance_location = tag_location;
            tag_error.keyword = "enum";
            tag_error.message = fmt::format("{} is not allowed; expected one of: {}",
                                            Describe(it->value()), JoinNames(expected));
            out.push_back(std::move(tag_error));
            handled = true;
          }
        }
        if (handled) break;
      }
    }
    if (handled) continue;
    jsonschema::ValidationError copy = e;
    for (auto& alternative : copy.alternatives) alternative = PreferTagged(alternative, document);
    out.push_back(std::move(copy));
  }
  return out;
}

class ErrorMapper {
 public:
  ErrorMapper(const json::value& document, const PositionTable& positions)
      : document_(document), positions_(positions) {}

  void Map(const jsonschema::ValidationError& error) {
    const std::string& where = error.instance_location;
    std::string fragment = Fragment(error.absolute_keyword_location);
    const json::value* keyword_node = SchemaNode(fragment);
    const json::value* instance = ResolvePointer(document_, where);
    const std::string& keyword = error.keyword;
    if (keyword == "not" && fragment == "/$defs/ExposesMcp/oneOf/0/not") {
      return;  // a stdio MCP adapter with a port: the mcp-stdio-port rule explains it
    }

    std::string keyword_token = LastToken(fragment);
    if (keyword == "additionalProperties" || keyword == "unevaluatedProperties" ||
        keyword_token == "additionalProperties" || keyword_token == "unevaluatedProperties") {
      UnknownKeys(error, fragment, instance);
      return;
    }
    if (keyword == "required" && keyword_node != nullptr && keyword_node->is_array() &&
        instance != nullptr && instance->is_object()) {
      bool any = false;
      for (const json::value& name : keyword_node->as_array()) {
        if (!name.is_string() || instance->as_object().contains(name.as_string())) continue;
        any = true;
        Add(positions_.Locate(where),
            fmt::format("{}: missing required key \"{}\"", HumanPath(where),
                        std::string_view(name.as_string())),
            "schema-required");
      }
      if (any) return;
    }
    if (keyword == "type" && keyword_node != nullptr && instance != nullptr) {
      std::string expected = keyword_node->is_string()
                                 ? std::string(keyword_node->as_string())
                                 : (keyword_node->is_array() ? JoinValues(keyword_node->as_array())
                                                             : std::string("?"));
      Add(positions_.LocateValue(where),
          fmt::format("{}: expected {}, got {} {}", HumanPath(where), expected,
                      JsonTypeName(*instance), Describe(*instance)),
          "schema-type");
      return;
    }
    if (keyword == "enum" && keyword_node != nullptr && keyword_node->is_array() &&
        instance != nullptr) {
      Add(positions_.LocateValue(where),
          fmt::format("{}: {} is not allowed; expected one of: {}", HumanPath(where),
                      Describe(*instance), JoinValues(keyword_node->as_array())),
          "schema-enum");
      return;
    }
    if (keyword == "const" && keyword_node != nullptr && instance != nullptr) {
      Add(positions_.LocateValue(where),
          fmt::format("{}: {} is not allowed; expected {}", HumanPath(where), Describe(*instance),
                      Describe(*keyword_node)),
          "schema-const");
      return;
    }
    if (keyword == "pattern" && keyword_node != nullptr && keyword_node->is_string() &&
        instance != nullptr) {
      Add(positions_.LocateValue(where),
          fmt::format("{}: {} does not match the pattern {}", HumanPath(where), Describe(*instance),
                      std::string_view(keyword_node->as_string())),
          "schema-pattern");
      return;
    }
    if ((keyword == "minItems" || keyword == "minimum" || keyword == "maximum" ||
         keyword == "maxLength" || keyword == "minLength") &&
        keyword_node != nullptr && keyword_node->is_number() && instance != nullptr) {
      std::string limit = Describe(*keyword_node);
      std::string text = keyword == "minItems"  ? fmt::format("needs at least {} item(s)", limit)
                         : keyword == "minimum" ? fmt::format("must be at least {}", limit)
                         : keyword == "maximum" ? fmt::format("must be at most {}", limit)
                         : keyword == "maxLength"
                             ? fmt::format("must be at most {} characters", limit)
                             : fmt::format("must be at least {} characters", limit);
      Add(positions_.LocateValue(where),
          fmt::format("{}: {} {}", HumanPath(where), Describe(*instance), text),
          "schema-" + Kebab(keyword));
      return;
    }
    std::string message =
        error.message.empty() ? std::string("does not match the schema") : error.message;
    Add(keyword == "required" ? positions_.Locate(where) : positions_.LocateValue(where),
        fmt::format("{}: {}", HumanPath(where), message),
        keyword.empty() ? std::string("schema") : "schema-" + Kebab(keyword));
  }

  Diagnostics Take() { return std::move(diagnostics_); }

 private:
  void UnknownKeys(const jsonschema::ValidationError& error, const std::string& fragment,
                   const json::value* instance) {
    const std::string& where = error.instance_location;
    std::vector<std::string> allowed = AllowedKeys(fragment);
    auto report = [&](const std::string& object_pointer, const std::string& key) {
      std::string member = JoinPointer(object_pointer, key);
      Add(positions_.Locate(member),
          allowed.empty() ? fmt::format("{}: unknown key \"{}\"", HumanPath(object_pointer), key)
                          : fmt::format("{}: unknown key \"{}\" (allowed: {})",
                                        HumanPath(object_pointer), key, JoinNames(allowed)),
          "schema-unknown-key");
    };
    // The error may sit on the object or on the offending member: pick the reading under which
    // the object's keys agree best with the allowed ones.
    auto score = [&](const json::value* node) -> double {
      if (node == nullptr || !node->is_object() || node->as_object().empty()) return -1;
      double known = 0;
      for (const auto& member : node->as_object()) {
        if (std::find(allowed.begin(), allowed.end(), std::string(member.key())) != allowed.end()) {
          ++known;
        }
      }
      return known / static_cast<double>(node->as_object().size());
    };
    std::string parent = ParentPointer(where);
    std::string key = LastToken(where);
    const json::value* parent_node = where.empty() ? nullptr : ResolvePointer(document_, parent);
    double as_object = allowed.empty() ? -1 : score(instance);
    double as_member = -1;
    if (parent_node != nullptr && parent_node->is_object() &&
        parent_node->as_object().contains(key) &&
        std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      as_member = allowed.empty() ? 0 : score(parent_node);
    }
    if (as_member > as_object) {
      report(parent, key);
      return;
    }
    if (as_object >= 0) {
      bool any = false;
      for (const auto& member : instance->as_object()) {
        std::string name(member.key());
        if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
        any = true;
        report(where, name);
      }
      if (any) return;
    }
    Add(positions_.Locate(where),
        fmt::format("{}: {}", HumanPath(where),
                    error.message.empty() ? std::string("unknown key") : error.message),
        "schema-unknown-key");
  }

  void Add(SourceLocation location, std::string message, std::string rule_id) {
    diagnostics_.push_back(
        Diagnostic{Severity::kError, std::move(location), std::move(message), std::move(rule_id)});
  }

  const json::value& document_;
  const PositionTable& positions_;
  Diagnostics diagnostics_;
};

}  // namespace

std::string_view NaftikoSchemaText() {
  return std::string_view(reinterpret_cast<const char*>(kNaftikoSchemaData), kNaftikoSchemaSize);
}

const json::value& NaftikoSchemaDocument() {
  static const json::value document = [] {
    auto parsed = core::ParseJson(NaftikoSchemaText());
    return parsed ? std::move(*parsed) : json::value();
  }();
  return document;
}

core::Result<const jsonschema::Schema*> NaftikoSchema() {
  static const core::Result<jsonschema::Schema> compiled =
      []() -> core::Result<jsonschema::Schema> {
    const json::value& document = NaftikoSchemaDocument();
    if (document.is_null()) {
      return core::Fail(core::ErrorCode::kInternal, "the embedded alpha2 schema is not valid JSON");
    }
    return jsonschema::Schema::Compile(document);
  }();
  if (!compiled) return core::Fail(compiled.error());
  return &*compiled;
}

Diagnostics CheckSchema(const json::value& document, const PositionTable& positions) {
  auto schema = NaftikoSchema();
  if (!schema) {
    return {Diagnostic{Severity::kError, SourceLocation{positions.file(), 1, 1},
                       "cannot compile the alpha2 schema: " + schema.error().message,
                       "schema-internal"}};
  }
  jsonschema::ValidateOptions options;
  options.max_errors = 1000;
  std::vector<jsonschema::ValidationError> errors =
      jsonschema::BestErrors(PreferTagged((*schema)->Validate(document, options), document));
  ErrorMapper mapper(document, positions);
  for (const jsonschema::ValidationError& error : errors) mapper.Map(error);
  return mapper.Take();
}

}  // namespace capstan::spec
