#include "exposes/control/control_adapter.hpp"

#include "exposes/mcp/transport.hpp"

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
  }

  std::string Describe() const override { return "control adapter"; }

  std::vector<exposes::ClaimedPath> Claims() const override {
    std::vector<exposes::ClaimedPath> out;
    for (const Route& r : routes_) out.push_back(exposes::ClaimTemplate(r.path));
    return out;
  }
  bool MatchesOnlyClaims() const override { return true; }
  bool Matches(std::string_view path) const override { return Find(path) != nullptr; }

  boost::asio::awaitable<http::Response> Handle(http::Request& request) override {
    const Route* route = Find(request.path);
    if (route == nullptr) co_return Problem(404, "not_found", "no route for " + request.path);
    const bool head = request.method == "HEAD" && route->method == "GET";
    if (request.method != route->method && !head) {
      http::Response r = Problem(405, "method_not_allowed",
                                 "method " + request.method + " is not allowed on " + route->path);
      r.headers.Set("Allow", route->method == "GET" ? "GET, HEAD" : route->method);
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
    if (auto denied = auth_.Check(request)) co_return std::move(*denied);
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
    return nullptr;
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
    out = ControlEndpoints{m->health, m->info, m->reload, m->validate, true};
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
