#include "consumes/upstream_client.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <gtest/gtest.h>

#include "http/server.hpp"

namespace capstan::consumes {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using namespace std::chrono_literals;

// Runs `fn(client)` as a coroutine on a private loop and returns its result.
template <typename Fn>
auto RunOnLoop(std::shared_ptr<TlsContext> tls, Fn fn, PoolOptions pool = {}) {
  asio::io_context ioc;
  UpstreamClient client(ioc.get_executor(), std::move(tls), pool);
  auto future = asio::co_spawn(ioc, fn(client), asio::use_future);
  ioc.run();
  return future.get();
}

class UpstreamClientTest : public ::testing::Test {
 protected:
  void StartServer(http::Handler handler, http::ServerLimits limits = {}) {
    http::ServerOptions options;
    options.threads = 1;
    options.limits = limits;
    server_ = std::make_unique<http::Server>(options, std::move(handler));
    ASSERT_TRUE(server_->Start());
    origin_ = *ParseOrigin("http://127.0.0.1:" + std::to_string(server_->port()));
  }
  void TearDown() override {
    if (server_) server_->Stop(0s);
  }

  std::unique_ptr<http::Server> server_;
  Origin origin_;
};

TEST(OriginTest, ParsesBaseUris) {
  auto o = ParseOrigin("https://api.scaleway.com");
  ASSERT_TRUE(o);
  EXPECT_TRUE(o->tls);
  EXPECT_EQ(o->port, 443);
  EXPECT_EQ(o->HostHeader(), "api.scaleway.com");
  auto p = ParseOrigin("http://127.0.0.1:8081/api/v1/");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->base_path, "/api/v1");
  EXPECT_EQ(p->HostHeader(), "127.0.0.1:8081");
  auto v6 = ParseOrigin("http://[::1]:9000");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->HostHeader(), "[::1]:9000");
  for (const char* bad : {"ftp://x", "http://", "http://u:p@host", "http://h:0", "http://h:99999",
                          "http://h/x?y", "http://h:12ab", "http://[::1"}) {
    EXPECT_FALSE(ParseOrigin(bad)) << bad;
  }
}

TEST_F(UpstreamClientTest, SendsAndReusesKeepAliveConnections) {
  std::atomic<int> calls{0};
  StartServer([&](http::Request& req) -> asio::awaitable<http::Response> {
    ++calls;
    std::string echo = req.method + " " + req.target + " " + req.body +
                       " host=" + std::string(req.headers.Get("Host").value_or(""));
    co_return http::MakeResponse(200, echo, "text/plain");
  });
  auto results = RunOnLoop(
      nullptr, [&](UpstreamClient& client) -> asio::awaitable<std::vector<UpstreamResponse>> {
        std::vector<UpstreamResponse> out;
        for (int i = 0; i < 3; ++i) {
          UpstreamRequest req;
          req.method = i == 2 ? "POST" : "GET";
          req.target = "/x?i=" + std::to_string(i);
          req.body = i == 2 ? "{\"a\":1}" : "";
          auto r = co_await client.Send(origin_, std::move(req), {});
          EXPECT_TRUE(r) << (r ? "" : r.error().message);
          if (r) out.push_back(std::move(*r));
        }
        EXPECT_EQ(client.idle_connections(), 1u);
        co_return out;
      });
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].body, "GET /x?i=0  host=" + origin_.HostHeader());
  EXPECT_FALSE(results[0].reused_connection);
  EXPECT_TRUE(results[1].reused_connection);
  EXPECT_EQ(results[2].body, "POST /x?i=2 {\"a\":1} host=" + origin_.HostHeader());
  EXPECT_EQ(results[2].headers.Get("Content-Type").value_or(""), "text/plain");
}

TEST_F(UpstreamClientTest, RetriesOnceWhenPooledConnectionWentStale) {
  http::ServerLimits limits;
  limits.idle_timeout = 50ms;
  StartServer(
      [](http::Request&) -> asio::awaitable<http::Response> {
        co_return http::MakeResponse(200, "{}");
      },
      limits);
  auto ok = RunOnLoop(nullptr, [&](UpstreamClient& client) -> asio::awaitable<bool> {
    UpstreamRequest req;
    req.target = "/";
    auto first = co_await client.Send(origin_, req, {});
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_after(300ms);  // the server closes the idle connection meanwhile
    co_await t.async_wait(asio::use_awaitable);
    auto second = co_await client.Send(origin_, req, {});
    EXPECT_TRUE(second) << (second ? "" : second.error().message);
    co_return first&& second && second->status == 200;
  });
  EXPECT_TRUE(ok);
}

TEST_F(UpstreamClientTest, TimesOutAndLimitsSize) {
  StartServer([](http::Request& req) -> asio::awaitable<http::Response> {
    if (req.path == "/slow") co_await http::Sleep(2s);
    co_return http::MakeResponse(200, std::string(req.path == "/big" ? 100000 : 10, 'x'));
  });
  auto errors = RunOnLoop(
      nullptr, [&](UpstreamClient& client) -> asio::awaitable<std::vector<core::ErrorCode>> {
        std::vector<core::ErrorCode> out;
        CallOptions options;
        options.limits.read_timeout = 200ms;
        options.limits.max_response_bytes = 1000;
        for (const char* path : {"/slow", "/big"}) {
          UpstreamRequest req;
          req.target = path;
          auto r = co_await client.Send(origin_, req, options);
          out.push_back(r ? core::ErrorCode::kInternal : r.error().code);
        }
        co_return out;
      });
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], core::ErrorCode::kUpstreamTimeout);
  EXPECT_EQ(errors[1], core::ErrorCode::kUpstreamError);
}

TEST(UpstreamClientErrorsTest, ConnectionRefusedIsUnavailable) {
  // Bind and close a socket to find a port nobody listens on.
  std::uint16_t port;
  {
    asio::io_context ioc;
    asio::ip::tcp::acceptor a(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }
  Origin origin = *ParseOrigin("http://127.0.0.1:" + std::to_string(port));
  auto r = RunOnLoop(
      nullptr, [&](UpstreamClient& client) -> asio::awaitable<core::Result<UpstreamResponse>> {
        UpstreamRequest req;
        req.target = "/";
        co_return co_await client.Send(origin, req, {});
      });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::ErrorCode::kUpstreamUnavailable);
  EXPECT_NE(r.error().message.find("connecting to"), std::string::npos);
}

// --- TLS: a self-signed CA and a certificate for "localhost", made with the openssl CLI.

class TlsFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::filesystem::temp_directory_path() / ("capstan-tls-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::string d = dir_.string();
    std::string script =
        "cd " + d +
        " && "
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 "
        "-subj /CN=capstan-test-ca 2>/dev/null && "
        "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr "
        "-subj /CN=localhost 2>/dev/null && "
        "printf 'subjectAltName=DNS:localhost\\n' > ext.cnf && "
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
        "-out server.pem -days 2 -extfile ext.cnf 2>/dev/null";
    ASSERT_EQ(std::system(script.c_str()), 0);
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(dir_); }

  // A one-connection-at-a-time TLS server answering every request with "secure".
  void StartTlsServer() {
    ctx_.use_certificate_chain_file((dir_ / "server.pem").string());
    ctx_.use_private_key_file((dir_ / "server.key").string(), asio::ssl::context::pem);
    acceptor_.emplace(ioc_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port_ = acceptor_->local_endpoint().port();
    thread_ = std::thread([this] {
      while (true) {
        boost::system::error_code ec;
        asio::ip::tcp::socket socket(ioc_);
        acceptor_->accept(socket, ec);
        if (ec || stop_) return;
        beast::ssl_stream<asio::ip::tcp::socket> stream(std::move(socket), ctx_);
        stream.handshake(asio::ssl::stream_base::server, ec);
        if (ec) continue;
        beast::flat_buffer buffer;
        bhttp::request<bhttp::string_body> req;
        bhttp::read(stream, buffer, req, ec);
        if (ec) continue;
        bhttp::response<bhttp::string_body> res{bhttp::status::ok, 11};
        res.body() = "secure";
        res.keep_alive(false);
        res.prepare_payload();
        bhttp::write(stream, res, ec);
        stream.shutdown(ec);
      }
    });
  }
  void TearDown() override {
    if (thread_.joinable()) {
      stop_ = true;
      boost::system::error_code ec;
      asio::ip::tcp::socket poke(ioc_);
      poke.connect({asio::ip::make_address("127.0.0.1"), port_}, ec);
      thread_.join();
    }
  }

  core::Result<UpstreamResponse> Call(const std::string& host, TlsOptions tls_options) {
    auto tls = MakeTlsContext(tls_options);
    if (!tls) return core::Fail(tls.error());
    Origin origin = *ParseOrigin("https://" + host + ":" + std::to_string(port_));
    return RunOnLoop(
        *tls, [&](UpstreamClient& client) -> asio::awaitable<core::Result<UpstreamResponse>> {
          UpstreamRequest req;
          req.target = "/";
          co_return co_await client.Send(origin, req, {});
        });
  }

  static inline std::filesystem::path dir_;
  asio::io_context ioc_;
  asio::ssl::context ctx_{asio::ssl::context::tls_server};
  std::optional<asio::ip::tcp::acceptor> acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST_F(TlsFixture, VerifiesAgainstAnExtraCaFile) {
  StartTlsServer();
  TlsOptions options;
  options.ca_file = (dir_ / "ca.pem").string();
  auto r = Call("localhost", options);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->body, "secure");
}

TEST_F(TlsFixture, RejectsAnUnknownCa) {
  StartTlsServer();
  auto r = Call("localhost", TlsOptions{});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::ErrorCode::kUpstreamUnavailable);
  EXPECT_NE(r.error().message.find("certificate"), std::string::npos) << r.error().message;
}

TEST_F(TlsFixture, RejectsAWrongHostName) {
  StartTlsServer();
  TlsOptions options;
  options.ca_file = (dir_ / "ca.pem").string();
  auto r = Call("127.0.0.1", options);  // the certificate names only DNS:localhost
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::ErrorCode::kUpstreamUnavailable);
  EXPECT_NE(r.error().message.find("certificate"), std::string::npos) << r.error().message;
}

TEST_F(TlsFixture, MissingCaFileIsAClearError) {
  TlsOptions options;
  options.ca_file = "/nonexistent/ca.pem";
  auto tls = MakeTlsContext(options);
  ASSERT_FALSE(tls);
  EXPECT_NE(tls.error().message.find("/nonexistent/ca.pem"), std::string::npos);
}

}  // namespace
}  // namespace capstan::consumes
