#include "exposes/control/control_adapter.hpp"

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "exposes/server/logs.hpp"
#include "exposes/server/testing/served_endpoint.hpp"
#include "http/testing/test_client.hpp"

namespace capstan::control {
namespace {

using namespace std::chrono_literals;

using Served = exposes::testing::ServedEndpoint;

struct Fake {
  std::atomic<bool> ready{true};
  std::atomic<int> reloads{0};
  std::atomic<bool> reload_fails{false};
  std::shared_ptr<ControlHooks> Hooks() {
    auto hooks = std::make_shared<ControlHooks>();
    hooks->info = [] { return json::object{{"version", "0.1.0"}}; };
    hooks->status = [] { return json::object{{"capabilities", json::array{"a.yaml"}}}; };
    hooks->not_ready = [this] {
      return ready ? std::vector<std::string>{} : std::vector<std::string>{"stopping"};
    };
    hooks->reload = [this]() -> core::Result<json::object> {
      if (reload_fails) return core::Fail(core::ErrorCode::kInvalidArgument, "a.yaml:1:1: bad");
      return json::object{{"reloaded", ++reloads}};
    };
    hooks->validate = []() -> core::Result<json::object> { return json::object{{"valid", true}}; };
    hooks->metrics = [] { return std::string("capstan_up 1\n"); };
    return hooks;
  }
};

TEST(ControlAdapter, ProbesStatusReloadAndValidate) {
  Fake fake;
  auto adapter = MakeControlAdapter(nullptr, std::nullopt, ControlEndpoints::All(), fake.Hooks());
  ASSERT_TRUE(adapter);
  Served served(*adapter);
  http::TestClient client(served.port);
  auto send = [&](std::string_view method, std::string_view path) {
    auto r = client.Send(method, path);
    EXPECT_TRUE(r);
    return r ? std::to_string(r->status) + " " + r->body : std::string("error");
  };
  EXPECT_EQ(send("GET", "/health/live"), R"(200 {"status":"UP"})");
  EXPECT_EQ(send("GET", "/health/ready"), R"(200 {"status":"UP"})");
  fake.ready = false;
  EXPECT_EQ(send("GET", "/health/ready"), R"(503 {"status":"DEGRADED","reasons":["stopping"]})");
  EXPECT_EQ(send("GET", "/info"), R"(200 {"version":"0.1.0"})");
  EXPECT_EQ(send("GET", "/status"), R"(200 {"capabilities":["a.yaml"]})");
  EXPECT_EQ(send("POST", "/config/reload"), R"(200 {"reloaded":1})");
  fake.reload_fails = true;
  EXPECT_EQ(send("POST", "/config/reload"),
            R"(422 {"type":"reload_failed","message":"a.yaml:1:1: bad"})");
  EXPECT_EQ(send("POST", "/config/validate"), R"(200 {"valid":true})");
  auto metrics = client.Send("GET", "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->body, "capstan_up 1\n");
  EXPECT_EQ(metrics->headers.Get("Content-Type").value_or(""),
            "text/plain; version=0.0.4; charset=utf-8");
  // GET on a POST endpoint and POST on a probe: 405 with Allow.
  auto r = client.Send("GET", "/config/reload");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->headers.Get("Allow").value_or(""), "POST");
  EXPECT_EQ(send("POST", "/health/live").substr(0, 3), "405");
  // A page of another origin cannot trigger a reload; a loopback one can.
  http::Headers cross;
  cross.Set("Origin", "https://evil.example");
  auto refused = client.Send("POST", "/config/reload", cross);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  cross.Set("Origin", "http://localhost:3000");
  auto local = client.Send("POST", "/config/validate", cross);
  ASSERT_TRUE(local);
  EXPECT_EQ(local->status, 200);
  EXPECT_EQ(send("GET", "/nope").substr(0, 3), "404");
}

TEST(ControlAdapter, ManagementBlockChoosesTheEndpointsAndAuthenticationGuardsAllButProbes) {
  Fake fake;
  spec::ExposesControl control;
  control.management.emplace();
  control.management->info = true;  // reload and validate stay off
  control.observability.emplace();
  control.observability->metrics_local_enabled = false;
  spec::AuthBearer bearer;
  bearer.token = "s3cret";
  std::optional<spec::Authentication> auth = spec::Authentication{bearer};
  auto adapter = MakeControlAdapter(nullptr, auth, ControlEndpoints::From(control), fake.Hooks());
  ASSERT_TRUE(adapter) << adapter.error().message;
  EXPECT_TRUE((*adapter)->Matches("/status"));
  EXPECT_FALSE((*adapter)->Matches("/config/reload"));
  EXPECT_FALSE((*adapter)->Matches("/metrics"));
  Served served(*adapter);
  http::TestClient client(served.port);
  auto live = client.Send("GET", "/health/live");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);  // probes need no credentials
  auto anonymous = client.Send("GET", "/status");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  http::Headers h;
  h.Set("Authorization", "Bearer s3cret");
  auto allowed = client.Send("GET", "/status", h);
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->status, 200);
  auto off = client.Send("POST", "/config/reload", h);
  ASSERT_TRUE(off);
  EXPECT_EQ(off->status, 404);
  EXPECT_EQ(fake.reloads, 0);
  // No management block: the probes only.
  auto plain = MakeControlAdapter(nullptr, std::nullopt,
                                  ControlEndpoints::From(spec::ExposesControl{}), fake.Hooks());
  ASSERT_TRUE(plain);
  EXPECT_TRUE((*plain)->Matches("/health/ready"));
  EXPECT_TRUE((*plain)->Matches("/metrics"));  // observability's default
  EXPECT_FALSE((*plain)->Matches("/status"));
}

TEST(ControlAdapter, LogLevelsAreReadAndChanged) {
  exposes::LogLevels::Instance().Reset();
  Fake fake;
  auto adapter = MakeControlAdapter(nullptr, std::nullopt, ControlEndpoints::All(), fake.Hooks());
  ASSERT_TRUE(adapter);
  Served served(*adapter);
  http::TestClient client(served.port);
  auto send = [&](std::string_view method, std::string_view path, std::string_view body = {}) {
    auto r = client.Send(method, path, {}, body);
    EXPECT_TRUE(r);
    return r ? std::to_string(r->status) + " " + r->body : std::string("error");
  };
  EXPECT_EQ(send("GET", "/logs"),
            R"(200 {"level":"info","loggers":{"access":{"level":null,"effective":"info"}}})");
  EXPECT_EQ(send("PUT", "/logs", R"({"level":"WARN"})"),
            R"(200 {"level":"warn","loggers":{"access":{"level":null,"effective":"warn"}}})");
  EXPECT_FALSE(exposes::LogLevels::Instance().AccessEnabled(200));
  EXPECT_EQ(send("POST", "/logs/access", R"({"level":"debug"})"),
            R"(200 {"level":"debug","effective":"debug","logger":"access"})");
  EXPECT_TRUE(exposes::LogLevels::Instance().AccessEnabled(200));
  EXPECT_EQ(send("PUT", "/logs/access", R"({"level":null})"),
            R"(200 {"level":null,"effective":"warn","logger":"access"})");
  EXPECT_EQ(send("GET", "/logs/access"),
            R"(200 {"level":null,"effective":"warn","logger":"access"})");
  // Negative: unknown logger, unknown level, no level, not JSON, null for the root, DELETE.
  EXPECT_EQ(send("GET", "/logs/nope").substr(0, 3), "404");
  EXPECT_EQ(send("PUT", "/logs", R"({"level":"loud"})").substr(0, 3), "400");
  EXPECT_EQ(send("PUT", "/logs", R"({})").substr(0, 3), "400");
  EXPECT_EQ(send("PUT", "/logs", "level=info").substr(0, 3), "400");
  EXPECT_EQ(send("PUT", "/logs", R"({"level":null})").substr(0, 3), "400");
  EXPECT_EQ(send("PUT", "/logs/access", R"({"level":7})").substr(0, 3), "400");
  auto del = client.Send("DELETE", "/logs");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 405);
  EXPECT_EQ(del->headers.Get("Allow").value_or(""), "GET, HEAD, PUT, POST");
  EXPECT_EQ(exposes::LogLevels::Instance().root(), exposes::LogLevel::kWarn);  // unchanged
  exposes::LogLevels::Instance().Reset();
}

TEST(ControlAdapter, LogStreamSendsPublishedLinesAndHasALimit) {
  Fake fake;
  ControlEndpoints endpoints = ControlEndpoints::All();
  endpoints.max_log_subscribers = 1;
  auto adapter = MakeControlAdapter(nullptr, std::nullopt, endpoints, fake.Hooks());
  ASSERT_TRUE(adapter);
  Served served(*adapter);
  http::TestClient client(served.port);
  ASSERT_TRUE(client.SendRaw("GET /logs/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  auto head = client.ReadHead();
  ASSERT_TRUE(head) << head.error().message;
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->headers.Get("Content-Type").value_or(""), "text/event-stream");
  auto first = client.ReadChunk();
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, ": capstan log stream\n\n");
  // A second subscriber is one too many.
  http::TestClient other(served.port);
  auto refused = other.Get("/logs/stream");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
  for (int i = 0; i < 50 && exposes::LogHub::Instance().subscribers() == 0; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  exposes::LogHub::Instance().Publish(R"({"status":200})");
  std::string got;
  while (got.find("\n\n") == std::string::npos) {
    auto chunk = client.ReadChunk();
    ASSERT_TRUE(chunk) << chunk.error().message;
    got += *chunk;
  }
  EXPECT_EQ(got, "data: {\"status\":200}\n\n");
}

}  // namespace
}  // namespace capstan::control
