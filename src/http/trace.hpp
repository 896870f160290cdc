// W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` and `tracestate`
// of a request, parsed strictly, and the child `traceparent` an upstream call carries; and the
// spans capstan records for an exporter (SpanSink, set once at start: docs/operations.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace capstan::http {

struct TraceContext {
  std::string trace_id;   // 32 lower-case hex digits, not all zero
  std::string parent_id;  // 16 lower-case hex digits, not all zero: the caller's span
  std::string flags;      // 2 hex digits (01: sampled)
  std::string state;      // tracestate as received (forwarded unchanged), may be empty
  // capstan's own span for the request: set when spans are exported (empty otherwise, and then
  // upstream calls get a fresh span id that nothing records).
  std::string span_id;
  [[nodiscard]] bool sampled() const { return flags.size() == 2 && (flags[1] & 1) == 1; }
};

// `traceparent` "00-<trace-id>-<parent-id>-<flags>" (a later version is read by its first four
// fields, as the specification asks). nullopt for anything malformed, version ff or zero ids.
[[nodiscard]] std::optional<TraceContext> ParseTraceContext(std::string_view traceparent,
                                                            std::string_view tracestate = {});

// "00-<trace-id>-<new span id>-<flags>": the traceparent of a call made on behalf of `trace`.
[[nodiscard]] std::string ChildTraceparent(const TraceContext& trace);
// "00-<trace-id>-<span_id>-<flags>".
[[nodiscard]] std::string Traceparent(const TraceContext& trace, std::string_view span_id);

// Random non-zero ids, lower-case hex: 16 digits (span) and 32 digits (trace).
[[nodiscard]] std::string NewSpanId();
[[nodiscard]] std::string NewTraceId();

// One finished span, as OTLP describes it.
struct Span {
  enum class Kind { kServer = 2, kClient = 3 };
  std::string trace_id;
  std::string span_id;
  std::string parent_span_id;  // empty for a root
  std::string name;
  Kind kind = Kind::kServer;
  std::chrono::system_clock::time_point start;
  std::chrono::system_clock::time_point end;
  bool error = false;  // status ERROR (5xx answered, or the upstream call failed)
  std::vector<std::pair<std::string, std::string>> string_attributes;
  std::vector<std::pair<std::string, std::int64_t>> int_attributes;
};

// Where finished spans go (an exporter). Record() is called from any event loop and must not
// block.
class SpanSink {
 public:
  virtual ~SpanSink() = default;
  virtual void Record(Span span) = 0;
};

// The process's span sink and sampling ratio; set once before serving (null: no spans, the
// default). Not owned.
void SetSpanSink(SpanSink* sink, double sampling_ratio);
[[nodiscard]] SpanSink* ActiveSpanSink();

// With a span sink: gives an inbound request capstan's span id and, when it carries no valid
// traceparent, a new trace whose sampled flag follows the sampling ratio (a parent's flag is
// kept: parent-based sampling). Without one: leaves `trace` as it is.
void BeginServerSpan(std::optional<TraceContext>& trace);

}  // namespace capstan::http
