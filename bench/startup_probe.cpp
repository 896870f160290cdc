// P5 start-up probe: starts a server command, then polls a loopback port with a GET until the
// answer is "200"; prints the time from fork to that first 200, over several runs.
//
// Usage: startup_probe [--runs N] --port P --path /x -- COMMAND ARGS...
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

using Clock = std::chrono::steady_clock;

// One GET on a fresh connection; true when the status line says 200.
bool GetIs200(int port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    std::string request =
        "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      char head[16] = {};
      std::size_t got = 0;
      while (got < 12) {
        ssize_t n = ::recv(fd, head + got, 12 - got, 0);
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
      }
      ok = got >= 12 && std::strncmp(head + 9, "200", 3) == 0;
    }
  }
  ::close(fd);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 10;
  int port = 0;
  std::string path = "/";
  int i = 1;
  for (; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (i + 1 >= argc) break;
    if (arg == "--runs") runs = std::atoi(argv[++i]);
    if (arg == "--port") port = std::atoi(argv[++i]);
    if (arg == "--path") path = argv[++i];
  }
  if (port <= 0 || i >= argc || runs <= 0) {
    std::fprintf(stderr, "usage: startup_probe [--runs N] --port P --path /x -- COMMAND ARGS...\n");
    return 2;
  }
  std::vector<double> times;
  for (int run = 0; run < runs; ++run) {
    auto start = Clock::now();
    pid_t pid = ::fork();
    if (pid == 0) {
      // The server's own output would mix with ours (and could hit a closed pipe).
      int devnull = ::open("/dev/null", O_RDWR);
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
      ::execv(argv[i], argv + i);
      std::perror("execv");
      std::_Exit(127);
    }
    bool up = false;
    while (Clock::now() - start < std::chrono::seconds(10)) {
      if (GetIs200(port, path)) {
        up = true;
        break;
      }
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) break;  // the server died
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    auto elapsed = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
    if (!up) {
      std::fprintf(stderr, "run %d: no 200 on port %d within 10 s\n", run + 1, port);
      return 1;
    }
    times.push_back(elapsed);
  }
  std::sort(times.begin(), times.end());
  std::printf("runs %zu min_ms %.1f median_ms %.1f max_ms %.1f\n", times.size(), times.front(),
              times[times.size() / 2], times.back());
  return 0;
}
