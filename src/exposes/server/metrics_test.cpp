#include "exposes/server/metrics.hpp"

#include <thread>

#include <gtest/gtest.h>

namespace capstan::exposes {
namespace {

using std::chrono::microseconds;

const SeriesTotals* Find(const std::vector<SeriesTotals>& all, std::string_view operation) {
  for (const SeriesTotals& t : all) {
    if (t.adapter == "metrics-test" && t.operation == operation) return &t;
  }
  return nullptr;
}

TEST(Metrics, SeriesAreInternedAndThreadsAreSummedOnScrape) {
  Metrics& m = Metrics::Instance();
  const std::uint32_t a = m.Series("metrics-test", "GET /a");
  EXPECT_EQ(m.Series("metrics-test", "GET /a"), a);  // the same labels, the same series
  const std::uint32_t b = m.Series("metrics-test", "GET /b");
  EXPECT_NE(a, b);
  EXPECT_NE(a, 0u);
  auto work = [&] {
    for (int i = 0; i < 1000; ++i) {
      m.Record(a, 200, microseconds(700), 200, microseconds(500));  // 0.7 ms: the 1 ms bucket
      if (i % 10 == 0) m.Record(a, 502, microseconds(3'000'000), 0, microseconds(0));
    }
    m.Record(b, 404, microseconds(50), 404, microseconds(40));
  };
  std::thread t1(work);
  std::thread t2(work);
  work();
  t1.join();
  t2.join();
  auto all = m.Snapshot();
  const SeriesTotals* ta = Find(all, "GET /a");
  ASSERT_NE(ta, nullptr);
  EXPECT_EQ(ta->by_class[2], 3000u);
  EXPECT_EQ(ta->by_class[5], 300u);
  EXPECT_EQ(ta->count, 3300u);
  EXPECT_EQ(ta->buckets[3], 3000u);                       // le 0.001
  EXPECT_EQ(ta->buckets[kDurationBuckets.size()], 300u);  // 3 s: +Inf only
  EXPECT_NEAR(ta->seconds, 3000 * 0.0007 + 300 * 3.0, 1e-6);
  EXPECT_EQ(ta->upstream_by_class[2], 3000u);
  EXPECT_EQ(ta->upstream_failures, 300u);  // 502 without an upstream status
  EXPECT_EQ(ta->upstream_count, 3000u);
  const SeriesTotals* tb = Find(all, "GET /b");
  ASSERT_NE(tb, nullptr);
  EXPECT_EQ(tb->by_class[4], 3u);
  EXPECT_EQ(tb->buckets[0], 3u);                          // le 0.0001
  m.Record(0, 200, microseconds(1), 0, microseconds(0));  // series 0: ignored
}

TEST(Metrics, AdapterLabelIsTheQuotedName) {
  EXPECT_EQ(AdapterLabel("rest adapter 'iam-jwts-rest'"), "iam-jwts-rest");
  EXPECT_EQ(AdapterLabel("mcp adapter 'a' at /mcp/a"), "a");
  EXPECT_EQ(AdapterLabel("mcp adapters a and 81 more (union)"),
            "mcp adapters a and 81 more (union)");
  EXPECT_EQ(AdapterLabel("control adapter"), "control adapter");
}

}  // namespace
}  // namespace capstan::exposes
