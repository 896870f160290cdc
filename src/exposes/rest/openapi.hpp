// OpenAPI 3.1 description of a REST adapter exactly as capstan serves it (`capstan openapi`):
// paths, parameters with types and descriptions (declared, or derived from the called consumed
// operation), request bodies, responses (the mapped output's schema where the file says it),
// and the adapter's inbound security scheme. docs/rest.md shows an example.
#pragma once

#include <memory>
#include <string>

#include "core/json.hpp"
#include "core/result.hpp"
#include "runtime/runtime.hpp"
#include "spec/capability.hpp"

namespace capstan::rest {

struct OpenApiOptions {
  std::string server_url;  // servers[0].url; empty: http://<address>:<port> of the adapter
};

[[nodiscard]] core::Result<core::json::object> ExportOpenApi(
    std::shared_ptr<const runtime::Runtime> runtime, const spec::ExposesRest& spec,
    const OpenApiOptions& options);

}  // namespace capstan::rest
