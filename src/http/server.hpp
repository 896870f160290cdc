// The HTTP/1.1 server: one event loop per thread, each with its own SO_REUSEPORT acceptor, running
// a Handler for every request. No Beast or Asio types appear here; see server.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "http/message.hpp"

namespace capstan::http {

// Called once per answered request, on the loop thread, after the response was written (or the
// connection failed while writing it). Must be cheap and must not throw.
using AccessLogFn =
    std::function<void(const Request&, const Response&, std::chrono::microseconds duration)>;

struct ServerLimits {
  std::size_t max_header_bytes = 16 * 1024;          // request line + headers; beyond → 431
  std::size_t max_body_bytes = 1024 * 1024;          // beyond → 413
  std::size_t max_connections = 10000;               // open connections, all loops; beyond → 503
  std::chrono::milliseconds idle_timeout{60000};     // keep-alive wait for the next request
  std::chrono::milliseconds header_timeout{10000};   // first byte .. end of headers → 408
  std::chrono::milliseconds request_timeout{30000};  // first byte .. end of body → 408
  std::chrono::milliseconds write_timeout{30000};    // one response write; then the peer is gone
};

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0 = ephemeral; Server::port() returns the bound one
  unsigned threads = 0;    // event loops; 0 = std::thread::hardware_concurrency()
  ServerLimits limits;
  std::string server_name;  // value of the Server header on every response; empty = none
  AccessLogFn access_log;   // optional
};

// Usage: Server s(options, handler); s.Start(); ... s.Stop(deadline);
// Start() binds and launches the loops; Stop() is graceful: it stops accepting, closes idle
// keep-alive connections, lets in-flight requests finish until the deadline, then closes
// whatever remains and joins the threads. The destructor stops with a zero grace period.
class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds every acceptor and starts the event-loop threads. Fails on a bind error.
  [[nodiscard]] core::Status Start();
  // The bound port (valid after a successful Start).
  [[nodiscard]] std::uint16_t port() const;
  // The number of event loops actually running.
  [[nodiscard]] unsigned threads() const;
  // First half of a graceful stop, without waiting: closes the listeners (new connections are
  // refused) and the idle keep-alive connections; requests in flight go on. A process with
  // several servers calls it on each before Stop(), so that no listener accepts while another
  // drains. Safe to call more than once, from any thread.
  void BeginStop();
  // Graceful stop (BeginStop(), then wait for in-flight requests until `grace` is over); safe to
  // call more than once and from any thread except a loop thread.
  void Stop(std::chrono::steady_clock::duration grace = std::chrono::seconds(10));
  // Blocks until Stop() was called (by another thread or by a signal handler installed with
  // StopOnSignals) and the loops have finished.
  void Run();
  // On SIGINT or SIGTERM, stop gracefully with `grace`. Call after Start().
  void StopOnSignals(std::chrono::steady_clock::duration grace = std::chrono::seconds(10));

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Waits `duration` without blocking the event loop (for handlers: fault injection, tests).
boost::asio::awaitable<void> Sleep(std::chrono::steady_clock::duration duration);

}  // namespace capstan::http
