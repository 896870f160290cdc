#include "sim/simulator.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/json.hpp"
#include "sim/errors.hpp"

namespace capstan::sim {
namespace {

using ::testing::HasSubstr;

constexpr Micros kNow = 2000000000LL * 1000000;
constexpr char kToken[] = "6c7ef130-6442-42fd-b525-ccf941221566";
constexpr char kUserA[] = "9e57858d-7555-463e-9c74-2dc2d02019b8";
constexpr char kUserB[] = "d4e39c6f-77f6-450b-8f8e-9f0362a8c06d";
constexpr char kTokenA[] = "aaaaaaaa-0000-4000-8000-00000000000a";  // bound to user A
constexpr char kJti[] = "96e44708-9205-439e-9b79-e764ff08491c";     // audience A
constexpr char kJtiB[] = "afadfc10-76fa-410f-8621-10016eb484b5";    // audience B
constexpr char kCollection[] = "/iam/v1alpha1/jwts";

class SimulatorTest : public ::testing::Test {
 protected:
  void SetUp() override { Make({}); }
  void Make(std::string prefix) {
    auto seed = ParseSeed(DefaultSeedJson(), kNow);
    ASSERT_TRUE(seed);
    auto store = JwtStore::Create(std::move(seed->jwts));
    ASSERT_TRUE(store);
    SimulatorOptions options;
    options.tokens = MergeTokens(seed->tokens, {TokenGrant{kTokenA, kUserA}});
    options.path_prefix = std::move(prefix);
    sim_ = std::make_unique<Simulator>(std::move(*store), std::move(options));
  }
  http::Response Call(std::string method, std::string target,
                      std::optional<std::string> token = std::string(kToken),
                      std::string body = {}) {
    http::Request request;
    request.method = std::move(method);
    request.target = target;
    std::size_t q = target.find('?');
    request.path = target.substr(0, q);
    if (q != std::string::npos) request.query = target.substr(q + 1);
    if (token) request.headers.Set("x-auth-token", *token);
    request.body = std::move(body);
    return sim_->Handle(request, kNow);
  }
  http::Response List(std::string query, std::optional<std::string> token = std::string(kToken)) {
    return Call("GET", std::string(kCollection) + "?" + query, std::move(token));
  }
  static core::json::value Json(const http::Response& response) {
    EXPECT_EQ(response.headers.Get("Content-Type"), "application/json");
    auto parsed = core::ParseJson(response.body);
    EXPECT_TRUE(parsed) << response.body;
    return parsed ? *parsed : core::json::value();
  }
  std::unique_ptr<Simulator> sim_;
};

TEST_F(SimulatorTest, ListContractExample) {
  auto response = List(std::string("audience_id=") + kUserA);
  EXPECT_EQ(response.status, 200);
  auto body = Json(response);
  EXPECT_EQ(body.at("total_count"), 3);
  ASSERT_EQ(body.at("jwts").as_array().size(), 3u);
  EXPECT_EQ(body.at("jwts").at(0).at("jti"), "876feec6-561b-4ae0-80d1-6237a8f146db");
  EXPECT_TRUE(body.at("jwts").at(2).at("expires_at").is_null());
  EXPECT_THAT(response.body, HasSubstr(R"("total_count":3})"));

  // §5: expired=false&order_by=created_at_desc&page_size=1&page=2 → 96e44708, total_count 2.
  response = List(std::string("audience_id=") + kUserA +
                  "&expired=false&order_by=created_at_desc&page_size=1&page=2");
  body = Json(response);
  EXPECT_EQ(body.at("total_count"), 2);
  ASSERT_EQ(body.at("jwts").as_array().size(), 1u);
  EXPECT_EQ(body.at("jwts").at(0).at("jti"), kJti);
  response = List(std::string("audience_id=") + kUserA + "&expired=True");
  EXPECT_EQ(Json(response).at("total_count"), 1);
}

TEST_F(SimulatorTest, ObjectsHaveTheWireShape) {
  auto response = List(std::string("audience_id=") + kUserB + "&page_size=100");
  auto body = Json(response);
  for (const auto& jwt : body.at("jwts").as_array()) {
    std::vector<std::string> keys;
    for (const auto& entry : jwt.as_object()) keys.emplace_back(entry.key());
    EXPECT_EQ(keys, (std::vector<std::string>{"jti", "issuer_id", "audience_id", "created_at",
                                              "updated_at", "expires_at", "ip", "user_agent"}));
    for (const char* key : {"created_at", "updated_at", "expires_at"}) {
      const auto& value = jwt.at(key);
      if (value.is_null()) continue;
      std::string text(value.as_string().c_str());
      EXPECT_EQ(text.size(), 27u) << text;
      EXPECT_EQ(text.back(), 'Z');
      EXPECT_EQ(text[19], '.');
    }
    EXPECT_TRUE(IsIpAddress(std::string(jwt.at("ip").as_string().c_str())));
  }
}

TEST_F(SimulatorTest, PagePastTheEnd) {
  auto response = List(std::string("audience_id=") + kUserB + "&page=99");
  EXPECT_EQ(response.status, 200);
  EXPECT_THAT(response.body, ::testing::StartsWith(R"({"jwts":[],"total_count":17})"));
  EXPECT_EQ(List(std::string("audience_id=") + kUserB + "&page_size=0").status, 200);
}

TEST_F(SimulatorTest, ListValidation) {
  auto response = List("");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(
      response.body,
      R"({"details":[{"argument_name":"audience_id","help_message":"value is required",)"
      R"j("reason":"required"}],"message":"invalid argument(s)","type":"invalid_arguments"})j");
  EXPECT_EQ(
      List("audience_id=string").body,
      R"({"details":[{"argument_name":"audience_id","help_message":"value must be a valid UUID",)"
      R"j("reason":"format"}],"message":"invalid argument(s)","type":"invalid_arguments"})j");
  for (const char* bad :
       {"order_by=x", "page=-1", "page=x", "page_size=101", "page_size=-1", "expired=maybe"}) {
    response = List(std::string("audience_id=") + kUserA + "&" + bad);
    EXPECT_EQ(response.status, 400) << bad;
    EXPECT_EQ(Json(response).at("type"), "invalid_arguments") << bad;
  }
  // Unknown parameters are ignored; a body on GET is tolerated.
  EXPECT_EQ(List(std::string("audience_id=") + kUserA + "&type=unknown_type&x=%zz").status, 200);
  EXPECT_EQ(Call("GET", std::string(kCollection) + "?audience_id=" + kUserA, kToken, "{}").status,
            200);
}

TEST_F(SimulatorTest, GetDeleteAndNotFound) {
  std::string item = std::string(kCollection) + "/" + kJti;
  auto response = Call("GET", item);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(Json(response).at("jti"), kJti);
  EXPECT_EQ(Json(response).at("audience_id"), kUserA);

  response = Call("DELETE", item, kToken, "{}");
  EXPECT_EQ(response.status, 204);
  EXPECT_EQ(response.body, "");
  EXPECT_EQ(response.headers.Get("Content-Type"), "application/json");

  response = Call("DELETE", item);
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.body, std::string(R"({"message":"resource is not found","resource":"jwt",)") +
                               R"("resource_id":")" + kJti + R"(","type":"not_found"})");
  EXPECT_EQ(Call("GET", item).status, 404);
  EXPECT_EQ(Json(List(std::string("audience_id=") + kUserA)).at("total_count"), 2);
}

TEST_F(SimulatorTest, UnknownAndMalformedJti) {
  auto response = Call("GET", std::string(kCollection) + "/00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(Json(response).at("resource_id"), "00000000-0000-4000-8000-000000000000");
  std::string format =
      R"({"details":[{"argument_name":"jti","help_message":"value must be a valid UUID",)"
      R"j("reason":"format"}],"message":"invalid argument(s)","type":"invalid_arguments"})j";
  for (const char* jti : {"abc", "876feec6-561b-4ae0-80d1-6237a8f146d", "%zz", "a%2Fb"}) {
    response = Call("GET", std::string(kCollection) + "/" + jti);
    EXPECT_EQ(response.status, 400) << jti;
    EXPECT_EQ(response.body, format) << jti;
    EXPECT_EQ(Call("DELETE", std::string(kCollection) + "/" + jti).status, 400) << jti;
  }
  // Upper case and percent-encoded UUIDs name the same JWT.
  EXPECT_EQ(Call("GET", std::string(kCollection) + "/96E44708-9205-439E-9B79-E764FF08491C").status,
            200);
  EXPECT_EQ(
      Call("GET", std::string(kCollection) + "/96e44708%2D9205-439e-9b79-e764ff08491c").status,
      200);
}

TEST_F(SimulatorTest, Authentication) {
  std::string invalid =
      R"({"message":"authentication is denied","method":"api_key","reason":"invalid_argument",)"
      R"("type":"denied_authentication"})";
  std::string not_found =
      R"({"message":"authentication is denied","method":"api_key","reason":"not_found",)"
      R"("type":"denied_authentication"})";
  std::string list = std::string("audience_id=") + kUserA;
  auto response = List(list, std::nullopt);
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(response.body, invalid);
  EXPECT_EQ(List(list, "").body, invalid);
  EXPECT_EQ(List(list, "not-a-key").body, invalid);
  response = List(list, "11111111-1111-4111-8111-111111111111");
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(response.body, not_found);
  // Auth comes before validation and before the lookup.
  EXPECT_EQ(List("", std::nullopt).status, 401);
  EXPECT_EQ(Call("GET", std::string(kCollection) + "/abc", std::nullopt).status, 401);
  EXPECT_EQ(Call("DELETE", std::string(kCollection) + "/" + kJti, std::nullopt).status, 401);
}

TEST_F(SimulatorTest, HeaderNameIsCaseInsensitive) {
  http::Request request;
  request.method = "GET";
  request.path = kCollection;
  request.query = std::string("audience_id=") + kUserA;
  request.headers.Set("X-AUTH-TOKEN", kToken);
  EXPECT_EQ(sim_->Handle(request, kNow).status, 200);
}

TEST_F(SimulatorTest, UserBoundTokenOnlySeesItsOwnJwts) {
  // Decision (docs/simulator.md): a key bound to a user may list, get and delete the JWTs whose
  // audience is that user; anything else is 403 permissions_denied. Organization-wide keys
  // (the default one) may do everything.
  EXPECT_EQ(List(std::string("audience_id=") + kUserA, kTokenA).status, 200);
  auto response = List(std::string("audience_id=") + kUserB, kTokenA);
  EXPECT_EQ(response.status, 403);
  EXPECT_EQ(response.body, R"({"details":[{"action":"read","resource":"jwt"}],)"
                           R"("message":"insufficient permissions","type":"permissions_denied"})");
  std::string other = std::string(kCollection) + "/" + kJtiB;
  EXPECT_EQ(Call("GET", other, kTokenA).status, 403);
  response = Call("DELETE", other, kTokenA);
  EXPECT_EQ(response.status, 403);
  EXPECT_THAT(response.body, HasSubstr(R"("action":"write")"));
  EXPECT_EQ(Call("GET", other, kToken).status, 200);  // the JWT is still there
  EXPECT_EQ(Call("GET", std::string(kCollection) + "/" + kJti, kTokenA).status, 200);
  EXPECT_EQ(List(std::string("audience_id=") + kUserB, kToken).status, 200);
}

TEST_F(SimulatorTest, RoutesAndMethods) {
  EXPECT_EQ(Call("GET", "/iam/v1alpha1/users").status, 404);
  EXPECT_EQ(Call("GET", "/v1/iam/v1alpha1/jwts").status, 404);  // no prefix configured
  EXPECT_EQ(Call("GET", std::string(kCollection) + "/").status, 404);
  EXPECT_EQ(Call("GET", std::string(kCollection) + "/" + kJti + "/x").status, 404);
  auto response = Call("POST", kCollection);
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.headers.Get("Allow"), "GET");
  response = Call("PUT", std::string(kCollection) + "/" + kJti);
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.headers.Get("Allow"), "GET, DELETE");
  response = Call("GET", "/metadata", std::nullopt);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(Json(response).at("partition"), "scw");
}

TEST_F(SimulatorTest, PathPrefixServesBothForms) {
  Make("/v1/");
  std::string query = std::string("?audience_id=") + kUserA;
  EXPECT_EQ(Call("GET", std::string("/v1") + kCollection + query).status, 200);
  EXPECT_EQ(Call("GET", kCollection + query).status, 200);
  EXPECT_EQ(Call("GET", std::string("/v1") + kCollection + "/" + kJti).status, 200);
  EXPECT_EQ(Call("GET", std::string("/v10") + kCollection + query).status, 404);
  EXPECT_EQ(Call("GET", "/v1/metadata").status, 200);
}

TEST_F(SimulatorTest, ErrorEnvelopesAreSortedCompactJson) {
  std::vector<http::Response> errors{
      List(""),
      List("", "x"),
      Call("GET", "/nope"),
      Call("GET", std::string(kCollection) + "/abc"),
      Call("GET", std::string(kCollection) + "/00000000-0000-4000-8000-000000000000"),
      List(std::string("audience_id=") + kUserB, kTokenA),
      Call("POST", kCollection)};
  for (const auto& response : errors) {
    EXPECT_EQ(response.headers.Get("Content-Type"), "application/json");
    auto parsed = core::ParseJson(response.body);
    ASSERT_TRUE(parsed) << response.body;
    EXPECT_EQ(SortedJson(*parsed), response.body);  // sorted already, and compact
  }
}

TEST(SortedJson, SortsRecursively) {
  auto value = core::ParseJson(R"({"b":1,"a":[{"z":null,"y":2.5}],"c":"x"})");
  ASSERT_TRUE(value);
  EXPECT_EQ(SortedJson(*value), R"({"a":[{"y":2.5,"z":null}],"b":1,"c":"x"})");
}

TEST(Errors, RateLimitedAndInternal) {
  auto limited = RateLimited();
  EXPECT_EQ(limited.status, 429);
  EXPECT_TRUE(limited.body.empty());
  EXPECT_FALSE(limited.headers.Has("Content-Type"));
  EXPECT_EQ(limited.headers.Get("X-Envoy-Ratelimited"), "true");
  auto internal = InternalError();
  EXPECT_EQ(internal.status, 500);
  EXPECT_EQ(internal.body, R"({"message":"internal error","type":"internal"})");
}

TEST(MergeTokens, Rules) {
  std::vector<TokenGrant> seed{{"a", std::nullopt}, {"b", kUserA}};
  auto merged = MergeTokens(seed, {{"b", std::nullopt}, {"c", kUserB}});
  ASSERT_EQ(merged.size(), 3u);
  EXPECT_EQ(merged[0].secret_key, "a");
  EXPECT_EQ(merged[1], (TokenGrant{"b", std::nullopt}));  // the flag replaced the seed entry
  EXPECT_EQ(merged[2], (TokenGrant{"c", kUserB}));
  auto fallback = MergeTokens({}, {});
  ASSERT_EQ(fallback.size(), 1u);
  EXPECT_EQ(fallback[0], (TokenGrant{std::string(kDefaultToken), std::nullopt}));
}

TEST(AccessLog, NamesButNeverTokenValues) {
  http::Request request;
  request.method = "GET";
  request.target = "/iam/v1alpha1/jwts?audience_id=x&page=2";
  request.path = "/iam/v1alpha1/jwts";
  request.query = "audience_id=x&page=2";
  request.headers.Set("Host", "h");
  request.headers.Set("X-Auth-Token", "super-secret-value");
  request.headers.Set("User-Agent", "scaleway-sdk-js/1.3.3");
  request.request_id = "rid";
  http::Response response = JsonResponse(200, "{}");
  std::string line = AccessLogLine(request, response, std::chrono::microseconds(1234));
  EXPECT_EQ(line.find("super-secret-value"), std::string::npos);
  auto parsed = core::ParseJson(line);
  ASSERT_TRUE(parsed) << line;
  EXPECT_EQ(parsed->at("target"), "/iam/v1alpha1/jwts?audience_id=x&page=2");
  EXPECT_EQ(parsed->at("path"), "/iam/v1alpha1/jwts");
  EXPECT_EQ(parsed->at("query"), "audience_id=x&page=2");
  EXPECT_EQ(parsed->at("status"), 200);
  EXPECT_EQ(parsed->at("duration_us"), 1234);
  EXPECT_EQ(parsed->at("auth_token_present"), true);
  EXPECT_EQ(parsed->at("user_agent"), "scaleway-sdk-js/1.3.3");
  EXPECT_EQ(parsed->at("header_names").as_array().size(), 3u);
  EXPECT_EQ(parsed->at("header_names").at(1), "X-Auth-Token");
}

}  // namespace
}  // namespace capstan::sim
