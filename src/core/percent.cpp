#include "core/percent.hpp"

namespace capstan::core {
namespace {

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// sub-delims that are safe inside one path segment ('/' is not among them).
bool IsSegmentSafe(unsigned char c) {
  switch (c) {
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':
    case '*':
    case '+':
    case ',':
    case ';':
    case '=':
    case ':':
    case '@':
      return true;
    default:
      return false;
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void AppendPercentEncoded(std::string& out, std::string_view value, UrlPart part) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  if (part == UrlPart::kPathSegment && (value == "." || value == "..")) {
    for (std::size_t i = 0; i < value.size(); ++i) out += "%2E";
    return;
  }
  // Runs of characters kept as they are go in with one append each (a UUID or a number is one
  // run): a push_back per character was ~1.7 K instructions of a proxied request.
  const bool segment = part == UrlPart::kPathSegment;
  const char* p = value.data();
  const char* const end = p + value.size();
  out.reserve(out.size() + value.size());
  while (p != end) {
    const char* run = p;
    while (run != end && (IsUnreserved(static_cast<unsigned char>(*run)) ||
                          (segment && IsSegmentSafe(static_cast<unsigned char>(*run))))) {
      ++run;
    }
    out.append(p, static_cast<std::size_t>(run - p));
    if (run == end) break;
    const auto c = static_cast<unsigned char>(*run);
    if (part == UrlPart::kForm && c == ' ') {
      out.push_back('+');
    } else {
      const char escape[3] = {'%', kHex[c >> 4], kHex[c & 0xF]};
      out.append(escape, sizeof escape);
    }
    p = run + 1;
  }
}

std::string PercentEncode(std::string_view value, UrlPart part) {
  std::string out;
  out.reserve(value.size());
  AppendPercentEncoded(out, value, part);
  return out;
}

Result<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  // The common case, nothing escaped: one copy.
  if (text.find('%') == std::string_view::npos &&
      (!plus_is_space || text.find('+') == std::string_view::npos)) {
    return std::string(text);
  }
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) {
        return Fail(ErrorCode::kInvalidArgument, "truncated percent escape");
      }
      int hi = HexValue(text[i + 1]);
      int lo = HexValue(text[i + 2]);
      if (hi < 0 || lo < 0) return Fail(ErrorCode::kInvalidArgument, "invalid percent escape");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace capstan::core
