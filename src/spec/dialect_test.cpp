#include "spec/dialect.hpp"

#include <string>

#include <gtest/gtest.h>

#include "spec/yaml.hpp"

namespace capstan::spec {
namespace {

constexpr std::string_view kDialect = R"(naftiko: 1.0.0-alpha2
binds:
- namespace: env
  keys:
    API_KEY: API_KEY
capability:
  consumes:
  - type: http
    namespace: api
    baseUri: https://api.example.com
    authentication:
      type: bearer
      token: '{{vault.API_KEY}}'
    resources:
    - name: items_by_id
      path: /items/{item_id}
      operations:
      - name: getitem
        method: GET
        inputParameters:
        - name: item_id
          in: path
          type: string
          description: Item id.
          required: true
  exposes:
  - type: rest
    namespace: api-rest
    port: 8080
    description: REST adapter.
    resources:
    - path: /v1/items/{item-id}
      operations:
      - method: GET
        call: api.getitem
        with:
          item_id: rest.item_id
        outputParameters:
        - type: object
          mapping: $.
  - type: mcp
    namespace: api-mcp
    port: 9090
    tools:
    - name: get-item
      description: Get an item
      call: api.getitem
      with:
        item_id: tools.item_id
      outputParameters:
      - type: array
        mapping: $.list
        items:
          type: object
          mapping: $.
)";

DialectResult Apply(std::string_view text, bool strict) {
  YamlParseResult parsed = ParseYaml(text, "dialect.yaml");
  EXPECT_TRUE(parsed.document.has_value());
  DialectOptions options;
  options.strict = strict;
  return ApplyDialect(parsed.document->root, parsed.document->positions, options);
}

int Count(const Diagnostics& diagnostics, std::string_view rule) {
  int n = 0;
  for (const Diagnostic& d : diagnostics) n += d.rule_id == rule;
  return n;
}

int LineOf(const Diagnostics& diagnostics, std::string_view rule) {
  for (const Diagnostic& d : diagnostics) {
    if (d.rule_id == rule) return d.location.line;
  }
  return 0;
}

TEST(DialectTest, FindsEveryConstructAtItsLine) {
  DialectResult result = Apply(kDialect, false);
  EXPECT_EQ(Count(result.diagnostics, "dialect-consumed-param-keys"), 3);
  EXPECT_EQ(LineOf(result.diagnostics, "dialect-consumed-param-keys"), 23);
  EXPECT_EQ(Count(result.diagnostics, "dialect-rest-description"), 1);
  EXPECT_EQ(LineOf(result.diagnostics, "dialect-rest-description"), 30);
  EXPECT_EQ(Count(result.diagnostics, "dialect-object-without-properties"), 2);
  EXPECT_EQ(LineOf(result.diagnostics, "dialect-object-without-properties"), 39);
  EXPECT_EQ(Count(result.diagnostics, "dialect-with-prefix"), 2);
  EXPECT_EQ(LineOf(result.diagnostics, "dialect-with-prefix"), 37);
  EXPECT_EQ(Count(result.diagnostics, "dialect-bind-namespace"), 1);
  EXPECT_EQ(LineOf(result.diagnostics, "dialect-bind-namespace"), 13);
  EXPECT_EQ(Count(result.diagnostics, "dialect-identifier-underscore"), 1);
  EXPECT_EQ(result.diagnostics.size(), 10u);
  for (const Diagnostic& d : result.diagnostics) EXPECT_EQ(d.severity, Severity::kWarning);
}

TEST(DialectTest, StrictMakesSchemaDeviationsErrors) {
  DialectResult result = Apply(kDialect, true);
  EXPECT_EQ(result.diagnostics.size(), 10u);
  for (const Diagnostic& d : result.diagnostics) {
    // Schema-valid conventions stay warnings; what the schema rejects becomes an error.
    bool schema_valid = d.rule_id == "dialect-with-prefix" || d.rule_id == "dialect-bind-namespace";
    EXPECT_EQ(d.severity, schema_valid ? Severity::kWarning : Severity::kError) << d.rule_id;
  }
}

TEST(DialectTest, NormalizesTheCopyOnly) {
  YamlParseResult parsed = ParseYaml(kDialect, "dialect.yaml");
  json::value original = parsed.document->root;
  DialectResult result = ApplyDialect(parsed.document->root, parsed.document->positions);
  EXPECT_EQ(parsed.document->root, original);

  const json::object& body = result.normalized.as_object().at("capability").as_object();
  const json::object& resource =
      body.at("consumes").as_array()[0].as_object().at("resources").as_array()[0].as_object();
  EXPECT_EQ(resource.at("name").as_string(), "items-by-id");
  const json::object& param = resource.at("operations")
                                  .as_array()[0]
                                  .as_object()
                                  .at("inputParameters")
                                  .as_array()[0]
                                  .as_object();
  EXPECT_EQ(param.size(), 2u);  // name and in
  const json::object& rest = body.at("exposes").as_array()[0].as_object();
  EXPECT_FALSE(rest.contains("description"));
  const json::object& output = rest.at("resources")
                                   .as_array()[0]
                                   .as_object()
                                   .at("operations")
                                   .as_array()[0]
                                   .as_object()
                                   .at("outputParameters")
                                   .as_array()[0]
                                   .as_object();
  EXPECT_TRUE(output.at("properties").as_object().empty());
  const json::object& nested = body.at("exposes")
                                   .as_array()[1]
                                   .as_object()
                                   .at("tools")
                                   .as_array()[0]
                                   .as_object()
                                   .at("outputParameters")
                                   .as_array()[0]
                                   .as_object()
                                   .at("items")
                                   .as_object();
  EXPECT_TRUE(nested.contains("properties"));
  // with values stay: they are valid strings for the schema.
  EXPECT_EQ(rest.at("resources")
                .as_array()[0]
                .as_object()
                .at("operations")
                .as_array()[0]
                .as_object()
                .at("with")
                .as_object()
                .at("item_id")
                .as_string(),
            "rest.item_id");
}

TEST(DialectTest, SpecFormsAreNotFlagged) {
  DialectResult result = Apply(R"(naftiko: "1.0.0-alpha2"
binds:
  - namespace: env
    keys:
      KEY: KEY
capability:
  consumes:
    - namespace: api
      type: http
      baseUri: https://api.example.com
      authentication: {type: bearer, token: "{{env.KEY}}"}
      resources:
        - name: r
          path: /r
          operations:
            - name: op
              method: GET
              inputParameters: [{name: q, in: query}]
  exposes:
    - type: mcp
      namespace: rest
      port: 9090
      tools:
        - name: t
          description: d
          call: api.op
          with: {q: rest.q, n: 3, s: "{{q}}", l: "v1.2"}
          outputParameters:
            - type: object
              properties: {}
)",
                               true);
  EXPECT_TRUE(result.diagnostics.empty()) << result.diagnostics[0].message;
}

TEST(DialectTest, ImportedFilesUseTheImportersBindNamespaces) {
  YamlParseResult parsed =
      ParseYaml("consumes:\n  - authentication: {token: \"{{env.K}}\"}\n", "s.yaml");
  DialectOptions options;
  options.bind_namespaces = std::vector<std::string>{"env"};
  EXPECT_TRUE(
      ApplyDialect(parsed.document->root, parsed.document->positions, options).diagnostics.empty());
  options.bind_namespaces = std::vector<std::string>{};
  EXPECT_EQ(
      ApplyDialect(parsed.document->root, parsed.document->positions, options).diagnostics.size(),
      1u);
}

}  // namespace
}  // namespace capstan::spec
