#include "jsonschema/schema.hpp"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace capstan::jsonschema {
namespace {

using ::testing::HasSubstr;

json::value Json(std::string_view text) {
  auto value = core::ParseJson(text);
  EXPECT_TRUE(value) << text;
  return value ? std::move(*value) : json::value();
}

Schema MustCompile(std::string_view text, const CompileOptions& options = {}) {
  auto schema = Schema::Compile(Json(text), options);
  EXPECT_TRUE(schema) << schema.error().message;
  return std::move(*schema);
}

std::string CompileError(std::string_view text) {
  auto schema = Schema::Compile(Json(text));
  EXPECT_FALSE(schema) << text;
  return schema ? std::string() : schema.error().message;
}

TEST(SchemaTest, ReportsLocationsOfANestedTypeError) {
  CompileOptions options;
  options.default_base_uri = "https://example.com/s.json";
  Schema schema = MustCompile(R"({
    "properties": {"a": {"properties": {"b": {"type": "integer"}}}}
  })",
                              options);
  auto errors = schema.Validate(Json(R"({"a": {"b": "x"}})"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].instance_location, "/a/b");
  EXPECT_EQ(errors[0].keyword_location, "/properties/a/properties/b/type");
  EXPECT_EQ(errors[0].absolute_keyword_location,
            "https://example.com/s.json#/properties/a/properties/b/type");
  EXPECT_EQ(errors[0].keyword, "type");
  EXPECT_EQ(errors[0].message, "expected integer, got string");
}

TEST(SchemaTest, KeywordLocationFollowsRefButAbsoluteLocationIsCanonical) {
  Schema schema = MustCompile(R"({
    "$id": "https://example.com/root.json",
    "properties": {"port": {"$ref": "#/$defs/port"}},
    "$defs": {"port": {"type": "integer", "maximum": 65535}}
  })");
  auto errors = schema.Validate(Json(R"({"port": 70000})"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].instance_location, "/port");
  EXPECT_EQ(errors[0].keyword_location, "/properties/port/$ref/maximum");
  EXPECT_EQ(errors[0].absolute_keyword_location,
            "https://example.com/root.json#/$defs/port/maximum");
  EXPECT_EQ(errors[0].message, "must be <= 65535, got 70000");
}

TEST(SchemaTest, RequiredAndAdditionalPropertiesMessages) {
  Schema schema = MustCompile(R"({
    "type": "object",
    "required": ["port", "host"],
    "properties": {"host": {"type": "string"}},
    "additionalProperties": false
  })");
  auto errors = schema.Validate(Json(R"({"host": "h", "a/b~c": 1})"));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].keyword, "required");
  EXPECT_EQ(errors[0].instance_location, "");
  EXPECT_EQ(errors[0].message, "missing required property \"port\"");
  EXPECT_EQ(errors[1].keyword, "additionalProperties");
  EXPECT_EQ(errors[1].instance_location, "/a~1b~0c");
  EXPECT_EQ(errors[1].keyword_location, "/additionalProperties");
  EXPECT_EQ(errors[1].message, "property \"a/b~c\" is not allowed");
}

TEST(SchemaTest, OneOfErrorCarriesAlternativesAndBestErrorsPicksTheDeepest) {
  Schema schema = MustCompile(R"({
    "oneOf": [
      {"type": "object", "required": ["kind", "port"], "additionalProperties": false,
       "properties": {"kind": {"const": "rest"}, "port": {"type": "integer", "maximum": 10}}},
      {"type": "object", "required": ["kind", "name"], "additionalProperties": false,
       "properties": {"kind": {"const": "mcp"}, "name": {"type": "string"}}},
      {"type": "string"}
    ]
  })");
  auto errors = schema.Validate(Json(R"({"kind": "rest", "port": 20})"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].keyword, "oneOf");
  ASSERT_EQ(errors[0].alternatives.size(), 3u);
  EXPECT_EQ(errors[0].alternatives[0].size(), 1u);
  EXPECT_EQ(errors[0].alternatives[0][0].keyword_location, "/oneOf/0/properties/port/maximum");

  auto best = BestErrors(errors);
  ASSERT_EQ(best.size(), 1u);
  EXPECT_EQ(best[0].instance_location, "/port");
  EXPECT_EQ(best[0].keyword, "maximum");
  EXPECT_TRUE(best[0].alternatives.empty());
}

TEST(SchemaTest, BestErrorsTieGoesToFewestErrorsAndRecurses) {
  Schema schema = MustCompile(R"({
    "properties": {"x": {"anyOf": [
      {"type": "object", "required": ["a", "b", "c"]},
      {"type": "object", "required": ["a"], "properties": {"n": {"anyOf": [
        {"type": "string"}, {"type": "integer", "minimum": 5}]}}}
    ]}}
  })");
  auto errors = schema.Validate(Json(R"({"x": {"n": 3}})"));
  auto best = BestErrors(errors);
  // Alternative 1 reaches /x/n (deeper than /x); inside it, the integer branch (minimum) and the
  // string branch tie on depth and count, so the first one in schema order wins.
  ASSERT_EQ(best.size(), 2u);
  EXPECT_EQ(best[0].keyword, "required");
  EXPECT_EQ(best[0].instance_location, "/x");
  EXPECT_EQ(best[1].instance_location, "/x/n");
  EXPECT_EQ(best[1].keyword, "type");
}

TEST(SchemaTest, OneOfMatchingTwiceHasNoAlternatives) {
  Schema schema = MustCompile(R"({"oneOf": [{"type": "integer"}, {"minimum": 0}]})");
  auto errors = schema.Validate(Json("3"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0].message, HasSubstr("matched both 0 and 1"));
  EXPECT_TRUE(errors[0].alternatives.empty());
  EXPECT_EQ(BestErrors(errors).size(), 1u);
}

TEST(SchemaTest, IsValidAgreesWithValidate) {
  Schema schema = MustCompile(R"({
    "type": "object",
    "properties": {
      "tags": {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": true},
      "n": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
      "kind": {"enum": ["a", "b"]}
    },
    "patternProperties": {"^x-": {"type": "string"}},
    "unevaluatedProperties": false,
    "if": {"required": ["kind"]}, "then": {"required": ["n"]}
  })");
  const char* instances[] = {
      R"({})",
      R"({"tags": ["a", "b"]})",
      R"({"tags": ["a", "a"]})",
      R"({"tags": [""]})",
      R"({"n": 1.0})",
      R"({"n": 1.5})",
      R"({"kind": "a"})",
      R"({"kind": "a", "n": null})",
      R"({"kind": "c", "n": null})",
      R"({"x-foo": "s"})",
      R"({"x-foo": 1})",
      R"({"other": 1})",
      R"([])",
  };
  for (const char* text : instances) {
    json::value instance = Json(text);
    EXPECT_EQ(schema.IsValid(instance), schema.Validate(instance).empty()) << text;
  }
  EXPECT_TRUE(schema.IsValid(Json(R"({"kind": "b", "n": 3, "x-a": "b", "tags": ["q"]})")));
}

TEST(SchemaTest, MaxErrorsStopsCollecting) {
  Schema schema = MustCompile(R"({"required": ["a", "b", "c", "d"]})");
  ValidateOptions options;
  options.max_errors = 2;
  EXPECT_EQ(schema.Validate(Json("{}"), options).size(), 2u);
  EXPECT_EQ(schema.Validate(Json("{}")).size(), 4u);
}

TEST(SchemaTest, RejectsInvalidSchemas) {
  EXPECT_THAT(CompileError(R"({"type": "int"})"), HasSubstr("unknown type \"int\""));
  EXPECT_THAT(CompileError(R"({"properties": {"a": {"type": ["string", 3]}}})"),
              HasSubstr("#/properties/a/type"));
  EXPECT_THAT(CompileError(R"({"$ref": "#/$defs/missing"})"),
              HasSubstr("cannot resolve reference \"#/$defs/missing\""));
  EXPECT_THAT(CompileError(R"({"$ref": "https://example.com/nowhere.json"})"),
              HasSubstr("cannot resolve reference"));
  EXPECT_THAT(CompileError(R"js({"pattern": "^(?=a)"})js"), HasSubstr("lookaround"));
  EXPECT_THAT(CompileError(R"({"pattern": "(a"})"), HasSubstr("invalid regular expression"));
  EXPECT_THAT(CompileError(R"js({"patternProperties": {"(a)\\1": {}}})js"),
              HasSubstr("backreferences"));
  EXPECT_THAT(CompileError(R"({"minLength": -1})"), HasSubstr("non-negative integer"));
  EXPECT_THAT(CompileError(R"({"properties": 5})"), HasSubstr("must be an object"));
  EXPECT_THAT(CompileError(R"({"allOf": []})"), HasSubstr("non-empty array"));
  EXPECT_THAT(CompileError(R"({"items": 3})"), HasSubstr("object or a boolean"));
  EXPECT_THAT(CompileError(R"({"multipleOf": 0})"), HasSubstr("greater than 0"));
  EXPECT_THAT(CompileError(R"({"$defs": {"unused": {"type": "nope"}}})"),
              HasSubstr("#/$defs/unused/type"));
  EXPECT_THAT(CompileError("3"), HasSubstr("object or a boolean"));
}

TEST(SchemaTest, DeepNestingIsFine) {
  Schema schema = MustCompile(R"({
    "$defs": {"node": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
    "$ref": "#/$defs/node"
  })");
  std::string deep(200, '[');
  deep += std::string(200, ']');
  EXPECT_TRUE(schema.IsValid(Json(deep)));
  EXPECT_TRUE(schema.Validate(Json(deep)).empty());
  std::string bad(200, '[');
  bad += "1";
  bad += std::string(200, ']');
  auto errors = schema.Validate(Json(bad));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].instance_location.size(), 200u * 2);  // "/0" × 200
  EXPECT_FALSE(schema.IsValid(Json(bad)));
}

TEST(SchemaTest, ReferenceCycleIsReportedNotAHang) {
  Schema schema = MustCompile(R"({
    "$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}},
    "$ref": "#/$defs/a"
  })");
  EXPECT_FALSE(schema.IsValid(Json("1")));
  auto errors = schema.Validate(Json("1"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0].message, HasSubstr("depth exceeded"));

  Schema self = MustCompile(R"({"anyOf": [{"$ref": "#"}]})");
  EXPECT_FALSE(self.IsValid(Json("{}")));
  EXPECT_FALSE(self.Validate(Json("{}")).empty());
}

TEST(SchemaTest, RemoteRefsGoThroughTheResolver) {
  CompileOptions options;
  std::vector<std::string> asked;
  options.resolver = [&](const std::string& uri) -> std::optional<json::value> {
    asked.push_back(uri);
    if (uri == "https://example.com/defs.json") {
      return Json(R"({"$defs": {"name": {"type": "string", "minLength": 2}}})");
    }
    return std::nullopt;
  };
  Schema schema = MustCompile(R"({
    "$id": "https://example.com/main.json",
    "properties": {"name": {"$ref": "defs.json#/$defs/name"}}
  })",
                              options);
  EXPECT_EQ(asked, std::vector<std::string>{"https://example.com/defs.json"});
  EXPECT_TRUE(schema.IsValid(Json(R"({"name": "ab"})")));
  auto errors = schema.Validate(Json(R"({"name": "a"})"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].absolute_keyword_location,
            "https://example.com/defs.json#/$defs/name/minLength");

  options.resolver = [](const std::string& uri) -> std::optional<json::value> {
    if (uri == "https://example.com/defs.json") throw std::runtime_error("boom");
    return std::nullopt;
  };
  auto failed = Schema::Compile(Json(R"({"$id": "https://example.com/m.json",
                                         "$ref": "defs.json"})"),
                                options);
  ASSERT_FALSE(failed);
  EXPECT_THAT(failed.error().message, HasSubstr("boom"));
}

TEST(SchemaTest, MetaSchemaIsBuiltIn) {
  Schema meta = MustCompile(R"({"$ref": "https://json-schema.org/draft/2020-12/schema"})");
  EXPECT_TRUE(meta.IsValid(Json(R"({"type": "object", "properties": {"a": {"minLength": 1}}})")));
  auto errors = meta.Validate(Json(R"({"properties": {"a": {"minLength": -1}}})"));
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(BestErrors(errors)[0].instance_location, "/properties/a/minLength");
}

TEST(SchemaTest, NumbersCompareByValue) {
  Schema schema = MustCompile(R"({"const": {"a": [1, 2.0]}})");
  EXPECT_TRUE(schema.IsValid(Json(R"({"a": [1.0, 2]})")));
  EXPECT_FALSE(schema.IsValid(Json(R"({"a": [1, 2.5]})")));
  Schema e = MustCompile(R"({"enum": [{"x": 1, "y": 2}]})");
  EXPECT_TRUE(e.IsValid(Json(R"({"y": 2.0, "x": 1})")));
  Schema m = MustCompile(R"({"multipleOf": 0.0001})");
  EXPECT_TRUE(m.IsValid(Json("0.0075")));
  EXPECT_FALSE(m.IsValid(Json("0.00751")));
  Schema big = MustCompile(R"({"type": "integer", "multipleOf": 0.123456789})");
  EXPECT_FALSE(big.IsValid(Json("1e308")));
  Schema integer = MustCompile(R"({"type": "integer", "maximum": 9007199254740992})");
  EXPECT_TRUE(integer.IsValid(Json("2.0")));
  EXPECT_FALSE(integer.IsValid(Json("9007199254740993")));
}

TEST(SchemaTest, StringLengthCountsCodePoints) {
  Schema schema = MustCompile(R"({"minLength": 2, "maxLength": 2})");
  EXPECT_TRUE(schema.IsValid(Json(R"("é💩")")));
  EXPECT_FALSE(schema.IsValid(Json(R"("💩")")));
}

TEST(SchemaTest, FormatIsAnAnnotationUnlessAsserted) {
  const char* text = R"({"format": "date"})";
  EXPECT_TRUE(MustCompile(text).IsValid(Json(R"("2024-02-30")")));
  CompileOptions options;
  options.assert_format = true;
  Schema asserting = MustCompile(text, options);
  EXPECT_TRUE(asserting.IsValid(Json(R"("2024-02-29")")));
  auto errors = asserting.Validate(Json(R"("2024-02-30")"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].keyword, "format");
  EXPECT_TRUE(asserting.IsValid(Json("12")));  // format applies to strings only
}

TEST(SchemaTest, UnevaluatedPropertiesSeesThroughRefAndAnyOf) {
  Schema schema = MustCompile(R"({
    "$defs": {"base": {"properties": {"id": {"type": "integer"}}}},
    "$ref": "#/$defs/base",
    "anyOf": [{"properties": {"a": true}, "required": ["a"]},
              {"properties": {"b": true}, "required": ["b"]}],
    "unevaluatedProperties": false
  })");
  EXPECT_TRUE(schema.IsValid(Json(R"({"id": 1, "a": 1})")));
  EXPECT_TRUE(schema.IsValid(Json(R"({"id": 1, "a": 1, "b": 2})")));
  auto errors = schema.Validate(Json(R"({"id": 1, "a": 1, "c": 2})"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].instance_location, "/c");
  EXPECT_EQ(errors[0].keyword, "unevaluatedProperties");
}

TEST(SchemaTest, DynamicRefResolvesThroughTheDynamicScope) {
  Schema schema = MustCompile(R"({
    "$id": "https://example.com/strict",
    "$dynamicAnchor": "node",
    "$ref": "tree",
    "unevaluatedProperties": false,
    "$defs": {"tree": {
      "$id": "tree", "$dynamicAnchor": "node", "type": "object",
      "properties": {"data": true, "children": {"type": "array",
                                                "items": {"$dynamicRef": "#node"}}}}}
  })");
  EXPECT_TRUE(schema.IsValid(Json(R"({"children": [{"data": 1}]})")));
  auto errors = schema.Validate(Json(R"({"children": [{"daat": 1}]})"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].instance_location, "/children/0/daat");
}

TEST(SchemaTest, BooleanSchemas) {
  EXPECT_TRUE(MustCompile("true").IsValid(Json("[1]")));
  Schema never = MustCompile("false");
  auto errors = never.Validate(Json("1"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].keyword_location, "");
  EXPECT_EQ(errors[0].keyword, "false");
  EXPECT_EQ(errors[0].instance_location, "");
}

TEST(SchemaTest, SchemaIsCopyableAndOutlivesItsSource) {
  std::optional<Schema> copy;
  {
    json::value source = Json(R"({"properties": {"a": {"const": "x"}}})");
    auto schema = Schema::Compile(source);
    ASSERT_TRUE(schema);
    copy = *schema;
  }
  EXPECT_TRUE(copy->IsValid(Json(R"({"a": "x"})")));
  EXPECT_FALSE(copy->IsValid(Json(R"({"a": "y"})")));
}

}  // namespace
}  // namespace capstan::jsonschema

namespace capstan::jsonschema {
namespace {

TEST(SchemaTest, OlderDialectsKeepTheirArrayAndRefForms) {
  Schema draft7 = MustCompile(R"({
    "$schema": "http://json-schema.org/draft-07/schema#",
    "definitions": {"n": {"type": "integer"}},
    "properties": {
      "pair": {"type": "array", "items": [{"type": "string"}, {"$ref": "#/definitions/n"}],
               "additionalItems": false},
      "ref": {"$ref": "#/definitions/n", "type": "string"}
    },
    "dependencies": {"a": ["b"], "c": {"required": ["d"]}}
  })");
  EXPECT_TRUE(draft7.IsValid(Json(R"({"pair": ["x", 1], "ref": 3})")));
  EXPECT_FALSE(draft7.IsValid(Json(R"({"pair": ["x", "y"]})")));
  EXPECT_FALSE(draft7.IsValid(Json(R"({"pair": ["x", 1, 2]})")));
  EXPECT_FALSE(draft7.IsValid(Json(R"({"a": 1})")));
  EXPECT_FALSE(draft7.IsValid(Json(R"({"c": 1})")));
  EXPECT_TRUE(draft7.IsValid(Json(R"({"a": 1, "b": 2, "c": 3, "d": 4})")));

  Schema draft4 = MustCompile(R"({
    "$schema": "http://json-schema.org/draft-04/schema#",
    "minimum": 0, "exclusiveMinimum": true
  })");
  EXPECT_FALSE(draft4.IsValid(Json("0")));
  EXPECT_TRUE(draft4.IsValid(Json("0.5")));

  // In 2020-12 an array "items" is an invalid schema, and "dependencies" is not a keyword.
  EXPECT_FALSE(Schema::Compile(Json(R"({"items": [{"type": "string"}]})")));
  EXPECT_TRUE(MustCompile(R"({"dependencies": {"a": ["b"]}})").IsValid(Json(R"({"a": 1})")));
}

}  // namespace
}  // namespace capstan::jsonschema
