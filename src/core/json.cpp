#include "core/json.hpp"

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <boost/json/basic_parser_impl.hpp>

namespace capstan::core {
namespace {

// The double a JSON number's text denotes, read with std::from_chars (exact, no locale); nothing
// when it is out of the double range (1e999, 1e-400).
std::optional<double> ExactDouble(std::string_view text) {
  double d = 0;
  auto [ptr, err] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (err != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return d;
}

// Builds a json::value from parser events. Keeps its own frame stack so that it can reject
// duplicate keys and parse doubles from their exact text.
class ValueBuilder {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  ValueBuilder(json::storage_ptr storage, bool allow_duplicates)
      : storage_(std::move(storage)), allow_duplicates_(allow_duplicates) {}

  json::value Release() { return std::move(result_); }
  const std::string& failure() const { return failure_; }

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }

  bool on_array_begin(boost::system::error_code&) {
    frames_.push_back(Frame{json::value(json::array(storage_)), TakeKey()});
    return true;
  }
  bool on_array_end(std::size_t, boost::system::error_code& ec) { return CloseFrame(ec); }
  bool on_object_begin(boost::system::error_code&) {
    frames_.push_back(Frame{json::value(json::object(storage_)), TakeKey()});
    return true;
  }
  bool on_object_end(std::size_t, boost::system::error_code& ec) { return CloseFrame(ec); }

  bool on_string_part(json::string_view s, std::size_t, boost::system::error_code&) {
    text_.append(s.data(), s.size());
    return true;
  }
  bool on_string(json::string_view s, std::size_t, boost::system::error_code& ec) {
    text_.append(s.data(), s.size());
    json::value v(json::string(text_, storage_));
    text_.clear();
    return Emit(std::move(v), ec);
  }
  bool on_key_part(json::string_view s, std::size_t, boost::system::error_code&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, boost::system::error_code&) {
    key_.append(s.data(), s.size());
    has_key_ = true;
    return true;
  }
  bool on_number_part(json::string_view s, boost::system::error_code&) {
    number_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t i, json::string_view, boost::system::error_code& ec) {
    number_.clear();
    return Emit(json::value(i, storage_), ec);
  }
  bool on_uint64(std::uint64_t u, json::string_view, boost::system::error_code& ec) {
    number_.clear();
    return Emit(json::value(u, storage_), ec);
  }
  bool on_double(double, json::string_view s, boost::system::error_code& ec) {
    number_.append(s.data(), s.size());
    std::optional<double> d = ExactDouble(number_);
    if (!d) {
      failure_ = "number out of range: " + number_;
      ec = make_error_code(json::error::exponent_overflow);
      return false;
    }
    number_.clear();
    return Emit(json::value(*d, storage_), ec);
  }
  bool on_bool(bool b, boost::system::error_code& ec) { return Emit(json::value(b, storage_), ec); }
  bool on_null(boost::system::error_code& ec) { return Emit(json::value(nullptr, storage_), ec); }
  bool on_comment_part(json::string_view, boost::system::error_code&) { return true; }
  bool on_comment(json::string_view, boost::system::error_code&) { return true; }

 private:
  struct Frame {
    json::value container;
    std::string key;  // the key under which this container goes into its parent object
  };

  std::string TakeKey() {
    std::string k = std::move(key_);
    key_.clear();
    has_key_ = false;
    return k;
  }

  bool Emit(json::value v, boost::system::error_code& ec) {
    if (frames_.empty()) {
      result_ = std::move(v);
      return true;
    }
    return Insert(frames_.back().container, TakeKey(), std::move(v), ec);
  }

  bool Insert(json::value& parent, std::string key, json::value v, boost::system::error_code& ec) {
    if (parent.is_array()) {
      parent.get_array().push_back(std::move(v));
      return true;
    }
    json::object& obj = parent.get_object();
    if (auto* existing = obj.if_contains(key)) {
      if (!allow_duplicates_) {
        failure_ = "duplicate key \"" + key + "\"";
        ec = make_error_code(json::error::syntax);
        return false;
      }
      *existing = std::move(v);
      return true;
    }
    obj.emplace(key, std::move(v));
    return true;
  }

  bool CloseFrame(boost::system::error_code& ec) {
    Frame frame = std::move(frames_.back());
    frames_.pop_back();
    if (frames_.empty()) {
      result_ = std::move(frame.container);
      return true;
    }
    return Insert(frames_.back().container, std::move(frame.key), std::move(frame.container), ec);
  }

  json::storage_ptr storage_;
  bool allow_duplicates_;
  std::vector<Frame> frames_;
  std::string key_;
  bool has_key_ = false;
  std::string text_;
  std::string number_;
  std::string failure_;
  json::value result_;
};

void AppendDouble(std::string& out, double d) {
  if (d != d || d == std::numeric_limits<double>::infinity() ||
      d == -std::numeric_limits<double>::infinity()) {
    out += "null";  // JSON has no NaN or infinity
    return;
  }
  char buf[64];
  auto [ptr, err] = std::to_chars(buf, buf + sizeof buf, d);
  (void)err;
  std::string_view s(buf, static_cast<std::size_t>(ptr - buf));
  out += s;
  if (s.find_first_of(".eE") == std::string_view::npos) out += ".0";
}

// Accepts every event: the parser itself checks the grammar, UTF-8 and depth. Numbers that
// std::from_chars cannot hold are refused, as ParseJson refuses them.
class Validator {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);
  using ec_t = boost::system::error_code;

  bool on_document_begin(ec_t&) { return true; }
  bool on_document_end(ec_t&) { return true; }
  bool on_array_begin(ec_t&) { return true; }
  bool on_array_end(std::size_t, ec_t&) { return true; }
  bool on_object_begin(ec_t&) { return true; }
  bool on_object_end(std::size_t, ec_t&) { return true; }
  bool on_string_part(json::string_view, std::size_t, ec_t&) { return true; }
  bool on_string(json::string_view, std::size_t, ec_t&) { return true; }
  bool on_key_part(json::string_view, std::size_t, ec_t&) { return true; }
  bool on_key(json::string_view, std::size_t, ec_t&) { return true; }
  bool on_number_part(json::string_view s, ec_t&) {
    number_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t, json::string_view, ec_t&) { return Clear(); }
  bool on_uint64(std::uint64_t, json::string_view, ec_t&) { return Clear(); }
  bool on_double(double, json::string_view s, ec_t& ec) {
    number_.append(s.data(), s.size());
    if (!ExactDouble(number_)) {
      ec = make_error_code(json::error::exponent_overflow);
      return false;
    }
    return Clear();
  }
  bool on_bool(bool, ec_t&) { return true; }
  bool on_null(ec_t&) { return true; }
  bool on_comment_part(json::string_view, ec_t&) { return true; }
  bool on_comment(json::string_view, ec_t&) { return true; }

 private:
  bool Clear() {
    number_.clear();
    return true;
  }
  std::string number_;
};

}  // namespace

bool IsJsonText(std::string_view text, std::size_t max_depth) {
  json::parse_options popts;
  popts.max_depth = max_depth;
  json::basic_parser<Validator> parser(popts);
  boost::system::error_code ec;
  std::size_t n = parser.write_some(false, text.data(), text.size(), ec);
  return !ec && n == text.size();
}

Result<json::value> ParseJson(std::string_view text, const JsonParseOptions& options,
                              json::storage_ptr storage) {
  json::parse_options popts;
  popts.max_depth = options.max_depth;
  json::basic_parser<ValueBuilder> parser(popts, std::move(storage), options.allow_duplicate_keys);
  boost::system::error_code ec;
  std::size_t n = parser.write_some(false, text.data(), text.size(), ec);
  if (!ec && n < text.size()) ec = make_error_code(json::error::extra_data);
  if (ec) {
    std::string what = parser.handler().failure();
    if (what.empty()) what = ec.message();
    return Fail(ErrorCode::kInvalidArgument,
                "invalid JSON at offset " + std::to_string(n) + ": " + what);
  }
  return parser.handler().Release();
}

void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.reserve(out.size() + text.size() + 2);
  out.push_back('"');
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xF]);
    }
  }
  out.append(text.data() + run, text.size() - run);
  out.push_back('"');
}

void AppendJson(std::string& out, const json::value& value) {
  switch (value.kind()) {
    case json::kind::null:
      out += "null";
      return;
    case json::kind::bool_:
      out += value.get_bool() ? "true" : "false";
      return;
    case json::kind::int64: {
      char buf[32];
      auto [ptr, err] = std::to_chars(buf, buf + sizeof buf, value.get_int64());
      (void)err;
      out.append(buf, ptr);
      return;
    }
    case json::kind::uint64: {
      char buf[32];
      auto [ptr, err] = std::to_chars(buf, buf + sizeof buf, value.get_uint64());
      (void)err;
      out.append(buf, ptr);
      return;
    }
    case json::kind::double_:
      AppendDouble(out, value.get_double());
      return;
    case json::kind::string: {
      const json::string& s = value.get_string();
      AppendJsonString(out, std::string_view(s.data(), s.size()));
      return;
    }
    case json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (const json::value& v : value.get_array()) {
        if (!first) out.push_back(',');
        first = false;
        AppendJson(out, v);
      }
      out.push_back(']');
      return;
    }
    case json::kind::object: {
      out.push_back('{');
      bool first = true;
      for (const json::key_value_pair& kv : value.get_object()) {
        if (!first) out.push_back(',');
        first = false;
        AppendJsonString(out, std::string_view(kv.key().data(), kv.key().size()));
        out.push_back(':');
        AppendJson(out, kv.value());
      }
      out.push_back('}');
      return;
    }
  }
}

std::string SerializeJson(const json::value& value) {
  std::string out;
  AppendJson(out, value);
  return out;
}

}  // namespace capstan::core
