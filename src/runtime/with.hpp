// `with` injectors compiled once: each entry is a caller input (`ns.x`), a {{template}}, a
// JSONPath into earlier step outputs (`$.step.field`, in step plans only) or a literal. Applied
// per call, they turn the caller's inputs (and earlier steps' outputs) into consumed arguments.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"
#include "core/result.hpp"
#include "mapping/json_path.hpp"
#include "mapping/template.hpp"
#include "runtime/binds.hpp"
#include "spec/capability.hpp"

namespace capstan::runtime {

namespace json = core::json;

// What a template variable or a `$.step` path may read while a step plan runs: the caller's
// inputs first, then the outputs of the steps run so far (`{{step.field}}`), then the binds.
struct ValueScope {
  const json::object* inputs = nullptr;
  const json::value* steps = nullptr;  // object: step name → output; null outside step plans
  const BindValues* binds = nullptr;

  // The value named `name` ("x", or "step.field.sub" into a step output), or nullptr.
  [[nodiscard]] const json::value* Find(std::string_view name) const;
};

class WithRules {
 public:
  struct Rule {
    enum class Kind { kInput, kTemplate, kPath, kLiteral };
    std::string key;  // the consumed parameter
    Kind kind = Kind::kLiteral;
    std::string input;                      // kInput: the caller input's name
    std::optional<mapping::Template> tpl;   // kTemplate
    std::optional<mapping::JsonPath> path;  // kPath: evaluated over the step outputs
    json::value literal;                    // kLiteral
  };

  // `namespaces`: the prefixes that mean "caller input" here. `step_paths`: a string value
  // starting with "$" is a JSONPath into earlier step outputs (step plans), not a literal.
  [[nodiscard]] static core::Result<WithRules> Compile(
      const spec::WithInjector& with, const std::vector<std::string_view>& namespaces,
      bool step_paths, std::string_view what);

  // Applies every rule on top of `args` (an entry replaces an argument of the same name, '-' and
  // '_' alike; an input or path that is absent removes it). "{{x}}" alone keeps x's JSON type.
  [[nodiscard]] core::Status Apply(const ValueScope& scope, json::object& args) const;

  [[nodiscard]] const std::vector<Rule>& rules() const { return rules_; }

 private:
  std::vector<Rule> rules_;
};

}  // namespace capstan::runtime
