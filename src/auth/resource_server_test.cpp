#include "auth/resource_server.hpp"

#include <atomic>
#include <future>
#include <mutex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "auth/testing/signer.hpp"
#include "http/server.hpp"

namespace capstan::auth {
namespace {

using namespace std::chrono_literals;
using testing::Signer;

// A loopback authorization server: RFC 8414 metadata and a JWK Set that the test changes.
class TestIssuer {
 public:
  TestIssuer() {
    http::ServerOptions o;
    o.threads = 1;
    server_ = std::make_unique<http::Server>(
        o, [this](http::Request& r) -> boost::asio::awaitable<http::Response> {
          std::lock_guard<std::mutex> lock(mu_);
          if (r.path == "/.well-known/oauth-authorization-server") {
            ++metadata_fetches;
            json::object m{{"issuer", issuer_name.empty() ? issuer() : issuer_name},
                           {"jwks_uri", issuer() + "/jwks"},
                           {"introspection_endpoint", issuer() + "/introspect"}};
            co_return http::MakeResponse(200, core::SerializeJson(json::value(m)));
          }
          if (r.path == "/jwks") {
            ++jwks_fetches;
            if (down) co_return http::MakeResponse(503, "{}");
            co_return http::MakeResponse(200, jwks_);
          }
          if (r.path == "/introspect" && r.method == "POST") {
            ++introspections;
            last_authorization = std::string(r.headers.Get("Authorization").value_or(""));
            const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
            json::object answer{{"active", false}};
            if (r.body == "token=opaque-good&token_type_hint=access_token") {
              answer = {{"active", true},       {"sub", "svc-2"},
                        {"scope", "jwts:read"}, {"aud", "http://127.0.0.1:1/mcp"},
                        {"iss", issuer()},      {"exp", now + 300}};
            } else if (r.body == "token=opaque-other-aud&token_type_hint=access_token") {
              answer = {{"active", true}, {"aud", "http://elsewhere"}};
            }
            co_return http::MakeResponse(200, core::SerializeJson(json::value(answer)));
          }
          co_return http::MakeResponse(404, "{}");
        });
    EXPECT_TRUE(server_->Start());
  }
  ~TestIssuer() { server_->Stop(1s); }
  std::string issuer() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  void Publish(const std::vector<const Signer*>& signers) {
    json::array keys;
    for (const Signer* s : signers) keys.push_back(s->Jwk());
    std::lock_guard<std::mutex> lock(mu_);
    jwks_ = core::SerializeJson(json::value(json::object{{"keys", keys}}));
  }
  json::object Claims() const {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    return json::object{{"iss", issuer()},  {"aud", "http://127.0.0.1:1/mcp"},
                        {"sub", "svc-1"},   {"scope", "jwts:read"},
                        {"exp", now + 300}, {"iat", now}};
  }
  std::atomic<int> metadata_fetches{0};
  std::atomic<int> jwks_fetches{0};
  std::atomic<bool> down{false};
  std::atomic<int> introspections{0};
  std::string last_authorization;
  std::string issuer_name;  // set: the metadata names this issuer instead

 private:
  std::mutex mu_;
  std::string jwks_ = R"({"keys":[]})";
  std::unique_ptr<http::Server> server_;
};

std::shared_ptr<ResourceServer> Make(const TestIssuer& as, std::chrono::seconds interval = 30s) {
  ResourceServerOptions o;
  o.issuer = as.issuer();
  o.resource = "http://127.0.0.1:1/mcp";
  o.scopes = {"jwts:read"};
  o.min_refresh_interval = interval;
  auto rs = ResourceServer::Create(o);
  EXPECT_TRUE(rs) << (rs ? "" : rs.error().message);
  return rs ? *rs : nullptr;
}

AuthOutcome Check(ResourceServer& rs, const std::string& header) {
  boost::asio::io_context ioc;
  auto future = boost::asio::co_spawn(ioc, rs.Authenticate(header), boost::asio::use_future);
  ioc.run();
  return future.get();
}

TEST(ResourceServer, ValidatesAndRefreshesOnRotationAtABoundedRate) {
  TestIssuer as;
  Signer first("ES256", "k1");
  as.Publish({&first});
  auto rs = Make(as);
  ASSERT_TRUE(rs);
  AuthOutcome ok = Check(*rs, "Bearer " + first.Sign(as.Claims()));
  ASSERT_EQ(ok.kind, AuthOutcome::Kind::kOk) << ok.description;
  EXPECT_EQ(ok.principal.subject, "svc-1");
  EXPECT_EQ(as.jwks_fetches.load(), 1);  // at start
  // The server rotates to a new key: the first token of its kid triggers a refresh.
  Signer second("RS256", "k2");
  as.Publish({&first, &second});
  std::this_thread::sleep_for(10ms);
  // ...but not within the interval: the unknown kid is refused without a fetch.
  AuthOutcome early = Check(*rs, "Bearer " + second.Sign(as.Claims()));
  EXPECT_EQ(early.kind, AuthOutcome::Kind::kInvalid);
  EXPECT_EQ(as.jwks_fetches.load(), 1);
  auto quick = Make(as, 0s);  // no minimum interval
  ASSERT_TRUE(quick);
  Signer third("EdDSA", "k3");
  for (int i = 0; i < 50 && as.jwks_fetches.load() < 2; ++i) std::this_thread::sleep_for(10ms);
  as.Publish({&first, &second, &third});
  AuthOutcome rotated = Check(*quick, "Bearer " + third.Sign(as.Claims()));
  EXPECT_EQ(rotated.kind, AuthOutcome::Kind::kOk) << rotated.description;
  // Bad tokens are refused with a reason and no fetch.
  const int fetches = as.jwks_fetches.load();
  json::object expired = as.Claims();
  expired["exp"] = 1000;
  AuthOutcome old = Check(*rs, "Bearer " + first.Sign(expired));
  EXPECT_EQ(old.kind, AuthOutcome::Kind::kInvalid);
  EXPECT_EQ(old.description, "expired");
  EXPECT_EQ(Check(*rs, "").kind, AuthOutcome::Kind::kMissing);
  EXPECT_EQ(Check(*rs, "Basic dXNlcjpwYXNz").kind, AuthOutcome::Kind::kMissing);
  EXPECT_EQ(Check(*rs, "Bearer ").kind, AuthOutcome::Kind::kMissing);
  EXPECT_EQ(Check(*rs, "Bearer not-a-jwt").kind, AuthOutcome::Kind::kInvalid);
  EXPECT_EQ(as.jwks_fetches.load(), fetches);
}

TEST(ResourceServer, KeysUnavailableAndAForeignIssuerInTheMetadata) {
  TestIssuer as;
  as.down = true;
  Signer key("ES256", "k1");
  as.Publish({&key});
  auto rs = Make(as, 0s);
  ASSERT_TRUE(rs);
  AuthOutcome down = Check(*rs, "Bearer " + key.Sign(as.Claims()));
  EXPECT_EQ(down.kind, AuthOutcome::Kind::kUnavailable);
  as.down = false;  // back: the next request fetches
  AuthOutcome up = Check(*rs, "Bearer " + key.Sign(as.Claims()));
  EXPECT_EQ(up.kind, AuthOutcome::Kind::kOk) << up.description;

  TestIssuer impostor;
  impostor.issuer_name = "https://someone.else";
  impostor.Publish({&key});
  auto fooled = Make(impostor, 0s);
  ASSERT_TRUE(fooled);
  EXPECT_EQ(Check(*fooled, "Bearer " + key.Sign(impostor.Claims())).kind,
            AuthOutcome::Kind::kUnavailable);
  EXPECT_EQ(impostor.jwks_fetches.load(), 0);  // its keys are never trusted
}

TEST(ResourceServer, IntrospectionAnswersAreCheckedAndCached) {
  TestIssuer as;
  ResourceServerOptions o;
  o.issuer = as.issuer();
  o.resource = "http://127.0.0.1:1/mcp";
  o.introspection = true;
  o.client_id = "rs";
  o.client_secret = "s3cret";
  auto rs = ResourceServer::Create(o);
  ASSERT_TRUE(rs);
  AuthOutcome good = Check(**rs, "Bearer opaque-good");
  ASSERT_EQ(good.kind, AuthOutcome::Kind::kOk) << good.description;
  EXPECT_EQ(good.principal.subject, "svc-2");
  EXPECT_TRUE(good.principal.HasScope("jwts:read"));
  EXPECT_EQ(as.last_authorization, "Basic cnM6czNjcmV0");  // rs:s3cret
  EXPECT_EQ(Check(**rs, "Bearer opaque-good").kind, AuthOutcome::Kind::kOk);
  EXPECT_EQ(as.introspections.load(), 1);  // the second answer came from the cache
  AuthOutcome bad = Check(**rs, "Bearer opaque-bad");
  EXPECT_EQ(bad.kind, AuthOutcome::Kind::kInvalid);
  EXPECT_EQ(bad.description, "token is not active");
  EXPECT_EQ(Check(**rs, "Bearer opaque-bad").kind, AuthOutcome::Kind::kInvalid);
  EXPECT_EQ(as.introspections.load(), 2);  // refusals are cached too
  AuthOutcome aud = Check(**rs, "Bearer opaque-other-aud");
  EXPECT_EQ(aud.kind, AuthOutcome::Kind::kInvalid);
  EXPECT_EQ(aud.description, "wrong audience");
  EXPECT_EQ(as.jwks_fetches.load(), 0);  // no keys in this mode
}

TEST(ResourceServer, MetadataDocumentAndUrls) {
  EXPECT_EQ(ResourceServer::AuthorizationServerMetadataUrl("https://as.test"),
            "https://as.test/.well-known/oauth-authorization-server");
  EXPECT_EQ(ResourceServer::AuthorizationServerMetadataUrl("https://as.test/tenant/"),
            "https://as.test/.well-known/oauth-authorization-server/tenant");
  ResourceServerOptions o;
  o.issuer = "https://as.test";
  o.resource = "https://api.test:8443/mcp";
  o.scopes = {"a", "b"};
  auto rs = ResourceServer::Create(o);
  ASSERT_TRUE(rs);
  EXPECT_EQ((*rs)->metadata_url(),
            "https://api.test:8443/.well-known/oauth-protected-resource/mcp");
  EXPECT_EQ((*rs)->metadata_path(), "/.well-known/oauth-protected-resource/mcp");
  EXPECT_EQ(
      core::SerializeJson(json::value((*rs)->Metadata())),
      R"({"resource":"https://api.test:8443/mcp","authorization_servers":["https://as.test"],)"
      R"("scopes_supported":["a","b"],"bearer_methods_supported":["header"]})");
  o.issuer = "not a url";
  EXPECT_FALSE(ResourceServer::Create(o));
}

}  // namespace
}  // namespace capstan::auth
