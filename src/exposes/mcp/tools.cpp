// Running tools: the RequestScope helpers and the mapping of an invocation's outcome (upstream
// status, body, transport errors) to a CallToolResult.
#include <cmath>

#include <boost/asio/this_coro.hpp>

#include "exposes/mcp/catalog.hpp"
#include "exposes/mcp/jsonrpc.hpp"
#include "http/message.hpp"

namespace capstan::mcp {

namespace asio = boost::asio;
using core::ErrorCode;

namespace {

constexpr std::size_t kMaxErrorBodyInText = 8 * 1024;

json::object TextResult(std::string text, bool is_error) {
  json::object result;
  json::array content;
  json::object item;
  item["type"] = "text";
  item["text"] = std::move(text);
  content.emplace_back(std::move(item));
  result["content"] = std::move(content);
  if (is_error) result["isError"] = true;
  return result;
}

std::string StatusText(int status) {
  std::string out = "HTTP " + std::to_string(status);
  std::string_view reason = http::ReasonPhrase(status);
  if (!reason.empty()) {
    out += ' ';
    out += reason;
  }
  return out;
}

}  // namespace

// ---- RequestScope -----------------------------------------------------------------------------

void RequestScope::Log(int level, std::string_view logger, json::value data) const {
  if (!Logs(level)) return;
  json::object params;
  params["level"] = LogLevelName(level);
  if (!logger.empty()) params["logger"] = logger;
  params["data"] = std::move(data);
  send(NotificationText("notifications/message", params));
}

void RequestScope::Progress(double progress, double total, std::string_view message) {
  if (!ReportsProgress() || progress <= last_progress_) return;
  last_progress_ = progress;
  json::object params;
  params["progressToken"] = progress_token;
  if (progress == std::floor(progress)) {
    params["progress"] = static_cast<std::int64_t>(progress);
  } else {
    params["progress"] = progress;
  }
  if (total > 0) params["total"] = static_cast<std::int64_t>(total);
  if (!message.empty()) params["message"] = message;
  send(NotificationText("notifications/progress", params));
}

bool RequestScope::ClientSupports(std::string_view capability) const {
  return session != nullptr && session->client_capabilities.contains(capability);
}

asio::awaitable<core::Result<json::value>> RequestScope::AskClient(std::string_view method,
                                                                   json::object params) {
  if (!send) {
    co_return core::Fail(ErrorCode::kUnavailable,
                         "this reply cannot carry a request to the client");
  }
  auto executor = co_await asio::this_coro::executor;
  ClientRequests& registry = ClientRequests::Instance();
  std::string id = registry.Register(executor);
  send(RequestText(id, method, params));
  auto response = co_await registry.Await(id, client_request_timeout);
  if (!response) co_return core::Fail(std::move(response).error());
  const json::object& o = response->as_object();
  if (const json::value* error = o.if_contains("error")) {
    std::string message = "the client answered with an error";
    if (error->is_object()) {
      if (auto m = StringField(&error->get_object(), "message")) message += ": " + std::string(*m);
    }
    co_return core::Fail(ErrorCode::kInvalidArgument, message);
  }
  const json::value* result = o.if_contains("result");
  co_return result != nullptr ? *result : json::value(json::object());
}

// ---- tool results -----------------------------------------------------------------------------

// Whether `body` is JSON text whose value is one object.
// `verified`: the runtime has already checked that it is one JSON text (core::IsJsonGrammar).
static bool IsJsonObjectText(const std::string& body, bool verified) {
  std::size_t first = body.find_first_not_of(" \t\r\n");
  return first != std::string::npos && body[first] == '{' && (verified || core::IsJsonText(body));
}

// The text of a failed call.
static std::string FailureText(const core::Error& e, std::string_view what) {
  switch (e.code) {
    case ErrorCode::kInvalidArgument:
      return "Invalid arguments: " + e.message;
    case ErrorCode::kUpstreamTimeout:
      return "The upstream API did not answer in time (" + std::string(what) + "): " + e.message;
    case ErrorCode::kUpstreamUnavailable:
      return "The upstream API could not be reached (" + std::string(what) + "): " + e.message;
    default:
      return "Error (" + std::string(core::ErrorCodeName(e.code)) + "): " + e.message;
  }
}

ToolOutcome ToolResultFor(core::Result<runtime::InvocationResult> outcome, std::string_view what) {
  ToolOutcome out;
  if (!outcome) {
    out.result = TextResult(FailureText(outcome.error(), what), true);
    return out;
  }
  runtime::InvocationResult& r = *outcome;
  if (r.status >= 400 || r.status < 200) {
    std::string text =
        r.failed_step.empty()
            ? "The upstream API answered " + StatusText(r.status) + " (" + std::string(what) + ")"
            : "Step " + r.failed_step + " failed: the upstream API answered " +
                  StatusText(r.status);
    if (!r.body.empty()) {
      text += ": ";
      if (r.body.size() > kMaxErrorBodyInText) {
        // Cut before a character, not inside one (the reply writer would make its start U+FFFD).
        std::size_t cut = kMaxErrorBodyInText;
        for (int back = 0; back < 3 && (static_cast<unsigned char>(r.body[cut]) & 0xC0) == 0x80;
             ++back) {
          --cut;
        }
        text.append(r.body, 0, cut);
        text += "... (truncated)";
      } else {
        text += r.body;
      }
    }
    out.result = TextResult(std::move(text), true);
    return out;
  }
  if (r.body.empty()) {
    out.result = TextResult(
        "Success: the upstream API answered " + StatusText(r.status) + " with no content.", false);
    return out;
  }
  if (r.is_json && IsJsonObjectText(r.body, r.json_verified)) {
    // The common case: the text copy and the structured copy are the same bytes, written into
    // the reply as they are (escaped for the text), without building a tree or copying them.
    out.structured_raw = std::move(r.body);
    return out;
  }
  if (r.is_json) {
    // A JSON string is given as its value; other JSON (arrays, numbers) and text as they are.
    if (auto parsed = core::ParseJson(r.body); parsed && parsed->is_string()) {
      out.result = TextResult(std::string(parsed->get_string()), false);
      return out;
    }
  }
  out.result = TextResult(std::move(r.body), false);
  return out;
}

bool Hint(const Tool& tool, std::string_view hint, bool absent) {
  const json::value* annotations = tool.definition.if_contains("annotations");
  if (annotations == nullptr || !annotations->is_object()) return absent;
  const json::value* value = annotations->as_object().if_contains(hint);
  return value != nullptr && value->is_bool() ? value->get_bool() : absent;
}

std::size_t MarkForConfirmation(Catalog& catalog) {
  std::size_t marked = 0;
  for (Tool& tool : catalog.tools) {
    // The MCP defaults for a tool that says nothing: destructive, not read-only.
    tool.confirm = Hint(tool, "destructiveHint", true) && !Hint(tool, "readOnlyHint", false);
    marked += tool.confirm ? 1 : 0;
  }
  return marked;
}

asio::awaitable<std::optional<ToolOutcome>> ConfirmBeforeRunning(const Tool& tool,
                                                                 const json::object& args,
                                                                 RequestScope& scope) {
  if (!tool.confirm || !scope.ClientSupports("elicitation")) co_return std::nullopt;
  json::object confirm;
  confirm["type"] = "boolean";
  confirm["title"] = "Run " + tool.name;
  confirm["description"] = "True to run the tool as shown";
  json::object properties;
  properties["confirm"] = std::move(confirm);
  json::object schema;
  schema["type"] = "object";
  schema["properties"] = std::move(properties);
  schema["required"] = json::array{"confirm"};
  json::object params;
  params["message"] = "Run '" + tool.name + "'? It may change or delete data. Arguments: " +
                      core::SerializeJson(json::value(args));
  params["requestedSchema"] = std::move(schema);
  json::value answer;
  if (scope.modern) {
    const json::value* given = scope.input_responses.if_contains(kConfirmInputKey);
    if (given == nullptr) {
      json::object request;
      request["method"] = "elicitation/create";
      request["params"] = std::move(params);
      json::object requests;
      requests[kConfirmInputKey] = std::move(request);
      ToolOutcome ask;
      ask.input_requests = std::move(requests);
      co_return ask;
    }
    answer = *given;
  } else {
    auto asked = co_await scope.AskClient("elicitation/create", std::move(params));
    if (!asked) {
      ToolOutcome failed;
      failed.result =
          TextResult("Not run: '" + tool.name +
                         "' needs a confirmation, which failed: " + asked.error().message,
                     true);
      co_return failed;
    }
    answer = std::move(*asked);
  }
  std::string action = "none";
  bool confirmed = false;
  if (answer.is_object()) {
    const json::object& o = answer.as_object();
    if (const json::value* a = o.if_contains("action"); a && a->is_string()) {
      action = std::string(a->get_string());
    }
    if (const json::value* c = o.if_contains("content"); c && c->is_object()) {
      const json::value* v = c->as_object().if_contains("confirm");
      confirmed = v != nullptr && v->is_bool() && v->get_bool();
    }
  }
  if (action == "accept" && confirmed) co_return std::nullopt;
  ToolOutcome declined;
  declined.result = TextResult("Not run: the user did not confirm '" + tool.name + "' (action " +
                                   action + (action == "accept" ? ", confirm not true" : "") + ")",
                               true);
  co_return declined;
}

asio::awaitable<ToolOutcome> CallMappedTool(const Tool& tool, json::object args,
                                            RequestScope& scope) {
  const runtime::Invocation& inv = *tool.invocation;
  const runtime::CompiledOperation* op = inv.operation();
  auto what = [&inv] { return inv.Describe(); };
  constexpr int kInfo = 1;
  constexpr int kWarning = 3;
  // Progress and log notifications are only put together when the client asked for them.
  auto report = [&](double progress, int level, const auto& text, const auto& log_text) {
    if (scope.ReportsProgress()) scope.Progress(progress, 100, text());
    if (scope.Logs(level)) {
      scope.Log(level, "capstan." + tool.name,
                json::string("tool " + tool.name + ": " + log_text()));
    }
  };
  auto calling = [&] { return "calling " + what(); };
  report(0, kInfo, calling, calling);
  runtime::CallContext context;
  context.client = scope.client;
  context.cancel = scope.cancel;
  if (scope.trace) context.trace = &*scope.trace;
  auto outcome = co_await inv.Execute(std::move(args), context);
  if (!outcome && outcome.error().code == ErrorCode::kCancelled) {
    ToolOutcome cancelled;
    cancelled.cancelled = true;
    co_return cancelled;
  }
  if (outcome) {
    auto answered = [&] {
      return op != nullptr || inv.plan() != nullptr
                 ? "upstream answered " + StatusText(outcome->status) + " in " +
                       std::to_string(outcome->upstream_time.count() / 1000) + " ms"
                 : std::string("static result ready");
    };
    report(50, outcome->status >= 400 ? kWarning : kInfo, answered, answered);
  } else {
    report(
        50, kWarning, [] { return std::string("failed"); },
        [&] { return outcome.error().message; });
  }
  // Only the texts of failures name the call.
  const bool success = outcome && outcome->status >= 200 && outcome->status < 400;
  ToolOutcome out = ToolResultFor(std::move(outcome), success ? std::string() : what());
  auto done = [] { return std::string("done"); };
  report(100, kInfo, done, done);
  co_return out;
}

}  // namespace capstan::mcp
