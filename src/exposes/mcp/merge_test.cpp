#include "exposes/mcp/merge.hpp"

#include <gtest/gtest.h>

#include "http/server.hpp"
#include "http/testing/test_client.hpp"
#include "spec/loader.hpp"

namespace capstan::mcp {
namespace {

using http::Headers;
using http::TestClient;

json::value Parse(std::string_view text) {
  auto v = core::ParseJson(text);
  EXPECT_TRUE(v) << text;
  return v ? *v : json::value();
}

// A capability whose mcp adapter `ns` offers `tools` (each calls up.get-item; a name ending in
// "-ro" is readOnly). Optional bearer auth.
std::string CapabilityText(std::string_view ns, const std::vector<std::string>& tools,
                           bool auth = false, std::string_view resource = {}) {
  std::string text = R"YAML(naftiko: 1.0.0-alpha2
info:
  label: t
  description: t
capability:
  consumes:
  - type: http
    namespace: up-)YAML" +
                     std::string(ns) +
                     R"YAML(
    baseUri: http://127.0.0.1:9
    description: upstream
    resources:
    - name: items
      path: /items/{id}
      operations:
      - name: get-item
        method: GET
        inputParameters:
        - name: id
          in: path
  exposes:
  - type: mcp
    namespace: )YAML" +
                     std::string(ns) +
                     R"YAML(
    port: 9091
    description: The )YAML" +
                     std::string(ns) + " server.\n";
  if (auth) {
    text += "    authentication:\n      type: bearer\n      token: secret\n";
  }
  if (!resource.empty()) {
    text += "    resources:\n    - name: r\n      label: r\n      uri: " + std::string(resource) +
            "\n      description: r\n      location: file:///tmp\n";
  }
  text += "    tools:\n";
  for (const std::string& t : tools) {
    text += "    - name: " + t + "\n      description: " + t + " of " + std::string(ns) +
            "\n      inputParameters:\n      - name: id\n        type: string\n        required: "
            "true\n" +
            "        description: id\n      call: up-" + std::string(ns) +
            ".get-item\n      with:\n        id: " + std::string(ns) + ".id\n";
    if (t.size() > 3 && t.substr(t.size() - 3) == "-ro") {
      text += "      hints:\n        readOnly: true\n";
    }
  }
  return text;
}

struct Loaded {
  std::shared_ptr<const spec::Capability> capability;
  std::shared_ptr<const runtime::Runtime> runtime;
  const spec::ExposesMcp* spec = nullptr;
};

Loaded Load(const std::string& text, const std::string& file,
            runtime::RuntimeOptions options = {}) {
  Loaded out;
  auto loaded = spec::LoadCapabilityFromString(text, file);
  EXPECT_TRUE(loaded.ok()) << (loaded.diagnostics.empty() ? "" : loaded.diagnostics[0].message);
  if (!loaded.ok()) return out;
  out.capability = loaded.capability;
  auto rt = runtime::Runtime::Create(loaded.capability, std::move(options));
  EXPECT_TRUE(rt) << rt.error().message;
  if (!rt) return out;
  out.runtime = *rt;
  out.spec = &std::get<spec::ExposesMcp>(out.capability->capability->exposes[0]);
  return out;
}

CatalogPart PartOf(const Loaded& l, const std::string& file) {
  auto catalog = BuildCatalog(l.runtime, *l.spec);
  EXPECT_TRUE(catalog);
  return CatalogPart{l.spec->ns, "mcp adapter '" + l.spec->ns + "' (" + file + ")",
                     catalog ? std::move(*catalog) : Catalog{}};
}

std::vector<std::string> Names(const Catalog& c) {
  std::vector<std::string> out;
  for (const Tool& t : c.tools) {
    out.push_back(t.name);
    EXPECT_EQ(t.definition.at("name").as_string(), t.name);  // the listing says the same
    EXPECT_EQ(c.FindTool(t.name), &t);
  }
  return out;
}

TEST(ParseToolControls, ReadsEveryMember) {
  auto controls = ParseToolControls(Parse(R"({
    "include": ["list-*", "b-mcp/get-*"], "exclude": ["*-secret"], "readOnly": true,
    "tools": {"list-a": {"name": "la", "description": "Lists.",
                         "hints": {"readOnly": true, "destructive": false,
                                   "idempotent": true, "openWorld": false}}}})"));
  ASSERT_TRUE(controls) << controls.error().message;
  EXPECT_EQ(controls->include, (std::vector<std::string>{"list-*", "b-mcp/get-*"}));
  EXPECT_EQ(controls->exclude, (std::vector<std::string>{"*-secret"}));
  EXPECT_TRUE(controls->read_only);
  ASSERT_EQ(controls->overrides.size(), 1u);
  const ToolOverride& o = controls->overrides[0].second;
  EXPECT_EQ(controls->overrides[0].first, "list-a");
  EXPECT_EQ(o.name, "la");
  EXPECT_EQ(o.description, "Lists.");
  EXPECT_EQ(o.hints.read_only, true);
  EXPECT_EQ(o.hints.destructive, false);
  EXPECT_EQ(o.hints.idempotent, true);
  EXPECT_EQ(o.hints.open_world, false);
  EXPECT_FALSE(controls->empty());
  auto none = ParseToolControls(json::value());
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST(ParseToolControls, RejectsWhatItDoesNotKnow) {
  struct Case {
    const char* doc;
    const char* message;
  };
  for (const Case& c : {
           Case{R"([])", "(document): expects a mapping"},
           Case{R"({"inclde": []})", "inclde: unknown member"},
           Case{R"({"include": "x"})", "include: expects a list"},
           Case{R"({"exclude": [""]})", "exclude: expects non-empty strings"},
           Case{R"({"exclude": [1]})", "exclude: expects non-empty strings"},
           Case{R"({"readOnly": "yes"})", "readOnly: expects true or false"},
           Case{R"({"tools": []})", "tools: expects a mapping"},
           Case{R"({"tools": {"a": 1}})", "tools.a: expects a mapping"},
           Case{R"({"tools": {"a": {"title": "x"}}})", "tools.a.title: unknown member"},
           Case{R"({"tools": {"a": {"name": ""}}})", "tools.a.name: expects a non-empty string"},
           Case{R"({"tools": {"a": {"hints": {"readonly": true}}}})",
                "tools.a.hints.readonly: unknown hint"},
           Case{R"({"tools": {"a": {"hints": {"readOnly": 1}}}})",
                "tools.a.hints.readOnly: expects true or false"},
       }) {
    auto parsed = ParseToolControls(Parse(c.doc));
    ASSERT_FALSE(parsed) << c.doc;
    EXPECT_NE(parsed.error().message.find(c.message), std::string::npos)
        << c.doc << " → " << parsed.error().message;
  }
}

TEST(ParseToolClash, KnowsThreePolicies) {
  EXPECT_EQ(ParseToolClash("error"), ToolClash::kError);
  EXPECT_EQ(ParseToolClash("prefix"), ToolClash::kPrefix);
  EXPECT_EQ(ParseToolClash("prefix-all"), ToolClash::kPrefixAll);
  ASSERT_FALSE(ParseToolClash("rename"));
  EXPECT_NE(ParseToolClash("rename").error().message.find("'rename'"), std::string::npos);
}

TEST(ApplyToolControls, FiltersRenamesAndOverridesHints) {
  Loaded a = Load(CapabilityText("a-mcp", {"list-ro", "get-ro", "delete", "secret-ro"}), "a.yaml");
  CatalogPart part = PartOf(a, "a.yaml");
  ToolControls controls;
  controls.include = {"*-ro", "a-mcp/delete"};
  controls.exclude = {"secret-*"};
  controls.read_only = true;
  ToolOverride rename;
  rename.name = "list items!";  // sanitised
  rename.description = "Lists the items.";
  controls.overrides.emplace_back("a-mcp/list-ro", rename);
  ToolOverride unknown;
  unknown.description = "x";
  controls.overrides.emplace_back("no-such-tool", unknown);
  MountReport report;
  ASSERT_TRUE(ApplyToolControls(part, controls, report));
  EXPECT_EQ(Names(part.catalog), (std::vector<std::string>{"list_items_", "get-ro"}));
  EXPECT_EQ(part.catalog.tools[0].definition.at("description"), "Lists the items.");
  EXPECT_EQ(report.override_used, (std::vector<bool>{true, false}));
  std::string all;
  for (const std::string& line : report.lines) all += line + "\n";
  EXPECT_NE(all.find("mcp adapter 'a-mcp' (a.yaml): 1 tool left out (not read-only): delete\n"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("mcp adapter 'a-mcp' (a.yaml): 1 tool left out (excluded): secret-ro\n"),
            std::string::npos);
  EXPECT_NE(all.find("is served as 'list_items_' (tool controls; 'list items!' sanitised)"),
            std::string::npos);

  // An override of the hints decides the read-only filter.
  CatalogPart again = PartOf(a, "a.yaml");
  ToolControls make_read_only;
  make_read_only.read_only = true;
  ToolOverride ro;
  ro.hints.read_only = true;
  ro.hints.destructive = false;
  make_read_only.overrides.emplace_back("delete", ro);
  MountReport report2;
  ASSERT_TRUE(ApplyToolControls(again, make_read_only, report2));
  EXPECT_EQ(Names(again.catalog),
            (std::vector<std::string>{"list-ro", "get-ro", "delete", "secret-ro"}));
  const json::object& annotations = again.catalog.tools[2].definition.at("annotations").as_object();
  EXPECT_EQ(annotations.at("readOnlyHint"), true);
  EXPECT_EQ(annotations.at("destructiveHint"), false);
  EXPECT_EQ(annotations.at("idempotentHint"), false);  // not overridden

  // Two tools renamed to one name: an error, not a silent _2.
  CatalogPart twice = PartOf(a, "a.yaml");
  ToolControls clash;
  ToolOverride same;
  same.name = "one";
  clash.overrides.emplace_back("list-ro", same);
  clash.overrides.emplace_back("get-ro", same);
  MountReport report3;
  auto status = ApplyToolControls(twice, clash, report3);
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message.find("two tools named 'one'"), std::string::npos);
}

TEST(MergeCatalogs, ClashPolicies) {
  // Declared names are kebab-case, so "a-mcp_get" (a name a prefix could make) comes from a
  // rename in the tool controls, which run before the merge.
  Loaded a = Load(CapabilityText("a-mcp", {"list", "get-a", "renamed"}), "a.yaml");
  Loaded b = Load(CapabilityText("b-mcp", {"list", "get-b"}), "b.yaml");
  Loaded c = Load(CapabilityText("c-mcp", {"list", "get"}), "c.yaml");
  auto parts = [&] {
    std::vector<CatalogPart> out;
    out.push_back(PartOf(a, "a.yaml"));
    ToolControls controls;
    ToolOverride rename;
    rename.name = "a-mcp_get";
    controls.overrides.emplace_back("renamed", rename);
    MountReport ignored;
    EXPECT_TRUE(ApplyToolControls(out.back(), controls, ignored));
    out.push_back(PartOf(b, "b.yaml"));
    out.push_back(PartOf(c, "c.yaml"));
    return out;
  };
  {
    MountReport report;
    auto merged = MergeCatalogs(parts(), ToolClash::kError, report);
    ASSERT_FALSE(merged);
    EXPECT_EQ(merged.error().message,
              "tool name 'list' is offered by mcp adapter 'a-mcp' (a.yaml) and by mcp adapter "
              "'b-mcp' (b.yaml) on one listener; rename one (tool controls), give one its own "
              "port, or serve with --mcp-tool-clash prefix");
  }
  {
    MountReport report;
    auto merged = MergeCatalogs(parts(), ToolClash::kPrefix, report);
    ASSERT_TRUE(merged) << merged.error().message;
    // Only the clashing name is prefixed, on every side; names that clash nowhere are kept, and
    // a prefixed name never takes one of them (a-mcp_get is declared by a).
    EXPECT_EQ(Names(*merged),
              (std::vector<std::string>{"a-mcp_list", "get-a", "a-mcp_get", "b-mcp_list", "get-b",
                                        "c-mcp_list", "get"}));
    ASSERT_EQ(report.lines.size(), 3u);
    EXPECT_EQ(report.lines[0],
              "tool 'list' of mcp adapter 'a-mcp' (a.yaml) is served as 'a-mcp_list' (name "
              "clash)");
    EXPECT_EQ(merged->instructions,
              "a-mcp: The a-mcp server.\n\nb-mcp: The b-mcp server.\n\nc-mcp: The c-mcp server.");
    // The invocations stay their adapter's.
    EXPECT_EQ(merged->FindTool("b-mcp_list")->definition.at("description"), "list of b-mcp");
  }
  {
    MountReport report;
    auto merged = MergeCatalogs(parts(), ToolClash::kPrefixAll, report);
    ASSERT_TRUE(merged);
    // a-mcp_get is declared by a; prefix-all makes it a-mcp_a-mcp_get, and c's "get" becomes
    // c-mcp_get: no name is taken twice.
    EXPECT_EQ(Names(*merged),
              (std::vector<std::string>{"a-mcp_list", "a-mcp_get-a", "a-mcp_a-mcp_get",
                                        "b-mcp_list", "b-mcp_get-b", "c-mcp_list", "c-mcp_get"}));
    EXPECT_EQ(report.lines.size(), 7u);
  }
  {
    // The outcome does not depend on the order of the clashing adapters.
    std::vector<CatalogPart> reversed = parts();
    std::swap(reversed[0], reversed[1]);
    MountReport report;
    auto merged = MergeCatalogs(std::move(reversed), ToolClash::kPrefix, report);
    ASSERT_TRUE(merged);
    EXPECT_NE(merged->FindTool("a-mcp_list"), nullptr);
    EXPECT_NE(merged->FindTool("b-mcp_list"), nullptr);
    EXPECT_EQ(merged->FindTool("list"), nullptr);
  }
}

TEST(MergeCatalogs, SameResourceUriIsAnError) {
  Loaded a = Load(CapabilityText("a-mcp", {"x"}, false, "data://shared"), "a.yaml");
  Loaded b = Load(CapabilityText("b-mcp", {"y"}, false, "data://shared"), "b.yaml");
  std::vector<CatalogPart> parts;
  parts.push_back(PartOf(a, "a.yaml"));
  parts.push_back(PartOf(b, "b.yaml"));
  MountReport report;
  auto merged = MergeCatalogs(std::move(parts), ToolClash::kPrefixAll, report);
  ASSERT_FALSE(merged);
  EXPECT_NE(merged.error().message.find("resource 'data://shared' is offered by mcp adapter "
                                        "'a-mcp' (a.yaml) and by mcp adapter 'b-mcp' (b.yaml)"),
            std::string::npos)
      << merged.error().message;
}

TEST(MakeMcpEndpoints, DifferentInboundAuthCannotShareAnEndpoint) {
  auto tls = consumes::MakeTlsContext({});
  ASSERT_TRUE(tls);
  runtime::RuntimeOptions ro;
  ro.tls_context = *tls;
  Loaded a = Load(CapabilityText("a-mcp", {"x"}, true), "a.yaml", ro);
  Loaded b = Load(CapabilityText("b-mcp", {"y"}, false), "b.yaml", ro);
  MountReport report;
  auto endpoints = MakeMcpEndpoints({AdapterSource{a.runtime, a.spec, "a.yaml", {}},
                                     AdapterSource{b.runtime, b.spec, "b.yaml", {}}},
                                    McpOptions{}, MountOptions{}, report);
  ASSERT_FALSE(endpoints);
  EXPECT_NE(endpoints.error().message.find("share a listener but not their inbound "
                                           "authentication"),
            std::string::npos);
  // Separate TLS contexts (runtimes not built by one serve) are refused too.
  Loaded c = Load(CapabilityText("c-mcp", {"z"}), "c.yaml");
  auto mixed = MakeMcpEndpoints({AdapterSource{b.runtime, b.spec, "b.yaml", {}},
                                 AdapterSource{c.runtime, c.spec, "c.yaml", {}}},
                                McpOptions{}, MountOptions{}, report);
  ASSERT_FALSE(mixed);
}

TEST(MakeMcpEndpoints, AccessRulesAndDiscoveryAreRefusedTogether) {
  Loaded a = Load(CapabilityText("a-mcp", {"x"}), "a.yaml");
  MountOptions mount;
  mount.discovery = true;
  mount.controls.access.push_back(AccessRule{{"s"}, {}, {"*"}});
  MountReport report;
  auto endpoints = MakeMcpEndpoints({AdapterSource{a.runtime, a.spec, "a.yaml", {}}}, McpOptions{},
                                    mount, report);
  ASSERT_FALSE(endpoints);
  EXPECT_NE(endpoints.error().message.find("do not apply to the discovery meta-tools"),
            std::string::npos);
}

// The upstream: echoes which item was asked for.
boost::asio::awaitable<http::Response> Echo(http::Request& request) {
  co_return http::MakeResponse(200, R"({"path":")" + request.path + R"("})");
}

// Two capabilities behind one endpoint over loopback: the union lists both, and each tool calls
// its own capability's upstream; with per-capability mounts each adapter also answers alone.
TEST(MakeMcpEndpoints, UnionAndPerAdapterMountsServeOverHttp) {
  http::Server upstream(http::ServerOptions{}, Echo);
  ASSERT_TRUE(upstream.Start());
  std::string base = "http://127.0.0.1:" + std::to_string(upstream.port());
  auto tls = consumes::MakeTlsContext({});
  ASSERT_TRUE(tls);
  runtime::RuntimeOptions ro;
  ro.tls_context = *tls;
  runtime::RuntimeOptions ro_b = ro;
  ro.base_uris["up-a-mcp"] = base + "/a";
  ro_b.base_uris["up-b-mcp"] = base + "/b";
  Loaded a = Load(CapabilityText("a-mcp", {"list", "get-a"}), "a.yaml", ro);
  Loaded b = Load(CapabilityText("b-mcp", {"list"}), "b.yaml", ro_b);
  MountOptions mount;
  mount.per_adapter = true;
  MountReport report;
  auto endpoints = MakeMcpEndpoints({AdapterSource{a.runtime, a.spec, "a.yaml", {}},
                                     AdapterSource{b.runtime, b.spec, "b.yaml", {}}},
                                    McpOptions{}, mount, report);
  ASSERT_TRUE(endpoints) << endpoints.error().message;
  ASSERT_EQ(endpoints->size(), 3u);
  EXPECT_EQ((*endpoints)[0]->Describe(), "mcp adapters a-mcp and 1 more (union)");
  EXPECT_EQ((*endpoints)[1]->Describe(), "mcp adapter 'a-mcp' at /mcp/a-mcp");
  EXPECT_TRUE((*endpoints)[0]->Matches("/mcp"));
  EXPECT_TRUE((*endpoints)[0]->Matches("/"));
  EXPECT_FALSE((*endpoints)[1]->Matches("/"));  // only the union answers "/"
  EXPECT_TRUE((*endpoints)[1]->Matches("/mcp/a-mcp"));
  EXPECT_TRUE(exposes::CheckCollisions(*endpoints));

  auto eps = *endpoints;
  http::ServerOptions so;
  so.threads = 1;
  http::Server server(so, [eps](http::Request& r) -> boost::asio::awaitable<http::Response> {
    for (const auto& e : eps) {
      if (e->Matches(r.path)) co_return co_await e->Handle(r);
    }
    co_return http::MakeResponse(404, "{}");
  });
  ASSERT_TRUE(server.Start());
  TestClient client(server.port());
  Headers h;
  h.Set("Content-Type", "application/json");
  h.Set("Accept", "application/json, text/event-stream");
  h.Set("MCP-Protocol-Version", "2025-11-25");
  auto rpc = [&](std::string_view path, std::string_view method, std::string_view params) {
    // Stateless-style single requests work after initialize on a session; use one per path.
    auto init =
        client.Send("POST", path, h,
                    R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":)"
                    R"("2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})");
    EXPECT_TRUE(init && init->status == 200);
    Headers with_session = h;
    with_session.Set("Mcp-Session-Id",
                     init ? init->headers.Get("Mcp-Session-Id").value_or("") : "");
    auto r = client.Send("POST", path, with_session,
                         R"({"jsonrpc":"2.0","id":2,"method":")" + std::string(method) +
                             R"(","params":)" + std::string(params) + "}");
    EXPECT_TRUE(r && r->status == 200);
    return r ? Parse(r->body) : json::value();
  };
  json::value list = rpc("/mcp", "tools/list", "{}");
  std::vector<std::string> names;
  for (const json::value& t : list.at("result").at("tools").as_array()) {
    names.emplace_back(t.at("name").as_string());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"a-mcp_list", "get-a", "b-mcp_list"}));
  json::value called = rpc("/mcp", "tools/call", R"({"name":"b-mcp_list","arguments":{"id":"7"}})");
  EXPECT_EQ(called.at("result").at("structuredContent").at("path"), "/b/items/7");
  called = rpc("/mcp", "tools/call", R"({"name":"get-a","arguments":{"id":"x y"}})");
  EXPECT_EQ(called.at("result").at("structuredContent").at("path"), "/a/items/x%20y");
  // Alone at its mount, b keeps its declared names.
  json::value alone = rpc("/mcp/b-mcp", "tools/list", "{}");
  ASSERT_EQ(alone.at("result").at("tools").as_array().size(), 1u);
  EXPECT_EQ(alone.at("result").at("tools").as_array()[0].at("name"), "list");
  called = rpc("/mcp/b-mcp", "tools/call", R"({"name":"list","arguments":{"id":"8"}})");
  EXPECT_EQ(called.at("result").at("structuredContent").at("path"), "/b/items/8");
  json::value info = rpc("/mcp/a-mcp", "ping", "{}");
  EXPECT_TRUE(info.at("result").is_object());
  server.Stop(std::chrono::milliseconds(100));
  upstream.Stop(std::chrono::milliseconds(100));
}

}  // namespace
}  // namespace capstan::mcp
