#include "core/json.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <boost/json/basic_parser_impl.hpp>

#include "core/utf8.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#include <tmmintrin.h>
#endif

namespace capstan::core {
namespace {

// The double a JSON number's text denotes, read with std::from_chars (exact, no locale); nothing
// when it is out of the double range (1e999, 1e-400).
std::optional<double> ExactDouble(std::string_view text) {
  double d = 0;
  auto [ptr, err] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (err != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return d;
}

// For each byte, 0 when a JSON string carries it as is, else the character that follows the
// backslash of its escape ('u' for the \u00XX form of the other control characters).
constexpr std::array<char, 256> kEscapes = [] {
  std::array<char, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = 'u';
  table['"'] = '"';
  table['\\'] = '\\';
  table['\n'] = 'n';
  table['\r'] = 'r';
  table['\t'] = 't';
  table['\b'] = 'b';
  table['\f'] = 'f';
  return table;
}();

// How many bytes escaping `c` adds: 0, 1 for a two-character escape, 5 for \u00XX.
std::size_t EscapeGrowth(unsigned char c) {
  if (kEscapes[c] == 0) return 0;
  return kEscapes[c] == 'u' ? 5 : 1;
}

// Writes the escape of `c` (a byte kEscapes marks) at `p`; returns the end of what it wrote.
char* WriteEscape(char* p, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  *p++ = '\\';
  *p++ = kEscapes[c];
  if (kEscapes[c] == 'u') {
    *p++ = '0';
    *p++ = '0';
    *p++ = kHex[c >> 4];
    *p++ = kHex[c & 0xF];
  }
  return p;
}

#if defined(__SSE2__)
using Block = __m128i;
constexpr std::size_t kBlock = 16;

Block LoadBlock(const char* p) { return _mm_loadu_si128(reinterpret_cast<const Block*>(p)); }
void StoreBlock(char* p, Block b) { _mm_storeu_si128(reinterpret_cast<Block*>(p), b); }

// 0xFF in each byte of `block` that is a control character, 0 elsewhere.
Block ControlBytes(Block block) {
  return _mm_cmpeq_epi8(_mm_min_epu8(block, _mm_set1_epi8(0x1F)), block);
}

// 0xFF in each byte of `block` that needs an escape, 0 elsewhere.
Block EscapeBytes(Block block) {
  const Block quote_or_backslash = _mm_or_si128(_mm_cmpeq_epi8(block, _mm_set1_epi8('"')),
                                                _mm_cmpeq_epi8(block, _mm_set1_epi8('\\')));
  return _mm_or_si128(quote_or_backslash, ControlBytes(block));
}

// Bit i is set when byte i of `bytes` is 0xFF.
unsigned BitMask(Block bytes) { return static_cast<unsigned>(_mm_movemask_epi8(bytes)); }

// The sum of the 16 bytes of `counts`.
std::size_t SumBytes(Block counts) {
  const Block sums = _mm_sad_epu8(counts, _mm_setzero_si128());
  return static_cast<std::size_t>(_mm_cvtsi128_si32(sums)) +
         static_cast<std::size_t>(_mm_extract_epi16(sums, 4));
}

// For the 8 bytes of half a block and the 8-bit mask of those among them that are quotes or
// backslashes: where each output byte comes from (-128: nowhere, a zero), the backslashes to put
// in those holes, and how many bytes come out (8 plus one per marked byte).
struct ExpandTables {
  std::array<std::array<std::int8_t, 16>, 256> shuffle{};
  std::array<std::array<char, 16>, 256> backslashes{};
  std::array<unsigned char, 256> width{};
};

constexpr ExpandTables kExpand = [] {
  ExpandTables t;
  for (int mask = 0; mask < 256; ++mask) {
    int out = 0;
    for (int j = 0; j < 8; ++j) {
      if ((mask >> j) & 1) {
        t.shuffle[mask][out] = -128;
        t.backslashes[mask][out] = '\\';
        ++out;
      }
      t.shuffle[mask][out++] = static_cast<std::int8_t>(j);
    }
    t.width[mask] = static_cast<unsigned char>(out);
    for (; out < 16; ++out) t.shuffle[mask][out] = -128;
  }
  return t;
}();

// Writes 8 bytes (the low half of `bytes`), a backslash before each one marked in `bits`, at
// `p` with one byte shuffle; returns the end of what it wrote, having stored 16 bytes.
__attribute__((target("ssse3"))) char* WriteQuotedHalf(char* p, Block bytes, unsigned bits) {
  const Block order = LoadBlock(reinterpret_cast<const char*>(kExpand.shuffle[bits].data()));
  const Block slashes = LoadBlock(kExpand.backslashes[bits].data());
  StoreBlock(p, _mm_or_si128(_mm_shuffle_epi8(bytes, order), slashes));
  return p + kExpand.width[bits];
}

// Writes a block whose only escapes are quotes and backslashes (bits of `mask`) at `p`: ~10
// instructions per 8 bytes instead of a branch per escape. May store up to 16 bytes past what
// it returns.
char* WriteQuotedBlock(char* p, Block block, unsigned mask) {
  p = WriteQuotedHalf(p, block, mask & 0xFF);
  return WriteQuotedHalf(p, _mm_srli_si128(block, 8), mask >> 8);
}

// SSSE3 (pshufb) is on every x86-64 made since 2006, but not in the x86-64 baseline.
bool HasSsse3() {
  static const bool has = __builtin_cpu_supports("ssse3");
  return has;
}
#endif

// Builds a json::value from parser events. Keeps its own frame stack so that it can reject
// duplicate keys and parse doubles from their exact text.
class ValueBuilder {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  ValueBuilder(json::storage_ptr storage, bool allow_duplicates)
      : storage_(std::move(storage)), allow_duplicates_(allow_duplicates) {}

  json::value Release() { return std::move(result_); }
  const std::string& failure() const { return failure_; }

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }

  bool on_array_begin(boost::system::error_code&) {
    frames_.push_back(Frame{json::value(json::array(storage_)), TakeKey()});
    return true;
  }
  bool on_array_end(std::size_t, boost::system::error_code& ec) { return CloseFrame(ec); }
  bool on_object_begin(boost::system::error_code&) {
    frames_.push_back(Frame{json::value(json::object(storage_)), TakeKey()});
    return true;
  }
  bool on_object_end(std::size_t, boost::system::error_code& ec) { return CloseFrame(ec); }

  bool on_string_part(json::string_view s, std::size_t, boost::system::error_code&) {
    text_.append(s.data(), s.size());
    return true;
  }
  bool on_string(json::string_view s, std::size_t, boost::system::error_code& ec) {
    text_.append(s.data(), s.size());
    json::value v(json::string(text_, storage_));
    text_.clear();
    return Emit(std::move(v), ec);
  }
  bool on_key_part(json::string_view s, std::size_t, boost::system::error_code&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, boost::system::error_code&) {
    key_.append(s.data(), s.size());
    has_key_ = true;
    return true;
  }
  bool on_number_part(json::string_view s, boost::system::error_code&) {
    number_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t i, json::string_view, boost::system::error_code& ec) {
    number_.clear();
    return Emit(json::value(i, storage_), ec);
  }
  bool on_uint64(std::uint64_t u, json::string_view, boost::system::error_code& ec) {
    number_.clear();
    return Emit(json::value(u, storage_), ec);
  }
  bool on_double(double, json::string_view s, boost::system::error_code& ec) {
    number_.append(s.data(), s.size());
    std::optional<double> d = ExactDouble(number_);
    if (!d) {
      failure_ = "number out of range: " + number_;
      ec = make_error_code(json::error::exponent_overflow);
      return false;
    }
    number_.clear();
    return Emit(json::value(*d, storage_), ec);
  }
  bool on_bool(bool b, boost::system::error_code& ec) { return Emit(json::value(b, storage_), ec); }
  bool on_null(boost::system::error_code& ec) { return Emit(json::value(nullptr, storage_), ec); }
  bool on_comment_part(json::string_view, boost::system::error_code&) { return true; }
  bool on_comment(json::string_view, boost::system::error_code&) { return true; }

 private:
  struct Frame {
    json::value container;
    std::string key;  // the key under which this container goes into its parent object
  };

  std::string TakeKey() {
    std::string k = std::move(key_);
    key_.clear();
    has_key_ = false;
    return k;
  }

  bool Emit(json::value v, boost::system::error_code& ec) {
    if (frames_.empty()) {
      result_ = std::move(v);
      return true;
    }
    return Insert(frames_.back().container, TakeKey(), std::move(v), ec);
  }

  bool Insert(json::value& parent, std::string key, json::value v, boost::system::error_code& ec) {
    if (parent.is_array()) {
      parent.get_array().push_back(std::move(v));
      return true;
    }
    json::object& obj = parent.get_object();
    if (auto* existing = obj.if_contains(key)) {
      if (!allow_duplicates_) {
        failure_ = "duplicate key \"" + key + "\"";
        ec = make_error_code(json::error::syntax);
        return false;
      }
      *existing = std::move(v);
      return true;
    }
    obj.emplace(key, std::move(v));
    return true;
  }

  bool CloseFrame(boost::system::error_code& ec) {
    Frame frame = std::move(frames_.back());
    frames_.pop_back();
    if (frames_.empty()) {
      result_ = std::move(frame.container);
      return true;
    }
    return Insert(frames_.back().container, std::move(frame.key), std::move(frame.container), ec);
  }

  json::storage_ptr storage_;
  bool allow_duplicates_;
  std::vector<Frame> frames_;
  std::string key_;
  bool has_key_ = false;
  std::string text_;
  std::string number_;
  std::string failure_;
  json::value result_;
};

void AppendDouble(std::string& out, double d) {
  if (d != d || d == std::numeric_limits<double>::infinity() ||
      d == -std::numeric_limits<double>::infinity()) {
    out += "null";  // JSON has no NaN or infinity
    return;
  }
  char buf[64];
  auto [ptr, err] = std::to_chars(buf, buf + sizeof buf, d);
  (void)err;
  std::string_view s(buf, static_cast<std::size_t>(ptr - buf));
  out += s;
  if (s.find_first_of(".eE") == std::string_view::npos) out += ".0";
}

// Accepts every event: the parser itself checks the grammar, UTF-8 and depth. With kExact,
// numbers that std::from_chars cannot hold are refused, as ParseJson refuses them.
template <bool kExact>
class Validator {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);
  using ec_t = boost::system::error_code;

  bool on_document_begin(ec_t&) { return true; }
  bool on_document_end(ec_t&) { return true; }
  bool on_array_begin(ec_t&) { return true; }
  bool on_array_end(std::size_t, ec_t&) { return true; }
  bool on_object_begin(ec_t&) { return true; }
  bool on_object_end(std::size_t, ec_t&) { return true; }
  bool on_string_part(json::string_view, std::size_t, ec_t&) { return true; }
  bool on_string(json::string_view, std::size_t, ec_t&) { return true; }
  bool on_key_part(json::string_view, std::size_t, ec_t&) { return true; }
  bool on_key(json::string_view, std::size_t, ec_t&) { return true; }
  bool on_number_part(json::string_view s, ec_t&) {
    if constexpr (kExact) number_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t, json::string_view, ec_t&) { return Clear(); }
  bool on_uint64(std::uint64_t, json::string_view, ec_t&) { return Clear(); }
  bool on_double(double, json::string_view s, ec_t& ec) {
    if constexpr (!kExact) return true;
    number_.append(s.data(), s.size());
    if (!ExactDouble(number_)) {
      ec = make_error_code(json::error::exponent_overflow);
      return false;
    }
    return Clear();
  }
  bool on_bool(bool, ec_t&) { return true; }
  bool on_null(ec_t&) { return true; }
  bool on_comment_part(json::string_view, ec_t&) { return true; }
  bool on_comment(json::string_view, ec_t&) { return true; }

 private:
  bool Clear() {
    number_.clear();
    return true;
  }
  std::string number_;
};

template <bool kExact>
bool Validate(std::string_view text, std::size_t max_depth) {
  json::parse_options popts;
  popts.max_depth = max_depth;
  json::basic_parser<Validator<kExact>> parser(popts);
  boost::system::error_code ec;
  std::size_t n = parser.write_some(false, text.data(), text.size(), ec);
  return !ec && n == text.size();
}

}  // namespace

bool IsJsonText(std::string_view text, std::size_t max_depth) {
  return Validate<true>(text, max_depth);
}

bool IsJsonGrammar(std::string_view text, std::size_t max_depth) {
  return Validate<false>(text, max_depth);
}

Result<json::value> ParseJson(std::string_view text, const JsonParseOptions& options,
                              json::storage_ptr storage) {
  json::parse_options popts;
  popts.max_depth = options.max_depth;
  json::basic_parser<ValueBuilder> parser(popts, std::move(storage), options.allow_duplicate_keys);
  boost::system::error_code ec;
  std::size_t n = parser.write_some(false, text.data(), text.size(), ec);
  if (!ec && n < text.size()) ec = make_error_code(json::error::extra_data);
  if (ec) {
    std::string what = parser.handler().failure();
    if (what.empty()) what = ec.message();
    return Fail(ErrorCode::kInvalidArgument,
                "invalid JSON at offset " + std::to_string(n) + ": " + what);
  }
  return parser.handler().Release();
}

void AppendJsonString(std::string& out, std::string_view text) {
  // Tool results escape whole upstream bodies (8 KB with a quote every ~12 bytes), so this is
  // on the MCP hot path. Two passes: the first sizes the output exactly, the second writes
  // through a pointer, 16 bytes at a time where SSE2 is there (every x86-64), with 16 bytes of
  // slack so that a run before an escape is one block store.
  const char* in = text.data();
  const std::size_t size = text.size();
  std::size_t extra = 0;
  std::size_t i = 0;
  bool non_ascii = false;  // then the text must be checked to be UTF-8 (RFC 8259 §8.1)
#if defined(__SSE2__)
  // Per-byte escape counts add up in a vector, flushed before a byte could overflow.
  Block counts = _mm_setzero_si128();
  Block high = _mm_setzero_si128();
  for (unsigned room = 255; i + kBlock <= size; i += kBlock) {
    const Block block = LoadBlock(in + i);
    high = _mm_or_si128(high, block);
    counts = _mm_sub_epi8(counts, EscapeBytes(block));
    for (unsigned control = BitMask(ControlBytes(block)); control != 0; control &= control - 1) {
      extra += EscapeGrowth(static_cast<unsigned char>(in[i + __builtin_ctz(control)])) - 1;
    }
    if (--room == 0) {
      extra += SumBytes(counts);
      counts = _mm_setzero_si128();
      room = 255;
    }
  }
  extra += SumBytes(counts);
  non_ascii = BitMask(high) != 0;
#endif
  for (; i < size; ++i) {
    const auto c = static_cast<unsigned char>(in[i]);
    extra += EscapeGrowth(c);
    non_ascii |= c >= 0x80;
  }
  if (non_ascii && FindInvalidUtf8(text) != std::string_view::npos) {
    // JSON text is UTF-8: ill-formed parts become U+FFFD (well-formed, so this recurses once).
    std::string valid;
    valid.reserve(size + 16);
    AppendValidUtf8(valid, text);
    AppendJsonString(out, valid);
    return;
  }

  const std::size_t start = out.size();
  const std::size_t length = size + extra + 2;
  out.resize(start + length + 16);
  char* p = out.data() + start;
  *p++ = '"';
  i = 0;
#if defined(__SSE2__)
  // A block with escapes copies its runs as whole blocks read from inside the run, which may
  // reach 16 bytes past the block: the last whole block goes the byte-by-byte way instead.
  const bool shuffle = HasSsse3();
  for (; i + kBlock <= size; i += kBlock) {
    const Block block = LoadBlock(in + i);
    unsigned mask = BitMask(EscapeBytes(block));
    if (mask == 0) {
      StoreBlock(p, block);
      p += kBlock;
      continue;
    }
    if (shuffle && BitMask(ControlBytes(block)) == 0) {
      p = WriteQuotedBlock(p, block, mask);
      continue;
    }
    if (i + 2 * kBlock > size) break;
    std::size_t done = 0;
    for (; mask != 0; mask &= mask - 1) {
      const auto at = static_cast<std::size_t>(__builtin_ctz(mask));
      StoreBlock(p, LoadBlock(in + i + done));
      p = WriteEscape(p + (at - done), static_cast<unsigned char>(in[i + at]));
      done = at + 1;
    }
    StoreBlock(p, LoadBlock(in + i + done));
    p += kBlock - done;
  }
#endif
  for (; i < size; ++i) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (kEscapes[c] == 0) {
      *p++ = static_cast<char>(c);
    } else {
      p = WriteEscape(p, c);
    }
  }
  *p = '"';
  out.resize(start + length);
}

void AppendJson(std::string& out, const json::object& object) {
  out.push_back('{');
  bool first = true;
  for (const json::key_value_pair& kv : object) {
    if (!first) out.push_back(',');
    first = false;
    AppendJsonString(out, std::string_view(kv.key().data(), kv.key().size()));
    out.push_back(':');
    AppendJson(out, kv.value());
  }
  out.push_back('}');
}

void AppendJson(std::string& out, const json::value& value) {
  switch (value.kind()) {
    case json::kind::null:
      out += "null";
      return;
    case json::kind::bool_:
      out += value.get_bool() ? "true" : "false";
      return;
    case json::kind::int64: {
      char buf[32];
      auto [ptr, err] = std::to_chars(buf, buf + sizeof buf, value.get_int64());
      (void)err;
      out.append(buf, ptr);
      return;
    }
    case json::kind::uint64: {
      char buf[32];
      auto [ptr, err] = std::to_chars(buf, buf + sizeof buf, value.get_uint64());
      (void)err;
      out.append(buf, ptr);
      return;
    }
    case json::kind::double_:
      AppendDouble(out, value.get_double());
      return;
    case json::kind::string: {
      const json::string& s = value.get_string();
      AppendJsonString(out, std::string_view(s.data(), s.size()));
      return;
    }
    case json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (const json::value& v : value.get_array()) {
        if (!first) out.push_back(',');
        first = false;
        AppendJson(out, v);
      }
      out.push_back(']');
      return;
    }
    case json::kind::object:
      AppendJson(out, value.get_object());
      return;
  }
}

std::string SerializeJson(const json::value& value) {
  std::string out;
  AppendJson(out, value);
  return out;
}

}  // namespace capstan::core
