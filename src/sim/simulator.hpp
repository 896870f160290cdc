// The Scaleway IAM JWT simulator as an http::Handler: routes, X-Auth-Token checks, list
// validation, the JWT store, and the fault knobs (latency, failure rate, rate limit).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "http/message.hpp"
#include "sim/seed.hpp"
#include "sim/store.hpp"

namespace capstan::sim {

inline constexpr std::string_view kServerName = "Scaleway API Gateway (sim)";
// The contract's simulator secret key (§5); accepted, organization-wide, unless configured away.
inline constexpr std::string_view kDefaultToken = "6c7ef130-6442-42fd-b525-ccf941221566";
inline constexpr std::string_view kCollectionPath = "/iam/v1alpha1/jwts";

struct SimulatorOptions {
  std::vector<TokenGrant> tokens;        // accepted X-Auth-Token values
  std::string path_prefix;               // e.g. "/v1": served with and without it
  std::chrono::milliseconds latency{0};  // added before every answer (not to 429s)
  double fail_rate = 0;                  // 0..1: share of requests answered 500 internal
  double rate_limit = 0;                 // requests per second over all clients; 0 = none
};

// The tokens in force: the seed's, then the --token flags (a flag replaces a seed entry with the
// same secret). When both are empty, the contract's default key, organization-wide.
[[nodiscard]] std::vector<TokenGrant> MergeTokens(const std::vector<TokenGrant>& seed,
                                                  const std::vector<TokenGrant>& flags);

class Simulator {
 public:
  Simulator(std::unique_ptr<JwtStore> store, SimulatorOptions options);

  // The deterministic core, without fault injection: routing, auth, validation and the store.
  // `now` decides which JWTs are expired.
  [[nodiscard]] http::Response Handle(const http::Request& request, Micros now);

  // The http::Handler: rate limit (429), latency, failure rate (500), then Handle().
  boost::asio::awaitable<http::Response> Serve(http::Request& request);
  [[nodiscard]] http::Handler MakeHandler();

  [[nodiscard]] JwtStore& store() { return *store_; }

 private:
  enum class Route { kNone, kList, kItem, kMetadata };
  Route Match(std::string_view path, std::string_view& jti) const;
  const TokenGrant* Authenticate(const http::Request& request, http::Response& denied) const;
  http::Response List(const http::Request& request, const TokenGrant& grant, Micros now) const;
  http::Response Item(const http::Request& request, std::string_view raw_jti,
                      const TokenGrant& grant);
  bool AdmitRateLimited();
  bool ShouldFail() const;

  std::unique_ptr<JwtStore> store_;
  SimulatorOptions options_;
  std::unordered_map<std::string, TokenGrant> tokens_;
  // Token bucket for --rate-limit.
  std::mutex bucket_mu_;
  double bucket_tokens_ = 0;
  std::chrono::steady_clock::time_point bucket_refilled_;
};

// One JSON access-log line, without the newline: time, request_id, remote, method, target (raw,
// as received), path, query, status, duration_us, bytes_in, bytes_out, auth_token_present,
// user_agent and header_names (as received). Never a header value other than User-Agent.
[[nodiscard]] std::string AccessLogLine(const http::Request& request,
                                        const http::Response& response,
                                        std::chrono::microseconds duration);

}  // namespace capstan::sim
