// Per-upstream counters (requests by status class, connect errors, timeouts, other failures,
// connections opened, idle pooled connections, durations), kept by each loop's UpstreamClient in
// slots of its own (relaxed atomics, no lock on the request path) and summed by a scrape.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace capstan::consumes {

// Upper bounds in seconds of the duration histogram (+Inf implied).
inline constexpr std::array<double, 14> kUpstreamBuckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

// Adds to a counter that one thread writes (others only read): a plain load and store, no
// locked read-modify-write on the request path.
template <typename T>
inline void Bump(std::atomic<T>& counter, long long n = 1) {
  counter.store(counter.load(std::memory_order_relaxed) + static_cast<T>(n),
                std::memory_order_relaxed);
}

// One origin's counters in one client. Written only by the client's loop thread.
struct UpstreamCounters {
  std::string upstream;  // Origin::Key(): "https://api.scaleway.com:443"
  std::array<std::atomic<std::uint64_t>, 6> by_class{};  // answers 1xx..5xx, [0]: other
  std::atomic<std::uint64_t> connect_errors{0};          // DNS, TCP connect, TLS handshake
  std::atomic<std::uint64_t> timeouts{0};                // any phase
  std::atomic<std::uint64_t> errors{0};                  // reset mid-answer, malformed, too large
  std::atomic<std::uint64_t> connections_opened{0};
  std::atomic<std::int64_t> idle_connections{0};
  std::array<std::atomic<std::uint64_t>, kUpstreamBuckets.size() + 1> buckets{};  // answers
  std::atomic<std::uint64_t> micros{0};

  void Answer(int status, std::chrono::microseconds elapsed);
};

struct UpstreamTotals {
  std::string upstream;
  std::array<std::uint64_t, 6> by_class{};
  std::uint64_t connect_errors = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t errors = 0;
  std::uint64_t connections_opened = 0;
  std::int64_t idle_connections = 0;
  std::array<std::uint64_t, kUpstreamBuckets.size() + 1> buckets{};  // not cumulative
  double seconds = 0;
  std::uint64_t count = 0;
};

class UpstreamStats {
 public:
  static UpstreamStats& Instance();
  // New counters for `upstream` (a client calls it once per origin; takes a lock). Never freed:
  // the counters of a finished client keep counting in the totals.
  [[nodiscard]] UpstreamCounters* Register(const std::string& upstream);
  // Sums by upstream, sorted by it.
  [[nodiscard]] std::vector<UpstreamTotals> Snapshot() const;

 private:
  UpstreamStats() = default;
  mutable std::mutex mu_;
  std::deque<UpstreamCounters> counters_;  // stable addresses
};

}  // namespace capstan::consumes
