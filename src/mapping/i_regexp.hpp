// I-Regexp (RFC 9485), the interoperable regular expressions of JSONPath match() and search(),
// translated to RE2 syntax so that matching stays linear-time.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace re2 {
class RE2;
}  // namespace re2

namespace capstan::mapping {

// Translates an I-Regexp into an equivalent RE2 pattern: '.' becomes [^\n\r], literals are
// escaped, groups become non-capturing. Fails (kInvalidArgument, with the offset) when `pattern`
// is not an I-Regexp, e.g. "\d", "a**", "(?i)x", or a negated class holding \p{C}/\p{Cn}, which RE2
// cannot express.
[[nodiscard]] core::Result<std::string> TranslateIRegexp(std::string_view pattern);

// A compiled I-Regexp. Immutable; copies share the compiled program; safe to use from many
// threads at once.
class IRegexp {
 public:
  // Fails when the pattern is not an I-Regexp or exceeds RE2's limits (e.g. a{1001}).
  [[nodiscard]] static core::Result<IRegexp> Compile(std::string_view pattern);

  // True when the whole of `text` matches (JSONPath match()).
  [[nodiscard]] bool FullMatch(std::string_view text) const;
  // True when some substring of `text` matches (JSONPath search()).
  [[nodiscard]] bool PartialMatch(std::string_view text) const;

 private:
  explicit IRegexp(std::shared_ptr<const re2::RE2> re) : re_(std::move(re)) {}
  std::shared_ptr<const re2::RE2> re_;
};

}  // namespace capstan::mapping
