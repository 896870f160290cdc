#include "sim/store.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <gtest/gtest.h>

#include "core/json.hpp"

namespace capstan::sim {
namespace {

constexpr char kAudience[] = "9e57858d-7555-463e-9c74-2dc2d02019b8";
constexpr Micros kNow = 2000000000LL * 1000000;
constexpr Micros kHour = 3600LL * 1000000;

Jwt MakeJwt(std::string jti, std::optional<Micros> created, std::optional<Micros> updated,
            std::optional<Micros> expires, std::string audience = kAudience) {
  return Jwt{std::move(jti), audience, std::move(audience), created,
             updated,        expires,  "203.0.113.1",       "ua"};
}

std::string Id(int n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012d", n);
  return buf;
}

std::vector<std::string> Jtis(const JwtStore& store, const ListQuery& query,
                              std::uint64_t* total = nullptr) {
  std::string out;
  store.RenderList(query, kNow, out);
  auto parsed = core::ParseJson(out);
  EXPECT_TRUE(parsed) << out;
  std::vector<std::string> jtis;
  for (const auto& jwt : parsed->at("jwts").as_array()) {
    jtis.emplace_back(jwt.at("jti").as_string().c_str());
  }
  EXPECT_TRUE(parsed->at("total_count").is_int64() || parsed->at("total_count").is_uint64());
  if (total) *total = parsed->at("total_count").to_number<std::uint64_t>();
  return jtis;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<Jwt> jwts;
    // created: 3 < 1 = 2 (tie → jti order) < 4; updated: 4 < 3 < 2 < 1; 5 has null dates.
    jwts.push_back(MakeJwt(Id(1), kNow - 5 * kHour, kNow - 1 * kHour, kNow + kHour));
    jwts.push_back(MakeJwt(Id(2), kNow - 5 * kHour, kNow - 2 * kHour, kNow - kHour));  // expired
    jwts.push_back(MakeJwt(Id(3), kNow - 9 * kHour, kNow - 3 * kHour, std::nullopt));
    jwts.push_back(MakeJwt(Id(4), kNow - 1 * kHour, kNow - 4 * kHour, kNow));  // expired (==now)
    jwts.push_back(MakeJwt(Id(5), std::nullopt, std::nullopt, std::nullopt));
    jwts.push_back(
        MakeJwt(Id(9), kNow, kNow, std::nullopt, "d4e39c6f-77f6-450b-8f8e-9f0362a8c06d"));
    auto store = JwtStore::Create(std::move(jwts));
    ASSERT_TRUE(store);
    store_ = std::move(*store);
  }
  ListQuery Query(OrderBy order = OrderBy::kCreatedAtAsc) {
    ListQuery q;
    q.audience_id = kAudience;
    q.order_by = order;
    return q;
  }
  std::unique_ptr<JwtStore> store_;
};

TEST_F(StoreTest, FourOrdersTiesByJtiNullsOldest) {
  using V = std::vector<std::string>;
  EXPECT_EQ(Jtis(*store_, Query(OrderBy::kCreatedAtAsc)), (V{Id(5), Id(3), Id(1), Id(2), Id(4)}));
  EXPECT_EQ(Jtis(*store_, Query(OrderBy::kCreatedAtDesc)), (V{Id(4), Id(1), Id(2), Id(3), Id(5)}));
  EXPECT_EQ(Jtis(*store_, Query(OrderBy::kUpdatedAtAsc)), (V{Id(5), Id(4), Id(3), Id(2), Id(1)}));
  EXPECT_EQ(Jtis(*store_, Query(OrderBy::kUpdatedAtDesc)), (V{Id(1), Id(2), Id(3), Id(4), Id(5)}));
}

TEST_F(StoreTest, ExpiredFilter) {
  using V = std::vector<std::string>;
  ListQuery q = Query();
  q.expired = ExpiredFilter::kOnlyExpired;
  EXPECT_EQ(Jtis(*store_, q), (V{Id(2), Id(4)}));
  q.expired = ExpiredFilter::kOnlyLive;
  EXPECT_EQ(Jtis(*store_, q), (V{Id(5), Id(3), Id(1)}));
}

TEST_F(StoreTest, PagingAndTotalCount) {
  using V = std::vector<std::string>;
  ListQuery q = Query();
  q.page_size = 2;
  std::uint64_t total = 0;
  EXPECT_EQ(Jtis(*store_, q, &total), (V{Id(5), Id(3)}));
  EXPECT_EQ(total, 5u);
  q.page = 3;
  EXPECT_EQ(Jtis(*store_, q, &total), (V{Id(4)}));
  EXPECT_EQ(total, 5u);
  q.page = 4;  // past the end: [] with the same total_count
  EXPECT_EQ(Jtis(*store_, q, &total), V{});
  EXPECT_EQ(total, 5u);
  q.page = 4000000000u;
  EXPECT_EQ(Jtis(*store_, q, &total), V{});
  EXPECT_EQ(total, 5u);
}

TEST_F(StoreTest, UnknownAudienceIsEmpty) {
  ListQuery q = Query();
  q.audience_id = "11111111-1111-4111-8111-111111111111";
  std::string out;
  store_->RenderList(q, kNow, out);
  EXPECT_EQ(out, R"({"jwts":[],"total_count":0})");
}

TEST_F(StoreTest, FindAndErase) {
  ASSERT_NE(store_->Find(Id(1)), nullptr);
  EXPECT_EQ(store_->size(), 6u);
  EXPECT_TRUE(store_->Erase(Id(1)));
  EXPECT_FALSE(store_->Erase(Id(1)));
  EXPECT_EQ(store_->Find(Id(1)), nullptr);
  EXPECT_EQ(store_->size(), 5u);
  std::uint64_t total = 0;
  auto jtis = Jtis(*store_, Query(OrderBy::kUpdatedAtDesc), &total);
  EXPECT_EQ(total, 4u);
  EXPECT_EQ(jtis.front(), Id(2));
}

TEST(Store, DuplicateJtiRejected) {
  std::vector<Jwt> jwts{MakeJwt(Id(1), 0, 0, 0), MakeJwt(Id(1), 0, 0, 0)};
  EXPECT_FALSE(JwtStore::Create(std::move(jwts)));
}

TEST(RenderJwt, WireOrderAndNulls) {
  Jwt jwt =
      MakeJwt("876feec6-561b-4ae0-80d1-6237a8f146db", 1656318849203118, std::nullopt, std::nullopt);
  jwt.ip = "2001:db8::1";
  jwt.user_agent = "a \"quoted\" agent";
  EXPECT_EQ(RenderJwt(jwt),
            R"({"jti":"876feec6-561b-4ae0-80d1-6237a8f146db",)"
            R"("issuer_id":"9e57858d-7555-463e-9c74-2dc2d02019b8",)"
            R"("audience_id":"9e57858d-7555-463e-9c74-2dc2d02019b8",)"
            R"("created_at":"2022-06-27T08:34:09.203118Z","updated_at":null,"expires_at":null,)"
            R"("ip":"2001:db8::1","user_agent":"a \"quoted\" agent"})");
}

}  // namespace
}  // namespace capstan::sim
