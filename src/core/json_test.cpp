#include "core/json.hpp"

#include <array>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/utf8.hpp"

namespace capstan::core {
namespace {

TEST(JsonTest, RoundTripsSeventeenDigitDoublesExactly) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> dist(-1e6, 1e6);
  for (int i = 0; i < 20000; ++i) {
    double d = dist(rng);
    char buf[64];
    int n = std::snprintf(buf, sizeof buf, "%.17g", d);
    auto parsed = ParseJson(std::string_view(buf, static_cast<std::size_t>(n)));
    ASSERT_TRUE(parsed) << buf;
    ASSERT_TRUE(parsed->is_double()) << buf;
    ASSERT_EQ(parsed->get_double(), d) << buf;
    auto again = ParseJson(SerializeJson(*parsed));
    ASSERT_TRUE(again);
    ASSERT_EQ(again->get_double(), d);
  }
}

TEST(JsonTest, WritesDoublesWithoutBoostExponentForm) {
  EXPECT_EQ(SerializeJson(*ParseJson("3.0")), "3.0");
  EXPECT_EQ(SerializeJson(*ParseJson("0.0875")), "0.0875");
  EXPECT_EQ(SerializeJson(*ParseJson("-0.0")), "-0.0");
  EXPECT_EQ(SerializeJson(*ParseJson("1e21")), "1e+21");
  EXPECT_EQ(SerializeJson(*ParseJson("0.1")), "0.1");
}

TEST(JsonTest, KeepsIntegersExact) {
  EXPECT_EQ(SerializeJson(*ParseJson("9007199254740993")), "9007199254740993");
  EXPECT_EQ(SerializeJson(*ParseJson("18446744073709551615")), "18446744073709551615");
  EXPECT_EQ(SerializeJson(*ParseJson("-9223372036854775808")), "-9223372036854775808");
}

TEST(JsonTest, KeepsKeyOrderAndEscapes) {
  auto v = ParseJson(R"({"b":1,"a":"x\"\n\u0001é","c":[true,false,null]})");
  ASSERT_TRUE(v);
  EXPECT_EQ(SerializeJson(*v), R"({"b":1,"a":"x\"\n\u0001é","c":[true,false,null]})");
}

// The escaper scans 16 bytes at a time; check it byte for byte against the plain definition of
// a JSON string (RFC 8259 §7) on every byte value at every offset of a block, and on random text.
// JSON text is UTF-8 (§8.1): ill-formed parts are U+FFFD (core::AppendValidUtf8, utf8_test).
std::string ReferenceQuote(std::string_view raw) {
  static const std::map<unsigned char, std::string_view> kNamed = {
      {'"', "\\\""}, {'\\', "\\\\"}, {'\n', "\\n"}, {'\r', "\\r"},
      {'\t', "\\t"}, {'\b', "\\b"},  {'\f', "\\f"}};
  std::string text;
  AppendValidUtf8(text, raw);
  std::string out = "\"";
  for (unsigned char c : text) {
    if (auto named = kNamed.find(c); named != kNamed.end()) {
      out += named->second;
    } else if (c < 0x20) {
      std::array<char, 8> code{};
      std::snprintf(code.data(), code.size(), "\\u%04x", c);
      out += code.data();
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

TEST(JsonTest, AppendJsonStringEscapesEveryByteAtEveryOffset) {
  for (int byte = 0; byte < 256; ++byte) {
    for (std::size_t offset = 0; offset < 40; ++offset) {
      std::string text(40, 'a');
      text[offset] = static_cast<char>(byte);
      std::string out = "prefix";
      AppendJsonString(out, text);
      ASSERT_EQ(out, "prefix" + ReferenceQuote(text)) << "byte " << byte << " at " << offset;
    }
  }
  std::string empty;
  AppendJsonString(empty, std::string_view());
  EXPECT_EQ(empty, "\"\"");
}

TEST(JsonTest, AppendJsonStringMatchesTheReferenceOnRandomText) {
  std::mt19937 rng(20261130);
  const std::string alphabet =
      std::string("ab\"\\\n\x01\x1f \x7f\x80\xc3\xa9\0", 13);  // with a NUL
  for (int round = 0; round < 2000; ++round) {
    // Mostly short texts; every tenth is long enough (> 255 blocks) to flush the vector counts.
    std::string text(round % 10 == 0 ? 4000 + rng() % 6000 : rng() % 100, ' ');
    for (char& c : text) c = rng() % 3 == 0 ? alphabet[rng() % alphabet.size()] : 'x';
    std::string out;
    AppendJsonString(out, text);
    ASSERT_EQ(out, ReferenceQuote(text));
    // Always one JSON string, which reads back as the text (lone bytes as U+FFFD).
    auto parsed = ParseJson(out);
    ASSERT_TRUE(parsed) << parsed.error().message;
    ASSERT_TRUE(parsed->is_string());
    std::string valid;
    AppendValidUtf8(valid, text);
    EXPECT_EQ(std::string_view(parsed->get_string()), valid);
    EXPECT_EQ(valid == text, FindInvalidUtf8(text) == std::string_view::npos);
  }
}

TEST(JsonTest, AppendJsonStringWritesIllFormedUtf8AsReplacementCharacters) {
  std::string out;
  AppendJsonString(out, "caf\xE9 \xFF \xC3\xA9 \xE2\x82");  // Latin-1 é, a stray byte, é, cut €
  EXPECT_EQ(out, "\"caf\xEF\xBF\xBD \xEF\xBF\xBD \xC3\xA9 \xEF\xBF\xBD\"");
  // Long text with one bad byte deep inside still goes through the block loops correctly.
  std::string text(5000, 'q');
  text[4321] = '\x80';
  text[17] = '"';
  out.clear();
  AppendJsonString(out, text);
  auto parsed = ParseJson(out);
  ASSERT_TRUE(parsed) << parsed.error().message;
  std::string expected = text;
  expected.replace(4321, 1, "\xEF\xBF\xBD");
  EXPECT_EQ(std::string_view(parsed->get_string()), expected);
}

TEST(JsonTest, RejectsDuplicateKeys) {
  auto v = ParseJson(R"({"a":1,"a":2})");
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find("duplicate key"), std::string::npos);
  JsonParseOptions lenient;
  lenient.allow_duplicate_keys = true;
  EXPECT_TRUE(ParseJson(R"({"a":1,"a":2})", lenient));
}

TEST(JsonTest, RejectsBadInputWithClearErrors) {
  for (std::string_view bad :
       {"", "{", "[1,]", "{\"a\" 1}", "1e999", "\"\xff\"", "nul", "[] []", "\"\x01\"", "01"}) {
    auto v = ParseJson(bad);
    EXPECT_FALSE(v) << bad;
    if (!v) {
      EXPECT_EQ(v.error().code, ErrorCode::kInvalidArgument);
    }
  }
}

TEST(JsonTest, LimitsDepth) {
  std::string deep(100000, '[');
  EXPECT_FALSE(ParseJson(deep));
  std::string ok = std::string(200, '[') + std::string(200, ']');
  EXPECT_TRUE(ParseJson(ok));
}

// IsJsonText must agree with ParseJson on every text except duplicate keys, which only the
// tree builder rejects.
TEST(JsonTest, IsJsonTextAgreesWithParseJson) {
  const std::string deep_ok = std::string(200, '[') + std::string(200, ']');
  const std::string too_deep = std::string(300, '[') + std::string(300, ']');
  const std::vector<std::string> texts = {R"({"a":1,"b":[true,false,null],"c":"x"})",
                                          "  {}  ",
                                          "[]",
                                          "0",
                                          "-1.5e3",
                                          R"("\u00e9")",
                                          "1e999",
                                          "-1e999",
                                          "1e-400",
                                          "{",
                                          "}",
                                          "[1,]",
                                          R"({"a":1,})",
                                          R"({"a" 1})",
                                          "01",
                                          "1.",
                                          R"("\x")",
                                          "\"\xff\"",
                                          "\"\xc3\xa9\"",
                                          "nul",
                                          "true false",
                                          "",
                                          "   ",
                                          "/*c*/1",
                                          R"({"a":"b"}x)",
                                          deep_ok,
                                          too_deep,
                                          "18446744073709551616",
                                          "-9223372036854775809",
                                          std::string(400, '9'),
                                          "0e044674407370956744004000000004",
                                          "0e2147483647",
                                          "0e2147483648",
                                          "0.5e-2147483647",
                                          "1e0000000001",
                                          "1e-310",
                                          "2e-324",
                                          "-0",
                                          "1E+2",
                                          "-",
                                          "-a",
                                          "1e",
                                          "1e+",
                                          ".5",
                                          "tru",
                                          "nulll",
                                          R"("/\/")",
                                          "\"\x7f\"",
                                          "\"\t\"",
                                          R"("\ud800\udc00")",
                                          R"("\uDBFF\uDFFF")",
                                          R"("\ud800")",
                                          R"("\udc00")",
                                          R"("\ud800x")",
                                          R"("\ud800\u0041")",
                                          R"("\u12G4")",
                                          "\"\xed\xa0\x80\"",      // a surrogate in UTF-8
                                          "\"\xf4\x90\x80\x80\"",  // above U+10FFFF
                                          "\"\xc0\x80\"",          // overlong
                                          "\"\xe0\x9f\xbf\"",      // overlong
                                          "\"\xf0\x9f\x98\x80\"",  // U+1F600
                                          "\"\xef\xbf\xbf\"",
                                          "\"\xe2\x82\"",  // cut short
                                          "[1 2]",
                                          "{\"a\":1 \"b\":2}",
                                          "{1:2}",
                                          "[,1]",
                                          "\"abcdefghijklmnopqrstuvwxyz\"",
                                          "\"abcdefghijklmnopqrstuvwxy\x01\"",
                                          "\"abcdefghijklmnopqrstuvwxyz"};
  for (const std::string& text : texts) {
    EXPECT_EQ(IsJsonText(text), ParseJson(text).has_value()) << text.substr(0, 40);
    // The grammar-only check differs from it on number range alone.
    const bool numbers =
        !text.empty() && text[0] != '"' && text.find_first_of("eE0123456789") != std::string::npos;
    if (!numbers) {
      EXPECT_EQ(IsJsonGrammar(text), IsJsonText(text)) << text.substr(0, 40);
    }
  }
  // The depth limit counts arrays and objects alike, as ParseJson does.
  for (int depth = 1; depth <= 6; ++depth) {
    std::string arrays = std::string(depth, '[') + std::string(depth, ']');
    std::string objects;
    for (int i = 0; i < depth; ++i) objects += R"({"a":)";
    objects += "1" + std::string(depth, '}');
    for (const std::string& text : {arrays, objects}) {
      EXPECT_EQ(IsJsonText(text, 4), ParseJson(text, {.max_depth = 4}).has_value()) << text;
    }
  }
  EXPECT_TRUE(IsJsonText(R"({"a":1,"a":2})"));  // the one intended difference
  EXPECT_FALSE(ParseJson(R"({"a":1,"a":2})"));
}

TEST(JsonTest, IsJsonGrammarTakesNumbersOfAnySizeAndNothingElseMore) {
  for (const char* text : {"1e400", "[-1e400, 1E+99999, 0.1e-99999]", R"({"a":1e400,"b":[1,2]})",
                           "123456789012345678901234567890"}) {
    EXPECT_TRUE(IsJsonGrammar(text)) << text;
  }
  EXPECT_FALSE(IsJsonText("1e400"));
  for (const char* text :
       {R"({"jwts":[)", "1e", "01", "[1e400", "1e400 2", "-", "{\"a\":\"\xff\"}"}) {
    EXPECT_FALSE(IsJsonGrammar(text)) << text;
  }
  EXPECT_FALSE(IsJsonGrammar("[[[1]]]", 2));
  EXPECT_TRUE(IsJsonGrammar("[[1]]", 2));
}

}  // namespace
}  // namespace capstan::core
