// The simulator's seed data: JWTs with relative timestamps and the accepted tokens, read from a
// JSON file (format in docs/simulator.md) or from the built-in copy of
// data/sim/scaleway-iam-jwts.json.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "sim/format.hpp"
#include "sim/store.hpp"

namespace capstan::sim {

// A secret key the simulator accepts in X-Auth-Token. With a user_id, the key belongs to that
// user and may only read and delete the JWTs whose audience is that user (others → 403); without
// one it is an organization-wide (IAM manager) key.
struct TokenGrant {
  std::string secret_key;
  std::optional<std::string> user_id;  // lower-case UUID
  bool operator==(const TokenGrant&) const = default;
};

struct SeedData {
  std::vector<Jwt> jwts;
  std::vector<TokenGrant> tokens;
};

// Parses a seed document. Seed times ("now-48h", RFC 3339, null) resolve against `now`. Every
// problem is an error naming its place ("jwts[3].ip: ..."); unknown keys are errors too, except
// keys starting with '_' (comments).
[[nodiscard]] core::Result<SeedData> ParseSeed(std::string_view json_text, Micros now);

// Reads and parses a seed file.
[[nodiscard]] core::Result<SeedData> LoadSeedFile(const std::string& path, Micros now);

// The built-in default seed (a copy of data/sim/scaleway-iam-jwts.json made at build time).
[[nodiscard]] std::string_view DefaultSeedJson();

// Parses a --token value: "SECRET" (organization-wide) or "SECRET:USER_ID".
[[nodiscard]] core::Result<TokenGrant> ParseTokenFlag(std::string_view flag);

}  // namespace capstan::sim
