#include "exposes/server/rate_limit.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

namespace capstan::exposes {

RateLimiter::RateLimiter(double rate, double burst) : rate_(rate), burst_(std::max(1.0, burst)) {}

bool RateLimiter::Allow(std::uint64_t key, std::chrono::steady_clock::time_point now,
                        int& retry_after) {
  Shard& shard = shards_[key % kShards];
  std::lock_guard<std::mutex> lock(shard.mu);
  if (shard.buckets.size() >= kMaxBucketsPerShard && !shard.buckets.count(key)) {
    // Forget the callers that have refilled completely: they lose nothing.
    for (auto it = shard.buckets.begin(); it != shard.buckets.end();) {
      const double idle = std::chrono::duration<double>(now - it->second.last).count();
      it = it->second.tokens + idle * rate_ >= burst_ ? shard.buckets.erase(it) : std::next(it);
    }
  }
  auto [it, fresh] = shard.buckets.try_emplace(key);
  Bucket& b = it->second;
  if (fresh) {
    b.tokens = burst_;
  } else {
    const double elapsed = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
  }
  b.last = now;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  retry_after = std::max(1, static_cast<int>(std::ceil((1.0 - b.tokens) / rate_)));
  limited_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

std::uint64_t RateLimiter::KeyOf(const http::Request& request) {
  for (std::string_view header : {"Authorization", "X-Api-Key", "X-Auth-Token"}) {
    if (auto v = request.headers.Get(header); v && !v->empty()) {
      return std::hash<std::string_view>{}(*v) ^ 0x9e3779b97f4a7c15ULL;
    }
  }
  return std::hash<std::string_view>{}(request.remote_address);
}

}  // namespace capstan::exposes
