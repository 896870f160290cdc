#include "jsonschema/json_util.hpp"

#include <string>

#include <gtest/gtest.h>

namespace capstan::jsonschema {
namespace {

json::value Json(std::string_view text) {
  auto value = core::ParseJson(text);
  EXPECT_TRUE(value) << text;
  return value ? std::move(*value) : json::value();
}

TEST(JsonUtilTest, EqualityIsMathematicalForNumbers) {
  EXPECT_TRUE(JsonEqual(Json("1"), Json("1.0")));
  EXPECT_TRUE(JsonEqual(Json("-0.0"), Json("0")));
  EXPECT_TRUE(JsonEqual(Json("18446744073709551615"), Json("18446744073709551615")));
  EXPECT_FALSE(JsonEqual(Json("1"), Json("true")));
  EXPECT_FALSE(JsonEqual(Json("0"), Json("false")));
  EXPECT_FALSE(JsonEqual(Json("null"), Json("0")));
  EXPECT_TRUE(JsonEqual(Json(R"({"a": 1, "b": [2]})"), Json(R"({"b": [2.0], "a": 1.0})")));
  EXPECT_FALSE(JsonEqual(Json(R"({"a": 1})"), Json(R"({"a": 1, "b": 1})")));
  EXPECT_FALSE(JsonEqual(Json("[1, 2]"), Json("[2, 1]")));
}

TEST(JsonUtilTest, HashIsConsistentWithEquality) {
  EXPECT_EQ(JsonHash(Json("1")), JsonHash(Json("1.0")));
  EXPECT_EQ(JsonHash(Json("-0.0")), JsonHash(Json("0")));
  EXPECT_EQ(JsonHash(Json("1e19")), JsonHash(Json("10000000000000000000")));
  EXPECT_EQ(JsonHash(Json(R"({"a": 1, "b": 2})")), JsonHash(Json(R"({"b": 2, "a": 1})")));
}

TEST(JsonUtilTest, CompareNumbersIsExact) {
  EXPECT_EQ(CompareNumbers(Json("9007199254740993"), Json("9007199254740992.0")), 1);
  EXPECT_EQ(CompareNumbers(Json("9007199254740992.0"), Json("9007199254740993")), -1);
  EXPECT_EQ(CompareNumbers(Json("-1"), Json("18446744073709551615")), -1);
  EXPECT_EQ(CompareNumbers(Json("18446744073709551615"), Json("1.8446744073709552e19")), -1);
  EXPECT_EQ(CompareNumbers(Json("2"), Json("1.5")), 1);
  EXPECT_EQ(CompareNumbers(Json("-2"), Json("-1.5")), -1);
  EXPECT_EQ(CompareNumbers(Json("3"), Json("3.0")), 0);
  EXPECT_EQ(CompareNumbers(Json("1e300"), Json("9223372036854775807")), 1);
}

TEST(JsonUtilTest, MultipleOfIsDecimalExact) {
  EXPECT_TRUE(IsMultipleOf(Json("0.0075"), Json("0.0001")));
  EXPECT_TRUE(IsMultipleOf(Json("4.5"), Json("1.5")));
  EXPECT_FALSE(IsMultipleOf(Json("35"), Json("1.5")));
  EXPECT_TRUE(IsMultipleOf(Json("0.3"), Json("0.1")));
  EXPECT_TRUE(IsMultipleOf(Json("19.99"), Json("0.01")));
  EXPECT_FALSE(IsMultipleOf(Json("19.999"), Json("0.01")));
  EXPECT_TRUE(IsMultipleOf(Json("12391239123"), Json("1e-8")));
  EXPECT_FALSE(IsMultipleOf(Json("1e308"), Json("0.123456789")));
  EXPECT_TRUE(IsMultipleOf(Json("1e308"), Json("2")));
  EXPECT_TRUE(IsMultipleOf(Json("-10"), Json("5")));
  EXPECT_TRUE(IsMultipleOf(Json("0"), Json("0.7")));
  EXPECT_FALSE(IsMultipleOf(Json("1e-300"), Json("3")));
  EXPECT_TRUE(IsMultipleOf(Json("18446744073709551615"), Json("5")));
  EXPECT_TRUE(IsMultipleOf(Json("1.5e19"), Json("18446744073709551615")) == false);
}

TEST(JsonUtilTest, IsIntegral) {
  EXPECT_TRUE(IsIntegral(Json("1")));
  EXPECT_TRUE(IsIntegral(Json("1.0")));
  EXPECT_TRUE(IsIntegral(Json("1e300")));
  EXPECT_FALSE(IsIntegral(Json("1.5")));
  EXPECT_FALSE(IsIntegral(Json("\"1\"")));
}

TEST(JsonUtilTest, CodePointLength) {
  EXPECT_EQ(CodePointLength(""), 0u);
  EXPECT_EQ(CodePointLength("abc"), 3u);
  EXPECT_EQ(CodePointLength("\xc3\xa9\xf0\x9f\x92\xa9"), 2u);
}

TEST(JsonUtilTest, AllUniqueSmallAndLarge) {
  std::size_t i = 0;
  std::size_t j = 0;
  EXPECT_TRUE(AllUnique(Json("[1, \"1\", true, null, [1], {\"a\": 1}]").get_array()));
  EXPECT_FALSE(AllUnique(Json("[1, 2, 1.0]").get_array(), &i, &j));
  EXPECT_EQ(i, 0u);
  EXPECT_EQ(j, 2u);
  std::string big = "[";
  for (int k = 0; k < 100; ++k) {
    big.append(std::to_string(k));
    big.push_back(',');
  }
  big += "{\"x\": [1, 2]}, {\"x\": [1.0, 2.0]}]";
  EXPECT_FALSE(AllUnique(Json(big).get_array(), &i, &j));
  EXPECT_EQ(i, 100u);
  EXPECT_EQ(j, 101u);
  big.clear();
  big.push_back('[');
  for (int k = 0; k < 100; ++k) {
    big.append(std::to_string(k));
    big.push_back(',');
  }
  big += "100.5]";
  EXPECT_TRUE(AllUnique(Json(big).get_array()));
}

}  // namespace
}  // namespace capstan::jsonschema
