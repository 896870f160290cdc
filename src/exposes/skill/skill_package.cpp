#include "exposes/skill/skill_package.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>

#include <openssl/evp.h>

#include "core/hex.hpp"
#include "core/percent.hpp"
#include "exposes/mcp/catalog.hpp"
#include "spec/yaml.hpp"

namespace capstan::skill {

using core::ErrorCode;
using core::Fail;
namespace fs = std::filesystem;

const SkillFile* SkillPackage::Find(std::string_view path) const {
  for (const SkillFile& f : files) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

std::string MediaTypeOf(std::string_view file_name) {
  static const std::map<std::string, std::string, std::less<>> kTypes = {
      {"md", "text/markdown"},      {"markdown", "text/markdown"}, {"txt", "text/plain"},
      {"json", "application/json"}, {"yaml", "application/yaml"},  {"yml", "application/yaml"},
      {"html", "text/html"},        {"htm", "text/html"},          {"csv", "text/csv"},
      {"xml", "application/xml"},   {"py", "text/x-python"},       {"sh", "application/x-sh"},
      {"js", "text/javascript"},    {"mjs", "text/javascript"},    {"ts", "text/plain"},
      {"toml", "application/toml"}, {"png", "image/png"},          {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},       {"gif", "image/gif"},          {"svg", "image/svg+xml"},
      {"webp", "image/webp"},       {"pdf", "application/pdf"},    {"zip", "application/zip"},
  };
  const std::size_t dot = file_name.rfind('.');
  if (dot == std::string_view::npos || file_name.find('/', dot) != std::string_view::npos) {
    return "application/octet-stream";
  }
  std::string ext(file_name.substr(dot + 1));
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto it = kTypes.find(ext);
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr) != 1) return "";
  return core::HexLower(std::string_view(reinterpret_cast<const char*>(digest), size));
}

namespace {

void WriteYaml(std::string& out, const json::value& v, int indent);

// A key YAML reads back as the same string when written plain ("allowed-tools"); others
// ("true", "a: b", "") are written double-quoted.
bool PlainKey(std::string_view key) {
  if (key.empty() || !std::isalpha(static_cast<unsigned char>(key[0]))) return false;
  for (char c : key) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  std::string lower(key);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static constexpr std::string_view kWords[] = {"true", "false", "null", "yes", "no", "on",
                                                "off",  "y",     "n",    "nan", "inf"};
  for (std::string_view w : kWords) {
    if (lower == w) return false;
  }
  return true;
}

void WriteYamlObject(std::string& out, const json::object& o, int indent) {
  for (const auto& kv : o) {
    out.append(static_cast<std::size_t>(indent), ' ');
    out += PlainKey(kv.key()) ? std::string(kv.key()) : core::SerializeJson(json::value(kv.key()));
    out += ':';
    if (kv.value().is_object() && !kv.value().get_object().empty()) {
      out += '\n';
      WriteYamlObject(out, kv.value().get_object(), indent + 2);
    } else {
      out += ' ';
      WriteYaml(out, kv.value(), indent);
      out += '\n';
    }
  }
}

// Flow style for everything but non-empty mappings: JSON is valid YAML 1.2 flow.
void WriteYaml(std::string& out, const json::value& v, int /*indent*/) {
  out += core::SerializeJson(v);
}

// file:///abs, file:///./rel or a plain path; relative ones against the capability's folder.
fs::path LocationPath(std::string_view location, const std::string& capability_file) {
  fs::path p(spec::StripFileScheme(location));
  if (p.is_relative()) p = fs::path(capability_file).parent_path() / p;
  return p.lexically_normal();
}

core::Result<std::string> ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(ErrorCode::kNotFound, "cannot read " + path.string());
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return bytes;
}

// Every regular file under `root` whose real path stays inside it (a symlink out of the skill is
// left out), by relative path.
core::Result<std::vector<SkillFile>> ReadLocation(const fs::path& root, const std::string& what) {
  std::error_code ec;
  const fs::path canonical_root = fs::canonical(root, ec);
  if (ec || !fs::is_directory(canonical_root, ec)) {
    return Fail(ErrorCode::kNotFound,
                what + ": location " + root.string() + " is not a readable directory");
  }
  std::vector<SkillFile> files;
  std::size_t total = 0;
  fs::recursive_directory_iterator it(canonical_root, fs::directory_options::none, ec);
  if (ec) return Fail(ErrorCode::kNotFound, what + ": cannot list " + root.string());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return Fail(ErrorCode::kNotFound, what + ": cannot list " + root.string());
    const fs::path real = fs::canonical(it->path(), ec);
    if (ec) {
      ec.clear();
      continue;
    }
    const std::string real_text = real.string();
    const std::string root_text = canonical_root.string() + "/";
    if (real_text.compare(0, root_text.size(), root_text) != 0) continue;  // escapes the skill
    if (!fs::is_regular_file(real, ec)) continue;
    SkillFile f;
    f.path = it->path().lexically_relative(canonical_root).generic_string();
    auto bytes = ReadAll(real);
    if (!bytes) return Fail(ErrorCode::kNotFound, what + ": " + bytes.error().message);
    total += bytes->size();
    f.bytes = std::move(*bytes);
    f.media_type = MediaTypeOf(f.path);
    files.push_back(std::move(f));
    if (files.size() >= kMaxSkillFiles || total > kMaxSkillBytes) {
      return Fail(ErrorCode::kInvalidArgument,
                  what + ": the location holds more than " + std::to_string(kMaxSkillFiles - 1) +
                      " files or " + std::to_string(kMaxSkillBytes >> 20) +
                      " MiB (the Skills extension's limits)");
    }
  }
  std::sort(files.begin(), files.end(),
            [](const SkillFile& a, const SkillFile& b) { return a.path < b.path; });
  return files;
}

json::object Frontmatter(const spec::ExposedSkill& s) {
  json::object fm;
  fm["name"] = s.name;
  fm["description"] = s.description;
  if (s.license) fm["license"] = *s.license;
  if (s.compatibility) fm["compatibility"] = *s.compatibility;
  if (!s.metadata.empty()) {
    json::object meta;
    for (const auto& [k, v] : s.metadata) meta[k] = v;
    fm["metadata"] = std::move(meta);
  }
  if (s.allowed_tools) fm["allowed-tools"] = *s.allowed_tools;
  if (s.argument_hint) fm["argument-hint"] = *s.argument_hint;
  if (!s.user_invocable) fm["user-invocable"] = false;
  if (s.disable_model_invocation) fm["disable-model-invocation"] = true;
  return fm;
}

// What a sibling adapter offers a skill tool: the kind, a line on how to call it, its inputs.
struct Action {
  std::string mode;  // "mcp" or "rest"
  std::string how;
  json::object input_schema;
};

class Siblings {
 public:
  Siblings(const spec::CapabilityBody& body, const std::shared_ptr<const runtime::Runtime>& rt) {
    for (const spec::Exposes& e : body.exposes) {
      if (const auto* mcp_spec = std::get_if<spec::ExposesMcp>(&e)) {
        std::map<std::string, json::object> schemas;
        if (rt) {
          if (auto catalog = mcp::BuildCatalog(rt, *mcp_spec)) {
            for (std::size_t i = 0; i < catalog->tools.size() && i < mcp_spec->tools.size(); ++i) {
              const json::value* schema = catalog->tools[i].definition.if_contains("inputSchema");
              if (schema && schema->is_object()) {
                schemas[mcp_spec->tools[i].name] = schema->get_object();
              }
            }
          }
        }
        for (const spec::McpTool& t : mcp_spec->tools) {
          Action a{"mcp", "MCP tool `" + t.name + "` of the `" + mcp_spec->ns + "` MCP server",
                   schemas[t.name]};
          actions_[{mcp_spec->ns, t.name}] = std::move(a);
        }
      } else if (const auto* rest = std::get_if<spec::ExposesRest>(&e)) {
        for (const spec::ExposedResource& r : rest->resources) {
          for (const spec::ExposedOperation& op : r.operations) {
            if (!op.name) continue;
            Action a{"rest",
                     "`" + std::string(spec::HttpMethodName(op.method)) + " " + r.path +
                         "` on the `" + rest->ns + "` REST adapter",
                     {}};
            actions_[{rest->ns, *op.name}] = std::move(a);
          }
        }
      }
    }
  }
  [[nodiscard]] const Action* Find(const std::string& ns, const std::string& action) const {
    auto it = actions_.find({ns, action});
    return it == actions_.end() ? nullptr : &it->second;
  }

 private:
  std::map<std::pair<std::string, std::string>, Action> actions_;
};

std::string InputsText(const json::object& schema) {
  const json::value* props = schema.if_contains("properties");
  if (props == nullptr || !props->is_object() || props->get_object().empty()) return "";
  std::vector<std::string> required;
  if (const json::value* r = schema.if_contains("required"); r && r->is_array()) {
    for (const json::value& v : r->get_array()) {
      if (v.is_string()) required.emplace_back(v.get_string());
    }
  }
  std::string out = "- Inputs:\n";
  for (const auto& kv : props->get_object()) {
    std::string name(kv.key());
    out += "  - `" + name + "`";
    if (const json::object* p = kv.value().if_object()) {
      if (const json::value* t = p->if_contains("type"); t && t->is_string()) {
        out += " (" + std::string(t->get_string());
        if (std::find(required.begin(), required.end(), name) != required.end()) {
          out += ", required";
        }
        out += ")";
      }
      if (const json::value* d = p->if_contains("description"); d && d->is_string()) {
        out += ": " + std::string(d->get_string());
      }
    }
    out += "\n";
  }
  return out;
}

}  // namespace

std::string FrontmatterYaml(const json::object& object) {
  std::string out;
  WriteYamlObject(out, object, 0);
  return out;
}

core::Result<json::object> ParseFrontmatter(std::string_view text, const std::string& file) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  auto line_end = [&](std::size_t from) {
    std::size_t nl = text.find('\n', from);
    return nl == std::string_view::npos ? text.size() : nl;
  };
  auto trimmed = [&](std::size_t from, std::size_t to) {
    std::string_view line = text.substr(from, to - from);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    return line;
  };
  std::size_t first = line_end(0);
  if (trimmed(0, first) != "---") {
    return Fail(ErrorCode::kInvalidArgument, file + ": SKILL.md does not begin with '---'");
  }
  std::size_t start = first + 1;
  for (std::size_t pos = start; pos < text.size();) {
    std::size_t end = line_end(pos);
    if (trimmed(pos, end) == "---") {
      auto parsed = spec::ParseYaml(text.substr(start, pos - start), file);
      if (!parsed.document || !parsed.document->root.is_object()) {
        std::string why = parsed.diagnostics.empty() ? std::string("not a mapping")
                                                     : parsed.diagnostics.front().message;
        return Fail(ErrorCode::kInvalidArgument, file + ": SKILL.md frontmatter: " + why);
      }
      return parsed.document->root.get_object();
    }
    pos = end + 1;
  }
  return Fail(ErrorCode::kInvalidArgument, file + ": SKILL.md frontmatter has no closing '---'");
}

core::Result<std::vector<SkillPackage>> BuildSkillPackages(
    const spec::Capability& capability, const spec::ExposesSkill& adapter,
    const std::shared_ptr<const runtime::Runtime>& runtime) {
  std::vector<SkillPackage> out;
  if (!capability.capability) return out;
  const Siblings siblings(*capability.capability, runtime);
  for (const spec::ExposedSkill& s : adapter.skills) {
    const std::string what = "skill '" + s.name + "' of skill adapter '" + adapter.ns + "'";
    SkillPackage p;
    p.adapter = adapter.ns;
    p.name = s.name;
    p.description = s.description;
    std::vector<SkillFile> located;
    if (s.location) {
      auto files = ReadLocation(LocationPath(*s.location, capability.file), what);
      if (!files) return Fail(std::move(files).error());
      located = std::move(*files);
    }
    json::array tools;
    json::array tool_names;
    std::string tools_md;
    for (const spec::SkillTool& t : s.tools) {
      json::object entry;
      entry["name"] = t.name;
      entry["description"] = t.description;
      tool_names.emplace_back(t.name);
      tools_md += "\n### " + t.name + "\n\n" + t.description + "\n\n";
      if (t.from) {
        const Action* action = siblings.Find(t.from->source_namespace, t.from->action);
        entry["type"] = "derived";
        json::object ref;
        ref["targetNamespace"] = t.from->source_namespace;
        ref["action"] = t.from->action;
        ref["mode"] = action ? action->mode : "unknown";
        entry["invocationRef"] = std::move(ref);
        if (action) {
          tools_md += "- Call: " + action->how + "\n" + InputsText(action->input_schema);
        }
      } else if (t.instruction) {
        const std::string file = fs::path(*t.instruction).lexically_normal().generic_string();
        auto found = std::find_if(located.begin(), located.end(),
                                  [&](const SkillFile& f) { return f.path == file; });
        if (found == located.end()) {
          return Fail(ErrorCode::kNotFound, what + ": tool '" + t.name + "' has instruction '" +
                                                *t.instruction + "', which is not a file of " +
                                                (s.location ? *s.location : "its location"));
        }
        entry["type"] = "instruction";
        entry["instruction"] = file;
        tools_md += "- Instructions: [" + file + "](" + file + ")\n";
      }
      tools.push_back(std::move(entry));
    }
    auto own = std::find_if(located.begin(), located.end(),
                            [](const SkillFile& f) { return f.path == "SKILL.md"; });
    SkillFile manifest;
    if (own != located.end()) {
      // The location's own SKILL.md is served verbatim; its frontmatter must name this skill.
      auto fm = ParseFrontmatter(own->bytes, what);
      if (!fm) return Fail(std::move(fm).error());
      const json::value* n = fm->if_contains("name");
      if (n == nullptr || !n->is_string() || n->get_string() != s.name) {
        return Fail(ErrorCode::kInvalidArgument,
                    what + ": the location's SKILL.md frontmatter must have name: " + s.name);
      }
      p.frontmatter = std::move(*fm);
      manifest = std::move(*own);
      located.erase(own);
    } else {
      p.frontmatter = Frontmatter(s);
      p.generated_manifest = true;
      manifest.path = "SKILL.md";
      manifest.bytes = "---\n" + FrontmatterYaml(p.frontmatter) + "---\n\n# " + s.name + "\n\n" +
                       s.description + "\n";
      if (!tools_md.empty()) manifest.bytes += "\n## Tools\n" + tools_md;
    }
    manifest.media_type = "text/markdown";
    p.files.push_back(std::move(manifest));
    for (SkillFile& f : located) p.files.push_back(std::move(f));
    std::size_t total = 0;
    for (SkillFile& f : p.files) {
      f.sha256 = Sha256Hex(f.bytes);
      total += f.bytes.size();
    }
    if (p.files.size() > kMaxSkillFiles || total > kMaxSkillBytes) {
      return Fail(ErrorCode::kInvalidArgument, what + ": more than " +
                                                   std::to_string(kMaxSkillFiles) + " files or " +
                                                   std::to_string(kMaxSkillBytes >> 20) + " MiB");
    }
    p.summary["name"] = s.name;
    p.summary["description"] = s.description;
    if (s.license) p.summary["license"] = *s.license;
    p.summary["tools"] = tool_names;
    p.detail = Frontmatter(s);
    p.detail["user-invocable"] = s.user_invocable;
    p.detail["disable-model-invocation"] = s.disable_model_invocation;
    p.detail["tools"] = std::move(tools);
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<mcp::SkillEntry> McpSkillEntries(const std::vector<SkillPackage>& packages) {
  std::vector<mcp::SkillEntry> out;
  for (const SkillPackage& p : packages) {
    const std::string base = "skill://" +
                             core::PercentEncode(p.adapter, core::UrlPart::kPathSegment) + "/" +
                             core::PercentEncode(p.name, core::UrlPart::kPathSegment) + "/";
    mcp::SkillEntry entry;
    json::array resources;
    for (const SkillFile& f : p.files) {
      std::string uri = base;
      std::string_view path = f.path;
      while (!path.empty()) {
        const std::size_t slash = path.find('/');
        core::AppendPercentEncoded(uri, path.substr(0, slash), core::UrlPart::kPathSegment);
        if (slash == std::string_view::npos) break;
        uri += '/';
        path.remove_prefix(slash + 1);
      }
      json::object r;
      r["uri"] = uri;
      r["digest"] = "sha256:" + f.sha256;
      r["size"] = f.bytes.size();
      resources.push_back(std::move(r));
      entry.files.push_back(mcp::SkillFileResource{uri, f.media_type, f.bytes});
    }
    entry.uri = entry.files.front().uri;  // SKILL.md
    entry.entry["uri"] = entry.uri;
    entry.entry["frontmatter"] = p.frontmatter;
    entry.entry["resources"] = std::move(resources);
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace capstan::skill
