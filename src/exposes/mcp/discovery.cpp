#include "exposes/mcp/discovery.hpp"

#include <algorithm>
#include <cctype>

#include "exposes/mcp/protocol.hpp"

namespace capstan::mcp {
namespace {

using core::ErrorCode;
using core::Fail;

constexpr std::size_t kDefaultLimit = 10;
constexpr std::size_t kMaxLimit = 50;

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> out;
  std::string word;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || u >= 0x80) {
      word.push_back(static_cast<char>(std::tolower(u)));
    } else if (!word.empty()) {
      out.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) out.push_back(std::move(word));
  return out;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view StringMember(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

// A result whose text is `value` serialised and whose structuredContent is `value`.
ToolOutcome JsonResult(json::object value) {
  ToolOutcome outcome;
  json::object text;
  text["type"] = "text";
  text["text"] = core::SerializeJson(json::value(value));
  json::array content;
  content.emplace_back(std::move(text));
  outcome.result["content"] = std::move(content);
  outcome.result["structuredContent"] = std::move(value);
  return outcome;
}

ToolOutcome ErrorResult(std::string message) {
  ToolOutcome outcome;
  json::object text;
  text["type"] = "text";
  text["text"] = std::move(message);
  json::array content;
  content.emplace_back(std::move(text));
  outcome.result["content"] = std::move(content);
  outcome.result["isError"] = true;
  return outcome;
}

std::string Unknown(std::string_view name) {
  return "no tool named '" + std::string(name) + "'; " + std::string(kSearchToolsName) +
         " finds tools by words";
}

json::object Annotations(bool read_only) {
  json::object a;
  a["readOnlyHint"] = read_only;
  a["destructiveHint"] = !read_only;
  a["idempotentHint"] = read_only;
  a["openWorldHint"] = !read_only;
  return a;
}

json::object StringProperty(std::string_view description) {
  json::object p;
  p["type"] = "string";
  p["description"] = description;
  return p;
}

json::object ObjectSchema(json::object properties, std::vector<std::string_view> required) {
  json::object schema;
  schema["type"] = "object";
  schema["properties"] = std::move(properties);
  json::array req;
  for (std::string_view r : required) req.emplace_back(r);
  schema["required"] = std::move(req);
  schema["additionalProperties"] = false;
  return schema;
}

}  // namespace

std::vector<ToolMatch> SearchTools(const Catalog& catalog, std::string_view query,
                                   std::size_t limit) {
  std::vector<std::string> words = Words(query);
  std::vector<ToolMatch> out;
  if (words.empty()) return out;
  for (const Tool& tool : catalog.tools) {
    std::vector<std::string> name_words = Words(tool.name);
    std::string name = Lower(tool.name);
    std::vector<std::string> description_words =
        Words(StringMember(tool.definition, "description"));
    int score = 0;
    bool all = true;
    for (const std::string& w : words) {
      int best = 0;
      if (std::find(name_words.begin(), name_words.end(), w) != name_words.end()) {
        best = 4;
      } else if (name.find(w) != std::string::npos) {
        best = 2;
      } else if (std::find(description_words.begin(), description_words.end(), w) !=
                 description_words.end()) {
        best = 1;
      }
      if (best == 0) {
        all = false;
        break;
      }
      score += best;
    }
    if (all) out.push_back(ToolMatch{&tool, score});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ToolMatch& a, const ToolMatch& b) { return a.score > b.score; });
  if (out.size() > limit) out.resize(limit);
  return out;
}

core::Result<Catalog> MakeDiscoveryCatalog(std::shared_ptr<const Catalog> full) {
  if (!full) return Fail(ErrorCode::kInternal, "discovery needs a catalog");
  Catalog catalog;
  catalog.resources = full->resources;
  catalog.prompts = full->prompts;
  catalog.skills = full->skills;
  const std::string count = std::to_string(full->tools.size());
  catalog.instructions =
      (full->instructions.empty() ? std::string() : full->instructions + "\n\n") +
      "This server has " + count +
      " tools, reached through three: " + std::string(kSearchToolsName) +
      " finds tools by words, " + std::string(kDescribeToolName) +
      " gives one tool's input schema, and " + std::string(kCallToolName) + " calls it.";

  json::object search_props;
  search_props["query"] = StringProperty("Words to look for in tool names and descriptions");
  json::object limit;
  limit["type"] = "integer";
  limit["minimum"] = 1;
  limit["maximum"] = static_cast<std::int64_t>(kMaxLimit);
  limit["description"] = "How many tools to return at most (default 10)";
  search_props["limit"] = std::move(limit);
  CAPSTAN_RETURN_IF_ERROR(AddNativeTool(
      catalog, std::string(kSearchToolsName),
      "Search the " + count +
          " tools of this server by words; returns the best matches with their names, "
          "descriptions and annotations. Then describe_tool gives a tool's input schema.",
      ObjectSchema(std::move(search_props), {"query"}),
      [full](const json::object& args, RequestScope&) -> boost::asio::awaitable<ToolOutcome> {
        std::size_t n = kDefaultLimit;
        if (const json::value* l = args.if_contains("limit"); l && l->is_int64()) {
          n = static_cast<std::size_t>(l->get_int64());
        }
        std::vector<ToolMatch> matches = SearchTools(*full, StringMember(args, "query"), n);
        json::array tools;
        for (const ToolMatch& m : matches) {
          json::object entry;
          entry["name"] = m.tool->name;
          for (std::string_view key : {"title", "description", "annotations"}) {
            if (const json::value* v = m.tool->definition.if_contains(key)) entry[key] = *v;
          }
          tools.emplace_back(std::move(entry));
        }
        json::object value;
        value["tools"] = std::move(tools);
        co_return JsonResult(std::move(value));
      }));
  catalog.tools.back().definition["annotations"] = Annotations(true);

  json::object describe_props;
  describe_props["name"] = StringProperty("The tool's name, as search_tools gives it");
  CAPSTAN_RETURN_IF_ERROR(AddNativeTool(
      catalog, std::string(kDescribeToolName),
      "Describe one tool of this server: its description, annotations, and the inputSchema of "
      "the arguments call_tool takes for it.",
      ObjectSchema(std::move(describe_props), {"name"}),
      [full](const json::object& args, RequestScope&) -> boost::asio::awaitable<ToolOutcome> {
        std::string_view name = StringMember(args, "name");
        const Tool* tool = full->FindTool(name);
        if (tool == nullptr) co_return ErrorResult(Unknown(name));
        co_return JsonResult(tool->definition);
      }));
  catalog.tools.back().definition["annotations"] = Annotations(true);

  json::object call_props;
  call_props["name"] = StringProperty("The tool's name, as search_tools gives it");
  json::object arguments;
  arguments["type"] = "object";
  arguments["description"] = "The tool's arguments, as its inputSchema (describe_tool) says";
  call_props["arguments"] = std::move(arguments);
  CAPSTAN_RETURN_IF_ERROR(AddNativeTool(
      catalog, std::string(kCallToolName),
      "Call one tool of this server by name with its arguments; the answer is that tool's. Its "
      "annotations (describe_tool) say whether it changes anything.",
      ObjectSchema(std::move(call_props), {"name"}),
      [full](const json::object& args, RequestScope& scope) -> boost::asio::awaitable<ToolOutcome> {
        std::string_view name = StringMember(args, "name");
        const Tool* tool = full->FindTool(name);
        if (tool == nullptr) co_return ErrorResult(Unknown(name));
        json::object inner;
        if (const json::value* a = args.if_contains("arguments"); a && a->is_object()) {
          inner = a->get_object();
        }
        if (tool->input_schema) {
          auto errors = tool->input_schema->Validate(json::value(inner));
          if (!errors.empty()) co_return ErrorResult(ValidationText(tool->name, errors));
        }
        if (tool->confirm) {
          if (auto instead = co_await ConfirmBeforeRunning(*tool, inner, scope)) {
            co_return std::move(*instead);
          }
        }
        if (tool->native) co_return co_await tool->native(inner, scope);
        co_return co_await CallMappedTool(*tool, std::move(inner), scope);
      }));
  catalog.tools.back().definition["annotations"] = Annotations(false);
  catalog.tools.back().confirms_inner =
      std::any_of(full->tools.begin(), full->tools.end(), [](const Tool& t) { return t.confirm; });
  return catalog;
}

}  // namespace capstan::mcp
