// Inbound rate limits per caller: a token bucket per key (a hash of the request's credential
// header, else the peer address), refilled at `rate` per second up to `burst`. Sharded mutexes;
// idle buckets are dropped as the table grows.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "http/message.hpp"

namespace capstan::exposes {

class RateLimiter {
 public:
  RateLimiter(double rate, double burst);
  // Takes a token for `key` at `now`; false (and `retry_after`, seconds) when there is none.
  bool Allow(std::uint64_t key, std::chrono::steady_clock::time_point now, int& retry_after);
  // The caller of a request: Authorization, X-Api-Key or X-Auth-Token (hashed, never kept), else
  // the peer address.
  [[nodiscard]] static std::uint64_t KeyOf(const http::Request& request);
  [[nodiscard]] std::uint64_t limited() const { return limited_.load(std::memory_order_relaxed); }

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point last{};
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::uint64_t, Bucket> buckets;
  };
  static constexpr std::size_t kShards = 16;
  static constexpr std::size_t kMaxBucketsPerShard = 4096;
  double rate_;
  double burst_;
  std::array<Shard, kShards> shards_;
  std::atomic<std::uint64_t> limited_{0};
};

}  // namespace capstan::exposes
