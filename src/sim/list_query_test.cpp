#include "sim/list_query.hpp"

#include <gtest/gtest.h>

namespace capstan::sim {
namespace {

constexpr char kAudience[] = "audience_id=9e57858d-7555-463e-9c74-2dc2d02019b8";

std::vector<ArgumentError> Errors(std::string_view query) {
  auto parsed = ParseListQuery(query);
  EXPECT_FALSE(parsed) << query;
  return parsed ? std::vector<ArgumentError>{} : parsed.error();
}

ListQuery Ok(std::string_view query) {
  auto parsed = ParseListQuery(query);
  EXPECT_TRUE(parsed) << query;
  return parsed ? *parsed : ListQuery{};
}

std::string With(std::string_view extra) {
  return std::string(kAudience) + "&" + std::string(extra);
}

TEST(ListQuery, Defaults) {
  ListQuery q = Ok(kAudience);
  EXPECT_EQ(q.audience_id, "9e57858d-7555-463e-9c74-2dc2d02019b8");
  EXPECT_EQ(q.order_by, OrderBy::kCreatedAtAsc);
  EXPECT_EQ(q.page, 1u);
  EXPECT_EQ(q.page_size, 20u);
  EXPECT_EQ(q.expired, ExpiredFilter::kAll);
}

TEST(ListQuery, AudienceRequired) {
  using E = std::vector<ArgumentError>;
  E required{{"audience_id", "required", "value is required"}};
  EXPECT_EQ(Errors(""), required);
  EXPECT_EQ(Errors("audience_id="), required);
  EXPECT_EQ(Errors("audience_id"), required);
  EXPECT_EQ(Errors("page=1"), required);
}

TEST(ListQuery, AudienceUuid) {
  std::vector<ArgumentError> format{{"audience_id", "format", "value must be a valid UUID"}};
  EXPECT_EQ(Errors("audience_id=string"), format);
  EXPECT_EQ(Errors("audience_id=9e57858d-7555-463e-9c74-2dc2d02019b"), format);
  EXPECT_EQ(Errors("audience_id=%zz")[0].reason, "format");
  // Upper case is accepted and normalised; percent-encoded too.
  EXPECT_EQ(Ok("audience_id=9E57858D-7555-463E-9C74-2DC2D02019B8").audience_id,
            "9e57858d-7555-463e-9c74-2dc2d02019b8");
  EXPECT_EQ(Ok("audience_id=9e57858d%2D7555-463e-9c74-2dc2d02019b8").audience_id,
            "9e57858d-7555-463e-9c74-2dc2d02019b8");
}

TEST(ListQuery, OrderBy) {
  EXPECT_EQ(Ok(With("order_by=created_at_asc")).order_by, OrderBy::kCreatedAtAsc);
  EXPECT_EQ(Ok(With("order_by=created_at_desc")).order_by, OrderBy::kCreatedAtDesc);
  EXPECT_EQ(Ok(With("order_by=updated_at_asc")).order_by, OrderBy::kUpdatedAtAsc);
  EXPECT_EQ(Ok(With("order_by=updated_at_desc")).order_by, OrderBy::kUpdatedAtDesc);
  EXPECT_EQ(Ok(With("order_by=")).order_by, OrderBy::kCreatedAtAsc);
  auto errors = Errors(With("order_by=CREATED_AT_ASC"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].argument_name, "order_by");
  EXPECT_EQ(errors[0].reason, "format");
  EXPECT_EQ(Errors(With("order_by=name_asc"))[0].argument_name, "order_by");
}

TEST(ListQuery, Page) {
  EXPECT_EQ(Ok(With("page=3")).page, 3u);
  EXPECT_EQ(Ok(With("page=0")).page, 1u);  // protobuf zero value = unset
  EXPECT_EQ(Ok(With("page=")).page, 1u);
  EXPECT_EQ(Ok(With("page=2147483647")).page, 2147483647u);
  EXPECT_EQ(Errors(With("page=-1"))[0].reason, "constraint");
  EXPECT_EQ(Errors(With("page=2147483648"))[0].reason, "constraint");
  EXPECT_EQ(Errors(With("page=abc"))[0].reason, "format");
  EXPECT_EQ(Errors(With("page=1.5"))[0].reason, "format");
  EXPECT_EQ(Errors(With("page=99999999999999999999"))[0].reason, "constraint");
  EXPECT_EQ(Errors(With("page=1x"))[0].argument_name, "page");
}

TEST(ListQuery, PageSize) {
  EXPECT_EQ(Ok(With("page_size=1")).page_size, 1u);
  EXPECT_EQ(Ok(With("page_size=100")).page_size, 100u);
  EXPECT_EQ(Ok(With("page_size=0")).page_size, 20u);  // 0 = default
  EXPECT_EQ(Ok(With("page_size=")).page_size, 20u);
  auto errors = Errors(With("page_size=101"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0],
            (ArgumentError{"page_size", "constraint", "value must be between 1 and 100"}));
  EXPECT_EQ(Errors(With("page_size=-5"))[0].reason, "constraint");
  EXPECT_EQ(Errors(With("page_size=ten"))[0].reason, "format");
}

TEST(ListQuery, Expired) {
  for (const char* yes : {"true", "True", "TRUE", "1", "t", "T"}) {
    EXPECT_EQ(Ok(With(std::string("expired=") + yes)).expired, ExpiredFilter::kOnlyExpired) << yes;
  }
  for (const char* no : {"false", "False", "FALSE", "0", "f", "F"}) {
    EXPECT_EQ(Ok(With(std::string("expired=") + no)).expired, ExpiredFilter::kOnlyLive) << no;
  }
  EXPECT_EQ(Ok(With("expired=")).expired, ExpiredFilter::kAll);
  for (const char* bad : {"yes", "tRUE", "2", "truee", "%20true"}) {
    auto errors = Errors(With(std::string("expired=") + bad));
    ASSERT_EQ(errors.size(), 1u) << bad;
    EXPECT_EQ(errors[0].argument_name, "expired");
    EXPECT_EQ(errors[0].reason, "format");
  }
}

TEST(ListQuery, UnknownParamsIgnoredEvenMalformed) {
  ListQuery q = Ok(With("type=unknown_type&x=%zz&%zz=1&flag&page_token=abc"));
  EXPECT_EQ(q.page, 1u);
}

TEST(ListQuery, FirstOccurrenceWins) {
  ListQuery q = Ok(With("page=2&page=abc&audience_id=bad"));
  EXPECT_EQ(q.page, 2u);
}

TEST(ListQuery, AllErrorsAtOnceSortedByName) {
  auto errors = Errors("page_size=0x&page=-3&order_by=x&expired=maybe");
  ASSERT_EQ(errors.size(), 5u);
  EXPECT_EQ(errors[0].argument_name, "audience_id");
  EXPECT_EQ(errors[1].argument_name, "expired");
  EXPECT_EQ(errors[2].argument_name, "order_by");
  EXPECT_EQ(errors[3].argument_name, "page");
  EXPECT_EQ(errors[4].argument_name, "page_size");
}

TEST(ListQuery, SdkSerialisations) {
  // Go SDK (sorted, always order_by), JS SDK, Python SDK (capitalised booleans).
  EXPECT_TRUE(
      ParseListQuery("audience_id=9e57858d-7555-463e-9c74-2dc2d02019b8&expired=false&"
                     "order_by=created_at_asc&page=1"));
  EXPECT_TRUE(
      ParseListQuery("audience_id=9e57858d-7555-463e-9c74-2dc2d02019b8&expired=false&"
                     "page_size=20"));
  EXPECT_TRUE(ParseListQuery("audience_id=9e57858d-7555-463e-9c74-2dc2d02019b8&expired=False"));
}

}  // namespace
}  // namespace capstan::sim
