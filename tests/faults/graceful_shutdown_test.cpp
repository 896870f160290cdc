// Graceful shutdown end to end (issue 7): the built `capstan serve` (seed capability) in front of
// the built `scaleway-iam-sim` with added latency, so that requests are really in flight when
// capstan gets SIGTERM. Checks what a client sees (complete answers, refused connections, idle
// keep-alive connections closed, Connection: close during the drain), the exit status, and the
// simulator's state afterwards: every DELETE capstan answered 2xx is gone, every other JWT is not.
#include <chrono>
#include <csignal>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/json.hpp"
#include "http/testing/test_client.hpp"
#include "tests/rest/child_process.hpp"

namespace {

namespace json = capstan::core::json;
using capstan::http::Headers;
using capstan::http::TestClient;
using capstan::http::TestResponse;
using capstan::test_support::ChildProcess;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

const std::string kSeed = std::string(CAPSTAN_SOURCE_DIR) + "/capabilities/scaleway-iam-jwts.yaml";
constexpr const char* kSimToken = "6c7ef130-6442-42fd-b525-ccf941221566";   // organization-wide
constexpr const char* kAudienceA = "e41b66d4-13c6-4bdc-a996-431cfcb2185a";  // 25 JWTs in the seed
constexpr const char* kAudienceB = "d4e39c6f-77f6-450b-8f8e-9f0362a8c06d";  // 17 JWTs
constexpr const char* kRestJwts = "/v1/iam/v1alpha1/jwts";
constexpr const char* kSimJwts = "/iam/v1alpha1/jwts";
// The simulator holds every answer this long: requests sent to capstan are still waiting for
// their upstream answer when the signal comes.
constexpr auto kLatency = 1500ms;
// capstan's drain deadline (`capstan serve` stops with a 10 s grace period).
constexpr auto kGrace = 10s;

// --- raw loopback sockets, for what TestClient hides (refused connects, bytes before a close) ---

int ConnectTo(std::uint16_t port, int& error) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = errno;
    return -1;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    error = errno;
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  error = 0;
  return fd;
}

class RawConnection {
 public:
  enum class End { kOpen, kEof, kReset, kTimeout };

  explicit RawConnection(std::uint16_t port) { fd_ = ConnectTo(port, error_); }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  [[nodiscard]] bool ok() const { return fd_ >= 0; }
  [[nodiscard]] int error() const { return error_; }

  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads one response: its head, then a Content-Length body if any. Returns the head ("" on
  // close or timeout).
  std::string ReadResponse(std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (buffer_.find("\r\n\r\n") == std::string::npos) {
      if (ReadSome(deadline) != End::kOpen) return {};
    }
    std::size_t end = buffer_.find("\r\n\r\n") + 4;
    std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end);
    std::smatch m;
    std::size_t length = 0;
    if (std::regex_search(head, m,
                          std::regex(R"(\r\nContent-Length: *(\d+)\r\n)", std::regex::icase))) {
      length = std::stoul(m[1].str());
    }
    while (buffer_.size() < length) {
      if (ReadSome(deadline) != End::kOpen) return {};
    }
    buffer_.erase(0, length);
    return head;
  }

  // Reads until the peer closes; `bytes` gets what arrived (after any head read before).
  End ReadUntilClose(std::chrono::milliseconds timeout, std::string& bytes) {
    auto deadline = Clock::now() + timeout;
    End end = End::kOpen;
    while ((end = ReadSome(deadline)) == End::kOpen) {
    }
    bytes = std::move(buffer_);
    buffer_.clear();
    return end;
  }

 private:
  End ReadSome(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return End::kTimeout;
    pollfd p{fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready == 0) return End::kTimeout;
    char chunk[4096];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n == 0) return End::kEof;
    if (n < 0) return errno == ECONNRESET ? End::kReset : End::kTimeout;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return End::kOpen;
  }

  int fd_ = -1;
  int error_ = 0;
  std::string buffer_;
};

const char* EndName(RawConnection::End end) {
  switch (end) {
    case RawConnection::End::kOpen:
      return "open";
    case RawConnection::End::kEof:
      return "closed (FIN)";
    case RawConnection::End::kReset:
      return "reset";
    case RawConnection::End::kTimeout:
      return "still open (timeout)";
  }
  return "?";
}

// Polls connect() until it is refused (the listener is closed); returns the errno of the last
// attempt (ECONNREFUSED on success, 0 if connections were still accepted at the deadline).
int WaitUntilRefused(std::uint16_t port, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    int error = 0;
    int fd = ConnectTo(port, error);
    if (fd < 0) return error;
    ::close(fd);
    if (Clock::now() > deadline) return 0;
    std::this_thread::sleep_for(2ms);
  }
}

std::string Request(std::string_view method, std::string_view target, std::uint16_t port,
                    const Headers& headers = {}, std::string_view body = {}) {
  std::string out = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\n";
  out += "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
  for (const auto& [name, value] : headers.entries()) out += name + ": " + value + "\r\n";
  if (!body.empty()) out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += "\r\n";
  out += body;
  return out;
}

json::object ParseObject(const std::string& text) {
  auto parsed = capstan::core::ParseJson(text);
  EXPECT_TRUE(parsed && parsed->is_object()) << text;
  return parsed && parsed->is_object() ? parsed->as_object() : json::object();
}

bool HasCloseToken(const TestResponse& r) {
  auto connection = r.headers.Get("Connection");
  return connection && capstan::http::IEquals(*connection, "close");
}

// --- the two processes ---

struct Sim {
  std::unique_ptr<ChildProcess> process;
  std::uint16_t port = 0;
};

Sim StartSim() {
  Sim sim;
  sim.process = std::make_unique<ChildProcess>(
      std::vector<std::string>{CAPSTAN_SIM_BINARY, "--port", "0", "--threads", "1", "--latency-ms",
                               std::to_string(std::chrono::milliseconds(kLatency).count())});
  auto p = sim.process->WaitForLine(std::regex(R"(^listening on http://127\.0\.0\.1:(\d+)$)"));
  EXPECT_TRUE(p) << sim.process->Stderr();
  if (p) sim.port = static_cast<std::uint16_t>(std::stoi(*p));
  return sim;
}

struct Capstan {
  std::unique_ptr<ChildProcess> process;
  std::uint16_t rest_port = 0;
  std::uint16_t mcp_port = 0;
};

// Two event loops per listener, so that the stop has to reach every loop.
Capstan StartCapstan(std::uint16_t sim_port) {
  Capstan c;
  c.process = std::make_unique<ChildProcess>(
      std::vector<std::string>{CAPSTAN_BINARY, "serve", kSeed, "--base-uri",
                               "iam-jwts=http://127.0.0.1:" + std::to_string(sim_port), "--port",
                               "iam-jwts-rest=0", "--port", "iam-jwts-mcp=0", "--threads", "2"},
      std::map<std::string, std::string>{{"SCALEWAY_API_KEY", kSimToken}});
  std::regex line(R"(^capstan: (\w+ adapter '[^']+' listening on http://127\.0\.0\.1:\d+)$)");
  for (int i = 0; i < 2; ++i) {
    auto l = c.process->WaitForLine(line, 30s);
    EXPECT_TRUE(l) << c.process->Stderr();
    if (!l) break;
    auto port = static_cast<std::uint16_t>(std::stoi(l->substr(l->rfind(':') + 1)));
    (l->rfind("rest", 0) == 0 ? c.rest_port : c.mcp_port) = port;
  }
  return c;
}

Headers SimAuth() {
  Headers h;
  h.Add("X-Auth-Token", kSimToken);
  return h;
}

// The simulator's jtis of `audience` (one page: both seed audiences have fewer than 100).
std::set<std::string> SimJtis(std::uint16_t sim_port, const std::string& audience,
                              int* total_count = nullptr) {
  TestClient client(sim_port);
  client.set_timeout(30s);
  auto r =
      client.Get(std::string(kSimJwts) + "?audience_id=" + audience + "&page_size=100", SimAuth());
  EXPECT_TRUE(r && r->status == 200) << (r ? r->body : r.error().message);
  std::set<std::string> out;
  if (!r || r->status != 200) return out;
  json::object body = ParseObject(r->body);
  if (total_count != nullptr) *total_count = static_cast<int>(body["total_count"].to_number<int>());
  for (const auto& jwt : body["jwts"].as_array()) {
    out.insert(std::string(jwt.as_object().at("jti").as_string()));
  }
  return out;
}

// The simulator's access-log entries with `method`.
std::vector<json::object> SimLog(const ChildProcess& sim, std::string_view method) {
  std::vector<json::object> out;
  for (const std::string& line : sim.StderrLines()) {
    if (line.rfind("{\"time\"", 0) != 0) continue;
    json::object entry = ParseObject(line);
    const json::value* m = entry.if_contains("method");
    if (m != nullptr && m->is_string() && m->as_string() == method) out.push_back(std::move(entry));
  }
  return out;
}

// An MCP session on its own keep-alive connection (initialize answers locally, no upstream call).
struct McpSession {
  std::unique_ptr<TestClient> client;
  std::string id;
};

Headers McpHeaders(const std::string& session) {
  Headers h;
  h.Add("Content-Type", "application/json");
  h.Add("Accept", "application/json, text/event-stream");
  if (!session.empty()) {
    h.Add("Mcp-Session-Id", session);
    h.Add("MCP-Protocol-Version", "2025-06-18");
  }
  return h;
}

McpSession OpenMcpSession(std::uint16_t port) {
  McpSession s;
  s.client = std::make_unique<TestClient>(port);
  s.client->set_timeout(30s);
  auto r = s.client->Send(
      "POST", "/mcp", McpHeaders(""),
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18",)"
      R"("capabilities":{},"clientInfo":{"name":"graceful-shutdown-test","version":"1"}}})");
  EXPECT_TRUE(r && r->status == 200) << (r ? r->body : r.error().message);
  if (r) s.id = std::string(r->headers.Get("Mcp-Session-Id").value_or(""));
  EXPECT_FALSE(s.id.empty());
  auto n = s.client->Send("POST", "/mcp", McpHeaders(s.id),
                          R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  EXPECT_TRUE(n && n->status == 202) << (n ? n->body : n.error().message);
  return s;
}

std::string McpDeleteCall(const std::string& jti) {
  return R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"delete-jwt",)"
         R"("arguments":{"jti":")" +
         jti + R"("}}})";
}

bool ExitedWithZero(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

// --- the tests ---

// SIGTERM under load: the DELETEs (REST and MCP) in flight complete, the listeners refuse new
// connections at once, an idle keep-alive connection is closed, a request sent on a busy
// keep-alive connection during the drain is not run, capstan exits 0, and no DELETE is lost.
TEST(GracefulShutdown, InFlightDeletesCompleteAndNoneIsLost) {
  Sim sim = StartSim();
  ASSERT_NE(sim.port, 0);
  Capstan capstan = StartCapstan(sim.port);
  ASSERT_NE(capstan.rest_port, 0);
  ASSERT_NE(capstan.mcp_port, 0);

  int total_a = 0;
  int total_b = 0;
  std::set<std::string> before_a = SimJtis(sim.port, kAudienceA, &total_a);
  std::set<std::string> before_b = SimJtis(sim.port, kAudienceB, &total_b);
  ASSERT_EQ(before_a.size(), 25u);
  ASSERT_EQ(before_b.size(), 17u);
  std::vector<std::string> jtis(before_a.begin(), before_a.end());
  jtis.insert(jtis.end(), before_b.begin(), before_b.end());
  // 36 REST deletes, 4 MCP delete-jwt calls, 1 pipelined pair, 1 JWT nobody touches.
  constexpr std::size_t kRest = 36;
  constexpr std::size_t kMcp = 4;
  const std::string pipelined_first = jtis[kRest + kMcp];
  const std::string pipelined_second = jtis[kRest + kMcp + 1];
  ASSERT_EQ(jtis.size(), kRest + kMcp + 2);

  // Open every connection first and use it once, so that capstan has accepted all of them before
  // the signal (a connection still in the kernel's accept queue is reset when the listener
  // closes). OPTIONS answers locally.
  std::vector<std::unique_ptr<TestClient>> rest;
  for (std::size_t i = 0; i < kRest; ++i) {
    rest.push_back(std::make_unique<TestClient>(capstan.rest_port));
    rest.back()->set_timeout(30s);
    auto r = rest.back()->Send("OPTIONS", kRestJwts);
    ASSERT_TRUE(r && r->status == 204) << (r ? r->body : r.error().message);
  }
  std::vector<McpSession> mcp;
  for (std::size_t i = 0; i < kMcp; ++i) mcp.push_back(OpenMcpSession(capstan.mcp_port));
  std::string options_request = Request("OPTIONS", kRestJwts, capstan.rest_port);
  RawConnection idle(capstan.rest_port);
  RawConnection pipelined(capstan.rest_port);
  ASSERT_TRUE(idle.ok() && pipelined.ok());
  for (RawConnection* c : {&idle, &pipelined}) {
    ASSERT_TRUE(c->Send(options_request));
    ASSERT_EQ(c->ReadResponse(10s).rfind("HTTP/1.1 204 ", 0), 0u);
  }

  // Fire the deletes; the simulator holds each for kLatency.
  for (std::size_t i = 0; i < kRest; ++i) {
    ASSERT_TRUE(rest[i]->SendRaw(
        Request("DELETE", std::string(kRestJwts) + "/" + jtis[i], capstan.rest_port)));
  }
  for (std::size_t i = 0; i < kMcp; ++i) {
    ASSERT_TRUE(mcp[i].client->SendRaw(Request(
        "POST", "/mcp", capstan.mcp_port, McpHeaders(mcp[i].id), McpDeleteCall(jtis[kRest + i]))));
  }
  ASSERT_TRUE(pipelined.Send(
      Request("DELETE", std::string(kRestJwts) + "/" + pipelined_first, capstan.rest_port)));
  std::this_thread::sleep_for(200ms);  // let capstan forward them
  ASSERT_TRUE(capstan.process->Running()) << capstan.process->Stderr();
  ASSERT_TRUE(SimLog(*sim.process, "DELETE").empty())
      << "the simulator answered a DELETE before the signal: the latency is too short here";

  ASSERT_TRUE(capstan.process->Signal(SIGTERM));
  auto signalled = Clock::now();

  // New connections are refused on both listeners while the drain goes on.
  EXPECT_EQ(WaitUntilRefused(capstan.rest_port, 2s), ECONNREFUSED) << "REST listener still open";
  EXPECT_EQ(WaitUntilRefused(capstan.mcp_port, 2s), ECONNREFUSED) << "MCP listener still open";
  // The idle keep-alive connection is closed without a byte of a response.
  std::string idle_bytes;
  auto idle_end = idle.ReadUntilClose(2s, idle_bytes);
  EXPECT_EQ(idle_end, RawConnection::End::kEof) << EndName(idle_end);
  EXPECT_EQ(idle_bytes, "");
  // All of that happened while the deletes were still in flight.
  EXPECT_TRUE(capstan.process->Running());
  EXPECT_TRUE(SimLog(*sim.process, "DELETE").empty())
      << "the drain checks above ran after the in-flight requests were answered";

  // A request on a kept-alive connection during the drain: this one is busy with the first
  // DELETE, so the second waits; the first is answered with Connection: close and the second is
  // never read (the connection then closes).
  ASSERT_TRUE(pipelined.Send(
      Request("DELETE", std::string(kRestJwts) + "/" + pipelined_second, capstan.rest_port)));

  // Every request sent before the signal gets a complete answer, saying Connection: close.
  std::set<std::string> reported_deleted;
  std::set<std::string> reported_failed;
  for (std::size_t i = 0; i < kRest; ++i) {
    auto r = rest[i]->ReadResponse();
    ASSERT_TRUE(r) << "DELETE " << jtis[i] << ": " << r.error().message << "\ncapstan's log:\n"
                   << capstan.process->Stderr();
    EXPECT_EQ(r->status, 204) << r->body;
    EXPECT_TRUE(HasCloseToken(*r)) << "DELETE " << jtis[i] << " answered without Connection: close";
    EXPECT_EQ(rest[i]->connections_opened(), 1);
    (r->status >= 200 && r->status < 300 ? reported_deleted : reported_failed).insert(jtis[i]);
  }
  for (std::size_t i = 0; i < kMcp; ++i) {
    auto r = mcp[i].client->ReadResponse();
    ASSERT_TRUE(r) << "delete-jwt " << jtis[kRest + i] << ": " << r.error().message
                   << " (connections opened: " << mcp[i].client->connections_opened()
                   << ")\ncapstan's log:\n"
                   << capstan.process->Stderr();
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_TRUE(HasCloseToken(*r));
    json::object body = ParseObject(r->body);
    const json::value* result = body.if_contains("result");
    bool ok = r->status == 200 && result != nullptr && result->is_object() &&
              !result->as_object().contains("isError");
    EXPECT_TRUE(ok) << r->body;
    (ok ? reported_deleted : reported_failed).insert(jtis[kRest + i]);
  }
  std::string head = pipelined.ReadResponse(30s);
  EXPECT_EQ(head.rfind("HTTP/1.1 204 ", 0), 0u) << head;
  EXPECT_NE(head.find("\r\nConnection: close\r\n"), std::string::npos) << head;
  if (head.rfind("HTTP/1.1 204 ", 0) == 0) reported_deleted.insert(pipelined_first);
  std::string after;
  auto pipelined_end = pipelined.ReadUntilClose(5s, after);
  EXPECT_EQ(pipelined_end, RawConnection::End::kEof) << EndName(pipelined_end);
  EXPECT_EQ(after, "") << "the request sent during the drain was answered";

  // capstan exits 0 within the grace period.
  auto status = capstan.process->WaitForExit(std::chrono::duration_cast<std::chrono::milliseconds>(
      kGrace + 2s - (Clock::now() - signalled)));
  ASSERT_TRUE(status) << "capstan still runs " << kGrace.count() << " s after SIGTERM";
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - signalled);
  EXPECT_TRUE(ExitedWithZero(*status)) << "wait status " << *status << "\n"
                                       << capstan.process->Stderr();
  EXPECT_LT(took, kGrace) << "the drain ran into the grace deadline";
  EXPECT_NE(capstan.process->Stderr().find("stopping gracefully"), std::string::npos);

  // The simulator's state agrees with every answer: nothing capstan reported deleted remains,
  // nothing else was deleted (the DELETE sent during the drain never reached it).
  EXPECT_EQ(reported_deleted.size(), kRest + kMcp + 1);
  EXPECT_TRUE(reported_failed.empty());
  int after_a = 0;
  int after_b = 0;
  std::set<std::string> remaining = SimJtis(sim.port, kAudienceA, &after_a);
  std::set<std::string> remaining_b = SimJtis(sim.port, kAudienceB, &after_b);
  remaining.insert(remaining_b.begin(), remaining_b.end());
  for (const std::string& jti : jtis) {
    if (reported_deleted.count(jti)) {
      EXPECT_EQ(remaining.count(jti), 0u) << jti << " answered 2xx by capstan, still listed";
    } else {
      EXPECT_EQ(remaining.count(jti), 1u) << jti << " deleted although capstan did not say so";
    }
  }
  EXPECT_EQ(remaining.count(pipelined_second), 1u);
  EXPECT_EQ(after_a + after_b, total_a + total_b - static_cast<int>(reported_deleted.size()));
  // And one by one, as a client would check: each reported delete is a 404 now.
  std::vector<std::unique_ptr<TestClient>> checks;
  for (const std::string& jti : jtis) {
    checks.push_back(std::make_unique<TestClient>(sim.port));
    checks.back()->set_timeout(30s);
    ASSERT_TRUE(checks.back()->SendRaw(
        Request("GET", std::string(kSimJwts) + "/" + jti, sim.port, SimAuth())));
  }
  for (std::size_t i = 0; i < jtis.size(); ++i) {
    auto r = checks[i]->ReadResponse();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, reported_deleted.count(jtis[i]) ? 404 : 200) << jtis[i];
  }
  // Exactly one upstream DELETE per reported delete, each answered 204.
  auto deletes = SimLog(*sim.process, "DELETE");
  EXPECT_EQ(deletes.size(), reported_deleted.size());
  for (const json::object& entry : deletes) EXPECT_EQ(entry.at("status").to_number<int>(), 204);
}

// SIGTERM with only idle keep-alive connections (REST and MCP): they are closed at once, without
// a byte, and capstan exits 0 right away instead of waiting for the grace period.
TEST(GracefulShutdown, IdleKeepAliveConnectionsCloseAndExitIsPrompt) {
  Sim sim = StartSim();
  ASSERT_NE(sim.port, 0);
  Capstan capstan = StartCapstan(sim.port);
  ASSERT_NE(capstan.rest_port, 0);
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (std::uint16_t port : {capstan.rest_port, capstan.rest_port, capstan.mcp_port}) {
    idle.push_back(std::make_unique<RawConnection>(port));
    ASSERT_TRUE(idle.back()->ok());
    std::string request = port == capstan.mcp_port ? Request("OPTIONS", "/mcp", port)
                                                   : Request("OPTIONS", kRestJwts, port);
    ASSERT_TRUE(idle.back()->Send(request));
    ASSERT_FALSE(idle.back()->ReadResponse(10s).empty());
  }
  ASSERT_TRUE(capstan.process->Signal(SIGTERM));
  auto signalled = Clock::now();
  for (auto& c : idle) {
    std::string bytes;
    auto end = c->ReadUntilClose(2s, bytes);
    EXPECT_EQ(end, RawConnection::End::kEof) << EndName(end);
    EXPECT_EQ(bytes, "");
  }
  auto status = capstan.process->WaitForExit(std::chrono::milliseconds(kGrace + 2s));
  ASSERT_TRUE(status) << "capstan still runs after SIGTERM";
  EXPECT_TRUE(ExitedWithZero(*status)) << capstan.process->Stderr();
  EXPECT_LT(Clock::now() - signalled, 3s) << "idle connections held the shutdown";
}

// SIGINT (Ctrl-C) stops the same way: exit 0, nothing in flight.
TEST(GracefulShutdown, SigintExitsZero) {
  Sim sim = StartSim();
  ASSERT_NE(sim.port, 0);
  Capstan capstan = StartCapstan(sim.port);
  ASSERT_NE(capstan.rest_port, 0);
  ASSERT_TRUE(capstan.process->Signal(SIGINT));
  auto status = capstan.process->WaitForExit(std::chrono::milliseconds(kGrace));
  ASSERT_TRUE(status) << "capstan still runs after SIGINT";
  EXPECT_TRUE(ExitedWithZero(*status)) << capstan.process->Stderr();
  EXPECT_NE(capstan.process->Stderr().find("signal 2, stopping gracefully"), std::string::npos)
      << capstan.process->Stderr();
}

}  // namespace
