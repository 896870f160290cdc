// The `control` adapter: the management plane of a serving process on its own port: health
// probes, status and build information, and (when the capability's `management` block turns
// them on) reload and dry-run validation of the capabilities, log levels and a live log stream.
// docs/operations.md shows it.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "core/result.hpp"
#include "exposes/server/endpoint.hpp"
#include "runtime/runtime.hpp"
#include "spec/capability.hpp"

namespace capstan::control {

namespace json = core::json;

// What the adapter reads from, and asks of, the process that serves it. Every hook may be
// called from any event loop at any time; the process makes them thread-safe.
struct ControlHooks {
  std::function<json::object()> info;                   // GET /info: version, build
  std::function<json::object()> status;                 // GET /status and /config
  std::function<std::vector<std::string>()> not_ready;  // why /health/ready is DEGRADED
  // POST /config/reload: replaces the serving set; POST /config/validate: loads and builds a
  // set without serving it. A failure's message holds every error found.
  std::function<core::Result<json::object>()> reload;
  std::function<core::Result<json::object>()> validate;
  std::function<std::string()> metrics;  // GET /metrics: Prometheus text exposition format
};

// Which endpoint groups are on (alpha2's ControlManagementSpec; `management` absent: health).
struct ControlEndpoints {
  bool health = true;
  bool info = false;  // /status, /config and /info
  bool reload = false;
  bool validate = false;
  bool metrics = true;       // observability.metrics.local (default on)
  bool logs = false;         // GET/PUT /logs and /logs/{logger} (management.logs level-control)
  bool logs_stream = false;  // GET /logs/stream (management.logs.stream)
  std::size_t max_log_subscribers = 5;
  [[nodiscard]] static ControlEndpoints From(const spec::ExposesControl& control);
  [[nodiscard]] static ControlEndpoints All() {
    return {true, true, true, true, true, true, true, 5};
  }
};

// The control endpoint. `runtime` renders the inbound authentication's bound secrets (may be
// null when there is no authentication). The health probes answer without authentication;
// everything else checks it.
[[nodiscard]] core::Result<std::shared_ptr<exposes::Endpoint>> MakeControlAdapter(
    const runtime::Runtime* runtime, const std::optional<spec::Authentication>& authentication,
    ControlEndpoints endpoints, std::shared_ptr<const ControlHooks> hooks);

}  // namespace capstan::control
