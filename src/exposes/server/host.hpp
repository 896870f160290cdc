// Runs exposed endpoints: groups them by address:port (one listener each, shared by every
// adapter that declares it, after a route-collision check), starts the HTTP servers, writes the
// access log, swaps in a new set of endpoints without closing a connection (hot reload), and
// stops gracefully on SIGINT/SIGTERM.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "exposes/server/endpoint.hpp"
#include "exposes/server/metrics.hpp"
#include "exposes/server/rate_limit.hpp"
#include "http/server.hpp"

namespace capstan::exposes {

struct HostOptions {
  http::ServerLimits limits;
  unsigned threads = 0;    // event loops per listener; 0 = one per core
  bool access_log = true;  // one line per request on stderr
  // The access log's lines: JSON (one object a line), or text for a person; kAuto picks text
  // when stderr is a terminal.
  enum class LogFormat { kAuto, kJson, kText } log_format = LogFormat::kAuto;
  Metrics* metrics = nullptr;  // when set, every answer is counted (the control adapter's /metrics)
  // When set, requests to endpoints that are RateLimited() pass through it first (429 beyond).
  std::shared_ptr<RateLimiter> rate_limiter;
};

struct BoundListener {
  std::string address;
  std::uint16_t port = 0;
  std::vector<std::string> endpoints;  // Describe() of each
};

// One endpoint to serve on address:port.
struct Registration {
  std::string address;
  std::uint16_t port = 0;  // 0: an ephemeral port of its own
  std::shared_ptr<Endpoint> endpoint;
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

  // Hot reload, after Start(): serves `registrations` instead of the current endpoints. A
  // listener whose address:port stays keeps its socket and connections, and new requests on it
  // go to the new endpoints while requests in flight finish on the old ones; new listeners
  // start; listeners no longer named stop gracefully (within `grace`, in the background). An
  // ephemeral listener (port 0) stays when its first endpoint has the same Describe(). On a
  // collision or a listener that cannot start, nothing changes and the error is returned.
  [[nodiscard]] core::Status Replace(
      std::vector<Registration> registrations,
      std::chrono::steady_clock::duration grace = std::chrono::seconds(10));

  // Graceful stop of every listener: all stop accepting at once, then the requests in flight on
  // any of them finish until `grace` is over (one deadline for all).
  void Stop(std::chrono::steady_clock::duration grace = std::chrono::seconds(10));

  // Blocks SIGINT, SIGTERM and SIGHUP in the calling thread; call before Start() so that the
  // loop threads inherit the mask. Then WaitForSignal() returns when one arrives.
  static void BlockStopSignals();
  static int WaitForSignal();

 private:
  struct Group;
  [[nodiscard]] core::Status StartGroup(Group& group);
  void NameSeries(const std::vector<std::shared_ptr<Endpoint>>& endpoints) const;
  HostOptions options_;
  std::vector<std::unique_ptr<Group>> groups_;
  std::vector<std::thread> draining_;  // listeners a reload removed, stopping
};

}  // namespace capstan::exposes
