// Runs every file of testdata/broken/ through the loader. Each file marks the lines where it
// expects a finding with a comment: `# expect: rule-id` (an error) or `# expect-warning: rule-id`.
// The test asserts each expected finding and that no other error shows up.
#include "spec/rules.hpp"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "spec/loader.hpp"

namespace capstan::spec {
namespace {

namespace fs = std::filesystem;

const fs::path kBrokenDir = fs::path(CAPSTAN_SOURCE_DIR) / "src/spec/testdata/broken";

struct Expectation {
  int line = 0;
  Severity severity = Severity::kError;
  std::string rule_id;
  bool operator<(const Expectation& o) const {
    return std::tie(line, severity, rule_id) < std::tie(o.line, o.severity, o.rule_id);
  }
};

std::vector<Expectation> ReadExpectations(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::vector<Expectation> out;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    for (auto [marker, severity] : {std::pair{"# expect-warning: ", Severity::kWarning},
                                    std::pair{"# expect: ", Severity::kError}}) {
      std::size_t at = line.find(marker);
      if (at == std::string::npos) continue;
      std::string rule = line.substr(at + std::string(marker).size());
      while (!rule.empty() && (rule.back() == ' ' || rule.back() == '\r')) rule.pop_back();
      out.push_back(Expectation{number, severity, rule});
      break;
    }
  }
  return out;
}

std::string Dump(const Diagnostics& diagnostics) {
  std::ostringstream out;
  for (const Diagnostic& d : diagnostics) {
    out << "  " << d.location.file << ":" << d.location.line << ":" << d.location.column << " "
        << SeverityName(d.severity) << " [" << d.rule_id << "] " << d.message << "\n";
  }
  return out.str();
}

class BrokenCorpusTest : public testing::TestWithParam<std::string> {};

TEST_P(BrokenCorpusTest, ReportsTheExpectedDiagnostics) {
  fs::path file = kBrokenDir / GetParam();
  std::vector<Expectation> expected = ReadExpectations(file);
  ASSERT_FALSE(expected.empty()) << file << " has no '# expect:' marker";

  auto loaded = LoadCapability(file.string());
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  const Diagnostics& diagnostics = loaded->diagnostics;

  std::set<std::string> expected_error_rules;
  for (const Expectation& e : expected) {
    if (e.severity == Severity::kError) expected_error_rules.insert(e.rule_id);
    bool found = false;
    for (const Diagnostic& d : diagnostics) {
      if (d.rule_id == e.rule_id && d.location.line == e.line && d.severity == e.severity &&
          d.location.file == file.string()) {
        found = true;
      }
    }
    EXPECT_TRUE(found) << "expected " << SeverityName(e.severity) << " [" << e.rule_id
                       << "] at line " << e.line << "; got:\n"
                       << Dump(diagnostics);
  }
  for (const Diagnostic& d : diagnostics) {
    if (d.severity != Severity::kError) continue;
    EXPECT_TRUE(expected_error_rules.count(d.rule_id) == 1) << "unexpected error: " << Dump({d});
  }
  if (expected_error_rules.empty()) {
    EXPECT_FALSE(HasErrors(diagnostics));
  } else {
    EXPECT_FALSE(loaded->ok());
  }
}

std::vector<std::string> BrokenFiles() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kBrokenDir)) {
    if (entry.path().extension() == ".yaml") names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string TestName(const testing::TestParamInfo<std::string>& info) {
  std::string name = info.param.substr(0, info.param.find('.'));
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Broken, BrokenCorpusTest, testing::ValuesIn(BrokenFiles()), TestName);

TEST(BrokenCorpusTest, CoversEveryRule) {
  std::set<std::string> covered;
  for (const std::string& name : BrokenFiles()) {
    for (const Expectation& e : ReadExpectations(kBrokenDir / name)) covered.insert(e.rule_id);
  }
  for (const char* rule :
       {"namespace-duplicate",         "call-unresolved",       "ref-unresolved",
        "with-unknown-input",          "path-variable-unbound", "port-conflict",
        "base-uri-trailing-slash",     "mcp-stdio-port",        "path-query-string",
        "path-trailing-slash",         "lookup-index-unknown",  "mapping-step-unknown",
        "step-reference-unknown",      "mcp-tool-duplicate",    "rest-operation-duplicate",
        "bind-variable-unknown",       "yaml-syntax",           "yaml-duplicate-key",
        "yaml-invalid-utf8",           "yaml-too-deep",         "schema-type",
        "schema-unknown-key",          "import-file-missing",   "import-namespace-missing",
        "script-language-unsupported", "output-schema-missing", "output-schema-not-found"}) {
    EXPECT_TRUE(covered.count(rule) == 1) << "no broken/ file covers " << rule;
  }
}

Capability Model(std::string_view yaml) {
  LoadOptions options;
  options.resolve_imports = false;
  LoadedCapability loaded = LoadCapabilityFromString(yaml, "inline.yaml", options);
  return loaded.capability ? *loaded.capability : Capability{};
}

TEST(RulesTest, PortConflictsTreatLocalhostAndWildcardAlike) {
  Capability cap = Model(R"(naftiko: "1.0.0-alpha2"
capability:
  exposes:
    - type: rest
      namespace: a
      port: 8080
      resources:
        - path: /x
          operations:
            - method: GET
              outputParameters:
                - type: string
                  value: "x"
    - type: control
      address: 127.0.0.1
      port: 8080
    - type: mcp
      namespace: b
      address: "10.0.0.1"
      port: 8080
      tools:
        - name: t
          description: d
          outputParameters:
            - name: o
              type: string
              value: "v"
)");
  Diagnostics diagnostics = CheckRules(cap);
  int conflicts = 0;
  for (const Diagnostic& d : diagnostics) conflicts += d.rule_id == "port-conflict";
  EXPECT_EQ(conflicts, 1) << Dump(diagnostics);  // rest (127.0.0.1) vs control; 10.0.0.1 is free
}

TEST(RulesTest, PathVariablesBindThroughDashUnderscoreAndDerivedInputs) {
  Capability cap = Model(R"(naftiko: "1.0.0-alpha2"
capability:
  consumes:
    - namespace: api
      type: http
      baseUri: https://api.example.com
      resources:
        - name: keys
          path: /keys/{access_key}
          operations:
            - name: get-key
              method: GET
  exposes:
    - type: rest
      namespace: r
      port: 8080
      resources:
        - path: /v1/keys/{access-key}
          operations:
            - method: GET
              call: api.get-key
              with:
                access_key: rest.access_key
        - path: /v2/keys/{access_key}
          operations:
            - method: GET
              call: api.get-key
)");
  Diagnostics diagnostics = CheckRules(cap);
  EXPECT_FALSE(HasErrors(diagnostics)) << Dump(diagnostics);
}

TEST(RulesTest, BindReferencesAcceptQualifiedDeclaredVariables) {
  LoadedCapability loaded = LoadCapabilityFromString(R"(naftiko: "1.0.0-alpha2"
binds:
  - namespace: env
    keys:
      TOKEN: TOKEN
capability:
  consumes:
    - namespace: api
      type: http
      baseUri: https://api.example.com
      authentication:
        type: basic
        username: "{{env.TOKEN}}"
        password: "{{TOKEN}}"
      resources:
        - name: r
          path: /r
          operations:
            - name: op
              method: GET
  exposes:
    - type: mcp
      namespace: m
      port: 9090
      tools:
        - name: t
          description: d
          call: api.op
)",
                                                     "inline.yaml");
  EXPECT_TRUE(loaded.diagnostics.empty()) << Dump(loaded.diagnostics);
}

TEST(RulesTest, WithMayFeedTemplatesOfParametersAndAuthentication) {
  Capability cap = Model(R"(naftiko: "1.0.0-alpha2"
capability:
  consumes:
    - namespace: api
      type: http
      baseUri: https://api.example.com
      authentication: {type: bearer, token: "{{user_token}}"}
      resources:
        - name: r
          path: /r
          inputParameters:
            - {name: X-Trace, in: header, value: "trace-{{trace_id}}"}
          operations:
            - name: op
              method: POST
              body: {type: json, data: {name: "{{name}}"}}
  exposes:
    - type: mcp
      namespace: m
      port: 9090
      tools:
        - name: t
          description: d
          call: api.op
          with: {user_token: "x", trace_id: "y", name: "z", X-Trace: "w", nope: "v"}
)");
  Diagnostics diagnostics = CheckRules(cap);
  ASSERT_EQ(diagnostics.size(), 1u) << Dump(diagnostics);
  EXPECT_EQ(diagnostics[0].rule_id, "with-unknown-input");
  EXPECT_NE(diagnostics[0].message.find("\"nope\""), std::string::npos);
}

}  // namespace
}  // namespace capstan::spec
