// ZIP archives in memory (libzip), for `GET /skills/{name}/download`: deflated entries with a
// fixed timestamp, so that one skill always gives the same bytes.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace capstan::skill {

struct ZipEntry {
  std::string name;        // path inside the archive, '/'-separated
  std::string_view bytes;  // must outlive the call
};

[[nodiscard]] core::Result<std::string> MakeZip(const std::vector<ZipEntry>& entries);

// The entries of an archive (name, bytes), for tests and checks.
[[nodiscard]] core::Result<std::vector<std::pair<std::string, std::string>>> ReadZip(
    std::string_view archive);

}  // namespace capstan::skill
