#include "exposes/mcp/session.hpp"

#include <array>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "core/hex.hpp"

namespace capstan::mcp {

namespace asio = boost::asio;

namespace {

// The timer lives in Wait()'s frame, not in the waker: a waker can outlive its event loop (an
// EventStream keeps the waker of a consumer abandoned at shutdown, and sessions outlive the
// server), and an Asio timer destroyed after its io_context is a use-after-free.
class TimerWaker final : public Waker, public std::enable_shared_from_this<TimerWaker> {
 public:
  explicit TimerWaker(const asio::any_io_executor& executor) : executor_(executor) {}

  asio::awaitable<void> Wait(std::chrono::milliseconds timeout) override {
    if (woken_.exchange(false)) co_return;
    asio::steady_timer timer(executor_, timeout);
    waiting_ = &timer;
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    waiting_ = nullptr;
    woken_.store(false);
  }

  void Wake() override {
    woken_.store(true);
    asio::post(executor_, [self = shared_from_this()] {
      if (self->waiting_ != nullptr) self->waiting_->cancel();
    });
  }

 private:
  asio::any_io_executor executor_;
  asio::steady_timer* waiting_ = nullptr;  // the timer Wait() waits on; only on the executor
  std::atomic<bool> woken_{false};
};

std::string Hex(const unsigned char* data, std::size_t n) {
  return core::HexLower(std::string_view(reinterpret_cast<const char*>(data), n));
}

std::string Sign(const std::string& key, std::string_view random_part) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(random_part.data()), random_part.size(), mac,
       &mac_len);
  return Hex(mac, 16);
}

}  // namespace

std::shared_ptr<Waker> Waker::Create(const asio::any_io_executor& executor) {
  return std::make_shared<TimerWaker>(executor);
}

std::string RandomHex(std::size_t bytes) {
  std::vector<unsigned char> buffer(bytes);
  RAND_bytes(buffer.data(), static_cast<int>(buffer.size()));
  return Hex(buffer.data(), buffer.size());
}

namespace {

const std::string& StateKey() {
  static const std::string key = [] {
    std::array<unsigned char, 32> bytes{};
    RAND_bytes(bytes.data(), static_cast<int>(bytes.size()));
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }();
  return key;
}

}  // namespace

std::string SealState(std::string_view payload) {
  std::string hex = Hex(reinterpret_cast<const unsigned char*>(payload.data()), payload.size());
  std::string token = hex;
  token += '.';
  token += Sign(StateKey(), hex);
  return token;
}

std::optional<std::string> OpenState(std::string_view token) {
  std::size_t dot = token.rfind('.');
  if (dot == std::string_view::npos || dot % 2 != 0 || token.size() - dot - 1 != 32) {
    return std::nullopt;
  }
  std::string_view hex = token.substr(0, dot);
  std::string expected = Sign(StateKey(), hex);
  if (CRYPTO_memcmp(expected.data(), token.data() + dot + 1, 32) != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string payload;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]);
    int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    payload.push_back(static_cast<char>(hi * 16 + lo));
  }
  return payload;
}

// ---- EventStream ------------------------------------------------------------------------------

void EventStream::Push(std::string data) {
  std::shared_ptr<Waker> consumer;
  {
    std::lock_guard lock(mu_);
    if (complete_) return;
    events_.emplace_back(next_++, std::move(data));
    if (events_.size() > kMaxKept) events_.pop_front();
    consumer = consumer_;
  }
  if (consumer) consumer->Wake();
}

void EventStream::Complete() {
  std::shared_ptr<Waker> consumer;
  {
    std::lock_guard lock(mu_);
    complete_ = true;
    consumer = consumer_;
  }
  if (consumer) consumer->Wake();
}

void EventStream::RequestClose() {
  std::shared_ptr<Waker> consumer;
  {
    std::lock_guard lock(mu_);
    close_requested_ = true;
    consumer = consumer_;
  }
  if (consumer) consumer->Wake();
}

EventStream::Batch EventStream::Since(std::uint64_t after) {
  std::lock_guard lock(mu_);
  Batch batch;
  for (const auto& event : events_) {
    if (event.first > after) batch.events.push_back(event);
  }
  batch.complete = complete_;
  batch.close_requested = close_requested_;
  close_requested_ = false;
  return batch;
}

void EventStream::Attach(std::shared_ptr<Waker> consumer) {
  std::lock_guard lock(mu_);
  consumer_ = std::move(consumer);
}

void EventStream::Detach(const Waker* consumer) {
  std::lock_guard lock(mu_);
  if (consumer_.get() == consumer) consumer_.reset();
}

bool EventStream::attached() const {
  std::lock_guard lock(mu_);
  return consumer_ != nullptr;
}

// ---- log levels -------------------------------------------------------------------------------

namespace {
constexpr std::array<std::string_view, 8> kLevels = {"debug", "info",     "notice", "warning",
                                                     "error", "critical", "alert",  "emergency"};
}

int LogLevelIndex(std::string_view name) {
  for (std::size_t i = 0; i < kLevels.size(); ++i) {
    if (kLevels[i] == name) return static_cast<int>(i);
  }
  return -1;
}

std::string_view LogLevelName(int index) {
  if (index < 0 || index >= static_cast<int>(kLevels.size())) return "info";
  return kLevels[static_cast<std::size_t>(index)];
}

// ---- Session ----------------------------------------------------------------------------------

void Session::RegisterCall(const std::string& key, asio::any_io_executor executor,
                           std::shared_ptr<asio::cancellation_signal> signal) {
  std::lock_guard lock(mu_);
  calls_[key] = Call{std::move(executor), std::move(signal), false};
}

void Session::UnregisterCall(const std::string& key) {
  std::lock_guard lock(mu_);
  calls_.erase(key);
}

bool Session::CancelCall(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = calls_.find(key);
  if (it == calls_.end() || it->second.cancelled) return false;
  it->second.cancelled = true;
  asio::post(it->second.executor,
             [signal = it->second.signal] { signal->emit(asio::cancellation_type::terminal); });
  return true;
}

bool Session::WasCancelled(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = calls_.find(key);
  return it != calls_.end() && it->second.cancelled;
}

std::shared_ptr<EventStream> Session::NewStream() {
  std::lock_guard lock(mu_);
  // Drop entries whose streams are gone.
  for (auto it = streams_.begin(); it != streams_.end();) {
    it = it->second.expired() ? streams_.erase(it) : std::next(it);
  }
  auto stream = std::make_shared<EventStream>(RandomHex(8) + std::to_string(++stream_counter_));
  streams_[stream->id()] = stream;
  return stream;
}

std::shared_ptr<EventStream> Session::FindStream(std::string_view stream_id) {
  std::lock_guard lock(mu_);
  auto it = streams_.find(stream_id);
  return it == streams_.end() ? nullptr : it->second.lock();
}

bool Session::OpenStandalone(const std::shared_ptr<EventStream>& stream) {
  std::lock_guard lock(mu_);
  if (standalone_ || terminated_) return false;
  standalone_ = stream;
  streams_[stream->id()] = stream;
  return true;
}

void Session::CloseStandalone(const EventStream* stream) {
  std::lock_guard lock(mu_);
  if (standalone_.get() == stream) standalone_.reset();
}

void Session::SendUnrelated(std::string data) {
  std::shared_ptr<EventStream> stream;
  {
    std::lock_guard lock(mu_);
    stream = standalone_;
  }
  if (stream) stream->Push(std::move(data));
}

void Session::Terminate() {
  std::vector<std::shared_ptr<EventStream>> streams;
  {
    std::lock_guard lock(mu_);
    terminated_ = true;
    for (auto& [sid, weak] : streams_) {
      if (auto s = weak.lock()) streams.push_back(std::move(s));
    }
    standalone_.reset();
    for (auto& [key, call] : calls_) {
      if (!call.cancelled) {
        call.cancelled = true;
        asio::post(call.executor,
                   [signal = call.signal] { signal->emit(asio::cancellation_type::terminal); });
      }
    }
  }
  for (auto& s : streams) s->Complete();
}

// ---- SessionStore -----------------------------------------------------------------------------

SessionStore::SessionStore(Options options) : options_(std::move(options)) {
  if (options_.key.empty()) {
    std::array<unsigned char, 32> key{};
    RAND_bytes(key.data(), static_cast<int>(key.size()));
    options_.key.assign(reinterpret_cast<const char*>(key.data()), key.size());
  }
}

std::string SessionStore::NewId() const {
  std::string random_part = RandomHex(16);
  return random_part + "." + Sign(options_.key, random_part);
}

bool SessionStore::Verify(std::string_view id) const {
  if (id.size() != 65 || id[32] != '.') return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '.')) return false;
  }
  std::string expected = Sign(options_.key, id.substr(0, 32));
  return CRYPTO_memcmp(expected.data(), id.data() + 33, 32) == 0;
}

std::shared_ptr<Session> SessionStore::Create(std::string protocol_version,
                                              json::object client_capabilities) {
  auto session = std::make_shared<Session>();
  session->id = NewId();
  session->protocol_version = std::move(protocol_version);
  session->client_capabilities = std::move(client_capabilities);
  session->Touch();
  std::lock_guard lock(mu_);
  Sweep();
  sessions_[session->id] = session;
  return session;
}

void SessionStore::Sweep() {
  auto now = std::chrono::steady_clock::now();
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (now - it->second->last_used() > options_.idle_timeout) {
      it->second->Terminate();
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
  while (sessions_.size() >= options_.max_sessions && !sessions_.empty()) {
    auto oldest = sessions_.begin();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      if (it->second->last_used() < oldest->second->last_used()) oldest = it;
    }
    oldest->second->Terminate();
    sessions_.erase(oldest);
  }
}

std::shared_ptr<Session> SessionStore::Find(std::string_view id, Lookup& outcome,
                                            std::string_view protocol_version) {
  if (!Verify(id)) {
    outcome = Lookup::kUnknown;
    return nullptr;
  }
  std::lock_guard lock(mu_);
  std::string key(id);
  if (terminated_.count(key)) {
    outcome = Lookup::kTerminated;
    return nullptr;
  }
  auto it = sessions_.find(key);
  if (it != sessions_.end()) {
    outcome = Lookup::kFound;
    it->second->Touch();
    return it->second;
  }
  // Issued by another replica (or forgotten after idling): adopt it.
  Sweep();
  auto session = std::make_shared<Session>();
  session->id = key;
  session->protocol_version =
      protocol_version.empty() ? "2025-03-26" : std::string(protocol_version);
  session->Touch();
  sessions_[key] = session;
  outcome = Lookup::kFound;
  return session;
}

bool SessionStore::Terminate(std::string_view id) {
  if (!Verify(id)) return false;
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(mu_);
    std::string key(id);
    if (auto it = sessions_.find(key); it != sessions_.end()) {
      session = it->second;
      sessions_.erase(it);
    }
    if (!terminated_.count(key)) {
      terminated_[key] = true;
      terminated_order_.emplace_back(key, std::chrono::steady_clock::now());
      while (terminated_order_.size() > 100000) {
        terminated_.erase(terminated_order_.front().first);
        terminated_order_.pop_front();
      }
    }
  }
  if (session) session->Terminate();
  return true;
}

std::size_t SessionStore::size() {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

std::vector<std::shared_ptr<Session>> SessionStore::Live() {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<Session>> out;
  out.reserve(sessions_.size());
  for (const auto& [id, session] : sessions_) {
    if (!session->terminated()) out.push_back(session);
  }
  return out;
}

// ---- SessionStores ----------------------------------------------------------------------------

std::shared_ptr<SessionStore> SessionStores::For(const std::string& path) {
  std::lock_guard lock(mu_);
  std::shared_ptr<SessionStore>& store = stores_[path];
  if (!store) {
    store = std::make_shared<SessionStore>(
        SessionStore::Options{key_, 10000, std::chrono::seconds(3600)});
  }
  return store;
}

std::size_t SessionStores::Count() {
  std::vector<std::shared_ptr<SessionStore>> stores;
  {
    std::lock_guard lock(mu_);
    for (const auto& [path, store] : stores_) stores.push_back(store);
  }
  std::size_t n = 0;
  for (const auto& store : stores) n += store->Live().size();
  return n;
}

void SessionStores::Broadcast(const std::string& notification) {
  std::vector<std::shared_ptr<SessionStore>> stores;
  {
    std::lock_guard lock(mu_);
    for (const auto& [path, store] : stores_) stores.push_back(store);
  }
  for (const auto& store : stores) {
    for (const auto& session : store->Live()) session->SendUnrelated(notification);
  }
}

// ---- ClientRequests ---------------------------------------------------------------------------

ClientRequests& ClientRequests::Instance() {
  static ClientRequests instance;
  return instance;
}

std::string ClientRequests::Register(const asio::any_io_executor& executor) {
  auto pending = std::make_shared<Pending>();
  pending->waker = Waker::Create(executor);
  std::string id = "capstan-" + RandomHex(12);
  std::lock_guard lock(mu_);
  pending_[id] = std::move(pending);
  return id;
}

asio::awaitable<core::Result<json::value>> ClientRequests::Await(
    const std::string& id, std::chrono::milliseconds timeout) {
  std::shared_ptr<Pending> pending;
  {
    std::lock_guard lock(mu_);
    auto it = pending_.find(id);
    if (it == pending_.end()) co_return core::Fail(core::ErrorCode::kInternal, "unknown request");
    pending = it->second;
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (pending->response) {
        json::value response = std::move(*pending->response);
        pending_.erase(id);
        co_return response;
      }
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    co_await pending->waker->Wait(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
  }
  std::lock_guard lock(mu_);
  pending_.erase(id);
  co_return core::Fail(core::ErrorCode::kUpstreamTimeout,
                       "the client did not answer the server's request in time");
}

bool ClientRequests::Deliver(const std::string& id, json::value response) {
  std::shared_ptr<Pending> pending;
  {
    std::lock_guard lock(mu_);
    auto it = pending_.find(id);
    if (it == pending_.end() || it->second->response) return false;
    it->second->response = std::move(response);
    pending = it->second;
  }
  pending->waker->Wake();
  return true;
}

}  // namespace capstan::mcp
