// Reading resources (static files under a `location`, call-backed through an invocation, or
// native fixtures) and rendering prompts (`template` messages or a `location` file).
#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/asio/this_coro.hpp>

#include "exposes/mcp/catalog.hpp"

namespace capstan::mcp {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using core::ErrorCode;
using core::Fail;

namespace {

constexpr std::uintmax_t kMaxFileBytes = 8 * 1024 * 1024;

std::string Base64(std::string_view data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    unsigned n = (static_cast<unsigned char>(data[i]) << 16) |
                 (static_cast<unsigned char>(data[i + 1]) << 8) |
                 static_cast<unsigned char>(data[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i < data.size()) {
    unsigned n = static_cast<unsigned char>(data[i]) << 16;
    if (i + 1 < data.size()) n |= static_cast<unsigned char>(data[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < data.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool LooksLikeText(std::string_view mime, std::string_view data) {
  if (mime.substr(0, 5) == "text/" || mime.find("json") != std::string_view::npos ||
      mime.find("xml") != std::string_view::npos || mime.find("yaml") != std::string_view::npos) {
    return true;
  }
  return data.find('\0') == std::string_view::npos && mime.empty();
}

core::Result<std::string> ReadFile(const fs::path& path) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec) return Fail(ErrorCode::kNotFound, "no such file");
  if (size > kMaxFileBytes) return Fail(ErrorCode::kPayloadTooLarge, "file too large");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(ErrorCode::kIo, "cannot read the file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Resolves `relative` under `root` without leaving it (no "..", no absolute paths, no symlink
// escapes).
core::Result<fs::path> SafeResolve(const fs::path& root, std::string_view relative) {
  fs::path rel(relative);
  if (rel.is_absolute()) return Fail(ErrorCode::kNotFound, "absolute paths are not served");
  for (const auto& part : rel) {
    if (part == "..") return Fail(ErrorCode::kNotFound, "'..' is not served");
  }
  std::error_code ec;
  fs::path canonical_root = fs::weakly_canonical(root, ec);
  fs::path full = fs::weakly_canonical(root / rel, ec);
  if (ec) return Fail(ErrorCode::kNotFound, "no such file");
  auto [root_end, unused] =
      std::mismatch(canonical_root.begin(), canonical_root.end(), full.begin(), full.end());
  if (root_end != canonical_root.end()) return Fail(ErrorCode::kNotFound, "outside the location");
  return full;
}

json::object FileContents(const std::string& uri, const std::string& mime,
                          const std::string& data) {
  json::object item;
  item["uri"] = uri;
  item["mimeType"] = mime;
  if (LooksLikeText(mime, data)) {
    item["text"] = data;
  } else {
    item["blob"] = Base64(data);
  }
  return item;
}

}  // namespace

asio::awaitable<core::Result<json::array>> ReadResource(const Resource& resource,
                                                        const std::string& uri,
                                                        const json::object& variables,
                                                        RequestScope& scope) {
  if (resource.native) co_return co_await resource.native(uri, variables, scope);
  if (!resource.location.empty()) {
    fs::path root(resource.location);
    fs::path file = root;
    std::error_code ec;
    if (fs::is_directory(root, ec)) {
      // The part of the URI after the resource's own URI (or its one template variable) names
      // a file under the directory.
      std::string relative;
      if (resource.is_template && !variables.empty()) {
        relative = std::string(variables.begin()->value().as_string());
      } else if (uri.size() > resource.uri.size()) {
        relative = uri.substr(resource.uri.size());
        while (!relative.empty() && relative.front() == '/') relative.erase(0, 1);
      }
      if (relative.empty()) co_return Fail(ErrorCode::kNotFound, "no file named by " + uri);
      auto resolved = SafeResolve(root, relative);
      if (!resolved) co_return Fail(std::move(resolved).error());
      file = *resolved;
    }
    auto data = ReadFile(file);
    if (!data)
      co_return Fail(ErrorCode::kNotFound, "resource " + uri + ": " + data.error().message);
    json::array contents;
    contents.emplace_back(FileContents(uri, resource.mime_type, *data));
    co_return contents;
  }
  if (!resource.invocation) co_return Fail(ErrorCode::kNotFound, "resource " + uri);
  runtime::CallContext context;
  context.client = scope.client;
  context.cancel = scope.cancel;
  auto result = co_await resource.invocation->Execute(variables, context);
  if (!result) co_return Fail(std::move(result).error());
  if (result->status >= 400) {
    co_return Fail(result->status == 404 ? ErrorCode::kNotFound : ErrorCode::kUpstreamError,
                   "the upstream API answered HTTP " + std::to_string(result->status) + ": " +
                       result->body.substr(0, 1024));
  }
  json::array contents;
  contents.emplace_back(
      FileContents(uri, result->is_json ? resource.mime_type : result->content_type, result->body));
  co_return contents;
}

core::Result<json::array> RenderPrompt(const Prompt& prompt, const json::object& args) {
  if (prompt.native) return prompt.native(args);
  for (const std::string& name : prompt.required) {
    const json::value* v = args.if_contains(name);
    if (v == nullptr || !v->is_string()) {
      return Fail(ErrorCode::kInvalidArgument,
                  "prompt '" + prompt.name + "' needs the argument '" + name + "'");
    }
  }
  auto lookup = [&](std::string_view name) -> std::optional<std::string_view> {
    const json::value* v = args.if_contains(name);
    if (v == nullptr || !v->is_string()) return std::string_view();
    return std::string_view(v->get_string().data(), v->get_string().size());
  };
  json::array messages;
  auto add = [&](std::string_view role, std::string text) {
    json::object content;
    content["type"] = "text";
    content["text"] = std::move(text);
    json::object message;
    message["role"] = role;
    message["content"] = std::move(content);
    messages.emplace_back(std::move(message));
  };
  for (const auto& [role, tpl] : prompt.messages) {
    auto text = mapping::Render(tpl, lookup, mapping::Escaping::kNone);
    if (!text) return Fail(std::move(text).error());
    add(role, std::move(*text));
  }
  if (!prompt.location.empty()) {
    auto data = ReadFile(prompt.location);
    if (!data)
      return Fail(ErrorCode::kNotFound, "prompt '" + prompt.name + "': " + data.error().message);
    auto tpl = mapping::Template::Compile(*data, mapping::TemplateSyntax::kDoubleBrace);
    if (!tpl) return Fail(std::move(tpl).error());
    auto text = mapping::Render(*tpl, lookup, mapping::Escaping::kNone);
    if (!text) return Fail(std::move(text).error());
    add("user", std::move(*text));
  }
  return messages;
}

}  // namespace capstan::mcp
