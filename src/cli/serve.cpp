#include "cli/serve.hpp"

#include <cstdlib>
#include <filesystem>
#include <future>
#include <map>
#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "cli/commands.hpp"
#include "exposes/rest/rest_adapter.hpp"
#include "exposes/server/host.hpp"
#include "runtime/runtime.hpp"
#include "runtime/values.hpp"
#include "spec/loader.hpp"

namespace capstan::cli {

namespace asio = boost::asio;

namespace {

bool SplitPair(const std::string& text, std::string& key, std::string& value) {
  std::size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) return false;
  key = text.substr(0, eq);
  value = text.substr(eq + 1);
  return true;
}

std::string EnvSuffix(std::string_view ns) {
  std::string out;
  for (char c : ns) {
    out += c == '-' || c == '.'     ? '_'
           : (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A')
                                    : c;
  }
  return out;
}

// Loads a capability, printing its diagnostics; returns null on errors.
std::shared_ptr<const spec::Capability> LoadOrReport(const std::string& file, std::ostream& err) {
  auto loaded = spec::LoadCapability(file);
  if (!loaded) {
    err << "capstan: " << loaded.error().message << "\n";
    return nullptr;
  }
  for (const spec::Diagnostic& d : loaded->diagnostics) {
    if (d.severity == spec::Severity::kError) {
      err << d.location.file << ":" << d.location.line << ":" << d.location.column
          << ": error: " << d.message << " [" << d.rule_id << "]\n";
    }
  }
  if (!loaded->ok()) {
    err << "capstan: " << file << " has errors; run `capstan validate " << file << "`\n";
    return nullptr;
  }
  return loaded->capability;
}

bool BuildRuntimeOptions(const RuntimeArgs& args, runtime::RuntimeOptions& options,
                         std::ostream& err) {
  for (const std::string& pair : args.base_uris) {
    std::string ns;
    std::string uri;
    if (!SplitPair(pair, ns, uri)) {
      err << "capstan: --base-uri expects NS=URL, got '" << pair << "'\n";
      return false;
    }
    options.base_uris[ns] = uri;
  }
  options.tls.ca_file = args.ca_file;
  if (options.tls.ca_file.empty()) {
    if (const char* ca = std::getenv("CAPSTAN_CA_FILE")) options.tls.ca_file = ca;
  }
  if (args.timeout_ms > 0) {
    options.limits.total_timeout = std::chrono::milliseconds(args.timeout_ms);
    options.limits.read_timeout =
        std::min(options.limits.read_timeout, options.limits.total_timeout);
  }
  return true;
}

// Runtimes get only the base URIs of their own namespaces.
runtime::RuntimeOptions OptionsFor(const runtime::RuntimeOptions& all,
                                   const spec::Capability& capability) {
  runtime::RuntimeOptions options = all;
  options.base_uris.clear();
  for (const auto& [ns, uri] : all.base_uris) {
    if (spec::FindConsumes(capability, ns) != nullptr) options.base_uris[ns] = uri;
  }
  return options;
}

}  // namespace

int RunServe(const ServeArgs& args, std::ostream& out, std::ostream& err) {
  runtime::RuntimeOptions all_options;
  if (!BuildRuntimeOptions(args.runtime, all_options, err)) return kExitUsage;
  std::map<std::string, std::uint16_t> ports;
  for (const std::string& pair : args.ports) {
    std::string ns;
    std::string value;
    int port = -1;
    if (SplitPair(pair, ns, value)) port = std::atoi(value.c_str());
    if (port < 0 || port > 65535 || value.empty()) {
      err << "capstan: --port expects NS=PORT, got '" << pair << "'\n";
      return kExitUsage;
    }
    ports[ns] = static_cast<std::uint16_t>(port);
  }
  std::string address_override = args.address;
  if (address_override.empty()) {
    if (const char* a = std::getenv("CAPSTAN_ADDRESS")) address_override = a;
  }

  exposes::HostOptions host_options;
  host_options.threads = args.threads;
  host_options.access_log = !args.no_access_log;
  exposes::Host host(host_options);
  std::vector<std::shared_ptr<const runtime::Runtime>> runtimes;
  std::size_t served = 0;
  std::set<std::string> used_base_uris;
  for (const std::string& file : args.files) {
    auto capability = LoadOrReport(file, err);
    if (!capability) return kExitInvalid;
    auto rt = runtime::Runtime::Create(capability, OptionsFor(all_options, *capability));
    if (!rt) {
      err << "capstan: " << file << ": " << rt.error().message << "\n";
      return kExitInvalid;
    }
    for (const auto& [ns, uri] : (*rt)->options().base_uris) used_base_uris.insert(ns);
    runtimes.push_back(*rt);
    if (!capability->capability) continue;
    for (const spec::Exposes& exposes : capability->capability->exposes) {
      std::string ns(spec::ExposesNamespace(exposes));
      auto port_for = [&](int declared) -> std::uint16_t {
        if (auto it = ports.find(ns); it != ports.end()) return it->second;
        if (const char* env = std::getenv(("CAPSTAN_PORT_" + EnvSuffix(ns)).c_str())) {
          return static_cast<std::uint16_t>(std::atoi(env));
        }
        return static_cast<std::uint16_t>(declared);
      };
      if (const auto* rest = std::get_if<spec::ExposesRest>(&exposes)) {
        auto adapter = rest::MakeRestAdapter(*rt, *rest);
        if (!adapter) {
          err << "capstan: " << file << ": " << adapter.error().message << "\n";
          return kExitInvalid;
        }
        std::string address =
            !address_override.empty() ? address_override : rest->address.value_or("127.0.0.1");
        host.Add(address, port_for(rest->port), std::move(*adapter));
        ++served;
      } else {
        err << "capstan: " << spec::ExposesTypeName(exposes) << " adapter '" << ns
            << "' is not served yet by this build\n";
      }
    }
  }
  for (const auto& [ns, uri] : all_options.base_uris) {
    if (!used_base_uris.count(ns)) {
      err << "capstan: --base-uri names '" << ns << "', which no capability consumes\n";
      return kExitUsage;
    }
  }
  if (served == 0) {
    err << "capstan: nothing to serve\n";
    return kExitInvalid;
  }
  exposes::Host::BlockStopSignals();
  auto started = host.Start();
  if (!started) {
    err << "capstan: " << started.error().message << "\n";
    return kExitInvalid;
  }
  for (const exposes::BoundListener& l : host.bound()) {
    for (const std::string& e : l.endpoints) {
      std::string host_text =
          l.address.find(':') != std::string::npos ? "[" + l.address + "]" : l.address;
      out << "capstan: " << e << " listening on http://" << host_text << ":" << l.port << "\n";
    }
  }
  out.flush();
  int sig = exposes::Host::WaitForSignal();
  err << "capstan: signal " << sig << ", stopping gracefully\n";
  host.Stop(std::chrono::seconds(10));
  return kExitOk;
}

int RunCall(const CallArgs& args, std::ostream& out, std::ostream& err) {
  runtime::RuntimeOptions options;
  if (!BuildRuntimeOptions(args.runtime, options, err)) return kExitUsage;
  std::size_t dot = args.call.find('.');
  if (dot == std::string::npos) {
    err << "capstan: call expects NAMESPACE.OPERATION, got '" << args.call << "'\n";
    return kExitUsage;
  }
  std::string ns = args.call.substr(0, dot);

  std::shared_ptr<const spec::Capability> capability;
  if (!args.capability.empty()) {
    capability = LoadOrReport(args.capability, err);
    if (!capability) return kExitInvalid;
  } else {
    // Search ./capabilities for the capability that consumes this namespace.
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("capabilities", ec)) {
      if (entry.path().extension() != ".yaml" && entry.path().extension() != ".yml") continue;
      auto loaded = spec::LoadCapability(entry.path().string());
      if (loaded && loaded->capability && spec::FindConsumes(*loaded->capability, ns)) {
        capability = LoadOrReport(entry.path().string(), err);
        break;
      }
    }
    if (!capability) {
      err << "capstan: no capability in ./capabilities consumes '" << ns
          << "'; name one with --capability FILE\n";
      return kExitUsage;
    }
  }
  auto rt = runtime::Runtime::Create(capability, options);
  if (!rt) {
    err << "capstan: " << rt.error().message << "\n";
    return kExitInvalid;
  }
  auto op = (*rt)->FindOperation(args.call);
  if (!op) {
    err << "capstan: no consumed operation '" << args.call << "'\n";
    return kExitUsage;
  }
  core::json::object call_args;
  for (const std::string& pair : args.parameters) {
    std::string key;
    std::string value;
    if (!SplitPair(pair, key, value)) {
      err << "capstan: parameters are name=value, got '" << pair << "'\n";
      return kExitUsage;
    }
    const runtime::ConsumedParam* param = op->FindParam(key);
    if (param == nullptr) {
      err << "capstan: " << args.call << " has no parameter '" << key << "'\n";
      return kExitUsage;
    }
    auto typed = runtime::CoerceText(key, value, param->type.value_or(spec::ValueType::kString));
    if (!typed) {
      err << "capstan: " << typed.error().message << "\n";
      return kExitUsage;
    }
    call_args[param->name] = std::move(*typed);
  }

  asio::io_context ioc;
  core::Result<runtime::InvocationResult> result = core::Fail(core::ErrorCode::kInternal, "");
  {
    consumes::UpstreamClient client(ioc.get_executor(), (*rt)->tls(), (*rt)->options().pool);
    auto future = asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<core::Result<runtime::InvocationResult>> {
          runtime::CallContext context;
          context.client = &client;
          co_return co_await (*rt)->Call(*op, std::move(call_args), context);
        },
        asio::use_future);
    ioc.run();
    result = future.get();
  }
  if (!result) {
    err << "capstan: " << core::ErrorCodeName(result.error().code) << ": " << result.error().message
        << "\n";
    return kExitInvalid;
  }
  out << result->body;
  if (!result->body.empty() && result->body.back() != '\n') out << "\n";
  if (result->status < 200 || result->status >= 300) {
    err << "capstan: upstream answered " << result->status << "\n";
    return kExitInvalid;
  }
  return kExitOk;
}

}  // namespace capstan::cli
