#include "mapping/template.hpp"

#include <algorithm>

#include "core/json.hpp"
#include "core/percent.hpp"
#include "mapping/utf8.hpp"

namespace capstan::mapping {
namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool IsInnerBlank(char c) { return c == ' ' || c == '\t'; }

tl::unexpected<core::Error> CompileError(std::size_t offset, std::string_view what) {
  return core::Fail(
      core::ErrorCode::kInvalidArgument,
      "template error at offset " + std::to_string(offset) + ": " + std::string(what));
}

// Validates the text between the braces (starting at `offset` in the source) and returns the
// trimmed dotted name.
core::Result<std::string> ParseName(std::string_view inner, std::size_t offset,
                                    std::size_t open_offset) {
  std::size_t begin = 0;
  std::size_t end = inner.size();
  while (begin < end && IsInnerBlank(inner[begin])) ++begin;
  while (end > begin && IsInnerBlank(inner[end - 1])) --end;
  if (begin == end) return CompileError(open_offset, "empty placeholder");
  std::string_view name = inner.substr(begin, end - begin);
  bool word_start = true;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    std::size_t at = offset + begin + i;
    if (c == '.') {
      if (word_start) return CompileError(at, "empty name part in placeholder");
      word_start = true;
      continue;
    }
    if (!IsNameChar(c)) {
      std::string what = "invalid character ";
      if (static_cast<unsigned char>(c) >= 0x21 && static_cast<unsigned char>(c) < 0x7F) {
        what += std::string("'") + c + "' ";
      }
      return CompileError(at, what + "in placeholder name");
    }
    word_start = false;
  }
  if (word_start) return CompileError(offset + begin + name.size(), "placeholder name ends in '.'");
  return std::string(name);
}

void AddLiteral(std::vector<TemplateSegment>& segments, std::string_view text, std::size_t offset) {
  if (text.empty()) return;
  if (!segments.empty() && segments.back().kind == TemplateSegment::Kind::kLiteral) {
    segments.back().text.append(text);
    return;
  }
  segments.push_back({TemplateSegment::Kind::kLiteral, std::string(text), offset});
}

bool IsHeaderSafe(std::string_view value) {
  return std::none_of(value.begin(), value.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return (c < 0x20 && c != '\t') || c == 0x7F;
  });
}

core::Status AppendEscaped(std::string& out, std::string_view name, std::string_view value,
                           Escaping escaping) {
  switch (escaping) {
    case Escaping::kNone:
      out.append(value);
      return core::Ok();
    case Escaping::kPathSegment:
      if (value.empty()) {
        return core::Fail(core::ErrorCode::kInvalidArgument,
                          "path variable '" + std::string(name) + "' is empty");
      }
      core::AppendPercentEncoded(out, value, core::UrlPart::kPathSegment);
      return core::Ok();
    case Escaping::kQuery:
      core::AppendPercentEncoded(out, value, core::UrlPart::kQuery);
      return core::Ok();
    case Escaping::kHeaderValue:
      if (!IsHeaderSafe(value)) {
        return core::Fail(core::ErrorCode::kInvalidArgument,
                          "value of variable '" + std::string(name) +
                              "' contains CR, LF, NUL or another control character, which a "
                              "header value cannot hold");
      }
      out.append(value);
      return core::Ok();
    case Escaping::kJsonString: {
      if (FindInvalidUtf8(value) != std::string_view::npos) {
        return core::Fail(core::ErrorCode::kInvalidArgument,
                          "value of variable '" + std::string(name) + "' is not valid UTF-8");
      }
      std::size_t start = out.size();
      core::AppendJsonString(out, value);  // quoted: drop the quotes
      out.pop_back();
      out.erase(start, 1);
      return core::Ok();
    }
  }
  return core::Ok();
}

}  // namespace

core::Result<Template> Template::Compile(std::string_view text, TemplateSyntax syntax) {
  std::vector<TemplateSegment> segments;
  std::size_t literal_start = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '}' && syntax == TemplateSyntax::kPath) {
      return CompileError(i, "'}' without a matching '{'");
    }
    if (c != '{') {
      ++i;
      continue;
    }
    bool dbl = i + 1 < text.size() && text[i + 1] == '{';
    if (!dbl && syntax == TemplateSyntax::kDoubleBrace) {
      ++i;
      continue;
    }
    std::size_t inner_start = i + (dbl ? 2 : 1);
    std::size_t close = text.find(dbl ? "}}" : "}", inner_start);
    if (close == std::string_view::npos) {
      return CompileError(i, std::string("unterminated placeholder '") + (dbl ? "{{" : "{") + "'");
    }
    std::string_view inner = text.substr(inner_start, close - inner_start);
    if (syntax == TemplateSyntax::kPath && inner.find('{') != std::string_view::npos) {
      return CompileError(inner_start + inner.find('{'), "'{' inside a placeholder");
    }
    CAPSTAN_ASSIGN_OR_RETURN(std::string name, ParseName(inner, inner_start, i));
    AddLiteral(segments, text.substr(literal_start, i - literal_start), literal_start);
    segments.push_back({TemplateSegment::Kind::kVariable, std::move(name), i});
    i = close + (dbl ? 2 : 1);
    literal_start = i;
  }
  AddLiteral(segments, text.substr(literal_start), literal_start);
  return Template(std::string(text), syntax, std::move(segments));
}

std::vector<std::string> Template::ListVariables() const {
  std::vector<std::string> names;
  for (const TemplateSegment& segment : segments_) {
    if (segment.kind != TemplateSegment::Kind::kVariable) continue;
    if (std::find(names.begin(), names.end(), segment.text) == names.end()) {
      names.push_back(segment.text);
    }
  }
  return names;
}

bool Template::HasVariables() const {
  return std::any_of(segments_.begin(), segments_.end(), [](const TemplateSegment& segment) {
    return segment.kind == TemplateSegment::Kind::kVariable;
  });
}

QualifiedName SplitQualifiedName(std::string_view dotted) {
  std::size_t dot = dotted.find('.');
  if (dot == std::string_view::npos) return {{}, dotted};
  return {dotted.substr(0, dot), dotted.substr(dot + 1)};
}

core::Result<RenderOutput> Render(const Template& tpl, VariableLookup lookup,
                                  const RenderOptions& options) {
  RenderOutput output;
  output.text.reserve(tpl.source().size() + 16);
  for (const TemplateSegment& segment : tpl.segments()) {
    if (segment.kind == TemplateSegment::Kind::kLiteral) {
      output.text += segment.text;
      continue;
    }
    std::optional<std::string_view> value = lookup(segment.text);
    if (!value) {
      if (options.missing == MissingPolicy::kError) {
        return core::Fail(core::ErrorCode::kInvalidArgument,
                          "template variable '" + segment.text + "' is not defined");
      }
      output.missing.push_back(segment.text);
      continue;
    }
    CAPSTAN_RETURN_IF_ERROR(AppendEscaped(output.text, segment.text, *value, options.escaping));
  }
  return output;
}

core::Result<std::string> Render(const Template& tpl, VariableLookup lookup, Escaping escaping) {
  CAPSTAN_ASSIGN_OR_RETURN(RenderOutput output,
                           Render(tpl, lookup, RenderOptions{escaping, MissingPolicy::kError}));
  return std::move(output.text);
}

}  // namespace capstan::mapping
