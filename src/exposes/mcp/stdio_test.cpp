// The stdio transport over pipes: newline-delimited requests in, responses out, EOF ends it.
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "exposes/mcp/mcp_adapter.hpp"
#include "spec/loader.hpp"

namespace capstan::mcp {
namespace {

constexpr std::string_view kCapability = R"YAML(naftiko: 1.0.0-alpha2
info:
  label: t
  description: t
capability:
  consumes:
  - type: http
    namespace: up
    baseUri: http://127.0.0.1:9
    description: upstream
    resources:
    - name: items
      path: /items
      operations:
      - name: list
        method: GET
        description: List items
  exposes:
  - type: mcp
    namespace: t-stdio
    transport: stdio
    tools:
    - name: hello
      description: A static greeting.
      outputParameters:
      - name: greeting
        type: string
        value: Hello!
    - name: list
      description: ""
      call: up.list
)YAML";

std::vector<std::string> RunLines(const std::string& input) {
  auto loaded = spec::LoadCapabilityFromString(kCapability, "t.yaml");
  EXPECT_TRUE(loaded.ok());
  auto rt = runtime::Runtime::Create(loaded.capability, {});
  EXPECT_TRUE(rt);
  const auto& mcp = std::get<spec::ExposesMcp>(loaded.capability->capability->exposes[0]);
  int in[2];
  int out[2];
  EXPECT_EQ(pipe(in), 0);
  EXPECT_EQ(pipe(out), 0);
  std::thread writer([&] {
    EXPECT_EQ(write(in[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
    close(in[1]);
  });
  std::string output;
  std::thread reader([&] {
    char buffer[4096];
    ssize_t n;
    while ((n = read(out[0], buffer, sizeof buffer)) > 0)
      output.append(buffer, static_cast<std::size_t>(n));
  });
  EXPECT_TRUE(ServeStdio(*rt, mcp, {}, in[0], out[1]));
  close(out[1]);
  writer.join();
  reader.join();
  close(in[0]);
  close(out[0]);
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t nl; (nl = output.find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(output.substr(start, nl - start));
  }
  return lines;
}

TEST(Stdio, ServesNewlineDelimitedJsonRpc) {
  auto lines = RunLines(
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18"}})"
      "\n"
      R"({"jsonrpc":"2.0","method":"notifications/initialized"})"
      "\n"
      R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"hello"}})"
      "\n"
      "not json\n");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[0].find(R"("protocolVersion":"2025-06-18")"), std::string::npos);
  EXPECT_NE(lines[1].find(R"("text":"Hello!")"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find(R"("code":-32700)"), std::string::npos);
}

TEST(Stdio, UnreachableUpstreamIsAToolError) {
  auto lines = RunLines(R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list"}})"
                        "\n");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find(R"("isError":true)"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("could not be reached"), std::string::npos) << lines[0];
}

}  // namespace
}  // namespace capstan::mcp
