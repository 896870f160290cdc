// The capability runtime: binds resolved, every consumed operation compiled, and the invocation
// plans that REST operations and MCP tools share (inputs, `with`, the call, output mapping).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include "consumes/resilience.hpp"
#include "consumes/upstream_client.hpp"
#include "convert/convert.hpp"
#include "core/json.hpp"
#include "core/result.hpp"
#include "runtime/binds.hpp"
#include "runtime/operation.hpp"
#include "runtime/output.hpp"
#include "runtime/result.hpp"
#include "runtime/steps.hpp"
#include "runtime/with.hpp"
#include "spec/capability.hpp"

namespace capstan::runtime {

namespace json = core::json;

struct RuntimeOptions {
  // consumes namespace → base URI, from --base-uri NS=URL. Env CAPSTAN_BASE_URI_<NS> (upper case,
  // '-' → '_') is read too; the flag wins.
  std::map<std::string, std::string> base_uris;
  consumes::TlsOptions tls;
  // When set, used instead of a context made from `tls`: the runtimes of one process share it,
  // and with it each loop thread's upstream client and connection pool (serve).
  std::shared_ptr<consumes::TlsContext> tls_context;
  consumes::PoolOptions pool;
  consumes::UpstreamLimits limits;  // defaults for every namespace
  std::map<std::string, consumes::UpstreamLimits> limits_by_namespace;  // overrides
  consumes::ResilienceOptions resilience;  // retries, breaker, in-flight limit (every upstream)
  // Overrides of `resilience` by consumes namespace, or by "namespace.operation" (which wins).
  std::map<std::string, consumes::ResilienceOptions> resilience_by_key;
  EnvLookup env;  // default: the process environment
  // --trust-upstream-json: 2xx JSON bodies of identity mappings go on byte for byte without the
  // check that they are one JSON text (as a plain reverse proxy does). Default: checked, and a
  // body that is not is a 502.
  bool trust_upstream_json = false;
};

// An input the caller gives: declared on the exposed operation/tool, or derived from the called
// consumed operation when none are declared (docs/capability-dialect.md).
struct InputSpec {
  std::string name;
  spec::ParameterIn in = spec::ParameterIn::kQuery;  // REST: where it is read from
  spec::ValueType type = spec::ValueType::kString;
  bool required = false;
  std::string description;
  std::optional<std::string> pattern;
  std::optional<std::string> value;  // REST: a constant, or $.path into the JSON body
};

class Runtime;

// A compiled exposed operation or tool.
class Invocation {
 public:
  struct Definition {
    std::string expose_ns;                        // the exposing adapter's namespace
    std::vector<std::string> input_namespaces;    // prefixes meaning "caller input"
    std::optional<std::string> call;              // consumes.operation
    std::optional<std::string> ref;               // aggregateNamespace.function
    std::optional<spec::HttpMethod> rest_method;  // REST: where a ref'd function's inputs come from
    spec::WithInjector with;
    std::vector<spec::OperationStep> steps;  // orchestrated
    std::vector<spec::StepOutputMapping> mappings;
    std::vector<spec::ExposedInputParameter> rest_inputs;
    std::vector<spec::McpToolInputParameter> tool_inputs;
    std::vector<spec::OutputParameter> outputs;
    std::vector<std::string> route_variables;  // REST path variables, for derivation
    std::string what;                          // "rest operation GET /v1/x" for errors
  };

  [[nodiscard]] static core::Result<std::shared_ptr<const Invocation>> Compile(
      const Runtime& runtime, Definition definition);

  [[nodiscard]] const std::vector<InputSpec>& inputs() const { return inputs_; }
  [[nodiscard]] const CompiledOperation* operation() const { return operation_.get(); }
  [[nodiscard]] const StepPlan* plan() const { return plan_.get(); }
  // The aggregate function a `ref` resolved to, or nullptr.
  [[nodiscard]] const spec::AggregateFunction* function() const { return function_; }
  [[nodiscard]] bool mock() const { return !operation_ && !plan_; }
  // What the invocation does, for texts: "GET ns.op", "steps a, b" or "static result".
  [[nodiscard]] std::string Describe() const;
  [[nodiscard]] const OutputMapping& output() const { return output_; }

  // Runs the invocation with the caller's inputs (already typed). Errors: kInvalidArgument for
  // bad inputs (no upstream call made), upstream errors from the client, kMappingFailed.
  [[nodiscard]] boost::asio::awaitable<core::Result<InvocationResult>> Execute(
      json::object inputs, const CallContext& context) const;

 private:
  [[nodiscard]] core::Result<json::object> ConsumedArgs(const json::object& inputs) const;

  const Runtime* runtime_ = nullptr;
  std::shared_ptr<const CompiledOperation> operation_;
  std::shared_ptr<const StepPlan> plan_;
  const spec::AggregateFunction* function_ = nullptr;
  WithRules with_;
  std::vector<InputSpec> inputs_;
  OutputMapping output_;
  std::string what_;
};

class Runtime {
 public:
  [[nodiscard]] static core::Result<std::shared_ptr<Runtime>> Create(
      std::shared_ptr<const spec::Capability> capability, RuntimeOptions options);

  [[nodiscard]] const spec::Capability& capability() const { return *capability_; }
  [[nodiscard]] const BindValues& binds() const { return binds_; }
  [[nodiscard]] const std::shared_ptr<consumes::TlsContext>& tls() const { return tls_; }
  [[nodiscard]] const RuntimeOptions& options() const { return options_; }

  // The compiled consumed operation for "namespace.operation", or nullptr.
  [[nodiscard]] std::shared_ptr<const CompiledOperation> FindOperation(std::string_view call) const;

  // Calls a consumed operation directly (`capstan call`): sends, then applies the consumed
  // operation's own output parameters.
  [[nodiscard]] boost::asio::awaitable<core::Result<InvocationResult>> Call(
      const CompiledOperation& operation, json::object args, const CallContext& context) const;

  // The output a call step leaves for later steps: the 2xx body as JSON (converted from the
  // operation's outputRawFormat), through the consumed operation's own output parameters.
  [[nodiscard]] core::Result<json::value> StepOutput(const CompiledOperation& operation,
                                                     consumes::UpstreamResponse response,
                                                     const json::object& args) const;

  // Sends the request for `args` (with digest authentication when configured) and returns the raw
  // upstream response.
  [[nodiscard]] boost::asio::awaitable<core::Result<consumes::UpstreamResponse>> Send(
      const CompiledOperation& operation, const json::object& args,
      const CallContext& context) const;

  // Every upstream origin the compiled operations call, once each, with a consumes namespace
  // that calls it (for messages).
  [[nodiscard]] std::vector<std::pair<std::string, consumes::Origin>> Origins() const;

  // The converter of `operation`'s outputRawFormat; nullptr for JSON (no lookup on that path).
  [[nodiscard]] const convert::Converter* ConverterFor(const CompiledOperation& operation) const;

 private:
  // Send() with the trace span around it (when spans are exported).
  [[nodiscard]] boost::asio::awaitable<core::Result<consumes::UpstreamResponse>> SendTraced(
      const CompiledOperation& operation, const json::object& args,
      const CallContext& context) const;
  // Send() through the upstream's guard: breaker, in-flight limit, retries.
  [[nodiscard]] boost::asio::awaitable<core::Result<consumes::UpstreamResponse>> SendResilient(
      const CompiledOperation& operation, const json::object& args,
      const CallContext& context) const;
  // Send() without the span: the upstream's traceparent names `span_id` (empty: a fresh id);
  // `target`, when given, receives the request-target sent.
  [[nodiscard]] boost::asio::awaitable<core::Result<consumes::UpstreamResponse>> SendRequest(
      const CompiledOperation& operation, const json::object& args, const CallContext& context,
      std::string_view span_id, std::string* target) const;
  Runtime() = default;

  std::shared_ptr<const spec::Capability> capability_;
  RuntimeOptions options_;
  BindValues binds_;
  std::shared_ptr<consumes::TlsContext> tls_;
  std::unordered_map<std::string, std::shared_ptr<const CompiledOperation>> operations_;
  std::unordered_map<std::string, OutputMapping> consumed_outputs_;
  // outputRawFormat converters of the operations whose body is not JSON, by "ns.operation".
  std::unordered_map<std::string, std::unique_ptr<const convert::Converter>> converters_;
};

// Maps an upstream response and an output mapping to an InvocationResult: error statuses and
// identity mappings pass the body through unchanged; other 2xx bodies are parsed and mapped.
// `converter` turns a 2xx body of another format into JSON first (nullptr: the body is JSON).
// Without `verify_json`, an identity-mapped 2xx JSON body is not checked to be one JSON text
// (RuntimeOptions::trust_upstream_json); its result then says json_verified = false.
[[nodiscard]] core::Result<InvocationResult> MapResponse(consumes::UpstreamResponse response,
                                                         const OutputMapping& output,
                                                         const convert::Converter* converter,
                                                         const json::object& inputs,
                                                         bool verify_json = true);

// The upstream client of the calling thread's event loop, created on first use. Only for threads
// that run an event loop until they exit (server loops); others own their client.
[[nodiscard]] consumes::UpstreamClient& ThreadUpstreamClient(
    const boost::asio::any_io_executor& executor, const std::shared_ptr<consumes::TlsContext>& tls,
    const consumes::PoolOptions& pool);

}  // namespace capstan::runtime
