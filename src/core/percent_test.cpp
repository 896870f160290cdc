#include "core/percent.hpp"

#include <gtest/gtest.h>

namespace capstan::core {
namespace {

TEST(PercentTest, PathSegmentCannotEscape) {
  EXPECT_EQ(PercentEncode("../x", UrlPart::kPathSegment), "..%2Fx");
  EXPECT_EQ(PercentEncode("..", UrlPart::kPathSegment), "%2E%2E");
  EXPECT_EQ(PercentEncode(".", UrlPart::kPathSegment), "%2E");
  EXPECT_EQ(PercentEncode("a?b#c", UrlPart::kPathSegment), "a%3Fb%23c");
  EXPECT_EQ(PercentEncode("%2F", UrlPart::kPathSegment), "%252F");
  EXPECT_EQ(PercentEncode("a b\r\n", UrlPart::kPathSegment), "a%20b%0D%0A");
  EXPECT_EQ(PercentEncode("id:1@x", UrlPart::kPathSegment), "id:1@x");
}

TEST(PercentTest, QueryAndForm) {
  EXPECT_EQ(PercentEncode("a b&c=d+e", UrlPart::kQuery), "a%20b%26c%3Dd%2Be");
  EXPECT_EQ(PercentEncode("a b&c", UrlPart::kForm), "a+b%26c");
  EXPECT_EQ(PercentEncode("é", UrlPart::kQuery), "%C3%A9");
}

TEST(PercentTest, DecodesStrictly) {
  EXPECT_EQ(*PercentDecode("a%20b%2fc"), "a b/c");
  EXPECT_EQ(*PercentDecode("a+b", true), "a b");
  EXPECT_EQ(*PercentDecode("a+b", false), "a+b");
  EXPECT_FALSE(PercentDecode("%"));
  EXPECT_FALSE(PercentDecode("%2"));
  EXPECT_FALSE(PercentDecode("%zz"));
  EXPECT_EQ(*PercentDecode("%2e%2E"), "..");
}

}  // namespace
}  // namespace capstan::core
