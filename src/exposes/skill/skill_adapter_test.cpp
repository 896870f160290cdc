#include "exposes/skill/skill_adapter.hpp"

#include <gtest/gtest.h>

#include "exposes/server/testing/served_endpoint.hpp"
#include "exposes/skill/zip.hpp"
#include "http/testing/test_client.hpp"

namespace capstan::skill {
namespace {

SkillPackage Package(std::string name) {
  SkillPackage p;
  p.adapter = "skills";
  p.name = name;
  p.description = "d";
  p.frontmatter = json::object{{"name", name}, {"description", "d"}};
  p.summary = json::object{{"name", name}, {"description", "d"}, {"tools", json::array{"t"}}};
  p.detail = json::object{{"name", name}, {"tools", json::array()}};
  for (auto [path, bytes] : {std::pair<std::string, std::string>{"SKILL.md", "---\nname: x\n---\n"},
                             {"ref/a b.md", "# A"},
                             {"bin.dat", std::string("\x00\xff", 2)}}) {
    SkillFile f;
    f.path = path;
    f.bytes = bytes;
    f.media_type = MediaTypeOf(path);
    f.sha256 = Sha256Hex(bytes);
    p.files.push_back(std::move(f));
  }
  return p;
}

using Served = exposes::testing::ServedEndpoint;

std::shared_ptr<exposes::Endpoint> Adapter(std::optional<spec::Authentication> auth = {}) {
  spec::ExposesSkill spec;
  spec.ns = "skills";
  spec.authentication = std::move(auth);
  std::vector<SkillPackage> packages;
  packages.push_back(Package("fleet-ops"));
  packages.push_back(Package("voyage-ops"));
  auto adapter = MakeSkillAdapter(nullptr, spec, std::move(packages));
  EXPECT_TRUE(adapter) << (adapter ? "" : adapter.error().message);
  return adapter ? *adapter : nullptr;
}

TEST(SkillAdapter, CatalogDetailContentsFilesAndDownload) {
  Served served(Adapter());
  http::TestClient client(served.port);
  auto get = [&](std::string_view path, const http::Headers& h = {}) {
    auto r = client.Get(path, h);
    EXPECT_TRUE(r);
    return r ? *r : http::TestResponse{};
  };
  auto catalog = get("/skills");
  EXPECT_EQ(catalog.status, 200);
  EXPECT_EQ(catalog.body,
            R"({"count":2,"skills":[{"name":"fleet-ops","description":"d","tools":["t"]},)"
            R"({"name":"voyage-ops","description":"d","tools":["t"]}]})");
  EXPECT_EQ(get("/skills/voyage-ops").body, R"({"name":"voyage-ops","tools":[]})");
  auto contents = get("/skills/fleet-ops/contents");
  EXPECT_EQ(contents.status, 200);
  EXPECT_NE(contents.body.find(
                R"({"path":"ref/a b.md","size":3,"type":"text/markdown","digest":"sha256:)"),
            std::string::npos)
      << contents.body;
  auto file = get("/skills/fleet-ops/contents/ref/a%20b.md");
  EXPECT_EQ(file.status, 200);
  EXPECT_EQ(file.body, "# A");
  EXPECT_EQ(file.headers.Get("Content-Type").value_or(""), "text/markdown; charset=utf-8");
  const std::string etag(file.headers.Get("ETag").value_or(""));
  EXPECT_EQ(etag, "\"sha256-" + Sha256Hex("# A") + "\"");
  http::Headers conditional;
  conditional.Set("If-None-Match", etag);
  auto again = get("/skills/fleet-ops/contents/ref/a%20b.md", conditional);
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(get("/skills/fleet-ops/contents/bin.dat").body, std::string("\x00\xff", 2));
  EXPECT_EQ(get("/skills/fleet-ops/contents/bin.dat").headers.Get("Content-Type").value_or(""),
            "application/octet-stream");

  auto zip = get("/skills/fleet-ops/download");
  EXPECT_EQ(zip.status, 200);
  EXPECT_EQ(zip.headers.Get("Content-Type").value_or(""), "application/zip");
  EXPECT_EQ(zip.headers.Get("Content-Disposition").value_or(""),
            "attachment; filename=\"fleet-ops.zip\"");
  auto entries = ReadZip(zip.body);
  ASSERT_TRUE(entries) << entries.error().message;
  ASSERT_EQ(entries->size(), 3u);
  EXPECT_EQ((*entries)[0],
            (std::pair<std::string, std::string>{"fleet-ops/SKILL.md", "---\nname: x\n---\n"}));
  EXPECT_EQ((*entries)[2].second, std::string("\x00\xff", 2));
  EXPECT_EQ(get("/skills/fleet-ops/download").body, zip.body);  // reproducible

  // Negative paths.
  EXPECT_EQ(get("/skills/nope").status, 404);
  EXPECT_EQ(get("/skills/nope/download").status, 404);
  EXPECT_EQ(get("/skills/fleet-ops/other").status, 404);
  EXPECT_EQ(get("/skills/fleet-ops/contents/missing.md").status, 404);
  EXPECT_EQ(get("/skills/fleet-ops/contents/../../etc/passwd").status, 400);
  EXPECT_EQ(get("/skills/fleet-ops/contents/ref/%2E%2E/SKILL.md").status, 400);
  EXPECT_EQ(get("/skills/fleet-ops/contents/ref%2Fa%20b.md").status, 400);  // encoded '/'
  EXPECT_EQ(get("/skills/fleet-ops/contents/%zz").status, 400);
  EXPECT_EQ(get("/skills/fleet-ops/contents//SKILL.md").status, 400);
  auto post = client.Send("POST", "/skills");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->headers.Get("Allow").value_or(""), "GET, HEAD");
}

TEST(ZipArchive, RejectsWhatIsNotAnArchive) {
  EXPECT_FALSE(ReadZip("not a zip"));
  auto zip = MakeZip({{"a.txt", "hello"}});
  ASSERT_TRUE(zip);
  EXPECT_FALSE(ReadZip(std::string_view(*zip).substr(0, zip->size() / 2)));  // truncated
  auto read = ReadZip(*zip);
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(*read, (std::vector<std::pair<std::string, std::string>>{{"a.txt", "hello"}}));
}

}  // namespace
}  // namespace capstan::skill
