// libFuzzer target for mapping::JsonPath. Input: the first line is the query, the rest a JSON
// document. Checks: no crash; the lenient parser accepts a superset with the same meaning;
// singular queries select at most one node; every normalized path selects exactly its node.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/json.hpp"
#include "mapping/json_path.hpp"

namespace {

constexpr std::size_t kMaxWork = 20000;
constexpr std::size_t kMaxPathChecks = 64;

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using capstan::mapping::JsonPath;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t newline = input.find('\n');
  std::string_view selector = input.substr(0, newline);
  std::string_view document =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  auto strict = JsonPath::Parse(selector);
  auto lenient = JsonPath::ParseLenient(selector);
  if (strict) Check(lenient.has_value());
  if (!lenient) return 0;

  auto doc = capstan::core::ParseJson(document, {.max_depth = 64});
  if (!doc) return 0;
  auto nodes = lenient->EvaluateBounded(*doc, kMaxWork);
  if (!nodes) return 0;
  if (strict) {
    auto same = strict->EvaluateBounded(*doc, kMaxWork);
    Check(same.has_value() && *same == *nodes);
  }
  if (lenient->IsSingular()) {
    Check(nodes->size() <= 1);
    Check(lenient->EvaluateFirst(*doc) == (nodes->empty() ? nullptr : nodes->front()));
  }
  // Same walk as the bounded evaluation, so it is bounded too.
  auto located = lenient->EvaluateWithPaths(*doc);
  Check(located.size() == nodes->size());
  for (std::size_t i = 0; i < located.size() && i < kMaxPathChecks; ++i) {
    Check(located[i].value == (*nodes)[i]);
    auto normalized = JsonPath::Parse(located[i].path);
    Check(normalized.has_value() && normalized->IsSingular());
    Check(normalized->EvaluateFirst(*doc) == located[i].value);
  }
  return 0;
}
