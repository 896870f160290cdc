// The runtime's per-request work around the network: building the seed capability's upstream
// requests (listjwts, getjwt), mapping a ~300-element "list JWTs" answer (identity pass-through
// versus a JSONPath mapping), and rendering templates.
#include <string>

#include <benchmark/benchmark.h>

#include "core/json.hpp"
#include "mapping/template.hpp"
#include "runtime/runtime.hpp"
#include "spec/loader.hpp"

namespace capstan::runtime {
namespace {

std::shared_ptr<Runtime> SeedRuntime() {
  static std::shared_ptr<Runtime> rt = [] {
    auto loaded = spec::LoadCapability(std::string(CAPSTAN_SOURCE_DIR) +
                                       "/capabilities/scaleway-iam-jwts.yaml");
    if (!loaded || !loaded->ok()) std::abort();
    RuntimeOptions options;
    options.env = [](const std::string& name) -> std::optional<std::string> {
      if (name == "SCALEWAY_API_KEY") return "6c7ef130-6442-42fd-b525-ccf941221566";
      return std::nullopt;
    };
    options.base_uris["iam-jwts"] = "http://127.0.0.1:8081";
    auto created = Runtime::Create(loaded->capability, options);
    if (!created) std::abort();
    return *created;
  }();
  return rt;
}

std::string MakeBody(int count) {
  std::string text = R"({"jwts":[)";
  for (int i = 0; i < count; ++i) {
    if (i > 0) text += ',';
    std::string n = std::to_string(i);
    text +=
        R"({"jti":"876feec6-561b-4ae0-80d1-)" + std::string(12 - n.size(), '0') + n +
        R"(","issuer_id":"9e57858d-7555-463e-9c74-2dc2d02019b8",)"
        R"("audience_id":"9e57858d-7555-463e-9c74-2dc2d02019b8",)"
        R"("created_at":"2026-10-11T11:49:19.882226Z","updated_at":"2026-10-11T11:49:19.882226Z",)"
        R"("expires_at":)" +
        (i % 4 == 0 ? std::string("null") : R"("2026-10-12T11:49:19.882226Z")") +
        R"(,"ip":"203.0.113.)" + std::to_string(i % 256) +
        R"(","user_agent":"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"})";
  }
  text += R"(],"total_count":)" + std::to_string(count) + "}";
  return text;
}

consumes::UpstreamResponse Response(const std::string& body) {
  consumes::UpstreamResponse r;
  r.status = 200;
  r.headers.Set("Content-Type", "application/json");
  r.body = body;
  return r;
}

void BM_BuildListJwts(benchmark::State& state) {
  auto rt = SeedRuntime();
  auto op = rt->FindOperation("iam-jwts.listjwts");
  json::object args;
  args["audience_id"] = "9e57858d-7555-463e-9c74-2dc2d02019b8";
  args["page_size"] = 5;
  args["order_by"] = "created_at_desc";
  for (auto _ : state) benchmark::DoNotOptimize(op->BuildRequest(args));
}
BENCHMARK(BM_BuildListJwts);

void BM_BuildGetJwt(benchmark::State& state) {
  auto rt = SeedRuntime();
  auto op = rt->FindOperation("iam-jwts.getjwt");
  json::object args;
  args["jti"] = "876feec6-561b-4ae0-80d1-6237a8f146db";
  for (auto _ : state) benchmark::DoNotOptimize(op->BuildRequest(args));
}
BENCHMARK(BM_BuildGetJwt);

// The upstream body is copied into the response each iteration (MapResponse consumes it); the
// copy alone is measured by BM_CopyBody.
void BM_CopyBody(benchmark::State& state) {
  const std::string body = MakeBody(300);
  for (auto _ : state) benchmark::DoNotOptimize(Response(body));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_CopyBody);

void BM_MapResponseIdentity(benchmark::State& state) {
  const std::string body = MakeBody(300);
  auto identity = OutputMapping::Compile({});
  for (auto _ : state) {
    benchmark::DoNotOptimize(MapResponse(Response(body), *identity, nullptr, {}));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_MapResponseIdentity);

void BM_MapResponseMapped(benchmark::State& state) {
  const std::string body = MakeBody(300);
  auto field = [](const char* name, spec::ValueType type, const char* path) {
    spec::OutputParameter p;
    p.name = name;
    p.type = type;
    p.mapping = path;
    return p;
  };
  spec::OutputParameter item;
  item.type = spec::ValueType::kObject;
  item.properties = {field("id", spec::ValueType::kString, "$.jti"),
                     field("user", spec::ValueType::kString, "$.audience_id"),
                     field("expires", spec::ValueType::kString, "$.expires_at")};
  spec::OutputParameter list = field("tokens", spec::ValueType::kArray, "$.jwts");
  list.items = {item};
  spec::OutputParameter root;
  root.type = spec::ValueType::kObject;
  root.properties = {list, field("total", spec::ValueType::kInteger, "$.total_count")};
  auto mapped = OutputMapping::Compile({root});
  if (!mapped) std::abort();
  for (auto _ : state) {
    benchmark::DoNotOptimize(MapResponse(Response(body), *mapped, nullptr, {}));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_MapResponseMapped);

void BM_TemplateRender(benchmark::State& state, const char* text, mapping::TemplateSyntax syntax,
                       mapping::Escaping escaping) {
  auto tpl = mapping::Template::Compile(text, syntax);
  if (!tpl) std::abort();
  auto lookup = [](std::string_view name) -> std::optional<std::string_view> {
    if (name == "env.SCALEWAY_API_KEY") return "6c7ef130-6442-42fd-b525-ccf941221566";
    return "876feec6-561b-4ae0-80d1-6237a8f146db";
  };
  for (auto _ : state) benchmark::DoNotOptimize(mapping::Render(*tpl, lookup, escaping));
}
BENCHMARK_CAPTURE(BM_TemplateRender, auth_header, "{{env.SCALEWAY_API_KEY}}",
                  mapping::TemplateSyntax::kDoubleBrace, mapping::Escaping::kHeaderValue);
BENCHMARK_CAPTURE(BM_TemplateRender, path_segment, "/iam/v1alpha1/jwts/{jti}",
                  mapping::TemplateSyntax::kPath, mapping::Escaping::kPathSegment);
BENCHMARK_CAPTURE(BM_TemplateRender, json_string,
                  R"({"jti": "{{jti}}", "note": "issued for {{jti}} by {{env.SCALEWAY_API_KEY}}"})",
                  mapping::TemplateSyntax::kDoubleBrace, mapping::Escaping::kJsonString);

void BM_TemplateCompile(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(mapping::Template::Compile("/iam/v1alpha1/jwts/{jti}/{{other}}",
                                                        mapping::TemplateSyntax::kPath));
  }
}
BENCHMARK(BM_TemplateCompile);

}  // namespace
}  // namespace capstan::runtime
