#include "spec/yaml.hpp"

#include <cmath>
#include <string>

#include <gtest/gtest.h>

namespace capstan::spec {
namespace {

YamlDocument MustParse(std::string_view text) {
  YamlParseResult result = ParseYaml(text, "test.yaml");
  EXPECT_TRUE(result.diagnostics.empty())
      << (result.diagnostics.empty() ? "" : result.diagnostics[0].message);
  EXPECT_TRUE(result.document.has_value());
  return result.document ? std::move(*result.document) : YamlDocument{};
}

Diagnostic MustFail(std::string_view text, const YamlOptions& options = {}) {
  YamlParseResult result = ParseYaml(text, "bad.yaml", options);
  EXPECT_FALSE(result.document.has_value());
  EXPECT_FALSE(result.diagnostics.empty());
  return result.diagnostics.empty() ? Diagnostic{} : result.diagnostics.front();
}

TEST(YamlTest, TypesPlainScalarsPerCoreSchema) {
  YamlDocument doc = MustParse(
      "n1: null\nn2: ~\nn3:\nb1: true\nb2: False\ni1: 42\ni2: -7\ni3: 0x1F\ni4: 0o17\n"
      "f1: 1.5\nf2: .inf\nf3: -.Inf\nf4: .nan\nf5: 1e3\ns1: yes\ns2: '12'\ns3: \"true\"\n"
      "s4: 2026-05-19\ns5: 0b101\n");
  const json::object& o = doc.root.as_object();
  EXPECT_TRUE(o.at("n1").is_null());
  EXPECT_TRUE(o.at("n2").is_null());
  EXPECT_TRUE(o.at("n3").is_null());
  EXPECT_EQ(o.at("b1").as_bool(), true);
  EXPECT_EQ(o.at("b2").as_bool(), false);
  EXPECT_EQ(o.at("i1").as_int64(), 42);
  EXPECT_EQ(o.at("i2").as_int64(), -7);
  EXPECT_EQ(o.at("i3").as_int64(), 31);
  EXPECT_EQ(o.at("i4").as_int64(), 15);
  EXPECT_DOUBLE_EQ(o.at("f1").as_double(), 1.5);
  EXPECT_TRUE(std::isinf(o.at("f2").as_double()));
  EXPECT_LT(o.at("f3").as_double(), 0);
  EXPECT_TRUE(std::isnan(o.at("f4").as_double()));
  EXPECT_DOUBLE_EQ(o.at("f5").as_double(), 1000.0);
  EXPECT_EQ(o.at("s1").as_string(), "yes");  // YAML 1.1 booleans are strings in 1.2
  EXPECT_EQ(o.at("s2").as_string(), "12");
  EXPECT_EQ(o.at("s3").as_string(), "true");
  EXPECT_EQ(o.at("s4").as_string(), "2026-05-19");
  EXPECT_EQ(o.at("s5").as_string(), "0b101");
}

TEST(YamlTest, HonoursCoreTags) {
  YamlDocument doc = MustParse("a: !!str 12\nb: !!int \"7\"\nc: !!float 3\nd: ! 5\n");
  const json::object& o = doc.root.as_object();
  EXPECT_EQ(o.at("a").as_string(), "12");
  EXPECT_EQ(o.at("b").as_int64(), 7);
  EXPECT_DOUBLE_EQ(o.at("c").as_double(), 3.0);
  EXPECT_EQ(o.at("d").as_string(), "5");
}

TEST(YamlTest, RecordsPositionsOfNodesAndKeys) {
  YamlDocument doc = MustParse("a: 1\nb:\n  c: [x, {d: 2}]\n");
  EXPECT_EQ(doc.positions.FindKey("/b")->line, 2);
  EXPECT_EQ(doc.positions.FindKey("/b/c")->line, 3);
  EXPECT_EQ(doc.positions.FindKey("/b/c")->column, 3);
  EXPECT_EQ(doc.positions.FindValue("/b/c/1")->column, 10);
  EXPECT_EQ(doc.positions.FindKey("/b/c/1/d")->column, 11);
  SourceLocation loc = doc.positions.Locate("/b/c/1/d");
  EXPECT_EQ(loc.file, "test.yaml");
  EXPECT_EQ(loc.line, 3);
  EXPECT_EQ(doc.positions.Locate("/b/nope").line, 2);  // nearest known ancestor
}

TEST(YamlTest, EscapesPointerTokens) {
  YamlDocument doc = MustParse("\"a/b\": {\"c~d\": 1}\n");
  EXPECT_TRUE(doc.positions.FindKey("/a~1b/c~0d").has_value());
}

TEST(YamlTest, RejectsDuplicateKeysWithBothLines) {
  Diagnostic d = MustFail("a: 1\nb: 2\na: 3\n");
  EXPECT_EQ(d.rule_id, "yaml-duplicate-key");
  EXPECT_EQ(d.location.line, 3);
  EXPECT_NE(d.message.find("line 1"), std::string::npos);
}

TEST(YamlTest, ReportsSyntaxErrorsWithPosition) {
  Diagnostic d = MustFail("a: [1, 2\nb: 3\n");
  EXPECT_EQ(d.rule_id, "yaml-syntax");
  EXPECT_GE(d.location.line, 1);
}

TEST(YamlTest, RejectsInvalidUtf8WithPosition) {
  Diagnostic d = MustFail("a: ok\nb: \"x\xC3\x28\"\n");
  EXPECT_EQ(d.rule_id, "yaml-invalid-utf8");
  EXPECT_EQ(d.location.line, 2);
  EXPECT_EQ(d.location.column, 6);
  EXPECT_EQ(MustFail("a: \xED\xA0\x80\n").rule_id, "yaml-invalid-utf8");  // a surrogate
  EXPECT_EQ(MustFail("a: \xC0\xAF\n").rule_id, "yaml-invalid-utf8");      // overlong
}

TEST(YamlTest, RejectsControlCharacters) {
  Diagnostic d = MustFail(std::string_view("a: 1\nb: \0\n", 10));
  EXPECT_EQ(d.rule_id, "yaml-syntax");
  EXPECT_EQ(d.location.line, 2);
}

TEST(YamlTest, AcceptsByteOrderMark) {
  MustParse(
      "\xEF\xBB\xBF"
      "a: 1\n");
}

TEST(YamlTest, LimitsNestingDepth) {
  std::string deep = "a: " + std::string(100, '[') + std::string(100, ']') + "\n";
  Diagnostic d = MustFail(deep);
  EXPECT_EQ(d.rule_id, "yaml-too-deep");
  std::string block;
  for (int i = 0; i < 70; ++i) block += std::string(static_cast<std::size_t>(i) * 2, ' ') + "k:\n";
  EXPECT_EQ(MustFail(block).rule_id, "yaml-too-deep");
}

TEST(YamlTest, LimitsSize) {
  YamlOptions options;
  options.max_bytes = 10;
  EXPECT_EQ(MustFail("a: 123456789012\n", options).rule_id, "yaml-too-large");
}

TEST(YamlTest, ExpandsAliasesWithinTheNodeBudget) {
  YamlDocument doc = MustParse("base: &b {x: 1, y: [1, 2]}\ncopy: *b\n");
  EXPECT_EQ(doc.root.as_object().at("copy").as_object().at("y").as_array().size(), 2u);
  EXPECT_EQ(doc.positions.Locate("/copy/y/1").line, 2);  // copies point at the alias
}

TEST(YamlTest, StopsBillionLaughs) {
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 10; ++i) {
    std::string name = std::to_string(i);
    std::string previous = std::to_string(i - 1);
    text.append("a").append(name).append(": &a").append(name).append(" [");
    for (int k = 0; k < 9; ++k) text.append(k ? ", *a" : "*a").append(previous);
    text.append("]\n");
  }
  Diagnostic d = MustFail(text);
  EXPECT_EQ(d.rule_id, "yaml-alias");
}

TEST(YamlTest, CanForbidAliases) {
  YamlOptions options;
  options.allow_aliases = false;
  EXPECT_EQ(MustFail("a: &x 1\nb: *x\n", options).rule_id, "yaml-alias");
}

TEST(YamlTest, RejectsUnknownAnchorsTagsAndComplexKeys) {
  EXPECT_EQ(MustFail("a: *nope\n").rule_id, "yaml-syntax");
  EXPECT_EQ(MustFail("a: !custom 1\n").rule_id, "yaml-unsupported");
  EXPECT_EQ(MustFail("? [a, b]\n: 1\n").rule_id, "yaml-unsupported");
  EXPECT_EQ(MustFail("a: 99999999999999999999999\n").rule_id, "yaml-unsupported");
}

TEST(YamlTest, RejectsMultipleDocuments) {
  EXPECT_EQ(MustFail("a: 1\n---\nb: 2\n").rule_id, "yaml-multiple-documents");
}

TEST(YamlTest, EmptyStreamIsNull) {
  YamlDocument doc = MustParse("# only a comment\n");
  EXPECT_TRUE(doc.root.is_null());
}

TEST(YamlTest, ScalarKeysKeepTheirText) {
  YamlDocument doc = MustParse("200: ok\ntrue: yes\n");
  EXPECT_TRUE(doc.root.as_object().contains("200"));
  EXPECT_TRUE(doc.root.as_object().contains("true"));
}

}  // namespace
}  // namespace capstan::spec
