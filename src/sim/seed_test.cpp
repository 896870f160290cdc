#include "sim/seed.hpp"

#include <fstream>
#include <map>
#include <set>

#include <gtest/gtest.h>

namespace capstan::sim {
namespace {

constexpr Micros kNow = 2000000000LL * 1000000;

TEST(DefaultSeed, ShapeOfTheShippedData) {
  auto seed = ParseSeed(DefaultSeedJson(), kNow);
  ASSERT_TRUE(seed) << seed.error().message;
  EXPECT_GE(seed->jwts.size(), 55u);
  EXPECT_LE(seed->jwts.size(), 70u);
  std::map<std::string, int> per_audience;
  int expired = 0;
  int live = 0;
  int v6 = 0;
  std::set<std::string> user_agents;
  for (const Jwt& jwt : seed->jwts) {
    ++per_audience[jwt.audience_id];
    EXPECT_TRUE(IsIpAddress(jwt.ip)) << jwt.ip;
    if (jwt.ip.find(':') != std::string::npos) ++v6;
    EXPECT_FALSE(jwt.user_agent.empty());
    user_agents.insert(jwt.user_agent);
    ASSERT_TRUE(jwt.created_at);
    (jwt.expires_at && *jwt.expires_at <= kNow ? expired : live)++;
  }
  EXPECT_GE(per_audience.size(), 3u);
  EXPECT_GT(expired, 5);
  EXPECT_GT(live, 5);
  EXPECT_GT(v6, 5);
  EXPECT_GT(user_agents.size(), 3u);
  // The examples of the contract (§5) are there, unchanged but for the relative dates.
  EXPECT_EQ(per_audience["9e57858d-7555-463e-9c74-2dc2d02019b8"], 3);
  std::set<std::string> jtis;
  for (const Jwt& jwt : seed->jwts) jtis.insert(jwt.jti);
  for (const char* jti :
       {"876feec6-561b-4ae0-80d1-6237a8f146db", "96e44708-9205-439e-9b79-e764ff08491c",
        "f1591fa7-6cb6-496e-91be-6d3f467771e7", "afadfc10-76fa-410f-8621-10016eb484b5"}) {
    EXPECT_TRUE(jtis.count(jti)) << jti;
  }
  // The contract's default key is there, organization-wide.
  bool default_key = false;
  for (const TokenGrant& grant : seed->tokens) {
    if (grant.secret_key == "6c7ef130-6442-42fd-b525-ccf941221566") {
      default_key = !grant.user_id.has_value();
    }
  }
  EXPECT_TRUE(default_key);
}

TEST(DefaultSeed, SameAsTheDataFile) {
  std::ifstream in(std::string(CAPSTAN_SOURCE_DIR) + "/data/sim/scaleway-iam-jwts.json");
  ASSERT_TRUE(in);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, DefaultSeedJson());
}

TEST(Seed, RelativeAndAbsoluteTimes) {
  auto seed = ParseSeed(R"({"jwts":[{"jti":"876FEEC6-561b-4ae0-80d1-6237a8f146db",
      "issuer_id":"9e57858d-7555-463e-9c74-2dc2d02019b8",
      "audience_id":"9e57858d-7555-463e-9c74-2dc2d02019b8",
      "created_at":"now-48h","updated_at":"2026-07-02T08:14:09.203118Z","expires_at":null,
      "ip":"::1","user_agent":"x","_note":"comments are fine"}]})",
                        kNow);
  ASSERT_TRUE(seed) << seed.error().message;
  ASSERT_EQ(seed->jwts.size(), 1u);
  const Jwt& jwt = seed->jwts[0];
  EXPECT_EQ(jwt.jti, "876feec6-561b-4ae0-80d1-6237a8f146db");  // lower-cased
  EXPECT_EQ(jwt.created_at, kNow - 48LL * 3600 * 1000000);
  EXPECT_EQ(FormatTimestamp(*jwt.updated_at), "2026-07-02T08:14:09.203118Z");
  EXPECT_FALSE(jwt.expires_at);
  EXPECT_TRUE(seed->tokens.empty());
}

// A one-JWT seed whose `field` is set to the JSON text `value` (added if not a standard field).
std::string OneJwt(const std::string& field, const std::string& value) {
  std::vector<std::pair<std::string, std::string>> fields{
      {"jti", R"("876feec6-561b-4ae0-80d1-6237a8f146db")"},
      {"issuer_id", R"("9e57858d-7555-463e-9c74-2dc2d02019b8")"},
      {"audience_id", R"("9e57858d-7555-463e-9c74-2dc2d02019b8")"},
      {"created_at", R"("now")"},
      {"updated_at", R"("now")"},
      {"expires_at", "null"},
      {"ip", R"("1.2.3.4")"},
      {"user_agent", R"("x")"}};
  bool found = false;
  for (auto& [name, text] : fields) {
    if (name == field) {
      text = value;
      found = true;
    }
  }
  if (!found) fields.emplace_back(field, value);
  std::string out = R"({"jwts":[{)";
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ",";
    out += "\"" + fields[i].first + "\":" + fields[i].second;
  }
  return out + "}]}";
}

TEST(Seed, ErrorsNameTheField) {
  struct Case {
    std::string field, value, expect;
  };
  for (const Case& c : std::vector<Case>{
           {"ip", R"("unknown")", "jwts[0].ip"},
           {"ip", R"("1.2.3.4:5678")", "jwts[0].ip"},
           {"jti", R"("not-a-uuid")", "jwts[0].jti"},
           {"audience_id", "42", "jwts[0].audience_id"},
           {"created_at", R"("yesterday")", "jwts[0].created_at"},
           {"expires_at", "1", "jwts[0].expires_at"},
           {"colour", R"("red")", "unknown key \"colour\""},
       }) {
    auto seed = ParseSeed(OneJwt(c.field, c.value), kNow);
    ASSERT_FALSE(seed) << c.field << "=" << c.value;
    EXPECT_NE(seed.error().message.find(c.expect), std::string::npos) << seed.error().message;
  }
  EXPECT_TRUE(ParseSeed(OneJwt("ip", R"("2001:db8::1")"), kNow));
  EXPECT_FALSE(ParseSeed("[]", kNow));
  EXPECT_FALSE(ParseSeed("{}", kNow));
  EXPECT_FALSE(ParseSeed(R"({"jwts":[],"extra":1})", kNow));
  EXPECT_FALSE(ParseSeed("{", kNow));
}

TEST(Seed, Tokens) {
  auto seed = ParseSeed(R"({"jwts":[],"tokens":[
      {"secret_key":"a","user_id":null},
      {"secret_key":"b","user_id":"9E57858D-7555-463e-9c74-2dc2d02019b8","description":"x"}]})",
                        kNow);
  ASSERT_TRUE(seed) << seed.error().message;
  ASSERT_EQ(seed->tokens.size(), 2u);
  EXPECT_FALSE(seed->tokens[0].user_id);
  EXPECT_EQ(seed->tokens[1].user_id, "9e57858d-7555-463e-9c74-2dc2d02019b8");
  EXPECT_FALSE(ParseSeed(R"({"jwts":[],"tokens":[{"secret_key":""}]})", kNow));
  EXPECT_FALSE(ParseSeed(R"({"jwts":[],"tokens":[{"secret_key":"a","user_id":"x"}]})", kNow));
}

TEST(Seed, LoadFileErrors) {
  auto missing = LoadSeedFile("/nonexistent/seed.json", kNow);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, core::ErrorCode::kIo);
}

TEST(TokenFlag, Forms) {
  auto plain = ParseTokenFlag("6c7ef130-6442-42fd-b525-ccf941221566");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->user_id);
  auto bound = ParseTokenFlag("secret:9E57858D-7555-463e-9c74-2dc2d02019b8");
  ASSERT_TRUE(bound);
  EXPECT_EQ(bound->secret_key, "secret");
  EXPECT_EQ(bound->user_id, "9e57858d-7555-463e-9c74-2dc2d02019b8");
  EXPECT_FALSE(ParseTokenFlag(""));
  EXPECT_FALSE(ParseTokenFlag(":9e57858d-7555-463e-9c74-2dc2d02019b8"));
  EXPECT_FALSE(ParseTokenFlag("secret:bob"));
  EXPECT_FALSE(ParseTokenFlag("has space"));
}

}  // namespace
}  // namespace capstan::sim
