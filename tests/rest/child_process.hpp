// Test helper: runs a built binary (capstan, scaleway-iam-sim) as a child process with its stdout
// on a pipe (read line by line, with a deadline) and its stderr in a temporary file (read whole,
// for access logs). The destructor stops the child (SIGTERM, then SIGKILL after 5 s) and reaps
// it, so that a failing test never leaves a process behind.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace capstan::test_support {

class ChildProcess {
 public:
  // Starts `argv[0]` with `argv`. `env` entries are added to (or replace) the environment.
  ChildProcess(std::vector<std::string> argv, const std::map<std::string, std::string>& env = {}) {
    static int counter = 0;
    err_path_ =
        std::filesystem::temp_directory_path() /
        ("capstan-child-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + ".err");
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return;
    int err_fd = ::open(err_path_.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
    std::map<std::string, std::string> vars;
    for (char** e = environ; *e != nullptr; ++e) {
      std::string entry(*e);
      std::size_t eq = entry.find('=');
      if (eq != std::string::npos) vars[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    for (const auto& [k, v] : env) vars[k] = v;
    std::vector<std::string> env_strings;
    for (const auto& [k, v] : vars) env_strings.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::dup2(err_fd, 2);
      int devnull = ::open("/dev/null", O_RDONLY);
      ::dup2(devnull, 0);
      ::execve(args[0], args.data(), envp.data());
      std::_Exit(127);
    }
    ::close(out[1]);
    ::close(err_fd);
    out_fd_ = out[0];
  }

  ~ChildProcess() {
    Stop();
    if (out_fd_ >= 0) ::close(out_fd_);
    std::error_code ec;
    std::filesystem::remove(err_path_, ec);
  }

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] bool started() const { return pid_ > 0; }

  // Reads stdout lines until one matches `pattern` (first capture group returned), the child
  // closes stdout, or `timeout` passes.
  std::optional<std::string> WaitForLine(
      const std::regex& pattern, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      std::size_t nl;
      while ((nl = out_buffer_.find('\n')) != std::string::npos) {
        std::string line = out_buffer_.substr(0, nl);
        out_buffer_.erase(0, nl + 1);
        out_lines_.push_back(line);
        std::smatch m;
        if (std::regex_search(line, m, pattern)) return m.size() > 1 ? m[1].str() : m[0].str();
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || out_fd_ < 0) return std::nullopt;
      pollfd p{out_fd_, POLLIN, 0};
      int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready <= 0) continue;
      char buffer[4096];
      ssize_t n = ::read(out_fd_, buffer, sizeof buffer);
      if (n <= 0) {
        ::close(out_fd_);
        out_fd_ = -1;
        return std::nullopt;
      }
      out_buffer_.append(buffer, static_cast<std::size_t>(n));
    }
  }

  // Everything written on stderr so far.
  [[nodiscard]] std::string Stderr() const {
    std::string text;
    if (FILE* f = std::fopen(err_path_.c_str(), "rb")) {
      char buffer[8192];
      std::size_t n = 0;
      while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) text.append(buffer, n);
      std::fclose(f);
    }
    return text;
  }

  [[nodiscard]] std::vector<std::string> StderrLines() const {
    std::vector<std::string> lines;
    std::string text = Stderr();
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t end = text.find('\n', start);
      if (end == std::string::npos) break;  // a partial last line is not complete yet
      lines.push_back(text.substr(start, end - start));
      start = end + 1;
    }
    return lines;
  }

  // Polls stderr (every 5 ms, up to `timeout`) until `done(lines)` is true.
  bool WaitForStderr(const std::function<bool(const std::vector<std::string>&)>& done,
                     std::chrono::milliseconds timeout = std::chrono::seconds(5)) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (done(StderrLines())) return true;
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  // Sends `sig` to the child (if it still runs). Returns false when it could not be sent.
  bool Signal(int sig) { return pid_ > 0 && ::kill(pid_, sig) == 0; }

  // Waits up to `timeout` for the child to exit and reaps it. Returns the exit status (as from
  // waitpid), or nothing while it still runs; then it can still be waited for or stopped.
  std::optional<int> WaitForExit(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return status_;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_ || r < 0) {
        status_ = r == pid_ ? status : -1;
        pid_ = -1;
        return status_;
      }
      if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }

  // True while the child runs (one that exited is reaped here).
  [[nodiscard]] bool Running() {
    return pid_ > 0 && !WaitForExit(std::chrono::milliseconds(0)).has_value();
  }

  // SIGTERM, then SIGKILL if the child has not exited after `grace`. Returns the exit status
  // (as from waitpid) or -1.
  int Stop(std::chrono::milliseconds grace = std::chrono::seconds(5)) {
    if (pid_ <= 0) return status_;
    ::kill(pid_, SIGTERM);
    if (auto status = WaitForExit(grace)) return *status;
    ::kill(pid_, SIGKILL);
    int status = 0;
    status_ = ::waitpid(pid_, &status, 0) == pid_ ? status : -1;
    pid_ = -1;
    return status_;
  }

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  int out_fd_ = -1;
  std::string out_buffer_;
  std::vector<std::string> out_lines_;
  std::filesystem::path err_path_;
};

}  // namespace capstan::test_support
