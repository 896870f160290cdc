#include "auth/jwt.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

namespace capstan::auth {

using core::ErrorCode;
using core::Fail;

std::optional<std::string> DecodeBase64Url(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  // The leftover bits must be zero (a canonical encoding).
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

core::Result<Jws> ParseJws(std::string_view token) {
  const std::size_t first = token.find('.');
  const std::size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return Fail(ErrorCode::kInvalidArgument, "not a JWS compact serialization (3 parts)");
  }
  auto header = DecodeBase64Url(token.substr(0, first));
  auto payload = DecodeBase64Url(token.substr(first + 1, second - first - 1));
  auto signature = DecodeBase64Url(token.substr(second + 1));
  if (!header || !payload || !signature) {
    return Fail(ErrorCode::kInvalidArgument, "a part is not base64url");
  }
  auto h = core::ParseJson(*header);
  auto p = core::ParseJson(*payload);
  if (!h || !h->is_object()) return Fail(ErrorCode::kInvalidArgument, "the header is not JSON");
  if (!p || !p->is_object()) return Fail(ErrorCode::kInvalidArgument, "the claims are not JSON");
  Jws out;
  out.header = std::move(h->get_object());
  out.claims = std::move(p->get_object());
  const json::value* alg = out.header.if_contains("alg");
  if (alg == nullptr || !alg->is_string()) {
    return Fail(ErrorCode::kInvalidArgument, "the header has no \"alg\"");
  }
  out.signing_input = std::string(token.substr(0, second));
  out.signature = std::move(*signature);
  return out;
}

namespace {

std::string StringMember(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;

Bn ToBn(std::string_view bytes) {
  return Bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                      static_cast<int>(bytes.size()), nullptr));
}

core::Result<std::shared_ptr<EVP_PKEY>> FromParams(const char* type, OSSL_PARAM_BLD* bld) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* key = nullptr;
  const bool ok = params != nullptr && ctx != nullptr && EVP_PKEY_fromdata_init(ctx) == 1 &&
                  EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) == 1;
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  if (!ok) return Fail(ErrorCode::kInvalidArgument, std::string("not a valid ") + type + " key");
  return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

}  // namespace

core::Result<PublicKey> PublicKey::FromJwk(const json::object& jwk) {
  PublicKey out;
  out.kty_ = StringMember(jwk, "kty");
  out.kid_ = StringMember(jwk, "kid");
  out.alg_ = StringMember(jwk, "alg");
  const std::string use = StringMember(jwk, "use");
  if (!use.empty() && use != "sig") {
    return Fail(ErrorCode::kInvalidArgument, "a key for \"" + use + "\", not signatures");
  }
  auto member = [&](std::string_view name) -> core::Result<std::string> {
    auto decoded = DecodeBase64Url(StringMember(jwk, name));
    if (!decoded || decoded->empty()) {
      return Fail(ErrorCode::kInvalidArgument, "JWK member \"" + std::string(name) + "\" missing");
    }
    return std::move(*decoded);
  };
  if (out.kty_ == "RSA") {
    CAPSTAN_ASSIGN_OR_RETURN(std::string n, member("n"));
    CAPSTAN_ASSIGN_OR_RETURN(std::string e, member("e"));
    if (n.size() * 8 < 2048) return Fail(ErrorCode::kInvalidArgument, "RSA key under 2048 bits");
    Bn bn_n = ToBn(n);
    Bn bn_e = ToBn(e);
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    if (bld == nullptr || !bn_n || !bn_e ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
      OSSL_PARAM_BLD_free(bld);
      return Fail(ErrorCode::kInternal, "cannot build an RSA key");
    }
    auto key = FromParams("RSA", bld);
    OSSL_PARAM_BLD_free(bld);
    if (!key) return Fail(std::move(key).error());
    out.key_ = std::move(*key);
    return out;
  }
  if (out.kty_ == "EC") {
    if (StringMember(jwk, "crv") != "P-256") {
      return Fail(ErrorCode::kInvalidArgument, "EC keys must be on P-256 (ES256)");
    }
    CAPSTAN_ASSIGN_OR_RETURN(std::string x, member("x"));
    CAPSTAN_ASSIGN_OR_RETURN(std::string y, member("y"));
    if (x.size() != 32 || y.size() != 32) {
      return Fail(ErrorCode::kInvalidArgument, "P-256 coordinates are 32 bytes");
    }
    std::string point = "\x04" + x + y;  // uncompressed SEC1 point
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    if (bld == nullptr ||
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                         point.size()) != 1) {
      OSSL_PARAM_BLD_free(bld);
      return Fail(ErrorCode::kInternal, "cannot build an EC key");
    }
    auto key = FromParams("EC", bld);
    OSSL_PARAM_BLD_free(bld);
    if (!key) return Fail(std::move(key).error());
    out.key_ = std::move(*key);
    return out;
  }
  if (out.kty_ == "OKP") {
    if (StringMember(jwk, "crv") != "Ed25519") {
      return Fail(ErrorCode::kInvalidArgument, "OKP keys must be Ed25519 (EdDSA)");
    }
    CAPSTAN_ASSIGN_OR_RETURN(std::string x, member("x"));
    EVP_PKEY* key = EVP_PKEY_new_raw_public_key(
        EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(x.data()), x.size());
    if (key == nullptr) return Fail(ErrorCode::kInvalidArgument, "not a valid Ed25519 key");
    out.key_ = std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
    return out;
  }
  return Fail(ErrorCode::kInvalidArgument, "unsupported key type \"" + out.kty_ + "\"");
}

bool PublicKey::Verify(std::string_view alg, std::string_view input,
                       std::string_view signature) const {
  if (!key_) return false;
  if (!alg_.empty() && alg_ != alg) return false;  // the key names its one algorithm
  const bool rsa = (alg == "RS256" || alg == "PS256") && kty_ == "RSA";
  const bool ec = alg == "ES256" && kty_ == "EC";
  const bool ed = alg == "EdDSA" && kty_ == "OKP";
  if (!rsa && !ec && !ed) return false;
  std::string der;
  if (ec) {
    // JWS carries r || s (32 bytes each); OpenSSL verifies the DER ECDSA-Sig-Value.
    if (signature.size() != 64) return false;
    ECDSA_SIG* sig = ECDSA_SIG_new();
    BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(signature.data()), 32, nullptr);
    BIGNUM* s =
        BN_bin2bn(reinterpret_cast<const unsigned char*>(signature.data()) + 32, 32, nullptr);
    if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
      BN_free(r);
      BN_free(s);
      ECDSA_SIG_free(sig);
      return false;
    }
    unsigned char* out = nullptr;
    const int len = i2d_ECDSA_SIG(sig, &out);
    ECDSA_SIG_free(sig);
    if (len <= 0) return false;
    der.assign(reinterpret_cast<char*>(out), static_cast<std::size_t>(len));
    OPENSSL_free(out);
    signature = der;
  }
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  if (md == nullptr) return false;
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = EVP_DigestVerifyInit(md, &pctx, ed ? nullptr : EVP_sha256(), nullptr, key_.get()) == 1;
  if (ok && alg == "PS256") {
    ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
  }
  ok = ok && EVP_DigestVerify(
                 md, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                 reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(md);
  return ok;
}

core::Result<KeySet> KeySet::FromJson(std::string_view document) {
  auto parsed = core::ParseJson(document);
  if (!parsed || !parsed->is_object()) {
    return Fail(ErrorCode::kInvalidArgument, "the JWK Set is not a JSON object");
  }
  const json::value* keys = parsed->get_object().if_contains("keys");
  if (keys == nullptr || !keys->is_array()) {
    return Fail(ErrorCode::kInvalidArgument, "the JWK Set has no \"keys\" array");
  }
  KeySet out;
  for (const json::value& k : keys->get_array()) {
    if (!k.is_object()) {
      ++out.skipped;
      continue;
    }
    auto key = PublicKey::FromJwk(k.get_object());
    if (key) {
      out.keys.push_back(std::move(*key));
    } else {
      ++out.skipped;
    }
  }
  return out;
}

std::vector<const PublicKey*> KeySet::Candidates(const std::string& kid) const {
  std::vector<const PublicKey*> out;
  for (const PublicKey& k : keys) {
    if (kid.empty() || k.kid() == kid) out.push_back(&k);
  }
  return out;
}

std::vector<std::string> SplitScopes(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const std::size_t space = s.find(' ');
    if (space != 0) out.emplace_back(s.substr(0, space));
    if (space == std::string_view::npos) break;
    s.remove_prefix(space + 1);
  }
  return out;
}

bool Principal::HasScope(std::string_view scope) const {
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

namespace {

std::optional<double> NumberClaim(const json::object& claims, std::string_view name) {
  const json::value* v = claims.if_contains(name);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  if (v->is_double()) return v->get_double();
  return std::nullopt;
}

// A header value as a reason may show it: short, plain characters only (it comes from the
// caller and ends up in a WWW-Authenticate header).
std::string Shown(const std::string& value) {
  if (value.empty()) return "(none)";
  if (value.size() > 64) return "(unrecognised)";
  for (char c : value) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return "(unrecognised)";
    }
  }
  return value;
}

tl::unexpected<TokenError> Refuse(std::string description, bool unknown_key = false) {
  return tl::unexpected(TokenError{"invalid_token", std::move(description), unknown_key});
}

}  // namespace

tl::expected<Principal, TokenError> ValidateAccessToken(std::string_view token, const KeySet& keys,
                                                        const TokenPolicy& policy,
                                                        std::chrono::system_clock::time_point now) {
  auto jws = ParseJws(token);
  if (!jws) return Refuse("malformed token: " + jws.error().message);
  const std::string alg = StringMember(jws->header, "alg");
  if (std::find(policy.algorithms.begin(), policy.algorithms.end(), alg) ==
      policy.algorithms.end()) {
    return Refuse("algorithm " + Shown(alg) + " is not accepted");
  }
  if (jws->header.contains("crit")) return Refuse("unsupported critical header parameters");
  const std::string kid = StringMember(jws->header, "kid");
  const auto candidates = keys.Candidates(kid);
  if (candidates.empty()) return Refuse("no key with kid " + Shown(kid), true);
  bool verified = false;
  for (const PublicKey* k : candidates) {
    if (k->Verify(alg, jws->signing_input, jws->signature)) {
      verified = true;
      break;
    }
  }
  if (!verified) return Refuse("bad signature");
  const json::object& claims = jws->claims;
  if (StringMember(claims, "iss") != policy.issuer) return Refuse("wrong issuer");
  bool audience = false;
  if (const json::value* aud = claims.if_contains("aud")) {
    if (aud->is_string()) audience = aud->get_string() == policy.audience;
    if (aud->is_array()) {
      for (const json::value& a : aud->get_array()) {
        audience = audience || (a.is_string() && a.get_string() == policy.audience);
      }
    }
  }
  if (!audience) return Refuse("wrong audience");
  const double t = std::chrono::duration<double>(now.time_since_epoch()).count();
  const double leeway = static_cast<double>(policy.leeway.count());
  auto exp = NumberClaim(claims, "exp");
  if (!exp || !std::isfinite(*exp)) return Refuse("no expiry (exp)");
  if (t > *exp + leeway) return Refuse("expired");
  if (auto nbf = NumberClaim(claims, "nbf"); nbf && t + leeway < *nbf) {
    return Refuse("not valid yet (nbf)");
  }
  if (auto iat = NumberClaim(claims, "iat"); iat && t + leeway < *iat) {
    return Refuse("issued in the future (iat)");
  }
  Principal p;
  p.subject = StringMember(claims, "sub");
  if (const json::value* scope = claims.if_contains("scope"); scope && scope->is_string()) {
    p.scopes = SplitScopes(scope->get_string());
  } else if (const json::value* scp = claims.if_contains("scp"); scp && scp->is_array()) {
    for (const json::value& v : scp->get_array()) {
      if (v.is_string()) p.scopes.emplace_back(v.get_string());
    }
  }
  p.claims = claims;
  return p;
}

}  // namespace capstan::auth
