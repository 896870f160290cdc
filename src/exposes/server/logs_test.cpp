#include "exposes/server/logs.hpp"

#include <gtest/gtest.h>

namespace capstan::exposes {
namespace {

TEST(LogLevels, AccessLinesFollowTheirOwnLevelOrTheRoot) {
  LogLevels& levels = LogLevels::Instance();
  levels.Reset();
  EXPECT_TRUE(levels.AccessEnabled(200));
  EXPECT_TRUE(levels.AccessEnabled(404));
  levels.set_root(LogLevel::kWarn);  // 2xx and 3xx lines stop; 4xx and 5xx stay
  EXPECT_FALSE(levels.AccessEnabled(200));
  EXPECT_FALSE(levels.AccessEnabled(302));
  EXPECT_TRUE(levels.AccessEnabled(404));
  EXPECT_TRUE(levels.AccessEnabled(503));
  EXPECT_TRUE(levels.Set("access", LogLevel::kError));  // the logger's own level wins
  EXPECT_FALSE(levels.AccessEnabled(404));
  EXPECT_TRUE(levels.AccessEnabled(500));
  EXPECT_EQ(levels.Effective("access"), LogLevel::kError);
  EXPECT_TRUE(levels.Set("access", LogLevel::kOff));
  EXPECT_FALSE(levels.AccessEnabled(500));
  EXPECT_TRUE(levels.Set("access", std::nullopt));  // back to the root's
  EXPECT_EQ(levels.Effective("access"), LogLevel::kWarn);
  std::optional<LogLevel> own = LogLevel::kInfo;
  EXPECT_TRUE(levels.Find("access", own));
  EXPECT_FALSE(own);
  EXPECT_FALSE(levels.Set("nope", LogLevel::kInfo));
  EXPECT_FALSE(levels.Find("nope", own));
  levels.Reset();
}

TEST(LogLevels, Names) {
  EXPECT_EQ(ParseLogLevel("WARNING"), LogLevel::kWarn);
  EXPECT_EQ(ParseLogLevel("Debug"), LogLevel::kDebug);
  EXPECT_EQ(ParseLogLevel("off"), LogLevel::kOff);
  EXPECT_FALSE(ParseLogLevel("verbose"));
  EXPECT_FALSE(ParseLogLevel(""));
  EXPECT_EQ(LogLevelName(LogLevel::kError), "error");
}

TEST(LogHub, DeliversToSubscribersUpToTheLimit) {
  LogHub& hub = LogHub::Instance();
  std::vector<std::string> a;
  std::vector<std::string> b;
  hub.Publish("nobody listens");
  auto first = hub.Subscribe([&](const std::string& l) { a.push_back(l); }, 2);
  auto second = hub.Subscribe([&](const std::string& l) { b.push_back(l); }, 2);
  ASSERT_TRUE(first && second);
  EXPECT_FALSE(hub.Subscribe([](const std::string&) {}, 2));  // the third is refused
  hub.Publish("one");
  hub.Unsubscribe(*first);
  hub.Publish("two");
  hub.Unsubscribe(*second);
  hub.Publish("three");
  EXPECT_EQ(a, (std::vector<std::string>{"one"}));
  EXPECT_EQ(b, (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(hub.subscribers(), 0u);
}

}  // namespace
}  // namespace capstan::exposes
