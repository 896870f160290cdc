#include "sim/store.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <limits>
#include <mutex>

#include "core/json.hpp"

namespace capstan::sim {
namespace {

void AppendOptionalTimestamp(std::string& out, const std::optional<Micros>& value) {
  if (!value) {
    out.append("null");
    return;
  }
  out.push_back('"');
  AppendTimestamp(out, *value);
  out.push_back('"');
}

// Sort key: nulls sort as the oldest date.
Micros Key(const std::optional<Micros>& value) {
  return value.value_or(std::numeric_limits<Micros>::min());
}

void SortFor(std::vector<StoredJwtPtr>& list, OrderBy order) {
  auto by = [order](const StoredJwtPtr& a, const StoredJwtPtr& b) {
    bool created = order == OrderBy::kCreatedAtAsc || order == OrderBy::kCreatedAtDesc;
    bool desc = order == OrderBy::kCreatedAtDesc || order == OrderBy::kUpdatedAtDesc;
    Micros ka = Key(created ? a->jwt.created_at : a->jwt.updated_at);
    Micros kb = Key(created ? b->jwt.created_at : b->jwt.updated_at);
    if (ka != kb) return desc ? ka > kb : ka < kb;
    return a->jwt.jti < b->jwt.jti;  // ties: by jti, ascending in both directions
  };
  std::sort(list.begin(), list.end(), by);
}

bool Matches(const Jwt& jwt, ExpiredFilter filter, Micros now) {
  if (filter == ExpiredFilter::kAll) return true;
  bool expired = jwt.expires_at && *jwt.expires_at <= now;
  return filter == ExpiredFilter::kOnlyExpired ? expired : !expired;
}

}  // namespace

std::string RenderJwt(const Jwt& jwt) {
  std::string out;
  out.reserve(256 + jwt.user_agent.size());
  out.append("{\"jti\":");
  core::AppendJsonString(out, jwt.jti);
  out.append(",\"issuer_id\":");
  core::AppendJsonString(out, jwt.issuer_id);
  out.append(",\"audience_id\":");
  core::AppendJsonString(out, jwt.audience_id);
  out.append(",\"created_at\":");
  AppendOptionalTimestamp(out, jwt.created_at);
  out.append(",\"updated_at\":");
  AppendOptionalTimestamp(out, jwt.updated_at);
  out.append(",\"expires_at\":");
  AppendOptionalTimestamp(out, jwt.expires_at);
  out.append(",\"ip\":");
  core::AppendJsonString(out, jwt.ip);
  out.append(",\"user_agent\":");
  core::AppendJsonString(out, jwt.user_agent);
  out.push_back('}');
  return out;
}

core::Result<std::unique_ptr<JwtStore>> JwtStore::Create(std::vector<Jwt> jwts) {
  std::unique_ptr<JwtStore> store(new JwtStore());
  for (Jwt& jwt : jwts) {
    auto stored = std::make_shared<StoredJwt>();
    stored->json = RenderJwt(jwt);
    stored->jwt = std::move(jwt);
    std::string jti = stored->jwt.jti;
    auto [it, inserted] = store->by_jti_.emplace(jti, stored);
    if (!inserted) {
      return core::Fail(core::ErrorCode::kInvalidArgument, "duplicate jti " + jti);
    }
    Audience& audience = store->by_audience_[stored->jwt.audience_id];
    for (auto& list : audience.ordered) list.push_back(stored);
  }
  for (auto& [id, audience] : store->by_audience_) {
    for (int order = 0; order < 4; ++order) {
      SortFor(audience.ordered[order], static_cast<OrderBy>(order));
    }
  }
  return store;
}

void JwtStore::RenderList(const ListQuery& query, Micros now, std::string& out) const {
  std::uint64_t first = static_cast<std::uint64_t>(query.page - 1) * query.page_size;
  std::uint64_t last = first + query.page_size;
  std::uint64_t total = 0;
  // One pass collects the page and the total; the body is then sized exactly, so that every
  // request makes one allocation of the final size (no growth, no allocator churn).
  std::array<const StoredJwt*, 100> page{};
  std::size_t count = 0;
  std::shared_lock lock(mu_);
  auto it = by_audience_.find(query.audience_id);
  if (it != by_audience_.end()) {
    for (const StoredJwtPtr& stored : it->second.ordered[static_cast<int>(query.order_by)]) {
      if (!Matches(stored->jwt, query.expired, now)) continue;
      if (total >= first && total < last && count < page.size()) page[count++] = stored.get();
      ++total;
    }
  }
  std::size_t size = 64;
  for (std::size_t i = 0; i < count; ++i) size += page[i]->json.size() + 1;
  out.reserve(out.size() + size);
  out.append("{\"jwts\":[");
  for (std::size_t i = 0; i < count; ++i) {
    if (i) out.push_back(',');
    out.append(page[i]->json);
  }
  lock.unlock();
  out.append("],\"total_count\":");
  char digits[24];
  int n = std::snprintf(digits, sizeof digits, "%llu", static_cast<unsigned long long>(total));
  out.append(digits, static_cast<std::size_t>(n));
  out.push_back('}');
}

StoredJwtPtr JwtStore::Find(std::string_view jti) const {
  std::shared_lock lock(mu_);
  auto it = by_jti_.find(jti);
  return it == by_jti_.end() ? nullptr : it->second;
}

bool JwtStore::Erase(std::string_view jti) {
  std::unique_lock lock(mu_);
  auto it = by_jti_.find(jti);
  if (it == by_jti_.end()) return false;
  StoredJwtPtr stored = it->second;
  by_jti_.erase(it);
  auto audience = by_audience_.find(stored->jwt.audience_id);
  if (audience != by_audience_.end()) {
    for (auto& list : audience->second.ordered) {
      list.erase(std::remove(list.begin(), list.end(), stored), list.end());
    }
  }
  return true;
}

std::size_t JwtStore::size() const {
  std::shared_lock lock(mu_);
  return by_jti_.size();
}

}  // namespace capstan::sim
