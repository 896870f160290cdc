#include "http/event_backend.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#include <unistd.h>

#if defined(BOOST_ASIO_HAS_IO_URING)
#include <liburing.h>
#endif

namespace capstan::http {

std::string_view EventBackend() {
#if defined(BOOST_ASIO_HAS_IO_URING)
  return "io_uring";
#else
  return "epoll";
#endif
}

namespace {

core::Status ProbeEventBackend() {
#if defined(BOOST_ASIO_HAS_IO_URING)
  // What Asio's io_uring service does first in every event loop; here it fails as a Status
  // instead of an exception thrown from the first socket.
  io_uring ring{};
  const int result = io_uring_queue_init(8, &ring, 0);
  if (result < 0) {
    return core::Fail(core::ErrorCode::kUnavailable,
                      std::string("io_uring is not available on this host (") +
                          std::strerror(-result) +
                          "); this capstan was built for it: allow io_uring_setup, "
                          "io_uring_enter and io_uring_register (a seccomp profile may block "
                          "them), or rebuild with -DCAPSTAN_IO_URING=OFF for epoll");
  }
  io_uring_queue_exit(&ring);
#endif
  return {};
}

}  // namespace

core::Status CheckEventBackend() {
  // The CLI asks before it opens anything and every Server::Start asks again: the host does not
  // change in between, so the probe runs once per process.
  static const core::Status checked = ProbeEventBackend();
  return checked;
}

void RunEpollTwinIfNeeded(char** argv) {
#if defined(BOOST_ASIO_HAS_IO_URING)
  const core::Status usable = CheckEventBackend();
  if (usable) return;
  std::string twin;
  if (const char* named = std::getenv("CAPSTAN_EPOLL_BINARY")) {
    twin = named;
  } else {
    std::error_code ec;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return;
    const std::string name = self.filename().string() + "-epoll";
    for (const auto& dir : {self.parent_path(), self.parent_path().parent_path() / "lib/capstan"}) {
      const std::filesystem::path candidate = dir / name;
      if (::access(candidate.c_str(), X_OK) == 0) {
        twin = candidate.string();
        break;
      }
    }
  }
  if (twin.empty()) return;
  // The refusal's reason, without its advice (the twin is that advice taken).
  std::string reason = usable.error().message;
  reason = reason.substr(0, reason.find(';'));
  std::fprintf(stderr, "%s: %s: running the epoll build %s\n", argv[0], reason.c_str(),
               twin.c_str());
  std::fflush(stderr);
  ::execv(twin.c_str(), argv);
  std::fprintf(stderr, "%s: cannot run %s: %s\n", argv[0], twin.c_str(), std::strerror(errno));
#else
  (void)argv;
#endif
}

}  // namespace capstan::http
