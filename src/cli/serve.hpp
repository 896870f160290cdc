// `capstan serve` and `capstan call`: load capabilities, build their runtimes, and either serve
// every exposed adapter until SIGINT/SIGTERM (reloading on SIGHUP or, with --watch, on a file
// change) or make one consumed call and print its result.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace capstan::cli {

struct RuntimeArgs {
  std::vector<std::string> base_uris;  // "NS=URL"; NS may be a glob ("*=URL")
  std::string ca_file;                 // extra CA bundle for upstream TLS
  bool trust_upstream_json = false;    // pass 2xx JSON bodies on unchecked (identity mappings)
  // --timeout-ms: "MS" (every namespace) or "NS=MS" (one consumes namespace); repeatable. Sets
  // the upstream total timeout (and caps the read timeout).
  std::vector<std::string> timeouts;
  // Resilience, for every upstream (docs/upstream.md): retries of idempotent calls and of
  // connections that could not be made, a circuit breaker, a limit of calls in flight.
  // Each "N" (every upstream) or "KEY=N", KEY a consumes namespace (or glob) or
  // "namespace.operation"; repeatable.
  std::vector<std::string> retries;
  std::vector<std::string> retry_backoff_ms;
  std::vector<std::string> breaker_failures;
  std::vector<std::string> breaker_open_ms;
  std::vector<std::string> max_in_flight;
  // "MS" or "NS=MS": the connect and the per-read timeouts (--timeout-ms is the total).
  std::vector<std::string> connect_timeouts;
  std::vector<std::string> read_timeouts;
};

struct ServeArgs {
  // Capability files, directories (their *.yaml and *.yml, sorted) or quoted glob patterns.
  std::vector<std::string> files;
  RuntimeArgs runtime;
  std::string address;             // overrides every adapter's address
  std::vector<std::string> ports;  // "NS=PORT"
  unsigned threads = 0;
  // How long a client's keep-alive connection may wait for its next request (ms); 0: the default.
  unsigned idle_timeout_ms = 0;
  bool no_access_log = false;
  std::string log_format = "auto";  // auto | json | text (the access log)
  // Inbound rate limit per caller (a credential, else the address): requests per second; the
  // bucket holds twice as many. 0: none.
  double rate_limit = 0;
  bool watch = false;  // reload when a loaded file (or a file of a directory argument) changes
  bool ready_upstreams = false;  // /health/ready also needs every upstream to accept a connection
  int control_port = -1;  // >= 0: the control adapter's port (one with every endpoint if no file
                          // declares one); 0 = ephemeral
  // MCP (docs/mcp.md).
  bool stdio = false;                            // serve the MCP adapter over stdin/stdout
  bool mcp_stateless = false;                    // no sessions; GET/DELETE answer 405
  bool conformance_fixtures = false;             // also serve the conformance-suite fixtures
  std::vector<std::string> mcp_allowed_hosts;    // Host allow-list (default: loopback names)
  std::vector<std::string> mcp_allowed_origins;  // Origin allow-list (default: loopback names)
  std::string mcp_session_key;  // HMAC key for session ids (env CAPSTAN_MCP_SESSION_KEY)
  // Many adapters on one port (docs/operations.md).
  std::string mcp_tool_clash = "prefix";  // error | prefix | prefix-all
  std::string mcp_mount = "union";        // union | per-capability (also /mcp/<namespace>)
  bool mcp_discovery = false;             // the union lists search/describe/call meta-tools
  bool mcp_confirm_destructive = false;   // elicitation before destructive tools
  // Tool controls: a side config (YAML or JSON) and flags that add to it.
  std::string tools_config;
  std::vector<std::string> include_tools;  // globs on tool names or NS/name
  std::vector<std::string> exclude_tools;
  bool read_only = false;  // keep only readOnly tools
};

struct CallArgs {
  std::string call;                     // "namespace.operation"
  std::vector<std::string> parameters;  // "name=value"
  std::string capability;               // file; default: search ./capabilities
  RuntimeArgs runtime;
};

int RunServe(const ServeArgs& args, std::ostream& out, std::ostream& err);
int RunCall(const CallArgs& args, std::ostream& out, std::ostream& err);

}  // namespace capstan::cli
