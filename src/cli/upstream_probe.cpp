#include "cli/upstream_probe.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace capstan::cli {

namespace asio = boost::asio;

UpstreamProbe::UpstreamProbe(std::chrono::milliseconds interval, std::chrono::milliseconds timeout)
    : interval_(interval), timeout_(timeout), thread_([this] { Run(); }) {}

UpstreamProbe::~UpstreamProbe() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void UpstreamProbe::SetTargets(std::vector<ProbeTarget> targets) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    targets_ = std::move(targets);
    ++generation_;
  }
  wake_.notify_one();
}

std::vector<std::string> UpstreamProbe::Reasons() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (probed_ != generation_ && reasons_.empty()) {
    return {"upstreams: not probed yet"};
  }
  return reasons_;
}

std::string UpstreamProbe::Connect(const std::string& host, std::uint16_t port,
                                   std::chrono::milliseconds timeout) {
  asio::io_context ioc;
  asio::ip::tcp::resolver resolver(ioc);
  asio::ip::tcp::socket socket(ioc);
  std::string outcome = "timed out after " + std::to_string(timeout.count()) + " ms";
  resolver.async_resolve(
      host, std::to_string(port),
      [&](const boost::system::error_code& ec, asio::ip::tcp::resolver::results_type results) {
        if (ec) {
          outcome = "cannot resolve: " + ec.message();
          return;
        }
        asio::async_connect(socket, results,
                            [&](const boost::system::error_code& cec, const auto&) {
                              outcome = cec ? cec.message() : std::string();
                            });
      });
  ioc.run_for(timeout);
  return outcome;
}

void UpstreamProbe::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    const std::uint64_t seen = generation_;
    const std::vector<ProbeTarget> targets = targets_;
    lock.unlock();
    std::vector<std::string> reasons;
    for (const ProbeTarget& t : targets) {
      std::string why = Connect(t.host, t.port, timeout_);
      if (!why.empty()) reasons.push_back("upstream " + t.name + " unreachable: " + why);
    }
    lock.lock();
    reasons_ = std::move(reasons);
    probed_ = seen;
    // The next round: after the interval, or at once for new targets.
    wake_.wait_for(lock, interval_, [&] { return stopping_ || seen != generation_; });
  }
}

}  // namespace capstan::cli
