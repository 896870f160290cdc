#include "consumes/upstream_client.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "consumes/upstream_stats.hpp"
#include "http/deadline.hpp"
#include "http/read_message.hpp"
#include "http/wire.hpp"

namespace capstan::consumes {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using core::ErrorCode;
using core::Fail;
using core::Result;
using Clock = std::chrono::steady_clock;

static core::Status UseSystemCaStore(SSL_CTX* ctx);

class TlsContext {
 public:
  asio::ssl::context ctx{asio::ssl::context::tls_client};
  bool verify = true;

  // Loads the system trust store on first use (thread-safe; every loop shares the context), so
  // that a process whose upstreams are all plain HTTP, or that serves before its first HTTPS
  // call, does not pay for it at start-up.
  const core::Status& EnsureTrustStore() {
    std::call_once(trust_once_, [this] {
      if (verify) trust_status_ = UseSystemCaStore(ctx.native_handle());
    });
    return trust_status_;
  }

 private:
  std::once_flag trust_once_;
  core::Status trust_status_;
};

// True when `dir` holds OpenSSL's hashed certificate links ("5ad8a5d6.0"), which it can look up
// one at a time.
static bool HasHashedCertificates(const char* dir) {
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() == 10 && name.compare(8, 2, ".0") == 0) return true;
  }
  return false;
}

// The system trust store. Parsing the whole bundle (/etc/ssl/certs/ca-certificates.crt, ~140
// certificates) costs tens of milliseconds at every start; the hashed directory is looked up
// lazily, one issuer at a time, during handshakes. SSL_CERT_FILE / SSL_CERT_DIR are honoured as
// OpenSSL does; without a hashed directory, the bundle is loaded as before.
static core::Status UseSystemCaStore(SSL_CTX* ctx) {
  const char* file = std::getenv(X509_get_default_cert_file_env());
  const char* dir = std::getenv(X509_get_default_cert_dir_env());
  if (dir == nullptr) dir = X509_get_default_cert_dir();
  bool ok = true;
  if (file != nullptr) ok = SSL_CTX_load_verify_file(ctx, file) == 1;
  if (ok && HasHashedCertificates(dir)) {
    ok = SSL_CTX_load_verify_dir(ctx, dir) == 1;
  } else if (ok && file == nullptr) {
    ok = SSL_CTX_set_default_verify_paths(ctx) == 1;
  }
  if (!ok) {
    char buf[256];
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    return Fail(ErrorCode::kIo, std::string("cannot load the system CA store: ") + buf);
  }
  return {};
}

Result<std::shared_ptr<TlsContext>> MakeTlsContext(const TlsOptions& options) {
  auto tls = std::make_shared<TlsContext>();
  boost::system::error_code ec;
  SSL_CTX_set_min_proto_version(tls->ctx.native_handle(), TLS1_2_VERSION);
  tls->ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_compression);
  tls->verify = options.verify;
  if (options.verify) {
    if (!options.ca_file.empty()) {
      tls->ctx.load_verify_file(options.ca_file, ec);
      if (ec) {
        return Fail(ErrorCode::kIo, "cannot load CA file " + options.ca_file + ": " + ec.message());
      }
    }
    tls->ctx.set_verify_mode(asio::ssl::verify_peer);
  } else {
    tls->ctx.set_verify_mode(asio::ssl::verify_none);
  }
  return tls;
}

std::string Origin::Key() const {
  return std::string(tls ? "https://" : "http://") + host + ":" + std::to_string(port);
}

std::string Origin::HostHeader() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if ((tls && port != 443) || (!tls && port != 80)) h += ":" + std::to_string(port);
  return h;
}

Result<Origin> ParseOrigin(std::string_view base_uri) {
  Origin o;
  std::string_view rest;
  if (base_uri.substr(0, 8) == "https://") {
    o.tls = true;
    rest = base_uri.substr(8);
  } else if (base_uri.substr(0, 7) == "http://") {
    rest = base_uri.substr(7);
  } else {
    return Fail(ErrorCode::kInvalidArgument,
                "base URI must start with http:// or https://: " + std::string(base_uri));
  }
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return Fail(ErrorCode::kInvalidArgument, "base URI must not have a query or fragment");
  }
  std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) o.base_path = std::string(rest.substr(slash));
  while (!o.base_path.empty() && o.base_path.back() == '/') o.base_path.pop_back();
  if (authority.empty() || authority.find('@') != std::string_view::npos) {
    return Fail(ErrorCode::kInvalidArgument, "base URI needs a host and no user info");
  }
  std::string_view port_text;
  if (authority.front() == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return Fail(ErrorCode::kInvalidArgument, "bad IPv6 host");
    o.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Fail(ErrorCode::kInvalidArgument, "bad host in base URI");
      port_text = after.substr(1);
    }
  } else {
    std::size_t colon = authority.rfind(':');
    o.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (o.host.empty()) return Fail(ErrorCode::kInvalidArgument, "base URI has an empty host");
  o.port = o.tls ? 443 : 80;
  if (!port_text.empty()) {
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return Fail(ErrorCode::kInvalidArgument, "bad port in base URI: " + std::string(port_text));
    }
    o.port = static_cast<std::uint16_t>(value);
  }
  return o;
}

namespace {

constexpr std::size_t kReadBufferBytes = 16 * 1024;

// A pooled upstream connection. Its deadlines cancel the pending operation (http::Deadline):
// Beast's stream timeouts close the socket under it instead, and under io_uring Asio 1.28 then
// hands that operation to the next socket the loop opens (see http/asio_impl.cpp).
struct Connection {
  explicit Connection(const asio::any_io_executor& executor)
      : deadline(executor, [this] {
          boost::system::error_code ignored;
          if (plain || secure) tcp().cancel(ignored);
        }) {}

  // A bare socket, not beast::tcp_stream: the deadline above does its timeouts, and the stream's
  // own layer (a timer check, a shared impl and a size-capped buffer view per read and write)
  // would be paid on every call for nothing.
  std::unique_ptr<asio::ip::tcp::socket> plain;
  std::unique_ptr<beast::ssl_stream<asio::ip::tcp::socket>> secure;
  beast::flat_buffer buffer;
  Clock::time_point idle_since{};
  http::Deadline deadline;

  // A request's handler waiting on the parked read (any_completion_handler recurses on
  // itself in Boost 1.81).
  struct Waiter {
    virtual ~Waiter() = default;
    virtual void Complete(boost::system::error_code ec) = 0;
  };
  // The parked read of a plain connection in the pool (Impl::Park): pending while it sits idle,
  // done once bytes or the end of the stream came in. The request that takes a pending one
  // awaits it as the first read of its response (`waiter`).
  enum class Park { kNone, kPending, kDone };
  Park park = Park::kNone;
  boost::system::error_code park_ec;
  bool retired = false;  // dropped from the pool while parked: the read's handler deletes it
  std::unique_ptr<Waiter> waiter;

  asio::ip::tcp::socket& tcp() { return secure ? secure->next_layer() : *plain; }
  // The error an operation's result stands for: a timeout once the deadline has passed.
  boost::system::error_code Checked(const boost::system::error_code& ec) const {
    return deadline.expired() ? boost::system::error_code(beast::error::timeout) : ec;
  }
};

// The completion handler of a parked read. It owns nothing while the connection is in the pool
// or in use; once the pool has retired the connection it deletes it, also when it is destroyed
// uninvoked (the loop shut down). The read is not counted as the loop's work (io_context::run
// returns with idle connections parked), so the handler restores the unit the scheduler takes
// for its completion.
class ParkedRead {
 public:
  ParkedRead(Connection* c, asio::io_context* ioc) : c_(c), ioc_(ioc) {}
  ParkedRead(ParkedRead&& other) noexcept
      : c_(std::exchange(other.c_, nullptr)), ioc_(other.ioc_) {}
  ParkedRead& operator=(ParkedRead&&) = delete;
  ~ParkedRead() {
    if (c_ == nullptr) return;
    if (c_->retired) {
      delete c_;
      return;
    }
    // Destroyed uninvoked (the loop shut down): so is a request waiting on it, which may own c_.
    auto waiter = std::move(c_->waiter);
  }

  void operator()(const boost::system::error_code& ec, std::size_t bytes) {
    Connection* c = std::exchange(c_, nullptr);
    ioc_->get_executor().on_work_started();
    if (c->retired) {
      delete c;
      return;
    }
    c->buffer.commit(bytes);
    c->park_ec = ec;
    c->park = Connection::Park::kDone;
    if (c->waiter) {
      auto waiter = std::move(c->waiter);
      waiter->Complete(ec);
    }
  }

 private:
  Connection* c_;
  asio::io_context* ioc_;
};

// Waits for the parked read of `c` to complete (its result stays in `c`). Cancelling through
// the token's slot cancels the read.
template <typename Token>
auto AsyncWaitParked(Connection& c, Token&& token) {
  return asio::async_initiate<Token, void(boost::system::error_code)>(
      [&c](auto handler) {
        auto slot = asio::get_associated_cancellation_slot(handler);
        if (slot.is_connected()) {
          slot.assign([&c](asio::cancellation_type) {
            boost::system::error_code ignored;
            c.tcp().cancel(ignored);
          });
        }
        using Handler = decltype(handler);
        struct Held final : Connection::Waiter {
          explicit Held(Handler&& h) : held(std::move(h)) {}
          void Complete(boost::system::error_code ec) override {
            asio::get_associated_cancellation_slot(held).clear();
            std::move(held)(ec);
          }
          Handler held;
        };
        c.waiter = std::make_unique<Held>(std::move(handler));
      },
      token);
}

// Reads one upstream response into an UpstreamResponse (http::MessageReader: fields and body
// without copies or a zero-filled body; that memset was 7 % of the pass-through path's
// instructions).
class ResponseReader final : public http::MessageReader<false> {
 public:
  explicit ResponseReader(UpstreamResponse& response)
      : MessageReader(response.headers, response.body), response_(response) {}

 private:
  void on_response_impl(int code, StringView /*reason*/, int /*version*/,
                        ErrorCode& /*ec*/) override {
    response_.status = code;
  }

  UpstreamResponse& response_;
};

bool IsIdempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS";
}

bool IsIpLiteral(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

std::string TlsErrorText(const boost::system::error_code& ec) {
  std::string text = ec.message();
  if (ec.category() == asio::error::get_ssl_category()) {
    char buf[256];
    ERR_error_string_n(static_cast<unsigned long>(ec.value()), buf, sizeof buf);
    text = buf;
  }
  return text;
}

core::Error TransportError(const boost::system::error_code& ec, std::string_view what,
                           const Origin& origin) {
  std::string where = std::string(what) + " " + origin.Key();
  if (ec == beast::error::timeout) {
    return {ErrorCode::kUpstreamTimeout, where + ": timed out"};
  }
  if (ec == asio::error::operation_aborted) {
    return {ErrorCode::kCancelled, where + ": cancelled"};
  }
  return {ErrorCode::kUpstreamUnavailable, where + " failed: " + TlsErrorText(ec)};
}

// A completed exchange, and whether the connection may go back to the pool.
struct Exchanged {
  UpstreamResponse response;
  bool keep_alive = false;
};

// Serializes the HTTP/1.1 request line and header block of `request` into `out`: Host, the
// request's own fields (except the framing ones capstan owns), Accept-Encoding: identity unless
// given, and Content-Length when there is a body (or the method expects one). One string, one
// write with the body: no per-field allocations.
Result<void> AppendRequestHead(std::string& out, const UpstreamRequest& request,
                               const Origin& origin) {
  if (!http::IsHeaderName(request.method)) {
    return Fail(ErrorCode::kInvalidArgument, "invalid upstream method: " + request.method);
  }
  if (request.target.empty() || !http::IsSafeFieldValue(request.target) ||
      request.target.find(' ') != std::string::npos) {
    return Fail(ErrorCode::kInvalidArgument, "invalid upstream request target");
  }
  std::size_t size = request.method.size() + request.target.size() + 64;
  for (const auto& [name, value] : request.headers.entries())
    size += name.size() + value.size() + 4;
  out.reserve(size);
  out.append(request.method).append(" ").append(request.target).append(" HTTP/1.1\r\n");
  out.append("Host: ").append(origin.HostHeader()).append("\r\n");
  bool accept_encoding = false;
  for (const auto& [name, value] : request.headers.entries()) {
    if (!http::IsHeaderName(name) || !http::IsSafeFieldValue(value)) {
      return Fail(ErrorCode::kInvalidArgument, "invalid upstream header field: " + name);
    }
    if (http::IEquals(name, "Host") || http::IsFramingHeader(name)) continue;
    accept_encoding = accept_encoding || http::IEquals(name, "Accept-Encoding");
    out.append(name).append(": ").append(value).append("\r\n");
  }
  if (!accept_encoding) out.append("Accept-Encoding: identity\r\n");
  const std::string_view m = request.method;
  if (!request.body.empty() || m == "POST" || m == "PUT" || m == "PATCH" || m == "OPTIONS") {
    out.append("Content-Length: ").append(std::to_string(request.body.size())).append("\r\n");
  }
  out.append("\r\n");
  return {};
}

// Interim (1xx) responses skipped before a final one, at most.
constexpr int kMaxInterimResponses = 8;

// An exchange failure, with whether it happened before any response byte arrived.
struct ExchangeFailure {
  core::Error error;
  bool before_response = false;
};

}  // namespace

struct UpstreamClient::Impl {
  asio::any_io_executor executor;
  std::shared_ptr<TlsContext> tls;
  PoolOptions pool_options;
  // Per origin: the idle pooled connections and this loop's counters (UpstreamStats).
  struct OriginState {
    std::deque<std::unique_ptr<Connection>> idle;
    UpstreamCounters* counters = nullptr;
  };
  std::unordered_map<std::string, OriginState> origins;  // node-based: references stay valid

  // Set when the executor is an io_context's: then plain pooled connections are parked.
  asio::io_context* ioc = nullptr;

  ~Impl() {
    for (auto& [key, state] : origins) {
      Bump(state.counters->idle_connections, -static_cast<long long>(state.idle.size()));
      while (!state.idle.empty()) {
        Retire(std::move(state.idle.front()));
        state.idle.pop_front();
      }
    }
  }

  // Instead of asking the kernel at every reuse whether bytes arrived while the connection sat
  // idle (a FIONREAD ioctl: one system call per request, 7 % of a proxied request's CPU here), a
  // plain pooled connection keeps a read pending, as HAProxy and nginx keep theirs registered for
  // reading. A read that completes while idle (unsolicited bytes, the end of the stream) marks it
  // unusable; the request that takes it awaits the pending read as its response's first read.
  void Park(Connection& c) {
    c.park = Connection::Park::kPending;
    c.park_ec = {};
    const std::size_t size = beast::read_size(c.buffer, 64 * 1024);
    c.plain->async_read_some(c.buffer.prepare(size), ParkedRead(&c, ioc));
    ioc->get_executor().on_work_finished();
  }

  // Closes a connection that leaves the pool; one with a read still pending is cancelled and
  // left to that read's handler, since the kernel may still write into its buffer.
  static void Retire(std::unique_ptr<Connection> c) {
    if (c->park != Connection::Park::kPending) return;
    c->retired = true;
    boost::system::error_code ignored;
    c->plain->cancel(ignored);
    (void)c.release();
  }

  OriginState& StateFor(const std::string& key) {
    auto [it, fresh] = origins.try_emplace(key);
    if (fresh) it->second.counters = UpstreamStats::Instance().Register(key);
    return it->second;
  }

  std::unique_ptr<Connection> TakeIdle(OriginState& state) {
    auto now = Clock::now();
    while (!state.idle.empty()) {
      std::unique_ptr<Connection> c = std::move(state.idle.back());
      state.idle.pop_back();
      Bump(state.counters->idle_connections, -1);
      if (now - c->idle_since >= pool_options.idle_timeout) {
        Retire(std::move(c));
        continue;
      }
      // Bytes that arrived while it sat idle (unsolicited data, a TLS alert) make it unusable:
      // they would be read as the next answer.
      if (c->park == Connection::Park::kPending) return c;
      if (c->park == Connection::Park::kDone) continue;
      boost::system::error_code ec;
      if (c->tcp().available(ec) == 0 && !ec) return c;
    }
    return nullptr;
  }

  void PutIdle(OriginState& state, std::unique_ptr<Connection> c) {
    c->deadline.Disarm();
    c->idle_since = Clock::now();
    if (c->plain && ioc != nullptr) Park(*c);
    state.idle.push_back(std::move(c));
    Bump(state.counters->idle_connections);
    while (state.idle.size() > pool_options.max_idle_per_origin) {
      Retire(std::move(state.idle.front()));
      state.idle.pop_front();
      Bump(state.counters->idle_connections, -1);
    }
  }

  asio::awaitable<Result<std::unique_ptr<Connection>>> Connect(const Origin& origin,
                                                               Clock::time_point deadline,
                                                               const CallOptions& options) {
    auto token = asio::bind_cancellation_slot(options.cancel, asio::as_tuple(asio::use_awaitable));
    auto conn = std::make_unique<Connection>(executor);
    // Beast reads max(512, free capacity) bytes at a time; a buffer that starts small would take
    // a recv per 512 bytes of every response body.
    conn->buffer.reserve(kReadBufferBytes);
    conn->plain = std::make_unique<asio::ip::tcp::socket>(executor);
    auto connect_deadline = std::min(deadline, Clock::now() + options.limits.connect_timeout);

    std::vector<asio::ip::tcp::endpoint> endpoints;
    boost::system::error_code ec;
    asio::ip::address address = asio::ip::make_address(origin.host, ec);
    if (!ec) {
      endpoints.emplace_back(address, origin.port);
    } else {
      asio::ip::tcp::resolver resolver(executor);
      asio::steady_timer guard(executor);
      guard.expires_at(connect_deadline);
      guard.async_wait([&resolver](boost::system::error_code wait_ec) {
        if (!wait_ec) resolver.cancel();
      });
      auto [rec, results] =
          co_await resolver.async_resolve(origin.host, std::to_string(origin.port), token);
      guard.cancel();
      if (rec) {
        if (rec == asio::error::operation_aborted && Clock::now() >= connect_deadline) {
          co_return Fail(ErrorCode::kUpstreamTimeout, "resolving " + origin.host + ": timed out");
        }
        co_return Fail(TransportError(rec, "resolving", origin));
      }
      for (const auto& entry : results) endpoints.push_back(entry.endpoint());
    }

    conn->deadline.Set(connect_deadline);
    auto [connect_ec, endpoint] = co_await asio::async_connect(*conn->plain, endpoints, token);
    (void)endpoint;
    const auto cec = conn->Checked(connect_ec);
    conn->deadline.Clear();
    if (cec) co_return Fail(TransportError(cec, "connecting to", origin));
    conn->plain->set_option(asio::ip::tcp::no_delay(true), ec);

    if (origin.tls) {
      if (!tls) co_return Fail(ErrorCode::kInternal, "no TLS context configured");
      if (const core::Status& trusted = tls->EnsureTrustStore(); !trusted) {
        co_return Fail(trusted.error());
      }
      conn->secure = std::make_unique<beast::ssl_stream<asio::ip::tcp::socket>>(
          std::move(*conn->plain), tls->ctx);
      conn->plain.reset();
      if (!IsIpLiteral(origin.host) &&
          !SSL_set_tlsext_host_name(conn->secure->native_handle(), origin.host.c_str())) {
        co_return Fail(ErrorCode::kUpstreamUnavailable, "cannot set TLS SNI for " + origin.host);
      }
      if (tls->verify) {
        conn->secure->set_verify_callback(asio::ssl::host_name_verification(origin.host));
      }
      conn->deadline.Set(connect_deadline);
      auto [handshake_ec] =
          co_await conn->secure->async_handshake(asio::ssl::stream_base::client, token);
      const auto hec = conn->Checked(handshake_ec);
      conn->deadline.Clear();
      if (hec) {
        long verify = SSL_get_verify_result(conn->secure->native_handle());
        if (verify != X509_V_OK) {
          co_return Fail(
              ErrorCode::kUpstreamUnavailable,
              "TLS handshake with " + origin.Key() +
                  " failed: certificate verification: " + X509_verify_cert_error_string(verify));
        }
        co_return Fail(TransportError(hec, "TLS handshake with", origin));
      }
    }
    co_return conn;
  }

  template <typename Stream>
  asio::awaitable<tl::expected<Exchanged, ExchangeFailure>> ExchangeOn(
      Stream& stream, Connection& conn, const Origin& origin, const std::string& head_bytes,
      const std::string& body, bool head, Clock::time_point deadline, const CallOptions& options) {
    auto token = asio::bind_cancellation_slot(options.cancel, asio::as_tuple(asio::use_awaitable));
    conn.deadline.Set(std::min(deadline, Clock::now() + options.limits.read_timeout));
    std::array<asio::const_buffer, 2> request_bytes{asio::buffer(head_bytes), asio::buffer(body)};
    auto [write_ec, written] = co_await asio::async_write(stream, request_bytes, token);
    (void)written;
    const auto wec = conn.Checked(write_ec);
    if (wec)
      co_return tl::unexpected(ExchangeFailure{TransportError(wec, "sending to", origin), true});

    // Interim (1xx) answers are skipped, as RFC 9110 §15.2 asks: answering one to the caller
    // would leave the final response in the connection for the next request to read.
    for (int interim = 0;; ++interim) {
      UpstreamResponse response;
      ResponseReader parser(response);
      parser.body_limit(options.limits.max_response_bytes);
      parser.header_limit(static_cast<std::uint32_t>(options.limits.max_response_header_bytes));
      if (head) parser.skip(true);
      conn.deadline.Set(std::min(deadline, Clock::now() + options.limits.read_timeout));
      boost::system::error_code read_ec;
      if (conn.park != Connection::Park::kNone) {
        // A pooled connection's parked read is the response's first read.
        if (conn.park == Connection::Park::kPending) co_await AsyncWaitParked(conn, token);
        conn.park = Connection::Park::kNone;
        read_ec = conn.park_ec;
        if (read_ec == asio::error::eof) {
          // The bytes before the end of the stream are parsed below; none: it had gone stale.
          read_ec = conn.buffer.size() == 0 ? boost::system::error_code(bhttp::error::end_of_stream)
                                            : boost::system::error_code();
        }
      }
      if (!read_ec) {
        read_ec = co_await http::ReadMessage(stream, conn.buffer, parser, http::ReadUntil::kMessage,
                                             token);
      }
      const auto rec = conn.Checked(read_ec);
      conn.deadline.Clear();
      if (rec) {
        bool before = !parser.got_some() && interim == 0;
        if (rec == bhttp::error::body_limit) {
          co_return tl::unexpected(ExchangeFailure{
              {ErrorCode::kUpstreamError, "response from " + origin.Key() + " exceeds " +
                                              std::to_string(options.limits.max_response_bytes) +
                                              " bytes"},
              false});
        }
        if (rec == bhttp::error::header_limit) {
          co_return tl::unexpected(ExchangeFailure{
              {ErrorCode::kUpstreamError, "response headers from " + origin.Key() + " too large"},
              false});
        }
        if (rec.category() == bhttp::make_error_code(bhttp::error::bad_version).category() &&
            rec != bhttp::error::end_of_stream && rec != bhttp::error::partial_message) {
          co_return tl::unexpected(
              ExchangeFailure{{ErrorCode::kUpstreamError,
                               "malformed response from " + origin.Key() + ": " + rec.message()},
                              false});
        }
        core::Error error = TransportError(rec, "reading from", origin);
        if (!before && error.code == ErrorCode::kUpstreamUnavailable) {
          error.message =
              "connection to " + origin.Key() + " closed mid-response: " + rec.message();
        }
        co_return tl::unexpected(ExchangeFailure{std::move(error), before});
      }
      const auto status = static_cast<unsigned>(response.status);
      if (status < 100 || status > 599) {
        co_return tl::unexpected(ExchangeFailure{
            {ErrorCode::kUpstreamError,
             "malformed response from " + origin.Key() + ": status " + std::to_string(status)},
            false});
      }
      if (status >= 200) {
        co_return Exchanged{std::move(response), parser.keep_alive()};
      }
      // capstan never asks for an upgrade, so a 101 has no meaning here; a flood of interim
      // answers is cut short.
      if (status == 101 || interim >= kMaxInterimResponses) {
        co_return tl::unexpected(ExchangeFailure{
            {ErrorCode::kUpstreamError,
             "malformed response from " + origin.Key() + ": " +
                 (status == 101 ? std::string("unexpected 101 Switching Protocols")
                                : "more than " + std::to_string(kMaxInterimResponses) +
                                      " interim (1xx) responses")},
            false});
      }
    }
  }
};

UpstreamClient::UpstreamClient(asio::any_io_executor executor, std::shared_ptr<TlsContext> tls,
                               PoolOptions pool)
    : impl_(std::make_unique<Impl>()) {
  impl_->executor = std::move(executor);
  if (auto* ex = impl_->executor.target<asio::io_context::executor_type>()) {
    impl_->ioc = &asio::query(*ex, asio::execution::context);
  }
  impl_->tls = std::move(tls);
  impl_->pool_options = pool;
}

UpstreamClient::~UpstreamClient() = default;

std::size_t UpstreamClient::idle_connections() const {
  std::size_t n = 0;
  for (const auto& [key, state] : impl_->origins) n += state.idle.size();
  return n;
}

asio::awaitable<Result<UpstreamResponse>> UpstreamClient::Send(const Origin& origin,
                                                               UpstreamRequest request,
                                                               const CallOptions& options) {
  auto start = Clock::now();
  auto deadline = start + options.limits.total_timeout;
  const std::string key = origin.Key();

  std::string head_bytes;
  if (auto written = AppendRequestHead(head_bytes, request, origin); !written) {
    co_return Fail(std::move(written).error());
  }
  const bool head = request.method == "HEAD";

  Impl::OriginState& state = impl_->StateFor(key);
  UpstreamCounters& counters = *state.counters;
  for (int attempt = 0;; ++attempt) {
    // The retry after a stale pooled connection opens a fresh one: the next pooled connection
    // has sat idle as long and may have been closed by the same idle timeout.
    std::unique_ptr<Connection> conn = attempt == 0 ? impl_->TakeIdle(state) : nullptr;
    const bool reused = conn != nullptr;
    if (!conn) {
      auto connected = co_await impl_->Connect(origin, deadline, options);
      if (!connected) {
        const ErrorCode code = connected.error().code;
        if (code == ErrorCode::kUpstreamTimeout) {
          Bump(counters.timeouts);
        } else if (code != ErrorCode::kCancelled) {
          Bump(counters.connect_errors);
        }
        co_return Fail(std::move(connected).error());
      }
      Bump(counters.connections_opened);
      conn = std::move(*connected);
    }
    // (No co_await inside ?: — GCC 12 miscompiles it.)
    tl::expected<Exchanged, ExchangeFailure> result;
    if (conn->secure) {
      result = co_await impl_->ExchangeOn(*conn->secure, *conn, origin, head_bytes, request.body,
                                          head, deadline, options);
    } else {
      result = co_await impl_->ExchangeOn(*conn->plain, *conn, origin, head_bytes, request.body,
                                          head, deadline, options);
    }
    if (result) {
      UpstreamResponse& response = result->response;
      response.elapsed =
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
      response.reused_connection = reused;
      counters.Answer(response.status, response.elapsed);
      // Bytes after the response were never asked for: such a connection would hand them to
      // the next request as its answer, so it is not pooled.
      if (result->keep_alive && conn->buffer.size() == 0) impl_->PutIdle(state, std::move(conn));
      co_return std::move(response);
    }
    // A failure before the parked read was awaited (the request could not be sent) leaves it
    // pending: the connection is retired, not closed under the kernel's write into its buffer.
    if (conn->park == Connection::Park::kPending) Impl::Retire(std::move(conn));
    ExchangeFailure failure = std::move(result).error();
    if (reused && attempt == 0 && failure.before_response && IsIdempotent(request.method) &&
        failure.error.code == ErrorCode::kUpstreamUnavailable && Clock::now() < deadline) {
      continue;  // the pooled connection had gone stale: retry once on a fresh one
    }
    if (failure.error.code == ErrorCode::kUpstreamTimeout) {
      Bump(counters.timeouts);
    } else if (failure.error.code != ErrorCode::kCancelled) {
      Bump(counters.errors);
    }
    co_return Fail(std::move(failure.error));
  }
}

}  // namespace capstan::consumes
