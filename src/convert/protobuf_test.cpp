// Protobuf converter: bodies are encoded by libprotobuf itself (a DynamicMessage filled from
// text format and serialized), so the walk is checked against the library's wire format.
#include <filesystem>
#include <fstream>
#include <string>

#include <google/protobuf/compiler/importer.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "convert/convert.hpp"

namespace capstan::convert {
namespace {

namespace pb = google::protobuf;
using core::ErrorCode;

json::value J(std::string_view text) { return *core::ParseJson(text); }

// The reference engine's test schema (naftiko/framework src/test/resources/schemas/
// test-records.proto).
constexpr std::string_view kRecordsProto = R"(syntax = "proto2";
package test.records;
message RecordsList { repeated Record records = 1; }
message Record {
  required string id = 1;
  required string title = 2;
  required string description = 3;
}
)";

constexpr std::string_view kVesselProto = R"(syntax = "proto3";
package shipyard;
import "google/protobuf/timestamp.proto";
import "flag.proto";
message Vessel {
  string imo = 1;
  int64 tonnage = 2;
  sint32 berths = 3;
  uint64 hull = 4;
  double draft = 5;
  float speed = 6;
  bool active = 7;
  Flag flag = 8;
  repeated string tags = 9;
  map<string, int32> crew = 10;
  bytes photo = 11;
  Vessel tender = 12;
  repeated int32 decks = 13;
  google.protobuf.Timestamp built = 14;
  map<int32, string> berth_names = 15;
}
)";

constexpr std::string_view kFlagProto = R"(syntax = "proto3";
package shipyard;
enum Flag { FLAG_UNSPECIFIED = 0; NO = 1; PA = 2; }
)";

class ProtobufTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("capstan-proto-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    Write("flag.proto", kFlagProto);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, std::string_view text) {
    std::ofstream(dir_ / name) << text;
    return name;
  }

  std::unique_ptr<const Converter> Make(const std::string& file, Limits limits = {}) {
    auto converter = Converter::Create(Format::kProtobuf, file, dir_, limits);
    EXPECT_TRUE(converter) << converter.error().message;
    return converter ? std::move(*converter) : nullptr;
  }

  // The wire bytes of `message_type` (in `file`) written in protobuf text format.
  std::string Encode(const std::string& file, const std::string& message_type,
                     const std::string& text, bool partial = false) {
    pb::compiler::DiskSourceTree tree;
    tree.MapPath("", dir_.string());
    tree.MapPath("", "/usr/include");
    struct : pb::compiler::MultiFileErrorCollector {
      void AddError(const std::string& f, int l, int c, const std::string& m) override {
        ADD_FAILURE() << f << ":" << l << ":" << c << ": " << m;
      }
    } errors;
    pb::compiler::Importer importer(&tree, &errors);
    const pb::FileDescriptor* fd = importer.Import(file);
    if (fd == nullptr) return "";
    const pb::Descriptor* descriptor = importer.pool()->FindMessageTypeByName(message_type);
    EXPECT_NE(descriptor, nullptr) << message_type;
    if (descriptor == nullptr) return "";
    pb::DynamicMessageFactory factory;
    std::unique_ptr<pb::Message> message(factory.GetPrototype(descriptor)->New());
    pb::TextFormat::Parser parser;
    parser.AllowPartialMessage(partial);
    EXPECT_TRUE(parser.ParseFromString(text, message.get())) << text;
    return message->SerializePartialAsString();
  }

  std::filesystem::path dir_;
};

TEST_F(ProtobufTest, TheReferenceRecordsListReadsAsItsJson) {
  const std::string file = Write("records.proto", kRecordsProto);
  const std::string body = Encode(file, "test.records.RecordsList", R"(
      records { id: "r-1" title: "First" description: "one" }
      records { id: "r-2" title: "Second" description: "two" })");
  auto converter = Make(file);
  ASSERT_TRUE(converter);
  auto out = converter->ToJson(body);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, J(R"({"records":[{"id":"r-1","title":"First","description":"one"},
                                   {"id":"r-2","title":"Second","description":"two"}]})"));
  // An empty body is an empty RecordsList (proto's wire format has no header).
  EXPECT_EQ(*converter->ToJson(""), J("{}"));
}

TEST_F(ProtobufTest, EveryFieldKindReadsAsItsJson) {
  const std::string file = Write("vessel.proto", kVesselProto);
  const std::string body = Encode(file, "shipyard.Vessel", R"(
      imo: "IMO-9321483" tonnage: 9007199254740993 berths: -12 hull: 18446744073709551615
      draft: 11.25 speed: 0.5 active: true flag: PA tags: "reefer" tags: "ice-class é"
      crew { key: "deck" value: 7 } photo: "abc"
      tender { imo: "IMO-1" flag: NO }
      decks: 1 decks: 2 decks: 3
      built { seconds: 1700000000 nanos: 5 }
      berth_names { key: 4 value: "aft" })");
  auto converter = Make(file);
  ASSERT_TRUE(converter);
  auto out = converter->ToJson(body);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, J(R"({"imo":"IMO-9321483","tonnage":9007199254740993,"berths":-12,
      "hull":18446744073709551615,"draft":11.25,"speed":0.5,"active":true,"flag":"PA",
      "tags":["reefer","ice-class é"],"crew":{"deck":7},"photo":"YWJj",
      "tender":{"imo":"IMO-1","flag":"NO"},"decks":[1,2,3],
      "built":{"seconds":1700000000,"nanos":5},"berth_names":{"4":"aft"}})"));
  EXPECT_TRUE(out->at("tonnage").is_int64());
  EXPECT_TRUE(out->at("hull").is_uint64());
}

TEST_F(ProtobufTest, AnUnknownEnumNumberStaysANumber) {
  const std::string file = Write("vessel.proto", kVesselProto);
  // Field 8 (flag), varint 9: a value Flag does not name.
  auto out = Make(file)->ToJson(std::string("\x40\x09", 2));
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, J(R"({"flag":9})"));
}

TEST_F(ProtobufTest, MalformedBodiesAreErrors) {
  const std::string file = Write("vessel.proto", kVesselProto);
  auto converter = Make(file);
  ASSERT_TRUE(converter);
  const std::string good = Encode(file, "shipyard.Vessel", R"(imo: "IMO-1" tender { imo: "x" })");
  // The wire format has no framing: a cut between two fields is a valid, shorter message
  // (`imo` alone is the first 7 bytes); every cut inside a field is an error.
  ASSERT_TRUE(converter->ToJson(std::string_view(good).substr(0, 7)));
  for (std::size_t n = 1; n < good.size(); ++n) {
    if (n == 7) continue;
    auto cut = converter->ToJson(std::string_view(good).substr(0, n));
    ASSERT_FALSE(cut) << n;
    EXPECT_EQ(cut.error().code, ErrorCode::kUpstreamError);
    EXPECT_NE(cut.error().message.find("not a valid shipyard.Vessel"), std::string::npos);
  }
  for (std::string bad : {std::string("\xff\xff\xff"),
                          std::string("\x0a\x05"
                                      "ab",
                                      4),
                          std::string("\x07", 1) /* wire type 7 */,
                          std::string("\x0a\x02\xc3\x28", 4) /* proto3 string, not UTF-8 */}) {
    auto out = converter->ToJson(bad);
    ASSERT_FALSE(out) << core::SerializeJson(*out);
    EXPECT_EQ(out.error().code, ErrorCode::kUpstreamError);
  }
  // NaN: field 5 (draft), fixed64 0x7ff8000000000000.
  auto nan = converter->ToJson(std::string("\x29\x00\x00\x00\x00\x00\x00\xf8\x7f", 9));
  ASSERT_FALSE(nan);
  EXPECT_NE(nan.error().message.find("NaN or infinite"), std::string::npos);
}

TEST_F(ProtobufTest, MissingRequiredFieldsAndProto2BadUtf8AreErrors) {
  const std::string file = Write("records.proto", kRecordsProto);
  auto converter = Make(file);
  ASSERT_TRUE(converter);
  auto missing = converter->ToJson(
      Encode(file, "test.records.RecordsList", R"(records { id: "r-1" })", /*partial=*/true));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("lacks required fields"), std::string::npos);
  EXPECT_NE(missing.error().message.find("title"), std::string::npos);
  // records { id: "\xff" title: "" description: "" }: proto2 does not check UTF-8, we do.
  auto bad = converter->ToJson(std::string("\x0a\x07\x0a\x01\xff\x12\x00\x1a\x00", 9));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("not UTF-8"), std::string::npos) << bad.error().message;
}

TEST_F(ProtobufTest, NestingPastTheDepthLimitIsAnError) {
  const std::string file = Write("vessel.proto", kVesselProto);
  Limits limits;
  limits.max_depth = 8;
  auto converter = Make(file, limits);
  ASSERT_TRUE(converter);
  std::string body;  // tender { tender { ... } } 40 deep
  for (int i = 0; i < 40; ++i) body = std::string("\x62") + static_cast<char>(body.size()) + body;
  auto out = converter->ToJson(body);
  ASSERT_FALSE(out);
}

TEST_F(ProtobufTest, SchemaErrorsAreLoadErrorsWithLineAndColumn) {
  auto syntax = Converter::Create(
      Format::kProtobuf, Write("bad.proto", "syntax = \"proto3\";\nmessage M {\n  int32 = 1;\n}\n"),
      dir_);
  ASSERT_FALSE(syntax);
  EXPECT_EQ(syntax.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(syntax.error().message.find("bad.proto:3:"), std::string::npos)
      << syntax.error().message;

  auto import =
      Converter::Create(Format::kProtobuf,
                        Write("imp.proto", "syntax = \"proto3\";\nimport \"nope.proto\";\n"), dir_);
  ASSERT_FALSE(import);
  EXPECT_NE(import.error().message.find("nope.proto"), std::string::npos);

  auto empty = Converter::Create(Format::kProtobuf, Write("none.proto", kFlagProto), dir_);
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message.find("declares no message"), std::string::npos);
}

}  // namespace
}  // namespace capstan::convert
