// For tests: key pairs made with OpenSSL (RSA 2048, EC P-256, Ed25519), their public JWKs, and
// signed JWS compact tokens, so that validation is checked against freshly made keys.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "core/json.hpp"

namespace capstan::auth::testing {

inline std::string Base64Url(std::string_view bytes) {
  static constexpr char kChars[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n = (static_cast<unsigned char>(bytes[i]) << 16) |
                   (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                   static_cast<unsigned char>(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kChars[(n >> s) & 63];
  }
  if (bytes.size() - i == 1) {
    const auto n = static_cast<unsigned char>(bytes[i]) << 16;
    out += kChars[(n >> 18) & 63];
    out += kChars[(n >> 12) & 63];
  } else if (bytes.size() - i == 2) {
    const auto n = (static_cast<unsigned char>(bytes[i]) << 16) |
                   (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += kChars[(n >> 18) & 63];
    out += kChars[(n >> 12) & 63];
    out += kChars[(n >> 6) & 63];
  }
  return out;
}

class Signer {
 public:
  // "RS256", "PS256", "ES256" or "EdDSA".
  Signer(std::string alg, std::string kid) : alg_(std::move(alg)), kid_(std::move(kid)) {
    EVP_PKEY* key = nullptr;
    if (alg_ == "RS256" || alg_ == "PS256") key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", 2048);
    if (alg_ == "ES256") key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    if (alg_ == "EdDSA") key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    key_.reset(key, EVP_PKEY_free);
  }

  [[nodiscard]] core::json::object Jwk() const {
    core::json::object jwk;
    jwk["kid"] = kid_;
    jwk["use"] = "sig";
    if (alg_ == "RS256" || alg_ == "PS256") {
      jwk["kty"] = "RSA";
      jwk["n"] = Base64Url(Bn(OSSL_PKEY_PARAM_RSA_N));
      jwk["e"] = Base64Url(Bn(OSSL_PKEY_PARAM_RSA_E));
    } else if (alg_ == "ES256") {
      unsigned char point[65];
      std::size_t len = 0;
      EVP_PKEY_get_octet_string_param(key_.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point,
                                      &len);
      jwk["kty"] = "EC";
      jwk["crv"] = "P-256";
      jwk["x"] = Base64Url(std::string_view(reinterpret_cast<char*>(point) + 1, 32));
      jwk["y"] = Base64Url(std::string_view(reinterpret_cast<char*>(point) + 33, 32));
    } else {
      unsigned char raw[32];
      std::size_t len = sizeof raw;
      EVP_PKEY_get_raw_public_key(key_.get(), raw, &len);
      jwk["kty"] = "OKP";
      jwk["crv"] = "Ed25519";
      jwk["x"] = Base64Url(std::string_view(reinterpret_cast<char*>(raw), len));
    }
    return jwk;
  }

  // header.claims.signature; `header` gets alg (unless `alg_override`) and kid.
  [[nodiscard]] std::string Sign(const core::json::object& claims,
                                 std::string alg_override = {}) const {
    core::json::object header{
        {"alg", alg_override.empty() ? alg_ : alg_override}, {"kid", kid_}, {"typ", "at+jwt"}};
    std::string input = Base64Url(core::SerializeJson(core::json::value(header))) + "." +
                        Base64Url(core::SerializeJson(core::json::value(claims)));
    return input + "." + Base64Url(Signature(input));
  }

  [[nodiscard]] std::string Signature(std::string_view input) const {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    EVP_PKEY_CTX* pctx = nullptr;
    const bool ed = alg_ == "EdDSA";
    EVP_DigestSignInit(md, &pctx, ed ? nullptr : EVP_sha256(), nullptr, key_.get());
    if (alg_ == "PS256") {
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
    }
    std::size_t len = 0;
    EVP_DigestSign(md, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                   input.size());
    std::string sig(len, '\0');
    EVP_DigestSign(md, reinterpret_cast<unsigned char*>(sig.data()), &len,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    sig.resize(len);
    EVP_MD_CTX_free(md);
    if (alg_ != "ES256") return sig;
    // DER ECDSA-Sig-Value → r || s, 32 bytes each.
    const unsigned char* p = reinterpret_cast<const unsigned char*>(sig.data());
    ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size()));
    std::string raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(es), reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(es), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    ECDSA_SIG_free(es);
    return raw;
  }

 private:
  std::string Bn(const char* name) const {
    BIGNUM* bn = nullptr;
    EVP_PKEY_get_bn_param(key_.get(), name, &bn);
    std::string out(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
    BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
    BN_free(bn);
    return out;
  }
  std::string alg_;
  std::string kid_;
  std::shared_ptr<EVP_PKEY> key_;
};

}  // namespace capstan::auth::testing
