#include "jsonschema/format.hpp"

#include <gtest/gtest.h>

namespace capstan::jsonschema {
namespace {

bool Check(std::string_view format, std::string_view value) {
  FormatCheck check = FindFormatCheck(format);
  EXPECT_NE(check, nullptr) << format;
  return check != nullptr && check(value);
}

TEST(FormatTest, UnknownFormatsHaveNoCheck) { EXPECT_EQ(FindFormatCheck("color"), nullptr); }

TEST(FormatTest, DatesAndTimes) {
  EXPECT_TRUE(Check("date", "2024-02-29"));
  EXPECT_FALSE(Check("date", "2023-02-29"));
  EXPECT_FALSE(Check("date", "2024-1-01"));
  EXPECT_TRUE(Check("date-time", "1963-06-19T08:30:06.283185Z"));
  EXPECT_TRUE(Check("date-time", "1990-12-31T15:59:60-08:00"));
  EXPECT_FALSE(Check("date-time", "1990-12-31T15:59:60Z"));
  EXPECT_FALSE(Check("date-time", "2013-350T01:01:01"));
  EXPECT_TRUE(Check("time", "08:30:06+01:00"));
  EXPECT_FALSE(Check("time", "08:30:06"));
  EXPECT_TRUE(Check("duration", "P4DT12H30M5S"));
  EXPECT_TRUE(Check("duration", "P2W"));
  EXPECT_FALSE(Check("duration", "PT"));
  EXPECT_FALSE(Check("duration", "P1D2H"));
}

TEST(FormatTest, NetworkNames) {
  EXPECT_TRUE(Check("ipv4", "192.168.0.1"));
  EXPECT_FALSE(Check("ipv4", "256.1.1.1"));
  EXPECT_FALSE(Check("ipv4", "01.1.1.1"));
  EXPECT_TRUE(Check("ipv6", "::1"));
  EXPECT_TRUE(Check("ipv6", "2001:db8::ff00:42:8329"));
  EXPECT_TRUE(Check("ipv6", "::ffff:192.168.0.1"));
  EXPECT_FALSE(Check("ipv6", "1:2:3:4:5:6:7:8:9"));
  EXPECT_FALSE(Check("ipv6", "1::2::3"));
  EXPECT_TRUE(Check("hostname", "api.example-1.com"));
  EXPECT_FALSE(Check("hostname", "-bad.example"));
  EXPECT_TRUE(Check("email", "joe.bloggs@example.com"));
  EXPECT_FALSE(Check("email", "joe..bloggs@example.com"));
  EXPECT_FALSE(Check("email", "no-at-sign"));
}

TEST(FormatTest, IdentifiersAndPointers) {
  EXPECT_TRUE(Check("uri", "https://example.com/a?b=c#d"));
  EXPECT_FALSE(Check("uri", "/relative"));
  EXPECT_FALSE(Check("uri", "https://exa mple.com"));
  EXPECT_TRUE(Check("uri-reference", "/relative#x"));
  EXPECT_TRUE(Check("uuid", "2eb8aa08-aa98-11ea-b4aa-73b441d16380"));
  EXPECT_FALSE(Check("uuid", "2eb8aa08aa9811eab4aa73b441d16380"));
  EXPECT_TRUE(Check("json-pointer", "/a~1b/0"));
  EXPECT_FALSE(Check("json-pointer", "/a~2"));
  EXPECT_TRUE(Check("relative-json-pointer", "1/a"));
  EXPECT_TRUE(Check("relative-json-pointer", "0#"));
  EXPECT_FALSE(Check("relative-json-pointer", "-1/a"));
  EXPECT_TRUE(Check("regex", "^[a-z]+$"));
  EXPECT_FALSE(Check("regex", "^(?=a)"));
  EXPECT_TRUE(Check("uri-template", "https://example.com/{id}"));
  EXPECT_FALSE(Check("uri-template", "https://example.com/{id"));
}

}  // namespace
}  // namespace capstan::jsonschema
