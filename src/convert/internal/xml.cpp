// XML to JSON with libxml2, in the shape Jackson's XmlMapper.readTree gives the reference engine:
// the root element's name is dropped; attributes and child elements become members (local names,
// values as strings); repeated names become arrays; an element with only text is that text; the
// text of an element that also has members is the member "". No DTD is loaded, no network is
// used, and entity references other than the predefined ones are refused (no XXE, no expansion).
#include <memory>
#include <mutex>
#include <string>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "convert/internal/formats.hpp"

namespace capstan::convert::internal {
namespace {

using core::ErrorCode;
using core::Fail;

struct DocFree {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
struct CtxtFree {
  void operator()(xmlParserCtxt* ctxt) const { xmlFreeParserCtxt(ctxt); }
};

std::string_view Name(const xmlChar* name) {
  return name == nullptr ? std::string_view() : reinterpret_cast<const char*>(name);
}

bool IsBlank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// Adds `value` under `key`; a second value for the key turns the member into an array (values
// converted from XML are never arrays otherwise).
void AddMember(json::object& object, std::string_view key, json::value value) {
  auto it = object.find(key);
  if (it == object.end()) {
    object.emplace(key, std::move(value));
    return;
  }
  json::value& existing = it->value();
  if (!existing.is_array()) {
    json::array both;
    both.push_back(std::move(existing));
    existing = std::move(both);
  }
  existing.as_array().push_back(std::move(value));
}

class XmlConverter final : public Converter {
 public:
  explicit XmlConverter(Limits limits) : limits_(limits) {}

  core::Result<json::value> ToJson(std::string_view body) const override {
    CAPSTAN_RETURN_IF_ERROR(CheckSize(body, limits_));
    static std::once_flag init;
    std::call_once(init, [] {
      xmlInitParser();
      // No external entity or DTD is ever read, whatever a document declares.
      xmlSetExternalEntityLoader(
          [](const char*, const char*, xmlParserCtxt*) -> xmlParserInput* { return nullptr; });
    });
    std::unique_ptr<xmlParserCtxt, CtxtFree> ctxt(xmlNewParserCtxt());
    if (!ctxt) return Fail(ErrorCode::kInternal, "xml: out of memory");
    constexpr int kOptions =
        XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
    std::unique_ptr<xmlDoc, DocFree> doc(xmlCtxtReadMemory(
        ctxt.get(), body.data(), static_cast<int>(body.size()), nullptr, nullptr, kOptions));
    if (!doc || ctxt->wellFormed == 0) {
      const xmlError* error = xmlCtxtGetLastError(ctxt.get());
      std::string message = "xml: ";
      if (error != nullptr && error->message != nullptr) {
        message += Name(reinterpret_cast<const xmlChar*>(error->message));
        while (!message.empty() && message.back() == '\n') message.pop_back();
        message += " (line " + std::to_string(error->line) + ")";
      } else {
        message += "not a well-formed document";
      }
      return Fail(ErrorCode::kUpstreamError, std::move(message));
    }
    xmlNode* root = xmlDocGetRootElement(doc.get());
    if (root == nullptr) return Fail(ErrorCode::kUpstreamError, "xml: no root element");
    Budget budget(limits_);
    json::value out;
    CAPSTAN_RETURN_IF_ERROR(Element(root, 1, budget, out));
    // An empty root is an empty object, as readTree gives it, not "".
    if (out.is_string() && out.as_string().empty() && root->properties == nullptr &&
        root->children == nullptr) {
      out = json::object();
    }
    return out;
  }

  Format format() const override { return Format::kXml; }

 private:
  static core::Status Element(xmlNode* node, std::size_t depth, Budget& budget, json::value& out) {
    CAPSTAN_RETURN_IF_ERROR(budget.Take(depth));
    json::object members;
    std::string text;
    bool has_members = false;
    for (xmlAttr* attr = node->properties; attr != nullptr; attr = attr->next) {
      CAPSTAN_RETURN_IF_ERROR(budget.Take(depth + 1));
      xmlChar* value = xmlNodeListGetString(node->doc, attr->children, 1);
      AddMember(members, Name(attr->name), json::string(Name(value)));
      xmlFree(value);
      has_members = true;
    }
    for (xmlNode* child = node->children; child != nullptr; child = child->next) {
      switch (child->type) {
        case XML_ELEMENT_NODE: {
          json::value value;
          CAPSTAN_RETURN_IF_ERROR(Element(child, depth + 1, budget, value));
          AddMember(members, Name(child->name), std::move(value));
          has_members = true;
          break;
        }
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
          text += Name(child->content);
          break;
        case XML_ENTITY_REF_NODE:
          return Fail(ErrorCode::kUpstreamError,
                      "xml: entity reference &" + std::string(Name(child->name)) +
                          "; is not expanded (only the predefined entities are)");
        default:
          break;  // comments, processing instructions
      }
    }
    if (!has_members) {
      out = json::string(text);
      return core::Ok();
    }
    if (!IsBlank(text)) {
      CAPSTAN_RETURN_IF_ERROR(budget.Take(depth + 1));
      AddMember(members, "", json::string(text));
    }
    out = std::move(members);
    return core::Ok();
  }

  Limits limits_;
};

}  // namespace

core::Result<ConverterPtr> MakeXml(Limits limits) { return std::make_unique<XmlConverter>(limits); }

}  // namespace capstan::convert::internal
