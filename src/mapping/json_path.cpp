// Evaluation of compiled JSONPath queries (RFC 9535 §2.3-§2.7).
#include "mapping/json_path.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "mapping/json_path_ast.hpp"
#include "mapping/utf8.hpp"

namespace capstan::mapping {
namespace {

namespace ast = jsonpath_internal;

// Evaluation state shared by a query and all its filter sub-queries.
class Context {
 public:
  Context(const json::value& root, std::size_t budget) : root_(root), budget_(budget) {}

  const json::value& root() const { return root_; }
  bool exhausted() const { return exhausted_; }

  // Accounts for one visited or selected node; false once the budget is spent.
  bool Spend() {
    if (budget_ == 0) {
      exhausted_ = true;
      return false;
    }
    --budget_;
    return true;
  }

 private:
  const json::value& root_;
  std::size_t budget_;
  bool exhausted_ = false;
};

// Normalized-path bookkeeping: each entry is one step from its parent entry (-1 is the root).
class PathArena {
 public:
  std::int32_t AddName(std::int32_t parent, std::string_view name) {
    entries_.push_back({parent, name, 0, true});
    return static_cast<std::int32_t>(entries_.size() - 1);
  }
  std::int32_t AddIndex(std::int32_t parent, std::size_t index) {
    entries_.push_back({parent, {}, index, false});
    return static_cast<std::int32_t>(entries_.size() - 1);
  }

  std::string Render(std::int32_t id) const {
    std::vector<std::int32_t> chain;
    for (std::int32_t at = id; at >= 0; at = entries_[static_cast<std::size_t>(at)].parent) {
      chain.push_back(at);
    }
    std::string out = "$";
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      const Entry& entry = entries_[static_cast<std::size_t>(*it)];
      if (entry.is_name) {
        AppendNormalizedName(out, entry.name);
      } else {
        out += '[';
        out += std::to_string(entry.index);
        out += ']';
      }
    }
    return out;
  }

 private:
  struct Entry {
    std::int32_t parent;
    std::string_view name;
    std::size_t index;
    bool is_name;
  };
  std::vector<Entry> entries_;
};

struct PathNode {
  const json::value* value;
  std::int32_t path;
};

using NodeList = JsonPath::NodeList;

bool EvalLogical(Context& ctx, const ast::LogicalExpr& expr, const json::value& current);
void EvalQuery(Context& ctx, const ast::Query& query, const json::value& current, NodeList& out);

// Applies segments to nodes. With kPaths each node carries its normalized path.
template <bool kPaths>
class Walker {
 public:
  using Node = std::conditional_t<kPaths, PathNode, const json::value*>;

  Walker(Context& ctx, PathArena* arena) : ctx_(ctx), arena_(arena) {}

  void Run(const ast::Query& query, Node start, std::vector<Node>& out) {
    out.clear();
    out.push_back(start);
    std::vector<Node> next;
    for (const ast::Segment& segment : query.segments) {
      next.clear();
      for (const Node& node : out) {
        ApplySegment(segment, node, next);
        if (ctx_.exhausted()) {
          out.clear();
          return;
        }
      }
      out.swap(next);
      if (out.empty()) return;
    }
  }

 private:
  static const json::value& ValueOf(const Node& node) {
    if constexpr (kPaths) {
      return *node.value;
    } else {
      return *node;
    }
  }

  Node Child(const Node& parent, const json::value& child, std::string_view name) {
    if constexpr (kPaths) {
      return {&child, arena_->AddName(parent.path, name)};
    } else {
      (void)parent;
      (void)name;
      return &child;
    }
  }

  Node Child(const Node& parent, const json::value& child, std::size_t index) {
    if constexpr (kPaths) {
      return {&child, arena_->AddIndex(parent.path, index)};
    } else {
      (void)parent;
      (void)index;
      return &child;
    }
  }

  void Emit(std::vector<Node>& out, Node node) {
    if (ctx_.Spend()) out.push_back(node);
  }

  void ApplySegment(const ast::Segment& segment, const Node& node, std::vector<Node>& out) {
    if (!segment.descendant) {
      for (const ast::Selector& selector : segment.selectors) ApplySelector(selector, node, out);
    } else {
      Descend(segment, node, out);
    }
  }

  // Descendant segment: the selectors applied to the node, then to each descendant, arrays in
  // index order and objects in member order (nodes before their descendants).
  void Descend(const ast::Segment& segment, const Node& node, std::vector<Node>& out) {
    for (const ast::Selector& selector : segment.selectors) ApplySelector(selector, node, out);
    if (!ctx_.Spend()) return;
    const json::value& value = ValueOf(node);
    if (const json::array* array = value.if_array()) {
      for (std::size_t i = 0; i < array->size() && !ctx_.exhausted(); ++i) {
        Descend(segment, Child(node, (*array)[i], i), out);
      }
    } else if (const json::object* object = value.if_object()) {
      for (const json::key_value_pair& member : *object) {
        if (ctx_.exhausted()) break;
        Descend(segment, Child(node, member.value(), std::string_view(member.key())), out);
      }
    }
  }

  void ApplySelector(const ast::Selector& selector, const Node& node, std::vector<Node>& out) {
    const json::value& value = ValueOf(node);
    switch (selector.kind) {
      case ast::SelectorKind::kName:
        if (const json::object* object = value.if_object()) {
          auto it = object->find(selector.name);
          if (it != object->end()) Emit(out, Child(node, it->value(), std::string_view(it->key())));
        }
        return;
      case ast::SelectorKind::kWildcard:
        if (const json::array* array = value.if_array()) {
          for (std::size_t i = 0; i < array->size(); ++i) Emit(out, Child(node, (*array)[i], i));
        } else if (const json::object* object = value.if_object()) {
          for (const json::key_value_pair& member : *object) {
            Emit(out, Child(node, member.value(), std::string_view(member.key())));
          }
        }
        return;
      case ast::SelectorKind::kIndex:
        if (const json::array* array = value.if_array()) {
          auto size = static_cast<std::int64_t>(array->size());
          std::int64_t i = selector.index >= 0 ? selector.index : size + selector.index;
          if (i >= 0 && i < size) {
            auto u = static_cast<std::size_t>(i);
            Emit(out, Child(node, (*array)[u], u));
          }
        }
        return;
      case ast::SelectorKind::kSlice:
        if (const json::array* array = value.if_array()) ApplySlice(selector, node, *array, out);
        return;
      case ast::SelectorKind::kFilter:
        if (const json::array* array = value.if_array()) {
          for (std::size_t i = 0; i < array->size() && !ctx_.exhausted(); ++i) {
            if (EvalLogical(ctx_, *selector.filter, (*array)[i])) {
              Emit(out, Child(node, (*array)[i], i));
            }
          }
        } else if (const json::object* object = value.if_object()) {
          for (const json::key_value_pair& member : *object) {
            if (ctx_.exhausted()) break;
            if (EvalLogical(ctx_, *selector.filter, member.value())) {
              Emit(out, Child(node, member.value(), std::string_view(member.key())));
            }
          }
        }
        return;
    }
  }

  // RFC 9535 §2.3.4.2.2. Bounds are within ±(2^53-1), so int64 arithmetic cannot overflow.
  void ApplySlice(const ast::Selector& selector, const Node& node, const json::array& array,
                  std::vector<Node>& out) {
    const std::int64_t len = static_cast<std::int64_t>(array.size());
    const std::int64_t step = selector.step;
    if (step == 0) return;
    auto normalize = [len](std::int64_t i) { return i >= 0 ? i : len + i; };
    if (step > 0) {
      std::int64_t start = selector.start ? normalize(*selector.start) : 0;
      std::int64_t end = selector.end ? normalize(*selector.end) : len;
      std::int64_t lower = std::min(std::max(start, std::int64_t{0}), len);
      std::int64_t upper = std::min(std::max(end, std::int64_t{0}), len);
      for (std::int64_t i = lower; i < upper && !ctx_.exhausted(); i += step) {
        auto u = static_cast<std::size_t>(i);
        Emit(out, Child(node, array[u], u));
      }
    } else {
      std::int64_t start = selector.start ? normalize(*selector.start) : len - 1;
      std::int64_t end = selector.end ? normalize(*selector.end) : -len - 1;
      std::int64_t upper = std::min(std::max(start, std::int64_t{-1}), len - 1);
      std::int64_t lower = std::min(std::max(end, std::int64_t{-1}), len - 1);
      for (std::int64_t i = upper; lower < i && !ctx_.exhausted(); i += step) {
        auto u = static_cast<std::size_t>(i);
        Emit(out, Child(node, array[u], u));
      }
    }
  }

  Context& ctx_;
  PathArena* arena_;
};

// --- filter expressions ------------------------------------------------------------------------

// A ValueType result: a node of the document or of the query, a computed number, or Nothing.
struct EvalValue {
  const json::value* ref = nullptr;
  json::value owned;
  bool has_owned = false;

  const json::value* get() const { return has_owned ? &owned : ref; }
};

// A singular query without allocating: the selected node or nullptr.
const json::value* EvalSingular(const Context& ctx, const ast::Query& query,
                                const json::value& current) {
  const json::value* value = query.absolute ? &ctx.root() : &current;
  for (const ast::Segment& segment : query.segments) {
    const ast::Selector& selector = segment.selectors.front();
    if (selector.kind == ast::SelectorKind::kName) {
      const json::object* object = value->if_object();
      if (object == nullptr) return nullptr;
      auto it = object->find(selector.name);
      if (it == object->end()) return nullptr;
      value = &it->value();
    } else {
      const json::array* array = value->if_array();
      if (array == nullptr) return nullptr;
      auto size = static_cast<std::int64_t>(array->size());
      std::int64_t i = selector.index >= 0 ? selector.index : size + selector.index;
      if (i < 0 || i >= size) return nullptr;
      value = &(*array)[static_cast<std::size_t>(i)];
    }
  }
  return value;
}

void EvalQuery(Context& ctx, const ast::Query& query, const json::value& current, NodeList& out) {
  if (query.singular) {
    out.clear();
    if (const json::value* value = EvalSingular(ctx, query, current)) out.push_back(value);
    return;
  }
  Walker<false> walker(ctx, nullptr);
  walker.Run(query, query.absolute ? &ctx.root() : &current, out);
}

bool QueryNonEmpty(Context& ctx, const ast::Query& query, const json::value& current) {
  if (query.singular) return EvalSingular(ctx, query, current) != nullptr;
  NodeList nodes;
  EvalQuery(ctx, query, current, nodes);
  return !nodes.empty();
}

// Compares an integer with a double exactly (no rounding of the integer to double).
template <typename Int>
int CompareIntDouble(Int i, double d) {
  constexpr double kUpper = std::is_signed_v<Int> ? 9223372036854775808.0 : 18446744073709551616.0;
  constexpr double kLower = std::is_signed_v<Int> ? -9223372036854775808.0 : 0.0;
  if (std::isnan(d)) return 1;  // unordered; only reachable for values built in code
  if (d >= kUpper) return -1;
  if (d < kLower) return 1;
  double whole = std::trunc(d);
  auto t = static_cast<Int>(whole);
  if (i < t) return -1;
  if (i > t) return 1;
  double frac = d - whole;
  if (frac > 0) return -1;
  if (frac < 0) return 1;
  return 0;
}

int CompareNumbers(const json::value& a, const json::value& b) {
  if (a.is_double() || b.is_double()) {
    if (a.is_double() && b.is_double()) {
      double x = a.get_double();
      double y = b.get_double();
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    if (a.is_double()) return -CompareNumbers(b, a);
    double d = b.get_double();
    return a.is_int64() ? CompareIntDouble(a.get_int64(), d) : CompareIntDouble(a.get_uint64(), d);
  }
  if (a.is_int64() && b.is_int64()) {
    return a.get_int64() < b.get_int64() ? -1 : (a.get_int64() > b.get_int64() ? 1 : 0);
  }
  if (a.is_uint64() && b.is_uint64()) {
    return a.get_uint64() < b.get_uint64() ? -1 : (a.get_uint64() > b.get_uint64() ? 1 : 0);
  }
  // One int64 and one uint64.
  if (a.is_int64()) {
    if (a.get_int64() < 0) return -1;
    auto x = static_cast<std::uint64_t>(a.get_int64());
    return x < b.get_uint64() ? -1 : (x > b.get_uint64() ? 1 : 0);
  }
  return -CompareNumbers(b, a);
}

bool DeepEqual(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) return CompareNumbers(a, b) == 0;
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case json::kind::null:
      return true;
    case json::kind::bool_:
      return a.get_bool() == b.get_bool();
    case json::kind::string:
      return a.get_string() == b.get_string();
    case json::kind::array: {
      const json::array& x = a.get_array();
      const json::array& y = b.get_array();
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (!DeepEqual(x[i], y[i])) return false;
      }
      return true;
    }
    case json::kind::object: {
      const json::object& x = a.get_object();
      const json::object& y = b.get_object();
      if (x.size() != y.size()) return false;
      for (const json::key_value_pair& member : x) {
        auto it = y.find(member.key());
        if (it == y.end() || !DeepEqual(member.value(), it->value())) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

// RFC 9535 §2.3.5.2.2: Nothing equals only Nothing; '<' is defined for numbers and strings only.
bool Equal(const json::value* a, const json::value* b) {
  if (a == nullptr || b == nullptr) return a == b;
  return DeepEqual(*a, *b);
}

bool Less(const json::value* a, const json::value* b) {
  if (a == nullptr || b == nullptr) return false;
  if (a->is_number() && b->is_number()) return CompareNumbers(*a, *b) < 0;
  if (a->is_string() && b->is_string()) {
    // Byte order of UTF-8 is code point order.
    return std::string_view(a->get_string()) < std::string_view(b->get_string());
  }
  return false;
}

EvalValue EvalOperandValue(Context& ctx, const ast::Operand& operand, const json::value& current);

bool EvalRegexFunction(Context& ctx, const ast::FunctionCall& call, const json::value& current) {
  EvalValue subject = EvalOperandValue(ctx, call.args[0], current);
  const json::value* text = subject.get();
  if (text == nullptr || !text->is_string()) return false;
  std::string_view input(text->get_string());
  bool full = call.id == ast::FunctionId::kMatch;
  if (call.literal_pattern) {
    if (!call.regex) return false;
    return full ? call.regex->FullMatch(input) : call.regex->PartialMatch(input);
  }
  EvalValue pattern_value = EvalOperandValue(ctx, call.args[1], current);
  const json::value* pattern = pattern_value.get();
  if (pattern == nullptr || !pattern->is_string()) return false;
  auto regex = IRegexp::Compile(std::string_view(pattern->get_string()));
  if (!regex) return false;  // not an I-Regexp: LogicalFalse
  return full ? regex->FullMatch(input) : regex->PartialMatch(input);
}

EvalValue EvalFunctionValue(Context& ctx, const ast::FunctionCall& call,
                            const json::value& current) {
  EvalValue result;
  switch (call.id) {
    case ast::FunctionId::kLength: {
      EvalValue arg = EvalOperandValue(ctx, call.args[0], current);
      const json::value* value = arg.get();
      if (value == nullptr) return result;
      std::size_t length = 0;
      if (value->is_string()) {
        length = CountCodePoints(std::string_view(value->get_string()));
      } else if (value->is_array()) {
        length = value->get_array().size();
      } else if (value->is_object()) {
        length = value->get_object().size();
      } else {
        return result;
      }
      result.owned = static_cast<std::int64_t>(length);
      result.has_owned = true;
      return result;
    }
    case ast::FunctionId::kCount: {
      const ast::Operand& arg = call.args[0];
      if (arg.kind != ast::Operand::Kind::kQuery) return result;
      NodeList nodes;
      EvalQuery(ctx, *arg.query, current, nodes);
      result.owned = static_cast<std::int64_t>(nodes.size());
      result.has_owned = true;
      return result;
    }
    case ast::FunctionId::kValue: {
      const ast::Operand& arg = call.args[0];
      if (arg.kind != ast::Operand::Kind::kQuery) return result;
      if (arg.query->singular) {
        result.ref = EvalSingular(ctx, *arg.query, current);
        return result;
      }
      NodeList nodes;
      EvalQuery(ctx, *arg.query, current, nodes);
      if (nodes.size() == 1) result.ref = nodes.front();
      return result;
    }
    case ast::FunctionId::kMatch:
    case ast::FunctionId::kSearch:
      break;  // LogicalType: never used as a value (rejected at parse time)
  }
  return result;
}

EvalValue EvalOperandValue(Context& ctx, const ast::Operand& operand, const json::value& current) {
  EvalValue result;
  switch (operand.kind) {
    case ast::Operand::Kind::kLiteral:
      result.ref = &operand.literal;
      break;
    case ast::Operand::Kind::kQuery:
      result.ref = EvalSingular(ctx, *operand.query, current);  // singular: checked at parse time
      break;
    case ast::Operand::Kind::kFunction:
      return EvalFunctionValue(ctx, *operand.function, current);
    case ast::Operand::Kind::kLogical:
      break;
  }
  return result;
}

// An operand in a LogicalType position (a test expression or a LogicalType argument).
bool EvalOperandLogical(Context& ctx, const ast::Operand& operand, const json::value& current) {
  switch (operand.kind) {
    case ast::Operand::Kind::kQuery:
      return QueryNonEmpty(ctx, *operand.query, current);
    case ast::Operand::Kind::kLogical:
      return EvalLogical(ctx, *operand.logical, current);
    case ast::Operand::Kind::kFunction: {
      const ast::FunctionCall& call = *operand.function;
      if (call.id == ast::FunctionId::kMatch || call.id == ast::FunctionId::kSearch) {
        return EvalRegexFunction(ctx, call, current);
      }
      return false;  // no built-in NodesType function
    }
    case ast::Operand::Kind::kLiteral:
      break;
  }
  return false;
}

bool EvalLogical(Context& ctx, const ast::LogicalExpr& expr, const json::value& current) {
  switch (expr.kind) {
    case ast::LogicalExpr::Kind::kOr:
      for (const ast::LogicalExpr& child : expr.children) {
        if (EvalLogical(ctx, child, current)) return true;
      }
      return false;
    case ast::LogicalExpr::Kind::kAnd:
      for (const ast::LogicalExpr& child : expr.children) {
        if (!EvalLogical(ctx, child, current)) return false;
      }
      return true;
    case ast::LogicalExpr::Kind::kNot:
      return !EvalLogical(ctx, expr.children.front(), current);
    case ast::LogicalExpr::Kind::kTest:
      return EvalOperandLogical(ctx, expr.lhs, current);
    case ast::LogicalExpr::Kind::kCompare: {
      EvalValue lhs = EvalOperandValue(ctx, expr.lhs, current);
      EvalValue rhs = EvalOperandValue(ctx, expr.rhs, current);
      const json::value* a = lhs.get();
      const json::value* b = rhs.get();
      switch (expr.op) {
        case ast::CompareOp::kEq:
          return Equal(a, b);
        case ast::CompareOp::kNe:
          return !Equal(a, b);
        case ast::CompareOp::kLt:
          return Less(a, b);
        case ast::CompareOp::kLe:
          return Less(a, b) || Equal(a, b);
        case ast::CompareOp::kGt:
          return Less(b, a);
        case ast::CompareOp::kGe:
          return Less(b, a) || Equal(a, b);
      }
      return false;
    }
  }
  return false;
}

}  // namespace

JsonPath::NodeList JsonPath::Evaluate(const json::value& root) const {
  Context ctx(root, std::numeric_limits<std::size_t>::max());
  NodeList out;
  EvalQuery(ctx, *query_, root, out);
  return out;
}

core::Result<JsonPath::NodeList> JsonPath::EvaluateBounded(const json::value& root,
                                                           std::size_t max_work) const {
  Context ctx(root, max_work);
  NodeList out;
  EvalQuery(ctx, *query_, root, out);
  if (ctx.exhausted()) {
    return core::Fail(
        core::ErrorCode::kPayloadTooLarge,
        "JSONPath " + text_ + " visits more than " + std::to_string(max_work) + " nodes");
  }
  return out;
}

std::vector<LocatedNode> JsonPath::EvaluateWithPaths(const json::value& root) const {
  Context ctx(root, std::numeric_limits<std::size_t>::max());
  PathArena arena;
  Walker<true> walker(ctx, &arena);
  std::vector<PathNode> nodes;
  walker.Run(*query_, PathNode{&root, -1}, nodes);
  std::vector<LocatedNode> out;
  out.reserve(nodes.size());
  for (const PathNode& node : nodes) out.push_back({arena.Render(node.path), node.value});
  return out;
}

const json::value* JsonPath::EvaluateFirst(const json::value& root) const {
  if (query_->singular) {
    Context ctx(root, std::numeric_limits<std::size_t>::max());
    return EvalSingular(ctx, *query_, root);
  }
  NodeList nodes = Evaluate(root);
  return nodes.empty() ? nullptr : nodes.front();
}

bool JsonPath::IsSingular() const { return query_->singular; }

void AppendNormalizedName(std::string& out, std::string_view name) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "['";
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\'':
        out += "\\'";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out += "']";
}

}  // namespace capstan::mapping
