// faulty_upstream: a deliberately misbehaving HTTP(S) upstream for capstan's fault harness
// (tests/faults/fault_test.cpp, docs/testing.md "Fault harness"). Plain POSIX sockets, one thread
// per connection, OpenSSL for TLS with a self-signed certificate made at start-up.
//
// It listens on four loopback ports and prints one line per port on stdout, then "ready":
//   http http://127.0.0.1:P       answers by mode (below)
//   https https://127.0.0.1:P     the same over TLS, with a self-signed certificate for 127.0.0.1
//   refused http://127.0.0.1:P    bound but not listening: every connect is refused
//   blackhole http://127.0.0.1:P  listening (backlog 0) but never accepting: connects stall
//
// The mode of a request is the value of its `order_by` query parameter (capstan forwards the REST
// query parameter and the MCP argument of the same name), "ok" when absent:
//   ok           200 with a small JSON list, keep-alive (the healthy case)
//   hang         reads the request and never answers (until the peer closes)
//   slow         a valid answer, one byte every 100 ms
//   reset        headers and part of the body, then a TCP reset (SO_LINGER 0)
//   garbage      binary garbage instead of a status line, then close
//   badstatus    a malformed status line ("HTTP/1.1 2OO OK"), then close
//   echo         the request bytes sent back as the "response" (a request line is no status line;
//                the bytes include capstan's X-Auth-Token), then close
//   huge         200 with Content-Length 100 MiB, streamed until the peer stops reading
//   hugechunked  the same without Content-Length (chunked), so only a running count can stop it
//   headersonly  200 with Content-Length 1000 and no body, then close
//   interim      100 Continue and 103 Early Hints, then the ok answer (RFC 9110: skip the 1xx)
//   stray        the ok answer followed by a second, unasked-for one on the same connection
//   switching    101 Switching Protocols (capstan never asked for an upgrade), then close
//   badcode      status 999, then close
//   truncjson    200, application/json, Content-Length 9, body `{"jwts":[` (complete framing, a
//                cut JSON text), keep-alive
//   flap         every other flap request (the 1st, 3rd, ...) 503, the others ok; keep-alive
//   fail         500 with a JSON error body, keep-alive
// GET /__stats answers counters as JSON, for the harness's leak checks: connections open, hanging
// (hang or slow, waiting on the peer), idle (keep-alive, waiting for a request) and accepted,
// requests read, huge_sent (body bytes of the last huge answer) and tls_failed (handshakes).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using namespace std::chrono_literals;

constexpr std::size_t kHugeBytes = 100u * 1024 * 1024;
constexpr int kIdleSeconds = 120;  // an idle keep-alive connection is closed after this

std::atomic<long> g_accepted{0};    // connections accepted so far (both listening ports)
std::atomic<long> g_open{0};        // connections being served (all modes)
std::atomic<long> g_hanging{0};     // connections in mode hang or slow, waiting on the peer
std::atomic<long> g_idle{0};        // keep-alive connections waiting for their next request
std::atomic<long> g_requests{0};    // requests read
std::atomic<long> g_huge_sent{0};   // body bytes of the last huge answer written
std::atomic<long> g_tls_failed{0};  // TLS handshakes that failed (the peer refused the cert)
std::atomic<long> g_flaps{0};       // flap requests so far

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "faulty_upstream: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

// One accepted connection, plain or TLS.
class Conn {
 public:
  Conn(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
  ~Conn() {
    if (ssl_ != nullptr) {
      if (!reset_) SSL_shutdown(ssl_);
      SSL_free(ssl_);
    }
    ::close(fd_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // Up to `n` bytes; 0 on end of stream, error or timeout (SO_RCVTIMEO).
  std::size_t Read(char* buf, std::size_t n) {
    if (ssl_ != nullptr) {
      int r = SSL_read(ssl_, buf, static_cast<int>(n));
      return r > 0 ? static_cast<std::size_t>(r) : 0;
    }
    for (;;) {
      ssize_t r = ::recv(fd_, buf, n, 0);
      if (r < 0 && errno == EINTR) continue;
      return r > 0 ? static_cast<std::size_t>(r) : 0;
    }
  }

  bool Write(std::string_view data) {
    while (!data.empty()) {
      if (ssl_ != nullptr) {
        int r = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
        if (r <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(r));
        continue;
      }
      ssize_t r = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(r));
    }
    return true;
  }

  // Waits until the peer closes (or `limit` passes), discarding what it sends.
  void WaitForPeerClose(std::chrono::seconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    char buf[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      if (::recv(fd_, buf, sizeof buf, MSG_DONTWAIT) <= 0) return;
    }
  }

  // Closes with a TCP reset instead of a FIN.
  void Reset() {
    linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    reset_ = true;
  }

 private:
  int fd_;
  SSL* ssl_;
  bool reset_ = false;
};

std::string QueryValue(std::string_view target, std::string_view name) {
  std::size_t q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name && eq != std::string_view::npos) {
      return std::string(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

std::string Head(int status, std::string_view extra) {
  std::string reason = status == 200 ? "OK" : "Not Found";
  return "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n" + std::string(extra) + "\r\n";
}

constexpr const char* kOkBody = R"({"jwts":[],"total_count":0})";
// A second, unasked-for answer (mode stray): whoever reads it as its own answer is out of step.
constexpr const char* kStray =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 42\r\n\r\n"
    R"({"jwts":[{"jti":"stray"}],"total_count":1})";

std::string OkAnswer() {
  return Head(200, "Content-Type: application/json\r\nContent-Length: " +
                       std::to_string(std::strlen(kOkBody)) + "\r\n") +
         kOkBody;
}

// Serves one request in `mode`. Returns true when the connection may serve another one.
bool Answer(Conn& conn, const std::string& mode, const std::string& request) {
  if (mode == "ok") return conn.Write(OkAnswer());
  if (mode == "flap" || mode == "fail") {
    if (mode == "flap" && g_flaps.fetch_add(1) % 2 == 1) return conn.Write(OkAnswer());
    const int status = mode == "flap" ? 503 : 500;
    const std::string body = R"({"message":"upstream failure","type":"internal_error"})";
    return conn.Write("HTTP/1.1 " + std::to_string(status) +
                      (status == 503 ? " Service Unavailable" : " Internal Server Error") +
                      "\r\nContent-Type: application/json\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n" + body);
  }
  if (mode == "hang") {
    ++g_hanging;
    conn.WaitForPeerClose(std::chrono::seconds(kIdleSeconds));
    --g_hanging;
    return false;
  }
  if (mode == "slow") {
    ++g_hanging;
    std::string answer = OkAnswer();
    for (char c : answer) {
      if (!conn.Write(std::string_view(&c, 1))) break;
      std::this_thread::sleep_for(100ms);
    }
    --g_hanging;
    return false;
  }
  if (mode == "reset") {
    conn.Write(Head(200, "Content-Type: application/json\r\nContent-Length: 1000\r\n") +
               R"({"jwts":[{"jti":"9c3c4bd6-07b1-4f55-9e7a-5c8d4e1f2a3b","issuer_id":)");
    std::this_thread::sleep_for(20ms);
    conn.Reset();
    return false;
  }
  if (mode == "garbage") {
    static constexpr char kGarbage[] = "\x16\x03\x01\x00\xff\xfe garbage \x00\x01\r\n\r\n";
    conn.Write(std::string_view(kGarbage, sizeof kGarbage - 1));  // NULs included
    return false;
  }
  if (mode == "badstatus") {
    conn.Write("HTTP/1.1 2OO OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
    return false;
  }
  if (mode == "echo") {
    conn.Write(request);
    return false;
  }
  if (mode == "huge" || mode == "hugechunked") {
    const bool chunked = mode == "hugechunked";
    std::string head =
        chunked ? Head(200, "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n")
                : Head(200, "Content-Type: application/json\r\nContent-Length: " +
                                std::to_string(kHugeBytes) + "\r\n");
    g_huge_sent = 0;
    if (!conn.Write(head)) return false;
    std::string block(64 * 1024, ' ');
    block.front() = '[';
    char size_line[32];
    std::snprintf(size_line, sizeof size_line, "%zx\r\n", block.size());
    for (std::size_t sent = 0; sent < kHugeBytes; sent += block.size()) {
      if (chunked && !conn.Write(size_line)) break;
      if (!conn.Write(block)) break;
      if (chunked && !conn.Write("\r\n")) break;
      g_huge_sent = static_cast<long>(sent + block.size());
    }
    if (chunked) conn.Write("0\r\n\r\n");
    return false;
  }
  if (mode == "headersonly") {
    conn.Write(Head(200, "Content-Type: application/json\r\nContent-Length: 1000\r\n"));
    return false;
  }
  if (mode == "interim") {
    return conn.Write(
        "HTTP/1.1 100 Continue\r\n\r\n"
        "HTTP/1.1 103 Early Hints\r\nLink: </jwts.css>; rel=preload\r\n\r\n" +
        OkAnswer());
  }
  if (mode == "stray") {
    return conn.Write(OkAnswer() + kStray);
  }
  if (mode == "switching") {
    conn.Write(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n");
    return false;
  }
  if (mode == "badcode") {
    conn.Write("HTTP/1.1 999 Odd\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
    return false;
  }
  if (mode == "truncjson") {
    return conn.Write(Head(200, "Content-Type: application/json\r\nContent-Length: 9\r\n") +
                      R"({"jwts":[)");
  }
  static const std::string unknown = R"({"message":"unknown mode","type":"not_found"})";
  conn.Write(Head(404, "Content-Type: application/json\r\nContent-Length: " +
                           std::to_string(unknown.size()) + "\r\n") +
             unknown);
  return false;
}

std::string Stats() {
  // Neither "open" nor "accepted" counts the connection asking for the counters.
  return "{\"open\":" + std::to_string(g_open.load() - 1) +
         ",\"hanging\":" + std::to_string(g_hanging.load()) +
         ",\"idle\":" + std::to_string(g_idle.load()) +
         ",\"requests\":" + std::to_string(g_requests.load()) +
         ",\"accepted\":" + std::to_string(g_accepted.load()) +
         ",\"huge_sent\":" + std::to_string(g_huge_sent.load()) +
         ",\"tls_failed\":" + std::to_string(g_tls_failed.load()) + "}";
}

void Serve(Conn& conn) {
  std::string buffer;
  char chunk[16384];
  for (;;) {
    std::size_t end;
    ++g_idle;
    while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
      std::size_t n = buffer.size() < 64 * 1024 ? conn.Read(chunk, sizeof chunk) : 0;
      if (n == 0) {
        --g_idle;
        return;
      }
      buffer.append(chunk, n);
    }
    --g_idle;
    std::string request = buffer.substr(0, end + 4);
    buffer.erase(0, end + 4);
    std::size_t sp1 = request.find(' ');
    std::size_t sp2 = request.find(' ', sp1 + 1);
    std::string target = request.substr(sp1 + 1, sp2 - sp1 - 1);
    if (target == "/__stats") {
      --g_accepted;
      std::string body = Stats();
      conn.Write(Head(200,
                      "Content-Type: application/json\r\nConnection: close\r\n"
                      "Content-Length: " +
                          std::to_string(body.size()) + "\r\n") +
                 body);
      return;
    }
    ++g_requests;
    std::string mode = QueryValue(target, "order_by");
    if (mode.empty()) mode = "ok";
    if (!Answer(conn, mode, request)) return;
  }
}

int BindLoopback() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) Die("socket");
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) Die("bind");
  return fd;
}

int PortOf(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) Die("getsockname");
  return ntohs(addr.sin_port);
}

void AcceptLoop(int listener, SSL_CTX* tls) {
  for (;;) {
    int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE) continue;
      Die("accept");
    }
    ++g_accepted;
    std::thread([fd, tls] {
      ++g_open;
      timeval tv{kIdleSeconds, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      timeval wtv{10, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &wtv, sizeof wtv);
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      SSL* ssl = nullptr;
      if (tls != nullptr) {
        ssl = SSL_new(tls);
        SSL_set_fd(ssl, fd);
        if (SSL_accept(ssl) != 1) {
          ++g_tls_failed;
          SSL_free(ssl);
          ::close(fd);
          ERR_clear_error();
          --g_open;
          return;
        }
      }
      {
        Conn conn(fd, ssl);
        Serve(conn);
      }
      ERR_clear_error();
      --g_open;
    }).detach();
  }
}

// A fresh P-256 key and a self-signed certificate for 127.0.0.1 and localhost, valid for a day.
SSL_CTX* MakeTlsContext(const std::string& cert_out) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  X509* cert = X509_new();
  if (key == nullptr || cert == nullptr) Die("key generation");
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), static_cast<long>(::getpid()));
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* san =
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
  if (san == nullptr) Die("subjectAltName");
  X509_add_ext(cert, san, -1);
  X509_EXTENSION_free(san);
  if (X509_sign(cert, key, EVP_sha256()) == 0) Die("X509_sign");
  if (!cert_out.empty()) {
    FILE* f = std::fopen(cert_out.c_str(), "w");
    if (f == nullptr || PEM_write_X509(f, cert) != 1) Die("writing " + cert_out);
    std::fclose(f);
  }
  SSL_CTX* tls = SSL_CTX_new(TLS_server_method());
  if (tls == nullptr || SSL_CTX_use_certificate(tls, cert) != 1 ||
      SSL_CTX_use_PrivateKey(tls, key) != 1) {
    Die("TLS context");
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  return tls;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cert_out;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--cert-out" && i + 1 < argc) {
      cert_out = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: faulty_upstream [--cert-out FILE]\n"
                   "  FILE receives the self-signed certificate (PEM) of the https port\n");
      return 2;
    }
  }
  ::signal(SIGPIPE, SIG_IGN);
  SSL_CTX* tls = MakeTlsContext(cert_out);

  int http = BindLoopback();
  int https = BindLoopback();
  int refused = BindLoopback();  // bound, never listening: the port stays ours and refuses
  int blackhole = BindLoopback();
  if (::listen(http, 1024) != 0 || ::listen(https, 1024) != 0 || ::listen(blackhole, 0) != 0) {
    Die("listen");
  }
  std::printf("http http://127.0.0.1:%d\n", PortOf(http));
  std::printf("https https://127.0.0.1:%d\n", PortOf(https));
  std::printf("refused http://127.0.0.1:%d\n", PortOf(refused));
  std::printf("blackhole http://127.0.0.1:%d\n", PortOf(blackhole));
  std::printf("ready\n");
  std::fflush(stdout);

  std::thread secure([https, tls] { AcceptLoop(https, tls); });
  AcceptLoop(http, nullptr);
  secure.join();
  return 0;
}
