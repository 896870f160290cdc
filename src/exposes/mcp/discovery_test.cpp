#include "exposes/mcp/discovery.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

namespace capstan::mcp {
namespace {

json::object Schema(std::vector<std::string> required) {
  json::object props;
  for (const std::string& r : required) props[r] = json::object{{"type", "string"}};
  json::array req;
  for (const std::string& r : required) req.emplace_back(r);
  return json::object{{"type", "object"},
                      {"properties", std::move(props)},
                      {"required", std::move(req)},
                      {"additionalProperties", false}};
}

// Tools that answer with their name and arguments.
std::shared_ptr<const Catalog> Tools() {
  Catalog c;
  c.instructions = "IAM.";
  struct Def {
    const char* name;
    const char* description;
    std::vector<std::string> required;
  };
  for (const Def& d : {Def{"list-jwts", "List JWTs", {}}, Def{"get-jwt", "Get a JWT", {"jti"}},
                       Def{"delete-ssh-key", "Delete an SSH key", {"id"}},
                       Def{"list-ssh-keys", "List SSH keys of a project", {}}}) {
    std::string name = d.name;
    EXPECT_TRUE(AddNativeTool(
        c, name, d.description, Schema(d.required),
        [name](const json::object& args, RequestScope&) -> boost::asio::awaitable<ToolOutcome> {
          ToolOutcome o;
          o.result["structuredContent"] = json::object{{"tool", name}, {"args", args}};
          co_return o;
        }));
  }
  return std::make_shared<const Catalog>(std::move(c));
}

std::vector<std::string> Names(const std::vector<ToolMatch>& matches) {
  std::vector<std::string> out;
  for (const ToolMatch& m : matches) out.push_back(m.tool->name);
  return out;
}

ToolOutcome Call(const Catalog& catalog, std::string_view tool, json::object args) {
  boost::asio::io_context io;
  RequestScope scope;
  const Tool* t = catalog.FindTool(tool);
  EXPECT_NE(t, nullptr) << tool;
  if (t == nullptr) return {};
  auto errors = t->input_schema->Validate(json::value(args));
  EXPECT_TRUE(errors.empty()) << tool;  // what Protocol checks before calling
  auto future = boost::asio::co_spawn(io, t->native(args, scope), boost::asio::use_future);
  io.run();
  return future.get();
}

std::string TextOf(const ToolOutcome& o) {
  return std::string(o.result.at("content").as_array()[0].at("text").as_string());
}

TEST(SearchTools, RanksWholeNameWordsFirstAndNeedsEveryWord) {
  auto tools = Tools();
  // "jwt" is a word of get-jwt's name and a part of list-jwts'.
  EXPECT_EQ(Names(SearchTools(*tools, "JWT", 10)),
            (std::vector<std::string>{"get-jwt", "list-jwts"}));
  EXPECT_EQ(Names(SearchTools(*tools, "delete ssh key", 10)),
            (std::vector<std::string>{"delete-ssh-key"}));
  // A description word counts too; every word must match somewhere.
  EXPECT_EQ(Names(SearchTools(*tools, "project keys", 10)),
            (std::vector<std::string>{"list-ssh-keys"}));
  EXPECT_TRUE(SearchTools(*tools, "ssh nothing", 10).empty());
  EXPECT_TRUE(SearchTools(*tools, "  ,;", 10).empty());
  EXPECT_EQ(SearchTools(*tools, "list", 1).size(), 1u);
}

TEST(DiscoveryCatalog, ListsThreeMetaToolsOverTheFullCatalog) {
  auto discovery = MakeDiscoveryCatalog(Tools());
  ASSERT_TRUE(discovery) << discovery.error().message;
  ASSERT_EQ(discovery->tools.size(), 3u);
  EXPECT_EQ(discovery->tools[0].name, "search_tools");
  EXPECT_EQ(discovery->tools[1].name, "describe_tool");
  EXPECT_EQ(discovery->tools[2].name, "call_tool");
  EXPECT_EQ(discovery->tools[0].definition.at("annotations").at("readOnlyHint"), true);
  EXPECT_EQ(discovery->tools[2].definition.at("annotations").at("readOnlyHint"), false);
  EXPECT_NE(discovery->instructions.find("IAM."), std::string::npos);
  EXPECT_NE(discovery->instructions.find("This server has 4 tools"), std::string::npos);

  ToolOutcome found = Call(*discovery, "search_tools", {{"query", "ssh"}, {"limit", 5}});
  const json::array& list = found.result.at("structuredContent").at("tools").as_array();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].at("name"), "delete-ssh-key");
  EXPECT_EQ(list[0].at("description"), "Delete an SSH key");
  EXPECT_FALSE(list[0].as_object().contains("inputSchema"));  // describe_tool gives it

  ToolOutcome described = Call(*discovery, "describe_tool", {{"name", "get-jwt"}});
  EXPECT_EQ(described.result.at("structuredContent").at("inputSchema").at("required"),
            json::array{"jti"});
  ToolOutcome unknown = Call(*discovery, "describe_tool", {{"name", "get-jwts"}});
  EXPECT_EQ(unknown.result.at("isError"), true);
  EXPECT_EQ(TextOf(unknown), "no tool named 'get-jwts'; search_tools finds tools by words");

  ToolOutcome called = Call(*discovery, "call_tool",
                            {{"name", "get-jwt"}, {"arguments", json::object{{"jti", "j1"}}}});
  EXPECT_EQ(called.result.at("structuredContent").at("tool"), "get-jwt");
  EXPECT_EQ(called.result.at("structuredContent").at("args").at("jti"), "j1");
  // The inner tool's schema still applies.
  ToolOutcome bad = Call(*discovery, "call_tool",
                         {{"name", "get-jwt"}, {"arguments", json::object{{"jtx", "j1"}}}});
  EXPECT_EQ(bad.result.at("isError"), true);
  EXPECT_NE(TextOf(bad).find("Invalid arguments for tool 'get-jwt'"), std::string::npos)
      << TextOf(bad);
  ToolOutcome missing = Call(*discovery, "call_tool", {{"name", "nope"}});
  EXPECT_EQ(missing.result.at("isError"), true);
}

std::optional<ToolOutcome> Confirm(const Tool& tool, RequestScope& scope) {
  boost::asio::io_context io;
  const json::object args{{"id", "k1"}};  // alive until the coroutine is done
  auto future =
      boost::asio::co_spawn(io, ConfirmBeforeRunning(tool, args, scope), boost::asio::use_future);
  io.run();
  return future.get();
}

TEST(Confirmation, DestructiveToolsAreMarkedByTheirEffectiveHints) {
  Catalog c;
  auto noop = [](const json::object&, RequestScope&) -> boost::asio::awaitable<ToolOutcome> {
    co_return ToolOutcome{};
  };
  for (const char* name : {"plain", "read", "safe-write", "delete"}) {
    ASSERT_TRUE(AddNativeTool(c, name, name, Schema({}), noop));
  }
  // No annotations: the MCP defaults (destructive, not read-only).
  c.tools[1].definition["annotations"] = json::object{{"readOnlyHint", true}};
  c.tools[2].definition["annotations"] = json::object{{"destructiveHint", false}};
  c.tools[3].definition["annotations"] =
      json::object{{"readOnlyHint", false}, {"destructiveHint", true}};
  EXPECT_EQ(MarkForConfirmation(c), 2u);
  EXPECT_TRUE(c.tools[0].confirm);
  EXPECT_FALSE(c.tools[1].confirm);
  EXPECT_FALSE(c.tools[2].confirm);
  EXPECT_TRUE(c.tools[3].confirm);
}

TEST(Confirmation, AStatelessRequestGetsAnInputRequestThenTheAnswerDecides) {
  Tool tool;
  tool.name = "delete-ssh-key";
  tool.confirm = true;
  Session session;
  session.modern = true;
  session.client_capabilities["elicitation"] = json::object();
  RequestScope scope;
  scope.session = &session;
  scope.modern = true;

  auto asked = Confirm(tool, scope);
  ASSERT_TRUE(asked && asked->input_requests);
  const json::object& request = asked->input_requests->at(kConfirmInputKey).as_object();
  EXPECT_EQ(request.at("method"), "elicitation/create");
  EXPECT_EQ(request.at("params").at("message"),
            R"(Run 'delete-ssh-key'? It may change or delete data. Arguments: {"id":"k1"})");
  EXPECT_EQ(request.at("params").at("requestedSchema").at("required"), json::array{"confirm"});

  scope.input_responses[kConfirmInputKey] =
      json::object{{"action", "accept"}, {"content", json::object{{"confirm", true}}}};
  EXPECT_FALSE(Confirm(tool, scope).has_value());  // confirmed: run it

  scope.input_responses[kConfirmInputKey] = json::object{{"action", "decline"}};
  auto declined = Confirm(tool, scope);
  ASSERT_TRUE(declined);
  EXPECT_EQ(declined->result.at("isError"), true);
  EXPECT_EQ(TextOf(*declined),
            "Not run: the user did not confirm 'delete-ssh-key' (action decline)");

  scope.input_responses[kConfirmInputKey] =
      json::object{{"action", "accept"}, {"content", json::object{{"confirm", false}}}};
  auto unticked = Confirm(tool, scope);
  ASSERT_TRUE(unticked);
  EXPECT_NE(TextOf(*unticked).find("(action accept, confirm not true)"), std::string::npos);

  // A client without elicitation, or a tool not marked: nothing to ask.
  session.client_capabilities.clear();
  EXPECT_FALSE(Confirm(tool, scope).has_value());
  session.client_capabilities["elicitation"] = json::object();
  tool.confirm = false;
  EXPECT_FALSE(Confirm(tool, scope).has_value());
}

}  // namespace
}  // namespace capstan::mcp
