#include "http/route.hpp"

#include <gtest/gtest.h>

namespace capstan::http {
namespace {

using Segments = std::vector<std::string>;

TEST(SplitPath, Segments) {
  EXPECT_EQ(*SplitPath("/iam/v1alpha1/jwts"), (Segments{"iam", "v1alpha1", "jwts"}));
  EXPECT_EQ(*SplitPath("/"), (Segments{""}));
  EXPECT_EQ(*SplitPath("/a/"), (Segments{"a", ""}));
  EXPECT_EQ(*SplitPath("/a//b"), (Segments{"a", "", "b"}));
}

TEST(SplitPath, DecodesEachSegmentOnce) {
  EXPECT_EQ(*SplitPath("/a%2Fb/c%20d/%2541/x+y"), (Segments{"a/b", "c d", "%41", "x+y"}));
}

TEST(SplitPath, Errors) {
  EXPECT_FALSE(SplitPath(""));
  EXPECT_FALSE(SplitPath("a/b"));
  EXPECT_FALSE(SplitPath("/a%zz"));
  EXPECT_FALSE(SplitPath("/a%2"));
  EXPECT_FALSE(SplitPath("/a%00b"));
}

TEST(SplitPathRaw, NoDecoding) {
  auto raw = SplitPathRaw("/a%2Fb/c");
  ASSERT_TRUE(raw);
  ASSERT_EQ(raw->size(), 2u);
  EXPECT_EQ((*raw)[0], "a%2Fb");
}

TEST(StripPathPrefix, Matches) {
  EXPECT_EQ(StripPathPrefix("/v1/iam/x", "/v1"), "/iam/x");
  EXPECT_EQ(StripPathPrefix("/v1/iam/x", "/v1/"), "/iam/x");
  EXPECT_EQ(StripPathPrefix("/v1", "/v1"), "");
  EXPECT_FALSE(StripPathPrefix("/v10/iam", "/v1"));
  EXPECT_FALSE(StripPathPrefix("/iam", "/v1"));
  EXPECT_EQ(StripPathPrefix("/iam", ""), "/iam");
  EXPECT_EQ(StripPathPrefix("/iam", "/"), "/iam");
}

}  // namespace
}  // namespace capstan::http
