// `capstan serve` and `capstan call`: load capabilities, build their runtimes, and either serve
// every exposed adapter until SIGINT/SIGTERM or make one consumed call and print its result.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace capstan::cli {

struct RuntimeArgs {
  std::vector<std::string> base_uris;  // "NS=URL"
  std::string ca_file;                 // extra CA bundle for upstream TLS
  // --timeout-ms: "MS" (every namespace) or "NS=MS" (one consumes namespace); repeatable. Sets
  // the upstream total timeout (and caps the read timeout).
  std::vector<std::string> timeouts;
};

struct ServeArgs {
  std::vector<std::string> files;
  RuntimeArgs runtime;
  std::string address;             // overrides every adapter's address
  std::vector<std::string> ports;  // "NS=PORT"
  unsigned threads = 0;
  bool no_access_log = false;
  // MCP (docs/mcp.md).
  bool stdio = false;                            // serve the MCP adapter over stdin/stdout
  bool mcp_stateless = false;                    // no sessions; GET/DELETE answer 405
  bool conformance_fixtures = false;             // also serve the conformance-suite fixtures
  std::vector<std::string> mcp_allowed_hosts;    // Host allow-list (default: loopback names)
  std::vector<std::string> mcp_allowed_origins;  // Origin allow-list (default: loopback names)
  std::string mcp_session_key;  // HMAC key for session ids (env CAPSTAN_MCP_SESSION_KEY)
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
