// End-to-end tests of `capstan call` against the built scaleway-iam-sim: the seed capability's
// listjwts/getjwt reach the simulator with the exact query and the X-Auth-Token header; upstream
// errors print the Scaleway envelope and exit 1; bad inputs exit 2 before any request; a missing
// bind variable is a start-up error naming it.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/json.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;
namespace json = capstan::core::json;
using Clock = std::chrono::steady_clock;

const fs::path kSource = CAPSTAN_SOURCE_DIR;
constexpr const char* kToken = "6c7ef130-6442-42fd-b525-ccf941221566";
constexpr const char* kAudience = "9e57858d-7555-463e-9c74-2dc2d02019b8";
const std::string kAudienceArg = std::string("audience_id=") + kAudience;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

std::string Quote(const std::string& arg) {
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') {
      out.append("'\\''");
    } else {
      out.push_back(c);
    }
  }
  out.push_back('\'');
  return out;
}

// A scaleway-iam-sim child on an ephemeral port; its JSON access log goes to a file.
class Simulator {
 public:
  explicit Simulator(std::vector<std::string> extra_args = {}) {
    log_ = fs::temp_directory_path() / ("capstan-call-sim-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(++count_) + ".log");
    int out[2];
    if (::pipe(out) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<std::string> args = {CAPSTAN_SIM_BINARY, "--port", "0", "--threads", "1"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    stdout_ = out[0];
    // The first stdout line is "listening on http://127.0.0.1:PORT".
    std::string line;
    auto deadline = Clock::now() + std::chrono::seconds(20);
    while (pid_ > 0 && line.find('\n') == std::string::npos && Clock::now() < deadline) {
      pollfd p{stdout_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char c[256];
      ssize_t n = ::read(stdout_, c, sizeof c);
      if (n <= 0) break;
      line.append(c, static_cast<std::size_t>(n));
    }
    const std::string prefix = "listening on ";
    if (line.rfind(prefix, 0) == 0)
      url_ = line.substr(prefix.size(), line.find('\n') - prefix.size());
  }

  ~Simulator() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    if (stdout_ >= 0) ::close(stdout_);
    fs::remove(log_);
  }

  [[nodiscard]] const std::string& url() const { return url_; }
  [[nodiscard]] std::string Log() const { return ReadFile(log_); }

  // Access-log lines (objects with a "target"), in order.
  [[nodiscard]] std::vector<json::object> Requests() const {
    std::vector<json::object> out;
    for (const std::string& line : Lines(ReadFile(log_))) {
      auto parsed = capstan::core::ParseJson(line);
      if (parsed && parsed->is_object() && parsed->as_object().contains("target")) {
        out.push_back(parsed->as_object());
      }
    }
    return out;
  }

  // Waits (polling the log) until a request whose target contains `marker` was logged.
  [[nodiscard]] std::optional<json::object> WaitForRequest(const std::string& marker) const {
    auto deadline = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < deadline) {
      for (const json::object& r : Requests()) {
        if (std::string_view(r.at("target").as_string()).find(marker) != std::string::npos) {
          return r;
        }
      }
      pollfd none{-1, 0, 0};
      ::poll(&none, 0, 10);
    }
    return std::nullopt;
  }

 private:
  static inline int count_ = 0;
  pid_t pid_ = -1;
  int stdout_ = -1;
  fs::path log_;
  std::string url_;
};

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs capstan from the repository root. `token`: SCALEWAY_API_KEY, or nullopt to unset it.
Outcome Capstan(const std::vector<std::string>& args,
                const std::optional<std::string>& token = std::string(kToken)) {
  fs::path err_file =
      fs::temp_directory_path() / ("capstan-call-test-" + std::to_string(::getpid()) + ".err");
  // (append, not operator+: GCC 12 -O3 reports a false -Wrestrict on "literal" + string)
  std::string command = "cd ";
  command.append(Quote(kSource.string())).append(" && env -u SCALEWAY_API_KEY");
  if (token) command.append(" SCALEWAY_API_KEY=").append(Quote(*token));
  command.append(" ").append(Quote(CAPSTAN_BINARY));
  for (const std::string& a : args) command.append(" ").append(Quote(a));
  command.append(" 2>").append(Quote(err_file.string()));
  Outcome run;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) run.out.append(buffer, n);
  int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.err = ReadFile(err_file);
  fs::remove(err_file);
  return run;
}

class CallCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { sim_ = new Simulator(); }
  static void TearDownTestSuite() {
    delete sim_;
    sim_ = nullptr;
  }
  void SetUp() override { ASSERT_FALSE(sim_->url().empty()) << "the simulator did not start"; }

  static std::string BaseUri() { return "iam-jwts=" + sim_->url(); }

  // Every request the simulator logged whose target contains `text`.
  static std::size_t CountRequests(const std::string& text) {
    std::size_t n = 0;
    for (const json::object& r : sim_->Requests()) {
      if (std::string_view(r.at("target").as_string()).find(text) != std::string::npos) ++n;
    }
    return n;
  }

  static Simulator* sim_;
};

Simulator* CallCliTest::sim_ = nullptr;

TEST_F(CallCliTest, ListJwtsPrintsThePageAndSendsTheExactQueryAndToken) {
  Outcome run = Capstan({"call", "iam-jwts.listjwts", std::string("audience_id=") + kAudience,
                         "page_size=5", "--base-uri", BaseUri()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_FALSE(run.out.empty());
  EXPECT_EQ(run.out.back(), '\n');
  auto page = capstan::core::ParseJson(run.out);
  ASSERT_TRUE(page && page->is_object()) << run.out;
  const json::array& jwts = page->as_object().at("jwts").as_array();
  ASSERT_FALSE(jwts.empty());
  EXPECT_LE(jwts.size(), 5u);
  EXPECT_GE(page->as_object().at("total_count").to_number<std::int64_t>(),
            static_cast<std::int64_t>(jwts.size()));
  for (const json::value& jwt : jwts) {
    EXPECT_EQ(jwt.as_object().at("audience_id").as_string(), kAudience);
  }

  auto logged = sim_->WaitForRequest(std::string("audience_id=") + kAudience + "&page_size=5");
  ASSERT_TRUE(logged) << sim_->Log();
  EXPECT_EQ(logged->at("method").as_string(), "GET");
  EXPECT_EQ(logged->at("path").as_string(), "/iam/v1alpha1/jwts");
  EXPECT_EQ(logged->at("query").as_string(),
            std::string("audience_id=") + kAudience + "&page_size=5");
  EXPECT_EQ(logged->at("status").to_number<int>(), 200);
  EXPECT_TRUE(logged->at("auth_token_present").as_bool());
  bool token_header = false;
  for (const json::value& name : logged->at("header_names").as_array()) {
    if (name.as_string() == "X-Auth-Token") token_header = true;
  }
  EXPECT_TRUE(token_header) << capstan::core::SerializeJson(logged->at("header_names"));
}

TEST_F(CallCliTest, ExplicitCapabilityFileAndDeclaredQueryOrder) {
  Outcome run =
      Capstan({"call", "iam-jwts.listjwts", "page_size=2", "expired=false",
               "order_by=created_at_asc", std::string("audience-id=") + kAudience, "--capability",
               "capabilities/scaleway-iam-jwts.yaml", "--base-uri", BaseUri()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto page = capstan::core::ParseJson(run.out);
  ASSERT_TRUE(page && page->is_object()) << run.out;
  EXPECT_LE(page->as_object().at("jwts").as_array().size(), 2u);
  // Parameters go out in the order the capability declares them, whatever the command line's.
  auto logged = sim_->WaitForRequest("order_by=created_at_asc");
  ASSERT_TRUE(logged);
  EXPECT_EQ(logged->at("query").as_string(), std::string("order_by=created_at_asc&audience_id=") +
                                                 kAudience + "&page_size=2&expired=false");
}

TEST_F(CallCliTest, UnknownJwtExitsOneAndPrintsTheScalewayEnvelope) {
  const std::string jti = "00000000-0000-4000-8000-00000000c0de";
  Outcome run = Capstan({"call", "iam-jwts.getjwt", "jti=" + jti, "--base-uri", BaseUri()});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  auto envelope = capstan::core::ParseJson(run.out);
  ASSERT_TRUE(envelope && envelope->is_object()) << run.out;
  EXPECT_EQ(envelope->as_object().at("type").as_string(), "not_found");
  EXPECT_EQ(envelope->as_object().at("resource").as_string(), "jwt");
  EXPECT_EQ(envelope->as_object().at("resource_id").as_string(), jti);
  EXPECT_NE(run.err.find("404"), std::string::npos) << run.err;
  auto logged = sim_->WaitForRequest(jti);
  ASSERT_TRUE(logged);
  EXPECT_EQ(logged->at("path").as_string(), "/iam/v1alpha1/jwts/" + jti);
  EXPECT_EQ(logged->at("status").to_number<int>(), 404);
}

TEST_F(CallCliTest, AWrongTokenExitsOneWithTheDeniedEnvelope) {
  Outcome run =
      Capstan({"call", "iam-jwts.listjwts", "page=41", kAudienceArg, "--base-uri", BaseUri()},
              std::string("00000000-0000-0000-0000-000000000000"));
  EXPECT_EQ(run.exit_code, 1) << run.err;
  auto envelope = capstan::core::ParseJson(run.out);
  ASSERT_TRUE(envelope && envelope->is_object()) << run.out;
  EXPECT_EQ(envelope->as_object().at("type").as_string(), "denied_authentication");
}

TEST_F(CallCliTest, ABadIntegerExitsTwoBeforeAnyRequest) {
  Outcome run =
      Capstan({"call", "iam-jwts.listjwts", "page_size=abc", "page=43", "--base-uri", BaseUri()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_TRUE(run.out.empty()) << run.out;
  EXPECT_NE(run.err.find("page_size"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("integer"), std::string::npos) << run.err;
  // A later good call is logged; the bad one never was.
  ASSERT_EQ(Capstan({"call", "iam-jwts.listjwts", "page=44", kAudienceArg, "--base-uri", BaseUri()})
                .exit_code,
            0);
  ASSERT_TRUE(sim_->WaitForRequest("page=44"));
  EXPECT_EQ(CountRequests("page=43"), 0u);
}

TEST_F(CallCliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Capstan({"call", "iam-jwts.listjwts", "nope=1", "--base-uri", BaseUri()}).exit_code, 2);
  EXPECT_EQ(Capstan({"call", "iam-jwts.listjwts", "page_size", "--base-uri", BaseUri()}).exit_code,
            2);
  EXPECT_EQ(Capstan({"call", "nonamespace"}).exit_code, 2);
  EXPECT_EQ(Capstan({"call", "unknown-ns.op"}).exit_code, 2);
  Outcome timeout = Capstan({"call", "iam-jwts.listjwts", "--timeout-ms", "other=5"});
  EXPECT_EQ(timeout.exit_code, 2);
  EXPECT_NE(timeout.err.find("other"), std::string::npos) << timeout.err;
  EXPECT_EQ(Capstan({"call", "iam-jwts.listjwts", "--timeout-ms", "iam-jwts=soon"}).exit_code, 2);
}

TEST_F(CallCliTest, AMissingApiKeyIsAStartupErrorNamingIt) {
  Outcome run =
      Capstan({"call", "iam-jwts.listjwts", "page=45", kAudienceArg, "--base-uri", BaseUri()},
              std::nullopt);
  EXPECT_NE(run.exit_code, 0);
  EXPECT_TRUE(run.out.empty()) << run.out;
  EXPECT_NE(run.err.find("SCALEWAY_API_KEY"), std::string::npos) << run.err;
  ASSERT_EQ(Capstan({"call", "iam-jwts.listjwts", "page=46", kAudienceArg, "--base-uri", BaseUri()})
                .exit_code,
            0);
  ASSERT_TRUE(sim_->WaitForRequest("page=46"));
  EXPECT_EQ(CountRequests("page=45"), 0u);
}

TEST(CallCliTimeoutTest, PerNamespaceTimeoutsApply) {
  Simulator slow({"--latency-ms", "400"});
  ASSERT_FALSE(slow.url().empty());
  const std::string base = "iam-jwts=" + slow.url();
  Outcome late = Capstan({"call", "iam-jwts.listjwts", "page=1", kAudienceArg, "--base-uri", base,
                          "--timeout-ms", "iam-jwts=50"});
  EXPECT_EQ(late.exit_code, 1);
  EXPECT_NE(late.err.find("timed out"), std::string::npos) << late.err;
  // NS=MS overrides a shorter default, in either order.
  Outcome in_time = Capstan({"call", "iam-jwts.listjwts", "page=2", kAudienceArg, "--base-uri",
                             base, "--timeout-ms", "50", "--timeout-ms", "iam-jwts=10000"});
  EXPECT_EQ(in_time.exit_code, 0) << in_time.err;
  Outcome short_default = Capstan({"call", "iam-jwts.listjwts", "page=3", kAudienceArg,
                                   "--base-uri", base, "--timeout-ms", "50"});
  EXPECT_EQ(short_default.exit_code, 1);
  EXPECT_NE(short_default.err.find("timed out"), std::string::npos) << short_default.err;
}

}  // namespace
