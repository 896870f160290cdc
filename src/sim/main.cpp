// scaleway-iam-sim: serves Scaleway's IAM JWT endpoints from seed data, for offline demos and
// tests. Prints "listening on http://ADDRESS:PORT" as the first stdout line; logs to stderr.
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "http/event_backend.hpp"
#include "http/server.hpp"
#include "sim/seed.hpp"
#include "sim/simulator.hpp"

namespace {

using capstan::sim::Micros;

void LogLine(const std::string& line) {
  std::string out = line;
  out.push_back('\n');
  std::fwrite(out.data(), 1, out.size(), stderr);
}

std::string JsonQuote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

void LogError(std::string_view message) {
  LogLine("{\"level\":\"error\",\"msg\":" + JsonQuote(message) + "}");
}

// "100/s", "100" → 100 requests per second; "600/m" → 10.
bool ParseRate(const std::string& text, double& rate) {
  std::size_t slash = text.find('/');
  std::string number = text.substr(0, slash);
  double per = 1.0;
  if (slash != std::string::npos) {
    std::string unit = text.substr(slash + 1);
    if (unit == "s") {
      per = 1.0;
    } else if (unit == "m") {
      per = 60.0;
    } else {
      return false;
    }
  }
  try {
    std::size_t used = 0;
    double value = std::stod(number, &used);
    if (used != number.size() || value < 0) return false;
    rate = value / per;
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

int main(int argc, char** argv) {
  capstan::http::RunEpollTwinIfNeeded(argv);  // an io_uring build where io_uring is refused
  CLI::App app{"scaleway-iam-sim: a local simulator of Scaleway's IAM v1alpha1 JWT API"};
  std::string address = "127.0.0.1";
  unsigned port = 8081;
  std::string seed_path;
  std::vector<std::string> token_flags;
  std::string path_prefix;
  unsigned threads = 0;
  unsigned latency_ms = 0;
  double fail_rate = 0;
  std::string rate_limit;
  bool no_access_log = false;
  unsigned idle_timeout_ms = 0;
  app.add_option("--address", address, "Listen address (IPv4 or IPv6 literal)")
      ->capture_default_str();
  app.add_option("--port", port, "Listen port; 0 picks a free one (see the first stdout line)")
      ->capture_default_str()
      ->check(CLI::Range(0u, 65535u));
  app.add_option("--seed", seed_path, "Seed JSON file (default: the built-in data set)")
      ->check(CLI::ExistingFile);
  app.add_option("--token", token_flags,
                 "Accepted X-Auth-Token secret key, SECRET or SECRET:USER_ID (repeatable)");
  app.add_option("--path-prefix", path_prefix,
                 "Also serve the routes under this prefix (e.g. /v1 for apiURL=http://HOST/v1)");
  app.add_option("--threads", threads, "Event-loop threads (0 = one per core)")
      ->capture_default_str();
  app.add_option("--latency-ms", latency_ms, "Delay added to every answer except 429")
      ->capture_default_str();
  app.add_option("--fail-rate", fail_rate, "Share of requests answered 500 (0..1)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--rate-limit", rate_limit,
                 "Requests per second over all clients (N/s or N/m); beyond → 429");
  app.add_option("--idle-timeout-ms", idle_timeout_ms,
                 "How long a keep-alive connection may wait for its next request (default 60000)")
      ->check(CLI::Range(1u, 86'400'000u));
  app.add_flag("--no-access-log", no_access_log, "Do not write the JSON access log to stderr");
  CLI11_PARSE(app, argc, argv);

  double rate = 0;
  if (!rate_limit.empty() && !ParseRate(rate_limit, rate)) {
    LogError("--rate-limit: expected N/s or N/m, got " + rate_limit);
    return 2;
  }
  if (!path_prefix.empty() && path_prefix.front() != '/') {
    LogError("--path-prefix must start with '/'");
    return 2;
  }

  Micros now = capstan::sim::NowMicros();
  auto seed = seed_path.empty() ? capstan::sim::ParseSeed(capstan::sim::DefaultSeedJson(), now)
                                : capstan::sim::LoadSeedFile(seed_path, now);
  if (!seed) {
    LogError(seed.error().message);
    return 2;
  }
  std::vector<capstan::sim::TokenGrant> flags;
  for (const std::string& flag : token_flags) {
    auto grant = capstan::sim::ParseTokenFlag(flag);
    if (!grant) {
      LogError(grant.error().message);
      return 2;
    }
    flags.push_back(*grant);
  }
  std::size_t jwt_count = seed->jwts.size();
  auto store = capstan::sim::JwtStore::Create(std::move(seed->jwts));
  if (!store) {
    LogError(store.error().message);
    return 2;
  }

  capstan::sim::SimulatorOptions options;
  options.tokens = capstan::sim::MergeTokens(seed->tokens, flags);
  options.path_prefix = path_prefix;
  options.latency = std::chrono::milliseconds(latency_ms);
  options.fail_rate = fail_rate;
  options.rate_limit = rate;
  std::size_t token_count = options.tokens.size();
  capstan::sim::Simulator simulator(std::move(*store), std::move(options));

  capstan::http::ServerOptions server_options;
  server_options.address = address;
  server_options.port = static_cast<std::uint16_t>(port);
  server_options.threads = threads;
  if (idle_timeout_ms > 0) {
    server_options.limits.idle_timeout = std::chrono::milliseconds(idle_timeout_ms);
  }
  server_options.server_name = std::string(capstan::sim::kServerName);
  if (!no_access_log) {
    server_options.access_log = [](const capstan::http::Request& request,
                                   const capstan::http::Response& response,
                                   std::chrono::microseconds duration) {
      LogLine(capstan::sim::AccessLogLine(request, response, duration));
    };
  }
  capstan::http::Server server(server_options, simulator.MakeHandler());
  auto started = server.Start();
  if (!started) {
    LogError(started.error().message);
    return 1;
  }
  server.StopOnSignals(std::chrono::seconds(5));
  bool v6 = address.find(':') != std::string::npos;
  std::string host = v6 ? "[" + address + "]" : address;
  std::cout << "listening on http://" << host << ":" << server.port() << std::endl;
  LogLine("{\"level\":\"info\",\"msg\":\"started\",\"port\":" + std::to_string(server.port()) +
          ",\"threads\":" + std::to_string(server.threads()) +
          ",\"jwts\":" + std::to_string(jwt_count) + ",\"tokens\":" + std::to_string(token_count) +
          ",\"path_prefix\":" + JsonQuote(path_prefix) + "}");
  server.Run();
  LogLine("{\"level\":\"info\",\"msg\":\"stopped\"}");
  return 0;
}
