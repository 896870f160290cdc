// JSON-RPC 2.0 as MCP uses it: message classification, the error codes of every protocol
// revision capstan speaks, and builders for the response and notification texts.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/json.hpp"

namespace capstan::mcp {

namespace json = core::json;

// JSON-RPC and MCP error codes.
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
inline constexpr int kTransportError = -32000;    // SDK convention: bad session / headers
inline constexpr int kSessionNotFound = -32001;   // SDK convention
inline constexpr int kResourceNotFound = -32002;  // up to 2025-11-25
inline constexpr int kHeaderMismatch = -32020;    // 2026-07-28
inline constexpr int kMissingClientCapability = -32021;
inline constexpr int kUnsupportedProtocolVersion = -32022;

enum class MessageKind { kRequest, kNotification, kResponse, kInvalid };

// A classified JSON-RPC message. Views point into the parsed value, which must outlive it.
struct Message {
  MessageKind kind = MessageKind::kInvalid;
  const json::value* id = nullptr;       // requests and responses
  std::string_view method;               // requests and notifications
  const json::object* params = nullptr;  // null when absent
  const json::value* result = nullptr;   // responses
  const json::value* error = nullptr;    // responses
  std::string problem;                   // kInvalid: why
};

// Classifies one element of a POST body / stdin line. Requests need a string or integer id
// (never null), a string method and, if present, object params.
[[nodiscard]] Message Classify(const json::value& value);

// A map key for a request id: "s:<text>" or "n:<integer>".
[[nodiscard]] std::string IdKey(const json::value& id);

// {"jsonrpc":"2.0","id":...,"result":...}
[[nodiscard]] std::string ResultText(const json::value& id, const json::value& result);
// The same, with one more member of the (object) result whose value is already JSON text,
// written verbatim (`raw_json` must be well-formed: core::IsJsonText).
[[nodiscard]] std::string ResultTextWithRawMember(const json::value& id, const json::object& result,
                                                  std::string_view key, std::string_view raw_json);
// The same for a tool result made of one JSON object body: the members of `result`, then
// "content" (one text item, the body escaped) and "structuredContent" (the body verbatim; it must
// be well-formed: core::IsJsonText). The body is never parsed into a tree nor copied beforehand.
[[nodiscard]] std::string ToolResultTextWithJsonBody(const json::value& id,
                                                     const json::object& result,
                                                     std::string_view json_body);
// {"jsonrpc":"2.0","id":... or null,"error":{"code":..,"message":..,"data":..}}
[[nodiscard]] std::string ErrorText(const json::value* id, int code, std::string_view message,
                                    const json::value* data = nullptr);
// {"jsonrpc":"2.0","method":...,"params":...}
[[nodiscard]] std::string NotificationText(std::string_view method, const json::object& params);
// {"jsonrpc":"2.0","id":"<id>","method":...,"params":...}
[[nodiscard]] std::string RequestText(std::string_view id, std::string_view method,
                                      const json::object& params);

// `params._meta` (or null).
[[nodiscard]] const json::object* Meta(const Message& message);
// A string member of an object, or nullopt.
[[nodiscard]] std::optional<std::string_view> StringField(const json::object* object,
                                                          std::string_view key);

}  // namespace capstan::mcp
