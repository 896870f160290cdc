#include "runtime/digest.hpp"

#include <cstdio>

#include <openssl/evp.h>

#include "core/hex.hpp"

namespace capstan::runtime {

using core::ErrorCode;
using core::Fail;

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::optional<std::string> Hash(std::string_view algorithm, std::string_view data) {
  const EVP_MD* md = nullptr;
  std::string a = Lower(algorithm);
  if (a == "md5" || a == "md5-sess") md = EVP_md5();
  if (a == "sha-256" || a == "sha-256-sess") md = EVP_sha256();
  if (md == nullptr) return std::nullopt;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, md, nullptr) != 1) return std::nullopt;
  return core::HexLower(std::string_view(reinterpret_cast<const char*>(digest), len));
}

// A quoted-string (RFC 9110 5.6.4): quotes and backslashes escaped.
std::string Quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace

bool IsSupportedDigestAlgorithm(std::string_view algorithm) {
  std::string a = Lower(algorithm);
  return a == "md5" || a == "md5-sess" || a == "sha-256" || a == "sha-256-sess";
}

std::optional<DigestChallenge> ParseDigestChallenge(std::string_view header) {
  std::size_t i = 0;
  while (i < header.size() && header[i] == ' ') ++i;
  if (Lower(header.substr(i, 6)) != "digest" || (header.size() > i + 6 && header[i + 6] != ' ')) {
    return std::nullopt;
  }
  i += 6;
  DigestChallenge c;
  bool has_nonce = false;
  while (i < header.size()) {
    while (i < header.size() && (header[i] == ' ' || header[i] == ',')) ++i;
    std::size_t eq = header.find('=', i);
    if (eq == std::string_view::npos) break;
    std::string key = Lower(header.substr(i, eq - i));
    while (!key.empty() && key.back() == ' ') key.pop_back();
    i = eq + 1;
    std::string value;
    if (i < header.size() && header[i] == '"') {
      ++i;
      while (i < header.size() && header[i] != '"') {
        if (header[i] == '\\' && i + 1 < header.size()) ++i;
        value += header[i++];
      }
      ++i;
    } else {
      while (i < header.size() && header[i] != ',') value += header[i++];
      while (!value.empty() && value.back() == ' ') value.pop_back();
    }
    if (key == "realm") c.realm = value;
    if (key == "nonce") {
      c.nonce = value;
      has_nonce = true;
    }
    if (key == "opaque") c.opaque = value;
    if (key == "algorithm") c.algorithm = value;
    if (key == "qop") {
      std::string q = Lower(value);
      std::size_t pos = 0;
      while (pos <= q.size()) {
        std::size_t comma = q.find(',', pos);
        std::string token =
            q.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        while (!token.empty() && token.front() == ' ') token.erase(0, 1);
        while (!token.empty() && token.back() == ' ') token.pop_back();
        if (token == "auth") c.qop_auth = true;
        if (comma == std::string::npos) break;
        pos = comma + 1;
      }
    }
  }
  if (!has_nonce) return std::nullopt;
  return c;
}

core::Result<std::string> DigestAuthorization(const DigestChallenge& c, std::string_view username,
                                              std::string_view password, std::string_view method,
                                              std::string_view uri, std::string_view cnonce,
                                              unsigned nonce_count) {
  auto ha1 = Hash(c.algorithm, std::string(username) + ":" + c.realm + ":" + std::string(password));
  if (!ha1) {
    return Fail(ErrorCode::kUpstreamError, "unsupported digest algorithm " + c.algorithm);
  }
  std::string a = Lower(c.algorithm);
  if (a.size() > 5 && a.substr(a.size() - 5) == "-sess") {
    ha1 = Hash(c.algorithm, *ha1 + ":" + c.nonce + ":" + std::string(cnonce));
  }
  auto ha2 = Hash(c.algorithm, std::string(method) + ":" + std::string(uri));
  char nc[16];
  std::snprintf(nc, sizeof nc, "%08x", nonce_count);
  std::optional<std::string> response;
  if (c.qop_auth) {
    response = Hash(c.algorithm,
                    *ha1 + ":" + c.nonce + ":" + nc + ":" + std::string(cnonce) + ":auth:" + *ha2);
  } else {
    response = Hash(c.algorithm, *ha1 + ":" + c.nonce + ":" + *ha2);
  }
  std::string out = "Digest username=" + Quoted(username) + ", realm=" + Quoted(c.realm) +
                    ", nonce=" + Quoted(c.nonce) + ", uri=" + Quoted(uri) +
                    ", algorithm=" + c.algorithm + ", response=\"" + *response + "\"";
  if (c.qop_auth) out += ", qop=auth, nc=" + std::string(nc) + ", cnonce=" + Quoted(cnonce);
  if (!c.opaque.empty()) out += ", opaque=" + Quoted(c.opaque);
  return out;
}

}  // namespace capstan::runtime
