// End-to-end tests of `capstan validate`: runs the built binary (CAPSTAN_BINARY) and checks exit
// codes and the text and JSON output formats.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/json.hpp"

namespace {

namespace fs = std::filesystem;
namespace json = capstan::core::json;

const fs::path kShared = CAPSTAN_SHARED_DIR;
const fs::path kSource = CAPSTAN_SOURCE_DIR;
const std::string kSeed = (kShared / "capabilities/scaleway/iam-jwts.yaml").string();

struct Outcome {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

std::string ReadFile(const fs::path& path) {
  std::string text;
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) text.append(buffer, n);
    std::fclose(f);
  }
  return text;
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

Outcome Capstan(const std::vector<std::string>& args) {
  fs::path err_file =
      fs::temp_directory_path() / ("capstan-cli-test-" + std::to_string(::getpid()) + ".err");
  std::string command = Quote(CAPSTAN_BINARY);
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

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

TEST(ValidateCliTest, AllScalewayCapabilitiesExitZero) {
  std::vector<std::string> args = {"validate"};
  for (const auto& entry : fs::directory_iterator(kShared / "capabilities/scaleway")) {
    if (entry.path().extension() == ".yaml") args.push_back(entry.path().string());
  }
  ASSERT_EQ(args.size(), 83u);
  Outcome run = Capstan(args);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("82 file(s), 0 error(s)"), std::string::npos) << run.err;
  EXPECT_EQ(run.out.find(": error:"), std::string::npos);
}

TEST(ValidateCliTest, StrictSeedListsItsDeviationsAsErrorsSortedByLine) {
  Outcome run = Capstan({"validate", "--strict", kSeed});
  EXPECT_EQ(run.exit_code, 1);
  std::vector<std::string> lines = Lines(run.out);
  ASSERT_EQ(lines.size(), 37u) << run.out;
  int previous = 0;
  int errors = 0;
  for (const std::string& line : lines) {
    // FILE:LINE:COL: error: message [rule-id]
    ASSERT_EQ(line.rfind(kSeed + ":", 0), 0u) << line;
    std::size_t line_start = kSeed.size() + 1;
    std::size_t col_start = line.find(':', line_start) + 1;
    int number = std::stoi(line.substr(line_start));
    EXPECT_GE(number, previous);
    previous = number;
    EXPECT_GT(std::stoi(line.substr(col_start)), 0);
    // Schema deviations are errors; the schema-valid with-prefix convention stays a warning.
    if (line.find(": error: ") != std::string::npos) {
      ++errors;
    } else {
      EXPECT_NE(line.find(": warning: "), std::string::npos) << line;
      EXPECT_NE(line.find("[dialect-with-prefix]"), std::string::npos) << line;
    }
    EXPECT_EQ(line.back(), ']');
    EXPECT_NE(line.find(" [dialect-"), std::string::npos) << line;
  }
  EXPECT_EQ(errors, 23);
  EXPECT_NE(run.out.find(kSeed + ":94:5: error: "), std::string::npos);
  EXPECT_NE(run.out.find("[dialect-rest-description]"), std::string::npos);
}

TEST(ValidateCliTest, DefaultModeReportsWarningsAndExitsZero) {
  Outcome run = Capstan({"validate", kSeed});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_NE(run.out.find(kSeed + ":36:11: warning: "), std::string::npos) << run.out;
  EXPECT_NE(run.err.find("0 error(s), 37 warning(s)"), std::string::npos) << run.err;
}

TEST(ValidateCliTest, TutorialCapabilitiesPassStrict) {
  std::vector<std::string> args = {"validate", "--strict"};
  for (const auto& entry : fs::directory_iterator(kShared / "naftiko/tutorial")) {
    if (entry.path().extension() == ".yml") args.push_back(entry.path().string());
  }
  ASSERT_EQ(args.size(), 13u);
  Outcome run = Capstan(args);
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(run.out, "");
}

TEST(ValidateCliTest, JsonFormatIsAnArrayOfDiagnostics) {
  Outcome run = Capstan({"validate", "--format", "json", "--strict", kSeed});
  EXPECT_EQ(run.exit_code, 1);
  auto parsed = capstan::core::ParseJson(run.out);
  ASSERT_TRUE(parsed.has_value()) << run.out;
  ASSERT_TRUE(parsed->is_array());
  const json::array& array = parsed->as_array();
  ASSERT_EQ(array.size(), 37u);
  const json::object& first = array[0].as_object();
  EXPECT_EQ(first.at("file").as_string(), kSeed);
  EXPECT_EQ(first.at("line").as_int64(), 36);
  EXPECT_EQ(first.at("column").as_int64(), 11);
  EXPECT_EQ(first.at("severity").as_string(), "error");
  EXPECT_EQ(first.at("rule").as_string(), "dialect-consumed-param-keys");
  EXPECT_FALSE(first.at("message").as_string().empty());

  Outcome clean = Capstan({"validate", "--format", "json",
                           (kSource / "src/spec/testdata/valid-minimal.yaml").string()});
  EXPECT_EQ(clean.exit_code, 0);
  EXPECT_EQ(clean.out, "[]\n");
}

TEST(ValidateCliTest, ErrorsExitOne) {
  Outcome run =
      Capstan({"validate", (kSource / "src/spec/testdata/broken/port-conflict.yaml").string(),
               (kSource / "src/spec/testdata/broken/duplicate-key.yaml").string()});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.out.find("duplicate-key.yaml:7:7: error: "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("[port-conflict]"), std::string::npos) << run.out;
  // Sorted by file: duplicate-key.yaml comes before port-conflict.yaml.
  EXPECT_LT(run.out.find("duplicate-key.yaml"), run.out.find("port-conflict.yaml"));
}

TEST(ValidateCliTest, UnreadableFileExitsTwo) {
  Outcome run = Capstan({"validate", kSeed, "/nonexistent/capability.yaml"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("/nonexistent/capability.yaml"), std::string::npos) << run.err;
  EXPECT_NE(run.out.find(kSeed), std::string::npos);  // the readable file is still reported
}

TEST(ValidateCliTest, BadUsageExitsTwo) {
  EXPECT_EQ(Capstan({"validate"}).exit_code, 2);
  EXPECT_EQ(Capstan({"validate", "--format", "xml", kSeed}).exit_code, 2);
  EXPECT_EQ(Capstan({"validate", "--bogus", kSeed}).exit_code, 2);
  EXPECT_EQ(Capstan({"no-such-command"}).exit_code, 2);
  EXPECT_EQ(Capstan({"validate", "--help"}).exit_code, 0);
  EXPECT_EQ(Capstan({"--version"}).exit_code, 0);
}

}  // namespace
