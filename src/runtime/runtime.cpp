#include "runtime/runtime.hpp"

#include <algorithm>
#include <random>
#include <set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "runtime/digest.hpp"
#include "runtime/values.hpp"
#include "spec/references.hpp"

namespace capstan::runtime {

namespace asio = boost::asio;
using core::ErrorCode;
using core::Fail;

namespace {

bool IsJsonContentType(std::string_view ct) {
  std::size_t semi = ct.find(';');
  std::string_view type = ct.substr(0, semi);
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  if (http::IEquals(type, "application/json")) return true;
  return type.size() > 5 && http::IEquals(type.substr(type.size() - 5), "+json");
}

// The Content-Encoding of a response when it is not identity (every value, comma-joined).
std::optional<std::string> NonIdentityEncoding(const http::Headers& headers) {
  std::string codings;
  bool other = false;
  for (const auto& [name, value] : headers.entries()) {
    if (!http::IEquals(name, "Content-Encoding")) continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      std::size_t comma = rest.find(',');
      std::string_view token = rest.substr(0, comma);
      while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) {
        token.remove_prefix(1);
      }
      while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) {
        token.remove_suffix(1);
      }
      if (!token.empty()) {
        if (!codings.empty()) codings += ", ";
        codings += token;
        if (!http::IEquals(token, "identity")) other = true;
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  if (!other) return std::nullopt;
  return codings;
}

std::string EnvName(std::string_view ns) {
  std::string out = "CAPSTAN_BASE_URI_";
  for (char c : ns) {
    if (c == '-' || c == '.') {
      out += '_';
    } else if (c >= 'a' && c <= 'z') {
      out += static_cast<char>(c - 'a' + 'A');
    } else {
      out += c;
    }
  }
  return out;
}

bool IsSha256(std::string_view algorithm) {
  return http::IEquals(algorithm, "SHA-256") || http::IEquals(algorithm, "SHA-256-sess");
}

std::string RandomNonce() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) out += kHex[rng() & 0xF];
  return out;
}

convert::Format ToConvertFormat(spec::OutputRawFormat format) {
  switch (format) {
    case spec::OutputRawFormat::kJson:
      return convert::Format::kJson;
    case spec::OutputRawFormat::kXml:
      return convert::Format::kXml;
    case spec::OutputRawFormat::kAvro:
      return convert::Format::kAvro;
    case spec::OutputRawFormat::kProtobuf:
      return convert::Format::kProtobuf;
    case spec::OutputRawFormat::kCsv:
      return convert::Format::kCsv;
    case spec::OutputRawFormat::kTsv:
      return convert::Format::kTsv;
    case spec::OutputRawFormat::kPsv:
      return convert::Format::kPsv;
    case spec::OutputRawFormat::kYaml:
      return convert::Format::kYaml;
    case spec::OutputRawFormat::kHtml:
      return convert::Format::kHtml;
    case spec::OutputRawFormat::kMarkdown:
      return convert::Format::kMarkdown;
  }
  return convert::Format::kJson;
}

}  // namespace

// ---- MapResponse ----------------------------------------------------------------------------

core::Result<InvocationResult> MapResponse(consumes::UpstreamResponse response,
                                           const OutputMapping& output,
                                           const convert::Converter* converter,
                                           const json::object& inputs, bool verify_json) {
  InvocationResult out;
  out.status = response.status;
  out.upstream_status = response.status;
  out.upstream_time = response.elapsed;
  std::string content_type(response.headers.Get("Content-Type").value_or(""));
  // capstan asks for `Accept-Encoding: identity` and decodes nothing: a compressed body must not
  // pass for JSON (or for an upstream error body).
  if (auto coding = NonIdentityEncoding(response.headers); coding && !response.body.empty()) {
    return Fail(ErrorCode::kUpstreamError,
                "upstream sent Content-Encoding: " + *coding + ", which capstan does not decode");
  }
  if (response.status < 200 || response.status >= 300) {
    // Error (and redirect) bodies pass through unchanged: Scaleway's envelopes stay intact.
    out.is_json = IsJsonContentType(content_type);
    out.content_type = out.is_json ? "application/json" : content_type;
    out.body = std::move(response.body);
    return out;
  }
  if (response.body.empty()) {
    out.content_type = "application/json";
    return out;
  }
  out.is_json = true;
  out.content_type = "application/json";
  if (converter != nullptr && converter->format() != convert::Format::kJson) {
    // Another format: converted, then mapped (identity serialises the converted tree).
    auto converted = converter->ToJson(response.body);
    if (!converted) {
      return Fail(ErrorCode::kUpstreamError,
                  "upstream answered " + std::to_string(response.status) +
                      " with a body that is "
                      "not valid " +
                      std::string(convert::FormatName(converter->format())) + ": " +
                      converted.error().message);
    }
    out.json_verified = true;
    if (output.identity()) {
      out.body = core::SerializeJson(*converted);
      return out;
    }
    auto mapped = output.Apply(*converted, inputs);
    if (!mapped) return Fail(ErrorCode::kMappingFailed, mapped.error().message);
    out.body = core::SerializeJson(*mapped);
    return out;
  }
  auto not_json = [&] {
    return Fail(ErrorCode::kUpstreamError, "upstream answered " + std::to_string(response.status) +
                                               " with a body that is not one JSON text "
                                               "(Content-Type: " +
                                               (content_type.empty() ? "none" : content_type) +
                                               ")");
  };
  if (output.identity() && IsJsonContentType(content_type)) {
    // Byte for byte, once the bytes are known to be one JSON text: a cut or garbled body is an
    // invalid upstream answer (502), never a 200 the client cannot parse.
    if (verify_json) {
      if (!core::IsJsonGrammar(response.body)) return not_json();
      out.json_verified = true;
    }
    out.body = std::move(response.body);
    return out;
  }
  auto parsed = core::ParseJson(response.body);
  if (!parsed) return not_json();
  out.json_verified = true;
  if (output.identity()) {
    out.body = std::move(response.body);
    return out;
  }
  auto mapped = output.Apply(*parsed, inputs);
  if (!mapped) return Fail(ErrorCode::kMappingFailed, mapped.error().message);
  out.body = core::SerializeJson(*mapped);
  return out;
}

// ---- Invocation -----------------------------------------------------------------------------

core::Result<std::shared_ptr<const Invocation>> Invocation::Compile(const Runtime& runtime,
                                                                    Definition def) {
  auto inv = std::make_shared<Invocation>();
  inv->runtime_ = &runtime;
  inv->what_ = def.what;

  std::vector<std::string> extra_namespaces = def.input_namespaces;
  if (def.ref) {
    // A ref takes the aggregate function's logic and, unless the adapter declares its own, its
    // inputs (AggregateRefResolver in the reference engine).
    const spec::AggregateFunction* fn = spec::ResolveRef(runtime.capability(), *def.ref);
    if (fn == nullptr) {
      return Fail(ErrorCode::kNotFound,
                  def.what + ": ref '" + *def.ref + "' names no aggregate function");
    }
    inv->function_ = fn;
    extra_namespaces.push_back(def.ref->substr(0, def.ref->find('.')));
    if (!def.call && def.steps.empty()) {
      if (fn->call) def.call = fn->call->target;
      def.with = fn->with;
      def.steps = fn->steps;
      def.mappings = fn->mappings;
      if (def.outputs.empty()) def.outputs = fn->output_parameters;
    }
    if (def.rest_inputs.empty() && def.tool_inputs.empty()) {
      if (def.rest_method) {
        for (const spec::McpToolInputParameter& p : fn->input_parameters) {
          spec::ExposedInputParameter in;
          in.source = p.source;
          in.name = p.name;
          in.type = p.type;
          in.description = p.description;
          const bool in_route =
              std::any_of(def.route_variables.begin(), def.route_variables.end(),
                          [&](const std::string& v) { return spec::SameName(v, p.name); });
          const bool has_body = *def.rest_method == spec::HttpMethod::kPost ||
                                *def.rest_method == spec::HttpMethod::kPut ||
                                *def.rest_method == spec::HttpMethod::kPatch;
          in.in = in_route   ? spec::ParameterIn::kPath
                  : has_body ? spec::ParameterIn::kBody
                             : spec::ParameterIn::kQuery;
          def.rest_inputs.push_back(std::move(in));
        }
      } else {
        def.tool_inputs = fn->input_parameters;
      }
    }
  }

  std::vector<std::string_view> namespaces;
  namespaces.push_back(def.expose_ns);
  for (const std::string& ns : extra_namespaces) namespaces.push_back(ns);

  if (!def.steps.empty()) {
    StepPlan::Definition plan;
    plan.namespaces = namespaces;
    plan.steps = std::move(def.steps);
    plan.mappings = std::move(def.mappings);
    plan.outputs = def.outputs;
    plan.what = def.what;
    auto compiled = StepPlan::Compile(runtime, std::move(plan));
    if (!compiled) return Fail(std::move(compiled).error());
    inv->plan_ = std::move(*compiled);
  } else {
    if (def.call) {
      inv->operation_ = runtime.FindOperation(*def.call);
      if (!inv->operation_) {
        return Fail(ErrorCode::kNotFound,
                    def.what + ": call '" + *def.call + "' names no consumed operation");
      }
    }
    auto output = OutputMapping::Compile(def.outputs);
    if (!output) return Fail(ErrorCode::kInvalidArgument, def.what + ": " + output.error().message);
    inv->output_ = std::move(*output);
    if (!inv->operation_ && !inv->output_.mock_only()) {
      return Fail(ErrorCode::kInvalidArgument,
                  def.what + ": needs a call, steps, a ref or static output values");
    }
    auto with = WithRules::Compile(def.with, namespaces, /*step_paths=*/false, def.what);
    if (!with) return Fail(std::move(with).error());
    inv->with_ = std::move(*with);
  }

  auto add_input = [&](InputSpec spec_in) {
    for (const InputSpec& existing : inv->inputs_) {
      if (spec::SameName(existing.name, spec_in.name)) return;
    }
    inv->inputs_.push_back(std::move(spec_in));
  };
  if (!def.rest_inputs.empty()) {
    for (const spec::ExposedInputParameter& p : def.rest_inputs) {
      InputSpec in;
      in.name = p.name;
      in.in = p.in;
      in.type = p.type;
      in.required = p.in == spec::ParameterIn::kPath;
      in.description = p.description;
      in.pattern = p.pattern;
      in.value = p.value;
      add_input(std::move(in));
    }
  } else if (!def.tool_inputs.empty()) {
    for (const spec::McpToolInputParameter& p : def.tool_inputs) {
      InputSpec in;
      in.name = p.name;
      in.in = spec::ParameterIn::kBody;
      in.type = p.type;
      in.required = p.required;
      in.description = p.description;
      add_input(std::move(in));
    }
  } else if (inv->operation_) {
    // Derived from the consumed operation (dialect: no declared inputs).
    for (const ConsumedParam& p : inv->operation_->params()) {
      if (p.in == spec::ParameterIn::kEnvironment || p.value) continue;
      std::string name = p.name;
      bool skip = false;
      for (const WithRules::Rule& rule : inv->with_.rules()) {
        if (!spec::SameName(rule.key, p.name)) continue;
        if (rule.kind == WithRules::Rule::Kind::kInput) {
          name = rule.input;
        } else {
          skip = true;  // fixed by the capability, not the caller's to give
        }
      }
      if (skip) continue;
      InputSpec in;
      in.name = name;
      in.in = p.in;
      bool in_route = false;
      for (const std::string& var : def.route_variables) {
        if (spec::SameName(var, name)) {
          in_route = true;
          in.name = var;
        }
      }
      if (in_route) {
        in.in = spec::ParameterIn::kPath;
      } else if (p.in == spec::ParameterIn::kPath) {
        in.in = spec::ParameterIn::kQuery;
      }
      in.type = p.type.value_or(spec::ValueType::kString);
      in.required = p.required;
      in.description = p.description;
      add_input(std::move(in));
    }
  } else if (inv->plan_) {
    // An orchestrated operation with no declared inputs: its route variables.
    for (const std::string& var : def.route_variables) {
      InputSpec in;
      in.name = var;
      in.in = spec::ParameterIn::kPath;
      in.required = true;
      add_input(std::move(in));
    }
  }
  return std::shared_ptr<const Invocation>(std::move(inv));
}

std::string Invocation::Describe() const {
  if (operation_) return operation_->method() + " " + operation_->call();
  if (plan_) {
    std::string out = "steps";
    for (const CompiledOperation* op : plan_->operations()) out += " " + op->call() + ",";
    if (out.back() == ',') out.pop_back();
    return out;
  }
  return "static result";
}

core::Result<json::object> Invocation::ConsumedArgs(const json::object& inputs) const {
  // Every input reaches the consumed operation by name (its parameters, and the variables of its
  // path and body templates, as in the reference engine); `with` entries then add and replace.
  json::object args = inputs;
  ValueScope scope{&inputs, nullptr, &runtime_->binds()};
  CAPSTAN_RETURN_IF_ERROR(with_.Apply(scope, args));
  return args;
}

asio::awaitable<core::Result<InvocationResult>> Invocation::Execute(
    json::object inputs, const CallContext& context) const {
  if (plan_) co_return co_await plan_->Run(inputs, context);
  if (!operation_) {
    auto mapped = output_.Apply(json::value(nullptr), inputs);
    if (!mapped) co_return Fail(ErrorCode::kMappingFailed, mapped.error().message);
    InvocationResult result;
    result.is_json = true;
    result.json_verified = true;
    result.content_type = "application/json";
    result.body = core::SerializeJson(*mapped);
    co_return result;
  }
  auto args = ConsumedArgs(inputs);
  if (!args) co_return Fail(std::move(args).error());
  auto response = co_await runtime_->Send(*operation_, *args, context);
  if (!response) co_return Fail(std::move(response).error());
  co_return MapResponse(std::move(*response), output_, runtime_->ConverterFor(*operation_), inputs,
                        !runtime_->options().trust_upstream_json);
}

// ---- Runtime --------------------------------------------------------------------------------

core::Result<std::shared_ptr<Runtime>> Runtime::Create(
    std::shared_ptr<const spec::Capability> capability, RuntimeOptions options) {
  std::shared_ptr<Runtime> rt(new Runtime());
  rt->capability_ = std::move(capability);
  rt->options_ = std::move(options);
  if (!rt->options_.env) rt->options_.env = ProcessEnvironment();
  const EnvLookup& env = rt->options_.env;

  auto binds = ResolveBinds(*rt->capability_, env);
  if (!binds) return Fail(std::move(binds).error());
  rt->binds_ = std::move(*binds);
  if (rt->options_.tls_context) {
    rt->tls_ = rt->options_.tls_context;
  } else {
    auto tls = consumes::MakeTlsContext(rt->options_.tls);
    if (!tls) return Fail(std::move(tls).error());
    rt->tls_ = std::move(*tls);
  }

  std::vector<const spec::ConsumesHttp*> adapters;
  if (rt->capability_->capability) {
    for (const auto& c : rt->capability_->capability->consumes) adapters.push_back(&c);
  }
  for (const auto& c : rt->capability_->consumes) adapters.push_back(&c);
  for (const auto& entry : rt->options_.limits_by_namespace) {
    const std::string& ns = entry.first;
    bool known = std::any_of(adapters.begin(), adapters.end(),
                             [&](const spec::ConsumesHttp* c) { return c->ns == ns; });
    if (!known) {
      return Fail(ErrorCode::kInvalidArgument,
                  "--timeout-ms names '" + ns + "', which is not a consumes namespace here");
    }
  }
  for (const auto& entry : rt->options_.base_uris) {
    const std::string& ns = entry.first;
    bool known = std::any_of(adapters.begin(), adapters.end(),
                             [&](const spec::ConsumesHttp* c) { return c->ns == ns; });
    if (!known) {
      return Fail(ErrorCode::kInvalidArgument,
                  "--base-uri names '" + ns + "', which is not a consumes namespace here");
    }
  }
  for (const spec::ConsumesHttp* c : adapters) {
    OperationOverrides overrides;
    if (auto it = rt->options_.base_uris.find(c->ns); it != rt->options_.base_uris.end()) {
      overrides.base_uri = it->second;
    } else if (auto from_env = env(EnvName(c->ns))) {
      overrides.base_uri = *from_env;
    }
    overrides.limits = rt->options_.limits;
    if (auto it = rt->options_.limits_by_namespace.find(c->ns);
        it != rt->options_.limits_by_namespace.end()) {
      overrides.limits = it->second;
    }
    overrides.resilience = rt->options_.resilience;
    if (auto it = rt->options_.resilience_by_key.find(c->ns);
        it != rt->options_.resilience_by_key.end()) {
      overrides.resilience = it->second;
    }
    const consumes::ResilienceOptions namespace_resilience = overrides.resilience;
    for (const auto& resource : c->resources) {
      for (const auto& operation : resource.operations) {
        std::string call = c->ns + "." + operation.name;
        if (rt->operations_.count(call)) continue;  // the first of a name wins (reference)
        overrides.resilience = namespace_resilience;
        if (auto it = rt->options_.resilience_by_key.find(call);
            it != rt->options_.resilience_by_key.end()) {
          overrides.resilience = it->second;
        }
        spec::ConsumedOperationRef ref{c, &resource, &operation};
        auto compiled = CompiledOperation::Compile(ref, rt->binds_, env, overrides);
        if (!compiled) return Fail(std::move(compiled).error());
        auto outputs = OutputMapping::Compile(operation.output_parameters);
        if (!outputs) {
          return Fail(ErrorCode::kInvalidArgument, call + ": " + outputs.error().message);
        }
        if (operation.output_raw_format != spec::OutputRawFormat::kJson) {
          // Schema files are relative to the file that declares the operation.
          auto converter = convert::Converter::Create(
              ToConvertFormat(operation.output_raw_format), operation.output_schema.value_or(""),
              spec::DeclaringDirectory(*rt->capability_, *c));
          if (!converter) {
            return Fail(ErrorCode::kInvalidArgument,
                        call + ": outputRawFormat: " + converter.error().message);
          }
          rt->converters_.emplace(call, std::move(*converter));
        }
        rt->operations_.emplace(call, std::move(*compiled));
        rt->consumed_outputs_.emplace(call, std::move(*outputs));
      }
    }
  }
  return rt;
}

std::vector<std::pair<std::string, consumes::Origin>> Runtime::Origins() const {
  std::vector<std::pair<std::string, consumes::Origin>> out;
  std::set<std::string> seen;
  for (const auto& [call, operation] : operations_) {
    if (!seen.insert(operation->origin().Key()).second) continue;
    const spec::ConsumesHttp* consumes = operation->spec().consumes;
    out.emplace_back(consumes ? consumes->ns : call, operation->origin());
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.second.Key() < b.second.Key(); });
  return out;
}

std::shared_ptr<const CompiledOperation> Runtime::FindOperation(std::string_view call) const {
  auto it = operations_.find(std::string(call));
  return it == operations_.end() ? nullptr : it->second;
}

asio::awaitable<core::Result<consumes::UpstreamResponse>> Runtime::Send(
    const CompiledOperation& operation, const json::object& args,
    const CallContext& context) const {
  if (!operation.resilience().enabled()) co_return co_await SendTraced(operation, args, context);
  co_return co_await SendResilient(operation, args, context);
}

asio::awaitable<core::Result<consumes::UpstreamResponse>> Runtime::SendResilient(
    const CompiledOperation& operation, const json::object& args,
    const CallContext& context) const {
  const consumes::ResilienceOptions& ro = operation.resilience();
  const consumes::Origin& origin = operation.origin();
  consumes::UpstreamGuard& guard = consumes::UpstreamGuards::Instance().For(origin.Key());
  const spec::HttpMethod method = operation.spec().operation->method;
  const bool idempotent = method == spec::HttpMethod::kGet || method == spec::HttpMethod::kPut ||
                          method == spec::HttpMethod::kDelete;
  guard.Earn(ro);
  for (int attempt = 0;; ++attempt) {
    std::chrono::milliseconds retry_in{0};
    const auto admission = guard.Admit(ro, retry_in);
    if (admission == consumes::UpstreamGuard::Admission::kOpen) {
      co_return Fail(ErrorCode::kUnavailable,
                     "the circuit breaker for " + origin.Key() +
                         " is open after repeated failures; it lets a call through again in " +
                         std::to_string((retry_in.count() + 999) / 1000) + " s");
    }
    const bool probe = admission == consumes::UpstreamGuard::Admission::kProbe;
    if (!guard.Enter(ro)) {
      guard.Finish(ro, false, probe);  // a shed call says nothing of the upstream
      co_return Fail(ErrorCode::kUnavailable, "too many calls in flight to " + origin.Key() +
                                                  " (limit " + std::to_string(ro.max_in_flight) +
                                                  "); try again shortly");
    }
    auto result = co_await SendTraced(operation, args, context);
    guard.Leave();
    const ErrorCode code = result ? ErrorCode::kInternal : result.error().code;
    const bool unreachable =
        !result && (code == ErrorCode::kUpstreamUnavailable || code == ErrorCode::kUpstreamTimeout);
    const bool server_error = result && result->status >= 500;
    if (!result && code == ErrorCode::kCancelled) {
      guard.Finish(ro, false, probe);
      co_return result;
    }
    guard.Finish(ro, unreachable || server_error, probe);
    // Nothing was sent when the connection could not be made: any method may go again. Otherwise
    // only idempotent methods, on no answer or a 502/503/504.
    const std::string_view message = result ? std::string_view() : result.error().message;
    const bool not_sent =
        code == ErrorCode::kUpstreamUnavailable &&
        (message.rfind("connecting to", 0) == 0 || message.rfind("resolving", 0) == 0);
    const bool retryable =
        not_sent ||
        (idempotent && (unreachable || (result && (result->status == 502 || result->status == 503 ||
                                                   result->status == 504))));
    if (attempt >= ro.retries || !retryable || !guard.SpendRetry()) co_return result;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(consumes::Backoff(ro, attempt + 1));
    auto [ec] = co_await timer.async_wait(
        asio::bind_cancellation_slot(context.cancel, asio::as_tuple(asio::use_awaitable)));
    if (ec) co_return result;  // the caller went away
  }
}

asio::awaitable<core::Result<consumes::UpstreamResponse>> Runtime::SendTraced(
    const CompiledOperation& operation, const json::object& args,
    const CallContext& context) const {
  const http::TraceContext* trace = context.trace;
  http::SpanSink* sink = trace != nullptr && !trace->span_id.empty() && trace->sampled()
                             ? http::ActiveSpanSink()
                             : nullptr;
  if (sink == nullptr) co_return co_await SendRequest(operation, args, context, {}, nullptr);
  // A CLIENT span, child of the request's span; its id is the upstream's parent-id.
  http::Span span;
  span.kind = http::Span::Kind::kClient;
  span.trace_id = trace->trace_id;
  span.span_id = http::NewSpanId();
  span.parent_span_id = trace->span_id;
  span.start = std::chrono::system_clock::now();
  std::string target;
  auto result = co_await SendRequest(operation, args, context, span.span_id, &target);
  span.end = std::chrono::system_clock::now();
  const consumes::Origin& origin = operation.origin();
  span.name = std::string(spec::HttpMethodName(operation.spec().operation->method));
  span.string_attributes = {
      {"http.request.method", span.name},
      {"server.address", origin.host},
      // The path only: a query may carry an API key.
      {"url.full", (origin.tls ? "https://" : "http://") + origin.HostHeader() +
                       target.substr(0, target.find('?'))},
  };
  span.int_attributes = {{"server.port", origin.port}};
  if (result) {
    span.int_attributes.emplace_back("http.response.status_code", result->status);
    span.error = result->status >= 500;
  } else {
    span.error = true;
    span.string_attributes.emplace_back("error.type",
                                        std::string(core::ErrorCodeName(result.error().code)));
  }
  sink->Record(std::move(span));
  co_return result;
}

asio::awaitable<core::Result<consumes::UpstreamResponse>> Runtime::SendRequest(
    const CompiledOperation& operation, const json::object& args, const CallContext& context,
    std::string_view span_id, std::string* target) const {
  auto request = operation.BuildRequest(args);
  if (!request) co_return Fail(std::move(request).error());
  if (target != nullptr) *target = request->target;
  if (context.client == nullptr) co_return Fail(ErrorCode::kInternal, "no upstream client");
  if (context.trace != nullptr) {
    request->headers.Set("traceparent", span_id.empty()
                                            ? http::ChildTraceparent(*context.trace)
                                            : http::Traceparent(*context.trace, span_id));
    if (!context.trace->state.empty()) request->headers.Set("tracestate", context.trace->state);
  }
  consumes::CallOptions call_options;
  call_options.limits = operation.limits();
  call_options.cancel = context.cancel;
  if (!operation.digest()) {
    co_return co_await context.client->Send(operation.origin(), std::move(*request), call_options);
  }
  // Digest: send once, answer the challenge, send again.
  auto first = co_await context.client->Send(operation.origin(), *request, call_options);
  if (!first || first->status != 401) co_return first;
  // Several challenges may be offered (one header each): take SHA-256 over MD5.
  std::optional<DigestChallenge> challenge;
  for (const auto& [name, value] : first->headers.entries()) {
    if (!http::IEquals(name, "WWW-Authenticate")) continue;
    auto parsed = ParseDigestChallenge(value);
    if (!parsed || !IsSupportedDigestAlgorithm(parsed->algorithm)) continue;
    if (!challenge || (!IsSha256(challenge->algorithm) && IsSha256(parsed->algorithm))) {
      challenge = std::move(parsed);
    }
  }
  if (!challenge) co_return first;
  auto authorization =
      DigestAuthorization(*challenge, operation.digest()->username, operation.digest()->password,
                          request->method, request->target, RandomNonce());
  if (!authorization) co_return Fail(std::move(authorization).error());
  request->headers.Set("Authorization", *authorization);
  co_return co_await context.client->Send(operation.origin(), std::move(*request), call_options);
}

core::Result<json::value> Runtime::StepOutput(const CompiledOperation& operation,
                                              consumes::UpstreamResponse response,
                                              const json::object& args) const {
  // MapResponse's rules (encodings, formats, JSON checks) with no mapping, then the consumed
  // operation's own output parameters over the tree.
  static const OutputMapping kIdentity;
  auto raw = MapResponse(std::move(response), kIdentity, ConverterFor(operation), args);
  if (!raw) return Fail(std::move(raw).error());
  if (raw->body.empty()) return json::value(nullptr);
  if (!raw->is_json) {
    return Fail(ErrorCode::kUpstreamError,
                "the answer is not JSON (Content-Type: " + raw->content_type + ")");
  }
  auto parsed = core::ParseJson(raw->body, {.allow_duplicate_keys = true});
  if (!parsed) return Fail(ErrorCode::kUpstreamError, parsed.error().message);
  auto shaped = consumed_outputs_.at(operation.call()).ApplyToStepOutput(*parsed, args);
  if (!shaped) return Fail(ErrorCode::kMappingFailed, shaped.error().message);
  return std::move(*shaped);
}

asio::awaitable<core::Result<InvocationResult>> Runtime::Call(const CompiledOperation& operation,
                                                              json::object args,
                                                              const CallContext& context) const {
  auto response = co_await Send(operation, args, context);
  if (!response) co_return Fail(std::move(response).error());
  const OutputMapping& outputs = consumed_outputs_.at(operation.call());
  co_return MapResponse(std::move(*response), outputs, ConverterFor(operation), args,
                        !options_.trust_upstream_json);
}

const convert::Converter* Runtime::ConverterFor(const CompiledOperation& operation) const {
  if (operation.spec().operation->output_raw_format == spec::OutputRawFormat::kJson) {
    return nullptr;
  }
  auto it = converters_.find(operation.call());
  return it == converters_.end() ? nullptr : it->second.get();
}

consumes::UpstreamClient& ThreadUpstreamClient(const asio::any_io_executor& executor,
                                               const std::shared_ptr<consumes::TlsContext>& tls,
                                               const consumes::PoolOptions& pool) {
  struct Entry {
    const consumes::TlsContext* tls;
    std::unique_ptr<consumes::UpstreamClient> client;
  };
  thread_local std::vector<Entry> clients;
  for (Entry& e : clients) {
    if (e.tls == tls.get()) return *e.client;
  }
  clients.push_back(
      Entry{tls.get(), std::make_unique<consumes::UpstreamClient>(executor, tls, pool)});
  return *clients.back().client;
}

}  // namespace capstan::runtime
