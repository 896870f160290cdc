// `capstan serve` argument order and `capstan version`, end to end on the built binary: flags
// that take NS=VALUE take one value per occurrence, so they may come before or after the files;
// `version` names the commit, compiler, libraries and event backend.
#include <chrono>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/json.hpp"
#include "tests/rest/child_process.hpp"

namespace {

using capstan::test_support::ChildProcess;
using namespace std::chrono_literals;
namespace json = capstan::core::json;

const std::string kBinary = CAPSTAN_BINARY;
const std::string kSeed = std::string(CAPSTAN_SOURCE_DIR) + "/capabilities/scaleway-iam-jwts.yaml";

struct Listening {
  int rest = 0;
  int mcp = 0;
};

// Reads the two "listening on" lines that serve prints on stdout.
Listening Serve(ChildProcess& child) {
  Listening out;
  const std::regex line(R"(((rest|mcp) adapter '[^']+' listening on http://127\.0\.0\.1:\d+))");
  const std::regex parts(R"((rest|mcp) adapter .* listening on http://127\.0\.0\.1:(\d+))");
  while (out.rest == 0 || out.mcp == 0) {
    auto text = child.WaitForLine(line, 10s);
    if (!text) break;
    std::smatch m;
    if (!std::regex_search(*text, m, parts)) break;
    (m[1] == "rest" ? out.rest : out.mcp) = std::stoi(m[2]);
  }
  return out;
}

std::vector<std::string> Argv(std::vector<std::string> rest) {
  rest.insert(rest.begin(), kBinary);
  return rest;
}

const std::map<std::string, std::string> kEnv = {{"SCALEWAY_API_KEY", "test-secret"}};

TEST(ServeArgsTest, RepeatableFlagsBeforeTheFile) {
  ChildProcess child(
      Argv({"serve", "--port", "iam-jwts-rest=0", "--port", "iam-jwts-mcp=0", "--base-uri",
            "iam-jwts=http://127.0.0.1:9", "--timeout-ms", "iam-jwts=500", kSeed}),
      kEnv);
  Listening l = Serve(child);
  EXPECT_NE(l.rest, 0) << child.Stderr();
  EXPECT_NE(l.mcp, 0) << child.Stderr();
  EXPECT_EQ(child.Stderr().find("at least one capability file"), std::string::npos);
}

TEST(ServeArgsTest, RepeatableFlagsAfterAndAroundTheFile) {
  ChildProcess child(Argv({"serve", "--port", "iam-jwts-rest=0", kSeed, "--port=iam-jwts-mcp=0",
                           "--base-uri", "iam-jwts=http://127.0.0.1:9"}),
                     kEnv);
  Listening l = Serve(child);
  EXPECT_NE(l.rest, 0) << child.Stderr();
  EXPECT_NE(l.mcp, 0) << child.Stderr();
}

TEST(ServeArgsTest, AFlagTakesOneValueSoASecondIsAFileOrAnError) {
  // "--port a=1 b=2": b=2 is a file name now, and it cannot be read.
  ChildProcess child(Argv({"serve", "--port", "iam-jwts-rest=0", "iam-jwts-mcp=0", kSeed}), kEnv);
  auto status = child.WaitForExit(10s);
  ASSERT_TRUE(status.has_value());
  ASSERT_TRUE(WIFEXITED(*status));
  EXPECT_NE(WEXITSTATUS(*status), 0);
  EXPECT_NE(child.Stderr().find("iam-jwts-mcp=0"), std::string::npos) << child.Stderr();
}

TEST(ServeArgsTest, AFlagWithoutItsValueIsAUsageError) {
  ChildProcess child(Argv({"serve", kSeed, "--port"}), kEnv);
  auto status = child.WaitForExit(10s);
  ASSERT_TRUE(status.has_value());
  ASSERT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 2) << child.Stderr();
}

TEST(VersionTest, TextNamesEveryPart) {
  ChildProcess child(Argv({"version"}));
  auto status = child.WaitForExit(10s);
  ASSERT_TRUE(status && WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 0);
  std::string out;
  while (auto line = child.WaitForLine(std::regex("^(.*)$"), 2s)) out += *line + "\n";
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(^capstan \d+\.\d+\.\d+\n)"))) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(commit: +([0-9a-f]{12}(-dirty)?|unknown)\n)")))
      << out;
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(compiler: +(GCC|clang) \d+)"))) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(boost: +1\.\d+\.\d+\n)"))) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(openssl: +OpenSSL \d+\.\d+)"))) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(event backend: +(epoll|io_uring)\n)"))) << out;
#if defined(CAPSTAN_EXPECT_MIMALLOC)
  // Linked with mimalloc: malloc's blocks must come from mimalloc's heap (not glibc's).
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(allocator: +mimalloc \d+\.\d+\.\d+\n)"))) << out;
#else
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(allocator: +(glibc|sanitizer) malloc\n)")))
      << out;
#endif
}

TEST(VersionTest, JsonHasTheSameFields) {
  ChildProcess child(Argv({"version", "--format", "json"}));
  auto line = child.WaitForLine(std::regex("^(.*)$"), 5s);
  ASSERT_TRUE(line);
  auto parsed = capstan::core::ParseJson(*line);
  ASSERT_TRUE(parsed && parsed->is_object()) << *line;
  const json::object& o = parsed->get_object();
  for (const char* key :
       {"version", "commit", "compiler", "boost", "openssl", "event_backend", "allocator"}) {
    ASSERT_TRUE(o.contains(key)) << key << " in " << *line;
    EXPECT_TRUE(o.at(key).is_string()) << key;
    EXPECT_FALSE(o.at(key).get_string().empty()) << key;
  }
  auto status = child.WaitForExit(10s);
  ASSERT_TRUE(status && WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 0);
}

}  // namespace
