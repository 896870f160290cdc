// Schema::Validate and Schema::IsValid: one recursive walk over the compiled node graph. In
// IsValid mode (collect_ == false) it returns at the first failure and builds no strings.
#include <algorithm>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "jsonschema/compiled.hpp"
#include "jsonschema/json_util.hpp"
#include "jsonschema/schema.hpp"
#include "jsonschema/uri.hpp"

namespace capstan::jsonschema {
namespace {

// Nested schema evaluations allowed before we call it a reference cycle. Each level costs a few
// hundred bytes of stack; 1000 levels stay far below a thread's default stack.
constexpr int kMaxEvaluationDepth = 1000;

// Which members (of an object) or items (of an array) an evaluation has looked at: the
// annotations "unevaluatedProperties" / "unevaluatedItems" depend on.
class Marks {
 public:
  void Reset(std::size_t size) { bits_.assign(size, false); }
  void Mark(std::size_t i) { bits_[i] = true; }
  void MarkAll() { std::fill(bits_.begin(), bits_.end(), true); }
  [[nodiscard]] bool IsMarked(std::size_t i) const { return bits_[i]; }
  [[nodiscard]] std::size_t size() const { return bits_.size(); }
  void Merge(const Marks& other) {
    for (std::size_t i = 0; i < bits_.size(); ++i) {
      if (other.bits_[i]) bits_[i] = true;
    }
  }

 private:
  std::vector<bool> bits_;
};

std::string_view View(const json::string& s) { return {s.data(), s.size()}; }

std::string_view TypeName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "boolean";
    case json::kind::object:
      return "object";
    case json::kind::array:
      return "array";
    case json::kind::string:
      return "string";
    default:
      return IsIntegral(v) ? "integer" : "number";
  }
}

std::string TypeList(std::uint8_t types) {
  static constexpr std::pair<std::uint8_t, std::string_view> kNames[] = {
      {kTypeNull, "null"},      {kTypeBoolean, "boolean"}, {kTypeObject, "object"},
      {kTypeArray, "array"},    {kTypeNumber, "number"},   {kTypeString, "string"},
      {kTypeInteger, "integer"}};
  std::string out;
  int n = 0;
  for (const auto& [bit, name] : kNames) {
    if ((types & bit) == 0) continue;
    if (n++ > 0) out += ", ";
    out += name;
  }
  return n > 1 ? "one of [" + out + "]" : out;
}

std::string Quote(std::string_view s) {
  std::string out;
  core::AppendJsonString(out, s);
  return out;
}

// Restores a path string to its earlier length when it goes out of scope.
class PathMark {
 public:
  explicit PathMark(std::string* path) : path_(path), size_(path ? path->size() : 0) {}
  PathMark(PathMark&& other) noexcept : path_(other.path_), size_(other.size_) {
    other.path_ = nullptr;
  }
  PathMark(const PathMark&) = delete;
  PathMark& operator=(const PathMark&) = delete;
  PathMark& operator=(PathMark&&) = delete;
  ~PathMark() {
    if (path_ != nullptr) path_->resize(size_);
  }

 private:
  std::string* path_;
  std::size_t size_;
};

// Records a failed check and, in IsValid mode or once the error budget is spent, leaves the
// enclosing function at once.
#define CAPSTAN_JS_CHECK(expr)                 \
  do {                                         \
    if (!(expr)) {                             \
      valid = false;                           \
      if (!collect_ || aborted_) return false; \
    }                                          \
  } while (false)

class Evaluator {
 public:
  Evaluator(const CompiledSchema& schema, std::vector<ValidationError>* errors,
            std::size_t max_errors)
      : schema_(schema),
        collect_(errors != nullptr),
        max_errors_(max_errors == 0 ? static_cast<std::size_t>(-1) : max_errors),  // 0: no cap
        sink_(errors),
        top_(errors) {}

  bool Run(const json::value& instance) { return Eval(*schema_.root, instance, nullptr); }

 private:
  // Turns error collection off for a sub-evaluation whose errors nobody reads (not, if,
  // contains).
  class CollectOff {
   public:
    explicit CollectOff(Evaluator* e) : e_(e), saved_(e->collect_) { e->collect_ = false; }
    CollectOff(const CollectOff&) = delete;
    CollectOff& operator=(const CollectOff&) = delete;
    ~CollectOff() { e_->collect_ = saved_; }

   private:
    Evaluator* e_;
    bool saved_;
  };

  // Sends errors to another list (one alternative of anyOf/oneOf) while in scope.
  class SinkSwap {
   public:
    SinkSwap(Evaluator* e, std::vector<ValidationError>* sink) : e_(e), saved_(e->sink_) {
      e->sink_ = sink;
    }
    SinkSwap(const SinkSwap&) = delete;
    SinkSwap& operator=(const SinkSwap&) = delete;
    ~SinkSwap() { e_->sink_ = saved_; }

   private:
    Evaluator* e_;
    std::vector<ValidationError>* saved_;
  };

  PathMark PushKeyword(std::string_view keyword) {
    if (!collect_) return PathMark(nullptr);
    PathMark mark(&keyword_path_);
    keyword_path_ += '/';
    keyword_path_ += keyword;
    return mark;
  }
  PathMark PushKeyword(std::string_view keyword, std::string_view token) {
    if (!collect_) return PathMark(nullptr);
    PathMark mark(&keyword_path_);
    keyword_path_ += '/';
    keyword_path_ += keyword;
    AppendPointerToken(keyword_path_, token);
    return mark;
  }
  PathMark PushKeyword(std::string_view keyword, std::size_t index) {
    if (!collect_) return PathMark(nullptr);
    PathMark mark(&keyword_path_);
    keyword_path_ += '/';
    keyword_path_ += keyword;
    AppendPointerIndex(keyword_path_, index);
    return mark;
  }
  PathMark PushInstance(std::string_view token) {
    if (!collect_) return PathMark(nullptr);
    PathMark mark(&instance_path_);
    AppendPointerToken(instance_path_, token);
    return mark;
  }
  PathMark PushInstance(std::size_t index) {
    if (!collect_) return PathMark(nullptr);
    PathMark mark(&instance_path_);
    AppendPointerIndex(instance_path_, index);
    return mark;
  }

  // `keyword` is appended to the keyword locations unless `in_path` is false (a false schema
  // fails as a whole: its location is the schema's own).
  void AddError(const Node& node, std::string_view keyword, std::string message,
                std::vector<std::vector<ValidationError>> alternatives = {}, bool in_path = true) {
    if (sink_->size() >= max_errors_) {
      if (sink_ == top_) aborted_ = true;
      return;
    }
    ValidationError error;
    error.instance_location = instance_path_;
    error.keyword_location = keyword_path_;
    error.absolute_keyword_location = node.location;
    if (in_path) {
      error.keyword_location += '/';
      error.keyword_location += keyword;
      error.absolute_keyword_location += '/';
      error.absolute_keyword_location += keyword;
    }
    error.keyword = std::string(keyword);
    error.message = std::move(message);
    error.alternatives = std::move(alternatives);
    sink_->push_back(std::move(error));
    if (sink_ == top_ && sink_->size() >= max_errors_) aborted_ = true;
  }

  // Reports a failure of `keyword`; the message is only built when errors are collected.
  template <typename MessageFn>
  bool Reject(const Node& node, std::string_view keyword, MessageFn&& message) {
    if (collect_) AddError(node, keyword, message());
    return false;
  }

  bool Eval(const Node& node, const json::value& instance, Marks* marks) {
    if (node.is_boolean) {
      if (node.boolean_value) return true;
      if (collect_) AddError(node, "false", "no value is allowed here", {}, false);
      return false;
    }
    if (depth_ >= kMaxEvaluationDepth) {
      return Reject(node, "$ref", [] {
        return std::string("maximum schema evaluation depth exceeded (reference cycle?)");
      });
    }
    struct DepthGuard {
      int& depth;
      explicit DepthGuard(int& d) : depth(d) { ++depth; }
      DepthGuard(const DepthGuard&) = delete;
      DepthGuard& operator=(const DepthGuard&) = delete;
      ~DepthGuard() { --depth; }
    } depth_guard(depth_);
    struct ScopeGuard {
      std::vector<const Resource*>* scope = nullptr;
      ScopeGuard() = default;
      ScopeGuard(const ScopeGuard&) = delete;
      ScopeGuard& operator=(const ScopeGuard&) = delete;
      ~ScopeGuard() {
        if (scope != nullptr) scope->pop_back();
      }
    } scope_guard;
    if (schema_.uses_dynamic_scope && (scope_.empty() || scope_.back() != node.resource)) {
      scope_.push_back(node.resource);
      scope_guard.scope = &scope_;
    }

    bool valid = true;
    Marks local;
    Marks* own_marks = marks;
    const bool tracks = (node.unevaluated_properties != nullptr && instance.is_object()) ||
                        (node.unevaluated_items != nullptr && instance.is_array());
    if (tracks) {
      local.Reset(instance.is_object() ? instance.get_object().size()
                                       : instance.get_array().size());
      own_marks = &local;
    }

    if (node.types != 0) CAPSTAN_JS_CHECK(CheckType(node, instance));
    if (node.const_value) {
      CAPSTAN_JS_CHECK(JsonEqual(instance, *node.const_value) || Reject(node, "const", [&] {
                         return "must be equal to " + ShortJson(*node.const_value);
                       }));
    }
    if (node.enum_values) {
      bool found = false;
      for (const auto& candidate : *node.enum_values) {
        if (JsonEqual(instance, candidate)) {
          found = true;
          break;
        }
      }
      CAPSTAN_JS_CHECK(found || Reject(node, "enum", [&] {
                         return "must be one of " + ShortJson(*node.enum_values, 120);
                       }));
    }
    switch (instance.kind()) {
      case json::kind::int64:
      case json::kind::uint64:
      case json::kind::double_:
        if (node.number) CAPSTAN_JS_CHECK(EvalNumber(node, instance));
        break;
      case json::kind::string:
        if (node.string) CAPSTAN_JS_CHECK(EvalString(node, View(instance.get_string())));
        break;
      case json::kind::array:
        if (node.array) CAPSTAN_JS_CHECK(EvalArray(node, instance.get_array(), own_marks));
        break;
      case json::kind::object:
        if (node.object) CAPSTAN_JS_CHECK(EvalObject(node, instance, own_marks));
        break;
      default:
        break;
    }
    if (node.in_place) CAPSTAN_JS_CHECK(EvalInPlace(node, instance, own_marks));
    if (tracks) {
      if (instance.is_object()) {
        CAPSTAN_JS_CHECK(EvalUnevaluatedProperties(node, instance.get_object(), local));
      } else {
        CAPSTAN_JS_CHECK(EvalUnevaluatedItems(node, instance.get_array(), local));
      }
      if (marks != nullptr && valid) marks->Merge(local);
    }
    return valid;
  }

  bool CheckType(const Node& node, const json::value& instance) {
    std::uint8_t bit = 0;
    switch (instance.kind()) {
      case json::kind::null:
        bit = kTypeNull;
        break;
      case json::kind::bool_:
        bit = kTypeBoolean;
        break;
      case json::kind::object:
        bit = kTypeObject;
        break;
      case json::kind::array:
        bit = kTypeArray;
        break;
      case json::kind::string:
        bit = kTypeString;
        break;
      default:
        bit = kTypeNumber;
        if ((node.types & kTypeInteger) != 0 && IsIntegral(instance)) bit |= kTypeInteger;
        break;
    }
    if ((node.types & bit) != 0) return true;
    return Reject(node, "type", [&] {
      return "expected " + TypeList(node.types) + ", got " + std::string(TypeName(instance));
    });
  }

  bool EvalNumber(const Node& node, const json::value& instance) {
    const NumberKeywords& n = *node.number;
    bool valid = true;
    if (n.minimum) {
      CAPSTAN_JS_CHECK(CompareNumbers(instance, *n.minimum) >= 0 || Reject(node, "minimum", [&] {
                         return "must be >= " + ShortJson(*n.minimum) + ", got " +
                                ShortJson(instance);
                       }));
    }
    if (n.maximum) {
      CAPSTAN_JS_CHECK(CompareNumbers(instance, *n.maximum) <= 0 || Reject(node, "maximum", [&] {
                         return "must be <= " + ShortJson(*n.maximum) + ", got " +
                                ShortJson(instance);
                       }));
    }
    if (n.exclusive_minimum) {
      CAPSTAN_JS_CHECK(CompareNumbers(instance, *n.exclusive_minimum) > 0 ||
                       Reject(node, "exclusiveMinimum", [&] {
                         return "must be > " + ShortJson(*n.exclusive_minimum) + ", got " +
                                ShortJson(instance);
                       }));
    }
    if (n.exclusive_maximum) {
      CAPSTAN_JS_CHECK(CompareNumbers(instance, *n.exclusive_maximum) < 0 ||
                       Reject(node, "exclusiveMaximum", [&] {
                         return "must be < " + ShortJson(*n.exclusive_maximum) + ", got " +
                                ShortJson(instance);
                       }));
    }
    if (n.multiple_of) {
      CAPSTAN_JS_CHECK(IsMultipleOf(instance, *n.multiple_of) || Reject(node, "multipleOf", [&] {
                         return "must be a multiple of " + ShortJson(*n.multiple_of) + ", got " +
                                ShortJson(instance);
                       }));
    }
    return valid;
  }

  bool EvalString(const Node& node, std::string_view text) {
    const StringKeywords& s = *node.string;
    bool valid = true;
    if (s.min_length || s.max_length) {
      std::size_t length = CodePointLength(text);
      if (s.min_length) {
        CAPSTAN_JS_CHECK(length >= *s.min_length || Reject(node, "minLength", [&] {
                           return "must be at least " + std::to_string(*s.min_length) +
                                  " characters long, got " + std::to_string(length);
                         }));
      }
      if (s.max_length) {
        CAPSTAN_JS_CHECK(length <= *s.max_length || Reject(node, "maxLength", [&] {
                           return "must be at most " + std::to_string(*s.max_length) +
                                  " characters long, got " + std::to_string(length);
                         }));
      }
    }
    if (s.pattern) {
      CAPSTAN_JS_CHECK(s.pattern->Search(text) || Reject(node, "pattern", [&] {
                         return Quote(text) + " does not match pattern " +
                                Quote(s.pattern->pattern());
                       }));
    }
    if (s.format_check != nullptr) {
      CAPSTAN_JS_CHECK(s.format_check(text) || Reject(node, "format", [&] {
                         return Quote(text) + " is not a valid " + Quote(s.format);
                       }));
    }
    return valid;
  }

  bool EvalArray(const Node& node, const json::array& array, Marks* marks) {
    const ArrayKeywords& a = *node.array;
    const std::size_t size = array.size();
    bool valid = true;
    if (a.min_items) {
      CAPSTAN_JS_CHECK(size >= *a.min_items || Reject(node, "minItems", [&] {
                         return "must have at least " + std::to_string(*a.min_items) +
                                " items, got " + std::to_string(size);
                       }));
    }
    if (a.max_items) {
      CAPSTAN_JS_CHECK(size <= *a.max_items || Reject(node, "maxItems", [&] {
                         return "must have at most " + std::to_string(*a.max_items) +
                                " items, got " + std::to_string(size);
                       }));
    }
    if (a.unique_items) {
      std::size_t first = 0;
      std::size_t second = 0;
      CAPSTAN_JS_CHECK(AllUnique(array, &first, &second) || Reject(node, "uniqueItems", [&] {
                         return "items " + std::to_string(first) + " and " +
                                std::to_string(second) + " are equal";
                       }));
    }
    const std::size_t prefix = std::min(size, a.prefix_items.size());
    for (std::size_t i = 0; i < prefix; ++i) {
      PathMark keyword = PushKeyword("prefixItems", i);
      PathMark location = PushInstance(i);
      CAPSTAN_JS_CHECK(Eval(*a.prefix_items[i], array[i], nullptr));
      if (marks != nullptr) marks->Mark(i);
    }
    if (a.items != nullptr) {
      for (std::size_t i = a.prefix_items.size(); i < size; ++i) {
        if (a.items->IsFalse()) {
          PathMark location = PushInstance(i);
          CAPSTAN_JS_CHECK(Reject(node, "items", [&] {
            return "array must have at most " + std::to_string(a.prefix_items.size()) +
                   " items, got " + std::to_string(size);
          }));
          break;
        }
        PathMark keyword = PushKeyword("items");
        PathMark location = PushInstance(i);
        CAPSTAN_JS_CHECK(Eval(*a.items, array[i], nullptr));
        if (marks != nullptr) marks->Mark(i);
      }
    }
    if (a.contains != nullptr) {
      const std::size_t min_contains = a.min_contains.value_or(1);
      const bool count_all = marks != nullptr || a.max_contains.has_value();
      std::size_t matches = 0;
      {
        CollectOff quiet(this);
        for (std::size_t i = 0; i < size; ++i) {
          if (!count_all && matches >= min_contains) break;
          if (Eval(*a.contains, array[i], nullptr)) {
            ++matches;
            if (marks != nullptr) marks->Mark(i);
          }
        }
      }
      if (matches < min_contains) {
        CAPSTAN_JS_CHECK(Reject(node, a.min_contains ? "minContains" : "contains", [&] {
          if (!a.min_contains) return std::string("no item matches the \"contains\" schema");
          return "must contain at least " + std::to_string(min_contains) +
                 " matching items, found " + std::to_string(matches);
        }));
      }
      if (a.max_contains && matches > *a.max_contains) {
        CAPSTAN_JS_CHECK(Reject(node, "maxContains", [&] {
          return "must contain at most " + std::to_string(*a.max_contains) +
                 " matching items, found " + std::to_string(matches);
        }));
      }
    }
    return valid;
  }

  bool EvalObject(const Node& node, const json::value& instance, Marks* marks) {
    const ObjectKeywords& o = *node.object;
    const json::object& object = instance.get_object();
    bool valid = true;
    if (o.min_properties) {
      CAPSTAN_JS_CHECK(object.size() >= *o.min_properties || Reject(node, "minProperties", [&] {
                         return "must have at least " + std::to_string(*o.min_properties) +
                                " properties, got " + std::to_string(object.size());
                       }));
    }
    if (o.max_properties) {
      CAPSTAN_JS_CHECK(object.size() <= *o.max_properties || Reject(node, "maxProperties", [&] {
                         return "must have at most " + std::to_string(*o.max_properties) +
                                " properties, got " + std::to_string(object.size());
                       }));
    }
    for (const std::string& name : o.required) {
      CAPSTAN_JS_CHECK(object.contains(name) || Reject(node, "required", [&] {
                         return "missing required property " + Quote(name);
                       }));
    }
    for (const auto& entry : o.dependent_required) {
      const auto& name = entry.first;  // (no structured binding: clang 14 cannot capture it)
      if (!object.contains(name)) continue;
      for (const std::string& dependent : entry.second) {
        CAPSTAN_JS_CHECK(object.contains(dependent) || Reject(node, "dependentRequired", [&] {
                           return "missing property " + Quote(dependent) + " (required when " +
                                  Quote(name) + " is present)";
                         }));
      }
    }
    if (o.property_names != nullptr) {
      for (const auto& member : object) {
        json::value name(member.key());
        PathMark keyword = PushKeyword("propertyNames");
        if (!collect_) {
          if (!Eval(*o.property_names, name, nullptr)) return false;
          continue;
        }
        std::vector<ValidationError> name_errors;
        bool ok = false;
        {
          SinkSwap swap(this, &name_errors);
          ok = Eval(*o.property_names, name, nullptr);
        }
        for (auto& error : name_errors) {
          error.message = "property name " + Quote(View(name.get_string())) + ": " + error.message;
          if (sink_->size() < max_errors_) sink_->push_back(std::move(error));
        }
        if (sink_ == top_ && sink_->size() >= max_errors_) aborted_ = true;
        CAPSTAN_JS_CHECK(ok);
      }
    }
    if (!o.properties.empty() || !o.pattern_properties.empty() ||
        o.additional_properties != nullptr) {
      std::size_t index = 0;
      for (auto it = object.begin(); it != object.end(); ++it, ++index) {
        std::string_view key(it->key().data(), it->key().size());
        const json::value& value = it->value();
        bool matched = false;
        if (const NamedNode* property = o.FindProperty(key)) {
          matched = true;
          PathMark keyword = PushKeyword("properties", key);
          PathMark location = PushInstance(key);
          CAPSTAN_JS_CHECK(Eval(*property->node, value, nullptr));
        }
        for (const auto& [source, pattern] : o.pattern_properties) {
          if (!pattern.regex.Search(key)) continue;
          matched = true;
          PathMark keyword = PushKeyword("patternProperties", source);
          PathMark location = PushInstance(key);
          CAPSTAN_JS_CHECK(Eval(*pattern.node, value, nullptr));
        }
        if (!matched && o.additional_properties != nullptr) {
          matched = true;
          PathMark location = PushInstance(key);
          if (o.additional_properties->IsFalse()) {
            CAPSTAN_JS_CHECK(Reject(node, "additionalProperties",
                                    [&] { return "property " + Quote(key) + " is not allowed"; }));
          } else {
            PathMark keyword = PushKeyword("additionalProperties");
            CAPSTAN_JS_CHECK(Eval(*o.additional_properties, value, nullptr));
          }
        }
        if (matched && marks != nullptr) marks->Mark(index);
      }
    }
    for (const auto& [name, schema] : o.dependent_schemas) {
      if (!object.contains(name)) continue;
      PathMark keyword = PushKeyword("dependentSchemas", name);
      CAPSTAN_JS_CHECK(Eval(*schema, instance, marks));
    }
    return valid;
  }

  bool EvalUnevaluatedProperties(const Node& node, const json::object& object, Marks& marks) {
    const Node& schema = *node.unevaluated_properties;
    bool valid = true;
    if (!(schema.is_boolean && schema.boolean_value)) {
      std::size_t index = 0;
      for (auto it = object.begin(); it != object.end(); ++it, ++index) {
        if (marks.IsMarked(index)) continue;
        std::string_view key(it->key().data(), it->key().size());
        PathMark location = PushInstance(key);
        if (schema.IsFalse()) {
          CAPSTAN_JS_CHECK(Reject(node, "unevaluatedProperties", [&] {
            return "property " + Quote(key) + " is not allowed (unevaluated)";
          }));
        } else {
          PathMark keyword = PushKeyword("unevaluatedProperties");
          CAPSTAN_JS_CHECK(Eval(schema, it->value(), nullptr));
        }
      }
    }
    marks.MarkAll();
    return valid;
  }

  bool EvalUnevaluatedItems(const Node& node, const json::array& array, Marks& marks) {
    const Node& schema = *node.unevaluated_items;
    bool valid = true;
    if (!(schema.is_boolean && schema.boolean_value)) {
      for (std::size_t i = 0; i < array.size(); ++i) {
        if (marks.IsMarked(i)) continue;
        PathMark location = PushInstance(i);
        if (schema.IsFalse()) {
          CAPSTAN_JS_CHECK(Reject(node, "unevaluatedItems", [&] {
            return "item " + std::to_string(i) + " is not allowed (unevaluated)";
          }));
        } else {
          PathMark keyword = PushKeyword("unevaluatedItems");
          CAPSTAN_JS_CHECK(Eval(schema, array[i], nullptr));
        }
      }
    }
    marks.MarkAll();
    return valid;
  }

  const Node* ResolveDynamic(const InPlaceKeywords& in_place) const {
    for (const Resource* resource : scope_) {
      for (const auto& [name, target] : resource->dynamic_anchors) {
        if (name == in_place.dynamic_anchor) return target;
      }
    }
    return in_place.dynamic_ref;
  }

  bool EvalInPlace(const Node& node, const json::value& instance, Marks* marks) {
    const InPlaceKeywords& p = *node.in_place;
    bool valid = true;
    if (p.ref != nullptr) {
      PathMark keyword = PushKeyword("$ref");
      CAPSTAN_JS_CHECK(Eval(*p.ref, instance, marks));
    }
    if (p.dynamic_ref != nullptr) {
      const Node* target = p.dynamic_anchor.empty() ? p.dynamic_ref : ResolveDynamic(p);
      PathMark keyword = PushKeyword("$dynamicRef");
      CAPSTAN_JS_CHECK(Eval(*target, instance, marks));
    }
    for (std::size_t i = 0; i < p.all_of.size(); ++i) {
      PathMark keyword = PushKeyword("allOf", i);
      CAPSTAN_JS_CHECK(Eval(*p.all_of[i], instance, marks));
    }
    if (!p.any_of.empty()) CAPSTAN_JS_CHECK(EvalAnyOf(node, instance, marks));
    if (!p.one_of.empty()) CAPSTAN_JS_CHECK(EvalOneOf(node, instance, marks));
    if (p.not_schema != nullptr) {
      bool matched = false;
      {
        CollectOff quiet(this);
        matched = Eval(*p.not_schema, instance, nullptr);
      }
      CAPSTAN_JS_CHECK(!matched || Reject(node, "not", [] {
        return std::string("must not match the \"not\" schema");
      }));
    }
    if (p.if_schema != nullptr) {
      Marks if_marks;
      if (marks != nullptr) if_marks.Reset(marks->size());
      bool condition = false;
      {
        CollectOff quiet(this);
        condition = Eval(*p.if_schema, instance, marks != nullptr ? &if_marks : nullptr);
      }
      if (condition) {
        if (marks != nullptr) marks->Merge(if_marks);
        if (p.then_schema != nullptr) {
          PathMark keyword = PushKeyword("then");
          CAPSTAN_JS_CHECK(Eval(*p.then_schema, instance, marks));
        }
      } else if (p.else_schema != nullptr) {
        PathMark keyword = PushKeyword("else");
        CAPSTAN_JS_CHECK(Eval(*p.else_schema, instance, marks));
      }
    }
    return valid;
  }

  bool EvalAnyOf(const Node& node, const json::value& instance, Marks* marks) {
    const auto& alternatives = node.in_place->any_of;
    std::vector<std::vector<ValidationError>> errors;
    if (collect_) errors.resize(alternatives.size());
    bool any = false;
    for (std::size_t i = 0; i < alternatives.size(); ++i) {
      Marks alternative_marks;
      if (marks != nullptr) alternative_marks.Reset(marks->size());
      bool ok = false;
      {
        PathMark keyword = PushKeyword("anyOf", i);
        SinkSwap swap(this, collect_ ? &errors[i] : sink_);
        ok = Eval(*alternatives[i], instance, marks != nullptr ? &alternative_marks : nullptr);
      }
      if (ok) {
        any = true;
        if (marks == nullptr) break;  // no annotations needed: the first match decides
        marks->Merge(alternative_marks);
      }
    }
    if (any) return true;
    if (collect_) {
      AddError(
          node, "anyOf",
          "must match at least one of the " + std::to_string(alternatives.size()) + " alternatives",
          std::move(errors));
    }
    return false;
  }

  bool EvalOneOf(const Node& node, const json::value& instance, Marks* marks) {
    const auto& alternatives = node.in_place->one_of;
    std::vector<std::vector<ValidationError>> errors;
    if (collect_) errors.resize(alternatives.size());
    std::size_t matches = 0;
    std::size_t first = 0;
    std::size_t second = 0;
    Marks matched_marks;
    for (std::size_t i = 0; i < alternatives.size() && matches < 2; ++i) {
      Marks alternative_marks;
      if (marks != nullptr) alternative_marks.Reset(marks->size());
      bool ok = false;
      {
        PathMark keyword = PushKeyword("oneOf", i);
        SinkSwap swap(this, collect_ ? &errors[i] : sink_);
        ok = Eval(*alternatives[i], instance, marks != nullptr ? &alternative_marks : nullptr);
      }
      if (ok) {
        if (matches++ == 0) {
          first = i;
          matched_marks = std::move(alternative_marks);
        } else {
          second = i;
        }
      }
    }
    if (matches == 1) {
      if (marks != nullptr) marks->Merge(matched_marks);
      return true;
    }
    if (!collect_) return false;
    if (matches == 0) {
      AddError(node, "oneOf",
               "must match exactly one of the " + std::to_string(alternatives.size()) +
                   " alternatives, matched none",
               std::move(errors));
    } else {
      AddError(node, "oneOf",
               "must match exactly one alternative, matched both " + std::to_string(first) +
                   " and " + std::to_string(second));
    }
    return false;
  }

  const CompiledSchema& schema_;
  bool collect_;
  std::size_t max_errors_;
  std::vector<ValidationError>* sink_;
  std::vector<ValidationError>* top_;
  bool aborted_ = false;
  int depth_ = 0;
  std::string instance_path_;
  std::string keyword_path_;
  std::vector<const Resource*> scope_;
};

#undef CAPSTAN_JS_CHECK

std::size_t PointerDepth(const std::string& pointer) {
  return static_cast<std::size_t>(std::count(pointer.begin(), pointer.end(), '/'));
}

ValidationError WithoutAlternatives(const ValidationError& error) {
  ValidationError out;
  out.instance_location = error.instance_location;
  out.keyword_location = error.keyword_location;
  out.absolute_keyword_location = error.absolute_keyword_location;
  out.keyword = error.keyword;
  out.message = error.message;
  return out;
}

void AppendBest(const std::vector<ValidationError>& errors, std::vector<ValidationError>& out) {
  for (const auto& error : errors) {
    if (error.alternatives.empty()) {
      out.push_back(WithoutAlternatives(error));
      continue;
    }
    std::vector<ValidationError> best;
    std::size_t best_depth = 0;
    bool have_best = false;
    for (const auto& alternative : error.alternatives) {
      std::vector<ValidationError> reduced;
      AppendBest(alternative, reduced);
      if (reduced.empty()) continue;
      std::size_t depth = 0;
      for (const auto& e : reduced) depth = std::max(depth, PointerDepth(e.instance_location));
      if (!have_best || depth > best_depth ||
          (depth == best_depth && reduced.size() < best.size())) {
        have_best = true;
        best_depth = depth;
        best = std::move(reduced);
      }
    }
    if (!have_best) {
      out.push_back(WithoutAlternatives(error));
    } else {
      for (auto& e : best) out.push_back(std::move(e));
    }
  }
}

}  // namespace

std::vector<ValidationError> Schema::Validate(const json::value& instance,
                                              const ValidateOptions& options) const {
  std::vector<ValidationError> errors;
  if (!impl_) {  // a moved-from Schema
    ValidationError error;
    error.keyword = "internal";
    error.message = "schema is empty (moved from)";
    errors.push_back(std::move(error));
    return errors;
  }
  try {
    // Valid input is the common case: the fast walk answers it without building any error.
    if (Evaluator(*impl_, nullptr, 0).Run(instance)) return errors;
    Evaluator evaluator(*impl_, &errors, options.max_errors);
    if (!evaluator.Run(instance) && errors.empty()) {
      ValidationError error;
      error.keyword = "internal";
      error.message = "validation failed without a reported error";
      errors.push_back(std::move(error));
    }
  } catch (const std::exception& e) {
    ValidationError error;
    error.keyword = "internal";
    error.message = std::string("validation failed: ") + e.what();
    errors.push_back(std::move(error));
  }
  return errors;
}

bool Schema::IsValid(const json::value& instance) const {
  if (!impl_) return false;
  try {
    Evaluator evaluator(*impl_, nullptr, 0);
    return evaluator.Run(instance);
  } catch (const std::exception&) {
    return false;
  }
}

std::vector<ValidationError> BestErrors(const std::vector<ValidationError>& errors) {
  std::vector<ValidationError> out;
  AppendBest(errors, out);
  return out;
}

}  // namespace capstan::jsonschema
