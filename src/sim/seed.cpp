#include "sim/seed.hpp"

#include <fstream>
#include <sstream>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "core/json.hpp"

namespace capstan::sim {
namespace {

namespace json = core::json;

tl::unexpected<core::Error> SeedError(const std::string& where, std::string_view message) {
  return core::Fail(core::ErrorCode::kInvalidArgument, where + ": " + std::string(message));
}

std::string_view Str(const json::string& s) { return {s.data(), s.size()}; }

core::Status CheckKeys(const json::object& object, const std::string& where,
                       std::initializer_list<std::string_view> allowed) {
  for (const auto& entry : object) {
    std::string_view key(entry.key().data(), entry.key().size());
    if (!key.empty() && key.front() == '_') continue;
    bool known = false;
    for (std::string_view a : allowed) known = known || a == key;
    if (!known) return SeedError(where, "unknown key \"" + std::string(key) + "\"");
  }
  return core::Ok();
}

core::Result<std::string> RequiredString(const json::object& object, std::string_view key,
                                         const std::string& where) {
  const json::value* value = object.if_contains(key);
  if (!value || !value->is_string()) {
    return SeedError(where + "." + std::string(key), "a string is required");
  }
  return std::string(Str(value->get_string()));
}

core::Result<std::string> RequiredUuid(const json::object& object, std::string_view key,
                                       const std::string& where) {
  CAPSTAN_ASSIGN_OR_RETURN(std::string value, RequiredString(object, key, where));
  if (!IsUuid(value)) return SeedError(where + "." + std::string(key), "not a UUID: " + value);
  return ToLower(value);
}

core::Result<std::optional<Micros>> OptionalTime(const json::object& object, std::string_view key,
                                                 const std::string& where, Micros now) {
  const json::value* value = object.if_contains(key);
  if (!value || value->is_null()) return std::optional<Micros>();
  if (!value->is_string()) {
    return SeedError(where + "." + std::string(key), "a time string or null is required");
  }
  auto parsed = ParseSeedTime(Str(value->get_string()), now);
  if (!parsed) return SeedError(where + "." + std::string(key), parsed.error().message);
  return std::optional<Micros>(*parsed);
}

core::Result<Jwt> ParseJwt(const json::value& value, const std::string& where, Micros now) {
  if (!value.is_object()) return SeedError(where, "an object is required");
  const json::object& object = value.get_object();
  CAPSTAN_RETURN_IF_ERROR(CheckKeys(object, where,
                                    {"jti", "issuer_id", "audience_id", "created_at", "updated_at",
                                     "expires_at", "ip", "user_agent"}));
  Jwt jwt;
  CAPSTAN_ASSIGN_OR_RETURN(jwt.jti, RequiredUuid(object, "jti", where));
  CAPSTAN_ASSIGN_OR_RETURN(jwt.issuer_id, RequiredUuid(object, "issuer_id", where));
  CAPSTAN_ASSIGN_OR_RETURN(jwt.audience_id, RequiredUuid(object, "audience_id", where));
  CAPSTAN_ASSIGN_OR_RETURN(jwt.created_at, OptionalTime(object, "created_at", where, now));
  CAPSTAN_ASSIGN_OR_RETURN(jwt.updated_at, OptionalTime(object, "updated_at", where, now));
  CAPSTAN_ASSIGN_OR_RETURN(jwt.expires_at, OptionalTime(object, "expires_at", where, now));
  CAPSTAN_ASSIGN_OR_RETURN(jwt.ip, RequiredString(object, "ip", where));
  if (!IsIpAddress(jwt.ip)) return SeedError(where + ".ip", "not an IP address: " + jwt.ip);
  CAPSTAN_ASSIGN_OR_RETURN(jwt.user_agent, RequiredString(object, "user_agent", where));
  return jwt;
}

core::Result<TokenGrant> ParseToken(const json::value& value, const std::string& where) {
  if (!value.is_object()) return SeedError(where, "an object is required");
  const json::object& object = value.get_object();
  CAPSTAN_RETURN_IF_ERROR(CheckKeys(object, where, {"secret_key", "user_id", "description"}));
  TokenGrant grant;
  CAPSTAN_ASSIGN_OR_RETURN(grant.secret_key, RequiredString(object, "secret_key", where));
  if (grant.secret_key.empty()) return SeedError(where + ".secret_key", "must not be empty");
  const json::value* user = object.if_contains("user_id");
  if (user && !user->is_null()) {
    CAPSTAN_ASSIGN_OR_RETURN(std::string id, RequiredUuid(object, "user_id", where));
    grant.user_id = std::move(id);
  }
  return grant;
}

}  // namespace

core::Result<SeedData> ParseSeed(std::string_view json_text, Micros now) {
  auto parsed = core::ParseJson(json_text);
  if (!parsed) return SeedError("seed", parsed.error().message);
  if (!parsed->is_object()) return SeedError("seed", "the document must be an object");
  const json::object& root = parsed->get_object();
  CAPSTAN_RETURN_IF_ERROR(CheckKeys(root, "seed", {"jwts", "tokens"}));
  SeedData seed;
  const json::value* jwts = root.if_contains("jwts");
  if (!jwts || !jwts->is_array()) return SeedError("seed.jwts", "an array is required");
  for (std::size_t i = 0; i < jwts->get_array().size(); ++i) {
    std::string where = "jwts[" + std::to_string(i) + "]";
    CAPSTAN_ASSIGN_OR_RETURN(Jwt jwt, ParseJwt(jwts->get_array()[i], where, now));
    seed.jwts.push_back(std::move(jwt));
  }
  if (const json::value* tokens = root.if_contains("tokens")) {
    if (!tokens->is_array()) return SeedError("seed.tokens", "an array is required");
    for (std::size_t i = 0; i < tokens->get_array().size(); ++i) {
      std::string where = "tokens[" + std::to_string(i) + "]";
      CAPSTAN_ASSIGN_OR_RETURN(TokenGrant grant, ParseToken(tokens->get_array()[i], where));
      seed.tokens.push_back(std::move(grant));
    }
  }
  return seed;
}

core::Result<SeedData> LoadSeedFile(const std::string& path, Micros now) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::Fail(core::ErrorCode::kIo, "cannot open seed file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return core::Fail(core::ErrorCode::kIo, "cannot read seed file " + path);
  auto seed = ParseSeed(text.str(), now);
  if (!seed) return core::Fail(seed.error().code, path + ": " + seed.error().message);
  return seed;
}

// Defined in the generated default_seed_data.cpp (cmake/capstan_embed_file.cmake).
extern const unsigned char kDefaultSeedData[];
extern const std::size_t kDefaultSeedSize;

std::string_view DefaultSeedJson() {
  return {reinterpret_cast<const char*>(kDefaultSeedData), kDefaultSeedSize};
}

core::Result<TokenGrant> ParseTokenFlag(std::string_view flag) {
  TokenGrant grant;
  std::size_t colon = flag.find(':');
  grant.secret_key = std::string(flag.substr(0, colon));
  if (grant.secret_key.empty()) {
    return core::Fail(core::ErrorCode::kInvalidArgument, "--token: empty secret key");
  }
  for (char c : grant.secret_key) {
    if (c <= ' ' || c == 0x7f) {
      return core::Fail(core::ErrorCode::kInvalidArgument,
                        "--token: the secret key contains a space or control character");
    }
  }
  if (colon != std::string_view::npos) {
    std::string_view user = flag.substr(colon + 1);
    if (!IsUuid(user)) {
      return core::Fail(core::ErrorCode::kInvalidArgument,
                        "--token: user id is not a UUID: " + std::string(user));
    }
    grant.user_id = ToLower(user);
  }
  return grant;
}

}  // namespace capstan::sim
