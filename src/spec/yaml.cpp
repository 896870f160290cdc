#include "spec/yaml.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <libfyaml.h>

namespace capstan::spec {
namespace {

constexpr std::string_view kCoreTagPrefix = "tag:yaml.org,2002:";

// RAII for the libfyaml C objects.
struct DiagDeleter {
  void operator()(fy_diag* diag) const { fy_diag_destroy(diag); }
};
struct ParserDeleter {
  void operator()(fy_parser* parser) const { fy_parser_destroy(parser); }
};
using DiagPtr = std::unique_ptr<fy_diag, DiagDeleter>;
using ParserPtr = std::unique_ptr<fy_parser, ParserDeleter>;

class EventPtr {
 public:
  EventPtr(fy_parser* parser, fy_event* event) : parser_(parser), event_(event) {}
  EventPtr(const EventPtr&) = delete;
  EventPtr& operator=(const EventPtr&) = delete;
  ~EventPtr() {
    if (event_ != nullptr) fy_parser_event_free(parser_, event_);
  }
  fy_event* get() const { return event_; }
  fy_event* operator->() const { return event_; }
  explicit operator bool() const { return event_ != nullptr; }

 private:
  fy_parser* parser_;
  fy_event* event_;
};

// libfyaml reports through the diag object; this sink keeps it from writing to stderr (errors are
// collected and read back with fy_diag_errors_iterate).
void DiscardDiagOutput(fy_diag*, void*, const char*, size_t) {}

// A token's text, read through libfyaml's token iterator rather than fy_token_get_text: in
// libfyaml 0.7.12 fy_token_get_text leaks the iterator's chunk array (2 KiB) when it formats a
// quoted scalar of many escapes in a document that then fails to parse (found by convert_fuzz).
std::string TokenText(fy_token* token) {
  std::string out;
  if (token == nullptr) return out;
  fy_token_iter* iter = fy_token_iter_create(token);
  if (iter == nullptr) return out;
  const fy_iter_chunk* chunk = nullptr;
  int error = 0;
  while ((chunk = fy_token_iter_chunk_next(iter, chunk, &error)) != nullptr) {
    out.append(chunk->str, chunk->len);
  }
  fy_token_iter_destroy(iter);
  return out;
}

Position EventPosition(fy_event* event) {
  const fy_mark* mark = fy_event_start_mark(event);
  if (mark == nullptr || mark->line < 0) return Position{1, 1};
  return Position{mark->line + 1, mark->column + 1};
}

// ---- Pre-scan: UTF-8 and control characters ------------------------------------------------

struct ScanFailure {
  Position position;
  std::string message;
  std::string rule_id;
};

// Validates UTF-8 (no overlongs, surrogates or code points above U+10FFFF) and rejects the C0
// control characters YAML does not allow (all but TAB, LF, CR) and DEL. libfyaml accepts some of
// these silently, so this check runs first.
std::optional<ScanFailure> ScanText(std::string_view text) {
  int line = 1;
  int column = 1;
  std::size_t i = 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  while (i < text.size()) {
    unsigned char c = bytes[i];
    if (c < 0x80) {
      if (c == '\n') {
        ++line;
        column = 1;
        ++i;
        continue;
      }
      if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f) {
        return ScanFailure{Position{line, column},
                           fmt::format("control character U+{:04X} is not allowed in YAML", c),
                           "yaml-syntax"};
      }
      ++i;
      ++column;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t code_point = 0;
    std::uint32_t min_value = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      length = 2;
      code_point = c & 0x1f;
      min_value = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      length = 3;
      code_point = c & 0x0f;
      min_value = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      length = 4;
      code_point = c & 0x07;
      min_value = 0x10000;
    }
    bool valid = length != 0 && i + length <= text.size();
    for (std::size_t k = 1; valid && k < length; ++k) {
      unsigned char cc = bytes[i + k];
      if ((cc & 0xc0) != 0x80) {
        valid = false;
      } else {
        code_point = (code_point << 6) | (cc & 0x3f);
      }
    }
    if (valid && (code_point < min_value || code_point > 0x10ffff ||
                  (code_point >= 0xd800 && code_point <= 0xdfff))) {
      valid = false;
    }
    if (!valid) {
      return ScanFailure{Position{line, column},
                         fmt::format("invalid UTF-8 byte 0x{:02X}", static_cast<unsigned>(c)),
                         "yaml-invalid-utf8"};
    }
    i += length;
    ++column;
  }
  return std::nullopt;
}

// ---- YAML 1.2 core schema scalar resolution ---------------------------------------------------

bool IsDigits(std::string_view s, int base) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = base == 8 ? (c >= '0' && c <= '7')
              : base == 10
                  ? (c >= '0' && c <= '9')
                  : ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
    if (!ok) return false;
  }
  return true;
}

bool IsNull(std::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

std::optional<bool> AsBool(std::string_view s) {
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  return std::nullopt;
}

enum class IntMatch { kNo, kYes, kOutOfRange };

// [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+
IntMatch AsInt(std::string_view s, json::value& out) {
  int base = 10;
  bool negative = false;
  std::string_view digits = s;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'x')) {
    base = s[1] == 'o' ? 8 : 16;
    digits = s.substr(2);
  } else if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    digits = s.substr(1);
  }
  if (!IsDigits(digits, base)) return IntMatch::kNo;
  std::uint64_t magnitude = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return IntMatch::kOutOfRange;
  if (negative) {
    constexpr std::uint64_t kMinMagnitude =
        static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1;
    if (magnitude > kMinMagnitude) return IntMatch::kOutOfRange;
    out = magnitude == kMinMagnitude ? std::numeric_limits<std::int64_t>::min()
                                     : -static_cast<std::int64_t>(magnitude);
  } else if (magnitude <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    out = static_cast<std::int64_t>(magnitude);
  } else {
    out = magnitude;
  }
  return IntMatch::kYes;
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? | [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN)
std::optional<double> AsFloat(std::string_view s) {
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return std::numeric_limits<double>::quiet_NaN();
  std::string_view body = s;
  bool negative = false;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body == ".inf" || body == ".Inf" || body == ".INF") {
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  }
  std::size_t i = 0;
  std::size_t int_digits = 0;
  while (i < body.size() && body[i] >= '0' && body[i] <= '9') ++i, ++int_digits;
  std::size_t frac_digits = 0;
  if (i < body.size() && body[i] == '.') {
    ++i;
    while (i < body.size() && body[i] >= '0' && body[i] <= '9') ++i, ++frac_digits;
    if (int_digits == 0 && frac_digits == 0) return std::nullopt;
  } else if (int_digits == 0) {
    return std::nullopt;
  }
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    if (i < body.size() && (body[i] == '-' || body[i] == '+')) ++i;
    std::size_t exp_digits = 0;
    while (i < body.size() && body[i] >= '0' && body[i] <= '9') ++i, ++exp_digits;
    if (exp_digits == 0) return std::nullopt;
  }
  if (i != body.size()) return std::nullopt;
  double value = 0;
  auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), value);
  if (ec == std::errc::result_out_of_range) {
    // Overflow becomes infinity, underflow zero (the nearest representable values).
    bool tiny =
        body.find("e-") != std::string_view::npos || body.find("E-") != std::string_view::npos;
    value = tiny ? 0.0 : std::numeric_limits<double>::infinity();
  } else if (ec != std::errc() || ptr != body.data() + body.size()) {
    return std::nullopt;
  }
  return negative ? -value : value;
}

// ---- Document builder -------------------------------------------------------------------------

struct Frame {
  json::value container;  // object or array
  std::string pointer;
  std::string anchor;
  std::size_t nodes_at_start = 0;
  // Object frames: the key waiting for its value.
  bool has_key = false;
  std::string key;
};

struct Anchor {
  json::value value;
  std::size_t nodes = 1;
};

class Builder {
 public:
  Builder(const std::string& file, const YamlOptions& options)
      : options_(options), positions_(file) {}

  // Returns false when parsing must stop (a diagnostic was recorded).
  bool OnEvent(fy_event* event);

  bool done() const { return document_count_ > 0 && !in_document_; }
  Diagnostics& diagnostics() { return diagnostics_; }
  YamlDocument Release() { return YamlDocument{std::move(root_), std::move(positions_)}; }

  void Fail(Position position, std::string message, std::string rule_id) {
    diagnostics_.push_back(Diagnostic{
        Severity::kError, SourceLocation{positions_.file(), position.line, position.column},
        std::move(message), std::move(rule_id)});
  }

 private:
  // Computes the pointer of the node that starts now and records its position. Returns false if
  // the node sits in key position but is not a scalar.
  bool BeginNode(Position position, bool is_scalar, std::string& pointer);
  // Appends a finished node to its parent; a scalar in key position becomes the pending key.
  bool AddNode(json::value value, Position position, std::string_view text);
  bool CountNodes(std::size_t count, Position position);
  bool ResolveScalar(fy_event* event, json::value& out);

  const YamlOptions& options_;
  PositionTable positions_;
  Diagnostics diagnostics_;
  std::vector<Frame> stack_;
  std::unordered_map<std::string, Anchor> anchors_;
  json::value root_;
  std::size_t nodes_ = 0;
  int document_count_ = 0;
  bool in_document_ = false;
};

bool Builder::CountNodes(std::size_t count, Position position) {
  nodes_ += count;
  if (nodes_ > options_.max_nodes) {
    Fail(position,
         fmt::format("the document expands to more than {} nodes (alias expansion limit)",
                     options_.max_nodes),
         "yaml-alias");
    return false;
  }
  return true;
}

bool Builder::BeginNode(Position position, bool is_scalar, std::string& pointer) {
  if (stack_.empty()) {
    pointer.clear();
  } else {
    Frame& top = stack_.back();
    if (json::array* arr = top.container.if_array()) {
      pointer = JoinPointer(top.pointer, arr->size());
    } else if (!top.has_key) {
      if (!is_scalar) {
        Fail(position, "mapping keys must be scalars (JSON has only string keys)",
             "yaml-unsupported");
        return false;
      }
      pointer.clear();  // a key: its pointer is known once its text is
      return true;
    } else {
      pointer = JoinPointer(top.pointer, top.key);
    }
  }
  positions_.SetValue(pointer, position);
  return true;
}

bool Builder::AddNode(json::value value, Position position, std::string_view text) {
  if (stack_.empty()) {
    root_ = std::move(value);
    return true;
  }
  Frame& top = stack_.back();
  if (json::array* arr = top.container.if_array()) {
    arr->push_back(std::move(value));
    return true;
  }
  json::object& obj = top.container.as_object();
  if (!top.has_key) {
    // This scalar is a key: its text is the JSON member name.
    std::string key(text);
    std::string member = JoinPointer(top.pointer, key);
    if (obj.contains(key)) {
      auto first = positions_.FindKey(member);
      Fail(position,
           first ? fmt::format("duplicate key \"{}\" (first defined at line {})", key, first->line)
                 : fmt::format("duplicate key \"{}\"", key),
           "yaml-duplicate-key");
      return false;
    }
    positions_.SetKey(member, position);
    top.key = std::move(key);
    top.has_key = true;
    return true;
  }
  obj.emplace(top.key, std::move(value));
  top.has_key = false;
  return true;
}

bool Builder::ResolveScalar(fy_event* event, json::value& out) {
  fy_token* token = event->scalar.value;
  const std::string text = TokenText(token);
  const std::string tag = TokenText(event->scalar.tag);
  bool plain = fy_token_scalar_style(token) == FYSS_PLAIN;
  Position position = EventPosition(event);

  if (!tag.empty()) {
    if (tag == "!" || tag == std::string(kCoreTagPrefix) + "str") {
      out = json::string(text);
      return true;
    }
    std::string_view name = tag;
    if (name.substr(0, kCoreTagPrefix.size()) == kCoreTagPrefix) {
      name.remove_prefix(kCoreTagPrefix.size());
    } else {
      name = {};
    }
    bool ok = false;
    if (name == "null") {
      ok = IsNull(text);
      if (ok) out = nullptr;
    } else if (name == "bool") {
      auto b = AsBool(text);
      ok = b.has_value();
      if (ok) out = *b;
    } else if (name == "int") {
      IntMatch m = AsInt(text, out);
      if (m == IntMatch::kOutOfRange) {
        Fail(position, fmt::format("integer {} is out of range", text), "yaml-unsupported");
        return false;
      }
      ok = m == IntMatch::kYes;
    } else if (name == "float") {
      json::value as_int;
      if (AsInt(text, as_int) == IntMatch::kYes) {
        out = as_int.to_number<double>();
        ok = true;
      } else if (auto f = AsFloat(text)) {
        out = *f;
        ok = true;
      }
    } else {
      Fail(position, fmt::format("unsupported YAML tag \"{}\"", tag), "yaml-unsupported");
      return false;
    }
    if (!ok) {
      Fail(position, fmt::format("\"{}\" is not a valid !!{}", text, name), "yaml-syntax");
      return false;
    }
    return true;
  }

  if (!plain) {
    out = json::string(text);
    return true;
  }
  if (IsNull(text)) {
    out = nullptr;
    return true;
  }
  if (auto b = AsBool(text)) {
    out = *b;
    return true;
  }
  switch (AsInt(text, out)) {
    case IntMatch::kYes:
      return true;
    case IntMatch::kOutOfRange:
      Fail(position, fmt::format("integer {} is out of range", text), "yaml-unsupported");
      return false;
    case IntMatch::kNo:
      break;
  }
  if (auto f = AsFloat(text)) {
    out = *f;
    return true;
  }
  out = json::string(text);
  return true;
}

bool Builder::OnEvent(fy_event* event) {
  Position position = EventPosition(event);
  switch (event->type) {
    case FYET_NONE:
    case FYET_STREAM_START:
    case FYET_STREAM_END:
      return true;
    case FYET_DOCUMENT_START:
      if (document_count_ > 0) {
        Fail(position, "a capability file holds exactly one YAML document",
             "yaml-multiple-documents");
        return false;
      }
      in_document_ = true;
      return true;
    case FYET_DOCUMENT_END:
      ++document_count_;
      in_document_ = false;
      return true;
    case FYET_SCALAR: {
      std::string pointer;
      if (!BeginNode(position, true, pointer)) return false;
      if (!CountNodes(1, position)) return false;
      bool is_key =
          !stack_.empty() && stack_.back().container.is_object() && !stack_.back().has_key;
      json::value value;
      if (is_key) {
        value = nullptr;  // keys keep their text, whatever its core-schema type
      } else if (!ResolveScalar(event, value)) {
        return false;
      }
      if (fy_token* anchor = event->scalar.anchor; anchor != nullptr && !is_key) {
        anchors_[std::string(TokenText(anchor))] = Anchor{value, 1};
      }
      return AddNode(std::move(value), position, TokenText(event->scalar.value));
    }
    case FYET_ALIAS: {
      std::string name(TokenText(event->alias.anchor));
      if (!options_.allow_aliases) {
        Fail(position, fmt::format("aliases are not allowed (*{})", name), "yaml-alias");
        return false;
      }
      auto it = anchors_.find(name);
      if (it == anchors_.end()) {
        Fail(position, fmt::format("unknown anchor \"{}\"", name), "yaml-syntax");
        return false;
      }
      bool is_key =
          !stack_.empty() && stack_.back().container.is_object() && !stack_.back().has_key;
      if (is_key && !it->second.value.is_string() && !it->second.value.is_primitive()) {
        Fail(position, "mapping keys must be scalars (JSON has only string keys)",
             "yaml-unsupported");
        return false;
      }
      std::string pointer;
      if (!BeginNode(position, true, pointer)) return false;
      if (!CountNodes(it->second.nodes, position)) return false;
      std::string key_text;
      if (is_key) {
        const json::value& v = it->second.value;
        key_text = v.is_string() ? std::string(v.as_string()) : core::SerializeJson(v);
      }
      return AddNode(it->second.value, position, key_text);
    }
    case FYET_MAPPING_START:
    case FYET_SEQUENCE_START: {
      bool mapping = event->type == FYET_MAPPING_START;
      std::string pointer;
      if (!BeginNode(position, false, pointer)) return false;
      if (stack_.size() >= options_.max_depth) {
        Fail(position, fmt::format("nesting deeper than {} levels", options_.max_depth),
             "yaml-too-deep");
        return false;
      }
      fy_token* tag_token = mapping ? event->mapping_start.tag : event->sequence_start.tag;
      const std::string tag = TokenText(tag_token);
      if (!tag.empty() && tag != "!" &&
          tag != std::string(kCoreTagPrefix) + (mapping ? "map" : "seq")) {
        Fail(position, fmt::format("unsupported YAML tag \"{}\"", tag), "yaml-unsupported");
        return false;
      }
      if (!CountNodes(1, position)) return false;
      Frame frame;
      frame.container = mapping ? json::value(json::object()) : json::value(json::array());
      frame.pointer = std::move(pointer);
      frame.nodes_at_start = nodes_;
      fy_token* anchor = mapping ? event->mapping_start.anchor : event->sequence_start.anchor;
      frame.anchor = std::string(TokenText(anchor));
      stack_.push_back(std::move(frame));
      return true;
    }
    case FYET_MAPPING_END:
    case FYET_SEQUENCE_END: {
      if (stack_.empty()) return true;
      Frame frame = std::move(stack_.back());
      stack_.pop_back();
      if (!frame.anchor.empty()) {
        anchors_[frame.anchor] = Anchor{frame.container, nodes_ - frame.nodes_at_start + 1};
      }
      return AddNode(std::move(frame.container), position, {});
    }
  }
  return true;
}

}  // namespace

YamlParseResult ParseYaml(std::string_view text, const std::string& file,
                          const YamlOptions& options) {
  YamlParseResult result;
  auto fail = [&](Position position, std::string message, std::string rule_id) {
    result.diagnostics.push_back(Diagnostic{Severity::kError,
                                            SourceLocation{file, position.line, position.column},
                                            std::move(message), std::move(rule_id)});
    return std::move(result);
  };

  if (text.size() > options.max_bytes) {
    return fail(
        Position{1, 1},
        fmt::format("file is {} bytes; the limit is {} bytes", text.size(), options.max_bytes),
        "yaml-too-large");
  }
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 byte order mark
  if (auto failure = ScanText(text)) {
    return fail(failure->position, std::move(failure->message), std::move(failure->rule_id));
  }

  fy_diag_cfg diag_cfg;
  fy_diag_cfg_default(&diag_cfg);
  diag_cfg.fp = nullptr;
  diag_cfg.output_fn = DiscardDiagOutput;
  diag_cfg.colorize = false;
  DiagPtr diag(fy_diag_create(&diag_cfg));
  if (!diag) return fail(Position{1, 1}, "cannot create the YAML diagnostics", "yaml-syntax");
  fy_diag_set_collect_errors(diag.get(), true);

  fy_parse_cfg cfg{};
  cfg.flags = static_cast<fy_parse_cfg_flags>(FYPCF_QUIET | FYPCF_DEFAULT_VERSION_1_2);
  cfg.diag = diag.get();
  ParserPtr parser(fy_parser_create(&cfg));
  if (!parser) return fail(Position{1, 1}, "cannot create the YAML parser", "yaml-syntax");
  if (fy_parser_set_string(parser.get(), text.data(), text.size()) != 0) {
    return fail(Position{1, 1}, "cannot read the YAML input", "yaml-syntax");
  }

  Builder builder(file, options);
  bool stopped = false;
  while (true) {
    EventPtr event(parser.get(), fy_parser_parse(parser.get()));
    if (!event) break;
    if (!builder.OnEvent(event.get())) {
      stopped = true;
      break;
    }
  }
  result.diagnostics = std::move(builder.diagnostics());
  if (!stopped && fy_parser_get_stream_error(parser.get())) {
    void* iter = nullptr;
    bool any = false;
    while (fy_diag_error* error = fy_diag_errors_iterate(diag.get(), &iter)) {
      if (error->type < FYET_ERROR) continue;
      any = true;
      result.diagnostics.push_back(Diagnostic{
          Severity::kError,
          SourceLocation{file, error->line > 0 ? error->line : 1,
                         error->column > 0 ? error->column : 1},
          error->msg != nullptr ? std::string(error->msg) : std::string("malformed YAML"),
          "yaml-syntax"});
    }
    if (!any) return fail(Position{1, 1}, "malformed YAML", "yaml-syntax");
  }
  if (!result.diagnostics.empty()) return result;
  result.document = builder.Release();
  return result;
}

}  // namespace capstan::spec
