// The server shell: binds one SO_REUSEPORT acceptor per event loop, runs the loops on their own
// threads, and implements graceful shutdown and signal handling.
#include "http/server.hpp"

#include <condition_variable>
#include <csignal>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <sys/socket.h>

#include "http/event_backend.hpp"
#include "http/loop.hpp"

namespace capstan::http {

using internal::Loop;
using internal::tcp;
using internal::asio::awaitable;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using ErrorCode = boost::system::error_code;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

awaitable<void> AcceptLoop(Loop& loop) {
  while (true) {
    auto [ec, socket] = co_await loop.acceptor->async_accept(kTuple);
    if (loop.stopping || !loop.acceptor->is_open()) {
      ErrorCode close_ec;
      loop.acceptor->close(close_ec);
      break;
    }
    if (ec) {
      if (ec == asio::error::operation_aborted) break;
      // Out of descriptors or buffers: back off briefly instead of spinning.
      asio::steady_timer pause(loop.ioc, std::chrono::milliseconds(10));
      co_await pause.async_wait(kTuple);
      continue;
    }
    std::size_t before = loop.shared.connections.fetch_add(1, std::memory_order_relaxed);
    bool reject = before >= loop.shared.options.limits.max_connections;
    asio::co_spawn(loop.ioc, internal::ServeConnection(loop, std::move(socket), reject),
                   asio::detached);
  }
}

core::Status SetReusePort(tcp::acceptor& acceptor) {
  int one = 1;
  if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    return core::Fail(core::ErrorCode::kIo, "setsockopt(SO_REUSEPORT) failed");
  }
  return core::Ok();
}

core::Status Bind(tcp::acceptor& acceptor, const tcp::endpoint& endpoint, bool reuse_port) {
  ErrorCode ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && reuse_port) CAPSTAN_RETURN_IF_ERROR(SetReusePort(acceptor));
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return core::Fail(core::ErrorCode::kIo, "cannot listen on " + endpoint.address().to_string() +
                                                ":" + std::to_string(endpoint.port()) + ": " +
                                                ec.message());
  }
  return core::Ok();
}

}  // namespace

class Server::Impl {
 public:
  Impl(ServerOptions options, Handler handler) {
    shared_.options = std::move(options);
    shared_.handler = std::move(handler);
  }
  ~Impl() {
    Stop(Clock::duration::zero());
    if (signal_thread_.joinable()) {
      asio::post(*signal_ioc_, [this] { signals_->cancel(); });
      signal_thread_.join();
    }
  }

  core::Status Start();
  void BeginStop();
  void Stop(Clock::duration grace);
  void Run() {
    std::unique_lock lock(mu_);
    stopped_cv_.wait(lock, [&] { return stopped_ || !started_; });
  }
  void StopOnSignals(Clock::duration grace);

  internal::Shared shared_;  // declared first: outlives the loops
  std::vector<std::unique_ptr<Loop>> loops_;
  std::vector<std::thread> threads_;
  std::uint16_t port_ = 0;

 private:
  std::mutex stop_mu_;  // serialises Stop()
  std::mutex mu_;
  std::condition_variable done_cv_;
  std::condition_variable stopped_cv_;
  std::size_t loops_done_ = 0;
  bool started_ = false;
  bool stopped_ = false;
  bool stop_begun_ = false;  // BeginStop() posted its work to the loops
  std::unique_ptr<asio::io_context> signal_ioc_;
  std::unique_ptr<asio::signal_set> signals_;
  std::thread signal_thread_;
};

core::Status Server::Impl::Start() {
  if (started_) return core::Fail(core::ErrorCode::kInternal, "server already started");
  CAPSTAN_RETURN_IF_ERROR(CheckEventBackend());
  const ServerOptions& options = shared_.options;
  ErrorCode ec;
  auto address = asio::ip::make_address(options.address, ec);
  if (ec) {
    return core::Fail(core::ErrorCode::kInvalidArgument,
                      "invalid listen address \"" + options.address + "\"");
  }
  unsigned count = options.threads;
  if (count == 0) count = std::max(1u, std::thread::hardware_concurrency());

  // An explicit port taken by another SO_REUSEPORT group would be silently shared: probe it with
  // a plain bind first, so that a second server on the same port fails as it should.
  if (options.port != 0) {
    asio::io_context probe_ioc(1);
    tcp::acceptor probe(probe_ioc);
    CAPSTAN_RETURN_IF_ERROR(Bind(probe, tcp::endpoint(address, options.port), false));
  }

  std::uint16_t port = options.port;
  for (unsigned i = 0; i < count; ++i) {
    auto loop = std::make_unique<Loop>(shared_);
    loop->acceptor.emplace(loop->ioc);
    auto bound = Bind(*loop->acceptor, tcp::endpoint(address, port), true);
    if (!bound) {
      loops_.clear();
      return bound;
    }
    if (i == 0) port = loop->acceptor->local_endpoint().port();
    loops_.push_back(std::move(loop));
  }
  port_ = port;
  started_ = true;
  for (auto& loop : loops_) {
    asio::co_spawn(loop->ioc, AcceptLoop(*loop), asio::detached);
  }
  for (auto& loop_ptr : loops_) {
    Loop* loop = loop_ptr.get();
    threads_.emplace_back([this, loop] {
      loop->ioc.run();
      {
        std::lock_guard lock(mu_);
        ++loops_done_;
      }
      done_cv_.notify_all();
    });
  }
  return core::Ok();
}

void Server::Impl::BeginStop() {
  {
    std::lock_guard lock(mu_);
    if (!started_ || stopped_ || stop_begun_) return;
    stop_begun_ = true;
  }
  for (auto& loop_ptr : loops_) {
    Loop* loop = loop_ptr.get();
    asio::post(loop->ioc, [loop] {
      loop->stopping = true;
      ErrorCode ec;
      // Cancelled, not closed under its pending accept (see connection.cpp): AcceptLoop closes it.
      loop->acceptor->cancel(ec);
      std::vector<internal::ConnectionHandle*> copy(loop->connections.begin(),
                                                    loop->connections.end());
      for (auto* connection : copy) connection->CloseForShutdown(false);
    });
  }
}

void Server::Impl::Stop(Clock::duration grace) {
  std::lock_guard stop_lock(stop_mu_);
  {
    std::lock_guard lock(mu_);
    if (!started_ || stopped_) return;
  }
  Clock::time_point deadline = Clock::now() + grace;
  BeginStop();
  std::unique_lock lock(mu_);
  auto all_done = [&] { return loops_done_ == loops_.size(); };
  if (!done_cv_.wait_until(lock, deadline, all_done)) {
    lock.unlock();
    for (auto& loop_ptr : loops_) {
      Loop* loop = loop_ptr.get();
      asio::post(loop->ioc, [loop] {
        std::vector<internal::ConnectionHandle*> copy(loop->connections.begin(),
                                                      loop->connections.end());
        for (auto* connection : copy) connection->CloseForShutdown(true);
      });
    }
    lock.lock();
    // Aborted socket operations unwind at once; a handler still busy past this is abandoned.
    if (!done_cv_.wait_for(lock, std::chrono::milliseconds(200), all_done)) {
      for (auto& loop_ptr : loops_) loop_ptr->ioc.stop();
    }
  }
  lock.unlock();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
  lock.lock();
  stopped_ = true;
  stopped_cv_.notify_all();
}

void Server::Impl::StopOnSignals(Clock::duration grace) {
  if (signal_thread_.joinable()) return;
  signal_ioc_ = std::make_unique<asio::io_context>(1);
  signals_ = std::make_unique<asio::signal_set>(*signal_ioc_, SIGINT, SIGTERM);
  signals_->async_wait([this, grace](const ErrorCode& ec, int) {
    if (!ec) Stop(grace);
  });
  signal_thread_ = std::thread([this] { signal_ioc_->run(); });
}

Server::Server(ServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

Server::~Server() = default;

core::Status Server::Start() { return impl_->Start(); }

std::uint16_t Server::port() const { return impl_->port_; }

unsigned Server::threads() const { return static_cast<unsigned>(impl_->loops_.size()); }

void Server::BeginStop() { impl_->BeginStop(); }

void Server::Stop(std::chrono::steady_clock::duration grace) { impl_->Stop(grace); }

void Server::Run() { impl_->Run(); }

void Server::StopOnSignals(std::chrono::steady_clock::duration grace) {
  impl_->StopOnSignals(grace);
}

awaitable<void> Sleep(std::chrono::steady_clock::duration duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(duration);
  co_await timer.async_wait(kTuple);
}

}  // namespace capstan::http
