// libFuzzer target for the server's wire helpers (http::AppendResponseHead, IsSaneRequestId,
// ErrorBody). Input (FuzzedDataProvider): a status, the head options, a client X-Request-Id, up
// to 16 handler headers (names and values are arbitrary bytes: REST forwarding copies upstream
// headers) and an error type and message. Checks: the head is one status line, CRLF-terminated
// header lines each "token: value" with no CR, LF or NUL, and one blank line at the end; framing
// headers appear once and only the server's; every safe handler header is kept in order; a sane
// request id is echoed; the error body is always JSON, holding the type and message (with
// ill-formed UTF-8 replaced by U+FFFD).
// Seeds: fuzz/corpus/wire/.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "core/json.hpp"
#include "core/utf8.hpp"
#include "http/message.hpp"
#include "http/wire.hpp"

namespace {

namespace http = capstan::http;

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

bool SafeValue(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool IsFraming(std::string_view name) {
  return http::IEquals(name, "Content-Length") || http::IEquals(name, "Transfer-Encoding") ||
         http::IEquals(name, "Connection");
}

// `text` as a JSON string must carry it: ill-formed UTF-8 replaced (RFC 8259 §8.1).
std::string Repaired(std::string_view text) {
  std::string out;
  capstan::core::AppendValidUtf8(out, text);
  return out;
}

void CheckErrorBody(std::string_view type, std::string_view message) {
  std::string body = http::ErrorBody(type, message);
  auto parsed = capstan::core::ParseJson(body);
  Check(parsed.has_value());  // whatever bytes came in: JSON text is UTF-8
  Check(parsed->is_object() && parsed->get_object().size() == 2);
  const auto& object = parsed->get_object();
  Check(object.at("type").is_string() && object.at("type").get_string() == Repaired(type));
  Check(object.at("message").is_string() && object.at("message").get_string() == Repaired(message));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  http::Response response;
  // Statuses come from handlers and from upstreams whose status line Beast parsed: 3 digits.
  response.status = in.ConsumeIntegralInRange(100, 999);
  http::HeadOptions options;
  options.close = in.ConsumeBool();
  options.http10_keep_alive = in.ConsumeBool();
  options.chunked = in.ConsumeBool();
  options.close_delimited = in.ConsumeBool();
  options.content_length = in.ConsumeIntegral<std::uint64_t>();
  options.server_name = in.ConsumeBool() ? "capstan" : "";
  std::string client_id = in.ConsumeRandomLengthString(80);
  const bool sane_id = http::IsSaneRequestId(client_id);
  if (sane_id) {
    Check(!client_id.empty() && client_id.size() <= 64 && SafeValue(client_id));
    Check(client_id.find_first_of(" \t,;\"") == std::string::npos);
  }
  std::string generated = http::NewRequestId();
  Check(http::IsSaneRequestId(generated));
  options.request_id = sane_id ? std::string_view(client_id) : std::string_view(generated);

  const std::size_t count = in.ConsumeIntegralInRange<std::size_t>(0, 16);
  for (std::size_t i = 0; i < count && in.remaining_bytes() > 0; ++i) {
    std::string name = in.ConsumeRandomLengthString(32);
    std::string value = in.ConsumeRandomLengthString(96);
    response.headers.Add(name, value);
  }

  std::string head;
  http::AppendResponseHead(head, response, options);

  // Status line.
  const std::string status = std::to_string(response.status);
  Check(head.rfind("HTTP/1.1 " + status + " ", 0) == 0);
  // Exactly one blank line, at the end; every CR is followed by LF and every LF follows a CR.
  Check(head.size() >= 4 && head.compare(head.size() - 4, 4, "\r\n\r\n") == 0);
  Check(head.find("\r\n\r\n") == head.size() - 4);
  for (std::size_t i = 0; i < head.size(); ++i) {
    Check(head[i] != '\0');
    if (head[i] == '\r') Check(i + 1 < head.size() && head[i + 1] == '\n');
    if (head[i] == '\n') Check(i > 0 && head[i - 1] == '\r');
  }

  // Header lines: "token: value".
  std::vector<std::pair<std::string_view, std::string_view>> lines;
  std::string_view rest(head);
  rest.remove_prefix(rest.find("\r\n") + 2);
  rest.remove_suffix(2);  // the blank line
  while (!rest.empty()) {
    std::size_t end = rest.find("\r\n");
    Check(end != std::string_view::npos);
    std::string_view line = rest.substr(0, end);
    std::size_t colon = line.find(": ");
    Check(colon != std::string_view::npos);
    std::string_view name = line.substr(0, colon);
    Check(http::IsHeaderName(name));
    lines.emplace_back(name, line.substr(colon + 2));
    rest.remove_prefix(end + 2);
  }

  // The handler's safe headers, in order, then the server's own.
  std::size_t at = 0;
  bool handler_id = false;
  for (const auto& [name, value] : response.headers.entries()) {
    if (!http::IsHeaderName(name) || !SafeValue(value) || IsFraming(name)) continue;
    Check(at < lines.size() && lines[at].first == name && lines[at].second == value);
    if (http::IEquals(name, "X-Request-Id")) handler_id = true;
    ++at;
  }
  std::size_t lengths = 0;
  std::size_t codings = 0;
  std::size_t connections = 0;
  std::size_t dates = 0;
  bool id_echoed = false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto& [name, value] = lines[i];
    if (http::IEquals(name, "Content-Length")) ++lengths;
    if (http::IEquals(name, "Transfer-Encoding")) ++codings;
    if (http::IEquals(name, "Connection")) ++connections;
    if (http::IEquals(name, "Date")) ++dates;
    if (i >= at && name == "X-Request-Id" && value == options.request_id) id_echoed = true;
  }
  Check(lengths + codings <= 1 && connections <= 1 && dates >= 1);
  Check(codings == (options.chunked ? 1u : 0u));
  const bool no_length = response.status < 200 || response.status == 204 || response.status == 304;
  if (no_length) Check(lengths == 0);
  Check(connections == ((options.close || options.http10_keep_alive) ? 1u : 0u));
  Check(handler_id || id_echoed);

  CheckErrorBody(in.ConsumeRandomLengthString(32), in.ConsumeRemainingBytesAsString());
  return 0;
}
