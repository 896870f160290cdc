// Avro to JSON: the .avsc schema is parsed and resolved by Apache Avro C (libavro); one binary
// datum (Avro 1.11 spec, "Binary Encoding") is decoded against it here, because avro-c's own
// reader trusts block counts (an array of nulls declared 2^62 long grows until memory runs out),
// and a converter must stay inside Limits whatever bytes arrive. The JSON shape follows the
// reference engine (Jackson's AvroMapper over a GenericRecord): records and maps are objects,
// unions are the chosen branch's value, enums their symbol, bytes and fixed Base64 text.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include <avro.h>

#include "convert/internal/formats.hpp"
#include "core/base64.hpp"
#include "core/utf8.hpp"

namespace capstan::convert::internal {
namespace {

using core::ErrorCode;
using core::Fail;

core::Error Malformed(std::string what, std::size_t at) {
  return core::Error{ErrorCode::kUpstreamError,
                     "avro: " + std::move(what) + " at byte " + std::to_string(at)};
}

// One datum being read; `at` only moves forward and never past `data.size()`.
class Decoder {
 public:
  Decoder(std::string_view data, const Limits& limits) : data_(data), budget_(limits) {}

  core::Result<json::value> Value(avro_schema_t schema, std::size_t depth) {
    CAPSTAN_RETURN_IF_ERROR(budget_.Take(depth));
    switch (avro_typeof(schema)) {
      case AVRO_NULL:
        return json::value(nullptr);
      case AVRO_BOOLEAN: {
        if (at_ >= data_.size()) return tl::unexpected(Malformed("boolean cut short", at_));
        const auto byte = static_cast<unsigned char>(data_[at_]);
        if (byte > 1) return tl::unexpected(Malformed("boolean byte is not 0 or 1", at_));
        ++at_;
        return json::value(byte == 1);
      }
      case AVRO_INT32: {
        CAPSTAN_ASSIGN_OR_RETURN(std::int64_t v, Long(5));
        if (v < INT32_MIN || v > INT32_MAX) {
          return tl::unexpected(Malformed("int out of 32-bit range", at_));
        }
        return json::value(v);
      }
      case AVRO_INT64: {
        CAPSTAN_ASSIGN_OR_RETURN(std::int64_t v, Long(10));
        return json::value(v);
      }
      case AVRO_FLOAT: {
        CAPSTAN_ASSIGN_OR_RETURN(float f, (LittleEndian<float, std::uint32_t>("float")));
        return Finite(f);
      }
      case AVRO_DOUBLE: {
        CAPSTAN_ASSIGN_OR_RETURN(double d, (LittleEndian<double, std::uint64_t>("double")));
        return Finite(d);
      }
      case AVRO_STRING: {
        CAPSTAN_ASSIGN_OR_RETURN(std::string_view text, Sized("string"));
        if (core::FindInvalidUtf8(text) != std::string_view::npos) {
          return tl::unexpected(Malformed("string is not UTF-8", at_ - text.size()));
        }
        return json::value(json::string(text));
      }
      case AVRO_BYTES: {
        CAPSTAN_ASSIGN_OR_RETURN(std::string_view bytes, Sized("bytes"));
        return json::value(json::string(core::EncodeBase64(bytes)));
      }
      case AVRO_FIXED: {
        const auto size = static_cast<std::size_t>(avro_schema_fixed_size(schema));
        CAPSTAN_ASSIGN_OR_RETURN(std::string_view bytes, Raw(size, "fixed"));
        return json::value(json::string(core::EncodeBase64(bytes)));
      }
      case AVRO_ENUM: {
        const std::size_t start = at_;
        CAPSTAN_ASSIGN_OR_RETURN(std::int64_t index, Long(5));
        if (index < 0 || index >= avro_schema_enum_number_of_symbols(schema)) {
          return tl::unexpected(
              Malformed("enum index " + std::to_string(index) + " is unknown", start));
        }
        return json::value(json::string(avro_schema_enum_get(schema, static_cast<int>(index))));
      }
      case AVRO_RECORD: {
        json::object object;
        const std::size_t fields = avro_schema_record_size(schema);
        object.reserve(fields);
        for (std::size_t i = 0; i < fields; ++i) {
          CAPSTAN_ASSIGN_OR_RETURN(
              json::value field,
              Value(avro_schema_record_field_get_by_index(schema, static_cast<int>(i)), depth + 1));
          object[avro_schema_record_field_name(schema, static_cast<int>(i))] = std::move(field);
        }
        return json::value(std::move(object));
      }
      case AVRO_ARRAY: {
        json::array array;
        avro_schema_t items = avro_schema_array_items(schema);
        CAPSTAN_RETURN_IF_ERROR(Blocks([&]() -> core::Status {
          CAPSTAN_ASSIGN_OR_RETURN(json::value item, Value(items, depth + 1));
          array.emplace_back(std::move(item));
          return core::Ok();
        }));
        return json::value(std::move(array));
      }
      case AVRO_MAP: {
        json::object object;
        avro_schema_t values = avro_schema_map_values(schema);
        CAPSTAN_RETURN_IF_ERROR(Blocks([&]() -> core::Status {
          CAPSTAN_ASSIGN_OR_RETURN(std::string_view key, Sized("map key"));
          if (core::FindInvalidUtf8(key) != std::string_view::npos) {
            return tl::unexpected(Malformed("map key is not UTF-8", at_ - key.size()));
          }
          CAPSTAN_ASSIGN_OR_RETURN(json::value value, Value(values, depth + 1));
          object[key] = std::move(value);
          return core::Ok();
        }));
        return json::value(std::move(object));
      }
      case AVRO_UNION: {
        const std::size_t start = at_;
        CAPSTAN_ASSIGN_OR_RETURN(std::int64_t branch, Long(10));
        if (branch < 0 || static_cast<std::uint64_t>(branch) >= avro_schema_union_size(schema)) {
          return tl::unexpected(
              Malformed("union branch " + std::to_string(branch) + " is unknown", start));
        }
        // The branch is read at the union's own depth: it is the same JSON value.
        return Value(avro_schema_union_branch(schema, static_cast<int>(branch)), depth);
      }
      case AVRO_LINK:
        return Value(avro_schema_link_target(schema), depth);
      default:
        return Fail(ErrorCode::kUpstreamError, "avro: schema type not supported");
    }
  }

  [[nodiscard]] std::size_t at() const { return at_; }

 private:
  // A zig-zag varint of at most `max_bytes` bytes (5 for int, 10 for long).
  core::Result<std::int64_t> Long(int max_bytes) {
    const std::size_t start = at_;
    std::uint64_t raw = 0;
    for (int shift = 0, n = 0; n < max_bytes; ++n, shift += 7) {
      if (at_ >= data_.size()) return tl::unexpected(Malformed("number cut short", start));
      const auto byte = static_cast<unsigned char>(data_[at_++]);
      raw |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        return static_cast<std::int64_t>(raw >> 1) ^ -static_cast<std::int64_t>(raw & 1);
      }
    }
    return tl::unexpected(Malformed("number is longer than its type allows", start));
  }

  core::Result<std::string_view> Raw(std::size_t size, const char* what) {
    if (data_.size() - at_ < size) {
      return tl::unexpected(Malformed(std::string(what) + " cut short", at_));
    }
    std::string_view out = data_.substr(at_, size);
    at_ += size;
    return out;
  }

  // An IEEE 754 value stored as its bytes, least significant first.
  template <typename Float, typename Bits>
  core::Result<Float> LittleEndian(const char* what) {
    static_assert(sizeof(Float) == sizeof(Bits));
    CAPSTAN_ASSIGN_OR_RETURN(std::string_view raw, Raw(sizeof(Bits), what));
    Bits bits = 0;
    for (std::size_t i = sizeof(Bits); i-- > 0;) {
      bits = static_cast<Bits>((bits << 8) | static_cast<unsigned char>(raw[i]));
    }
    Float value = 0;
    std::memcpy(&value, &bits, sizeof value);
    return value;
  }

  // A length (long) then that many bytes.
  core::Result<std::string_view> Sized(const char* what) {
    const std::size_t start = at_;
    CAPSTAN_ASSIGN_OR_RETURN(std::int64_t length, Long(10));
    if (length < 0) {
      return tl::unexpected(Malformed(std::string(what) + " has a negative length", start));
    }
    return Raw(static_cast<std::size_t>(length), what);
  }

  // Array and map blocks: a count, then that many items; a negative count is followed by the
  // block's size in bytes; a zero count ends the sequence. Each item takes from the budget, so a
  // huge count of zero-byte items stops at max_nodes.
  template <typename ReadItem>
  core::Status Blocks(ReadItem read_item) {
    for (;;) {
      const std::size_t start = at_;
      CAPSTAN_ASSIGN_OR_RETURN(std::int64_t count, Long(10));
      if (count == 0) return core::Ok();
      if (count < 0) {
        if (count == INT64_MIN) return tl::unexpected(Malformed("block count overflows", start));
        count = -count;
        CAPSTAN_ASSIGN_OR_RETURN(std::int64_t block_bytes, Long(10));
        if (block_bytes < 0) return tl::unexpected(Malformed("block size is negative", start));
      }
      for (std::int64_t i = 0; i < count; ++i) CAPSTAN_RETURN_IF_ERROR(read_item());
    }
  }

  core::Result<json::value> Finite(double d) {
    if (!std::isfinite(d)) {
      return tl::unexpected(Malformed("a NaN or infinite number, which JSON cannot hold", at_));
    }
    return json::value(d);
  }

  std::string_view data_;
  std::size_t at_ = 0;
  Budget budget_;
};

class AvroConverter final : public Converter {
 public:
  AvroConverter(avro_schema_t schema, Limits limits) : schema_(schema), limits_(limits) {}
  ~AvroConverter() override { avro_schema_decref(schema_); }

  core::Result<json::value> ToJson(std::string_view body) const override {
    CAPSTAN_RETURN_IF_ERROR(CheckSize(body, limits_));
    Decoder decoder(body, limits_);
    CAPSTAN_ASSIGN_OR_RETURN(json::value value, decoder.Value(schema_, 0));
    if (decoder.at() != body.size()) {
      return tl::unexpected(
          Malformed(std::to_string(body.size() - decoder.at()) + " bytes left over after the datum",
                    decoder.at()));
    }
    return value;
  }
  Format format() const override { return Format::kAvro; }

 private:
  avro_schema_t schema_;  // read only after construction: safe to share between threads
  Limits limits_;
};

}  // namespace

core::Result<ConverterPtr> MakeAvro(const std::string& schema_path, Limits limits) {
  std::ifstream in(schema_path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) return Fail(ErrorCode::kInvalidArgument, "avro schema '" + schema_path + "' unreadable");
  const std::string json = text.str();
  avro_schema_t schema = nullptr;
  if (avro_schema_from_json_length(json.data(), json.size(), &schema) != 0 || schema == nullptr) {
    return Fail(ErrorCode::kInvalidArgument,
                "avro schema '" + schema_path + "' is invalid: " + avro_strerror());
  }
  return ConverterPtr(std::make_unique<AvroConverter>(schema, limits));
}

}  // namespace capstan::convert::internal
