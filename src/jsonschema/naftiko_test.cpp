// Compiles the Naftiko capability schema (1.0.0-alpha2) and validates small hand-written
// documents against it.
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "jsonschema/schema.hpp"

namespace capstan::jsonschema {
namespace {

json::value Json(std::string_view text) {
  auto value = core::ParseJson(text);
  EXPECT_TRUE(value) << text;
  return value ? std::move(*value) : json::value();
}

class NaftikoSchemaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::ifstream in(std::string(CAPSTAN_SHARED_DIR) +
                     "/naftiko/schema/naftiko-schema-1.0.0-alpha2.json");
    ASSERT_TRUE(in);
    std::ostringstream text;
    text << in.rdbuf();
    auto parsed = core::ParseJson(text.str());
    ASSERT_TRUE(parsed) << parsed.error().message;
    auto schema = Schema::Compile(*parsed);
    ASSERT_TRUE(schema) << schema.error().message;
    schema_ = new Schema(std::move(*schema));
  }
  static void TearDownTestSuite() {
    delete schema_;
    schema_ = nullptr;
  }
  static const Schema& schema() { return *schema_; }

 private:
  static Schema* schema_;
};

Schema* NaftikoSchemaTest::schema_ = nullptr;

constexpr std::string_view kMinimal = R"({
  "naftiko": "1.0.0-alpha2",
  "info": {"label": "Demo", "description": "A minimal capability"},
  "capability": {
    "exposes": [{"type": "rest", "port": 8080, "namespace": "demo"}]
  }
})";

TEST_F(NaftikoSchemaTest, AcceptsAMinimalCapability) {
  json::value doc = Json(kMinimal);
  auto errors = schema().Validate(doc);
  for (const auto& e : BestErrors(errors)) {
    ADD_FAILURE() << e.instance_location << " " << e.keyword_location << ": " << e.message;
  }
  EXPECT_TRUE(schema().IsValid(doc));
}

TEST_F(NaftikoSchemaTest, UnknownKeyIsReportedAtThatKey) {
  json::value doc = Json(R"({
    "naftiko": "1.0.0-alpha2",
    "capability": {
      "exposes": [{"type": "rest", "port": 8080, "namespace": "demo"}],
      "exposess": []
    }
  })");
  EXPECT_FALSE(schema().IsValid(doc));
  auto best = BestErrors(schema().Validate(doc));
  ASSERT_EQ(best.size(), 1u);
  EXPECT_EQ(best[0].instance_location, "/capability/exposess");
  EXPECT_EQ(best[0].keyword, "additionalProperties");
  EXPECT_EQ(best[0].keyword_location, "/properties/capability/$ref/additionalProperties");
  EXPECT_EQ(best[0].message, "property \"exposess\" is not allowed");
}

TEST_F(NaftikoSchemaTest, BadPortIsReportedAtThePort) {
  json::value doc = Json(R"({
    "naftiko": "1.0.0-alpha2",
    "capability": {
      "exposes": [{"type": "rest", "port": 70000, "namespace": "demo"}]
    }
  })");
  EXPECT_FALSE(schema().IsValid(doc));
  auto errors = schema().Validate(doc);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].keyword, "oneOf");
  EXPECT_EQ(errors[0].instance_location, "/capability/exposes/0");
  auto best = BestErrors(errors);
  ASSERT_EQ(best.size(), 1u);
  EXPECT_EQ(best[0].instance_location, "/capability/exposes/0/port");
  EXPECT_EQ(best[0].keyword, "maximum");
  EXPECT_EQ(best[0].message, "must be <= 65535, got 70000");

  json::value text_port = Json(R"({
    "naftiko": "1.0.0-alpha2",
    "capability": {"exposes": [{"type": "rest", "port": "eighty", "namespace": "demo"}]}
  })");
  best = BestErrors(schema().Validate(text_port));
  ASSERT_EQ(best.size(), 1u);
  EXPECT_EQ(best[0].instance_location, "/capability/exposes/0/port");
  EXPECT_EQ(best[0].keyword, "type");
}

TEST_F(NaftikoSchemaTest, MissingTopLevelChoiceIsAOneOfError) {
  json::value doc = Json(R"({"naftiko": "1.0.0-alpha2"})");
  EXPECT_FALSE(schema().IsValid(doc));
  auto best = BestErrors(schema().Validate(doc));
  ASSERT_FALSE(best.empty());
  EXPECT_EQ(best[0].keyword, "required");
}

TEST_F(NaftikoSchemaTest, WrongVersionIsAConstError) {
  std::string text(kMinimal);
  text.replace(text.find("1.0.0-alpha2"), 12, "0.9");
  auto best = BestErrors(schema().Validate(Json(text)));
  ASSERT_EQ(best.size(), 1u);
  EXPECT_EQ(best[0].instance_location, "/naftiko");
  EXPECT_EQ(best[0].keyword, "const");
}

}  // namespace
}  // namespace capstan::jsonschema
