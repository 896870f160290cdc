// What every exposed adapter (rest, mcp, ...) offers to a listener: the paths it claims, for
// collision checks and dispatch, and a request handler. Adapters sharing an address:port are
// served by one listener (docs/architecture.md).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/result.hpp"
#include "http/message.hpp"

namespace capstan::exposes {

// A path an endpoint serves: literal segments and variables ("/v1/jwts/{}"), or a literal path.
struct ClaimedPath {
  std::vector<std::string> segments;  // "{}" marks a variable segment
  std::string shown;                  // as written in the capability, for messages
};

class Endpoint {
 public:
  virtual ~Endpoint() = default;
  // "rest adapter 'iam-jwts-rest' (capabilities/x.yaml)", for messages.
  [[nodiscard]] virtual std::string Describe() const = 0;
  // Every path this endpoint serves.
  [[nodiscard]] virtual std::vector<ClaimedPath> Claims() const = 0;
  // True if the request's raw path is one of this endpoint's.
  [[nodiscard]] virtual bool Matches(std::string_view raw_path) const = 0;
  // True if Matches(p) implies that p's decoded segments match one of Claims() literal for
  // literal; a listener may then pick this endpoint by an index of its claims.
  [[nodiscard]] virtual bool MatchesOnlyClaims() const { return false; }
  [[nodiscard]] virtual boost::asio::awaitable<http::Response> Handle(http::Request& request) = 0;
  // Whether the inbound rate limit applies (not to the control adapter: probes must answer).
  [[nodiscard]] virtual bool RateLimited() const { return true; }

  // The metrics series of answers that name none (Response::metric_series 0); set by the host.
  [[nodiscard]] std::uint32_t metric_series() const { return metric_series_; }
  void set_metric_series(std::uint32_t series) { metric_series_ = series; }

 private:
  std::uint32_t metric_series_ = 0;
};

// Picks the endpoint of a shared listener for a raw request path: the first (in registration
// order) whose Matches() holds. With many endpoints that all match only their claims, it looks
// candidates up by the first K decoded segments (K: the fewest leading literal segments of any
// claim) instead of asking each endpoint; otherwise, and for a few endpoints, it asks in order.
class Dispatcher {
 public:
  explicit Dispatcher(std::vector<std::shared_ptr<Endpoint>> endpoints);
  [[nodiscard]] Endpoint* Find(std::string_view raw_path) const;
  [[nodiscard]] bool indexed() const { return indexed_; }

 private:
  [[nodiscard]] Endpoint* FindLinear(std::string_view raw_path) const;
  std::vector<std::shared_ptr<Endpoint>> endpoints_;
  bool indexed_ = false;
  std::size_t key_segments_ = 0;
  std::unordered_map<std::string, std::vector<Endpoint*>> index_;
};

// Splits a path template ("/v1/x/{id}" or "{{id}}") into claimed segments.
[[nodiscard]] ClaimedPath ClaimTemplate(std::string_view path_template);

// Returns an error naming both sides when two claims of different endpoints can match the same
// request path (same segment count, and each segment pair equal or one of them a variable).
[[nodiscard]] core::Status CheckCollisions(const std::vector<std::shared_ptr<Endpoint>>& endpoints);

// A JSON engine error body: {"type":"<code name>","message":"..."} with the HTTP status that
// `code` maps to (REST semantics).
[[nodiscard]] http::Response ErrorResponse(const core::Error& error);
// The same body with an explicit status and type. Bytes of `message` that are not well-formed
// UTF-8 (echoed request bytes) are replaced by U+FFFD, so that the body is always valid JSON.
[[nodiscard]] http::Response JsonErrorResponse(int status, std::string_view type,
                                               std::string_view message);
[[nodiscard]] int HttpStatusFor(core::ErrorCode code);

}  // namespace capstan::exposes
