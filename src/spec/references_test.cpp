#include "spec/references.hpp"

#include <gtest/gtest.h>

namespace capstan::spec {
namespace {

TEST(ReferencesTest, SplitsQualifiedNames) {
  auto q = SplitQualifiedName("iam-jwts.listjwts");
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->ns, "iam-jwts");
  EXPECT_EQ(q->name, "listjwts");
  EXPECT_FALSE(SplitQualifiedName("nodot").has_value());
  EXPECT_FALSE(SplitQualifiedName(".x").has_value());
  EXPECT_FALSE(SplitQualifiedName("x.").has_value());
}

TEST(ReferencesTest, FindsTemplateAndPathVariables) {
  EXPECT_EQ(TemplateVariables("a {{x}} b {{ env.KEY }} {{"),
            (std::vector<std::string>{"x", "env.KEY"}));
  EXPECT_EQ(PathVariables("/v1/{a}/b/{{c}}/{d-e}"), (std::vector<std::string>{"a", "c", "d-e"}));
  EXPECT_TRUE(PathVariables("/plain").empty());
}

TEST(ReferencesTest, TreatsDashAndUnderscoreAlike) {
  EXPECT_TRUE(SameName("access-key", "access_key"));
  EXPECT_FALSE(SameName("access-key", "accesskey"));
  EXPECT_TRUE(SameName("a-b_c", "a_b-c"));
  EXPECT_TRUE(SameName("", ""));
  EXPECT_FALSE(SameName("a-b", "a_c"));
  EXPECT_FALSE(SameName("a-b", "a.b"));
  EXPECT_FALSE(SameName("organization_id", "organization_ie"));
}

TEST(ReferencesTest, RecognisesBindVariables) {
  EXPECT_TRUE(IsBindVariableName("SCALEWAY_API_KEY"));
  EXPECT_FALSE(IsBindVariableName("imo"));
  EXPECT_FALSE(IsBindVariableName("1ABC"));
}

TEST(ReferencesTest, ClassifiesWithValues) {
  std::vector<std::string_view> own = {"shipyard-tools"};
  WithValue spec = ClassifyWithValue(core::json::value("shipyard-tools.imo"), own);
  EXPECT_EQ(spec.kind, WithValueKind::kInput);
  EXPECT_EQ(spec.input, "imo");
  EXPECT_FALSE(spec.dialect_prefix);
  WithValue dialect = ClassifyWithValue(core::json::value("rest.order_by"), own);
  EXPECT_EQ(dialect.kind, WithValueKind::kInput);
  EXPECT_TRUE(dialect.dialect_prefix);
  EXPECT_EQ(ClassifyWithValue(core::json::value("{{imo}}"), own).kind, WithValueKind::kTemplate);
  EXPECT_EQ(ClassifyWithValue(core::json::value("v1.2"), own).kind, WithValueKind::kLiteral);
  EXPECT_EQ(ClassifyWithValue(core::json::value(5), own).kind, WithValueKind::kLiteral);
}

}  // namespace
}  // namespace capstan::spec
