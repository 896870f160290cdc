// JSON Web Tokens for an OAuth 2.1 resource server: the JWS compact form (RFC 7515) parsed
// strictly, public keys from JWKs (RFC 7517: RSA, EC P-256, Ed25519) and signatures checked with
// OpenSSL 3 (RS256, PS256, ES256, EdDSA; never "none"), then the claims (RFC 7519, RFC 9068).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"
#include "core/result.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace capstan::auth {

namespace json = core::json;

struct Jws {
  json::object header;
  json::object claims;
  std::string signing_input;  // "<header>.<payload>" as received
  std::string signature;      // decoded bytes
};

// Three base64url parts without padding, a JSON object header with a string "alg", a JSON
// object payload. Anything else is kInvalidArgument naming what is wrong.
[[nodiscard]] core::Result<Jws> ParseJws(std::string_view token);

// base64url without padding (RFC 4648 §5), strict: nullopt on any other character.
[[nodiscard]] std::optional<std::string> DecodeBase64Url(std::string_view text);

// A verification key of a JWK Set.
class PublicKey {
 public:
  // kty RSA (n, e), EC with crv P-256 (x, y) or OKP with crv Ed25519 (x); "use" other than
  // "sig" is refused. kInvalidArgument names the problem.
  [[nodiscard]] static core::Result<PublicKey> FromJwk(const json::object& jwk);
  // True when `signature` is a valid `alg` signature of `input` by this key; false for an alg
  // that does not fit the key type (RS256 with an EC key, ...).
  [[nodiscard]] bool Verify(std::string_view alg, std::string_view input,
                            std::string_view signature) const;
  [[nodiscard]] const std::string& kid() const { return kid_; }
  [[nodiscard]] const std::string& alg() const { return alg_; }  // the JWK's own, may be empty

 private:
  std::shared_ptr<EVP_PKEY> key_;
  std::string kty_;
  std::string kid_;
  std::string alg_;
};

// The keys of a JWK Set document ({"keys": [...]}); keys that cannot be used are skipped and
// counted in `skipped`.
struct KeySet {
  std::vector<PublicKey> keys;
  std::size_t skipped = 0;
  [[nodiscard]] static core::Result<KeySet> FromJson(std::string_view document);
  // The keys a token may be checked with: those of its kid, or all when it has none.
  [[nodiscard]] std::vector<const PublicKey*> Candidates(const std::string& kid) const;
};

// What an access token must carry.
struct TokenPolicy {
  std::string issuer;
  std::string audience;  // one of "aud" (a string or an array)
  std::chrono::seconds leeway{60};
  std::vector<std::string> algorithms = {"RS256", "PS256", "ES256", "EdDSA"};
};

// A validated token's subject, scopes and claims.
struct Principal {
  std::string subject;
  std::vector<std::string> scopes;  // "scope" (space separated) or "scp" (an array)
  json::object claims;
  [[nodiscard]] bool HasScope(std::string_view scope) const;
};

// The scopes of a space-separated `scope` value (RFC 6749 §3.3), empty items skipped.
[[nodiscard]] std::vector<std::string> SplitScopes(std::string_view scope);

// Why a token was refused: `error` is the RFC 6750 code ("invalid_token"), `description` the
// reason (never the token itself).
struct TokenError {
  std::string error = "invalid_token";
  std::string description;
  bool unknown_key = false;  // no key of the token's kid: a JWKS refresh may help
};

// Checks signature (against `keys`), alg (allow-listed, never "none"), iss, aud, exp, nbf and
// iat. `now` is injectable for tests.
[[nodiscard]] tl::expected<Principal, TokenError> ValidateAccessToken(
    std::string_view token, const KeySet& keys, const TokenPolicy& policy,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace capstan::auth
