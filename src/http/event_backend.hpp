// The kernel interface under every event loop (io_uring or epoll, fixed at build time by
// CAPSTAN_IO_URING), and a check that it works on this host before any loop starts.
#pragma once

#include <string_view>

#include "core/result.hpp"

namespace capstan::http {

// "io_uring" or "epoll".
[[nodiscard]] std::string_view EventBackend();

// Fails with a message that says what to do where the build's backend cannot run here: a
// seccomp profile that blocks io_uring (Docker's default since 25.0), io_uring disabled by
// sysctl, or a kernel without it. Probed once per process (later calls give the same answer);
// call it before creating event loops.
[[nodiscard]] core::Status CheckEventBackend();

}  // namespace capstan::http
