// Request building (CompiledOperation::BuildRequest): templates, query typing, headers, cookies,
// `in: environment`, every body type, authentication, and '-'/'_' name equivalence.
#include <gtest/gtest.h>

#include "runtime/operation.hpp"
#include "runtime/runtime.hpp"
#include "runtime/runtime_test_util.hpp"

namespace capstan::runtime {
namespace {

using testing::FakeEnv;
using testing::JsonArgs;
using testing::LoadText;

constexpr const char* kCapability = R"(naftiko: 1.0.0-alpha2
info:
  label: Requests
  description: Request building test capability
binds:
- namespace: env
  keys:
    REGION: TEST_REGION
    TOKEN: TEST_TOKEN
capability:
  consumes:
  - type: http
    namespace: up
    baseUri: http://127.0.0.1:9/api
    inputParameters:
    - name: X-Region
      in: header
      value: '{{env.REGION}}'
    - name: X-Plain-Region
      in: header
      value: '{{REGION}}'
    resources:
    - name: search
      path: /search
      operations:
      - name: search
        method: GET
        inputParameters:
        - {name: limit, in: query, type: integer}
        - {name: ratio, in: query, type: number}
        - {name: exact, in: query, type: boolean}
        - {name: q, in: query, type: string}
        - {name: tag, in: query, type: array}
        - {name: page-size, in: query, type: integer}
        - {name: fixed, in: query, value: 'v1'}
        - {name: from-template, in: query, value: 'at {{when}}'}
        - {name: X-Request-Note, in: header, type: string}
        - {name: session, in: cookie}
        - {name: theme, in: cookie}
    - name: key
      path: /keys/{access-key}/{{version}}
      operations:
      - name: get-key
        method: GET
        inputParameters:
        - {name: access_key, in: path}
        - {name: version, in: path}
    - name: env
      path: /home/{{HOME_DIR}}
      operations:
      - name: env
        method: GET
        inputParameters:
        - {name: HOME_DIR, in: environment, value: TEST_HOME}
        - {name: X-Home, in: header, value: '{{HOME_DIR}}'}
    - name: bodies
      path: /bodies
      operations:
      - name: json-object
        method: POST
        inputParameters:
        - {name: name, in: body, type: string, required: true}
        - {name: count, in: body, type: integer}
        - {name: tags, in: body, type: array}
        - {name: note, in: body, type: string}
        body:
          type: json
          data:
            name: '{{name}}'
            count: '{{count}}'
            tags: '{{tags}}'
            note: '{{note}}'
            label: 'item <{{name}}> & co'
            region: '{{REGION}}'
            fixed: [1, true, null]
      - name: json-string
        method: POST
        inputParameters:
        - {name: name, in: body, type: string}
        - {name: count, in: body, type: integer}
        body:
          type: json
          data: '{"name": "{{name}}", "count": {{count}}, "say": "it''s \"{{name}}\"", "bare": {{name}}, "region": {{REGION}}}'
      - name: text
        method: PUT
        inputParameters:
        - {name: line, in: body, type: string}
        body:
          type: text
          data: 'line: {{line}}'
      - name: xml
        method: PUT
        inputParameters:
        - {name: reason, in: body, type: string}
        body:
          type: xml
          data: '<reason code="{{reason}}">{{reason}}</reason>'
      - name: sparql
        method: POST
        body:
          type: sparql
          data: 'SELECT * WHERE { ?s ?p ?o }'
      - name: form-map
        method: POST
        inputParameters:
        - {name: scope, in: body, type: string}
        body:
          type: formUrlEncoded
          data:
            grant_type: client_credentials
            scope: '{{scope}}'
      - name: form-string
        method: POST
        inputParameters:
        - {name: scope, in: body, type: string}
        body:
          type: formUrlEncoded
          data: 'grant_type=client_credentials&scope={{scope}}'
      - name: multipart
        method: POST
        inputParameters:
        - {name: content, in: body, type: string}
        body:
          type: multipartForm
          data:
          - name: file
            value: '{{content}}'
            filename: order.txt
            contentType: text/plain
          - name: comment
            value: 'plain field'
      - name: raw
        method: PATCH
        inputParameters:
        - {name: item, in: body, type: string}
        body: '{"item": "{{item}}"}'
      - name: raw-typed
        method: PATCH
        inputParameters:
        - {name: item, in: body, type: string}
        - {name: Content-Type, in: header, value: text/csv}
        body: 'item,{{item}}'
      - name: body-param
        method: POST
        inputParameters:
        - {name: body, in: body, type: object}
  - type: http
    namespace: keyed
    baseUri: https://example.com
    authentication:
      type: apikey
      key: X-Api-Key
      value: '{{TOKEN}}'
    resources:
    - name: r
      path: /r
      operations:
      - {name: op, method: GET}
  - type: http
    namespace: querykey
    baseUri: https://example.com
    authentication:
      type: apikey
      key: api key
      value: '{{TOKEN}}'
      placement: query
    resources:
    - name: r
      path: /r
      operations:
      - name: op
        method: GET
        inputParameters:
        - {name: q, in: query}
  - type: http
    namespace: bearer
    baseUri: https://example.com
    authentication:
      type: bearer
      token: '{{env.TOKEN}}'
    resources:
    - name: r
      path: /r
      operations:
      - {name: op, method: GET}
  - type: http
    namespace: basic
    baseUri: https://example.com
    authentication:
      type: basic
      username: Aladdin
      password: 'open sesame'
    resources:
    - name: r
      path: /r
      operations:
      - name: op
        method: GET
        inputParameters:
        - {name: Authorization, in: header}
)";

class RequestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RuntimeOptions options;
    options.env = FakeEnv(
        {{"TEST_REGION", "fr-par"}, {"TEST_TOKEN", "t0k+n/="}, {"TEST_HOME", "home dir/x"}});
    auto rt = Runtime::Create(LoadText(kCapability, "/tmp/request-test.yaml"), options);
    ASSERT_TRUE(rt) << rt.error().message;
    rt_ = *rt;
  }

  consumes::UpstreamRequest Build(std::string_view call, std::string_view args = "{}") {
    auto op = rt_->FindOperation(call);
    EXPECT_TRUE(op) << call;
    if (!op) return {};
    auto req = op->BuildRequest(JsonArgs(args));
    EXPECT_TRUE(req) << call << ": " << req.error().message;
    return req ? *req : consumes::UpstreamRequest{};
  }

  core::Error BuildError(std::string_view call, std::string_view args) {
    auto req = rt_->FindOperation(call)->BuildRequest(JsonArgs(args));
    EXPECT_FALSE(req) << call << " " << args;
    return req ? core::Error{} : req.error();
  }

  static std::string Header(const consumes::UpstreamRequest& req, std::string_view name) {
    return std::string(req.headers.Get(name).value_or("<absent>"));
  }

  std::shared_ptr<Runtime> rt_;
};

TEST_F(RequestTest, QueryParametersAreTypedRepeatedForArraysAndOmittedWhenAbsent) {
  auto req = Build("up.search",
                   R"({"limit":5,"ratio":0.30000000000000004,"exact":false,"q":"a b&c=d/é?#+",
                       "tag":["x y",2,true],"page_size":9007199254740993,"when":"noon"})");
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target,
            "/api/search?limit=5&ratio=0.30000000000000004&exact=false"
            "&q=a%20b%26c%3Dd%2F%C3%A9%3F%23%2B&tag=x%20y&tag=2&tag=true"
            "&page-size=9007199254740993&fixed=v1&from-template=at%20noon");
  // Only what is given (and static values) goes out; a template over an absent input is omitted.
  EXPECT_EQ(Build("up.search").target, "/api/search?fixed=v1");
  EXPECT_EQ(Build("up.search", R"({"limit":1.0e2,"ratio":-2.5,"exact":true,"q":null})").target,
            "/api/search?limit=100&ratio=-2.5&exact=true&fixed=v1");
  EXPECT_EQ(Build("up.search", R"({"tag":[]})").target, "/api/search?fixed=v1");
}

TEST_F(RequestTest, DashAndUnderscoreAreEquivalentInParameterNames) {
  EXPECT_EQ(Build("up.search", R"({"page-size":3})").target, "/api/search?page-size=3&fixed=v1");
  EXPECT_EQ(Build("up.search", R"({"page_size":3})").target, "/api/search?page-size=3&fixed=v1");
  // {access-key} in the path, declared as access_key, given as either spelling.
  EXPECT_EQ(Build("up.get-key", R"({"access_key":"SCW1","version":2})").target, "/api/keys/SCW1/2");
  EXPECT_EQ(Build("up.get-key", R"({"access-key":"SCW1","version":"v 2"})").target,
            "/api/keys/SCW1/v%202");
  auto op = rt_->FindOperation("up.search");
  ASSERT_NE(op->FindParam("page_size"), nullptr);
  EXPECT_EQ(op->FindParam("page_size")->name, "page-size");
  EXPECT_EQ(op->FindParam("nope"), nullptr);
  // An exact match wins over an equivalent one.
  EXPECT_EQ(FindArg(JsonArgs(R"({"a_b":1,"a-b":2})"), "a-b")->as_int64(), 2);
  EXPECT_EQ(FindArg(JsonArgs(R"({"a_b":1,"a-b":2})"), "a_b")->as_int64(), 1);
}

TEST_F(RequestTest, PathValuesStayInOneSegment) {
  EXPECT_EQ(Build("up.get-key", R"({"access_key":"../x","version":"a/b?c#d"})").target,
            "/api/keys/..%2Fx/a%2Fb%3Fc%23d");
  EXPECT_EQ(Build("up.get-key", R"({"access_key":"..","version":"."})").target,
            "/api/keys/%2E%2E/%2E");
  EXPECT_EQ(Build("up.get-key", R"({"access_key":"%2F","version":"1"})").target,
            "/api/keys/%252F/1");
  auto missing = BuildError("up.get-key", R"({"access_key":"k"})");
  EXPECT_EQ(missing.code, core::ErrorCode::kInvalidArgument);
  EXPECT_NE(missing.message.find("version"), std::string::npos) << missing.message;
  auto empty = BuildError("up.get-key", R"({"access_key":"","version":"1"})");
  EXPECT_NE(empty.message.find("empty"), std::string::npos) << empty.message;
}

TEST_F(RequestTest, HeadersFromBindsAndParametersWithoutHtmlEscaping) {
  auto req = Build("up.search", R"({"X-Request-Note":"<a href=\"x\">&amp;</a> 'q'"})");
  EXPECT_EQ(Header(req, "X-Region"), "fr-par");        // {{namespace.VAR}}
  EXPECT_EQ(Header(req, "X-Plain-Region"), "fr-par");  // {{VAR}}
  EXPECT_EQ(Header(req, "X-Request-Note"), "<a href=\"x\">&amp;</a> 'q'");
  EXPECT_EQ(Header(req, "Accept"), "application/json");
  EXPECT_FALSE(req.headers.Has("Content-Type"));
  EXPECT_TRUE(req.body.empty());
  // Underscore spelling of a header parameter.
  EXPECT_EQ(Header(Build("up.search", R"({"X_Request_Note":"n"})"), "X-Request-Note"), "n");
  for (const char* bad : {R"({"X-Request-Note":"a\r\nX-Evil: 1"})", R"({"X-Request-Note":"a\nb"})",
                          R"({"X-Request-Note":"a\u0000b"})"}) {
    auto error = BuildError("up.search", bad);
    EXPECT_EQ(error.code, core::ErrorCode::kInvalidArgument);
    EXPECT_NE(error.message.find("X-Request-Note"), std::string::npos);
  }
}

TEST_F(RequestTest, CookieParametersJoinIntoOneHeader) {
  EXPECT_EQ(Header(Build("up.search", R"({"session":"abc","theme":"dark"})"), "Cookie"),
            "session=abc; theme=dark");
  EXPECT_FALSE(Build("up.search", "{}").headers.Has("Cookie"));
  EXPECT_EQ(BuildError("up.search", R"({"session":"a;theme=x"})").code,
            core::ErrorCode::kInvalidArgument);
}

TEST_F(RequestTest, EnvironmentParametersFeedTemplatesAndAreNotSentThemselves) {
  auto req = Build("up.env");
  EXPECT_EQ(req.target, "/api/home/home%20dir%2Fx");
  EXPECT_EQ(Header(req, "X-Home"), "home dir/x");
  EXPECT_FALSE(req.headers.Has("HOME_DIR"));
  EXPECT_EQ(req.target.find("HOME_DIR"), std::string::npos);
}

TEST_F(RequestTest, AMissingEnvironmentParameterIsAStartupErrorNamingIt) {
  RuntimeOptions options;
  options.env = FakeEnv({{"TEST_REGION", "r"}, {"TEST_TOKEN", "t"}});
  auto rt = Runtime::Create(LoadText(kCapability, "/tmp/request-test.yaml"), options);
  ASSERT_FALSE(rt);
  EXPECT_NE(rt.error().message.find("TEST_HOME"), std::string::npos) << rt.error().message;
  EXPECT_NE(rt.error().message.find("up.env"), std::string::npos) << rt.error().message;
}

TEST_F(RequestTest, JsonObjectBodiesKeepTypesAndLeaveOutAbsentOptionalFields) {
  auto req = Build("up.json-object", R"({"name":"a\"b</x>","count":3,"tags":["t",1.10]})");
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(Header(req, "Content-Type"), "application/json");
  EXPECT_EQ(req.body,
            R"({"name":"a\"b</x>","count":3,"tags":["t",1.1],"label":"item <a\"b</x>> & co",)"
            R"("region":"fr-par","fixed":[1,true,null]})");
  auto parsed = core::ParseJson(req.body);
  ASSERT_TRUE(parsed) << req.body;
  EXPECT_FALSE(parsed->as_object().contains("note"));
  auto missing = BuildError("up.json-object", R"({"count":1})");
  EXPECT_NE(missing.message.find("name"), std::string::npos) << missing.message;
}

TEST_F(RequestTest, JsonStringBodiesEscapeInsideStringsAndWriteJsonValuesOutside) {
  auto req = Build("up.json-string", R"({"name":"x\"},\"evil\":{\"a\":\"\n","count":7})");
  EXPECT_EQ(Header(req, "Content-Type"), "application/json");
  auto parsed = core::ParseJson(req.body);
  ASSERT_TRUE(parsed) << req.body;
  const json::object& o = parsed->as_object();
  EXPECT_EQ(o.size(), 5u) << req.body;
  // Outside a string literal, text is one JSON string: it cannot add members.
  EXPECT_EQ(o.at("bare").as_string(), o.at("name").as_string());
  EXPECT_EQ(o.at("region").as_string(), "fr-par");
  EXPECT_EQ(o.at("name").as_string(), "x\"},\"evil\":{\"a\":\"\n");
  EXPECT_EQ(o.at("count").as_int64(), 7);
  EXPECT_EQ(o.at("say").as_string(), "it's \"x\"},\"evil\":{\"a\":\"\n\"");
  // A body value that is not UTF-8 (a CLI argument can be anything) is refused, not sent.
  json::object bad;
  bad["name"] = json::string("\xff\xfe");
  bad["count"] = 1;
  auto refused = rt_->FindOperation("up.json-string")->BuildRequest(bad);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("UTF-8"), std::string::npos);
}

TEST_F(RequestTest, TextXmlAndSparqlBodiesHaveTheirContentTypes) {
  auto text = Build("up.text", R"({"line":"<b>&\"x\"</b>"})");
  EXPECT_EQ(text.method, "PUT");
  EXPECT_EQ(text.body, "line: <b>&\"x\"</b>");  // plain text: no escaping at all
  EXPECT_EQ(Header(text, "Content-Type"), "text/plain");

  auto xml = Build("up.xml", R"({"reason":"a<b & \"c\" 'd'>"})");
  EXPECT_EQ(xml.body,
            "<reason code=\"a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;\">"
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;</reason>");
  EXPECT_EQ(Header(xml, "Content-Type"), "application/xml");

  auto sparql = Build("up.sparql");
  EXPECT_EQ(sparql.body, "SELECT * WHERE { ?s ?p ?o }");
  EXPECT_EQ(Header(sparql, "Content-Type"), "application/sparql-query");
}

TEST_F(RequestTest, FormBodiesEncodeEachValue) {
  auto map = Build("up.form-map", R"({"scope":"read write&admin=1"})");
  EXPECT_EQ(map.body, "grant_type=client_credentials&scope=read+write%26admin%3D1");
  EXPECT_EQ(Header(map, "Content-Type"), "application/x-www-form-urlencoded");
  auto text = Build("up.form-string", R"({"scope":"read write&admin=1"})");
  EXPECT_EQ(text.body, "grant_type=client_credentials&scope=read+write%26admin%3D1");
  EXPECT_EQ(Header(text, "Content-Type"), "application/x-www-form-urlencoded");
}

TEST_F(RequestTest, MultipartBodiesUseAFreshBoundaryNoValueContains) {
  auto req = Build("up.multipart", R"({"content":"line 1\r\nline 2"})");
  std::string type = Header(req, "Content-Type");
  const std::string prefix = "multipart/form-data; boundary=";
  ASSERT_EQ(type.rfind(prefix, 0), 0u) << type;
  std::string boundary = type.substr(prefix.size());
  EXPECT_GE(boundary.size(), 24u);
  EXPECT_EQ(req.body, "--" + boundary +
                          "\r\nContent-Disposition: form-data; name=\"file\"; "
                          "filename=\"order.txt\"\r\nContent-Type: text/plain\r\n\r\n"
                          "line 1\r\nline 2\r\n--" +
                          boundary +
                          "\r\nContent-Disposition: form-data; name=\"comment\"\r\n\r\n"
                          "plain field\r\n--" +
                          boundary + "--\r\n");
  // Random per request: a caller cannot guess the next one and smuggle parts in.
  EXPECT_NE(Header(Build("up.multipart", R"({"content":"x"})"), "Content-Type"), type);
}

TEST_F(RequestTest, RawBodiesAreJsonByDefaultAndKeepADeclaredContentType) {
  auto raw = Build("up.raw", R"({"item":"say \"hi\""})");
  EXPECT_EQ(raw.method, "PATCH");
  EXPECT_EQ(raw.body, R"({"item": "say \"hi\""})");
  EXPECT_EQ(Header(raw, "Content-Type"), "application/json");
  auto typed = Build("up.raw-typed", R"({"item":"say \"hi\""})");
  EXPECT_EQ(typed.body, "item,say \"hi\"");
  EXPECT_EQ(Header(typed, "Content-Type"), "text/csv");
}

TEST_F(RequestTest, ABodyParameterIsTheWholeBody) {
  auto req = Build("up.body-param", R"({"body":{"a":[1,2.50,"x"]}})");
  EXPECT_EQ(req.body, R"({"a":[1,2.5,"x"]})");
  EXPECT_EQ(Header(req, "Content-Type"), "application/json");
  EXPECT_TRUE(Build("up.body-param").body.empty());
}

TEST_F(RequestTest, ApiKeyDefaultsToAHeader) {
  auto req = Build("keyed.op");
  EXPECT_EQ(Header(req, "X-Api-Key"), "t0k+n/=");
  EXPECT_EQ(req.target, "/r");
}

TEST_F(RequestTest, ApiKeyInTheQueryIsPercentEncodedAndComesLast) {
  EXPECT_EQ(Build("querykey.op").target, "/r?api%20key=t0k%2Bn%2F%3D");
  EXPECT_EQ(Build("querykey.op", R"({"q":"1"})").target, "/r?q=1&api%20key=t0k%2Bn%2F%3D");
  EXPECT_FALSE(Build("querykey.op").headers.Has("api key"));
}

TEST_F(RequestTest, BearerAndBasicAuthentication) {
  EXPECT_EQ(Header(Build("bearer.op"), "Authorization"), "Bearer t0k+n/=");
  EXPECT_EQ(Header(Build("basic.op"), "Authorization"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  // The capability's authentication wins over a caller's header of the same name.
  EXPECT_EQ(Header(Build("basic.op", R"({"Authorization":"Bearer stolen"})"), "Authorization"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}

TEST_F(RequestTest, AnUndefinedBindVariableInAParameterValueIsAStartupError) {
  std::string text = kCapability;
  std::string from = "value: '{{REGION}}'";
  text.replace(text.find(from), from.size(), "value: '{{REGIONS}}'");
  RuntimeOptions options;
  options.env = FakeEnv({{"TEST_REGION", "r"}, {"TEST_TOKEN", "t"}, {"TEST_HOME", "h"}});
  auto rt = Runtime::Create(LoadText(text, "/tmp/request-test.yaml"), options);
  ASSERT_FALSE(rt);
  EXPECT_NE(rt.error().message.find("REGIONS"), std::string::npos) << rt.error().message;
}

TEST_F(RequestTest, PerNamespaceLimitsApplyAndUnknownNamespacesAreRejected) {
  RuntimeOptions options;
  options.env = FakeEnv({{"TEST_REGION", "r"}, {"TEST_TOKEN", "t"}, {"TEST_HOME", "h"}});
  options.limits.total_timeout = std::chrono::milliseconds(1234);
  options.limits_by_namespace["bearer"].total_timeout = std::chrono::milliseconds(42);
  auto rt = Runtime::Create(LoadText(kCapability, "/tmp/request-test.yaml"), options);
  ASSERT_TRUE(rt) << rt.error().message;
  EXPECT_EQ((*rt)->FindOperation("bearer.op")->limits().total_timeout.count(), 42);
  EXPECT_EQ((*rt)->FindOperation("basic.op")->limits().total_timeout.count(), 1234);

  options.limits_by_namespace["nope"] = {};
  auto bad = Runtime::Create(LoadText(kCapability, "/tmp/request-test.yaml"), options);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("nope"), std::string::npos);
}

}  // namespace
}  // namespace capstan::runtime
