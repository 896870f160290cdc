// P4 helper: opens N keep-alive connections to a loopback HTTP server, sends one GET on each,
// reads each answer whole, prints "holding N" and keeps them open until stdin closes.
//
// Usage: hold_connections --port P --path /x [--count N] [--header "Name: value"]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

// Reads one response with a Content-Length body; false on error or close.
bool ReadResponse(int fd) {
  std::string data;
  char buf[16384];
  std::size_t need = std::string::npos;
  while (need == std::string::npos || data.size() < need) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    data.append(buf, static_cast<std::size_t>(n));
    if (need == std::string::npos) {
      std::size_t end = data.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      std::size_t cl = data.find("Content-Length:");
      if (cl == std::string::npos || cl > end) cl = data.find("content-length:");
      if (cl == std::string::npos || cl > end) return false;
      need = end + 4 + std::strtoul(data.c_str() + cl + 15, nullptr, 10);
    }
  }
  return data.compare(9, 3, "200") == 0;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  int count = 1000;
  std::string path = "/";
  std::string extra;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string arg = argv[i];
    if (arg == "--port") port = std::atoi(argv[i + 1]);
    if (arg == "--count") count = std::atoi(argv[i + 1]);
    if (arg == "--path") path = argv[i + 1];
    if (arg == "--header") extra += std::string(argv[i + 1]) + "\r\n";
  }
  if (port <= 0 || count <= 0) {
    std::fprintf(stderr, "usage: hold_connections --port P --path /x [--count N]\n");
    return 2;
  }
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + "\r\n";
  std::vector<int> fds;
  for (int i = 0; i < count; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(request.size()) ||
        !ReadResponse(fd)) {
      std::fprintf(stderr, "connection %d failed: %s\n", i + 1, std::strerror(errno));
      return 1;
    }
    fds.push_back(fd);
  }
  std::printf("holding %zu\n", fds.size());
  std::fflush(stdout);
  pollfd in{0, POLLIN, 0};
  while (::poll(&in, 1, -1) > 0) {
    char c;
    if (::read(0, &c, 1) <= 0) break;
  }
  for (int fd : fds) ::close(fd);
  return 0;
}
