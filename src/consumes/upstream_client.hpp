// The upstream HTTP(S) client: HTTP/1.1 over a bounded keep-alive connection pool per origin,
// owned by one event loop (thread). TLS 1.2+ with certificate and host-name verification and SNI.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include "core/result.hpp"
#include "http/message.hpp"

namespace capstan::consumes {

// Where requests go: scheme, host and port of a consumes `baseUri`, plus its path prefix.
struct Origin {
  bool tls = false;
  std::string host;
  std::uint16_t port = 0;
  std::string base_path;  // "" or "/api/v1" (never a trailing slash)

  // "https://api.scaleway.com:443": the pool key.
  [[nodiscard]] std::string Key() const;
  // The Host header value: host, plus ":port" when not the scheme's default.
  [[nodiscard]] std::string HostHeader() const;
};

// Parses "http(s)://host[:port][/path]"; rejects userinfo, queries, fragments and other schemes.
[[nodiscard]] core::Result<Origin> ParseOrigin(std::string_view base_uri);

// Timeouts and limits of upstream calls. Defaults are documented in docs/upstream.md and can be
// overridden per consumes namespace.
struct UpstreamLimits {
  std::chrono::milliseconds connect_timeout{5'000};  // TCP connect + TLS handshake
  std::chrono::milliseconds read_timeout{30'000};    // any single read or write
  std::chrono::milliseconds total_timeout{60'000};   // the whole exchange, retries included
  std::size_t max_response_bytes = 16 * 1024 * 1024;
  std::size_t max_response_header_bytes = 64 * 1024;
};

struct TlsOptions {
  bool verify = true;   // verify the certificate chain and the host name
  std::string ca_file;  // extra trusted CA bundle (PEM), besides the system store
};

struct PoolOptions {
  std::size_t max_idle_per_origin = 64;            // idle keep-alive connections kept per origin
  std::chrono::milliseconds idle_timeout{30'000};  // idle connections older than this are closed
};

struct UpstreamRequest {
  std::string method = "GET";
  std::string target;  // origin-form: base path + path + "?" + query, already encoded
  http::Headers headers;
  std::string body;
};

struct UpstreamResponse {
  int status = 0;
  http::Headers headers;
  std::string body;
  std::chrono::microseconds elapsed{0};
  bool reused_connection = false;
};

// Shared TLS configuration (one SSL_CTX for all loops, as OpenSSL 3 prefers).
class TlsContext;
[[nodiscard]] core::Result<std::shared_ptr<TlsContext>> MakeTlsContext(const TlsOptions& options);

// Per-call options. `cancel` (optional) aborts the exchange when emitted on the same loop.
struct CallOptions {
  UpstreamLimits limits;
  boost::asio::cancellation_slot cancel;
};

class UpstreamClient {
 public:
  // The client must only be used from coroutines running on `executor` (one loop).
  UpstreamClient(boost::asio::any_io_executor executor, std::shared_ptr<TlsContext> tls,
                 PoolOptions pool = {});
  ~UpstreamClient();
  UpstreamClient(const UpstreamClient&) = delete;
  UpstreamClient& operator=(const UpstreamClient&) = delete;

  // Sends one request and reads the whole response. Errors: kUpstreamUnavailable (DNS, connect,
  // TLS, reset), kUpstreamTimeout, kUpstreamError (malformed or oversized response), kCancelled.
  // A request on a reused connection that fails before any response byte is retried once on a
  // fresh connection when the method is idempotent.
  [[nodiscard]] boost::asio::awaitable<core::Result<UpstreamResponse>> Send(
      const Origin& origin, UpstreamRequest request, const CallOptions& options);

  // Idle connections currently pooled (all origins).
  [[nodiscard]] std::size_t idle_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace capstan::consumes
