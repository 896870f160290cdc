#include "consumes/upstream_stats.hpp"

#include <map>

namespace capstan::consumes {

void UpstreamCounters::Answer(int status, std::chrono::microseconds elapsed) {
  const int cls = status >= 100 && status <= 599 ? status / 100 : 0;
  Bump(by_class[static_cast<std::size_t>(cls)]);
  const double seconds = static_cast<double>(elapsed.count()) / 1e6;
  std::size_t b = 0;
  while (b < kUpstreamBuckets.size() && seconds > kUpstreamBuckets[b]) ++b;
  Bump(buckets[b]);
  Bump(micros, elapsed.count());
}

UpstreamStats& UpstreamStats::Instance() {
  static UpstreamStats stats;
  return stats;
}

UpstreamCounters* UpstreamStats::Register(const std::string& upstream) {
  std::lock_guard<std::mutex> lock(mu_);
  counters_.emplace_back();
  counters_.back().upstream = upstream;
  return &counters_.back();
}

std::vector<UpstreamTotals> UpstreamStats::Snapshot() const {
  std::map<std::string, UpstreamTotals> sums;
  std::lock_guard<std::mutex> lock(mu_);
  for (const UpstreamCounters& c : counters_) {
    UpstreamTotals& t = sums[c.upstream];
    t.upstream = c.upstream;
    for (std::size_t i = 0; i < c.by_class.size(); ++i) {
      t.by_class[i] += c.by_class[i].load(std::memory_order_relaxed);
    }
    t.connect_errors += c.connect_errors.load(std::memory_order_relaxed);
    t.timeouts += c.timeouts.load(std::memory_order_relaxed);
    t.errors += c.errors.load(std::memory_order_relaxed);
    t.connections_opened += c.connections_opened.load(std::memory_order_relaxed);
    t.idle_connections += c.idle_connections.load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < c.buckets.size(); ++i) {
      const std::uint64_t n = c.buckets[i].load(std::memory_order_relaxed);
      t.buckets[i] += n;
      t.count += n;
    }
    t.seconds += static_cast<double>(c.micros.load(std::memory_order_relaxed)) / 1e6;
  }
  std::vector<UpstreamTotals> out;
  for (auto& [key, t] : sums) out.push_back(std::move(t));
  return out;
}

}  // namespace capstan::consumes
