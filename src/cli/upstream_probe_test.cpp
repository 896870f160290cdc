#include "cli/upstream_probe.hpp"

#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>

namespace capstan::cli {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

// A listening socket on an ephemeral loopback port (connections are never accepted: the
// kernel completes the handshake through the backlog, which is what a probe checks).
struct Listener {
  asio::io_context ioc;
  asio::ip::tcp::acceptor acceptor{ioc, {asio::ip::make_address("127.0.0.1"), 0}};
  std::uint16_t port() const { return acceptor.local_endpoint().port(); }
};

std::uint16_t ClosedPort() {
  Listener l;
  return l.port();  // closed again when `l` goes
}

TEST(UpstreamProbe, ConnectTellsWhyNot) {
  Listener open;
  EXPECT_EQ(UpstreamProbe::Connect("127.0.0.1", open.port(), 1s), "");
  EXPECT_EQ(UpstreamProbe::Connect("127.0.0.1", ClosedPort(), 1s), "Connection refused");
  EXPECT_NE(UpstreamProbe::Connect("no-such-host.invalid", 80, 2s).find("cannot resolve"),
            std::string::npos);
}

TEST(UpstreamProbe, ReasonsFollowTheTargets) {
  Listener open;
  const std::uint16_t closed = ClosedPort();
  UpstreamProbe probe(100ms, 500ms);
  probe.SetTargets({{"up (127.0.0.1)", "127.0.0.1", open.port()}});
  auto wait_for = [&](auto done) {
    for (int i = 0; i < 100 && !done(probe.Reasons()); ++i) std::this_thread::sleep_for(20ms);
    return probe.Reasons();
  };
  EXPECT_TRUE(wait_for([](const auto& r) { return r.empty(); }).empty());
  probe.SetTargets(
      {{"up (127.0.0.1)", "127.0.0.1", open.port()}, {"down (127.0.0.1)", "127.0.0.1", closed}});
  auto reasons = wait_for(
      [](const auto& r) { return r.size() == 1 && r[0].find("down") != std::string::npos; });
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_EQ(reasons[0], "upstream down (127.0.0.1) unreachable: Connection refused");
}

}  // namespace
}  // namespace capstan::cli
