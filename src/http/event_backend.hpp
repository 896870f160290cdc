// The kernel interface under every event loop (io_uring or epoll, fixed at build time by
// CAPSTAN_IO_URING), a check that it works on this host before any loop starts, and the switch
// to the epoll twin of an io_uring build where it does not.
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

// In an io_uring build on a host that refuses io_uring: replaces this process (execv, the same
// arguments) with its epoll build, after one line on stderr that says so. The epoll build is the
// file CAPSTAN_EPOLL_BINARY names (set but empty: no switch), else `<this program's name>-epoll`
// beside the executable or in ../lib/capstan/ (the package's layout). Returns, having done
// nothing, where io_uring works, in epoll builds and where no epoll build is found; the caller
// then meets CheckEventBackend()'s refusal. Call it first thing in main().
void RunEpollTwinIfNeeded(char** argv);

}  // namespace capstan::http
