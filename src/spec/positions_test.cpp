#include "spec/positions.hpp"

#include <gtest/gtest.h>

namespace capstan::spec {
namespace {

TEST(PositionsTest, SplitsAndJoinsPointers) {
  EXPECT_TRUE(SplitPointer("").empty());
  EXPECT_EQ(SplitPointer("/a/b~1c/d~0e"), (std::vector<std::string>{"a", "b/c", "d~e"}));
  EXPECT_EQ(JoinPointer("/x", "a/b"), "/x/a~1b");
  EXPECT_EQ(JoinPointer("", std::size_t{3}), "/3");
}

TEST(PositionsTest, ResolvesPointers) {
  json::value doc = *core::ParseJson(R"({"a": [{"b": 1}], "c/d": 2})");
  EXPECT_EQ(ResolvePointer(doc, "/a/0/b")->as_int64(), 1);
  EXPECT_EQ(ResolvePointer(doc, "/c~1d")->as_int64(), 2);
  EXPECT_EQ(ResolvePointer(doc, "/a/1"), nullptr);
  EXPECT_EQ(ResolvePointer(doc, "/a/x"), nullptr);
  EXPECT_EQ(ResolvePointer(doc, ""), &doc);
}

TEST(PositionsTest, LocatePrefersKeysAndFallsBackToAncestors) {
  PositionTable table("f.yaml");
  table.SetValue("", {1, 1});
  table.SetKey("/a", {2, 1});
  table.SetValue("/a", {3, 3});
  EXPECT_EQ(table.Locate("/a").line, 2);
  EXPECT_EQ(table.LocateValue("/a").line, 3);
  EXPECT_EQ(table.Locate("/a/b/c").line, 2);
  EXPECT_EQ(table.Locate("/zzz").line, 1);
  EXPECT_EQ(table.Locate("/zzz").file, "f.yaml");
}

}  // namespace
}  // namespace capstan::spec
