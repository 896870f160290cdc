#include "spec/references.hpp"

#include <algorithm>

namespace capstan::spec {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<QualifiedName> SplitQualifiedName(std::string_view text) {
  std::size_t dot = text.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == text.size()) return std::nullopt;
  return QualifiedName{text.substr(0, dot), text.substr(dot + 1)};
}

std::vector<std::string> TemplateVariables(std::string_view text) {
  std::vector<std::string> names;
  std::size_t pos = 0;
  while ((pos = text.find("{{", pos)) != std::string_view::npos) {
    std::size_t end = text.find("}}", pos + 2);
    if (end == std::string_view::npos) break;
    std::string_view inner = Trim(text.substr(pos + 2, end - pos - 2));
    if (!inner.empty()) names.emplace_back(inner);
    pos = end + 2;
  }
  return names;
}

std::vector<std::string> PathVariables(std::string_view path) {
  std::vector<std::string> names;
  std::size_t pos = 0;
  while ((pos = path.find('{', pos)) != std::string_view::npos) {
    bool doubled = pos + 1 < path.size() && path[pos + 1] == '{';
    std::size_t start = pos + (doubled ? 2 : 1);
    std::size_t end = path.find('}', start);
    if (end == std::string_view::npos) break;
    std::string_view inner = Trim(path.substr(start, end - start));
    if (!inner.empty()) names.emplace_back(inner);
    pos = end + 1;
    if (doubled && pos < path.size() && path[pos] == '}') ++pos;
  }
  return names;
}

std::string CanonicalName(std::string_view name) {
  std::string out(name);
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

bool SameName(std::string_view a, std::string_view b) {
  // CanonicalName(a) == CanonicalName(b) without building either (REST matches query names
  // with it on every request).
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char x = a[i] == '-' ? '_' : a[i];
    const char y = b[i] == '-' ? '_' : b[i];
    if (x != y) return false;
  }
  return true;
}

bool IsBindVariableName(std::string_view text) {
  if (text.empty() || text.front() < 'A' || text.front() > 'Z') return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool IsDialectInputPrefix(std::string_view ns) {
  return ns == "rest" || ns == "tools" || ns == "mcp";
}

WithValue ClassifyWithValue(const core::json::value& value,
                            const std::vector<std::string_view>& input_namespaces) {
  WithValue out;
  const core::json::string* text = value.if_string();
  if (text == nullptr) return out;
  std::string_view s(text->data(), text->size());
  if (s.find("{{") != std::string_view::npos) {
    out.kind = WithValueKind::kTemplate;
    return out;
  }
  auto qualified = SplitQualifiedName(s);
  if (!qualified) return out;
  bool own = std::find(input_namespaces.begin(), input_namespaces.end(), qualified->ns) !=
             input_namespaces.end();
  if (own || IsDialectInputPrefix(qualified->ns)) {
    out.kind = WithValueKind::kInput;
    out.input = std::string(qualified->name);
    out.dialect_prefix = !own;
  }
  return out;
}

}  // namespace capstan::spec
