// Upstream resilience, per upstream origin and shared by every loop: retries with exponential
// backoff and full jitter for idempotent methods (and for connect failures of any method) within
// a retry budget, a circuit breaker that opens after consecutive failures and lets one probe
// through after a delay, and a limit of calls in flight (beyond it a call is shed at once).
// runtime::Runtime::Send applies it; docs/upstream.md describes it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace capstan::consumes {

struct ResilienceOptions {
  int retries = 0;  // extra attempts (0: none)
  std::chrono::milliseconds backoff{100};
  std::chrono::milliseconds max_backoff{2000};
  double retry_budget = 0.2;  // retries earned per call (10 banked at most)
  int breaker_failures = 0;   // consecutive failures that open the breaker (0: no breaker)
  std::chrono::milliseconds breaker_open{10000};
  int max_in_flight = 0;  // calls in flight per upstream (0: no limit)
  [[nodiscard]] bool enabled() const {
    return retries > 0 || breaker_failures > 0 || max_in_flight > 0;
  }
};

// One upstream's shared state (every loop's calls to it).
class UpstreamGuard {
 public:
  explicit UpstreamGuard(std::string upstream) : upstream_(std::move(upstream)) {}
  [[nodiscard]] const std::string& upstream() const { return upstream_; }

  enum class Admission { kAdmitted, kProbe, kOpen };
  // Whether a call may go now: the breaker closed (kAdmitted), half-open and this call the one
  // probe (kProbe), or open (kOpen; `retry_in` tells when it half-opens).
  Admission Admit(const ResilienceOptions& options, std::chrono::milliseconds& retry_in);
  // The outcome of a call: a failure (no answer, or a 5xx) counts towards opening the breaker;
  // a success closes it. A failed probe opens it again.
  void Finish(const ResilienceOptions& options, bool failed, bool probe);

  // Calls in flight: false when at the limit (the call is shed).
  bool Enter(const ResilienceOptions& options);
  void Leave();

  // Each call earns `retry_budget` of a retry; a retry spends one. False: no retry left.
  void Earn(const ResilienceOptions& options);
  bool SpendRetry();

  // Counters for /metrics.
  std::atomic<std::uint64_t> retries{0};
  std::atomic<std::uint64_t> breaker_opened{0};
  std::atomic<std::uint64_t> rejected_open{0};
  std::atomic<std::uint64_t> shed{0};
  [[nodiscard]] int state() const;  // 0 closed, 1 open, 2 half-open (a probe is out)
  [[nodiscard]] int in_flight() const { return in_flight_.load(std::memory_order_relaxed); }

 private:
  std::string upstream_;
  std::atomic<int> consecutive_failures_{0};
  std::atomic<std::int64_t> open_until_ms_{0};  // steady clock; 0: closed
  std::atomic<bool> probing_{false};
  std::atomic<int> in_flight_{0};
  std::atomic<std::int64_t> budget_milli_{10000};  // banked retries × 1000
};

class UpstreamGuards {
 public:
  static UpstreamGuards& Instance();
  // The guard of an upstream (Origin::Key()); made on first use, never freed.
  UpstreamGuard& For(const std::string& upstream);
  // Every guard, for a scrape.
  template <typename F>
  void ForEach(F&& f) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [key, guard] : guards_) f(*guard);
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<UpstreamGuard>> guards_;
};

// The backoff before retry `attempt` (1, 2, ...): uniform in [0, min(max, base × 2^(attempt-1))].
[[nodiscard]] std::chrono::milliseconds Backoff(const ResilienceOptions& options, int attempt);

}  // namespace capstan::consumes
