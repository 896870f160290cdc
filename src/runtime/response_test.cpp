// Response mapping (MapResponse, OutputMapping): output shapes, byte-for-byte identity, exact
// numbers, upstream statuses and error bodies, the Content-Encoding policy; and Digest
// authentication end to end against an in-process upstream that checks the answer.
#include <map>
#include <mutex>

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "http/server.hpp"
#include "runtime/digest.hpp"
#include "runtime/runtime.hpp"
#include "runtime/runtime_test_util.hpp"

namespace capstan::runtime {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using testing::CallSync;
using testing::FakeEnv;
using testing::JsonArgs;
using testing::LoadText;

consumes::UpstreamResponse Response(int status, std::string body,
                                    std::string content_type = "application/json") {
  consumes::UpstreamResponse r;
  r.status = status;
  if (!content_type.empty()) r.headers.Set("Content-Type", content_type);
  r.body = std::move(body);
  return r;
}

OutputMapping Compile(std::string_view outputs_yaml_as_json) {
  // Output parameters written as JSON for brevity, read through the spec model's fields.
  auto parsed = core::ParseJson(outputs_yaml_as_json);
  EXPECT_TRUE(parsed) << outputs_yaml_as_json;
  std::function<spec::OutputParameter(const json::object&)> read =
      [&](const json::object& o) -> spec::OutputParameter {
    spec::OutputParameter p;
    if (auto* v = o.if_contains("name")) p.name = std::string(v->as_string());
    if (auto* v = o.if_contains("type")) {
      std::string t(v->as_string());
      p.type = t == "object"    ? spec::ValueType::kObject
               : t == "array"   ? spec::ValueType::kArray
               : t == "number"  ? spec::ValueType::kNumber
               : t == "integer" ? spec::ValueType::kInteger
               : t == "boolean" ? spec::ValueType::kBoolean
                                : spec::ValueType::kString;
    }
    if (auto* v = o.if_contains("mapping")) p.mapping = std::string(v->as_string());
    if (auto* v = o.if_contains("value")) p.value = std::string(v->as_string());
    if (auto* v = o.if_contains("const")) p.const_value = *v;
    if (auto* v = o.if_contains("properties")) {
      for (const auto& c : v->as_array()) p.properties.push_back(read(c.as_object()));
    }
    if (auto* v = o.if_contains("items")) {
      for (const auto& c : v->as_array()) p.items.push_back(read(c.as_object()));
    }
    return p;
  };
  std::vector<spec::OutputParameter> params;
  for (const auto& p : parsed->as_array()) params.push_back(read(p.as_object()));
  auto compiled = OutputMapping::Compile(params);
  EXPECT_TRUE(compiled) << compiled.error().message;
  return compiled ? std::move(*compiled) : OutputMapping{};
}

std::string Map(const OutputMapping& m, std::string_view body, std::string_view inputs = "{}") {
  auto r = MapResponse(Response(200, std::string(body)), m, nullptr, JsonArgs(inputs));
  EXPECT_TRUE(r) << r.error().message;
  return r ? r->body : "";
}

constexpr std::string_view kJwts =
    R"({"jwts":[{"jti":"a","ip":"1.2.3.4","n":1},{"jti":"b","ip":null,"n":2.50}],"total_count":2})";

TEST(OutputShapesTest, Scalar) {
  EXPECT_EQ(Map(Compile(R"([{"type":"string","mapping":"$.jwts[0].jti"}])"), kJwts), R"("a")");
  EXPECT_EQ(Map(Compile(R"([{"type":"integer","mapping":"$.total_count"}])"), kJwts), "2");
  EXPECT_EQ(Map(Compile(R"([{"type":"string","mapping":"$.nope"}])"), kJwts), "null");
}

TEST(OutputShapesTest, ObjectWithProperties) {
  auto m = Compile(R"([{"type":"object","properties":[
      {"name":"first","type":"string","mapping":"$.jwts[0].jti"},
      {"name":"count","type":"integer","mapping":"$.total_count"},
      {"name":"nested","type":"object","mapping":"$.jwts[1]","properties":[
        {"name":"id","type":"string","mapping":"$.jti"},
        {"name":"ip","type":"string","mapping":"$.ip"},
        {"name":"missing","type":"string","mapping":"$.zzz"}]}]}])");
  EXPECT_FALSE(m.identity());
  EXPECT_EQ(Map(m, kJwts),
            R"({"first":"a","count":2,"nested":{"id":"b","ip":null,"missing":null}})");
}

TEST(OutputShapesTest, ArrayWithItems) {
  auto objects = Compile(R"([{"type":"array","mapping":"$.jwts","items":[
      {"type":"object","properties":[{"name":"id","type":"string","mapping":"$.jti"},
                                     {"name":"n","type":"number","mapping":"$.n"}]}]}])");
  EXPECT_EQ(Map(objects, kJwts), R"([{"id":"a","n":1},{"id":"b","n":2.5}])");
  auto scalars = Compile(
      R"([{"type":"array","mapping":"$.jwts","items":[{"type":"string","mapping":"$.jti"}]}])");
  EXPECT_EQ(Map(scalars, kJwts), R"(["a","b"])");
  // One object where an array is expected is an array of one (converted XML collapses them).
  EXPECT_EQ(Map(scalars, R"({"jwts":{"jti":"a"}})"), R"(["a"])");
  EXPECT_EQ(Map(objects, R"({"jwts":{"jti":"a","n":1}})"), R"([{"id":"a","n":1}])");
  // Nothing (or null) there: no value.
  EXPECT_EQ(Map(scalars, R"({"jwts":null})"), "null");
  EXPECT_EQ(Map(scalars, R"({"other":1})"), "null");
  // An array without items passes the node through.
  EXPECT_EQ(Map(Compile(R"([{"type":"array","mapping":"$.jwts[*].jti"}])"), kJwts), R"(["a","b"])");
}

TEST(OutputShapesTest, ConstAndValue) {
  auto m = Compile(R"([{"type":"object","properties":[
      {"name":"kind","type":"string","const":"jwt-list"},
      {"name":"version","type":"integer","const":2},
      {"name":"who","type":"string","value":"user {{user}} page {{page}}"},
      {"name":"page","type":"integer","value":"{{page}}"},
      {"name":"flag","type":"boolean","value":"true"},
      {"name":"absent","type":"integer","value":"{{nothing}}"}]}])");
  EXPECT_EQ(Map(m, kJwts, R"({"user":"u<1>&","page":3})"),
            R"({"kind":"jwt-list","version":2,"who":"user u<1>& page 3","page":3,"flag":true,)"
            R"("absent":null})");
}

TEST(OutputShapesTest, SeveralNamedParametersFormAnObject) {
  auto m = Compile(R"([{"name":"ids","type":"array","mapping":"$.jwts[*].jti"},
                       {"name":"total","type":"integer","mapping":"$.total_count"}])");
  EXPECT_EQ(Map(m, kJwts), R"({"ids":["a","b"],"total":2})");
  // One named consumed parameter is not wrapped in its name.
  EXPECT_EQ(Map(Compile(R"([{"name":"result","type":"integer","value":"$.total_count"}])"), kJwts),
            "2");
}

TEST(MapResponseTest, IdentityPassesTheBodyThroughByteForByte) {
  const std::string body =
      "{ \"b\" : 1.10,\n  \"a\": [0.30000000000000004, 12345678901234567890123, 1e400, -0.0],"
      "\t\"s\": \"\\u00e9\\/\" }";
  for (const char* outputs :
       {R"([])", R"([{"type":"object","mapping":"$."}])", R"([{"type":"object","mapping":"$"}])",
        R"([{"name":"result","type":"object","value":"$."}])"}) {
    auto m = Compile(outputs);
    EXPECT_TRUE(m.identity()) << outputs;
    for (const char* type : {"application/json", "application/problem+json; charset=utf-8"}) {
      auto r = MapResponse(Response(200, body, type), m, nullptr, {});
      ASSERT_TRUE(r) << r.error().message;
      EXPECT_EQ(r->body, body);
      EXPECT_EQ(r->status, 200);
      EXPECT_TRUE(r->is_json);
      EXPECT_EQ(r->content_type, "application/json");
    }
  }
  // A JSON body the upstream labels otherwise is checked, then still passed through unchanged.
  auto m = Compile("[]");
  auto text = MapResponse(Response(200, R"({"v":1.10})", "text/plain"), m, nullptr, {});
  ASSERT_TRUE(text);
  EXPECT_EQ(text->body, R"({"v":1.10})");
}

// --trust-upstream-json: an identity-mapped 2xx JSON body goes on unchecked (and says so);
// checked, a body that is not one JSON text is an upstream error. Mappings still parse.
TEST(MapResponseTest, TrustedJsonBodiesPassUncheckedAndSaySo) {
  const auto identity = Compile("[]");
  const std::string cut = R"({"jwts":[{"jti":"a"},)";
  auto checked = MapResponse(Response(200, cut), identity, nullptr, {});
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().code, core::ErrorCode::kUpstreamError);
  auto trusted = MapResponse(Response(200, cut), identity, nullptr, {}, /*verify_json=*/false);
  ASSERT_TRUE(trusted) << trusted.error().message;
  EXPECT_EQ(trusted->body, cut);
  EXPECT_FALSE(trusted->json_verified);
  auto verified = MapResponse(Response(200, R"({"a":1})"), identity, nullptr, {});
  ASSERT_TRUE(verified);
  EXPECT_TRUE(verified->json_verified);
  const auto mapped = Compile(R"([{"name":"total","type":"integer","mapping":"$.total_count"}])");
  EXPECT_FALSE(MapResponse(Response(200, cut), mapped, nullptr, {}, /*verify_json=*/false));
}

TEST(MapResponseTest, NumbersRoundTripExactlyThroughAMapping) {
  const std::string body =
      R"({"items":[{"v":0.1},{"v":1.10},{"v":0.30000000000000004},{"v":9007199254740993},)"
      R"({"v":-9223372036854775808},{"v":18446744073709551615},{"v":1.7976931348623157e308},)"
      R"({"v":5e-324},{"v":123456789.12345678},{"v":2.2250738585072014e-308},{"v":100.0},)"
      R"({"v":-0.0},{"v":1E+2}]})";
  auto m = Compile(R"([{"type":"array","mapping":"$.items","items":[
      {"type":"object","properties":[{"name":"v","type":"number","mapping":"$.v"}]}]}])");
  std::string mapped = Map(m, body);
  auto out = core::ParseJson(mapped);
  auto in = core::ParseJson(body);
  ASSERT_TRUE(out && in) << mapped;
  const json::array& got = out->as_array();
  const json::array& want = in->as_object().at("items").as_array();
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i], want[i]) << i << ": " << core::SerializeJson(got[i]);
    EXPECT_EQ(got[i].at("v").kind(), want[i].at("v").kind()) << i;
  }
  // 17 significant digits survive as text too, and doubles keep a fraction.
  EXPECT_NE(mapped.find("0.30000000000000004"), std::string::npos) << mapped;
  EXPECT_NE(mapped.find("9007199254740993"), std::string::npos) << mapped;
  EXPECT_NE(mapped.find("18446744073709551615"), std::string::npos) << mapped;
  EXPECT_NE(mapped.find("123456789.12345678"), std::string::npos) << mapped;
  EXPECT_NE(mapped.find("100.0"), std::string::npos) << mapped;
}

TEST(MapResponseTest, ErrorStatusesKeepTheUpstreamBodyAndStatus) {
  auto m = Compile(R"([{"type":"string","mapping":"$.jwts[0].jti"}])");
  const std::string envelope =
      R"({"message":"resource is not found","resource":"jwt","resource_id":"x","type":"not_found"})";
  for (int status : {400, 401, 403, 404, 409, 429, 500, 503}) {
    auto r = MapResponse(Response(status, envelope), m, nullptr, {});
    ASSERT_TRUE(r) << status;
    EXPECT_EQ(r->status, status);
    EXPECT_EQ(r->upstream_status, status);
    EXPECT_EQ(r->body, envelope);  // not mapped into nonsense
    EXPECT_TRUE(r->is_json);
  }
  auto html = MapResponse(Response(502, "<html>bad gateway</html>", "text/html"), m, nullptr, {});
  ASSERT_TRUE(html);
  EXPECT_EQ(html->status, 502);
  EXPECT_FALSE(html->is_json);
  EXPECT_EQ(html->content_type, "text/html");
  EXPECT_EQ(html->body, "<html>bad gateway</html>");
  auto redirect = MapResponse(Response(302, "", ""), m, nullptr, {});
  ASSERT_TRUE(redirect);
  EXPECT_EQ(redirect->status, 302);
}

TEST(MapResponseTest, AnIdentityMappingRefusesABodyThatIsNotOneJsonText) {
  auto identity = Compile(R"([{"type":"object","mapping":"$."}])");
  ASSERT_TRUE(identity.identity());
  auto none = Compile("[]");
  for (const OutputMapping* m : {&identity, &none}) {
    for (const char* body : {R"({"jwts":[)", R"({"a":1} {"b":2})", "{\"a\":\"\xff\"}", "nul"}) {
      auto mapped = MapResponse(Response(200, body), *m, nullptr, {});
      ASSERT_FALSE(mapped) << body;
      EXPECT_EQ(mapped.error().code, core::ErrorCode::kUpstreamError) << body;
      EXPECT_NE(mapped.error().message.find("not one JSON text"), std::string::npos);
    }
    auto fine = MapResponse(Response(200, R"( {"jwts":[]} )"), *m, nullptr, {});
    ASSERT_TRUE(fine);
    EXPECT_TRUE(fine->json_verified);
    EXPECT_EQ(fine->body, R"( {"jwts":[]} )");  // still byte for byte
  }
  // Error statuses keep their bodies whatever they are (the upstream's envelope, or not JSON).
  auto error = MapResponse(Response(500, R"({"cut":)"), identity, nullptr, {});
  ASSERT_TRUE(error);
  EXPECT_EQ(error->body, R"({"cut":)");
  EXPECT_FALSE(error->json_verified);
}

TEST(MapResponseTest, EmptySuccessAndNonJsonSuccess) {
  auto m = Compile(R"([{"type":"string","mapping":"$.a"}])");
  auto empty = MapResponse(Response(204, ""), m, nullptr, {});
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 204);
  EXPECT_TRUE(empty->body.empty());
  auto garbage = MapResponse(Response(200, "<html/>", "text/html"), m, nullptr, {});
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().code, core::ErrorCode::kUpstreamError);
  EXPECT_NE(garbage.error().message.find("text/html"), std::string::npos);
}

TEST(MapResponseTest, OtherFormatsAreConvertedThenMapped) {
  auto xml = convert::Converter::Create(convert::Format::kXml, "", "");
  ASSERT_TRUE(xml);
  auto m = Compile(R"([{"name":"a","type":"string","mapping":"$.a"}])");
  // The upstream's Content-Type does not matter: outputRawFormat says what the body is.
  auto mapped = MapResponse(Response(200, "<r><a>v</a></r>", "text/plain"), m, xml->get(), {});
  ASSERT_TRUE(mapped) << mapped.error().message;
  EXPECT_EQ(mapped->body, R"("v")");  // one output parameter is the value itself
  EXPECT_EQ(mapped->content_type, "application/json");
  auto identity = MapResponse(Response(200, "<r><a>1</a><a>2</a></r>", "application/xml"),
                              Compile("[]"), xml->get(), {});
  ASSERT_TRUE(identity);
  EXPECT_EQ(identity->body, R"({"a":["1","2"]})");
  // `$.` of an XML list is {"vessel": [...]} (the root is dropped): a declared array reads the
  // one member's list, and a lone <vessel> is a list of one.
  auto list = Compile(R"([{"type":"array","mapping":"$.","items":[{"type":"object",
      "properties":[{"name":"code","type":"string","mapping":"$.code"}]}]}])");
  for (auto [body, want] : {std::pair{"<vs><v><code>A</code></v><v><code>B</code></v></vs>",
                                      R"([{"code":"A"},{"code":"B"}])"},
                            std::pair{"<vs><v><code>A</code></v></vs>", R"([{"code":"A"}])"}}) {
    auto r = MapResponse(Response(200, body, "application/xml"), list, xml->get(), {});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->body, want) << body;
  }
  auto broken = MapResponse(Response(200, "<r><a>", "application/xml"), m, xml->get(), {});
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().code, core::ErrorCode::kUpstreamError);
  EXPECT_NE(broken.error().message.find("not valid xml"), std::string::npos);
  // Error statuses keep the upstream body, whatever the format.
  auto error = MapResponse(Response(503, "<busy/>", "application/xml"), m, xml->get(), {});
  ASSERT_TRUE(error);
  EXPECT_EQ(error->body, "<busy/>");
}

TEST(MapResponseTest, CompressedBodiesAreRefusedNotPassedOffAsJson) {
  const std::string gzip_bytes("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xab\xae\x05\x00", 14);
  for (const char* outputs : {"[]", R"([{"type":"string","mapping":"$.a"}])"}) {
    auto m = Compile(outputs);
    for (int status : {200, 404}) {
      auto r = Response(status, gzip_bytes);
      r.headers.Set("Content-Encoding", "gzip");
      auto mapped = MapResponse(r, m, nullptr, {});
      ASSERT_FALSE(mapped) << outputs << " " << status;
      EXPECT_EQ(mapped.error().code, core::ErrorCode::kUpstreamError);
      EXPECT_EQ(mapped.error().message,
                "upstream sent Content-Encoding: gzip, which capstan does not decode");
    }
  }
  auto m = Compile("[]");
  auto br = Response(200, "xx");
  br.headers.Add("content-encoding", "identity, br");
  auto refused = MapResponse(br, m, nullptr, {});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("identity, br"), std::string::npos);
  // identity is no encoding; an encoded empty body (204, HEAD) has nothing to decode.
  auto identity = Response(200, "{}");
  identity.headers.Set("Content-Encoding", " Identity ");
  EXPECT_TRUE(MapResponse(identity, m, nullptr, {}));
  auto empty = Response(204, "");
  empty.headers.Set("Content-Encoding", "gzip");
  EXPECT_TRUE(MapResponse(empty, m, nullptr, {}));
}

// ---- against an in-process upstream --------------------------------------------------------

std::string Hex(std::string_view algorithm, std::string_view data) {
  const EVP_MD* md = algorithm.rfind("SHA-256", 0) == 0 ? EVP_sha256() : EVP_md5();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, md, nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xF];
  }
  return out;
}

// Parses `Digest k=v, k="v", ...` into a map (test-side, independent of runtime/digest.cpp).
std::map<std::string, std::string> ParseAuthorization(std::string_view header) {
  std::map<std::string, std::string> out;
  if (header.rfind("Digest ", 0) != 0) return out;
  std::size_t i = 7;
  while (i < header.size()) {
    while (i < header.size() && (header[i] == ' ' || header[i] == ',')) ++i;
    std::size_t eq = header.find('=', i);
    if (eq == std::string_view::npos) break;
    std::string key(header.substr(i, eq - i));
    i = eq + 1;
    std::string value;
    if (i < header.size() && header[i] == '"') {
      for (++i; i < header.size() && header[i] != '"'; ++i) {
        if (header[i] == '\\') ++i;
        value += header[i];
      }
      ++i;
    } else {
      while (i < header.size() && header[i] != ',') value += header[i++];
    }
    out[key] = value;
  }
  return out;
}

constexpr const char* kUpstreamCapability = R"(naftiko: 1.0.0-alpha2
info:
  label: Upstream
  description: Runtime upstream test capability
binds:
- namespace: env
  keys:
    USER: DIGEST_USER
    PASSWORD: DIGEST_PASSWORD
capability:
  consumes:
  - type: http
    namespace: dig
    baseUri: http://127.0.0.1:9
    authentication:
      type: digest
      username: '{{USER}}'
      password: '{{env.PASSWORD}}'
    resources:
    - name: docs
      path: /docs/{id}
      operations:
      - name: get
        method: GET
        inputParameters:
        - {name: id, in: path}
        - {name: q, in: query}
      - name: put
        method: PUT
        inputParameters:
        - {name: id, in: path}
        - {name: text, in: body}
        body:
          type: text
          data: '{{text}}'
  - type: http
    namespace: plain
    baseUri: http://127.0.0.1:9
    resources:
    - name: r
      path: /plain/{case}
      operations:
      - name: get
        method: GET
        inputParameters:
        - {name: case, in: path}
        outputParameters:
        - {name: result, type: object, value: $.}
      - name: mapped
        method: GET
        inputParameters:
        - {name: case, in: path}
        outputParameters:
        - {name: first, type: number, value: '$.items[0]'}
)";

// An upstream that demands Digest authentication with the algorithms it is told to offer, and
// checks every answer against the password.
class UpstreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    http::ServerOptions options;
    options.threads = 1;
    server_ = std::make_unique<http::Server>(
        options,
        [this](http::Request& req) -> asio::awaitable<http::Response> { co_return Handle(req); });
    ASSERT_TRUE(server_->Start());
  }
  void TearDown() override { server_->Stop(0s); }

  http::Response Handle(const http::Request& req) {
    std::lock_guard lock(mu_);
    accept_encoding_.emplace_back(req.headers.Get("Accept-Encoding").value_or("<none>"));
    if (req.path.rfind("/plain/", 0) == 0) {
      std::string which = req.path.substr(7);
      if (which == "gzip") {
        auto r = http::MakeResponse(200, std::string("\x1f\x8b\x08\x00garbage", 11));
        r.headers.Set("Content-Encoding", "gzip");
        return r;
      }
      if (which == "numbers") return http::MakeResponse(200, R"({"items":[1.10,0.1]})");
      if (which == "error") {
        return http::MakeResponse(
            503, R"({"message":"maintenance","type":"unavailable","retry_after":1.50})");
      }
      return http::MakeResponse(200, R"({"case":")" + which + R"(","v":1.10})");
    }
    auto auth = req.headers.Get("Authorization");
    if (!auth) {
      auto r = http::MakeResponse(401, R"({"message":"authentication required"})");
      for (const std::string& algorithm : offer_) {
        r.headers.Add("WWW-Authenticate", "Digest realm=\"" + realm_ +
                                              "\", qop=\"auth\", algorithm=" + algorithm +
                                              ", nonce=\"" + nonce_ + "\", opaque=\"op-1\"");
      }
      return r;
    }
    auto f = ParseAuthorization(*auth);
    seen_algorithm_ = f["algorithm"];
    seen_uri_ = f["uri"];
    const std::string& a = f["algorithm"];
    std::string ha1 = Hex(a, f["username"] + ":" + realm_ + ":" + password_);
    std::string ha2 = Hex(a, req.method + ":" + req.target);
    std::string expected =
        Hex(a, ha1 + ":" + nonce_ + ":" + f["nc"] + ":" + f["cnonce"] + ":auth:" + ha2);
    bool ok = f["username"] == "Mufasa" && f["realm"] == realm_ && f["nonce"] == nonce_ &&
              f["opaque"] == "op-1" && f["qop"] == "auth" && f["uri"] == req.target &&
              !f["cnonce"].empty() && f["response"] == expected;
    if (!ok) return http::MakeResponse(401, R"({"message":"bad digest"})");
    return http::MakeResponse(
        200, R"({"ok":true,"method":")" + req.method + R"(","body":")" + req.body + R"("})");
  }

  std::shared_ptr<Runtime> MakeRuntime(const std::string& password = "Circle of Life") {
    RuntimeOptions options;
    options.env = FakeEnv({{"DIGEST_USER", "Mufasa"}, {"DIGEST_PASSWORD", password}});
    const std::string base = "http://127.0.0.1:" + std::to_string(server_->port());
    options.base_uris = {{"dig", base}, {"plain", base}};
    auto rt = Runtime::Create(LoadText(kUpstreamCapability, "/tmp/upstream-test.yaml"), options);
    EXPECT_TRUE(rt) << rt.error().message;
    return rt ? *rt : nullptr;
  }

  core::Result<InvocationResult> Call(const Runtime& rt, std::string_view call,
                                      std::string_view args) {
    return CallSync(rt, *rt.FindOperation(call), JsonArgs(args));
  }

  std::unique_ptr<http::Server> server_;
  std::mutex mu_;
  std::vector<std::string> offer_ = {"MD5"};
  std::string realm_ = "api@example.org";
  std::string nonce_ = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
  std::string password_ = "Circle of Life";
  std::string seen_algorithm_;
  std::string seen_uri_;
  std::vector<std::string> accept_encoding_;
};

TEST_F(UpstreamTest, DigestMd5RoundTrip) {
  auto rt = MakeRuntime();
  auto r = Call(*rt, "dig.get", R"({"id":"a b","q":"x&y"})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, R"({"ok":true,"method":"GET","body":""})");
  EXPECT_EQ(seen_algorithm_, "MD5");
  EXPECT_EQ(seen_uri_, "/docs/a%20b?q=x%26y");  // the request-target, query included
}

TEST_F(UpstreamTest, DigestSha256RoundTripWithABody) {
  offer_ = {"SHA-256"};
  auto rt = MakeRuntime();
  auto r = Call(*rt, "dig.put", R"({"id":"1","text":"hello"})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, R"({"ok":true,"method":"PUT","body":"hello"})");
  EXPECT_EQ(seen_algorithm_, "SHA-256");
}

TEST_F(UpstreamTest, DigestPrefersSha256WhenBothAreOffered) {
  offer_ = {"MD5", "SHA-256"};
  auto rt = MakeRuntime();
  auto r = Call(*rt, "dig.get", R"({"id":"1"})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(seen_algorithm_, "SHA-256");
}

TEST_F(UpstreamTest, DigestWithAWrongPasswordKeepsThe401) {
  auto rt = MakeRuntime("wrong");
  auto r = Call(*rt, "dig.get", R"({"id":"1"})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->body, R"({"message":"bad digest"})");
}

TEST_F(UpstreamTest, DigestWithAnUnsupportedAlgorithmKeepsTheChallenge) {
  offer_ = {"SHA-512-256"};
  auto rt = MakeRuntime();
  auto r = Call(*rt, "dig.get", R"({"id":"1"})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->body, R"({"message":"authentication required"})");
}

TEST_F(UpstreamTest, AsksForIdentityAndRefusesAGzipAnswer) {
  auto rt = MakeRuntime();
  auto r = Call(*rt, "plain.get", R"({"case":"gzip"})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::ErrorCode::kUpstreamError);
  EXPECT_EQ(r.error().message,
            "upstream sent Content-Encoding: gzip, which capstan does not decode");
  std::lock_guard lock(mu_);
  ASSERT_EQ(accept_encoding_.size(), 1u);
  EXPECT_EQ(accept_encoding_[0], "identity");
}

TEST_F(UpstreamTest, StatusesBodiesAndNumbersSurviveTheCall) {
  auto rt = MakeRuntime();
  auto ok = Call(*rt, "plain.get", R"({"case":"x"})");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->body, R"({"case":"x","v":1.10})");  // consumed `value: $.` is the identity
  auto error = Call(*rt, "plain.get", R"({"case":"error"})");
  ASSERT_TRUE(error) << error.error().message;
  EXPECT_EQ(error->status, 503);
  EXPECT_EQ(error->upstream_status, 503);
  EXPECT_EQ(error->body, R"({"message":"maintenance","type":"unavailable","retry_after":1.50})");
  auto mapped = Call(*rt, "plain.mapped", R"({"case":"numbers"})");
  ASSERT_TRUE(mapped) << mapped.error().message;
  EXPECT_EQ(mapped->body, "1.1");
}

}  // namespace
}  // namespace capstan::runtime
