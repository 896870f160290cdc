// libFuzzer target for the parsing of a request target, split at its first '?' as the server does:
// the path through http::SplitPathRaw / SplitPath / StripPathPrefix (route.hpp), the query through
// http::SplitQuery / ParseQuery / DecodeQueryComponent / FindQueryParam (query.hpp).
// Checks: raw segments and query pieces rebuild their input; decoding fails exactly when one
// component has a bad escape (or, in a path, decodes to NUL) and otherwise decodes each one;
// re-encoding the decoded segments and pairs parses back to the same values; a prefix of whole
// segments strips to the rest of the path. Seeds: fuzz/corpus/request_target/.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/percent.hpp"
#include "http/query.hpp"
#include "http/route.hpp"

namespace {

namespace http = capstan::http;
using capstan::core::ErrorCode;
using capstan::core::UrlPart;

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

void CheckPath(std::string_view path) {
  auto raw = http::SplitPathRaw(path);
  auto decoded = http::SplitPath(path);
  Check(raw.has_value() == (!path.empty() && path.front() == '/'));
  if (!raw) {
    Check(!decoded && decoded.error().code == ErrorCode::kInvalidArgument);
    return;
  }
  std::string rebuilt;
  for (std::string_view segment : *raw) {
    Check(segment.find('/') == std::string_view::npos);
    rebuilt += '/';
    rebuilt += segment;
  }
  Check(rebuilt == path);

  bool all_decode = true;
  for (std::size_t i = 0; i < raw->size(); ++i) {
    auto one = capstan::core::PercentDecode((*raw)[i]);
    if (!one || one->find('\0') != std::string::npos) {
      all_decode = false;
      break;
    }
    if (decoded) Check((*decoded)[i] == *one);
  }
  Check(decoded.has_value() == all_decode);
  if (!decoded) {
    Check(decoded.error().code == ErrorCode::kInvalidArgument);
    return;
  }
  Check(decoded->size() == raw->size());
  // Each decoded segment, encoded again, is one segment that decodes to itself.
  std::string encoded;
  for (const std::string& segment : *decoded) {
    encoded += '/';
    capstan::core::AppendPercentEncoded(encoded, segment, UrlPart::kPathSegment);
  }
  auto again = http::SplitPath(encoded);
  Check(again.has_value() && *again == *decoded);

  // A prefix made of whole leading segments strips to the rest; a cut segment does not match.
  std::string prefix;
  for (std::size_t i = 0; i + 1 < raw->size() && i < 3; ++i) {
    prefix += '/';
    prefix += (*raw)[i];
    std::string_view trimmed = prefix;  // StripPathPrefix ignores a prefix's trailing '/'
    while (!trimmed.empty() && trimmed.back() == '/') trimmed.remove_suffix(1);
    auto rest = http::StripPathPrefix(path, prefix);
    Check(rest.has_value() && std::string(trimmed) + std::string(*rest) == path);
    Check(!rest->empty() && rest->front() == '/');
  }
  Check(http::StripPathPrefix(path, "") == path && http::StripPathPrefix(path, "/") == path);
  if (path.size() > 2 && path.back() != '/') {
    std::string_view cut = path.substr(0, path.size() - 1);
    auto rest = http::StripPathPrefix(path, cut);
    if (cut.back() != '/') Check(!rest.has_value());
  }
}

std::string EncodeQuery(const http::QueryParams& params, UrlPart part) {
  std::string out;
  for (const http::QueryParam& p : params) {
    if (!out.empty()) out.push_back('&');
    capstan::core::AppendPercentEncoded(out, p.first, part);
    out.push_back('=');
    capstan::core::AppendPercentEncoded(out, p.second, part);
  }
  return out;
}

void CheckQuery(std::string_view query) {
  // The pieces are the non-empty '&'-separated parts, in order, each split at its first '='.
  std::vector<http::RawQueryParam> raw = http::SplitQuery(query);
  std::string_view rest = query;
  std::size_t index = 0;
  while (true) {
    std::size_t amp = rest.find('&');
    std::string_view piece = rest.substr(0, amp);
    if (!piece.empty()) {
      Check(index < raw.size());
      const http::RawQueryParam& r = raw[index++];
      Check(r.name.find('=') == std::string_view::npos);
      Check(r.has_value == (piece.find('=') != std::string_view::npos));
      Check(r.has_value || r.value.empty());
      Check(std::string(r.name) + (r.has_value ? "=" : "") + std::string(r.value) == piece);
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  Check(index == raw.size());

  // ParseQuery = SplitQuery + DecodeQueryComponent on every name and value.
  auto parsed = http::ParseQuery(query);
  bool all_decode = true;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    auto name = http::DecodeQueryComponent(raw[i].name);
    auto value = http::DecodeQueryComponent(raw[i].value);
    if (!name || !value) {
      all_decode = false;
      break;
    }
    if (parsed) {
      Check((*parsed)[i].first == *name && (*parsed)[i].second == *value);
      // A component without escapes or '+' decodes to itself.
      if (raw[i].value.find_first_of("%+") == std::string_view::npos) Check(*value == raw[i].value);
    }
  }
  Check(parsed.has_value() == all_decode);
  if (!parsed) {
    Check(parsed.error().code == ErrorCode::kInvalidArgument);
    return;
  }
  Check(parsed->size() == raw.size());

  // Encoding the decoded pairs and parsing them again gives the same pairs.
  for (UrlPart part : {UrlPart::kQuery, UrlPart::kForm}) {
    auto again = http::ParseQuery(EncodeQuery(*parsed, part));
    Check(again.has_value() && *again == *parsed);
  }

  for (const http::QueryParam& p : *parsed) {
    auto found = http::FindQueryParam(*parsed, p.first);
    Check(found.has_value());
    for (const http::QueryParam& q : *parsed) {
      if (q.first == p.first) {
        Check(*found == q.second);
        break;
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view target(reinterpret_cast<const char*>(data), size);
  std::size_t q = target.find('?');
  CheckPath(target.substr(0, q));
  if (q != std::string_view::npos) CheckQuery(target.substr(q + 1));
  return 0;
}
