// The simulator behind the real HTTP server, over loopback sockets.
#include <atomic>
#include <mutex>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/json.hpp"
#include "http/server.hpp"
#include "http/testing/test_client.hpp"
#include "sim/simulator.hpp"

namespace capstan::sim {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr char kToken[] = "6c7ef130-6442-42fd-b525-ccf941221566";
constexpr char kList[] = "/v1/iam/v1alpha1/jwts?audience_id=d4e39c6f-77f6-450b-8f8e-9f0362a8c06d";

class SimServerTest : public ::testing::Test {
 protected:
  void Start(SimulatorOptions options = {}) {
    auto seed = ParseSeed(DefaultSeedJson(), NowMicros());
    ASSERT_TRUE(seed);
    auto store = JwtStore::Create(std::move(seed->jwts));
    ASSERT_TRUE(store);
    options.tokens = MergeTokens(seed->tokens, options.tokens);
    options.path_prefix = "/v1";
    sim_ = std::make_unique<Simulator>(std::move(*store), std::move(options));
    http::ServerOptions server_options;
    server_options.threads = 2;
    server_options.server_name = std::string(kServerName);
    server_options.access_log = [this](const http::Request& request, const http::Response& response,
                                       std::chrono::microseconds duration) {
      std::lock_guard lock(log_mu_);
      log_.push_back(AccessLogLine(request, response, duration));
    };
    server_ = std::make_unique<http::Server>(server_options, sim_->MakeHandler());
    ASSERT_TRUE(server_->Start());
  }
  void TearDown() override {
    if (server_) server_->Stop(1s);
  }
  static http::Headers Auth(std::string_view token = kToken) {
    http::Headers headers;
    headers.Set("X-Auth-Token", token);
    return headers;
  }
  std::vector<std::string> StopAndLog() {
    server_->Stop(1s);
    std::lock_guard lock(log_mu_);
    return log_;
  }

  std::unique_ptr<Simulator> sim_;
  std::unique_ptr<http::Server> server_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

TEST_F(SimServerTest, GatewayHeaders) {
  Start();
  http::TestClient client(server_->port());
  auto response = client.Get(kList, Auth());
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->headers.Get("Content-Type"), "application/json");
  EXPECT_EQ(response->headers.Get("Server"), "Scaleway API Gateway (sim)");
  EXPECT_EQ(response->headers.Get("X-Request-Id")->size(), 36u);
  EXPECT_FALSE(response->headers.Has("X-Total-Count"));
  auto body = core::ParseJson(response->body);
  ASSERT_TRUE(body);
  EXPECT_EQ(body->at("total_count"), 17);
  EXPECT_EQ(body->at("jwts").as_array().size(), 17u);
}

TEST_F(SimServerTest, DeleteIs204WithContentTypeAndNoBody) {
  Start();
  http::TestClient client(server_->port());
  std::string item = "/v1/iam/v1alpha1/jwts/afadfc10-76fa-410f-8621-10016eb484b5";
  auto response = client.Send("DELETE", item, Auth(), "{}");  // Python SDK style body
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 204);
  EXPECT_EQ(response->headers.Get("Content-Type"), "application/json");
  EXPECT_FALSE(response->headers.Has("Content-Length"));
  EXPECT_TRUE(response->body.empty());
  response = client.Send("DELETE", item, Auth());  // same connection, still in sync
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(client.connections_opened(), 1);
}

TEST_F(SimServerTest, ConcurrentDeletesExactlyOneWins) {
  Start();
  std::atomic<int> no_content{0};
  std::atomic<int> not_found{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      http::TestClient client(server_->port());
      auto response =
          client.Send("DELETE", "/iam/v1alpha1/jwts/876feec6-561b-4ae0-80d1-6237a8f146db", Auth());
      if (response && response->status == 204) ++no_content;
      if (response && response->status == 404) ++not_found;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(no_content.load(), 1);
  EXPECT_EQ(not_found.load(), 7);
}

TEST_F(SimServerTest, RateLimitIs429EmptyWithEnvoyHeader) {
  SimulatorOptions options;
  options.rate_limit = 3;  // a burst of 3, then 3 per second
  Start(options);
  http::TestClient client(server_->port());
  int ok = 0;
  int limited = 0;
  for (int i = 0; i < 10; ++i) {
    auto response = client.Get(kList, Auth());
    ASSERT_TRUE(response);
    if (response->status == 200) ++ok;
    if (response->status == 429) {
      ++limited;
      EXPECT_TRUE(response->body.empty());
      EXPECT_FALSE(response->headers.Has("Content-Type"));
      EXPECT_EQ(response->headers.Get("X-Envoy-Ratelimited"), "true");
      EXPECT_EQ(response->headers.Get("Content-Length"), "0");
    }
  }
  EXPECT_GE(ok, 3);
  EXPECT_LE(ok, 5);
  EXPECT_EQ(ok + limited, 10);
}

TEST_F(SimServerTest, FailRateOneIsAlways500) {
  SimulatorOptions options;
  options.fail_rate = 1.0;
  Start(options);
  http::TestClient client(server_->port());
  auto response = client.Get(kList, Auth());
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(response->body, R"({"message":"internal error","type":"internal"})");
  EXPECT_EQ(response->headers.Get("Content-Type"), "application/json");
}

TEST_F(SimServerTest, LatencyDelaysAnswers) {
  SimulatorOptions options;
  options.latency = 100ms;
  Start(options);
  http::TestClient client(server_->port());
  auto start = std::chrono::steady_clock::now();
  auto response = client.Get(kList, Auth());
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
}

TEST_F(SimServerTest, AccessLogShowsTargetAndHeaderNamesNotTokens) {
  Start();
  http::TestClient client(server_->port());
  http::Headers headers = Auth();
  headers.Set("User-Agent", "scaleway-sdk-js/1.3.3");
  ASSERT_TRUE(client.Get(std::string(kList) + "&expired=False&page_size=5", headers));
  ASSERT_TRUE(client.Get(kList));  // no token
  auto log = StopAndLog();
  ASSERT_EQ(log.size(), 2u);
  for (const auto& line : log) EXPECT_EQ(line.find(kToken), std::string::npos) << line;
  auto first = core::ParseJson(log[0]);
  ASSERT_TRUE(first);
  EXPECT_EQ(std::string(first->at("target").as_string().c_str()),
            std::string(kList) + "&expired=False&page_size=5");
  EXPECT_EQ(first->at("auth_token_present"), true);
  EXPECT_THAT(log[0], HasSubstr(R"("header_names":["Host","X-Auth-Token","User-Agent"])"));
  auto second = core::ParseJson(log[1]);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->at("status"), 401);
  EXPECT_EQ(second->at("auth_token_present"), false);
}

TEST_F(SimServerTest, MalformedRequestGets400EnvelopeFromTheServer) {
  Start();
  http::TestClient client(server_->port());
  ASSERT_TRUE(
      client.SendRaw("GET /iam/v1alpha1/jwts HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                     "Content-Length: 2\r\n\r\nab"));
  auto response = client.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(response->headers.Get("Server"), "Scaleway API Gateway (sim)");
}

}  // namespace
}  // namespace capstan::sim
