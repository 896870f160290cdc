// The simulator's in-memory, thread-safe JWT table: pre-rendered JSON per JWT, per-audience
// indexes in the four list orders, lock-shared reads and exclusive deletes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"
#include "sim/format.hpp"

namespace capstan::sim {

// One JWT as the API returns it. Unset timestamps are nullopt (JSON null).
struct Jwt {
  std::string jti;
  std::string issuer_id;
  std::string audience_id;
  std::optional<Micros> created_at;
  std::optional<Micros> updated_at;
  std::optional<Micros> expires_at;
  std::string ip;
  std::string user_agent;
};

// The JSON object in the API's field order (jti, issuer_id, audience_id, created_at, updated_at,
// expires_at, ip, user_agent), compact.
[[nodiscard]] std::string RenderJwt(const Jwt& jwt);

enum class OrderBy { kCreatedAtAsc, kCreatedAtDesc, kUpdatedAtAsc, kUpdatedAtDesc };
enum class ExpiredFilter { kAll, kOnlyExpired, kOnlyLive };

struct ListQuery {
  std::string audience_id;  // lower case
  OrderBy order_by = OrderBy::kCreatedAtAsc;
  std::uint32_t page = 1;        // ≥ 1
  std::uint32_t page_size = 20;  // 1..100
  ExpiredFilter expired = ExpiredFilter::kAll;
};

// A stored JWT and its rendered JSON (immutable once stored).
struct StoredJwt {
  Jwt jwt;
  std::string json;
};
using StoredJwtPtr = std::shared_ptr<const StoredJwt>;

class JwtStore {
 public:
  // Fails on a duplicate jti.
  [[nodiscard]] static core::Result<std::unique_ptr<JwtStore>> Create(std::vector<Jwt> jwts);

  // Appends {"jwts":[...],"total_count":N} to `out`. `now` decides what is expired: a JWT is
  // expired when expires_at <= now; a null expires_at never expires. total_count counts the
  // matches before paging; a page past the end has "jwts":[] and the same total_count.
  void RenderList(const ListQuery& query, Micros now, std::string& out) const;

  // The JWT with this jti (lower-cased by the caller), or null.
  [[nodiscard]] StoredJwtPtr Find(std::string_view jti) const;

  // Removes the JWT; false when it is not (or no longer) there.
  bool Erase(std::string_view jti);

  [[nodiscard]] std::size_t size() const;

 private:
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  template <typename V>
  using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;
  struct Audience {
    std::vector<StoredJwtPtr> ordered[4];  // indexed by OrderBy
  };

  JwtStore() = default;

  mutable std::shared_mutex mu_;
  StringMap<StoredJwtPtr> by_jti_;
  StringMap<Audience> by_audience_;
};

}  // namespace capstan::sim
