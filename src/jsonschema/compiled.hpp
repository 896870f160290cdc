// The compiled form of a schema: a graph of keyword nodes built once by Schema::Compile and then
// read (never modified) by every validation. Internal to the jsonschema component.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json.hpp"
#include "jsonschema/format.hpp"
#include "jsonschema/regex.hpp"

namespace capstan::jsonschema {

namespace json = core::json;

// Bits of the "type" keyword.
enum TypeBit : std::uint8_t {
  kTypeNull = 1 << 0,
  kTypeBoolean = 1 << 1,
  kTypeObject = 1 << 2,
  kTypeArray = 1 << 3,
  kTypeNumber = 1 << 4,
  kTypeString = 1 << 5,
  kTypeInteger = 1 << 6,
};

struct Node;

// A schema resource (a document root or a subschema with "$id"): the unit of dynamic scope.
struct Resource {
  std::string uri;
  std::vector<std::pair<std::string, const Node*>> dynamic_anchors;  // "$dynamicAnchor" → node
};

struct NamedNode {
  std::string name;
  const Node* node = nullptr;
};

struct PatternNode {
  Regex regex;
  const Node* node = nullptr;
};

struct NumberKeywords {
  std::optional<json::value> minimum;
  std::optional<json::value> maximum;
  std::optional<json::value> exclusive_minimum;
  std::optional<json::value> exclusive_maximum;
  std::optional<json::value> multiple_of;
};

struct StringKeywords {
  std::optional<std::size_t> min_length;
  std::optional<std::size_t> max_length;
  std::optional<Regex> pattern;
  FormatCheck format_check = nullptr;  // set only when "format" is asserted
  std::string format;
};

struct ArrayKeywords {
  std::optional<std::size_t> min_items;
  std::optional<std::size_t> max_items;
  bool unique_items = false;
  std::vector<const Node*> prefix_items;
  const Node* items = nullptr;
  const Node* contains = nullptr;
  std::optional<std::size_t> min_contains;  // only meaningful with "contains"
  std::optional<std::size_t> max_contains;
};

struct ObjectKeywords {
  std::optional<std::size_t> min_properties;
  std::optional<std::size_t> max_properties;
  std::vector<std::string> required;
  std::vector<std::pair<std::string, std::vector<std::string>>> dependent_required;
  std::vector<NamedNode> properties;  // sorted by name for binary search
  std::vector<std::pair<std::string, PatternNode>> pattern_properties;  // (source, regex+node)
  const Node* additional_properties = nullptr;
  const Node* property_names = nullptr;
  std::vector<NamedNode> dependent_schemas;

  // The "properties" entry for `name`, or nullptr.
  [[nodiscard]] const NamedNode* FindProperty(std::string_view name) const;
};

// In-place applicators: they apply to the same instance location as their schema.
struct InPlaceKeywords {
  const Node* ref = nullptr;
  const Node* dynamic_ref = nullptr;  // the statically resolved target of "$dynamicRef"
  std::string dynamic_anchor;         // non-empty: resolve through the dynamic scope
  std::vector<const Node*> all_of;
  std::vector<const Node*> any_of;
  std::vector<const Node*> one_of;
  const Node* not_schema = nullptr;
  const Node* if_schema = nullptr;
  const Node* then_schema = nullptr;
  const Node* else_schema = nullptr;
};

struct Node {
  bool is_boolean = false;
  bool boolean_value = true;
  const Resource* resource = nullptr;
  std::string location;  // canonical URI of this schema: "<base>#<pointer>"

  std::uint8_t types = 0;  // 0: no "type" keyword
  std::optional<json::value> const_value;
  std::optional<json::array> enum_values;
  std::unique_ptr<NumberKeywords> number;
  std::unique_ptr<StringKeywords> string;
  std::unique_ptr<ArrayKeywords> array;
  std::unique_ptr<ObjectKeywords> object;
  std::unique_ptr<InPlaceKeywords> in_place;
  const Node* unevaluated_items = nullptr;
  const Node* unevaluated_properties = nullptr;

  [[nodiscard]] bool IsFalse() const { return is_boolean && !boolean_value; }
};

class CompiledSchema {
 public:
  const Node* root = nullptr;
  bool uses_dynamic_scope = false;  // some "$dynamicRef" needs the dynamic scope at run time
  std::vector<std::unique_ptr<Node>> nodes;
  std::vector<std::unique_ptr<Resource>> resources;
};

}  // namespace capstan::jsonschema
