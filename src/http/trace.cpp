#include "http/trace.hpp"

#include <atomic>
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

namespace {

// Ids need uniqueness, not secrecy: a per-thread generator seeded once.
std::uint64_t NonZeroRandom() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  std::uint64_t value = 0;
  while (value == 0) value = generator();
  return value;
}

void AppendHex64(std::string& out, std::uint64_t value) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int shift = 60; shift >= 0; shift -= 4) out.push_back(kHex[(value >> shift) & 15]);
}

std::atomic<SpanSink*> g_sink{nullptr};
std::atomic<double> g_sampling{1.0};

}  // namespace

std::string NewSpanId() {
  std::string out;
  AppendHex64(out, NonZeroRandom());
  return out;
}

std::string NewTraceId() {
  std::string out;
  AppendHex64(out, NonZeroRandom());
  AppendHex64(out, NonZeroRandom());
  return out;
}

std::string Traceparent(const TraceContext& trace, std::string_view span_id) {
  std::string out = "00-" + trace.trace_id + "-";
  out += span_id;
  out += "-" + trace.flags;
  return out;
}

std::string ChildTraceparent(const TraceContext& trace) { return Traceparent(trace, NewSpanId()); }

void SetSpanSink(SpanSink* sink, double sampling_ratio) {
  g_sampling.store(sampling_ratio < 0   ? 0
                   : sampling_ratio > 1 ? 1
                                        : sampling_ratio,
                   std::memory_order_relaxed);
  g_sink.store(sink, std::memory_order_release);
}

SpanSink* ActiveSpanSink() { return g_sink.load(std::memory_order_acquire); }

void BeginServerSpan(std::optional<TraceContext>& trace) {
  if (ActiveSpanSink() == nullptr) return;
  if (!trace) {
    thread_local std::mt19937_64 generator{std::random_device{}()};
    const double ratio = g_sampling.load(std::memory_order_relaxed);
    const bool sampled =
        ratio >= 1.0 || std::uniform_real_distribution<double>(0.0, 1.0)(generator) < ratio;
    TraceContext root;
    root.trace_id = NewTraceId();
    root.flags = sampled ? "01" : "00";
    trace = std::move(root);
  }
  trace->span_id = NewSpanId();
}

}  // namespace capstan::http
