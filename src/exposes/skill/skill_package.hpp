// A skill of a `skill` adapter, compiled once at load: its SKILL.md (the location's own, or one
// written from the capability), every file of its `location`, their SHA-256 digests, and the
// catalog entries the skill adapter (REST) and the MCP Skills extension (SEP-2640) serve.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "core/json.hpp"
#include "core/result.hpp"
#include "exposes/mcp/catalog.hpp"
#include "runtime/runtime.hpp"
#include "spec/capability.hpp"

namespace capstan::skill {

namespace json = core::json;

struct SkillFile {
  std::string path;        // relative to the skill's root, '/'-separated: "SKILL.md", "ref/a.md"
  std::string bytes;       // the content, read at load
  std::string media_type;  // by extension ("text/markdown", "application/octet-stream")
  std::string sha256;      // lower-case hex of `bytes`
};

struct SkillPackage {
  std::string adapter;  // the skill adapter's namespace
  std::string name;
  std::string description;
  json::object frontmatter;         // SKILL.md's YAML frontmatter as JSON, verbatim
  json::object summary;             // GET /skills entry
  json::object detail;              // GET /skills/{name}
  std::vector<SkillFile> files;     // SKILL.md first, then the location's files in path order
  bool generated_manifest = false;  // SKILL.md was written from the capability
  [[nodiscard]] const SkillFile* Find(std::string_view path) const;
};

// The limits of the Skills extension: per skill, files (SKILL.md included) and total bytes.
inline constexpr std::size_t kMaxSkillFiles = 512;
inline constexpr std::size_t kMaxSkillBytes = std::size_t{16} << 20;

// Builds the packages of one skill adapter of `capability`. `runtime` compiles the sibling MCP
// adapters' tools (their input schemas go into a written SKILL.md); may be null. Fails naming the
// skill on an unreadable location, a SKILL.md whose frontmatter is missing or names another
// skill, an instruction file that is not in the location, or a skill over the limits.
[[nodiscard]] core::Result<std::vector<SkillPackage>> BuildSkillPackages(
    const spec::Capability& capability, const spec::ExposesSkill& adapter,
    const std::shared_ptr<const runtime::Runtime>& runtime);

// The packages as the MCP Skills extension serves them: skill://<adapter>/<name>/SKILL.md and
// a skill://<adapter>/<name>/<path> resource per file (segments percent-encoded).
[[nodiscard]] std::vector<mcp::SkillEntry> McpSkillEntries(
    const std::vector<SkillPackage>& packages);

// Lower-case hex SHA-256 of `bytes`.
[[nodiscard]] std::string Sha256Hex(std::string_view bytes);

// The media type of a file name, by its extension.
[[nodiscard]] std::string MediaTypeOf(std::string_view file_name);

// A YAML document (the frontmatter of a written SKILL.md) whose every scalar is a JSON literal:
// strings double-quoted, so that any YAML parser reads back exactly `object`.
[[nodiscard]] std::string FrontmatterYaml(const json::object& object);

// The frontmatter of a SKILL.md (the mapping between the leading "---" lines), or an error.
[[nodiscard]] core::Result<json::object> ParseFrontmatter(std::string_view skill_md,
                                                          const std::string& file);

}  // namespace capstan::skill
