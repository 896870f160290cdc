// End to end over sockets: the built `capstan serve` (seed capability) in front of the built
// `scaleway-iam-sim`, both on ephemeral ports. Curl-level assertions on statuses, headers and
// bodies, and on what the simulator logged (its JSON access log on stderr), which shows exactly
// which upstream requests capstan made.
#include <chrono>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "core/json.hpp"
#include "http/testing/test_client.hpp"
#include "tests/rest/child_process.hpp"

namespace {

namespace json = capstan::core::json;
using capstan::http::Headers;
using capstan::http::TestClient;
using capstan::http::TestResponse;
using capstan::test_support::ChildProcess;
using namespace std::chrono_literals;

const std::string kSeed = std::string(CAPSTAN_SOURCE_DIR) + "/capabilities/scaleway-iam-jwts.yaml";
// The key capstan holds (an extra organization-wide simulator key). Clients never send it.
constexpr const char* kCapstanKey = "0b7d0c3e-2f4a-4c8e-9d61-5a3b2c1d0e9f";
constexpr const char* kUserAKey = "51a5eb46-97e4-4f37-94d1-ab6b0411d155";  // seed: bound to A
constexpr const char* kUserA = "9e57858d-7555-463e-9c74-2dc2d02019b8";
constexpr const char* kUserB = "d4e39c6f-77f6-450b-8f8e-9f0362a8c06d";
constexpr const char* kJwts = "/v1/iam/v1alpha1/jwts";

std::unique_ptr<ChildProcess> StartSim(std::vector<std::string> extra, std::uint16_t& port) {
  std::vector<std::string> argv = {CAPSTAN_SIM_BINARY, "--port",   "0", "--threads", "1",
                                   "--token",          kCapstanKey};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto sim = std::make_unique<ChildProcess>(argv);
  auto p = sim->WaitForLine(std::regex(R"(^listening on http://127\.0\.0\.1:(\d+)$)"));
  EXPECT_TRUE(p) << sim->Stderr();
  port = p ? static_cast<std::uint16_t>(std::stoi(*p)) : 0;
  return sim;
}

std::unique_ptr<ChildProcess> StartCapstan(const std::string& upstream,
                                           std::vector<std::string> extra, std::uint16_t& port) {
  std::vector<std::string> argv = {CAPSTAN_BINARY,
                                   "serve",
                                   kSeed,
                                   "--base-uri",
                                   "iam-jwts=" + upstream,
                                   "--port",
                                   "iam-jwts-rest=0",
                                   "--port",
                                   "iam-jwts-mcp=0",
                                   "--threads",
                                   "1"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto capstan = std::make_unique<ChildProcess>(
      argv, std::map<std::string, std::string>{{"SCALEWAY_API_KEY", kCapstanKey}});
  auto p = capstan->WaitForLine(std::regex(
      R"(^capstan: rest adapter 'iam-jwts-rest' listening on http://127\.0\.0\.1:(\d+)$)"));
  EXPECT_TRUE(p) << capstan->Stderr();
  port = p ? static_cast<std::uint16_t>(std::stoi(*p)) : 0;
  return capstan;
}

json::object ParseObject(const std::string& text) {
  auto parsed = capstan::core::ParseJson(text);
  EXPECT_TRUE(parsed && parsed->is_object()) << text;
  return parsed && parsed->is_object() ? parsed->as_object() : json::object();
}

std::string Str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

class RestE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sim_ = StartSim({}, sim_port_).release();
    capstan_ =
        StartCapstan("http://127.0.0.1:" + std::to_string(sim_port_), {}, capstan_port_).release();
  }
  static void TearDownTestSuite() {
    delete capstan_;
    delete sim_;
    capstan_ = nullptr;
    sim_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(sim_port_, 0);
    ASSERT_NE(capstan_port_, 0);
    client_ = std::make_unique<TestClient>(capstan_port_);
  }

  TestResponse Send(std::string_view method, std::string_view target, const Headers& headers = {},
                    std::string_view body = {}) {
    auto r = client_->Send(method, target, headers, body);
    EXPECT_TRUE(r) << method << " " << target << ": " << (r ? "" : r.error().message);
    if (!r) return {};
    // Every answer, success or error, carries a request id.
    EXPECT_TRUE(r->headers.Has("X-Request-Id")) << method << " " << target;
    return std::move(*r);
  }
  TestResponse Get(std::string_view target, const Headers& headers = {}) {
    return Send("GET", target, headers);
  }

  static std::string ContentType(const TestResponse& r) {
    return std::string(r.headers.Get("Content-Type").value_or("<none>"));
  }

  // The simulator's access-log entries so far.
  static std::vector<json::object> SimLog() {
    std::vector<json::object> out;
    for (const std::string& line : sim_->StderrLines()) {
      if (line.rfind("{\"time\"", 0) != 0) continue;
      out.push_back(ParseObject(line));
    }
    return out;
  }

  // Sends a marker request through capstan and waits for its simulator log line; returns the
  // index just after it. The simulator runs one loop and capstan calls it sequentially, so every
  // line of an earlier request comes before the marker's.
  std::size_t SyncSimLog() {
    static int counter = 0;
    char marker[64];
    std::snprintf(marker, sizeof marker, "00000000-0000-4000-8000-%012d", ++counter);
    auto r = Get(std::string(kJwts) + "/" + marker);
    EXPECT_EQ(r.status, 404) << r.body;
    std::string marker_path = std::string("/iam/v1alpha1/jwts/") + marker;
    bool seen = sim_->WaitForStderr([&](const std::vector<std::string>& lines) {
      for (const std::string& l : lines) {
        if (l.find(marker_path) != std::string::npos) return true;
      }
      return false;
    });
    EXPECT_TRUE(seen) << "the marker request never reached the simulator";
    auto log = SimLog();
    for (std::size_t i = 0; i < log.size(); ++i) {
      if (Str(log[i], "path") == marker_path) return i + 1;
    }
    return log.size();
  }

  // The simulator entries logged because of `action` (markers excluded).
  std::vector<json::object> SimRequestsDuring(const std::function<void()>& action) {
    std::size_t before = SyncSimLog();
    action();
    std::size_t after = SyncSimLog() - 1;  // the second marker's own line
    auto log = SimLog();
    return std::vector<json::object>(log.begin() + static_cast<std::ptrdiff_t>(before),
                                     log.begin() + static_cast<std::ptrdiff_t>(after));
  }

  static ChildProcess* sim_;
  static ChildProcess* capstan_;
  static std::uint16_t sim_port_;
  static std::uint16_t capstan_port_;
  std::unique_ptr<TestClient> client_;
};

ChildProcess* RestE2eTest::sim_ = nullptr;
ChildProcess* RestE2eTest::capstan_ = nullptr;
std::uint16_t RestE2eTest::sim_port_ = 0;
std::uint16_t RestE2eTest::capstan_port_ = 0;

TEST_F(RestE2eTest, ListWithEveryParameter) {
  std::string query = std::string("?audience_id=") + kUserA +
                      "&expired=false&order_by=created_at_desc&page_size=1&page=2";
  std::vector<json::object> seen;
  TestResponse r;
  seen = SimRequestsDuring([&] { r = Get(kJwts + query); });
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(ContentType(r), "application/json");  // exactly: the JS SDK needs it
  EXPECT_EQ(r.headers.Get("Content-Length").value_or(""), std::to_string(r.body.size()));
  auto body = ParseObject(r.body);
  ASSERT_TRUE(body.contains("total_count"));
  EXPECT_TRUE(body.at("total_count").is_int64() || body.at("total_count").is_uint64());
  EXPECT_EQ(body.at("total_count").to_number<int>(), 2);
  const auto& jwts = body.at("jwts").as_array();
  ASSERT_EQ(jwts.size(), 1u);
  const auto& jwt = jwts[0].as_object();
  EXPECT_EQ(Str(jwt, "jti"), "96e44708-9205-439e-9b79-e764ff08491c");
  EXPECT_EQ(Str(jwt, "ip"), "198.51.100.7");
  EXPECT_EQ(Str(jwt, "audience_id"), kUserA);
  EXPECT_TRUE(std::regex_match(Str(jwt, "created_at"),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)")));
  EXPECT_FALSE(Str(jwt, "user_agent").empty());
  // The simulator saw one request carrying every parameter, in the capability's order.
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(Str(seen[0], "target"),
            std::string("/iam/v1alpha1/jwts?order_by=created_at_desc&audience_id=") + kUserA +
                "&page_size=1&page=2&expired=false");
}

TEST_F(RestE2eTest, ErrorEnvelopesPassThroughUnchanged) {
  auto r = Get(kJwts);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ContentType(r), "application/json");
  EXPECT_EQ(
      r.body,
      R"j({"details":[{"argument_name":"audience_id","help_message":"value is required","reason":"required"}],"message":"invalid argument(s)","type":"invalid_arguments"})j");
  r = Get(std::string(kJwts) + "?audience_id=" + kUserA + "&page_size=1000");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find(R"("argument_name":"page_size")"), std::string::npos) << r.body;
}

TEST_F(RestE2eTest, GetDeleteThenNotFound) {
  const std::string jti = "f1591fa7-6cb6-496e-91be-6d3f467771e7";
  auto r = Get(std::string(kJwts) + "/" + jti);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(ContentType(r), "application/json");
  auto jwt = ParseObject(r.body);
  EXPECT_EQ(Str(jwt, "jti"), jti);
  EXPECT_TRUE(jwt.at("expires_at").is_null());
  EXPECT_EQ(Str(jwt, "ip"), "2001:db8:85a3::8a2e:370:7334");

  r = Send("DELETE", std::string(kJwts) + "/" + jti);
  EXPECT_EQ(r.status, 204);
  EXPECT_TRUE(r.body.empty());
  EXPECT_FALSE(r.headers.Has("Content-Length"));  // RFC 9110 forbids it on 204

  r = Get(std::string(kJwts) + "/" + jti);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ContentType(r), "application/json");
  EXPECT_EQ(r.body, R"({"message":"resource is not found","resource":"jwt","resource_id":")" + jti +
                        R"(","type":"not_found"})");
  r = Send("DELETE", std::string(kJwts) + "/" + jti);
  EXPECT_EQ(r.status, 404);
}

TEST_F(RestE2eTest, HeadAndOptions) {
  std::string target = std::string(kJwts) + "?audience_id=" + kUserB;
  auto get = Get(target);
  ASSERT_EQ(get.status, 200);
  auto head = Send("HEAD", target);
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(ContentType(head), "application/json");
  EXPECT_EQ(head.headers.Get("Content-Length").value_or(""), std::to_string(get.body.size()));
  // The connection survives (no body bytes were left on it).
  EXPECT_EQ(Get(target).status, 200);

  std::vector<json::object> seen;
  TestResponse options;
  seen = SimRequestsDuring([&] { options = Send("OPTIONS", std::string(kJwts) + "/abc"); });
  EXPECT_EQ(options.status, 204);
  EXPECT_EQ(options.headers.Get("Allow").value_or(""), "GET, DELETE, HEAD, OPTIONS");
  EXPECT_TRUE(seen.empty());
}

TEST_F(RestE2eTest, PipelinedRequestsAreAnsweredInOrder) {
  std::string a = std::string(kJwts) + "?audience_id=" + kUserB;  // no test deletes B's JWTs
  std::string b = std::string(kJwts) + "/96e44708-9205-439e-9b79-e764ff08491c";
  TestClient raw(capstan_port_);
  ASSERT_TRUE(raw.SendRaw("GET " + a + " HTTP/1.1\r\nHost: x\r\n\r\n" +   //
                          "HEAD " + a + " HTTP/1.1\r\nHost: x\r\n\r\n" +  //
                          "GET " + b + " HTTP/1.1\r\nHost: x\r\n\r\n" +   //
                          "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto first = raw.ReadResponse();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(ParseObject(first->body).at("total_count").to_number<int>(), 17);
  auto second = raw.ReadResponse(/*head_only=*/true);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(second->headers.Get("Content-Length").value_or(""), std::to_string(first->body.size()));
  auto third = raw.ReadResponse();
  ASSERT_TRUE(third);
  EXPECT_EQ(third->status, 200);
  EXPECT_EQ(Str(ParseObject(third->body), "jti"), "96e44708-9205-439e-9b79-e764ff08491c");
  auto fourth = raw.ReadResponse();
  ASSERT_TRUE(fourth);
  EXPECT_EQ(fourth->status, 404);
  EXPECT_EQ(raw.connections_opened(), 1);
}

TEST_F(RestE2eTest, UnknownMethodIs405WithAllow) {
  std::vector<json::object> seen = SimRequestsDuring([&] {
    auto r = Send("POST", kJwts, {}, "{}");
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.headers.Get("Allow").value_or(""), "GET, HEAD, OPTIONS");
    EXPECT_EQ(ContentType(r), "application/json");
    EXPECT_EQ(Str(ParseObject(r.body), "type"), "method_not_allowed");
    r = Send("PATCH", std::string(kJwts) + "/abc", {}, "{}");
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.headers.Get("Allow").value_or(""), "GET, DELETE, HEAD, OPTIONS");
    r = Send("BREW", kJwts);
    EXPECT_EQ(r.status, 405);
  });
  EXPECT_TRUE(seen.empty());
}

TEST_F(RestE2eTest, UnknownPathIs404Json) {
  std::vector<json::object> seen = SimRequestsDuring([&] {
    for (const char* target :
         {"/", "/v1", "/iam/v1alpha1/jwts", "/v1/iam/v1alpha1/jwts/", "/v1/iam/v1alpha1/jwts/a/b",
          "/v1/iam/v1alpha1/users", "/v1/iam/v1alpha1/jwts/../../../metadata", "/metadata"}) {
      auto r = Get(target);
      EXPECT_EQ(r.status, 404) << target;
      EXPECT_EQ(ContentType(r), "application/json") << target;
      EXPECT_EQ(Str(ParseObject(r.body), "type"), "not_found") << target;
    }
  });
  EXPECT_TRUE(seen.empty());
}

TEST_F(RestE2eTest, PathTraversalNeverLeavesTheJtiSegment) {
  struct Case {
    const char* jti;       // as sent to capstan (one raw segment)
    const char* upstream;  // the segment the simulator must see
  };
  const Case cases[] = {
      {"..%2F..%2Faccount", "..%2F..%2Faccount"},
      {"..%2f..%2fmetadata", "..%2F..%2Fmetadata"},
      {"%2e%2e", "%2E%2E"},
      // Dots are only escaped when the whole segment is a dot-segment; "..%2F" is not one.
      {"%2E%2E%2F", "..%2F"},
      {"%2e%2e%2f%2e%2e%2f%2e%2e%2fmetadata", "..%2F..%2F..%2Fmetadata"},
      {"..", "%2E%2E"},
      {".", "%2E"},
      {"a%2Fb", "a%2Fb"},
      {"%252e%252e%252f", "%252e%252e%252f"},
      {"x%3Faudience_id%3Dy", "x%3Faudience_id=y"},  // '=' is allowed in a path segment
      {"x%23fragment", "x%23fragment"},
      {"%3F", "%3F"},
      {"%23", "%23"},
      {"%5C..%5Cmetadata", "%5C..%5Cmetadata"},
      {"a%20b", "a%20b"},
  };
  for (const Case& c : cases) {
    TestResponse r;
    auto seen = SimRequestsDuring([&] { r = Get(std::string(kJwts) + "/" + c.jti); });
    // The simulator refuses a non-UUID jti (400 invalid_arguments) and capstan passes it through.
    EXPECT_EQ(r.status, 400) << c.jti << ": " << r.body;
    EXPECT_NE(r.body.find(R"("argument_name":"jti")"), std::string::npos) << r.body;
    ASSERT_EQ(seen.size(), 1u) << c.jti;
    EXPECT_EQ(Str(seen[0], "path"), std::string("/iam/v1alpha1/jwts/") + c.upstream) << c.jti;
    EXPECT_EQ(Str(seen[0], "query"), "") << c.jti;
  }
  // No request ever reached another upstream path.
  for (const json::object& entry : SimLog()) {
    std::string path = Str(entry, "path");
    EXPECT_TRUE(path == "/iam/v1alpha1/jwts" || path.rfind("/iam/v1alpha1/jwts/", 0) == 0) << path;
    EXPECT_EQ(path.find('/', std::string("/iam/v1alpha1/jwts/").size()), std::string::npos) << path;
  }
}

TEST_F(RestE2eTest, CrLfInParametersIsRejected) {
  std::vector<json::object> seen = SimRequestsDuring([&] {
    for (std::string q : {"audience_id=a%0D%0AX-Injected:%201", "audience_id=a%0Ab",
                          "order_by=x%0D%0A%0D%0AGET%20/metadata"}) {
      auto r = Get(std::string(kJwts) + "?" + q);
      EXPECT_EQ(r.status, 400) << q;
      EXPECT_EQ(ContentType(r), "application/json");
      EXPECT_EQ(Str(ParseObject(r.body), "type"), "invalid_argument") << r.body;
    }
    auto r = Get(std::string(kJwts) + "/a%0D%0AX-Injected:%201");
    EXPECT_EQ(r.status, 400);
  });
  EXPECT_TRUE(seen.empty());

  // Raw CR/LF inside the request line or a header never gets through the HTTP parser.
  for (std::string raw :
       {std::string("GET /v1/iam/v1alpha1/jwts?audience_id=a\r\nX-Injected: 1 HTTP/1.1\r\nHost: "
                    "x\r\n\r\n"),
        std::string("GET /v1/iam/v1alpha1/jwts HTTP/1.1\r\nHost: x\r\nX-Trace: a\rb\r\n\r\n")}) {
    TestClient raw_client(capstan_port_);
    ASSERT_TRUE(raw_client.SendRaw(raw));
    auto r = raw_client.ReadResponse();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, 400);
  }
}

TEST_F(RestE2eTest, OversizedRequestsAre413And431) {
  Headers big;
  big.Set("X-Big", std::string(20 * 1024, 'a'));
  TestClient c1(capstan_port_);
  auto r = c1.Get(kJwts, big);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(r->headers.Get("Content-Type").value_or(""), "application/json");

  TestClient c2(capstan_port_);
  r = c2.Get(std::string(kJwts) + "?audience_id=" + std::string(20 * 1024, 'a'));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 431);

  TestClient c3(capstan_port_);
  ASSERT_TRUE(c3.SendRaw(std::string("DELETE /v1/iam/v1alpha1/jwts/abc HTTP/1.1\r\nHost: x\r\n"
                                     "Content-Length: 2000000\r\n\r\n") +
                         std::string(64 * 1024, '{')));
  r = c3.ReadResponse();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 413);
}

TEST_F(RestE2eTest, TypeErrorsAre400BeforeAnyUpstreamCall) {
  struct Case {
    std::string query;
    const char* parameter;
  };
  for (const Case& c : {Case{"page_size=abc", "page_size"}, Case{"page=1.5", "page"},
                        Case{"expired=maybe", "expired"}, Case{"page_size=%FF", "page_size"},
                        Case{"page=99999999999999999999", "page"}}) {
    TestResponse r;
    auto seen = SimRequestsDuring(
        [&] { r = Get(std::string(kJwts) + "?audience_id=" + kUserA + "&" + c.query); });
    EXPECT_EQ(r.status, 400) << c.query;
    EXPECT_EQ(ContentType(r), "application/json");
    auto body = ParseObject(r.body);
    EXPECT_EQ(Str(body, "type"), "invalid_argument") << r.body;
    EXPECT_NE(Str(body, "message").find(std::string("'") + c.parameter + "'"), std::string::npos)
        << r.body;
    EXPECT_TRUE(seen.empty()) << c.query << ": the simulator was called";
  }
  // Booleans in any case, as Python's SDK sends them; an empty typed value is "not given".
  EXPECT_EQ(Get(std::string(kJwts) + "?audience_id=" + kUserA + "&expired=False").status, 200);
  TestResponse r;
  auto seen = SimRequestsDuring(
      [&] { r = Get(std::string(kJwts) + "?audience_id=" + kUserA + "&page_size=&page="); });
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(Str(seen[0], "query"), std::string("audience_id=") + kUserA);
}

TEST_F(RestE2eTest, ClientCredentialsAreNotForwarded) {
  // kUserAKey is bound to user A: had capstan forwarded it, listing user B would be 403.
  Headers headers;
  headers.Set("X-Auth-Token", kUserAKey);
  headers.Set("Authorization", "Bearer 11111111-1111-4111-8111-111111111111");
  headers.Set("X-Session-Token", "session");
  TestResponse r;
  auto seen =
      SimRequestsDuring([&] { r = Get(std::string(kJwts) + "?audience_id=" + kUserB, headers); });
  EXPECT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].at("auth_token_present"), json::value(true));
  int tokens = 0;
  for (const json::value& name : seen[0].at("header_names").as_array()) {
    std::string n(name.as_string());
    for (char& ch : n) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    EXPECT_NE(n, "authorization");
    EXPECT_NE(n, "x-session-token");
    if (n == "x-auth-token") ++tokens;
  }
  EXPECT_EQ(tokens, 1);
  // An unknown client key changes nothing either (capstan sends its own).
  headers.Set("X-Auth-Token", "22222222-2222-4222-8222-222222222222");
  EXPECT_EQ(Get(std::string(kJwts) + "?audience_id=" + kUserB, headers).status, 200);
}

TEST_F(RestE2eTest, RequestIdsAndAccessLog) {
  Headers headers;
  headers.Set("X-Request-Id", "trace-abc-123");
  auto r = Get(std::string(kJwts) + "?audience_id=" + kUserA, headers);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.Get("X-Request-Id").value_or(""), "trace-abc-123");
  auto other = Get(std::string(kJwts) + "?audience_id=" + kUserA);
  std::string generated(other.headers.Get("X-Request-Id").value_or(""));
  EXPECT_EQ(generated.size(), 36u) << generated;

  bool logged = capstan_->WaitForStderr([&](const std::vector<std::string>& lines) {
    for (const std::string& l : lines) {
      if (l.find(generated) != std::string::npos) return true;
    }
    return false;
  });
  ASSERT_TRUE(logged) << capstan_->Stderr();
  for (const std::string& line : capstan_->StderrLines()) {
    if (line.find(generated) == std::string::npos) continue;
    auto entry = ParseObject(line);
    EXPECT_EQ(Str(entry, "method"), "GET");
    EXPECT_EQ(Str(entry, "path"), kJwts);  // no query string: it may carry caller data
    EXPECT_EQ(entry.at("status"), json::value(200));
    EXPECT_EQ(entry.at("upstream_status"), json::value(200));
    EXPECT_TRUE(entry.contains("duration_us"));
    EXPECT_TRUE(entry.contains("upstream_us"));
  }
  // Secrets never reach either log.
  EXPECT_EQ(capstan_->Stderr().find(kCapstanKey), std::string::npos);
  EXPECT_EQ(sim_->Stderr().find(kCapstanKey), std::string::npos);
  EXPECT_EQ(capstan_->Stderr().find(kUserA), std::string::npos);  // query values stay out
}

// --- upstream failures, each with its own pair of processes

TEST(RestE2eUpstreamTest, UnreachableUpstreamIs502) {
  // A port that was just bound and released: nothing listens there.
  std::uint16_t dead = 0;
  {
    std::uint16_t port = 0;
    auto sim = StartSim({}, port);
    dead = port;
  }
  std::uint16_t port = 0;
  auto capstan = StartCapstan("http://127.0.0.1:" + std::to_string(dead), {}, port);
  ASSERT_NE(port, 0);
  TestClient client(port);
  auto r = client.Get(std::string(kJwts) + "/876feec6-561b-4ae0-80d1-6237a8f146db");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  EXPECT_EQ(r->headers.Get("Content-Type").value_or(""), "application/json");
  EXPECT_EQ(Str(ParseObject(r->body), "type"), "upstream_unavailable") << r->body;
  EXPECT_TRUE(r->headers.Has("X-Request-Id"));
}

TEST(RestE2eUpstreamTest, SlowUpstreamIs504) {
  std::uint16_t sim_port = 0;
  auto sim = StartSim({"--latency-ms", "3000"}, sim_port);
  std::uint16_t port = 0;
  auto capstan =
      StartCapstan("http://127.0.0.1:" + std::to_string(sim_port), {"--timeout-ms", "300"}, port);
  ASSERT_NE(port, 0);
  TestClient client(port);
  auto start = std::chrono::steady_clock::now();
  auto r = client.Get(std::string(kJwts) + "?audience_id=" + kUserA);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 504);
  EXPECT_EQ(r->headers.Get("Content-Type").value_or(""), "application/json");
  EXPECT_EQ(Str(ParseObject(r->body), "type"), "upstream_timeout") << r->body;
  EXPECT_LT(elapsed, 2500ms);
  // capstan is still healthy afterwards.
  auto again = client.Get("/v1/nope");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 404);
}

TEST(RestE2eUpstreamTest, UpstreamFailuresPassThrough) {
  std::uint16_t sim_port = 0;
  auto sim = StartSim({"--fail-rate", "1"}, sim_port);
  std::uint16_t port = 0;
  auto capstan = StartCapstan("http://127.0.0.1:" + std::to_string(sim_port), {}, port);
  ASSERT_NE(port, 0);
  TestClient client(port);
  auto r = client.Get(std::string(kJwts) + "?audience_id=" + kUserA);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->body, R"({"message":"internal error","type":"internal"})");
  EXPECT_EQ(r->headers.Get("Content-Type").value_or(""), "application/json");
}

// --- several capabilities in one process

// A port that was free a moment ago (bind to 0, read it, close).
std::uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST(RestE2eListenerTest, CapabilitiesOnOneAddressShareOneListener) {
  std::uint16_t sim_port = 0;
  auto sim = StartSim({}, sim_port);
  std::string upstream = "http://127.0.0.1:" + std::to_string(sim_port);
  std::string port = std::to_string(FreePort());
  ChildProcess capstan(
      {CAPSTAN_BINARY, "serve", kSeed,
       std::string(CAPSTAN_SHARED_DIR) + "/capabilities/scaleway/iam-ssh-keys.yaml", "--base-uri",
       "iam-jwts=" + upstream, "--base-uri", "iam-ssh-keys=" + upstream, "--port",
       "iam-jwts-rest=" + port, "--port", "iam-ssh-keys-rest=" + port, "--port", "iam-jwts-mcp=0",
       "--port", "iam-ssh-keys-mcp=0", "--threads", "1"},
      {{"SCALEWAY_API_KEY", kCapstanKey}});
  auto first =
      capstan.WaitForLine(std::regex("^capstan: rest adapter 'iam-jwts-rest' listening on "
                                     "http://127\\.0\\.0\\.1:(\\d+)$"));
  ASSERT_TRUE(first) << capstan.Stderr();
  EXPECT_EQ(*first, port);
  auto second =
      capstan.WaitForLine(std::regex("^capstan: rest adapter 'iam-ssh-keys-rest' "
                                     "listening on http://127\\.0\\.0\\.1:(\\d+)$"));
  ASSERT_TRUE(second) << capstan.Stderr();
  EXPECT_EQ(*second, port);

  TestClient client(static_cast<std::uint16_t>(std::stoi(port)));
  auto r = client.Get(std::string(kJwts) + "?audience_id=" + kUserA);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  // The second capability's route is served on the same connection; the simulator does not
  // know ssh keys, so its own 404 envelope comes back (not capstan's "no route").
  r = client.Get("/v1/iam/v1alpha1/ssh-keys");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body, R"({"message":"no such route","type":"not_found"})");
  EXPECT_EQ(client.connections_opened(), 1);
  // A graceful stop exits 0.
  int status = capstan.Stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(RestE2eListenerTest, PortAndAddressComeFromTheEnvironmentToo) {
  std::string port = std::to_string(FreePort());
  ChildProcess capstan({CAPSTAN_BINARY, "serve", kSeed, "--port", "iam-jwts-mcp=0"},
                       {{"SCALEWAY_API_KEY", kCapstanKey},
                        {"CAPSTAN_PORT_IAM_JWTS_REST", port},
                        {"CAPSTAN_ADDRESS", "127.0.0.1"}});
  auto bound = capstan.WaitForLine(std::regex(
      R"(^capstan: rest adapter 'iam-jwts-rest' listening on http://127\.0\.0\.1:(\d+)$)"));
  ASSERT_TRUE(bound) << capstan.Stderr();
  EXPECT_EQ(*bound, port);
}

TEST(RestE2eListenerTest, AnAddressOfLocalhostListensOnLoopback) {
  std::string text;
  if (FILE* f = std::fopen(kSeed.c_str(), "rb")) {
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) text.append(buffer, n);
    std::fclose(f);
  }
  std::string from = "    namespace: iam-jwts-rest\n";
  ASSERT_NE(text.find(from), std::string::npos);
  text.replace(text.find(from), from.size(), from + "    address: localhost\n");
  std::string file = (std::filesystem::temp_directory_path() /
                      ("capstan-localhost-" + std::to_string(::getpid()) + ".yaml"))
                         .string();
  if (FILE* f = std::fopen(file.c_str(), "wb")) {
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
  }
  ChildProcess capstan(
      {CAPSTAN_BINARY, "serve", file, "--port", "iam-jwts-rest=0", "--port", "iam-jwts-mcp=0"},
      {{"SCALEWAY_API_KEY", kCapstanKey}});
  auto bound = capstan.WaitForLine(std::regex(
      R"(^capstan: rest adapter 'iam-jwts-rest' listening on http://127\.0\.0\.1:(\d+)$)"));
  std::filesystem::remove(file);
  EXPECT_TRUE(bound) << capstan.Stderr();
}

TEST(RestE2eListenerTest, ACollisionIsAStartupErrorNamingBothSides) {
  std::string port = std::to_string(FreePort());
  ChildProcess capstan(
      {CAPSTAN_BINARY, "serve", kSeed,
       std::string(CAPSTAN_SHARED_DIR) + "/capabilities/scaleway/iam-jwts.yaml", "--port",
       "iam-jwts-rest=" + port, "--port", "iam-jwts-mcp=0", "--threads", "1"},
      {{"SCALEWAY_API_KEY", kCapstanKey}});
  EXPECT_FALSE(capstan.WaitForLine(std::regex("listening"), 5s));  // stdout closes on exit
  std::string err = capstan.Stderr();
  EXPECT_NE(err.find("collision"), std::string::npos) << err;
  EXPECT_NE(err.find("/v1/iam/v1alpha1/jwts"), std::string::npos) << err;
  EXPECT_NE(err.find("scaleway-iam-jwts.yaml"), std::string::npos) << err;
  EXPECT_NE(err.find("scaleway/iam-jwts.yaml"), std::string::npos) << err;
  int status = capstan.Stop();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << status;
}

}  // namespace
