// The Streamable HTTP transport (legacy 2025-03-26 .. 2025-11-25 with sessions or stateless, and
// the stateless 2026-07-28 revision on the same endpoint): header checks, sessions, JSON or SSE
// replies, resumable streams, the standalone GET stream and DELETE.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>

#include "exposes/mcp/merge.hpp"
#include "exposes/mcp/transport.hpp"
#include "exposes/server/metrics.hpp"

namespace capstan::mcp {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::string_view kRetryMs = "500";
constexpr auto kKeepAlive = std::chrono::seconds(15);

http::Response RpcError(int status, int code, std::string_view message,
                        const json::value* id = nullptr, const json::value* data = nullptr) {
  return http::MakeResponse(status, ErrorText(id, code, message, data));
}

bool Contains(std::string_view haystack, std::string_view lower_needle) {
  return http::IFind(haystack, lower_needle) != std::string_view::npos;
}

json::value SupportedData() {
  json::object data;
  json::array supported;
  for (const auto& v : SupportedVersions()) supported.emplace_back(v);
  data["supported"] = std::move(supported);
  return json::value(std::move(data));
}

std::optional<std::string> DecodeMcpName(std::string_view header) {
  constexpr std::string_view kPrefix = "=?base64?";
  constexpr std::string_view kSuffix = "?=";
  if (header.size() < kPrefix.size() + kSuffix.size() ||
      header.substr(0, kPrefix.size()) != kPrefix ||
      header.substr(header.size() - kSuffix.size()) != kSuffix) {
    return std::string(header);
  }
  std::string_view b64 = header.substr(kPrefix.size(), header.size() - kPrefix.size() - 2);
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : b64) {
    int v = -1;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    if (c >= '0' && c <= '9') v = c - '0' + 52;
    if (c == '+' || c == '-') v = 62;
    if (c == '/' || c == '_') v = 63;
    if (c == '=') break;
    if (v < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

// Writes a stream's events to one HTTP response until it completes, the client goes away, or a
// close is requested (SSE polling). `priming` sends an id-only event with `retry:` first.
asio::awaitable<void> PumpSse(std::shared_ptr<EventStream> stream, http::StreamWriter& writer,
                              std::uint64_t after, bool priming,
                              std::function<void()> on_disconnect, std::function<void()> on_end) {
  auto executor = co_await asio::this_coro::executor;
  auto waker = Waker::Create(executor);
  stream->Attach(waker);
  bool ok = true;
  if (priming) {
    ok = co_await writer.Write("id: " + stream->id() + "_0\nretry: " + std::string(kRetryMs) +
                               "\ndata:\n\n");
  }
  std::uint64_t sent = after;
  auto last_write = Clock::now();
  while (ok) {
    EventStream::Batch batch = stream->Since(sent);
    for (auto& [seq, data] : batch.events) {
      ok = co_await writer.Write(SseEvent(stream->id() + "_" + std::to_string(seq), data));
      if (!ok) break;
      sent = seq;
      last_write = Clock::now();
    }
    if (!ok || batch.complete || batch.close_requested) break;
    if (writer.closed()) {
      ok = false;
      break;
    }
    if (Clock::now() - last_write > kKeepAlive) {
      ok = co_await writer.Write(": keep-alive\n\n");
      last_write = Clock::now();
    }
    if (ok) co_await waker->Wait(std::chrono::milliseconds(1000));
  }
  stream->Detach(waker.get());
  if (!ok && on_disconnect) on_disconnect();
  if (on_end) on_end();
}

http::Response SseResponse(std::shared_ptr<EventStream> stream, std::uint64_t after, bool priming,
                           std::function<void()> on_disconnect = {},
                           std::function<void()> on_end = {}) {
  http::Response r;
  r.status = 200;
  r.headers.Set("Content-Type", "text/event-stream");
  r.headers.Set("Cache-Control", "no-cache, no-transform");
  r.headers.Set("X-Accel-Buffering", "no");
  r.stream = [stream = std::move(stream), after, priming, on_disconnect = std::move(on_disconnect),
              on_end = std::move(on_end)](http::StreamWriter& writer) {
    return PumpSse(stream, writer, after, priming, on_disconnect, on_end);
  };
  return r;
}

class HttpEndpoint final : public exposes::Endpoint,
                           public std::enable_shared_from_this<HttpEndpoint> {
 public:
  HttpEndpoint(std::string describe, std::shared_ptr<const runtime::Runtime> runtime,
               std::shared_ptr<const Protocol> protocol, InboundAuth auth, McpOptions options)
      : describe_(std::move(describe)),
        runtime_(std::move(runtime)),
        protocol_(std::move(protocol)),
        auth_(std::move(auth)),
        options_(std::move(options)),
        sessions_(options_.session_stores
                      ? options_.session_stores->For(options_.path)
                      : std::make_shared<SessionStore>(SessionStore::Options{
                            options_.session_key, 10000, std::chrono::seconds(3600)})) {
    if (options_.path.empty() || options_.path.front() != '/') options_.path = "/" + options_.path;
    exposes::Metrics& metrics = exposes::Metrics::Instance();
    const std::string label = exposes::AdapterLabel(describe_);
    for (const Tool& t : protocol_->catalog().tools) {
      tool_series_.emplace(t.name, metrics.Series(label, "tools/call " + t.name));
    }
    for (std::string_view m : {"initialize", "ping", "tools/list", "resources/list",
                               "resources/templates/list", "resources/read", "prompts/list",
                               "prompts/get", "logging/setLevel", "completion/complete"}) {
      method_series_.emplace(std::string(m), metrics.Series(label, m));
    }
  }

  std::string Describe() const override { return describe_; }

  std::vector<exposes::ClaimedPath> Claims() const override {
    std::vector<exposes::ClaimedPath> out;
    out.push_back(exposes::ClaimTemplate(options_.path));
    if (!options_.primary) return out;
    if (options_.path != "/") out.push_back(exposes::ClaimTemplate("/"));
    out.push_back(exposes::ClaimTemplate("/.well-known/oauth-protected-resource"));
    out.push_back(exposes::ClaimTemplate("/.well-known/oauth-authorization-server"));
    out.push_back(exposes::ClaimTemplate("/.well-known/openid-configuration"));
    return out;
  }

  // The path itself, "/" or a /.well-known/... path: each starts with the literals of a claim
  // (the path is compared raw, so it must not need decoding).
  bool MatchesOnlyClaims() const override { return options_.path.find('%') == std::string::npos; }

  bool Matches(std::string_view path) const override {
    return path == options_.path || (options_.primary && (path == "/" || IsWellKnown(path)));
  }

  asio::awaitable<http::Response> Handle(http::Request& request) override {
    if (IsWellKnown(request.path)) {
      // RFC 9728: the protected resource metadata, at the root and at the endpoint's path.
      if (const auto& rs = auth_.resource_server();
          rs && (request.path == rs->metadata_path() ||
                 request.path == "/.well-known/oauth-protected-resource" ||
                 request.path == "/.well-known/oauth-protected-resource" + options_.path)) {
        http::Response r =
            http::MakeResponse(200, core::SerializeJson(json::value(rs->Metadata())));
        r.headers.Set("Access-Control-Allow-Origin", "*");  // public, read by browser clients
        r.headers.Set("Cache-Control", "max-age=300");
        co_return r;
      }
      co_return http::MakeResponse(
          404, R"({"error":"not_found","message":"no such metadata on this MCP server"})");
    }
    if (auto host = request.headers.Get("Host");
        host && !HostAllowed(*host, options_.allowed_hosts)) {
      co_return RpcError(403, kTransportError, "Forbidden: Host header not allowed");
    }
    if (auto origin = request.headers.Get("Origin");
        origin && !OriginAllowed(*origin, options_.allowed_origins)) {
      co_return RpcError(403, kTransportError, "Forbidden: Origin header not allowed");
    }
    std::optional<auth::Principal> principal;
    if (auto denied = co_await auth_.Authenticate(request, &principal)) {
      co_return std::move(*denied);
    }
    if (request.method == "POST") {
      std::uint32_t series = 0;
      std::shared_ptr<const auth::Principal> caller;
      if (principal) caller = std::make_shared<const auth::Principal>(std::move(*principal));
      http::Response response = co_await Post(request, series, std::move(caller));
      response.metric_series = series;
      co_return response;
    }
    if (request.method == "GET") co_return Get(request);
    if (request.method == "DELETE") co_return Delete(request);
    std::string allow = options_.stateless ? "POST, OPTIONS" : "GET, POST, DELETE, OPTIONS";
    if (request.method == "OPTIONS") {
      http::Response r = http::MakeResponse(204, "", "");
      r.headers.Set("Allow", allow);
      co_return r;
    }
    http::Response r = RpcError(405, kTransportError, "Method not allowed");
    r.headers.Set("Allow", allow);
    co_return r;
  }

 private:
  static bool IsWellKnown(std::string_view path) {
    return path.substr(0, 19) == "/.well-known/oauth-" ||
           path.substr(0, 33) == "/.well-known/openid-configuration";
  }

  // ---- POST ----------------------------------------------------------------------------------

  // The metrics series of a JSON-RPC message: "tools/call <tool>" for a tool call, else its
  // method; 0 (the endpoint's) for batches and unknown names.
  std::uint32_t SeriesFor(const json::value& body) const {
    const json::object* o = body.if_object();
    if (o == nullptr) return 0;
    const json::value* method = o->if_contains("method");
    if (method == nullptr || !method->is_string()) return 0;
    std::string_view name = method->get_string();
    if (name == "tools/call") {
      const json::value* params = o->if_contains("params");
      const json::value* tool =
          params && params->is_object() ? params->get_object().if_contains("name") : nullptr;
      if (tool == nullptr || !tool->is_string()) return 0;
      auto it = tool_series_.find(std::string_view(tool->get_string()));
      return it == tool_series_.end() ? 0 : it->second;
    }
    auto it = method_series_.find(name);
    return it == method_series_.end() ? 0 : it->second;
  }

  // What a request brings to the calls it makes: its trace context and its caller.
  struct Inbound {
    std::optional<http::TraceContext> trace;
    std::shared_ptr<const auth::Principal> caller;
  };

  asio::awaitable<http::Response> Post(http::Request& request, std::uint32_t& series,
                                       std::shared_ptr<const auth::Principal> caller) {
    const std::string_view accept = request.headers.Get("Accept").value_or("");
    bool any = Contains(accept, "*/*");
    if (!(any || Contains(accept, "application/json")) ||
        !(any || Contains(accept, "text/event-stream"))) {
      co_return RpcError(406, kTransportError,
                         "Not Acceptable: the client must accept both application/json and "
                         "text/event-stream");
    }
    auto content_type = request.headers.Get("Content-Type").value_or("");
    if (!Contains(content_type.substr(0, 16), "application/json")) {
      co_return RpcError(415, kTransportError,
                         "Unsupported Media Type: Content-Type must be application/json");
    }
    if (request.body.size() > options_.max_body_bytes) {
      co_return RpcError(413, kTransportError, "Payload Too Large");
    }
    auto parsed = core::ParseJson(request.body);
    if (!parsed) co_return RpcError(400, kParseError, "Parse error: " + parsed.error().message);
    series = SeriesFor(*parsed);
    // The access log and the upstream calls see the trace a tools/call's _meta names.
    if (const json::object* o = parsed->if_object()) {
      const json::value* params = o->if_contains("params");
      if (auto trace = MetaTraceContext(params ? params->if_object() : nullptr)) {
        request.trace = std::move(trace);
        http::BeginServerSpan(request.trace);  // the exported span of the call
      }
    }
    std::string header_version(request.headers.Get("MCP-Protocol-Version").value_or(""));
    if (!header_version.empty() && !IsSupportedVersion(header_version)) {
      json::value data = SupportedData();
      data.as_object()["requested"] = header_version;
      Message probe = Classify(*parsed);
      bool newer = header_version > kLatestLegacyVersion || header_version.substr(0, 1) == "v" ||
                   StringField(Meta(probe), kMetaProtocolVersion).has_value();
      co_return RpcError(400, newer ? kUnsupportedProtocolVersion : kTransportError,
                         "Bad Request: unsupported MCP-Protocol-Version " + header_version,
                         probe.kind == MessageKind::kRequest ? probe.id : nullptr, &data);
    }
    auto body = std::make_shared<json::value>(std::move(*parsed));
    bool modern = header_version == kModernVersion;
    if (!modern && header_version.empty() && body->is_object()) {
      Message probe = Classify(*body);
      auto meta_version = StringField(Meta(probe), kMetaProtocolVersion);
      modern = meta_version.has_value() && probe.method != "initialize";
    }
    const bool prefer_sse = PrefersEventStream(accept);
    if (modern) {
      co_return co_await PostModern(request, body, header_version, prefer_sse, std::move(caller));
    }
    co_return co_await PostLegacy(request, body, header_version, prefer_sse, std::move(caller));
  }

  asio::awaitable<http::Response> PostLegacy(http::Request& request,
                                             std::shared_ptr<json::value> body,
                                             std::string header_version, bool prefer_sse,
                                             std::shared_ptr<const auth::Principal> caller) {
    if (body->is_object()) {
      Message m = Classify(*body);
      if (m.kind == MessageKind::kRequest && m.method == "initialize") {
        co_return Initialize(m, prefer_sse);
      }
    }
    std::shared_ptr<Session> session;
    if (options_.stateless) {
      session = std::make_shared<Session>();
      session->protocol_version =
          header_version.empty() ? std::string(kDefaultHeaderVersion) : header_version;
    } else {
      auto id = request.headers.Get("Mcp-Session-Id");
      if (!id) {
        co_return RpcError(400, kTransportError, "Bad Request: Mcp-Session-Id header is required");
      }
      SessionStore::Lookup outcome;
      session = sessions_->Find(*id, outcome, header_version);
      if (!session) co_return RpcError(404, kSessionNotFound, "Session not found");
    }
    std::string version = header_version.empty() ? session->protocol_version : header_version;

    // (The Inbound is a named local: GCC 12 destroys a temporary built inside a co_await
    // expression twice.)
    Inbound inbound{request.trace, std::move(caller)};
    if (body->is_array()) co_return co_await Batch(body, session, version, std::move(inbound));
    Message m = Classify(*body);
    switch (m.kind) {
      case MessageKind::kInvalid:
        co_return RpcError(400, kInvalidRequest, "Invalid Request: " + m.problem);
      case MessageKind::kNotification:
        protocol_->HandleNotification(m, *session);
        co_return http::MakeResponse(202, "", "");
      case MessageKind::kResponse:
        if (m.id->is_string()) {
          ClientRequests::Instance().Deliver(std::string(m.id->get_string()), *body);
        }
        co_return http::MakeResponse(202, "", "");
      case MessageKind::kRequest:
        break;
    }
    co_return co_await Execute(body, session, version, prefer_sse, std::move(inbound));
  }

  http::Response Initialize(const Message& m, bool prefer_sse) {
    std::string requested(StringField(m.params, "protocolVersion").value_or(""));
    std::string version = NegotiateVersion(requested);
    json::object capabilities;
    if (m.params != nullptr) {
      if (const json::value* c = m.params->if_contains("capabilities"); c && c->is_object()) {
        capabilities = c->get_object();
      }
    }
    std::string session_id;
    if (!options_.stateless) session_id = sessions_->Create(version, std::move(capabilities))->id;
    std::string text = ResultText(*m.id, json::value(protocol_->InitializeResult(version)));
    http::Response r;
    if (prefer_sse) {
      auto stream = std::make_shared<EventStream>(RandomHex(8));
      stream->Push(std::move(text));
      stream->Complete();
      r = SseResponse(stream, 0, version >= "2025-11-25");
    } else {
      r = http::MakeResponse(200, std::move(text));
    }
    if (!session_id.empty()) r.headers.Set("Mcp-Session-Id", session_id);
    return r;
  }

  asio::awaitable<http::Response> Batch(std::shared_ptr<json::value> body,
                                        std::shared_ptr<Session> session, std::string version,
                                        Inbound inbound) {
    const json::array& items = body->get_array();
    if (version != "2025-03-26") {
      co_return RpcError(400, kInvalidRequest,
                         "Invalid Request: JSON-RPC batches are accepted only in 2025-03-26 "
                         "sessions");
    }
    if (items.empty() || items.size() > 100) {
      co_return RpcError(400, kInvalidRequest, "Invalid Request: a batch holds 1 to 100 messages");
    }
    json::array replies;
    bool any_request = false;
    for (const json::value& item : items) {
      Message m = Classify(item);
      if (m.kind == MessageKind::kInvalid) {
        replies.push_back(*core::ParseJson(ErrorText(nullptr, kInvalidRequest, m.problem)));
        continue;
      }
      if (m.method == "initialize") {
        co_return RpcError(400, kInvalidRequest, "Invalid Request: initialize cannot be batched");
      }
      if (m.kind == MessageKind::kNotification) {
        protocol_->HandleNotification(m, *session);
      } else if (m.kind == MessageKind::kResponse) {
        if (m.id->is_string()) {
          ClientRequests::Instance().Deliver(std::string(m.id->get_string()), item);
        }
      } else {
        any_request = true;
        RequestScope scope;
        scope.session = session.get();
        scope.protocol_version = version;
        scope.client = Client(co_await asio::this_coro::executor);
        scope.trace = inbound.trace;
        scope.caller = inbound.caller;
        Protocol::Reply reply = co_await protocol_->HandleRequest(m, *session, scope);
        if (!reply.cancelled) replies.push_back(*core::ParseJson(reply.text));
      }
    }
    if (!any_request) co_return http::MakeResponse(202, "", "");
    co_return http::MakeResponse(200, core::SerializeJson(json::value(std::move(replies))));
  }

  // ---- 2026-07-28 ----------------------------------------------------------------------------

  asio::awaitable<http::Response> PostModern(http::Request& request,
                                             std::shared_ptr<json::value> body,
                                             std::string header_version, bool prefer_sse,
                                             std::shared_ptr<const auth::Principal> caller) {
    if (!body->is_object()) {
      co_return RpcError(400, kInvalidRequest,
                         "Invalid Request: batches are not part of 2026-07-28");
    }
    Message m = Classify(*body);
    if (m.kind == MessageKind::kInvalid) {
      co_return RpcError(400, kInvalidRequest, "Invalid Request: " + m.problem);
    }
    if (m.kind == MessageKind::kResponse) {
      co_return RpcError(400, kInvalidRequest, "Invalid Request: clients do not send responses");
    }
    auto mismatch = [&](std::string message) {
      return RpcError(400, kHeaderMismatch, "Header mismatch: " + message, m.id);
    };
    auto method_header = request.headers.Get("Mcp-Method");
    if (!method_header || *method_header != m.method) {
      co_return mismatch("Mcp-Method must equal the body's method");
    }
    std::optional<std::string_view> name_in_body;
    if (m.method == "tools/call" || m.method == "prompts/get") {
      name_in_body = StringField(m.params, "name");
    } else if (m.method == "resources/read") {
      name_in_body = StringField(m.params, "uri");
    }
    if (name_in_body) {
      auto name_header = request.headers.Get("Mcp-Name");
      std::optional<std::string> decoded;
      if (name_header) decoded = DecodeMcpName(*name_header);
      if (!decoded || *decoded != *name_in_body) {
        co_return mismatch("Mcp-Name must equal the body's name or uri");
      }
    }
    auto meta_version = StringField(Meta(m), kMetaProtocolVersion);
    if (header_version.empty()) co_return mismatch("MCP-Protocol-Version header is required");
    if (meta_version && *meta_version != header_version) {
      co_return mismatch("MCP-Protocol-Version must equal _meta protocolVersion");
    }
    auto session = std::make_shared<Session>();
    session->modern = true;
    session->protocol_version = header_version;
    if (m.kind == MessageKind::kNotification) {
      protocol_->HandleNotification(m, *session);
      co_return http::MakeResponse(202, "", "");
    }
    if (auto error = protocol_->PrepareModernRequest(m, *session)) {
      co_return http::MakeResponse(error->http_status, std::move(error->text));
    }
    Inbound inbound{request.trace, std::move(caller)};
    co_return co_await Execute(body, session, header_version, prefer_sse, std::move(inbound));
  }

  // ---- requests ------------------------------------------------------------------------------

  consumes::UpstreamClient* Client(const asio::any_io_executor& executor) const {
    if (!runtime_) return nullptr;
    return &runtime::ThreadUpstreamClient(executor, runtime_->tls(), runtime_->options().pool);
  }

  asio::awaitable<http::Response> Execute(std::shared_ptr<json::value> body,
                                          std::shared_ptr<Session> session, std::string version,
                                          bool prefer_sse, Inbound inbound) {
    Message m = Classify(*body);
    if (auto early = protocol_->Precheck(m, *session)) {
      co_return http::MakeResponse(early->http_status, std::move(early->text));
    }
    const bool stream = protocol_->WantsStream(m, *session) || prefer_sse;
    auto executor = co_await asio::this_coro::executor;
    auto signal = std::make_shared<asio::cancellation_signal>();
    const std::string key = IdKey(*m.id);
    const bool track = !session->id.empty();
    if (track) session->RegisterCall(key, executor, signal);
    auto scope = std::make_shared<RequestScope>();
    scope->session = session.get();
    scope->protocol_version = version;
    scope->modern = session->modern;
    scope->log_level = session->log_level.load();
    scope->cancel = signal->slot();
    scope->client = Client(executor);
    scope->trace = std::move(inbound.trace);
    scope->caller = std::move(inbound.caller);
    if (const json::object* meta = Meta(m)) {
      if (const json::value* token = meta->if_contains("progressToken")) {
        scope->progress_token = *token;
      }
    }
    if (!stream) {
      Protocol::Reply reply = co_await protocol_->HandleRequest(m, *session, *scope);
      bool cancelled = reply.cancelled;
      if (track) {
        cancelled = cancelled || session->WasCancelled(key);
        session->UnregisterCall(key);
      }
      if (cancelled) co_return http::MakeResponse(202, "", "");
      co_return http::MakeResponse(reply.http_status, std::move(reply.text));
    }
    auto events = track ? session->NewStream() : std::make_shared<EventStream>(RandomHex(8));
    scope->send = [events](std::string text) { events->Push(std::move(text)); };
    scope->close_stream = [events] { events->RequestClose(); };
    auto self = shared_from_this();
    asio::co_spawn(
        executor,
        [self, body, session, scope, events, signal, key, track]() -> asio::awaitable<void> {
          Message request = Classify(*body);
          Protocol::Reply reply;
          try {
            reply = co_await self->protocol_->HandleRequest(request, *session, *scope);
          } catch (const std::exception& e) {
            reply.text = ErrorText(request.id, kInternalError, "internal error");
          }
          bool cancelled = reply.cancelled;
          if (track) {
            cancelled = cancelled || session->WasCancelled(key);
            session->UnregisterCall(key);
          }
          if (!cancelled) events->Push(std::move(reply.text));
          events->Complete();
        },
        asio::detached);
    // Legacy: a disconnect is not a cancellation (the client may resume with Last-Event-ID).
    // 2026-07-28: closing the response stream cancels the request.
    std::function<void()> on_disconnect;
    if (session->modern)
      on_disconnect = [signal] { signal->emit(asio::cancellation_type::terminal); };
    const bool priming = !session->modern && version >= "2025-11-25";
    co_return SseResponse(events, 0, priming, std::move(on_disconnect));
  }

  // ---- GET and DELETE ------------------------------------------------------------------------

  std::shared_ptr<Session> RequireSession(const http::Request& request, http::Response& error) {
    auto id = request.headers.Get("Mcp-Session-Id");
    if (!id) {
      error = RpcError(400, kTransportError, "Bad Request: Mcp-Session-Id header is required");
      return nullptr;
    }
    SessionStore::Lookup outcome;
    auto session =
        sessions_->Find(*id, outcome, request.headers.Get("MCP-Protocol-Version").value_or(""));
    if (!session) error = RpcError(404, kSessionNotFound, "Session not found");
    return session;
  }

  http::Response Get(const http::Request& request) {
    auto version = request.headers.Get("MCP-Protocol-Version");
    if (options_.stateless || (version && *version == kModernVersion)) {
      http::Response r = RpcError(405, kTransportError,
                                  "Method not allowed: this server has no standalone SSE stream");
      r.headers.Set("Allow", "POST");
      return r;
    }
    if (!Contains(request.headers.Get("Accept").value_or(""), "text/event-stream")) {
      return RpcError(406, kTransportError, "Not Acceptable: GET needs Accept: text/event-stream");
    }
    http::Response error;
    auto session = RequireSession(request, error);
    if (!session) return error;
    if (auto last = request.headers.Get("Last-Event-ID")) {
      std::size_t sep = last->rfind('_');
      std::shared_ptr<EventStream> stream;
      std::uint64_t after = 0;
      if (sep != std::string_view::npos) {
        stream = session->FindStream(last->substr(0, sep));
        after = std::strtoull(std::string(last->substr(sep + 1)).c_str(), nullptr, 10);
      }
      if (!stream) return RpcError(404, kTransportError, "Not Found: unknown Last-Event-ID");
      return SseResponse(stream, after, false);
    }
    std::string stream_id(1, 'g');
    stream_id += RandomHex(8);
    auto stream = std::make_shared<EventStream>(stream_id);
    if (!session->OpenStandalone(stream)) {
      return RpcError(409, kTransportError,
                      "Conflict: only one standalone SSE stream is allowed per session");
    }
    return SseResponse(stream, 0, false, {},
                       [session, raw = stream.get()] { session->CloseStandalone(raw); });
  }

  http::Response Delete(const http::Request& request) {
    if (options_.stateless) {
      http::Response r = RpcError(405, kTransportError, "Method not allowed: no sessions");
      r.headers.Set("Allow", "POST");
      return r;
    }
    http::Response error;
    auto session = RequireSession(request, error);
    if (!session) return error;
    sessions_->Terminate(session->id);
    return http::MakeResponse(200, "", "");
  }

  std::string describe_;
  std::shared_ptr<const runtime::Runtime> runtime_;
  std::shared_ptr<const Protocol> protocol_;
  InboundAuth auth_;
  McpOptions options_;
  std::shared_ptr<SessionStore> sessions_;
  std::map<std::string, std::uint32_t, std::less<>> tool_series_;
  std::map<std::string, std::uint32_t, std::less<>> method_series_;
};

}  // namespace

std::string SseEvent(std::string_view id, std::string_view data) {
  std::string out = "id: ";
  out += id;
  out += "\nevent: message\ndata: ";
  out += data;
  out += "\n\n";
  return out;
}

std::shared_ptr<exposes::Endpoint> MakeHttpEndpoint(std::string describe,
                                                    std::shared_ptr<const runtime::Runtime> runtime,
                                                    std::shared_ptr<const Protocol> protocol,
                                                    InboundAuth auth, McpOptions options) {
  return std::make_shared<HttpEndpoint>(std::move(describe), std::move(runtime),
                                        std::move(protocol), std::move(auth), std::move(options));
}

core::Result<std::shared_ptr<exposes::Endpoint>> MakeMcpAdapter(
    std::shared_ptr<const runtime::Runtime> runtime, const spec::ExposesMcp& spec,
    const McpOptions& options) {
  MountReport report;
  auto endpoints = MakeMcpEndpoints({AdapterSource{std::move(runtime), &spec, "", {}}}, options,
                                    MountOptions{}, report);
  if (!endpoints) return core::Fail(std::move(endpoints).error());
  return endpoints->front();
}

}  // namespace capstan::mcp
