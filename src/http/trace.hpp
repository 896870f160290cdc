// W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` and `tracestate`
// of a request, parsed strictly, and the child `traceparent` an upstream call carries.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace capstan::http {

struct TraceContext {
  std::string trace_id;   // 32 lower-case hex digits, not all zero
  std::string parent_id;  // 16 lower-case hex digits, not all zero: the caller's span
  std::string flags;      // 2 hex digits (01: sampled)
  std::string state;      // tracestate as received (forwarded unchanged), may be empty
};

// `traceparent` "00-<trace-id>-<parent-id>-<flags>" (a later version is read by its first four
// fields, as the specification asks). nullopt for anything malformed, version ff or zero ids.
[[nodiscard]] std::optional<TraceContext> ParseTraceContext(std::string_view traceparent,
                                                            std::string_view tracestate = {});

// "00-<trace-id>-<new span id>-<flags>": the traceparent of a call made on behalf of `trace`.
[[nodiscard]] std::string ChildTraceparent(const TraceContext& trace);

}  // namespace capstan::http
