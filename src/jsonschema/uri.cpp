#include "jsonschema/uri.hpp"

#include <cctype>
#include <charconv>

namespace capstan::jsonschema {
namespace {

struct UriParts {
  bool has_scheme = false;
  std::string scheme;
  bool has_authority = false;
  std::string authority;
  std::string path;
  bool has_query = false;
  std::string query;
  bool has_fragment = false;
  std::string fragment;
};

bool IsSchemeStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool IsSchemeChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '-' || c == '.';
}

UriParts Parse(std::string_view s) {
  UriParts p;
  std::size_t pos = 0;
  // scheme ":" — only if the first ':' comes before any of "/?#" and the name is well formed.
  std::size_t colon = s.find_first_of(":/?#");
  if (colon != std::string_view::npos && s[colon] == ':' && colon > 0 && IsSchemeStart(s[0])) {
    bool ok = true;
    for (std::size_t i = 1; i < colon; ++i) ok = ok && IsSchemeChar(s[i]);
    if (ok) {
      p.has_scheme = true;
      p.scheme.assign(s.substr(0, colon));
      for (char& c : p.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      pos = colon + 1;
    }
  }
  if (s.substr(pos, 2) == "//") {
    p.has_authority = true;
    std::size_t end = s.find_first_of("/?#", pos + 2);
    if (end == std::string_view::npos) end = s.size();
    p.authority.assign(s.substr(pos + 2, end - pos - 2));
    pos = end;
  }
  std::size_t end = s.find_first_of("?#", pos);
  if (end == std::string_view::npos) end = s.size();
  p.path.assign(s.substr(pos, end - pos));
  pos = end;
  if (pos < s.size() && s[pos] == '?') {
    p.has_query = true;
    end = s.find('#', pos);
    if (end == std::string_view::npos) end = s.size();
    p.query.assign(s.substr(pos + 1, end - pos - 1));
    pos = end;
  }
  if (pos < s.size() && s[pos] == '#') {
    p.has_fragment = true;
    p.fragment.assign(s.substr(pos + 1));
  }
  return p;
}

// RFC 3986 §5.2.4.
std::string RemoveDotSegments(std::string_view in) {
  std::string out;
  while (!in.empty()) {
    if (in.starts_with("../")) {
      in.remove_prefix(3);
    } else if (in.starts_with("./")) {
      in.remove_prefix(2);
    } else if (in.starts_with("/./")) {
      in.remove_prefix(2);
    } else if (in == "/.") {
      in = "/";
    } else if (in.starts_with("/../") || in == "/..") {
      in = in.size() == 3 ? std::string_view("/") : in.substr(3);
      std::size_t last = out.rfind('/');
      out.resize(last == std::string::npos ? 0 : last);
    } else if (in == "." || in == "..") {
      in = {};
    } else {
      std::size_t start = in[0] == '/' ? 1 : 0;
      std::size_t next = in.find('/', start);
      if (next == std::string_view::npos) next = in.size();
      out.append(in.substr(0, next));
      in.remove_prefix(next);
    }
  }
  return out;
}

std::string Recompose(const UriParts& p) {
  std::string out;
  if (p.has_scheme) {
    out += p.scheme;
    out += ':';
  }
  if (p.has_authority) {
    out += "//";
    out += p.authority;
  }
  out += p.path;
  if (p.has_query) {
    out += '?';
    out += p.query;
  }
  if (p.has_fragment) {
    out += '#';
    out += p.fragment;
  }
  return out;
}

bool IsFragmentChar(unsigned char c) {
  if (std::isalnum(c) != 0) return true;
  switch (c) {
    case '-':
    case '.':
    case '_':
    case '~':
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':
    case '*':
    case '+':
    case ',':
    case ';':
    case '=':
    case ':':
    case '@':
    case '/':
    case '?':
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string ResolveUri(std::string_view base, std::string_view reference) {
  UriParts r = Parse(reference);
  UriParts b = Parse(base);
  UriParts t;
  if (r.has_scheme) {
    t = std::move(r);
    t.path = RemoveDotSegments(t.path);
    return Recompose(t);
  }
  t.has_scheme = b.has_scheme;
  t.scheme = b.scheme;
  if (r.has_authority) {
    t.has_authority = true;
    t.authority = r.authority;
    t.path = RemoveDotSegments(r.path);
    t.has_query = r.has_query;
    t.query = r.query;
  } else {
    t.has_authority = b.has_authority;
    t.authority = b.authority;
    if (r.path.empty()) {
      t.path = b.path;
      if (r.has_query) {
        t.has_query = true;
        t.query = r.query;
      } else {
        t.has_query = b.has_query;
        t.query = b.query;
      }
    } else {
      if (r.path[0] == '/') {
        t.path = RemoveDotSegments(r.path);
      } else {
        std::string merged;
        if (b.has_authority && b.path.empty()) {
          merged = "/" + r.path;
        } else {
          std::size_t last = b.path.rfind('/');
          if (last != std::string::npos) merged = b.path.substr(0, last + 1);
          merged += r.path;
        }
        t.path = RemoveDotSegments(merged);
      }
      t.has_query = r.has_query;
      t.query = r.query;
    }
  }
  t.has_fragment = r.has_fragment;
  t.fragment = r.fragment;
  return Recompose(t);
}

SplitUri SplitFragment(std::string_view uri) {
  SplitUri out;
  std::size_t hash = uri.find('#');
  if (hash == std::string_view::npos) {
    out.without_fragment = uri;
    return out;
  }
  out.without_fragment = uri.substr(0, hash);
  out.fragment = uri.substr(hash + 1);
  out.has_fragment = true;
  return out;
}

void AppendPointerToken(std::string& pointer, std::string_view token) {
  pointer += '/';
  for (char c : token) {
    if (c == '~') {
      pointer += "~0";
    } else if (c == '/') {
      pointer += "~1";
    } else {
      pointer += c;
    }
  }
}

void AppendPointerIndex(std::string& pointer, std::size_t index) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, index);
  (void)ec;
  pointer += '/';
  pointer.append(buf, end);
}

std::optional<std::vector<std::string>> ParsePointer(std::string_view pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) return tokens;
  if (pointer[0] != '/') return std::nullopt;
  std::size_t pos = 1;
  while (true) {
    std::size_t next = pointer.find('/', pos);
    std::string_view raw =
        pointer.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos);
    std::string token;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '~') {
        token += raw[i];
        continue;
      }
      if (i + 1 >= raw.size()) return std::nullopt;
      if (raw[i + 1] == '0') {
        token += '~';
      } else if (raw[i + 1] == '1') {
        token += '/';
      } else {
        return std::nullopt;
      }
      ++i;
    }
    tokens.push_back(std::move(token));
    if (next == std::string_view::npos) break;
    pos = next + 1;
  }
  return tokens;
}

const core::json::value* StepPointer(const core::json::value& value, std::string_view token) {
  if (const auto* object = value.if_object()) {
    auto it = object->find(token);
    return it == object->end() ? nullptr : &it->value();
  }
  if (const auto* array = value.if_array()) {
    if (token.empty() || (token.size() > 1 && token[0] == '0')) return nullptr;
    std::size_t index = 0;
    auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), index);
    if (ec != std::errc() || end != token.data() + token.size() || index >= array->size()) {
      return nullptr;
    }
    return &(*array)[index];
  }
  return nullptr;
}

const core::json::value* WalkPointer(const core::json::value& root, std::string_view pointer) {
  auto tokens = ParsePointer(pointer);
  if (!tokens) return nullptr;
  const core::json::value* current = &root;
  for (const auto& token : *tokens) {
    current = StepPointer(*current, token);
    if (current == nullptr) return nullptr;
  }
  return current;
}

std::string EncodePointerFragment(std::string_view pointer) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(pointer.size());
  for (char ch : pointer) {
    auto c = static_cast<unsigned char>(ch);
    if (IsFragmentChar(c)) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace capstan::jsonschema
