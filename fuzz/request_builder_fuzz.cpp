// libFuzzer target for the request builder (runtime::CompiledOperation::BuildRequest) with fuzzed
// argument values. Input: byte 0 picks which arguments are given and how (string, number,
// array); the rest is split at NUL bytes into the values of p1, p2, p3 (path), q (query), arr
// (a query array, items split at ','), h (a header) and c (a cookie).
// Checks: a value never adds a '/', '?' or '#' to the target nor forms a "." or ".." segment; every
// path segment and query value decodes back to exactly the argument; no header holds CR, LF or
// NUL; and a JSON body with the values inside string literals parses back to them.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"
#include "core/percent.hpp"
#include "mapping/utf8.hpp"
#include "runtime/runtime.hpp"
#include "runtime/values.hpp"
#include "spec/loader.hpp"

namespace {

namespace json = capstan::core::json;
namespace runtime = capstan::runtime;

constexpr const char* kCapability = R"(naftiko: 1.0.0-alpha2
info:
  label: Fuzz
  description: Request builder fuzz capability
capability:
  consumes:
  - type: http
    namespace: up
    baseUri: http://127.0.0.1:9/base
    authentication:
      type: apikey
      key: api_key
      value: k&y=1
      placement: query
    resources:
    - name: r
      path: /a/{p1}/b/{{p2}}/x{p3}y
      operations:
      - name: get
        method: GET
        inputParameters:
        - {name: p1, in: path}
        - {name: p2, in: path}
        - {name: p3, in: path}
        - {name: q, in: query}
        - {name: arr, in: query}
        - {name: X-H, in: header}
        - {name: X-T, in: header, value: 'pre {{h}} post'}
        - {name: c, in: cookie}
    - name: body
      path: /body/{p1}
      operations:
      - name: post
        method: POST
        inputParameters:
        - {name: p1, in: path}
        body:
          type: json
          data: '{"q": "{{q}}", "h": "<{{h}}>", "n": {{p3}}}'
)";

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

const runtime::Runtime& Runtime() {
  static std::shared_ptr<runtime::Runtime> rt = [] {
    auto loaded = capstan::spec::LoadCapabilityFromString(kCapability, "/fuzz/request.yaml");
    Check(loaded.ok());
    runtime::RuntimeOptions options;
    options.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
    auto created = runtime::Runtime::Create(loaded.capability, options);
    Check(created.has_value());
    return *created;
  }();
  return *rt;
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> out;
  while (true) {
    std::size_t at = text.find(separator);
    out.push_back(text.substr(0, at));
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + 1);
  }
  return out;
}

bool HasControl(std::string_view text) {
  for (char c : text) {
    if (c == '\r' || c == '\n' || c == '\0') return true;
  }
  return false;
}

std::string Decode(std::string_view text) {
  auto decoded = capstan::core::PercentDecode(text);
  Check(decoded.has_value());  // every escape the builder writes is well formed
  return *decoded;
}

// The scalar text a value is sent as.
std::string Text(const json::value& v) { return runtime::ScalarText(v); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<std::string_view> fields = Split(input, '\0');
  fields.resize(7);
  const char* names[] = {"p1", "p2", "p3", "q", "arr", "X-H", "c"};

  json::object args;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if ((mode & (1u << (i % 8))) == 0 && i != 0) continue;  // p1 is always given
    if (i == 4) {
      json::array items;
      for (std::string_view item : Split(fields[i], ',')) items.emplace_back(json::string(item));
      args[names[i]] = std::move(items);
    } else if (i == 2 && (mode & 0x80) != 0) {
      args[names[i]] = static_cast<std::int64_t>(fields[i].size()) - 3;  // a number
    } else {
      args[names[i]] = json::string(fields[i]);
    }
  }
  // `h` feeds the X-T header template; give it the header's value with dashes spelled '_'.
  if (args.contains("X-H")) args["h"] = args["X-H"];

  const runtime::Runtime& rt = Runtime();
  auto get = rt.FindOperation("up.get")->BuildRequest(args);
  if (get) {
    const std::string& target = get->target;
    Check(target.find('#') == std::string::npos);
    std::size_t qmark = target.find('?');
    Check(qmark != std::string::npos);  // the api key is always there
    Check(target.find('?', qmark + 1) == std::string::npos);
    std::string_view path = std::string_view(target).substr(0, qmark);
    std::vector<std::string_view> segments = Split(path, '/');
    // "", base, a, p1, b, p2, x{p3}y: values add no '/'.
    Check(segments.size() == 7);
    for (std::string_view s : segments) Check(s != "." && s != "..");
    Check(Decode(segments[3]) == Text(args.at("p1")));
    Check(Decode(segments[5]) == Text(args.at("p2")));
    Check(Decode(segments[6]) == "x" + Text(args.at("p3")) + "y");
    // Query: name=value pairs, each value decoding to what was given, in declared order.
    std::vector<std::string> expected;
    if (const json::value* q = args.if_contains("q")) expected.push_back("q=" + Text(*q));
    if (const json::value* arr = args.if_contains("arr")) {
      for (const json::value& item : arr->as_array()) expected.push_back("arr=" + Text(item));
    }
    expected.push_back("api_key=k&y=1");
    std::vector<std::string_view> pairs = Split(std::string_view(target).substr(qmark + 1), '&');
    Check(pairs.size() == expected.size());
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      std::size_t eq = pairs[i].find('=');
      Check(eq != std::string_view::npos);
      Check(pairs[i].find('=', eq + 1) == std::string_view::npos);
      Check(Decode(pairs[i].substr(0, eq)) + "=" + Decode(pairs[i].substr(eq + 1)) == expected[i]);
    }
    for (const auto& [name, value] : get->headers.entries()) {
      Check(!HasControl(name) && !HasControl(value));
    }
    if (const json::value* h = args.if_contains("X-H")) {
      Check(get->headers.Get("X-H") == Text(*h));
      Check(get->headers.Get("X-T") == "pre " + Text(*h) + " post");
    }
  } else {
    Check(get.error().code == capstan::core::ErrorCode::kInvalidArgument);
  }

  auto post = rt.FindOperation("up.post")->BuildRequest(args);
  if (post) {
    const std::string& target = post->target;
    std::size_t qmark = target.find('?');
    Check(qmark != std::string::npos && target.substr(qmark) == "?api_key=k%26y%3D1");
    Check(Decode(target.substr(0, qmark)) == "/base/body/" + Text(args.at("p1")));
    Check(std::count(target.begin(), target.begin() + static_cast<std::ptrdiff_t>(qmark), '/') ==
          3);
    auto parsed = capstan::core::ParseJson(post->body);
    Check(parsed.has_value() && parsed->is_object());
    const json::object& body = parsed->as_object();
    Check(body.size() == 3);
    Check(std::string_view(body.at("q").as_string()) == Text(args.at("q")));
    Check(std::string_view(body.at("h").as_string()) == "<" + Text(args.at("h")) + ">");
  } else {
    Check(post.error().code == capstan::core::ErrorCode::kInvalidArgument);
  }
  return 0;
}
