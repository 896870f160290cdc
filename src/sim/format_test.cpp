#include "sim/format.hpp"

#include <gtest/gtest.h>

namespace capstan::sim {
namespace {

TEST(IsUuid, Canonical) {
  EXPECT_TRUE(IsUuid("876feec6-561b-4ae0-80d1-6237a8f146db"));
  EXPECT_TRUE(IsUuid("876FEEC6-561B-4AE0-80D1-6237A8F146DB"));
  EXPECT_FALSE(IsUuid(""));
  EXPECT_FALSE(IsUuid("876feec6561b4ae080d16237a8f146db"));
  EXPECT_FALSE(IsUuid("876feec6-561b-4ae0-80d1-6237a8f146d"));
  EXPECT_FALSE(IsUuid("876feec6-561b-4ae0-80d1-6237a8f146dbx"));
  EXPECT_FALSE(IsUuid("876feeg6-561b-4ae0-80d1-6237a8f146db"));
  EXPECT_FALSE(IsUuid("876feec6_561b-4ae0-80d1-6237a8f146db"));
}

TEST(Timestamp, SixDigitsAndZ) {
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatTimestamp(1656318849203118), "2022-06-27T08:34:09.203118Z");
  EXPECT_EQ(FormatTimestamp(-1), "1969-12-31T23:59:59.999999Z");
}

TEST(Timestamp, ParseRoundTrip) {
  auto parsed = ParseTimestamp("2026-07-02T08:14:09.203118Z");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(FormatTimestamp(*parsed), "2026-07-02T08:14:09.203118Z");
  EXPECT_EQ(*ParseTimestamp("2026-07-02T10:14:09.2+02:00"),
            *ParseTimestamp("2026-07-02T08:14:09.200000Z"));
  EXPECT_EQ(*ParseTimestamp("2026-07-02T08:14:09Z"),
            *ParseTimestamp("2026-07-02T08:14:09.000000Z"));
  EXPECT_EQ(*ParseTimestamp("2026-07-02T08:14:09.1234567Z"),
            *ParseTimestamp("2026-07-02T08:14:09.123456Z"));
}

TEST(Timestamp, ParseErrors) {
  EXPECT_FALSE(ParseTimestamp("2026-07-02"));
  EXPECT_FALSE(ParseTimestamp("2026-07-02T08:14:09"));  // no zone
  EXPECT_FALSE(ParseTimestamp("2026-13-02T08:14:09Z"));
  EXPECT_FALSE(ParseTimestamp("2026-07-02T08:14:09.Z"));
  EXPECT_FALSE(ParseTimestamp("2026-07-02T08:14:09Zx"));
  EXPECT_FALSE(ParseTimestamp("2026-07-02 08:14:09Z"));
}

TEST(SeedTime, Relative) {
  constexpr Micros kNow = 1000LL * 86400 * 1000000;
  EXPECT_EQ(*ParseSeedTime("now", kNow), kNow);
  EXPECT_EQ(*ParseSeedTime("now-48h", kNow), kNow - 48LL * 3600 * 1000000);
  EXPECT_EQ(*ParseSeedTime("now+30d", kNow), kNow + 30LL * 86400 * 1000000);
  EXPECT_EQ(*ParseSeedTime("now-1d2h3m4s", kNow), kNow - (86400LL + 7200 + 180 + 4) * 1000000);
  EXPECT_EQ(*ParseSeedTime("2026-07-02T08:14:09.203118Z", kNow),
            *ParseTimestamp("2026-07-02T08:14:09.203118Z"));
}

TEST(SeedTime, Errors) {
  EXPECT_FALSE(ParseSeedTime("now-", 0));
  EXPECT_FALSE(ParseSeedTime("now-5", 0));
  EXPECT_FALSE(ParseSeedTime("now-5w", 0));
  EXPECT_FALSE(ParseSeedTime("now--5h", 0));
  EXPECT_FALSE(ParseSeedTime("nowish", 0));
  EXPECT_FALSE(ParseSeedTime("yesterday", 0));
}

TEST(IpAddress, V4AndV6) {
  EXPECT_TRUE(IsIpAddress("203.0.113.24"));
  EXPECT_TRUE(IsIpAddress("2001:db8:85a3::8a2e:370:7334"));
  EXPECT_TRUE(IsIpAddress("::1"));
  EXPECT_FALSE(IsIpAddress(""));
  EXPECT_FALSE(IsIpAddress("unknown"));
  EXPECT_FALSE(IsIpAddress("1.2.3.4:5678"));
  EXPECT_FALSE(IsIpAddress("256.1.1.1"));
}

}  // namespace
}  // namespace capstan::sim
