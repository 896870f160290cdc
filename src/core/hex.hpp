// Lower-case hexadecimal text of raw bytes (digests, random ids), the one place it is written.
#pragma once

#include <string>
#include <string_view>

namespace capstan::core {

[[nodiscard]] inline std::string HexLower(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.resize(bytes.size() * 2);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kDigits[b >> 4];
    out[2 * i + 1] = kDigits[b & 0xF];
  }
  return out;
}

}  // namespace capstan::core
