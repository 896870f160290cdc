#include "http/server.hpp"

#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http/query.hpp"
#include "http/testing/test_client.hpp"

namespace capstan::http {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using namespace std::chrono_literals;
using namespace std::string_literals;

int QueryInt(const Request& request, std::string_view name, int fallback) {
  auto params = ParseQuery(request.query);
  if (!params) return fallback;
  auto value = FindQueryParam(*params, name);
  return value ? std::stoi(std::string(*value)) : fallback;
}

// A test server whose handler serves a few behaviours by path.
class ServerTest : public ::testing::Test {
 protected:
  void StartServer(ServerOptions options = {}) {
    if (options.threads == 0) options.threads = 2;
    options.access_log = [this](const Request& request, const Response& response,
                                std::chrono::microseconds) {
      std::lock_guard lock(log_mu_);
      log_.push_back(request.method + " " + request.target + " " + std::to_string(response.status));
    };
    server_ =
        std::make_unique<Server>(options, [this](Request& request) { return Handle(request); });
    auto started = server_->Start();
    ASSERT_TRUE(started) << started.error().message;
  }
  void TearDown() override {
    if (server_) server_->Stop(1s);
  }

  boost::asio::awaitable<Response> Handle(Request& request) {
    if (request.path == "/slow") {
      int ms = QueryInt(request, "ms", 200);
      if (started_promise_) {
        started_promise_->set_value();
        started_promise_.reset();
      }
      co_await Sleep(std::chrono::milliseconds(ms));
      co_return MakeResponse(200, "slow " + std::to_string(ms), "text/plain");
    }
    if (request.path == "/stream") {
      Response response = MakeResponse(200, "", "text/event-stream");
      int chunks = QueryInt(request, "n", 3);
      response.stream = [chunks](StreamWriter& writer) -> boost::asio::awaitable<void> {
        for (int i = 0; i < chunks && !writer.closed(); ++i) {
          if (i > 0) co_await Sleep(20ms);
          if (!co_await writer.Write("data: " + std::to_string(i) + "\n\n")) co_return;
        }
      };
      co_return response;
    }
    if (request.path == "/throw") throw std::runtime_error("boom");
    if (request.path == "/text") co_return MakeResponse(200, "hello", "text/plain; charset=x");
    if (request.path == "/close") {
      Response response = MakeResponse(200, "bye", "text/plain");
      response.headers.Set("Connection", "close");
      co_return response;
    }
    // Echo: method, target and body.
    co_return MakeResponse(200, request.method + " " + request.target + " " + request.body,
                           "application/json");
  }

  std::vector<std::string> Log() {
    std::lock_guard lock(log_mu_);
    return log_;
  }

  std::unique_ptr<Server> server_;
  std::optional<std::promise<void>> started_promise_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

TEST_F(ServerTest, BindsAnEphemeralPortAndAnswers) {
  StartServer();
  ASSERT_NE(server_->port(), 0);
  EXPECT_EQ(server_->threads(), 2u);
  TestClient client(server_->port());
  auto response = client.Get("/hello?x=1");
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->version, "HTTP/1.1");
  EXPECT_EQ(response->body, "GET /hello?x=1 ");
  EXPECT_EQ(response->headers.Get("Content-Type"), "application/json");
  EXPECT_EQ(response->headers.Get("Content-Length"), "15");
  EXPECT_TRUE(response->headers.Has("Date"));
  ASSERT_TRUE(response->headers.Has("X-Request-Id"));
  EXPECT_EQ(response->headers.Get("X-Request-Id")->size(), 36u);
  EXPECT_FALSE(response->headers.Has("Server"));
}

TEST_F(ServerTest, ServerNameAndHandlerContentTypeKept) {
  ServerOptions options;
  options.server_name = "Test Gateway";
  StartServer(options);
  TestClient client(server_->port());
  auto response = client.Get("/text");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->headers.Get("Content-Type"), "text/plain; charset=x");
  EXPECT_EQ(response->headers.Get("Server"), "Test Gateway");
}

TEST_F(ServerTest, EchoesASaneRequestIdOnly) {
  StartServer();
  TestClient client(server_->port());
  Headers sane;
  sane.Set("x-request-id", "trace-42");
  auto response = client.Get("/", sane);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->headers.Get("X-Request-Id"), "trace-42");
  Headers insane;
  insane.Set("X-Request-Id", "bad value with spaces");
  response = client.Get("/", insane);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->headers.Get("X-Request-Id")->size(), 36u);
}

TEST_F(ServerTest, KeepAliveReusesOneConnection) {
  StartServer();
  TestClient client(server_->port());
  for (int i = 0; i < 5; ++i) {
    auto response = client.Send("POST", "/echo", {}, "body" + std::to_string(i));
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->body, "POST /echo body" + std::to_string(i));
  }
  EXPECT_EQ(client.connections_opened(), 1);
  server_->Stop(1s);  // the access log runs after the write: read it once the loops are done
  EXPECT_EQ(Log().size(), 5u);
}

TEST_F(ServerTest, PipelinedRequestsAnswerInOrder) {
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(
      client.SendRaw("GET /slow?ms=100 HTTP/1.1\r\nHost: x\r\n\r\n"
                     "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                     "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nxyz"
                     "GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  auto r1 = client.ReadResponse();
  auto r2 = client.ReadResponse();
  auto r3 = client.ReadResponse();
  auto r4 = client.ReadResponse();
  ASSERT_TRUE(r1 && r2 && r3 && r4);
  EXPECT_EQ(r1->body, "slow 100");
  EXPECT_EQ(r2->body, "GET /a ");
  EXPECT_EQ(r3->body, "POST /b xyz");
  EXPECT_EQ(r4->body, "GET /c ");
  EXPECT_EQ(r4->headers.Get("Connection"), "close");
}

TEST_F(ServerTest, ConnectionCloseHonoured) {
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.SendRaw("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  auto response = client.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->headers.Get("Connection"), "close");
  TestClient other(server_->port());
  ASSERT_TRUE(other.SendRaw("GET /close HTTP/1.1\r\nHost: x\r\n\r\n"));
  response = other.ReadHead();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->headers.Get("Connection"), "close");
  EXPECT_TRUE(other.WaitForClose());
}

TEST_F(ServerTest, Http10) {
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.SendRaw("GET /old HTTP/1.0\r\n\r\n"));
  auto response = client.ReadHead();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->headers.Get("Connection"), "close");
  EXPECT_TRUE(client.WaitForClose());

  TestClient keep(server_->port());
  ASSERT_TRUE(keep.SendRaw("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  response = keep.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->headers.Get("Connection"), "keep-alive");
  ASSERT_TRUE(keep.SendRaw("GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  response = keep.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "GET /b ");
}

TEST_F(ServerTest, AbsoluteFormTargetRoutesOnThePath) {
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.SendRaw("GET http://example.com:80/text?x=1 HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto response = client.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "hello");
}

TEST_F(ServerTest, HeadHasLengthButNoBody) {
  StartServer();
  TestClient client(server_->port());
  auto response = client.Send("HEAD", "/abc");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->headers.Get("Content-Length"), "10");
  EXPECT_TRUE(response->body.empty());
  response = client.Get("/next");  // the connection is still in sync
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "GET /next ");
}

TEST_F(ServerTest, ExpectContinue) {
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.SendRaw(
      "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = client.ReadHead();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.SendRaw("hello"));
  auto response = client.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "POST /up hello");
}

TEST_F(ServerTest, ChunkedRequestBody) {
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(
      client.SendRaw("POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                     "chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
  auto response = client.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "POST /c abcde");
}

void ExpectErrorAndClose(TestClient& client, int status, std::string_view type) {
  auto response = client.ReadResponse();
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, status);
  EXPECT_EQ(response->headers.Get("Content-Type"), "application/json");
  EXPECT_EQ(response->headers.Get("Connection"), "close");
  EXPECT_THAT(response->body, StartsWith("{\"type\":\"" + std::string(type) + "\",\"message\":"));
}

TEST_F(ServerTest, OversizedHeaderIs431) {
  ServerOptions options;
  options.limits.max_header_bytes = 1024;
  StartServer(options);
  TestClient client(server_->port());
  ASSERT_TRUE(
      client.SendRaw("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n"));
  ExpectErrorAndClose(client, 431, "request_header_fields_too_large");
}

TEST_F(ServerTest, DefaultHeaderLimitIs16KiB) {
  StartServer();
  TestClient ok(server_->port());
  Headers headers;
  headers.Set("X-Big", std::string(15000, 'a'));
  auto response = ok.Get("/", headers);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  TestClient client(server_->port());
  ASSERT_TRUE(client.SendRaw("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') +
                             "\r\n\r\n"));
  ExpectErrorAndClose(client, 431, "request_header_fields_too_large");
}

TEST_F(ServerTest, OversizedBodyIs413) {
  ServerOptions options;
  options.limits.max_body_bytes = 1000;
  StartServer(options);
  TestClient declared(server_->port());
  ASSERT_TRUE(declared.SendRaw("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n" +
                               std::string(2000, 'b')));
  ExpectErrorAndClose(declared, 413, "payload_too_large");

  TestClient chunked(server_->port());
  std::string body;
  for (int i = 0; i < 3; ++i) body += "200\r\n" + std::string(512, 'c') + "\r\n";
  ASSERT_TRUE(chunked.SendRaw("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                              body + "0\r\n\r\n"));
  ExpectErrorAndClose(chunked, 413, "payload_too_large");
}

TEST_F(ServerTest, DefaultBodyLimitIs1MiB) {
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.SendRaw("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2097152\r\n\r\n"));
  ExpectErrorAndClose(client, 413, "payload_too_large");
}

struct MalformedCase {
  const char* name;
  std::string bytes;
  // The message the 400 carries when it is the connection's own framing check (not Beast's).
  std::string_view message;
};

class MalformedTest : public ServerTest, public ::testing::WithParamInterface<MalformedCase> {};

TEST_P(MalformedTest, Answers400ThenCloses) {
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.SendRaw(GetParam().bytes));
  if (GetParam().message.empty()) {
    ExpectErrorAndClose(client, 400, "bad_request");
  } else {
    auto response = client.ReadResponse();
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->status, 400);
    EXPECT_EQ(response->body,
              R"({"type":"bad_request","message":")" + std::string(GetParam().message) + "\"}");
  }
  EXPECT_TRUE(client.WaitForClose());
}

INSTANTIATE_TEST_SUITE_P(
    Requests, MalformedTest,
    ::testing::Values(
        MalformedCase{"BadRequestLine", "GARBAGE\r\n\r\n", ""},
        MalformedCase{"BadMethodChars", "G(T / HTTP/1.1\r\nHost: x\r\n\r\n", ""},
        MalformedCase{"BadVersion", "GET / HTTQ/1.1\r\nHost: x\r\n\r\n", ""},
        MalformedCase{"ClAndTe",
                      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                      ""},
        MalformedCase{"TeAndCl",
                      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
                      "content-length: 3\r\n\r\nabc",
                      "both Content-Length and Transfer-Encoding"},
        MalformedCase{"DuplicateClSame",
                      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                      "Content-Length: 3\r\n\r\nabc",
                      "duplicate Content-Length"},
        MalformedCase{"DuplicateClOtherCase",
                      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                      "CONTENT-LENGTH: 3\r\n\r\nabc",
                      "duplicate Content-Length"},
        MalformedCase{"DuplicateClDifferent",
                      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                      "Content-Length: 4\r\n\r\nabcd",
                      ""},
        MalformedCase{"BadChunkSize",
                      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "zz\r\nabc\r\n0\r\n\r\n",
                      ""},
        MalformedCase{"NulInHeader", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n"s, ""},
        MalformedCase{"BadHeaderLine", "GET / HTTP/1.1\r\nHost x\r\n\r\n", ""}),
    [](const ::testing::TestParamInfo<MalformedCase>& p) { return p.param.name; });

TEST_F(ServerTest, HandlerExceptionIs500) {
  StartServer();
  TestClient client(server_->port());
  auto response = client.Get("/throw");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(response->body, R"({"type":"internal","message":"internal error"})");
  response = client.Get("/after");  // the connection survives
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

TEST_F(ServerTest, HeaderTimeoutIs408) {
  ServerOptions options;
  options.limits.header_timeout = 200ms;
  StartServer(options);
  TestClient client(server_->port());
  ASSERT_TRUE(client.SendRaw("GET / HTTP/1.1\r\nHost: x\r\n"));  // never finished
  ExpectErrorAndClose(client, 408, "request_timeout");
}

TEST_F(ServerTest, BodyTimeoutIs408) {
  ServerOptions options;
  options.limits.request_timeout = 200ms;
  StartServer(options);
  TestClient client(server_->port());
  ASSERT_TRUE(client.SendRaw("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"));
  ExpectErrorAndClose(client, 408, "request_timeout");
}

TEST_F(ServerTest, IdleConnectionClosedSilently) {
  ServerOptions options;
  options.limits.idle_timeout = 150ms;
  StartServer(options);
  TestClient client(server_->port());
  auto response = client.Get("/");
  ASSERT_TRUE(response);
  EXPECT_TRUE(client.WaitForClose());
}

TEST_F(ServerTest, StreamingResponseIsChunked) {
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.SendRaw("GET /stream?n=3 HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto head = client.ReadHead();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->headers.Get("Transfer-Encoding"), "chunked");
  EXPECT_EQ(head->headers.Get("Content-Type"), "text/event-stream");
  EXPECT_FALSE(head->headers.Has("Content-Length"));
  for (int i = 0; i < 3; ++i) {
    auto chunk = client.ReadChunk();
    ASSERT_TRUE(chunk);
    EXPECT_EQ(*chunk, "data: " + std::to_string(i) + "\n\n");
  }
  auto last = client.ReadChunk();
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, "");
  auto after = client.Get("/after");  // keep-alive after a stream
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(after->body, "GET /after ");
  EXPECT_EQ(client.connections_opened(), 1);
}

TEST_F(ServerTest, StreamingToHttp10ClosesToEndTheBody) {
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.SendRaw("GET /stream?n=2 HTTP/1.0\r\n\r\n"));
  auto response = client.ReadResponse();
  ASSERT_TRUE(response);
  EXPECT_FALSE(response->chunked);
  EXPECT_EQ(response->body, "data: 0\n\ndata: 1\n\n");
}

TEST_F(ServerTest, StreamProducerSeesClientHangUp) {
  StartServer();
  {
    TestClient client(server_->port());
    ASSERT_TRUE(client.SendRaw("GET /stream?n=1000000 HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto head = client.ReadHead();
    ASSERT_TRUE(head);
    ASSERT_TRUE(client.ReadChunk());
  }  // the client hangs up mid-stream
  // The stream ends (the producer sees closed()), so a graceful stop completes quickly.
  auto start = std::chrono::steady_clock::now();
  server_->Stop(5s);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST_F(ServerTest, ManyConnections) {
  StartServer();
  constexpr int kClients = 200;
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<TestClient>(server_->port()));
    ASSERT_TRUE(
        clients.back()->SendRaw("GET /c" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n"));
  }
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < kClients; ++i) {
      auto response = round == 0 ? clients[i]->ReadResponse() : clients[i]->Get("/again");
      ASSERT_TRUE(response) << i << ": " << response.error().message;
      EXPECT_EQ(response->status, 200);
    }
  }
  for (auto& client : clients) EXPECT_EQ(client->connections_opened(), 1);
}

TEST_F(ServerTest, ConnectionsBeyondTheLimitGet503) {
  ServerOptions options;
  options.limits.max_connections = 2;
  StartServer(options);
  TestClient a(server_->port());
  TestClient b(server_->port());
  ASSERT_TRUE(a.Get("/a"));
  ASSERT_TRUE(b.Get("/b"));
  TestClient c(server_->port());
  ASSERT_TRUE(c.SendRaw("GET /c HTTP/1.1\r\nHost: x\r\n\r\n"));
  ExpectErrorAndClose(c, 503, "unavailable");
  c.Close();
  a.Close();
  // Once a slot is free again, a new connection is served. The server may see the close a little
  // later than we do: retry a few times on a fresh connection.
  bool served = false;
  for (int attempt = 0; attempt < 50 && !served; ++attempt) {
    TestClient d(server_->port());
    auto response = d.Get("/d");
    served = response && response->status == 200;
    if (!served) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(served);
}

TEST_F(ServerTest, GracefulStopFinishesInFlightAndClosesIdle) {
  StartServer();
  std::promise<void> started;
  auto started_future = started.get_future();
  started_promise_.emplace(std::move(started));

  TestClient idle(server_->port());
  ASSERT_TRUE(idle.Get("/warm"));

  TestClient busy(server_->port());
  ASSERT_TRUE(busy.SendRaw("GET /slow?ms=300 HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_EQ(started_future.wait_for(5s), std::future_status::ready);

  auto stopper = std::async(std::launch::async, [&] { server_->Stop(5s); });
  auto response = busy.ReadResponse();
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "slow 300");
  EXPECT_EQ(response->headers.Get("Connection"), "close");
  EXPECT_TRUE(idle.WaitForClose());
  EXPECT_EQ(stopper.wait_for(5s), std::future_status::ready);

  TestClient late(server_->port());  // no longer accepting
  auto refused = late.Get("/");
  EXPECT_FALSE(refused);
}

TEST_F(ServerTest, StopDeadlineAbandonsSlowHandlers) {
  StartServer();
  std::promise<void> started;
  auto started_future = started.get_future();
  started_promise_.emplace(std::move(started));
  TestClient busy(server_->port());
  ASSERT_TRUE(busy.SendRaw("GET /slow?ms=60000 HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_EQ(started_future.wait_for(5s), std::future_status::ready);
  auto start = std::chrono::steady_clock::now();
  server_->Stop(100ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_TRUE(busy.WaitForClose());
}

TEST_F(ServerTest, RunReturnsAfterStop) {
  StartServer();
  auto runner = std::async(std::launch::async, [&] { server_->Run(); });
  EXPECT_EQ(runner.wait_for(50ms), std::future_status::timeout);
  server_->Stop(1s);
  EXPECT_EQ(runner.wait_for(5s), std::future_status::ready);
}

TEST_F(ServerTest, AccessLogSeesEveryAnswer) {
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.Get("/one?q=1"));
  ASSERT_TRUE(client.SendRaw("BAD\r\n\r\n"));
  ASSERT_TRUE(client.ReadResponse());
  server_->Stop(1s);
  auto log = Log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0], "GET /one?q=1 200");
  EXPECT_THAT(log[1], HasSubstr("400"));
}

TEST(ServerStart, SecondServerOnTheSamePortFails) {
  ServerOptions options;
  options.threads = 2;
  Server first(options, [](Request&) -> boost::asio::awaitable<Response> {
    co_return MakeResponse(200, "");
  });
  ASSERT_TRUE(first.Start());
  options.port = first.port();
  Server second(options, [](Request&) -> boost::asio::awaitable<Response> {
    co_return MakeResponse(200, "");
  });
  auto started = second.Start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, core::ErrorCode::kIo);
}

TEST(ServerStart, BadAddress) {
  ServerOptions options;
  options.address = "not-an-ip";
  Server server(options, [](Request&) -> boost::asio::awaitable<Response> {
    co_return MakeResponse(200, "");
  });
  EXPECT_FALSE(server.Start());
}

}  // namespace
}  // namespace capstan::http
