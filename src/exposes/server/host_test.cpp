#include "exposes/server/host.hpp"

#include <gtest/gtest.h>

#include "http/testing/test_client.hpp"

namespace capstan::exposes {
namespace {

using namespace std::chrono_literals;

// Answers every path under its prefix with its name.
class Named final : public Endpoint {
 public:
  Named(std::string name, std::string path) : name_(std::move(name)), path_(std::move(path)) {}
  std::string Describe() const override { return "endpoint " + path_; }
  std::vector<ClaimedPath> Claims() const override { return {ClaimTemplate(path_)}; }
  bool Matches(std::string_view raw_path) const override { return raw_path == path_; }
  boost::asio::awaitable<http::Response> Handle(http::Request&) override {
    co_return http::MakeResponse(200, "\"" + name_ + "\"");
  }

 private:
  std::string name_;
  std::string path_;
};

HostOptions Options() {
  HostOptions o;
  o.threads = 1;
  o.access_log = false;
  return o;
}

std::string Get(http::TestClient& client, std::string_view path) {
  auto r = client.Send("GET", path);
  if (!r) return "error: " + r.error().message;
  return std::to_string(r->status) + " " + r->body;
}

TEST(HostReplace, KeepsTheListenerAndItsConnectionsAndSwapsTheEndpoints) {
  Host host(Options());
  host.Add("127.0.0.1", 0, std::make_shared<Named>("v1", "/a"));
  ASSERT_TRUE(host.Start());
  const std::uint16_t port = host.bound().at(0).port;
  http::TestClient client(port);  // one keep-alive connection across the reloads
  EXPECT_EQ(Get(client, "/a"), "200 \"v1\"");

  // Same first endpoint (by Describe()): the ephemeral listener stays, on the same port.
  ASSERT_TRUE(host.Replace({Registration{"127.0.0.1", 0, std::make_shared<Named>("v2", "/a")},
                            Registration{"127.0.0.1", 0, std::make_shared<Named>("b", "/b")}}));
  ASSERT_EQ(host.bound().size(), 2u);
  EXPECT_EQ(host.bound()[0].port, port);
  EXPECT_EQ(Get(client, "/a"), "200 \"v2\"");  // the same connection, the new endpoint
  http::TestClient other(host.bound()[1].port);
  EXPECT_EQ(Get(other, "/b"), "200 \"b\"");

  // A collision changes nothing.
  auto clash = host.Replace({Registration{"127.0.0.1", port, std::make_shared<Named>("x", "/a")},
                             Registration{"127.0.0.1", port, std::make_shared<Named>("y", "/a")}});
  ASSERT_FALSE(clash);
  EXPECT_NE(clash.error().message.find("route collision"), std::string::npos);
  EXPECT_EQ(Get(client, "/a"), "200 \"v2\"");

  // A listener no longer named stops; the one that stays keeps answering.
  ASSERT_TRUE(
      host.Replace({Registration{"127.0.0.1", 0, std::make_shared<Named>("v3", "/a")}}, 1s));
  EXPECT_EQ(host.bound().size(), 1u);
  EXPECT_EQ(Get(client, "/a"), "200 \"v3\"");
  host.Stop(1s);
}

TEST(HostReplace, AListenerThatCannotStartLeavesTheOldSetServing) {
  Host host(Options());
  host.Add("127.0.0.1", 0, std::make_shared<Named>("v1", "/a"));
  ASSERT_TRUE(host.Start());
  const std::uint16_t port = host.bound().at(0).port;
  // 192.0.2.1 (TEST-NET-1) is not an address of this machine: its listener cannot bind.
  auto failed = host.Replace({Registration{"127.0.0.1", 0, std::make_shared<Named>("v2", "/a")},
                              Registration{"192.0.2.1", 9, std::make_shared<Named>("z", "/z")}});
  ASSERT_FALSE(failed);
  http::TestClient client(port);
  EXPECT_EQ(Get(client, "/a"), "200 \"v1\"");
  host.Stop(1s);
}

}  // namespace
}  // namespace capstan::exposes
