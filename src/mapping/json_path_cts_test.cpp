// Runs the whole JSONPath Compliance Test Suite (jsonpath-standard/jsonpath-compliance-test-suite,
// shared/conformance/jsonpath/cts.json) against JsonPath: results, normalized paths and rejections.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/json.hpp"
#include "mapping/json_path.hpp"

namespace capstan::mapping {
namespace {

json::value LoadSuite() {
  std::ifstream in(std::string(CAPSTAN_SHARED_DIR) + "/conformance/jsonpath/cts.json",
                   std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto parsed = core::ParseJson(buffer.str());
  if (!parsed) {
    ADD_FAILURE() << "cannot read cts.json: " << parsed.error().message;
    return json::value();
  }
  return std::move(*parsed);
}

// True when `nodes` (values and paths) equal one of the allowed orders.
bool MatchesAny(const std::vector<LocatedNode>& nodes, const json::array& results,
                const json::array* paths) {
  for (std::size_t r = 0; r < results.size(); ++r) {
    const json::array& expected = results[r].as_array();
    if (expected.size() != nodes.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < nodes.size() && same; ++i) {
      same = *nodes[i].value == expected[i];
      if (same && paths != nullptr) {
        same = nodes[i].path == std::string_view((*paths)[r].as_array()[i].as_string());
      }
    }
    if (same) return true;
  }
  return false;
}

std::string Describe(const std::vector<LocatedNode>& nodes) {
  std::string out = "[";
  for (const LocatedNode& node : nodes) {
    if (out.size() > 1) out += ", ";
    out += node.path + " = " + core::SerializeJson(*node.value);
  }
  return out + "]";
}

TEST(JsonPathCtsTest, PassesTheWholeComplianceSuite) {
  json::value suite = LoadSuite();
  ASSERT_TRUE(suite.is_object());
  const json::array& tests = suite.at("tests").as_array();
  ASSERT_GT(tests.size(), 600u);
  std::size_t passed = 0;
  std::vector<std::string> failures;
  for (const json::value& entry : tests) {
    const json::object& test = entry.as_object();
    std::string name(test.at("name").as_string());
    std::string selector(test.at("selector").as_string());
    auto path = JsonPath::Parse(selector);
    std::string failure;
    if (const json::value* invalid = test.if_contains("invalid_selector");
        invalid != nullptr && invalid->as_bool()) {
      if (path) failure = "accepted an invalid selector";
    } else if (!path) {
      failure = "rejected: " + path.error().message;
    } else {
      const json::value& document = test.at("document");
      std::vector<LocatedNode> nodes = path->EvaluateWithPaths(document);
      json::array results;
      json::array paths;
      if (const json::value* one = test.if_contains("result")) {
        results.push_back(*one);
        paths.push_back(test.at("result_paths"));
      } else {
        results = test.at("results").as_array();
        paths = test.at("results_paths").as_array();
      }
      JsonPath::NodeList plain = path->Evaluate(document);
      bool plain_same = plain.size() == nodes.size();
      for (std::size_t i = 0; plain_same && i < plain.size(); ++i) {
        plain_same = plain[i] == nodes[i].value;
      }
      if (!MatchesAny(nodes, results, &paths)) {
        failure = "got " + Describe(nodes) + ", want " + core::SerializeJson(results) + " at " +
                  core::SerializeJson(paths);
      } else if (!plain_same) {
        failure = "Evaluate and EvaluateWithPaths disagree";
      } else if (path->IsSingular() && nodes.size() > 1) {
        failure = "singular query selected several nodes";
      } else {
        auto lenient = JsonPath::ParseLenient(selector);
        if (!lenient || lenient->Evaluate(document) != plain) {
          failure = "lenient parse changes the meaning of a valid query";
        }
      }
    }
    if (failure.empty()) {
      ++passed;
    } else {
      failures.push_back(name + "\n    selector: " + selector + "\n    " + failure);
    }
  }
  std::cout << "JSONPath CTS: " << passed << "/" << tests.size() << " passed\n";
  for (const std::string& failure : failures) ADD_FAILURE() << failure;
  EXPECT_EQ(passed, tests.size());
}

}  // namespace
}  // namespace capstan::mapping
