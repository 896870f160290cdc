// Test-only blocking HTTP/1.1 client over loopback (POSIX sockets, no Asio), for the tests of
// any component: well-formed requests, raw bytes for malformed ones, chunked streams.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "http/message.hpp"

namespace capstan::http {

struct TestResponse {
  int status = 0;
  std::string reason;
  std::string version;  // "HTTP/1.1"
  Headers headers;
  std::string body;                 // the whole body (chunks joined)
  std::vector<std::string> chunks;  // chunked bodies only: each chunk as framed by the server
  bool chunked = false;
};

// Usage: TestClient client(server.port()); auto r = client.Send("GET", "/x");
// The connection is kept between calls (keep-alive) and re-opened when the server closed it.
// Every socket read and write times out (default 10 s) so that a test never hangs.
class TestClient {
 public:
  explicit TestClient(std::uint16_t port, std::string host = "127.0.0.1");
  ~TestClient();
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }

  // Sends a request and reads its response. Adds Host, and Content-Length when `body` is not
  // empty or the method is POST/PUT/PATCH, unless `headers` has them.
  [[nodiscard]] core::Result<TestResponse> Send(std::string_view method, std::string_view target,
                                                const Headers& headers = {},
                                                std::string_view body = {});
  [[nodiscard]] core::Result<TestResponse> Get(std::string_view target,
                                               const Headers& headers = {}) {
    return Send("GET", target, headers);
  }

  // Low level: connect if needed and write `bytes` as they are.
  [[nodiscard]] core::Status SendRaw(std::string_view bytes);
  // Reads one complete response (Content-Length, chunked, or until close). With `head_only`
  // (answer to HEAD) no body is read.
  [[nodiscard]] core::Result<TestResponse> ReadResponse(bool head_only = false);
  // Reads the status line and headers only; then ReadChunk() yields chunks of a chunked body.
  [[nodiscard]] core::Result<TestResponse> ReadHead();
  // The next chunk's data; "" for the terminating chunk.
  [[nodiscard]] core::Result<std::string> ReadChunk();
  // True when the server closed the connection: a read returns end of stream (or a reset)
  // before the timeout. Bytes still pending are consumed.
  [[nodiscard]] bool WaitForClose();
  // True while a connection is open on our side.
  [[nodiscard]] bool connected() const { return fd_ >= 0; }
  // How many TCP connections this client opened so far (keep-alive tests).
  [[nodiscard]] int connections_opened() const { return connections_opened_; }
  void Close();

 private:
  core::Status Connect();
  core::Status Fill();  // reads more bytes into buffer_; fails on close or timeout
  core::Result<std::string> ReadLine();
  core::Status ReadExactly(std::size_t n, std::string& out);

  std::uint16_t port_;
  std::string host_;
  std::chrono::milliseconds timeout_{10000};
  int fd_ = -1;
  std::string buffer_;
  bool eof_ = false;
  int connections_opened_ = 0;
};

}  // namespace capstan::http
