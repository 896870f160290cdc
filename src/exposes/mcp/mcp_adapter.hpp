// The `mcp` adapter: serves an ExposesMcp block as an MCP server over Streamable HTTP (an
// exposes::Endpoint for the shared listener) or over stdio, and the conformance-suite fixture
// server (`capstan serve --conformance-fixtures`). docs/mcp.md describes the behaviour.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "exposes/mcp/session.hpp"
#include "exposes/server/endpoint.hpp"
#include "runtime/runtime.hpp"
#include "spec/capability.hpp"

namespace capstan::mcp {

struct McpOptions {
  bool stateless = false;  // no sessions: GET and DELETE answer 405, every POST stands alone
  // Host names (without port) accepted in Host, and origins (scheme://host[:port] or a bare host
  // name, any port) accepted in Origin. Empty: localhost, 127.0.0.1 and [::1], any port.
  // "*" accepts everything.
  std::vector<std::string> allowed_hosts;
  std::vector<std::string> allowed_origins;
  // HMAC key for session ids; replicas behind one load balancer share it. Empty: random per
  // process.
  std::string session_key;
  std::size_t max_body_bytes = 4 * 1024 * 1024;  // POST bodies beyond → 413
  std::string path = "/mcp";
  // Also answers "/" and the /.well-known paths; false for the per-adapter mounts that share a
  // listener with the primary endpoint.
  bool primary = true;
  std::string server_version = "0.1.0";
  // Where the endpoint keeps its sessions (by path); empty: a store of its own. `capstan serve`
  // passes one per listener, kept across reloads.
  std::shared_ptr<SessionStores> session_stores;
  // Tells clients that the tool list may change (capabilities.tools.listChanged): a reload then
  // sends notifications/tools/list_changed.
  bool list_changed = false;
};

// Compiles the adapter's catalog and returns its Streamable HTTP endpoint. Fails with a message
// naming the tool, resource or prompt that cannot be built, or an unsupported inbound auth.
[[nodiscard]] core::Result<std::shared_ptr<exposes::Endpoint>> MakeMcpAdapter(
    std::shared_ptr<const runtime::Runtime> runtime, const spec::ExposesMcp& spec,
    const McpOptions& options);

// Serves the adapter over stdio: newline-delimited JSON-RPC read from `in_fd`, written to
// `out_fd` (logs go to stderr). Returns when the input ends; requests still running are
// finished first.
[[nodiscard]] core::Status ServeStdio(std::shared_ptr<const runtime::Runtime> runtime,
                                      const spec::ExposesMcp& spec, const McpOptions& options,
                                      int in_fd, int out_fd);

// The conformance fixture server: the suite's tools, resources and prompts, mapped through a
// capability and a built-in mock upstream where the behaviour is a gateway's, native otherwise.
class ConformanceFixtures {
 public:
  virtual ~ConformanceFixtures() = default;
  [[nodiscard]] virtual std::shared_ptr<exposes::Endpoint> endpoint() const = 0;
  // The capability behind the mapped fixtures (for stdio serving).
  [[nodiscard]] virtual std::shared_ptr<const runtime::Runtime> runtime() const = 0;
};

inline constexpr std::string_view kFixturesNamespace = "conformance-fixtures";

// Starts the mock upstream on an ephemeral loopback port and builds the fixture endpoint.
[[nodiscard]] core::Result<std::unique_ptr<ConformanceFixtures>> StartConformanceFixtures(
    const McpOptions& options);

}  // namespace capstan::mcp
