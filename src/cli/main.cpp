// capstan: runs Naftiko capabilities. The CLI is the only code that prints or exits.
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/serve.hpp"
#include "http/event_backend.hpp"

int main(int argc, char** argv) {
  capstan::http::RunEpollTwinIfNeeded(argv);  // an io_uring build where io_uring is refused
  CLI::App app{"capstan: serve Naftiko capabilities over REST and MCP"};
  app.set_version_flag("--version", "capstan " CAPSTAN_VERSION);
  app.require_subcommand(0, 1);

  capstan::cli::ValidateArgs validate_args;
  CLI::App* validate = app.add_subcommand(
      "validate", "Check capability files against the alpha2 schema and capstan's rules");
  validate->add_option("files", validate_args.files, "Capability files (YAML)")
      ->required()
      ->expected(1, -1);
  validate->add_flag("--strict", validate_args.strict,
                     "Report generator-dialect constructs as errors instead of warnings");
  validate->add_option("--format", validate_args.format, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->default_val("text");

  auto add_runtime_options = [](CLI::App* cmd, capstan::cli::RuntimeArgs& args) {
    cmd->add_option(
           "--base-uri", args.base_uris,
           "Override a consumes baseUri: NS=URL, NS may be a glob such as '*' (repeatable; "
           "env CAPSTAN_BASE_URI_<NS>)")
        ->allow_extra_args(false);
    cmd->add_flag("--trust-upstream-json", args.trust_upstream_json,
                  "Pass 2xx JSON answers of identity mappings on byte for byte without checking "
                  "that they are one JSON text, as a plain reverse proxy does (default: checked; "
                  "one that is not is a 502)");
    cmd->add_option("--ca-file", args.ca_file,
                    "Extra trusted CA bundle (PEM) for upstream TLS (env CAPSTAN_CA_FILE)");
    cmd->add_option("--timeout-ms", args.timeouts,
                    "Upstream total timeout in milliseconds: MS for every consumes namespace, or "
                    "NS=MS for one (repeatable)")
        ->allow_extra_args(false);
    cmd->add_option("--retries", args.retries,
                    "[KEY=]N: retry an upstream call up to N times (0-10): idempotent methods on "
                    "no answer or 502/503/504, any method when the connection could not be made "
                    "(backoff with jitter, within a 20 % retry budget). KEY: a consumes namespace "
                    "(or glob) or namespace.operation; repeatable");
    cmd->add_option("--retry-backoff-ms", args.retry_backoff_ms,
                    "[KEY=]MS: base of the exponential retry backoff (default 100; capped at 20x)");
    cmd->add_option("--breaker-failures", args.breaker_failures,
                    "[KEY=]N: open an upstream's circuit breaker after N consecutive failures (no "
                    "answer or 5xx); calls then fail fast with 503 until a probe succeeds");
    cmd->add_option("--breaker-open-ms", args.breaker_open_ms,
                    "[KEY=]MS: how long an open breaker waits before one probe (default 10000)");
    cmd->add_option("--max-in-flight", args.max_in_flight,
                    "[KEY=]N: calls in flight per upstream; more are shed at once with 503");
    cmd->add_option("--connect-timeout-ms", args.connect_timeouts,
                    "[NS=]MS: upstream connect (TCP and TLS) timeout (default 5000)");
    cmd->add_option("--read-timeout-ms", args.read_timeouts,
                    "[NS=]MS: upstream timeout of each read, the first byte included (default "
                    "30000)");
  };

  capstan::cli::ServeArgs serve_args;
  CLI::App* serve = app.add_subcommand("serve", "Serve every exposed adapter of the capabilities");
  serve
      ->add_option("files", serve_args.files,
                   "Capability files (YAML), directories of them, or globs")
      ->expected(0, -1);
  add_runtime_options(serve, serve_args.runtime);
  serve->add_option("--address", serve_args.address,
                    "Bind every adapter to this address (default: the spec's, else 127.0.0.1; "
                    "env CAPSTAN_ADDRESS)");
  serve
      ->add_option("--port", serve_args.ports,
                   "Override an adapter's port: NS=PORT (NS may be a glob: '*-rest=8081'), 0 = "
                   "ephemeral (env CAPSTAN_PORT_<NS>)")
      ->allow_extra_args(false);
  serve->add_option("--threads", serve_args.threads, "Event loops per listener (default: cores)");
  serve
      ->add_option("--idle-timeout-ms", serve_args.idle_timeout_ms,
                   "How long a client's keep-alive connection may wait for its next request "
                   "(default 60000)")
      ->check(CLI::Range(1u, 86'400'000u));
  serve->add_flag("--no-access-log", serve_args.no_access_log, "Do not log one line per request");
  serve
      ->add_option("--log-format", serve_args.log_format,
                   "Access log lines: json, text, or auto (text on a terminal, else JSON)")
      ->check(CLI::IsMember({"auto", "json", "text"}))
      ->default_val("auto");
  serve
      ->add_option("--control-port", serve_args.control_port,
                   "Serve the control adapter (health, status, info, reload, validate) on this "
                   "port; 0 = ephemeral. Also moves a control adapter a file declares")
      ->check(CLI::Range(0, 65535));
  serve
      ->add_option("--rate-limit", serve_args.rate_limit,
                   "Requests per second per caller (its credential, else its address), bursts "
                   "of twice that; beyond: 429 with Retry-After (0: no limit)")
      ->check(CLI::Range(0.0, 1e6));
  serve->add_flag("--ready-upstreams", serve_args.ready_upstreams,
                  "The control adapter's /health/ready is DEGRADED while a consumed upstream "
                  "does not accept a TCP connection (probed every 5 s)");
  serve->add_flag("--watch", serve_args.watch,
                  "Reload when a loaded file, or a YAML file of a directory argument, changes "
                  "(inotify; SIGHUP always reloads)");
  serve->add_flag("--stdio", serve_args.stdio,
                  "Serve the MCP adapter over stdin/stdout (newline-delimited JSON-RPC)");
  serve->add_flag("--mcp-stateless", serve_args.mcp_stateless,
                  "MCP without sessions: every POST stands alone, GET and DELETE answer 405");
  serve->add_flag("--conformance-fixtures", serve_args.conformance_fixtures,
                  "Also serve the MCP conformance-suite fixtures (port: --port "
                  "conformance-fixtures=N, default ephemeral)");
  serve
      ->add_option("--mcp-allowed-host", serve_args.mcp_allowed_hosts,
                   "Host names accepted in Host (repeatable; default localhost, 127.0.0.1, "
                   "[::1]; * = any)")
      ->allow_extra_args(false);
  serve
      ->add_option("--mcp-allowed-origin", serve_args.mcp_allowed_origins,
                   "Origins accepted in Origin (repeatable; default the loopback names; * = any)")
      ->allow_extra_args(false);
  serve->add_option("--mcp-session-key", serve_args.mcp_session_key,
                    "HMAC key for MCP session ids, shared by replicas (env "
                    "CAPSTAN_MCP_SESSION_KEY; default random per process)");
  serve
      ->add_option("--mcp-tool-clash", serve_args.mcp_tool_clash,
                   "Tool names offered by two merged MCP adapters: error, prefix (those tools "
                   "become NS_name) or prefix-all")
      ->check(CLI::IsMember({"error", "prefix", "prefix-all"}))
      ->default_val("prefix");
  serve
      ->add_option("--mcp-mount", serve_args.mcp_mount,
                   "union: merged MCP adapters answer at /mcp; per-capability: each also at "
                   "/mcp/<namespace>")
      ->check(CLI::IsMember({"union", "per-capability"}))
      ->default_val("union");
  serve->add_flag("--mcp-discovery", serve_args.mcp_discovery,
                  "The MCP endpoint at /mcp lists three meta-tools (search_tools, describe_tool, "
                  "call_tool) instead of every tool; mounts keep their tools");
  serve->add_flag("--mcp-confirm-destructive", serve_args.mcp_confirm_destructive,
                  "Before a destructive MCP tool runs, ask the user to confirm through "
                  "elicitation when the client declares it");
  serve->add_option("--tools-config", serve_args.tools_config,
                    "Tool controls file (YAML or JSON): include, exclude, readOnly, per-tool "
                    "name, description and hints, per-caller access rules");
  serve
      ->add_option("--include-tools", serve_args.include_tools,
                   "Serve only MCP tools matching this glob (name or NS/name; repeatable)")
      ->allow_extra_args(false);
  serve
      ->add_option("--exclude-tools", serve_args.exclude_tools,
                   "Leave out MCP tools matching this glob (repeatable)")
      ->allow_extra_args(false);
  serve->add_flag("--read-only", serve_args.read_only, "Serve only MCP tools with readOnlyHint");

  capstan::cli::CallArgs call_args;
  CLI::App* call = app.add_subcommand(
      "call", "Call one consumed operation and print the mapped JSON (exit 0 on 2xx)");
  call->add_option("operation", call_args.call, "NAMESPACE.OPERATION")->required();
  call->add_option("parameters", call_args.parameters, "name=value ...");
  call->add_option("--capability,-c", call_args.capability,
                   "Capability file (default: the one in ./capabilities consuming NAMESPACE)");
  add_runtime_options(call, call_args.runtime);

  capstan::cli::DescribeArgs openapi_args;
  CLI::App* openapi = app.add_subcommand(
      "openapi", "Print the OpenAPI 3.1 document of a capability's REST adapter (JSON)");
  openapi->add_option("file", openapi_args.files, "Capability file")->required()->expected(1);
  openapi->add_option("--adapter", openapi_args.adapter, "The REST adapter's namespace");
  openapi->add_option("--server", openapi_args.server,
                      "servers[0].url (default: http://<address>:<port> of the adapter)");
  capstan::cli::DescribeArgs tools_args;
  CLI::App* tools = app.add_subcommand(
      "tools",
      "Print the MCP tools (name, title, annotations, inputSchema) of capabilities (JSON)");
  tools->add_option("files", tools_args.files, "Capability files")->required();
  tools->add_option("--adapter", tools_args.adapter, "Only this MCP adapter's tools");

  capstan::cli::VersionArgs version_args;
  CLI::App* version = app.add_subcommand(
      "version", "Print the release, commit, compiler, library versions and event backend");
  version->add_option("--format", version_args.format, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->default_val("text");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and --version exit 0; every usage error exits 2 (CLI11's own codes are 100+).
    int code = app.exit(e);
    return code == 0 ? 0 : capstan::cli::kExitUsage;
  }

  if (validate->parsed()) return capstan::cli::RunValidate(validate_args, std::cout, std::cerr);
  if (serve->parsed()) return capstan::cli::RunServe(serve_args, std::cout, std::cerr);
  if (call->parsed()) return capstan::cli::RunCall(call_args, std::cout, std::cerr);
  if (version->parsed()) return capstan::cli::RunVersion(version_args, std::cout, std::cerr);
  if (openapi->parsed()) return capstan::cli::RunOpenApi(openapi_args, std::cout, std::cerr);
  if (tools->parsed()) return capstan::cli::RunTools(tools_args, std::cout, std::cerr);
  std::cout << app.help();
  return 0;
}
