#include "http/wire.hpp"

#include <set>

#include <gtest/gtest.h>

#include "http/message.hpp"

namespace capstan::http {
namespace {

TEST(ResponseHead, SetsFramingDateAndRequestId) {
  Response response = MakeResponse(200, "{}", "application/json");
  std::string head;
  HeadOptions options;
  options.request_id = "abc";
  options.server_name = "test";
  options.content_length = 2;
  AppendResponseHead(head, response, options);
  EXPECT_EQ(head.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_NE(head.find("\r\nContent-Type: application/json\r\n"), std::string::npos);
  EXPECT_NE(head.find("\r\nContent-Length: 2\r\n"), std::string::npos);
  EXPECT_NE(head.find("\r\nX-Request-Id: abc\r\n"), std::string::npos);
  EXPECT_NE(head.find("\r\nServer: test\r\n"), std::string::npos);
  EXPECT_NE(head.find("\r\nDate: "), std::string::npos);
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");
  EXPECT_EQ(head.find("Connection:"), std::string::npos);
}

TEST(ResponseHead, HandlerHeadersWinExceptFraming) {
  Response response = MakeResponse(200, "x", "text/plain");
  response.headers.Set("X-Request-Id", "mine");
  response.headers.Set("Content-Length", "99");
  response.headers.Set("Transfer-Encoding", "gzip");
  response.headers.Set("Bad Name", "v");
  response.headers.Set("X-Split", "a\r\nInjected: yes");
  std::string head;
  HeadOptions options;
  options.request_id = "theirs";
  options.content_length = 1;
  options.close = true;
  AppendResponseHead(head, response, options);
  EXPECT_NE(head.find("X-Request-Id: mine"), std::string::npos);
  EXPECT_EQ(head.find("theirs"), std::string::npos);
  EXPECT_EQ(head.find("99"), std::string::npos);
  EXPECT_EQ(head.find("gzip"), std::string::npos);
  EXPECT_EQ(head.find("Bad Name"), std::string::npos);
  EXPECT_EQ(head.find("Injected"), std::string::npos);
  EXPECT_NE(head.find("Content-Length: 1\r\n"), std::string::npos);
  EXPECT_NE(head.find("Connection: close\r\n"), std::string::npos);
}

TEST(ResponseHead, NoContentLengthOn204AndChunkedWhenStreaming) {
  Response response = MakeResponse(204, "", "application/json");
  std::string head;
  AppendResponseHead(head, response, HeadOptions{});
  EXPECT_EQ(head.find("Content-Length"), std::string::npos);
  EXPECT_NE(head.find("Content-Type: application/json"), std::string::npos);

  head.clear();
  HeadOptions chunked;
  chunked.chunked = true;
  AppendResponseHead(head, MakeResponse(200, "", "text/event-stream"), chunked);
  EXPECT_NE(head.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
  EXPECT_EQ(head.find("Content-Length"), std::string::npos);
}

TEST(ResponseHead, UnknownStatusHasEmptyReason) {
  std::string head;
  AppendResponseHead(head, MakeResponse(299, ""), HeadOptions{});
  EXPECT_EQ(head.rfind("HTTP/1.1 299 \r\n", 0), 0u);
}

TEST(HttpDate, Imf) {
  auto t = std::chrono::system_clock::from_time_t(784111777);
  EXPECT_EQ(HttpDate(t), "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST(RequestId, UuidV4Shape) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string id = NewRequestId();
    ASSERT_EQ(id.size(), 36u);
    EXPECT_EQ(id[8], '-');
    EXPECT_EQ(id[13], '-');
    EXPECT_EQ(id[14], '4');
    EXPECT_EQ(id[18], '-');
    EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b');
    EXPECT_EQ(id[23], '-');
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(RequestId, Sanity) {
  EXPECT_TRUE(IsSaneRequestId("abc-123_x.y:z"));
  EXPECT_FALSE(IsSaneRequestId(""));
  EXPECT_FALSE(IsSaneRequestId(std::string(65, 'a')));
  EXPECT_FALSE(IsSaneRequestId("a b"));
  EXPECT_FALSE(IsSaneRequestId("a\"b"));
}

TEST(ErrorBody, CompactJson) {
  EXPECT_EQ(ErrorBody("bad_request", "a \"b\""), R"({"type":"bad_request","message":"a \"b\""})");
}

TEST(HeaderName, Token) {
  EXPECT_TRUE(IsHeaderName("X-Auth-Token"));
  EXPECT_FALSE(IsHeaderName(""));
  EXPECT_FALSE(IsHeaderName("a:b"));
  EXPECT_FALSE(IsHeaderName("a b"));
}

TEST(FieldValue, OnlyCrLfAndNulAreUnsafeAtEveryPositionAndLength) {
  // Every byte at every position of values from 0 to 40 bytes long: the word-at-a-time scan
  // must agree with the byte rule across word boundaries and in the tail.
  for (std::size_t length = 1; length <= 40; ++length) {
    for (std::size_t at = 0; at < length; ++at) {
      for (int b = 0; b < 256; ++b) {
        std::string value(length, 'a');
        value[at] = static_cast<char>(b);
        const bool unsafe = b == '\r' || b == '\n' || b == 0;
        ASSERT_EQ(IsSafeFieldValue(value), !unsafe)
            << "length " << length << " at " << at << " byte " << b;
      }
    }
  }
  EXPECT_TRUE(IsSafeFieldValue(""));
  EXPECT_TRUE(IsSafeFieldValue(std::string(64, '\x0e')));  // the bytes just past CR
  EXPECT_TRUE(IsSafeFieldValue(std::string(64, '\xff')));
  EXPECT_FALSE(IsSafeFieldValue(std::string(63, '\xff') + "\n"));
}

TEST(ReasonPhrase, Extended) {
  EXPECT_EQ(ReasonPhrase(417), "Expectation Failed");
  EXPECT_EQ(ReasonPhrase(505), "HTTP Version Not Supported");
}

TEST(Headers, CaseInsensitiveMatching) {
  EXPECT_TRUE(IEquals("Content-Type", "content-TYPE"));
  EXPECT_FALSE(IEquals("Content-Type", "Content-Typ"));
  // IFind: a lower-case needle anywhere in a header value, ASCII case ignored.
  EXPECT_EQ(IFind("Application/JSON, Text/Event-Stream", "text/event-stream"), 18u);
  EXPECT_EQ(IFind("application/json", "application/json"), 0u);
  EXPECT_EQ(IFind("*/*", "*/*"), 0u);
  EXPECT_EQ(IFind("application/jso", "application/json"), std::string_view::npos);
  EXPECT_EQ(IFind("", "x"), std::string_view::npos);
  EXPECT_EQ(IFind("anything", ""), 0u);
  EXPECT_EQ(IFind("text/event-streax, text/event-stream", "text/event-stream"), 19u);
  // Only ASCII letters fold: bytes above 0x7F are compared as they are.
  EXPECT_EQ(IFind("\xC3\x89T\xC3\x89", "\xC3\xA9t"), std::string_view::npos);
}

}  // namespace
}  // namespace capstan::http
