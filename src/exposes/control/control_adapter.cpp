#include "exposes/control/control_adapter.hpp"

#include <deque>
#include <mutex>

#include <boost/asio/this_coro.hpp>

#include "exposes/mcp/session.hpp"
#include "exposes/mcp/transport.hpp"
#include "exposes/server/logs.hpp"

namespace capstan::control {
namespace {

http::Response Json(int status, const json::object& body) {
  return http::MakeResponse(status, core::SerializeJson(json::value(body)));
}

http::Response Problem(int status, std::string_view type, std::string message) {
  return exposes::JsonErrorResponse(status, type, message);
}

class ControlAdapter final : public exposes::Endpoint {
 public:
  ControlAdapter(mcp::InboundAuth auth, ControlEndpoints endpoints,
                 std::shared_ptr<const ControlHooks> hooks)
      : auth_(std::move(auth)), endpoints_(endpoints), hooks_(std::move(hooks)) {
    auto add = [&](bool on, std::string path, std::string method) {
      if (on) routes_.push_back(Route{std::move(path), std::move(method)});
    };
    add(endpoints_.health, "/health/live", "GET");
    add(endpoints_.health, "/health/ready", "GET");
    add(endpoints_.info, "/info", "GET");
    add(endpoints_.info, "/status", "GET");
    add(endpoints_.info, "/config", "GET");
    add(endpoints_.reload, "/config/reload", "POST");
    add(endpoints_.validate, "/config/validate", "POST");
    add(endpoints_.metrics, "/metrics", "GET");
    add(endpoints_.logs, "/logs", "GET");
    add(endpoints_.logs_stream, "/logs/stream", "GET");
    add(endpoints_.logs, "/logs/{logger}", "GET");
  }

  std::string Describe() const override { return "control adapter"; }

  std::vector<exposes::ClaimedPath> Claims() const override {
    std::vector<exposes::ClaimedPath> out;
    for (const Route& r : routes_) out.push_back(exposes::ClaimTemplate(r.path));
    return out;
  }
  bool MatchesOnlyClaims() const override { return true; }
  bool Matches(std::string_view path) const override { return Find(path) != nullptr; }
  bool RateLimited() const override { return false; }

  boost::asio::awaitable<http::Response> Handle(http::Request& request) override {
    const Route* route = Find(request.path);
    if (route == nullptr) co_return Problem(404, "not_found", "no route for " + request.path);
    const bool head = request.method == "HEAD" && route->method == "GET";
    // The log levels are read with GET and changed with PUT (or POST).
    const bool change_level = route->path.rfind("/logs", 0) == 0 && route->path != "/logs/stream" &&
                              (request.method == "PUT" || request.method == "POST");
    if (request.method != route->method && !head && !change_level) {
      http::Response r = Problem(405, "method_not_allowed",
                                 "method " + request.method + " is not allowed on " + route->path);
      const bool levels = route->path.rfind("/logs", 0) == 0 && route->path != "/logs/stream";
      r.headers.Set("Allow", levels                   ? "GET, HEAD, PUT, POST"
                             : route->method == "GET" ? "GET, HEAD"
                                                      : route->method);
      co_return r;
    }
    const std::string& path = route->path;
    if (path == "/health/live") co_return Json(200, json::object{{"status", "UP"}});
    if (path == "/health/ready") {
      std::vector<std::string> reasons =
          hooks_->not_ready ? hooks_->not_ready() : std::vector<std::string>{};
      if (reasons.empty()) co_return Json(200, json::object{{"status", "UP"}});
      json::array list;
      for (std::string& r : reasons) list.emplace_back(std::move(r));
      co_return Json(503, json::object{{"status", "DEGRADED"}, {"reasons", std::move(list)}});
    }
    // Everything beyond the probes is the operator's: the adapter's authentication applies, and
    // a browser page of another origin cannot reach it (a cross-site POST to /config/reload).
    if (auto origin = request.headers.Get("Origin"); origin && !mcp::OriginAllowed(*origin, {})) {
      co_return Problem(403, "forbidden", "Origin not allowed on the control adapter");
    }
    if (auto denied = co_await auth_.Authenticate(request)) co_return std::move(*denied);
    if (path == "/logs/stream") co_return co_await LogStream();
    if (path.rfind("/logs", 0) == 0) co_return LogLevelsRequest(request, change_level);
    if (path == "/info") co_return Json(200, hooks_->info ? hooks_->info() : json::object());
    if (path == "/metrics") {
      co_return http::MakeResponse(200, hooks_->metrics ? hooks_->metrics() : std::string(),
                                   "text/plain; version=0.0.4; charset=utf-8");
    }
    if (path == "/status" || path == "/config") {
      co_return Json(200, hooks_->status ? hooks_->status() : json::object());
    }
    const bool reload = path == "/config/reload";
    const auto& hook = reload ? hooks_->reload : hooks_->validate;
    if (!hook) co_return Problem(503, "unavailable", path + " is not available in this process");
    auto outcome = hook();
    if (!outcome) {
      json::object body{{"type", reload ? "reload_failed" : "invalid"},
                        {"message", outcome.error().message}};
      co_return Json(422, body);
    }
    co_return Json(200, *outcome);
  }

 private:
  struct Route {
    std::string path;
    std::string method;
  };
  const Route* Find(std::string_view path) const {
    for (const Route& r : routes_) {
      if (r.path == path) return &r;
    }
    // /logs/{logger}: one more segment.
    if (path.rfind("/logs/", 0) == 0 && path.size() > 6 && path.find('/', 6) == std::string::npos) {
      for (const Route& r : routes_) {
        if (r.path == "/logs/{logger}") return &r;
      }
    }
    return nullptr;
  }

  static json::object LoggerState(const std::string& logger) {
    const exposes::LogLevels& levels = exposes::LogLevels::Instance();
    std::optional<exposes::LogLevel> own;
    (void)levels.Find(logger, own);
    json::object state;
    state["level"] = own ? json::value(exposes::LogLevelName(*own)) : json::value(nullptr);
    state["effective"] = exposes::LogLevelName(levels.Effective(logger));
    return state;
  }

  // GET /logs: the root level and every logger's; PUT /logs {"level"} sets the root. GET and
  // PUT /logs/{logger}: one logger ({"level": null} makes it follow the root again).
  static http::Response LogLevelsRequest(const http::Request& request, bool change) {
    exposes::LogLevels& levels = exposes::LogLevels::Instance();
    const std::string logger =
        request.path.size() > 6 ? request.path.substr(6) : std::string();  // after "/logs/"
    std::optional<exposes::LogLevel> own;
    if (!logger.empty() && !levels.Find(logger, own)) {
      std::string known;
      for (const std::string& l : exposes::LogLevels::Loggers())
        known += (known.empty() ? "" : ", ") + l;
      return Problem(404, "not_found", "no logger named " + logger + " (loggers: " + known + ")");
    }
    if (change) {
      auto body = core::ParseJson(request.body);
      const json::value* level =
          body && body->is_object() ? body->get_object().if_contains("level") : nullptr;
      if (level == nullptr || !(level->is_string() || (level->is_null() && !logger.empty()))) {
        return Problem(400, "bad_request",
                       std::string("expected {\"level\": \"trace|debug|info|warn|error|off\"") +
                           (logger.empty() ? "}" : " or null}"));
      }
      std::optional<exposes::LogLevel> parsed;
      if (level->is_string()) {
        parsed = exposes::ParseLogLevel(std::string_view(level->get_string()));
        if (!parsed) {
          return Problem(400, "bad_request",
                         "unknown level '" + std::string(level->get_string()) +
                             "' (trace, debug, info, warn, error, off)");
        }
      }
      if (logger.empty()) {
        levels.set_root(*parsed);
      } else {
        levels.Set(logger, parsed);
      }
    }
    if (!logger.empty()) {
      json::object state = LoggerState(logger);
      state["logger"] = logger;
      return Json(200, state);
    }
    json::object loggers;
    for (const std::string& l : exposes::LogLevels::Loggers()) loggers[l] = LoggerState(l);
    json::object body{{"level", exposes::LogLevelName(levels.root())}};
    body["loggers"] = std::move(loggers);
    return Json(200, body);
  }

  // GET /logs/stream: Server-Sent Events, one `data:` event per log line as it is written
  // (lines beyond 1000 waiting for a slow client are dropped and counted), a comment every 15 s.
  boost::asio::awaitable<http::Response> LogStream() const {
    struct State {
      std::mutex mu;
      std::deque<std::string> lines;
      std::size_t dropped = 0;
      std::shared_ptr<mcp::Waker> waker;
      std::optional<std::uint64_t> id;
      ~State() {
        if (id) exposes::LogHub::Instance().Unsubscribe(*id);
      }
    };
    auto state = std::make_shared<State>();
    state->waker = mcp::Waker::Create(co_await boost::asio::this_coro::executor);
    std::weak_ptr<State> weak = state;
    state->id = exposes::LogHub::Instance().Subscribe(
        [weak](const std::string& line) {
          auto s = weak.lock();
          if (!s) return;
          {
            std::lock_guard<std::mutex> lock(s->mu);
            if (s->lines.size() < 1000) {
              s->lines.push_back(line);
            } else {
              ++s->dropped;
            }
          }
          s->waker->Wake();
        },
        endpoints_.max_log_subscribers);
    if (!state->id) {
      co_return Problem(429, "too_many_subscribers",
                        "the log stream has its " + std::to_string(endpoints_.max_log_subscribers) +
                            " subscribers already");
    }
    http::Response r = http::MakeResponse(200, "", "text/event-stream");
    r.headers.Set("Cache-Control", "no-cache");
    r.stream = [state](http::StreamWriter& writer) -> boost::asio::awaitable<void> {
      if (!co_await writer.Write(": capstan log stream\n\n")) co_return;
      int idle = 0;
      while (!writer.closed()) {
        co_await state->waker->Wait(std::chrono::seconds(1));
        std::deque<std::string> lines;
        std::size_t dropped = 0;
        {
          std::lock_guard<std::mutex> lock(state->mu);
          lines.swap(state->lines);
          std::swap(dropped, state->dropped);
        }
        std::string out;
        if (dropped > 0) out += ": " + std::to_string(dropped) + " lines dropped\n\n";
        for (const std::string& line : lines) out += "data: " + line + "\n\n";
        if (out.empty() && ++idle >= 15) out = ": keep-alive\n\n";
        if (out.empty()) continue;
        idle = 0;
        if (!co_await writer.Write(out)) co_return;
      }
    };
    co_return r;
  }

  mcp::InboundAuth auth_;
  ControlEndpoints endpoints_;
  std::shared_ptr<const ControlHooks> hooks_;
  std::vector<Route> routes_;
};

}  // namespace

ControlEndpoints ControlEndpoints::From(const spec::ExposesControl& control) {
  ControlEndpoints out;
  if (const auto& m = control.management) {
    out.health = m->health;
    out.info = m->info;
    out.reload = m->reload;
    out.validate = m->validate;
    out.logs = m->logs.enabled && m->logs.level_control;
    out.logs_stream = m->logs.enabled && m->logs.stream;
    out.max_log_subscribers = static_cast<std::size_t>(m->logs.max_subscribers);
  }
  if (const auto& o = control.observability) out.metrics = o->enabled && o->metrics_local_enabled;
  return out;
}

core::Result<std::shared_ptr<exposes::Endpoint>> MakeControlAdapter(
    const runtime::Runtime* runtime, const std::optional<spec::Authentication>& authentication,
    ControlEndpoints endpoints, std::shared_ptr<const ControlHooks> hooks) {
  if (!hooks) return core::Fail(core::ErrorCode::kInternal, "control adapter without hooks");
  auto auth = mcp::InboundAuth::Build(runtime, authentication, "control adapter");
  if (!auth) return core::Fail(std::move(auth).error());
  return std::shared_ptr<exposes::Endpoint>(
      std::make_shared<ControlAdapter>(std::move(*auth), endpoints, std::move(hooks)));
}

}  // namespace capstan::control
