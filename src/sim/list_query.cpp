#include "sim/list_query.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <string>

#include "http/query.hpp"
#include "sim/format.hpp"

namespace capstan::sim {
namespace {

constexpr std::string_view kBadEscape = "value is not correctly percent-encoded";

// Parses a decimal integer with an optional sign; out-of-range values saturate.
std::optional<std::int64_t> ParseInteger(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ptr != text.data() + text.size() || text.empty()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {  // all digits, just too large: saturate
    return text.front() == '-' ? std::numeric_limits<std::int64_t>::min()
                               : std::numeric_limits<std::int64_t>::max();
  }
  if (ec != std::errc()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<bool> ParseBool(std::string_view text) {
  if (text == "1" || text == "t" || text == "T" || text == "TRUE" || text == "true" ||
      text == "True") {
    return true;
  }
  if (text == "0" || text == "f" || text == "F" || text == "FALSE" || text == "false" ||
      text == "False") {
    return false;
  }
  return std::nullopt;
}

tl::expected<ListQuery, std::vector<ArgumentError>> ParseListQuery(std::string_view raw_query) {
  static constexpr std::string_view kKnown[] = {"audience_id", "expired", "order_by", "page",
                                                "page_size"};
  // First occurrence of each known parameter, decoded; or a decoding error.
  std::optional<std::string> values[5];
  std::vector<ArgumentError> errors;
  bool seen[5] = {};
  for (const http::RawQueryParam& raw : http::SplitQuery(raw_query)) {
    auto name = http::DecodeQueryComponent(raw.name);
    if (!name) continue;  // an unknown (undecodable) parameter: ignored
    for (std::size_t i = 0; i < 5; ++i) {
      if (*name != kKnown[i] || seen[i]) continue;
      seen[i] = true;
      auto value = http::DecodeQueryComponent(raw.value);
      if (value) {
        values[i] = std::move(*value);
      } else {
        errors.push_back({std::string(kKnown[i]), "format", std::string(kBadEscape)});
      }
    }
  }

  ListQuery query;
  // audience_id
  if (seen[0] && values[0]) {
    if (values[0]->empty()) {
      errors.push_back({"audience_id", "required", "value is required"});
    } else if (!IsUuid(*values[0])) {
      errors.push_back({"audience_id", "format", "value must be a valid UUID"});
    } else {
      query.audience_id = ToLower(*values[0]);
    }
  } else if (!seen[0]) {
    errors.push_back({"audience_id", "required", "value is required"});
  }
  // expired
  if (values[1] && !values[1]->empty()) {
    auto flag = ParseBool(*values[1]);
    if (!flag) {
      errors.push_back({"expired", "format", "value must be a boolean (true or false)"});
    } else {
      query.expired = *flag ? ExpiredFilter::kOnlyExpired : ExpiredFilter::kOnlyLive;
    }
  }
  // order_by
  if (values[2] && !values[2]->empty()) {
    const std::string& v = *values[2];
    if (v == "created_at_asc") {
      query.order_by = OrderBy::kCreatedAtAsc;
    } else if (v == "created_at_desc") {
      query.order_by = OrderBy::kCreatedAtDesc;
    } else if (v == "updated_at_asc") {
      query.order_by = OrderBy::kUpdatedAtAsc;
    } else if (v == "updated_at_desc") {
      query.order_by = OrderBy::kUpdatedAtDesc;
    } else {
      errors.push_back({"order_by", "format",
                        "value must be one of created_at_asc, created_at_desc, updated_at_asc, "
                        "updated_at_desc"});
    }
  }
  // page
  if (values[3] && !values[3]->empty()) {
    auto page = ParseInteger(*values[3]);
    if (!page) {
      errors.push_back({"page", "format", "value must be an integer"});
    } else if (*page < 0 || *page > 2147483647) {
      errors.push_back({"page", "constraint", "value must be between 1 and 2147483647"});
    } else if (*page > 0) {
      query.page = static_cast<std::uint32_t>(*page);
    }
  }
  // page_size
  if (values[4] && !values[4]->empty()) {
    auto size = ParseInteger(*values[4]);
    if (!size) {
      errors.push_back({"page_size", "format", "value must be an integer"});
    } else if (*size < 0 || *size > 100) {
      errors.push_back({"page_size", "constraint", "value must be between 1 and 100"});
    } else if (*size > 0) {
      query.page_size = static_cast<std::uint32_t>(*size);
    }
  }
  if (!errors.empty()) {
    std::stable_sort(errors.begin(), errors.end(), [](const auto& a, const auto& b) {
      return a.argument_name < b.argument_name;
    });
    return tl::unexpected(std::move(errors));
  }
  return query;
}

}  // namespace capstan::sim
