#include "spec/loader.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

namespace capstan::spec {
namespace {

namespace fs = std::filesystem;

const fs::path kShared = CAPSTAN_SHARED_DIR;
const fs::path kSource = CAPSTAN_SOURCE_DIR;
const fs::path kSeed = kShared / "capabilities/scaleway/iam-jwts.yaml";
const fs::path kTestdata = kSource / "src/spec/testdata";

std::string Dump(const Diagnostics& diagnostics) {
  std::ostringstream out;
  for (const Diagnostic& d : diagnostics) {
    out << "  " << d.location.file << ":" << d.location.line << ":" << d.location.column << " "
        << SeverityName(d.severity) << " [" << d.rule_id << "] " << d.message << "\n";
  }
  return out.str();
}

LoadedCapability MustLoad(const fs::path& path, LoadOptions options = {}) {
  auto loaded = LoadCapability(path.string(), options);
  EXPECT_TRUE(loaded.has_value()) << (loaded ? "" : loaded.error().message);
  return loaded ? std::move(*loaded) : LoadedCapability{};
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// ---- the acceptance corpora -------------------------------------------------------------------

TEST(LoaderTest, AllScalewayCapabilitiesValidateWithoutErrors) {
  int files = 0;
  for (const auto& entry : fs::directory_iterator(kShared / "capabilities/scaleway")) {
    if (entry.path().extension() != ".yaml") continue;
    ++files;
    LoadedCapability loaded = MustLoad(entry.path());
    ASSERT_NE(loaded.capability, nullptr) << entry.path();
    EXPECT_TRUE(loaded.ok()) << entry.path() << "\n" << Dump(loaded.diagnostics);
    for (const Diagnostic& d : loaded.diagnostics) {
      EXPECT_EQ(d.rule_id.rfind("dialect-", 0), 0u) << entry.path() << "\n" << Dump({d});
    }
  }
  EXPECT_EQ(files, 82);
}

TEST(LoaderTest, SeedInStrictModeReportsExactlyItsDeviations) {
  LoadOptions strict;
  strict.strict = true;
  LoadedCapability loaded = MustLoad(kSeed, strict);

  std::set<std::pair<int, std::string>> actual;
  std::set<std::pair<int, std::string>> notes;
  for (const Diagnostic& d : loaded.diagnostics) {
    EXPECT_EQ(d.location.file, kSeed.string());
    // Schema deviations are errors; the schema-valid `rest.x` convention stays a warning.
    if (d.severity == Severity::kError) {
      actual.emplace(d.location.line, d.rule_id);
    } else {
      EXPECT_EQ(d.rule_id, "dialect-with-prefix") << Dump({d});
      notes.emplace(d.location.line, d.rule_id);
    }
  }
  EXPECT_EQ(actual.size() + notes.size(), loaded.diagnostics.size())
      << "one finding per line and rule";

  std::set<std::pair<int, std::string>> expected;
  // 1. consumed parameters carry type/description (and required on path parameters).
  for (int line : {36, 37, 40, 41, 44, 45, 48, 49, 52, 53, 68, 69, 70, 82, 83, 84}) {
    expected.emplace(line, "dialect-consumed-param-keys");
  }
  // 2. {type: object, mapping: $.} outputs without properties (3 REST operations, 3 MCP tools).
  for (int line : {111, 124, 133, 156, 168, 180}) {
    expected.emplace(line, "dialect-object-without-properties");
  }
  // 3. description on the rest adapter.
  expected.emplace(94, "dialect-rest-description");
  EXPECT_EQ(actual, expected) << Dump(loaded.diagnostics);
  // The with values rest.x / tools.x: schema-valid, reported as warnings even with --strict.
  std::set<std::pair<int, std::string>> expected_notes;
  for (int line : {105, 106, 107, 108, 109, 122, 131, 150, 151, 152, 153, 154, 166, 178}) {
    expected_notes.emplace(line, "dialect-with-prefix");
  }
  EXPECT_EQ(notes, expected_notes) << Dump(loaded.diagnostics);
  EXPECT_FALSE(loaded.ok());
}

TEST(LoaderTest, SeedByDefaultHasOnlyWarnings) {
  LoadedCapability loaded = MustLoad(kSeed);
  EXPECT_TRUE(loaded.ok()) << Dump(loaded.diagnostics);
  EXPECT_EQ(loaded.diagnostics.size(), 37u);
}

TEST(LoaderTest, ShippedSeedIsTheSharedOneUnchanged) {
  EXPECT_EQ(ReadAll(kSource / "capabilities/scaleway-iam-jwts.yaml"), ReadAll(kSeed));
}

TEST(LoaderTest, TutorialCapabilitiesPassStrictAndResolveImports) {
  LoadOptions strict;
  strict.strict = true;
  int files = 0;
  int imports = 0;
  for (const auto& entry : fs::directory_iterator(kShared / "naftiko/tutorial")) {
    if (entry.path().extension() != ".yml") continue;
    ++files;
    LoadedCapability loaded = MustLoad(entry.path(), strict);
    ASSERT_NE(loaded.capability, nullptr);
    EXPECT_TRUE(loaded.diagnostics.empty()) << entry.path() << "\n" << Dump(loaded.diagnostics);
    const CapabilityBody& body = *loaded.capability->capability;
    for (const ConsumesImport& import : body.imports) {
      ++imports;
      EXPECT_TRUE(import.resolved) << entry.path() << ": " << import.location;
      EXPECT_TRUE(fs::exists(import.resolved_path));
      const ConsumesHttp* adapter = FindConsumes(*loaded.capability, import.import_namespace);
      ASSERT_NE(adapter, nullptr) << import.import_namespace;
      ASSERT_TRUE(adapter->imported_from.has_value());
      EXPECT_FALSE(adapter->resources.empty());
      EXPECT_NE(adapter->source.file, entry.path().string());  // positions in the shared file
    }
  }
  EXPECT_EQ(files, 11);
  EXPECT_GE(imports, 14);
}

// ---- the model --------------------------------------------------------------------------------

TEST(LoaderTest, SeedModelKeepsValuesDialectFieldsAndPositions) {
  LoadedCapability loaded = MustLoad(kSeed);
  const Capability& cap = *loaded.capability;
  EXPECT_EQ(cap.naftiko, "1.0.0-alpha2");
  ASSERT_TRUE(cap.info.has_value());
  EXPECT_EQ(cap.info->label, "IAM API — JWTs");
  EXPECT_EQ(cap.info->tags, (std::vector<std::string>{"Scaleway", "JWTs"}));
  ASSERT_EQ(cap.binds.size(), 1u);
  EXPECT_EQ(cap.binds[0].ns, "env");
  EXPECT_EQ(cap.binds[0].keys[0].variable, "SCALEWAY_API_KEY");
  EXPECT_EQ(cap.binds[0].keys[0].source.line, 14);

  const CapabilityBody& body = *cap.capability;
  ASSERT_EQ(body.consumes.size(), 1u);
  const ConsumesHttp& api = body.consumes[0];
  EXPECT_EQ(api.ns, "iam-jwts");
  EXPECT_EQ(api.base_uri, "https://api.scaleway.com");
  EXPECT_EQ(api.source.line, 17);
  ASSERT_TRUE(api.authentication.has_value());
  const auto& key = std::get<AuthApiKey>(*api.authentication);
  EXPECT_EQ(key.key, "X-Auth-Token");
  EXPECT_EQ(key.value, "{{env.SCALEWAY_API_KEY}}");
  EXPECT_EQ(key.placement, ApiKeyPlacement::kHeader);
  ASSERT_EQ(api.resources.size(), 2u);
  EXPECT_EQ(api.resources[1].path, "/iam/v1alpha1/jwts/{jti}");
  const ConsumedHttpOperation& list = api.resources[0].operations[0];
  EXPECT_EQ(list.name, "listjwts");
  EXPECT_EQ(list.method, HttpMethod::kGet);
  EXPECT_EQ(list.output_raw_format, OutputRawFormat::kJson);
  ASSERT_EQ(list.input_parameters.size(), 5u);
  EXPECT_EQ(list.input_parameters[2].name, "page_size");
  EXPECT_EQ(list.input_parameters[2].in, ParameterIn::kQuery);
  EXPECT_EQ(list.input_parameters[2].type, ValueType::kInteger);  // dialect field kept
  EXPECT_EQ(list.input_parameters[2].description,
            "Number of results per page. Value must be between 1 and 100.");
  EXPECT_FALSE(list.input_parameters[2].required.has_value());
  EXPECT_EQ(list.input_parameters[2].source.line, 42);
  const ConsumedInputParameter& jti = api.resources[1].operations[0].input_parameters[0];
  EXPECT_EQ(jti.in, ParameterIn::kPath);
  EXPECT_EQ(jti.required, true);
  ASSERT_EQ(list.output_parameters.size(), 1u);
  EXPECT_EQ(list.output_parameters[0].name, "result");
  EXPECT_EQ(list.output_parameters[0].value, "$.");

  ASSERT_EQ(body.exposes.size(), 2u);
  const auto& rest = std::get<ExposesRest>(body.exposes[0]);
  EXPECT_EQ(rest.ns, "iam-jwts-rest");
  EXPECT_EQ(rest.port, 8080);
  EXPECT_FALSE(rest.address.has_value());
  EXPECT_TRUE(rest.description.has_value());  // dialect field kept
  EXPECT_EQ(rest.source.line, 91);
  const ExposedOperation& get = rest.resources[1].operations[0];
  EXPECT_EQ(get.call->target, "iam-jwts.getjwt");
  EXPECT_EQ(get.call->source.line, 120);
  ASSERT_EQ(get.with.size(), 1u);
  EXPECT_EQ(get.with[0].key, "jti");
  EXPECT_EQ(get.with[0].value.as_string(), "rest.jti");
  EXPECT_EQ(get.with[0].source.line, 122);
  ASSERT_EQ(get.output_parameters.size(), 1u);
  EXPECT_EQ(get.output_parameters[0].type, ValueType::kObject);
  EXPECT_EQ(get.output_parameters[0].mapping, "$.");
  EXPECT_FALSE(get.output_parameters[0].properties_declared);

  const auto& mcp = std::get<ExposesMcp>(body.exposes[1]);
  EXPECT_EQ(mcp.transport, McpTransport::kHttp);
  EXPECT_EQ(mcp.port, 9090);
  ASSERT_EQ(mcp.tools.size(), 3u);
  EXPECT_EQ(mcp.tools[2].name, "delete-jwt");
  EXPECT_EQ(mcp.tools[2].source.line, 170);
  ASSERT_TRUE(mcp.tools[2].hints.has_value());
  EXPECT_EQ(mcp.tools[2].hints->destructive, true);
  EXPECT_FALSE(mcp.tools[2].hints->open_world.has_value());

  auto call = ResolveCall(cap, "iam-jwts.deletejwt");
  ASSERT_TRUE(call.has_value());
  EXPECT_EQ(call->operation->method, HttpMethod::kDelete);
  EXPECT_EQ(call->resource->name, "iam-v1alpha1-jwts-jti");
  EXPECT_FALSE(ResolveCall(cap, "iam-jwts.nope").has_value());
}

TEST(LoaderTest, FullCapabilityModelsEveryConstruct) {
  LoadOptions strict;
  strict.strict = true;
  LoadedCapability loaded = MustLoad(kTestdata / "full.yaml", strict);
  ASSERT_TRUE(loaded.ok()) << Dump(loaded.diagnostics);
  EXPECT_TRUE(loaded.diagnostics.empty()) << Dump(loaded.diagnostics);
  const Capability& cap = *loaded.capability;
  ASSERT_TRUE(cap.info);
  EXPECT_EQ(cap.info->stakeholders.at(0).email, "ada@example.com");
  EXPECT_EQ(cap.info->created, "2026-01-31");
  EXPECT_EQ(cap.binds.at(0).location, "file:///./secrets.yaml");
  const CapabilityBody& body = *cap.capability;
  EXPECT_EQ(body.binds.at(0).ns, "env");

  // consumes: authentication of every kind, bodies of every kind.
  ASSERT_EQ(body.consumes.size(), 4u);
  EXPECT_TRUE(std::holds_alternative<AuthBasic>(*body.consumes[0].authentication));
  EXPECT_TRUE(std::holds_alternative<AuthDigest>(*body.consumes[1].authentication));
  EXPECT_EQ(std::get<AuthApiKey>(*body.consumes[2].authentication).placement,
            ApiKeyPlacement::kQuery);
  EXPECT_EQ(std::get<AuthBearer>(*body.consumes[3].authentication).token, "{{API_TOKEN}}");
  const ConsumesHttp& store = body.consumes[0];
  EXPECT_EQ(store.input_parameters.at(0).in, ParameterIn::kHeader);
  const auto& orders = store.resources.at(0);
  EXPECT_EQ(orders.input_parameters.at(0).name, "tenant");
  EXPECT_EQ(orders.operations.at(0).output_raw_format, OutputRawFormat::kCsv);
  EXPECT_EQ(orders.operations.at(0).input_parameters.at(1).in, ParameterIn::kEnvironment);
  EXPECT_EQ(orders.operations.at(0).output_parameters.at(0).value, "$.id");
  auto body_of = [&](std::size_t resource, std::size_t op) -> const RequestBody& {
    return *store.resources.at(resource).operations.at(op).body;
  };
  EXPECT_EQ(body_of(0, 1).type, RequestBodyType::kJson);
  EXPECT_TRUE(body_of(0, 1).data.is_object());
  EXPECT_EQ(body_of(0, 2).type, RequestBodyType::kText);
  EXPECT_EQ(body_of(0, 3).type, RequestBodyType::kSparql);
  EXPECT_EQ(body_of(0, 4).type, RequestBodyType::kFormUrlEncoded);
  EXPECT_EQ(body_of(0, 5).type, RequestBodyType::kMultipartForm);
  EXPECT_EQ(body_of(0, 5).parts.at(0).filename, "order.txt");
  EXPECT_EQ(body_of(0, 6).type, RequestBodyType::kRaw);
  EXPECT_EQ(body_of(1, 1).type, RequestBodyType::kXml);
  EXPECT_EQ(body_of(1, 2).data.as_string(), "a=1&b=2");
  EXPECT_EQ(body_of(1, 3).data.as_string(), "[1, 2]");
  EXPECT_EQ(body.consumes[1].resources[0].operations[0].output_schema,
            "file:///./schemas/staff.proto");

  // aggregates: semantics, steps of every kind, orchestrated outputs.
  const AggregateFunction* summary = ResolveRef(cap, "orders.order-summary");
  ASSERT_NE(summary, nullptr);
  EXPECT_EQ(summary->semantics->safe, true);
  EXPECT_EQ(summary->semantics->cacheable, false);
  ASSERT_EQ(summary->steps.size(), 4u);
  EXPECT_EQ(std::get<CallStep>(summary->steps[0]).call.target, "store.get-order");
  const auto& lookup = std::get<LookupStep>(summary->steps[2]);
  EXPECT_EQ(lookup.index, "staff");
  EXPECT_EQ(lookup.output_parameters, (std::vector<std::string>{"name", "email"}));
  const auto& script = std::get<ScriptStep>(summary->steps[3]);
  EXPECT_EQ(script.language, ScriptLanguage::kJavascript);
  EXPECT_EQ(script.file, "score.js");
  EXPECT_EQ(script.dependencies, (std::vector<std::string>{"lib.js"}));
  EXPECT_EQ(summary->mappings.at(1).target_name, "owner.name");
  EXPECT_EQ(summary->output_parameters.at(1).properties.at(0).name, "name");
  EXPECT_EQ(summary->output_parameters.at(2).items.at(0).name, "tag");
  EXPECT_FALSE(ResolveRef(cap, "orders.fixed")->output_parameters.empty());

  // exposes: rest with oauth2, every operation mode and forward.
  ASSERT_EQ(body.exposes.size(), 5u);
  const auto& rest = std::get<ExposesRest>(body.exposes[0]);
  const auto& oauth = std::get<AuthOAuth2>(*rest.authentication);
  EXPECT_EQ(oauth.token_validation, TokenValidation::kIntrospection);
  EXPECT_EQ(oauth.scopes, (std::vector<std::string>{"orders.read"}));
  const ExposedOperation& list = rest.resources.at(0).operations.at(0);
  EXPECT_EQ(list.input_parameters.at(0).pattern, "^[a-z]+$");
  const OutputParameter& array = list.output_parameters.at(0);
  EXPECT_EQ(array.type, ValueType::kArray);
  ASSERT_EQ(array.items.size(), 1u);
  EXPECT_EQ(array.items[0].properties.at(2).name, "paid");
  EXPECT_EQ(array.items[0].properties.at(2).const_value, json::value(true));
  EXPECT_EQ(rest.resources.at(1).operations.at(0).ref->target, "orders.order-summary");
  EXPECT_EQ(rest.resources.at(2).operations.at(0).steps.size(), 1u);
  EXPECT_EQ(rest.resources.at(3).operations.at(0).output_parameters.at(0).value, "ok");
  EXPECT_EQ(rest.resources.at(4).forward->trusted_headers.size(), 2u);

  // mcp: tools of every mode, resources, prompts; a stdio adapter.
  const auto& mcp = std::get<ExposesMcp>(body.exposes[1]);
  EXPECT_EQ(mcp.address, "localhost");
  EXPECT_EQ(mcp.tools.at(0).input_parameters.at(0).required, false);
  EXPECT_EQ(mcp.tools.at(0).hints->open_world, false);
  EXPECT_EQ(mcp.tools.at(1).ref->target, "orders.order-summary");
  EXPECT_EQ(mcp.tools.at(3).output_parameters.at(0).value, "Hello {{who}}");
  EXPECT_EQ(mcp.resources.at(0).mime_type, "application/json");
  EXPECT_EQ(mcp.resources.at(2).location, "file:///./docs");
  EXPECT_EQ(mcp.prompts.at(0).template_messages.at(1).role, PromptRole::kAssistant);
  EXPECT_EQ(mcp.prompts.at(1).location, "file:///./prompts/review.md");
  const auto& stdio = std::get<ExposesMcp>(body.exposes[2]);
  EXPECT_EQ(stdio.transport, McpTransport::kStdio);
  EXPECT_FALSE(stdio.port.has_value());

  // skill and control.
  const auto& skill = std::get<ExposesSkill>(body.exposes[3]);
  const ExposedSkill& orders_skill = skill.skills.at(0);
  EXPECT_EQ(orders_skill.metadata.at(0),
            std::make_pair(std::string("owner"), std::string("sales")));
  EXPECT_FALSE(orders_skill.user_invocable);
  EXPECT_TRUE(orders_skill.disable_model_invocation);
  EXPECT_EQ(orders_skill.tools.at(0).from->action, "list-orders");
  EXPECT_EQ(orders_skill.tools.at(2).instruction, "Explain the order workflow.");
  const auto& control = std::get<ExposesControl>(body.exposes[4]);
  EXPECT_TRUE(control.management->logs.enabled);
  EXPECT_FALSE(control.management->logs.level_control);
  EXPECT_EQ(control.management->logs.max_subscribers, 3);
  EXPECT_EQ(control.management->scripting->default_language, ScriptLanguage::kPython);
  EXPECT_EQ(control.management->scripting->timeout_ms, 1000);
  EXPECT_EQ(control.management->scripting->allowed_languages.size(), 2u);
  EXPECT_FALSE(control.observability->metrics_local_enabled);
  EXPECT_EQ(control.observability->traces.propagation, TracePropagation::kB3);
  EXPECT_DOUBLE_EQ(control.observability->traces.sampling, 0.5);
  EXPECT_EQ(control.observability->traces.local_buffer_size, 50);
  EXPECT_EQ(control.observability->otlp_endpoint, "http://otel:4318");
}

// ---- imports ----------------------------------------------------------------------------------

TEST(LoaderTest, ImportsResolveRelativeToTheFileUnderTheirAlias) {
  LoadedCapability loaded = MustLoad(kTestdata / "imports/importer.yaml");
  EXPECT_TRUE(loaded.diagnostics.empty()) << Dump(loaded.diagnostics);
  const Capability& cap = *loaded.capability;
  const ConsumesHttp* plain = FindConsumes(cap, "api");
  const ConsumesHttp* alias = FindConsumes(cap, "items-api");
  ASSERT_NE(plain, nullptr);
  ASSERT_NE(alias, nullptr);
  EXPECT_EQ(alias->imported_from->import_namespace, "api");
  EXPECT_EQ(alias->imported_from->as, "items-api");
  EXPECT_EQ(alias->base_uri, "https://api.example.com");
  EXPECT_EQ(alias->source.file, (kTestdata / "imports/shared-consumes.yaml").string());
  EXPECT_EQ(alias->source.line, 4);
  EXPECT_TRUE(ResolveCall(cap, "items-api.list-items").has_value());
}

TEST(LoaderTest, ImportedFilesAreValidatedToo) {
  fs::path dir = fs::temp_directory_path() / ("capstan-spec-import-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "shared.yaml") << "naftiko: \"1.0.0-alpha2\"\nconsumes:\n"
                                        "  - namespace: api\n    type: http\n"
                                        "    baseUri: \"https://x.example.com/\"\n"
                                        "    color: blue\n"
                                        "    resources:\n      - name: r\n        path: /r\n"
                                        "        operations:\n          - name: op\n"
                                        "            method: GET\n";
  std::ofstream(dir / "main.yaml") << "naftiko: \"1.0.0-alpha2\"\ncapability:\n  consumes:\n"
                                      "    - import: api\n      location: shared.yaml\n";
  LoadedCapability loaded = MustLoad(dir / "main.yaml");
  std::set<std::tuple<std::string, int, std::string>> found;
  for (const Diagnostic& d : loaded.diagnostics) {
    found.emplace(fs::path(d.location.file).filename().string(), d.location.line, d.rule_id);
  }
  EXPECT_TRUE(found.count({"shared.yaml", 6, "schema-unknown-key"})) << Dump(loaded.diagnostics);
  EXPECT_TRUE(found.count({"shared.yaml", 3, "base-uri-trailing-slash"}))
      << Dump(loaded.diagnostics);
  EXPECT_TRUE(found.count({"main.yaml", 2, "capability-no-exposes"})) << Dump(loaded.diagnostics);
  fs::remove_all(dir);
}

// ---- limits and I/O ---------------------------------------------------------------------------

TEST(LoaderTest, TenMegabyteFileIsAClearErrorNotACrash) {
  fs::path file =
      fs::temp_directory_path() / ("capstan-spec-10mb-" + std::to_string(::getpid()) + ".yaml");
  {
    std::ofstream out(file, std::ios::binary);
    out << "naftiko: \"1.0.0-alpha2\"\ninfo:\n  label: big\n  description: |\n";
    std::string line = "    " + std::string(95, 'x') + "\n";
    for (int i = 0; i < 105'000; ++i) out << line;
  }
  ASSERT_GE(fs::file_size(file), 10'000'000u);
  auto start = std::chrono::steady_clock::now();
  LoadedCapability loaded = MustLoad(file);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(loaded.diagnostics.size(), 1u) << Dump(loaded.diagnostics);
  EXPECT_EQ(loaded.diagnostics[0].rule_id, "yaml-too-large");
  EXPECT_EQ(loaded.diagnostics[0].location.line, 1);
  EXPECT_NE(loaded.diagnostics[0].message.find("8388608"), std::string::npos);
  EXPECT_EQ(loaded.capability, nullptr);
  EXPECT_LT(elapsed, std::chrono::seconds(2));

  // The same text handed over in memory hits the same limit.
  LoadedCapability in_memory = LoadCapabilityFromString(ReadAll(file), file.string());
  ASSERT_EQ(in_memory.diagnostics.size(), 1u);
  EXPECT_EQ(in_memory.diagnostics[0].rule_id, "yaml-too-large");

  // A larger limit lets it through.
  LoadOptions roomy;
  roomy.yaml.max_bytes = 16u << 20;
  LoadedCapability accepted = MustLoad(file, roomy);
  for (const Diagnostic& d : accepted.diagnostics) EXPECT_NE(d.rule_id, "yaml-too-large");
  fs::remove(file);
}

TEST(LoaderTest, UnreadableFilesAreIoErrors) {
  auto missing = LoadCapability((kTestdata / "no-such-file.yaml").string());
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, core::ErrorCode::kIo);
  auto directory = LoadCapability(kTestdata.string());
  ASSERT_FALSE(directory.has_value());
  EXPECT_EQ(directory.error().code, core::ErrorCode::kIo);
}

TEST(LoaderTest, MinimalCapabilityHasNoFindings) {
  LoadOptions strict;
  strict.strict = true;
  LoadedCapability loaded = MustLoad(kTestdata / "valid-minimal.yaml", strict);
  EXPECT_TRUE(loaded.diagnostics.empty()) << Dump(loaded.diagnostics);
  EXPECT_TRUE(loaded.ok());
}

TEST(LoaderTest, GarbageNeverCrashes) {
  for (std::string_view text :
       {std::string_view(""), std::string_view("~"), std::string_view("[1, 2]"),
        std::string_view("naftiko: 1\ncapability: 7\n"),
        std::string_view("capability:\n  exposes:\n    - 1\n    - {type: rest}\n"),
        std::string_view("capability:\n  consumes:\n    - {import: x}\n"),
        std::string_view(
            "capability: {exposes: [{type: mcp, tools: [{steps: [{type: lookup}]}]}]}"),
        std::string_view("{{{{")}) {
    LoadedCapability loaded = LoadCapabilityFromString(text, "garbage.yaml");
    EXPECT_FALSE(loaded.ok()) << text;
  }
}

TEST(LoaderTest, SharedConsumerFilesValidateOnTheirOwn) {
  LoadedCapability loaded =
      MustLoad(kShared / "naftiko/tutorial/shared/step7-registry-consumes.yml");
  EXPECT_TRUE(loaded.diagnostics.empty()) << Dump(loaded.diagnostics);
  ASSERT_NE(loaded.capability, nullptr);
  EXPECT_FALSE(loaded.capability->capability.has_value());
  ASSERT_EQ(loaded.capability->consumes.size(), 1u);
  EXPECT_EQ(loaded.capability->consumes[0].ns, "registry");
}

}  // namespace
}  // namespace capstan::spec
