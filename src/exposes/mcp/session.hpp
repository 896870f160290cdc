// MCP session state shared by the transports: HMAC-signed session ids that any replica holding
// the key can verify, per-session protocol version, log level and in-flight requests (for
// notifications/cancelled), resumable SSE event streams, and server→client requests.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include "core/json.hpp"
#include "core/result.hpp"

namespace capstan::mcp {

namespace json = core::json;

// Wakes one coroutine that waits on its executor; Wake() may be called from any thread.
class Waker {
 public:
  static std::shared_ptr<Waker> Create(const boost::asio::any_io_executor& executor);
  virtual ~Waker() = default;
  // Returns after Wake() or `timeout`, whichever comes first. Call on the executor's thread.
  virtual boost::asio::awaitable<void> Wait(std::chrono::milliseconds timeout) = 0;
  virtual void Wake() = 0;
};

// One SSE stream's events (a POST reply or the standalone GET stream), kept for resumption
// with Last-Event-ID. Event ids are "<stream id>_<sequence>".
class EventStream {
 public:
  explicit EventStream(std::string id) : id_(std::move(id)) {}
  [[nodiscard]] const std::string& id() const { return id_; }

  // Queues one JSON-RPC message and wakes the attached consumer.
  void Push(std::string data);
  // No more events follow (the response was queued, or the session ended).
  void Complete();
  // Asks the attached consumer to end its HTTP response now; events keep being stored.
  void RequestClose();

  struct Batch {
    std::vector<std::pair<std::uint64_t, std::string>> events;
    bool complete = false;
    bool close_requested = false;
  };
  // Events after sequence `after`; clears a pending close request.
  [[nodiscard]] Batch Since(std::uint64_t after);
  void Attach(std::shared_ptr<Waker> consumer);
  void Detach(const Waker* consumer);
  [[nodiscard]] bool attached() const;

 private:
  static constexpr std::size_t kMaxKept = 1024;
  mutable std::mutex mu_;
  std::string id_;
  std::deque<std::pair<std::uint64_t, std::string>> events_;
  std::uint64_t next_ = 1;
  bool complete_ = false;
  bool close_requested_ = false;
  std::shared_ptr<Waker> consumer_;
};

// Log levels of logging/setLevel, least severe first; -1 = no level set (no log messages).
[[nodiscard]] int LogLevelIndex(std::string_view name);
[[nodiscard]] std::string_view LogLevelName(int index);

// One client session (legacy era), or the per-request state of a stateless request.
class Session {
 public:
  std::string id;                // empty when stateless
  std::string protocol_version;  // negotiated (legacy) or per request (2026-07-28)
  json::object client_capabilities;
  bool modern = false;             // 2026-07-28 request
  std::atomic<int> log_level{-1};  // LogLevelIndex; -1 = none

  // In-flight requests, so that notifications/cancelled can abort their upstream calls.
  void RegisterCall(const std::string& key, boost::asio::any_io_executor executor,
                    std::shared_ptr<boost::asio::cancellation_signal> signal);
  void UnregisterCall(const std::string& key);
  // Emits the call's cancellation on its own loop. Returns false for unknown keys.
  bool CancelCall(const std::string& key);
  // True once CancelCall() hit `key` (the response must then not be sent).
  [[nodiscard]] bool WasCancelled(const std::string& key);

  // SSE streams of this session.
  [[nodiscard]] std::shared_ptr<EventStream> NewStream();
  [[nodiscard]] std::shared_ptr<EventStream> FindStream(std::string_view stream_id);
  // The standalone GET stream: false when one is already open.
  [[nodiscard]] bool OpenStandalone(const std::shared_ptr<EventStream>& stream);
  void CloseStandalone(const EventStream* stream);
  // Sends a message unrelated to any request (on the GET stream, if one is open).
  void SendUnrelated(std::string data);
  // Completes every stream (DELETE or expiry).
  void Terminate();
  [[nodiscard]] bool terminated() const { return terminated_.load(); }

  void Touch() { last_used_.store(std::chrono::steady_clock::now().time_since_epoch().count()); }
  [[nodiscard]] std::chrono::steady_clock::time_point last_used() const {
    return std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(last_used_.load()));
  }

 private:
  struct Call {
    boost::asio::any_io_executor executor;
    std::shared_ptr<boost::asio::cancellation_signal> signal;
    bool cancelled = false;
  };
  std::mutex mu_;
  std::unordered_map<std::string, Call> calls_;
  std::map<std::string, std::weak_ptr<EventStream>, std::less<>> streams_;
  std::shared_ptr<EventStream> standalone_;
  std::uint64_t stream_counter_ = 0;
  std::atomic<bool> terminated_{false};
  std::atomic<std::chrono::steady_clock::rep> last_used_{0};
};

// Creates and verifies session ids: 128 random bits in hex, a '.', and the first 128 bits of
// HMAC-SHA256(key, random part) in hex: 65 visible ASCII characters. A replica that shares the
// key accepts an id it never issued (and adopts it), so no shared store is needed.
class SessionStore {
 public:
  struct Options {
    std::string key;                          // empty: 32 random bytes per process
    std::size_t max_sessions = 10000;         // beyond: the least recently used goes
    std::chrono::seconds idle_timeout{3600};  // idle sessions are forgotten
  };
  explicit SessionStore(Options options);

  [[nodiscard]] std::shared_ptr<Session> Create(std::string protocol_version,
                                                json::object client_capabilities);

  enum class Lookup { kFound, kUnknown, kTerminated };
  // Finds (or, for a valid id this process does not know, adopts) a session.
  [[nodiscard]] std::shared_ptr<Session> Find(std::string_view id, Lookup& outcome,
                                              std::string_view protocol_version);
  // Ends a session; later lookups of its id say kTerminated. False if not valid.
  bool Terminate(std::string_view id);

  [[nodiscard]] std::string NewId() const;
  [[nodiscard]] bool Verify(std::string_view id) const;
  [[nodiscard]] std::size_t size();
  // Every live (not terminated) session.
  [[nodiscard]] std::vector<std::shared_ptr<Session>> Live();

 private:
  void Sweep();  // with mu_ held
  Options options_;
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Session>> sessions_;
  std::deque<std::pair<std::string, std::chrono::steady_clock::time_point>> terminated_order_;
  std::unordered_map<std::string, bool> terminated_;
};

// Session stores that outlive the endpoints using them, one per endpoint path: a hot reload
// builds new endpoints that keep the sessions (and the open GET streams) of the old ones.
class SessionStores {
 public:
  explicit SessionStores(std::string key) : key_(std::move(key)) {}
  [[nodiscard]] std::shared_ptr<SessionStore> For(const std::string& path);
  // Sends a JSON-RPC notification (`{"jsonrpc":"2.0","method":...}` text) on the GET stream of
  // every live session of every store; sessions without one miss it (MCP allows that).
  void Broadcast(const std::string& notification);
  // Live sessions over every store.
  [[nodiscard]] std::size_t Count();

 private:
  std::mutex mu_;
  std::string key_;
  std::map<std::string, std::shared_ptr<SessionStore>> stores_;
};

// Server→client requests (sampling, elicitation) waiting for the client's response, which
// arrives as a JSON-RPC response on another POST, maybe on another loop. Process-wide.
class ClientRequests {
 public:
  static ClientRequests& Instance();
  // Registers a new request id whose response the caller will await on `executor`.
  [[nodiscard]] std::string Register(const boost::asio::any_io_executor& executor);
  // Waits for the response (the whole JSON-RPC response object) or a timeout.
  [[nodiscard]] boost::asio::awaitable<core::Result<json::value>> Await(
      const std::string& id, std::chrono::milliseconds timeout);
  // Delivers a response; false if nobody waits for `id`.
  bool Deliver(const std::string& id, json::value response);

 private:
  struct Pending {
    std::shared_ptr<Waker> waker;
    std::optional<json::value> response;
  };
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Pending>> pending_;
};

// 16 random bytes as 32 hex characters (OpenSSL RAND_bytes).
[[nodiscard]] std::string RandomHex(std::size_t bytes = 16);

// An integrity-protected, opaque requestState (2026-07-28 MRTR): the payload in hex, '.', and
// HMAC-SHA256 under a per-process key. Open() returns the payload, or nullopt when the token was
// altered or not issued by this process.
[[nodiscard]] std::string SealState(std::string_view payload);
[[nodiscard]] std::optional<std::string> OpenState(std::string_view token);

}  // namespace capstan::mcp
