// HTTP Digest access authentication (RFC 7616), client side: parses a `WWW-Authenticate: Digest`
// challenge and computes the `Authorization` header (MD5, MD5-sess, SHA-256, SHA-256-sess;
// qop=auth).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace capstan::runtime {

struct DigestChallenge {
  std::string realm;
  std::string nonce;
  std::string opaque;
  std::string algorithm = "MD5";
  bool qop_auth = false;  // the server offered qop="auth"
};

// Parses a WWW-Authenticate value; nullopt if it is not a usable Digest challenge.
[[nodiscard]] std::optional<DigestChallenge> ParseDigestChallenge(std::string_view header);

// True for the algorithms DigestAuthorization computes: MD5, MD5-sess, SHA-256, SHA-256-sess.
[[nodiscard]] bool IsSupportedDigestAlgorithm(std::string_view algorithm);

// Builds the Authorization header value for one request. `cnonce` is the client nonce (random in
// production, fixed in tests).
[[nodiscard]] core::Result<std::string> DigestAuthorization(
    const DigestChallenge& challenge, std::string_view username, std::string_view password,
    std::string_view method, std::string_view uri, std::string_view cnonce,
    unsigned nonce_count = 1);

}  // namespace capstan::runtime
