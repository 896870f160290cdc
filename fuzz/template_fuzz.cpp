// libFuzzer target for mapping::Template. Input: byte 0 picks the syntax, escaping and missing
// policy; then the template text, a NUL byte, and the value every variable resolves to (names
// starting with 'm' are unknown). Checks that escaped values never escape their context.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/json.hpp"
#include "mapping/template.hpp"

namespace {

namespace mapping = capstan::mapping;

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

std::size_t CountAny(std::string_view text, std::string_view chars) {
  return static_cast<std::size_t>(std::count_if(
      text.begin(), text.end(), [&](char c) { return chars.find(c) != std::string_view::npos; }));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::size_t nul = rest.find('\0');
  std::string_view text = rest.substr(0, nul);
  std::string_view value =
      nul == std::string_view::npos ? std::string_view() : rest.substr(nul + 1);

  auto syntax =
      (mode & 1) != 0 ? mapping::TemplateSyntax::kPath : mapping::TemplateSyntax::kDoubleBrace;
  auto escaping = static_cast<mapping::Escaping>(((mode >> 1) & 7) % 5);
  auto missing =
      (mode & 0x10) != 0 ? mapping::MissingPolicy::kOmit : mapping::MissingPolicy::kError;

  auto tpl = mapping::Template::Compile(text, syntax);
  if (!tpl) return 0;
  std::string literals;
  std::size_t variables = 0;
  for (const mapping::TemplateSegment& segment : tpl->segments()) {
    if (segment.kind == mapping::TemplateSegment::Kind::kLiteral) {
      Check(!segment.text.empty());
      literals += segment.text;
    } else {
      Check(!segment.text.empty() && segment.text.front() != '.' && segment.text.back() != '.');
      ++variables;
    }
  }
  (void)tpl->ListVariables();

  auto lookup = [value](std::string_view name) -> std::optional<std::string_view> {
    if (!name.empty() && name.front() == 'm') return std::nullopt;
    return value;
  };
  auto out = mapping::Render(*tpl, lookup, {.escaping = escaping, .missing = missing});
  if (!out) return 0;
  const std::string& rendered = out->text;
  std::size_t present = variables - out->missing.size();
  switch (escaping) {
    case mapping::Escaping::kNone:
      Check(rendered.size() == literals.size() + present * value.size());
      break;
    case mapping::Escaping::kPathSegment:
      // Values add no '/', '?', '#', and never form a "." or ".." segment.
      Check(CountAny(rendered, "/?#") == CountAny(literals, "/?#"));
      if (literals.find('.') == std::string::npos) {
        std::string_view rest_of_path = rendered;
        while (true) {
          std::size_t slash = rest_of_path.find('/');
          std::string_view segment = rest_of_path.substr(0, slash);
          Check(segment != "." && segment != "..");
          if (slash == std::string_view::npos) break;
          rest_of_path.remove_prefix(slash + 1);
        }
      }
      break;
    case mapping::Escaping::kQuery:
      // Values add no separator of the URL or of the query.
      Check(CountAny(rendered, "/?#&=+ ") == CountAny(literals, "/?#&=+ "));
      break;
    case mapping::Escaping::kHeaderValue:
      Check(CountAny(rendered, std::string_view("\r\n\0", 3)) ==
            CountAny(literals, std::string_view("\r\n\0", 3)));
      break;
    case mapping::Escaping::kJsonString: {
      if (present == 0) break;
      // The escaped value, quoted, is a JSON string holding exactly the value.
      auto single = mapping::Template::Compile("\"{{v}}\"", mapping::TemplateSyntax::kDoubleBrace);
      auto quoted = mapping::Render(*single, lookup, mapping::Escaping::kJsonString);
      Check(quoted.has_value());
      auto parsed = capstan::core::ParseJson(*quoted);
      Check(parsed.has_value() && parsed->is_string() &&
            std::string_view(parsed->get_string()) == value);
      break;
    }
  }
  return 0;
}
