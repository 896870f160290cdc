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
  int timeout_ms = 0;                  // upstream total timeout (0 = default)
};

struct ServeArgs {
  std::vector<std::string> files;
  RuntimeArgs runtime;
  std::string address;             // overrides every adapter's address
  std::vector<std::string> ports;  // "NS=PORT"
  unsigned threads = 0;
  bool no_access_log = false;
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
