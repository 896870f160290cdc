#include "mapping/i_regexp.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include <re2/re2.h>

#include "mapping/utf8.hpp"

namespace capstan::mapping {
namespace {

constexpr int kMaxGroupDepth = 100;
// RE2 classes whose union is every assigned code point except the "Other" categories.
constexpr std::string_view kNonOther = "\\p{L}\\p{M}\\p{N}\\p{P}\\p{S}\\p{Z}";
// The assigned "Other" categories RE2 knows; RE2 has no Cn (unassigned).
constexpr std::string_view kAssignedOther = "\\p{Cc}\\p{Cf}\\p{Co}\\p{Cs}";

void AppendHexEscape(std::string& out, char32_t cp) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += "\\x{";
  bool started = false;
  for (int shift = 20; shift >= 0; shift -= 4) {
    auto digit = static_cast<unsigned>((cp >> shift) & 0xF);
    if (digit != 0 || started || shift == 0) {
      out.push_back(kHex[digit]);
      started = true;
    }
  }
  out.push_back('}');
}

bool IsAsciiAlnum(char32_t cp) {
  return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
}

// A character property: either a plain RE2 class body (like "\p{Lu}" or a union of them), or
// the complement of such a union (for \p{C} and \p{Cn}, which RE2 cannot name exactly).
struct Property {
  std::string classes;  // one or more \p{..} / \P{..} items, usable inside [...]
  bool is_union = false;
  bool complemented = false;
};

class Translator {
 public:
  explicit Translator(std::string_view pattern) : p_(pattern) {}

  core::Result<std::string> Run() {
    if (std::size_t bad = FindInvalidUtf8(p_); bad != std::string_view::npos) {
      return Error(bad, "invalid UTF-8");
    }
    CAPSTAN_RETURN_IF_ERROR(Alternation(0));
    if (pos_ < p_.size()) return Error(pos_, "unbalanced ')'");
    return std::move(out_);
  }

 private:
  tl::unexpected<core::Error> Error(std::size_t offset, std::string_view what) const {
    return core::Fail(
        core::ErrorCode::kInvalidArgument,
        "invalid I-Regexp at offset " + std::to_string(offset) + ": " + std::string(what));
  }

  bool AtEnd() const { return pos_ >= p_.size(); }
  char Peek() const { return p_[pos_]; }

  core::Status Alternation(int depth) {
    CAPSTAN_RETURN_IF_ERROR(Branch(depth));
    while (!AtEnd() && Peek() == '|') {
      ++pos_;
      out_.push_back('|');
      CAPSTAN_RETURN_IF_ERROR(Branch(depth));
    }
    return core::Ok();
  }

  core::Status Branch(int depth) {
    while (!AtEnd() && Peek() != '|' && Peek() != ')') {
      CAPSTAN_RETURN_IF_ERROR(Piece(depth));
    }
    return core::Ok();
  }

  core::Status Piece(int depth) {
    CAPSTAN_RETURN_IF_ERROR(Atom(depth));
    if (AtEnd()) return core::Ok();
    char c = Peek();
    if (c == '*' || c == '+' || c == '?') {
      out_.push_back(c);
      ++pos_;
    } else if (c == '{') {
      CAPSTAN_RETURN_IF_ERROR(RangeQuantifier());
    } else {
      return core::Ok();
    }
    if (!AtEnd() && (Peek() == '*' || Peek() == '+' || Peek() == '?' || Peek() == '{')) {
      return Error(pos_, "a quantifier cannot follow a quantifier");
    }
    return core::Ok();
  }

  core::Status RangeQuantifier() {
    std::size_t start = pos_;
    ++pos_;  // '{'
    auto digits = [&](std::uint64_t& value) {
      std::size_t begin = pos_;
      value = 0;
      while (!AtEnd() && Peek() >= '0' && Peek() <= '9') {
        value = std::min<std::uint64_t>(value * 10 + static_cast<std::uint64_t>(Peek() - '0'),
                                        1'000'000'000);
        ++pos_;
      }
      return pos_ > begin;
    };
    std::uint64_t low = 0;
    std::uint64_t high = 0;
    if (!digits(low)) return Error(pos_, "expected a number in '{...}'");
    bool has_high = false;
    if (!AtEnd() && Peek() == ',') {
      ++pos_;
      has_high = digits(high);
    }
    if (AtEnd() || Peek() != '}') return Error(pos_, "expected '}'");
    ++pos_;
    if (has_high && high < low) return Error(start, "quantifier range out of order");
    out_.append(p_.substr(start, pos_ - start));
    return core::Ok();
  }

  core::Status Atom(int depth) {
    std::size_t start = pos_;
    char c = Peek();
    switch (c) {
      case '(': {
        if (depth >= kMaxGroupDepth) return Error(pos_, "groups nested too deeply");
        ++pos_;
        out_ += "(?:";
        CAPSTAN_RETURN_IF_ERROR(Alternation(depth + 1));
        if (AtEnd() || Peek() != ')') return Error(pos_, "expected ')'");
        ++pos_;
        out_.push_back(')');
        return core::Ok();
      }
      case '.':
        ++pos_;
        out_ += "[^\\n\\r]";
        return core::Ok();
      case '[':
        return CharClassExpr();
      case '\\': {
        if (pos_ + 1 < p_.size() && (p_[pos_ + 1] == 'p' || p_[pos_ + 1] == 'P')) {
          CAPSTAN_ASSIGN_OR_RETURN(Property prop, CategoryEscape());
          if (prop.complemented) {
            out_ += "[^" + prop.classes + "]";
          } else if (prop.is_union) {
            out_ += "[" + prop.classes + "]";
          } else {
            out_ += prop.classes;
          }
          return core::Ok();
        }
        CAPSTAN_ASSIGN_OR_RETURN(char32_t cp, SingleCharEscape());
        AppendLiteral(cp);
        return core::Ok();
      }
      case '^':
      case '$':
        // Plain characters in RFC 9485's grammar, but the JSONPath compliance suite (and every
        // mainstream mapping) treats them as anchors; inside match() they are then no-ops.
        ++pos_;
        out_.push_back(c);
        return core::Ok();
      case '*':
      case '+':
      case '?':
      case '{':
        return Error(start, "quantifier without an atom");
      case ']':
      case '}':
        return Error(start, std::string("unescaped '") + c + "'");
      default: {
        char32_t cp = DecodeUtf8(p_, pos_);
        AppendLiteral(cp);
        return core::Ok();
      }
    }
  }

  void AppendLiteral(char32_t cp) {
    if (IsAsciiAlnum(cp) || cp >= 0x80) {
      AppendUtf8(out_, cp);
    } else if (cp < 0x20 || cp == 0x7F) {
      AppendHexEscape(out_, cp);
    } else if (cp == ' ') {
      out_.push_back(' ');
    } else {
      out_.push_back('\\');
      out_.push_back(static_cast<char>(cp));
    }
  }

  // SingleCharEsc after '\': one of ()*+,-.?[\]^{|} or n r t.
  core::Result<char32_t> SingleCharEscape() {
    std::size_t start = pos_;
    ++pos_;  // '\'
    if (AtEnd()) return Error(start, "trailing backslash");
    char c = Peek();
    ++pos_;
    switch (c) {
      case 'n':
        return U'\n';
      case 'r':
        return U'\r';
      case 't':
        return U'\t';
      case '(':
      case ')':
      case '*':
      case '+':
      case ',':
      case '-':
      case '.':
      case '?':
      case '[':
      case '\\':
      case ']':
      case '^':
      case '{':
      case '|':
      case '}':
        return static_cast<char32_t>(c);
      default:
        return Error(start,
                     "unsupported escape (I-Regexp allows only \\n \\r \\t, escaped "
                     "metacharacters and \\p{..}/\\P{..})");
    }
  }

  // \p{Prop} or \P{Prop}.
  core::Result<Property> CategoryEscape() {
    std::size_t start = pos_;
    bool negated = p_[pos_ + 1] == 'P';
    pos_ += 2;
    if (AtEnd() || Peek() != '{') return Error(pos_, "expected '{' after \\p");
    ++pos_;
    std::size_t name_start = pos_;
    while (!AtEnd() && Peek() != '}') ++pos_;
    if (AtEnd()) return Error(start, "unterminated \\p{...}");
    std::string_view name = p_.substr(name_start, pos_ - name_start);
    ++pos_;
    if (!IsCategory(name)) return Error(name_start, "unknown character category");
    Property prop;
    if (name == "C" || name == "Cn") {
      // RE2 has no Cn; write C and Cn via the categories it does have.
      std::string assigned(kNonOther);
      if (name == "Cn") assigned += kAssignedOther;
      prop.classes = assigned;
      prop.is_union = true;
      prop.complemented = !negated;
      return prop;
    }
    prop.classes = std::string(negated ? "\\P{" : "\\p{") + std::string(name) + "}";
    return prop;
  }

  static bool IsCategory(std::string_view name) {
    if (name.empty() || name.size() > 2) return false;
    std::string_view subs;
    switch (name[0]) {
      case 'L':
        subs = "lmotu";
        break;
      case 'M':
        subs = "cen";
        break;
      case 'N':
        subs = "dlo";
        break;
      case 'P':
        subs = "cdefios";
        break;
      case 'Z':
        subs = "lps";
        break;
      case 'S':
        subs = "ckmo";
        break;
      case 'C':
        subs = "cfno";
        break;
      default:
        return false;
    }
    return name.size() == 1 || subs.find(name[1]) != std::string_view::npos;
  }

  // CCchar: any code point but '-', '[', '\', ']' -- or a SingleCharEsc.
  core::Result<char32_t> ClassChar() {
    char c = Peek();
    if (c == '\\') return SingleCharEscape();
    if (c == '-' || c == '[' || c == ']') {
      return Error(pos_, std::string("unescaped '") + c + "' in a character class");
    }
    return DecodeUtf8(p_, pos_);
  }

  void AppendClassChar(std::string& out, char32_t cp) {
    if (IsAsciiAlnum(cp)) {
      out.push_back(static_cast<char>(cp));
    } else {
      AppendHexEscape(out, cp);
    }
  }

  core::Status CharClassExpr() {
    std::size_t start = pos_;
    ++pos_;  // '['
    bool negated = false;
    if (!AtEnd() && Peek() == '^') {
      negated = true;
      ++pos_;
    }
    std::string items;
    std::vector<std::string> complements;  // \p{C}/\p{Cn}: matched as [^...] alternatives
    bool first = true;
    while (true) {
      if (AtEnd()) return Error(start, "unterminated character class");
      char c = Peek();
      if (c == ']') {
        if (first) return Error(pos_, "empty character class");
        ++pos_;
        break;
      }
      if (c == '-') {
        if (first || (pos_ + 1 < p_.size() && p_[pos_ + 1] == ']')) {
          ++pos_;
          AppendHexEscape(items, U'-');
          first = false;
          continue;
        }
        return Error(pos_, "unescaped '-' in a character class");
      }
      first = false;
      if (c == '\\' && pos_ + 1 < p_.size() && (p_[pos_ + 1] == 'p' || p_[pos_ + 1] == 'P')) {
        CAPSTAN_ASSIGN_OR_RETURN(Property prop, CategoryEscape());
        if (prop.complemented) {
          complements.push_back(std::move(prop.classes));
        } else {
          items += prop.classes;
        }
        continue;
      }
      CAPSTAN_ASSIGN_OR_RETURN(char32_t low, ClassChar());
      if (!AtEnd() && Peek() == '-' && pos_ + 1 < p_.size() && p_[pos_ + 1] != ']') {
        std::size_t dash = pos_;
        ++pos_;
        CAPSTAN_ASSIGN_OR_RETURN(char32_t high, ClassChar());
        if (high < low) return Error(dash, "character range out of order");
        AppendClassChar(items, low);
        items.push_back('-');
        AppendClassChar(items, high);
      } else {
        AppendClassChar(items, low);
      }
    }
    if (complements.empty()) {
      out_ += negated ? "[^" : "[";
      out_ += items;
      out_.push_back(']');
      return core::Ok();
    }
    if (negated) {
      return Error(start, "\\p{C} or \\p{Cn} inside a negated class is not supported");
    }
    out_ += "(?:";
    bool need_bar = false;
    if (!items.empty()) {
      out_ += "[" + items + "]";
      need_bar = true;
    }
    for (const std::string& comp : complements) {
      if (need_bar) out_.push_back('|');
      out_ += "[^" + comp + "]";
      need_bar = true;
    }
    out_.push_back(')');
    return core::Ok();
  }

  std::string_view p_;
  std::size_t pos_ = 0;
  std::string out_;
};

}  // namespace

core::Result<std::string> TranslateIRegexp(std::string_view pattern) {
  return Translator(pattern).Run();
}

core::Result<IRegexp> IRegexp::Compile(std::string_view pattern) {
  CAPSTAN_ASSIGN_OR_RETURN(std::string translated, TranslateIRegexp(pattern));
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingUTF8);
  options.set_log_errors(false);
  auto re = std::make_shared<const re2::RE2>(translated, options);
  if (!re->ok()) {
    return core::Fail(core::ErrorCode::kInvalidArgument,
                      "I-Regexp not supported by RE2: " + re->error());
  }
  return IRegexp(std::move(re));
}

bool IRegexp::FullMatch(std::string_view text) const {
  return RE2::FullMatch(re2::StringPiece(text.data(), text.size()), *re_);
}

bool IRegexp::PartialMatch(std::string_view text) const {
  return RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *re_);
}

}  // namespace capstan::mapping
