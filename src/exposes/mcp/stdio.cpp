// The stdio transport: newline-delimited JSON-RPC on stdin/stdout, one session, requests run
// concurrently on one event loop; logs stay on stderr.
#include <cerrno>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <unistd.h>

#include "exposes/mcp/transport.hpp"

namespace capstan::mcp {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kMaxLineBytes = 16 * 1024 * 1024;

class StdioServer {
 public:
  StdioServer(std::shared_ptr<const runtime::Runtime> runtime,
              std::shared_ptr<const Protocol> protocol, int out_fd)
      : runtime_(std::move(runtime)), protocol_(std::move(protocol)), out_fd_(out_fd) {
    session_ = std::make_shared<Session>();
    session_->id = "stdio";
    session_->protocol_version = std::string(kLatestLegacyVersion);
  }

  core::Status Run(int in_fd) {
    if (runtime_) {
      client_ = std::make_unique<consumes::UpstreamClient>(ioc_.get_executor(), runtime_->tls(),
                                                           runtime_->options().pool);
    }
    auto work = asio::make_work_guard(ioc_);
    std::thread reader([this, in_fd] { ReadLoop(in_fd); });
    ioc_.run();
    reader.join();
    client_.reset();
    return core::Ok();
  }

 private:
  void ReadLoop(int in_fd) {
    std::string buffer;
    char chunk[65536];
    while (true) {
      ssize_t n = ::read(in_fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      buffer.append(chunk, static_cast<std::size_t>(n));
      std::size_t start = 0;
      for (std::size_t nl; (nl = buffer.find('\n', start)) != std::string::npos; start = nl + 1) {
        std::string line = buffer.substr(start, nl - start);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty()) asio::post(ioc_, [this, line = std::move(line)] { HandleLine(line); });
      }
      buffer.erase(0, start);
      if (buffer.size() > kMaxLineBytes) {
        buffer.clear();
        asio::post(ioc_, [this] { Write(ErrorText(nullptr, kInvalidRequest, "line too long")); });
      }
    }
    asio::post(ioc_, [this] {
      eof_ = true;
      MaybeFinish();
    });
  }

  void MaybeFinish() {
    if (eof_ && in_flight_ == 0) ioc_.stop();
  }

  void Write(std::string_view text) {
    std::string line(text);
    line += '\n';
    std::size_t off = 0;
    while (off < line.size()) {
      ssize_t n = ::write(out_fd_, line.data() + off, line.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      off += static_cast<std::size_t>(n);
    }
  }

  void HandleLine(const std::string& line) {
    auto parsed = core::ParseJson(line);
    if (!parsed) {
      Write(ErrorText(nullptr, kParseError, "Parse error: " + parsed.error().message));
      return;
    }
    auto body = std::make_shared<json::value>(std::move(*parsed));
    if (body->is_array()) {
      if (session_->protocol_version != "2025-03-26") {
        Write(ErrorText(nullptr, kInvalidRequest,
                        "JSON-RPC batches are accepted only in 2025-03-26 sessions"));
        return;
      }
      for (const json::value& item : body->get_array()) {
        HandleMessage(std::make_shared<json::value>(item));
      }
      return;
    }
    HandleMessage(body);
  }

  void HandleMessage(std::shared_ptr<json::value> body) {
    Message m = Classify(*body);
    switch (m.kind) {
      case MessageKind::kInvalid:
        Write(ErrorText(nullptr, kInvalidRequest, "Invalid Request: " + m.problem));
        return;
      case MessageKind::kNotification:
        protocol_->HandleNotification(m, *session_);
        return;
      case MessageKind::kResponse:
        if (m.id->is_string()) {
          ClientRequests::Instance().Deliver(std::string(m.id->get_string()), *body);
        }
        return;
      case MessageKind::kRequest:
        break;
    }
    if (m.method == "initialize") {
      std::string version = NegotiateVersion(StringField(m.params, "protocolVersion").value_or(""));
      session_->protocol_version = version;
      if (m.params != nullptr) {
        if (const json::value* c = m.params->if_contains("capabilities"); c && c->is_object()) {
          session_->client_capabilities = c->get_object();
        }
      }
      Write(ResultText(*m.id, json::value(protocol_->InitializeResult(version))));
      return;
    }
    std::shared_ptr<Session> session = session_;
    if (StringField(Meta(m), kMetaProtocolVersion) == kModernVersion) {
      session = std::make_shared<Session>();
      session->id = "stdio-modern";
      if (auto error = protocol_->PrepareModernRequest(m, *session)) {
        Write(error->text);
        return;
      }
    }
    ++in_flight_;
    asio::co_spawn(ioc_, Execute(body, session), asio::detached);
  }

  asio::awaitable<void> Execute(std::shared_ptr<json::value> body,
                                std::shared_ptr<Session> session) {
    Message m = Classify(*body);
    auto signal = std::make_shared<asio::cancellation_signal>();
    const std::string key = IdKey(*m.id);
    session->RegisterCall(key, ioc_.get_executor(), signal);
    RequestScope scope;
    scope.session = session.get();
    scope.protocol_version = session->protocol_version;
    scope.modern = session->modern;
    scope.log_level = session->log_level.load();
    scope.cancel = signal->slot();
    scope.client = client_.get();
    scope.send = [this](std::string text) { Write(text); };
    if (const json::object* meta = Meta(m)) {
      if (const json::value* token = meta->if_contains("progressToken")) {
        scope.progress_token = *token;
      }
    }
    Protocol::Reply reply;
    try {
      reply = co_await protocol_->HandleRequest(m, *session, scope);
    } catch (const std::exception&) {
      reply.text = ErrorText(m.id, kInternalError, "internal error");
    }
    bool cancelled = reply.cancelled || session->WasCancelled(key);
    session->UnregisterCall(key);
    if (!cancelled) Write(reply.text);
    --in_flight_;
    MaybeFinish();
  }

  std::shared_ptr<const runtime::Runtime> runtime_;
  std::shared_ptr<const Protocol> protocol_;
  int out_fd_;
  asio::io_context ioc_{1};
  std::unique_ptr<consumes::UpstreamClient> client_;
  std::shared_ptr<Session> session_;
  int in_flight_ = 0;
  bool eof_ = false;
};

}  // namespace

core::Status RunStdio(std::shared_ptr<const runtime::Runtime> runtime,
                      std::shared_ptr<const Protocol> protocol, int in_fd, int out_fd) {
  StdioServer server(std::move(runtime), std::move(protocol), out_fd);
  return server.Run(in_fd);
}

core::Status ServeStdio(std::shared_ptr<const runtime::Runtime> runtime,
                        const spec::ExposesMcp& spec, const McpOptions& options, int in_fd,
                        int out_fd) {
  auto catalog = BuildCatalog(runtime, spec);
  if (!catalog) return core::Fail(std::move(catalog).error());
  ProtocolOptions po;
  po.server_name = spec.ns;
  po.server_version = options.server_version;
  auto protocol = std::make_shared<const Protocol>(
      std::make_shared<const Catalog>(std::move(*catalog)), std::move(po));
  return RunStdio(std::move(runtime), std::move(protocol), in_fd, out_fd);
}

}  // namespace capstan::mcp
