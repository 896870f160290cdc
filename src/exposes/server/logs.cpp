#include "exposes/server/logs.hpp"

#include <cctype>

namespace capstan::exposes {

namespace {
constexpr std::string_view kNames[] = {"trace", "debug", "info", "warn", "error", "off"};
}  // namespace

std::optional<LogLevel> ParseLogLevel(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "warning") lower = "warn";
  for (int i = 0; i < 6; ++i) {
    if (lower == kNames[i]) return static_cast<LogLevel>(i);
  }
  return std::nullopt;
}

std::string_view LogLevelName(LogLevel level) { return kNames[static_cast<int>(level)]; }

LogLevels& LogLevels::Instance() {
  static LogLevels levels;
  return levels;
}

const std::vector<std::string>& LogLevels::Loggers() {
  static const std::vector<std::string> kLoggers = {"access"};
  return kLoggers;
}

LogLevel LogLevels::root() const {
  return static_cast<LogLevel>(root_.load(std::memory_order_relaxed));
}

void LogLevels::set_root(LogLevel level) {
  root_.store(static_cast<int>(level), std::memory_order_relaxed);
}

bool LogLevels::Find(std::string_view logger, std::optional<LogLevel>& own) const {
  if (logger != "access") return false;
  const int v = access_.load(std::memory_order_relaxed);
  own = v < 0 ? std::nullopt : std::optional<LogLevel>(static_cast<LogLevel>(v));
  return true;
}

bool LogLevels::Set(std::string_view logger, std::optional<LogLevel> own) {
  if (logger != "access") return false;
  access_.store(own ? static_cast<int>(*own) : -1, std::memory_order_relaxed);
  return true;
}

LogLevel LogLevels::Effective(std::string_view logger) const {
  std::optional<LogLevel> own;
  if (Find(logger, own) && own) return *own;
  return root();
}

bool LogLevels::AccessEnabled(int status) const {
  int level = access_.load(std::memory_order_relaxed);
  if (level < 0) level = root_.load(std::memory_order_relaxed);
  const LogLevel line = status >= 500   ? LogLevel::kError
                        : status >= 400 ? LogLevel::kWarn
                                        : LogLevel::kInfo;
  return static_cast<int>(line) >= level;
}

void LogLevels::Reset() {
  set_root(LogLevel::kInfo);
  access_.store(-1, std::memory_order_relaxed);
}

LogHub& LogHub::Instance() {
  static LogHub hub;
  return hub;
}

std::optional<std::uint64_t> LogHub::Subscribe(Deliver deliver, std::size_t max) {
  std::lock_guard<std::mutex> lock(mu_);
  if (subscribers_.size() >= max) return std::nullopt;
  const std::uint64_t id = next_++;
  subscribers_.emplace(id, std::move(deliver));
  count_.store(subscribers_.size(), std::memory_order_relaxed);
  return id;
}

void LogHub::Unsubscribe(std::uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  subscribers_.erase(id);
  count_.store(subscribers_.size(), std::memory_order_relaxed);
}

void LogHub::Publish(std::string_view line) {
  if (count_.load(std::memory_order_relaxed) == 0) return;
  const std::string copy(line);
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, deliver] : subscribers_) deliver(copy);
}

}  // namespace capstan::exposes
