#include "http/query.hpp"

#include <gtest/gtest.h>

namespace capstan::http {
namespace {

TEST(SplitQuery, KeepsOrderDuplicatesAndBareNames) {
  auto params = SplitQuery("b=2&a=1&&b=3&flag&e=&");
  ASSERT_EQ(params.size(), 5u);
  EXPECT_EQ(params[0].name, "b");
  EXPECT_EQ(params[0].value, "2");
  EXPECT_EQ(params[1].name, "a");
  EXPECT_EQ(params[2].value, "3");
  EXPECT_EQ(params[3].name, "flag");
  EXPECT_FALSE(params[3].has_value);
  EXPECT_EQ(params[4].name, "e");
  EXPECT_TRUE(params[4].has_value);
  EXPECT_EQ(params[4].value, "");
}

TEST(SplitQuery, Empty) {
  EXPECT_TRUE(SplitQuery("").empty());
  EXPECT_TRUE(SplitQuery("&&").empty());
}

TEST(SplitQuery, ValueMayContainEquals) {
  auto params = SplitQuery("a=b=c");
  ASSERT_EQ(params.size(), 1u);
  EXPECT_EQ(params[0].value, "b=c");
}

TEST(ParseQuery, DecodesOnce) {
  auto params = ParseQuery("q=a+b%20c&x%5B%5D=%2541&plus=%2B");
  ASSERT_TRUE(params) << params.error().message;
  ASSERT_EQ(params->size(), 3u);
  EXPECT_EQ((*params)[0].second, "a b c");
  EXPECT_EQ((*params)[1].first, "x[]");
  EXPECT_EQ((*params)[1].second, "%41");
  EXPECT_EQ((*params)[2].second, "+");
}

TEST(ParseQuery, StrictErrorsNameTheParameter) {
  auto bad_value = ParseQuery("ok=1&page=%zz");
  ASSERT_FALSE(bad_value);
  EXPECT_EQ(bad_value.error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_NE(bad_value.error().message.find("\"page\""), std::string::npos);
  EXPECT_FALSE(ParseQuery("a=%4"));
  EXPECT_FALSE(ParseQuery("a=%"));
  auto bad_name = ParseQuery("%g1=1");
  ASSERT_FALSE(bad_name);
  EXPECT_NE(bad_name.error().message.find("name"), std::string::npos);
}

TEST(FindQueryParam, FirstWins) {
  auto params = ParseQuery("a=1&a=2");
  ASSERT_TRUE(params);
  EXPECT_EQ(FindQueryParam(*params, "a"), "1");
  EXPECT_FALSE(FindQueryParam(*params, "A"));
}

}  // namespace
}  // namespace capstan::http
