// HTML tables to JSON with gumbo (an HTML5 parser), in the shape the reference engine's jsoup
// code gives: {"tables": [[{header: cell, ...}, ...], ...]}. `outputSchema` is a CSS selector
// choosing the tables (or elements holding them); capstan compiles a subset of CSS at load time
// (type, *, #id, .class, [attr], [attr=value], descendant and child combinators, groups) and
// refuses the rest there, so a typo is a load-time error and not an empty answer.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <gumbo.h>

#include "convert/internal/formats.hpp"
#include "core/utf8.hpp"

namespace capstan::convert::internal {
namespace {

using core::ErrorCode;
using core::Fail;

// Gumbo builds and frees its tree recursively: nesting is bounded before parsing, by an estimate
// that counts start tags against end tags and ignores the elements that close themselves
// implicitly (cells, rows, list items, paragraphs), which are never nested in themselves.
constexpr std::size_t kMaxHtmlNesting = 2048;

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return Lower(x) == Lower(y); });
}

std::size_t EstimateNesting(std::string_view html) {
  static constexpr std::string_view kFlat[] = {
      "td",    "th",   "tr",   "li",  "p",    "option", "dt",    "dd",    "br",     "img",   "hr",
      "input", "meta", "link", "col", "area", "base",   "embed", "param", "source", "track", "wbr"};
  std::size_t depth = 0;
  std::size_t deepest = 0;
  for (std::size_t at = html.find('<'); at != std::string_view::npos; at = html.find('<', at + 1)) {
    const bool closing = at + 1 < html.size() && html[at + 1] == '/';
    std::size_t name_start = at + (closing ? 2 : 1);
    std::size_t name_end = name_start;
    while (name_end < html.size() &&
           ((Lower(html[name_end]) >= 'a' && Lower(html[name_end]) <= 'z') ||
            (html[name_end] >= '0' && html[name_end] <= '9'))) {
      ++name_end;
    }
    if (name_end == name_start) continue;
    std::string_view name = html.substr(name_start, name_end - name_start);
    if (std::any_of(std::begin(kFlat), std::end(kFlat),
                    [&](std::string_view flat) { return EqualsIgnoreCase(flat, name); })) {
      continue;
    }
    if (closing) {
      if (depth > 0) --depth;
    } else {
      deepest = std::max(deepest, ++depth);
    }
  }
  return deepest;
}

// ---- the selector subset --------------------------------------------------------------------

struct Attribute {
  std::string name;
  std::optional<std::string> value;  // [name=value]; absent for [name]
};

struct Compound {
  std::string tag;  // empty: any (also '*')
  std::vector<std::string> ids;
  std::vector<std::string> classes;
  std::vector<Attribute> attributes;
  bool child_of_previous = false;  // '>' before it (else a descendant of it, or the first)
};

using Complex = std::vector<Compound>;  // left to right

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || static_cast<unsigned char>(c) >= 0x80;
}

class SelectorParser {
 public:
  explicit SelectorParser(std::string_view text) : text_(text) {}

  core::Result<std::vector<Complex>> Parse() {
    std::vector<Complex> groups;
    for (;;) {
      SkipSpace();
      Complex complex;
      bool child = false;
      for (;;) {
        Compound compound;
        CAPSTAN_RETURN_IF_ERROR(ParseCompound(compound));
        compound.child_of_previous = child;
        complex.push_back(std::move(compound));
        const bool spaced = SkipSpace();
        if (at_ == text_.size() || text_[at_] == ',') break;
        child = text_[at_] == '>';
        if (child) {
          ++at_;
          SkipSpace();
        } else if (!spaced) {
          return Fail(Unsupported().error());
        }
      }
      groups.push_back(std::move(complex));
      if (at_ == text_.size()) break;
      ++at_;  // ','
    }
    return groups;
  }

 private:
  bool SkipSpace() {
    const std::size_t from = at_;
    while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n')) {
      ++at_;
    }
    return at_ != from;
  }

  std::string Name() {
    const std::size_t from = at_;
    while (at_ < text_.size() && IsNameChar(text_[at_])) ++at_;
    return std::string(text_.substr(from, at_ - from));
  }

  core::Status Unsupported() const {
    return Fail(ErrorCode::kInvalidArgument,
                "html: outputSchema selector '" + std::string(text_) +
                    "' uses syntax capstan does not support at offset " + std::to_string(at_) +
                    " (type, *, #id, .class, [attr], [attr=value], ' ', '>', ',')");
  }

  core::Status ParseCompound(Compound& compound) {
    bool any = false;
    if (at_ < text_.size() && text_[at_] == '*') {
      ++at_;
      any = true;
    } else if (at_ < text_.size() && IsNameChar(text_[at_])) {
      compound.tag = Name();
      any = true;
    }
    while (at_ < text_.size()) {
      const char c = text_[at_];
      if (c == '#' || c == '.') {
        ++at_;
        std::string name = Name();
        if (name.empty()) return Unsupported();
        (c == '#' ? compound.ids : compound.classes).push_back(std::move(name));
      } else if (c == '[') {
        ++at_;
        SkipSpace();
        Attribute attribute{Name(), std::nullopt};
        SkipSpace();
        if (attribute.name.empty()) return Unsupported();
        if (at_ < text_.size() && text_[at_] == '=') {
          ++at_;
          SkipSpace();
          if (at_ < text_.size() && (text_[at_] == '"' || text_[at_] == '\'')) {
            const char quote = text_[at_++];
            const std::size_t end = text_.find(quote, at_);
            if (end == std::string_view::npos) return Unsupported();
            attribute.value = std::string(text_.substr(at_, end - at_));
            at_ = end + 1;
          } else {
            attribute.value = Name();
          }
          SkipSpace();
        }
        if (at_ >= text_.size() || text_[at_] != ']') return Unsupported();
        ++at_;
        compound.attributes.push_back(std::move(attribute));
      } else {
        break;
      }
      any = true;
    }
    if (!any) return Unsupported();
    return core::Ok();
  }

  std::string_view text_;
  std::size_t at_ = 0;
};

// ---- the tree -------------------------------------------------------------------------------

bool IsElement(const GumboNode* node) { return node->type == GUMBO_NODE_ELEMENT; }

std::string TagName(const GumboNode* node) {
  const GumboElement& element = node->v.element;
  if (element.tag != GUMBO_TAG_UNKNOWN) return gumbo_normalized_tagname(element.tag);
  GumboStringPiece original = element.original_tag;
  gumbo_tag_from_original_text(&original);
  std::string name(original.data, original.length);
  for (char& c : name) c = Lower(c);
  return name;
}

std::string_view AttributeValue(const GumboNode* node, const char* name) {
  const GumboAttribute* attr = gumbo_get_attribute(&node->v.element.attributes, name);
  return attr == nullptr ? std::string_view() : std::string_view(attr->value);
}

bool HasClass(const GumboNode* node, std::string_view wanted) {
  std::string_view classes = AttributeValue(node, "class");
  std::size_t at = 0;
  while (at < classes.size()) {
    const std::size_t start = classes.find_first_not_of(" \t\n\r\f", at);
    if (start == std::string_view::npos) break;
    std::size_t end = classes.find_first_of(" \t\n\r\f", start);
    if (end == std::string_view::npos) end = classes.size();
    if (classes.substr(start, end - start) == wanted) return true;
    at = end;
  }
  return false;
}

bool MatchesCompound(const GumboNode* node, const Compound& c) {
  if (!IsElement(node)) return false;
  if (!c.tag.empty() && !EqualsIgnoreCase(TagName(node), c.tag)) return false;
  for (const std::string& id : c.ids) {
    if (AttributeValue(node, "id") != id) return false;
  }
  for (const std::string& cls : c.classes) {
    if (!HasClass(node, cls)) return false;
  }
  for (const Attribute& a : c.attributes) {
    const GumboAttribute* attr = gumbo_get_attribute(&node->v.element.attributes, a.name.c_str());
    if (attr == nullptr || (a.value && *a.value != attr->value)) return false;
  }
  return true;
}

const GumboNode* ParentElement(const GumboNode* node) {
  const GumboNode* parent = node->parent;
  return parent != nullptr && IsElement(parent) ? parent : nullptr;
}

// Right to left: the last compound on `node`, the others on its ancestors.
bool Matches(const GumboNode* node, const Complex& complex, std::size_t index) {
  if (!MatchesCompound(node, complex[index])) return false;
  if (index == 0) return true;
  const GumboNode* parent = ParentElement(node);
  if (complex[index].child_of_previous) {
    return parent != nullptr && Matches(parent, complex, index - 1);
  }
  for (; parent != nullptr; parent = ParentElement(parent)) {
    if (Matches(parent, complex, index - 1)) return true;
  }
  return false;
}

// The elements under `root` (itself included), in document order, iteratively.
template <typename Visit>
void ForEachElement(const GumboNode* root, Visit&& visit) {
  std::vector<const GumboNode*> stack{root};
  while (!stack.empty()) {
    const GumboNode* node = stack.back();
    stack.pop_back();
    if (!IsElement(node)) continue;
    visit(node);
    const GumboVector& children = node->v.element.children;
    for (unsigned i = children.length; i > 0; --i) {
      stack.push_back(static_cast<const GumboNode*>(children.data[i - 1]));
    }
  }
}

bool IsTag(const GumboNode* node, GumboTag tag) {
  return IsElement(node) && node->v.element.tag == tag;
}

// The closest <table> above `node`.
const GumboNode* OwningTable(const GumboNode* node) {
  for (const GumboNode* p = ParentElement(node); p != nullptr; p = ParentElement(p)) {
    if (IsTag(p, GUMBO_TAG_TABLE)) return p;
  }
  return nullptr;
}

bool IsBlock(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_BR:
    case GUMBO_TAG_P:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_TBODY:
    case GUMBO_TAG_THEAD:
    case GUMBO_TAG_TFOOT:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_TD:
    case GUMBO_TAG_TH:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_UL:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_CAPTION:
      return true;
    default:
      return false;
  }
}

// jsoup's Element.text(): the text below, whitespace collapsed to single spaces and trimmed.
std::string Text(const GumboNode* root) {
  std::string raw;
  std::vector<const GumboNode*> stack{root};
  while (!stack.empty()) {
    const GumboNode* node = stack.back();
    stack.pop_back();
    if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_CDATA ||
        node->type == GUMBO_NODE_WHITESPACE) {
      raw += node->v.text.text;
    } else if (IsElement(node)) {
      // jsoup separates the text of block elements (and <br>) with a space.
      if (IsBlock(node->v.element.tag)) raw += ' ';
      const GumboVector& children = node->v.element.children;
      for (unsigned i = children.length; i > 0; --i) {
        stack.push_back(static_cast<const GumboNode*>(children.data[i - 1]));
      }
    }
  }
  std::string out;
  bool space = false;
  for (char c : raw) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// The cells of `row` of one kind, in order.
std::vector<std::string> Cells(const GumboNode* row, GumboTag kind) {
  std::vector<std::string> cells;
  const GumboVector& children = row->v.element.children;
  for (unsigned i = 0; i < children.length; ++i) {
    const auto* cell = static_cast<const GumboNode*>(children.data[i]);
    if (IsTag(cell, kind)) cells.push_back(Text(cell));
  }
  return cells;
}

bool FirstElementChild(const GumboNode* node) {
  const GumboNode* parent = node->parent;
  const GumboVector& siblings = parent->v.element.children;
  for (unsigned i = 0; i < siblings.length; ++i) {
    const auto* sibling = static_cast<const GumboNode*>(siblings.data[i]);
    if (IsElement(sibling)) return sibling == node;
  }
  return false;
}

core::Status TableRows(const GumboNode* table, Budget& budget, json::array& tables) {
  std::vector<const GumboNode*> rows;  // this table's own rows, not those of nested tables
  ForEachElement(table, [&](const GumboNode* node) {
    if (IsTag(node, GUMBO_TAG_TR) && OwningTable(node) == table) rows.push_back(node);
  });
  auto in = [](const GumboNode* row, GumboTag section) {
    const GumboNode* parent = ParentElement(row);
    return parent != nullptr && IsTag(parent, section);
  };
  std::vector<std::string> headers;
  for (const GumboNode* row : rows) {
    if (in(row, GUMBO_TAG_THEAD) && FirstElementChild(row)) {
      headers = Cells(row, GUMBO_TAG_TH);
      break;
    }
  }
  if (headers.empty()) {
    for (const GumboNode* row : rows) {
      if (!FirstElementChild(row)) continue;
      for (std::string& h : Cells(row, GUMBO_TAG_TH)) headers.push_back(std::move(h));
    }
  }
  const bool any_body = std::any_of(rows.begin(), rows.end(),
                                    [&](const GumboNode* r) { return in(r, GUMBO_TAG_TBODY); });
  std::vector<std::vector<std::string>> cells;
  for (const GumboNode* row : rows) {
    if (any_body && !in(row, GUMBO_TAG_TBODY)) continue;
    if (!Cells(row, GUMBO_TAG_TH).empty()) continue;  // a header row
    std::vector<std::string> data = Cells(row, GUMBO_TAG_TD);
    if (!data.empty()) cells.push_back(std::move(data));
  }
  return AppendTable(headers, cells, budget, tables);
}

struct OutputFree {
  void operator()(GumboOutput* output) const {
    gumbo_destroy_output(&kGumboDefaultOptions, output);
  }
};

class HtmlConverter final : public Converter {
 public:
  HtmlConverter(std::vector<Complex> selector, Limits limits)
      : selector_(std::move(selector)), limits_(limits) {}

  core::Result<json::value> ToJson(std::string_view body) const override {
    CAPSTAN_RETURN_IF_ERROR(CheckSize(body, limits_));
    if (const std::size_t nesting = EstimateNesting(body); nesting > kMaxHtmlNesting) {
      return Fail(ErrorCode::kPayloadTooLarge,
                  "html: elements nest about " + std::to_string(nesting) +
                      " deep, over the limit of " + std::to_string(kMaxHtmlNesting));
    }
    // Browsers read ill-formed UTF-8 as U+FFFD, and so does capstan (gumbo expects UTF-8).
    std::string valid;
    if (core::FindInvalidUtf8(body) != std::string_view::npos) {
      core::AppendValidUtf8(valid, body);
      body = valid;
    }
    std::unique_ptr<GumboOutput, OutputFree> output(
        gumbo_parse_with_options(&kGumboDefaultOptions, body.data(), body.size()));
    if (!output) return Fail(ErrorCode::kUpstreamError, "html: the parser failed");
    std::vector<const GumboNode*> tables;
    auto add = [&](const GumboNode* table) {
      if (std::find(tables.begin(), tables.end(), table) == tables.end()) tables.push_back(table);
    };
    ForEachElement(output->root, [&](const GumboNode* node) {
      if (selector_.empty()) {
        if (IsTag(node, GUMBO_TAG_TABLE)) add(node);
        return;
      }
      const bool selected = std::any_of(selector_.begin(), selector_.end(), [&](const Complex& c) {
        return Matches(node, c, c.size() - 1);
      });
      if (!selected) return;
      if (IsTag(node, GUMBO_TAG_TABLE)) {
        add(node);
        return;
      }
      ForEachElement(node, [&](const GumboNode* inner) {
        if (inner != node && IsTag(inner, GUMBO_TAG_TABLE)) add(inner);
      });
    });
    Budget budget(limits_);
    CAPSTAN_RETURN_IF_ERROR(budget.Take(1));
    json::array out;
    for (const GumboNode* table : tables) {
      CAPSTAN_RETURN_IF_ERROR(TableRows(table, budget, out));
    }
    json::object result;
    result["tables"] = std::move(out);
    return json::value(std::move(result));
  }

  Format format() const override { return Format::kHtml; }

 private:
  std::vector<Complex> selector_;
  Limits limits_;
};

}  // namespace

core::Result<ConverterPtr> MakeHtml(std::string_view selector, Limits limits) {
  std::vector<Complex> groups;
  if (selector.find_first_not_of(" \t\n") != std::string_view::npos) {
    CAPSTAN_ASSIGN_OR_RETURN(groups, SelectorParser(selector).Parse());
  }
  return std::make_unique<HtmlConverter>(std::move(groups), limits);
}

}  // namespace capstan::convert::internal
