#include "runtime/binds.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime/values.hpp"
#include "spec/yaml.hpp"

namespace capstan::runtime {

using core::ErrorCode;
using core::Fail;

EnvLookup ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

std::optional<std::string_view> BindValues::Find(std::string_view name) const {
  if (auto it = qualified_.find(std::string(name)); it != qualified_.end()) return it->second;
  if (auto it = flat_.find(std::string(name)); it != flat_.end()) return it->second;
  return std::nullopt;
}

void BindValues::Set(const std::string& ns, const std::string& variable, std::string value) {
  qualified_[ns + "." + variable] = value;
  flat_[variable] = std::move(value);
}

namespace {

std::filesystem::path ResolveLocation(const spec::Capability& capability,
                                      const std::string& location) {
  std::string path = location;
  if (path.rfind("file://", 0) == 0) path = path.substr(7);
  std::filesystem::path base = std::filesystem::path(capability.file).parent_path();
  if (path.rfind("/./", 0) == 0) return base / path.substr(3);
  if (!path.empty() && path[0] == '/') return path;
  return base / path;
}

core::Result<core::json::object> ReadBindFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Fail(ErrorCode::kIo, "cannot read bind file " + file.string());
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  core::json::value root;
  auto ext = file.extension().string();
  if (ext == ".json") {
    auto parsed = core::ParseJson(text);
    if (!parsed)
      return Fail(ErrorCode::kInvalidArgument, file.string() + ": " + parsed.error().message);
    root = std::move(*parsed);
  } else {
    auto parsed = spec::ParseYaml(text, file.string());
    if (!parsed.document) {
      std::string why = parsed.diagnostics.empty() ? "invalid YAML" : parsed.diagnostics[0].message;
      return Fail(ErrorCode::kInvalidArgument, file.string() + ": " + why);
    }
    root = std::move(parsed.document->root);
  }
  if (!root.is_object()) {
    return Fail(ErrorCode::kInvalidArgument, file.string() + ": a bind file must be a mapping");
  }
  return std::move(root.get_object());
}

core::Status ResolveOne(const spec::Capability& capability, const spec::Binding& bind,
                        const EnvLookup& env, BindValues& out) {
  if (!bind.location) {
    for (const spec::BindingKey& key : bind.keys) {
      auto value = env(key.provider_key);
      if (!value) {
        return Fail(ErrorCode::kNotFound, "bind '" + bind.ns + "': environment variable " +
                                              key.provider_key + " (for " + key.variable +
                                              ") is not set");
      }
      out.Set(bind.ns, key.variable, std::move(*value));
    }
    return core::Ok();
  }
  std::filesystem::path file = ResolveLocation(capability, *bind.location);
  auto object = ReadBindFile(file);
  if (!object) return Fail(std::move(object).error());
  for (const spec::BindingKey& key : bind.keys) {
    const core::json::value* v = object->if_contains(key.provider_key);
    if (v == nullptr || v->is_null() || v->is_object() || v->is_array()) {
      return Fail(ErrorCode::kNotFound, "bind '" + bind.ns + "': key " + key.provider_key +
                                            " (for " + key.variable + ") not found in " +
                                            file.string());
    }
    out.Set(bind.ns, key.variable, ScalarText(*v));
  }
  return core::Ok();
}

}  // namespace

core::Result<BindValues> ResolveBinds(const spec::Capability& capability, const EnvLookup& env) {
  BindValues values;
  for (const spec::Binding& bind : capability.binds) {
    CAPSTAN_RETURN_IF_ERROR(ResolveOne(capability, bind, env, values));
  }
  if (capability.capability) {
    for (const spec::Binding& bind : capability.capability->binds) {
      CAPSTAN_RETURN_IF_ERROR(ResolveOne(capability, bind, env, values));
    }
  }
  return values;
}

}  // namespace capstan::runtime
