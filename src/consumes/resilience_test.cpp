#include "consumes/resilience.hpp"

#include <thread>

#include <gtest/gtest.h>

namespace capstan::consumes {
namespace {

using namespace std::chrono_literals;
using Admission = UpstreamGuard::Admission;

ResilienceOptions Breaker(int failures, std::chrono::milliseconds open) {
  ResilienceOptions o;
  o.breaker_failures = failures;
  o.breaker_open = open;
  return o;
}

TEST(UpstreamGuard, BreakerOpensOnConsecutiveFailuresAndAProbeClosesIt) {
  UpstreamGuard g("http://u:1");
  const ResilienceOptions o = Breaker(3, 50ms);
  std::chrono::milliseconds retry_in{};
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(g.Admit(o, retry_in), Admission::kAdmitted);
    g.Finish(o, true, false);
  }
  g.Finish(o, false, false);  // a success in between resets the count
  for (int i = 0; i < 2; ++i) g.Finish(o, true, false);
  EXPECT_EQ(g.state(), 0);
  g.Finish(o, true, false);  // the third in a row
  EXPECT_EQ(g.state(), 1);
  EXPECT_EQ(g.breaker_opened.load(), 1u);
  EXPECT_EQ(g.Admit(o, retry_in), Admission::kOpen);
  EXPECT_GT(retry_in.count(), 0);
  EXPECT_EQ(g.rejected_open.load(), 1u);
  std::this_thread::sleep_for(60ms);
  EXPECT_EQ(g.state(), 2);  // half-open
  ASSERT_EQ(g.Admit(o, retry_in), Admission::kProbe);
  EXPECT_EQ(g.Admit(o, retry_in), Admission::kOpen);  // one probe at a time
  g.Finish(o, true, true);                            // the probe failed: open again
  EXPECT_EQ(g.state(), 1);
  EXPECT_EQ(g.breaker_opened.load(), 2u);
  std::this_thread::sleep_for(60ms);
  ASSERT_EQ(g.Admit(o, retry_in), Admission::kProbe);
  g.Finish(o, false, true);  // the probe succeeded: closed
  EXPECT_EQ(g.state(), 0);
  EXPECT_EQ(g.Admit(o, retry_in), Admission::kAdmitted);
  // No breaker configured: always admitted.
  EXPECT_EQ(g.Admit(ResilienceOptions{}, retry_in), Admission::kAdmitted);
}

TEST(UpstreamGuard, InFlightLimitShedsAndTheBudgetBoundsRetries) {
  UpstreamGuard g("http://u:2");
  ResilienceOptions o;
  o.max_in_flight = 2;
  EXPECT_TRUE(g.Enter(o));
  EXPECT_TRUE(g.Enter(o));
  EXPECT_FALSE(g.Enter(o));
  EXPECT_EQ(g.shed.load(), 1u);
  g.Leave();
  EXPECT_TRUE(g.Enter(o));
  EXPECT_EQ(g.in_flight(), 2);
  // 10 retries banked at the start; each call earns 0.2.
  o.retries = 3;
  int spent = 0;
  while (g.SpendRetry()) ++spent;
  EXPECT_EQ(spent, 10);
  for (int i = 0; i < 5; ++i) g.Earn(o);  // five calls: one retry
  EXPECT_TRUE(g.SpendRetry());
  EXPECT_FALSE(g.SpendRetry());
  EXPECT_EQ(g.retries.load(), 11u);
}

TEST(Backoff, GrowsExponentiallyWithJitterUnderTheCap) {
  ResilienceOptions o;
  o.backoff = 100ms;
  o.max_backoff = 1000ms;
  for (int attempt = 1; attempt <= 8; ++attempt) {
    const auto cap = std::min<long long>(1000, 100LL << (attempt - 1));
    for (int i = 0; i < 50; ++i) {
      const auto b = Backoff(o, attempt).count();
      EXPECT_GE(b, 0);
      EXPECT_LE(b, cap);
    }
  }
  EXPECT_EQ(&UpstreamGuards::Instance().For("x"), &UpstreamGuards::Instance().For("x"));
}

}  // namespace
}  // namespace capstan::consumes
