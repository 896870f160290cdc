// The compiled form of a JSONPath query (internal to the mapping component): the syntax tree
// that json_path_parser.cpp builds and json_path.cpp evaluates.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "mapping/i_regexp.hpp"

namespace capstan::mapping::jsonpath_internal {

namespace json = boost::json;

struct LogicalExpr;

enum class SelectorKind { kName, kWildcard, kIndex, kSlice, kFilter };

struct Selector {
  SelectorKind kind = SelectorKind::kWildcard;
  std::string name;                     // kName
  std::int64_t index = 0;               // kIndex
  std::optional<std::int64_t> start;    // kSlice
  std::optional<std::int64_t> end;      // kSlice
  std::int64_t step = 1;                // kSlice
  std::unique_ptr<LogicalExpr> filter;  // kFilter
};

struct Segment {
  bool descendant = false;
  std::vector<Selector> selectors;
};

struct Query {
  bool absolute = true;  // "$..." rather than "@..."
  bool singular = true;
  std::vector<Segment> segments;
};

// The declared types of RFC 9535 §2.4.1.
enum class ExprType { kValue, kLogical, kNodes };

enum class FunctionId { kLength, kCount, kMatch, kSearch, kValue };

struct FunctionCall;

// A literal, a filter query, a function call or a logical expression: what can appear as a
// comparable, a test or a function argument.
struct Operand {
  enum class Kind { kLiteral, kQuery, kFunction, kLogical };
  Kind kind = Kind::kLiteral;
  json::value literal;
  std::unique_ptr<Query> query;
  std::unique_ptr<FunctionCall> function;
  std::unique_ptr<LogicalExpr> logical;
};

struct FunctionCall {
  FunctionId id = FunctionId::kLength;
  ExprType result = ExprType::kValue;
  std::vector<Operand> args;
  // match()/search() with a literal pattern: compiled once at parse time. When the literal is
  // not a valid I-Regexp, `regex` is empty and `literal_pattern` true: the result is always false.
  std::optional<IRegexp> regex;
  bool literal_pattern = false;
};

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe };

struct LogicalExpr {
  enum class Kind { kOr, kAnd, kNot, kCompare, kTest };
  Kind kind = Kind::kTest;
  std::vector<LogicalExpr> children;  // kOr, kAnd (two or more), kNot (one)
  CompareOp op = CompareOp::kEq;      // kCompare
  Operand lhs;                        // kCompare; kTest: the query or function tested
  Operand rhs;                        // kCompare
};

}  // namespace capstan::mapping::jsonpath_internal
