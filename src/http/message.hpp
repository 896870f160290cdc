// HTTP vocabulary shared by the server, the upstream client and every adapter: plain request and
// response values with no Beast types, so that adapters compile without Beast headers.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "http/trace.hpp"

namespace capstan::http {

// An ordered header list with case-insensitive lookup. Names keep the case they arrived with.
class Headers {
 public:
  using Entry = std::pair<std::string, std::string>;

  // Returns the first value of `name`, or nullopt.
  [[nodiscard]] std::optional<std::string_view> Get(std::string_view name) const;
  [[nodiscard]] bool Has(std::string_view name) const { return Get(name).has_value(); }
  // Replaces every value of `name` by `value`.
  void Set(std::string_view name, std::string_view value);
  // Appends another value of `name`.
  void Add(std::string_view name, std::string_view value);
  void Remove(std::string_view name);
  [[nodiscard]] const std::vector<Entry>& entries() const { return entries_; }
  [[nodiscard]] bool empty() const { return entries_.empty(); }
  void clear() { entries_.clear(); }

 private:
  static constexpr std::size_t kTypicalFieldCount = 8;
  std::vector<Entry> entries_;
};

// Case-insensitive ASCII comparison (HTTP header names, methods in Allow lists, ...).
[[nodiscard]] bool IEquals(std::string_view a, std::string_view b);

// Where `lower_needle` (lower-case ASCII) first occurs in `haystack`, ASCII case ignored, or npos.
// For media types in Accept and Content-Type; no copy is made.
[[nodiscard]] std::size_t IFind(std::string_view haystack, std::string_view lower_needle);

struct Request {
  std::string method;  // as received, upper case for standard methods: "GET"
  std::string target;  // raw request-target: "/v1/jwts/abc?x=1"
  std::string path;    // target before '?', still percent-encoded
  std::string query;   // target after '?', without the '?', still percent-encoded
  Headers headers;
  std::string body;
  std::string remote_address;  // peer IP, for logs
  std::string request_id;  // assigned by the server (X-Request-Id if the client sent a sane one)
  std::chrono::steady_clock::time_point received_at{};
  bool keep_alive = true;
  // W3C trace context: from the traceparent/tracestate headers (the server reads them), or set
  // by an adapter from its protocol (MCP _meta). Upstream calls carry a child of it.
  std::optional<TraceContext> trace;
};

class StreamWriter;

// A streamed body producer (SSE): called after the headers were sent with chunked encoding. It
// writes with `co_await writer.Write(...)` and returns when the stream is complete.
using BodyProducer = std::function<boost::asio::awaitable<void>(StreamWriter&)>;

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  // When set, `body` is ignored and the producer streams the body (Transfer-Encoding: chunked).
  BodyProducer stream;
  // Detail for the access log (for example the upstream status); never sent to the client.
  int upstream_status = 0;
  std::chrono::microseconds upstream_time{0};
  // The metrics series (exposes::Metrics) of the operation or tool that answered; 0: the
  // endpoint's own.
  std::uint32_t metric_series = 0;
};

// Writes chunks of a streamed response. Implemented by the server per connection.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  // Sends one chunk. Returns false when the client went away (the producer should stop).
  virtual boost::asio::awaitable<bool> Write(std::string_view data) = 0;
  // True once the peer has closed the connection.
  [[nodiscard]] virtual bool closed() const = 0;
};

// Handles one request. Runs on the event loop of the connection; must not block.
using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

// Builds a response with a body and a Content-Type (exactly as given, no parameters added).
[[nodiscard]] Response MakeResponse(int status, std::string body,
                                    std::string_view content_type = "application/json");

// The standard reason phrase for a status code ("Not Found"), or "" for unknown codes.
[[nodiscard]] std::string_view ReasonPhrase(int status);

}  // namespace capstan::http
