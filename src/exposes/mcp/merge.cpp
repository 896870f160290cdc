#include "exposes/mcp/merge.hpp"

#include <map>
#include <set>

#include <fnmatch.h>

#include "exposes/mcp/discovery.hpp"
#include "exposes/mcp/protocol.hpp"
#include "exposes/mcp/transport.hpp"

namespace capstan::mcp {

using core::ErrorCode;
using core::Fail;

core::Result<ToolClash> ParseToolClash(std::string_view text) {
  if (text == "error") return ToolClash::kError;
  if (text == "prefix") return ToolClash::kPrefix;
  if (text == "prefix-all") return ToolClash::kPrefixAll;
  return Fail(
      ErrorCode::kInvalidArgument,
      "--mcp-tool-clash expects error, prefix or prefix-all, got '" + std::string(text) + "'");
}

namespace {

core::Error ControlsError(std::string_view where, std::string_view what) {
  return core::Error{ErrorCode::kInvalidArgument,
                     "tool controls: " + std::string(where) + ": " + std::string(what)};
}

core::Status ReadGlobs(const json::value& v, std::string_view where,
                       std::vector<std::string>& out) {
  const json::array* list = v.if_array();
  if (list == nullptr) return Fail(ControlsError(where, "expects a list"));
  for (const json::value& item : *list) {
    if (!item.is_string() || item.as_string().empty()) {
      return Fail(ControlsError(where, "expects non-empty strings"));
    }
    out.emplace_back(item.as_string());
  }
  return core::Ok();
}

core::Status ReadBool(const json::value& v, std::string_view where, std::optional<bool>& out) {
  if (!v.is_bool()) return Fail(ControlsError(where, "expects true or false"));
  out = v.as_bool();
  return core::Ok();
}

core::Result<ToolOverride> ReadOverride(const json::value& v, const std::string& where) {
  const json::object* o = v.if_object();
  if (o == nullptr) return Fail(ControlsError(where, "expects a mapping"));
  ToolOverride out;
  for (const auto& [key, value] : *o) {
    std::string at = where + "." + std::string(key);
    if (key == "name" || key == "description") {
      if (!value.is_string() || value.as_string().empty()) {
        return Fail(ControlsError(at, "expects a non-empty string"));
      }
      (key == "name" ? out.name : out.description) = std::string(value.as_string());
    } else if (key == "hints") {
      const json::object* h = value.if_object();
      if (h == nullptr) return Fail(ControlsError(at, "expects a mapping"));
      for (const auto& [hint, flag] : *h) {
        std::string hint_at = at + "." + std::string(hint);
        std::optional<bool>* slot = hint == "readOnly"      ? &out.hints.read_only
                                    : hint == "destructive" ? &out.hints.destructive
                                    : hint == "idempotent"  ? &out.hints.idempotent
                                    : hint == "openWorld"   ? &out.hints.open_world
                                                            : nullptr;
        if (slot == nullptr) {
          return Fail(ControlsError(hint_at,
                                    "unknown hint (readOnly, destructive, idempotent, openWorld)"));
        }
        CAPSTAN_RETURN_IF_ERROR(ReadBool(flag, hint_at, *slot));
      }
    } else {
      return Fail(ControlsError(at, "unknown member (name, description, hints)"));
    }
  }
  return out;
}

bool Glob(const std::string& pattern, const std::string& text) {
  return ::fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

// Whether `pattern` names the tool: by its served name, or as "<namespace>/<name>".
bool MatchesTool(const std::string& pattern, const std::string& ns, const std::string& name) {
  if (pattern.find('/') != std::string::npos) return Glob(pattern, ns + "/" + name);
  return Glob(pattern, name);
}

bool AnyMatches(const std::vector<std::string>& patterns, const std::string& ns,
                const std::string& name) {
  for (const std::string& p : patterns) {
    if (MatchesTool(p, ns, name)) return true;
  }
  return false;
}

void SetName(json::object& definition, const std::string& name) { definition["name"] = name; }

void ApplyHints(json::object& definition, const spec::McpToolHints& hints) {
  json::value& slot = definition["annotations"];
  if (!slot.is_object()) slot = json::object();
  json::object& annotations = slot.as_object();
  if (hints.read_only) annotations["readOnlyHint"] = *hints.read_only;
  if (hints.destructive) annotations["destructiveHint"] = *hints.destructive;
  if (hints.idempotent) annotations["idempotentHint"] = *hints.idempotent;
  if (hints.open_world) annotations["openWorldHint"] = *hints.open_world;
}

void Reindex(Catalog& catalog) {
  catalog.tool_index.clear();
  for (std::size_t i = 0; i < catalog.tools.size(); ++i) {
    catalog.tool_index[catalog.tools[i].name] = i;
  }
}

// Names every item of `parts` (tools or prompts, through the accessors) in the union under the
// clash policy. Names that clash nowhere are reserved first, so that a prefixed name never takes
// one of them, and the outcome does not depend on which clashing adapter comes first.
template <typename Items, typename NameOf>
core::Status NameUnion(std::vector<CatalogPart>& parts, ToolClash clash, std::string_view kind,
                       Items items_of, NameOf name_of, MountReport& report) {
  std::map<std::string, std::vector<std::size_t>> owners;  // name → parts offering it
  for (std::size_t p = 0; p < parts.size(); ++p) {
    for (auto& item : items_of(parts[p])) owners[name_of(item)].push_back(p);
  }
  if (clash == ToolClash::kError) {
    for (const auto& [name, who] : owners) {
      if (who.size() < 2) continue;
      return Fail(ErrorCode::kInvalidArgument,
                  std::string(kind) + " name '" + name + "' is offered by " + parts[who[0]].label +
                      " and by " + parts[who[1]].label +
                      " on one listener; rename one (tool controls), give one its own port, or "
                      "serve with --mcp-tool-clash prefix");
    }
    return core::Ok();
  }
  std::set<std::string> taken;
  for (const auto& [name, who] : owners) {
    if (who.size() == 1 && clash == ToolClash::kPrefix) taken.insert(name);
  }
  for (CatalogPart& part : parts) {
    for (auto& item : items_of(part)) {
      std::string& name = name_of(item);
      if (clash == ToolClash::kPrefix && owners[name].size() == 1) continue;
      std::string renamed = SanitizeToolName(part.ns + "_" + name, taken);
      taken.insert(renamed);
      report.lines.push_back(std::string(kind) + " '" + name + "' of " + part.label +
                             " is served as '" + renamed + "'" +
                             (owners[name].size() > 1 ? " (name clash)" : " (prefix-all)"));
      name = renamed;
      SetName(item.definition, renamed);
    }
  }
  return core::Ok();
}

}  // namespace

core::Result<ToolControls> ParseToolControls(const json::value& document) {
  ToolControls out;
  if (document.is_null()) return out;
  const json::object* root = document.if_object();
  if (root == nullptr) return Fail(ControlsError("(document)", "expects a mapping"));
  for (const auto& [key, value] : *root) {
    if (key == "include" || key == "exclude") {
      CAPSTAN_RETURN_IF_ERROR(ReadGlobs(value, key, key == "include" ? out.include : out.exclude));
    } else if (key == "readOnly") {
      std::optional<bool> flag;
      CAPSTAN_RETURN_IF_ERROR(ReadBool(value, key, flag));
      out.read_only = *flag;
    } else if (key == "tools") {
      const json::object* tools = value.if_object();
      if (tools == nullptr) return Fail(ControlsError(key, "expects a mapping of tool names"));
      for (const auto& [name, entry] : *tools) {
        auto parsed = ReadOverride(entry, "tools." + std::string(name));
        if (!parsed) return Fail(std::move(parsed).error());
        out.overrides.emplace_back(std::string(name), std::move(*parsed));
      }
    } else if (key == "access") {
      auto rules = ParseAccessRules(value);
      if (!rules) return Fail(std::move(rules).error());
      out.access = std::move(*rules);
    } else {
      return Fail(ControlsError(key, "unknown member (include, exclude, readOnly, tools, access)"));
    }
  }
  return out;
}

core::Status ApplyToolControls(CatalogPart& part, const ToolControls& controls,
                               MountReport& report) {
  if (report.override_used.size() < controls.overrides.size()) {
    report.override_used.resize(controls.overrides.size(), false);
  }
  std::vector<Tool> kept;
  std::set<std::string> taken;
  std::map<std::string, std::vector<std::string>> left_out;  // reason → tool names
  for (Tool& tool : part.catalog.tools) {
    const std::string declared = tool.name;
    std::optional<std::string> rename;
    for (std::size_t i = 0; i < controls.overrides.size(); ++i) {
      const auto& [key, change] = controls.overrides[i];
      if (key != declared && key != part.ns + "/" + declared) continue;
      report.override_used[i] = true;
      if (change.name) rename = *change.name;
      if (change.description) tool.definition["description"] = *change.description;
      ApplyHints(tool.definition, change.hints);
    }
    std::string why;
    if (!controls.include.empty() && !AnyMatches(controls.include, part.ns, declared)) {
      why = "not included";
    } else if (AnyMatches(controls.exclude, part.ns, declared)) {
      why = "excluded";
    } else if (controls.read_only && !Hint(tool, "readOnlyHint", false)) {
      why = "not read-only";
    }
    if (!why.empty()) {
      left_out[why].push_back(declared);
      continue;
    }
    if (rename) {
      tool.name = SanitizeToolName(*rename, {});  // a clash is the operator's error, below
      SetName(tool.definition, tool.name);
      report.lines.push_back("tool '" + declared + "' of " + part.label + " is served as '" +
                             tool.name + "' (tool controls" +
                             (tool.name != *rename ? "; '" + *rename + "' sanitised" : "") + ")");
    }
    if (taken.count(tool.name)) {
      return Fail(
          ErrorCode::kInvalidArgument,
          "tool controls: " + part.label + " would serve two tools named '" + tool.name + "'");
    }
    taken.insert(tool.name);
    kept.push_back(std::move(tool));
  }
  // A line per reason, not per tool: a filter over a fleet leaves out hundreds.
  for (const auto& [why, names] : left_out) {
    std::string line = part.label + ": " + std::to_string(names.size()) +
                       (names.size() == 1 ? " tool" : " tools") + " left out (" + why + "):";
    for (std::size_t i = 0; i < names.size(); ++i) line += (i ? ", " : " ") + names[i];
    report.lines.push_back(std::move(line));
  }
  part.catalog.tools = std::move(kept);
  Reindex(part.catalog);
  return core::Ok();
}

core::Result<Catalog> MergeCatalogs(std::vector<CatalogPart> parts, ToolClash clash,
                                    MountReport& report) {
  if (parts.size() == 1) return std::move(parts.front().catalog);
  CAPSTAN_RETURN_IF_ERROR(NameUnion(
      parts, clash, "tool", [](CatalogPart& p) -> std::vector<Tool>& { return p.catalog.tools; },
      [](Tool& t) -> std::string& { return t.name; }, report));
  CAPSTAN_RETURN_IF_ERROR(NameUnion(
      parts, clash, "prompt",
      [](CatalogPart& p) -> std::vector<Prompt>& { return p.catalog.prompts; },
      [](Prompt& p) -> std::string& { return p.name; }, report));
  Catalog merged;
  std::map<std::string, const CatalogPart*> resource_owner;
  for (CatalogPart& part : parts) {
    if (!part.catalog.instructions.empty()) {
      if (!merged.instructions.empty()) merged.instructions += "\n\n";
      merged.instructions += part.ns + ": " + part.catalog.instructions;
    }
    for (Tool& tool : part.catalog.tools) CAPSTAN_RETURN_IF_ERROR(merged.AddTool(std::move(tool)));
    for (Prompt& prompt : part.catalog.prompts) merged.prompts.push_back(std::move(prompt));
    for (Resource& resource : part.catalog.resources) {
      auto [it, fresh] = resource_owner.emplace(resource.uri, &part);
      if (!fresh) {
        return Fail(ErrorCode::kInvalidArgument,
                    "resource '" + resource.uri + "' is offered by " + it->second->label +
                        " and by " + part.label +
                        " on one listener; give one of them its own port");
      }
      merged.resources.push_back(std::move(resource));
    }
    for (SkillEntry& skill : part.catalog.skills) {
      auto [it, fresh] = resource_owner.emplace(skill.uri, &part);
      if (!fresh) {
        return Fail(ErrorCode::kInvalidArgument, "skill '" + skill.uri + "' is offered by " +
                                                     it->second->label + " and by " + part.label +
                                                     " on one listener");
      }
      merged.skills.push_back(std::move(skill));
    }
  }
  return merged;
}

namespace {

struct BuiltPart {
  CatalogPart part;
  InboundAuth auth;
};

core::Result<BuiltPart> BuildPart(const AdapterSource& source, const MountOptions& mount,
                                  MountReport& report) {
  const spec::ExposesMcp& spec = *source.spec;
  BuiltPart built;
  built.part.ns = spec.ns;
  built.part.label = "mcp adapter '" + spec.ns + "' (" +
                     (source.file.empty() ? spec.source.file : source.file) + ")";
  auto catalog = BuildCatalog(source.runtime, spec);
  if (!catalog) return Fail(std::move(catalog).error());
  for (std::size_t i = 0; i < spec.tools.size() && i < catalog->tools.size(); ++i) {
    if (spec.tools[i].name != catalog->tools[i].name) {
      report.lines.push_back("tool '" + spec.tools[i].name + "' of " + built.part.label +
                             " is served as '" + catalog->tools[i].name +
                             "' (MCP tool names are 1 to 64 of [A-Za-z0-9_.-], unique)");
    }
  }
  built.part.catalog = std::move(*catalog);
  built.part.catalog.skills = source.skills;
  if (!mount.controls.empty()) {
    CAPSTAN_RETURN_IF_ERROR(ApplyToolControls(built.part, mount.controls, report));
  }
  // After the controls: an overridden destructiveHint decides.
  if (mount.confirm_destructive) (void)MarkForConfirmation(built.part.catalog);
  auto auth = InboundAuth::Build(source.runtime.get(), spec.authentication,
                                 "mcp adapter '" + spec.ns + "'");
  if (!auth) return Fail(std::move(auth).error());
  built.auth = std::move(*auth);
  return built;
}

std::shared_ptr<exposes::Endpoint> EndpointFor(std::string describe, std::string server_name,
                                               std::shared_ptr<const runtime::Runtime> runtime,
                                               Catalog catalog, InboundAuth auth,
                                               McpOptions options,
                                               const std::vector<AccessRule>& access) {
  ProtocolOptions po;
  po.server_name = std::move(server_name);
  po.server_version = options.server_version;
  po.private_cache = auth.enabled();
  po.tools_list_changed = options.list_changed;
  if (!access.empty()) po.access = std::make_shared<const std::vector<AccessRule>>(access);
  auto protocol = std::make_shared<const Protocol>(
      std::make_shared<const Catalog>(std::move(catalog)), std::move(po));
  return MakeHttpEndpoint(std::move(describe), std::move(runtime), std::move(protocol),
                          std::move(auth), std::move(options));
}

}  // namespace

core::Result<std::vector<std::shared_ptr<exposes::Endpoint>>> MakeMcpEndpoints(
    const std::vector<AdapterSource>& sources, const McpOptions& options, const MountOptions& mount,
    MountReport& report) {
  if (sources.empty()) return Fail(ErrorCode::kInternal, "no mcp adapter to serve");
  if (mount.discovery && !mount.controls.access.empty()) {
    // call_tool would reach every tool: refuse rather than serve a way around the rules.
    return Fail(ErrorCode::kInvalidArgument,
                "tool access rules do not apply to the discovery meta-tools yet: use "
                "--mcp-discovery or `access`, not both");
  }
  std::vector<BuiltPart> built;
  for (const AdapterSource& source : sources) {
    auto part = BuildPart(source, mount, report);
    if (!part) return Fail(std::move(part).error());
    if (!built.empty()) {
      if (!(part->auth == built.front().auth)) {
        return Fail(ErrorCode::kInvalidArgument,
                    built.front().part.label + " and " + part->part.label +
                        " share a listener but not their inbound authentication; give one of "
                        "them its own port");
      }
      if (source.runtime->tls() != sources.front().runtime->tls()) {
        return Fail(ErrorCode::kInternal, built.front().part.label + " and " + part->part.label +
                                              " share a listener but not an upstream TLS context");
      }
    }
    built.push_back(std::move(*part));
  }
  std::vector<std::shared_ptr<exposes::Endpoint>> endpoints;
  std::vector<std::shared_ptr<exposes::Endpoint>> mounts;
  if (mount.per_adapter) {
    for (std::size_t i = 0; i < built.size(); ++i) {
      McpOptions own = options;
      own.path = options.path + "/" + built[i].part.ns;
      own.primary = false;
      std::string describe = "mcp adapter '" + built[i].part.ns + "' at " + own.path;
      mounts.push_back(EndpointFor(std::move(describe), built[i].part.ns, sources[i].runtime,
                                   built[i].part.catalog, built[i].auth, std::move(own),
                                   mount.controls.access));
    }
  }
  std::vector<CatalogPart> parts;
  for (BuiltPart& b : built) parts.push_back(std::move(b.part));
  const bool single = parts.size() == 1;
  std::string ns = parts.front().ns;
  auto merged = MergeCatalogs(std::move(parts), mount.clash, report);
  if (!merged) return Fail(std::move(merged).error());
  if (mount.discovery) {
    const std::size_t tools = merged->tools.size();
    auto discovery = MakeDiscoveryCatalog(std::make_shared<const Catalog>(std::move(*merged)));
    if (!discovery) return Fail(std::move(discovery).error());
    merged = std::move(*discovery);
    report.lines.push_back("discovery: " + options.path + " lists 3 meta-tools over " +
                           std::to_string(tools) + " tools");
  }
  // The union's name: the adapter's own when it stands alone, else "capstan" with the
  // namespaces in Describe() for messages and the access log.
  std::string describe = single ? "mcp adapter '" + ns + "'"
                                : "mcp adapters " + ns + " and " +
                                      std::to_string(sources.size() - 1) + " more (union)";
  endpoints.push_back(EndpointFor(describe, single ? ns : "capstan", sources.front().runtime,
                                  std::move(*merged), std::move(built.front().auth), options,
                                  mount.controls.access));
  endpoints.insert(endpoints.end(), mounts.begin(), mounts.end());
  return endpoints;
}

}  // namespace capstan::mcp
