// Runs the official JSON-Schema-Test-Suite (draft 2020-12) from the shared data folder and checks
// the pass rate and that no case outside testdata/known_failures.txt fails.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/json.hpp"
#include "jsonschema/schema.hpp"

namespace capstan::jsonschema {
namespace {

namespace fs = std::filesystem;

const fs::path kSuiteDir = fs::path(CAPSTAN_SHARED_DIR) / "conformance" / "json-schema-2020-12";
const fs::path kKnownFailures =
    fs::path(CAPSTAN_SOURCE_DIR) / "src" / "jsonschema" / "testdata" / "known_failures.txt";
constexpr std::string_view kRemotePrefix = "http://localhost:1234/";

std::optional<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string Trim(std::string s) {
  auto not_space = [](unsigned char c) { return std::isspace(c) == 0; };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

// "file | group | test" keys.
std::set<std::string> LoadKnownFailures() {
  std::set<std::string> keys;
  std::ifstream in(kKnownFailures);
  std::string line;
  while (std::getline(in, line)) {
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (int i = 0; i < 2; ++i) {
      std::size_t bar = line.find(" | ", start);
      if (bar == std::string::npos) break;
      parts.push_back(Trim(line.substr(start, bar - start)));
      start = bar + 3;
    }
    parts.push_back(Trim(line.substr(start)));
    if (parts.size() == 3) keys.insert(parts[0] + " | " + parts[1] + " | " + parts[2]);
  }
  return keys;
}

std::optional<json::value> ResolveRemote(const std::string& uri) {
  if (!uri.starts_with(kRemotePrefix)) return std::nullopt;
  auto text = ReadFile(kSuiteDir / "remotes" / uri.substr(kRemotePrefix.size()));
  if (!text) return std::nullopt;
  auto value = core::ParseJson(*text);
  if (!value) return std::nullopt;
  return std::move(*value);
}

TEST(JsonSchemaSuiteTest, Draft2020_12) {
  ASSERT_TRUE(fs::is_directory(kSuiteDir)) << kSuiteDir;
  const std::set<std::string> known = LoadKnownFailures();
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(kSuiteDir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());

  CompileOptions options;
  options.resolver = ResolveRemote;
  std::size_t total = 0;
  std::size_t passed = 0;
  std::vector<std::string> failures;
  std::set<std::string> seen_known;
  for (const auto& file : files) {
    auto text = ReadFile(file);
    ASSERT_TRUE(text) << file;
    auto groups = core::ParseJson(*text);
    ASSERT_TRUE(groups) << file << ": " << groups.error().message;
    const std::string file_name = file.filename().string();
    for (const auto& group : groups->as_array()) {
      const auto& g = group.as_object();
      const std::string group_name(g.at("description").as_string());
      auto schema = Schema::Compile(g.at("schema"), options);
      for (const auto& test : g.at("tests").as_array()) {
        const auto& t = test.as_object();
        const std::string test_name(t.at("description").as_string());
        const bool expected = t.at("valid").as_bool();
        const std::string key = file_name + " | " + group_name + " | " + test_name;
        ++total;
        std::string problem;
        if (!schema) {
          problem = "schema does not compile: " + schema.error().message;
        } else {
          const bool fast = schema->IsValid(t.at("data"));
          const auto errors = schema->Validate(t.at("data"));
          if (fast != errors.empty()) {
            problem = "IsValid and Validate disagree";
          } else if (fast != expected) {
            problem = std::string("expected ") + (expected ? "valid" : "invalid");
            if (!errors.empty()) problem += " (first error: " + errors[0].message + ")";
          }
        }
        if (problem.empty()) {
          ++passed;
          if (known.contains(key)) std::cout << "[known failure now passes] " << key << "\n";
          continue;
        }
        if (known.contains(key)) {
          seen_known.insert(key);
        } else {
          failures.push_back(key + ": " + problem);
        }
      }
    }
  }
  const double rate = 100.0 * static_cast<double>(passed) / static_cast<double>(total);
  std::cout << "JSON-Schema-Test-Suite draft2020-12: " << passed << "/" << total << " passed ("
            << rate << "%), " << seen_known.size() << " known failures\n";
  RecordProperty("passed", static_cast<int>(passed));
  RecordProperty("total", static_cast<int>(total));
  EXPECT_GE(rate, 95.0);
  for (const auto& failure : failures) ADD_FAILURE() << "unexpected failure: " << failure;
}

}  // namespace
}  // namespace capstan::jsonschema
