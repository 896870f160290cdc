// Pure helpers of the server's wire format (no sockets): response heads, the Date header, request
// ids and the JSON body of the server's own error answers. Unit-testable without a network.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "http/message.hpp"

namespace capstan::http {

struct HeadOptions {
  std::string_view request_id;     // X-Request-Id value, added unless the handler set one
  std::string_view server_name;    // Server value, added unless empty or set by the handler
  bool close = false;              // send `Connection: close`
  bool http10_keep_alive = false;  // HTTP/1.0 client asked for keep-alive: echo it
  bool chunked = false;            // Transfer-Encoding: chunked instead of Content-Length
  bool close_delimited = false;    // neither (HTTP/1.0 streaming: the body ends at close)
  std::size_t content_length = 0;
};

// Appends "HTTP/1.1 <status> <reason>\r\n", the handler's headers (minus the framing headers the
// server owns: Content-Length, Transfer-Encoding, Connection), Date, Server, X-Request-Id, the
// framing headers and the blank line. Headers with a bad name or a CR/LF/NUL in their value are
// dropped (no response splitting). 1xx, 204 and 304 get no Content-Length.
void AppendResponseHead(std::string& out, const Response& response, const HeadOptions& options);

// The IMF-fixdate of `now` ("Sun, 06 Nov 1994 08:49:37 GMT"), cached per thread per second.
[[nodiscard]] std::string_view HttpDate(std::chrono::system_clock::time_point now);

// A random UUID v4 in lower case, from a per-thread generator (not for secrets).
[[nodiscard]] std::string NewRequestId();

// True when a client-supplied X-Request-Id may be echoed: 1..64 characters of [A-Za-z0-9._:-].
[[nodiscard]] bool IsSaneRequestId(std::string_view id);

// {"type":"<type>","message":"<message>"}: the body of the server's own error responses.
[[nodiscard]] std::string ErrorBody(std::string_view type, std::string_view message);

// A complete error response with that body and `Content-Type: application/json`.
[[nodiscard]] Response ErrorResponse(int status, std::string_view type, std::string_view message);

// True when `name` is a valid header field name (RFC 9110 token; methods are tokens too).
[[nodiscard]] bool IsHeaderName(std::string_view name);

// True when `value` holds no CR, LF or NUL: it cannot break out of its line of a message head.
[[nodiscard]] bool IsSafeFieldValue(std::string_view value);

// Content-Length, Transfer-Encoding, Connection: the fields whose values the sender of a message
// head computes itself, never copied from elsewhere.
[[nodiscard]] bool IsFramingHeader(std::string_view name);

}  // namespace capstan::http
