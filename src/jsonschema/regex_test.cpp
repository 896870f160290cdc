#include "jsonschema/regex.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace capstan::jsonschema {
namespace {

using ::testing::HasSubstr;

bool Matches(std::string_view pattern, std::string_view text) {
  auto regex = Regex::Compile(pattern);
  EXPECT_TRUE(regex) << pattern << ": " << regex.error().message;
  return regex && regex->Search(text);
}

std::string ErrorOf(std::string_view pattern) {
  auto regex = Regex::Compile(pattern);
  EXPECT_FALSE(regex) << pattern;
  return regex ? std::string() : regex.error().message;
}

TEST(RegexTest, SearchIsUnanchored) {
  EXPECT_TRUE(Matches("a+", "xxaayy"));
  EXPECT_FALSE(Matches("^a+$", "xxaayy"));
}

TEST(RegexTest, DollarMatchesOnlyAtTheEnd) {
  EXPECT_FALSE(Matches("^abc$", "abc\n"));
  EXPECT_TRUE(Matches("^abc$", "abc"));
}

TEST(RegexTest, ShorthandClassesFollowEcma) {
  EXPECT_TRUE(Matches("^\\d+$", "0123"));
  EXPECT_FALSE(Matches("^\\d$", "\xd9\xa1"));  // ARABIC-INDIC DIGIT ONE: \d is ASCII only
  EXPECT_TRUE(Matches("^\\s$", "\xc2\xa0"));   // NO-BREAK SPACE is ECMA whitespace
  EXPECT_TRUE(Matches("^\\s$", "\v"));
  EXPECT_TRUE(Matches("^\\S$", "x"));
  EXPECT_TRUE(Matches("^[\\S]$", "x"));
  EXPECT_FALSE(Matches("^[\\S]$", " "));
  EXPECT_TRUE(Matches("^\\w+$", "a_Z9"));
}

TEST(RegexTest, DotExcludesLineTerminators) {
  EXPECT_FALSE(Matches("^.$", "\n"));
  EXPECT_FALSE(Matches("^.$", "\r"));
  EXPECT_FALSE(Matches("^.$", "\xe2\x80\xa8"));
  EXPECT_TRUE(Matches("^.$", "\xf0\x9f\x92\xa9"));  // one code point, not two surrogates
}

TEST(RegexTest, UnicodeEscapesAndProperties) {
  EXPECT_TRUE(Matches("^\\u0041$", "A"));
  EXPECT_TRUE(Matches("^\\u{1F4A9}$", "\xf0\x9f\x92\xa9"));
  EXPECT_TRUE(Matches("^\\uD83D\\uDCA9$", "\xf0\x9f\x92\xa9"));
  EXPECT_TRUE(Matches("^\\p{Letter}+$", "\xc3\xa9t\xc3\xa9"));
  EXPECT_TRUE(Matches("^\\p{L}$", "x"));
  EXPECT_FALSE(Matches("^\\P{L}$", "x"));
  EXPECT_TRUE(Matches("^\\p{Script=Greek}$", "\xce\xb1"));
  EXPECT_TRUE(Matches("^\\x41\\cJ$", "A\n"));
  EXPECT_THAT(ErrorOf("\\p{Emoji}"), HasSubstr("unsupported Unicode property"));
}

TEST(RegexTest, CharacterClassesUseEcmaRules) {
  EXPECT_TRUE(Matches("^[a-zA-Z0-9-_*]+$", "a-_*9"));  // '-' after a range is literal
  EXPECT_FALSE(Matches("^[a-zA-Z0-9-_*]+$", "a.b"));
  EXPECT_FALSE(Matches("[]", "anything"));
  EXPECT_TRUE(Matches("^[^]$", "\n"));
  EXPECT_TRUE(Matches("^[\\d-]+$", "1-2"));
  EXPECT_TRUE(Matches("^[\\b]$", "\b"));
  EXPECT_TRUE(Matches("^[\\]\\[]+$", "]["));
  EXPECT_TRUE(Matches("^[\xc3\xa0-\xc3\xbf]$", "\xc3\xa9"));
}

TEST(RegexTest, BracesThatAreNotQuantifiersAreLiteral) {
  EXPECT_TRUE(Matches("^a{$", "a{"));
  EXPECT_TRUE(Matches("^x{,3}$", "x{,3}"));
  EXPECT_TRUE(Matches("^a{2,3}$", "aaa"));
  EXPECT_TRUE(Matches("^a}$", "a}"));
  EXPECT_TRUE(Matches("^\\/$", "/"));
}

TEST(RegexTest, NamedGroupsAreTranslated) {
  EXPECT_TRUE(Matches("^(?<year>\\d{4})-(?:\\d\\d)$", "2024-01"));
}

TEST(RegexTest, UnsupportedFeaturesAreErrors) {
  EXPECT_THAT(ErrorOf("a(?=b)"), HasSubstr("lookaround"));
  EXPECT_THAT(ErrorOf("a(?!b)"), HasSubstr("lookaround"));
  EXPECT_THAT(ErrorOf("(?<=a)b"), HasSubstr("lookaround"));
  EXPECT_THAT(ErrorOf("(?<!a)b"), HasSubstr("lookaround"));
  EXPECT_THAT(ErrorOf("(a)\\1"), HasSubstr("backreferences"));
  EXPECT_THAT(ErrorOf("(?<n>a)\\k<n>"), HasSubstr("backreferences"));
  EXPECT_THAT(ErrorOf("a{1001}"), HasSubstr("above 1000"));
  EXPECT_THAT(ErrorOf("(a"), HasSubstr("unbalanced"));
  EXPECT_THAT(ErrorOf("a)"), HasSubstr("unbalanced"));
  EXPECT_THAT(ErrorOf("[a"), HasSubstr("unterminated"));
  EXPECT_THAT(ErrorOf("[z-a]"), HasSubstr("out of order"));
  EXPECT_THAT(ErrorOf("\\"), HasSubstr("backslash"));
  EXPECT_THAT(ErrorOf("*a"), HasSubstr("invalid regular expression"));
}

}  // namespace
}  // namespace capstan::jsonschema
