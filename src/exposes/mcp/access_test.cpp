#include "exposes/mcp/access.hpp"

#include <gtest/gtest.h>

namespace capstan::mcp {
namespace {

std::vector<AccessRule> Rules(std::string_view json_text) {
  auto doc = core::ParseJson(json_text);
  EXPECT_TRUE(doc);
  auto rules = ParseAccessRules(*doc);
  EXPECT_TRUE(rules) << (rules ? "" : rules.error().message);
  return rules ? *rules : std::vector<AccessRule>{};
}

auth::Principal Caller(std::vector<std::string> scopes, core::json::object claims = {}) {
  auth::Principal p;
  p.scopes = std::move(scopes);
  p.claims = std::move(claims);
  return p;
}

TEST(ToolAccess, ScopesClaimsAndUnconditionalRules) {
  auto rules = Rules(R"([
    {"tools": ["describe-*"]},
    {"scopes": ["jwts:read", "jwts:admin"], "tools": ["list-*", "get-*"]},
    {"scopes": ["jwts:admin"], "claims": {"org": "acme-*", "roles": "deleter"}, "tools": ["delete-*"]}
  ])");
  ASSERT_EQ(rules.size(), 3u);
  const auth::Principal reader = Caller({"jwts:read"});
  EXPECT_TRUE(ToolAllowed(rules, "list-jwts", &reader));
  EXPECT_TRUE(ToolAllowed(rules, "describe-x", &reader));
  EXPECT_FALSE(ToolAllowed(rules, "delete-jwt", &reader));
  // The admin scope alone is not enough for deletes: the claims must hold too.
  const auth::Principal admin = Caller({"jwts:admin"}, {{"org", "acme-eu"}});
  EXPECT_TRUE(ToolAllowed(rules, "get-jwt", &admin));
  EXPECT_FALSE(ToolAllowed(rules, "delete-jwt", &admin));
  const auth::Principal deleter = Caller(
      {"jwts:admin"}, {{"org", "acme-eu"}, {"roles", core::json::array{"viewer", "deleter"}}});
  EXPECT_TRUE(ToolAllowed(rules, "delete-jwt", &deleter));
  const auth::Principal other_org = Caller({"jwts:admin"}, {{"org", "evil"}, {"roles", "deleter"}});
  EXPECT_FALSE(ToolAllowed(rules, "delete-jwt", &other_org));
  // No token: only the unconditional rules apply.
  EXPECT_TRUE(ToolAllowed(rules, "describe-x", nullptr));
  EXPECT_FALSE(ToolAllowed(rules, "list-jwts", nullptr));
  EXPECT_FALSE(ToolAllowed({}, "list-jwts", &reader));  // no rule names it
}

TEST(ToolAccess, RulesAreCheckedMemberByMember) {
  for (const char* bad :
       {R"({})", R"([1])", R"([{"scopes": ["a"]}])", R"([{"tools": "x"}])", R"([{"tools": [""]}])",
        R"([{"tools": ["x"], "claims": []}])", R"([{"tools": ["x"], "claims": {"a": 1}}])",
        R"([{"tools": ["x"], "role": "admin"}])"}) {
    auto doc = core::ParseJson(bad);
    ASSERT_TRUE(doc) << bad;
    auto rules = ParseAccessRules(*doc);
    EXPECT_FALSE(rules) << bad;
    if (!rules) {
      EXPECT_EQ(rules.error().message.rfind("tool controls: access", 0), 0u);
    }
  }
}

}  // namespace
}  // namespace capstan::mcp
