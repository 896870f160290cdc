// Orchestration: lookup and output shaping as pure functions, step plans compiled (every
// reference checked, errors naming the step) and run against a real upstream on loopback
// (call → call → lookup → mappings; `$.step` and {{step.field}} in `with`; a failing step; a
// `ref` to an aggregate function).
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>
#include <unistd.h>

#include "http/server.hpp"
#include "runtime/runtime.hpp"
#include "runtime/runtime_test_util.hpp"

namespace capstan::runtime {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

json::value Json(std::string_view text) {
  auto parsed = core::ParseJson(text);
  EXPECT_TRUE(parsed) << text;
  return parsed ? *parsed : json::value();
}

std::string Text(const json::value& v) { return core::SerializeJson(v); }

// ---- Lookup ---------------------------------------------------------------------------------

const char* kCrew = R"([
  {"crewId":"C1","fullName":"Ann","role":"captain","age":50},
  {"crewId":"C2","fullName":"Bo","role":"cook"},
  {"crewId":3,"fullName":"Cy","role":"engineer"},
  "not an object"])";

TEST(LookupTest, AnArrayOfKeysKeepsTheMatchesInOrderCutToTheFields) {
  json::value found =
      Lookup(Json(kCrew), "crewId", Json(R"(["C2","nope","C1"])"), {"fullName", "role"});
  EXPECT_EQ(Text(found),
            R"([{"fullName":"Bo","role":"cook"},{"fullName":"Ann","role":"captain"}])");
}

TEST(LookupTest, OneKeyGivesOneObjectAndAMissingFieldIsNull) {
  EXPECT_EQ(Text(Lookup(Json(kCrew), "crewId", Json(R"("C2")"), {"fullName", "age"})),
            R"({"fullName":"Bo","age":null})");
}

TEST(LookupTest, KeysCompareAsTextAsTheReferenceDoes) {
  EXPECT_EQ(Text(Lookup(Json(kCrew), "crewId", Json(R"("3")"), {"fullName"})),
            R"({"fullName":"Cy"})");
  EXPECT_EQ(Text(Lookup(Json(kCrew), "crewId", Json("3"), {"fullName"})), R"({"fullName":"Cy"})");
}

TEST(LookupTest, NoMatchIsNull) {
  EXPECT_TRUE(Lookup(Json(kCrew), "crewId", Json(R"("C9")"), {"fullName"}).is_null());
  EXPECT_TRUE(Lookup(Json(kCrew), "crewId", Json(R"(["C9"])"), {"fullName"}).is_null());
  EXPECT_TRUE(Lookup(Json(kCrew), "crewId", json::value(), {"fullName"}).is_null());
  EXPECT_TRUE(Lookup(Json(kCrew), "missingField", Json(R"("C1")"), {"fullName"}).is_null());
  EXPECT_TRUE(Lookup(Json("42"), "crewId", Json(R"("C1")"), {"fullName"}).is_null());
}

TEST(LookupTest, ASingleObjectIndexMatchesItself) {
  EXPECT_EQ(Text(Lookup(Json(R"({"id":"x","n":1})"), "id", Json(R"("x")"), {"n"})), R"({"n":1})");
}

// ---- ShapeOutput ----------------------------------------------------------------------------

spec::OutputParameter Out(std::string name, spec::ValueType type) {
  spec::OutputParameter p;
  p.name = std::move(name);
  p.type = type;
  return p;
}

TEST(ShapeOutputTest, ScalarsAreCoercedOnlyWhenLossless) {
  EXPECT_EQ(Text(ShapeOutput(Out("n", spec::ValueType::kNumber), Json(R"("42.5")"))), "42.5");
  EXPECT_EQ(Text(ShapeOutput(Out("n", spec::ValueType::kNumber), Json(R"("abc")"))), R"("abc")");
  EXPECT_EQ(Text(ShapeOutput(Out("b", spec::ValueType::kBoolean), Json(R"("true")"))), "true");
  EXPECT_EQ(Text(ShapeOutput(Out("b", spec::ValueType::kBoolean), Json(R"("yes")"))), R"("yes")");
  EXPECT_EQ(Text(ShapeOutput(Out("s", spec::ValueType::kString), Json("7"))), R"("7")");
  EXPECT_EQ(Text(ShapeOutput(Out("s", spec::ValueType::kString), Json("null"))), "null");
}

TEST(ShapeOutputTest, ArrayItemsWithFieldsKeepOnlyThoseFields) {
  spec::OutputParameter crew = Out("crew", spec::ValueType::kArray);
  crew.items = {Out("fullName", spec::ValueType::kString), Out("age", spec::ValueType::kNumber)};
  EXPECT_EQ(Text(ShapeOutput(crew, Json(R"([{"fullName":"Ann","age":"50","x":1},{"age":2}])"))),
            R"([{"fullName":"Ann","age":50},{"fullName":null,"age":2}])");
}

// ---- compiling plans ------------------------------------------------------------------------

const char* kCapability = R"(naftiko: "1.0.0-alpha2"
capability:
  consumes:
    - namespace: up
      type: http
      baseUri: "http://127.0.0.1:1"
      resources:
        - name: ship
          path: "/ships/{{imo}}"
          operations:
            - name: get-ship
              method: GET
              inputParameters:
                - name: imo
                  in: path
        - name: crew
          path: "/crew"
          operations:
            - name: list-crew
              method: GET
              inputParameters:
                - name: flag
                  in: query
        - name: port
          path: "/ports/{{code}}"
          operations:
            - name: get-port
              method: GET
              inputParameters:
                - name: code
                  in: path
  aggregates:
    - label: Crew
      namespace: crew-agg
      functions:
        - name: ship-crew
          description: "Crew of a ship"
          semantics:
            safe: true
            idempotent: true
          inputParameters:
            - name: imo
              type: string
              description: "IMO number"
          steps:
            - name: get-ship
              type: call
              call: up.get-ship
              with:
                imo: "{{imo}}"
            - name: list-crew
              type: call
              call: up.list-crew
            - name: resolve
              type: lookup
              index: list-crew
              match: crewId
              lookupValue: "$.get-ship.assignedCrew"
              outputParameters: [fullName]
          mappings:
            - targetName: crew
              value: "$.resolve"
  exposes:
    - type: mcp
      port: 3001
      namespace: tools
      tools:
        - name: ship-with-crew
          description: "Ship and crew"
          inputParameters:
            - name: imo
              type: string
              description: "IMO number"
          steps:
            - name: get-ship
              type: call
              call: up.get-ship
              with:
                imo: "{{imo}}"
            - name: list-crew
              type: call
              call: up.list-crew
              with:
                flag: "{{get-ship.flag_code}}"
            - name: home
              type: call
              call: up.get-port
              with:
                code: "$.get-ship.home_port"
            - name: resolve-crew
              type: lookup
              index: list-crew
              match: crewId
              lookupValue: "$.get-ship.assignedCrew"
              outputParameters: [fullName, role]
          mappings:
            - targetName: imo
              value: "$.get-ship.imo_number"
            - targetName: specs.tonnage
              value: "$.get-ship.gross_tonnage"
            - targetName: specs.year
              value: "$.get-ship.year_built"
            - targetName: port
              value: "$.home.name"
            - targetName: crew
              value: "$.resolve-crew"
            - targetName: missing
              value: "$.get-ship.no_such_field"
          outputParameters:
            - name: imo
              type: string
            - name: crew
              type: array
              items:
                - name: fullName
                  type: string
                - name: role
                  type: string
        - name: by-ref
          ref: crew-agg.ship-crew
)";

std::shared_ptr<Runtime> MakeRuntime(std::uint16_t port) {
  RuntimeOptions options;
  options.env = testing::FakeEnv({});
  options.base_uris["up"] = "http://127.0.0.1:" + std::to_string(port);
  auto rt = Runtime::Create(testing::LoadText(kCapability, "steps.yaml"), std::move(options));
  EXPECT_TRUE(rt) << (rt ? "" : rt.error().message);
  return rt ? *rt : nullptr;
}

Invocation::Definition ToolDefinition(const spec::Capability& cap, std::size_t tool) {
  const auto& mcp = std::get<spec::ExposesMcp>(cap.capability->exposes[0]);
  const spec::McpTool& t = mcp.tools[tool];
  Invocation::Definition d;
  d.expose_ns = mcp.ns;
  if (t.call) d.call = t.call->target;
  if (t.ref) d.ref = t.ref->target;
  d.with = t.with;
  d.steps = t.steps;
  d.mappings = t.mappings;
  d.tool_inputs = t.input_parameters;
  d.outputs = t.output_parameters;
  d.what = "tool '" + t.name + "'";
  return d;
}

// Compiles tool 0 with its steps changed by `edit`, and returns the error message.
template <typename Edit>
std::string CompileError(Edit edit) {
  auto rt = MakeRuntime(1);
  Invocation::Definition d = ToolDefinition(rt->capability(), 0);
  edit(d);
  auto inv = Invocation::Compile(*rt, std::move(d));
  EXPECT_FALSE(inv);
  return inv ? std::string() : inv.error().message;
}

TEST(StepPlanCompileTest, EveryReferenceIsChecked) {
  EXPECT_EQ(
      CompileError([](auto& d) { std::get<spec::CallStep>(d.steps[0]).call.target = "up.nope"; }),
      "tool 'ship-with-crew' step 'get-ship': call 'up.nope' names no consumed operation");
  EXPECT_EQ(CompileError([](auto& d) { std::get<spec::LookupStep>(d.steps[3]).index = "later"; }),
            "tool 'ship-with-crew' step 'resolve-crew': index 'later' names no earlier step");
  EXPECT_EQ(CompileError([](auto& d) { std::swap(d.steps[1], d.steps[3]); }),
            "tool 'ship-with-crew' step 'resolve-crew': index 'list-crew' names no earlier step");
  EXPECT_EQ(CompileError([](auto& d) {
              std::get<spec::LookupStep>(d.steps[3]).lookup_value = "$.nope.assignedCrew";
            }),
            "tool 'ship-with-crew' step 'resolve-crew': lookupValue '$.nope.assignedCrew' reads "
            "step 'nope', which does not come earlier");
  EXPECT_EQ(
      CompileError([](auto& d) { d.mappings[0].value = "$.ghost.x"; }),
      "tool 'ship-with-crew': mapping 'imo' reads step 'ghost', which the plan does not have");
  EXPECT_EQ(CompileError([](auto& d) { d.mappings[0].value = "imo_number"; }),
            "tool 'ship-with-crew': mapping 'imo': value 'imo_number' must read a step output "
            "($.step.field)");
  EXPECT_EQ(CompileError([](auto& d) { std::get<spec::CallStep>(d.steps[1]).name = "get-ship"; }),
            "tool 'ship-with-crew' step 'get-ship': a step of that name comes earlier");
  EXPECT_EQ(CompileError([](auto& d) { d.ref = "crew-agg.nope"; }),
            "tool 'ship-with-crew': ref 'crew-agg.nope' names no aggregate function");
}

TEST(StepPlanCompileTest, ScriptStepsInALanguageNotBuiltAreRefusedByName) {
  std::string error = CompileError([](auto& d) {
    spec::ScriptStep script;
    script.name = "calc";
    script.language = spec::ScriptLanguage::kPython;
    script.file = "x.py";
    d.steps.push_back(script);
  });
  EXPECT_EQ(error,
            "tool 'ship-with-crew' step 'calc': script language 'python' is not supported by this "
            "build; javascript is");
}

TEST(StepPlanCompileTest, AScriptFileThatIsMissingIsALoadError) {
  std::string error = CompileError([](auto& d) {
    spec::ScriptStep script;
    script.name = "calc";
    script.location = "file:///nonexistent-capstan-dir";
    script.file = "calc.js";
    d.steps.push_back(script);
  });
  EXPECT_EQ(error,
            "tool 'ship-with-crew' step 'calc': script location 'file:///nonexistent-capstan-dir' "
            "(/nonexistent-capstan-dir): No such file or directory");
  std::string missing_file = CompileError([](auto& d) {
    spec::ScriptStep script;
    script.name = "calc";
    script.location = "file://" + std::filesystem::temp_directory_path().string();
    script.file = "capstan-no-such-script.js";
    d.steps.push_back(script);
  });
  EXPECT_EQ(missing_file.rfind("tool 'ship-with-crew' step 'calc': ", 0), 0u) << missing_file;
  EXPECT_NE(missing_file.find("capstan-no-such-script.js"), std::string::npos) << missing_file;
}

TEST(StepPlanCompileTest, ARefTakesTheFunctionsInputsAndPlan) {
  auto rt = MakeRuntime(1);
  auto inv = Invocation::Compile(*rt, ToolDefinition(rt->capability(), 1));
  ASSERT_TRUE(inv) << inv.error().message;
  ASSERT_NE((*inv)->function(), nullptr);
  EXPECT_EQ((*inv)->function()->name, "ship-crew");
  ASSERT_NE((*inv)->plan(), nullptr);
  ASSERT_EQ((*inv)->inputs().size(), 1u);
  EXPECT_EQ((*inv)->inputs()[0].name, "imo");
  EXPECT_TRUE((*inv)->inputs()[0].required);
  EXPECT_EQ((*inv)->Describe(), "steps up.get-ship, up.list-crew");
}

// ---- running plans against a real upstream ---------------------------------------------------

class StepPlanRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    http::ServerOptions options;
    options.threads = 1;
    server_ = std::make_unique<http::Server>(
        options, [this](http::Request& req) -> asio::awaitable<http::Response> {
          {
            std::lock_guard lock(mu_);
            seen_.push_back(req.method + " " + req.target);
          }
          if (req.path == "/ships/IMO-1") {
            co_return http::MakeResponse(
                200, R"({"imo_number":"IMO-1","flag_code":"NO","home_port":"OSL",)"
                     R"("gross_tonnage":42000.5,"year_built":"2015","assignedCrew":["C2","C1"]})");
          }
          if (req.path == "/crew" || req.path == "/ports/OSL" || req.path == "/ports/SLOW") {
            // Held a little, counting how many are held at once: independent steps overlap.
            int now = ++in_flight_;
            int seen = max_in_flight_.load();
            while (now > seen && !max_in_flight_.compare_exchange_weak(seen, now)) {
            }
            asio::steady_timer hold(co_await asio::this_coro::executor, 100ms);
            co_await hold.async_wait(asio::use_awaitable);
            --in_flight_;
            if (req.path == "/ports/SLOW") co_return http::MakeResponse(503, R"({"late":true})");
            co_return http::MakeResponse(200, req.path == "/crew" ? kCrew : R"({"name":"Oslo"})");
          }
          if (req.path == "/ports/ERR") co_return http::MakeResponse(503, R"({"down":true})");
          co_return http::MakeResponse(404, R"({"error":"not_found"})");
        });
    ASSERT_TRUE(server_->Start());
    rt_ = MakeRuntime(server_->port());
  }
  void TearDown() override { server_->Stop(0s); }

  core::Result<InvocationResult> Run(Invocation::Definition d, std::string_view inputs) {
    auto inv = Invocation::Compile(*rt_, std::move(d));
    EXPECT_TRUE(inv) << (inv ? "" : inv.error().message);
    if (!inv) return core::Fail(core::ErrorCode::kInternal, "no plan");
    return testing::ExecuteSync(*rt_, **inv, testing::JsonArgs(inputs));
  }

  std::unique_ptr<http::Server> server_;
  std::shared_ptr<Runtime> rt_;
  std::mutex mu_;
  std::vector<std::string> seen_;
  std::atomic<int> in_flight_{0};
  std::atomic<int> max_in_flight_{0};
};

TEST_F(StepPlanRunTest, CallsLookupAndMappingsBuildTheTypedResult) {
  auto r = Run(ToolDefinition(rt_->capability(), 0), R"({"imo":"IMO-1"})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->is_json);
  EXPECT_EQ(r->content_type, "application/json");
  EXPECT_EQ(r->body,
            R"({"imo":"IMO-1","specs":{"tonnage":42000.5,"year":"2015"},"port":"Oslo",)"
            R"("crew":[{"fullName":"Bo","role":"cook"},{"fullName":"Ann","role":"captain"}]})");
  // get-ship first: `{{get-ship.flag_code}}` and `$.get-ship.home_port` read it. list-crew and
  // home read only get-ship, so they ran at once (in either order).
  ASSERT_EQ(seen_.size(), 3u);
  EXPECT_EQ(seen_[0], "GET /ships/IMO-1");
  std::vector<std::string> wave(seen_.begin() + 1, seen_.end());
  std::sort(wave.begin(), wave.end());
  EXPECT_EQ(wave, (std::vector<std::string>{"GET /crew?flag=NO", "GET /ports/OSL"}));
  EXPECT_EQ(max_in_flight_.load(), 2);
}

TEST_F(StepPlanRunTest, AStepThatReadsAnotherWaitsForIt) {
  Invocation::Definition d = ToolDefinition(rt_->capability(), 0);
  // home now reads list-crew: three waves, one request at a time.
  std::get<spec::CallStep>(d.steps[2]).with[0].value = "{{list-crew.0.crewId}}";
  auto r = Run(std::move(d), R"({"imo":"IMO-1"})");
  ASSERT_TRUE(r);  // /ports/C1 is a 404: the plan stops there
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->failed_step, "home (GET up.get-port)");
  EXPECT_EQ(max_in_flight_.load(), 1);
  ASSERT_EQ(seen_.size(), 3u);
  EXPECT_EQ(seen_[1], "GET /crew?flag=NO");
  EXPECT_EQ(seen_[2], "GET /ports/C1");
}

TEST_F(StepPlanRunTest, InAWaveTheFirstDeclaredFailureWinsWhateverTheTiming) {
  // list-crew and home run at once. list-crew now fails late (held 100 ms, then 503) and home
  // at once (404): the outcome is list-crew's, the step declared first, not the first to fail.
  Invocation::Definition d = ToolDefinition(rt_->capability(), 0);
  auto& list = std::get<spec::CallStep>(d.steps[1]);
  list.call.target = "up.get-port";
  list.with[0].key = "code";
  list.with[0].value = "SLOW";
  std::get<spec::CallStep>(d.steps[2]).with[0].value = "NOWHERE";
  auto r = Run(std::move(d), R"({"imo":"IMO-1"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->failed_step, "list-crew (GET up.get-port)");
  EXPECT_EQ(max_in_flight_.load(), 1);  // only list-crew was held; home was answered at once
  EXPECT_EQ(seen_.size(), 3u);
}

TEST_F(StepPlanRunTest, AFailingStepStopsThePlanAndIsNamed) {
  auto r = Run(ToolDefinition(rt_->capability(), 0), R"({"imo":"IMO-404"})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->failed_step, "get-ship (GET up.get-ship)");
  EXPECT_EQ(r->body,
            R"({"type":"step_failed","message":"step 'get-ship' (up.get-ship) answered 404",)"
            R"("step":"get-ship","upstream_status":404,"upstream_body":{"error":"not_found"}})");
  EXPECT_EQ(seen_.size(), 1u);  // nothing after the failed step
}

TEST_F(StepPlanRunTest, ALaterFailingStepIsNamedToo) {
  Invocation::Definition d = ToolDefinition(rt_->capability(), 0);
  std::get<spec::CallStep>(d.steps[2]).with[0].value = "ERR";
  auto r = Run(std::move(d), R"({"imo":"IMO-1"})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->failed_step, "home (GET up.get-port)");
  EXPECT_EQ(seen_.size(), 3u);
}

TEST_F(StepPlanRunTest, AnUnreachableUpstreamNamesTheStep) {
  rt_ = MakeRuntime(1);  // nothing listens on port 1
  auto r = Run(ToolDefinition(rt_->capability(), 0), R"({"imo":"IMO-1"})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::ErrorCode::kUpstreamUnavailable);
  EXPECT_EQ(r.error().message.rfind("step 'get-ship' (GET up.get-ship): ", 0), 0u)
      << r.error().message;
}

TEST_F(StepPlanRunTest, ARefRunsTheAggregateFunction) {
  auto r = Run(ToolDefinition(rt_->capability(), 1), R"({"imo":"IMO-1"})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->body, R"({"crew":[{"fullName":"Bo"},{"fullName":"Ann"}]})");
}

TEST_F(StepPlanRunTest, WithoutMappingsTheLastStepIsTheResult) {
  Invocation::Definition d = ToolDefinition(rt_->capability(), 0);
  d.mappings.clear();
  d.outputs.clear();
  auto r = Run(std::move(d), R"({"imo":"IMO-1"})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->body, R"([{"fullName":"Bo","role":"cook"},{"fullName":"Ann","role":"captain"}])");
}

// ---- script steps ---------------------------------------------------------------------------

class ScriptStepRunTest : public StepPlanRunTest {
 protected:
  void SetUp() override {
    StepPlanRunTest::SetUp();
    dir_ = std::filesystem::temp_directory_path() /
           ("capstan-steps-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::filesystem::remove_all(dir_);
    StepPlanRunTest::TearDown();
  }
  // Tool 0 with `calc` (running `source`) after get-ship, and mappings that read it.
  Invocation::Definition WithScript(const std::string& source) {
    std::ofstream(dir_ / "calc.js") << source;
    Invocation::Definition d = ToolDefinition(rt_->capability(), 0);
    d.steps.resize(1);  // get-ship
    spec::ScriptStep script;
    script.name = "calc";
    script.location = "file://" + dir_.string();
    script.file = "calc.js";
    script.with.push_back({{}, "factor", json::value(2)});
    script.with.push_back({{}, "flag", json::value("$.get-ship.flag_code")});
    d.steps.push_back(script);
    d.mappings.clear();
    d.mappings.push_back({{}, "imo", "$.get-ship.imo_number"});
    d.mappings.push_back({{}, "doubled", "$.calc.doubled"});
    d.mappings.push_back({{}, "summary.flag", "$.calc.flag"});
    d.mappings.push_back({{}, "summary.asked", "$.calc.asked"});
    d.outputs.clear();
    return d;
  }
  std::filesystem::path dir_;
};

TEST_F(ScriptStepRunTest, AScriptReadsInputsEarlierOutputsAndWithAndFeedsTheMappings) {
  auto r = Run(WithScript("var ship = context['get-ship'];\n"
                          "result = { doubled: ship.gross_tonnage * context.factor,\n"
                          "           flag: context.flag, asked: context.imo };\n"),
               R"({"imo":"IMO-1"})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"imo":"IMO-1","doubled":84001,"summary":{"flag":"NO","asked":"IMO-1"}})");
  EXPECT_EQ(seen_.size(), 1u);  // the script made no request of its own
}

TEST_F(ScriptStepRunTest, AThrowingScriptStopsThePlanNamingTheStep) {
  auto r = Run(WithScript("throw new Error('no tonnage');"), R"({"imo":"IMO-1"})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::ErrorCode::kUpstreamError);
  EXPECT_EQ(r.error().message.rfind("step 'calc' (script ", 0), 0u) << r.error().message;
  EXPECT_NE(r.error().message.find("no tonnage"), std::string::npos) << r.error().message;
}

TEST_F(ScriptStepRunTest, AnEndlessScriptHitsTheStatementLimitAsATimeout) {
  auto r = Run(WithScript("for (;;) {}"), R"({"imo":"IMO-1"})");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::ErrorCode::kUpstreamTimeout);
  EXPECT_EQ(r.error().message.rfind("step 'calc' (script ", 0), 0u) << r.error().message;
}

TEST_F(ScriptStepRunTest, AScriptThatSetsNoResultLeavesTheStepWithoutOutput) {
  auto r = Run(WithScript("var unused = context.factor;"), R"({"imo":"IMO-1"})");
  ASSERT_TRUE(r) << r.error().message;
  // Mappings that read an absent output are left out, as for a missing upstream field.
  EXPECT_EQ(r->body, R"({"imo":"IMO-1"})");
}

TEST_F(ScriptStepRunTest, ScriptsRunOffTheLoopSoOthersKeepGoing) {
  // Two plans on one loop thread: each script spins a while; if scripts ran on the loop the
  // second could not start before the first ended. Both finishing proves nothing about order, so
  // the check is that the loop thread stayed free: a timer armed on it fires while they run.
  Invocation::Definition d = WithScript(
      "var n = 0; for (var i = 0; i < 200000; i++) { n += i; } result = { doubled: n };");
  auto inv = Invocation::Compile(*rt_, std::move(d));
  ASSERT_TRUE(inv) << inv.error().message;
  asio::io_context loop;
  consumes::UpstreamClient client(loop.get_executor(), rt_->tls());
  std::atomic<int> ticks{0};
  std::atomic<bool> done{false};
  asio::co_spawn(
      loop,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer t(co_await asio::this_coro::executor);
        while (!done) {
          t.expires_after(1ms);
          co_await t.async_wait(asio::use_awaitable);
          ++ticks;
        }
      },
      asio::detached);
  auto future = asio::co_spawn(
      loop,
      [&]() -> asio::awaitable<core::Result<InvocationResult>> {
        CallContext context;
        context.client = &client;
        auto out = co_await (*inv)->Execute(testing::JsonArgs(R"({"imo":"IMO-1"})"), context);
        done = true;
        co_return out;
      },
      asio::use_future);
  loop.run();
  auto r = future.get();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->body, R"({"imo":"IMO-1","doubled":19999900000})");
  EXPECT_GT(ticks.load(), 0);
}

}  // namespace
}  // namespace capstan::runtime
