// Binds: variables from the environment and from JSON/YAML files named by `location`, and the
// templates that use them ({{VAR}}, {{namespace.VAR}}) in consumed authentication and values.
#include "runtime/binds.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "runtime/runtime.hpp"
#include "runtime/runtime_test_util.hpp"

namespace capstan::runtime {
namespace {

namespace fs = std::filesystem;
using testing::FakeEnv;
using testing::LoadText;

// A scratch folder holding the capability "file" and its bind files.
class BindsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("capstan-binds-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "conf");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }

  // A capability whose binds are `binds` (YAML list items) and whose upstream uses a bearer
  // token `token` and a header parameter `X-Region: region`.
  std::shared_ptr<const spec::Capability> Capability(const std::string& binds,
                                                     const std::string& token,
                                                     const std::string& region = "static") {
    std::string text = R"(naftiko: 1.0.0-alpha2
info:
  label: Binds
  description: Bind test capability
binds:
)" + binds + R"(
capability:
  consumes:
  - type: http
    namespace: up
    baseUri: http://127.0.0.1:9
    authentication:
      type: bearer
      token: ')" + token +
                       R"('
    inputParameters:
    - name: X-Region
      in: header
      value: ')" + region +
                       R"('
    resources:
    - name: things
      path: /things
      operations:
      - name: list
        method: GET
)";
    return LoadText(text, (dir_ / "capability.yaml").string());
  }

  core::Result<std::shared_ptr<Runtime>> Create(std::shared_ptr<const spec::Capability> cap,
                                                std::map<std::string, std::string> env = {}) {
    RuntimeOptions options;
    options.env = FakeEnv(std::move(env));
    return Runtime::Create(std::move(cap), std::move(options));
  }

  static std::string Header(const Runtime& rt, std::string_view name) {
    auto req = rt.FindOperation("up.list")->BuildRequest({});
    EXPECT_TRUE(req) << req.error().message;
    if (!req) return "";
    return std::string(req->headers.Get(name).value_or("<absent>"));
  }

  fs::path dir_;
};

TEST_F(BindsTest, ReadsAJsonFileRelativeToTheCapability) {
  Write("conf/secrets.json", R"({"api-token": "tok-json", "region": "fr-par", "port": 8443})");
  auto rt = Create(Capability(R"(- namespace: secrets
  location: file:///./conf/secrets.json
  keys:
    API_TOKEN: api-token
    REGION: region
    PORT: port)",
                              "{{API_TOKEN}}", "{{secrets.REGION}}:{{PORT}}"));
  ASSERT_TRUE(rt) << rt.error().message;
  EXPECT_EQ(Header(**rt, "Authorization"), "Bearer tok-json");
  EXPECT_EQ(Header(**rt, "X-Region"), "fr-par:8443");  // a number is its JSON text
  EXPECT_EQ((*rt)->binds().Find("secrets.API_TOKEN").value_or(""), "tok-json");
  EXPECT_EQ((*rt)->binds().Find("API_TOKEN").value_or(""), "tok-json");
  EXPECT_FALSE((*rt)->binds().Find("other.API_TOKEN").has_value());
}

TEST_F(BindsTest, ReadsAYamlFileByAbsoluteUri) {
  Write("conf/secrets.yaml", "api-token: tok-yaml\nregion: nl-ams\nenabled: true\n");
  const std::string absolute = "file://" + (dir_ / "conf/secrets.yaml").string();
  auto rt = Create(Capability("- namespace: vault\n  location: " + absolute +
                                  "\n  keys:\n    TOKEN: api-token\n    ON: enabled\n",
                              "{{vault.TOKEN}}", "{{ON}}"));
  ASSERT_TRUE(rt) << rt.error().message;
  EXPECT_EQ(Header(**rt, "Authorization"), "Bearer tok-yaml");
  EXPECT_EQ(Header(**rt, "X-Region"), "true");
}

TEST_F(BindsTest, EnvironmentAndFileBindsMixAndQualifiedNamesDisambiguate) {
  Write("a.yaml", "KEY: from-file\n");
  auto rt = Create(Capability(R"(- namespace: env
  keys:
    KEY: CAPSTAN_TEST_KEY
- namespace: file
  location: file:///./a.yaml
  keys:
    OTHER: KEY)",
                              "{{env.KEY}}", "{{file.OTHER}}"),
                   {{"CAPSTAN_TEST_KEY", "from-env"}});
  ASSERT_TRUE(rt) << rt.error().message;
  EXPECT_EQ(Header(**rt, "Authorization"), "Bearer from-env");
  EXPECT_EQ(Header(**rt, "X-Region"), "from-file");
}

TEST_F(BindsTest, AMissingFileKeyIsAStartupErrorNamingIt) {
  Write("secrets.json", R"({"api-token": "x"})");
  auto rt = Create(Capability(R"(- namespace: secrets
  location: file:///./secrets.json
  keys:
    API_TOKEN: api-token
    API_SECRET: api-secret)",
                              "{{API_TOKEN}}"));
  ASSERT_FALSE(rt);
  EXPECT_EQ(rt.error().code, core::ErrorCode::kNotFound);
  EXPECT_NE(rt.error().message.find("api-secret"), std::string::npos) << rt.error().message;
  EXPECT_NE(rt.error().message.find("API_SECRET"), std::string::npos) << rt.error().message;
  EXPECT_NE(rt.error().message.find("secrets.json"), std::string::npos) << rt.error().message;
}

TEST_F(BindsTest, NullOrStructuredFileValuesAreMissingToo) {
  Write("s.yaml", "token: ~\nnested: {a: 1}\n");
  for (const char* key : {"token", "nested", "absent"}) {
    auto rt = Create(Capability(
        std::string("- namespace: s\n  location: file:///./s.yaml\n  keys:\n    T: ") + key + "\n",
        "{{T}}"));
    ASSERT_FALSE(rt) << key;
    EXPECT_NE(rt.error().message.find(key), std::string::npos) << rt.error().message;
  }
}

TEST_F(BindsTest, AnUnreadableOrMalformedBindFileIsAStartupError) {
  auto missing = Create(Capability(
      "- namespace: s\n  location: file:///./nope.yaml\n  keys:\n    T: token\n", "{{T}}"));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("nope.yaml"), std::string::npos);

  Write("list.yaml", "- a\n- b\n");
  auto list = Create(
      Capability("- namespace: s\n  location: file:///./list.yaml\n  keys:\n    T: a\n", "{{T}}"));
  ASSERT_FALSE(list);
  EXPECT_NE(list.error().message.find("mapping"), std::string::npos) << list.error().message;

  Write("bad.json", "{\"token\": ");
  auto bad = Create(Capability(
      "- namespace: s\n  location: file:///./bad.json\n  keys:\n    T: token\n", "{{T}}"));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("bad.json"), std::string::npos) << bad.error().message;
}

TEST_F(BindsTest, AMissingEnvironmentVariableIsAStartupErrorNamingIt) {
  auto rt = Create(
      Capability("- namespace: env\n  keys:\n    TOKEN: CAPSTAN_UNSET_TOKEN\n", "{{env.TOKEN}}"));
  ASSERT_FALSE(rt);
  EXPECT_NE(rt.error().message.find("CAPSTAN_UNSET_TOKEN"), std::string::npos)
      << rt.error().message;
}

TEST_F(BindsTest, AnUndeclaredTemplateVariableIsAStartupErrorNotAnEmptyHeader) {
  auto rt =
      Create(Capability("- namespace: env\n  keys:\n    TOKEN: T\n", "{{env.TOKN}}"), {{"T", "x"}});
  ASSERT_FALSE(rt);
  EXPECT_NE(rt.error().message.find("env.TOKN"), std::string::npos) << rt.error().message;
  EXPECT_NE(rt.error().message.find("binds"), std::string::npos) << rt.error().message;
}

TEST_F(BindsTest, SecretsAreNotHtmlEscapedAndControlCharactersAreRejected) {
  auto rt = Create(Capability("- namespace: env\n  keys:\n    TOKEN: T\n", "{{TOKEN}}"),
                   {{"T", "a<b>&\"c'/="}});
  ASSERT_TRUE(rt) << rt.error().message;
  EXPECT_EQ(Header(**rt, "Authorization"), "Bearer a<b>&\"c'/=");

  auto crlf = Create(Capability("- namespace: env\n  keys:\n    TOKEN: T\n", "{{TOKEN}}"),
                     {{"T", "x\r\nX-Evil: 1"}});
  ASSERT_FALSE(crlf);
  EXPECT_EQ(crlf.error().message.find("X-Evil"), std::string::npos);  // never echo secrets
}

}  // namespace
}  // namespace capstan::runtime
