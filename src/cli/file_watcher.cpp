#include "cli/file_watcher.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

namespace capstan::cli {
namespace {

// Editors and tools write in bursts (truncate, write, rename, chmod): one reload per burst.
constexpr int kQuietMs = 150;
constexpr std::uint32_t kMask =
    IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB;

bool IsYaml(const std::string& name) {
  auto ends = [&](std::string_view suffix) {
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends(".yaml") || ends(".yml");
}

}  // namespace

core::Result<std::unique_ptr<FileWatcher>> FileWatcher::Start(
    const std::vector<std::string>& args, const std::vector<std::string>& files) {
  std::unique_ptr<FileWatcher> w(new FileWatcher());
  w->inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (w->inotify_fd_ < 0) {
    return core::Fail(core::ErrorCode::kIo, std::string("inotify_init1: ") + std::strerror(errno) +
                                                " (fs.inotify.max_user_instances may be reached)");
  }
  w->wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (w->wake_fd_ < 0) return core::Fail(core::ErrorCode::kIo, "eventfd failed");
  std::map<std::string, Directory> by_path;
  std::error_code ec;
  for (const std::string& f : files) {
    std::filesystem::path p = std::filesystem::absolute(f, ec);
    Directory& d = by_path[p.parent_path().string()];
    d.names.insert(p.filename().string());
  }
  for (const std::string& a : args) {
    if (!std::filesystem::is_directory(a, ec)) continue;
    by_path[std::filesystem::absolute(a, ec).lexically_normal().string()].any_yaml = true;
  }
  for (auto& [path, dir] : by_path) {
    std::string clean = std::filesystem::path(path).lexically_normal().string();
    if (clean.size() > 1 && clean.back() == '/') clean.pop_back();
    int wd = inotify_add_watch(w->inotify_fd_, clean.c_str(), kMask);
    if (wd < 0) {
      return core::Fail(core::ErrorCode::kIo,
                        "cannot watch " + clean + ": " + std::strerror(errno));
    }
    Directory& into = w->directories_[wd];  // two spellings of one directory share a wd
    into.path = clean;
    into.any_yaml = into.any_yaml || dir.any_yaml;
    into.names.insert(dir.names.begin(), dir.names.end());
  }
  w->thread_ = std::thread([raw = w.get()] { raw->Run(); });
  return w;
}

FileWatcher::~FileWatcher() {
  if (thread_.joinable()) {
    std::uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
    thread_.join();
  }
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

bool FileWatcher::Relevant(int wd, const std::string& name) const {
  auto it = directories_.find(wd);
  if (it == directories_.end()) return false;
  const Directory& d = it->second;
  return d.names.count(name) > 0 || (d.any_yaml && IsYaml(name)) || name.rfind("..", 0) == 0;
}

void FileWatcher::Run() {
  bool pending = false;
  alignas(inotify_event) char buffer[16 * 1024];
  while (true) {
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    int ready = ::poll(fds, 2, pending ? kQuietMs : -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if (ready == 0) {  // quiet after a change
      pending = false;
      changed_.store(true);
      ::kill(::getpid(), SIGHUP);
      continue;
    }
    while (true) {
      ssize_t n = ::read(inotify_fd_, buffer, sizeof buffer);
      if (n <= 0) break;
      for (char* p = buffer; p < buffer + n;) {
        auto* event = reinterpret_cast<inotify_event*>(p);
        std::string name = event->len > 0 ? std::string(event->name) : std::string();
        if ((event->mask & IN_Q_OVERFLOW) != 0 || Relevant(event->wd, name)) pending = true;
        p += sizeof(inotify_event) + event->len;
      }
    }
  }
}

}  // namespace capstan::cli
