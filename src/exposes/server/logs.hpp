// The process's log levels (a root level and one per logger, changed at run time through the
// control adapter's /logs) and the hub that copies log lines to /logs/stream subscribers.
// Loggers: "access" (one line per answer: info below 400, warn for 4xx, error for 5xx).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace capstan::exposes {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kOff };
[[nodiscard]] std::optional<LogLevel> ParseLogLevel(std::string_view text);  // any case
[[nodiscard]] std::string_view LogLevelName(LogLevel level);                 // "info"

class LogLevels {
 public:
  static LogLevels& Instance();
  [[nodiscard]] static const std::vector<std::string>& Loggers();  // "access"

  [[nodiscard]] LogLevel root() const;
  void set_root(LogLevel level);
  // A logger's own level (nullopt: it follows the root). False for an unknown logger.
  [[nodiscard]] bool Find(std::string_view logger, std::optional<LogLevel>& own) const;
  bool Set(std::string_view logger, std::optional<LogLevel> own);
  [[nodiscard]] LogLevel Effective(std::string_view logger) const;
  // Whether the access line of an answer with `status` is written: two relaxed loads.
  [[nodiscard]] bool AccessEnabled(int status) const;
  void Reset();  // info, every logger following it (tests)

 private:
  LogLevels() = default;
  std::atomic<int> root_{static_cast<int>(LogLevel::kInfo)};
  std::atomic<int> access_{-1};  // -1: the root's
};

// Log lines for /logs/stream. Publish() costs one relaxed load while nobody subscribes.
class LogHub {
 public:
  static LogHub& Instance();
  using Deliver = std::function<void(const std::string& line)>;  // called on the publisher's thread
  // nullopt when `max` subscribers are already there.
  [[nodiscard]] std::optional<std::uint64_t> Subscribe(Deliver deliver, std::size_t max);
  void Unsubscribe(std::uint64_t id);
  void Publish(std::string_view line);
  [[nodiscard]] std::size_t subscribers() const { return count_.load(std::memory_order_relaxed); }

 private:
  LogHub() = default;
  std::atomic<std::size_t> count_{0};
  mutable std::mutex mu_;
  std::uint64_t next_ = 1;
  std::map<std::uint64_t, Deliver> subscribers_;
};

}  // namespace capstan::exposes
