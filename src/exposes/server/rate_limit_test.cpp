#include "exposes/server/rate_limit.hpp"

#include <gtest/gtest.h>

namespace capstan::exposes {
namespace {

using namespace std::chrono_literals;

TEST(RateLimiter, BurstThenRateAndCallersApart) {
  RateLimiter limiter(2.0, 4.0);  // 2 per second, bursts of 4
  const auto t0 = std::chrono::steady_clock::now();
  int retry = 0;
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(limiter.Allow(1, t0, retry)) << i;
  EXPECT_FALSE(limiter.Allow(1, t0, retry));
  EXPECT_EQ(retry, 1);
  EXPECT_TRUE(limiter.Allow(2, t0, retry));          // another caller has its own bucket
  EXPECT_TRUE(limiter.Allow(1, t0 + 500ms, retry));  // one token back after half a second
  EXPECT_FALSE(limiter.Allow(1, t0 + 500ms, retry));
  EXPECT_TRUE(limiter.Allow(1, t0 + 10s, retry));  // never more than the burst
  EXPECT_EQ(limiter.limited(), 2u);
}

TEST(RateLimiter, KeysComeFromTheCredentialElseTheAddress) {
  http::Request a;
  a.remote_address = "10.0.0.1";
  http::Request b = a;
  b.remote_address = "10.0.0.2";
  EXPECT_NE(RateLimiter::KeyOf(a), RateLimiter::KeyOf(b));
  a.headers.Set("Authorization", "Bearer t1");
  b.headers.Set("Authorization", "Bearer t1");
  EXPECT_EQ(RateLimiter::KeyOf(a), RateLimiter::KeyOf(b));  // one caller from two addresses
  b.headers.Set("Authorization", "Bearer t2");
  EXPECT_NE(RateLimiter::KeyOf(a), RateLimiter::KeyOf(b));
}

}  // namespace
}  // namespace capstan::exposes
