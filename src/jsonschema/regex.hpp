// ECMA-262 regular expressions ("pattern", "patternProperties") run on RE2: the pattern is
// translated to RE2 syntax first. Features RE2 cannot express (lookaround, backreferences) fail.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace re2 {
class RE2;
}

namespace capstan::jsonschema {

// Translates an ECMA-262 pattern (Unicode mode semantics, with the lenient Annex B class syntax)
// to an equivalent RE2 pattern. See docs/jsonschema-conformance.md for the dialect deviations.
[[nodiscard]] core::Result<std::string> TranslateEcmaRegex(std::string_view pattern);

// A compiled, immutable, thread-safe regular expression. Search is unanchored, as in ECMA-262
// RegExp.prototype.test.
class Regex {
 public:
  [[nodiscard]] static core::Result<Regex> Compile(std::string_view ecma_pattern);

  [[nodiscard]] bool Search(std::string_view text) const;
  [[nodiscard]] const std::string& pattern() const { return pattern_; }

 private:
  Regex(std::string pattern, std::shared_ptr<const re2::RE2> re)
      : pattern_(std::move(pattern)), re_(std::move(re)) {}
  std::string pattern_;  // the ECMA source, for messages
  std::shared_ptr<const re2::RE2> re_;
};

}  // namespace capstan::jsonschema
