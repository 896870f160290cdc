#include "mapping/json_path.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/json.hpp"

namespace capstan::mapping {
namespace {

json::value Doc(std::string_view text) {
  auto parsed = core::ParseJson(text);
  EXPECT_TRUE(parsed) << parsed.error().message;
  return parsed ? std::move(*parsed) : json::value();
}

// The selected values as one compact JSON array.
std::string Select(std::string_view query, const json::value& doc) {
  auto path = JsonPath::Parse(query);
  EXPECT_TRUE(path) << query << ": " << path.error().message;
  if (!path) return "<invalid>";
  json::array out;
  for (const json::value* node : path->Evaluate(doc)) out.push_back(*node);
  return core::SerializeJson(out);
}

std::vector<std::string> Paths(std::string_view query, const json::value& doc) {
  std::vector<std::string> out;
  for (const LocatedNode& node : JsonPath::Parse(query)->EvaluateWithPaths(doc)) {
    out.push_back(node.path);
  }
  return out;
}

std::string ParseError(std::string_view query) {
  auto path = JsonPath::Parse(query);
  EXPECT_FALSE(path) << query << " should be rejected";
  return path ? "" : path.error().message;
}

TEST(JsonPathTest, LenientRootWithTrailingDot) {
  json::value doc = Doc(R"({"a":1})");
  auto lenient = JsonPath::ParseLenient("$.");
  ASSERT_TRUE(lenient) << lenient.error().message;
  ASSERT_EQ(lenient->Evaluate(doc).size(), 1u);
  EXPECT_EQ(lenient->Evaluate(doc)[0], &doc);
  EXPECT_TRUE(lenient->IsSingular());
  EXPECT_EQ(lenient->text(), "$.");

  std::string error = ParseError("$.");
  EXPECT_NE(error.find("offset 2"), std::string::npos) << error;
  EXPECT_FALSE(JsonPath::Parse(" $"));
  EXPECT_FALSE(JsonPath::Parse("$.['a']"));
  EXPECT_FALSE(JsonPath::ParseLenient("$.a."));
  EXPECT_FALSE(JsonPath::ParseLenient("$. a"));
  EXPECT_FALSE(JsonPath::ParseLenient("$.."));
  EXPECT_FALSE(JsonPath::ParseLenient(""));
}

TEST(JsonPathTest, LenientTakesDashesInsideShorthandNames) {
  json::value doc = Doc(R"({"get-ship":{"imo-number":"IMO-1","a":2},"get":{"x":1}})");
  auto path = JsonPath::ParseLenient("$.get-ship.imo-number");
  ASSERT_TRUE(path) << path.error().message;
  ASSERT_EQ(path->Evaluate(doc).size(), 1u);
  EXPECT_EQ(path->Evaluate(doc)[0]->as_string(), "IMO-1");
  EXPECT_TRUE(path->IsSingular());
  // Strict RFC 9535 keeps refusing it; a name may not start with '-' even when lenient.
  EXPECT_FALSE(JsonPath::Parse("$.get-ship"));
  EXPECT_FALSE(JsonPath::ParseLenient("$.-a"));
  EXPECT_FALSE(JsonPath::ParseLenient("$.a.-"));
  auto in_filter = JsonPath::ParseLenient("$[?@.get-ship]");
  ASSERT_TRUE(in_filter) << in_filter.error().message;
  EXPECT_EQ(in_filter->Evaluate(Doc(R"([{"get-ship":1},{"get":2}])")).size(), 1u);
}

TEST(JsonPathTest, LenientAcceptsJaywayForms) {
  json::value doc = Doc(R"({"a":{"b":[10,20]}})");
  EXPECT_EQ(JsonPath::ParseLenient("  $. ")->Evaluate(doc).size(), 1u);
  EXPECT_EQ(*JsonPath::ParseLenient("$.['a'].b.[1]")->EvaluateFirst(doc), json::value(20));
  EXPECT_EQ(*JsonPath::ParseLenient("\n$.a.b[0]\n")->EvaluateFirst(doc), json::value(10));
  // Errors still point into the untrimmed text.
  auto error = JsonPath::ParseLenient("  $.a[");
  ASSERT_FALSE(error);
  EXPECT_NE(error.error().message.find("offset 5"), std::string::npos) << error.error().message;
  // An RFC query means the same under both parsers.
  EXPECT_EQ(JsonPath::ParseLenient("$..b[-1]")->Evaluate(doc),
            JsonPath::Parse("$..b[-1]")->Evaluate(doc));
}

TEST(JsonPathTest, ErrorsNameTheOffset) {
  EXPECT_NE(ParseError("$[?@.a==]").find("offset 8"), std::string::npos);
  EXPECT_NE(ParseError("$.a[0").find("offset 3"), std::string::npos);
  EXPECT_NE(ParseError("a.b").find("must start with '$'"), std::string::npos);
  EXPECT_NE(ParseError("$[?@.* == 1]").find("cannot be compared"), std::string::npos);
  EXPECT_NE(ParseError("$[?length(@.*) == 1]").find("ValueType"), std::string::npos);
  EXPECT_NE(ParseError("$[?foo(@)]").find("unknown function"), std::string::npos);
  EXPECT_NE(ParseError("$[?length(@)]").find("compare it"), std::string::npos);
  EXPECT_NE(ParseError("$[?match(@, 'a') == true]").find("cannot be compared"), std::string::npos);
  EXPECT_NE(ParseError("$['\\x']").find("invalid escape"), std::string::npos);
  EXPECT_NE(ParseError("$[01]").find("leading zeros"), std::string::npos);
  EXPECT_NE(ParseError("$[?!@.a == 1]").find("!("), std::string::npos);
  EXPECT_EQ(ParseError("$['a").find("unterminated") != std::string::npos, true);
  EXPECT_FALSE(JsonPath::Parse("$[\"\xC3\x28\"]"));  // invalid UTF-8
  EXPECT_FALSE(JsonPath::Parse("$['\x01']"));        // raw control character
  EXPECT_FALSE(JsonPath::Parse("$['\\uD800']"));     // lone surrogate
  EXPECT_EQ(Select("$['\\uD83D\\uDE00']", Doc("{\"\xF0\x9F\x98\x80\":1}")), "[1]");
}

TEST(JsonPathTest, IntegersMustBeIJson) {
  json::value doc = Doc("[0,1,2]");
  EXPECT_EQ(Select("$[9007199254740991]", doc), "[]");
  EXPECT_EQ(Select("$[-9007199254740991]", doc), "[]");
  EXPECT_FALSE(JsonPath::Parse("$[9007199254740992]"));
  EXPECT_FALSE(JsonPath::Parse("$[-9007199254740992]"));
  EXPECT_FALSE(JsonPath::Parse("$[99999999999999999999999999]"));
  EXPECT_FALSE(JsonPath::Parse("$[::9007199254740992]"));
  EXPECT_FALSE(JsonPath::Parse("$[-0]"));
  EXPECT_EQ(Select("$[-9007199254740991:9007199254740991:9007199254740991]", doc), "[0]");
  EXPECT_EQ(Select("$[9007199254740991:-9007199254740991:-9007199254740991]", doc), "[2]");
  EXPECT_EQ(Select("$[::-9007199254740991]", doc), "[2]");
}

TEST(JsonPathTest, Slices) {
  json::value doc = Doc("[0,1,2,3,4,5,6,7,8,9]");
  EXPECT_EQ(Select("$[1:3]", doc), "[1,2]");
  EXPECT_EQ(Select("$[::-1]", doc), "[9,8,7,6,5,4,3,2,1,0]");
  EXPECT_EQ(Select("$[5:1:-2]", doc), "[5,3]");
  EXPECT_EQ(Select("$[-3:]", doc), "[7,8,9]");
  EXPECT_EQ(Select("$[:-8]", doc), "[0,1]");
  EXPECT_EQ(Select("$[::0]", doc), "[]");
  EXPECT_EQ(Select("$[-100:100:3]", doc), "[0,3,6,9]");
  EXPECT_EQ(Select("$[100:-100:-4]", doc), "[9,5,1]");
  EXPECT_EQ(Select("$[0:2,5]", doc), "[0,1,5]");
  EXPECT_EQ(Select("$[1:2]", Doc(R"({"1":1})")), "[]");
}

TEST(JsonPathTest, NumbersCompareExactlyAcrossRepresentations) {
  json::value doc = Doc(R"([{"a":1},{"a":1.0},{"a":1.5},{"a":9007199254740993},
                            {"a":18446744073709551615},{"a":-1},{"a":"1"}])");
  EXPECT_EQ(Select("$[?@.a==1].a", doc), "[1,1.0]");
  EXPECT_EQ(Select("$[?@.a==1.0].a", doc), "[1,1.0]");
  EXPECT_EQ(Select("$[?@.a==10e-1].a", doc), "[1,1.0]");
  EXPECT_EQ(Select("$[?@.a>1 && @.a<2].a", doc), "[1.5]");
  // 2^53+1 is not the double 2^53.
  EXPECT_EQ(Select("$[?@.a==9007199254740992.0].a", doc), "[]");
  EXPECT_EQ(Select("$[?@.a==9007199254740993].a", doc), "[9007199254740993]");
  EXPECT_EQ(Select("$[?@.a>9007199254740992.0].a", doc), "[9007199254740993,18446744073709551615]");
  EXPECT_EQ(Select("$[?@.a > 1e300].a", doc), "[]");
  EXPECT_EQ(Select("$[?@.a < -1e999].a", doc), "[]");
  EXPECT_EQ(Select("$[?@.a > -1e999 && @.a < 0].a", doc), "[-1]");
  EXPECT_EQ(Select("$[?@.a == -0].a", Doc(R"([{"a":0},{"a":-0.0},{"a":0.0}])")), "[0,-0.0,0.0]");
}

TEST(JsonPathTest, NothingAndTypeMismatches) {
  json::value doc = Doc(R"([{"a":1},{"b":2},{"a":"x","b":"y"},{"a":null},{"a":[1,{"k":true}]}])");
  // A missing member is Nothing: equal to Nothing only, never ordered.
  EXPECT_EQ(Select("$[?@.a == @.c]", doc), R"([{"b":2}])");
  EXPECT_EQ(Select("$[?@.a <= @.c]", doc), R"([{"b":2}])");
  EXPECT_EQ(Select("$[?@.a < @.c]", doc), "[]");
  EXPECT_EQ(Select("$[?@.a != @.c].a", doc), R"([1,"x",null,[1,{"k":true}]])");
  // Different types are unequal and unordered.
  EXPECT_EQ(Select("$[?@.a < 'z'].a", doc), R"(["x"])");
  EXPECT_EQ(Select("$[?@.a == null].a", doc), "[null]");
  EXPECT_EQ(Select("$[?@.a > null]", doc), "[]");
  // Structured values compare deeply; objects ignore member order.
  EXPECT_EQ(Select("$[?@.a == $[4].a].a", doc), R"([[1,{"k":true}]])");
  EXPECT_EQ(Select("$[?@.x == $[1].x]", Doc(R"([{"x":{"p":1,"q":[1.0]}},{"x":{"q":[1],"p":1}}])")),
            R"([{"x":{"p":1,"q":[1.0]}},{"x":{"q":[1],"p":1}}])");
  // Existence tests: a null member exists.
  EXPECT_EQ(Select("$[?@.a].a", doc), R"([1,"x",null,[1,{"k":true}]])");
  EXPECT_EQ(Select("$[?!@.a]", doc), R"([{"b":2}])");
}

TEST(JsonPathTest, Functions) {
  json::value doc = Doc(R"({"items":[{"n":"\u0416\ud800\udd01"},{"n":[1,2,3]},{"n":{"a":1}},
                            {"n":5},{"n":"abc"}],"re":"a.c","bad":"a(","tags":["x","y"]})");
  EXPECT_EQ(Select("$.items[?length(@.n) == 2].n", doc), "[\"\xD0\x96\xF0\x90\x84\x81\"]");
  EXPECT_EQ(Select("$.items[?length(@.n) == 3].n", doc), R"([[1,2,3],"abc"])");
  EXPECT_EQ(Select("$.items[?length(@.n) == 1].n", doc), R"([{"a":1}])");
  EXPECT_EQ(Select("$[?count(@.*) == 2]", doc), R"([["x","y"]])");
  EXPECT_EQ(Select("$.items[?match(@.n, $.re)].n", doc), R"(["abc"])");
  EXPECT_EQ(Select("$.items[?search(@.n, 'b')].n", doc), R"(["abc"])");
  EXPECT_EQ(Select("$.items[?match(@.n, $.bad)]", doc), "[]");  // not an I-Regexp: false
  EXPECT_EQ(Select("$.items[?!match(@.n, 'a(')].n", doc).size() > 2, true);
  EXPECT_EQ(Select("$[?value(@..x) == 1]", Doc(R"([{"a":{"x":1}},{"x":1,"b":{"x":1}}])")),
            R"([{"a":{"x":1}}])");
  EXPECT_EQ(Select("$[?length(value(@.*)) == 2]", Doc(R"([{"s":"ab"},["cd","e"]])")),
            R"([{"s":"ab"}])");
  EXPECT_EQ(Select("$[?count(@..*) > 2 || length(@) == 0]", Doc(R"([[],[1],[[1,2]]])")),
            "[[],[[1,2]]]");
}

TEST(JsonPathTest, DescendantOrderAndNormalizedPaths) {
  json::value doc = Doc(R"({"a":{"id":1,"b":[{"id":2},{"id":3}]},"id":4,"it's":{"id":5}})");
  EXPECT_EQ(Select("$..id", doc), "[4,1,2,3,5]");
  EXPECT_EQ(Paths("$..id", doc),
            (std::vector<std::string>{"$['id']", "$['a']['id']", "$['a']['b'][0]['id']",
                                      "$['a']['b'][1]['id']", "$['it\\'s']['id']"}));
  EXPECT_EQ(Paths("$", doc), std::vector<std::string>{"$"});
  json::value odd = Doc(R"({"\u0001\n\\\u001f\u007f":1})");
  EXPECT_EQ(Paths("$.*", odd), std::vector<std::string>{"$['\\u0001\\n\\\\\\u001f\x7f']"});
  // Each normalized path is a singular query selecting exactly that node.
  for (const LocatedNode& node : JsonPath::Parse("$..*")->EvaluateWithPaths(doc)) {
    auto again = JsonPath::Parse(node.path);
    ASSERT_TRUE(again) << node.path;
    EXPECT_TRUE(again->IsSingular());
    EXPECT_EQ(again->EvaluateFirst(doc), node.value) << node.path;
  }
  EXPECT_EQ(Select("$['a','a'].id", doc), "[1,1]");
}

TEST(JsonPathTest, IsSingular) {
  EXPECT_TRUE(JsonPath::Parse("$")->IsSingular());
  EXPECT_TRUE(JsonPath::Parse("$.a[0]['b'][-1]")->IsSingular());
  EXPECT_FALSE(JsonPath::Parse("$.a[*]")->IsSingular());
  EXPECT_FALSE(JsonPath::Parse("$..a")->IsSingular());
  EXPECT_FALSE(JsonPath::Parse("$['a','b']")->IsSingular());
  EXPECT_FALSE(JsonPath::Parse("$[0:1]")->IsSingular());
  EXPECT_FALSE(JsonPath::Parse("$[?@]")->IsSingular());
}

TEST(JsonPathTest, ResultsPointIntoTheDocument) {
  json::value doc = Doc(R"({"jwts":[{"jti":"a"},{"jti":"b"}]})");
  auto path = JsonPath::Parse("$.jwts[*].jti");
  ASSERT_TRUE(path);
  JsonPath::NodeList nodes = path->Evaluate(doc);
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0], &doc.at("jwts").at(0).at("jti"));
  EXPECT_EQ(nodes[1], &doc.at("jwts").at(1).at("jti"));
  EXPECT_EQ(path->EvaluateFirst(doc), nodes[0]);
  EXPECT_EQ(JsonPath::Parse("$.none")->EvaluateFirst(doc), nullptr);
  JsonPath copy = *path;  // copies share the compiled query
  EXPECT_EQ(copy.Evaluate(doc), nodes);
}

TEST(JsonPathTest, LargeDocuments) {
  json::array items;
  for (int i = 0; i < 20000; ++i) {
    json::object item;
    item["id"] = i;
    std::string name = std::to_string(i);
    name.insert(name.begin(), 'n');
    item["name"] = name;
    item["tags"] = json::array{i % 2 == 0 ? "even" : "odd", "t"};
    items.push_back(std::move(item));
  }
  json::value doc = json::object{{"items", std::move(items)}};
  EXPECT_EQ(JsonPath::Parse("$.items[*].id")->Evaluate(doc).size(), 20000u);
  EXPECT_EQ(JsonPath::Parse("$..id")->Evaluate(doc).size(), 20000u);
  EXPECT_EQ(Select("$.items[?@.id >= 19998].name", doc), R"(["n19998","n19999"])");
  EXPECT_EQ(JsonPath::Parse("$.items[?@.tags[0] == 'even']")->Evaluate(doc).size(), 10000u);
  EXPECT_EQ(JsonPath::Parse("$.items[-1].id")->Evaluate(doc)[0]->as_int64(), 19999);

  // Deep nesting (within the parser's default depth limit).
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += R"({"x":)";
  deep += "1";
  deep += std::string(200, '}');
  json::value nested = Doc(deep);
  EXPECT_EQ(JsonPath::Parse("$..x")->Evaluate(nested).size(), 200u);
}

TEST(JsonPathTest, BoundedEvaluationStopsRunawayQueries) {
  json::array leaf{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  json::array middle;
  for (int i = 0; i < 10; ++i) middle.push_back(leaf);
  json::array top;
  for (int i = 0; i < 10; ++i) top.push_back(middle);
  json::value doc = top;
  auto path = JsonPath::Parse("$[*,*,*,*][*,*,*,*][*,*,*,*]..*");
  ASSERT_TRUE(path);
  auto bounded = path->EvaluateBounded(doc, 100000);
  ASSERT_FALSE(bounded);
  EXPECT_EQ(bounded.error().code, core::ErrorCode::kPayloadTooLarge);
  auto filter = JsonPath::Parse("$[?count(@..*..*..*) > 0]");
  EXPECT_FALSE(filter->EvaluateBounded(doc, 1000));
  auto small = JsonPath::Parse("$[0][*]")->EvaluateBounded(doc, 1000);
  ASSERT_TRUE(small);
  EXPECT_EQ(small->size(), 10u);
}

TEST(JsonPathTest, ExpressionNestingIsLimited) {
  std::string deep = "$[?" + std::string(500, '(') + "@" + std::string(500, ')') + "]";
  EXPECT_NE(ParseError(deep).find("nested too deeply"), std::string::npos);
  std::string calls = "$[?";
  for (int i = 0; i < 300; ++i) calls += "length(value(";
  calls += "@";
  for (int i = 0; i < 300; ++i) calls += "))";
  calls += "==1]";
  EXPECT_FALSE(JsonPath::Parse(calls));
  std::string filters = "$";
  for (int i = 0; i < 300; ++i) filters += "[?@";
  filters += std::string(300, ']');
  EXPECT_FALSE(JsonPath::Parse(filters));
  std::string ok = "$[?" + std::string(20, '(') + "@" + std::string(20, ')') + "]";
  EXPECT_TRUE(JsonPath::Parse(ok));
}

}  // namespace
}  // namespace capstan::mapping
