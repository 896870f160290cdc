// A consumed operation compiled for calling: its origin, path template, parameters, body and
// authentication resolved once at start-up, so that building a request is string assembly.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consumes/resilience.hpp"
#include "consumes/upstream_client.hpp"
#include "core/json.hpp"
#include "core/result.hpp"
#include "mapping/template.hpp"
#include "runtime/binds.hpp"
#include "spec/capability.hpp"

namespace capstan::runtime {

namespace json = core::json;

// One consumed input parameter, merged from the adapter, resource and operation levels.
struct ConsumedParam {
  std::string name;
  spec::ParameterIn in = spec::ParameterIn::kQuery;
  std::optional<spec::ValueType> type;  // dialect `type`, when given
  std::string description;
  bool required = false;  // dialect `required`; path parameters are always required
  std::optional<mapping::Template> value;  // a static value or template (`value:`)
  std::optional<std::string> environment;  // in: environment → the resolved variable's value
};

struct DigestCredentials {
  std::string username;
  std::string password;
};

// Per-namespace overrides applied at compile time.
struct OperationOverrides {
  std::optional<std::string> base_uri;
  consumes::UpstreamLimits limits;
  consumes::ResilienceOptions resilience;
};

class CompiledOperation {
 public:
  // Compiles `ref`; renders authentication templates with `binds` (a missing variable is an
  // error naming it) and reads `in: environment` parameters through `env`.
  [[nodiscard]] static core::Result<std::shared_ptr<const CompiledOperation>> Compile(
      const spec::ConsumedOperationRef& ref, const BindValues& binds, const EnvLookup& env,
      const OperationOverrides& overrides);

  // Builds the upstream request for `args` (consumed parameter name → value). Names match with
  // '-' and '_' equivalent. Absent optional parameters are omitted; a missing path parameter,
  // a value that cannot be a header (CR/LF) or a type mismatch is kInvalidArgument.
  [[nodiscard]] core::Result<consumes::UpstreamRequest> BuildRequest(
      const json::object& args) const;

  // Finds a parameter by name ('-' and '_' equivalent).
  [[nodiscard]] const ConsumedParam* FindParam(std::string_view name) const;

  [[nodiscard]] const std::string& call() const { return call_; }  // "ns.operation"
  [[nodiscard]] const std::string& method() const { return method_; }
  [[nodiscard]] const consumes::Origin& origin() const { return origin_; }
  [[nodiscard]] const std::vector<ConsumedParam>& params() const { return params_; }
  [[nodiscard]] const consumes::UpstreamLimits& limits() const { return limits_; }
  [[nodiscard]] const consumes::ResilienceOptions& resilience() const { return resilience_; }
  [[nodiscard]] const std::optional<DigestCredentials>& digest() const { return digest_; }
  [[nodiscard]] const spec::ConsumedOperationRef& spec() const { return ref_; }
  [[nodiscard]] std::string_view description() const;

 private:
  struct Part {
    spec::MultipartPart spec;
    mapping::Template value;
  };
  struct Body {
    spec::RequestBodyType type = spec::RequestBodyType::kRaw;
    json::value data;                       // json object/array: string leaves are templates
    std::optional<mapping::Template> text;  // string data (raw, json, text, xml, sparql, form)
    std::vector<std::pair<std::string, mapping::Template>> fields;  // formUrlEncoded object
    std::vector<Part> parts;                                        // multipartForm
  };

  core::Status AppendBody(const json::object& args, consumes::UpstreamRequest& request) const;

  spec::ConsumedOperationRef ref_;
  std::string call_;
  std::string method_;
  consumes::Origin origin_;
  consumes::ResilienceOptions resilience_;
  std::optional<mapping::Template> path_;  // base path + resource path
  std::vector<ConsumedParam> params_;
  http::Headers auth_headers_;                                   // rendered secrets
  std::vector<std::pair<std::string, std::string>> auth_query_;  // apikey in query
  std::optional<DigestCredentials> digest_;
  std::optional<Body> body_;
  const BindValues* binds_ = nullptr;  // owned by the runtime, outlives every operation
  consumes::UpstreamLimits limits_;
};

// Finds `name` in `args` with '-' and '_' equivalent (exact match first).
[[nodiscard]] const json::value* FindArg(const json::object& args, std::string_view name);

}  // namespace capstan::runtime
