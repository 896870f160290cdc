#include "http/otlp.hpp"

#include <charconv>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include "core/json.hpp"

namespace capstan::http {

using core::ErrorCode;
using core::Fail;

namespace asio = boost::asio;
namespace beast = boost::beast;

core::Result<OtlpEndpoint> ParseOtlpEndpoint(std::string_view url, bool append_signal_path) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) {
    return Fail(ErrorCode::kInvalidArgument,
                "OTLP endpoint '" + std::string(url) + "' is not an absolute URL");
  }
  const std::string scheme(parsed->scheme());
  if (scheme == "https") {
    return Fail(ErrorCode::kInvalidArgument,
                "OTLP endpoint '" + std::string(url) +
                    "': https is not supported; send to a collector on this host over http");
  }
  if (scheme != "http" || parsed->host().empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "OTLP endpoint '" + std::string(url) + "' must be http://host[:port][/path]");
  }
  OtlpEndpoint out;
  out.host = std::string(parsed->host());
  if (out.host.size() > 2 && out.host.front() == '[')
    out.host = out.host.substr(1, out.host.size() - 2);
  if (parsed->has_port()) {
    const std::string port(parsed->port());
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return Fail(ErrorCode::kInvalidArgument,
                  "OTLP endpoint '" + std::string(url) + "': bad port");
    }
    out.port = static_cast<std::uint16_t>(value);
  }
  std::string path(parsed->encoded_path());
  if (path.empty() || path == "/") {
    out.target = "/v1/traces";
  } else {
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    out.target = append_signal_path ? path + "/v1/traces" : path;
  }
  return out;
}

namespace {

std::string Nanos(std::chrono::system_clock::time_point t) {
  return std::to_string(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

void AppendStringAttribute(std::string& out, std::string_view key, std::string_view value) {
  out += "{\"key\":";
  core::AppendJsonString(out, key);
  out += ",\"value\":{\"stringValue\":";
  core::AppendJsonString(out, value);
  out += "}}";
}

}  // namespace

std::string OtlpTracesJson(const std::vector<Span>& spans, std::string_view service_name,
                           std::string_view service_version) {
  std::string out = "{\"resourceSpans\":[{\"resource\":{\"attributes\":[";
  AppendStringAttribute(out, "service.name", service_name);
  if (!service_version.empty()) {
    out += ',';
    AppendStringAttribute(out, "service.version", service_version);
  }
  out += "]},\"scopeSpans\":[{\"scope\":{\"name\":\"capstan\"";
  if (!service_version.empty()) {
    out += ",\"version\":";
    core::AppendJsonString(out, service_version);
  }
  out += "},\"spans\":[";
  for (std::size_t i = 0; i < spans.size(); ++i) {
    const Span& s = spans[i];
    if (i > 0) out += ',';
    out += "{\"traceId\":\"" + s.trace_id + "\",\"spanId\":\"" + s.span_id + "\"";
    if (!s.parent_span_id.empty()) out += ",\"parentSpanId\":\"" + s.parent_span_id + "\"";
    out += ",\"name\":";
    core::AppendJsonString(out, s.name);
    out += ",\"kind\":" + std::to_string(static_cast<int>(s.kind));
    out += ",\"startTimeUnixNano\":\"" + Nanos(s.start) + "\",\"endTimeUnixNano\":\"" +
           Nanos(s.end) + "\",\"attributes\":[";
    bool first = true;
    for (const auto& [key, value] : s.string_attributes) {
      if (!first) out += ',';
      first = false;
      AppendStringAttribute(out, key, value);
    }
    for (const auto& [key, value] : s.int_attributes) {
      if (!first) out += ',';
      first = false;
      out += "{\"key\":";
      core::AppendJsonString(out, key);
      out += ",\"value\":{\"intValue\":\"" + std::to_string(value) + "\"}}";
    }
    // STATUS_CODE_ERROR = 2; unset otherwise (as the HTTP semantic conventions ask).
    out += "],\"status\":{" + std::string(s.error ? "\"code\":2" : "") + "}}";
  }
  out += "]}]}]}";
  return out;
}

OtlpExporter::OtlpExporter(OtlpOptions options) : options_(std::move(options)) {
  queue_.reserve(options_.max_batch);
  thread_ = std::thread([this] { Run(); });
}

OtlpExporter::~OtlpExporter() { Shutdown(options_.timeout); }

void OtlpExporter::Record(Span span) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_ && queue_.size() < options_.max_queue) {
      queue_.push_back(std::move(span));
      if (queue_.size() < options_.max_batch) return;
    } else {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  wake_.notify_one();  // a full batch
}

void OtlpExporter::Shutdown(std::chrono::milliseconds deadline) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    stop_deadline_ = std::chrono::steady_clock::now() + deadline;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void OtlpExporter::Run() {
  for (;;) {
    std::vector<Span> batch;
    bool last = false;
    std::chrono::milliseconds timeout = options_.timeout;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait_for(lock, options_.interval,
                     [&] { return stopping_ || queue_.size() >= options_.max_batch; });
      const std::size_t n = std::min(queue_.size(), options_.max_batch);
      batch.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(n)));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
      last = stopping_ && queue_.empty();
      if (stopping_) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            stop_deadline_ - std::chrono::steady_clock::now());
        if (left <= std::chrono::milliseconds(0)) {
          dropped_.fetch_add(batch.size() + queue_.size(), std::memory_order_relaxed);
          queue_.clear();
          return;
        }
        timeout = std::min(timeout, left);
      }
    }
    if (!batch.empty()) {
      auto status =
          Post(OtlpTracesJson(batch, options_.service_name, options_.service_version), timeout);
      if (status && *status >= 200 && *status < 300) {
        exported_.fetch_add(batch.size(), std::memory_order_relaxed);
      } else {
        // Spans are telemetry: a collector that is down loses them, never the requests.
        failed_.fetch_add(1, std::memory_order_relaxed);
        dropped_.fetch_add(batch.size(), std::memory_order_relaxed);
      }
    }
    if (last) return;
  }
}

core::Result<int> OtlpExporter::Post(const std::string& body,
                                     std::chrono::milliseconds timeout) const {
  asio::io_context ioc;
  core::Result<int> outcome = Fail(ErrorCode::kUnavailable, "OTLP export did not run");
  auto post = [&]() -> asio::awaitable<void> {
    try {
      asio::ip::tcp::resolver resolver(ioc);
      beast::tcp_stream stream(ioc);
      stream.expires_after(timeout);
      auto endpoints = co_await resolver.async_resolve(
          options_.endpoint.host, std::to_string(options_.endpoint.port), asio::use_awaitable);
      co_await stream.async_connect(endpoints, asio::use_awaitable);
      beast::http::request<beast::http::string_body> request(beast::http::verb::post,
                                                             options_.endpoint.target, 11);
      request.set(beast::http::field::host,
                  options_.endpoint.host + ":" + std::to_string(options_.endpoint.port));
      request.set(beast::http::field::content_type, "application/json");
      request.set(beast::http::field::user_agent, "capstan");
      for (const auto& [name, value] : options_.headers) request.set(name, value);
      request.keep_alive(false);
      request.body() = body;
      request.prepare_payload();
      co_await beast::http::async_write(stream, request, asio::use_awaitable);
      beast::flat_buffer buffer;
      beast::http::response<beast::http::string_body> response;
      co_await beast::http::async_read(stream, buffer, response, asio::use_awaitable);
      outcome = static_cast<int>(response.result_int());
      beast::error_code ignored;
      stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    } catch (const std::exception& e) {
      outcome = Fail(ErrorCode::kUnavailable, std::string("OTLP export failed: ") + e.what());
    }
  };
  asio::co_spawn(ioc, post(), asio::detached);
  ioc.run();
  return outcome;
}

}  // namespace capstan::http
