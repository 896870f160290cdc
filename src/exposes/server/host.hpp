// Runs exposed endpoints: groups them by address:port (one listener each, shared by every
// adapter that declares it, after a route-collision check), starts the HTTP servers, writes the
// access log, and stops gracefully on SIGINT/SIGTERM.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "exposes/server/endpoint.hpp"
#include "http/server.hpp"

namespace capstan::exposes {

struct HostOptions {
  http::ServerLimits limits;
  unsigned threads = 0;    // event loops per listener; 0 = one per core
  bool access_log = true;  // one JSON line per request on stderr
};

struct BoundListener {
  std::string address;
  std::uint16_t port = 0;
  std::vector<std::string> endpoints;  // Describe() of each
};

class Host {
 public:
  explicit Host(HostOptions options);
  ~Host();
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  // Registers `endpoint` on address:port. Port 0 asks for an ephemeral port of its own.
  void Add(const std::string& address, std::uint16_t port, std::shared_ptr<Endpoint> endpoint);

  // Checks collisions and starts every listener. On failure nothing keeps running.
  [[nodiscard]] core::Status Start();
  [[nodiscard]] std::vector<BoundListener> bound() const;

  // Graceful stop of every listener: all stop accepting at once, then the requests in flight on
  // any of them finish until `grace` is over (one deadline for all).
  void Stop(std::chrono::steady_clock::duration grace = std::chrono::seconds(10));

  // Blocks SIGINT and SIGTERM in the calling thread; call before Start() so that the loop
  // threads inherit the mask. Then WaitForSignal() returns when one arrives.
  static void BlockStopSignals();
  static int WaitForSignal();

 private:
  struct Group;
  HostOptions options_;
  std::vector<std::unique_ptr<Group>> groups_;
};

}  // namespace capstan::exposes
