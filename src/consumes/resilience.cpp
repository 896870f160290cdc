#include "consumes/resilience.hpp"

#include <algorithm>
#include <memory>
#include <random>

namespace capstan::consumes {

namespace {

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

UpstreamGuard::Admission UpstreamGuard::Admit(const ResilienceOptions& options,
                                              std::chrono::milliseconds& retry_in) {
  if (options.breaker_failures <= 0) return Admission::kAdmitted;
  const std::int64_t until = open_until_ms_.load(std::memory_order_acquire);
  if (until == 0) return Admission::kAdmitted;
  const std::int64_t now = NowMs();
  if (now < until) {
    retry_in = std::chrono::milliseconds(until - now);
    rejected_open.fetch_add(1, std::memory_order_relaxed);
    return Admission::kOpen;
  }
  // Half-open: one call goes through and decides.
  bool expected = false;
  if (probing_.compare_exchange_strong(expected, true)) return Admission::kProbe;
  retry_in = std::chrono::milliseconds(0);
  rejected_open.fetch_add(1, std::memory_order_relaxed);
  return Admission::kOpen;
}

void UpstreamGuard::Finish(const ResilienceOptions& options, bool failed, bool probe) {
  if (options.breaker_failures <= 0) return;
  if (!failed) {
    consecutive_failures_.store(0, std::memory_order_relaxed);
    if (probe || open_until_ms_.load(std::memory_order_relaxed) != 0) {
      open_until_ms_.store(0, std::memory_order_release);
    }
    if (probe) probing_.store(false, std::memory_order_release);
    return;
  }
  const int failures = consecutive_failures_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (probe || failures >= options.breaker_failures) {
    const bool was_closed = open_until_ms_.load(std::memory_order_relaxed) == 0;
    open_until_ms_.store(NowMs() + options.breaker_open.count(), std::memory_order_release);
    if (was_closed || probe) breaker_opened.fetch_add(1, std::memory_order_relaxed);
    consecutive_failures_.store(0, std::memory_order_relaxed);
  }
  if (probe) probing_.store(false, std::memory_order_release);
}

bool UpstreamGuard::Enter(const ResilienceOptions& options) {
  const int n = in_flight_.fetch_add(1, std::memory_order_acq_rel) + 1;
  if (options.max_in_flight > 0 && n > options.max_in_flight) {
    in_flight_.fetch_sub(1, std::memory_order_acq_rel);
    shed.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  return true;
}

void UpstreamGuard::Leave() { in_flight_.fetch_sub(1, std::memory_order_acq_rel); }

void UpstreamGuard::Earn(const ResilienceOptions& options) {
  if (options.retries <= 0) return;
  const auto earned = static_cast<std::int64_t>(options.retry_budget * 1000);
  std::int64_t v = budget_milli_.load(std::memory_order_relaxed);
  while (v < 10000 &&
         !budget_milli_.compare_exchange_weak(v, std::min<std::int64_t>(10000, v + earned),
                                              std::memory_order_relaxed)) {
  }
}

bool UpstreamGuard::SpendRetry() {
  std::int64_t v = budget_milli_.load(std::memory_order_relaxed);
  while (v >= 1000) {
    if (budget_milli_.compare_exchange_weak(v, v - 1000, std::memory_order_relaxed)) {
      retries.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
  }
  return false;
}

int UpstreamGuard::state() const {
  const std::int64_t until = open_until_ms_.load(std::memory_order_acquire);
  if (until == 0) return 0;
  return NowMs() < until ? 1 : 2;
}

UpstreamGuards& UpstreamGuards::Instance() {
  static UpstreamGuards guards;
  return guards;
}

UpstreamGuard& UpstreamGuards::For(const std::string& upstream) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = guards_[upstream];
  if (!slot) slot = std::make_unique<UpstreamGuard>(upstream);
  return *slot;
}

std::chrono::milliseconds Backoff(const ResilienceOptions& options, int attempt) {
  const int shift = std::min(attempt - 1, 20);
  const std::int64_t cap =
      std::min<std::int64_t>(options.max_backoff.count(), options.backoff.count() << shift);
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::chrono::milliseconds(
      std::uniform_int_distribution<std::int64_t>(0, std::max<std::int64_t>(cap, 0))(rng));
}

}  // namespace capstan::consumes
