#include "http/route.hpp"

#include <algorithm>

#include "core/percent.hpp"

namespace capstan::http {

core::Result<std::vector<std::string_view>> SplitPathRaw(std::string_view path) {
  if (path.empty() || path.front() != '/') {
    return core::Fail(core::ErrorCode::kInvalidArgument, "path must start with '/'");
  }
  std::vector<std::string_view> out;
  out.reserve(static_cast<std::size_t>(std::count(path.begin(), path.end(), '/')));
  std::size_t start = 1;
  while (true) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) {
      out.push_back(path.substr(start));
      break;
    }
    out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

core::Result<std::vector<std::string>> SplitPath(std::string_view path) {
  CAPSTAN_ASSIGN_OR_RETURN(std::vector<std::string_view> raw, SplitPathRaw(path));
  std::vector<std::string> out;
  out.reserve(raw.size());
  for (std::string_view segment : raw) {
    auto decoded = core::PercentDecode(segment, /*plus_is_space=*/false);
    if (!decoded) {
      return core::Fail(
          core::ErrorCode::kInvalidArgument,
          decoded.error().message + " in path segment \"" + std::string(segment) + "\"");
    }
    if (decoded->find('\0') != std::string::npos) {
      return core::Fail(core::ErrorCode::kInvalidArgument,
                        "NUL byte in path segment \"" + std::string(segment) + "\"");
    }
    out.push_back(std::move(*decoded));
  }
  return out;
}

std::optional<std::string_view> StripPathPrefix(std::string_view path, std::string_view prefix) {
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  if (prefix.empty()) return path;
  if (path.size() < prefix.size() || path.substr(0, prefix.size()) != prefix) return std::nullopt;
  std::string_view rest = path.substr(prefix.size());
  if (!rest.empty() && rest.front() != '/') return std::nullopt;
  return rest;
}

}  // namespace capstan::http
