#include "spec/schema_check.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "spec/yaml.hpp"

namespace capstan::spec {
namespace {

Diagnostics Check(std::string_view yaml) {
  YamlParseResult parsed = ParseYaml(yaml, "s.yaml");
  EXPECT_TRUE(parsed.document.has_value());
  return CheckSchema(parsed.document->root, parsed.document->positions);
}

constexpr std::string_view kValid = R"(naftiko: "1.0.0-alpha2"
capability:
  exposes:
    - type: mcp
      namespace: m
      port: 9090
      tools:
        - name: ping
          description: "Ping"
          outputParameters:
            - name: pong
              type: string
              value: "pong"
)";

TEST(SchemaCheckTest, EmbedsTheShippedSchema) {
  std::ifstream in(
      std::filesystem::path(CAPSTAN_SOURCE_DIR) / "schemas/naftiko-schema-1.0.0-alpha2.json",
      std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(NaftikoSchemaText(), text.str());
  std::ifstream shared(
      std::filesystem::path(CAPSTAN_SHARED_DIR) / "naftiko/schema/naftiko-schema-1.0.0-alpha2.json",
      std::ios::binary);
  std::stringstream shared_text;
  shared_text << shared.rdbuf();
  EXPECT_EQ(text.str(), shared_text.str());
  ASSERT_TRUE(NaftikoSchema().has_value());
  EXPECT_EQ(*NaftikoSchema(), *NaftikoSchema());  // compiled once
}

TEST(SchemaCheckTest, AcceptsAValidDocument) { EXPECT_TRUE(Check(kValid).empty()); }

TEST(SchemaCheckTest, NamesTheUnknownKeyAndWhatIsAllowed) {
  std::string yaml(kValid);
  yaml.replace(yaml.find("      port: 9090\n"), 16, "      port: 9090\n      colour: red\n");
  Diagnostics d = Check(yaml);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].rule_id, "schema-unknown-key");
  EXPECT_EQ(d[0].location.line, 7);
  EXPECT_NE(d[0].message.find("\"colour\""), std::string::npos) << d[0].message;
  EXPECT_NE(d[0].message.find("allowed: "), std::string::npos) << d[0].message;
  EXPECT_NE(d[0].message.find("tools"), std::string::npos) << d[0].message;
}

TEST(SchemaCheckTest, NamesTheExpectedType) {
  std::string yaml(kValid);
  yaml.replace(yaml.find("port: 9090"), 10, "port: [1]");
  Diagnostics d = Check(yaml);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].rule_id, "schema-type");
  EXPECT_EQ(d[0].location.line, 6);
  EXPECT_NE(d[0].message.find("expected integer, got array"), std::string::npos) << d[0].message;
}

TEST(SchemaCheckTest, ListsTheAllowedValues) {
  std::string yaml(kValid);
  yaml.replace(yaml.find("type: string"), 12, "type: date");
  Diagnostics d = Check(yaml);
  ASSERT_FALSE(d.empty());
  EXPECT_EQ(d[0].rule_id, "schema-enum");
  EXPECT_EQ(d[0].location.line, 12);
  EXPECT_NE(d[0].message.find("string, number, boolean"), std::string::npos) << d[0].message;
}

TEST(SchemaCheckTest, TaggedAlternativesReportTheMatchingBranchOnly) {
  Diagnostics d = Check(R"(naftiko: "1.0.0-alpha2"
capability:
  exposes:
    - type: rest
      namespace: r
      port: "80"
      resources:
        - path: /x
          operations:
            - method: GET
              call: a.b
)");
  ASSERT_EQ(d.size(), 1u) << d[0].message;
  EXPECT_EQ(d[0].rule_id, "schema-type");
  EXPECT_EQ(d[0].location.line, 6);

  Diagnostics unknown = Check(R"(naftiko: "1.0.0-alpha2"
capability:
  exposes:
    - type: soap
      port: 80
)");
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(unknown[0].rule_id, "schema-enum");
  EXPECT_NE(unknown[0].message.find("control, mcp, rest, skill"), std::string::npos);
}

TEST(SchemaCheckTest, ReportsMissingKeysAtTheObject) {
  Diagnostics d = Check(
      "naftiko: \"1.0.0-alpha2\"\ncapability:\n  exposes:\n    - type: rest\n"
      "      port: 80\n");
  ASSERT_FALSE(d.empty());
  EXPECT_EQ(d[0].rule_id, "schema-required");
  EXPECT_EQ(d[0].location.line, 4);
  EXPECT_NE(d[0].message.find("\"namespace\""), std::string::npos);
}

}  // namespace
}  // namespace capstan::spec
