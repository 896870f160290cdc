// RFC 9535 JSONPath. A query is compiled once (JsonPath::Parse) into an immutable syntax tree and
// evaluated many times against Boost.JSON documents; results point into the document, no copies.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"
#include "core/result.hpp"

namespace capstan::mapping {

namespace json = boost::json;

namespace jsonpath_internal {
struct Query;
}  // namespace jsonpath_internal

struct JsonPathOptions {
  // Also accept the Jayway/Naftiko spellings found in capability files: "$." meaning the root,
  // a dot before a bracket ("$.['a']", "$.[0]"), '-' inside a dot-shorthand name
  // ("$.get-ship.imo", as Jayway reads step names) and whitespace around the query. Everything
  // the RFC accepts keeps its RFC meaning.
  bool lenient = false;
};

// A node of a result together with its normalized path (RFC 9535 §2.7), e.g. $['a'][0].
struct LocatedNode {
  std::string path;
  const json::value* value = nullptr;
};

class JsonPath {
 public:
  using NodeList = std::vector<const json::value*>;

  // Compiles a query, strictly per RFC 9535, including the well-typedness of function
  // expressions. Errors are kInvalidArgument and name the byte offset and what was expected.
  [[nodiscard]] static core::Result<JsonPath> Parse(std::string_view text);
  // Parse with JsonPathOptions::lenient.
  [[nodiscard]] static core::Result<JsonPath> ParseLenient(std::string_view text);
  [[nodiscard]] static core::Result<JsonPath> Parse(std::string_view text,
                                                    const JsonPathOptions& options);

  // The nodelist selected from `root`, in RFC order. Pointers stay valid while `root` lives
  // and is not modified.
  [[nodiscard]] NodeList Evaluate(const json::value& root) const;

  // Evaluate, but stop with kPayloadTooLarge once more than `max_work` nodes have been visited or
  // selected (descendant walks and filter sub-queries included), so that hostile queries over
  // large documents stay bounded.
  [[nodiscard]] core::Result<NodeList> EvaluateBounded(const json::value& root,
                                                       std::size_t max_work) const;

  // Evaluate, also returning each node's normalized path.
  [[nodiscard]] std::vector<LocatedNode> EvaluateWithPaths(const json::value& root) const;

  // The first selected node, or nullptr for an empty nodelist.
  [[nodiscard]] const json::value* EvaluateFirst(const json::value& root) const;

  // True for a singular query (RFC 9535 §2.3.5.1): only name and index selectors, one per
  // segment, no descendant segment; it selects at most one node.
  [[nodiscard]] bool IsSingular() const;

  // The query text as given to Parse.
  [[nodiscard]] const std::string& text() const { return text_; }

 private:
  JsonPath(std::string text, std::shared_ptr<const jsonpath_internal::Query> query)
      : text_(std::move(text)), query_(std::move(query)) {}

  std::string text_;
  std::shared_ptr<const jsonpath_internal::Query> query_;
};

// Appends a member name as a normalized-path element: ['name'] with RFC 9535 §2.7 escaping.
void AppendNormalizedName(std::string& out, std::string_view name);

}  // namespace capstan::mapping
