#include "jsonschema/format.hpp"

#include <cctype>
#include <cstdint>
#include <string>
#include <utility>

#include "jsonschema/regex.hpp"

namespace capstan::jsonschema {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool IsAlpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// Reads exactly `n` digits at `pos` into `out`.
bool Digits(std::string_view s, std::size_t& pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!IsDigit(s[pos + i])) return false;
    out = out * 10 + (s[pos + i] - '0');
  }
  pos += n;
  return true;
}

bool Expect(std::string_view s, std::size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

bool IsLeap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

bool FullDate(std::string_view s, std::size_t& pos) {
  int y = 0;
  int m = 0;
  int d = 0;
  if (!Digits(s, pos, 4, y) || !Expect(s, pos, '-') || !Digits(s, pos, 2, m) ||
      !Expect(s, pos, '-') || !Digits(s, pos, 2, d)) {
    return false;
  }
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  int max_day = kDays[m - 1] + (m == 2 && IsLeap(y) ? 1 : 0);
  return d <= max_day;
}

// RFC 3339 full-time, with the leap second rule relaxed to "23:59:60 in UTC terms".
bool FullTime(std::string_view s, std::size_t& pos) {
  int h = 0;
  int m = 0;
  int sec = 0;
  if (!Digits(s, pos, 2, h) || !Expect(s, pos, ':') || !Digits(s, pos, 2, m) ||
      !Expect(s, pos, ':') || !Digits(s, pos, 2, sec)) {
    return false;
  }
  if (h > 23 || m > 59 || sec > 60) return false;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t start = pos;
    while (pos < s.size() && IsDigit(s[pos])) ++pos;
    if (pos == start) return false;
  }
  if (pos >= s.size()) return false;
  int offset_minutes = 0;
  char z = s[pos];
  if (z == 'Z' || z == 'z') {
    ++pos;
  } else if (z == '+' || z == '-') {
    ++pos;
    int oh = 0;
    int om = 0;
    if (!Digits(s, pos, 2, oh) || !Expect(s, pos, ':') || !Digits(s, pos, 2, om)) return false;
    if (oh > 23 || om > 59) return false;
    offset_minutes = (z == '+' ? 1 : -1) * (oh * 60 + om);
  } else {
    return false;
  }
  if (sec == 60) {
    int utc = ((h * 60 + m - offset_minutes) % 1440 + 1440) % 1440;
    if (utc != 23 * 60 + 59) return false;
  }
  return true;
}

bool CheckDate(std::string_view s) {
  std::size_t pos = 0;
  return FullDate(s, pos) && pos == s.size();
}

bool CheckTime(std::string_view s) {
  std::size_t pos = 0;
  return FullTime(s, pos) && pos == s.size();
}

bool CheckDateTime(std::string_view s) {
  std::size_t pos = 0;
  if (!FullDate(s, pos)) return false;
  if (pos >= s.size() || (s[pos] != 'T' && s[pos] != 't')) return false;
  ++pos;
  return FullTime(s, pos) && pos == s.size();
}

// ISO 8601 duration as in RFC 3339 Appendix A.
bool CheckDuration(std::string_view s) {
  std::size_t pos = 0;
  if (!Expect(s, pos, 'P') || pos == s.size()) return false;
  auto units = [&](std::string_view allowed, bool& any) {
    std::size_t next_unit = 0;
    while (pos < s.size() && IsDigit(s[pos])) {
      while (pos < s.size() && IsDigit(s[pos])) ++pos;
      if (pos >= s.size()) return false;
      std::size_t u = allowed.find(s[pos], next_unit);
      if (u == std::string_view::npos) return false;
      next_unit = u + 1;
      ++pos;
      any = true;
    }
    return true;
  };
  bool any_date = false;
  bool any_time = false;
  if (pos < s.size() && IsDigit(s[pos])) {
    std::size_t save = pos;
    while (pos < s.size() && IsDigit(s[pos])) ++pos;
    if (pos < s.size() && s[pos] == 'W') {
      return pos + 1 == s.size();
    }
    pos = save;
    if (!units("YMD", any_date)) return false;
  }
  if (pos < s.size() && s[pos] == 'T') {
    ++pos;
    if (!units("HMS", any_time) || !any_time) return false;
  }
  return pos == s.size() && (any_date || any_time);
}

bool CheckIpv4(std::string_view s) {
  int parts = 0;
  std::size_t pos = 0;
  while (true) {
    std::size_t start = pos;
    int value = 0;
    while (pos < s.size() && IsDigit(s[pos]) && pos - start < 3)
      value = value * 10 + (s[pos++] - '0');
    std::size_t len = pos - start;
    if (len == 0 || value > 255 || (len > 1 && s[start] == '0')) return false;
    ++parts;
    if (pos == s.size()) break;
    if (s[pos] != '.' || parts == 4) return false;
    ++pos;
  }
  return parts == 4;
}

bool CheckIpv6(std::string_view s) {
  if (s.empty()) return false;
  int groups = 0;
  bool compressed = false;
  std::size_t pos = 0;
  if (s.starts_with("::")) {
    compressed = true;
    pos = 2;
    if (pos == s.size()) return true;
  } else if (s[0] == ':') {
    return false;
  }
  while (pos < s.size()) {
    std::size_t start = pos;
    while (pos < s.size() && IsHex(s[pos])) ++pos;
    std::size_t len = pos - start;
    if (pos < s.size() && s[pos] == '.') {
      // embedded IPv4 in the last 32 bits
      if (!CheckIpv4(s.substr(start))) return false;
      groups += 2;
      pos = s.size();
      break;
    }
    if (len == 0 || len > 4) return false;
    ++groups;
    if (pos == s.size()) break;
    if (s[pos] != ':') return false;
    ++pos;
    if (pos < s.size() && s[pos] == ':') {
      if (compressed) return false;
      compressed = true;
      ++pos;
      if (pos == s.size()) break;
    } else if (pos == s.size()) {
      return false;
    }
  }
  return compressed ? groups < 8 : groups == 8;
}

bool CheckHostname(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  std::size_t pos = 0;
  while (true) {
    std::size_t end = s.find('.', pos);
    if (end == std::string_view::npos) end = s.size();
    std::string_view label = s.substr(pos, end - pos);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!IsAlnum(c) && c != '-') return false;
    }
    if (end == s.size()) return true;
    pos = end + 1;
  }
}

bool CheckEmail(std::string_view s) {
  std::size_t at = s.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == s.size()) return false;
  std::string_view local = s.substr(0, at);
  std::string_view domain = s.substr(at + 1);
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return false;
  }
  for (char c : local) {
    if (static_cast<unsigned char>(c) < 0x80 && !IsAlnum(c) &&
        std::string_view("!#$%&'*+-/=?^_`{|}~.").find(c) == std::string_view::npos) {
      return false;
    }
  }
  if (domain.front() == '[' && domain.back() == ']') {
    std::string_view literal = domain.substr(1, domain.size() - 2);
    if (literal.starts_with("IPv6:")) return CheckIpv6(literal.substr(5));
    return CheckIpv4(literal);
  }
  return CheckHostname(domain);
}

bool CheckUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !IsHex(s[i])) return false;
  }
  return true;
}

bool IsUriChar(unsigned char c, bool allow_non_ascii) {
  if (c >= 0x80) return allow_non_ascii;
  if (IsAlnum(static_cast<char>(c))) return true;
  return std::string_view("-._~:/?#[]@!$&'()*+,;=%").find(static_cast<char>(c)) !=
         std::string_view::npos;
}

bool CheckUriReferenceImpl(std::string_view s, bool require_scheme, bool allow_non_ascii) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (!IsUriChar(c, allow_non_ascii)) return false;
    if (c == '%' && (i + 2 >= s.size() || !IsHex(s[i + 1]) || !IsHex(s[i + 2]))) return false;
  }
  std::size_t colon = s.find_first_of(":/?#");
  bool has_scheme = colon != std::string_view::npos && s[colon] == ':' && colon > 0;
  if (has_scheme) {
    if (!IsAlpha(s[0])) return false;
    for (std::size_t i = 1; i < colon; ++i) {
      if (!IsAlnum(s[i]) && s[i] != '+' && s[i] != '-' && s[i] != '.') return false;
    }
  }
  if (require_scheme && !has_scheme) return false;
  // '[' and ']' are only valid around an IP literal host.
  std::size_t bracket = s.find_first_of("[]");
  if (bracket != std::string_view::npos) {
    std::size_t authority = s.find("//");
    if (authority == std::string_view::npos || bracket != authority + 2) {
      std::size_t at = s.find('@', authority == std::string_view::npos ? 0 : authority);
      if (at == std::string_view::npos || bracket != at + 1) return false;
    }
  }
  return true;
}

bool CheckUri(std::string_view s) { return CheckUriReferenceImpl(s, true, false); }
bool CheckUriReference(std::string_view s) { return CheckUriReferenceImpl(s, false, false); }
bool CheckIri(std::string_view s) { return CheckUriReferenceImpl(s, true, true); }
bool CheckIriReference(std::string_view s) { return CheckUriReferenceImpl(s, false, true); }

bool CheckUriTemplate(std::string_view s) {
  bool open = false;
  for (char c : s) {
    if (c == '{') {
      if (open) return false;
      open = true;
    } else if (c == '}') {
      if (!open) return false;
      open = false;
    }
  }
  return !open;
}

bool CheckJsonPointer(std::string_view s) {
  if (s.empty()) return true;
  if (s[0] != '/') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '~' && (i + 1 >= s.size() || (s[i + 1] != '0' && s[i + 1] != '1'))) return false;
  }
  return true;
}

bool CheckRelativeJsonPointer(std::string_view s) {
  std::size_t pos = 0;
  while (pos < s.size() && IsDigit(s[pos])) ++pos;
  if (pos == 0 || (pos > 1 && s[0] == '0')) return false;
  std::string_view rest = s.substr(pos);
  return rest == "#" || CheckJsonPointer(rest);
}

bool CheckRegex(std::string_view s) { return Regex::Compile(s).has_value(); }

bool CheckIdnHostname(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x80 && !IsAlnum(c) && c != '-' && c != '.') return false;
  }
  return true;
}

}  // namespace

FormatCheck FindFormatCheck(std::string_view name) {
  static constexpr std::pair<std::string_view, FormatCheck> kChecks[] = {
      {"date-time", CheckDateTime},
      {"date", CheckDate},
      {"time", CheckTime},
      {"duration", CheckDuration},
      {"email", CheckEmail},
      {"idn-email", CheckEmail},
      {"hostname", CheckHostname},
      {"idn-hostname", CheckIdnHostname},
      {"ipv4", CheckIpv4},
      {"ipv6", CheckIpv6},
      {"uri", CheckUri},
      {"uri-reference", CheckUriReference},
      {"iri", CheckIri},
      {"iri-reference", CheckIriReference},
      {"uri-template", CheckUriTemplate},
      {"uuid", CheckUuid},
      {"json-pointer", CheckJsonPointer},
      {"relative-json-pointer", CheckRelativeJsonPointer},
      {"regex", CheckRegex},
  };
  for (const auto& [format_name, check] : kChecks) {
    if (format_name == name) return check;
  }
  return nullptr;
}

}  // namespace capstan::jsonschema
