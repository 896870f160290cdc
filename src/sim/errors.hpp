// Scaleway's error envelopes as the simulator sends them: compact JSON with keys sorted, and
// `Content-Type: application/json` exactly (contract §4).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"
#include "http/message.hpp"

namespace capstan::sim {

// One entry of invalid_arguments.details. `reason` is required, format, constraint or unknown.
struct ArgumentError {
  std::string argument_name;
  std::string reason;
  std::string help_message;
  bool operator==(const ArgumentError&) const = default;
};

// Serialises compactly with the keys of every object sorted (recursively).
[[nodiscard]] std::string SortedJson(const core::json::value& value);

// 200/204/... with a JSON body (or none) and `Content-Type: application/json`.
[[nodiscard]] http::Response JsonResponse(int status, std::string body);

// 400 {"details":[{"argument_name","help_message","reason"}...],"message":"invalid argument(s)",
// "type":"invalid_arguments"}
[[nodiscard]] http::Response InvalidArguments(const std::vector<ArgumentError>& details);
// 401 {"message":"authentication is denied","method":"api_key","reason":<reason>,
// "type":"denied_authentication"}
[[nodiscard]] http::Response DeniedAuthentication(std::string_view reason);
// 403 {"details":[{"action":<action>,"resource":<resource>}],"message":"insufficient permissions",
// "type":"permissions_denied"}
[[nodiscard]] http::Response PermissionsDenied(std::string_view action, std::string_view resource);
// 404 {"message":"resource is not found","resource":<resource>,"resource_id":<id>,
// "type":"not_found"}
[[nodiscard]] http::Response NotFound(std::string_view resource, std::string_view resource_id);
// 500 {"message":"internal error","type":"internal"}
[[nodiscard]] http::Response InternalError();
// 429, empty body, no Content-Type, `X-Envoy-Ratelimited: true` (the gateway's rate limit).
[[nodiscard]] http::Response RateLimited();

}  // namespace capstan::sim
