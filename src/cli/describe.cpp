// `capstan openapi` and `capstan tools`: what a capability serves, described without serving it
// or calling any upstream. Bound environment variables are placeholders: no secret is read.
#include "cli/commands.hpp"
#include "exposes/mcp/catalog.hpp"
#include "exposes/rest/openapi.hpp"
#include "runtime/runtime.hpp"

namespace capstan::cli {
namespace {

namespace json = core::json;

// A runtime to compile the adapters with: every environment variable reads as a placeholder
// (a URI, since some files take their base URI from one). Nothing is ever sent with it.
std::shared_ptr<const runtime::Runtime> DescribeRuntime(
    const std::shared_ptr<const spec::Capability>& capability, std::ostream& err) {
  runtime::RuntimeOptions options;
  options.env = [](const std::string& name) -> std::optional<std::string> {
    if (name.rfind("CAPSTAN_", 0) == 0) return std::nullopt;  // no overrides: the file as written
    return std::string("http://placeholder.invalid");         // also a valid base URI
  };
  auto rt = runtime::Runtime::Create(capability, std::move(options));
  if (!rt) {
    err << "capstan: " << capability->file << ": " << rt.error().message << "\n";
    return nullptr;
  }
  return *rt;
}

}  // namespace

int RunOpenApi(const DescribeArgs& args, std::ostream& out, std::ostream& err) {
  if (args.files.size() != 1) {
    err << "capstan: openapi takes one capability file\n";
    return kExitUsage;
  }
  auto capability = LoadOrReport(args.files.front(), err);
  if (!capability) return kExitInvalid;
  std::vector<const spec::ExposesRest*> rest;
  if (capability->capability) {
    for (const spec::Exposes& e : capability->capability->exposes) {
      if (const auto* r = std::get_if<spec::ExposesRest>(&e)) {
        if (args.adapter.empty() || r->ns == args.adapter) rest.push_back(r);
      }
    }
  }
  if (rest.size() != 1) {
    err << "capstan: " << args.files.front() << ": "
        << (rest.empty()
                ? "no rest adapter" +
                      (args.adapter.empty() ? std::string() : " named '" + args.adapter + "'")
                : std::string("several rest adapters; name one with --adapter NS"))
        << "\n";
    return kExitUsage;
  }
  auto rt = DescribeRuntime(capability, err);
  if (!rt) return kExitInvalid;
  auto document = rest::ExportOpenApi(rt, *rest.front(), rest::OpenApiOptions{args.server});
  if (!document) {
    err << "capstan: " << document.error().message << "\n";
    return kExitInvalid;
  }
  out << core::SerializeJson(json::value(std::move(*document))) << "\n";
  return kExitOk;
}

int RunTools(const DescribeArgs& args, std::ostream& out, std::ostream& err) {
  json::array adapters;
  for (const std::string& file : args.files) {
    auto capability = LoadOrReport(file, err);
    if (!capability) return kExitInvalid;
    auto rt = DescribeRuntime(capability, err);
    if (!rt) return kExitInvalid;
    if (!capability->capability) continue;
    for (const spec::Exposes& e : capability->capability->exposes) {
      const auto* m = std::get_if<spec::ExposesMcp>(&e);
      if (m == nullptr || (!args.adapter.empty() && m->ns != args.adapter)) continue;
      auto catalog = mcp::BuildCatalog(rt, *m);
      if (!catalog) {
        err << "capstan: " << file << ": " << catalog.error().message << "\n";
        return kExitInvalid;
      }
      json::array tools;
      for (const mcp::Tool& t : catalog->tools) tools.emplace_back(t.definition);
      adapters.emplace_back(
          json::object{{"namespace", m->ns}, {"file", file}, {"tools", std::move(tools)}});
    }
  }
  if (adapters.empty()) {
    err << "capstan: no mcp adapter"
        << (args.adapter.empty() ? std::string() : " named '" + args.adapter + "'") << "\n";
    return kExitUsage;
  }
  out << core::SerializeJson(json::value(json::object{{"adapters", std::move(adapters)}})) << "\n";
  return kExitOk;
}

}  // namespace capstan::cli
