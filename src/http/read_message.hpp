// Reads an HTTP/1 message (or only its head) from a stream into a Beast basic_parser, as
// beast::http::async_read and async_read_header do, in one coroutine instead of their three
// layers of composed operations per read; and the parser base that fills http::Headers and a body
// string. Used by the server and by the upstream client.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/optional/optional.hpp>
#include <boost/system/error_code.hpp>

#include "http/message.hpp"

namespace capstan::http {

// A basic_parser that writes each field of a message into `headers` and appends its body to
// `body` as it arrives: no beast::http::fields in between (one allocation and one copy fewer per
// field) and no zero-filled body first (Beast's string_body memsets the whole body before copying
// into it). Limits, framing and keep-alive are basic_parser's. The request and response readers
// derive from it for what their start line carries.
template <bool kIsRequest>
class MessageReader : public boost::beast::http::basic_parser<kIsRequest> {
 protected:
  using StringView = boost::beast::string_view;
  using ErrorCode = boost::system::error_code;

  MessageReader(Headers& headers, std::string& body) : headers_(headers), body_(body) {}

  void on_request_impl(boost::beast::http::verb /*method*/, StringView /*method_str*/,
                       StringView /*target*/, int /*version*/, ErrorCode& /*ec*/) override {}
  void on_response_impl(int /*code*/, StringView /*reason*/, int /*version*/,
                        ErrorCode& /*ec*/) override {}
  void on_field_impl(boost::beast::http::field /*name*/, StringView name, StringView value,
                     ErrorCode& /*ec*/) override {
    headers_.Add({name.data(), name.size()}, {value.data(), value.size()});
  }

 private:
  void on_header_impl(ErrorCode& /*ec*/) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, ErrorCode& /*ec*/) override {
    if (length && *length <= body_.max_size()) body_.reserve(static_cast<std::size_t>(*length));
  }
  std::size_t on_body_impl(StringView body, ErrorCode& /*ec*/) override {
    body_.append(body.data(), body.size());
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t /*size*/, StringView /*extensions*/,
                            ErrorCode& /*ec*/) override {}
  std::size_t on_chunk_body_impl(std::uint64_t /*remain*/, StringView body,
                                 ErrorCode& /*ec*/) override {
    body_.append(body.data(), body.size());
    return body.size();
  }
  void on_finish_impl(ErrorCode& /*ec*/) override {}

  Headers& headers_;
  std::string& body_;
};

enum class ReadUntil { kHead, kMessage };

// Feeds `parser` what `buffer` holds, then reads from `stream` (at most 64 KiB per read, as Beast
// does) until the head, or the whole message, is parsed. Returns Beast's codes for what its own
// reads would return: end_of_stream when the peer closed before a byte of the message,
// partial_message when it closed inside one, the parser's errors (header_limit, body_limit,
// bad_*), or the stream's. `token` is the completion token of the reads and must make them
// return (error_code, size_t): asio::as_tuple(asio::use_awaitable), optionally bound to a
// cancellation slot.
template <typename Stream, bool kIsRequest, typename Token>
boost::asio::awaitable<boost::system::error_code> ReadMessage(
    Stream& stream, boost::beast::flat_buffer& buffer,
    boost::beast::http::basic_parser<kIsRequest>& parser, ReadUntil until, Token token) {
  namespace bhttp = boost::beast::http;
  if (until == ReadUntil::kMessage) parser.eager(true);
  auto finished = [&] {
    return until == ReadUntil::kHead ? parser.is_header_done() : parser.is_done();
  };
  boost::system::error_code ec;
  while (!finished()) {
    if (buffer.size() > 0) {
      const std::size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec && ec != bhttp::error::need_more) co_return ec;
      ec = {};
      if (used > 0) continue;  // parse on; nothing used: the next bytes are needed
    }
    const std::size_t size = boost::beast::read_size(buffer, 64 * 1024);
    if (size == 0) co_return bhttp::error::buffer_overflow;
    auto [read_ec, got] = co_await stream.async_read_some(buffer.prepare(size), token);
    buffer.commit(got);
    if (read_ec == boost::asio::error::eof) {
      if (!parser.got_some()) co_return bhttp::error::end_of_stream;
      parser.put_eof(ec);  // completes a body that ends with the connection, or partial_message
      if (ec) co_return ec;
      if (!finished()) co_return bhttp::error::partial_message;
      continue;
    }
    if (read_ec) co_return read_ec;
  }
  co_return ec;
}

}  // namespace capstan::http
