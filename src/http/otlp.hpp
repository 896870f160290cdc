// Exports spans to an OpenTelemetry collector over OTLP/HTTP with the JSON encoding
// (POST <endpoint>/v1/traces): a bounded queue filled from the event loops without blocking,
// and one thread that sends a batch a second (or when full), with a timeout, dropping on failure.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "http/trace.hpp"

namespace capstan::http {

// Where spans go: http://host[:port][/path]. A URL without a path (or "/") gets /v1/traces, the
// OTLP/HTTP default (as OTEL_EXPORTER_OTLP_ENDPOINT); one with a path is used as it is (as
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT). https is refused: run a collector beside capstan.
struct OtlpEndpoint {
  std::string host;
  std::uint16_t port = 4318;
  std::string target = "/v1/traces";
};
[[nodiscard]] core::Result<OtlpEndpoint> ParseOtlpEndpoint(std::string_view url,
                                                           bool append_signal_path = true);

struct OtlpOptions {
  OtlpEndpoint endpoint;
  std::string service_name = "capstan";
  std::string service_version;
  std::vector<std::pair<std::string, std::string>> headers;  // sent with every export
  std::size_t max_queue = 4096;  // spans beyond wait nowhere: they are dropped and counted
  std::size_t max_batch = 512;
  std::chrono::milliseconds interval{1000};
  std::chrono::milliseconds timeout{5000};
};

// The ExportTraceServiceRequest of `spans` in OTLP's JSON encoding.
[[nodiscard]] std::string OtlpTracesJson(const std::vector<Span>& spans,
                                         std::string_view service_name,
                                         std::string_view service_version);

class OtlpExporter final : public SpanSink {
 public:
  explicit OtlpExporter(OtlpOptions options);
  ~OtlpExporter() override;  // Shutdown(options.timeout)
  OtlpExporter(const OtlpExporter&) = delete;
  OtlpExporter& operator=(const OtlpExporter&) = delete;

  void Record(Span span) override;
  // Sends what is queued (within `deadline`) and stops the thread. Idempotent.
  void Shutdown(std::chrono::milliseconds deadline);

  [[nodiscard]] std::uint64_t exported() const { return exported_.load(); }
  [[nodiscard]] std::uint64_t dropped() const { return dropped_.load(); }
  [[nodiscard]] std::uint64_t failed_exports() const { return failed_.load(); }

 private:
  void Run();
  // One POST of `body`; the HTTP status, or an error.
  core::Result<int> Post(const std::string& body, std::chrono::milliseconds timeout) const;

  OtlpOptions options_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Span> queue_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point stop_deadline_{};
  std::atomic<std::uint64_t> exported_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::thread thread_;
};

}  // namespace capstan::http
