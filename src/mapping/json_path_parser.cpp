// JsonPath::Parse: a recursive-descent parser for the RFC 9535 grammar, with the well-typedness
// rules of function expressions (§2.4.3) checked while parsing.
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "mapping/json_path.hpp"
#include "mapping/json_path_ast.hpp"
#include "mapping/utf8.hpp"

namespace capstan::mapping {
namespace {

namespace ast = jsonpath_internal;

constexpr std::int64_t kMaxSafeInteger = (std::int64_t{1} << 53) - 1;  // I-JSON range
constexpr int kMaxNesting = 64;
constexpr std::size_t kMaxQuotedQuery = 160;

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsNameFirst(char c) { return IsAlpha(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80; }
bool IsNameChar(char c) { return IsNameFirst(c) || IsDigit(c); }
bool IsFunctionNameChar(char c) { return (c >= 'a' && c <= 'z') || c == '_' || IsDigit(c); }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

struct FunctionSignature {
  std::string_view name;
  ast::FunctionId id;
  ast::ExprType result;
  std::vector<ast::ExprType> params;
};

const FunctionSignature* FindFunction(std::string_view name) {
  using T = ast::ExprType;
  static const FunctionSignature kFunctions[] = {
      {"length", ast::FunctionId::kLength, T::kValue, {T::kValue}},
      {"count", ast::FunctionId::kCount, T::kValue, {T::kNodes}},
      {"match", ast::FunctionId::kMatch, T::kLogical, {T::kValue, T::kValue}},
      {"search", ast::FunctionId::kSearch, T::kLogical, {T::kValue, T::kValue}},
      {"value", ast::FunctionId::kValue, T::kValue, {T::kNodes}},
  };
  for (const FunctionSignature& f : kFunctions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string_view TypeName(ast::ExprType type) {
  switch (type) {
    case ast::ExprType::kValue:
      return "ValueType";
    case ast::ExprType::kLogical:
      return "LogicalType";
    case ast::ExprType::kNodes:
      return "NodesType";
  }
  return "?";
}

class Parser {
 public:
  Parser(std::string_view text, bool lenient) : full_(text), text_(text), lenient_(lenient) {
    if (lenient_) {
      while (!text_.empty() && IsBlank(text_.front())) {
        text_.remove_prefix(1);
        ++base_;
      }
      while (!text_.empty() && IsBlank(text_.back())) text_.remove_suffix(1);
    }
  }

  core::Result<std::unique_ptr<ast::Query>> Run() {
    if (std::size_t bad = FindInvalidUtf8(text_); bad != std::string_view::npos) {
      return Error(bad, "invalid UTF-8");
    }
    if (AtEnd() || Peek() != '$') return Error(pos_, "a query must start with '$'");
    auto query = std::make_unique<ast::Query>();
    ++pos_;
    if (lenient_ && text_.substr(pos_) == ".") {  // Jayway's "$." is the root
      ++pos_;
      return query;
    }
    CAPSTAN_RETURN_IF_ERROR(ParseSegments(*query));
    if (!AtEnd()) {
      return Error(pos_, IsBlank(Peek()) ? "whitespace is not allowed at the end of a query"
                                         : "unexpected character");
    }
    return query;
  }

 private:
  // Counts nesting on entry to a recursive production and fails beyond kMaxNesting.
  class DepthGuard {
   public:
    explicit DepthGuard(int& depth) : depth_(++depth) {}
    ~DepthGuard() { --depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;
    bool TooDeep() const { return depth_ > kMaxNesting; }

   private:
    int& depth_;
  };

  tl::unexpected<core::Error> Error(std::size_t offset, std::string_view what) const {
    std::string message = "invalid JSONPath ";
    if (full_.size() <= kMaxQuotedQuery) {
      message += '"';
      message += full_;
      message += "\" ";
    }
    message += "at offset " + std::to_string(offset + base_) + ": " + std::string(what);
    return core::Fail(core::ErrorCode::kInvalidArgument, std::move(message));
  }

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }
  char PeekAt(std::size_t k) const { return pos_ + k < text_.size() ? text_[pos_ + k] : '\0'; }
  void SkipBlanks() {
    while (!AtEnd() && IsBlank(Peek())) ++pos_;
  }
  bool Consume(char c) {
    if (!AtEnd() && Peek() == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool ConsumeWord(std::string_view word) {
    if (text_.substr(pos_, word.size()) == word) {
      pos_ += word.size();
      return true;
    }
    return false;
  }

  // --- queries and segments -------------------------------------------------------------------

  core::Status ParseSegments(ast::Query& query) {
    while (true) {
      std::size_t save = pos_;
      SkipBlanks();
      if (AtEnd() || (Peek() != '[' && Peek() != '.')) {
        pos_ = save;
        return core::Ok();
      }
      ast::Segment segment;
      if (Peek() == '[') {
        CAPSTAN_RETURN_IF_ERROR(ParseBracketed(segment));
      } else if (PeekAt(1) == '.') {
        pos_ += 2;
        segment.descendant = true;
        if (AtEnd()) return Error(pos_, "expected '[', '*' or a member name after '..'");
        if (Peek() == '[') {
          CAPSTAN_RETURN_IF_ERROR(ParseBracketed(segment));
        } else {
          CAPSTAN_RETURN_IF_ERROR(ParseDotSelector(segment, ".."));
        }
      } else {
        ++pos_;
        if (lenient_ && !AtEnd() && Peek() == '[') {  // Jayway's "$.['a']"
          CAPSTAN_RETURN_IF_ERROR(ParseBracketed(segment));
        } else {
          CAPSTAN_RETURN_IF_ERROR(ParseDotSelector(segment, "."));
        }
      }
      if (segment.descendant || segment.selectors.size() != 1 ||
          (segment.selectors[0].kind != ast::SelectorKind::kName &&
           segment.selectors[0].kind != ast::SelectorKind::kIndex)) {
        query.singular = false;
      }
      query.segments.push_back(std::move(segment));
    }
  }

  // After "." or "..": a wildcard or a member-name shorthand.
  core::Status ParseDotSelector(ast::Segment& segment, std::string_view after) {
    ast::Selector selector;
    if (Consume('*')) {
      selector.kind = ast::SelectorKind::kWildcard;
    } else if (!AtEnd() && IsNameFirst(Peek())) {
      std::size_t start = pos_;
      // Lenient: Jayway also takes '-' inside a shorthand name ("$.get-ship.imo", step names).
      while (!AtEnd() && (IsNameChar(Peek()) || (lenient_ && Peek() == '-'))) ++pos_;
      selector.kind = ast::SelectorKind::kName;
      selector.name = std::string(text_.substr(start, pos_ - start));
    } else {
      return Error(pos_, "expected '*' or a member name after '" + std::string(after) + "'" +
                             (after == "." ? "" : " (or '[')"));
    }
    segment.selectors.push_back(std::move(selector));
    return core::Ok();
  }

  core::Status ParseBracketed(ast::Segment& segment) {
    std::size_t open = pos_;
    ++pos_;  // '['
    SkipBlanks();
    while (true) {
      if (AtEnd()) return Error(open, "unterminated '['");
      CAPSTAN_ASSIGN_OR_RETURN(ast::Selector selector, ParseSelector());
      segment.selectors.push_back(std::move(selector));
      SkipBlanks();
      if (Consume(']')) return core::Ok();
      if (AtEnd()) return Error(open, "unterminated '['");
      if (!Consume(',')) return Error(pos_, "expected ',' or ']'");
      SkipBlanks();
    }
  }

  core::Result<ast::Selector> ParseSelector() {
    ast::Selector selector;
    char c = Peek();
    if (c == '\'' || c == '"') {
      selector.kind = ast::SelectorKind::kName;
      CAPSTAN_ASSIGN_OR_RETURN(selector.name, ParseStringLiteral());
      return selector;
    }
    if (c == '*') {
      ++pos_;
      selector.kind = ast::SelectorKind::kWildcard;
      return selector;
    }
    if (c == '?') {
      ++pos_;
      SkipBlanks();
      selector.kind = ast::SelectorKind::kFilter;
      CAPSTAN_ASSIGN_OR_RETURN(ast::LogicalExpr expr, ParseLogicalOr(std::nullopt));
      selector.filter = std::make_unique<ast::LogicalExpr>(std::move(expr));
      return selector;
    }
    if (c == '-' || IsDigit(c) || c == ':') {
      std::optional<std::int64_t> start;
      if (c != ':') {
        CAPSTAN_ASSIGN_OR_RETURN(start, ParseInteger());
      }
      std::size_t save = pos_;
      SkipBlanks();
      if (!Consume(':')) {
        pos_ = save;
        selector.kind = ast::SelectorKind::kIndex;
        selector.index = *start;
        return selector;
      }
      selector.kind = ast::SelectorKind::kSlice;
      selector.start = start;
      SkipBlanks();
      if (!AtEnd() && (Peek() == '-' || IsDigit(Peek()))) {
        CAPSTAN_ASSIGN_OR_RETURN(selector.end, ParseInteger());
        SkipBlanks();
      }
      if (Consume(':')) {
        SkipBlanks();
        if (!AtEnd() && (Peek() == '-' || IsDigit(Peek()))) {
          CAPSTAN_ASSIGN_OR_RETURN(selector.step, ParseInteger());
        }
      }
      return selector;
    }
    return Error(pos_, "expected a selector (a quoted name, '*', an index, a slice or '?')");
  }

  // int = "0" / ["-"] DIGIT1 *DIGIT, within the I-JSON range.
  core::Result<std::int64_t> ParseInteger() {
    std::size_t start = pos_;
    bool negative = Consume('-');
    if (AtEnd() || !IsDigit(Peek())) return Error(pos_, "expected a digit");
    if (Peek() == '0') {
      ++pos_;
      if (negative) return Error(start, "-0 is not a valid index");
      if (!AtEnd() && IsDigit(Peek())) return Error(start, "leading zeros are not allowed");
      return 0;
    }
    std::int64_t value = 0;
    while (!AtEnd() && IsDigit(Peek())) {
      value = value * 10 + (Peek() - '0');
      if (value > kMaxSafeInteger) {
        return Error(start, "integer outside the I-JSON range [-(2^53)+1, (2^53)-1]");
      }
      ++pos_;
    }
    return negative ? -value : value;
  }

  core::Result<std::string> ParseStringLiteral() {
    std::size_t start = pos_;
    char quote = Peek();
    ++pos_;
    std::string out;
    while (true) {
      if (AtEnd()) return Error(start, "unterminated string literal");
      char c = Peek();
      if (c == quote) {
        ++pos_;
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        return Error(pos_, "control character in a string literal (escape it)");
      }
      if (c != '\\') {
        out.push_back(c);
        ++pos_;
        continue;
      }
      std::size_t escape = pos_;
      ++pos_;
      if (AtEnd()) return Error(start, "unterminated string literal");
      char e = Peek();
      ++pos_;
      switch (e) {
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case '/':
        case '\\':
          out.push_back(e);
          break;
        case '\'':
        case '"':
          if (e != quote) return Error(escape, std::string("invalid escape \\") + e);
          out.push_back(e);
          break;
        case 'u': {
          CAPSTAN_ASSIGN_OR_RETURN(char32_t cp, ParseHex4(escape));
          if (cp >= 0xDC00 && cp <= 0xDFFF) return Error(escape, "lone low surrogate");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (!ConsumeWord("\\u")) return Error(escape, "high surrogate without a low one");
            CAPSTAN_ASSIGN_OR_RETURN(char32_t low, ParseHex4(escape));
            if (low < 0xDC00 || low > 0xDFFF) {
              return Error(escape, "high surrogate without a low one");
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          AppendUtf8(out, cp);
          break;
        }
        default:
          return Error(escape, std::string("invalid escape \\") + e);
      }
    }
  }

  core::Result<char32_t> ParseHex4(std::size_t escape) {
    char32_t cp = 0;
    for (int i = 0; i < 4; ++i) {
      int h = AtEnd() ? -1 : HexValue(Peek());
      if (h < 0) return Error(escape, "\\u needs four hex digits");
      cp = cp * 16 + static_cast<char32_t>(h);
      ++pos_;
    }
    return cp;
  }

  // --- filter expressions --------------------------------------------------------------------

  // logical-or-expr; `first` is an already parsed primary that starts the expression.
  core::Result<ast::LogicalExpr> ParseLogicalOr(std::optional<ast::Operand> first) {
    DepthGuard guard(depth_);
    if (guard.TooDeep()) return Error(pos_, "expression nested too deeply");
    CAPSTAN_ASSIGN_OR_RETURN(ast::LogicalExpr lhs, ParseLogicalAnd(std::move(first)));
    ast::LogicalExpr result;
    result.kind = ast::LogicalExpr::Kind::kOr;
    result.children.push_back(std::move(lhs));
    while (true) {
      std::size_t save = pos_;
      SkipBlanks();
      if (!ConsumeWord("||")) {
        pos_ = save;
        break;
      }
      SkipBlanks();
      CAPSTAN_ASSIGN_OR_RETURN(ast::LogicalExpr rhs, ParseLogicalAnd(std::nullopt));
      result.children.push_back(std::move(rhs));
    }
    if (result.children.size() == 1) return std::move(result.children[0]);
    return result;
  }

  core::Result<ast::LogicalExpr> ParseLogicalAnd(std::optional<ast::Operand> first) {
    CAPSTAN_ASSIGN_OR_RETURN(ast::LogicalExpr lhs, ParseBasic(std::move(first)));
    ast::LogicalExpr result;
    result.kind = ast::LogicalExpr::Kind::kAnd;
    result.children.push_back(std::move(lhs));
    while (true) {
      std::size_t save = pos_;
      SkipBlanks();
      if (!ConsumeWord("&&")) {
        pos_ = save;
        break;
      }
      SkipBlanks();
      CAPSTAN_ASSIGN_OR_RETURN(ast::LogicalExpr rhs, ParseBasic(std::nullopt));
      result.children.push_back(std::move(rhs));
    }
    if (result.children.size() == 1) return std::move(result.children[0]);
    return result;
  }

  // basic-expr: paren-expr / comparison-expr / test-expr.
  core::Result<ast::LogicalExpr> ParseBasic(std::optional<ast::Operand> first) {
    if (!first) {
      if (AtEnd()) return Error(pos_, "expected an expression");
      if (Peek() == '!') {
        ++pos_;
        SkipBlanks();
        ast::LogicalExpr negated;
        negated.kind = ast::LogicalExpr::Kind::kNot;
        if (!AtEnd() && Peek() == '(') {
          CAPSTAN_ASSIGN_OR_RETURN(ast::LogicalExpr inner, ParseParen());
          negated.children.push_back(std::move(inner));
          return negated;
        }
        std::size_t start = pos_;
        CAPSTAN_ASSIGN_OR_RETURN(ast::Operand operand, ParsePrimary());
        CAPSTAN_RETURN_IF_ERROR(CheckTestable(operand, start));
        std::size_t save = pos_;
        SkipBlanks();
        if (PeekComparison()) {
          return Error(pos_, "'!' applies to the test before this comparison; use !(a == b)");
        }
        pos_ = save;
        ast::LogicalExpr test;
        test.kind = ast::LogicalExpr::Kind::kTest;
        test.lhs = std::move(operand);
        negated.children.push_back(std::move(test));
        return negated;
      }
      if (Peek() == '(') return ParseParen();
    }
    std::size_t start = pos_;
    ast::Operand lhs;
    if (first) {
      lhs = std::move(*first);
      start = first_offset_;
    } else {
      CAPSTAN_ASSIGN_OR_RETURN(lhs, ParsePrimary());
    }
    std::size_t save = pos_;
    SkipBlanks();
    if (std::optional<ast::CompareOp> op = ConsumeComparison()) {
      CAPSTAN_RETURN_IF_ERROR(CheckComparable(lhs, start));
      SkipBlanks();
      std::size_t rhs_start = pos_;
      CAPSTAN_ASSIGN_OR_RETURN(ast::Operand rhs, ParsePrimary());
      CAPSTAN_RETURN_IF_ERROR(CheckComparable(rhs, rhs_start));
      ast::LogicalExpr compare;
      compare.kind = ast::LogicalExpr::Kind::kCompare;
      compare.op = *op;
      compare.lhs = std::move(lhs);
      compare.rhs = std::move(rhs);
      return compare;
    }
    pos_ = save;
    CAPSTAN_RETURN_IF_ERROR(CheckTestable(lhs, start));
    ast::LogicalExpr test;
    test.kind = ast::LogicalExpr::Kind::kTest;
    test.lhs = std::move(lhs);
    return test;
  }

  core::Result<ast::LogicalExpr> ParseParen() {
    std::size_t open = pos_;
    ++pos_;  // '('
    SkipBlanks();
    CAPSTAN_ASSIGN_OR_RETURN(ast::LogicalExpr inner, ParseLogicalOr(std::nullopt));
    SkipBlanks();
    if (!Consume(')')) return Error(AtEnd() ? open : pos_, "expected ')'");
    return inner;
  }

  bool PeekComparison() const {
    char c = AtEnd() ? '\0' : Peek();
    return c == '<' || c == '>' || ((c == '=' || c == '!') && PeekAt(1) == '=');
  }

  std::optional<ast::CompareOp> ConsumeComparison() {
    if (ConsumeWord("==")) return ast::CompareOp::kEq;
    if (ConsumeWord("!=")) return ast::CompareOp::kNe;
    if (ConsumeWord("<=")) return ast::CompareOp::kLe;
    if (ConsumeWord(">=")) return ast::CompareOp::kGe;
    if (ConsumeWord("<")) return ast::CompareOp::kLt;
    if (ConsumeWord(">")) return ast::CompareOp::kGt;
    return std::nullopt;
  }

  core::Status CheckComparable(const ast::Operand& operand, std::size_t offset) const {
    switch (operand.kind) {
      case ast::Operand::Kind::kLiteral:
        return core::Ok();
      case ast::Operand::Kind::kQuery:
        if (operand.query->singular) return core::Ok();
        return Error(offset, "a query that can select several nodes cannot be compared");
      case ast::Operand::Kind::kFunction:
        if (operand.function->result == ast::ExprType::kValue) return core::Ok();
        return Error(offset, "the result of this function is not a value and cannot be compared");
      case ast::Operand::Kind::kLogical:
        break;
    }
    return Error(offset, "a logical expression cannot be compared");
  }

  core::Status CheckTestable(const ast::Operand& operand, std::size_t offset) const {
    switch (operand.kind) {
      case ast::Operand::Kind::kLiteral:
        return Error(offset, "a literal cannot be used as a test; compare it");
      case ast::Operand::Kind::kQuery:
      case ast::Operand::Kind::kLogical:
        return core::Ok();
      case ast::Operand::Kind::kFunction:
        if (operand.function->result != ast::ExprType::kValue) return core::Ok();
        return Error(offset, "the result of this function is a value; compare it instead");
    }
    return core::Ok();
  }

  // A literal, a filter query (@... or $...) or a function call.
  core::Result<ast::Operand> ParsePrimary() {
    DepthGuard guard(depth_);
    if (guard.TooDeep()) return Error(pos_, "expression nested too deeply");
    if (AtEnd()) return Error(pos_, "expected a literal, a query or a function call");
    first_offset_ = pos_;
    ast::Operand operand;
    char c = Peek();
    if (c == '@' || c == '$') {
      auto query = std::make_unique<ast::Query>();
      query->absolute = c == '$';
      ++pos_;
      CAPSTAN_RETURN_IF_ERROR(ParseSegments(*query));
      operand.kind = ast::Operand::Kind::kQuery;
      operand.query = std::move(query);
      return operand;
    }
    if (c == '\'' || c == '"') {
      CAPSTAN_ASSIGN_OR_RETURN(std::string text, ParseStringLiteral());
      operand.literal = json::value(json::string_view(text.data(), text.size()));
      return operand;
    }
    if (c == '-' || IsDigit(c)) {
      CAPSTAN_ASSIGN_OR_RETURN(operand.literal, ParseNumber());
      return operand;
    }
    if (c >= 'a' && c <= 'z') {
      std::size_t start = pos_;
      while (!AtEnd() && IsFunctionNameChar(Peek())) ++pos_;
      std::string_view name = text_.substr(start, pos_ - start);
      if (!AtEnd() && Peek() == '(') return ParseFunction(name, start);
      if (name == "true" || name == "false") {
        operand.literal = json::value(name == "true");
        return operand;
      }
      if (name == "null") {
        operand.literal = json::value(nullptr);
        return operand;
      }
      if (FindFunction(name) != nullptr) {
        return Error(pos_, "expected '(' directly after the function name");
      }
      return Error(start, "unknown name '" + std::string(name) + "'");
    }
    return Error(pos_, "expected a literal, a query or a function call");
  }

  // number = (int / "-0") [ frac ] [ exp ]
  core::Result<json::value> ParseNumber() {
    std::size_t start = pos_;
    Consume('-');
    if (AtEnd() || !IsDigit(Peek())) return Error(pos_, "expected a digit");
    if (Peek() == '0') {
      ++pos_;
      if (!AtEnd() && IsDigit(Peek())) return Error(start, "leading zeros are not allowed");
    } else {
      while (!AtEnd() && IsDigit(Peek())) ++pos_;
    }
    bool integral = true;
    if (Consume('.')) {
      integral = false;
      if (AtEnd() || !IsDigit(Peek())) return Error(pos_, "expected a digit after '.'");
      while (!AtEnd() && IsDigit(Peek())) ++pos_;
    }
    bool negative_exponent = false;
    if (!AtEnd() && (Peek() == 'e' || Peek() == 'E')) {
      integral = false;
      ++pos_;
      if (!AtEnd() && (Peek() == '+' || Peek() == '-')) {
        negative_exponent = Peek() == '-';
        ++pos_;
      }
      if (AtEnd() || !IsDigit(Peek())) return Error(pos_, "expected a digit in the exponent");
      while (!AtEnd() && IsDigit(Peek())) ++pos_;
    }
    std::string_view digits = text_.substr(start, pos_ - start);
    const char* first = digits.data();
    const char* last = first + digits.size();
    if (integral) {
      std::int64_t i = 0;
      auto [ptr, ec] = std::from_chars(first, last, i);
      if (ec == std::errc() && ptr == last) return json::value(i);
    }
    double d = 0;
    auto [ptr, ec] = std::from_chars(first, last, d, std::chars_format::general);
    if (ec == std::errc::result_out_of_range) {
      bool negative = digits.front() == '-';
      // Overflow saturates to infinity and underflow to zero: the comparison still orders right.
      d = negative_exponent ? 0.0 : std::numeric_limits<double>::infinity();
      if (negative) d = -d;
    } else if (ec != std::errc() || ptr != last) {
      return Error(start, "invalid number");
    }
    return json::value(d);
  }

  core::Result<ast::Operand> ParseFunction(std::string_view name, std::size_t start) {
    const FunctionSignature* signature = FindFunction(name);
    if (signature == nullptr) return Error(start, "unknown function '" + std::string(name) + "'");
    ++pos_;  // '('
    SkipBlanks();
    auto call = std::make_unique<ast::FunctionCall>();
    call->id = signature->id;
    call->result = signature->result;
    std::vector<std::size_t> offsets;
    if (!Consume(')')) {
      while (true) {
        offsets.push_back(pos_);
        CAPSTAN_ASSIGN_OR_RETURN(ast::Operand arg, ParseFunctionArgument());
        call->args.push_back(std::move(arg));
        SkipBlanks();
        if (Consume(')')) break;
        if (AtEnd()) return Error(start, "unterminated function call");
        if (!Consume(',')) return Error(pos_, "expected ',' or ')'");
        SkipBlanks();
      }
    }
    if (call->args.size() != signature->params.size()) {
      return Error(start, std::string(name) + "() takes " +
                              std::to_string(signature->params.size()) + " argument(s), not " +
                              std::to_string(call->args.size()));
    }
    for (std::size_t i = 0; i < call->args.size(); ++i) {
      CAPSTAN_RETURN_IF_ERROR(CheckArgument(call->args[i], signature->params[i], offsets[i], name));
    }
    if ((call->id == ast::FunctionId::kMatch || call->id == ast::FunctionId::kSearch) &&
        call->args[1].kind == ast::Operand::Kind::kLiteral) {
      call->literal_pattern = true;
      const json::value& pattern = call->args[1].literal;
      if (pattern.is_string()) {
        auto regex = IRegexp::Compile(std::string_view(pattern.get_string()));
        if (regex) call->regex = std::move(*regex);  // an invalid I-Regexp never matches
      }
    }
    ast::Operand operand;
    operand.kind = ast::Operand::Kind::kFunction;
    operand.function = std::move(call);
    return operand;
  }

  core::Result<ast::Operand> ParseFunctionArgument() {
    if (AtEnd()) return Error(pos_, "expected a function argument");
    if (Peek() == '!' || Peek() == '(') {
      CAPSTAN_ASSIGN_OR_RETURN(ast::LogicalExpr expr, ParseLogicalOr(std::nullopt));
      return LogicalOperand(std::move(expr));
    }
    std::size_t start = pos_;
    CAPSTAN_ASSIGN_OR_RETURN(ast::Operand primary, ParsePrimary());
    std::size_t save = pos_;
    SkipBlanks();
    if (AtEnd() || Peek() == ',' || Peek() == ')') {
      pos_ = save;
      return primary;
    }
    pos_ = save;
    first_offset_ = start;
    CAPSTAN_ASSIGN_OR_RETURN(ast::LogicalExpr expr, ParseLogicalOr(std::move(primary)));
    return LogicalOperand(std::move(expr));
  }

  static ast::Operand LogicalOperand(ast::LogicalExpr expr) {
    ast::Operand operand;
    operand.kind = ast::Operand::Kind::kLogical;
    operand.logical = std::make_unique<ast::LogicalExpr>(std::move(expr));
    return operand;
  }

  core::Status CheckArgument(const ast::Operand& arg, ast::ExprType param, std::size_t offset,
                             std::string_view function) const {
    bool ok = false;
    switch (param) {
      case ast::ExprType::kValue:
        ok = arg.kind == ast::Operand::Kind::kLiteral ||
             (arg.kind == ast::Operand::Kind::kQuery && arg.query->singular) ||
             (arg.kind == ast::Operand::Kind::kFunction &&
              arg.function->result == ast::ExprType::kValue);
        break;
      case ast::ExprType::kNodes:
        ok = arg.kind == ast::Operand::Kind::kQuery ||
             (arg.kind == ast::Operand::Kind::kFunction &&
              arg.function->result == ast::ExprType::kNodes);
        break;
      case ast::ExprType::kLogical:
        ok = arg.kind == ast::Operand::Kind::kLogical || arg.kind == ast::Operand::Kind::kQuery ||
             (arg.kind == ast::Operand::Kind::kFunction &&
              arg.function->result != ast::ExprType::kValue);
        break;
    }
    if (ok) return core::Ok();
    std::string what =
        "argument of " + std::string(function) + "() must be of " + std::string(TypeName(param));
    if (param == ast::ExprType::kValue && arg.kind == ast::Operand::Kind::kQuery) {
      what += " (a singular query, a literal or a value function)";
    } else if (param == ast::ExprType::kNodes) {
      what += " (a query)";
    }
    return Error(offset, what);
  }

  std::string_view full_;
  std::string_view text_;
  std::size_t base_ = 0;  // offset of text_ within full_ (lenient trimming)
  bool lenient_;
  std::size_t pos_ = 0;
  std::size_t first_offset_ = 0;  // where the last primary started
  int depth_ = 0;
};

}  // namespace

core::Result<JsonPath> JsonPath::Parse(std::string_view text) {
  return Parse(text, JsonPathOptions{});
}

core::Result<JsonPath> JsonPath::ParseLenient(std::string_view text) {
  return Parse(text, JsonPathOptions{.lenient = true});
}

core::Result<JsonPath> JsonPath::Parse(std::string_view text, const JsonPathOptions& options) {
  CAPSTAN_ASSIGN_OR_RETURN(std::unique_ptr<ast::Query> query, Parser(text, options.lenient).Run());
  return JsonPath(std::string(text), std::shared_ptr<const ast::Query>(std::move(query)));
}

}  // namespace capstan::mapping
