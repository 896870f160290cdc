#include "http/wire.hpp"

#include <charconv>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <random>

#include "core/json.hpp"

namespace capstan::http {
namespace {

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

void AppendHeader(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

void AppendUnsigned(std::string& out, std::uint64_t value) {
  char buf[24];  // std::to_chars: no locale and no format parsing (snprintf was ~650 instructions)
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  (void)ec;  // 24 bytes hold every uint64
  out.append(buf, static_cast<std::size_t>(end - buf));
}

struct DateCache {
  std::time_t second = -1;
  char text[32] = {};
  std::size_t size = 0;
};

}  // namespace

bool IsSafeFieldValue(std::string_view value) {
  // Eight bytes at a time: a word holds CR, LF or NUL iff it, or it XOR a word of CRs or of LFs,
  // has a zero byte, and (w - 0x01..01) & ~w & 0x80..80 is non-zero exactly when w has one.
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  auto has_zero_byte = [](std::uint64_t w) { return ((w - kOnes) & ~w & kHighs) != 0; };
  std::size_t i = 0;
  for (; i + 8 <= value.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, value.data() + i, sizeof w);
    if (has_zero_byte(w) || has_zero_byte(w ^ (kOnes * '\r')) ||
        has_zero_byte(w ^ (kOnes * '\n'))) {
      return false;
    }
  }
  for (; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

bool IsFramingHeader(std::string_view name) {
  return IEquals(name, "Content-Length") || IEquals(name, "Transfer-Encoding") ||
         IEquals(name, "Connection");
}

bool IsHeaderName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

void AppendResponseHead(std::string& out, const Response& response, const HeadOptions& options) {
  out.append("HTTP/1.1 ");
  AppendUnsigned(out, static_cast<std::uint64_t>(response.status));
  out.push_back(' ');
  out.append(ReasonPhrase(response.status));
  out.append("\r\n");
  bool has_date = false;
  bool has_server = false;
  bool has_request_id = false;
  for (const auto& [name, value] : response.headers.entries()) {
    if (!IsHeaderName(name) || !IsSafeFieldValue(value) || IsFramingHeader(name)) continue;
    if (IEquals(name, "Date")) has_date = true;
    if (IEquals(name, "Server")) has_server = true;
    if (IEquals(name, "X-Request-Id")) has_request_id = true;
    AppendHeader(out, name, value);
  }
  if (!has_date) AppendHeader(out, "Date", HttpDate(std::chrono::system_clock::now()));
  if (!has_server && !options.server_name.empty()) {
    AppendHeader(out, "Server", options.server_name);
  }
  if (!has_request_id && !options.request_id.empty()) {
    AppendHeader(out, "X-Request-Id", options.request_id);
  }
  bool no_length = response.status < 200 || response.status == 204 || response.status == 304;
  if (options.chunked) {
    out.append("Transfer-Encoding: chunked\r\n");
  } else if (!options.close_delimited && !no_length) {
    out.append("Content-Length: ");
    AppendUnsigned(out, options.content_length);
    out.append("\r\n");
  }
  if (options.close) {
    out.append("Connection: close\r\n");
  } else if (options.http10_keep_alive) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
}

std::string_view HttpDate(std::chrono::system_clock::time_point now) {
  thread_local DateCache cache;
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  if (t != cache.second) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    cache.size = std::strftime(cache.text, sizeof cache.text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cache.second = t;
  }
  return {cache.text, cache.size};
}

std::string NewRequestId() {
  thread_local std::mt19937_64 rng{[] {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  }()};
  std::uint64_t hi = rng();
  std::uint64_t lo = rng();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  std::size_t pos = 0;
  auto put = [&](std::uint64_t word, int nibbles_from, int nibbles_to) {
    for (int i = nibbles_from; i < nibbles_to; ++i) {
      if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
      out[pos++] = kHex[(word >> (60 - 4 * i)) & 0xf];
    }
  };
  put(hi, 0, 16);
  put(lo, 0, 16);
  return out;
}

bool IsSaneRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string ErrorBody(std::string_view type, std::string_view message) {
  std::string out = "{\"type\":";
  core::AppendJsonString(out, type);
  out.append(",\"message\":");
  core::AppendJsonString(out, message);
  out.push_back('}');
  return out;
}

Response ErrorResponse(int status, std::string_view type, std::string_view message) {
  return MakeResponse(status, ErrorBody(type, message), "application/json");
}

}  // namespace capstan::http
