// libFuzzer target for the binary converters (avro, protobuf). Input: byte 0 picks a schema
// (written to a temporary directory once), the rest is the upstream body. Checks: no crash, no
// leak, no unbounded growth (small limits; a huge Avro block count of zero-byte items must stop
// at max_nodes), and every success is a tree that serialises and parses back.
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include <unistd.h>

#include "convert/convert.hpp"
#include "core/json.hpp"
#include "json_result_check.hpp"

namespace {

namespace convert = capstan::convert;

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

struct Schema {
  convert::Format format;
  const char* file;
  std::string_view text;
};

constexpr std::array kSchemas = {
    Schema{convert::Format::kAvro, "vessel.avsc", R"({"type":"record","name":"V","fields":[
 {"name":"s","type":"string"},{"name":"l","type":"long"},{"name":"i","type":"int"},
 {"name":"d","type":"double"},{"name":"f","type":"float"},{"name":"b","type":"boolean"},
 {"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"]}},
 {"name":"a","type":{"type":"array","items":"null"}},
 {"name":"m","type":{"type":"map","values":"bytes"}},
 {"name":"x","type":{"type":"fixed","name":"X","size":2}},
 {"name":"n","type":["null","V"]}]})"},
    Schema{convert::Format::kAvro, "list.avsc",
           R"({"type":"array","items":{"type":"map","values":["null","string","long"]}})"},
    Schema{convert::Format::kProtobuf, "vessel.proto", R"(syntax = "proto3";
message V {
  string s = 1; int64 l = 2; sint32 i = 3; uint64 u = 4; double d = 5; float f = 6; bool b = 7;
  enum E { A = 0; B = 1; } E e = 8; repeated string t = 9; map<string, int32> m = 10;
  bytes y = 11; V n = 12; repeated int32 p = 13; map<int64, V> k = 14;
})"},
    Schema{convert::Format::kProtobuf, "records.proto", R"(syntax = "proto2";
message L { repeated R r = 1; }
message R { required string id = 1; optional string t = 2; }
)"},
};

const convert::Converter& ConverterFor(std::uint8_t selector) {
  static const auto converters = [] {
    namespace fs = std::filesystem;
    const fs::path dir =
        fs::temp_directory_path() / ("capstan-binary-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::array<std::unique_ptr<const convert::Converter>, kSchemas.size()> all;
    const convert::Limits limits{.max_input_bytes = 1 << 16, .max_depth = 32, .max_nodes = 4096};
    for (std::size_t i = 0; i < kSchemas.size(); ++i) {
      std::ofstream(dir / kSchemas[i].file) << kSchemas[i].text;
      auto made = convert::Converter::Create(kSchemas[i].format, kSchemas[i].file, dir, limits);
      Check(made.has_value());
      all[i] = std::move(*made);
    }
    fs::remove_all(dir);  // the schemas are compiled: the files are no longer needed
    return all;
  }();
  return *converters[selector % kSchemas.size()];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const convert::Converter& converter = ConverterFor(data[0]);
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  auto out = converter.ToJson(body);
  capstan::fuzzing::CheckJsonResult(out);
  return 0;
}
