// Placeholder templates of capability files: {{VAR}}, {{namespace.VAR}}, {{param}}, and {name} in
// resource paths. Compiled once at load time, rendered per request with escaping fitted to where
// the text lands (path segment, query, header, JSON string). Never HTML-escapes.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace capstan::mapping {

enum class TemplateSyntax {
  kDoubleBrace,  // only {{name}} is a placeholder; single braces are text (headers, bodies)
  kPath,         // {name} (RFC 6570 simple form) and {{name}}; a stray '{' or '}' is an error
};

struct TemplateSegment {
  enum class Kind { kLiteral, kVariable };
  Kind kind = Kind::kLiteral;
  std::string text;        // the literal text, or the variable's dotted name ("env.API_KEY")
  std::size_t offset = 0;  // where the segment starts in the template source
};

class Template {
 public:
  // Splits `text` into literal and variable segments. Names are [A-Za-z0-9_-] words joined by
  // single dots; blanks just inside the braces are ignored ("{{ x }}"). Unterminated, empty or
  // malformed placeholders are kInvalidArgument errors naming the offset.
  [[nodiscard]] static core::Result<Template> Compile(std::string_view text, TemplateSyntax syntax);

  [[nodiscard]] const std::vector<TemplateSegment>& segments() const { return segments_; }
  // Distinct variable names in order of first appearance, so a loader can check that each
  // resolves before serving.
  [[nodiscard]] std::vector<std::string> ListVariables() const;
  [[nodiscard]] bool HasVariables() const;
  [[nodiscard]] const std::string& source() const { return source_; }
  [[nodiscard]] TemplateSyntax syntax() const { return syntax_; }

 private:
  Template(std::string source, TemplateSyntax syntax, std::vector<TemplateSegment> segments)
      : source_(std::move(source)), syntax_(syntax), segments_(std::move(segments)) {}

  std::string source_;
  TemplateSyntax syntax_;
  std::vector<TemplateSegment> segments_;
};

// A "namespace.VAR" name split at its first dot; `qualifier` is empty for a plain "VAR".
struct QualifiedName {
  std::string_view qualifier;
  std::string_view name;
};
[[nodiscard]] QualifiedName SplitQualifiedName(std::string_view dotted);

enum class Escaping {
  kNone,         // values inserted as they are
  kPathSegment,  // each value is exactly one path segment: '/', '?', '#', '%' are escaped and
                 // "." / ".." become %2E / %2E%2E; an empty value is an error
  kQuery,        // a query name or value (core::UrlPart::kQuery)
  kHeaderValue,  // values holding CR, LF, NUL or any other control character but HTAB fail
  kJsonString,   // escaped as inside a JSON string literal; values must be valid UTF-8
};

enum class MissingPolicy {
  kError,  // a variable the lookup does not know is an error naming it
  kOmit,   // it renders as nothing and is reported in RenderOutput::missing
};

// A non-owning reference to a callable `std::optional<std::string_view>(std::string_view name)`
// that resolves a variable (std::nullopt: unknown). The referenced callable must outlive the
// call it is passed to; a returned view must stay valid until the lookup is called again.
class VariableLookup {
 public:
  // The callable must return exactly std::optional<std::string_view>: an optional<std::string>
  // would convert to a view of a destroyed temporary.
  template <typename F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, VariableLookup> &&
           std::is_same_v<std::invoke_result_t<const F&, std::string_view>,
                          std::optional<std::string_view>>)
      VariableLookup(const F& function)  // NOLINT(google-explicit-constructor): a function_ref
      : object_(&function), call_(&Invoke<F>) {}

  std::optional<std::string_view> operator()(std::string_view name) const {
    return call_(object_, name);
  }

 private:
  template <typename F>
  static std::optional<std::string_view> Invoke(const void* object, std::string_view name) {
    return (*static_cast<const F*>(object))(name);
  }

  const void* object_;
  std::optional<std::string_view> (*call_)(const void*, std::string_view);
};

struct RenderOptions {
  Escaping escaping = Escaping::kNone;
  MissingPolicy missing = MissingPolicy::kError;
};

struct RenderOutput {
  std::string text;
  std::vector<std::string> missing;  // with MissingPolicy::kOmit: unknown variables, in order
};

// Renders with MissingPolicy::kError. Errors are kInvalidArgument and name the variable, never
// its value (values are often secrets).
[[nodiscard]] core::Result<std::string> Render(const Template& tpl, VariableLookup lookup,
                                               Escaping escaping = Escaping::kNone);
[[nodiscard]] core::Result<RenderOutput> Render(const Template& tpl, VariableLookup lookup,
                                                const RenderOptions& options);

}  // namespace capstan::mapping
