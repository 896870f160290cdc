#include "mapping/i_regexp.hpp"

#include <string>

#include <gtest/gtest.h>

namespace capstan::mapping {
namespace {

bool Full(std::string_view pattern, std::string_view text) {
  auto re = IRegexp::Compile(pattern);
  EXPECT_TRUE(re) << pattern << ": " << re.error().message;
  return re && re->FullMatch(text);
}

bool Partial(std::string_view pattern, std::string_view text) {
  auto re = IRegexp::Compile(pattern);
  EXPECT_TRUE(re) << pattern << ": " << re.error().message;
  return re && re->PartialMatch(text);
}

TEST(IRegexpTest, DotExcludesOnlyLineBreaks) {
  EXPECT_EQ(*TranslateIRegexp("a.c"), "a[^\\n\\r]c");
  EXPECT_TRUE(Full("a.c", "abc"));
  EXPECT_TRUE(Full("a.c", "a\u2028c"));
  EXPECT_TRUE(Full("a.c",
                   "a\xF0\x90\x84\x81"
                   "c"));  // one code point outside the BMP
  EXPECT_FALSE(Full("a.c", "a\nc"));
  EXPECT_FALSE(Full("a.c", "a\rc"));
}

TEST(IRegexpTest, FullMatchIsAnchoredAndPartialIsNot) {
  EXPECT_TRUE(Full("ab", "ab"));
  EXPECT_FALSE(Full("ab", "abc"));
  EXPECT_TRUE(Partial("b", "abc"));
  EXPECT_FALSE(Partial("^b", "abc"));
  EXPECT_TRUE(Partial("c$", "abc"));
  EXPECT_FALSE(Partial("b$", "ab\n"));  // '$' is the end of the text, not of a line
}

TEST(IRegexpTest, AcceptsTheIRegexpSyntax) {
  EXPECT_TRUE(Full("[a-c]+x?", "abcab"));
  EXPECT_TRUE(Full("[^a-c]", "d"));
  EXPECT_TRUE(Full("[-a]+", "-a-"));
  EXPECT_TRUE(Full("[a-]+", "-a-"));
  EXPECT_TRUE(Full("a{2,3}", "aaa"));
  EXPECT_FALSE(Full("a{2,3}", "aaaa"));
  EXPECT_TRUE(Full("a{2,}", "aaaaa"));
  EXPECT_TRUE(Full("(ab|cd)*", "abcdab"));
  EXPECT_TRUE(Full("x|", ""));
  EXPECT_TRUE(Full("()", ""));
  EXPECT_TRUE(Full("\\.\\*\\[\\]\\{\\}\\(\\)\\|\\\\\\^\\-\\?\\+\\,", ".*[]{}()|\\^-?+,"));
  EXPECT_TRUE(Full("\\n\\r\\t", "\n\r\t"));
  EXPECT_TRUE(Full("[\\]]", "]"));
  EXPECT_TRUE(Full("[.]", "."));
  EXPECT_FALSE(Full("[.]", "x"));
  EXPECT_FALSE(Full("a$b", "a$b"));  // '$' is an anchor even mid-pattern
  EXPECT_TRUE(Full("\xC3\xA9+", "\xC3\xA9\xC3\xA9"));
  EXPECT_TRUE(Full("[\xC3\xA0-\xC3\xBF]", "\xC3\xA9"));
  EXPECT_TRUE(Full("#/ ~!@%&=;:'\"<>`", "#/ ~!@%&=;:'\"<>`"));
}

TEST(IRegexpTest, UnicodeCategories) {
  EXPECT_TRUE(Full("\\p{Lu}", "\xD0\x96"));   // Ж
  EXPECT_FALSE(Full("\\p{Lu}", "\xD0\xB6"));  // ж
  EXPECT_TRUE(Full("\\P{Lu}", "1"));
  EXPECT_TRUE(Full("[\\p{Nd}x]+", "12x3"));
  EXPECT_TRUE(Full("\\p{L}", "a"));
  // Cn (unassigned) is not an RE2 class; it is written as "none of the assigned categories".
  EXPECT_TRUE(Full("\\p{Cn}", "\xCD\xB8"));  // U+0378 is unassigned
  EXPECT_FALSE(Full("\\p{Cn}", "a"));
  EXPECT_TRUE(Full("\\P{Cn}", "a"));
  EXPECT_TRUE(Full("\\p{C}", "\x01"));
  EXPECT_TRUE(Full("\\p{C}", "\xCD\xB8"));
  EXPECT_FALSE(Full("\\p{C}", "a"));
  EXPECT_TRUE(Full("[a\\p{Cn}]", "a"));
  EXPECT_TRUE(Full("[a\\p{Cn}]", "\xCD\xB8"));
  EXPECT_FALSE(Full("[a\\p{Cn}]", "b"));
  EXPECT_FALSE(IRegexp::Compile("[^a\\p{Cn}]"));  // RE2 cannot express it: rejected, not wrong
}

TEST(IRegexpTest, RejectsWhatIsNotAnIRegexp) {
  for (std::string_view bad :
       {"\\d", "\\w", "\\s", "\\b",     "a**",   "a+?",  "a{2}{3}", "(?i)a",  "(?:a)",   "a{3,2}",
        "*a",  "a)",  "(a",  "[a",      "[]",    "[^]",  "[a-]b]",  "[z-a]",  "[a-b-c]", "a]",
        "a}",  "{",   "\\",  "\\p{Xx}", "\\p{L", "\\pL", "\\1",     "(a)\\1", "\xFF"}) {
    auto translated = TranslateIRegexp(bad);
    EXPECT_FALSE(translated) << bad << " -> " << *translated;
  }
  auto error = TranslateIRegexp("ab\\d");
  ASSERT_FALSE(error);
  EXPECT_NE(error.error().message.find("offset 2"), std::string::npos) << error.error().message;
}

TEST(IRegexpTest, RepetitionBeyondRe2LimitsFailsToCompile) {
  EXPECT_TRUE(TranslateIRegexp("a{1001}"));
  EXPECT_FALSE(IRegexp::Compile("a{1001}"));
  EXPECT_TRUE(IRegexp::Compile("a{1000}"));
}

TEST(IRegexpTest, DeepGroupNestingIsRejected) {
  std::string deep = std::string(200, '(') + "a" + std::string(200, ')');
  EXPECT_FALSE(TranslateIRegexp(deep));
  std::string ok = std::string(50, '(') + "a" + std::string(50, ')');
  EXPECT_TRUE(Full(ok, "a"));
}

TEST(IRegexpTest, MatchingIsLinearTime) {
  std::string text(200000, 'a');
  text += '!';
  EXPECT_FALSE(Full("(a+)+", text));
  EXPECT_FALSE(Full("(a|aa)*", text));
}

}  // namespace
}  // namespace capstan::mapping
