// Avro converter: data is written by Apache Avro C's own encoder (avro_value_write), so the
// decoder is checked against the library, not against bytes made up here.
#include <filesystem>
#include <fstream>
#include <string>

#include <avro.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "convert/convert.hpp"

namespace capstan::convert {
namespace {

using core::ErrorCode;

json::value J(std::string_view text) { return *core::ParseJson(text); }

// The reference engine's test schema (naftiko/framework src/test/resources/schemas/
// test-records.avsc), and a second one with every Avro type, a recursive link included.
constexpr std::string_view kRecordsSchema = R"({"type":"record","namespace":"io.naftiko.test",
 "name":"RecordsList","fields":[{"name":"records","type":{"type":"array","items":{
 "type":"record","name":"Record","fields":[{"name":"id","type":"string"},
 {"name":"title","type":"string"},{"name":"description","type":["null","string"],
 "default":null}]}}}]})";

constexpr std::string_view kVesselSchema = R"({"type":"record","name":"Vessel","fields":[
 {"name":"imo","type":"string"},{"name":"tonnage","type":"long"},{"name":"berths","type":"int"},
 {"name":"draft","type":"double"},{"name":"speed","type":"float"},
 {"name":"active","type":"boolean"},{"name":"nothing","type":"null"},
 {"name":"flag","type":{"type":"enum","name":"Flag","symbols":["NO","PA","LR"]}},
 {"name":"tags","type":{"type":"array","items":"string"}},
 {"name":"crew","type":{"type":"map","values":"int"}},
 {"name":"hash","type":{"type":"fixed","name":"Hash","size":4}},
 {"name":"photo","type":"bytes"},
 {"name":"tender","type":["null","Vessel"]}]})";

class AvroTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("capstan-avro-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, std::string_view text) {
    std::ofstream(dir_ / name) << text;
    return name;
  }

  std::unique_ptr<const Converter> Make(std::string_view schema_text, Limits limits = {}) {
    auto converter = Converter::Create(Format::kAvro, Write("s.avsc", schema_text), dir_, limits);
    EXPECT_TRUE(converter) << converter.error().message;
    return converter ? std::move(*converter) : nullptr;
  }

  // Fills a value of `schema_text` with `fill` and returns avro-c's binary encoding of it.
  template <typename Fill>
  std::string Encode(std::string_view schema_text, Fill fill) {
    avro_schema_t schema = nullptr;
    EXPECT_EQ(avro_schema_from_json_length(schema_text.data(), schema_text.size(), &schema), 0)
        << avro_strerror();
    avro_value_iface_t* iface = avro_generic_class_from_schema(schema);
    avro_value_t value;
    EXPECT_EQ(avro_generic_value_new(iface, &value), 0);
    fill(value);
    std::string buffer(1 << 16, '\0');
    avro_writer_t writer = avro_writer_memory(buffer.data(), static_cast<int64_t>(buffer.size()));
    EXPECT_EQ(avro_value_write(writer, &value), 0) << avro_strerror();
    buffer.resize(static_cast<std::size_t>(avro_writer_tell(writer)));
    avro_writer_free(writer);
    avro_value_decref(&value);
    avro_value_iface_decref(iface);
    avro_schema_decref(schema);
    return buffer;
  }

  static void SetString(avro_value_t& record, const char* field, const char* text) {
    avro_value_t child;
    ASSERT_EQ(avro_value_get_by_name(&record, field, &child, nullptr), 0);
    ASSERT_EQ(avro_value_set_string(&child, text), 0);
  }

  std::filesystem::path dir_;
};

TEST_F(AvroTest, TheReferenceRecordsListReadsAsItsJson) {
  const std::string body = Encode(kRecordsSchema, [](avro_value_t& root) {
    avro_value_t records, record, description, branch;
    ASSERT_EQ(avro_value_get_by_name(&root, "records", &records, nullptr), 0);
    for (int i = 0; i < 2; ++i) {
      ASSERT_EQ(avro_value_append(&records, &record, nullptr), 0);
      SetString(record, "id", i == 0 ? "r-1" : "r-2");
      SetString(record, "title", i == 0 ? "First" : "Second");
      ASSERT_EQ(avro_value_get_by_name(&record, "description", &description, nullptr), 0);
      ASSERT_EQ(avro_value_set_branch(&description, i == 0 ? 1 : 0, &branch), 0);
      if (i == 0) {
        ASSERT_EQ(avro_value_set_string(&branch, "has one"), 0);
      } else {
        ASSERT_EQ(avro_value_set_null(&branch), 0);
      }
    }
  });
  auto converter = Make(kRecordsSchema);
  ASSERT_TRUE(converter);
  auto out = converter->ToJson(body);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, J(R"({"records":[
      {"id":"r-1","title":"First","description":"has one"},
      {"id":"r-2","title":"Second","description":null}]})"));
}

TEST_F(AvroTest, EveryTypeReadsAsItsJsonAndALinkRecurses) {
  const std::string body = Encode(kVesselSchema, [](avro_value_t& v) {
    avro_value_t f, item, branch;
    SetString(v, "imo", "IMO-9321483");
    avro_value_get_by_name(&v, "tonnage", &f, nullptr);
    avro_value_set_long(&f, 9007199254740993LL);  // not exact as a double: must stay an integer
    avro_value_get_by_name(&v, "berths", &f, nullptr);
    avro_value_set_int(&f, -12);
    avro_value_get_by_name(&v, "draft", &f, nullptr);
    avro_value_set_double(&f, 11.25);
    avro_value_get_by_name(&v, "speed", &f, nullptr);
    avro_value_set_float(&f, 0.5f);
    avro_value_get_by_name(&v, "active", &f, nullptr);
    avro_value_set_boolean(&f, 1);
    avro_value_get_by_name(&v, "nothing", &f, nullptr);
    avro_value_set_null(&f);
    avro_value_get_by_name(&v, "flag", &f, nullptr);
    avro_value_set_enum(&f, 2);
    avro_value_get_by_name(&v, "tags", &f, nullptr);
    for (const char* tag : {"reefer", "ice-class \xC3\xA9"}) {
      avro_value_append(&f, &item, nullptr);
      avro_value_set_string(&item, tag);
    }
    avro_value_get_by_name(&v, "crew", &f, nullptr);
    avro_value_add(&f, "deck", &item, nullptr, nullptr);
    avro_value_set_int(&item, 7);
    avro_value_get_by_name(&v, "hash", &f, nullptr);
    char hash[4] = {'\x00', '\x01', '\xfe', '\xff'};
    avro_value_set_fixed(&f, hash, 4);
    avro_value_get_by_name(&v, "photo", &f, nullptr);
    char photo[3] = {'a', 'b', 'c'};
    avro_value_set_bytes(&f, photo, 3);
    avro_value_get_by_name(&v, "tender", &f, nullptr);
    avro_value_set_branch(&f, 1, &branch);
    SetString(branch, "imo", "IMO-1");
    avro_value_get_by_name(&branch, "flag", &item, nullptr);
    avro_value_set_enum(&item, 0);
    avro_value_t inner;
    avro_value_get_by_name(&branch, "hash", &item, nullptr);
    avro_value_set_fixed(&item, hash, 4);
    avro_value_get_by_name(&branch, "photo", &item, nullptr);
    avro_value_set_bytes(&item, photo, 0);  // avro-c cannot write bytes never set
    avro_value_get_by_name(&branch, "tender", &item, nullptr);
    avro_value_set_branch(&item, 0, &inner);
    avro_value_set_null(&inner);
  });
  auto converter = Make(kVesselSchema);
  ASSERT_TRUE(converter);
  auto out = converter->ToJson(body);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, J(R"({"imo":"IMO-9321483","tonnage":9007199254740993,"berths":-12,
      "draft":11.25,"speed":0.5,"active":true,"nothing":null,"flag":"LR",
      "tags":["reefer","ice-class é"],"crew":{"deck":7},"hash":"AAH+/w==","photo":"YWJj",
      "tender":{"imo":"IMO-1","tonnage":0,"berths":0,"draft":0.0,"speed":0.0,"active":false,
                "nothing":null,"flag":"NO","tags":[],"crew":{},"hash":"AAH+/w==","photo":"",
                "tender":null}})"));
  ASSERT_TRUE(out->at("tonnage").is_int64());

  // Every truncation of a valid datum is an error, never a crash or a partial answer.
  for (std::size_t n = 0; n < body.size(); ++n) {
    auto cut = converter->ToJson(std::string_view(body).substr(0, n));
    ASSERT_FALSE(cut) << n;
    EXPECT_EQ(cut.error().code, ErrorCode::kUpstreamError);
    EXPECT_EQ(cut.error().message.rfind("avro: ", 0), 0u) << cut.error().message;
  }
  auto trailing = converter->ToJson(body + "x");
  ASSERT_FALSE(trailing);
  EXPECT_NE(trailing.error().message.find("left over"), std::string::npos);
}

// Hand-assembled datums for what avro-c's writer cannot produce. Zig-zag: 0→0, -1→1, 1→2, 2→4.
TEST_F(AvroTest, MalformedDatumsAreErrorsNamingTheFault) {
  struct Case {
    std::string_view schema;
    std::string body;
    std::string_view message;
  };
  const Case cases[] = {
      {R"("boolean")", "\x02", "boolean byte is not 0 or 1"},
      {R"("int")", std::string("\xfe\xff\xff\xff\x7f"), "out of 32-bit range"},
      {R"("int")", std::string("\xff\xff\xff\xff\xff\x01"), "longer than its type allows"},
      {R"("long")", std::string(11, '\xff'), "longer than its type allows"},
      {R"("string")", "\x01", "negative length"},
      {R"("string")", "\x7e", "cut short"},
      {R"("string")", "\x02\xff", "not UTF-8"},
      {R"({"type":"map","values":"int"})", "\x02\x02\xc3\x00", "map key is not UTF-8"},
      {R"({"type":"enum","name":"E","symbols":["A"]})", "\x02", "enum index 1 is unknown"},
      {R"(["null","int"])", "\x04", "union branch 2 is unknown"},
      {R"(["null","int"])", "\x01", "union branch -1 is unknown"},
      {R"("double")", std::string("\x00\x00\x00\x00\x00\x00\xf0\x7f", 8), "NaN or infinite"},
      {R"("float")", std::string("\x00\x00\xc0\x7f", 4), "NaN or infinite"},
      {R"({"type":"array","items":"int"})", "\x03\x01\x02", "block size is negative"},
  };
  for (const Case& c : cases) {
    auto converter = Make(c.schema);
    ASSERT_TRUE(converter) << c.schema;
    auto out = converter->ToJson(c.body);
    ASSERT_FALSE(out) << c.schema << " " << core::SerializeJson(*out);
    EXPECT_EQ(out.error().code, ErrorCode::kUpstreamError);
    EXPECT_NE(out.error().message.find(c.message), std::string::npos)
        << c.schema << ": " << out.error().message;
  }
}

TEST_F(AvroTest, BlocksWithASizeAndSeveralBlocksRead) {
  auto converter = Make(R"({"type":"array","items":"int"})");
  ASSERT_TRUE(converter);
  // Block of -2 items (2 items, 2 bytes follow), then a block of 1 item, then the end.
  auto out = converter->ToJson(std::string("\x03\x04\x02\x04\x02\x06\x00", 7));
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, J("[1,2,3]"));
}

TEST_F(AvroTest, AHugeCountOfZeroByteItemsStopsAtTheNodeLimit) {
  // avro-c's reader would append 2^62 nulls; the converter stops at max_nodes.
  Limits limits;
  limits.max_nodes = 1000;
  auto converter = Make(R"({"type":"array","items":"null"})", limits);
  ASSERT_TRUE(converter);
  auto out = converter->ToJson(std::string("\xfe\xff\xff\xff\xff\xff\xff\xff\x7f\x00", 10));
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, ErrorCode::kPayloadTooLarge);
}

TEST_F(AvroTest, ARecursiveSchemaStopsAtTheDepthLimit) {
  Limits limits;
  limits.max_depth = 16;
  auto converter =
      Make(R"({"type":"record","name":"N","fields":[{"name":"n","type":["null","N"]}]})", limits);
  ASSERT_TRUE(converter);
  auto out = converter->ToJson(std::string(100, '\x02') + '\x00');
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, ErrorCode::kPayloadTooLarge);
  auto shallow = converter->ToJson(std::string("\x02\x02\x00", 3));
  ASSERT_TRUE(shallow) << shallow.error().message;
  EXPECT_EQ(*shallow, J(R"({"n":{"n":{"n":null}}})"));
}

TEST_F(AvroTest, AnInvalidSchemaIsALoadErrorWithAvrosMessage) {
  for (std::string_view bad : {"{", R"({"type":"record","name":"R"})", R"("nosuchtype")"}) {
    auto converter = Converter::Create(Format::kAvro, Write("bad.avsc", bad), dir_);
    ASSERT_FALSE(converter) << bad;
    EXPECT_EQ(converter.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(converter.error().message.find("is invalid: "), std::string::npos)
        << converter.error().message;
  }
}

}  // namespace
}  // namespace capstan::convert
