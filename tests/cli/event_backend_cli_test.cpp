// `capstan` on a host where the build's event-loop backend cannot run: io_uring blocked the way
// Docker's default seccomp profile blocks it (EPERM from io_uring_setup). An io_uring build runs
// its epoll twin (bin/capstan-epoll) instead, saying so on stderr; with no twin (or
// CAPSTAN_EPOLL_BINARY set empty), `serve` and `call` stop at once with exit 1 and a message that
// says what to do, not an exception from the first socket. Skipped in epoll builds.
#include <cerrno>
#include <csignal>
#include <cstddef>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

#if defined(BOOST_ASIO_HAS_IO_URING) && (defined(__x86_64__) || defined(__aarch64__))

const std::string kSeed = std::string(CAPSTAN_SOURCE_DIR) + "/capabilities/scaleway-iam-jwts.yaml";

struct Outcome {
  int exit_code = -1;
  std::string err;
};

#if defined(__x86_64__)
constexpr unsigned kAuditArch = AUDIT_ARCH_X86_64;
#else
constexpr unsigned kAuditArch = AUDIT_ARCH_AARCH64;
#endif

// In the child: io_uring_setup fails with EPERM from now on, for this process and what it execs.
void BlockIoUring() {
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kAuditArch, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog program{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
    ::_exit(121);
  }
}

// Runs capstan with `args` under the filter, CAPSTAN_EPOLL_BINARY set to `twin` unless null; its
// stdout and stderr (one stream) and exit code, 10 s at most. Once the output holds `stop_at`
// (when given), capstan gets SIGTERM.
Outcome RunWithoutIoUring(const std::vector<std::string>& args, const char* twin = "",
                          const std::string& stop_at = "") {
  Outcome out;
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return out;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    ::dup2(pipe_fds[1], STDERR_FILENO);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    if (twin != nullptr) ::setenv("CAPSTAN_EPOLL_BINARY", twin, 1);
    ::setenv("SCALEWAY_API_KEY", "test-key", 1);  // the seed's bind (serve loads it)
    BlockIoUring();
    std::vector<char*> argv;
    std::string binary = CAPSTAN_BINARY;
    argv.push_back(binary.data());
    std::vector<std::string> copy = args;
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  char buffer[4096];
  pollfd p{pipe_fds[0], POLLIN, 0};
  while (::poll(&p, 1, 10000) > 0) {
    const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (n <= 0) break;
    out.err.append(buffer, static_cast<std::size_t>(n));
    if (!stop_at.empty() && out.err.find(stop_at) != std::string::npos) ::kill(pid, SIGTERM);
  }
  ::close(pipe_fds[0]);
  // Its stderr is closed: it has exited or is about to. Still running after 10 s: it did not stop.
  int status = 0;
  for (int waited_ms = 0; ::waitpid(pid, &status, WNOHANG) == 0; waited_ms += 10) {
    if (waited_ms >= 10000) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return out;
    }
    ::usleep(10000);
  }
  if (WIFEXITED(status)) out.exit_code = WEXITSTATUS(status);
  return out;
}

void ExpectClearRefusal(const Outcome& out) {
  EXPECT_EQ(out.exit_code, 1) << out.err;
  EXPECT_NE(out.err.find("io_uring is not available on this host (Operation not permitted)"),
            std::string::npos)
      << out.err;
  EXPECT_NE(out.err.find("-DCAPSTAN_IO_URING=OFF"), std::string::npos) << out.err;
  EXPECT_EQ(out.err.find("terminate"), std::string::npos) << out.err;  // no uncaught exception
}

TEST(EventBackendCliTest, ServeStopsWithAClearMessageWhenIoUringIsBlocked) {
  ExpectClearRefusal(
      RunWithoutIoUring({"serve", kSeed, "--port", "iam-jwts-rest=0", "--port", "iam-jwts-mcp=0"}));
}

TEST(EventBackendCliTest, CallStopsWithAClearMessageWhenIoUringIsBlocked) {
  ExpectClearRefusal(RunWithoutIoUring({"call", "-c", kSeed, "iam-jwts.listjwts"}));
}

// The twin the build puts beside the binary, found without CAPSTAN_EPOLL_BINARY.
TEST(EventBackendCliTest, RunsTheEpollTwinWhenIoUringIsBlocked) {
  const Outcome version = RunWithoutIoUring({"version"}, nullptr);
  EXPECT_EQ(version.exit_code, 0) << version.err;
  EXPECT_NE(version.err.find("io_uring is not available on this host (Operation not permitted): "
                             "running the epoll build "),
            std::string::npos)
      << version.err;
  EXPECT_NE(version.err.find("capstan-epoll"), std::string::npos) << version.err;
  EXPECT_NE(version.err.find("event backend: epoll"), std::string::npos) << version.err;

  const Outcome serve =
      RunWithoutIoUring({"serve", kSeed, "--port", "iam-jwts-rest=0", "--port", "iam-jwts-mcp=0"},
                        nullptr, "mcp adapter");
  EXPECT_NE(serve.err.find("running the epoll build"), std::string::npos) << serve.err;
  EXPECT_NE(serve.err.find("rest adapter"), std::string::npos) << serve.err;
  EXPECT_NE(serve.err.find("listening on http://127.0.0.1:"), std::string::npos) << serve.err;
  EXPECT_EQ(serve.exit_code, 0) << serve.err;  // stopped by SIGTERM, gracefully
}

TEST(EventBackendCliTest, ANamedTwinThatCannotRunLeavesTheRefusal) {
  ExpectClearRefusal(
      RunWithoutIoUring({"call", "-c", kSeed, "iam-jwts.listjwts"}, "/nonexistent/capstan-epoll"));
}
#else
TEST(EventBackendCliTest, ServeStopsWithAClearMessageWhenIoUringIsBlocked) {
  GTEST_SKIP() << "this build runs its event loops on epoll (the default; CAPSTAN_IO_URING=ON "
                  "builds on io_uring), or the seccomp filter has no architecture constant here";
}
#endif

}  // namespace
