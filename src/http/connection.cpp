// One server connection: reads requests with Beast's parser, runs the handler, writes responses
// (plain, HEAD, chunked streams), enforces limits and timeouts, answers malformed input.
#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>

#include "http/deadline.hpp"
#include "http/loop.hpp"
#include "http/read_message.hpp"
#include "http/wire.hpp"

namespace capstan::http::internal {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using Clock = std::chrono::steady_clock;
using ErrorCode = boost::system::error_code;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadSize = 16 * 1024;
constexpr std::size_t kShrinkAbove = 64 * 1024;
constexpr std::size_t kLingerMaxBytes = 1024 * 1024;
constexpr auto kLingerTime = std::chrono::seconds(2);

bool ContainsToken(std::string_view list, std::string_view token) {
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t end = list.find(',', start);
    if (end == std::string_view::npos) end = list.size();
    std::string_view item = list.substr(start, end - start);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (IEquals(item, token)) return true;
    start = end + 1;
  }
  return false;
}

std::chrono::microseconds Since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
}

// Reads one request into an http::Request (MessageReader: fields and body without copies), and
// counts the framing fields that the connection checks for smuggling.
class RequestReader final : public MessageReader<true> {
 public:
  explicit RequestReader(Request& request)
      : MessageReader(request.headers, request.body), request_(request) {}

  [[nodiscard]] unsigned version() const { return version_; }
  [[nodiscard]] int content_lengths() const { return content_lengths_; }
  [[nodiscard]] bool transfer_encoding() const { return transfer_encoding_; }
  [[nodiscard]] bool nul_in_field() const { return nul_in_field_; }

 private:
  void on_request_impl(bhttp::verb /*method*/, StringView method_str, StringView target,
                       int version, ErrorCode& /*ec*/) override {
    request_.method.assign(method_str.data(), method_str.size());
    request_.target.assign(target.data(), target.size());
    version_ = static_cast<unsigned>(version);
  }
  void on_field_impl(bhttp::field name, StringView name_str, StringView value,
                     ErrorCode& ec) override {
    if (name == bhttp::field::content_length) ++content_lengths_;
    if (name == bhttp::field::transfer_encoding) transfer_encoding_ = true;
    if (value.find('\0') != StringView::npos) nul_in_field_ = true;
    MessageReader::on_field_impl(name, name_str, value, ec);
  }

  Request& request_;
  unsigned version_ = 11;
  int content_lengths_ = 0;
  bool transfer_encoding_ = false;
  bool nul_in_field_ = false;
};

class Connection final : public ConnectionHandle, public std::enable_shared_from_this<Connection> {
 public:
  Connection(Loop& loop, tcp::socket socket)
      : loop_(loop),
        options_(loop.shared.options),
        limits_(loop.shared.options.limits),
        socket_(std::move(socket)),
        deadline_(loop.ioc.get_executor(),
                  [this] {
                    if (closed_) return;
                    ErrorCode ec;
                    socket_.cancel(ec);
                  }),
        watch_done_(loop.ioc) {
    ErrorCode ec;
    socket_.set_option(tcp::no_delay(true), ec);
    auto endpoint = socket_.remote_endpoint(ec);
    if (!ec) remote_ = endpoint.address().to_string();
    loop_.connections.insert(this);
  }
  ~Connection() override { Finish(); }

  asio::awaitable<void> Serve();
  asio::awaitable<void> Reject();
  void CloseForShutdown(bool force) override {
    if (force) {
      // The peer sees the end now, even while a handler is still busy (the socket is closed
      // when Serve() unwinds, or with the loop if the handler is abandoned).
      ErrorCode ec;
      socket_.shutdown(tcp::socket::shutdown_both, ec);
      CloseSocket();
      return;
    }
    if (!idle_) return;  // busy: its response says Connection: close, then the connection closes
    // Idle: a request already in the socket buffer is still served (with Connection: close);
    // otherwise the pending read is cancelled and Serve() closes the connection.
    ErrorCode ec;
    if (socket_.available(ec) > 0 && !ec) return;
    socket_.cancel(ec);
  }

 private:
  class ChunkWriter;

  asio::awaitable<bool> ServeOne();
  asio::awaitable<bool> ReadFailed(Request& request, const ErrorCode& ec);
  asio::awaitable<bool> SendErrorAndClose(Request& request, int status, std::string_view type,
                                          std::string_view message);
  asio::awaitable<Response> CallHandler(Request& request);
  asio::awaitable<bool> WriteResponse(const Request& request, Response& response, bool close,
                                      bool http10);
  asio::awaitable<bool> WriteStream(const Request& request, Response& response, bool& close,
                                    bool http10);
  asio::awaitable<void> LingeringClose();
  void FillRequest(Request& request, const RequestReader& reader) const;
  void Log(const Request& request, const Response& response) const {
    if (options_.access_log) options_.access_log(request, response, Since(request.received_at));
  }

  // Deadlines (http::Deadline): a passed one cancels what is pending on the socket.
  void SetDeadline(Clock::time_point deadline) { deadline_.Set(deadline); }
  void SetTimeout(std::chrono::milliseconds timeout) { deadline_.SetAfter(timeout); }
  void ClearDeadline() { deadline_.Clear(); }

  // Marks the connection closed and aborts what is pending on it; Finish() closes the socket once
  // Serve() has unwound and nothing is. (Under io_uring, closing a socket under a pending read
  // lets Asio 1.28 hand that read to the next socket the loop opens: see asio_impl.cpp.)
  void CloseSocket() {
    if (closed_) return;
    closed_ = true;
    ErrorCode ec;
    socket_.cancel(ec);
  }
  void Finish() {
    if (finished_) return;
    finished_ = true;
    closed_ = true;
    ErrorCode ec;
    socket_.close(ec);
    deadline_.Disarm();
    loop_.connections.erase(this);
    loop_.shared.connections.fetch_sub(1, std::memory_order_relaxed);
  }

  Loop& loop_;
  const ServerOptions& options_;
  const ServerLimits& limits_;
  tcp::socket socket_;
  Deadline deadline_;
  asio::steady_timer watch_done_;  // wakes the connection when the peer watch completes
  beast::flat_buffer buffer_;
  std::string head_;  // reused for response heads
  std::string remote_;
  bool idle_ = false;
  bool closed_ = false;
  bool finished_ = false;
  // Peer watch during a streamed response: a 1-byte read that tells a closed peer apart.
  bool watch_pending_ = false;
  bool watch_got_byte_ = false;
  bool peer_closed_ = false;
  char watch_byte_ = 0;
};

// Chunked (HTTP/1.1) or raw (HTTP/1.0, close-delimited) body writer for streamed responses.
class Connection::ChunkWriter final : public StreamWriter {
 public:
  ChunkWriter(Connection& connection, bool chunked) : c_(connection), chunked_(chunked) {}

  asio::awaitable<bool> Write(std::string_view data) override {
    if (failed_ || c_.closed_ || c_.peer_closed_) co_return false;
    if (data.empty()) co_return true;  // an empty chunk would end the body
    char size_line[24];  // hex size and CRLF, as AppendUnsigned writes decimals: std::to_chars
    char* end = std::to_chars(size_line, size_line + sizeof size_line - 2, data.size(), 16).ptr;
    *end++ = '\r';
    *end++ = '\n';
    const auto n = end - size_line;
    std::array<asio::const_buffer, 3> buffers{
        asio::buffer(size_line, chunked_ ? static_cast<std::size_t>(n) : 0),
        asio::buffer(data.data(), data.size()), asio::buffer("\r\n", chunked_ ? 2 : 0)};
    c_.SetTimeout(c_.limits_.write_timeout);
    auto [ec, written] = co_await asio::async_write(c_.socket_, buffers, kTuple);
    c_.ClearDeadline();
    if (ec) failed_ = true;
    co_return !failed_;
  }
  [[nodiscard]] bool closed() const override {
    return failed_ || c_.closed_ || c_.peer_closed_ || c_.loop_.stopping;
  }
  [[nodiscard]] bool failed() const { return failed_; }

 private:
  Connection& c_;
  bool chunked_;
  bool failed_ = false;
};

asio::awaitable<void> Connection::Serve() {
  bool first = true;
  while (!closed_) {
    if (buffer_.size() == 0) {
      if (loop_.stopping) break;
      if (buffer_.capacity() > kShrinkAbove) buffer_.shrink_to_fit();
      idle_ = true;
      SetTimeout(first ? limits_.header_timeout : limits_.idle_timeout);
      auto [ec, n] = co_await socket_.async_read_some(buffer_.prepare(kReadSize), kTuple);
      idle_ = false;
      // Peer closed, idle timeout or shutdown (read cancelled): close silently.
      if (ec || n == 0 || closed_) break;
      buffer_.commit(n);
    }
    first = false;
    if (!co_await ServeOne()) break;
  }
  Finish();
}

asio::awaitable<void> Connection::Reject() {
  Request request;
  request.received_at = Clock::now();
  request.remote_address = remote_;
  request.request_id = NewRequestId();
  co_await SendErrorAndClose(request, 503, "unavailable", "too many connections");
  Finish();
}

void Connection::FillRequest(Request& request, const RequestReader& reader) const {
  std::string_view target = request.target;
  if (!target.empty() && target.front() != '/') {
    // absolute-form ("http://host/p?q", RFC 9112 §3.2.2): route on the path and query only.
    std::size_t scheme = target.find("://");
    if (scheme != std::string_view::npos) {
      std::size_t path = target.find_first_of("/?", scheme + 3);
      target = path == std::string_view::npos ? std::string_view("/") : target.substr(path);
    }
  }
  std::size_t q = target.find('?');
  request.path = target.substr(0, q);
  if (q != std::string_view::npos) request.query = target.substr(q + 1);
  request.keep_alive = reader.keep_alive();
  auto client_id = request.headers.Get("X-Request-Id");
  request.request_id =
      client_id && IsSaneRequestId(*client_id) ? std::string(*client_id) : NewRequestId();
  if (auto traceparent = request.headers.Get("traceparent")) {
    request.trace = ParseTraceContext(*traceparent, request.headers.Get("tracestate").value_or(""));
  }
  BeginServerSpan(request.trace);
}

asio::awaitable<bool> Connection::ServeOne() {
  Request request;
  request.received_at = Clock::now();
  request.remote_address = remote_;
  RequestReader parser(request);
  parser.header_limit(
      static_cast<std::uint32_t>(std::min<std::size_t>(limits_.max_header_bytes, UINT32_MAX)));
  parser.body_limit(limits_.max_body_bytes);

  SetDeadline(request.received_at + limits_.header_timeout);
  ErrorCode ec = co_await ReadMessage(socket_, buffer_, parser, ReadUntil::kHead, kTuple);
  if (ec || deadline_.expired()) co_return co_await ReadFailed(request, ec);
  FillRequest(request, parser);

  // Framing checks Beast leaves to us (request smuggling vectors: it accepts a repeated equal
  // Content-Length, and Content-Length after Transfer-Encoding), and NUL bytes (Beast rejects
  // them in values today; this stays a guard of what reaches adapters).
  if (parser.nul_in_field()) {
    co_return co_await SendErrorAndClose(request, 400, "bad_request", "NUL byte in header");
  }
  if (parser.content_lengths() > 1) {
    co_return co_await SendErrorAndClose(request, 400, "bad_request", "duplicate Content-Length");
  }
  if (parser.content_lengths() > 0 && parser.transfer_encoding()) {
    co_return co_await SendErrorAndClose(request, 400, "bad_request",
                                         "both Content-Length and Transfer-Encoding");
  }
  unsigned version = parser.version();
  if (version != 10 && version != 11) {
    co_return co_await SendErrorAndClose(request, 505, "http_version_not_supported",
                                         "only HTTP/1.0 and HTTP/1.1 are supported");
  }

  if (!parser.is_done()) {
    auto expect = request.headers.Get("Expect");
    if (expect && version == 11) {
      if (!IEquals(*expect, "100-continue")) {
        co_return co_await SendErrorAndClose(request, 417, "expectation_failed",
                                             "unsupported Expect value");
      }
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      SetTimeout(limits_.write_timeout);
      auto [wec, wn] = co_await asio::async_write(
          socket_, asio::buffer(kContinue.data(), kContinue.size()), kTuple);
      if (wec) co_return co_await ReadFailed(request, wec);
    }
    SetDeadline(request.received_at + limits_.request_timeout);
    ErrorCode bec = co_await ReadMessage(socket_, buffer_, parser, ReadUntil::kMessage, kTuple);
    if (bec || deadline_.expired()) co_return co_await ReadFailed(request, bec);
  }
  ClearDeadline();
  // Closed under us (forced shutdown): run nothing whose answer cannot reach the client.
  if (closed_) co_return false;

  Response response = co_await CallHandler(request);
  auto connection_header = response.headers.Get("Connection");
  bool close = !request.keep_alive || loop_.stopping || closed_ ||
               (connection_header && ContainsToken(*connection_header, "close"));
  bool ok = false;
  if (response.stream) {
    ok = co_await WriteStream(request, response, close, version == 10);
  } else {
    ok = co_await WriteResponse(request, response, close, version == 10);
  }
  Log(request, response);
  if (!ok) {
    CloseSocket();
    co_return false;
  }
  if (close) {
    co_await LingeringClose();
    co_return false;
  }
  co_return true;
}

asio::awaitable<bool> Connection::ReadFailed(Request& request, const ErrorCode& ec) {
  if (deadline_.expired()) {
    co_return co_await SendErrorAndClose(request, 408, "request_timeout",
                                         "request not received in time");
  }
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
      ec == asio::error::eof || ec == asio::error::operation_aborted ||
      ec == asio::error::connection_reset || ec == asio::error::broken_pipe || closed_) {
    CloseSocket();
    co_return false;
  }
  if (ec == bhttp::error::header_limit) {
    co_return co_await SendErrorAndClose(request, 431, "request_header_fields_too_large",
                                         "request header fields too large");
  }
  if (ec == bhttp::error::body_limit) {
    co_return co_await SendErrorAndClose(request, 413, "payload_too_large",
                                         "request body too large");
  }
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category()) {
    co_return co_await SendErrorAndClose(request, 400, "bad_request",
                                         "malformed request: " + ec.message());
  }
  CloseSocket();  // a socket error: nobody to answer
  co_return false;
}

asio::awaitable<bool> Connection::SendErrorAndClose(Request& request, int status,
                                                    std::string_view type,
                                                    std::string_view message) {
  if (request.request_id.empty()) request.request_id = NewRequestId();
  Response response = ErrorResponse(status, type, message);
  bool ok = co_await WriteResponse(request, response, /*close=*/true, /*http10=*/false);
  Log(request, response);
  if (ok) {
    co_await LingeringClose();
  } else {
    CloseSocket();
  }
  co_return false;
}

asio::awaitable<Response> Connection::CallHandler(Request& request) {
  bool failed = false;
  Response response;
  try {
    response = co_await loop_.shared.handler(request);
  } catch (const std::exception&) {
    failed = true;
  }
  if (failed) response = ErrorResponse(500, "internal", "internal error");
  co_return response;
}

asio::awaitable<bool> Connection::WriteResponse(const Request& request, Response& response,
                                                bool close, bool http10) {
  if (closed_) co_return false;
  HeadOptions head;
  head.request_id = request.request_id;
  head.server_name = options_.server_name;
  head.close = close;
  head.http10_keep_alive = http10 && !close;
  head.content_length = response.body.size();
  head_.clear();
  AppendResponseHead(head_, response, head);
  bool with_body = request.method != "HEAD" && response.status >= 200 && response.status != 204 &&
                   response.status != 304;
  std::array<asio::const_buffer, 2> buffers{
      asio::buffer(head_),
      asio::buffer(response.body.data(), with_body ? response.body.size() : 0)};
  SetTimeout(limits_.write_timeout);
  auto [ec, n] = co_await asio::async_write(socket_, buffers, kTuple);
  ClearDeadline();
  co_return !ec && !deadline_.expired();
}

asio::awaitable<bool> Connection::WriteStream(const Request& request, Response& response,
                                              bool& close, bool http10) {
  if (closed_) co_return false;
  if (http10) close = true;  // no chunked encoding in HTTP/1.0: the close ends the body
  HeadOptions head;
  head.request_id = request.request_id;
  head.server_name = options_.server_name;
  head.close = close;
  head.chunked = !http10;
  head.close_delimited = http10;
  head_.clear();
  AppendResponseHead(head_, response, head);
  SetTimeout(limits_.write_timeout);
  auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(head_), kTuple);
  ClearDeadline();
  if (ec || deadline_.expired()) co_return false;
  if (request.method == "HEAD") co_return true;

  // Watch the peer while the producer runs, so that ChunkWriter::closed() notices a hang-up.
  watch_pending_ = true;
  watch_got_byte_ = false;
  peer_closed_ = false;
  socket_.async_read_some(asio::buffer(&watch_byte_, 1),
                          [self = shared_from_this()](const ErrorCode& wec, std::size_t got) {
                            self->watch_pending_ = false;
                            if (got == 1) {
                              self->watch_got_byte_ = true;
                            } else if (wec != asio::error::operation_aborted) {
                              self->peer_closed_ = true;
                            }
                            self->watch_done_.cancel();
                          });

  ChunkWriter writer(*this, !http10);
  bool producer_failed = false;
  try {
    co_await response.stream(writer);
  } catch (const std::exception&) {
    producer_failed = true;  // the body is cut short: the client sees no terminating chunk
  }
  bool ok = !writer.failed() && !producer_failed && !closed_;
  if (ok && !http10) {
    static constexpr std::string_view kLastChunk = "0\r\n\r\n";
    SetTimeout(limits_.write_timeout);
    auto [lec, ln] = co_await asio::async_write(
        socket_, asio::buffer(kLastChunk.data(), kLastChunk.size()), kTuple);
    ClearDeadline();
    ok = !lec && !deadline_.expired();
  }
  if (watch_pending_) {
    ErrorCode cancel_ec;
    socket_.cancel(cancel_ec);
    watch_done_.expires_at(Clock::time_point::max());
    if (watch_pending_) co_await watch_done_.async_wait(kTuple);
  }
  if (watch_got_byte_) {
    auto space = buffer_.prepare(1);
    std::memcpy(space.data(), &watch_byte_, 1);
    buffer_.commit(1);
  }
  if (peer_closed_) ok = false;
  co_return ok;
}

asio::awaitable<void> Connection::LingeringClose() {
  // Half-close, then drain what the client still sends for a short while: closing with unread
  // data would reset the connection and could destroy the response before the client reads it.
  if (closed_) co_return;
  ErrorCode ec;
  socket_.shutdown(tcp::socket::shutdown_send, ec);
  if (!ec) {
    SetTimeout(std::chrono::duration_cast<std::chrono::milliseconds>(kLingerTime));
    std::array<char, 4096> sink;
    std::size_t total = 0;
    while (total < kLingerMaxBytes && !closed_) {
      auto [rec, n] = co_await socket_.async_read_some(asio::buffer(sink), kTuple);
      if (rec || deadline_.expired()) break;
      total += n;
    }
    ClearDeadline();
  }
  CloseSocket();
}

}  // namespace

asio::awaitable<void> ServeConnection(Loop& loop, tcp::socket socket, bool reject) {
  auto connection = std::make_shared<Connection>(loop, std::move(socket));
  if (reject) {
    co_await connection->Reject();
  } else {
    co_await connection->Serve();
  }
}

}  // namespace capstan::http::internal
