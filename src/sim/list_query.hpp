// Validation of the ListJWTs query string (contract §2.1, §2.4): every rule, every error
// reported at once as invalid_arguments details.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "sim/errors.hpp"
#include "sim/store.hpp"

namespace capstan::sim {

// Parses `audience_id` (required, UUID), `order_by` (4 values, default created_at_asc), `page`
// (≥1; empty or 0 = 1), `page_size` (1..100; empty or 0 = 20) and `expired` (Go's ParseBool set:
// 1 t T TRUE true True / 0 f F FALSE false False; empty = unset). The first occurrence of a
// parameter wins; unknown parameters are ignored, even malformed ones. Errors come sorted by
// argument name.
[[nodiscard]] tl::expected<ListQuery, std::vector<ArgumentError>> ParseListQuery(
    std::string_view raw_query);

// Go's strconv.ParseBool accepted set; nullopt for anything else.
[[nodiscard]] std::optional<bool> ParseBool(std::string_view text);

}  // namespace capstan::sim
