#include "exposes/mcp/jsonrpc.hpp"

#include <gtest/gtest.h>

namespace capstan::mcp {
namespace {

json::value Parse(std::string_view text) { return *core::ParseJson(text); }

TEST(Classify, Request) {
  json::value v =
      Parse(R"({"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"cursor":"x"}})");
  Message m = Classify(v);
  ASSERT_EQ(m.kind, MessageKind::kRequest);
  EXPECT_EQ(m.method, "tools/list");
  EXPECT_EQ(IdKey(*m.id), "n:7");
  ASSERT_NE(m.params, nullptr);
  EXPECT_EQ(StringField(m.params, "cursor"), "x");
}

TEST(Classify, NotificationAndResponse) {
  json::value n = Parse(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  EXPECT_EQ(Classify(n).kind, MessageKind::kNotification);
  json::value r = Parse(R"({"jsonrpc":"2.0","id":"a","result":{}})");
  Message m = Classify(r);
  EXPECT_EQ(m.kind, MessageKind::kResponse);
  EXPECT_EQ(IdKey(*m.id), "s:a");
  json::value e = Parse(R"({"jsonrpc":"2.0","id":null,"error":{"code":-1,"message":"x"}})");
  EXPECT_EQ(Classify(e).kind, MessageKind::kResponse);
}

TEST(Classify, Invalid) {
  for (const char* text :
       {R"([1])", R"({"id":1,"method":"x"})", R"({"jsonrpc":"1.0","id":1,"method":"x"})",
        R"({"jsonrpc":"2.0","id":null,"method":"x"})", R"({"jsonrpc":"2.0","id":1.5,"method":"x"})",
        R"({"jsonrpc":"2.0","id":1,"method":3})",
        R"({"jsonrpc":"2.0","id":1,"method":"x","params":[1]})", R"({"jsonrpc":"2.0","id":1})"}) {
    json::value v = Parse(text);
    Message m = Classify(v);
    EXPECT_EQ(m.kind, MessageKind::kInvalid) << text;
    EXPECT_FALSE(m.problem.empty()) << text;
  }
}

TEST(Texts, RawMemberIsSplicedVerbatim) {
  json::value id = Parse("3");
  json::object result;
  result["content"] = json::array();
  // Number text and key order of the raw member survive as given.
  EXPECT_EQ(
      ResultTextWithRawMember(id, result, "structuredContent", R"({"b":1.50,"a":[]})"),
      R"({"jsonrpc":"2.0","id":3,"result":{"content":[],"structuredContent":{"b":1.50,"a":[]}}})");
  EXPECT_EQ(ResultTextWithRawMember(id, json::object(), "s", "{}"),
            R"({"jsonrpc":"2.0","id":3,"result":{"s":{}}})");
}

TEST(Texts, ToolResultJsonBodyIsTextAndVerbatimStructuredContent) {
  json::value id = Parse("3");
  json::object result;
  result["resultType"] = "complete";
  // Number text, spacing and key order of the body survive as given in structuredContent; the
  // text is the same bytes, escaped.
  const std::string body = " {\"b\":1.50,\n\"a\":[\"\\u00e9\"]}";
  std::string text = ToolResultTextWithJsonBody(id, result, body);
  EXPECT_EQ(
      text,
      R"({"jsonrpc":"2.0","id":3,"result":{"resultType":"complete","content":[{"type":"text",)"
      R"("text":" {\"b\":1.50,\n\"a\":[\"\\u00e9\"]}"}],"structuredContent": {"b":1.50,)"
      "\n"
      R"("a":["\u00e9"]}}})");
  // It is one JSON text whose content text reads back as the body.
  auto parsed = core::ParseJson(text);
  ASSERT_TRUE(parsed) << parsed.error().message;
  const json::object& r = parsed->at("result").as_object();
  EXPECT_EQ(r.at("content").as_array()[0].at("text").as_string(), body);
  EXPECT_EQ(r.at("structuredContent").at("b").as_double(), 1.5);
  EXPECT_EQ(ToolResultTextWithJsonBody(id, json::object(), "{}"),
            R"({"jsonrpc":"2.0","id":3,"result":{"content":[{"type":"text","text":"{}"}],)"
            R"("structuredContent":{}}})");
}

TEST(Texts, AreCompactJsonRpc) {
  json::value id = Parse("\"r1\"");
  EXPECT_EQ(ResultText(id, Parse(R"({"a":1.0})")),
            R"({"jsonrpc":"2.0","id":"r1","result":{"a":1.0}})");
  json::value data = Parse(R"({"supported":["2025-11-25"]})");
  EXPECT_EQ(
      ErrorText(nullptr, kInvalidRequest, "bad \"x\"", &data),
      R"({"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"bad \"x\"","data":{"supported":["2025-11-25"]}}})");
  json::object params;
  params["level"] = "info";
  EXPECT_EQ(NotificationText("notifications/message", params),
            R"({"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info"}})");
  EXPECT_EQ(RequestText("c1", "ping", json::object()),
            R"({"jsonrpc":"2.0","id":"c1","method":"ping","params":{}})");
}

TEST(Meta, ReadsProgressToken) {
  json::value v = Parse(
      R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":{"progressToken":"p"}}})");
  Message m = Classify(v);
  ASSERT_NE(Meta(m), nullptr);
  EXPECT_TRUE(Meta(m)->contains("progressToken"));
}

}  // namespace
}  // namespace capstan::mcp
