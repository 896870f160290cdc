#include "http/trace.hpp"

#include <random>

namespace capstan::http {
namespace {

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool AllZero(std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; }

}  // namespace

std::optional<TraceContext> ParseTraceContext(std::string_view tp, std::string_view state) {
  // version(2) - trace-id(32) - parent-id(16) - flags(2) = 55 characters.
  if (tp.size() < 55 || tp[2] != '-' || tp[35] != '-' || tp[52] != '-') return std::nullopt;
  std::string_view version = tp.substr(0, 2);
  if (!IsLowerHex(version) || version == "ff") return std::nullopt;
  if (version == "00" && tp.size() != 55) return std::nullopt;
  if (version != "00" && tp.size() > 55 && tp[55] != '-') return std::nullopt;
  TraceContext out;
  std::string_view trace = tp.substr(3, 32);
  std::string_view parent = tp.substr(36, 16);
  std::string_view flags = tp.substr(53, 2);
  if (!IsLowerHex(trace) || !IsLowerHex(parent) || !IsLowerHex(flags)) return std::nullopt;
  if (AllZero(trace) || AllZero(parent)) return std::nullopt;
  out.trace_id = std::string(trace);
  out.parent_id = std::string(parent);
  out.flags = std::string(flags);
  // tracestate: at most 512 characters of list-members is what must be kept; a longer or
  // control-character value is dropped rather than forwarded.
  if (state.size() <= 512 && state.find_first_of("\r\n") == std::string_view::npos) {
    out.state = std::string(state);
  }
  return out;
}

std::string ChildTraceparent(const TraceContext& trace) {
  // Span ids need uniqueness, not secrecy: a per-thread generator seeded once.
  thread_local std::mt19937_64 generator{std::random_device{}()};
  std::uint64_t span = 0;
  while (span == 0) span = generator();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "00-" + trace.trace_id + "-";
  for (int shift = 60; shift >= 0; shift -= 4) out.push_back(kHex[(span >> shift) & 15]);
  out += "-" + trace.flags;
  return out;
}

}  // namespace capstan::http
