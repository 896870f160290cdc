#include "exposes/server/endpoint.hpp"

#include "http/wire.hpp"

namespace capstan::exposes {

ClaimedPath ClaimTemplate(std::string_view path_template) {
  ClaimedPath claim;
  claim.shown = std::string(path_template);
  std::string_view rest = path_template;
  if (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  while (true) {
    std::size_t slash = rest.find('/');
    std::string_view segment = rest.substr(0, slash);
    bool variable = segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
    claim.segments.emplace_back(variable ? "{}" : std::string(segment));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return claim;
}

namespace {

bool Overlap(const ClaimedPath& a, const ClaimedPath& b) {
  if (a.segments.size() != b.segments.size()) return false;
  for (std::size_t i = 0; i < a.segments.size(); ++i) {
    if (a.segments[i] == "{}" || b.segments[i] == "{}") continue;
    if (a.segments[i] != b.segments[i]) return false;
  }
  return true;
}

}  // namespace

core::Status CheckCollisions(const std::vector<std::shared_ptr<Endpoint>>& endpoints) {
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    auto claims_i = endpoints[i]->Claims();
    for (std::size_t j = i + 1; j < endpoints.size(); ++j) {
      for (const ClaimedPath& a : claims_i) {
        for (const ClaimedPath& b : endpoints[j]->Claims()) {
          if (Overlap(a, b)) {
            return core::Fail(core::ErrorCode::kInvalidArgument,
                              "route collision on a shared listener: " + a.shown + " of " +
                                  endpoints[i]->Describe() + " and " + b.shown + " of " +
                                  endpoints[j]->Describe());
          }
        }
      }
    }
  }
  return core::Ok();
}

int HttpStatusFor(core::ErrorCode code) {
  switch (code) {
    case core::ErrorCode::kInvalidArgument:
      return 400;
    case core::ErrorCode::kNotFound:
      return 404;
    case core::ErrorCode::kUnauthenticated:
      return 401;
    case core::ErrorCode::kPermissionDenied:
      return 403;
    case core::ErrorCode::kPayloadTooLarge:
      return 413;
    case core::ErrorCode::kUpstreamUnavailable:
    case core::ErrorCode::kUpstreamError:
    case core::ErrorCode::kMappingFailed:
      return 502;
    case core::ErrorCode::kUpstreamTimeout:
      return 504;
    case core::ErrorCode::kCancelled:
      return 499;
    case core::ErrorCode::kUnavailable:
      return 503;
    case core::ErrorCode::kIo:
    case core::ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

http::Response JsonErrorResponse(int status, std::string_view type, std::string_view message) {
  return http::ErrorResponse(status, type, message);  // ill-formed UTF-8 becomes U+FFFD
}

http::Response ErrorResponse(const core::Error& error) {
  return JsonErrorResponse(HttpStatusFor(error.code), core::ErrorCodeName(error.code),
                           error.message);
}

}  // namespace capstan::exposes
