#include "core/percent.hpp"

#include <cctype>
#include <string>

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

// Every byte, alone and between runs of kept characters, in each part: what comes out decodes back
// to the input, is made only of characters the part may carry as they are, '%' escapes and (form)
// '+', and keeps a run of unreserved characters as it is.
TEST(PercentTest, EveryByteRoundTripsInEveryPart) {
  const std::string_view kSegmentSafe = "!$&'()*+,;=:@";
  for (UrlPart part : {UrlPart::kPathSegment, UrlPart::kQuery, UrlPart::kForm}) {
    for (int b = 0; b < 256; ++b) {
      const std::string in = "ab-1" + std::string(1, static_cast<char>(b)) + "~Z9." +
                             std::string(2, static_cast<char>(b));
      const std::string out = PercentEncode(in, part);
      auto back = PercentDecode(out, part == UrlPart::kForm);
      ASSERT_TRUE(back) << b;
      EXPECT_EQ(*back, in) << "byte " << b << " part " << static_cast<int>(part) << ": " << out;
      EXPECT_EQ(out.rfind("ab-1", 0), 0u) << out;
      for (char c : out) {
        const bool plain = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ||
                           c == '_' || c == '~' || c == '%';
        const bool allowed =
            plain || (part == UrlPart::kForm && c == '+') ||
            (part == UrlPart::kPathSegment && kSegmentSafe.find(c) != std::string_view::npos);
        EXPECT_TRUE(allowed) << "byte " << b << " gave '" << c << "' in " << out;
      }
    }
  }
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
