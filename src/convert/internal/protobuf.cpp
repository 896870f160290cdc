// Protobuf to JSON: the .proto file is compiled at load time by libprotobuf's own compiler
// (libprotoc's Importer, imports resolved beside it and from Debian's well-known types); each
// body is parsed as a DynamicMessage of the file's first message type, as the reference engine's
// ProtobufSchemaLoader picks its root, and walked by reflection into JSON with the proto's field
// names. Present fields only, in field-number order; enums by name; 64-bit integers as JSON
// numbers; bytes as Base64; map fields as objects.
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <google/protobuf/compiler/importer.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/message.h>

#include "convert/internal/formats.hpp"
#include "core/base64.hpp"
#include "core/utf8.hpp"

namespace capstan::convert::internal {
namespace {

namespace pb = google::protobuf;
using core::ErrorCode;
using core::Fail;

class Collector final : public pb::compiler::MultiFileErrorCollector {
 public:
  void AddError(const std::string& file, int line, int column,
                const std::string& message) override {
    if (!errors.empty()) errors += "; ";
    // libprotoc counts lines and columns from 0.
    errors +=
        file + ":" + std::to_string(line + 1) + ":" + std::to_string(column + 1) + ": " + message;
  }
  std::string errors;
};

core::Error Bad(std::string what) {
  return core::Error{ErrorCode::kUpstreamError, "protobuf: " + std::move(what)};
}

class Walker {
 public:
  explicit Walker(const Limits& limits) : budget_(limits) {}

  core::Result<json::value> Message(const pb::Message& message, std::size_t depth) {
    CAPSTAN_RETURN_IF_ERROR(budget_.Take(depth));
    const pb::Reflection& reflection = *message.GetReflection();
    std::vector<const pb::FieldDescriptor*> fields;
    reflection.ListFields(message, &fields);
    json::object object;
    object.reserve(fields.size());
    for (const pb::FieldDescriptor* field : fields) {
      json::value out;
      if (field->is_map()) {
        CAPSTAN_ASSIGN_OR_RETURN(out, Map(message, *field, depth + 1));
      } else if (field->is_repeated()) {
        CAPSTAN_RETURN_IF_ERROR(budget_.Take(depth + 1));
        json::array array;
        const int size = reflection.FieldSize(message, field);
        array.reserve(static_cast<std::size_t>(size));
        for (int i = 0; i < size; ++i) {
          CAPSTAN_ASSIGN_OR_RETURN(json::value item, Field(message, *field, i, depth + 2));
          array.emplace_back(std::move(item));
        }
        out = std::move(array);
      } else {
        CAPSTAN_ASSIGN_OR_RETURN(out, Field(message, *field, -1, depth + 1));
      }
      object[field->name()] = std::move(out);
    }
    return json::value(std::move(object));
  }

 private:
  // One value of `field`: the singular value when `index` < 0, else element `index`.
  core::Result<json::value> Field(const pb::Message& message, const pb::FieldDescriptor& field,
                                  int index, std::size_t depth) {
    const pb::Reflection& r = *message.GetReflection();
    const bool one = index < 0;
    using T = pb::FieldDescriptor;
    if (field.cpp_type() != T::CPPTYPE_MESSAGE) CAPSTAN_RETURN_IF_ERROR(budget_.Take(depth));
    switch (field.cpp_type()) {
      case T::CPPTYPE_INT32:
        return json::value(one ? r.GetInt32(message, &field)
                               : r.GetRepeatedInt32(message, &field, index));
      case T::CPPTYPE_INT64:
        return json::value(one ? r.GetInt64(message, &field)
                               : r.GetRepeatedInt64(message, &field, index));
      case T::CPPTYPE_UINT32:
        return json::value(one ? r.GetUInt32(message, &field)
                               : r.GetRepeatedUInt32(message, &field, index));
      case T::CPPTYPE_UINT64:
        return json::value(one ? r.GetUInt64(message, &field)
                               : r.GetRepeatedUInt64(message, &field, index));
      case T::CPPTYPE_BOOL:
        return json::value(one ? r.GetBool(message, &field)
                               : r.GetRepeatedBool(message, &field, index));
      case T::CPPTYPE_FLOAT:
        return Finite(
            field, one ? r.GetFloat(message, &field) : r.GetRepeatedFloat(message, &field, index));
      case T::CPPTYPE_DOUBLE:
        return Finite(field, one ? r.GetDouble(message, &field)
                                 : r.GetRepeatedDouble(message, &field, index));
      case T::CPPTYPE_ENUM: {
        const int number =
            one ? r.GetEnumValue(message, &field) : r.GetRepeatedEnumValue(message, &field, index);
        // An open (proto3) enum may hold a number the schema does not name: keep the number.
        if (const pb::EnumValueDescriptor* v = field.enum_type()->FindValueByNumber(number)) {
          return json::value(json::string(v->name()));
        }
        return json::value(number);
      }
      case T::CPPTYPE_STRING: {
        std::string scratch;
        const std::string& s = one ? r.GetStringReference(message, &field, &scratch)
                                   : r.GetRepeatedStringReference(message, &field, index, &scratch);
        if (field.type() == T::TYPE_BYTES) return json::value(json::string(core::EncodeBase64(s)));
        // proto2 does not check that a string is UTF-8; JSON text must be.
        if (core::FindInvalidUtf8(s) != std::string_view::npos) {
          return tl::unexpected(Bad("field '" + field.full_name() + "' is not UTF-8"));
        }
        return json::value(json::string(s));
      }
      case T::CPPTYPE_MESSAGE:
        return Message(
            one ? r.GetMessage(message, &field) : r.GetRepeatedMessage(message, &field, index),
            depth);
    }
    return tl::unexpected(Bad("field '" + field.full_name() + "' has an unknown type"));
  }

  // A map<K, V> field: its entries as one object, the key as text (JSON's mapping of proto maps).
  core::Result<json::value> Map(const pb::Message& message, const pb::FieldDescriptor& field,
                                std::size_t depth) {
    CAPSTAN_RETURN_IF_ERROR(budget_.Take(depth));
    const pb::Reflection& r = *message.GetReflection();
    const pb::Descriptor& entry_type = *field.message_type();
    const pb::FieldDescriptor& key_field = *entry_type.map_key();
    const pb::FieldDescriptor& value_field = *entry_type.map_value();
    json::object object;
    const int size = r.FieldSize(message, &field);
    for (int i = 0; i < size; ++i) {
      const pb::Message& entry = r.GetRepeatedMessage(message, &field, i);
      CAPSTAN_ASSIGN_OR_RETURN(json::value key, Field(entry, key_field, -1, depth + 1));
      std::string name;
      if (key.is_string()) {
        name = key.get_string();
      } else if (key.is_bool()) {
        name = key.get_bool() ? "true" : "false";
      } else {
        name = core::SerializeJson(key);
      }
      CAPSTAN_ASSIGN_OR_RETURN(json::value value, Field(entry, value_field, -1, depth + 1));
      object[name] = std::move(value);
    }
    return json::value(std::move(object));
  }

  core::Result<json::value> Finite(const pb::FieldDescriptor& field, double d) {
    if (!std::isfinite(d)) {
      return tl::unexpected(
          Bad("field '" + field.full_name() + "' is NaN or infinite, which JSON cannot hold"));
    }
    return json::value(d);
  }

  Budget budget_;
};

class ProtobufConverter final : public Converter {
 public:
  ProtobufConverter(std::unique_ptr<pb::compiler::DiskSourceTree> tree,
                    std::unique_ptr<Collector> collector,
                    std::unique_ptr<pb::compiler::Importer> importer, const pb::Descriptor* root,
                    Limits limits)
      : tree_(std::move(tree)),
        collector_(std::move(collector)),
        importer_(std::move(importer)),
        root_(root),
        prototype_(factory_.GetPrototype(root)),
        limits_(limits) {}

  core::Result<json::value> ToJson(std::string_view body) const override {
    CAPSTAN_RETURN_IF_ERROR(CheckSize(body, limits_));
    std::unique_ptr<pb::Message> message(prototype_->New());
    pb::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(body.data()),
                                static_cast<int>(body.size()));
    in.SetRecursionLimit(static_cast<int>(limits_.max_depth));
    if (!message->MergePartialFromCodedStream(&in) || !in.ConsumedEntireMessage()) {
      return tl::unexpected(Bad("the body is not a valid " + root_->full_name() + " message"));
    }
    if (!message->IsInitialized()) {
      return tl::unexpected(Bad(root_->full_name() +
                                " lacks required fields: " + message->InitializationErrorString()));
    }
    Walker walker(limits_);
    return walker.Message(*message, 0);
  }
  Format format() const override { return Format::kProtobuf; }

 private:
  // The importer owns the descriptors, which the prototype and every parsed message use.
  std::unique_ptr<pb::compiler::DiskSourceTree> tree_;
  std::unique_ptr<Collector> collector_;
  std::unique_ptr<pb::compiler::Importer> importer_;
  const pb::Descriptor* root_;
  pb::DynamicMessageFactory factory_;
  const pb::Message* prototype_;  // New() on it is thread-safe
  Limits limits_;
};

}  // namespace

core::Result<ConverterPtr> MakeProtobuf(const std::string& schema_path, Limits limits) {
  namespace fs = std::filesystem;
  const fs::path path(schema_path);
  auto tree = std::make_unique<pb::compiler::DiskSourceTree>();
  tree->MapPath("", path.has_parent_path() ? path.parent_path().string() : ".");
  // Debian's libprotobuf-dev ships google/protobuf/*.proto (timestamp, struct, ...).
  std::error_code ec;
  if (fs::is_directory("/usr/include/google/protobuf", ec)) tree->MapPath("", "/usr/include");
  auto collector = std::make_unique<Collector>();
  auto importer = std::make_unique<pb::compiler::Importer>(tree.get(), collector.get());
  const pb::FileDescriptor* file = importer->Import(path.filename().string());
  if (file == nullptr) {
    return Fail(ErrorCode::kInvalidArgument,
                "protobuf schema '" + schema_path + "' is invalid: " + collector->errors);
  }
  if (file->message_type_count() == 0) {
    return Fail(ErrorCode::kInvalidArgument,
                "protobuf schema '" + schema_path + "' declares no message");
  }
  const pb::Descriptor* root = file->message_type(0);
  return ConverterPtr(std::make_unique<ProtobufConverter>(std::move(tree), std::move(collector),
                                                          std::move(importer), root, limits));
}

}  // namespace capstan::convert::internal
