#include "exposes/server/endpoint.hpp"

#include <algorithm>

#include "http/route.hpp"
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

// Endpoints up to this many are asked in order: cheaper than splitting the path for a key.
constexpr std::size_t kLinearDispatchMax = 4;
// Longer keys split the candidates no further for real route sets.
constexpr std::size_t kMaxKeySegments = 4;

std::size_t LeadingLiterals(const ClaimedPath& claim) {
  std::size_t n = 0;
  while (n < claim.segments.size() && claim.segments[n] != "{}") ++n;
  return n;
}

// Segments joined with '\0': two different segment lists may share a key only when a segment
// holds a decoded NUL, which adds a candidate that Matches() then turns down, never loses one.
template <typename Segments>
std::string KeyOf(const Segments& segments, std::size_t k) {
  std::string key;
  for (std::size_t i = 0; i < k; ++i) {
    if (i > 0) key.push_back('\0');
    key.append(segments[i]);
  }
  return key;
}

}  // namespace

Dispatcher::Dispatcher(std::vector<std::shared_ptr<Endpoint>> endpoints)
    : endpoints_(std::move(endpoints)) {
  if (endpoints_.size() <= kLinearDispatchMax) return;
  std::size_t k = kMaxKeySegments;
  std::vector<std::vector<ClaimedPath>> claims;
  for (const auto& e : endpoints_) {
    if (!e->MatchesOnlyClaims()) return;
    claims.push_back(e->Claims());
    for (const ClaimedPath& c : claims.back()) k = std::min(k, LeadingLiterals(c));
  }
  if (k == 0) return;
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    for (const ClaimedPath& c : claims[i]) {
      std::vector<Endpoint*>& list = index_[KeyOf(c.segments, k)];
      if (list.empty() || list.back() != endpoints_[i].get()) list.push_back(endpoints_[i].get());
    }
  }
  key_segments_ = k;
  indexed_ = true;
}

Endpoint* Dispatcher::FindLinear(std::string_view raw_path) const {
  for (const auto& e : endpoints_) {
    if (e->Matches(raw_path)) return e.get();
  }
  return nullptr;
}

Endpoint* Dispatcher::Find(std::string_view raw_path) const {
  if (!indexed_) return FindLinear(raw_path);
  auto segments = http::SplitPath(raw_path);
  if (!segments) return FindLinear(raw_path);  // the endpoints say what they make of it
  if (segments->size() < key_segments_) return nullptr;
  auto it = index_.find(KeyOf(*segments, key_segments_));
  if (it == index_.end()) return nullptr;
  for (Endpoint* e : it->second) {
    if (e->Matches(raw_path)) return e;
  }
  return nullptr;
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
