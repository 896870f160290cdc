#include "exposes/server/metrics.hpp"

#include <algorithm>

namespace capstan::exposes {

// One series' counters on one thread. Only that thread writes them (relaxed load + store, no
// read-modify-write); a scrape reads them relaxed.
struct Metrics::Slot {
  std::array<std::atomic<std::uint64_t>, 6> by_class{};
  std::array<std::atomic<std::uint64_t>, kDurationBuckets.size() + 1> buckets{};
  std::atomic<std::uint64_t> micros{0};
  std::array<std::atomic<std::uint64_t>, 6> upstream_by_class{};
  std::atomic<std::uint64_t> upstream_failures{0};
  std::array<std::atomic<std::uint64_t>, kDurationBuckets.size() + 1> upstream_buckets{};
  std::atomic<std::uint64_t> upstream_micros{0};
};

// A thread's slots in chunks that never move, so that a scrape can read while the thread adds
// chunks: the chunk pointers are published with release stores.
struct Metrics::ThreadSlots {
  static constexpr std::size_t kChunk = 64;
  static constexpr std::size_t kChunks = 256;  // 16,384 series
  std::array<std::atomic<Slot*>, kChunks> chunks{};
  ~ThreadSlots() = default;  // owned by the process-wide registry; threads come and go
  Slot* Get(std::uint32_t series) {
    std::size_t index = series - 1;
    std::size_t c = index / kChunk;
    if (c >= kChunks) return nullptr;
    Slot* chunk = chunks[c].load(std::memory_order_relaxed);
    if (chunk == nullptr) {
      chunk = new Slot[kChunk];
      chunks[c].store(chunk, std::memory_order_release);
    }
    return &chunk[index % kChunk];
  }
};

namespace {

void Add(std::atomic<std::uint64_t>& counter, std::uint64_t n) {
  counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

std::size_t Bucket(std::chrono::microseconds d) {
  const double seconds = static_cast<double>(d.count()) / 1e6;
  return static_cast<std::size_t>(
      std::lower_bound(kDurationBuckets.begin(), kDurationBuckets.end(), seconds) -
      kDurationBuckets.begin());
}

std::size_t Class(int status) { return status >= 100 && status < 600 ? status / 100 : 0; }

}  // namespace

std::string AdapterLabel(std::string_view describe) {
  std::size_t open = describe.find('\'');
  std::size_t close = open == std::string_view::npos ? open : describe.find('\'', open + 1);
  if (close == std::string_view::npos) return std::string(describe);
  return std::string(describe.substr(open + 1, close - open - 1));
}

Metrics& Metrics::Instance() {
  static Metrics* instance = new Metrics();  // never destroyed: loop threads may outlive main
  return *instance;
}

std::uint32_t Metrics::Series(std::string_view adapter, std::string_view operation) {
  std::lock_guard lock(mu_);
  auto key = std::make_pair(std::string(adapter), std::string(operation));
  auto it = ids_.find(key);
  if (it != ids_.end()) return it->second;
  labels_.push_back(key);
  auto id = static_cast<std::uint32_t>(labels_.size());
  const std::size_t chunk = (id - 1) / kLabelChunk;
  if (chunk < label_chunks_.size()) {
    auto* labels = label_chunks_[chunk].load(std::memory_order_relaxed);
    if (labels == nullptr) {
      labels = new std::pair<std::string, std::string>[kLabelChunk];
      label_chunks_[chunk].store(labels, std::memory_order_relaxed);
    }
    labels[(id - 1) % kLabelChunk] = key;
    published_.store(id, std::memory_order_release);  // the label, then the count
  }
  ids_.emplace(std::move(key), id);
  return id;
}

const std::pair<std::string, std::string>* Metrics::LabelsOf(std::uint32_t series) const {
  if (series == 0 || series > published_.load(std::memory_order_acquire)) return nullptr;
  const auto* labels = label_chunks_[(series - 1) / kLabelChunk].load(std::memory_order_relaxed);
  return labels == nullptr ? nullptr : &labels[(series - 1) % kLabelChunk];
}

Metrics::ThreadSlots& Metrics::Mine() {
  thread_local ThreadSlots* mine = nullptr;
  if (mine == nullptr) {
    mine = new ThreadSlots();  // kept for the scrape after the thread ends
    std::lock_guard lock(mu_);
    threads_.push_back(mine);
  }
  return *mine;
}

void Metrics::Record(std::uint32_t series, int status, std::chrono::microseconds duration,
                     int upstream_status, std::chrono::microseconds upstream_time) {
  if (series == 0) return;
  Slot* slot = Mine().Get(series);
  if (slot == nullptr) return;
  Add(slot->by_class[Class(status)], 1);
  Add(slot->buckets[Bucket(duration)], 1);
  Add(slot->micros, static_cast<std::uint64_t>(std::max<std::int64_t>(0, duration.count())));
  if (upstream_status != 0) {
    Add(slot->upstream_by_class[Class(upstream_status)], 1);
    Add(slot->upstream_buckets[Bucket(upstream_time)], 1);
    Add(slot->upstream_micros,
        static_cast<std::uint64_t>(std::max<std::int64_t>(0, upstream_time.count())));
  } else if (status == 502 || status == 504) {
    Add(slot->upstream_failures, 1);  // the gateway's own answer: no usable upstream answer
  }
}

std::vector<SeriesTotals> Metrics::Snapshot() {
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<ThreadSlots*> threads;
  {
    std::lock_guard lock(mu_);
    labels = labels_;
    threads = threads_;
  }
  std::vector<SeriesTotals> out(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    SeriesTotals& t = out[i];
    t.adapter = labels[i].first;
    t.operation = labels[i].second;
    std::uint64_t micros = 0;
    std::uint64_t upstream_micros = 0;
    for (ThreadSlots* thread : threads) {
      Slot* chunk = thread->chunks[i / ThreadSlots::kChunk].load(std::memory_order_acquire);
      if (chunk == nullptr) continue;
      const Slot& s = chunk[i % ThreadSlots::kChunk];
      for (std::size_t k = 0; k < t.by_class.size(); ++k) {
        t.by_class[k] += s.by_class[k].load(std::memory_order_relaxed);
        t.upstream_by_class[k] += s.upstream_by_class[k].load(std::memory_order_relaxed);
      }
      for (std::size_t k = 0; k < t.buckets.size(); ++k) {
        t.buckets[k] += s.buckets[k].load(std::memory_order_relaxed);
        t.upstream_buckets[k] += s.upstream_buckets[k].load(std::memory_order_relaxed);
      }
      micros += s.micros.load(std::memory_order_relaxed);
      upstream_micros += s.upstream_micros.load(std::memory_order_relaxed);
      t.upstream_failures += s.upstream_failures.load(std::memory_order_relaxed);
    }
    for (std::uint64_t n : t.buckets) t.count += n;
    for (std::uint64_t n : t.upstream_buckets) t.upstream_count += n;
    t.seconds = static_cast<double>(micros) / 1e6;
    t.upstream_seconds = static_cast<double>(upstream_micros) / 1e6;
  }
  return out;
}

}  // namespace capstan::exposes
