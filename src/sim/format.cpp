#include "sim/format.hpp"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>

#include <arpa/inet.h>
#include <netinet/in.h>

namespace capstan::sim {
namespace {

constexpr Micros kMicrosPerSecond = 1000000;

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool ReadDigits(std::string_view text, std::size_t pos, std::size_t count, int& out) {
  if (pos + count > text.size()) return false;
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  out = value;
  return true;
}

tl::unexpected<core::Error> BadTime(std::string_view text, std::string_view why) {
  return core::Fail(core::ErrorCode::kInvalidArgument,
                    "invalid timestamp \"" + std::string(text) + "\": " + std::string(why));
}

}  // namespace

Micros NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool IsUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return false;
    } else if (!IsHex(text[i])) {
      return false;
    }
  }
  return true;
}

std::string ToLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

void AppendTimestamp(std::string& out, Micros value) {
  Micros seconds = value / kMicrosPerSecond;
  Micros micros = value % kMicrosPerSecond;
  if (micros < 0) {
    micros += kMicrosPerSecond;
    seconds -= 1;
  }
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                        static_cast<long long>(micros));
  out.append(buf, static_cast<std::size_t>(n));
}

std::string FormatTimestamp(Micros value) {
  std::string out;
  AppendTimestamp(out, value);
  return out;
}

core::Result<Micros> ParseTimestamp(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadDigits(text, 0, 4, year) || text.size() < 19 || text[4] != '-' ||
      !ReadDigits(text, 5, 2, month) || text[7] != '-' || !ReadDigits(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't') || !ReadDigits(text, 11, 2, hour) || text[13] != ':' ||
      !ReadDigits(text, 14, 2, minute) || text[16] != ':' || !ReadDigits(text, 17, 2, second)) {
    return BadTime(text, "expected YYYY-MM-DDTHH:MM:SS");
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return BadTime(text, "field out of range");
  }
  std::size_t pos = 19;
  Micros micros = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 6) micros = micros * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return BadTime(text, "empty fraction");
    for (int i = digits; i < 6; ++i) micros *= 10;
  }
  Micros offset_seconds = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh = 0, om = 0;
    if (!ReadDigits(text, pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !ReadDigits(text, pos + 4, 2, om) || oh > 23 || om > 59) {
      return BadTime(text, "bad offset");
    }
    offset_seconds = (oh * 3600 + om * 60) * (text[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return BadTime(text, "missing time zone");
  }
  if (pos != text.size()) return BadTime(text, "trailing characters");
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  std::time_t t = timegm(&tm);
  return (static_cast<Micros>(t) - offset_seconds) * kMicrosPerSecond + micros;
}

core::Result<Micros> ParseSeedTime(std::string_view text, Micros now) {
  if (text.substr(0, 3) != "now") return ParseTimestamp(text);
  std::string_view rest = text.substr(3);
  if (rest.empty()) return now;
  if (rest.front() != '+' && rest.front() != '-') {
    return BadTime(text, "expected now, now+DURATION or now-DURATION");
  }
  Micros sign = rest.front() == '-' ? -1 : 1;
  rest.remove_prefix(1);
  if (rest.empty()) return BadTime(text, "empty duration");
  Micros total = 0;
  while (!rest.empty()) {
    std::int64_t amount = 0;
    auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), amount);
    if (ec != std::errc() || amount < 0 || ptr == rest.data() + rest.size()) {
      return BadTime(text, "expected a number followed by d, h, m or s");
    }
    rest.remove_prefix(static_cast<std::size_t>(ptr - rest.data()));
    Micros unit = 0;
    switch (rest.front()) {
      case 'd':
        unit = 86400 * kMicrosPerSecond;
        break;
      case 'h':
        unit = 3600 * kMicrosPerSecond;
        break;
      case 'm':
        unit = 60 * kMicrosPerSecond;
        break;
      case 's':
        unit = kMicrosPerSecond;
        break;
      default:
        return BadTime(text, "unknown unit (use d, h, m or s)");
    }
    rest.remove_prefix(1);
    total += amount * unit;
  }
  return now + sign * total;
}

bool IsIpAddress(std::string_view text) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return false;
  std::string copy(text);
  in6_addr v6{};
  in_addr v4{};
  return inet_pton(AF_INET, copy.c_str(), &v4) == 1 || inet_pton(AF_INET6, copy.c_str(), &v6) == 1;
}

}  // namespace capstan::sim
