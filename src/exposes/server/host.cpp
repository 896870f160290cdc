#include "exposes/server/host.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>

#include <boost/asio/awaitable.hpp>
#include <unistd.h>

#include "core/json.hpp"
#include "exposes/server/logs.hpp"
#include "http/route.hpp"

namespace capstan::exposes {

struct Host::Group {
  std::string address;
  std::uint16_t port = 0;
  std::vector<std::shared_ptr<Endpoint>> endpoints;
  // What the listener's handler dispatches with; a reload stores a new one. Each request holds
  // the one it started with, so the endpoints of a replaced set live until their last request.
  std::shared_ptr<std::atomic<std::shared_ptr<const Dispatcher>>> dispatcher =
      std::make_shared<std::atomic<std::shared_ptr<const Dispatcher>>>();
  std::unique_ptr<http::Server> server;
};

Host::Host(HostOptions options) : options_(std::move(options)) {}

Host::~Host() { Stop(std::chrono::seconds(0)); }

void Host::Add(const std::string& address, std::uint16_t port, std::shared_ptr<Endpoint> endpoint) {
  if (port != 0) {
    for (auto& g : groups_) {
      if (g->address == address && g->port == port) {
        g->endpoints.push_back(std::move(endpoint));
        return;
      }
    }
  }
  auto group = std::make_unique<Group>();
  group->address = address;
  group->port = port;
  group->endpoints.push_back(std::move(endpoint));
  groups_.push_back(std::move(group));
}

namespace {

// The adapter and operation that answered (Response::metric_series), when known.
const std::pair<std::string, std::string>* Answered(const http::Response& response) {
  return Metrics::Instance().LabelsOf(response.metric_series);
}

std::string Timestamp() {
  char ts[40];
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return ts;
}

// The level of an answer's access line (LogLevels::AccessEnabled decides with it).
std::string_view AccessLevel(int status) {
  return status >= 500 ? "error" : status >= 400 ? "warn" : "info";
}

// Writes an access line to stderr and to /logs/stream subscribers.
void Emit(std::string& line) {
  LogHub::Instance().Publish(std::string_view(line).substr(0, line.size() - 1));  // no '\n'
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void WriteAccessLog(const http::Request& request, const http::Response& response,
                    std::chrono::microseconds duration) {
  if (!LogLevels::Instance().AccessEnabled(response.status)) return;
  std::string line = "{\"ts\":";
  core::AppendJsonString(line, Timestamp());
  line += ",\"level\":\"";
  line += AccessLevel(response.status);
  line += '"';
  line += ",\"request_id\":";
  core::AppendJsonString(line, request.request_id);
  if (request.trace) {
    line += ",\"trace_id\":";
    core::AppendJsonString(line, request.trace->trace_id);
  }
  line += ",\"remote\":";
  core::AppendJsonString(line, request.remote_address);
  line += ",\"method\":";
  core::AppendJsonString(line, request.method);
  line += ",\"path\":";  // the path only: query strings may carry caller data
  core::AppendJsonString(line, request.path);
  if (const auto* labels = Answered(response)) {
    line += ",\"adapter\":";
    core::AppendJsonString(line, labels->first);
    if (!labels->second.empty()) {
      line += ",\"operation\":";
      core::AppendJsonString(line, labels->second);
    }
  }
  line += ",\"status\":" + std::to_string(response.status);
  line += ",\"upstream_status\":" + std::to_string(response.upstream_status);
  line += ",\"duration_us\":" + std::to_string(duration.count());
  line += ",\"upstream_us\":" + std::to_string(response.upstream_time.count());
  line += "}\n";
  Emit(line);
}

// "2026-12-06T23:30:00Z 200 GET /v1/x 1.234 ms (upstream 200 0.987 ms) iam-jwts-rest
// "GET /v1/x" id=... trace=... from 127.0.0.1": the same fields for a person at a terminal.
void WriteTextAccessLog(const http::Request& request, const http::Response& response,
                        std::chrono::microseconds duration) {
  if (!LogLevels::Instance().AccessEnabled(response.status)) return;
  auto ms = [](std::chrono::microseconds d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f ms", static_cast<double>(d.count()) / 1000.0);
    return std::string(buf);
  };
  std::string line = Timestamp() + " " + std::to_string(response.status) + " " + request.method +
                     " " + request.path + " " + ms(duration);
  if (response.upstream_status != 0) {
    line += " (upstream " + std::to_string(response.upstream_status) + " " +
            ms(response.upstream_time) + ")";
  }
  if (const auto* labels = Answered(response)) {
    line += " " + labels->first;
    if (!labels->second.empty()) line += " \"" + labels->second + "\"";
  }
  line += " id=" + request.request_id;
  if (request.trace) line += " trace=" + request.trace->trace_id;
  line += " from " + request.remote_address + "\n";
  // A terminal must not receive control bytes from a request path.
  for (std::size_t i = 0; i + 1 < line.size(); ++i) {
    if (static_cast<unsigned char>(line[i]) < 0x20 || line[i] == 0x7f) line[i] = '?';
  }
  Emit(line);
}

}  // namespace

// 429 with Retry-After: a JSON-RPC error for MCP endpoints, the REST error body otherwise.
static http::Response TooManyRequests(const Endpoint& e, int retry_after) {
  const std::string message = "too many requests; retry in " + std::to_string(retry_after) + " s";
  http::Response r =
      e.Describe().rfind("mcp ", 0) == 0
          ? http::MakeResponse(
                429, R"({"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":")" + message +
                         R"("}})")
          : ErrorResponse(core::Error{core::ErrorCode::kUnavailable, message});
  r.status = 429;
  if (e.Describe().rfind("mcp ", 0) != 0) {
    r.body = R"({"type":"rate_limited","message":")" + message + R"("})";
  }
  r.headers.Set("Retry-After", std::to_string(retry_after));
  return r;
}

// Handles `request` on `e` and records its SERVER span (and the metrics, when kept). The span
// is named after the answering operation or tool; an MCP endpoint may have replaced the trace by
// the one of the call's _meta, whose span id it set.
static boost::asio::awaitable<http::Response> HandleTraced(Endpoint& e, http::Request& request,
                                                           Metrics* metrics,
                                                           http::SpanSink& spans) {
  http::Span span;
  span.kind = http::Span::Kind::kServer;
  span.parent_span_id = request.trace->parent_id;
  span.start = std::chrono::system_clock::now();
  const auto began = std::chrono::steady_clock::now();
  http::Response response = co_await e.Handle(request);
  const auto took = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - began);
  if (metrics != nullptr) {
    metrics->Record(response.metric_series != 0 ? response.metric_series : e.metric_series(),
                    response.status, took, response.upstream_status, response.upstream_time);
  }
  span.end = std::chrono::system_clock::now();
  if (request.trace) {  // still set (an adapter may have swapped it, never cleared it)
    span.trace_id = request.trace->trace_id;
    span.span_id = request.trace->span_id;
    span.parent_span_id = request.trace->parent_id;
  }
  const auto* labels = Answered(response);
  const std::uint32_t series =
      response.metric_series != 0 ? response.metric_series : e.metric_series();
  if (labels == nullptr) labels = Metrics::Instance().LabelsOf(series);
  span.name = labels != nullptr && !labels->second.empty() ? labels->second : request.method;
  span.string_attributes = {{"http.request.method", request.method}, {"url.path", request.path}};
  if (labels != nullptr) span.string_attributes.emplace_back("capstan.adapter", labels->first);
  span.int_attributes = {{"http.response.status_code", response.status}};
  if (response.upstream_status != 0) {
    span.int_attributes.emplace_back("capstan.upstream.status_code", response.upstream_status);
  }
  span.error = response.status >= 500;
  if (!span.span_id.empty()) spans.Record(std::move(span));
  co_return response;
}

void Host::NameSeries(const std::vector<std::shared_ptr<Endpoint>>& endpoints) const {
  if (options_.metrics == nullptr) return;
  for (const auto& e : endpoints) {
    if (e->metric_series() == 0)
      e->set_metric_series(options_.metrics->Series(AdapterLabel(e->Describe()), ""));
  }
}

core::Status Host::StartGroup(Group& g) {
  http::ServerOptions so;
  so.address = g.address;
  so.port = g.port;
  so.threads = options_.threads;
  so.limits = options_.limits;
  so.server_name = "capstan";
  if (options_.access_log) {
    const bool text = options_.log_format == HostOptions::LogFormat::kText ||
                      (options_.log_format == HostOptions::LogFormat::kAuto && ::isatty(2) == 1);
    so.access_log = text ? WriteTextAccessLog : WriteAccessLog;
  }
  NameSeries(g.endpoints);
  g.dispatcher->store(std::make_shared<const Dispatcher>(g.endpoints));
  // Spans are exported when a sink was set before the start (docs/operations.md).
  http::Handler handler = [slot = g.dispatcher, metrics = options_.metrics,
                           spans = http::ActiveSpanSink(), limiter = options_.rate_limiter](
                              http::Request& request) -> boost::asio::awaitable<http::Response> {
    const std::shared_ptr<const Dispatcher> dispatcher = slot->load(std::memory_order_acquire);
    if (Endpoint* e = dispatcher->Find(request.path)) {
      if (limiter && e->RateLimited()) {
        int retry_after = 1;
        if (!limiter->Allow(RateLimiter::KeyOf(request), std::chrono::steady_clock::now(),
                            retry_after)) {
          co_return TooManyRequests(*e, retry_after);
        }
      }
      if (spans != nullptr && request.trace && request.trace->sampled() &&
          !request.trace->span_id.empty()) {
        co_return co_await HandleTraced(*e, request, metrics, *spans);
      }
      if (metrics == nullptr) co_return co_await e->Handle(request);
      const auto began = std::chrono::steady_clock::now();
      http::Response response = co_await e->Handle(request);
      metrics->Record(response.metric_series != 0 ? response.metric_series : e->metric_series(),
                      response.status,
                      std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - began),
                      response.upstream_status, response.upstream_time);
      co_return response;
    }
    // A path that cannot be split and decoded matches no endpoint: say why (400), not 404.
    if (auto split = http::SplitPath(request.path); !split) {
      co_return ErrorResponse(core::Error{core::ErrorCode::kInvalidArgument,
                                          "invalid request path: " + split.error().message});
    }
    co_return ErrorResponse(
        core::Error{core::ErrorCode::kNotFound, "no route for " + request.path});
  };
  g.server = std::make_unique<http::Server>(so, std::move(handler));
  auto started = g.server->Start();
  if (!started) {
    g.server.reset();
    std::string who;
    for (const auto& e : g.endpoints) who += (who.empty() ? "" : ", ") + e->Describe();
    return core::Fail(started.error().code, started.error().message + " (for " + who + ")");
  }
  return core::Ok();
}

core::Status Host::Start() {
  for (auto& g : groups_) {
    CAPSTAN_RETURN_IF_ERROR(CheckCollisions(g->endpoints));
  }
  for (auto& g : groups_) {
    auto started = StartGroup(*g);
    if (!started) {
      Stop(std::chrono::seconds(0));
      return started;
    }
  }
  return core::Ok();
}

core::Status Host::Replace(std::vector<Registration> registrations,
                           std::chrono::steady_clock::duration grace) {
  // The new groups, as Add() would make them.
  std::vector<std::unique_ptr<Group>> fresh;
  for (Registration& r : registrations) {
    Group* into = nullptr;
    if (r.port != 0) {
      for (auto& g : fresh) {
        if (g->address == r.address && g->port == r.port) into = g.get();
      }
    }
    if (into == nullptr) {
      fresh.push_back(std::make_unique<Group>());
      into = fresh.back().get();
      into->address = r.address;
      into->port = r.port;
    }
    into->endpoints.push_back(std::move(r.endpoint));
  }
  for (auto& g : fresh) CAPSTAN_RETURN_IF_ERROR(CheckCollisions(g->endpoints));
  // Pair each with a running listener, or start one; undo the starts if one fails.
  std::vector<Group*> kept(fresh.size(), nullptr);
  std::vector<bool> taken(groups_.size(), false);
  for (std::size_t i = 0; i < fresh.size(); ++i) {
    for (std::size_t j = 0; j < groups_.size(); ++j) {
      const Group& old = *groups_[j];
      if (taken[j] || !old.server || old.address != fresh[i]->address) continue;
      bool same = fresh[i]->port != 0 ? old.port == fresh[i]->port
                                      : old.port == 0 && !old.endpoints.empty() &&
                                            old.endpoints.front()->Describe() ==
                                                fresh[i]->endpoints.front()->Describe();
      if (same) {
        kept[i] = groups_[j].get();
        taken[j] = true;
        break;
      }
    }
  }
  for (std::size_t i = 0; i < fresh.size(); ++i) {
    if (kept[i] != nullptr) continue;
    auto started = StartGroup(*fresh[i]);
    if (!started) {
      for (std::size_t k = 0; k < i; ++k) {
        if (kept[k] == nullptr && fresh[k]->server) fresh[k]->server->Stop(std::chrono::seconds(0));
      }
      return started;
    }
  }
  // Commit: swap the dispatchers of the listeners that stay, then retire the others.
  std::vector<std::unique_ptr<Group>> next;
  for (std::size_t i = 0; i < fresh.size(); ++i) {
    if (kept[i] == nullptr) {
      next.push_back(std::move(fresh[i]));
      continue;
    }
    std::size_t j = 0;
    while (groups_[j].get() != kept[i]) ++j;
    std::unique_ptr<Group> group = std::move(groups_[j]);
    group->endpoints = std::move(fresh[i]->endpoints);
    NameSeries(group->endpoints);
    group->dispatcher->store(std::make_shared<const Dispatcher>(group->endpoints),
                             std::memory_order_release);
    next.push_back(std::move(group));
  }
  for (auto& old : groups_) {
    if (!old) continue;
    std::shared_ptr<Group> retired(std::move(old));
    if (retired->server) retired->server->BeginStop();
    draining_.emplace_back([retired, grace] {
      if (retired->server) retired->server->Stop(grace);
    });
  }
  groups_ = std::move(next);
  return core::Ok();
}

std::vector<BoundListener> Host::bound() const {
  std::vector<BoundListener> out;
  for (const auto& g : groups_) {
    BoundListener b;
    b.address = g->address;
    b.port = g->server ? g->server->port() : g->port;
    for (const auto& e : g->endpoints) b.endpoints.push_back(e->Describe());
    out.push_back(std::move(b));
  }
  return out;
}

void Host::Stop(std::chrono::steady_clock::duration grace) {
  // Close every listener first, then drain them all against one deadline: a listener must not
  // accept new connections while another one drains.
  auto deadline = std::chrono::steady_clock::now() + grace;
  for (auto& g : groups_) {
    if (g->server) g->server->BeginStop();
  }
  for (std::thread& t : draining_) t.join();  // listeners an earlier reload retired
  draining_.clear();
  for (auto& g : groups_) {
    if (g->server) {
      g->server->Stop(std::max(std::chrono::steady_clock::duration::zero(),
                               deadline - std::chrono::steady_clock::now()));
    }
  }
}

void Host::BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int Host::WaitForSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

}  // namespace capstan::exposes
