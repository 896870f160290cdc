// Unit tests of the REST adapter: a small inline capability served by exposes::Host on loopback,
// calling an in-process upstream (http::Server) that records what it receives.
#include "exposes/rest/rest_adapter.hpp"

#include <map>
#include <mutex>

#include <gtest/gtest.h>

#include "exposes/server/host.hpp"
#include "http/server.hpp"
#include "http/testing/test_client.hpp"
#include "spec/loader.hpp"

namespace capstan::rest {
namespace {

namespace asio = boost::asio;
namespace json = core::json;
using namespace std::chrono_literals;

constexpr const char* kCapability = R"(naftiko: 1.0.0-alpha2
info:
  label: REST adapter test
  description: Capability of the REST adapter unit tests
binds:
- namespace: env
  keys:
    UP_TOKEN: TEST_UP_TOKEN
capability:
  consumes:
  - type: http
    namespace: up
    baseUri: http://127.0.0.1:9
    authentication:
      type: apikey
      key: X-Auth-Token
      value: '{{env.UP_TOKEN}}'
      placement: header
    resources:
    - name: items
      path: /items
      operations:
      - name: list
        method: GET
        inputParameters:
        - {name: page_size, in: query, type: integer, description: Page size}
        - {name: expired, in: query, type: boolean, description: Expired filter}
        - {name: ratio, in: query, type: number, description: A ratio}
        - {name: tags, in: query, type: array, description: Tags}
        - {name: order_by, in: query, type: string, description: Sort order}
        - {name: X-Trace, in: header, type: string, description: Trace id}
      - name: create
        method: POST
        inputParameters:
        - {name: body, in: body, type: object, description: Request body, required: true}
    - name: item
      path: /items/{item_id}
      operations:
      - name: get
        method: GET
        inputParameters:
        - {name: item_id, in: path, type: string, required: true, description: Item}
      - name: delete
        method: DELETE
        inputParameters:
        - {name: item_id, in: path, type: string, required: true, description: Item}
    - name: search
      path: /search
      operations:
      - name: search
        method: GET
        inputParameters:
        - {name: who, in: query, type: string, description: Who}
        - {name: n, in: query, type: integer, description: How many}
  exposes:
  - type: rest
    namespace: api
    port: 8080
    resources:
    - path: /v1/items
      operations:
      - method: GET
        call: up.list
        with:
          page_size: rest.page_size
          expired: rest.expired
          order_by: rest.order_by
        outputParameters:
        - type: object
          mapping: $.
      - method: POST
        call: up.create
        with:
          body: rest.body
    - path: /v1/items/{{item-id}}
      operations:
      - method: GET
        call: up.get
        with:
          item_id: rest.item_id
      - method: DELETE
        call: up.delete
        with:
          item_id: rest.item_id
    - path: /v1/items/{id}
      inputParameters:
      - {name: id, in: path, type: string, description: Item}
      - {name: body, in: body, type: object, description: The item}
      operations:
      - method: PUT
        call: up.create
        with:
          body: rest.body
    - path: /v1/legacy/{item_id}/detail
      operations:
      - method: GET
        call: up.get
    - path: /v1/search
      inputParameters:
      - {name: n, in: query, type: integer, description: How many}
      operations:
      - method: POST
        call: up.search
        inputParameters:
        - {name: who, in: body, type: string, description: Who, value: $.user.name}
        - {name: tag, in: query, type: string, description: A tag, pattern: '^[a-z]+$'}
        with:
          who: api.who
          n: api.n
    - path: /v1/status
      operations:
      - method: GET
        outputParameters:
        - type: object
          properties:
            status: {type: string, value: ok}
            version: {type: number, value: '2'}
            echo: {type: string, value: 'got {{q}}'}
    - path: /v1/override
      inputParameters:
      - {name: who, in: query, type: integer, description: Overridden below}
      - {name: n, in: query, type: integer, description: How many}
      operations:
      - method: GET
        call: up.search
        inputParameters:
        - {name: who, in: query, type: string, description: Who}
        with:
          who: api.who
          n: api.n
    - path: /v1/proxy/{path}
      forward:
        targetNamespace: up
        trustedHeaders: [X-Trace, Accept]
    - path: /v1/echo/{word}
      operations:
      - method: GET
        inputParameters:
        - {name: word, in: path, type: string, description: A word}
        - {name: n, in: query, type: integer, description: A count}
        - {name: loud, in: query, type: boolean, description: Loud}
        outputParameters:
        - type: object
          properties:
            word: {type: string, value: '{{word}}'}
            count: {type: number, value: '{{n}}'}
            loud: {type: boolean, value: '{{loud}}'}
            text: {type: string, value: '{{word}} x{{n}}'}
)";

std::shared_ptr<const spec::Capability> Load(const std::string& text) {
  auto loaded = spec::LoadCapabilityFromString(text, "/tmp/rest-adapter-test.yaml");
  for (const auto& d : loaded.diagnostics) {
    if (d.severity == spec::Severity::kError)
      ADD_FAILURE() << d.message << " [" << d.rule_id << "]";
  }
  return loaded.capability;
}

runtime::EnvLookup FakeEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    static const std::map<std::string, std::string> vars = {{"TEST_UP_TOKEN", "up-secret"},
                                                            {"TEST_IN_TOKEN", "in-secret"},
                                                            {"TEST_IN_USER", "ann"},
                                                            {"TEST_IN_PASS", "pa:ss"}};
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// What the upstream received.
struct Seen {
  std::string method;
  std::string target;
  http::Headers headers;
  std::string body;
};

class Upstream {
 public:
  Upstream() {
    http::ServerOptions options;
    options.threads = 1;
    server_ = std::make_unique<http::Server>(
        options, [this](http::Request& req) -> asio::awaitable<http::Response> {
          {
            std::lock_guard lock(mu_);
            seen_.push_back(Seen{req.method, req.target, req.headers, req.body});
          }
          if (req.path == "/items" && req.method == "GET") {
            co_return http::MakeResponse(200, R"({"items":[1.50,2],"total_count":2})",
                                         "application/json; charset=utf-8");
          }
          if (req.path == "/items" && req.method == "POST") {
            co_return http::MakeResponse(201, req.body);
          }
          if (req.method == "DELETE") co_return http::MakeResponse(204, "", "application/json");
          if (req.path == "/items/missing") {
            co_return http::MakeResponse(
                404, R"({"message":"resource is not found","resource":"item","type":"not_found"})");
          }
          co_return http::MakeResponse(200, R"({"id":"x"})");
        });
    EXPECT_TRUE(server_->Start());
  }
  ~Upstream() { server_->Stop(0s); }

  std::uint16_t port() const { return server_->port(); }
  std::vector<Seen> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }
  void clear() {
    std::lock_guard lock(mu_);
    seen_.clear();
  }

 private:
  std::unique_ptr<http::Server> server_;
  std::mutex mu_;
  std::vector<Seen> seen_;
};

// Serves the first rest adapter of `text` with its upstream at `upstream_port`.
class Served {
 public:
  Served(const std::string& text, std::uint16_t upstream_port) : host_(HostOptions()) {
    runtime::RuntimeOptions options;
    options.env = FakeEnv();
    options.base_uris["up"] = "http://127.0.0.1:" + std::to_string(upstream_port);
    options.limits.total_timeout = 3s;
    auto rt = runtime::Runtime::Create(Load(text), options);
    EXPECT_TRUE(rt) << (rt ? "" : rt.error().message);
    if (!rt) return;
    runtime_ = *rt;
    const auto& rest = std::get<spec::ExposesRest>(runtime_->capability().capability->exposes[0]);
    auto adapter = MakeRestAdapter(runtime_, rest);
    EXPECT_TRUE(adapter) << (adapter ? "" : adapter.error().message);
    if (!adapter) return;
    host_.Add("127.0.0.1", 0, *adapter);
    auto started = host_.Start();
    EXPECT_TRUE(started) << (started ? "" : started.error().message);
    port_ = host_.bound().at(0).port;
  }
  ~Served() { host_.Stop(0s); }

  std::uint16_t port() const { return port_; }

 private:
  static exposes::HostOptions HostOptions() {
    exposes::HostOptions o;
    o.threads = 1;
    o.access_log = false;
    return o;
  }

  std::shared_ptr<runtime::Runtime> runtime_;
  exposes::Host host_;
  std::uint16_t port_ = 0;
};

class RestAdapterTest : public ::testing::Test {
 protected:
  RestAdapterTest() : served_(kCapability, upstream_.port()), client_(served_.port()) {}

  http::TestResponse Send(std::string_view method, std::string_view target,
                          const http::Headers& headers = {}, std::string_view body = {}) {
    auto r = client_.Send(method, target, headers, body);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    if (!r) return {};
    EXPECT_TRUE(r->headers.Has("X-Request-Id")) << method << " " << target;
    return std::move(*r);
  }

  // The single upstream request the last call made.
  Seen Only() {
    auto seen = upstream_.seen();
    EXPECT_EQ(seen.size(), 1u);
    upstream_.clear();
    return seen.empty() ? Seen{} : seen.front();
  }

  static std::string ContentType(const http::TestResponse& r) {
    return std::string(r.headers.Get("Content-Type").value_or(""));
  }

  static json::value Body(const http::TestResponse& r) {
    auto parsed = core::ParseJson(r.body);
    EXPECT_TRUE(parsed) << r.body;
    return parsed ? *parsed : json::value();
  }

  Upstream upstream_;
  Served served_;
  http::TestClient client_;
};

TEST_F(RestAdapterTest, RoutesDoubleAndSingleBraceTemplates) {
  auto r = Send("GET", "/v1/items/abc");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"id":"x"})");
  EXPECT_EQ(Only().target, "/items/abc");
  r = Send("GET", "/v1/legacy/abc/detail");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Only().target, "/items/abc");
}

TEST_F(RestAdapterTest, PercentDecodesEachSegmentOnceAndReencodesItUpstream) {
  struct Case {
    const char* target;
    const char* upstream;
  };
  for (const Case& c :
       {Case{"/v1/items/a%2Fb", "/items/a%2Fb"},
        Case{"/v1/items/..%2F..%2Faccount", "/items/..%2F..%2Faccount"},
        Case{"/v1/items/%2e%2e", "/items/%2E%2E"},
        Case{"/v1/items/%252e%252e", "/items/%252e%252e"},
        Case{"/v1/items/a%3Fb%23c", "/items/a%3Fb%23c"}, Case{"/v1/items/a%20b", "/items/a%20b"},
        Case{"/v1/%69tems/lit", "/items/lit"}}) {
    auto r = Send("GET", c.target);
    EXPECT_EQ(r.status, 200) << c.target;
    EXPECT_EQ(Only().target, c.upstream) << c.target;
  }
}

TEST_F(RestAdapterTest, UnknownPathsAre404Json) {
  for (const char* target : {"/", "/v1", "/v1/items/", "/v1/items/a/b", "/v1/items//", "/v2/items",
                             "/v1/ITEMS", "/v1/legacy//detail"}) {
    auto r = Send("GET", target);
    EXPECT_EQ(r.status, 404) << target;
    EXPECT_EQ(ContentType(r), "application/json") << target;
    EXPECT_EQ(Body(r).as_object().at("type").as_string(), "not_found") << target;
  }
  EXPECT_TRUE(upstream_.seen().empty());
}

TEST_F(RestAdapterTest, BadEscapesAndNonUtf8Are400WithValidJson) {
  for (const char* target : {"/v1/items/a%zz", "/v1/items/%FF%FE", "/v1/items/a%00",
                             "/v1/items?order_by=%C3", "/v1/items?page_size=%FF"}) {
    auto r = Send("GET", target);
    EXPECT_EQ(r.status, 400) << target;
    EXPECT_EQ(ContentType(r), "application/json");
    Body(r);  // always valid JSON (no raw request bytes echoed)
  }
  EXPECT_TRUE(upstream_.seen().empty());
  // Raw non-ASCII bytes in the target: the error body stays valid UTF-8 JSON.
  ASSERT_TRUE(client_.SendRaw("GET /v1/\xFF\xFE HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = client_.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_GE(r->status, 400);
  EXPECT_TRUE(core::ParseJson(r->body)) << r->body;
}

TEST_F(RestAdapterTest, UnknownMethodIs405WithAllow) {
  auto r = Send("POST", "/v1/items/abc", {}, "{}");
  EXPECT_EQ(r.status, 405);
  // Both resources of the shape /v1/items/{}: their methods in declaration order.
  EXPECT_EQ(r.headers.Get("Allow").value_or(""), "GET, DELETE, PUT, HEAD, OPTIONS");
  EXPECT_EQ(Body(r).as_object().at("type").as_string(), "method_not_allowed");
  r = Send("PUT", "/v1/items", {}, "{}");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers.Get("Allow").value_or(""), "GET, POST, HEAD, OPTIONS");
  r = Send("BREW", "/v1/status");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers.Get("Allow").value_or(""), "GET, HEAD, OPTIONS");
  r = Send("HEAD", "/v1/search");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers.Get("Allow").value_or(""), "POST, OPTIONS");
  EXPECT_TRUE(upstream_.seen().empty());
}

// Two resources of one shape, with different methods (Scaleway's PUT .../images/{id} beside
// GET, DELETE .../images/{image_id}): each method reaches the resource that declares it.
TEST_F(RestAdapterTest, ResourcesOfOneShapeShareThePathByMethod) {
  http::Headers json;
  json.Set("Content-Type", "application/json");
  auto r = Send("PUT", "/v1/items/abc", json, R"({"n":1})");
  EXPECT_EQ(r.status, 201) << r.body;
  Seen put = Only();
  EXPECT_EQ(put.method, "POST");
  EXPECT_EQ(put.target, "/items");
  EXPECT_EQ(put.body, R"({"n":1})");
  r = Send("GET", "/v1/items/abc");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Only().target, "/items/abc");
}

TEST_F(RestAdapterTest, OptionsAnswersAllowWithoutCallingUpstream) {
  auto r = Send("OPTIONS", "/v1/items/abc");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.headers.Get("Allow").value_or(""), "GET, DELETE, PUT, HEAD, OPTIONS");
  EXPECT_TRUE(r.body.empty());
  EXPECT_TRUE(upstream_.seen().empty());
}

TEST_F(RestAdapterTest, HeadHasGetsHeadersWithoutBody) {
  auto get = Send("GET", "/v1/items/abc");
  upstream_.clear();
  auto head = Send("HEAD", "/v1/items/abc");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(ContentType(head), "application/json");
  EXPECT_EQ(head.headers.Get("Content-Length").value_or("?"),
            get.headers.Get("Content-Length").value_or("!"));
  EXPECT_EQ(Only().method, "GET");  // HEAD runs the GET operation
  // The connection is still usable: the body was not sent.
  EXPECT_EQ(Send("GET", "/v1/status").status, 200);
}

TEST_F(RestAdapterTest, CoercesQueryParametersToTheirTypes) {
  auto r = Send("GET",
                "/v1/items?page_size=5&expired=True&ratio=1.5&tags=a&tags=b%20c&order_by=x%2By"
                "&unknown=1");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Only().target,
            "/items?page_size=5&expired=true&ratio=1.5&tags=a&tags=b%20c&order_by=x%2By");
  // Repeated scalar: the first wins.
  Send("GET", "/v1/items?page_size=7&page_size=8");
  EXPECT_EQ(Only().target, "/items?page_size=7");
  // Absent optional parameters are omitted; an empty typed value counts as absent.
  Send("GET", "/v1/items");
  EXPECT_EQ(Only().target, "/items");
  Send("GET", "/v1/items?page_size=&expired=&ratio=&order_by=");
  EXPECT_EQ(Only().target, "/items?order_by=");
}

TEST_F(RestAdapterTest, BadTypesAre400NamingTheParameterBeforeAnyUpstreamCall) {
  struct Case {
    const char* target;
    const char* parameter;
  };
  for (const Case& c :
       {Case{"/v1/items?page_size=abc", "page_size"}, Case{"/v1/items?page_size=1.5", "page_size"},
        Case{"/v1/items?tags=%FF", "tags"}, Case{"/v1/items?expired=yes", "expired"},
        Case{"/v1/items?ratio=NaN", "ratio"}, Case{"/v1/items?order_by=%zz", "order_by"}}) {
    auto r = Send("GET", c.target);
    EXPECT_EQ(r.status, 400) << c.target;
    EXPECT_EQ(ContentType(r), "application/json");
    auto body = Body(r);
    EXPECT_EQ(body.as_object().at("type").as_string(), "invalid_argument") << r.body;
    EXPECT_NE(r.body.find(c.parameter), std::string::npos) << r.body;
  }
  EXPECT_TRUE(upstream_.seen().empty());
}

TEST_F(RestAdapterTest, ControlCharactersInParametersAre400) {
  for (const char* target : {"/v1/items?order_by=a%0D%0AX-Evil:%201", "/v1/items?order_by=a%0Ab",
                             "/v1/items?tags=ok&tags=a%0Db", "/v1/items/a%0D%0Ab"}) {
    auto r = Send("GET", target);
    EXPECT_EQ(r.status, 400) << target;
  }
  EXPECT_TRUE(upstream_.seen().empty());
}

TEST_F(RestAdapterTest, HeaderInputsAreForwardedButNotTheClientsCredentials) {
  http::Headers headers;
  headers.Set("X-Trace", "t-1");
  headers.Set("X-Auth-Token", "client-token");
  headers.Set("Authorization", "Bearer client");
  headers.Set("Cookie", "session=abc");
  auto r = Send("GET", "/v1/items", headers);
  EXPECT_EQ(r.status, 200);
  Seen seen = Only();
  EXPECT_EQ(seen.headers.Get("X-Trace").value_or(""), "t-1");
  EXPECT_EQ(seen.headers.Get("X-Auth-Token").value_or(""), "up-secret");
  EXPECT_FALSE(seen.headers.Has("Authorization"));
  EXPECT_FALSE(seen.headers.Has("Cookie"));
}

TEST_F(RestAdapterTest, SendsTheJsonBodyAndChecksIt) {
  http::Headers headers;
  headers.Set("Content-Type", "application/json");
  auto r = Send("POST", "/v1/items", headers, R"({"name":"a","n":1.50})");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, R"({"name":"a","n":1.5})");  // parsed and re-serialised, numerically exact
  Seen seen = Only();
  EXPECT_EQ(seen.target, "/items");
  EXPECT_EQ(seen.headers.Get("Content-Type").value_or(""), "application/json");
  auto sent = core::ParseJson(seen.body);
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->as_object().at("name").as_string(), "a");

  r = Send("POST", "/v1/items", headers, "{not json");
  EXPECT_EQ(r.status, 400);
  r = Send("POST", "/v1/items", headers, "");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("body"), std::string::npos) << r.body;
  EXPECT_TRUE(upstream_.seen().empty());
}

TEST_F(RestAdapterTest, DeclaredInputsReadTheBodyByJsonPath) {
  auto r = Send("POST", "/v1/search?n=3&tag=abc", {}, R"({"user":{"name":"ann b"}})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Only().target, "/search?who=ann%20b&n=3");
  r = Send("POST", "/v1/search?n=x", {}, R"({"user":{"name":"ann"}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("'n'"), std::string::npos) << r.body;
  r = Send("POST", "/v1/search?tag=ABC", {}, R"({"user":{"name":"ann"}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("tag"), std::string::npos) << r.body;
  r = Send("POST", "/v1/search", {}, R"({"user":{"name":7}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(upstream_.seen().empty());
}

TEST_F(RestAdapterTest, OperationInputsReplaceResourceInputsOfTheSameName) {
  auto r = Send("GET", "/v1/override?who=ann&n=2");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Only().target, "/search?who=ann&n=2");
  EXPECT_EQ(Send("GET", "/v1/override?n=two").status,
            400);  // the resource's own input still applies
}

TEST_F(RestAdapterTest, MockOperationsAnswerWithoutUpstream) {
  auto r = Send("GET", "/v1/status");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(ContentType(r), "application/json");
  EXPECT_EQ(r.body, R"({"status":"ok","version":2,"echo":"got "})");
  r = Send("GET", "/v1/echo/h%C3%A9?n=3&loud=true");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"word":"hé","count":3,"loud":true,"text":"hé x3"})");
  r = Send("GET", "/v1/echo/hi?n=three");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(upstream_.seen().empty());
}

TEST_F(RestAdapterTest, PassesUpstreamStatusesAndErrorBodiesThrough) {
  auto r = Send("GET", "/v1/items/missing");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ContentType(r), "application/json");
  EXPECT_EQ(r.body, R"({"message":"resource is not found","resource":"item","type":"not_found"})");
  upstream_.clear();
  r = Send("DELETE", "/v1/items/abc");
  EXPECT_EQ(r.status, 204);
  EXPECT_TRUE(r.body.empty());
  EXPECT_FALSE(r.headers.Has("Content-Length"));
  EXPECT_EQ(Only().method, "DELETE");
  // A JSON media type with parameters goes out as exactly application/json, body untouched.
  r = Send("GET", "/v1/items");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(ContentType(r), "application/json");
  EXPECT_EQ(r.body, R"({"items":[1.50,2],"total_count":2})");
}

TEST_F(RestAdapterTest, ForwardProxiesTheRestOfThePath) {
  http::Headers headers;
  headers.Set("X-Trace", "t-9");
  headers.Set("X-Auth-Token", "client-token");
  headers.Set("Cookie", "a=b");
  auto r = Send("GET", "/v1/proxy/items/abc?x=1&y=a%20b", headers);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(ContentType(r), "application/json");
  EXPECT_EQ(r.body, R"({"id":"x"})");
  Seen seen = Only();
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.target, "/items/abc?x=1&y=a%20b");
  EXPECT_EQ(seen.headers.Get("X-Trace").value_or(""), "t-9");             // trusted
  EXPECT_EQ(seen.headers.Get("X-Auth-Token").value_or(""), "up-secret");  // consumes auth
  EXPECT_FALSE(seen.headers.Has("Cookie"));                               // not trusted
  EXPECT_NE(seen.headers.Get("Host").value_or(""), "");                   // the upstream's

  http::Headers json;
  json.Set("Content-Type", "application/json");
  r = Send("POST", "/v1/proxy/items", json, R"({"n":1.50})");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, R"({"n":1.50})");  // bytes untouched both ways
  seen = Only();
  EXPECT_EQ(seen.body, R"({"n":1.50})");
  EXPECT_EQ(seen.headers.Get("Content-Type").value_or(""), "application/json");

  r = Send("DELETE", "/v1/proxy/items/abc");
  EXPECT_EQ(r.status, 204);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(Only().method, "DELETE");

  r = Send("GET", "/v1/proxy/items/missing");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, R"({"message":"resource is not found","resource":"item","type":"not_found"})");
  upstream_.clear();

  // One segment stays one segment; dot-segments never climb above the base path.
  r = Send("GET", "/v1/proxy/a%2Fb");
  EXPECT_EQ(Only().target, "/a%2Fb");
  for (const char* target :
       {"/v1/proxy/items/..", "/v1/proxy/items/%2e%2e", "/v1/proxy/.", "/v1/proxy/a//b"}) {
    r = Send("GET", target);
    EXPECT_EQ(r.status, 400) << target;
  }
  EXPECT_EQ(Send("GET", "/v1/proxy").status, 404);
  EXPECT_TRUE(upstream_.seen().empty());
}

TEST(RestAdapterUpstreamTest, UnreachableUpstreamIs502Json) {
  std::uint16_t dead_port = 0;
  {
    Upstream gone;
    dead_port = gone.port();
  }
  Served served(kCapability, dead_port);
  http::TestClient client(served.port());
  auto r = client.Get("/v1/items/abc");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  EXPECT_EQ(r->headers.Get("Content-Type").value_or(""), "application/json");
  auto body = core::ParseJson(r->body);
  ASSERT_TRUE(body) << r->body;
  EXPECT_EQ(body->as_object().at("type").as_string(), "upstream_unavailable");
}

// --- inbound authentication

std::string WithAuth(std::string_view auth_yaml) {
  return std::string(R"(naftiko: 1.0.0-alpha2
info:
  label: Auth test
  description: Inbound authentication
binds:
- namespace: env
  keys:
    UP_TOKEN: TEST_UP_TOKEN
    IN_TOKEN: TEST_IN_TOKEN
    IN_USER: TEST_IN_USER
    IN_PASS: TEST_IN_PASS
capability:
  consumes:
  - type: http
    namespace: up
    baseUri: http://127.0.0.1:9
    authentication: {type: apikey, key: X-Auth-Token, value: '{{UP_TOKEN}}', placement: header}
    resources:
    - name: item
      path: /items/{item_id}
      operations:
      - name: get
        method: GET
        inputParameters:
        - {name: item_id, in: path, type: string, required: true, description: Item}
  exposes:
  - type: rest
    namespace: api
    port: 8080
    authentication: )") +
         std::string(auth_yaml) + R"(
    resources:
    - path: /v1/items/{item_id}
      operations:
      - method: GET
        call: up.get
)";
}

class RestAuthTest : public ::testing::Test {
 protected:
  int Status(Served& served, std::string_view target, const http::Headers& headers,
             std::string* challenge = nullptr) {
    http::TestClient client(served.port());
    auto r = client.Get(target, headers);
    EXPECT_TRUE(r);
    if (!r) return 0;
    if (challenge != nullptr)
      *challenge = std::string(r->headers.Get("WWW-Authenticate").value_or(""));
    if (r->status == 401) {
      EXPECT_EQ(r->headers.Get("Content-Type").value_or(""), "application/json");
    }
    return r->status;
  }
  static http::Headers H(std::string_view name, std::string_view value) {
    http::Headers h;
    h.Set(name, value);
    return h;
  }
  Upstream upstream_;
};

TEST_F(RestAuthTest, Bearer) {
  Served served(WithAuth("{type: bearer, token: '{{IN_TOKEN}}'}"), upstream_.port());
  std::string challenge;
  EXPECT_EQ(Status(served, "/v1/items/a", {}, &challenge), 401);
  EXPECT_EQ(challenge, "Bearer realm=\"capstan\"");
  EXPECT_EQ(Status(served, "/v1/items/a", H("Authorization", "Bearer wrong")), 401);
  EXPECT_EQ(Status(served, "/v1/items/a", H("Authorization", "Bearer in-secre")), 401);
  EXPECT_EQ(Status(served, "/v1/items/a", H("Authorization", "Bearer in-secret2")), 401);
  EXPECT_EQ(Status(served, "/v1/items/a", H("Authorization", "Basic in-secret")), 401);
  EXPECT_TRUE(upstream_.seen().empty());
  EXPECT_EQ(Status(served, "/v1/items/a", H("Authorization", "Bearer in-secret")), 200);
  EXPECT_EQ(Status(served, "/v1/items/a", H("Authorization", "bearer in-secret")), 200);
  auto seen = upstream_.seen();
  ASSERT_EQ(seen.size(), 2u);
  // The caller's credential stays here; the upstream gets the capability's own.
  EXPECT_FALSE(seen[0].headers.Has("Authorization"));
  EXPECT_EQ(seen[0].headers.Get("X-Auth-Token").value_or(""), "up-secret");
}

TEST_F(RestAuthTest, ApiKeyInHeader) {
  Served served(
      WithAuth("{type: apikey, key: X-Api-Key, value: '{{IN_TOKEN}}', placement: header}"),
      upstream_.port());
  std::string challenge;
  EXPECT_EQ(Status(served, "/v1/items/a", {}, &challenge), 401);
  EXPECT_EQ(Status(served, "/v1/items/a", H("X-Api-Key", "nope")), 401);
  EXPECT_EQ(Status(served, "/v1/items/a", H("X-Api-Key", "")), 401);
  EXPECT_EQ(Status(served, "/v1/items/a?X-Api-Key=in-secret", {}), 401);
  EXPECT_EQ(Status(served, "/v1/items/a", H("x-api-key", "in-secret")), 200);
  auto seen = upstream_.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_FALSE(seen[0].headers.Has("X-Api-Key"));
}

TEST_F(RestAuthTest, ApiKeyInQuery) {
  Served served(WithAuth("{type: apikey, key: api_key, value: '{{IN_TOKEN}}', placement: query}"),
                upstream_.port());
  EXPECT_EQ(Status(served, "/v1/items/a", {}), 401);
  EXPECT_EQ(Status(served, "/v1/items/a?api_key=wrong", {}), 401);
  EXPECT_EQ(Status(served, "/v1/items/a", H("api_key", "in-secret")), 401);
  EXPECT_EQ(Status(served, "/v1/items/a?api_key=in-secret", {}), 200);
  EXPECT_EQ(Status(served, "/v1/items/a?api_key=in%2Dsecret", {}), 200);
  auto seen = upstream_.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].target, "/items/a");  // the key is not forwarded
}

TEST_F(RestAuthTest, Basic) {
  Served served(WithAuth("{type: basic, username: '{{IN_USER}}', password: '{{IN_PASS}}'}"),
                upstream_.port());
  std::string challenge;
  EXPECT_EQ(Status(served, "/v1/items/a", {}, &challenge), 401);
  EXPECT_EQ(challenge, "Basic realm=\"capstan\"");
  // ann:pa:ss → YW5uOnBhOnNz; ann:pa:sx → YW5uOnBhOnN4
  EXPECT_EQ(Status(served, "/v1/items/a", H("Authorization", "Basic YW5uOnBhOnN4")), 401);
  EXPECT_EQ(Status(served, "/v1/items/a", H("Authorization", "Basic !!!")), 401);
  EXPECT_EQ(Status(served, "/v1/items/a", H("Authorization", "Bearer YW5uOnBhOnNz")), 401);
  EXPECT_EQ(Status(served, "/v1/items/a", H("Authorization", "Basic YW5uOnBhOnNz")), 200);
  // Unknown paths stay 404 without credentials; known ones need them first.
  EXPECT_EQ(Status(served, "/nope", {}), 404);
}

TEST(RestAdapterBuildTest, ForwardRefusesConnectionHeaders) {
  std::string text(kCapability);
  std::string from = "trustedHeaders: [X-Trace, Accept]";
  text.replace(text.find(from), from.size(), "trustedHeaders: [X-Trace, Transfer-Encoding]");
  runtime::RuntimeOptions options;
  options.env = FakeEnv();
  auto rt = runtime::Runtime::Create(Load(text), options);
  ASSERT_TRUE(rt) << rt.error().message;
  const auto& rest = std::get<spec::ExposesRest>((*rt)->capability().capability->exposes[0]);
  auto adapter = MakeRestAdapter(*rt, rest);
  ASSERT_FALSE(adapter);
  EXPECT_NE(adapter.error().message.find("Transfer-Encoding"), std::string::npos)
      << adapter.error().message;
}

TEST(RestAdapterBuildTest, RejectsAnEmptyInboundSecret) {
  std::string text = WithAuth("{type: bearer, token: '{{IN_TOKEN}}'}");
  runtime::RuntimeOptions options;
  options.env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "TEST_IN_TOKEN") return std::string();
    if (name.rfind("TEST_", 0) == 0) return std::string("x");
    return std::nullopt;
  };
  auto rt = runtime::Runtime::Create(Load(text), options);
  ASSERT_TRUE(rt) << rt.error().message;
  const auto& rest = std::get<spec::ExposesRest>((*rt)->capability().capability->exposes[0]);
  auto adapter = MakeRestAdapter(*rt, rest);
  ASSERT_FALSE(adapter);
  EXPECT_NE(adapter.error().message.find("empty"), std::string::npos) << adapter.error().message;
}

}  // namespace
}  // namespace capstan::rest
