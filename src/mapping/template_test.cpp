#include "mapping/template.hpp"

#include <map>
#include <string>

#include <gtest/gtest.h>

#include "core/json.hpp"

namespace capstan::mapping {
namespace {

using Vars = std::map<std::string, std::string, std::less<>>;

auto LookupIn(const Vars& vars) {
  return [&vars](std::string_view name) -> std::optional<std::string_view> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return std::string_view(it->second);
  };
}

std::string RenderOk(std::string_view text, TemplateSyntax syntax, const Vars& vars,
                     Escaping escaping) {
  auto tpl = Template::Compile(text, syntax);
  EXPECT_TRUE(tpl) << text << ": " << tpl.error().message;
  if (!tpl) return "<compile error>";
  auto lookup = LookupIn(vars);
  auto out = Render(*tpl, lookup, escaping);
  EXPECT_TRUE(out) << text << ": " << out.error().message;
  return out ? *out : "<render error>";
}

std::string RenderError(std::string_view text, TemplateSyntax syntax, const Vars& vars,
                        Escaping escaping) {
  auto tpl = Template::Compile(text, syntax);
  EXPECT_TRUE(tpl) << text;
  if (!tpl) return "";
  auto lookup = LookupIn(vars);
  auto out = Render(*tpl, lookup, escaping);
  EXPECT_FALSE(out) << text << " rendered as " << *out;
  return out ? "" : out.error().message;
}

std::string CompileError(std::string_view text, TemplateSyntax syntax) {
  auto tpl = Template::Compile(text, syntax);
  EXPECT_FALSE(tpl) << text;
  return tpl ? "" : tpl.error().message;
}

TEST(TemplateTest, CompilesSegments) {
  auto tpl = Template::Compile("Bearer {{env.SCALEWAY_API_KEY}} {{ x }}{{x}}!",
                               TemplateSyntax::kDoubleBrace);
  ASSERT_TRUE(tpl);
  const auto& s = tpl->segments();
  ASSERT_EQ(s.size(), 6u);
  EXPECT_EQ(s[0].kind, TemplateSegment::Kind::kLiteral);
  EXPECT_EQ(s[0].text, "Bearer ");
  EXPECT_EQ(s[1].kind, TemplateSegment::Kind::kVariable);
  EXPECT_EQ(s[1].text, "env.SCALEWAY_API_KEY");
  EXPECT_EQ(s[1].offset, 7u);
  EXPECT_EQ(s[3].text, "x");
  EXPECT_EQ(s[4].text, "x");
  EXPECT_EQ(s[5].text, "!");
  EXPECT_EQ(tpl->ListVariables(), (std::vector<std::string>{"env.SCALEWAY_API_KEY", "x"}));
  EXPECT_TRUE(tpl->HasVariables());
  EXPECT_FALSE(Template::Compile("plain", TemplateSyntax::kPath)->HasVariables());
  EXPECT_TRUE(Template::Compile("", TemplateSyntax::kPath)->segments().empty());

  QualifiedName q = SplitQualifiedName("env.SCALEWAY_API_KEY");
  EXPECT_EQ(q.qualifier, "env");
  EXPECT_EQ(q.name, "SCALEWAY_API_KEY");
  EXPECT_EQ(SplitQualifiedName("jti").qualifier, "");
  EXPECT_EQ(SplitQualifiedName("jti").name, "jti");
}

TEST(TemplateTest, DoubleBraceLeavesSingleBracesAlone) {
  Vars vars{{"name", "ship"}, {"n", "3"}};
  EXPECT_EQ(RenderOk(R"({"q":{"name":"{{name}}","n":{{n}}}})", TemplateSyntax::kDoubleBrace, vars,
                     Escaping::kNone),
            R"({"q":{"name":"ship","n":3}})");
  EXPECT_EQ(RenderOk("/jwts/{jti}", TemplateSyntax::kDoubleBrace, vars, Escaping::kNone),
            "/jwts/{jti}");
  // No HTML escaping, ever.
  EXPECT_EQ(RenderOk("{{v}}", TemplateSyntax::kDoubleBrace, {{"v", "a&b<c>\"'"}}, Escaping::kNone),
            "a&b<c>\"'");
}

TEST(TemplateTest, PathSyntaxAcceptsBothForms) {
  Vars vars{{"region", "fr-par"}, {"jti", "abc-123"}, {"access-key", "SCW1"}};
  EXPECT_EQ(RenderOk("/iam/v1alpha1/regions/{region}/jwts/{{jti}}", TemplateSyntax::kPath, vars,
                     Escaping::kPathSegment),
            "/iam/v1alpha1/regions/fr-par/jwts/abc-123");
  EXPECT_EQ(RenderOk("/keys/{access-key}", TemplateSyntax::kPath, vars, Escaping::kPathSegment),
            "/keys/SCW1");
  auto tpl = Template::Compile("/a/{x}/{{y}}/{x}", TemplateSyntax::kPath);
  ASSERT_TRUE(tpl);
  EXPECT_EQ(tpl->ListVariables(), (std::vector<std::string>{"x", "y"}));
}

TEST(TemplateTest, CompileErrorsNameTheOffset) {
  EXPECT_NE(CompileError("ab{{x", TemplateSyntax::kDoubleBrace).find("offset 2"),
            std::string::npos);
  EXPECT_NE(CompileError("ab{{x", TemplateSyntax::kDoubleBrace).find("unterminated"),
            std::string::npos);
  EXPECT_NE(CompileError("/a/{x", TemplateSyntax::kPath).find("offset 3"), std::string::npos);
  EXPECT_NE(CompileError("{{}}", TemplateSyntax::kDoubleBrace).find("empty placeholder"),
            std::string::npos);
  EXPECT_NE(CompileError("/{ }", TemplateSyntax::kPath).find("empty placeholder"),
            std::string::npos);
  EXPECT_NE(CompileError("/a/}", TemplateSyntax::kPath).find("offset 3"), std::string::npos);
  EXPECT_NE(CompileError("{{a b}}", TemplateSyntax::kDoubleBrace).find("offset 3"),
            std::string::npos);
  EXPECT_NE(CompileError("{{a..b}}", TemplateSyntax::kDoubleBrace).find("empty name part"),
            std::string::npos);
  EXPECT_FALSE(Template::Compile("{{.a}}", TemplateSyntax::kDoubleBrace));
  EXPECT_FALSE(Template::Compile("{{a.}}", TemplateSyntax::kDoubleBrace));
  EXPECT_FALSE(Template::Compile("{{{a}}}", TemplateSyntax::kDoubleBrace));
  EXPECT_FALSE(Template::Compile("/{+a}", TemplateSyntax::kPath));
  EXPECT_FALSE(Template::Compile("/{a{b}}", TemplateSyntax::kPath));
  EXPECT_FALSE(Template::Compile("/{{a}", TemplateSyntax::kPath));
  EXPECT_FALSE(Template::Compile("{{a}", TemplateSyntax::kDoubleBrace));
}

TEST(TemplateTest, MissingVariablesAreErrorsUnlessOmitted) {
  auto tpl = Template::Compile("a={{a}}&b={{env.B}}", TemplateSyntax::kDoubleBrace);
  ASSERT_TRUE(tpl);
  Vars vars{{"a", "1"}};
  auto lookup = LookupIn(vars);
  auto error = Render(*tpl, lookup);
  ASSERT_FALSE(error);
  EXPECT_EQ(error.error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_NE(error.error().message.find("'env.B'"), std::string::npos);
  auto partial =
      Render(*tpl, lookup, {.escaping = Escaping::kQuery, .missing = MissingPolicy::kOmit});
  ASSERT_TRUE(partial);
  EXPECT_EQ(partial->text, "a=1&b=");
  EXPECT_EQ(partial->missing, std::vector<std::string>{"env.B"});
  // An empty value is a value, not a missing one.
  EXPECT_EQ(RenderOk("[{{e}}]", TemplateSyntax::kDoubleBrace, {{"e", ""}}, Escaping::kNone), "[]");
}

TEST(TemplateTest, PathSegmentValuesCannotEscapeTheirSegment) {
  auto render = [](std::string_view value) {
    return RenderOk("/jwts/{jti}/x", TemplateSyntax::kPath, {{"jti", std::string(value)}},
                    Escaping::kPathSegment);
  };
  EXPECT_EQ(render(".."), "/jwts/%2E%2E/x");
  EXPECT_EQ(render("."), "/jwts/%2E/x");
  EXPECT_EQ(render("../admin"), "/jwts/..%2Fadmin/x");
  EXPECT_EQ(render("%2e%2e"), "/jwts/%252e%252e/x");
  EXPECT_EQ(render("%2F"), "/jwts/%252F/x");
  EXPECT_EQ(render("a/b"), "/jwts/a%2Fb/x");
  EXPECT_EQ(render("?x#y"), "/jwts/%3Fx%23y/x");
  EXPECT_EQ(render("a\r\nHost: evil"), "/jwts/a%0D%0AHost:%20evil/x");
  EXPECT_EQ(render("\xC3\xA9"), "/jwts/%C3%A9/x");
  EXPECT_EQ(render("a b+c"), "/jwts/a%20b+c/x");
  EXPECT_EQ(render(std::string("a\0b", 3)), "/jwts/a%00b/x");
  std::string error =
      RenderError("/jwts/{jti}", TemplateSyntax::kPath, {{"jti", ""}}, Escaping::kPathSegment);
  EXPECT_NE(error.find("'jti'"), std::string::npos);
  // Each rendered value holds no raw '/', '?' or '#'.
  for (std::string_view hostile : {"../", "..", "/", "//", "?", "#", "%", "\\..\\", "..;/"}) {
    std::string out = render(hostile);
    EXPECT_EQ(out.find_first_of("?#"), std::string::npos) << out;
    EXPECT_EQ(std::count(out.begin(), out.end(), '/'), 3) << out;
  }
}

TEST(TemplateTest, QueryValuesAreFullyEncoded) {
  Vars vars{{"q", "a b&c=d+e/f?g#h%"}, {"u", "\xE2\x82\xAC"}};
  EXPECT_EQ(RenderOk("?q={{q}}&u={{u}}", TemplateSyntax::kDoubleBrace, vars, Escaping::kQuery),
            "?q=a%20b%26c%3Dd%2Be%2Ff%3Fg%23h%25&u=%E2%82%AC");
  EXPECT_EQ(RenderOk("{{q}}", TemplateSyntax::kDoubleBrace, {{"q", "../%2e%2e"}}, Escaping::kQuery),
            "..%2F%252e%252e");
}

TEST(TemplateTest, HeaderValuesRejectLineBreaksAndNul) {
  Vars ok{{"key", "SCW-secret \t\"quoted\" \xC3\xA9"}};
  EXPECT_EQ(RenderOk("Bearer {{key}}", TemplateSyntax::kDoubleBrace, ok, Escaping::kHeaderValue),
            "Bearer SCW-secret \t\"quoted\" \xC3\xA9");
  for (std::string value :
       {std::string("a\r\nX-Evil: 1"), std::string("a\nb"), std::string("a\rb"),
        std::string("a\0b", 3), std::string("a\x7f"), std::string("\x1b[31m")}) {
    std::string error = RenderError("Bearer {{env.KEY}}", TemplateSyntax::kDoubleBrace,
                                    {{"env.KEY", value}}, Escaping::kHeaderValue);
    EXPECT_NE(error.find("'env.KEY'"), std::string::npos) << error;
    EXPECT_EQ(error.find(value), std::string::npos) << "the value must not leak: " << error;
  }
}

TEST(TemplateTest, JsonStringValuesAreEscaped) {
  Vars vars{{"v", "say \"hi\"\\ \n\t\x01 </script> \xF0\x9F\x98\x80"}};
  std::string body =
      RenderOk(R"({"text":"{{v}}"})", TemplateSyntax::kDoubleBrace, vars, Escaping::kJsonString);
  EXPECT_EQ(body, R"({"text":"say \"hi\"\\ \n\t\u0001 </script> )"
                  "\xF0\x9F\x98\x80\"}");
  auto parsed = core::ParseJson(body);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(std::string_view(parsed->at("text").as_string()), vars["v"]);
  std::string error = RenderError(R"({"t":"{{v}}"})", TemplateSyntax::kDoubleBrace,
                                  {{"v", "\xC3\x28"}}, Escaping::kJsonString);
  EXPECT_NE(error.find("UTF-8"), std::string::npos);
  // A quote cannot break out of the string.
  std::string injected = RenderOk(R"({"a":"{{v}}","admin":false})", TemplateSyntax::kDoubleBrace,
                                  {{"v", R"(x","admin":true,"y":")"}}, Escaping::kJsonString);
  auto doc = core::ParseJson(injected);
  ASSERT_TRUE(doc);
  EXPECT_FALSE(doc->at("admin").as_bool());
}

TEST(TemplateTest, LookupMustReturnViews) {
  auto owning = [](std::string_view) -> std::optional<std::string> { return "x"; };
  auto viewing = [](std::string_view) -> std::optional<std::string_view> { return "x"; };
  static_assert(!std::is_constructible_v<VariableLookup, decltype(owning)>);
  static_assert(std::is_constructible_v<VariableLookup, decltype(viewing)>);
  auto tpl = Template::Compile("{{a}}", TemplateSyntax::kDoubleBrace);
  EXPECT_EQ(*Render(*tpl, viewing), "x");
}

TEST(TemplateTest, NoneEscapingIsVerbatim) {
  EXPECT_EQ(
      RenderOk("{{v}}", TemplateSyntax::kDoubleBrace, {{"v", "../a?b#c\r\n%2e"}}, Escaping::kNone),
      "../a?b#c\r\n%2e");
}

}  // namespace
}  // namespace capstan::mapping
