#include "exposes/skill/skill_package.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "spec/loader.hpp"

namespace capstan::skill {
namespace {

namespace fs = std::filesystem;

// A temporary folder with a capability file and skill folders; removed at the end.
class SkillDir {
 public:
  SkillDir() {
    root_ = fs::temp_directory_path() /
            ("capstan-skill-test-" + std::to_string(::getpid()) + "-" + std::to_string(++count_));
    fs::create_directories(root_);
  }
  ~SkillDir() { fs::remove_all(root_); }
  void Write(const std::string& rel, const std::string& bytes) const {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel, std::ios::binary) << bytes;
  }
  [[nodiscard]] std::string Path(const std::string& rel) const { return (root_ / rel).string(); }

 private:
  static inline int count_ = 0;
  fs::path root_;
};

constexpr std::string_view kCapability = R"(naftiko: 1.0.0-alpha2
capability:
  consumes:
    - type: http
      namespace: up
      baseUri: http://127.0.0.1:9
      resources:
        - name: ships
          path: /ships
          operations:
            - name: list-ships
              method: GET
              inputParameters:
                - name: status
                  in: query
  exposes:
    - type: mcp
      namespace: tools
      port: 3001
      tools:
        - name: list-ships
          description: List ships
          inputParameters:
            - name: status
              type: string
              required: false
              description: Filter by status
          call: up.list-ships
          with:
            status: tools.status
    - type: rest
      namespace: api
      port: 3003
      resources:
        - path: /ships
          operations:
            - name: get-ships
              method: GET
              call: up.list-ships
    - type: skill
      namespace: skills
      port: 3002
      skills:
        - name: fleet-ops
          description: "Fleet management: \"quoted\", colons: and — dashes"
          license: MIT
          metadata:
            team: ops
          user-invocable: false
          tools:
            - name: list-ships
              description: List ships (MCP)
              from: {sourceNamespace: tools, action: list-ships}
            - name: get-ships
              description: List ships (REST)
              from: {sourceNamespace: api, action: get-ships}
%LOCATION%
)";

// The first skill's location, and a second skill whose one tool is the instruction `file`.
std::string WithPlanner(const std::string& file) {
  return R"(          location: file:///./skill
        - name: planner
          description: Plans
          location: file:///./skill
          tools:
            - name: plan
              description: How to plan
              instruction: )" +
         file;
}

std::vector<SkillPackage> Build(const SkillDir& dir, const std::string& location_block,
                                std::string* error = nullptr) {
  std::string text(kCapability);
  text.replace(text.find("%LOCATION%"), 10, location_block);
  dir.Write("cap.yaml", text);
  auto loaded = spec::LoadCapabilityFromString(text, dir.Path("cap.yaml"));
  EXPECT_TRUE(loaded.ok()) << (loaded.diagnostics.empty() ? "" : loaded.diagnostics[0].message);
  if (!loaded.ok()) return {};
  const auto& exposes = loaded.capability->capability->exposes;
  auto packages =
      BuildSkillPackages(*loaded.capability, std::get<spec::ExposesSkill>(exposes[2]), nullptr);
  if (!packages) {
    if (error) *error = packages.error().message;
    return {};
  }
  return std::move(*packages);
}

TEST(SkillPackage, WrittenManifestReadsBackAsItsFrontmatter) {
  SkillDir dir;
  auto packages = Build(dir, "");
  ASSERT_EQ(packages.size(), 1u);
  const SkillPackage& p = packages[0];
  EXPECT_TRUE(p.generated_manifest);
  ASSERT_EQ(p.files.size(), 1u);
  EXPECT_EQ(p.files[0].path, "SKILL.md");
  EXPECT_EQ(p.files[0].media_type, "text/markdown");
  EXPECT_EQ(p.files[0].sha256, Sha256Hex(p.files[0].bytes));
  auto fm = ParseFrontmatter(p.files[0].bytes, "SKILL.md");
  ASSERT_TRUE(fm) << fm.error().message;
  EXPECT_EQ(*fm, p.frontmatter);
  EXPECT_EQ(p.frontmatter.at("name"), "fleet-ops");
  EXPECT_EQ(p.frontmatter.at("description"), "Fleet management: \"quoted\", colons: and — dashes");
  EXPECT_EQ(p.frontmatter.at("user-invocable"), false);
  EXPECT_EQ(p.frontmatter.at("metadata").at("team"), "ops");
  EXPECT_FALSE(p.frontmatter.contains("disable-model-invocation"));  // the default is left out
  EXPECT_EQ(p.files[0].bytes.substr(0, 41), "---\nname: \"fleet-ops\"\ndescription: \"Fleet");
  // Keys YAML would read as something else are quoted.
  json::object odd{{"true", "a"}, {"a: b", "c"}, {"ok-key", json::object{{"n", "1"}}}};
  EXPECT_EQ(FrontmatterYaml(odd), "\"true\": \"a\"\n\"a: b\": \"c\"\nok-key:\n  \"n\": \"1\"\n");
  auto back = ParseFrontmatter("---\n" + FrontmatterYaml(odd) + "---\n", "f");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, odd);
  // The body says how to call each tool.
  EXPECT_NE(p.files[0].bytes.find("MCP tool `list-ships` of the `tools` MCP server"),
            std::string::npos)
      << p.files[0].bytes;
  EXPECT_NE(p.files[0].bytes.find("`GET /ships` on the `api` REST adapter"), std::string::npos);
  // Catalog entries.
  EXPECT_EQ(core::SerializeJson(json::value(p.summary)),
            R"({"name":"fleet-ops","description":"Fleet management: \"quoted\", colons: and — )"
            R"(dashes","license":"MIT","tools":["list-ships","get-ships"]})");
  const json::array& tools = p.detail.at("tools").get_array();
  ASSERT_EQ(tools.size(), 2u);
  EXPECT_EQ(core::SerializeJson(tools[0].at("invocationRef")),
            R"({"targetNamespace":"tools","action":"list-ships","mode":"mcp"})");
  EXPECT_EQ(tools[1].at("invocationRef").at("mode"), "rest");
}

TEST(SkillPackage, LocationFilesInstructionsAndItsOwnManifest) {
  SkillDir dir;
  dir.Write("skill/guide.md", "# Guide\n");
  dir.Write("skill/ref/data.json", "{}");
  dir.Write("skill/bin.dat", std::string("\x00\x01\xff", 3));
  auto packages = Build(dir, WithPlanner("guide.md"));
  ASSERT_EQ(packages.size(), 2u);
  const SkillPackage& p = packages[1];
  std::vector<std::string> paths;
  for (const SkillFile& f : p.files) paths.push_back(f.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"SKILL.md", "bin.dat", "guide.md", "ref/data.json"}));
  EXPECT_EQ(p.Find("ref/data.json")->media_type, "application/json");
  EXPECT_EQ(p.Find("bin.dat")->media_type, "application/octet-stream");
  EXPECT_EQ(p.Find("bin.dat")->bytes.size(), 3u);
  EXPECT_EQ(p.detail.at("tools").at(0).at("instruction"), "guide.md");
  EXPECT_NE(p.files[0].bytes.find("[guide.md](guide.md)"), std::string::npos);

  // A location with its own SKILL.md: served verbatim, its frontmatter is the entry's.
  SkillDir own;
  own.Write("skill/SKILL.md",
            "---\nname: fleet-ops\ndescription: Mine\nextra: [1, 2]\n---\nBody\n");
  auto mine = Build(own, "          location: file:///./skill");
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_FALSE(mine[0].generated_manifest);
  EXPECT_EQ(mine[0].files[0].bytes,
            "---\nname: fleet-ops\ndescription: Mine\nextra: [1, 2]\n---\nBody\n");
  EXPECT_EQ(core::SerializeJson(json::value(mine[0].frontmatter)),
            R"({"name":"fleet-ops","description":"Mine","extra":[1,2]})");
}

TEST(SkillPackage, BadLocationsAreErrorsThatNameTheSkill) {
  std::string error;
  SkillDir missing;
  EXPECT_TRUE(Build(missing, "          location: file:///./nowhere", &error).empty());
  EXPECT_NE(error.find("skill 'fleet-ops' of skill adapter 'skills': location"), std::string::npos)
      << error;

  SkillDir other;
  other.Write("skill/SKILL.md", "---\nname: someone-else\ndescription: x\n---\n");
  EXPECT_TRUE(Build(other, "          location: file:///./skill", &error).empty());
  EXPECT_NE(error.find("frontmatter must have name: fleet-ops"), std::string::npos) << error;

  SkillDir unclosed;
  unclosed.Write("skill/SKILL.md", "---\nname: fleet-ops\n");
  EXPECT_TRUE(Build(unclosed, "          location: file:///./skill", &error).empty());
  EXPECT_NE(error.find("no closing '---'"), std::string::npos) << error;

  SkillDir no_file;
  no_file.Write("skill/a.md", "a");
  EXPECT_TRUE(Build(no_file, WithPlanner("../cap.yaml"), &error).empty());
  EXPECT_NE(error.find("instruction '../cap.yaml', which is not a file of"), std::string::npos)
      << error;
}

TEST(SkillPackage, SymlinksOutOfTheLocationAreLeftOut) {
  SkillDir dir;
  dir.Write("secret.txt", "top secret");
  dir.Write("skill/a.md", "a");
  fs::create_symlink(dir.Path("secret.txt"), dir.Path("skill/leak.txt"));
  fs::create_symlink(dir.Path("skill/a.md"), dir.Path("skill/alias.md"));
  auto packages = Build(dir, "          location: file:///./skill");
  ASSERT_EQ(packages.size(), 1u);
  EXPECT_EQ(packages[0].Find("leak.txt"), nullptr);
  ASSERT_NE(packages[0].Find("alias.md"), nullptr);  // inside the skill: kept
  EXPECT_EQ(packages[0].Find("alias.md")->bytes, "a");
}

TEST(SkillPackage, FrontmatterParsing) {
  EXPECT_FALSE(ParseFrontmatter("no frontmatter", "f"));
  EXPECT_FALSE(ParseFrontmatter("---\n- a\n---\n", "f"));   // not a mapping
  EXPECT_FALSE(ParseFrontmatter("---\na: [\n---\n", "f"));  // bad YAML
  auto ok = ParseFrontmatter("\xEF\xBB\xBF---\r\nname: x\r\n---\r\n", "f");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->at("name"), "x");
  EXPECT_EQ(MediaTypeOf("a/b.MD"), "text/markdown");
  EXPECT_EQ(MediaTypeOf("noext"), "application/octet-stream");
  EXPECT_EQ(MediaTypeOf("dir.d/noext"), "application/octet-stream");
}

}  // namespace
}  // namespace capstan::skill
