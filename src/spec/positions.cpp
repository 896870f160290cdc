#include "spec/positions.hpp"

#include <charconv>

namespace capstan::spec {
namespace {

std::string_view Parent(std::string_view pointer) {
  std::size_t slash = pointer.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : pointer.substr(0, slash);
}

}  // namespace

std::optional<Position> PositionTable::FindValue(const std::string& pointer) const {
  auto it = values_.find(pointer);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::optional<Position> PositionTable::FindKey(const std::string& pointer) const {
  auto it = keys_.find(pointer);
  if (it == keys_.end()) return std::nullopt;
  return it->second;
}

SourceLocation PositionTable::Locate(std::string_view pointer) const {
  for (std::string_view p = pointer;; p = Parent(p)) {
    std::string key(p);
    if (auto k = FindKey(key)) return SourceLocation{file_, k->line, k->column};
    if (auto v = FindValue(key)) return SourceLocation{file_, v->line, v->column};
    if (p.empty()) break;
  }
  return SourceLocation{file_, 1, 1};
}

SourceLocation PositionTable::LocateValue(std::string_view pointer) const {
  for (std::string_view p = pointer;; p = Parent(p)) {
    std::string key(p);
    if (auto v = FindValue(key)) return SourceLocation{file_, v->line, v->column};
    if (auto k = FindKey(key)) return SourceLocation{file_, k->line, k->column};
    if (p.empty()) break;
  }
  return SourceLocation{file_, 1, 1};
}

std::string EscapePointerToken(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string JoinPointer(std::string_view base, std::string_view token) {
  std::string out(base);
  out += '/';
  out += EscapePointerToken(token);
  return out;
}

std::string JoinPointer(std::string_view base, std::size_t index) {
  std::string out(base);
  out += '/';
  out += std::to_string(index);
  return out;
}

std::vector<std::string> SplitPointer(std::string_view pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) return tokens;
  std::size_t pos = pointer.front() == '/' ? 1 : 0;
  while (true) {
    std::size_t slash = pointer.find('/', pos);
    std::string_view raw =
        pointer.substr(pos, slash == std::string_view::npos ? slash : slash - pos);
    std::string token;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '~' && i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
        token += raw[i + 1] == '0' ? '~' : '/';
        ++i;
      } else {
        token += raw[i];
      }
    }
    tokens.push_back(std::move(token));
    if (slash == std::string_view::npos) break;
    pos = slash + 1;
  }
  return tokens;
}

const json::value* ResolvePointer(const json::value& root, std::string_view pointer) {
  const json::value* node = &root;
  for (const std::string& token : SplitPointer(pointer)) {
    if (const json::object* obj = node->if_object()) {
      auto it = obj->find(token);
      if (it == obj->end()) return nullptr;
      node = &it->value();
    } else if (const json::array* arr = node->if_array()) {
      std::size_t index = 0;
      auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), index);
      if (ec != std::errc() || ptr != token.data() + token.size() || index >= arr->size()) {
        return nullptr;
      }
      node = &(*arr)[index];
    } else {
      return nullptr;
    }
  }
  return node;
}

}  // namespace capstan::spec
