// Output mapping: the `outputParameters` of an exposed operation or tool compiled once (JSONPaths
// parsed, templates split) and applied to each upstream JSON body. An identity mapping
// (`{type: object, mapping: $.}`) is detected so that the body can pass through byte for byte.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "core/result.hpp"
#include "mapping/json_path.hpp"
#include "mapping/template.hpp"
#include "spec/capability.hpp"

namespace capstan::runtime {

namespace json = core::json;

struct CompiledOutput {
  std::string name;
  spec::ValueType type = spec::ValueType::kString;
  std::optional<mapping::JsonPath> mapping;  // JSONPath relative to the parent's node
  std::optional<mapping::Template> value;    // static text or {{input}} template
  std::optional<json::value> const_value;
  std::vector<CompiledOutput> properties;  // object members
  std::vector<CompiledOutput> items;       // array element shape (first entry)
  bool whole_node = false;                 // object without properties: the node itself
};

class OutputMapping {
 public:
  // Compiles simple-mode (mapped) or consumed output parameters. An empty list is the identity.
  [[nodiscard]] static core::Result<OutputMapping> Compile(
      const std::vector<spec::OutputParameter>& params);

  // True when the result is the upstream body unchanged (no parameters, or one object parameter
  // mapping `$`/`$.` without properties).
  [[nodiscard]] bool identity() const { return identity_; }
  // True for mock outputs: only static values, no upstream call needed.
  [[nodiscard]] bool mock_only() const { return mock_only_; }

  // Applies the mapping to `body`. `inputs` feed {{...}} value templates. The first top-level
  // parameter that maps to a value is the result; with several named parameters the result is an
  // object of them.
  [[nodiscard]] core::Result<json::value> Apply(const json::value& body,
                                                const json::object& inputs) const;

  // Consumed output parameters applied to a step's answer, as later steps see it: an array's
  // elements keep their fields and gain the named projections; an object becomes the object of
  // the named parameters (or the first unnamed one's value).
  [[nodiscard]] core::Result<json::value> ApplyToStepOutput(const json::value& body,
                                                            const json::object& inputs) const;

 private:
  std::vector<CompiledOutput> params_;
  bool identity_ = true;
  bool mock_only_ = false;
};

}  // namespace capstan::runtime
