// Request metrics of a serving process (RED: rate, errors, duration, per adapter and operation
// or tool, with the upstream's side), recorded without locks: each event-loop thread counts into
// slots of its own and a scrape sums them. The control adapter's /metrics serialises them.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace capstan::exposes {

// Upper bounds in seconds of the duration histograms (+Inf implied).
inline constexpr std::array<double, 14> kDurationBuckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

// Totals of one series over every thread.
struct SeriesTotals {
  std::string adapter;
  std::string operation;
  std::array<std::uint64_t, 6> by_class{};                           // answers 1xx..5xx, [0]: other
  std::array<std::uint64_t, kDurationBuckets.size() + 1> buckets{};  // not cumulative
  double seconds = 0;
  std::uint64_t count = 0;
  // The upstream call behind the answer: status classes, failures without a status (connect
  // errors, timeouts, unusable answers), durations.
  std::array<std::uint64_t, 6> upstream_by_class{};
  std::uint64_t upstream_failures = 0;
  std::array<std::uint64_t, kDurationBuckets.size() + 1> upstream_buckets{};
  double upstream_seconds = 0;
  std::uint64_t upstream_count = 0;
};

// The `adapter` label of an endpoint: the quoted name in its Describe() ("rest adapter 'x'" →
// "x"), else the whole text ("mcp adapters a and 81 more (union)", "control adapter").
[[nodiscard]] std::string AdapterLabel(std::string_view describe);

class Metrics {
 public:
  static Metrics& Instance();

  // The series of (adapter, operation), made on first use: the same labels keep their series
  // across reloads. Takes a lock: call when building endpoints, not per request. Never 0.
  [[nodiscard]] std::uint32_t Series(std::string_view adapter, std::string_view operation);

  // Counts one answer on the calling thread's slots.
  void Record(std::uint32_t series, int status, std::chrono::microseconds duration,
              int upstream_status, std::chrono::microseconds upstream_time);

  [[nodiscard]] std::vector<SeriesTotals> Snapshot();

  // The (adapter, operation) of a series, without a lock (for the access log); null for 0 or
  // an id not made yet.
  [[nodiscard]] const std::pair<std::string, std::string>* LabelsOf(std::uint32_t series) const;

  struct Slot;
  struct ThreadSlots;

 private:
  Metrics() = default;
  ThreadSlots& Mine();
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::uint32_t> ids_;
  std::vector<std::pair<std::string, std::string>> labels_;  // by id - 1
  std::vector<ThreadSlots*> threads_;
  // The same labels in chunks that never move, published for lock-free readers.
  static constexpr std::size_t kLabelChunk = 256;
  std::array<std::atomic<std::pair<std::string, std::string>*>, 64> label_chunks_{};
  std::atomic<std::uint32_t> published_{0};
};

}  // namespace capstan::exposes
