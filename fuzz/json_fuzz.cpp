// libFuzzer target for the core JSON reader and writer (core::ParseJson, core::SerializeJson).
// Input: one JSON text. Checks: whatever parses serialises to a text that parses back to the same
// value (same kinds, doubles bit for bit) and serialises to the same text again; a stricter depth
// limit or allowing duplicate keys never changes an accepted value; and Boost.JSON's own parser
// accepts everything ours accepts, with the same structure; core::IsJsonText (no tree) accepts the
// same texts as the parser with duplicate keys allowed; any input written as a JSON string is a
// well-formed JSON string of its UTF-8-repaired copy. Seeds: fuzz/corpus/json/.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/parse.hpp>

#include "core/json.hpp"
#include "core/utf8.hpp"

namespace {

namespace json = capstan::core::json;

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

// An exact fingerprint of a value: every node's kind and payload in document order, doubles as
// their bits unless `loose_doubles` (Boost.JSON 1.81 rounds some 16-17 digit doubles differently).
// Equal fingerprints mean equal values with the same kinds (json::value's == lets 1 equal 1u).
void Fingerprint(const json::value& v, bool loose_doubles, std::string& out) {
  out.push_back(static_cast<char>('0' + static_cast<int>(v.kind())));
  auto raw = [&out](const auto& x) { out.append(reinterpret_cast<const char*>(&x), sizeof x); };
  auto text = [&](json::string_view s) {
    raw(s.size());
    out.append(s.data(), s.size());
  };
  if (v.is_bool()) raw(v.get_bool());
  if (v.is_int64()) raw(v.get_int64());
  if (v.is_uint64()) raw(v.get_uint64());
  if (v.is_double() && !loose_doubles) raw(v.get_double());
  if (v.is_string()) text(v.get_string());
  if (v.is_array()) {
    raw(v.get_array().size());
    for (const json::value& item : v.get_array()) Fingerprint(item, loose_doubles, out);
  }
  if (v.is_object()) {
    raw(v.get_object().size());
    for (const json::key_value_pair& member : v.get_object()) {
      text(member.key());
      Fingerprint(member.value(), loose_doubles, out);
    }
  }
}

bool Same(const json::value& a, const json::value& b, bool loose_doubles) {
  std::string x;
  std::string y;
  Fingerprint(a, loose_doubles, x);
  Fingerprint(b, loose_doubles, y);
  return x == y;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  constexpr std::size_t kDepth = 64;
  auto parsed = capstan::core::ParseJson(text, {.max_depth = kDepth});
  // The tree-less checker accepts exactly what the parser accepts, duplicate keys aside.
  auto lenient =
      capstan::core::ParseJson(text, {.max_depth = kDepth, .allow_duplicate_keys = true});
  Check(capstan::core::IsJsonText(text, kDepth) == lenient.has_value());
  auto shallow = capstan::core::ParseJson(text, {.max_depth = 4});
  if (shallow) Check(parsed && Same(*shallow, *parsed, false));

  // Any bytes at all, written as a JSON string, make one JSON string (RFC 8259 §8.1: UTF-8,
  // ill-formed parts as U+FFFD) that reads back as the text's well-formed copy.
  std::string quoted;
  capstan::core::AppendJsonString(quoted, text);
  auto string = capstan::core::ParseJson(quoted);
  Check(string.has_value() && string->is_string());
  std::string valid;
  capstan::core::AppendValidUtf8(valid, text);
  Check(std::string_view(string->get_string()) == valid);
  Check((valid == text) == (capstan::core::FindInvalidUtf8(text) == std::string_view::npos));

  if (!parsed) return 0;

  // Round trip: reparse equals, and the writer's output is canonical.
  std::string written = capstan::core::SerializeJson(*parsed);
  auto reparsed = capstan::core::ParseJson(written, {.max_depth = kDepth});
  Check(reparsed.has_value());
  Check(Same(*parsed, *reparsed, false));
  Check(capstan::core::SerializeJson(*reparsed) == written);

  // Allowing duplicate keys changes nothing for a text without them.
  Check(lenient && Same(*lenient, *parsed, false));

  // Boost.JSON (the linked, uninstrumented library) accepts every text ours accepts.
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = kDepth + 1;
  json::value theirs = json::parse(text, ec, {}, options);
  Check(!ec);
  Check(Same(*parsed, theirs, true));
  return 0;
}
