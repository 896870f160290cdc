#include "http/otlp.hpp"

#include <mutex>

#include <gtest/gtest.h>

#include "core/json.hpp"
#include "http/server.hpp"

namespace capstan::http {
namespace {

using namespace std::chrono_literals;

TEST(OtlpEndpoint, DefaultPathPortAndRefusals) {
  auto base = ParseOtlpEndpoint("http://127.0.0.1:4318");
  ASSERT_TRUE(base) << base.error().message;
  EXPECT_EQ(base->host, "127.0.0.1");
  EXPECT_EQ(base->port, 4318);
  EXPECT_EQ(base->target, "/v1/traces");
  auto bare = ParseOtlpEndpoint("http://collector/");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->port, 4318);
  EXPECT_EQ(bare->target, "/v1/traces");
  auto prefixed = ParseOtlpEndpoint("http://[::1]:9000/otel/");
  ASSERT_TRUE(prefixed);
  EXPECT_EQ(prefixed->host, "::1");
  EXPECT_EQ(prefixed->target, "/otel/v1/traces");
  auto exact = ParseOtlpEndpoint("http://c:1/custom/traces", false);
  ASSERT_TRUE(exact);
  EXPECT_EQ(exact->target, "/custom/traces");
  for (const char* bad : {"", "collector:4318", "https://c:4318", "ftp://c", "http://c:0",
                          "http://c:99999", "http://:4318"}) {
    EXPECT_FALSE(ParseOtlpEndpoint(bad)) << bad;
  }
}

Span Sample(std::string name, Span::Kind kind) {
  Span s;
  s.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  s.span_id = "00f067aa0ba902b7";
  s.parent_span_id = kind == Span::Kind::kClient ? "1111111111111111" : "";
  s.name = std::move(name);
  s.kind = kind;
  s.start = std::chrono::system_clock::time_point(std::chrono::nanoseconds(1700000000000000001));
  s.end = s.start + 1500us;
  s.error = kind == Span::Kind::kClient;
  s.string_attributes = {{"url.path", "/v1/\"x\""}};
  s.int_attributes = {{"http.response.status_code", 503}};
  return s;
}

TEST(OtlpJson, TheExportTraceServiceRequestShape) {
  const std::string text =
      OtlpTracesJson({Sample("GET /v1/x", Span::Kind::kServer), Sample("GET", Span::Kind::kClient)},
                     "svc", "1.2.3");
  auto parsed = core::ParseJson(text);
  ASSERT_TRUE(parsed) << text;
  const auto& rs = parsed->at("resourceSpans").at(0);
  EXPECT_EQ(core::SerializeJson(rs.at("resource")),
            R"({"attributes":[{"key":"service.name","value":{"stringValue":"svc"}},)"
            R"({"key":"service.version","value":{"stringValue":"1.2.3"}}]})");
  const auto& spans = rs.at("scopeSpans").at(0).at("spans").get_array();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(core::SerializeJson(spans[0]),
            R"({"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7",)"
            R"("name":"GET /v1/x","kind":2,"startTimeUnixNano":"1700000000000000001",)"
            R"("endTimeUnixNano":"1700000000001500001","attributes":[{"key":"url.path",)"
            R"("value":{"stringValue":"/v1/\"x\""}},{"key":"http.response.status_code",)"
            R"("value":{"intValue":"503"}}],"status":{}})");
  EXPECT_EQ(spans[1].at("parentSpanId"), "1111111111111111");
  EXPECT_EQ(spans[1].at("kind"), 3);
  EXPECT_EQ(core::SerializeJson(spans[1].at("status")), R"({"code":2})");
}

// A loopback collector: records each body, answers `status`.
class Collector {
 public:
  explicit Collector(int status) {
    ServerOptions o;
    o.threads = 1;
    server_ =
        std::make_unique<Server>(o, [this, status](Request& r) -> boost::asio::awaitable<Response> {
          {
            std::lock_guard<std::mutex> lock(mu_);
            bodies_.push_back(r.method + " " + r.path + " " +
                              std::string(r.headers.Get("Content-Type").value_or("")) + " " +
                              std::string(r.headers.Get("X-Tenant").value_or("")));
            payloads_.push_back(r.body);
          }
          co_return MakeResponse(status, "{}");
        });
    EXPECT_TRUE(server_->Start());
  }
  ~Collector() { server_->Stop(1s); }
  [[nodiscard]] std::uint16_t port() const { return server_->port(); }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }
  std::vector<std::string> payloads() {
    std::lock_guard<std::mutex> lock(mu_);
    return payloads_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> bodies_;
  std::vector<std::string> payloads_;
  std::unique_ptr<Server> server_;
};

// Options sending to 127.0.0.1:`port` in batches of `batch`.
OtlpOptions To(std::uint16_t port, std::size_t batch) {
  OtlpOptions o;
  o.endpoint.host = "127.0.0.1";
  o.endpoint.port = port;
  o.max_batch = batch;
  return o;
}

TEST(OtlpExporter, SendsBatchesAndFlushesOnShutdown) {
  Collector collector(200);
  OtlpOptions o = To(collector.port(), 2);
  o.interval = 10s;  // only full batches and the final flush send
  o.headers = {{"X-Tenant", "t1"}};
  OtlpExporter exporter(o);
  for (int i = 0; i < 5; ++i) exporter.Record(Sample("s" + std::to_string(i), Span::Kind::kServer));
  exporter.Shutdown(2s);
  EXPECT_EQ(exporter.exported(), 5u);
  EXPECT_EQ(exporter.dropped(), 0u);
  auto requests = collector.requests();
  ASSERT_EQ(requests.size(), 3u);  // 2 + 2 + the flushed 1
  EXPECT_EQ(requests[0], "POST /v1/traces application/json t1");
  std::size_t spans = 0;
  for (const std::string& p : collector.payloads()) {
    auto parsed = core::ParseJson(p);
    ASSERT_TRUE(parsed);
    spans +=
        parsed->at("resourceSpans").at(0).at("scopeSpans").at(0).at("spans").get_array().size();
  }
  EXPECT_EQ(spans, 5u);
  exporter.Record(Sample("late", Span::Kind::kServer));  // after the stop: dropped
  EXPECT_EQ(exporter.dropped(), 1u);
}

TEST(OtlpExporter, ACollectorThatFailsOrIsDownLosesSpansNotTime) {
  Collector failing(503);
  OtlpOptions o = To(failing.port(), 1);
  {
    OtlpExporter exporter(o);
    exporter.Record(Sample("a", Span::Kind::kServer));
    exporter.Shutdown(2s);
    EXPECT_EQ(exporter.exported(), 0u);
    EXPECT_EQ(exporter.dropped(), 1u);
    EXPECT_EQ(exporter.failed_exports(), 1u);
  }
  o.endpoint.port = 1;  // nothing listens
  o.timeout = 500ms;
  OtlpExporter down(o);
  const auto began = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) down.Record(Sample("b", Span::Kind::kServer));  // never blocks
  EXPECT_LT(std::chrono::steady_clock::now() - began, 100ms);
  down.Shutdown(2s);
  EXPECT_EQ(down.exported(), 0u);
  EXPECT_EQ(down.dropped(), 3u);
}

TEST(OtlpExporter, AFullQueueDrops) {
  OtlpOptions o = To(1, 100);
  o.max_queue = 3;
  o.interval = 10s;
  OtlpExporter exporter(o);
  for (int i = 0; i < 5; ++i) exporter.Record(Sample("c", Span::Kind::kServer));
  EXPECT_EQ(exporter.dropped(), 2u);
  exporter.Shutdown(1s);
}

}  // namespace
}  // namespace capstan::http
