// JSONPath parse and evaluation costs over a ~300-element document shaped like a Scaleway IAM
// "list JWTs" answer (the mapping work of one proxied request).
#include <string>

#include <benchmark/benchmark.h>

#include "core/json.hpp"
#include "mapping/json_path.hpp"

namespace capstan::mapping {
namespace {

std::string MakeDocument(int count) {
  std::string text = R"({"jwts":[)";
  for (int i = 0; i < count; ++i) {
    if (i > 0) text += ',';
    std::string n = std::to_string(i);
    text += R"({"jti":"jwt-)" + n + R"(","issuer_id":"user-)" + std::to_string(i % 17) +
            R"(","audience_id":"app-)" + std::to_string(i % 5) + R"(","refresh_count":)" + n +
            R"(,"created_at":"2024-05-01T10:00:00Z","updated_at":"2024-05-02T10:00:00Z",)" +
            R"("expires_at":"2024-06-01T10:00:00Z","ip":"10.0.)" + std::to_string(i % 256) +
            R"(.1","user_agent":")" + (i % 3 == 0 ? "curl/8.0" : "Mozilla/5.0") + R"(","id":")" +
            n + R"("})";
  }
  text += R"(],"total_count":)" + std::to_string(count) + "}";
  return text;
}

const json::value& Document() {
  static const json::value doc = *core::ParseJson(MakeDocument(300));
  return doc;
}

constexpr const char* kChild = "$.jwts[*].jti";
constexpr const char* kDescendant = "$..id";
constexpr const char* kFilter = "$.jwts[?@.refresh_count >= 150 && @.user_agent == 'curl/8.0'].jti";
constexpr const char* kRegexFilter = "$.jwts[?match(@.ip, '10\\\\.0\\\\.1[0-9]\\\\.1')].jti";

void BM_ParseDocument(benchmark::State& state) {
  std::string text = MakeDocument(300);
  for (auto _ : state) benchmark::DoNotOptimize(core::ParseJson(text));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ParseDocument);

void BM_Parse(benchmark::State& state, const char* query) {
  for (auto _ : state) benchmark::DoNotOptimize(JsonPath::Parse(query));
}
BENCHMARK_CAPTURE(BM_Parse, child, kChild);
BENCHMARK_CAPTURE(BM_Parse, descendant, kDescendant);
BENCHMARK_CAPTURE(BM_Parse, filter, kFilter);
BENCHMARK_CAPTURE(BM_Parse, regex_filter, kRegexFilter);

void BM_Evaluate(benchmark::State& state, const char* query) {
  const json::value& doc = Document();
  JsonPath path = *JsonPath::Parse(query);
  std::size_t nodes = 0;
  for (auto _ : state) {
    auto result = path.Evaluate(doc);
    nodes = result.size();
    benchmark::DoNotOptimize(result);
  }
  state.counters["nodes"] = static_cast<double>(nodes);
}
BENCHMARK_CAPTURE(BM_Evaluate, child, kChild);
BENCHMARK_CAPTURE(BM_Evaluate, descendant, kDescendant);
BENCHMARK_CAPTURE(BM_Evaluate, filter, kFilter);
BENCHMARK_CAPTURE(BM_Evaluate, regex_filter, kRegexFilter);

void BM_EvaluateWithPaths(benchmark::State& state) {
  const json::value& doc = Document();
  JsonPath path = *JsonPath::Parse(kChild);
  for (auto _ : state) benchmark::DoNotOptimize(path.EvaluateWithPaths(doc));
}
BENCHMARK(BM_EvaluateWithPaths);

}  // namespace
}  // namespace capstan::mapping
