#include "consumes/upstream_client.hpp"

#include <algorithm>
#include <charconv>
#include <deque>
#include <optional>
#include <unordered_map>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace capstan::consumes {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using core::ErrorCode;
using core::Fail;
using core::Result;
using Clock = std::chrono::steady_clock;

class TlsContext {
 public:
  asio::ssl::context ctx{asio::ssl::context::tls_client};
  bool verify = true;
};

Result<std::shared_ptr<TlsContext>> MakeTlsContext(const TlsOptions& options) {
  auto tls = std::make_shared<TlsContext>();
  boost::system::error_code ec;
  SSL_CTX_set_min_proto_version(tls->ctx.native_handle(), TLS1_2_VERSION);
  tls->ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_compression);
  tls->verify = options.verify;
  if (options.verify) {
    tls->ctx.set_default_verify_paths(ec);
    if (ec) return Fail(ErrorCode::kIo, "cannot load the system CA store: " + ec.message());
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

struct Connection {
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  Clock::time_point idle_since{};

  beast::tcp_stream& tcp() { return secure ? secure->next_layer() : *plain; }
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
  std::unordered_map<std::string, std::deque<std::unique_ptr<Connection>>> idle;

  std::unique_ptr<Connection> TakeIdle(const std::string& key) {
    auto it = idle.find(key);
    if (it == idle.end()) return nullptr;
    auto now = Clock::now();
    while (!it->second.empty()) {
      std::unique_ptr<Connection> c = std::move(it->second.back());
      it->second.pop_back();
      if (now - c->idle_since < pool_options.idle_timeout) return c;
    }
    return nullptr;
  }

  void PutIdle(const std::string& key, std::unique_ptr<Connection> c) {
    auto& list = idle[key];
    c->idle_since = Clock::now();
    list.push_back(std::move(c));
    while (list.size() > pool_options.max_idle_per_origin) list.pop_front();
  }

  asio::awaitable<Result<std::unique_ptr<Connection>>> Connect(const Origin& origin,
                                                               Clock::time_point deadline,
                                                               const CallOptions& options) {
    auto token = asio::bind_cancellation_slot(options.cancel, asio::as_tuple(asio::use_awaitable));
    auto conn = std::make_unique<Connection>();
    conn->plain = std::make_unique<beast::tcp_stream>(executor);
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

    conn->plain->expires_at(connect_deadline);
    auto [cec, endpoint] = co_await conn->plain->async_connect(endpoints, token);
    (void)endpoint;
    if (cec) co_return Fail(TransportError(cec, "connecting to", origin));
    conn->plain->socket().set_option(asio::ip::tcp::no_delay(true), ec);

    if (origin.tls) {
      if (!tls) co_return Fail(ErrorCode::kInternal, "no TLS context configured");
      conn->secure =
          std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(*conn->plain), tls->ctx);
      conn->plain.reset();
      if (!IsIpLiteral(origin.host) &&
          !SSL_set_tlsext_host_name(conn->secure->native_handle(), origin.host.c_str())) {
        co_return Fail(ErrorCode::kUpstreamUnavailable, "cannot set TLS SNI for " + origin.host);
      }
      if (tls->verify) {
        conn->secure->set_verify_callback(asio::ssl::host_name_verification(origin.host));
      }
      conn->secure->next_layer().expires_at(connect_deadline);
      auto [hec] = co_await conn->secure->async_handshake(asio::ssl::stream_base::client, token);
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
      Stream& stream, Connection& conn, const Origin& origin,
      const bhttp::request<bhttp::string_body>& req, bool head, Clock::time_point deadline,
      const CallOptions& options) {
    auto token = asio::bind_cancellation_slot(options.cancel, asio::as_tuple(asio::use_awaitable));
    conn.tcp().expires_at(std::min(deadline, Clock::now() + options.limits.read_timeout));
    auto [wec, written] = co_await bhttp::async_write(stream, req, token);
    (void)written;
    if (wec)
      co_return tl::unexpected(ExchangeFailure{TransportError(wec, "sending to", origin), true});

    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(options.limits.max_response_bytes);
    parser.header_limit(static_cast<std::uint32_t>(options.limits.max_response_header_bytes));
    if (head) parser.skip(true);
    conn.tcp().expires_at(std::min(deadline, Clock::now() + options.limits.read_timeout));
    auto [rec, read] = co_await bhttp::async_read(stream, conn.buffer, parser, token);
    (void)read;
    if (rec) {
      bool before = !parser.got_some();
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
        error.message = "connection to " + origin.Key() + " closed mid-response: " + rec.message();
      }
      co_return tl::unexpected(ExchangeFailure{std::move(error), before});
    }
    auto& msg = parser.get();
    Exchanged exchanged;
    exchanged.keep_alive = msg.keep_alive();
    UpstreamResponse& out = exchanged.response;
    out.status = static_cast<int>(msg.result_int());
    for (const auto& field : msg) {
      out.headers.Add(std::string_view(field.name_string().data(), field.name_string().size()),
                      std::string_view(field.value().data(), field.value().size()));
    }
    out.body = std::move(msg.body());
    co_return exchanged;
  }
};

UpstreamClient::UpstreamClient(asio::any_io_executor executor, std::shared_ptr<TlsContext> tls,
                               PoolOptions pool)
    : impl_(std::make_unique<Impl>()) {
  impl_->executor = std::move(executor);
  impl_->tls = std::move(tls);
  impl_->pool_options = pool;
}

UpstreamClient::~UpstreamClient() = default;

std::size_t UpstreamClient::idle_connections() const {
  std::size_t n = 0;
  for (const auto& [key, list] : impl_->idle) n += list.size();
  return n;
}

asio::awaitable<Result<UpstreamResponse>> UpstreamClient::Send(const Origin& origin,
                                                               UpstreamRequest request,
                                                               const CallOptions& options) {
  auto start = Clock::now();
  auto deadline = start + options.limits.total_timeout;
  const std::string key = origin.Key();

  bhttp::request<bhttp::string_body> req;
  req.version(11);
  bhttp::verb verb = bhttp::string_to_verb(request.method);
  if (verb == bhttp::verb::unknown) {
    req.method_string(request.method);
  } else {
    req.method(verb);
  }
  req.target(request.target);
  req.set(bhttp::field::host, origin.HostHeader());
  for (const auto& [name, value] : request.headers.entries()) req.insert(name, value);
  if (!request.headers.Has("Accept-Encoding")) req.set(bhttp::field::accept_encoding, "identity");
  req.keep_alive(true);
  req.body() = std::move(request.body);
  req.prepare_payload();
  const bool head = verb == bhttp::verb::head;

  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Connection> conn = impl_->TakeIdle(key);
    const bool reused = conn != nullptr;
    if (!conn) {
      auto connected = co_await impl_->Connect(origin, deadline, options);
      if (!connected) co_return Fail(std::move(connected).error());
      conn = std::move(*connected);
    }
    // (No co_await inside ?: — GCC 12 miscompiles it.)
    tl::expected<Exchanged, ExchangeFailure> result;
    if (conn->secure) {
      result =
          co_await impl_->ExchangeOn(*conn->secure, *conn, origin, req, head, deadline, options);
    } else {
      result =
          co_await impl_->ExchangeOn(*conn->plain, *conn, origin, req, head, deadline, options);
    }
    if (result) {
      UpstreamResponse& response = result->response;
      response.elapsed =
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
      response.reused_connection = reused;
      if (result->keep_alive) impl_->PutIdle(key, std::move(conn));
      co_return std::move(response);
    }
    ExchangeFailure failure = std::move(result).error();
    if (reused && attempt == 0 && failure.before_response && IsIdempotent(request.method) &&
        failure.error.code == ErrorCode::kUpstreamUnavailable && Clock::now() < deadline) {
      continue;  // the pooled connection had gone stale: retry once on a fresh one
    }
    co_return Fail(std::move(failure.error));
  }
}

}  // namespace capstan::consumes
