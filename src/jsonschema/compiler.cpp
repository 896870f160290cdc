// Schema::Compile: indexes every schema resource ($id, $anchor, $dynamicAnchor) of the root
// document and of each document it references, then builds the node graph of compiled.hpp.
#include <algorithm>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/percent.hpp"
#include "jsonschema/compiled.hpp"
#include "jsonschema/json_util.hpp"
#include "jsonschema/metaschemas.hpp"
#include "jsonschema/schema.hpp"
#include "jsonschema/uri.hpp"

namespace capstan::jsonschema {

const NamedNode* ObjectKeywords::FindProperty(std::string_view name) const {
  auto it = std::lower_bound(
      properties.begin(), properties.end(), name,
      [](const NamedNode& entry, std::string_view key) { return entry.name < key; });
  return it != properties.end() && it->name == name ? &*it : nullptr;
}

namespace {

constexpr std::string_view kVocabPrefix = "https://json-schema.org/draft/2020-12/vocab/";
constexpr std::size_t kMaxSchemaDepth = 512;

enum Vocabulary : std::uint32_t {
  kVocabCore = 1 << 0,
  kVocabApplicator = 1 << 1,
  kVocabUnevaluated = 1 << 2,
  kVocabValidation = 1 << 3,
  kVocabMetaData = 1 << 4,
  kVocabFormatAnnotation = 1 << 5,
  kVocabContent = 1 << 6,
  kVocabFormatAssertion = 1 << 7,
  // Not vocabularies: compatibility switches for schemas declaring an older "$schema".
  kLegacyArrayItems = 1 << 8,    // ≤ 2019-09: "items" array, "additionalItems", "dependencies"
  kLegacyRefOverrides = 1 << 9,  // ≤ draft-07: "$ref" makes its siblings ignored
  kLegacyBooleanExclusive = 1 << 10,  // draft-04: boolean exclusiveMinimum / exclusiveMaximum
};
constexpr std::uint32_t kDefaultVocabularies = kVocabCore | kVocabApplicator | kVocabUnevaluated |
                                               kVocabValidation | kVocabMetaData |
                                               kVocabFormatAnnotation | kVocabContent;

std::uint32_t VocabularyBit(std::string_view uri) {
  if (!uri.starts_with(kVocabPrefix)) return 0;
  std::string_view name = uri.substr(kVocabPrefix.size());
  if (name == "core") return kVocabCore;
  if (name == "applicator") return kVocabApplicator;
  if (name == "unevaluated") return kVocabUnevaluated;
  if (name == "validation") return kVocabValidation;
  if (name == "meta-data") return kVocabMetaData;
  if (name == "format-annotation") return kVocabFormatAnnotation;
  if (name == "content") return kVocabContent;
  if (name == "format-assertion") return kVocabFormatAssertion;
  return 0;
}

// The vocabularies of a well-known dialect, or 0. Older drafts are run with 2020-12 semantics
// plus the compatibility switches above (MCP tool schemas often still declare draft-07).
std::uint32_t KnownDialect(std::string_view uri) {
  if (uri.starts_with("https://")) uri.remove_prefix(8);
  if (uri.starts_with("http://")) uri.remove_prefix(7);
  if (uri == "json-schema.org/draft/2020-12/schema") return kDefaultVocabularies;
  if (uri == "json-schema.org/draft/2019-09/schema") {
    return kDefaultVocabularies | kLegacyArrayItems;
  }
  if (uri == "json-schema.org/draft-07/schema" || uri == "json-schema.org/draft-06/schema") {
    return kDefaultVocabularies | kLegacyArrayItems | kLegacyRefOverrides;
  }
  if (uri == "json-schema.org/draft-04/schema") {
    return kDefaultVocabularies | kLegacyArrayItems | kLegacyRefOverrides | kLegacyBooleanExclusive;
  }
  return 0;
}

// Keywords whose value is one subschema, an array of subschemas, or an object of subschemas
// ("items" may also be an array of subschemas in older dialects).
constexpr std::string_view kSchemaKeywords[] = {"additionalProperties",
                                                "items",
                                                "additionalItems",
                                                "contains",
                                                "propertyNames",
                                                "if",
                                                "then",
                                                "else",
                                                "not",
                                                "unevaluatedItems",
                                                "unevaluatedProperties",
                                                "contentSchema"};
constexpr std::string_view kSchemaArrayKeywords[] = {"prefixItems", "allOf", "anyOf", "oneOf"};
constexpr std::string_view kSchemaMapKeywords[] = {
    "$defs", "definitions", "properties", "patternProperties", "dependentSchemas", "dependencies"};

std::string_view View(const json::string& s) { return {s.data(), s.size()}; }

bool IsAnchorName(std::string_view name) {
  if (name.empty()) return false;
  auto ok_first = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
  };
  if (!ok_first(name[0])) return false;
  for (char c : name.substr(1)) {
    if (!ok_first(c) && !(c >= '0' && c <= '9') && c != '-' && c != '.') return false;
  }
  return true;
}

core::Error SchemaError(std::string_view location, std::string_view message) {
  return core::Error{
      core::ErrorCode::kInvalidArgument,
      "invalid schema at \"" + std::string(location) + "\": " + std::string(message)};
}

// The built-in meta-schemas, parsed once per process.
const std::vector<std::pair<std::string_view, json::value>>& ParsedBuiltins() {
  static const auto* kParsed = [] {
    auto* parsed = new std::vector<std::pair<std::string_view, json::value>>();
    for (const auto& doc : BuiltinMetaSchemas()) {
      auto value = core::ParseJson(doc.text);
      if (value) parsed->emplace_back(doc.uri, std::move(*value));
    }
    return parsed;
  }();
  return *kParsed;
}

class Compiler {
 public:
  explicit Compiler(const CompileOptions& options)
      : options_(options), out_(std::make_shared<CompiledSchema>()) {}

  core::Result<std::shared_ptr<const CompiledSchema>> Run(const json::value& schema) {
    std::string base(SplitFragment(options_.default_base_uri).without_fragment);
    if (!schema.is_object() && !schema.is_bool()) {
      return core::Fail(SchemaError(base + "#", "a schema must be an object or a boolean"));
    }
    std::vector<const json::value*> root_nodes;
    CAPSTAN_RETURN_IF_ERROR(IndexDocument(schema, base, &root_nodes));
    CAPSTAN_ASSIGN_OR_RETURN(out_->root, CompileNode(schema, 0));
    // Every subschema of the root document is compiled, referenced or not, so that errors in
    // unused "$defs" are reported too.
    for (const json::value* node : root_nodes) {
      CAPSTAN_RETURN_IF_ERROR(CompileNode(*node, 0));
    }
    CAPSTAN_RETURN_IF_ERROR(Drain());
    for (Resource* resource : activated_) {
      auto it = dynamic_anchor_json_.find(resource);
      if (it == dynamic_anchor_json_.end()) continue;
      for (const auto& [name, json_node] : it->second) {
        resource->dynamic_anchors.emplace_back(name, compiled_.at(json_node));
      }
    }
    return std::shared_ptr<const CompiledSchema>(std::move(out_));
  }

 private:
  struct NodeInfo {
    std::string base;     // base URI (no fragment)
    std::string pointer;  // JSON Pointer from the resource root
    Resource* resource = nullptr;
    std::uint32_t vocabularies = kDefaultVocabularies;
  };
  struct Anchor {
    const json::value* node = nullptr;
    bool dynamic = false;
  };
  struct Target {
    const json::value* node = nullptr;
    bool dynamic_anchor = false;  // the fragment named a "$dynamicAnchor"
  };
  struct PendingRef {
    const Node** slot;
    const json::value* target;
  };

  Resource* GetResource(const std::string& uri) {
    auto it = resources_.find(uri);
    if (it != resources_.end()) return it->second;
    out_->resources.push_back(std::make_unique<Resource>());
    Resource* resource = out_->resources.back().get();
    resource->uri = uri;
    resources_.emplace(uri, resource);
    return resource;
  }

  core::Status IndexDocument(const json::value& root, const std::string& uri,
                             std::vector<const json::value*>* collected) {
    documents_by_uri_.emplace(uri, &root);
    return Walk(root, uri, "", GetResource(uri), kDefaultVocabularies, 0, collected);
  }

  core::Status Walk(const json::value& value, std::string base, std::string pointer,
                    Resource* resource, std::uint32_t vocabularies, std::size_t depth,
                    std::vector<const json::value*>* collected) {
    if (depth > kMaxSchemaDepth) {
      return core::Fail(SchemaError(base + "#" + pointer, "schema nesting is too deep"));
    }
    const json::object* object = value.if_object();
    if (object == nullptr) {
      // Only objects and booleans are schemas; anything else is reported by FillKeywords.
      if (!value.is_bool()) return core::Ok();
      info_.emplace(&value, NodeInfo{std::move(base), std::move(pointer), resource, vocabularies});
      if (collected != nullptr) collected->push_back(&value);
      return core::Ok();
    }
    std::string location = base + "#" + pointer;
    if (auto it = object->find("$schema"); it != object->end()) {
      if (!it->value().is_string())
        return core::Fail(SchemaError(location, "$schema must be a string"));
      CAPSTAN_ASSIGN_OR_RETURN(vocabularies,
                               VocabulariesOf(ResolveUri(base, View(it->value().get_string()))));
    }
    if (auto it = object->find("$id"); it != object->end()) {
      if (!it->value().is_string())
        return core::Fail(SchemaError(location, "$id must be a string"));
      std::string resolved = ResolveUri(base, View(it->value().get_string()));
      SplitUri split = SplitFragment(resolved);
      if (!split.fragment.empty()) {
        return core::Fail(SchemaError(location, "$id must not contain a non-empty fragment"));
      }
      base.assign(split.without_fragment);
      pointer.clear();
      documents_by_uri_.emplace(base, &value);
      resource = GetResource(base);
    }
    info_.emplace(&value, NodeInfo{base, pointer, resource, vocabularies});
    if (collected != nullptr) collected->push_back(&value);
    if (auto it = object->find("$anchor"); it != object->end()) {
      if (!it->value().is_string() || !IsAnchorName(View(it->value().get_string()))) {
        return core::Fail(SchemaError(location, "$anchor must be a plain name"));
      }
      anchors_.emplace(base + "#" + std::string(View(it->value().get_string())),
                       Anchor{&value, false});
    }
    if (auto it = object->find("$dynamicAnchor"); it != object->end()) {
      if (!it->value().is_string() || !IsAnchorName(View(it->value().get_string()))) {
        return core::Fail(SchemaError(location, "$dynamicAnchor must be a plain name"));
      }
      std::string name(View(it->value().get_string()));
      anchors_[base + "#" + name] = Anchor{&value, true};
      dynamic_anchor_json_[resource].emplace_back(name, &value);
    }
    const bool legacy = (vocabularies & kLegacyArrayItems) != 0;
    for (std::string_view keyword : kSchemaKeywords) {
      if (keyword == "additionalItems" && !legacy) continue;
      auto it = object->find(keyword);
      if (it == object->end()) continue;
      std::string child = pointer;
      AppendPointerToken(child, keyword);
      if (const json::array* array = it->value().if_array(); array != nullptr && legacy) {
        for (std::size_t i = 0; i < array->size(); ++i) {
          std::string element = child;
          AppendPointerIndex(element, i);
          CAPSTAN_RETURN_IF_ERROR(Walk((*array)[i], base, std::move(element), resource,
                                       vocabularies, depth + 1, collected));
        }
        continue;
      }
      CAPSTAN_RETURN_IF_ERROR(
          Walk(it->value(), base, std::move(child), resource, vocabularies, depth + 1, collected));
    }
    for (std::string_view keyword : kSchemaArrayKeywords) {
      auto it = object->find(keyword);
      if (it == object->end() || !it->value().is_array()) continue;
      const auto& array = it->value().get_array();
      for (std::size_t i = 0; i < array.size(); ++i) {
        std::string child = pointer;
        AppendPointerToken(child, keyword);
        AppendPointerIndex(child, i);
        CAPSTAN_RETURN_IF_ERROR(
            Walk(array[i], base, std::move(child), resource, vocabularies, depth + 1, collected));
      }
    }
    for (std::string_view keyword : kSchemaMapKeywords) {
      if (keyword == "dependencies" && !legacy) continue;
      auto it = object->find(keyword);
      if (it == object->end() || !it->value().is_object()) continue;
      for (const auto& member : it->value().get_object()) {
        std::string child = pointer;
        AppendPointerToken(child, keyword);
        AppendPointerToken(child, std::string_view(member.key().data(), member.key().size()));
        CAPSTAN_RETURN_IF_ERROR(Walk(member.value(), base, std::move(child), resource, vocabularies,
                                     depth + 1, collected));
      }
    }
    return core::Ok();
  }

  // The vocabularies a schema declaring "$schema": uri uses.
  core::Result<std::uint32_t> VocabulariesOf(const std::string& schema_uri) {
    std::string uri(SplitFragment(schema_uri).without_fragment);
    if (std::uint32_t known = KnownDialect(uri); known != 0) return known;
    if (auto it = vocabulary_cache_.find(uri); it != vocabulary_cache_.end()) return it->second;
    vocabulary_cache_.emplace(uri, kDefaultVocabularies);  // guards self-describing meta-schemas
    CAPSTAN_ASSIGN_OR_RETURN(const json::value* meta, LookupDocument(uri));
    std::uint32_t result = kDefaultVocabularies;
    if (meta != nullptr && meta->is_object()) {
      if (auto it = meta->get_object().find("$vocabulary"); it != meta->get_object().end()) {
        if (!it->value().is_object()) {
          return core::Fail(SchemaError(uri, "$vocabulary must be an object"));
        }
        result = kVocabCore;
        for (const auto& member : it->value().get_object()) {
          std::string_view vocabulary(member.key().data(), member.key().size());
          std::uint32_t bit = VocabularyBit(vocabulary);
          if (bit != 0) {
            result |= bit;
          } else if (member.value().is_bool() && member.value().get_bool()) {
            return core::Fail(SchemaError(
                uri, "unsupported required vocabulary \"" + std::string(vocabulary) + "\""));
          }
        }
      }
    }
    vocabulary_cache_[uri] = result;
    return result;
  }

  // The root of the document known as `uri`: already loaded, built in, or from the resolver.
  core::Result<const json::value*> LookupDocument(const std::string& uri) {
    if (auto it = documents_by_uri_.find(uri); it != documents_by_uri_.end()) return it->second;
    for (const auto& [builtin_uri, document] : ParsedBuiltins()) {
      if (builtin_uri == uri) {
        CAPSTAN_RETURN_IF_ERROR(IndexDocument(document, uri, nullptr));
        return &document;
      }
    }
    if (!options_.resolver) return nullptr;
    std::optional<json::value> document;
    try {
      document = options_.resolver(uri);
    } catch (const std::exception& e) {
      return core::Fail(core::ErrorCode::kInvalidArgument,
                        "cannot load schema \"" + uri + "\": " + e.what());
    }
    if (!document) return nullptr;
    documents_.push_back(std::make_unique<json::value>(std::move(*document)));
    const json::value* root = documents_.back().get();
    CAPSTAN_RETURN_IF_ERROR(IndexDocument(*root, uri, nullptr));
    return root;
  }

  core::Result<Target> ResolveReference(const std::string& uri, std::string_view location) {
    SplitUri split = SplitFragment(uri);
    std::string document_uri(split.without_fragment);
    CAPSTAN_ASSIGN_OR_RETURN(const json::value* root, LookupDocument(document_uri));
    if (root == nullptr) {
      return core::Fail(SchemaError(location, "cannot resolve reference \"" + uri + "\""));
    }
    if (!info_.contains(root)) {
      return core::Fail(SchemaError(location, "\"" + document_uri + "\" is not a schema"));
    }
    auto fragment = core::PercentDecode(split.fragment);
    if (!fragment) {
      return core::Fail(SchemaError(location, "malformed fragment in \"" + uri + "\""));
    }
    if (fragment->empty()) return Target{root, false};
    if ((*fragment)[0] == '/') {
      auto tokens = ParsePointer(*fragment);
      if (!tokens) {
        return core::Fail(SchemaError(location, "malformed JSON Pointer in \"" + uri + "\""));
      }
      const json::value* current = root;
      const NodeInfo* last = &info_.at(root);
      std::string suffix;
      for (const auto& token : *tokens) {
        current = StepPointer(*current, token);
        if (current == nullptr) {
          return core::Fail(SchemaError(location, "cannot resolve reference \"" + uri + "\""));
        }
        AppendPointerToken(suffix, token);
        if (auto it = info_.find(current); it != info_.end()) {
          last = &it->second;
          suffix.clear();
        }
      }
      if (!suffix.empty()) {
        NodeInfo derived{last->base, last->pointer + suffix, last->resource, last->vocabularies};
        info_.emplace(current, std::move(derived));
      }
      return Target{current, false};
    }
    auto it = anchors_.find(document_uri + "#" + *fragment);
    if (it == anchors_.end()) {
      // The document may have been retrieved under another URI than its "$id".
      const std::string& canonical = info_.at(root).resource->uri;
      it = anchors_.find(canonical + "#" + *fragment);
    }
    if (it == anchors_.end()) {
      return core::Fail(SchemaError(location, "cannot resolve reference \"" + uri + "\""));
    }
    return Target{it->second.node, it->second.dynamic};
  }

  void Activate(Resource* resource) {
    if (!activated_.insert(resource).second) return;
    auto it = dynamic_anchor_json_.find(resource);
    if (it == dynamic_anchor_json_.end()) return;
    for (const auto& entry : it->second) pending_nodes_.push_back(entry.second);
  }

  core::Status Drain() {
    while (!pending_refs_.empty() || !pending_nodes_.empty()) {
      if (!pending_refs_.empty()) {
        PendingRef ref = pending_refs_.back();
        pending_refs_.pop_back();
        CAPSTAN_ASSIGN_OR_RETURN(*ref.slot, CompileNode(*ref.target, 0));
      } else {
        const json::value* node = pending_nodes_.back();
        pending_nodes_.pop_back();
        CAPSTAN_RETURN_IF_ERROR(CompileNode(*node, 0));
      }
    }
    return core::Ok();
  }

  core::Result<const Node*> CompileNode(const json::value& value, std::size_t depth) {
    if (auto it = compiled_.find(&value); it != compiled_.end()) return it->second;
    auto info_it = info_.find(&value);
    if (info_it == info_.end()) {
      return core::Fail(core::ErrorCode::kInternal, "jsonschema: subschema was not indexed");
    }
    const NodeInfo info = info_it->second;
    if (depth > kMaxSchemaDepth) {
      return core::Fail(SchemaError(info.base + "#" + info.pointer, "schema nesting is too deep"));
    }
    out_->nodes.push_back(std::make_unique<Node>());
    Node* node = out_->nodes.back().get();
    compiled_.emplace(&value, node);
    node->resource = info.resource;
    node->location = info.base + "#" + EncodePointerFragment(info.pointer);
    Activate(info.resource);
    if (value.is_bool()) {
      node->is_boolean = true;
      node->boolean_value = value.get_bool();
      return node;
    }
    if (!value.is_object()) {
      return core::Fail(SchemaError(node->location, "a schema must be an object or a boolean"));
    }
    CAPSTAN_RETURN_IF_ERROR(FillKeywords(*node, value.get_object(), info, depth));
    return node;
  }

  // Compiles the subschema `child` found at `suffix` (a pointer fragment) below `parent`.
  core::Result<const Node*> CompileChild(const NodeInfo& parent, const std::string& suffix,
                                         const json::value& child, std::size_t depth) {
    if (!info_.contains(&child)) {
      info_.emplace(&child, NodeInfo{parent.base, parent.pointer + suffix, parent.resource,
                                     parent.vocabularies});
    }
    return CompileNode(child, depth + 1);
  }

  core::Status FillKeywords(Node& node, const json::object& object, const NodeInfo& info,
                            std::size_t depth) {
    const std::uint32_t vocab = info.vocabularies;
    auto fail = [&](std::string_view keyword, std::string_view message) {
      return core::Fail(SchemaError(node.location + "/" + std::string(keyword), message));
    };
    auto find = [&](std::string_view keyword) -> const json::value* {
      auto it = object.find(keyword);
      return it == object.end() ? nullptr : &it->value();
    };
    auto in_place = [&]() -> InPlaceKeywords& {
      if (!node.in_place) node.in_place = std::make_unique<InPlaceKeywords>();
      return *node.in_place;
    };
    auto numbers = [&]() -> NumberKeywords& {
      if (!node.number) node.number = std::make_unique<NumberKeywords>();
      return *node.number;
    };
    auto strings = [&]() -> StringKeywords& {
      if (!node.string) node.string = std::make_unique<StringKeywords>();
      return *node.string;
    };
    auto arrays = [&]() -> ArrayKeywords& {
      if (!node.array) node.array = std::make_unique<ArrayKeywords>();
      return *node.array;
    };
    auto objects = [&]() -> ObjectKeywords& {
      if (!node.object) node.object = std::make_unique<ObjectKeywords>();
      return *node.object;
    };
    // One subschema under `keyword`.
    auto subschema = [&](std::string_view keyword, const json::value& child,
                         std::string_view token = {},
                         bool has_token = false) -> core::Result<const Node*> {
      std::string suffix;
      AppendPointerToken(suffix, keyword);
      if (has_token) AppendPointerToken(suffix, token);
      if (!child.is_object() && !child.is_bool()) {
        return core::Fail(SchemaError(node.location + EncodePointerFragment(suffix),
                                      "a schema must be an object or a boolean"));
      }
      return CompileChild(info, suffix, child, depth);
    };
    auto schema_array = [&](std::string_view keyword, const json::value& value,
                            std::vector<const Node*>& out) -> core::Status {
      if (!value.is_array() || value.get_array().empty()) {
        return fail(keyword, "must be a non-empty array of schemas");
      }
      const auto& array = value.get_array();
      for (std::size_t i = 0; i < array.size(); ++i) {
        std::string token = std::to_string(i);
        CAPSTAN_ASSIGN_OR_RETURN(const Node* child, subschema(keyword, array[i], token, true));
        out.push_back(child);
      }
      return core::Ok();
    };
    auto schema_map = [&](std::string_view keyword, const json::value& value,
                          std::vector<NamedNode>& out) -> core::Status {
      if (!value.is_object()) return fail(keyword, "must be an object of schemas");
      for (const auto& member : value.get_object()) {
        std::string_view name(member.key().data(), member.key().size());
        CAPSTAN_ASSIGN_OR_RETURN(const Node* child, subschema(keyword, member.value(), name, true));
        out.push_back(NamedNode{std::string(name), child});
      }
      return core::Ok();
    };
    auto count = [&](std::string_view keyword,
                     const json::value& value) -> core::Result<std::size_t> {
      if (!value.is_number() || !IsIntegral(value) || CompareNumbers(value, json::value(0)) < 0) {
        return fail(keyword, "must be a non-negative integer");
      }
      if (value.is_double() && value.get_double() >= 1.8e19) {
        return std::numeric_limits<std::size_t>::max();
      }
      if (value.is_double()) return static_cast<std::size_t>(value.get_double());
      return value.is_int64() ? static_cast<std::size_t>(value.get_int64())
                              : static_cast<std::size_t>(value.get_uint64());
    };
    auto string_list = [&](std::string_view keyword,
                           const json::value& value) -> core::Result<std::vector<std::string>> {
      if (!value.is_array()) return fail(keyword, "must be an array of strings");
      std::vector<std::string> out;
      for (const auto& item : value.get_array()) {
        if (!item.is_string()) return fail(keyword, "must be an array of strings");
        out.emplace_back(View(item.get_string()));
      }
      return out;
    };

    // --- core: $ref and $dynamicRef
    if (const json::value* ref = find("$ref")) {
      if (!ref->is_string()) return fail("$ref", "must be a string");
      std::string uri = ResolveUri(info.base, View(ref->get_string()));
      CAPSTAN_ASSIGN_OR_RETURN(Target target, ResolveReference(uri, node.location + "/$ref"));
      pending_refs_.push_back(PendingRef{&in_place().ref, target.node});
    }
    if ((vocab & kLegacyRefOverrides) != 0 && find("$ref") != nullptr) return core::Ok();
    if (const json::value* ref = find("$dynamicRef")) {
      if (!ref->is_string()) return fail("$dynamicRef", "must be a string");
      std::string uri = ResolveUri(info.base, View(ref->get_string()));
      CAPSTAN_ASSIGN_OR_RETURN(Target target,
                               ResolveReference(uri, node.location + "/$dynamicRef"));
      pending_refs_.push_back(PendingRef{&in_place().dynamic_ref, target.node});
      if (target.dynamic_anchor) {
        auto fragment = core::PercentDecode(SplitFragment(uri).fragment);
        in_place().dynamic_anchor = fragment ? *fragment : std::string();
        out_->uses_dynamic_scope = true;
      }
    }
    if (const json::value* defs = find("$defs"); defs != nullptr && !defs->is_object()) {
      return fail("$defs", "must be an object of schemas");
    }

    // --- validation vocabulary
    if ((vocab & kVocabValidation) != 0) {
      if (const json::value* type = find("type")) {
        auto bit = [](std::string_view name) -> std::uint8_t {
          if (name == "null") return kTypeNull;
          if (name == "boolean") return kTypeBoolean;
          if (name == "object") return kTypeObject;
          if (name == "array") return kTypeArray;
          if (name == "number") return kTypeNumber;
          if (name == "string") return kTypeString;
          if (name == "integer") return kTypeInteger;
          return 0;
        };
        if (type->is_string()) {
          node.types = bit(View(type->get_string()));
          if (node.types == 0) {
            return fail("type", "unknown type \"" + std::string(View(type->get_string())) + "\"");
          }
        } else if (type->is_array() && !type->get_array().empty()) {
          for (const auto& item : type->get_array()) {
            std::uint8_t b = item.is_string() ? bit(View(item.get_string())) : 0;
            if (b == 0) return fail("type", "unknown type " + ShortJson(item));
            node.types |= b;
          }
        } else {
          return fail("type", "must be a type name or a non-empty array of type names");
        }
      }
      if (const json::value* value = find("const")) node.const_value = *value;
      if (const json::value* value = find("enum")) {
        if (!value->is_array()) return fail("enum", "must be an array");
        node.enum_values = value->get_array();
      }
      if (const json::value* value = find("multipleOf")) {
        if (!value->is_number() || CompareNumbers(*value, json::value(0)) <= 0) {
          return fail("multipleOf", "must be a number greater than 0");
        }
        numbers().multiple_of = *value;
      }
      struct Limit {
        std::string_view keyword;
        std::optional<json::value> NumberKeywords::*member;
      };
      static constexpr Limit kLimits[] = {
          {"minimum", &NumberKeywords::minimum},
          {"maximum", &NumberKeywords::maximum},
          {"exclusiveMinimum", &NumberKeywords::exclusive_minimum},
          {"exclusiveMaximum", &NumberKeywords::exclusive_maximum},
      };
      for (const auto& limit : kLimits) {
        if (const json::value* value = find(limit.keyword)) {
          if (value->is_bool() && (vocab & kLegacyBooleanExclusive) != 0 &&
              limit.keyword.starts_with("exclusive")) {
            auto& bound =
                limit.keyword == "exclusiveMinimum" ? numbers().minimum : numbers().maximum;
            if (value->get_bool() && bound) {
              numbers().*(limit.member) = std::move(bound);
              bound.reset();
            }
            continue;
          }
          if (!value->is_number()) return fail(limit.keyword, "must be a number");
          numbers().*(limit.member) = *value;
        }
      }
      if (const json::value* value = find("minLength")) {
        CAPSTAN_ASSIGN_OR_RETURN(strings().min_length, count("minLength", *value));
      }
      if (const json::value* value = find("maxLength")) {
        CAPSTAN_ASSIGN_OR_RETURN(strings().max_length, count("maxLength", *value));
      }
      if (const json::value* value = find("pattern")) {
        if (!value->is_string()) return fail("pattern", "must be a string");
        auto regex = Regex::Compile(View(value->get_string()));
        if (!regex) return fail("pattern", regex.error().message);
        strings().pattern = std::move(*regex);
      }
      if (const json::value* value = find("minItems")) {
        CAPSTAN_ASSIGN_OR_RETURN(arrays().min_items, count("minItems", *value));
      }
      if (const json::value* value = find("maxItems")) {
        CAPSTAN_ASSIGN_OR_RETURN(arrays().max_items, count("maxItems", *value));
      }
      if (const json::value* value = find("uniqueItems")) {
        if (!value->is_bool()) return fail("uniqueItems", "must be a boolean");
        if (value->get_bool()) arrays().unique_items = true;
      }
      if (const json::value* value = find("minContains")) {
        CAPSTAN_ASSIGN_OR_RETURN(arrays().min_contains, count("minContains", *value));
      }
      if (const json::value* value = find("maxContains")) {
        CAPSTAN_ASSIGN_OR_RETURN(arrays().max_contains, count("maxContains", *value));
      }
      if (const json::value* value = find("minProperties")) {
        CAPSTAN_ASSIGN_OR_RETURN(objects().min_properties, count("minProperties", *value));
      }
      if (const json::value* value = find("maxProperties")) {
        CAPSTAN_ASSIGN_OR_RETURN(objects().max_properties, count("maxProperties", *value));
      }
      if (const json::value* value = find("required")) {
        CAPSTAN_ASSIGN_OR_RETURN(auto names, string_list("required", *value));
        if (!names.empty()) objects().required = std::move(names);
      }
      if (const json::value* value = find("dependentRequired")) {
        if (!value->is_object()) return fail("dependentRequired", "must be an object");
        for (const auto& member : value->get_object()) {
          CAPSTAN_ASSIGN_OR_RETURN(auto names, string_list("dependentRequired", member.value()));
          objects().dependent_required.emplace_back(
              std::string(member.key().data(), member.key().size()), std::move(names));
        }
      }
    }

    // --- format
    if (const json::value* value = find("format")) {
      bool assert_format = (vocab & kVocabFormatAssertion) != 0 ||
                           (options_.assert_format && (vocab & kVocabFormatAnnotation) != 0);
      if (assert_format) {
        if (!value->is_string()) return fail("format", "must be a string");
        if (FormatCheck check = FindFormatCheck(View(value->get_string()))) {
          strings().format_check = check;
          strings().format.assign(View(value->get_string()));
        }
      }
    }

    // --- applicator vocabulary
    if ((vocab & kVocabApplicator) != 0) {
      if (const json::value* value = find("allOf")) {
        CAPSTAN_RETURN_IF_ERROR(schema_array("allOf", *value, in_place().all_of));
      }
      if (const json::value* value = find("anyOf")) {
        CAPSTAN_RETURN_IF_ERROR(schema_array("anyOf", *value, in_place().any_of));
      }
      if (const json::value* value = find("oneOf")) {
        CAPSTAN_RETURN_IF_ERROR(schema_array("oneOf", *value, in_place().one_of));
      }
      if (const json::value* value = find("not")) {
        CAPSTAN_ASSIGN_OR_RETURN(in_place().not_schema, subschema("not", *value));
      }
      if (const json::value* value = find("if")) {
        CAPSTAN_ASSIGN_OR_RETURN(in_place().if_schema, subschema("if", *value));
        if (const json::value* then_value = find("then")) {
          CAPSTAN_ASSIGN_OR_RETURN(in_place().then_schema, subschema("then", *then_value));
        }
        if (const json::value* else_value = find("else")) {
          CAPSTAN_ASSIGN_OR_RETURN(in_place().else_schema, subschema("else", *else_value));
        }
      }
      if (const json::value* value = find("prefixItems")) {
        CAPSTAN_RETURN_IF_ERROR(schema_array("prefixItems", *value, arrays().prefix_items));
      }
      if (const json::value* value = find("items")) {
        if (value->is_array() && (vocab & kLegacyArrayItems) != 0) {
          CAPSTAN_RETURN_IF_ERROR(schema_array("items", *value, arrays().prefix_items));
          if (const json::value* additional = find("additionalItems")) {
            CAPSTAN_ASSIGN_OR_RETURN(arrays().items, subschema("additionalItems", *additional));
          }
        } else {
          CAPSTAN_ASSIGN_OR_RETURN(arrays().items, subschema("items", *value));
        }
      }
      if (const json::value* value = find("contains")) {
        CAPSTAN_ASSIGN_OR_RETURN(arrays().contains, subschema("contains", *value));
      }
      if (const json::value* value = find("properties")) {
        auto& properties = objects().properties;
        CAPSTAN_RETURN_IF_ERROR(schema_map("properties", *value, properties));
        std::sort(properties.begin(), properties.end(),
                  [](const NamedNode& a, const NamedNode& b) { return a.name < b.name; });
      }
      if (const json::value* value = find("patternProperties")) {
        if (!value->is_object()) return fail("patternProperties", "must be an object of schemas");
        for (const auto& member : value->get_object()) {
          std::string_view source(member.key().data(), member.key().size());
          auto regex = Regex::Compile(source);
          if (!regex) return fail("patternProperties", regex.error().message);
          CAPSTAN_ASSIGN_OR_RETURN(const Node* child,
                                   subschema("patternProperties", member.value(), source, true));
          objects().pattern_properties.emplace_back(std::string(source),
                                                    PatternNode{std::move(*regex), child});
        }
      }
      if (const json::value* value = find("additionalProperties")) {
        CAPSTAN_ASSIGN_OR_RETURN(objects().additional_properties,
                                 subschema("additionalProperties", *value));
      }
      if (const json::value* value = find("propertyNames")) {
        CAPSTAN_ASSIGN_OR_RETURN(objects().property_names, subschema("propertyNames", *value));
      }
      if (const json::value* value = find("dependentSchemas")) {
        CAPSTAN_RETURN_IF_ERROR(
            schema_map("dependentSchemas", *value, objects().dependent_schemas));
      }
      if (const json::value* value = find("dependencies");
          value != nullptr && (vocab & kLegacyArrayItems) != 0) {
        if (!value->is_object()) return fail("dependencies", "must be an object");
        for (const auto& member : value->get_object()) {
          std::string_view name(member.key().data(), member.key().size());
          if (member.value().is_array()) {
            CAPSTAN_ASSIGN_OR_RETURN(auto names, string_list("dependencies", member.value()));
            objects().dependent_required.emplace_back(std::string(name), std::move(names));
          } else {
            CAPSTAN_ASSIGN_OR_RETURN(const Node* child,
                                     subschema("dependencies", member.value(), name, true));
            objects().dependent_schemas.push_back(NamedNode{std::string(name), child});
          }
        }
      }
    }

    // --- unevaluated vocabulary
    if ((vocab & kVocabUnevaluated) != 0) {
      if (const json::value* value = find("unevaluatedItems")) {
        CAPSTAN_ASSIGN_OR_RETURN(node.unevaluated_items, subschema("unevaluatedItems", *value));
      }
      if (const json::value* value = find("unevaluatedProperties")) {
        CAPSTAN_ASSIGN_OR_RETURN(node.unevaluated_properties,
                                 subschema("unevaluatedProperties", *value));
      }
    }
    return core::Ok();
  }

  const CompileOptions& options_;
  std::shared_ptr<CompiledSchema> out_;
  std::vector<std::unique_ptr<json::value>> documents_;  // documents from the resolver
  std::unordered_map<std::string, const json::value*> documents_by_uri_;
  std::unordered_map<std::string, Anchor> anchors_;  // "<resource uri>#<name>"
  std::unordered_map<const json::value*, NodeInfo> info_;
  std::unordered_map<const json::value*, Node*> compiled_;
  std::unordered_map<std::string, Resource*> resources_;
  std::unordered_map<const Resource*, std::vector<std::pair<std::string, const json::value*>>>
      dynamic_anchor_json_;
  std::unordered_set<Resource*> activated_;
  std::vector<PendingRef> pending_refs_;
  std::vector<const json::value*> pending_nodes_;
  std::unordered_map<std::string, std::uint32_t> vocabulary_cache_;
};

}  // namespace

core::Result<Schema> Schema::Compile(const json::value& schema, const CompileOptions& options) {
  try {
    Compiler compiler(options);
    CAPSTAN_ASSIGN_OR_RETURN(auto compiled, compiler.Run(schema));
    return Schema(std::move(compiled));
  } catch (const std::exception& e) {
    return core::Fail(core::ErrorCode::kInternal, std::string("jsonschema: ") + e.what());
  }
}

}  // namespace capstan::jsonschema
