#include "http/trace.hpp"

#include <set>

#include <gtest/gtest.h>

namespace capstan::http {
namespace {

constexpr const char* kValid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(TraceContext, ParsesTheSpecificationsExample) {
  auto t = ParseTraceContext(kValid, "congo=t61rcWkgMzE");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(t->parent_id, "00f067aa0ba902b7");
  EXPECT_EQ(t->flags, "01");
  EXPECT_EQ(t->state, "congo=t61rcWkgMzE");
  // A later version is read by its first four fields.
  EXPECT_TRUE(ParseTraceContext(
      std::string("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-xyz")));
}

TEST(TraceContext, RefusesWhatTheSpecificationRefuses) {
  for (const char* bad : {
           "",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",     // short
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",  // v00 with extra
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",    // version ff
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",    // zero trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",    // zero parent id
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",    // upper case
           "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",    // separator
           "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",    // not hex
       }) {
    EXPECT_FALSE(ParseTraceContext(bad)) << bad;
  }
  // A tracestate that could split a header is dropped, the traceparent kept.
  auto t = ParseTraceContext(kValid, "a=b\r\nX-Evil: 1");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->state, "");
}

TEST(TraceContext, ChildrenKeepTheTraceAndGetNewSpans) {
  auto t = ParseTraceContext(kValid);
  ASSERT_TRUE(t);
  std::set<std::string> spans;
  for (int i = 0; i < 100; ++i) {
    std::string child = ChildTraceparent(*t);
    auto parsed = ParseTraceContext(child);
    ASSERT_TRUE(parsed) << child;
    EXPECT_EQ(parsed->trace_id, t->trace_id);
    EXPECT_EQ(parsed->flags, "01");
    EXPECT_NE(parsed->parent_id, t->parent_id);
    spans.insert(parsed->parent_id);
  }
  EXPECT_EQ(spans.size(), 100u);
}

}  // namespace
}  // namespace capstan::http

namespace capstan::http {
namespace {

class CountingSink final : public SpanSink {
 public:
  void Record(Span) override { ++count; }
  int count = 0;
};

TEST(TraceContext, ServerSpansOnlyWithASink) {
  std::optional<TraceContext> none;
  BeginServerSpan(none);  // no sink: nothing changes
  EXPECT_FALSE(none);
  CountingSink sink;
  SetSpanSink(&sink, 0.0);  // sample nothing new
  BeginServerSpan(none);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->trace_id.size(), 32u);
  EXPECT_EQ(none->span_id.size(), 16u);
  EXPECT_TRUE(none->parent_id.empty());
  EXPECT_FALSE(none->sampled());
  SetSpanSink(&sink, 1.0);
  std::optional<TraceContext> root;
  BeginServerSpan(root);
  EXPECT_TRUE(root->sampled());
  // A caller's decision is kept (parent-based), its ids too; capstan's span is new.
  auto incoming = ParseTraceContext(kValid);
  SetSpanSink(&sink, 0.0);
  BeginServerSpan(incoming);
  EXPECT_TRUE(incoming->sampled());
  EXPECT_EQ(incoming->parent_id, "00f067aa0ba902b7");
  EXPECT_NE(incoming->span_id, incoming->parent_id);
  EXPECT_EQ(Traceparent(*incoming, "1111111111111111"),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-01");
  SetSpanSink(nullptr, 1.0);
  EXPECT_EQ(ActiveSpanSink(), nullptr);
}

}  // namespace
}  // namespace capstan::http
