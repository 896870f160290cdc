// The deadline of a socket's current operation, enforced by cancelling it when it passes (never
// by closing the socket: see asio_impl.cpp). One timer, re-armed lazily: a later deadline costs
// nothing, a timer that fires early re-arms for the current one.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

namespace capstan::http {

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  // `on_expired` runs on the executor when a set deadline passes (it cancels the operation); never
  // after the Deadline is destroyed.
  Deadline(const boost::asio::any_io_executor& executor, std::function<void()> on_expired);
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;
  ~Deadline();

  void Set(Clock::time_point at);
  void SetAfter(Clock::duration timeout) { Set(Clock::now() + timeout); }
  void Clear();
  // Clears the deadline and cancels the timer's pending wait, so that it holds no work on the
  // loop (io_context::run returns once nothing else is pending).
  void Disarm();
  // The deadline passed since the last Set(): the operation, whatever its result, timed out.
  [[nodiscard]] bool expired() const;

 private:
  struct State;
  static void Arm(const std::shared_ptr<State>& state, Clock::time_point at);

  std::shared_ptr<State> state_;
};

}  // namespace capstan::http
