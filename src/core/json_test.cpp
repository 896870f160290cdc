#include "core/json.hpp"

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

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
                                          "-9223372036854775809"};
  for (const std::string& text : texts) {
    EXPECT_EQ(IsJsonText(text), ParseJson(text).has_value()) << text.substr(0, 40);
  }
  EXPECT_TRUE(IsJsonText(R"({"a":1,"a":2})"));  // the one intended difference
  EXPECT_FALSE(ParseJson(R"({"a":1,"a":2})"));
}

}  // namespace
}  // namespace capstan::core
