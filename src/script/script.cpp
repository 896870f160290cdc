#include "script/script.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "core/percent.hpp"
#include "core/utf8.hpp"
#include "script/internal/duktape_engine.hpp"

namespace capstan::script {
namespace {

namespace fs = std::filesystem;
using core::ErrorCode;

constexpr std::uintmax_t kMaxSourceBytes = 4 << 20;

Limits WithDefaults(Limits limits) {
  const Limits defaults;
  if (limits.timeout_ms <= 0) limits.timeout_ms = defaults.timeout_ms;
  if (limits.statement_limit <= 0) limits.statement_limit = defaults.statement_limit;
  if (limits.max_memory_bytes == 0) limits.max_memory_bytes = defaults.max_memory_bytes;
  if (limits.max_output_bytes == 0) limits.max_output_bytes = defaults.max_output_bytes;
  return limits;
}

core::Status CheckLanguage(std::string_view language) {
  if (language == "javascript" || language == "js") return core::Ok();
  if (language.empty()) {
    return core::Fail(ErrorCode::kInvalidArgument, "script step has no 'language' (javascript)");
  }
  if (language == "python" || language == "groovy") {
    return core::Fail(ErrorCode::kInvalidArgument,
                      fmt::format("script language '{}' is not supported by this build; "
                                  "javascript is",
                                  language));
  }
  return core::Fail(ErrorCode::kInvalidArgument,
                    fmt::format("unknown script language '{}' (javascript, python or groovy; "
                                "this build runs javascript)",
                                language));
}

// The step's directory: `file:///abs/dir`, `file:///./rel` (relative to base_dir, as imports
// are in spec/loader.cpp), a plain path, or empty for base_dir itself. Canonical (symlinks
// resolved) so that containment checks compare real paths.
core::Result<fs::path> ResolveLocation(std::string_view location, const std::string& base_dir) {
  std::string raw(location);
  constexpr std::string_view kFileScheme = "file://";
  if (raw.rfind(kFileScheme, 0) == 0) {
    auto decoded = core::PercentDecode(raw.substr(kFileScheme.size()));
    if (!decoded || decoded->empty() || decoded->front() != '/') {
      return core::Fail(ErrorCode::kInvalidArgument,
                        fmt::format("script location '{}' is not a file:/// URI", location));
    }
    raw = std::move(*decoded);
    if (raw.rfind("/./", 0) == 0 || raw.rfind("/../", 0) == 0) raw = raw.substr(1);
  } else if (raw.find("://") != std::string::npos) {
    return core::Fail(ErrorCode::kInvalidArgument,
                      fmt::format("script location '{}' is not a file:/// URI", location));
  }
  fs::path dir(raw);
  if (dir.is_relative()) dir = (base_dir.empty() ? fs::path(".") : fs::path(base_dir)) / dir;
  std::error_code ec;
  fs::path root = fs::canonical(dir, ec);
  if (ec) {
    return core::Fail(ErrorCode::kNotFound,
                      fmt::format("script location '{}' ({}): {}", location.empty() ? "" : location,
                                  dir.string(), ec.message()));
  }
  if (!fs::is_directory(root, ec)) {
    return core::Fail(ErrorCode::kInvalidArgument,
                      fmt::format("script location '{}' is not a directory", root.string()));
  }
  return root;
}

// Whether `path` lies strictly inside `root` (both canonical or both lexically normal).
bool Inside(const fs::path& root, const fs::path& path) {
  auto [r, p] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  if (r != root.end()) return r == std::prev(root.end()) && r->empty() && p != path.end();
  return p != path.end();
}

bool SafeSegment(const std::string& segment) {
  return !segment.empty() && std::all_of(segment.begin(), segment.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

// Resolves a `file` or `dependencies` entry inside `root` and reads it. Like the reference
// engine: relative, segments of [A-Za-z0-9._-] only, and neither `..` nor a symlink may lead
// out of the location.
core::Result<std::pair<std::string, std::string>> ReadInside(const fs::path& root,
                                                             const std::string& relative) {
  auto escapes = [&] {
    return core::Fail(
        ErrorCode::kInvalidArgument,
        fmt::format("script file '{}' escapes its location '{}'", relative, root.string()));
  };
  if (relative.empty()) return core::Fail(ErrorCode::kInvalidArgument, "script step has no 'file'");
  fs::path rel(relative);
  if (rel.has_root_path()) return escapes();
  for (const fs::path& segment : rel) {
    if (!SafeSegment(segment.string())) {
      return core::Fail(ErrorCode::kInvalidArgument,
                        fmt::format("script file '{}': unsafe path segment '{}' (letters, digits, "
                                    "'.', '_' and '-' only)",
                                    relative, segment.string()));
    }
  }
  fs::path joined = (root / rel).lexically_normal();
  if (!Inside(root, joined)) return escapes();
  std::error_code ec;
  fs::path real = fs::canonical(joined, ec);
  if (ec) {
    return core::Fail(
        ec == std::errc::no_such_file_or_directory ? ErrorCode::kNotFound : ErrorCode::kIo,
        fmt::format("cannot read script file '{}' in '{}': {}", relative, root.string(),
                    ec.message()));
  }
  if (!Inside(root, real)) return escapes();
  if (!fs::is_regular_file(real, ec)) {
    return core::Fail(ErrorCode::kInvalidArgument,
                      fmt::format("script file '{}' is not a regular file", relative));
  }
  std::uintmax_t size = fs::file_size(real, ec);
  if (ec || size > kMaxSourceBytes) {
    return core::Fail(
        ErrorCode::kPayloadTooLarge,
        fmt::format("script file '{}' is larger than {} bytes", relative, kMaxSourceBytes));
  }
  std::ifstream in(real, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad() || text.size() > kMaxSourceBytes) {
    return core::Fail(ErrorCode::kIo, fmt::format("cannot read script file '{}'", relative));
  }
  if (std::size_t bad = core::FindInvalidUtf8(text); bad != std::string::npos) {
    return core::Fail(ErrorCode::kInvalidArgument,
                      fmt::format("script file '{}' is not UTF-8 (byte {})", relative, bad));
  }
  return std::pair{real.string(), std::move(text)};
}

}  // namespace

Script::Script(std::vector<Source> sources, Limits limits, std::string file_path,
               std::vector<std::string> dependency_paths)
    : sources_(std::move(sources)),
      limits_(limits),
      file_path_(std::move(file_path)),
      dependency_paths_(std::move(dependency_paths)) {}

core::Result<std::shared_ptr<const Script>> Script::Load(
    std::string_view language, std::string_view location, std::string_view file,
    const std::vector<std::string>& dependencies, std::string base_dir, Limits limits) {
  CAPSTAN_RETURN_IF_ERROR(CheckLanguage(language));
  limits = WithDefaults(limits);
  CAPSTAN_ASSIGN_OR_RETURN(fs::path root, ResolveLocation(location, base_dir));
  std::vector<Source> sources;
  std::vector<std::string> dependency_paths;
  for (const std::string& dependency : dependencies) {
    CAPSTAN_ASSIGN_OR_RETURN(auto read, ReadInside(root, dependency));
    dependency_paths.push_back(std::move(read.first));
    sources.push_back({.name = dependency, .text = std::move(read.second)});
  }
  CAPSTAN_ASSIGN_OR_RETURN(auto main, ReadInside(root, std::string(file)));
  sources.push_back({.name = std::string(file), .text = std::move(main.second)});
  CAPSTAN_RETURN_IF_ERROR(internal::CheckSyntax(sources, limits));
  return std::make_shared<const Script>(std::move(sources), limits, std::move(main.first),
                                        std::move(dependency_paths));
}

core::Result<std::optional<core::json::value>> Script::RunStep(
    const core::json::object& input) const {
  return internal::Execute(sources_, input, limits_);
}

core::Result<core::json::value> Script::Run(const core::json::object& input) const {
  CAPSTAN_ASSIGN_OR_RETURN(auto result, RunStep(input));
  if (!result) return core::json::value(nullptr);
  return std::move(*result);
}

}  // namespace capstan::script
