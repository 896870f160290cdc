#include "auth/jwt.hpp"

#include <gtest/gtest.h>

#include "auth/testing/signer.hpp"

namespace capstan::auth {
namespace {

using testing::Base64Url;
using testing::Signer;

constexpr std::int64_t kNow = 1800000000;
const auto kNowTime = std::chrono::system_clock::time_point(std::chrono::seconds(kNow));

json::object Claims() {
  return json::object{{"iss", "https://as.test"}, {"aud", "https://api.test/mcp"},
                      {"sub", "alice"},           {"scope", "jwts:read jwts:write"},
                      {"iat", kNow - 10},         {"exp", kNow + 300}};
}

TokenPolicy Policy() {
  TokenPolicy p;
  p.issuer = "https://as.test";
  p.audience = "https://api.test/mcp";
  return p;
}

KeySet KeysOf(const std::vector<const Signer*>& signers) {
  json::array keys;
  for (const Signer* s : signers) keys.push_back(s->Jwk());
  auto set = KeySet::FromJson(core::SerializeJson(json::value(json::object{{"keys", keys}})));
  EXPECT_TRUE(set) << set.error().message;
  return set ? *set : KeySet{};
}

TEST(Jwt, EachAlgorithmVerifies) {
  for (const char* alg : {"RS256", "PS256", "ES256", "EdDSA"}) {
    Signer signer(alg, std::string("k-") + alg);
    KeySet keys = KeysOf({&signer});
    ASSERT_EQ(keys.keys.size(), 1u) << alg;
    auto p = ValidateAccessToken(signer.Sign(Claims()), keys, Policy(), kNowTime);
    ASSERT_TRUE(p) << alg << ": " << p.error().description;
    EXPECT_EQ(p->subject, "alice");
    EXPECT_EQ(p->scopes, (std::vector<std::string>{"jwts:read", "jwts:write"}));
    EXPECT_TRUE(p->HasScope("jwts:write"));
    EXPECT_FALSE(p->HasScope("jwts"));
  }
}

TEST(Jwt, ClaimsAreChecked) {
  Signer signer("ES256", "k1");
  KeySet keys = KeysOf({&signer});
  auto refused = [&](json::object claims, std::string_view why) {
    auto p = ValidateAccessToken(signer.Sign(claims), keys, Policy(), kNowTime);
    EXPECT_FALSE(p) << why;
    if (!p) {
      EXPECT_EQ(p.error().error, "invalid_token");
      EXPECT_EQ(p.error().description, why);
    }
  };
  json::object c = Claims();
  c["exp"] = kNow - 61;  // past the 60 s leeway
  refused(c, "expired");
  c = Claims();
  c["exp"] = kNow - 30;  // within the leeway: accepted
  EXPECT_TRUE(ValidateAccessToken(signer.Sign(c), keys, Policy(), kNowTime));
  c = Claims();
  c.erase("exp");
  refused(c, "no expiry (exp)");
  c = Claims();
  c["nbf"] = kNow + 120;
  refused(c, "not valid yet (nbf)");
  c = Claims();
  c["iat"] = kNow + 3600;
  refused(c, "issued in the future (iat)");
  c = Claims();
  c["iss"] = "https://evil.test";
  refused(c, "wrong issuer");
  c = Claims();
  c["aud"] = "https://other.test";
  refused(c, "wrong audience");
  c = Claims();
  c["aud"] = json::array{"https://other.test", "https://api.test/mcp"};  // one of them
  EXPECT_TRUE(ValidateAccessToken(signer.Sign(c), keys, Policy(), kNowTime));
  c = Claims();
  c.erase("scope");
  c["scp"] = json::array{"a", "b"};
  auto scp = ValidateAccessToken(signer.Sign(c), keys, Policy(), kNowTime);
  ASSERT_TRUE(scp);
  EXPECT_EQ(scp->scopes, (std::vector<std::string>{"a", "b"}));
}

TEST(Jwt, SignaturesAlgorithmsAndKeysAreChecked) {
  Signer es("ES256", "k1");
  Signer rs("RS256", "k2");
  Signer other("ES256", "k1");  // same kid, another key
  KeySet keys = KeysOf({&es, &rs});
  auto why = [&](const std::string& token) {
    auto p = ValidateAccessToken(token, keys, Policy(), kNowTime);
    return p ? std::string("accepted") : p.error().description;
  };
  // A signature by another key, or over other bytes.
  EXPECT_EQ(why(other.Sign(Claims())), "bad signature");
  std::string token = es.Sign(Claims());
  std::string tampered = token;  // one signature byte changed
  const std::size_t at = token.rfind('.') + 10;
  tampered[at] = tampered[at] == 'A' ? 'B' : 'A';
  EXPECT_EQ(why(tampered), "bad signature");
  // Claims changed after signing (still JSON): the signature no longer covers them.
  json::object more = Claims();
  more["scope"] = "admin";
  std::string swapped = token.substr(0, token.find('.') + 1) +
                        Base64Url(core::SerializeJson(json::value(more))) +
                        token.substr(token.rfind('.'));
  EXPECT_EQ(why(swapped), "bad signature");
  // alg "none" and HMAC are never accepted, whatever the signature.
  const std::string input = token.substr(0, token.rfind('.'));
  std::string none =
      Base64Url(R"({"alg":"none","kid":"k1"})") + input.substr(input.find('.')) + ".";
  EXPECT_EQ(why(none), "algorithm none is not accepted");
  EXPECT_EQ(why(es.Sign(Claims(), "HS256")), "algorithm HS256 is not accepted");
  // An RS256 header on the EC key's kid: the key does not do RS256.
  EXPECT_EQ(why(es.Sign(Claims(), "RS256")), "bad signature");
  // Unknown kid: the one case a key refresh can help.
  Signer stranger("EdDSA", "k9");
  auto unknown = ValidateAccessToken(stranger.Sign(Claims()), keys, Policy(), kNowTime);
  ASSERT_FALSE(unknown);
  EXPECT_TRUE(unknown.error().unknown_key);
  EXPECT_EQ(unknown.error().description, "no key with kid k9");
  // Critical headers we do not understand.
  std::string crit = Base64Url(R"({"alg":"ES256","kid":"k1","crit":["exp"]})") + "." +
                     Base64Url(core::SerializeJson(json::value(Claims())));
  crit += "." + Base64Url(es.Signature(crit));
  EXPECT_EQ(why(crit), "unsupported critical header parameters");
  // Malformed tokens.
  for (const std::string& bad :
       {std::string(""), std::string("a.b"), std::string("a.b.c.d"), std::string("e30.e30.!!"),
        token + "=", Base64Url("[1]") + ".e30.AA", "e30." + Base64Url("x") + ".AA"}) {
    EXPECT_EQ(why(bad).substr(0, 15), "malformed token") << bad;
  }
}

TEST(Jwt, JwksRefusesKeysItCannotUse) {
  auto set = KeySet::FromJson(R"({"keys":[
    {"kty":"RSA","kid":"small","n":"AQAB","e":"AQAB"},
    {"kty":"EC","crv":"P-384","kid":"p384","x":"AA","y":"AA"},
    {"kty":"oct","kid":"hmac","k":"c2VjcmV0"},
    {"kty":"OKP","crv":"Ed25519","kid":"enc","use":"enc","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
    {"kty":"OKP","crv":"Ed25519","kid":"ok","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
    "not an object"]})");
  ASSERT_TRUE(set) << set.error().message;
  ASSERT_EQ(set->keys.size(), 1u);
  EXPECT_EQ(set->keys[0].kid(), "ok");
  EXPECT_EQ(set->skipped, 5u);
  EXPECT_FALSE(KeySet::FromJson("[]"));
  EXPECT_FALSE(KeySet::FromJson(R"({"keys":{}})"));
  EXPECT_FALSE(KeySet::FromJson("{"));
}

TEST(Jwt, Base64UrlIsStrict) {
  EXPECT_EQ(DecodeBase64Url("aGk"), "hi");
  EXPECT_EQ(DecodeBase64Url(""), "");
  EXPECT_FALSE(DecodeBase64Url("aGk="));  // padding
  EXPECT_FALSE(DecodeBase64Url("aG+k"));  // standard alphabet
  EXPECT_FALSE(DecodeBase64Url("a"));     // impossible length
  EXPECT_FALSE(DecodeBase64Url("aGl"));   // non-zero trailing bits: not canonical
}

}  // namespace
}  // namespace capstan::auth
