#include "runtime/runtime.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>
#include <unistd.h>

#include "http/server.hpp"
#include "runtime/digest.hpp"
#include "runtime/runtime_test_util.hpp"
#include "runtime/values.hpp"
#include "spec/loader.hpp"

namespace capstan::runtime {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

constexpr const char* kCapability = R"(naftiko: 1.0.0-alpha2
info:
  label: Test
  description: Runtime test capability
binds:
- namespace: env
  keys:
    API_KEY: TEST_API_KEY
capability:
  consumes:
  - type: http
    namespace: up
    baseUri: http://127.0.0.1:9
    authentication:
      type: apikey
      key: X-Auth-Token
      value: '{{env.API_KEY}}'
      placement: header
    resources:
    - name: items
      path: /items
      operations:
      - name: list
        method: GET
        inputParameters:
        - {name: order_by, in: query, type: string, description: Sort order}
        - {name: page_size, in: query, type: integer, description: Page size}
        - {name: tags, in: query, type: array, description: Tags}
        - {name: X-Trace, in: header, type: string, description: Trace}
        outputParameters:
        - {name: result, type: object, value: $.}
    - name: item
      path: /items/{item_id}
      operations:
      - name: get
        method: GET
        inputParameters:
        - {name: item_id, in: path, type: string, required: true, description: Item}
      - name: delete
        method: DELETE
        inputParameters:
        - {name: item_id, in: path, type: string, required: true, description: Item}
    - name: create
      path: /items
      operations:
      - name: create
        method: POST
        body:
          type: json
          data:
            name: '{{name}}'
            count: '{{count}}'
            label: 'item {{name}}'
  exposes:
  - type: rest
    namespace: api
    port: 8080
    resources:
    - path: /v1/items
      operations:
      - method: GET
        call: up.list
        with:
          order_by: rest.order
          page_size: rest.page_size
        outputParameters:
        - type: object
          mapping: $.
    - path: /v1/items/{item-id}
      operations:
      - method: GET
        call: up.get
        with:
          item_id: rest.item_id
        outputParameters:
        - type: object
          mapping: $.
)";

using testing::FakeEnv;

std::shared_ptr<const spec::Capability> Load(const std::string& text) {
  return testing::LoadText(text, "/tmp/runtime-test.yaml");
}

std::shared_ptr<Runtime> MakeRuntime(RuntimeOptions options = {}) {
  if (!options.env) options.env = FakeEnv({{"TEST_API_KEY", "secret-123"}});
  auto rt = Runtime::Create(Load(kCapability), std::move(options));
  EXPECT_TRUE(rt) << (rt ? "" : rt.error().message);
  return rt ? *rt : nullptr;
}

json::object Args(std::string_view text) { return testing::JsonArgs(text); }

TEST(RuntimeTest, BuildsTheQueryInDeclaredOrderWithTypes) {
  auto rt = MakeRuntime();
  auto op = rt->FindOperation("up.list");
  ASSERT_TRUE(op);
  auto req = op->BuildRequest(Args(R"({"page_size":5,"order_by":"a b&c","tags":["x","y"]})"));
  ASSERT_TRUE(req) << req.error().message;
  EXPECT_EQ(req->method, "GET");
  EXPECT_EQ(req->target, "/items?order_by=a%20b%26c&page_size=5&tags=x&tags=y");
  EXPECT_EQ(req->headers.Get("X-Auth-Token").value_or(""), "secret-123");
  EXPECT_FALSE(req->headers.Has("X-Trace"));
}

TEST(RuntimeTest, PathParametersCannotEscapeTheirSegment) {
  auto rt = MakeRuntime();
  auto op = rt->FindOperation("up.get");
  struct Case {
    const char* id;
    const char* target;
  };
  for (const Case& c : {Case{"../../account", "/items/..%2F..%2Faccount"},
                        Case{"..", "/items/%2E%2E"}, Case{"%2e%2e", "/items/%252e%252e"},
                        Case{"a?b#c", "/items/a%3Fb%23c"}, Case{"a/b", "/items/a%2Fb"}}) {
    json::object args;
    args["item_id"] = c.id;
    auto req = op->BuildRequest(args);
    ASSERT_TRUE(req) << req.error().message;
    EXPECT_EQ(req->target, c.target) << c.id;
  }
  auto missing = op->BuildRequest({});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("item_id"), std::string::npos);
}

TEST(RuntimeTest, RejectsCrLfInHeaders) {
  auto rt = MakeRuntime();
  auto op = rt->FindOperation("up.list");
  auto req = op->BuildRequest(Args(R"({"X-Trace":"a\r\nX-Evil: 1"})"));
  ASSERT_FALSE(req);
  EXPECT_EQ(req.error().code, core::ErrorCode::kInvalidArgument);
}

TEST(RuntimeTest, RendersJsonBodiesKeepingTypes) {
  auto rt = MakeRuntime();
  auto op = rt->FindOperation("up.create");
  auto req = op->BuildRequest(Args(R"({"name":"a\"b","count":3})"));
  ASSERT_TRUE(req) << req.error().message;
  EXPECT_EQ(req->body, R"({"name":"a\"b","count":3,"label":"item a\"b"})");
  EXPECT_EQ(req->headers.Get("Content-Type").value_or(""), "application/json");
}

TEST(RuntimeTest, MissingBindVariableIsAStartupErrorNamingIt) {
  RuntimeOptions options;
  options.env = FakeEnv({});
  auto rt = Runtime::Create(Load(kCapability), options);
  ASSERT_FALSE(rt);
  EXPECT_NE(rt.error().message.find("TEST_API_KEY"), std::string::npos) << rt.error().message;
}

TEST(RuntimeTest, UnknownBaseUriNamespaceIsAnError) {
  RuntimeOptions options;
  options.base_uris["nope"] = "http://127.0.0.1:1";
  options.env = FakeEnv({{"TEST_API_KEY", "k"}});
  auto rt = Runtime::Create(Load(kCapability), options);
  ASSERT_FALSE(rt);
  EXPECT_NE(rt.error().message.find("nope"), std::string::npos);
}

TEST(RuntimeTest, BaseUriComesFromTheEnvironmentToo) {
  RuntimeOptions options;
  options.env =
      FakeEnv({{"TEST_API_KEY", "k"}, {"CAPSTAN_BASE_URI_UP", "http://10.1.2.3:81/base"}});
  auto rt = Runtime::Create(Load(kCapability), options);
  ASSERT_TRUE(rt);
  auto op = (*rt)->FindOperation("up.list");
  EXPECT_EQ(op->origin().host, "10.1.2.3");
  EXPECT_EQ(op->BuildRequest({})->target, "/base/items");
}

Invocation::Definition RestDefinition(const spec::Capability& cap, std::size_t resource) {
  const auto& rest = std::get<spec::ExposesRest>(cap.capability->exposes[0]);
  const auto& op = rest.resources[resource].operations[0];
  Invocation::Definition d;
  d.expose_ns = rest.ns;
  if (op.call) d.call = op.call->target;
  d.with = op.with;
  d.outputs = op.output_parameters;
  d.rest_inputs = op.input_parameters;
  if (resource == 1) d.route_variables = {"item-id"};
  d.what = "test";
  return d;
}

TEST(RuntimeTest, DerivesInputsFromTheConsumedOperation) {
  auto rt = MakeRuntime();
  auto list = Invocation::Compile(*rt, RestDefinition(rt->capability(), 0));
  ASSERT_TRUE(list) << list.error().message;
  std::vector<std::string> names;
  for (const auto& in : (*list)->inputs()) names.push_back(in.name);
  EXPECT_EQ(names, (std::vector<std::string>{"order", "page_size", "tags", "X-Trace"}));
  EXPECT_EQ((*list)->inputs()[1].type, spec::ValueType::kInteger);
  EXPECT_EQ((*list)->inputs()[3].in, spec::ParameterIn::kHeader);

  auto get = Invocation::Compile(*rt, RestDefinition(rt->capability(), 1));
  ASSERT_TRUE(get) << get.error().message;
  ASSERT_EQ((*get)->inputs().size(), 1u);
  EXPECT_EQ((*get)->inputs()[0].name, "item-id");  // the route's spelling; '-' == '_'
  EXPECT_EQ((*get)->inputs()[0].in, spec::ParameterIn::kPath);
  EXPECT_TRUE((*get)->inputs()[0].required);
  EXPECT_TRUE((*get)->output().identity());
}

TEST(ValuesTest, CoercesTextToDeclaredTypes) {
  EXPECT_EQ(CoerceText("n", "42", spec::ValueType::kInteger)->as_int64(), 42);
  EXPECT_FALSE(CoerceText("n", "abc", spec::ValueType::kInteger));
  EXPECT_FALSE(CoerceText("n", "4.5", spec::ValueType::kInteger));
  EXPECT_FALSE(CoerceText("n", "", spec::ValueType::kInteger));
  EXPECT_TRUE(CoerceText("b", "True", spec::ValueType::kBoolean)->as_bool());
  EXPECT_FALSE(CoerceText("b", "0", spec::ValueType::kBoolean)->as_bool());
  EXPECT_FALSE(CoerceText("b", "yes", spec::ValueType::kBoolean));
  EXPECT_EQ(CoerceText("x", "1.5", spec::ValueType::kNumber)->as_double(), 1.5);
  auto bad = CoerceText("page_size", "abc", spec::ValueType::kInteger);
  EXPECT_NE(bad.error().message.find("page_size"), std::string::npos);
}

TEST(OutputMappingTest, MapsObjectsArraysConstantsAndTemplates) {
  spec::OutputParameter root;
  root.type = spec::ValueType::kObject;
  spec::OutputParameter ids;
  ids.name = "ids";
  ids.type = spec::ValueType::kArray;
  ids.mapping = "$.jwts";
  spec::OutputParameter item;
  item.type = spec::ValueType::kObject;
  spec::OutputParameter jti;
  jti.name = "id";
  jti.type = spec::ValueType::kString;
  jti.mapping = "$.jti";
  item.properties.push_back(jti);
  ids.items.push_back(item);
  spec::OutputParameter total;
  total.name = "total";
  total.type = spec::ValueType::kNumber;
  total.mapping = "$.total_count";
  spec::OutputParameter kind;
  kind.name = "kind";
  kind.type = spec::ValueType::kString;
  kind.const_value = json::value("jwt-list");
  spec::OutputParameter who;
  who.name = "who";
  who.type = spec::ValueType::kString;
  who.value = "user {{user}}";
  root.properties = {ids, total, kind, who};
  auto m = OutputMapping::Compile({root});
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_FALSE(m->identity());
  auto out = m->Apply(*core::ParseJson(R"({"jwts":[{"jti":"a"},{"jti":"b"}],"total_count":2})"),
                      Args(R"({"user":"u1"})"));
  ASSERT_TRUE(out);
  EXPECT_EQ(core::SerializeJson(*out),
            R"({"ids":[{"id":"a"},{"id":"b"}],"total":2,"kind":"jwt-list","who":"user u1"})");
}

TEST(DigestTest, MatchesTheRfc7616Examples) {
  DigestChallenge c;
  c.realm = "http-auth@example.org";
  c.nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
  c.opaque = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS";
  c.qop_auth = true;
  const char* cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
  c.algorithm = "MD5";
  auto md5 = DigestAuthorization(c, "Mufasa", "Circle of Life", "GET", "/dir/index.html", cnonce);
  ASSERT_TRUE(md5);
  EXPECT_NE(md5->find("response=\"8ca523f5e9506fed4657c9700eebdbec\""), std::string::npos) << *md5;
  c.algorithm = "SHA-256";
  auto sha = DigestAuthorization(c, "Mufasa", "Circle of Life", "GET", "/dir/index.html", cnonce);
  ASSERT_TRUE(sha);
  EXPECT_NE(sha->find("753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
            std::string::npos)
      << *sha;
  auto parsed = ParseDigestChallenge(
      R"(Digest realm="r", qop="auth, auth-int", algorithm=SHA-256, nonce="n1", opaque="o")");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->realm, "r");
  EXPECT_EQ(parsed->nonce, "n1");
  EXPECT_TRUE(parsed->qop_auth);
  EXPECT_EQ(parsed->algorithm, "SHA-256");
  EXPECT_FALSE(ParseDigestChallenge("Basic realm=x"));
}

// --- against a real upstream on loopback

class RuntimeUpstreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    http::ServerOptions options;
    options.threads = 1;
    server_ = std::make_unique<http::Server>(
        options, [this](http::Request& req) -> asio::awaitable<http::Response> {
          {
            std::lock_guard lock(mu_);
            seen_.push_back(req.method + " " + req.target +
                            " token=" + std::string(req.headers.Get("X-Auth-Token").value_or("-")));
          }
          if (req.path == "/items") {
            co_return http::MakeResponse(200, R"({"items":[1.10,2],"total_count":2})");
          }
          if (req.method == "DELETE") co_return http::MakeResponse(204, "");
          if (req.path == "/items/missing") {
            co_return http::MakeResponse(
                404, R"({"message":"resource is not found","type":"not_found"})");
          }
          co_return http::MakeResponse(200, "not json", "text/plain");
        });
    ASSERT_TRUE(server_->Start());
    RuntimeOptions options2;
    options2.base_uris["up"] = "http://127.0.0.1:" + std::to_string(server_->port());
    rt_ = MakeRuntime(options2);
  }
  void TearDown() override { server_->Stop(0s); }

  core::Result<InvocationResult> Run(std::size_t resource, json::object inputs) {
    auto inv = Invocation::Compile(*rt_, RestDefinition(rt_->capability(), resource));
    EXPECT_TRUE(inv);
    return testing::ExecuteSync(*rt_, **inv, std::move(inputs));
  }

  std::unique_ptr<http::Server> server_;
  std::shared_ptr<Runtime> rt_;
  std::mutex mu_;
  std::vector<std::string> seen_;
};

TEST_F(RuntimeUpstreamTest, PassesIdentityBodiesThroughByteForByte) {
  auto r = Run(0, Args(R"({"order":"created_at_desc","page_size":2})"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"items":[1.10,2],"total_count":2})");  // 1.10 untouched
  EXPECT_EQ(r->content_type, "application/json");
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(seen_[0], "GET /items?order_by=created_at_desc&page_size=2 token=secret-123");
}

TEST_F(RuntimeUpstreamTest, KeepsUpstreamErrorsAndRejectsNonJson) {
  auto missing = Run(1, Args(R"({"item-id":"missing"})"));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->body, R"({"message":"resource is not found","type":"not_found"})");
  auto garbage = Run(1, Args(R"({"item-id":"x"})"));
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().code, core::ErrorCode::kUpstreamError);
}

// --- binary formats: schema files beside the capability, bytes from a loopback upstream

constexpr const char* kBinaryCapability = R"(naftiko: 1.0.0-alpha2
info:
  label: Binary
  description: Avro and protobuf answers mapped to JSON
capability:
  consumes:
  - type: http
    namespace: up
    baseUri: http://127.0.0.1:9
    resources:
    - name: records-pb
      path: /records/pb
      operations:
      - name: protobuf
        method: GET
        outputRawFormat: protobuf
        outputSchema: schemas/records.proto
    - name: records-avro
      path: /records/avro
      operations:
      - name: avro
        method: GET
        outputRawFormat: avro
        outputSchema: schemas/records.avsc
  exposes:
  - type: rest
    namespace: api
    port: 8080
    resources:
    - path: /pb
      operations:
      - method: GET
        call: up.protobuf
        outputParameters: &records
        - type: array
          mapping: $.records
          items:
            type: object
            properties:
              id: {type: string, mapping: $.id}
              about: {type: string, mapping: $.description}
    - path: /avro
      operations:
      - method: GET
        call: up.avro
        outputParameters: *records
)";

class BinaryFormatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    namespace fs = std::filesystem;
    dir_ = fs::temp_directory_path() / ("capstan-binary-" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "schemas");
    std::ofstream(dir_ / "schemas/records.proto") << R"(syntax = "proto2";
message RecordsList { repeated Record records = 1; }
message Record { required string id = 1; required string title = 2; optional string description = 3; }
)";
    std::ofstream(dir_ / "schemas/records.avsc") << R"({"type":"record","name":"RecordsList",
 "fields":[{"name":"records","type":{"type":"array","items":{"type":"record","name":"Record",
 "fields":[{"name":"id","type":"string"},{"name":"title","type":"string"},
 {"name":"description","type":["null","string"]}]}}}]})";
    http::ServerOptions options;
    options.threads = 1;
    server_ = std::make_unique<http::Server>(
        options, [this](http::Request& req) -> asio::awaitable<http::Response> {
          std::string body = req.path == "/records/pb" ? pb_body_ : avro_body_;
          co_return http::MakeResponse(200, std::move(body), "application/octet-stream");
        });
    ASSERT_TRUE(server_->Start());
  }
  void TearDown() override {
    server_->Stop(0s);
    std::filesystem::remove_all(dir_);
  }

  core::Result<InvocationResult> Get(std::size_t resource) {
    RuntimeOptions options;
    options.env = FakeEnv({});
    options.base_uris["up"] = "http://127.0.0.1:" + std::to_string(server_->port());
    auto rt = Runtime::Create(testing::LoadText(kBinaryCapability, (dir_ / "cap.yaml").string()),
                              std::move(options));
    if (!rt) return tl::unexpected(rt.error());
    const auto& rest = std::get<spec::ExposesRest>((*rt)->capability().capability->exposes[0]);
    const auto& op = rest.resources[resource].operations[0];
    Invocation::Definition d;
    d.expose_ns = rest.ns;
    d.call = op.call->target;
    d.outputs = op.output_parameters;
    d.what = "test";
    auto inv = Invocation::Compile(**rt, d);
    if (!inv) return tl::unexpected(inv.error());
    return testing::ExecuteSync(**rt, **inv, {});
  }

  std::filesystem::path dir_;
  std::unique_ptr<http::Server> server_;
  // RecordsList{records{id:"r-1" title:"First" description:"one"} records{id:"r-2" title:"S"}}
  std::string pb_body_ = std::string(
                             "\x0a\x11\x0a\x03r-1\x12\x05"
                             "First\x1a\x03one") +
                         std::string("\x0a\x08\x0a\x03r-2\x12\x01S");
  // The same in Avro: one block of 2 records, the second description null, then the end.
  std::string avro_body_ = std::string(
                               "\x04\x06r-1\x0a"
                               "First\x02\x06one") +
                           std::string("\x06r-2\x02S\x00\x00", 8);
};

TEST_F(BinaryFormatsTest, ProtobufAndAvroAnswersAreMappedLikeJson) {
  for (std::size_t resource : {0u, 1u}) {
    auto r = Get(resource);
    if (!r && r.error().message.find("not in this build") != std::string::npos) {
      GTEST_SKIP() << "built with CAPSTAN_BINARY_FORMATS=OFF: " << r.error().message;
    }
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->content_type, "application/json");
    // proto2 leaves an unset optional field out, so its mapping is null, as Avro's null is.
    EXPECT_EQ(*core::ParseJson(r->body),
              *core::ParseJson(R"([{"id":"r-1","about":"one"},{"id":"r-2","about":null}])"))
        << resource << ": " << r->body;
  }
}

TEST_F(BinaryFormatsTest, ABodyThatDoesNotDecodeIsAnUpstreamError) {
  pb_body_ = "\x0a\x7f";
  avro_body_ = "\x04\x06r";
  for (std::size_t resource : {0u, 1u}) {
    auto r = Get(resource);
    if (!r && r.error().message.find("not in this build") != std::string::npos) {
      GTEST_SKIP() << "built with CAPSTAN_BINARY_FORMATS=OFF";
    }
    ASSERT_FALSE(r) << r->body;
    EXPECT_EQ(r.error().code, core::ErrorCode::kUpstreamError);
    EXPECT_NE(r.error().message.find(resource == 0 ? "protobuf: " : "avro: "), std::string::npos)
        << r.error().message;
  }
}

}  // namespace
}  // namespace capstan::runtime
