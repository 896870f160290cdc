// Helpers shared by the runtime tests: capabilities from inline YAML, a fake environment, and an
// upstream call driven to completion on a private event loop.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "runtime/runtime.hpp"
#include "spec/loader.hpp"

namespace capstan::runtime::testing {

inline EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// Loads a capability from YAML text as if it were the file `path`; schema errors fail the test.
inline std::shared_ptr<const spec::Capability> LoadText(const std::string& text,
                                                        const std::string& path) {
  auto loaded = spec::LoadCapabilityFromString(text, path);
  for (const auto& d : loaded.diagnostics) {
    if (d.severity == spec::Severity::kError) {
      ADD_FAILURE() << path << ":" << d.location.line << ": " << d.message << " [" << d.rule_id
                    << "]";
    }
  }
  return loaded.capability;
}

inline json::object JsonArgs(std::string_view text) {
  auto parsed = core::ParseJson(text);
  EXPECT_TRUE(parsed && parsed->is_object()) << text;
  if (!parsed || !parsed->is_object()) return {};
  return std::move(parsed->get_object());
}

// Runs `rt.Call(op, args)` on a fresh loop and client, to completion.
inline core::Result<InvocationResult> CallSync(const Runtime& rt, const CompiledOperation& op,
                                               json::object args) {
  boost::asio::io_context ioc;
  consumes::UpstreamClient client(ioc.get_executor(), rt.tls());
  auto future = boost::asio::co_spawn(
      ioc,
      [&]() -> boost::asio::awaitable<core::Result<InvocationResult>> {
        CallContext context;
        context.client = &client;
        co_return co_await rt.Call(op, std::move(args), context);
      },
      boost::asio::use_future);
  ioc.run();
  return future.get();
}

// Runs `inv.Execute(inputs)` on a fresh loop and client, to completion.
inline core::Result<InvocationResult> ExecuteSync(const Runtime& rt, const Invocation& inv,
                                                  json::object inputs) {
  boost::asio::io_context ioc;
  consumes::UpstreamClient client(ioc.get_executor(), rt.tls());
  auto future = boost::asio::co_spawn(
      ioc,
      [&]() -> boost::asio::awaitable<core::Result<InvocationResult>> {
        CallContext context;
        context.client = &client;
        co_return co_await inv.Execute(std::move(inputs), context);
      },
      boost::asio::use_future);
  ioc.run();
  return future.get();
}

}  // namespace capstan::runtime::testing
