#include "core/utf8.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace capstan::core {
namespace {

// The well-formed range of the byte after `lead` (Unicode Table 3-7), and the sequence length;
// length 0 for a byte that cannot start a sequence.
struct Lead {
  std::size_t length = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
};

Lead Classify(unsigned char c) {
  Lead lead;
  if (c >= 0xC2 && c <= 0xDF) {
    lead.length = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    lead.length = 3;
    if (c == 0xE0) lead.lo = 0xA0;  // overlong
    if (c == 0xED) lead.hi = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    lead.length = 4;
    if (c == 0xF0) lead.lo = 0x90;  // overlong
    if (c == 0xF4) lead.hi = 0x8F;  // above U+10FFFF
  }
  return lead;
}

// How many bytes from `at` (a byte >= 0x80) belong to one sequence: all of it when it is
// well-formed (`complete` set), else its maximal subpart (at least one byte).
std::size_t SequenceAt(const unsigned char* bytes, std::size_t n, std::size_t at, bool& complete) {
  const Lead lead = Classify(bytes[at]);
  complete = false;
  if (lead.length == 0) return 1;
  std::size_t k = 1;
  if (at + k < n && bytes[at + k] >= lead.lo && bytes[at + k] <= lead.hi) {
    ++k;
    while (k < lead.length && at + k < n && bytes[at + k] >= 0x80 && bytes[at + k] <= 0xBF) ++k;
  }
  complete = k == lead.length;
  return k;
}

// The offset of the next byte >= 0x80 at or after `i`, or n.
std::size_t SkipAscii(const unsigned char* bytes, std::size_t n, std::size_t i) {
#if defined(__SSE2__)
  for (; i + 16 <= n; i += 16) {
    const auto block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes + i));
    if (const int high = _mm_movemask_epi8(block); high != 0) {
      return i + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(high)));
    }
  }
#endif
  while (i < n && bytes[i] < 0x80) ++i;
  return i;
}

}  // namespace

std::size_t FindInvalidUtf8(std::string_view text) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  for (std::size_t i = SkipAscii(bytes, n, 0); i < n; i = SkipAscii(bytes, n, i)) {
    bool complete = false;
    const std::size_t length = SequenceAt(bytes, n, i, complete);
    if (!complete) return i;
    i += length;
  }
  return std::string_view::npos;
}

void AppendValidUtf8(std::string& out, std::string_view text) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t copied = 0;  // text[copied, i) is well-formed and not yet appended
  for (std::size_t i = SkipAscii(bytes, n, 0); i < n; i = SkipAscii(bytes, n, i)) {
    bool complete = false;
    const std::size_t length = SequenceAt(bytes, n, i, complete);
    if (!complete) {
      out.append(text.substr(copied, i - copied));
      out.append("\xEF\xBF\xBD");  // U+FFFD REPLACEMENT CHARACTER
      copied = i + length;
    }
    i += length;
  }
  out.append(text.substr(copied));
}

}  // namespace capstan::core
