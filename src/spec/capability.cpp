#include "spec/capability.hpp"

#include <filesystem>
#include <system_error>

#include "spec/references.hpp"

namespace capstan::spec {

const std::string& StepName(const OperationStep& step) {
  return std::visit([](const auto& s) -> const std::string& { return s.name; }, step);
}

const SourceLocation& StepSource(const OperationStep& step) {
  return std::visit([](const auto& s) -> const SourceLocation& { return s.source; }, step);
}

std::string_view ExposesNamespace(const Exposes& exposes) {
  if (const auto* rest = std::get_if<ExposesRest>(&exposes)) return rest->ns;
  if (const auto* mcp = std::get_if<ExposesMcp>(&exposes)) return mcp->ns;
  if (const auto* skill = std::get_if<ExposesSkill>(&exposes)) return skill->ns;
  return {};
}

const SourceLocation& ExposesSource(const Exposes& exposes) {
  return std::visit([](const auto& e) -> const SourceLocation& { return e.source; }, exposes);
}

std::string_view ExposesTypeName(const Exposes& exposes) {
  switch (exposes.index()) {
    case 0:
      return "rest";
    case 1:
      return "mcp";
    case 2:
      return "skill";
    default:
      return "control";
  }
}

const ConsumesHttp* FindConsumes(const Capability& capability, std::string_view ns) {
  if (capability.capability) {
    for (const ConsumesHttp& c : capability.capability->consumes) {
      if (c.ns == ns) return &c;
    }
  }
  for (const ConsumesHttp& c : capability.consumes) {
    if (c.ns == ns) return &c;
  }
  return nullptr;
}

std::optional<ConsumedOperationRef> ResolveCall(const Capability& capability,
                                                std::string_view call) {
  auto name = SplitQualifiedName(call);
  if (!name) return std::nullopt;
  const ConsumesHttp* consumes = FindConsumes(capability, name->ns);
  if (consumes == nullptr) return std::nullopt;
  for (const ConsumedHttpResource& resource : consumes->resources) {
    for (const ConsumedHttpOperation& operation : resource.operations) {
      if (operation.name == name->name)
        return ConsumedOperationRef{consumes, &resource, &operation};
    }
  }
  return std::nullopt;
}

const AggregateFunction* ResolveRef(const Capability& capability, std::string_view ref) {
  auto name = SplitQualifiedName(ref);
  if (!name || !capability.capability) return nullptr;
  for (const Aggregate& aggregate : capability.capability->aggregates) {
    if (aggregate.ns != name->ns) continue;
    for (const AggregateFunction& function : aggregate.functions) {
      if (function.name == name->name) return &function;
    }
  }
  return nullptr;
}

std::string_view HttpMethodName(HttpMethod method) {
  switch (method) {
    case HttpMethod::kGet:
      return "GET";
    case HttpMethod::kPost:
      return "POST";
    case HttpMethod::kPut:
      return "PUT";
    case HttpMethod::kPatch:
      return "PATCH";
    case HttpMethod::kDelete:
      return "DELETE";
  }
  return "GET";
}

std::string_view ParameterInName(ParameterIn in) {
  switch (in) {
    case ParameterIn::kQuery:
      return "query";
    case ParameterIn::kHeader:
      return "header";
    case ParameterIn::kPath:
      return "path";
    case ParameterIn::kCookie:
      return "cookie";
    case ParameterIn::kBody:
      return "body";
    case ParameterIn::kEnvironment:
      return "environment";
  }
  return "query";
}

std::string DeclaringDirectory(const Capability& capability, const ConsumesHttp& c) {
  const std::string& file = c.imported_from && !c.imported_from->resolved_path.empty()
                                ? c.imported_from->resolved_path
                                : capability.file;
  return std::filesystem::path(file).parent_path().string();
}

std::string StripFileScheme(std::string_view location) {
  std::string path(location);
  constexpr std::string_view kFileScheme = "file://";
  if (path.rfind(kFileScheme, 0) == 0) {
    path.erase(0, kFileScheme.size());
    // `file:///./schemas/x.proto`, as script locations are written: relative after all.
    if (path.rfind("/./", 0) == 0 || path.rfind("/../", 0) == 0) path.erase(0, 1);
  }
  return path;
}

std::optional<std::string> ResolveSchemaFile(std::string_view schema, const std::string& base_dir) {
  namespace fs = std::filesystem;
  if (schema.empty()) return std::nullopt;
  const std::string path = StripFileScheme(schema);
  std::error_code ec;
  if (!base_dir.empty() && fs::path(path).is_relative()) {
    fs::path near = fs::path(base_dir) / path;
    if (fs::is_regular_file(near, ec)) return near.lexically_normal().string();
  }
  if (fs::is_regular_file(path, ec)) return path;
  return std::nullopt;
}

std::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kString:
      return "string";
    case ValueType::kNumber:
      return "number";
    case ValueType::kInteger:
      return "integer";
    case ValueType::kBoolean:
      return "boolean";
    case ValueType::kArray:
      return "array";
    case ValueType::kObject:
      return "object";
  }
  return "string";
}

}  // namespace capstan::spec
