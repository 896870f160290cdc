#include "http/read_message.hpp"

#include <chrono>
#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <gtest/gtest.h>

namespace capstan::http {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using ErrorCode = boost::system::error_code;
using namespace std::chrono_literals;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// A loopback connection: `peer` writes fragments (a pause between them, so that each arrives in
// a read of its own), then half-closes if asked; the test reads from `ours`.
class ReadMessageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tcp::acceptor acceptor(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    ours_.connect(acceptor.local_endpoint());
    acceptor.accept(peer_);
  }

  void Send(std::vector<std::string> fragments, bool close_after) {
    asio::co_spawn(
        ioc_,
        [this, fragments = std::move(fragments), close_after]() -> asio::awaitable<void> {
          asio::steady_timer pause(ioc_);
          for (const std::string& f : fragments) {
            co_await asio::async_write(peer_, asio::buffer(f), kTuple);
            pause.expires_after(20ms);
            co_await pause.async_wait(kTuple);
          }
          ErrorCode ec;
          if (close_after) peer_.shutdown(tcp::socket::shutdown_send, ec);
        },
        asio::detached);
  }

  template <bool kIsRequest>
  ErrorCode Read(bhttp::basic_parser<kIsRequest>& parser, ReadUntil until) {
    ErrorCode result = asio::error::would_block;
    asio::co_spawn(
        ioc_,
        [&]() -> asio::awaitable<void> {
          result = co_await ReadMessage(ours_, buffer_, parser, until, kTuple);
        },
        asio::detached);
    ioc_.restart();
    ioc_.run_for(5s);
    return result;
  }

  std::string Buffered() const {
    return {static_cast<const char*>(buffer_.data().data()), buffer_.size()};
  }

  asio::io_context ioc_;
  tcp::socket ours_{ioc_};
  tcp::socket peer_{ioc_};
  boost::beast::flat_buffer buffer_;
};

using ResponseParser = bhttp::response_parser<bhttp::string_body>;
using RequestParser = bhttp::request_parser<bhttp::string_body>;

TEST_F(ReadMessageTest, FragmentedResponseWithContentLength) {
  Send({"HTTP/1.1 200 OK\r\nContent-Le", "ngth: 10\r\n\r\n0123", "456789"}, false);
  ResponseParser parser;
  EXPECT_FALSE(Read(parser, ReadUntil::kMessage));
  ASSERT_TRUE(parser.is_done());
  EXPECT_EQ(parser.get().result_int(), 200);
  EXPECT_EQ(parser.get().body(), "0123456789");
  EXPECT_TRUE(parser.keep_alive());
}

TEST_F(ReadMessageTest, ChunkedResponse) {
  Send({"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nab", "cd\r\n3\r\nefg\r\n",
        "0\r\n\r\n"},
       false);
  ResponseParser parser;
  EXPECT_FALSE(Read(parser, ReadUntil::kMessage));
  EXPECT_EQ(parser.get().body(), "abcdefg");
}

TEST_F(ReadMessageTest, BodyEndedByTheCloseIsComplete) {
  Send({"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nfirst ", "second"}, true);
  ResponseParser parser;
  EXPECT_FALSE(Read(parser, ReadUntil::kMessage));
  EXPECT_EQ(parser.get().body(), "first second");
  EXPECT_FALSE(parser.keep_alive());
}

TEST_F(ReadMessageTest, CloseBeforeAnyByteIsEndOfStream) {
  Send({}, true);
  ResponseParser parser;
  EXPECT_EQ(Read(parser, ReadUntil::kMessage), bhttp::error::end_of_stream);
}

TEST_F(ReadMessageTest, CloseInsideTheHeadIsPartialMessage) {
  Send({"HTTP/1.1 200 OK\r\nContent-"}, true);
  ResponseParser parser;
  EXPECT_EQ(Read(parser, ReadUntil::kMessage), bhttp::error::partial_message);
}

TEST_F(ReadMessageTest, CloseInsideTheBodyIsPartialMessage) {
  Send({"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n012"}, true);
  ResponseParser parser;
  EXPECT_EQ(Read(parser, ReadUntil::kMessage), bhttp::error::partial_message);
}

TEST_F(ReadMessageTest, HeadThenBodyOfARequest) {
  Send({"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhel", "lo"}, false);
  RequestParser parser;
  EXPECT_FALSE(Read(parser, ReadUntil::kHead));
  EXPECT_TRUE(parser.is_header_done());
  EXPECT_FALSE(parser.is_done());
  EXPECT_EQ(parser.get().target(), "/x");
  EXPECT_EQ(Buffered(), "hel");  // read with the head, left for the body
  EXPECT_FALSE(Read(parser, ReadUntil::kMessage));
  EXPECT_EQ(parser.get().body(), "hello");
}

TEST_F(ReadMessageTest, PipelinedRequestStaysBuffered) {
  Send({"GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n"}, true);
  RequestParser first;
  EXPECT_FALSE(Read(first, ReadUntil::kMessage));
  EXPECT_EQ(first.get().target(), "/a");
  EXPECT_EQ(Buffered(), "GET /b HTTP/1.1\r\nHost: a\r\n\r\n");
  RequestParser second;
  EXPECT_FALSE(Read(second, ReadUntil::kHead));
  EXPECT_EQ(second.get().target(), "/b");
  EXPECT_EQ(buffer_.size(), 0u);
  RequestParser third;  // the peer has closed: nothing more
  EXPECT_EQ(Read(third, ReadUntil::kHead), bhttp::error::end_of_stream);
}

TEST_F(ReadMessageTest, HeaderLimit) {
  Send({"HTTP/1.1 200 OK\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n"}, false);
  ResponseParser limited;
  limited.header_limit(1024);
  EXPECT_EQ(Read(limited, ReadUntil::kMessage), bhttp::error::header_limit);
}

TEST_F(ReadMessageTest, BodyLimit) {
  Send({"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", std::string(100, 'b')}, false);
  ResponseParser limited;
  limited.body_limit(10);
  EXPECT_EQ(Read(limited, ReadUntil::kMessage), bhttp::error::body_limit);
}

TEST_F(ReadMessageTest, MalformedStatusLine) {
  Send({"HTTP/1.1 2x0 OK\r\n\r\n"}, false);
  ResponseParser parser;
  const ErrorCode ec = Read(parser, ReadUntil::kMessage);
  EXPECT_EQ(ec.category(), bhttp::make_error_code(bhttp::error::bad_status).category());
  EXPECT_NE(ec, bhttp::error::end_of_stream);
  EXPECT_NE(ec, bhttp::error::partial_message);
}

}  // namespace
}  // namespace capstan::http
