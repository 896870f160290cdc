// `capstan serve --ready-upstreams`: a thread that opens a TCP connection to every consumed
// upstream (host:port, after --base-uri overrides) every few seconds, so that the control
// adapter's /health/ready turns DEGRADED, with the reasons, while one cannot be reached.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace capstan::cli {

struct ProbeTarget {
  std::string name;  // "iam-jwts (api.scaleway.com:443)", for the reason
  std::string host;
  std::uint16_t port = 0;
};

class UpstreamProbe {
 public:
  UpstreamProbe(std::chrono::milliseconds interval, std::chrono::milliseconds timeout);
  ~UpstreamProbe();
  UpstreamProbe(const UpstreamProbe&) = delete;
  UpstreamProbe& operator=(const UpstreamProbe&) = delete;

  // Replaces the targets (at start and after a reload) and probes them now.
  void SetTargets(std::vector<ProbeTarget> targets);
  // One reason per unreachable target; "not probed yet" until the first round is done.
  [[nodiscard]] std::vector<std::string> Reasons() const;

  // A TCP connect within `timeout`: empty on success, else why not.
  [[nodiscard]] static std::string Connect(const std::string& host, std::uint16_t port,
                                           std::chrono::milliseconds timeout);

 private:
  void Run();

  std::chrono::milliseconds interval_;
  std::chrono::milliseconds timeout_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::vector<ProbeTarget> targets_;
  std::uint64_t generation_ = 0;  // of targets_
  std::uint64_t probed_ = 0;      // the generation `reasons_` belongs to
  std::vector<std::string> reasons_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace capstan::cli
