// Private to src/http (includes Asio; other components must not include it): the per-thread
// event loop shared by server.cpp (acceptors, threads) and connection.cpp (one connection).
#pragma once

#include <atomic>
#include <cstddef>
#include <optional>
#include <unordered_set>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "http/server.hpp"

namespace capstan::http::internal {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// State shared by every loop; written before the threads start, then read-only except atomics.
struct Shared {
  ServerOptions options;
  Handler handler;
  std::atomic<std::size_t> connections{0};
};

// A live connection as the loop sees it (for shutdown).
class ConnectionHandle {
 public:
  virtual ~ConnectionHandle() = default;
  // Ends the connection if it is waiting for a new request (one already in the socket buffer is
  // served first, with Connection: close); with `force`, closes the socket at once.
  virtual void CloseForShutdown(bool force) = 0;
};

// One event loop, touched only from its own thread once started.
struct Loop {
  explicit Loop(Shared& s) : shared(s) {}
  Shared& shared;
  bool stopping = false;
  std::unordered_set<ConnectionHandle*> connections;
  asio::io_context ioc{1};  // declared last: destroyed first, while `connections` still exists
  std::optional<tcp::acceptor> acceptor;
};

// Serves one accepted connection until it closes. `reject` answers 503 and closes instead.
asio::awaitable<void> ServeConnection(Loop& loop, tcp::socket socket, bool reject);

}  // namespace capstan::http::internal
