// Wire formats of the Scaleway API as the simulator needs them: UUIDs, microsecond RFC 3339
// timestamps, relative seed times ("now-48h") and IP addresses.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace capstan::sim {

// Microseconds since the Unix epoch, UTC.
using Micros = std::int64_t;

// The current time in microseconds.
[[nodiscard]] Micros NowMicros();

// True for a canonical 8-4-4-4-12 hexadecimal UUID (either case).
[[nodiscard]] bool IsUuid(std::string_view text);

// Lower-cases ASCII letters.
[[nodiscard]] std::string ToLower(std::string_view text);

// "2026-07-02T08:14:09.203118Z": always six fractional digits and `Z`.
void AppendTimestamp(std::string& out, Micros value);
[[nodiscard]] std::string FormatTimestamp(Micros value);

// Parses an RFC 3339 date-time with `Z` or a numeric offset; fractions beyond µs are truncated.
[[nodiscard]] core::Result<Micros> ParseTimestamp(std::string_view text);

// A seed time: "now", "now-48h", "now+30d", "now-1d2h30m15s" (units d, h, m, s, relative to
// `now`) or an absolute RFC 3339 timestamp.
[[nodiscard]] core::Result<Micros> ParseSeedTime(std::string_view text, Micros now);

// True for a textual IPv4 or IPv6 address (inet_pton).
[[nodiscard]] bool IsIpAddress(std::string_view text);

}  // namespace capstan::sim
