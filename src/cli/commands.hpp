// The capstan subcommands as functions: each takes its parsed arguments and the output streams
// and returns the process exit code. main.cpp wires them to CLI11.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "spec/capability.hpp"

namespace capstan::cli {

// Exit codes shared by every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitInvalid = 1;  // the input has errors
inline constexpr int kExitUsage = 2;    // bad usage or an unreadable file

struct ValidateArgs {
  std::vector<std::string> files;
  bool strict = false;
  std::string format = "text";  // "text" or "json"
};

// `capstan validate FILE... [--strict] [--format text|json]`: prints every diagnostic of every file
// (text: "FILE:LINE:COL: error|warning: message [rule-id]"; json: an array of objects) to `out`,
// sorted by file and line, and a summary or read errors to `err`. Returns 0 if no file has errors
// (warnings allowed), 1 if one has, 2 if a file could not be read.
int RunValidate(const ValidateArgs& args, std::ostream& out, std::ostream& err);

struct VersionArgs {
  std::string format = "text";  // "text" or "json"
};

// `capstan version [--format text|json]`: the release, the commit of the build ("-dirty" when
// built from changed files), compiler, Boost and OpenSSL versions, event backend, sanitizers.
int RunVersion(const VersionArgs& args, std::ostream& out, std::ostream& err);

// Loads and validates a capability, printing its errors to `err`; null when it has any.
[[nodiscard]] std::shared_ptr<const spec::Capability> LoadOrReport(const std::string& file,
                                                                   std::ostream& err);

struct DescribeArgs {
  std::vector<std::string> files;
  std::string adapter;  // NS of the adapter; empty: the only one
  std::string server;   // openapi: servers[0].url
};

// `capstan openapi FILE [--adapter NS] [--server URL]`: the OpenAPI 3.1 document of a REST
// adapter, as JSON on `out`. No secret is read: bound variables are placeholders.
int RunOpenApi(const DescribeArgs& args, std::ostream& out, std::ostream& err);
// `capstan tools FILE... [--adapter NS]`: every MCP adapter's tools (the tools/list entries)
// as {"adapters":[{"namespace","file","tools":[...]}]}.
int RunTools(const DescribeArgs& args, std::ostream& out, std::ostream& err);

// What `capstan version --format json` prints, as an object (also the control adapter's /info).
[[nodiscard]] core::json::object BuildInfo();

}  // namespace capstan::cli
