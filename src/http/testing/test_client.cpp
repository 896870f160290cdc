#include "http/testing/test_client.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace capstan::http {
namespace {

core::Status IoError(std::string what) {
  return core::Fail(core::ErrorCode::kIo, what + ": " + std::strerror(errno));
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

TestClient::TestClient(std::uint16_t port, std::string host)
    : port_(port), host_(std::move(host)) {}

TestClient::~TestClient() { Close(); }

void TestClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
  eof_ = false;
}

core::Status TestClient::Connect() {
  if (fd_ >= 0) return core::Ok();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  if (::inet_pton(AF_INET, host_.c_str(), &addr.sin_addr) != 1) {
    return core::Fail(core::ErrorCode::kInvalidArgument, "bad IPv4 address " + host_);
  }
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return IoError("socket");
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    auto status = IoError("connect");
    Close();
    return status;
  }
  ++connections_opened_;
  return core::Ok();
}

core::Status TestClient::SendRaw(std::string_view bytes) {
  CAPSTAN_RETURN_IF_ERROR(Connect());
  while (!bytes.empty()) {
    pollfd pfd{fd_, POLLOUT, 0};
    int ready = ::poll(&pfd, 1, static_cast<int>(timeout_.count()));
    if (ready <= 0) return core::Fail(core::ErrorCode::kIo, "write timed out");
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("send");
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return core::Ok();
}

core::Status TestClient::Fill() {
  if (fd_ < 0 || eof_) return core::Fail(core::ErrorCode::kIo, "connection closed");
  pollfd pfd{fd_, POLLIN, 0};
  int ready = ::poll(&pfd, 1, static_cast<int>(timeout_.count()));
  if (ready == 0) return core::Fail(core::ErrorCode::kIo, "read timed out");
  if (ready < 0) return IoError("poll");
  char chunk[16384];
  ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n < 0) return IoError("recv");
  if (n == 0) {
    eof_ = true;
    return core::Fail(core::ErrorCode::kIo, "connection closed");
  }
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return core::Ok();
}

core::Result<std::string> TestClient::ReadLine() {
  while (true) {
    std::size_t end = buffer_.find("\r\n");
    if (end != std::string::npos) {
      std::string line = buffer_.substr(0, end);
      buffer_.erase(0, end + 2);
      return line;
    }
    CAPSTAN_RETURN_IF_ERROR(Fill());
  }
}

core::Status TestClient::ReadExactly(std::size_t n, std::string& out) {
  while (buffer_.size() < n) CAPSTAN_RETURN_IF_ERROR(Fill());
  out.append(buffer_, 0, n);
  buffer_.erase(0, n);
  return core::Ok();
}

core::Result<TestResponse> TestClient::ReadHead() {
  TestResponse response;
  CAPSTAN_ASSIGN_OR_RETURN(std::string status_line, ReadLine());
  std::string_view line = status_line;
  std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || line.size() < sp1 + 4) {
    return core::Fail(core::ErrorCode::kUpstreamError, "bad status line: " + status_line);
  }
  response.version = std::string(line.substr(0, sp1));
  std::string_view code = line.substr(sp1 + 1, 3);
  auto [ptr, ec] = std::from_chars(code.data(), code.data() + code.size(), response.status);
  if (ec != std::errc()) {
    return core::Fail(core::ErrorCode::kUpstreamError, "bad status line: " + status_line);
  }
  if (line.size() > sp1 + 5) response.reason = std::string(line.substr(sp1 + 5));
  while (true) {
    CAPSTAN_ASSIGN_OR_RETURN(std::string header, ReadLine());
    if (header.empty()) break;
    std::size_t colon = header.find(':');
    if (colon == std::string::npos) {
      return core::Fail(core::ErrorCode::kUpstreamError, "bad header line: " + header);
    }
    std::string_view view = header;
    response.headers.Add(view.substr(0, colon), Trim(view.substr(colon + 1)));
  }
  auto te = response.headers.Get("Transfer-Encoding");
  response.chunked = te && IEquals(*te, "chunked");
  return response;
}

core::Result<std::string> TestClient::ReadChunk() {
  CAPSTAN_ASSIGN_OR_RETURN(std::string size_line, ReadLine());
  std::size_t size = 0;
  auto [ptr, ec] = std::from_chars(size_line.data(), size_line.data() + size_line.size(), size, 16);
  if (ec != std::errc()) {
    return core::Fail(core::ErrorCode::kUpstreamError, "bad chunk size: " + size_line);
  }
  std::string data;
  if (size == 0) {
    while (true) {  // trailers, then the blank line
      CAPSTAN_ASSIGN_OR_RETURN(std::string trailer, ReadLine());
      if (trailer.empty()) break;
    }
    return data;
  }
  CAPSTAN_RETURN_IF_ERROR(ReadExactly(size, data));
  CAPSTAN_ASSIGN_OR_RETURN(std::string crlf, ReadLine());
  if (!crlf.empty()) return core::Fail(core::ErrorCode::kUpstreamError, "chunk not terminated");
  return data;
}

core::Result<TestResponse> TestClient::ReadResponse(bool head_only) {
  CAPSTAN_ASSIGN_OR_RETURN(TestResponse response, ReadHead());
  bool no_body =
      head_only || response.status < 200 || response.status == 204 || response.status == 304;
  if (!no_body) {
    if (response.chunked) {
      while (true) {
        CAPSTAN_ASSIGN_OR_RETURN(std::string chunk, ReadChunk());
        if (chunk.empty()) break;
        response.body += chunk;
        response.chunks.push_back(std::move(chunk));
      }
    } else if (auto length = response.headers.Get("Content-Length")) {
      std::size_t n = 0;
      auto [ptr, ec] = std::from_chars(length->data(), length->data() + length->size(), n);
      if (ec != std::errc()) {
        return core::Fail(core::ErrorCode::kUpstreamError, "bad Content-Length");
      }
      CAPSTAN_RETURN_IF_ERROR(ReadExactly(n, response.body));
    } else {
      while (Fill()) {
      }
      response.body = std::move(buffer_);
      buffer_.clear();
    }
  }
  auto connection = response.headers.Get("Connection");
  if (connection && IEquals(*connection, "close")) {
    // Keep the bytes already read; the next Send() reconnects.
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    eof_ = false;
  }
  return response;
}

core::Result<TestResponse> TestClient::Send(std::string_view method, std::string_view target,
                                            const Headers& headers, std::string_view body) {
  if (fd_ >= 0 && eof_) Close();
  std::string request;
  request.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  if (!headers.Has("Host")) request.append("Host: ").append(host_).append("\r\n");
  bool needs_length = !body.empty() || method == "POST" || method == "PUT" || method == "PATCH";
  if (needs_length && !headers.Has("Content-Length") && !headers.Has("Transfer-Encoding")) {
    request.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  for (const auto& [name, value] : headers.entries()) {
    request.append(name).append(": ").append(value).append("\r\n");
  }
  request.append("\r\n").append(body);
  buffer_.clear();
  auto sent = SendRaw(request);
  if (!sent) {
    Close();  // the server may have closed an idle connection: retry once on a new one
    CAPSTAN_RETURN_IF_ERROR(SendRaw(request));
  }
  return ReadResponse(method == "HEAD");
}

bool TestClient::WaitForClose() {
  if (fd_ < 0 || eof_) return true;
  buffer_.clear();
  while (true) {
    pollfd pfd{fd_, POLLIN, 0};
    int ready = ::poll(&pfd, 1, static_cast<int>(timeout_.count()));
    if (ready <= 0) return false;  // timed out: still open
    char sink[16384];
    ssize_t n = ::recv(fd_, sink, sizeof sink, 0);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) {
      eof_ = true;
      return true;
    }
    if (n < 0 && errno != EINTR) return false;
  }
}

}  // namespace capstan::http
