#include "jsonschema/json_util.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <utility>
#include <vector>

namespace capstan::jsonschema {
namespace {

__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 UInt128;

constexpr double kTwoPow63 = 9223372036854775808.0;
constexpr double kTwoPow64 = 18446744073709551616.0;

bool IsIntKind(const json::value& v) { return v.is_int64() || v.is_uint64(); }

Int128 AsInt128(const json::value& v) {
  return v.is_int64() ? static_cast<Int128>(v.get_int64()) : static_cast<Int128>(v.get_uint64());
}

int Sign(double d) { return d > 0 ? 1 : (d < 0 ? -1 : 0); }

// Compares an integer in [-2^63, 2^64) with a finite double, exactly.
int CompareIntDouble(Int128 i, double d) {
  if (d >= kTwoPow64) return -1;
  if (d < -kTwoPow63) return 1;
  double whole = std::trunc(d);
  auto t = static_cast<Int128>(whole);
  if (i < t) return -1;
  if (i > t) return 1;
  return -Sign(d - whole);
}

// A non-negative decimal: mantissa × 10^exponent.
struct Decimal {
  std::uint64_t mantissa = 0;
  int exponent = 0;
};

Decimal ToDecimal(const json::value& v) {
  Decimal out;
  if (v.is_int64()) {
    std::int64_t i = v.get_int64();
    out.mantissa = i < 0 ? static_cast<std::uint64_t>(0) - static_cast<std::uint64_t>(i)
                         : static_cast<std::uint64_t>(i);
    return out;
  }
  if (v.is_uint64()) {
    out.mantissa = v.get_uint64();
    return out;
  }
  double d = std::fabs(v.get_double());
  if (d == 0) return out;
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  (void)ec;
  // "d.ddde±XX"
  const char* p = buf;
  int digits = 0;
  while (p < end && *p != 'e') {
    if (*p >= '0' && *p <= '9') {
      out.mantissa = out.mantissa * 10 + static_cast<std::uint64_t>(*p - '0');
      ++digits;
    }
    ++p;
  }
  int exp10 = 0;
  if (p < end) {
    ++p;
    if (*p == '+') ++p;
    std::from_chars(p, end, exp10);
  }
  out.exponent = exp10 - (digits - 1);
  while (out.mantissa != 0 && out.mantissa % 10 == 0) {
    out.mantissa /= 10;
    ++out.exponent;
  }
  return out;
}

int DecimalDigits(std::uint64_t v) {
  int n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

std::size_t HashCombine(std::size_t seed, std::size_t h) {
  return seed ^ (h + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
}

std::size_t HashNumber(const json::value& v) {
  if (IsIntKind(v) || (IsIntegral(v) && std::fabs(v.get_double()) < kTwoPow63)) {
    Int128 i = IsIntKind(v) ? AsInt128(v) : static_cast<Int128>(v.get_double());
    auto u = static_cast<UInt128>(i);
    return HashCombine(std::hash<std::uint64_t>()(static_cast<std::uint64_t>(u)),
                       std::hash<std::uint64_t>()(static_cast<std::uint64_t>(u >> 64)));
  }
  double d = v.get_double();
  if (IsIntegral(v) && d >= kTwoPow63 && d < kTwoPow64) {
    return HashCombine(std::hash<std::uint64_t>()(static_cast<std::uint64_t>(d)), 0);
  }
  std::uint64_t bits = 0;
  std::memcpy(&bits, &d, sizeof bits);
  return std::hash<std::uint64_t>()(bits);
}

}  // namespace

int CompareNumbers(const json::value& a, const json::value& b) {
  if (IsIntKind(a) && IsIntKind(b)) {
    Int128 x = AsInt128(a);
    Int128 y = AsInt128(b);
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (IsIntKind(a)) return CompareIntDouble(AsInt128(a), b.get_double());
  if (IsIntKind(b)) return -CompareIntDouble(AsInt128(b), a.get_double());
  double x = a.get_double();
  double y = b.get_double();
  return x < y ? -1 : (x > y ? 1 : 0);
}

bool IsIntegral(const json::value& v) {
  if (IsIntKind(v)) return true;
  if (!v.is_double()) return false;
  double d = v.get_double();
  return std::isfinite(d) && std::trunc(d) == d;
}

bool IsMultipleOf(const json::value& value, const json::value& divisor) {
  if (IsIntKind(value) && IsIntKind(divisor)) {
    Int128 d = AsInt128(divisor);
    if (d <= 0) return false;
    return AsInt128(value) % d == 0;
  }
  Decimal a = ToDecimal(value);
  Decimal b = ToDecimal(divisor);
  if (b.mantissa == 0) return false;
  if (a.mantissa == 0) return true;
  if (a.exponent >= b.exponent) {
    // (a · 10^k) mod b, digit by digit.
    UInt128 r = a.mantissa % b.mantissa;
    for (int k = a.exponent - b.exponent; k > 0 && r != 0; --k) r = (r * 10) % b.mantissa;
    return r == 0;
  }
  int k = b.exponent - a.exponent;
  // a mod (b · 10^k): if b · 10^k exceeds a (< 10^20) the remainder is a itself, not zero.
  if (k + DecimalDigits(b.mantissa) > 21) return false;
  UInt128 m = b.mantissa;
  for (int i = 0; i < k; ++i) m *= 10;
  return static_cast<UInt128>(a.mantissa) % m == 0;
}

bool JsonEqual(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) return CompareNumbers(a, b) == 0;
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case json::kind::null:
      return true;
    case json::kind::bool_:
      return a.get_bool() == b.get_bool();
    case json::kind::string:
      return a.get_string() == b.get_string();
    case json::kind::array: {
      const auto& x = a.get_array();
      const auto& y = b.get_array();
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (!JsonEqual(x[i], y[i])) return false;
      }
      return true;
    }
    case json::kind::object: {
      const auto& x = a.get_object();
      const auto& y = b.get_object();
      if (x.size() != y.size()) return false;
      for (const auto& member : x) {
        auto it = y.find(member.key());
        if (it == y.end() || !JsonEqual(member.value(), it->value())) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

std::size_t JsonHash(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return 0x51ed270b;
    case json::kind::bool_:
      return v.get_bool() ? 0x2545f491 : 0x9e3779b9;
    case json::kind::string: {
      const auto& s = v.get_string();
      return std::hash<std::string_view>()(std::string_view(s.data(), s.size()));
    }
    case json::kind::array: {
      std::size_t h = 0x1234567;
      for (const auto& item : v.get_array()) h = HashCombine(h, JsonHash(item));
      return h;
    }
    case json::kind::object: {
      std::size_t h = 0x7654321;
      for (const auto& member : v.get_object()) {
        std::string_view key(member.key().data(), member.key().size());
        h += HashCombine(std::hash<std::string_view>()(key), JsonHash(member.value()));
      }
      return h;
    }
    default:
      return HashNumber(v);
  }
}

std::size_t CodePointLength(std::string_view utf8) {
  std::size_t n = 0;
  for (char c : utf8) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

bool AllUnique(const json::array& array, std::size_t* first, std::size_t* second) {
  const std::size_t n = array.size();
  auto report = [&](std::size_t i, std::size_t j) {
    if (first != nullptr) *first = std::min(i, j);
    if (second != nullptr) *second = std::max(i, j);
    return false;
  };
  if (n <= 16) {
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = i + 1; j < n; ++j) {
        if (JsonEqual(array[i], array[j])) return report(i, j);
      }
    }
    return true;
  }
  std::vector<std::pair<std::size_t, std::size_t>> hashes;  // (hash, index)
  hashes.reserve(n);
  for (std::size_t i = 0; i < n; ++i) hashes.emplace_back(JsonHash(array[i]), i);
  std::sort(hashes.begin(), hashes.end());
  for (std::size_t start = 0; start < n;) {
    std::size_t end = start + 1;
    while (end < n && hashes[end].first == hashes[start].first) ++end;
    for (std::size_t i = start; i < end; ++i) {
      for (std::size_t j = i + 1; j < end; ++j) {
        if (JsonEqual(array[hashes[i].second], array[hashes[j].second])) {
          return report(hashes[i].second, hashes[j].second);
        }
      }
    }
    start = end;
  }
  return true;
}

std::string ShortJson(const json::value& v, std::size_t max_chars) {
  std::string text = core::SerializeJson(v);
  if (text.size() > max_chars) {
    std::size_t cut = max_chars;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text.resize(cut);
    text += "...";
  }
  return text;
}

}  // namespace capstan::jsonschema
