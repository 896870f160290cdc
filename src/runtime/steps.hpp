// Orchestrated operations: a compiled step plan (`call`, `lookup` and `script` steps, then
// `mappings` and the orchestrated `outputParameters`) run on the caller's event loop, shared by
// every adapter through runtime::Invocation (docs/orchestration.md).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/json.hpp"
#include "core/result.hpp"
#include "mapping/json_path.hpp"
#include "runtime/operation.hpp"
#include "runtime/result.hpp"
#include "runtime/with.hpp"
#include "script/script.hpp"
#include "spec/capability.hpp"

namespace capstan::runtime {

class Runtime;
struct CallContext;

class StepPlan {
 public:
  struct Definition {
    std::vector<std::string_view> namespaces;  // prefixes that mean "caller input"
    std::vector<spec::OperationStep> steps;
    std::vector<spec::StepOutputMapping> mappings;
    std::vector<spec::OutputParameter> outputs;  // orchestrated: name + type (+ items/properties)
    std::string what;                            // "mcp adapter 'x' tool 'y'", for errors
  };

  // Resolves every reference (a call's consumed operation, a lookup's index step, a mapping's
  // step) and compiles every path and template. Errors name the step.
  [[nodiscard]] static core::Result<std::shared_ptr<const StepPlan>> Compile(const Runtime& runtime,
                                                                             Definition definition);

  // Runs the steps in order, then builds the result from the mappings (or, without mappings, the
  // last step's output). A call step answering outside 2xx stops the plan: the result carries
  // that status and a JSON error naming the step (InvocationResult::failed_step).
  [[nodiscard]] boost::asio::awaitable<core::Result<InvocationResult>> Run(
      const json::object& inputs, const CallContext& context) const;

  // The consumed operations of the call steps, in order.
  [[nodiscard]] std::vector<const CompiledOperation*> operations() const;

  // Builds the result object from `mappings` over the step outputs (`targetName` dots nest),
  // then types it by the orchestrated outputs. Public for tests.
  [[nodiscard]] json::value Result(const json::value& steps) const;

 private:
  struct CallStep {
    std::shared_ptr<const CompiledOperation> operation;
    WithRules with;
  };
  struct LookupStep {
    std::string index;                            // an earlier step
    std::string match;                            // the key field of the index's entries
    std::optional<mapping::JsonPath> value_path;  // lookupValue as $.step.field
    std::optional<mapping::Template> value_text;  // else a template over the inputs
    std::vector<std::string> fields;              // the fields a match keeps
  };
  struct ScriptStep {
    std::shared_ptr<const script::Script> program;
    WithRules with;  // added to the bindings after the inputs and the step outputs
  };
  struct Step {
    std::string name;
    std::optional<CallStep> call;
    std::optional<LookupStep> lookup;
    std::optional<ScriptStep> script;
    std::vector<std::string> reads;  // the earlier steps whose outputs it reads
  };
  // What one call step gave: its output, or the failed answer that stops the plan.
  struct CallOutcome {
    json::value output;
    std::optional<InvocationResult> failed;
    std::chrono::microseconds elapsed{0};
    int status = 0;
  };
  struct Mapping {
    std::vector<std::string> target;  // targetName split at dots
    mapping::JsonPath value;
  };

  [[nodiscard]] boost::asio::awaitable<core::Result<CallOutcome>> RunCall(
      const Step& step, const json::object& inputs, const json::value& outputs,
      const CallContext& context) const;
  // Runs a script step on the script thread pool (never on the event loop) and resumes here;
  // nullopt when the script assigned no `result` (the step then has no output).
  [[nodiscard]] boost::asio::awaitable<core::Result<std::optional<json::value>>> RunScript(
      const Step& step, const json::object& inputs, const json::value& outputs) const;
  [[nodiscard]] boost::asio::awaitable<core::Result<CallOutcome>> RunCallInWave(
      const Step& step, const json::object& inputs, const json::value& outputs,
      consumes::UpstreamClient* client) const;

  const Runtime* runtime_ = nullptr;
  std::vector<Step> steps_;
  // Consecutive call steps that read none of each other's outputs form one wave and run
  // concurrently on the caller's loop; every other step is a wave of its own.
  std::vector<std::vector<std::size_t>> waves_;
  std::vector<Mapping> mappings_;
  std::vector<spec::OutputParameter> outputs_;
  std::string what_;
};

// The entries of `index` (an array of objects, or one object) whose `match` field equals
// `value` (compared as text, as the reference engine does), each cut to `fields` (a missing
// field is null). An array `value` looks up each element and keeps the matches in order.
// Null when nothing matches.
[[nodiscard]] json::value Lookup(const json::value& index, std::string_view match,
                                 const json::value& value, const std::vector<std::string>& fields);

// Coerces `value` to an orchestrated output's type where that is lossless ("42" → 42 for a
// number, "true" → true for a boolean, a number → its text for a string); array items with
// fields keep only those fields. Anything else is returned unchanged.
[[nodiscard]] json::value ShapeOutput(const spec::OutputParameter& output, json::value value);

}  // namespace capstan::runtime
