#include "exposes/skill/skill_adapter.hpp"

#include "core/percent.hpp"
#include "exposes/mcp/transport.hpp"
#include "exposes/skill/zip.hpp"

namespace capstan::skill {
namespace {

http::Response Json(const json::object& body) {
  return http::MakeResponse(200, core::SerializeJson(json::value(body)));
}

http::Response NotFound(std::string message) {
  return exposes::JsonErrorResponse(404, "not_found", message);
}

// Text types are UTF-8 (SKILL.md and the other files a skill author writes).
std::string ContentType(const std::string& media_type) {
  const bool text = media_type.rfind("text/", 0) == 0 || media_type == "application/json" ||
                    media_type == "application/yaml" || media_type == "application/xml" ||
                    media_type == "image/svg+xml" || media_type == "application/toml";
  return text ? media_type + "; charset=utf-8" : media_type;
}

// A strong validator: the digest of the bytes, quoted.
http::Response WithEtag(http::Response r, const std::string& sha256, const http::Request& request) {
  const std::string etag = "\"sha256-" + sha256 + "\"";
  if (auto match = request.headers.Get("If-None-Match"); match && *match == etag) {
    http::Response not_modified = http::MakeResponse(304, "");
    not_modified.headers.Set("ETag", etag);
    return not_modified;
  }
  r.headers.Set("ETag", etag);
  return r;
}

struct Served {
  SkillPackage package;
  std::string zip;
  std::string zip_sha256;
};

class SkillAdapter final : public exposes::Endpoint {
 public:
  SkillAdapter(std::string ns, mcp::InboundAuth auth, std::vector<Served> skills)
      : ns_(std::move(ns)), auth_(std::move(auth)), skills_(std::move(skills)) {}

  std::string Describe() const override { return "skill adapter '" + ns_ + "'"; }

  std::vector<exposes::ClaimedPath> Claims() const override {
    return {exposes::ClaimTemplate("/skills"), exposes::ClaimTemplate("/skills/{name}"),
            exposes::ClaimTemplate("/skills/{name}/download"),
            exposes::ClaimTemplate("/skills/{name}/contents"),
            exposes::ClaimTemplate("/skills/{name}/contents/{file}")};
  }
  bool Matches(std::string_view path) const override {
    return path == "/skills" || path.rfind("/skills/", 0) == 0;
  }

  boost::asio::awaitable<http::Response> Handle(http::Request& request) override {
    if (request.method != "GET" && request.method != "HEAD") {
      http::Response r = exposes::JsonErrorResponse(405, "method_not_allowed",
                                                    "the skill catalog is read-only (GET, HEAD)");
      r.headers.Set("Allow", "GET, HEAD");
      co_return r;
    }
    if (auto denied = co_await auth_.Authenticate(request)) co_return std::move(*denied);
    // Segments after /skills, decoded one by one (an encoded '/' stays inside its segment).
    std::vector<std::string> segments;
    std::string_view rest =
        std::string_view(request.path).substr(std::string_view("/skills").size());
    while (!rest.empty()) {
      rest.remove_prefix(1);  // '/'
      const std::size_t slash = rest.find('/');
      auto decoded = core::PercentDecode(rest.substr(0, slash));
      if (!decoded) co_return exposes::JsonErrorResponse(400, "bad_request", "bad escape in path");
      segments.push_back(std::move(*decoded));
      rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    }
    if (segments.empty()) co_return Catalog();
    const Served* skill = Find(segments[0]);
    if (skill == nullptr) co_return NotFound("no skill named " + segments[0]);
    const SkillPackage& p = skill->package;
    if (segments.size() == 1) co_return Json(p.detail);
    if (segments.size() == 2 && segments[1] == "download") {
      http::Response r = http::MakeResponse(200, skill->zip, "application/zip");
      r.headers.Set("Content-Disposition", "attachment; filename=\"" + p.name + ".zip\"");
      co_return WithEtag(std::move(r), skill->zip_sha256, request);
    }
    if (segments[1] != "contents") co_return NotFound("no route for " + request.path);
    if (segments.size() == 2) co_return Json(Contents(p));
    std::string file;
    for (std::size_t i = 2; i < segments.size(); ++i) {
      const std::string& s = segments[i];
      if (s.empty() || s == "." || s == ".." || s.find('/') != std::string::npos ||
          s.find('\0') != std::string::npos) {
        co_return exposes::JsonErrorResponse(400, "bad_request",
                                             "a file path of plain segments is expected");
      }
      file += (i > 2 ? "/" : "") + s;
    }
    const SkillFile* f = p.Find(file);
    if (f == nullptr) co_return NotFound("skill " + p.name + " has no file " + file);
    co_return WithEtag(http::MakeResponse(200, f->bytes, ContentType(f->media_type)), f->sha256,
                       request);
  }

 private:
  const Served* Find(std::string_view name) const {
    for (const Served& s : skills_) {
      if (s.package.name == name) return &s;
    }
    return nullptr;
  }

  http::Response Catalog() const {
    json::array list;
    for (const Served& s : skills_) list.push_back(s.package.summary);
    json::object body;
    body["count"] = list.size();
    body["skills"] = std::move(list);
    return Json(body);
  }

  static json::object Contents(const SkillPackage& p) {
    json::array files;
    for (const SkillFile& f : p.files) {
      json::object entry;
      entry["path"] = f.path;
      entry["size"] = f.bytes.size();
      entry["type"] = f.media_type;
      entry["digest"] = "sha256:" + f.sha256;
      files.push_back(std::move(entry));
    }
    json::object body;
    body["name"] = p.name;
    body["files"] = std::move(files);
    return body;
  }

  std::string ns_;
  mcp::InboundAuth auth_;
  std::vector<Served> skills_;
};

}  // namespace

core::Result<std::shared_ptr<exposes::Endpoint>> MakeSkillAdapter(
    const runtime::Runtime* runtime, const spec::ExposesSkill& spec,
    std::vector<SkillPackage> packages) {
  auto auth =
      mcp::InboundAuth::Build(runtime, spec.authentication, "skill adapter '" + spec.ns + "'");
  if (!auth) return core::Fail(std::move(auth).error());
  std::vector<Served> served;
  for (SkillPackage& p : packages) {
    std::vector<ZipEntry> entries;
    for (const SkillFile& f : p.files) entries.push_back({p.name + "/" + f.path, f.bytes});
    auto zip = MakeZip(entries);
    if (!zip) return core::Fail(std::move(zip).error());
    Served s;
    s.package = std::move(p);
    s.zip_sha256 = Sha256Hex(*zip);
    s.zip = std::move(*zip);
    served.push_back(std::move(s));
  }
  return std::shared_ptr<exposes::Endpoint>(
      std::make_shared<SkillAdapter>(spec.ns, std::move(*auth), std::move(served)));
}

}  // namespace capstan::skill
