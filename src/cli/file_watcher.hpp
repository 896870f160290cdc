// `capstan serve --watch`: inotify on the loaded capability files (and the directories given as
// arguments); a change raises SIGHUP in the process after a short quiet period, so that the
// reload runs where the other signals are handled. docs/operations.md shows it.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/result.hpp"

namespace capstan::cli {

class FileWatcher {
 public:
  // Watches the directory of every file in `files`, for those names, and every directory in
  // `args`, for any *.yaml or *.yml. Names starting with ".." count too: Kubernetes swaps a
  // ConfigMap volume's `..data` link to update its files.
  [[nodiscard]] static core::Result<std::unique_ptr<FileWatcher>> Start(
      const std::vector<std::string>& args, const std::vector<std::string>& files);
  ~FileWatcher();
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  // True once for each SIGHUP this watcher raised.
  [[nodiscard]] bool TakeChanged() { return changed_.exchange(false); }

 private:
  struct Directory {
    std::string path;
    bool any_yaml = false;
    std::set<std::string> names;
  };
  FileWatcher() = default;
  void Run();
  [[nodiscard]] bool Relevant(int wd, const std::string& name) const;

  int inotify_fd_ = -1;
  int wake_fd_ = -1;
  std::map<int, Directory> directories_;  // by watch descriptor
  std::atomic<bool> changed_{false};
  std::thread thread_;
};

}  // namespace capstan::cli
