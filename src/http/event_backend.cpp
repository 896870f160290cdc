#include "http/event_backend.hpp"

#include <cstring>
#include <string>

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

}  // namespace capstan::http
