// Breadth: every Scaleway capability in shared/capabilities/scaleway/ starts under the built
// `capstan serve` and answers one request through its REST adapter, against a generic in-process
// mock upstream that answers any path with `{}`. One test per capability file; each starts a
// capstan process, which is stopped before the next test.
#include <algorithm>
#include <filesystem>
#include <mutex>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "http/server.hpp"
#include "http/testing/test_client.hpp"
#include "runtime/runtime.hpp"
#include "spec/loader.hpp"
#include "tests/rest/child_process.hpp"

namespace {

namespace fs = std::filesystem;
namespace asio = boost::asio;
using namespace capstan;
using namespace std::chrono_literals;

constexpr const char* kDummy = "dummy-1";

std::vector<std::string> CapabilityFiles() {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry :
       fs::directory_iterator(fs::path(CAPSTAN_SHARED_DIR) / "capabilities/scaleway", ec)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Answers every request with 200 `{}` and records "METHOD target".
class MockUpstream {
 public:
  MockUpstream() {
    http::ServerOptions options;
    options.threads = 1;
    server_ = std::make_unique<http::Server>(
        options, [this](http::Request& req) -> asio::awaitable<http::Response> {
          {
            std::lock_guard lock(mu_);
            seen_.push_back(req.method + " " + req.target);
          }
          co_return http::MakeResponse(200, "{}");
        });
    started_ = static_cast<bool>(server_->Start());
  }
  ~MockUpstream() { server_->Stop(0s); }
  bool started() const { return started_; }
  std::uint16_t port() const { return server_->port(); }
  std::vector<std::string> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  std::unique_ptr<http::Server> server_;
  std::mutex mu_;
  std::vector<std::string> seen_;
  bool started_ = false;
};

// The request chosen for a capability: a GET without path variables when there is one, else the
// first GET with its variables filled, else the first operation. Required query inputs get a
// value of their type; a required body gets `{}`.
struct Probe {
  std::string rest_ns;
  std::vector<std::string> other_ns;  // other exposes namespaces (given ephemeral ports too)
  std::string consumes_ns;
  std::string method;
  std::string target;
  std::string body;
  std::string upstream_method;
};

std::string SampleText(spec::ValueType type) {
  switch (type) {
    case spec::ValueType::kInteger:
    case spec::ValueType::kNumber:
      return "1";
    case spec::ValueType::kBoolean:
      return "true";
    default:
      return "x";
  }
}

std::optional<Probe> ChooseProbe(const std::string& file) {
  auto loaded = spec::LoadCapability(file);
  EXPECT_TRUE(loaded && loaded->ok()) << file;
  if (!loaded || !loaded->capability || !loaded->capability->capability) return std::nullopt;
  const auto& cap = *loaded->capability;
  Probe probe;
  const spec::ExposesRest* rest = nullptr;
  for (const spec::Exposes& e : cap.capability->exposes) {
    if (const auto* r = std::get_if<spec::ExposesRest>(&e); r != nullptr && rest == nullptr) {
      rest = r;
    } else {
      probe.other_ns.emplace_back(spec::ExposesNamespace(e));
    }
  }
  EXPECT_NE(rest, nullptr) << file;
  if (rest == nullptr) return std::nullopt;
  probe.rest_ns = rest->ns;
  probe.consumes_ns = cap.capability->consumes.at(0).ns;

  const spec::ExposedResource* best_resource = nullptr;
  const spec::ExposedOperation* best_op = nullptr;
  int best_rank = 99;
  for (const auto& resource : rest->resources) {
    bool variables = resource.path.find('{') != std::string::npos;
    for (const auto& op : resource.operations) {
      int rank = op.method == spec::HttpMethod::kGet ? (variables ? 1 : 0) : 2;
      if (rank < best_rank) {
        best_rank = rank;
        best_resource = &resource;
        best_op = &op;
      }
    }
  }
  EXPECT_NE(best_op, nullptr) << file;
  if (best_op == nullptr) return std::nullopt;

  // The inputs the adapter derives, exactly as it does (runtime::Invocation).
  runtime::RuntimeOptions options;
  options.env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "SCALEWAY_API_KEY") return std::string("test-key");
    return std::nullopt;
  };
  auto rt = runtime::Runtime::Create(loaded->capability, options);
  EXPECT_TRUE(rt) << file << ": " << (rt ? "" : rt.error().message);
  if (!rt) return std::nullopt;
  runtime::Invocation::Definition def;
  def.expose_ns = rest->ns;
  if (best_op->call) def.call = best_op->call->target;
  def.with = best_op->with;
  def.outputs = best_op->output_parameters;
  def.rest_inputs = best_resource->input_parameters;
  def.rest_inputs.insert(def.rest_inputs.end(), best_op->input_parameters.begin(),
                         best_op->input_parameters.end());
  std::string path;
  std::string rest_path = best_resource->path;
  std::size_t pos = 0;
  while (pos < rest_path.size()) {
    std::size_t open = rest_path.find('{', pos);
    if (open == std::string::npos) {
      path += rest_path.substr(pos);
      break;
    }
    path += rest_path.substr(pos, open - pos);
    std::size_t close = rest_path.find('}', open);
    std::string name = rest_path.substr(open, close - open);
    name.erase(std::remove(name.begin(), name.end(), '{'), name.end());
    def.route_variables.push_back(name);
    path += kDummy;
    pos = rest_path.find_first_not_of('}', close);
    if (pos == std::string::npos) break;
  }
  def.what = "probe";
  auto invocation = runtime::Invocation::Compile(**rt, def);
  EXPECT_TRUE(invocation) << file << ": " << (invocation ? "" : invocation.error().message);
  if (!invocation) return std::nullopt;
  std::string query;
  for (const runtime::InputSpec& in : (*invocation)->inputs()) {
    if (!in.required) continue;
    if (in.in == spec::ParameterIn::kQuery) {
      query += (query.empty() ? "?" : "&") + in.name + "=" + SampleText(in.type);
    } else if (in.in == spec::ParameterIn::kBody) {
      probe.body = "{}";
    }
  }
  probe.method = std::string(spec::HttpMethodName(best_op->method));
  probe.target = path + query;
  probe.upstream_method =
      (*invocation)->operation() != nullptr ? (*invocation)->operation()->method() : std::string();
  return probe;
}

class RestBreadthTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RestBreadthTest, StartsAndAnswers) {
  const std::string& file = GetParam();
  auto probe = ChooseProbe(file);
  ASSERT_TRUE(probe);
  MockUpstream mock;
  ASSERT_TRUE(mock.started());

  std::vector<std::string> argv = {
      CAPSTAN_BINARY,
      "serve",
      file,
      "--base-uri",
      probe->consumes_ns + "=http://127.0.0.1:" + std::to_string(mock.port()),
      "--port",
      probe->rest_ns + "=0",
      "--threads",
      "1"};
  for (const std::string& ns : probe->other_ns) {
    argv.push_back("--port");
    argv.push_back(ns + "=0");
  }
  test_support::ChildProcess capstan(argv, {{"SCALEWAY_API_KEY", "test-key"}});
  auto port = capstan.WaitForLine(std::regex("^capstan: rest adapter '" + probe->rest_ns +
                                             R"(' listening on http://127\.0\.0\.1:(\d+)$)"));
  ASSERT_TRUE(port) << file << " did not start:\n" << capstan.Stderr();

  http::TestClient client(static_cast<std::uint16_t>(std::stoi(*port)));
  http::Headers headers;
  if (!probe->body.empty()) headers.Set("Content-Type", "application/json");
  auto r = client.Send(probe->method, probe->target, headers, probe->body);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200) << probe->method << " " << probe->target << ": " << r->body;
  EXPECT_EQ(r->body, "{}") << probe->method << " " << probe->target;
  EXPECT_EQ(r->headers.Get("Content-Type").value_or(""), "application/json");

  auto seen = mock.seen();
  ASSERT_EQ(seen.size(), 1u) << probe->method << " " << probe->target;
  EXPECT_EQ(seen[0].rfind(probe->upstream_method + " /", 0), 0u) << seen[0];
  // Every path variable was substituted (no literal braces reach the upstream).
  EXPECT_EQ(seen[0].find('{'), std::string::npos) << seen[0];
  EXPECT_EQ(seen[0].find("%7B"), std::string::npos) << seen[0];
  if (probe->target.find(kDummy) != std::string::npos) {
    EXPECT_NE(seen[0].find(kDummy), std::string::npos) << seen[0];
  }
  capstan.Stop();
}

std::string TestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = fs::path(info.param).stem().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Scaleway, RestBreadthTest, ::testing::ValuesIn(CapabilityFiles()),
                         TestName);

TEST(RestBreadthCountTest, SeesAllEightyTwoCapabilities) {
  EXPECT_EQ(CapabilityFiles().size(), 82u);
}

}  // namespace
