// The `rest` adapter: serves an ExposesRest block. Routes exposed paths to compiled invocations,
// extracts and type-checks inputs from path, query, headers and body, enforces inbound auth, and
// writes the upstream's status with the mapped body; `forward` resources proxy to a consumes
// namespace. Behaviour reference: docs/rest.md.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "exposes/server/endpoint.hpp"
#include "runtime/runtime.hpp"
#include "spec/capability.hpp"

namespace capstan::rest {

class RestAdapter;

// Compiles the adapter. Fails with a message naming the operation when an invocation cannot be
// built (unknown call, unsupported feature) or inbound auth cannot be resolved.
[[nodiscard]] core::Result<std::shared_ptr<exposes::Endpoint>> MakeRestAdapter(
    std::shared_ptr<const runtime::Runtime> runtime, const spec::ExposesRest& spec);

// One compiled operation of a REST adapter, as it is served (for OpenAPI export).
struct RestOperationInfo {
  std::string path;  // the resource path as written ("/v1/jwts/{jti}" or "{{jti}}")
  std::string method;
  std::string name;
  std::string description;
  std::shared_ptr<const runtime::Invocation> invocation;  // inputs() are the served inputs
  bool forward = false;                                   // the resource also proxies other methods
};

// Compiles the adapter as MakeRestAdapter does and lists its operations in declaration order.
[[nodiscard]] core::Result<std::vector<RestOperationInfo>> DescribeRestAdapter(
    std::shared_ptr<const runtime::Runtime> runtime, const spec::ExposesRest& spec);

}  // namespace capstan::rest
