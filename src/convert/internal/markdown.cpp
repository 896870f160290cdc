// Markdown to JSON with cmark-gfm (GFM tables), in the shape of the reference engine's commonmark
// code: {"frontMatter": {...}, "tables": [[{header: cell}, ...]], "sections": [{heading, level,
// content}]}. `outputSchema` is a heading prefix: only sections whose heading starts with it.
#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm-extension_api.h>
#include <cmark-gfm.h>

#include "convert/internal/formats.hpp"

namespace capstan::convert::internal {
namespace {

using core::ErrorCode;
using core::Fail;

struct ParserFree {
  void operator()(cmark_parser* parser) const { cmark_parser_free(parser); }
};
struct NodeFree {
  void operator()(cmark_node* node) const { cmark_node_free(node); }
};
struct IterFree {
  void operator()(cmark_iter* iter) const { cmark_iter_free(iter); }
};

std::string Trim(std::string_view text) {
  const std::size_t start = text.find_first_not_of(" \t\n\r\f\v");
  if (start == std::string_view::npos) return {};
  const std::size_t end = text.find_last_not_of(" \t\n\r\f\v");
  return std::string(text.substr(start, end - start + 1));
}

std::string_view TypeOf(cmark_node* node) {
  const char* type = cmark_node_get_type_string(node);
  return type == nullptr ? std::string_view() : type;
}

// The text of a node as commonmark's visitor collects it: text and inline code literals, a space
// for a soft break, a newline for a hard one (code blocks and HTML add nothing).
std::string CollectText(cmark_node* root) {
  std::string out;
  std::unique_ptr<cmark_iter, IterFree> iter(cmark_iter_new(root));
  for (cmark_event_type event; (event = cmark_iter_next(iter.get())) != CMARK_EVENT_DONE;) {
    if (event != CMARK_EVENT_ENTER) continue;
    cmark_node* node = cmark_iter_get_node(iter.get());
    switch (cmark_node_get_type(node)) {
      case CMARK_NODE_TEXT:
      case CMARK_NODE_CODE:
        if (const char* literal = cmark_node_get_literal(node)) out += literal;
        break;
      case CMARK_NODE_SOFTBREAK:
        out += ' ';
        break;
      case CMARK_NODE_LINEBREAK:
        out += '\n';
        break;
      default:
        break;
    }
  }
  return out;
}

std::vector<std::string> RowCells(cmark_node* row) {
  std::vector<std::string> cells;
  for (cmark_node* cell = cmark_node_first_child(row); cell != nullptr;
       cell = cmark_node_next(cell)) {
    if (TypeOf(cell) == "table_cell") cells.push_back(Trim(CollectText(cell)));
  }
  return cells;
}

core::Status Table(cmark_node* table, Budget& budget, json::array& tables) {
  std::vector<std::string> headers;
  std::vector<std::vector<std::string>> rows;
  for (cmark_node* row = cmark_node_first_child(table); row != nullptr;
       row = cmark_node_next(row)) {
    const std::string_view type = TypeOf(row);
    if (type != "table_row" && type != "table_header") continue;
    if (type == "table_header" || cmark_gfm_extensions_get_table_row_is_header(row) != 0) {
      if (headers.empty()) headers = RowCells(row);
    } else {
      rows.push_back(RowCells(row));
    }
  }
  return AppendTable(headers, rows, budget, tables);
}

class MarkdownConverter final : public Converter {
 public:
  MarkdownConverter(std::string prefix, Limits limits)
      : prefix_(std::move(prefix)), limits_(limits) {}

  core::Result<json::value> ToJson(std::string_view body) const override {
    CAPSTAN_RETURN_IF_ERROR(CheckSize(body, limits_));
    CAPSTAN_RETURN_IF_ERROR(CheckUtf8(body, Format::kMarkdown));
    std::string text;
    text.reserve(body.size());
    for (std::size_t i = 0; i < body.size(); ++i) {
      if (body[i] == '\r' && i + 1 < body.size() && body[i + 1] == '\n') continue;
      text += body[i];
    }
    json::object result;
    json::object front;
    std::string_view rest = text;
    if (rest.substr(0, 4) == "---\n") {
      if (const std::size_t end = rest.find("\n---\n", 4); end != std::string_view::npos) {
        const std::string yaml = Trim(rest.substr(4, end - 4));
        rest.remove_prefix(end + 5);
        if (!yaml.empty()) {
          auto parsed = YamlToJson(yaml, limits_);
          if (!parsed) {
            return Fail(parsed.error().code, "markdown front matter: " + parsed.error().message);
          }
          if (parsed->is_object()) front = std::move(parsed->as_object());
        }
      }
    }
    static std::once_flag registered;
    std::call_once(registered, [] { cmark_gfm_core_extensions_ensure_registered(); });
    std::unique_ptr<cmark_parser, ParserFree> parser(cmark_parser_new(CMARK_OPT_DEFAULT));
    if (cmark_syntax_extension* tables = cmark_find_syntax_extension("table")) {
      cmark_parser_attach_syntax_extension(parser.get(), tables);
    }
    cmark_parser_feed(parser.get(), rest.data(), rest.size());
    std::unique_ptr<cmark_node, NodeFree> document(cmark_parser_finish(parser.get()));
    if (!document) return Fail(ErrorCode::kUpstreamError, "markdown: the parser failed");

    Budget budget(limits_);
    json::array tables;
    json::array sections;
    std::optional<std::string> heading;
    int level = 0;
    std::string content;
    auto flush = [&]() -> core::Status {
      if (!heading || heading->rfind(prefix_, 0) != 0) return core::Ok();
      CAPSTAN_RETURN_IF_ERROR(budget.Take(2));
      json::object section;
      section["heading"] = *heading;
      section["level"] = level;
      section["content"] = Trim(content);
      sections.emplace_back(std::move(section));
      return core::Ok();
    };
    for (cmark_node* node = cmark_node_first_child(document.get()); node != nullptr;
         node = cmark_node_next(node)) {
      if (TypeOf(node) == "table") {
        CAPSTAN_RETURN_IF_ERROR(Table(node, budget, tables));
        continue;
      }
      if (cmark_node_get_type(node) == CMARK_NODE_HEADING) {
        CAPSTAN_RETURN_IF_ERROR(flush());
        heading = Trim(CollectText(node));
        level = cmark_node_get_heading_level(node);
        content.clear();
      } else if (heading) {
        const std::string part = Trim(CollectText(node));
        if (!part.empty()) {
          if (!content.empty()) content += '\n';
          content += part;
        }
      }
    }
    CAPSTAN_RETURN_IF_ERROR(flush());
    result["frontMatter"] = std::move(front);
    result["tables"] = std::move(tables);
    result["sections"] = std::move(sections);
    return json::value(std::move(result));
  }

  Format format() const override { return Format::kMarkdown; }

 private:
  std::string prefix_;
  Limits limits_;
};

}  // namespace

core::Result<ConverterPtr> MakeMarkdown(std::string_view heading_prefix, Limits limits) {
  return std::make_unique<MarkdownConverter>(Trim(heading_prefix), limits);
}

}  // namespace capstan::convert::internal
