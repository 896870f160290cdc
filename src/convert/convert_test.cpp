#include "convert/convert.hpp"

#include <string>

#include <gtest/gtest.h>

namespace capstan::convert {
namespace {

using core::ErrorCode;

json::value Convert(Format format, std::string_view body, std::string_view schema = "",
                    Limits limits = {}) {
  auto converter = Converter::Create(format, schema, "", limits);
  EXPECT_TRUE(converter) << converter.error().message;
  auto out = (*converter)->ToJson(body);
  EXPECT_TRUE(out) << out.error().message;
  return out ? *out : json::value();
}

core::Error ConvertError(Format format, std::string_view body, std::string_view schema = "",
                         Limits limits = {}) {
  auto converter = Converter::Create(format, schema, "", limits);
  EXPECT_TRUE(converter) << converter.error().message;
  auto out = (*converter)->ToJson(body);
  EXPECT_FALSE(out) << core::SerializeJson(*out);
  return out ? core::Error{} : out.error();
}

json::value J(std::string_view text) { return *core::ParseJson(text); }

// ---- XML ------------------------------------------------------------------------------------

TEST(XmlTest, RootDroppedRepeatedElementsBecomeAnArray) {
  // The tutorial's legacy Dockyard answer (shared/naftiko/mock-apis, list-legacy-vessels).
  EXPECT_EQ(Convert(Format::kXml, R"(<?xml version="1.0"?>
<vessels>
  <vessel><vesselCode>LEGACY-4012</vesselCode><name>Old Faithful</name></vessel>
  <vessel><vesselCode>LEGACY-2087</vesselCode><name>Iron Maiden</name></vessel>
</vessels>)"),
            J(R"({"vessel":[{"vesselCode":"LEGACY-4012","name":"Old Faithful"},
                            {"vesselCode":"LEGACY-2087","name":"Iron Maiden"}]})"));
}

TEST(XmlTest, ASingleChildStaysAnObject) {
  EXPECT_EQ(Convert(Format::kXml, "<v><vessel><name>A</name></vessel></v>"),
            J(R"({"vessel":{"name":"A"}})"));
}

TEST(XmlTest, AttributesAreMembersAndMixedTextIsTheEmptyKey) {
  EXPECT_EQ(Convert(Format::kXml, R"(<r id="7"><p unit="kg">42</p><q/><s></s></r>)"),
            J(R"({"id":"7","p":{"unit":"kg","":"42"},"q":"","s":""})"));
}

TEST(XmlTest, NumbersStayStringsAndEntitiesAndCdataAreText) {
  EXPECT_EQ(
      Convert(Format::kXml, "<r><n>1.50</n><t>a &amp; b &#x41;</t><c><![CDATA[<x>]]></c></r>"),
      J(R"({"n":"1.50","t":"a & b A","c":"<x>"})"));
}

TEST(XmlTest, NamespacesAreDroppedToLocalNames) {
  EXPECT_EQ(Convert(Format::kXml, R"(<a:r xmlns:a="urn:x"><a:n>1</a:n></a:r>)"), J(R"({"n":"1"})"));
}

TEST(XmlTest, EmptyRootIsAnEmptyObject) {
  EXPECT_EQ(Convert(Format::kXml, "<r/>"), J("{}"));
  EXPECT_EQ(Convert(Format::kXml, "<r>text</r>"), J(R"("text")"));
}

TEST(XmlTest, MalformedDocumentsAreErrorsWithTheParsersMessage) {
  for (std::string_view bad : {"", "<r>", "<r></s>", "not xml", "<r><a></r>", "<r/><r/>",
                               "<r a='1' a='2'/>", "<r>\x80</r>"}) {
    core::Error e = ConvertError(Format::kXml, bad);
    EXPECT_EQ(e.code, ErrorCode::kUpstreamError) << bad;
    EXPECT_EQ(e.message.rfind("xml: ", 0), 0u) << e.message;
  }
}

TEST(XmlTest, ExternalEntitiesAreNeverRead) {
  core::Error e = ConvertError(Format::kXml, R"(<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>)");
  EXPECT_EQ(e.message.find("root:"), std::string::npos);
  EXPECT_NE(e.message.find("entity"), std::string::npos) << e.message;
}

TEST(XmlTest, EntityExpansionBombFails) {
  std::string bomb = R"(<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">)";
  for (char c = 'b'; c <= 'j'; ++c) {
    bomb += std::string("<!ENTITY ") + c + " \"";
    for (int i = 0; i < 10; ++i) bomb += std::string("&") + static_cast<char>(c - 1) + ";";
    bomb += "\">";
  }
  bomb += "]><r>&j;</r>";
  EXPECT_FALSE((*Converter::Create(Format::kXml, "", ""))->ToJson(bomb));
}

TEST(XmlTest, LimitsHold) {
  std::string deep;
  for (int i = 0; i < 50; ++i) deep += "<a>";
  for (int i = 0; i < 50; ++i) deep += "</a>";
  EXPECT_EQ(ConvertError(Format::kXml, deep, "", {.max_depth = 10}).code,
            ErrorCode::kPayloadTooLarge);
  EXPECT_EQ(ConvertError(Format::kXml, "<r><a/><a/><a/></r>", "", {.max_nodes = 3}).code,
            ErrorCode::kPayloadTooLarge);
  EXPECT_EQ(ConvertError(Format::kXml, "<r/>", "", {.max_input_bytes = 3}).code,
            ErrorCode::kPayloadTooLarge);
}

// ---- CSV, TSV, PSV --------------------------------------------------------------------------

TEST(DelimitedTest, RowsBecomeObjectsOfStrings) {
  EXPECT_EQ(Convert(Format::kCsv,
                    "imo,name,tonnage\r\nIMO-1,\"Star, North\",42000\n"
                    "IMO-2,\"Say \"\"hi\"\"\",7\n"),
            J(R"([{"imo":"IMO-1","name":"Star, North","tonnage":"42000"},
                  {"imo":"IMO-2","name":"Say \"hi\"","tonnage":"7"}])"));
  EXPECT_EQ(Convert(Format::kTsv, "a\tb\n 1 \t2\n"), J(R"([{"a":" 1 ","b":"2"}])"));
  EXPECT_EQ(Convert(Format::kPsv, "a|b\n1|2\n"), J(R"([{"a":"1","b":"2"}])"));
}

TEST(DelimitedTest, QuotedNewlinesBomEmptyLinesAndShortRows) {
  EXPECT_EQ(Convert(Format::kCsv, "\xEF\xBB\xBFh1,h2\n\n\"line\nbreak\",x\n\nonly\n"),
            J(R"([{"h1":"line\nbreak","h2":"x"},{"h1":"only"}])"));
  EXPECT_EQ(Convert(Format::kCsv, "h\n"), J("[]"));
  EXPECT_EQ(Convert(Format::kCsv, ""), J("[]"));
}

TEST(DelimitedTest, MalformedInputIsAnError) {
  EXPECT_EQ(ConvertError(Format::kCsv, "a,b\n1,2,3\n").code, ErrorCode::kUpstreamError);
  EXPECT_EQ(ConvertError(Format::kCsv, "a\n\"open\n").code, ErrorCode::kUpstreamError);
  EXPECT_EQ(ConvertError(Format::kCsv, "a\n\"x\"y\n").code, ErrorCode::kUpstreamError);
  EXPECT_NE(ConvertError(Format::kPsv, "a\n\xdc-\n").message.find("not UTF-8"), std::string::npos);
  EXPECT_EQ(ConvertError(Format::kCsv, "a\n1\n2\n3\n", "", {.max_nodes = 4}).code,
            ErrorCode::kPayloadTooLarge);
}

// ---- YAML -----------------------------------------------------------------------------------

TEST(YamlTest, ScalarsAreTypedByTheCoreSchema) {
  EXPECT_EQ(
      Convert(Format::kYaml,
              "ships:\n  - imo: IMO-1\n    tonnage: 42000\n    active: true\n"
              "    note: '7'\n    gone: null\n"),
      J(R"({"ships":[{"imo":"IMO-1","tonnage":42000,"active":true,"note":"7","gone":null}]})"));
}

TEST(YamlTest, MalformedAndBombsAreErrors) {
  EXPECT_EQ(ConvertError(Format::kYaml, "a: [1, 2\n").code, ErrorCode::kUpstreamError);
  EXPECT_EQ(ConvertError(Format::kYaml, "a: 1\na: 2\n").code, ErrorCode::kUpstreamError);
  for (std::string_view not_json : {"a: .inf\n", "[.nan]\n", "b: 50e40000000\n"}) {
    EXPECT_NE(ConvertError(Format::kYaml, not_json).message.find("JSON cannot hold"),
              std::string::npos);
  }
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'i'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", *" : "*") + static_cast<char>(c - 1);
    bomb += "]\n";
  }
  EXPECT_FALSE((*Converter::Create(Format::kYaml, "", ""))->ToJson(bomb));
}

// ---- HTML -----------------------------------------------------------------------------------

constexpr std::string_view kPage = R"(<html><body>
<table id="fleet" class="data"><thead><tr><th>IMO</th><th> Name </th></tr></thead>
<tbody><tr><td>IMO-1</td><td>Northern
  <b>Star</b></td></tr><tr><td>IMO-2</td></tr></tbody></table>
<div class="other"><table><tr><th>K</th></tr><tr><td>v</td></tr>
  <tr><td><table><tr><th>inner</th></tr><tr><td>i</td></tr></table></td></tr></table></div>
<table><tr><td>no header</td></tr></table>
</body></html>)";

TEST(HtmlTest, EveryTableWithHeadersWithoutASelector) {
  EXPECT_EQ(Convert(Format::kHtml, kPage),
            J(R"({"tables":[[{"IMO":"IMO-1","Name":"Northern Star"},{"IMO":"IMO-2","Name":""}],
                             [{"K":"v"},{"K":"inner i"}],
                             [{"inner":"i"}]]})"));
}

TEST(HtmlTest, SelectorsChooseTablesOrTheirContainers) {
  EXPECT_EQ(Convert(Format::kHtml, kPage, "table#fleet").at("tables").as_array().size(), 1u);
  EXPECT_EQ(Convert(Format::kHtml, kPage, ".data").at("tables").as_array().size(), 1u);
  EXPECT_EQ(Convert(Format::kHtml, kPage, "div.other").at("tables").as_array().size(), 2u);
  EXPECT_EQ(Convert(Format::kHtml, kPage, "body > div > table").at("tables").as_array().size(), 1u);
  EXPECT_EQ(Convert(Format::kHtml, kPage, "[id=fleet], div table").at("tables").as_array().size(),
            3u);
  EXPECT_EQ(Convert(Format::kHtml, kPage, "section").at("tables").as_array().size(), 0u);
}

TEST(HtmlTest, UnsupportedSelectorsFailAtLoad) {
  for (std::string_view bad : {"tr:first-child", "a + b", "a ~ b", "[x", "#", "a,", "::x"}) {
    auto converter = Converter::Create(Format::kHtml, bad, "");
    ASSERT_FALSE(converter) << bad;
    EXPECT_EQ(converter.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(HtmlTest, DeepNestingIsRefusedBeforeParsing) {
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "<div>";
  EXPECT_EQ(ConvertError(Format::kHtml, deep).code, ErrorCode::kPayloadTooLarge);
  // Broken markup is still HTML: the parser recovers, as browsers do.
  EXPECT_EQ(Convert(Format::kHtml, "<table><tr><th>a<tr><td>1"), J(R"({"tables":[[{"a":"1"}]]})"));
}

// ---- Markdown -------------------------------------------------------------------------------

constexpr std::string_view kDoc =
    "---\r\ntitle: Fleet\r\nyear: 2026\r\n---\r\n# Ships\r\nThe *fleet* has `3` ships.\r\n"
    "Second line.\r\n\r\n| IMO | Name |\r\n|-----|------|\r\n| IMO-1 | Star |\r\n| IMO-2 |\r\n\r\n"
    "## Ships at sea\r\n- one\r\n- two\r\n\r\n```\r\ncode\r\n```\r\n# Crew\r\nNone.\r\n";

TEST(MarkdownTest, FrontMatterTablesAndSections) {
  EXPECT_EQ(Convert(Format::kMarkdown, kDoc), J(R"({
    "frontMatter": {"title": "Fleet", "year": 2026},
    "tables": [[{"IMO": "IMO-1", "Name": "Star"}, {"IMO": "IMO-2", "Name": ""}]],
    "sections": [
      {"heading": "Ships", "level": 1, "content": "The fleet has 3 ships. Second line."},
      {"heading": "Ships at sea", "level": 2, "content": "onetwo"},
      {"heading": "Crew", "level": 1, "content": "None."}]})"));
}

TEST(MarkdownTest, TheHeadingPrefixFiltersSections) {
  json::value out = Convert(Format::kMarkdown, kDoc, "Ships");
  EXPECT_EQ(out.at("sections").as_array().size(), 2u);
  EXPECT_EQ(Convert(Format::kMarkdown, "no front matter"),
            J(R"({"frontMatter":{},"tables":[],"sections":[]})"));
}

TEST(HtmlTest, IllFormedUtf8ReadsAsReplacementCharacters) {
  EXPECT_EQ(Convert(Format::kHtml, "<table><tr><th>a</th></tr><tr><td>x\xffy</td></tr></table>"),
            J(R"({"tables":[[{"a":"x\ufffdy"}]]})"));
}

TEST(MarkdownTest, BadFrontMatterIsAnError) {
  EXPECT_EQ(ConvertError(Format::kMarkdown, "---\na: [1\n---\n# x\n").code,
            ErrorCode::kUpstreamError);
}

// ---- creation -------------------------------------------------------------------------------

TEST(ConverterTest, BinaryFormatsNeedASchemaFile) {
  for (Format f : {Format::kAvro, Format::kProtobuf}) {
    auto none = Converter::Create(f, "", "");
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().message.find("outputSchema"), std::string::npos);
    auto missing = Converter::Create(f, "no/such/file", "/tmp");
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("not found"), std::string::npos);
  }
}

TEST(ConverterTest, JsonIsParsedWithLimits) {
  EXPECT_EQ(Convert(Format::kJson, R"({"a":[1,2.5]})"), J(R"({"a":[1,2.5]})"));
  EXPECT_EQ(ConvertError(Format::kJson, "{").code, ErrorCode::kUpstreamError);
}

}  // namespace
}  // namespace capstan::convert
