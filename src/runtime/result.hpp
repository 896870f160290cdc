// What an invocation needs from its caller (CallContext) and what it gives back
// (InvocationResult), shared by simple calls, step plans and the adapters.
#pragma once

#include <chrono>
#include <string>

#include <boost/asio/cancellation_signal.hpp>

#include "consumes/upstream_client.hpp"
#include "http/trace.hpp"

namespace capstan::runtime {

// What one invocation needs from its caller: the loop's upstream client and a cancellation slot.
struct CallContext {
  consumes::UpstreamClient* client = nullptr;
  boost::asio::cancellation_slot cancel;
  const http::TraceContext* trace = nullptr;  // each upstream call carries a child traceparent
};

// The outcome of an invocation, ready for an adapter to put on the wire.
struct InvocationResult {
  int status = 200;
  std::string body;
  std::string content_type;    // "application/json" for JSON results, else the upstream's
  bool is_json = false;        // body is JSON text
  bool json_verified = false;  // body is known to be one JSON text (core::IsJsonGrammar holds)
  int upstream_status = 0;     // 0 for mock results
  std::string failed_step;  // orchestrated: the step that answered outside 2xx, "name (GET ns.op)"
  std::chrono::microseconds upstream_time{0};
};

}  // namespace capstan::runtime
