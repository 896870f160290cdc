// Bind resolution: the `binds` of a capability turned into the variables templates use
// ({{VAR}} and {{bindNamespace.VAR}}), read from the environment or from a JSON/YAML file.
// A missing variable is a start-up error that names it — never an empty value.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.hpp"
#include "spec/capability.hpp"

namespace capstan::runtime {

// Reads one environment variable (injectable for tests).
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
[[nodiscard]] EnvLookup ProcessEnvironment();

class BindValues {
 public:
  // Looks up "VAR" or "namespace.VAR". Returns nullopt if unknown.
  [[nodiscard]] std::optional<std::string_view> Find(std::string_view name) const;
  [[nodiscard]] bool empty() const { return flat_.empty(); }
  [[nodiscard]] std::size_t size() const { return flat_.size(); }

  void Set(const std::string& ns, const std::string& variable, std::string value);

 private:
  std::unordered_map<std::string, std::string> flat_;       // VAR → value
  std::unordered_map<std::string, std::string> qualified_;  // ns.VAR → value
};

// Resolves every root bind (and the capability block's, which the reference engine ignores).
// `location` may be file:///abs, file:///./rel (relative to the capability file's folder) or a
// plain relative path; the file is JSON or YAML with string (or scalar) values.
[[nodiscard]] core::Result<BindValues> ResolveBinds(const spec::Capability& capability,
                                                    const EnvLookup& env);

}  // namespace capstan::runtime
