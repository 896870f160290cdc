#include "jsonschema/uri.hpp"

#include <gtest/gtest.h>

namespace capstan::jsonschema {
namespace {

TEST(UriTest, ResolvesRfc3986Examples) {
  const std::string base = "http://a/b/c/d;p?q";
  const std::pair<const char*, const char*> cases[] = {
      {"g:h", "g:h"},
      {"g", "http://a/b/c/g"},
      {"./g", "http://a/b/c/g"},
      {"g/", "http://a/b/c/g/"},
      {"/g", "http://a/g"},
      {"//g", "http://g"},
      {"?y", "http://a/b/c/d;p?y"},
      {"g?y", "http://a/b/c/g?y"},
      {"#s", "http://a/b/c/d;p?q#s"},
      {"g#s", "http://a/b/c/g#s"},
      {"g?y#s", "http://a/b/c/g?y#s"},
      {";x", "http://a/b/c/;x"},
      {"g;x", "http://a/b/c/g;x"},
      {"", "http://a/b/c/d;p?q"},
      {".", "http://a/b/c/"},
      {"./", "http://a/b/c/"},
      {"..", "http://a/b/"},
      {"../", "http://a/b/"},
      {"../g", "http://a/b/g"},
      {"../..", "http://a/"},
      {"../../g", "http://a/g"},
      {"../../../g", "http://a/g"},
      {"/./g", "http://a/g"},
      {"/../g", "http://a/g"},
      {"g.", "http://a/b/c/g."},
      {"..g", "http://a/b/c/..g"},
      {"./../g", "http://a/b/g"},
      {"./g/.", "http://a/b/c/g/"},
      {"g/./h", "http://a/b/c/g/h"},
      {"g/../h", "http://a/b/c/h"},
      {"g;x=1/../y", "http://a/b/c/y"},
  };
  for (const auto& [reference, expected] : cases) {
    EXPECT_EQ(ResolveUri(base, reference), expected) << reference;
  }
}

TEST(UriTest, ResolvesAgainstUrnsAndEmptyBases) {
  EXPECT_EQ(ResolveUri("urn:uuid:deadbeef", "#foo"), "urn:uuid:deadbeef#foo");
  EXPECT_EQ(ResolveUri("urn:example:a?+CCResolve:cc=uk", "#/$defs/b"),
            "urn:example:a?+CCResolve:cc=uk#/$defs/b");
  EXPECT_EQ(ResolveUri("", "#/a"), "#/a");
  EXPECT_EQ(ResolveUri("", "x.json"), "x.json");
  EXPECT_EQ(ResolveUri("HTTP://a/b", "c"), "http://a/c");
  EXPECT_EQ(ResolveUri("file:///folder/file.json", "#/$defs/x"),
            "file:///folder/file.json#/$defs/x");
}

TEST(UriTest, SplitsFragments) {
  auto split = SplitFragment("http://x/y#/a");
  EXPECT_EQ(split.without_fragment, "http://x/y");
  EXPECT_EQ(split.fragment, "/a");
  EXPECT_TRUE(split.has_fragment);
  EXPECT_FALSE(SplitFragment("http://x/y").has_fragment);
  EXPECT_TRUE(SplitFragment("http://x/y#").has_fragment);
}

TEST(UriTest, JsonPointers) {
  std::string pointer;
  AppendPointerToken(pointer, "a/b");
  AppendPointerToken(pointer, "c~d");
  AppendPointerIndex(pointer, 12);
  EXPECT_EQ(pointer, "/a~1b/c~0d/12");

  auto doc = core::ParseJson(R"({"a/b": {"c~d": [0, 1, {"": 5}]}, "": {"": 7}})");
  ASSERT_TRUE(doc);
  EXPECT_EQ(WalkPointer(*doc, ""), &*doc);
  EXPECT_EQ(WalkPointer(*doc, "/a~1b/c~0d/1")->as_int64(), 1);
  EXPECT_EQ(WalkPointer(*doc, "/a~1b/c~0d/2/")->as_int64(), 5);
  EXPECT_EQ(WalkPointer(*doc, "//")->as_int64(), 7);
  EXPECT_EQ(WalkPointer(*doc, "/a~1b/c~0d/01"), nullptr);
  EXPECT_EQ(WalkPointer(*doc, "/a~1b/c~0d/3"), nullptr);
  EXPECT_EQ(WalkPointer(*doc, "/x"), nullptr);
  EXPECT_EQ(WalkPointer(*doc, "a"), nullptr);
  EXPECT_EQ(WalkPointer(*doc, "/a~2b"), nullptr);
  EXPECT_EQ(EncodePointerFragment("/$defs/a b%\"c"), "/$defs/a%20b%25%22c");
}

}  // namespace
}  // namespace capstan::jsonschema
