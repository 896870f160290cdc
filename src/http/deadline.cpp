#include "http/deadline.hpp"

#include <utility>

namespace capstan::http {

struct Deadline::State {
  State(const boost::asio::any_io_executor& executor, std::function<void()> expired_fn)
      : timer(executor), on_expired(std::move(expired_fn)) {}
  boost::asio::steady_timer timer;
  std::function<void()> on_expired;  // empty once the Deadline is gone
  Clock::time_point deadline = Clock::time_point::max();
  Clock::time_point expiry = Clock::time_point::max();
  std::uint64_t generation = 0;
  bool armed = false;
  bool expired = false;
};

Deadline::Deadline(const boost::asio::any_io_executor& executor, std::function<void()> on_expired)
    : state_(std::make_shared<State>(executor, std::move(on_expired))) {}

Deadline::~Deadline() {
  state_->on_expired = nullptr;
  ++state_->generation;
  state_->timer.cancel();
}

void Deadline::Set(Clock::time_point at) {
  state_->deadline = at;
  state_->expired = false;
  if (!state_->armed || at < state_->expiry) Arm(state_, at);
}

void Deadline::Clear() { state_->deadline = Clock::time_point::max(); }

bool Deadline::expired() const { return state_->expired; }

void Deadline::Disarm() {
  Clear();
  if (!state_->armed) return;
  state_->armed = false;
  ++state_->generation;
  state_->timer.cancel();
}

void Deadline::Arm(const std::shared_ptr<State>& state, Clock::time_point at) {
  state->armed = true;
  state->expiry = at;
  const std::uint64_t generation = ++state->generation;
  state->timer.expires_at(at);
  state->timer.async_wait([state, generation](const boost::system::error_code&) {
    if (generation != state->generation) return;
    state->armed = false;
    if (!state->on_expired || state->deadline == Clock::time_point::max()) return;
    if (Clock::now() < state->deadline) {
      Arm(state, state->deadline);
      return;
    }
    state->expired = true;
    state->on_expired();
  });
}

}  // namespace capstan::http
