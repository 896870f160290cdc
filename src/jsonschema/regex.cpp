#include "jsonschema/regex.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <re2/re2.h>

namespace capstan::jsonschema {
namespace {

using Ranges = std::vector<std::pair<char32_t, char32_t>>;

constexpr char32_t kMaxCodePoint = 0x10FFFF;
constexpr int kMaxRepeat = 1000;  // RE2's limit for {n,m}

// ECMA-262 WhiteSpace and LineTerminator: what \s matches.
const Ranges& WhitespaceRanges() {
  static const Ranges kRanges = {
      {0x09, 0x0D},     {0x20, 0x20},     {0xA0, 0xA0},     {0x1680, 0x1680}, {0x2000, 0x200A},
      {0x2028, 0x2029}, {0x202F, 0x202F}, {0x205F, 0x205F}, {0x3000, 0x3000}, {0xFEFF, 0xFEFF}};
  return kRanges;
}

Ranges Complement(const Ranges& sorted) {
  Ranges out;
  char32_t next = 0;
  for (const auto& [lo, hi] : sorted) {
    if (lo > next) out.emplace_back(next, lo - 1);
    next = hi + 1;
  }
  if (next <= kMaxCodePoint) out.emplace_back(next, kMaxCodePoint);
  return out;
}

void AppendHex(std::string& out, char32_t cp) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out += "\\x{";
  char buf[8];
  int n = 0;
  do {
    buf[n++] = kHex[cp & 15];
    cp >>= 4;
  } while (cp != 0);
  while (n > 0) out += buf[--n];
  out += '}';
}

bool IsAsciiAlnum(char32_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// One code point, written so that it is literal both inside and outside an RE2 class.
void AppendLiteral(std::string& out, char32_t cp) {
  if (IsAsciiAlnum(cp) || cp == '_') {
    out += static_cast<char>(cp);
  } else {
    AppendHex(out, cp);
  }
}

void AppendRanges(std::string& out, const Ranges& ranges) {
  for (const auto& [lo, hi] : ranges) {
    AppendLiteral(out, lo);
    if (hi != lo) {
      out += '-';
      AppendLiteral(out, hi);
    }
  }
}

// A character-set escape: either RE2 has a native spelling valid in and outside classes, or it
// is an explicit list of ranges (possibly negated).
struct CharSet {
  std::string native;
  Ranges ranges;
  bool negated = false;
};

// General_Category long names → the short names RE2 knows.
const char* GeneralCategoryShortName(std::string_view name) {
  static constexpr std::pair<std::string_view, const char*> kNames[] = {
      {"Letter", "L"},
      {"Uppercase_Letter", "Lu"},
      {"Lowercase_Letter", "Ll"},
      {"Titlecase_Letter", "Lt"},
      {"Modifier_Letter", "Lm"},
      {"Other_Letter", "Lo"},
      {"Mark", "M"},
      {"Combining_Mark", "M"},
      {"Nonspacing_Mark", "Mn"},
      {"Spacing_Mark", "Mc"},
      {"Enclosing_Mark", "Me"},
      {"Number", "N"},
      {"Decimal_Number", "Nd"},
      {"digit", "Nd"},
      {"Letter_Number", "Nl"},
      {"Other_Number", "No"},
      {"Punctuation", "P"},
      {"punct", "P"},
      {"Connector_Punctuation", "Pc"},
      {"Dash_Punctuation", "Pd"},
      {"Open_Punctuation", "Ps"},
      {"Close_Punctuation", "Pe"},
      {"Initial_Punctuation", "Pi"},
      {"Final_Punctuation", "Pf"},
      {"Other_Punctuation", "Po"},
      {"Symbol", "S"},
      {"Math_Symbol", "Sm"},
      {"Currency_Symbol", "Sc"},
      {"Modifier_Symbol", "Sk"},
      {"Other_Symbol", "So"},
      {"Separator", "Z"},
      {"Space_Separator", "Zs"},
      {"Line_Separator", "Zl"},
      {"Paragraph_Separator", "Zp"},
      {"Other", "C"},
      {"Control", "Cc"},
      {"cntrl", "Cc"},
      {"Format", "Cf"},
      {"Surrogate", "Cs"},
      {"Private_Use", "Co"},
      {"Unassigned", "Cn"},
  };
  for (const auto& [long_name, short_name] : kNames) {
    if (long_name == name) return short_name;
  }
  static constexpr std::string_view kShort[] = {
      "L",  "Lu", "Ll", "Lt", "Lm", "Lo", "M",  "Mn", "Mc", "Me", "N",  "Nd", "Nl",
      "No", "P",  "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "S",  "Sm", "Sc", "Sk",
      "So", "Z",  "Zs", "Zl", "Zp", "C",  "Cc", "Cf", "Cs", "Co", "Cn"};
  for (std::string_view s : kShort) {
    if (s == name) return s.data();
  }
  return nullptr;
}

class Translator {
 public:
  explicit Translator(std::string_view pattern) : p_(pattern) {}

  core::Result<std::string> Run() {
    while (i_ < p_.size() && error_.empty()) Term();
    if (!error_.empty()) {
      return core::Fail(core::ErrorCode::kInvalidArgument, error_);
    }
    if (depth_ != 0) {
      return core::Fail(core::ErrorCode::kInvalidArgument, "unbalanced '(' in regular expression");
    }
    return std::move(out_);
  }

 private:
  void SetError(std::string message) {
    if (error_.empty()) error_ = std::move(message) + " (offset " + std::to_string(i_) + ")";
  }

  // Decodes one UTF-8 code point at i_ (the input comes from a validated JSON string).
  char32_t NextCodePoint() {
    auto c = static_cast<unsigned char>(p_[i_++]);
    if (c < 0x80) return c;
    int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
    char32_t cp = c & (0x3F >> extra);
    for (int k = 0; k < extra && i_ < p_.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(p_[i_++]) & 0x3F);
    }
    return cp;
  }

  bool ParseHex(std::size_t count, char32_t& value) {
    if (i_ + count > p_.size()) return false;
    value = 0;
    for (std::size_t k = 0; k < count; ++k) {
      char c = p_[i_ + k];
      int digit = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1;
      if (digit < 0) return false;
      value = value * 16 + static_cast<char32_t>(digit);
    }
    i_ += count;
    return true;
  }

  // After "\u": XXXX, a surrogate pair \uXXXX\uXXXX, or {X...}.
  bool ParseUnicodeEscape(char32_t& cp) {
    if (i_ < p_.size() && p_[i_] == '{') {
      std::size_t close = p_.find('}', i_);
      if (close == std::string_view::npos || close == i_ + 1 || close - i_ - 1 > 6) return false;
      ++i_;
      if (!ParseHex(close - i_, cp)) return false;
      ++i_;
      return cp <= kMaxCodePoint;
    }
    if (!ParseHex(4, cp)) return false;
    if (cp >= 0xD800 && cp <= 0xDBFF && p_.substr(i_, 2) == "\\u") {
      std::size_t save = i_;
      i_ += 2;
      char32_t low = 0;
      if (ParseHex(4, low) && low >= 0xDC00 && low <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
      } else {
        i_ = save;
      }
    }
    return true;
  }

  bool ParseProperty(bool negated, CharSet& set) {
    if (i_ >= p_.size() || p_[i_] != '{') {
      SetError("\\p must be followed by {name}");
      return false;
    }
    std::size_t close = p_.find('}', i_);
    if (close == std::string_view::npos) {
      SetError("unterminated \\p{...}");
      return false;
    }
    std::string_view body = p_.substr(i_ + 1, close - i_ - 1);
    i_ = close + 1;
    std::string_view name;
    std::string_view value = body;
    if (std::size_t eq = body.find('='); eq != std::string_view::npos) {
      name = body.substr(0, eq);
      value = body.substr(eq + 1);
    }
    std::string re2_name;
    if (name.empty() || name == "General_Category" || name == "gc") {
      if (const char* gc = GeneralCategoryShortName(value)) {
        re2_name = gc;
      } else if (name.empty() && value == "Any") {
        set.ranges = {{0, kMaxCodePoint}};
        set.negated = negated;
        return true;
      } else if (name.empty() && value == "ASCII") {
        set.ranges = {{0, 0x7F}};
        set.negated = negated;
        return true;
      } else {
        SetError("unsupported Unicode property \\p{" + std::string(body) + "}");
        return false;
      }
    } else if (name == "Script" || name == "sc" || name == "Script_Extensions" || name == "scx") {
      re2_name.assign(value);
    } else {
      SetError("unsupported Unicode property \\p{" + std::string(body) + "}");
      return false;
    }
    set.native = negated ? "\\P{" : "\\p{";
    set.native += re2_name;
    set.native += '}';
    return true;
  }

  // Parses the escape after a backslash. Returns true with `set` filled for a character-set
  // escape, or with `cp` filled for a single character. `in_class` changes \b and \B.
  enum class EscapeKind { kChar, kSet, kAssertion, kError };
  EscapeKind ParseEscape(bool in_class, char32_t& cp, CharSet& set) {
    if (i_ >= p_.size()) {
      SetError("pattern ends with a backslash");
      return EscapeKind::kError;
    }
    char c = p_[i_];
    switch (c) {
      case 'd':
      case 'D':
      case 'w':
      case 'W':
        ++i_;
        set.native = std::string("\\") + c;
        return EscapeKind::kSet;
      case 's':
      case 'S':
        ++i_;
        set.ranges = WhitespaceRanges();
        set.negated = c == 'S';
        return EscapeKind::kSet;
      case 'p':
      case 'P':
        ++i_;
        return ParseProperty(c == 'P', set) ? EscapeKind::kSet : EscapeKind::kError;
      case 'b':
        ++i_;
        if (in_class) {
          cp = 0x08;
          return EscapeKind::kChar;
        }
        return EscapeKind::kAssertion;
      case 'B':
        ++i_;
        if (in_class) {
          SetError("\\B inside a character class");
          return EscapeKind::kError;
        }
        return EscapeKind::kAssertion;
      case 'n':
        ++i_;
        cp = '\n';
        return EscapeKind::kChar;
      case 'r':
        ++i_;
        cp = '\r';
        return EscapeKind::kChar;
      case 't':
        ++i_;
        cp = '\t';
        return EscapeKind::kChar;
      case 'f':
        ++i_;
        cp = '\f';
        return EscapeKind::kChar;
      case 'v':
        ++i_;
        cp = 0x0B;
        return EscapeKind::kChar;
      case '0':
        ++i_;
        if (i_ < p_.size() && p_[i_] >= '0' && p_[i_] <= '9') {
          SetError("octal escapes are not supported");
          return EscapeKind::kError;
        }
        cp = 0;
        return EscapeKind::kChar;
      case 'c': {
        if (i_ + 1 < p_.size() && std::isalpha(static_cast<unsigned char>(p_[i_ + 1])) != 0) {
          cp = static_cast<char32_t>(p_[i_ + 1] % 32);
          i_ += 2;
          return EscapeKind::kChar;
        }
        ++i_;
        cp = 'c';
        return EscapeKind::kChar;
      }
      case 'x': {
        ++i_;
        if (!ParseHex(2, cp)) cp = 'x';
        return EscapeKind::kChar;
      }
      case 'u': {
        ++i_;
        if (!ParseUnicodeEscape(cp)) {
          SetError("malformed \\u escape");
          return EscapeKind::kError;
        }
        return EscapeKind::kChar;
      }
      case 'k':
        if (i_ + 1 < p_.size() && p_[i_ + 1] == '<') {
          SetError("named backreferences are not supported by RE2");
          return EscapeKind::kError;
        }
        ++i_;
        cp = 'k';
        return EscapeKind::kChar;
      default:
        break;
    }
    if (c >= '1' && c <= '9') {
      SetError("backreferences are not supported by RE2");
      return EscapeKind::kError;
    }
    cp = NextCodePoint();  // identity escape: the character itself
    return EscapeKind::kChar;
  }

  void AppendSetOutsideClass(const CharSet& set) {
    if (!set.native.empty()) {
      out_ += set.native;
      return;
    }
    out_ += set.negated ? "[^" : "[";
    AppendRanges(out_, set.ranges);
    out_ += ']';
  }

  void AppendSetInsideClass(const CharSet& set) {
    if (!set.native.empty()) {
      out_ += set.native;
    } else {
      AppendRanges(out_, set.negated ? Complement(set.ranges) : set.ranges);
    }
  }

  // One class atom: a code point or a set. Returns false at the end of input or on error.
  bool ClassAtom(bool& is_set, char32_t& cp, CharSet& set) {
    if (i_ >= p_.size()) {
      SetError("unterminated character class");
      return false;
    }
    if (p_[i_] == '\\') {
      ++i_;
      EscapeKind kind = ParseEscape(true, cp, set);
      if (kind == EscapeKind::kError) return false;
      is_set = kind == EscapeKind::kSet;
      return true;
    }
    is_set = false;
    cp = NextCodePoint();
    return true;
  }

  void CharacterClass() {
    ++i_;  // '['
    bool negated = false;
    if (i_ < p_.size() && p_[i_] == '^') {
      negated = true;
      ++i_;
    }
    if (i_ < p_.size() && p_[i_] == ']') {  // ECMA: [] matches nothing, [^] anything
      ++i_;
      out_ += negated ? "[\\x{0}-\\x{10FFFF}]" : "[^\\x{0}-\\x{10FFFF}]";
      return;
    }
    out_ += negated ? "[^" : "[";
    while (true) {
      if (i_ >= p_.size()) {
        SetError("unterminated character class");
        return;
      }
      if (p_[i_] == ']') {
        ++i_;
        break;
      }
      bool is_set = false;
      char32_t cp = 0;
      CharSet set;
      if (!ClassAtom(is_set, cp, set)) return;
      // A range "a-b" needs a following '-' that is not the last character of the class.
      if (!is_set && i_ + 1 < p_.size() && p_[i_] == '-' && p_[i_ + 1] != ']') {
        std::size_t save = i_;
        ++i_;
        bool hi_is_set = false;
        char32_t hi = 0;
        CharSet hi_set;
        if (!ClassAtom(hi_is_set, hi, hi_set)) return;
        if (!hi_is_set) {
          if (hi < cp) {
            SetError("character class range out of order");
            return;
          }
          AppendLiteral(out_, cp);
          out_ += '-';
          AppendLiteral(out_, hi);
          continue;
        }
        i_ = save;  // Annex B: "a-\d" is 'a', '-', \d
      }
      if (is_set) {
        AppendSetInsideClass(set);
      } else {
        AppendLiteral(out_, cp);
      }
    }
    out_ += ']';
  }

  bool ParseCount(int& value) {
    std::size_t start = i_;
    long long v = 0;
    while (i_ < p_.size() && p_[i_] >= '0' && p_[i_] <= '9') {
      v = v * 10 + (p_[i_] - '0');
      if (v > 100000) v = 100000;
      ++i_;
    }
    value = static_cast<int>(v);
    return i_ > start;
  }

  // At '{': emits a quantifier if one is well formed, else a literal '{'.
  void Brace() {
    std::size_t start = i_;
    ++i_;
    int lo = 0;
    int hi = -1;
    bool ok = ParseCount(lo);
    if (ok && i_ < p_.size() && p_[i_] == ',') {
      ++i_;
      if (i_ < p_.size() && p_[i_] != '}') {
        ok = ParseCount(hi);
      } else {
        hi = -2;  // unbounded
      }
    } else {
      hi = lo;
    }
    if (!ok || i_ >= p_.size() || p_[i_] != '}') {
      i_ = start + 1;
      out_ += "\\{";
      return;
    }
    ++i_;
    if (lo > kMaxRepeat || hi > kMaxRepeat) {
      SetError("repetition count above 1000 is not supported by RE2");
      return;
    }
    if (hi >= 0 && hi < lo) {
      SetError("numbers out of order in {} quantifier");
      return;
    }
    out_.append(p_.substr(start, i_ - start));
  }

  void Group() {
    ++i_;  // '('
    if (p_.substr(i_, 2) == "?:") {
      i_ += 2;
      out_ += "(?:";
    } else if (p_.substr(i_, 2) == "?=" || p_.substr(i_, 2) == "?!" || p_.substr(i_, 3) == "?<=" ||
               p_.substr(i_, 3) == "?<!") {
      SetError("lookaround assertions are not supported by RE2");
      return;
    } else if (p_.substr(i_, 2) == "?<") {
      i_ += 2;
      std::size_t close = p_.find('>', i_);
      if (close == std::string_view::npos) {
        SetError("unterminated group name");
        return;
      }
      out_ += "(?P<";
      out_.append(p_.substr(i_, close - i_));
      out_ += '>';
      i_ = close + 1;
    } else if (i_ < p_.size() && p_[i_] == '?') {
      SetError("unsupported group syntax '(?'");
      return;
    } else {
      out_ += '(';
    }
    ++depth_;
  }

  void Term() {
    char c = p_[i_];
    switch (c) {
      case '\\': {
        ++i_;
        char32_t cp = 0;
        CharSet set;
        std::size_t start = i_;
        EscapeKind kind = ParseEscape(false, cp, set);
        if (kind == EscapeKind::kChar) {
          AppendLiteral(out_, cp);
        } else if (kind == EscapeKind::kSet) {
          AppendSetOutsideClass(set);
        } else if (kind == EscapeKind::kAssertion) {
          out_ += '\\';
          out_ += p_[start];
        }
        return;
      }
      case '[':
        CharacterClass();
        return;
      case '.':
        ++i_;
        out_ += "[^\\n\\r\\x{2028}\\x{2029}]";
        return;
      case '(':
        Group();
        return;
      case ')':
        if (depth_ == 0) {
          SetError("unbalanced ')'");
          return;
        }
        --depth_;
        ++i_;
        out_ += ')';
        return;
      case '{':
        Brace();
        return;
      case '}':
      case ']':
        ++i_;
        out_ += '\\';
        out_ += c;
        return;
      case '^':
      case '$':
      case '|':
      case '*':
      case '+':
      case '?':
        ++i_;
        out_ += c;
        return;
      default: {
        std::size_t start = i_;
        char32_t cp = NextCodePoint();
        if (cp < 0x80) {
          AppendLiteral(out_, cp);
        } else {
          out_.append(p_.substr(start, i_ - start));  // UTF-8 literal, copied as is
        }
        return;
      }
    }
  }

  std::string_view p_;
  std::size_t i_ = 0;
  int depth_ = 0;
  std::string out_;
  std::string error_;
};

}  // namespace

core::Result<std::string> TranslateEcmaRegex(std::string_view pattern) {
  return Translator(pattern).Run();
}

core::Result<Regex> Regex::Compile(std::string_view ecma_pattern) {
  auto translated = TranslateEcmaRegex(ecma_pattern);
  if (!translated) {
    return core::Fail(core::ErrorCode::kInvalidArgument, "invalid regular expression \"" +
                                                             std::string(ecma_pattern) +
                                                             "\": " + translated.error().message);
  }
  try {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_encoding(RE2::Options::EncodingUTF8);
    auto re = std::make_shared<const RE2>(*translated, options);
    if (!re->ok()) {
      return core::Fail(
          core::ErrorCode::kInvalidArgument,
          "invalid regular expression \"" + std::string(ecma_pattern) + "\": " + re->error());
    }
    return Regex(std::string(ecma_pattern), std::move(re));
  } catch (const std::exception& e) {
    return core::Fail(core::ErrorCode::kInternal,
                      std::string("cannot compile regular expression: ") + e.what());
  }
}

bool Regex::Search(std::string_view text) const {
  return RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *re_);
}

}  // namespace capstan::jsonschema
