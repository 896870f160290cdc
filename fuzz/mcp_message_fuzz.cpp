// libFuzzer target for the MCP message handler: arbitrary bytes as one POST body / stdin line
// through JSON parsing, JSON-RPC classification, the 2026-07-28 _meta checks, the pre-checks and
// the method dispatch (tools, resources, prompts, pagination cursors, argument validation) of a
// Protocol over a small catalog with native tools and no upstream. Also the session-id verifier.
// It must never crash, hang or leak. Seeds: fuzz/corpus/mcp_message/.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "exposes/mcp/catalog.hpp"
#include "exposes/mcp/jsonrpc.hpp"
#include "exposes/mcp/protocol.hpp"
#include "exposes/mcp/session.hpp"

namespace {

namespace asio = boost::asio;
namespace mcp = capstan::mcp;
namespace json = capstan::core::json;

std::shared_ptr<const mcp::Protocol> MakeProtocol() {
  mcp::Catalog catalog;
  auto schema = capstan::core::ParseJson(
      R"({"type":"object","properties":{"n":{"type":"integer"},"s":{"type":"string","pattern":"^[a-z]+$"}},)"
      R"("required":["n"],"additionalProperties":false})");
  (void)mcp::AddNativeTool(
      catalog, "echo", "Echoes its arguments.", schema->as_object(),
      [](const json::object& args, mcp::RequestScope& scope) -> asio::awaitable<mcp::ToolOutcome> {
        scope.Progress(50, 100, "half");
        scope.Log(1, "fuzz", json::value(args));
        mcp::ToolOutcome out;
        json::array content;
        json::object text;
        text["type"] = "text";
        text["text"] = capstan::core::SerializeJson(json::value(args));
        content.emplace_back(std::move(text));
        out.result["content"] = std::move(content);
        co_return out;
      });
  mcp::Resource resource;
  resource.uri = "test://item/{id}";
  resource.is_template = true;
  resource.pieces = {"test://item/", "id", ""};
  resource.definition["uriTemplate"] = resource.uri;
  resource.definition["name"] = "item";
  resource.native = [](const std::string& uri, const json::object&,
                       mcp::RequestScope&) -> asio::awaitable<capstan::core::Result<json::array>> {
    json::array contents;
    json::object item;
    item["uri"] = uri;
    item["text"] = "x";
    contents.emplace_back(std::move(item));
    co_return contents;
  };
  catalog.resources.push_back(std::move(resource));
  mcp::Prompt prompt;
  prompt.name = "greet";
  prompt.definition["name"] = "greet";
  prompt.required = {"who"};
  prompt.messages.emplace_back(
      "user", *capstan::mapping::Template::Compile("Hi {{who}}",
                                                   capstan::mapping::TemplateSyntax::kDoubleBrace));
  catalog.prompts.push_back(std::move(prompt));
  mcp::ProtocolOptions options;
  options.page_size = 1;
  return std::make_shared<const mcp::Protocol>(
      std::make_shared<const mcp::Catalog>(std::move(catalog)), options);
}

void Handle(const mcp::Protocol& protocol, asio::io_context& ioc, const json::value& value,
            bool modern) {
  mcp::Message m = mcp::Classify(value);
  auto session = std::make_shared<mcp::Session>();
  session->id = "fuzz";
  session->protocol_version = "2025-11-25";
  if (m.kind == mcp::MessageKind::kNotification) {
    protocol.HandleNotification(m, *session);
    return;
  }
  if (m.kind != mcp::MessageKind::kRequest) return;
  (void)mcp::IdKey(*m.id);
  if (modern && protocol.PrepareModernRequest(m, *session)) return;
  if (protocol.Precheck(m, *session)) return;
  (void)protocol.WantsStream(m, *session);
  asio::co_spawn(
      ioc,
      [&protocol, &m, session]() -> asio::awaitable<void> {
        mcp::RequestScope scope;
        scope.session = session.get();
        scope.log_level = 0;
        scope.progress_token = "p";
        scope.send = [](std::string) {};
        mcp::Protocol::Reply reply = co_await protocol.HandleRequest(m, *session, scope);
        if (!reply.cancelled && !capstan::core::ParseJson(reply.text)) __builtin_trap();
      },
      asio::detached);
  ioc.run();
  ioc.restart();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::shared_ptr<const mcp::Protocol> protocol = MakeProtocol();
  static const mcp::SessionStore sessions({"fuzz-key", 16, std::chrono::seconds(60)});
  static asio::io_context ioc(1);
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)sessions.Verify(text);
  auto parsed = capstan::core::ParseJson(text);
  if (!parsed) return 0;
  const bool modern = size % 2 == 1;
  if (parsed->is_array()) {
    std::size_t n = 0;
    for (const json::value& item : parsed->get_array()) {
      if (++n > 16) break;
      Handle(*protocol, ioc, item, modern);
    }
  } else {
    Handle(*protocol, ioc, *parsed, modern);
  }
  return 0;
}
