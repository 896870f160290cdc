// Base64 (RFC 4648, standard alphabet) for HTTP Basic credentials, and a constant-time comparison
// for secrets (inbound tokens, API keys, passwords).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace capstan::core {

[[nodiscard]] std::string EncodeBase64(std::string_view in);
// Decodes padded or unpadded Base64; nullopt on a character outside the alphabet.
[[nodiscard]] std::optional<std::string> DecodeBase64(std::string_view in);

// Compares two secrets in time that depends only on their lengths, not on where they differ.
[[nodiscard]] bool ConstantTimeEquals(std::string_view given, std::string_view expected);

}  // namespace capstan::core
