// The Streamable HTTP transport end to end over loopback: a mock upstream, a runtime, the MCP
// endpoint on an http::Server, and the blocking test client.
#include <atomic>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "exposes/mcp/mcp_adapter.hpp"
#include "exposes/mcp/protocol.hpp"
#include "exposes/mcp/transport.hpp"
#include "http/server.hpp"
#include "http/testing/test_client.hpp"
#include "spec/loader.hpp"

namespace capstan::mcp {
namespace {

using http::Headers;
using http::TestClient;
using http::TestResponse;

constexpr std::string_view kCapability = R"YAML(naftiko: 1.0.0-alpha2
info:
  label: t
  description: t
capability:
  consumes:
  - type: http
    namespace: up
    baseUri: http://127.0.0.1:9
    description: upstream
    resources:
    - name: items
      path: /items/{id}
      operations:
      - name: get-item
        method: GET
        description: Get one item
        inputParameters:
        - name: id
          in: path
          type: string
          description: The item id.
        - name: limit
          in: query
          type: integer
          description: A number.
      - name: delete-item
        method: DELETE
        description: Delete one item
        inputParameters:
        - name: id
          in: path
          type: string
          description: The item id.
    - name: slow
      path: /slow
      operations:
      - name: slow
        method: GET
        description: Takes 5 seconds
    - name: fail
      path: /fail
      operations:
      - name: fail
        method: GET
        description: Answers 503
  exposes:
  - type: mcp
    namespace: t-mcp
    port: 9091
    description: Test server.
    tools:
    - name: get-item
      description: ""
      call: up.get-item
    - name: delete-item
      description: ""
      call: up.delete-item
    - name: slow
      description: ""
      call: up.slow
    - name: fail
      description: ""
      call: up.fail
)YAML";

std::atomic<int> upstream_calls{0};

boost::asio::awaitable<http::Response> MockUpstream(http::Request& request) {
  ++upstream_calls;
  if (request.path == "/slow") {
    co_await http::Sleep(std::chrono::seconds(5));
    co_return http::MakeResponse(200, "{}");
  }
  if (request.path == "/fail") co_return http::MakeResponse(503, R"({"message":"down"})");
  if (request.method == "DELETE") co_return http::MakeResponse(204, "", "application/json");
  bool forwarded = request.headers.Has("Authorization") || request.headers.Has("Mcp-Session-Id");
  std::string body = R"({"id":")" + request.path.substr(7) + R"(","query":")" + request.query +
                     R"(","forwarded":)" + (forwarded ? "true" : "false") + "}";
  co_return http::MakeResponse(200, std::move(body));
}

json::value Parse(std::string_view text) {
  auto v = core::ParseJson(text);
  EXPECT_TRUE(v) << text;
  return v ? *v : json::value();
}

class McpHttpTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }

  void Start(McpOptions options, std::string_view capability = kCapability) {
    upstream_ = std::make_unique<http::Server>(http::ServerOptions{}, MockUpstream);
    ASSERT_TRUE(upstream_->Start());
    auto loaded = spec::LoadCapabilityFromString(capability, "t.yaml");
    ASSERT_TRUE(loaded.ok());
    runtime::RuntimeOptions ro;
    ro.base_uris["up"] = "http://127.0.0.1:" + std::to_string(upstream_->port());
    auto rt = runtime::Runtime::Create(loaded.capability, ro);
    ASSERT_TRUE(rt) << rt.error().message;
    runtime_ = *rt;
    const auto& mcp = std::get<spec::ExposesMcp>(loaded.capability->capability->exposes[0]);
    auto endpoint = MakeMcpAdapter(runtime_, mcp, options);
    ASSERT_TRUE(endpoint) << endpoint.error().message;
    endpoint_ = *endpoint;
    http::ServerOptions so;
    so.threads = 2;
    auto ep = endpoint_;
    server_ = std::make_unique<http::Server>(
        so, [ep](http::Request& r) -> boost::asio::awaitable<http::Response> {
          if (!ep->Matches(r.path)) co_return http::MakeResponse(404, "{}");
          co_return co_await ep->Handle(r);
        });
    ASSERT_TRUE(server_->Start());
    client_ = std::make_unique<TestClient>(server_->port());
  }

  void TearDown() override {
    client_.reset();
    if (server_) server_->Stop(std::chrono::milliseconds(100));
    if (upstream_) upstream_->Stop(std::chrono::milliseconds(100));
  }

  static Headers PostHeaders(std::string_view session = {}, std::string_view version = {}) {
    Headers h;
    h.Set("Content-Type", "application/json");
    h.Set("Accept", "application/json, text/event-stream");
    if (!session.empty()) h.Set("Mcp-Session-Id", session);
    if (!version.empty()) h.Set("MCP-Protocol-Version", version);
    return h;
  }

  TestResponse Post(const Headers& headers, std::string_view body, TestClient* client = nullptr) {
    auto r = (client ? client : client_.get())->Send("POST", "/mcp", headers, body);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? *r : TestResponse{};
  }

  std::string Initialize(std::string_view version = "2025-11-25") {
    TestResponse r =
        Post(PostHeaders(),
             R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":")" +
                 std::string(version) +
                 R"(","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})");
    EXPECT_EQ(r.status, 200);
    return std::string(r.headers.Get("Mcp-Session-Id").value_or(""));
  }

  json::value Call(const std::string& session, std::string_view params, int id = 2) {
    TestResponse r = Post(PostHeaders(session, "2025-11-25"),
                          R"({"jsonrpc":"2.0","id":)" + std::to_string(id) +
                              R"(,"method":"tools/call","params":)" + std::string(params) + "}");
    EXPECT_EQ(r.status, 200) << r.body;
    return Parse(r.body);
  }

  std::unique_ptr<http::Server> upstream_;
  std::shared_ptr<const runtime::Runtime> runtime_;
  std::shared_ptr<exposes::Endpoint> endpoint_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<TestClient> client_;
};

TEST_F(McpHttpTest, InitializeNegotiatesTheVersionAndIssuesASession) {
  TestResponse r = Post(
      PostHeaders(),
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{}}})");
  ASSERT_EQ(r.status, 200);
  json::value v = Parse(r.body);
  EXPECT_EQ(v.at("result").at("protocolVersion"), "2025-06-18");
  EXPECT_EQ(v.at("result").at("serverInfo").at("name"), "t-mcp");
  EXPECT_EQ(v.at("result").at("instructions"), "Test server.");
  std::string session(r.headers.Get("Mcp-Session-Id").value_or(""));
  EXPECT_EQ(session.size(), 65u);
  TestResponse old = Post(
      PostHeaders(),
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2024-01-01"}})");
  EXPECT_EQ(Parse(old.body).at("result").at("protocolVersion"), "2025-11-25");
}

TEST_F(McpHttpTest, TransportChecks) {
  std::string session = Initialize();
  Headers json_only = PostHeaders(session);
  json_only.Set("Accept", "application/json");
  EXPECT_EQ(Post(json_only, R"({"jsonrpc":"2.0","id":1,"method":"ping"})").status, 406);
  Headers text = PostHeaders(session);
  text.Set("Content-Type", "text/plain");
  EXPECT_EQ(Post(text, R"({"jsonrpc":"2.0","id":1,"method":"ping"})").status, 415);
  TestResponse bad_json = Post(PostHeaders(session), "{nope");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(Parse(bad_json.body).at("error").at("code"), kParseError);
  TestResponse invalid =
      Post(PostHeaders(session), R"({"jsonrpc":"2.0","id":null,"method":"ping"})");
  EXPECT_EQ(invalid.status, 400);
  EXPECT_EQ(Parse(invalid.body).at("error").at("code"), kInvalidRequest);
  EXPECT_EQ(Post(PostHeaders(), R"({"jsonrpc":"2.0","id":1,"method":"ping"})").status, 400);
  EXPECT_EQ(
      Post(PostHeaders(std::string(65, 'a')), R"({"jsonrpc":"2.0","id":1,"method":"ping"})").status,
      404);
  EXPECT_EQ(Post(PostHeaders(session, "1999-01-01"), R"({"jsonrpc":"2.0","id":1,"method":"ping"})")
                .status,
            400);
  for (const char* version : {"2025-03-26", "2025-06-18", "2025-11-25"}) {
    EXPECT_EQ(
        Post(PostHeaders(session, version), R"({"jsonrpc":"2.0","id":1,"method":"ping"})").status,
        200)
        << version;
  }
  Headers evil = PostHeaders(session);
  evil.Set("Host", "evil.example.com");
  EXPECT_EQ(Post(evil, R"({"jsonrpc":"2.0","id":1,"method":"ping"})").status, 403);
  Headers origin = PostHeaders(session);
  origin.Set("Origin", "http://evil.example.com");
  EXPECT_EQ(Post(origin, R"({"jsonrpc":"2.0","id":1,"method":"ping"})").status, 403);
  origin.Set("Origin", "http://localhost:3000");
  EXPECT_EQ(Post(origin, R"({"jsonrpc":"2.0","id":1,"method":"ping"})").status, 200);
  EXPECT_EQ(Post(PostHeaders(session), R"({"jsonrpc":"2.0","method":"notifications/initialized"})")
                .status,
            202);
  auto put = client_->Send("PUT", "/mcp", PostHeaders(session), "{}");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 405);
  auto well_known = client_->Get("/.well-known/oauth-protected-resource/mcp");
  ASSERT_TRUE(well_known);
  EXPECT_EQ(well_known->status, 404);
  TestResponse unknown = Post(PostHeaders(session), R"({"jsonrpc":"2.0","id":9,"method":"nope"})");
  EXPECT_EQ(unknown.status, 200);
  EXPECT_EQ(Parse(unknown.body).at("error").at("code"), kMethodNotFound);
}

TEST_F(McpHttpTest, ToolsListAndCalls) {
  std::string session = Initialize();
  TestResponse list =
      Post(PostHeaders(session), R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})");
  json::value tools = Parse(list.body).at("result").at("tools");
  ASSERT_EQ(tools.as_array().size(), 4u);
  EXPECT_EQ(tools.at(0).at("name"), "get-item");

  json::value got = Call(session, R"({"name":"get-item","arguments":{"id":"a b","limit":3}})");
  EXPECT_EQ(got.at("result").at("structuredContent").at("id"), "a%20b");
  EXPECT_EQ(got.at("result").at("structuredContent").at("query"), "limit=3");

  EXPECT_EQ(got.at("result").at("structuredContent").at("forwarded"), false);
  Headers with_token = PostHeaders(session, "2025-11-25");
  with_token.Set("Authorization", "Bearer client-secret");
  TestResponse tokened = Post(
      with_token,
      R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"get-item","arguments":{"id":"t"}}})");
  EXPECT_EQ(Parse(tokened.body).at("result").at("structuredContent").at("forwarded"), false)
      << "the client's credentials and session never reach the upstream";

  json::value deleted = Call(session, R"({"name":"delete-item","arguments":{"id":"x"}})");
  EXPECT_FALSE(deleted.at("result").as_object().contains("isError"));

  json::value failed = Call(session, R"({"name":"fail"})");
  EXPECT_EQ(failed.at("result").at("isError"), true);
  EXPECT_NE(std::string(failed.at("result").at("content").at(0).at("text").as_string()).find("503"),
            std::string::npos);

  int before = upstream_calls.load();
  json::value bad = Call(session, R"({"name":"get-item","arguments":{"id":"x","limit":"three"}})");
  EXPECT_EQ(bad.at("result").at("isError"), true);
  EXPECT_NE(std::string(bad.at("result").at("content").at(0).at("text").as_string()).find("limit"),
            std::string::npos);
  EXPECT_EQ(upstream_calls.load(), before);

  json::value unknown = Call(session, R"({"name":"nope"})");
  EXPECT_EQ(unknown.at("error").at("code"), kInvalidParams);
}

TEST_F(McpHttpTest, BatchesOnlyIn20250326) {
  std::string session = Initialize("2025-03-26");
  TestResponse batch = Post(
      PostHeaders(session, "2025-03-26"),
      R"([{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","id":2,"method":"tools/list"}])");
  ASSERT_EQ(batch.status, 200);
  EXPECT_EQ(Parse(batch.body).as_array().size(), 2u);
  std::string newer = Initialize("2025-06-18");
  TestResponse rejected =
      Post(PostHeaders(newer, "2025-06-18"), R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])");
  EXPECT_EQ(rejected.status, 400);
}

TEST_F(McpHttpTest, ProgressTokenGetsAnSseReply) {
  std::string session = Initialize();
  TestResponse r = Post(
      PostHeaders(session, "2025-11-25"),
      R"({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"get-item","arguments":{"id":"p"},"_meta":{"progressToken":"tok"}}})");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.Get("Content-Type"), "text/event-stream");
  EXPECT_EQ(r.headers.Get("X-Accel-Buffering"), "no");
  EXPECT_EQ(r.body.find("id: "), 0u) << "priming event first";
  EXPECT_NE(r.body.find("retry: "), std::string::npos);
  EXPECT_NE(r.body.find(R"("method":"notifications/progress")"), std::string::npos);
  EXPECT_NE(r.body.find(R"("progressToken":"tok")"), std::string::npos);
  EXPECT_NE(r.body.find(R"("id":5,"result")"), std::string::npos);
}

TEST_F(McpHttpTest, NotificationsCancelledAbortsTheUpstreamCall) {
  std::string session = Initialize();
  auto slow = std::async(std::launch::async, [&] {
    TestClient other(server_->port());
    auto start = std::chrono::steady_clock::now();
    TestResponse r =
        Post(PostHeaders(session),
             R"({"jsonrpc":"2.0","id":"slow-1","method":"tools/call","params":{"name":"slow"}})",
             &other);
    return std::make_pair(r.status, std::chrono::steady_clock::now() - start);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  TestResponse cancel = Post(
      PostHeaders(session),
      R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"slow-1"}})");
  EXPECT_EQ(cancel.status, 202);
  auto [status, took] = slow.get();
  EXPECT_EQ(status, 202);  // no JSON-RPC response for a cancelled request
  EXPECT_LT(took, std::chrono::seconds(3));
}

TEST_F(McpHttpTest, DeleteEndsTheSession) {
  std::string session = Initialize();
  Headers h;
  h.Set("Mcp-Session-Id", session);
  auto deleted = client_->Send("DELETE", "/mcp", h);
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->status, 200);
  EXPECT_EQ(Post(PostHeaders(session), R"({"jsonrpc":"2.0","id":1,"method":"ping"})").status, 404);
  auto again = client_->Send("DELETE", "/mcp", h);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 404);
}

TEST_F(McpHttpTest, OneStandaloneGetStreamPerSession) {
  std::string session = Initialize();
  TestClient first(server_->port());
  ASSERT_TRUE(
      first.SendRaw("GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                    "Mcp-Session-Id: " +
                    session + "\r\n\r\n"));
  auto head = first.ReadHead();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->headers.Get("Content-Type"), "text/event-stream");
  Headers h;
  h.Set("Accept", "text/event-stream");
  h.Set("Mcp-Session-Id", session);
  auto second = client_->Get("/mcp", h);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 409);
  first.Close();
}

TEST_F(McpHttpTest, StatelessMode) {
  TearDown();
  McpOptions options;
  options.stateless = true;
  Start(options);
  TestResponse init = Post(
      PostHeaders(),
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25"}})");
  EXPECT_FALSE(init.headers.Has("Mcp-Session-Id"));
  json::value got = Call("", R"({"name":"get-item","arguments":{"id":"s"}})");
  EXPECT_EQ(got.at("result").at("structuredContent").at("id"), "s");
  Headers h;
  h.Set("Accept", "text/event-stream");
  auto get = client_->Get("/mcp", h);
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 405);
}

TEST_F(McpHttpTest, StatelessRevision20260728) {
  auto modern = [&](std::string_view method, std::string_view params, std::string_view name = {},
                    std::string_view header_method = {}) {
    Headers h = PostHeaders({}, kModernVersion);
    h.Set("Mcp-Method", header_method.empty() ? method : header_method);
    if (!name.empty()) h.Set("Mcp-Name", name);
    return Post(h, R"({"jsonrpc":"2.0","id":"m1","method":")" + std::string(method) +
                       R"(","params":)" + std::string(params) + "}");
  };
  const std::string meta =
      R"("_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}})";
  TestResponse discover = modern("server/discover", "{" + meta + "}");
  ASSERT_EQ(discover.status, 200) << discover.body;
  json::value result = Parse(discover.body).at("result");
  EXPECT_EQ(result.at("resultType"), "complete");
  EXPECT_EQ(result.at("supportedVersions").at(0), "2026-07-28");
  EXPECT_TRUE(result.as_object().contains("ttlMs"));

  TestResponse list = modern("tools/list", "{" + meta + "}");
  json::value listed = Parse(list.body).at("result");
  EXPECT_EQ(listed.at("cacheScope"), "public");
  EXPECT_EQ(listed.at("tools").as_array().size(), 4u);

  TestResponse call = modern(
      "tools/call", R"({"name":"get-item","arguments":{"id":"m"},)" + meta + "}", "get-item");
  EXPECT_EQ(Parse(call.body).at("result").at("structuredContent").at("id"), "m");

  TestResponse mismatch = modern(
      "tools/call", R"({"name":"get-item","arguments":{"id":"m"},)" + meta + "}", "other-tool");
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_EQ(Parse(mismatch.body).at("error").at("code"), kHeaderMismatch);
  EXPECT_EQ(Parse(mismatch.body).at("id"), "m1");
  TestResponse method_mismatch = modern("tools/list", "{" + meta + "}", {}, "prompts/list");
  EXPECT_EQ(method_mismatch.status, 400);

  TestResponse ping = modern("ping", "{" + meta + "}");
  EXPECT_EQ(ping.status, 404);
  EXPECT_EQ(Parse(ping.body).at("error").at("code"), kMethodNotFound);

  TestResponse no_meta = modern("tools/list", "{}");
  EXPECT_EQ(no_meta.status, 400);
  EXPECT_EQ(Parse(no_meta.body).at("error").at("code"), kInvalidParams);

  Headers future = PostHeaders({}, "2099-01-01");
  future.Set("Mcp-Method", "tools/list");
  TestResponse unsupported = Post(future, R"({"jsonrpc":"2.0","id":3,"method":"tools/list"})");
  EXPECT_EQ(unsupported.status, 400);
  json::value error = Parse(unsupported.body).at("error");
  EXPECT_EQ(error.at("code"), kUnsupportedProtocolVersion);
  EXPECT_EQ(error.at("data").at("requested"), "2099-01-01");
}

TEST(HostOriginPolicy, LoopbackByDefault) {
  EXPECT_TRUE(HostAllowed("localhost:3000", {}));
  EXPECT_TRUE(HostAllowed("127.0.0.1", {}));
  EXPECT_TRUE(HostAllowed("[::1]:8080", {}));
  EXPECT_TRUE(HostAllowed("LOCALHOST", {}));
  EXPECT_FALSE(HostAllowed("evil.example.com", {}));
  EXPECT_FALSE(HostAllowed("localhost.evil.example.com:80", {}));
  EXPECT_TRUE(HostAllowed("mcp.example.com:443", {"mcp.example.com"}));
  EXPECT_FALSE(HostAllowed("localhost", {"mcp.example.com"}));
  EXPECT_TRUE(HostAllowed("anything", {"*"}));
  EXPECT_TRUE(OriginAllowed("http://localhost:5173", {}));
  EXPECT_FALSE(OriginAllowed("http://evil.example.com", {}));
  EXPECT_FALSE(OriginAllowed("null", {}));
  EXPECT_TRUE(OriginAllowed("https://app.example.com", {"https://app.example.com"}));
  EXPECT_TRUE(OriginAllowed("https://app.example.com:8443", {"app.example.com"}));
}

TEST(AcceptPreference, EventStreamFirstMeansSse) {
  EXPECT_TRUE(PrefersEventStream("text/event-stream, application/json"));
  EXPECT_FALSE(PrefersEventStream("application/json, text/event-stream"));
  EXPECT_FALSE(PrefersEventStream("*/*"));
}

constexpr std::string_view kBearerCapability = R"YAML(naftiko: 1.0.0-alpha2
info:
  label: t
  description: t
capability:
  consumes:
  - type: http
    namespace: up
    baseUri: http://127.0.0.1:9
    description: upstream
    resources:
    - name: items
      path: /items/{id}
      operations:
      - name: get-item
        method: GET
        description: Get one item
  exposes:
  - type: mcp
    namespace: t-mcp
    port: 9091
    authentication:
      type: bearer
      token: s3cret
    tools:
    - name: get-item
      description: ""
      call: up.get-item
)YAML";

TEST_F(McpHttpTest, BearerAuthentication) {
  TearDown();
  Start({}, kBearerCapability);
  std::string body =
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25"}})";
  TestResponse anonymous = Post(PostHeaders(), body);
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.headers.Get("WWW-Authenticate"), R"(Bearer realm="capstan")");
  Headers wrong = PostHeaders();
  wrong.Set("Authorization", "Bearer nope");
  EXPECT_EQ(Post(wrong, body).headers.Get("WWW-Authenticate"),
            R"(Bearer realm="capstan", error="invalid_token")");
  Headers right = PostHeaders();
  right.Set("Authorization", "Bearer s3cret");
  EXPECT_EQ(Post(right, body).status, 200);
}

}  // namespace
}  // namespace capstan::mcp
