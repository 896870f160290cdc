#include "script/script.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <unistd.h>

#include "core/json.hpp"

namespace capstan::script {
namespace {

namespace fs = std::filesystem;
namespace json = core::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

json::object Object(std::string_view text) {
  auto parsed = core::ParseJson(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed && parsed->is_object() ? parsed->get_object() : json::object();
}

json::value Json(std::string_view text) {
  auto parsed = core::ParseJson(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed ? *parsed : json::value();
}

class ScriptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("capstan-script-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "scripts" / "lib");
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes `text` to scripts/<name>.
  void Write(const std::string& name, const std::string& text) {
    fs::path path = dir_ / "scripts" / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
  }

  std::string Location() const { return "file://" + (dir_ / "scripts").string(); }

  core::Result<std::shared_ptr<const Script>> Load(const std::string& file,
                                                   std::vector<std::string> deps = {},
                                                   Limits limits = {}) {
    return Script::Load("javascript", Location(), file, deps, dir_.string(), limits);
  }

  // Loads `source` as main.js and runs it with `input`.
  core::Result<json::value> Eval(const std::string& source, std::string_view input = "{}",
                                 Limits limits = {}) {
    Write("main.js", source);
    auto script = Load("main.js", {}, limits);
    if (!script) return core::Fail(script.error());
    return (*script)->Run(Object(input));
  }

  fs::path dir_;
};

// ---- inputs in, JSON out ----

TEST_F(ScriptTest, ReturnsTheResultVariableAsJson) {
  auto out = Eval(
      "result = { greeting: 'hello', count: 42, flag: true, none: null,\n"
      "           list: [1, 'two', [3], {four: 4}], nested: { deep: { x: -1.5 } } };");
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, Json(R"({"greeting":"hello","count":42,"flag":true,"none":null,
      "list":[1,"two",[3],{"four":4}],"nested":{"deep":{"x":-1.5}}})"));
  EXPECT_TRUE(out->at("count").is_int64());
}

TEST_F(ScriptTest, ResultMayBeAnyJsonValue) {
  EXPECT_EQ(*Eval("result = [3, 2, 1].sort();"), Json("[1,2,3]"));
  EXPECT_EQ(*Eval("result = 'text';"), Json(R"("text")"));
  EXPECT_EQ(*Eval("var result = 7;"), Json("7"));
  EXPECT_EQ(*Eval("result = false;"), Json("false"));
  EXPECT_EQ(*Eval("result = null;"), Json("null"));
}

TEST_F(ScriptTest, NumbersComeOutExactly) {
  auto out = Eval(
      "result = [0.1, 1/3, 1e300, -0, 9007199254740992, 1e18, 2.5e-308, 123456789.125,\n"
      "          NaN, Infinity, -Infinity, 0.1 + 0.2, -42];");
  ASSERT_TRUE(out) << out.error().message;
  const json::array& a = out->get_array();
  EXPECT_EQ(a[0].get_double(), 0.1);
  EXPECT_EQ(a[1].get_double(), 1.0 / 3);
  EXPECT_EQ(a[2].get_double(), 1e300);
  EXPECT_EQ(a[3], json::value(0));  // -0 is written as 0, as JSON.stringify does
  EXPECT_EQ(a[4].get_int64(), 9007199254740992);
  EXPECT_EQ(a[5].get_int64(), 1000000000000000000);
  EXPECT_EQ(a[6].get_double(), 2.5e-308);
  EXPECT_EQ(a[7].get_double(), 123456789.125);
  EXPECT_TRUE(a[8].is_null());  // NaN and the infinities are null, as JSON.stringify writes them
  EXPECT_TRUE(a[9].is_null());
  EXPECT_TRUE(a[10].is_null());
  EXPECT_EQ(a[11].get_double(), 0.1 + 0.2);
  EXPECT_EQ(a[12].get_int64(), -42);
  EXPECT_EQ(core::SerializeJson(a[0]), "0.1");
}

TEST_F(ScriptTest, InputNumbersArrivePreciseUpToTwoToThe53) {
  auto out = Eval("result = [context.a, context.b, context.c, context.d, typeof context.a];",
                  R"({"a": 9007199254740993, "b": 0.30000000000000004, "c": -7, "d": 1e-7})");
  ASSERT_TRUE(out) << out.error().message;
  // JavaScript numbers are doubles: 2^53 + 1 becomes 2^53 (the reference engine alike).
  EXPECT_EQ(*out, Json(R"([9007199254740992, 0.30000000000000004, -7, 1e-7, "number"])"));
}

TEST_F(ScriptTest, ContextHoldsTheInputAsTheReferenceEngineBindsIt) {
  // The reference engine's bindings: caller parameters, earlier step outputs by step name, and
  // the step's `with` values (Mustache-resolved, so numbers arrive as strings).
  Write("filter.js",
        "var items = context['fetch-items'];\n"
        "var low = [];\n"
        "for (var i = 0; i < items.length; i++) {\n"
        "  if (items[i].stock < context.threshold) low.push(items[i].name);\n"
        "}\n"
        "result = { low: low, org: context.org };\n");
  auto script = Load("filter.js");
  ASSERT_TRUE(script) << script.error().message;
  auto out = (*script)->Run(Object(R"({"org": "acme", "threshold": "10", "fetch-items": [
      {"name": "widget", "stock": 5}, {"name": "gadget", "stock": 15}, {"name": "gizmo", "stock": 3}]})"));
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, Json(R"({"low": ["widget", "gizmo"], "org": "acme"})"));
}

TEST_F(ScriptTest, InputObjectsKeepEveryKeyAsAnOwnProperty) {
  auto out = Eval(
      "result = [Object.keys(context.o), context.o.__proto__, Object.getPrototypeOf(context.o) === "
      "Object.prototype];",
      R"({"o": {"__proto__": {"x": 1}, "constructor": 2, "": 3}})");
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, Json(R"([["__proto__", "constructor", ""], {"x": 1}, true])"));
}

TEST_F(ScriptTest, UnicodeStringsRoundTrip) {
  auto out = Eval(
      "var s = context.s;\n"
      "result = { same: s, len: s.length, up: 'ÉTÉ'.toLowerCase(), emoji: '😀', emojiLen: "
      "'😀'.length,\n"
      "  fromInput: context.e.length, codes: [context.e.charCodeAt(0), context.e.charCodeAt(1)],\n"
      "  joined: context.e + '\\u00e9', escaped: '\\ud83d\\ude00', keys: Object.keys(context.k) "
      "};\n"
      "result['clé ✓'] = 'ключ';\n",
      R"({"s": "naïve 日本語", "e": "😀", "k": {"ключ": 1}})");
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out,
            Json(R"({"same": "naïve 日本語", "len": 9, "up": "été", "emoji": "😀", "emojiLen": 2,
      "fromInput": 2, "codes": [55357, 56832], "joined": "😀é", "escaped": "😀", "keys": ["ключ"],
      "clé ✓": "ключ"})"));
}

TEST_F(ScriptTest, LoneSurrogatesComeOutAsReplacementCharacters) {
  auto out =
      Eval("result = ['\\ud800', 'a\\udc00b', '\\ude00\\ud83d', String.fromCharCode(0x1F600)];");
  ASSERT_TRUE(out) << out.error().message;
  // Duktape's non-standard 32-bit fromCharCode makes one code point, written as UTF-8.
  EXPECT_EQ(*out, Json(R"(["\ufffd", "a\ufffdb", "\ufffd\ufffd", "😀"])"));
}

TEST_F(ScriptTest, UndefinedValuesAreNullAsInTheReferenceEngine) {
  auto out = Eval("var x = {}; result = { missing: x.nope, list: [1, undefined, , 4] };");
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, Json(R"({"missing": null, "list": [1, null, null, 4]})"));
}

TEST_F(ScriptTest, NoResultIsNullForRunAndNulloptForRunStep) {
  Write("none.js", "var data = context.x; var processed = data;");
  auto script = Load("none.js");
  ASSERT_TRUE(script) << script.error().message;
  auto run = (*script)->Run(Object(R"({"x": 1})"));
  ASSERT_TRUE(run) << run.error().message;
  EXPECT_TRUE(run->is_null());
  auto step = (*script)->RunStep(Object(R"({"x": 1})"));
  ASSERT_TRUE(step) << step.error().message;
  EXPECT_FALSE(step->has_value());

  Write("declared.js", "var result;");
  auto declared = Load("declared.js");
  ASSERT_TRUE(declared);
  auto assigned = (*declared)->RunStep({});
  ASSERT_TRUE(assigned && assigned->has_value());
  EXPECT_TRUE((*assigned)->is_null());
}

TEST_F(ScriptTest, EachRunStartsFromAFreshInterpreter) {
  Write("count.js",
        "if (typeof counter === 'undefined') counter = 0; counter++; result = counter;");
  auto script = Load("count.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(*(*script)->Run({}), json::value(1));
  EXPECT_EQ(*(*script)->Run({}), json::value(1));
}

// ---- dependencies and locations ----

TEST_F(ScriptTest, DependenciesRunFirstInOrderInTheSameGlobalScope) {
  Write("lib/array-utils.js",
        "function whereField(items, field, value) {\n"
        "  var out = [];\n"
        "  for (var i = 0; i < items.length; i++) if (items[i][field] === value) "
        "out.push(items[i]);\n"
        "  return out;\n"
        "}\n"
        "var order = ['array-utils'];\n");
  Write("lib/pick.js",
        "function pick(items, fields) {\n"
        "  return items.map(function (item) {\n"
        "    var o = {};\n"
        "    fields.forEach(function (f) { o[f] = item[f]; });\n"
        "    return o;\n"
        "  });\n"
        "}\n"
        "order.push('pick');\n"
        "var sawContext = typeof context === 'object';\n");
  Write("members.js",
        "var users = whereField(context['list-members'], 'type', 'User');\n"
        "result = { members: pick(users, ['login', 'id']), order: order, sawContext: sawContext "
        "};\n");
  auto script = Load("members.js", {"lib/array-utils.js", "lib/pick.js"});
  ASSERT_TRUE(script) << script.error().message;
  EXPECT_EQ((*script)->dependency_paths().size(), 2u);
  auto out = (*script)->Run(Object(R"({"list-members": [
      {"login": "alice", "id": 1, "type": "User"}, {"login": "bot", "id": 2, "type": "Bot"},
      {"login": "bob", "id": 3, "type": "User"}]})"));
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, Json(R"({"members": [{"login": "alice", "id": 1}, {"login": "bob", "id": 3}],
      "order": ["array-utils", "pick"], "sawContext": true})"));
}

TEST_F(ScriptTest, LocationFormsResolve) {
  Write("t.js", "result = 1;");
  fs::path abs = dir_ / "scripts";
  EXPECT_TRUE(Script::Load("javascript", "file://" + abs.string(), "t.js", {}, "/nonexistent"));
  EXPECT_TRUE(Script::Load("javascript", "file:///./scripts", "t.js", {}, dir_.string()));
  EXPECT_TRUE(Script::Load("javascript", "scripts", "t.js", {}, dir_.string()));
  EXPECT_TRUE(Script::Load("javascript", "", "scripts/t.js", {}, dir_.string()));
  EXPECT_TRUE(Script::Load("js", "", "t.js", {}, abs.string()));
  fs::create_directories(dir_ / "with space");
  std::ofstream(dir_ / "with space" / "t.js") << "result = 2;";
  auto spaced =
      Script::Load("javascript", "file://" + dir_.string() + "/with%20space", "t.js", {}, "");
  ASSERT_TRUE(spaced) << spaced.error().message;
  EXPECT_EQ(*(*spaced)->Run({}), json::value(2));

  auto http = Script::Load("javascript", "https://example.com/scripts", "t.js", {}, dir_.string());
  ASSERT_FALSE(http);
  EXPECT_THAT(http.error().message, HasSubstr("not a file:/// URI"));
  auto missing = Script::Load("javascript", "file:///nonexistent/dir", "t.js", {}, "");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, core::ErrorCode::kNotFound);
  auto no_file = Load("nope.js");
  ASSERT_FALSE(no_file);
  EXPECT_EQ(no_file.error().code, core::ErrorCode::kNotFound);
  auto no_dep = Load("t.js", {"lib/nope.js"});
  ASSERT_FALSE(no_dep);
  EXPECT_EQ(no_dep.error().code, core::ErrorCode::kNotFound);
  auto empty = Load("");
  ASSERT_FALSE(empty);
  EXPECT_THAT(empty.error().message, HasSubstr("no 'file'"));
}

TEST_F(ScriptTest, PathsThatEscapeTheLocationAreRefused) {
  Write("main.js", "result = 1;");
  std::ofstream(dir_ / "outside.js") << "result = 'outside';";
  for (const char* path :
       {"../outside.js", "lib/../../outside.js", "/etc/passwd", "../../../etc/passwd"}) {
    auto s = Load(path);
    ASSERT_FALSE(s) << path;
    EXPECT_EQ(s.error().code, core::ErrorCode::kInvalidArgument) << path;
    EXPECT_THAT(s.error().message, HasSubstr("escapes its location")) << path;
  }
  auto dep = Load("main.js", {"../outside.js"});
  ASSERT_FALSE(dep);
  EXPECT_THAT(dep.error().message, HasSubstr("escapes its location"));
  // A symlink inside the location that points outside it.
  fs::create_symlink(dir_ / "outside.js", dir_ / "scripts" / "link.js");
  auto link = Load("link.js");
  ASSERT_FALSE(link);
  EXPECT_THAT(link.error().message, HasSubstr("escapes its location"));
  // Unusual characters in a segment are refused, as in the reference engine.
  auto odd = Load("ma in.js");
  ASSERT_FALSE(odd);
  EXPECT_THAT(odd.error().message, HasSubstr("unsafe path segment"));
  // `..` that stays inside is fine.
  for (const char* path : {"lib/../main.js", "lib/../../scripts/main.js", "./main.js"}) {
    auto inside = Load(path);
    ASSERT_TRUE(inside) << path << ": " << inside.error().message;
  }
  // So is a directory, not a file: refused.
  auto directory = Load("lib");
  ASSERT_FALSE(directory);
}

TEST_F(ScriptTest, PythonAndGroovyAreRefused) {
  for (const char* language : {"python", "groovy"}) {
    auto s = Script::Load(language, Location(), "x.py", {}, dir_.string());
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, core::ErrorCode::kInvalidArgument);
    EXPECT_EQ(s.error().message, std::string("script language '") + language +
                                     "' is not supported by this build; javascript is");
  }
  auto ruby = Script::Load("ruby", Location(), "x.rb", {}, dir_.string());
  ASSERT_FALSE(ruby);
  EXPECT_THAT(ruby.error().message, HasSubstr("unknown script language 'ruby'"));
  auto none = Script::Load("", Location(), "x.js", {}, dir_.string());
  ASSERT_FALSE(none);
  EXPECT_THAT(none.error().message, HasSubstr("no 'language'"));
}

TEST_F(ScriptTest, NonPositiveLimitsMeanTheDefaults) {
  Write("t.js", "result = 1;");
  auto s = Load("t.js", {}, {.timeout_ms = 0, .statement_limit = -1, .max_memory_bytes = 0});
  ASSERT_TRUE(s);
  EXPECT_EQ((*s)->limits().timeout_ms, 60000);
  EXPECT_EQ((*s)->limits().statement_limit, 100000);
  EXPECT_EQ((*s)->limits().max_memory_bytes, std::size_t{64} << 20);
}

// ---- errors ----

TEST_F(ScriptTest, SyntaxErrorsFailLoadWithFileAndLine) {
  Write("bad.js", "var a = 1;\nvar b = 2;\nvar c = ;\n");
  auto s = Load("bad.js");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_THAT(s.error().message, StartsWith("bad.js:3: SyntaxError"));

  Write("lib/broken.js", "function f() {\n  return 1;\n");
  Write("ok.js", "result = 1;");
  auto dep = Load("ok.js", {"lib/broken.js"});
  ASSERT_FALSE(dep);
  EXPECT_THAT(dep.error().message, StartsWith("lib/broken.js:"));
  EXPECT_THAT(dep.error().message, HasSubstr("SyntaxError"));

  // ES2015 syntax beyond Duktape 2.7 (arrow functions, let, template literals) is a syntax error.
  Write("arrow.js", "result = [1].map(x => x);");
  auto arrow = Load("arrow.js");
  ASSERT_FALSE(arrow);
  EXPECT_THAT(arrow.error().message, StartsWith("arrow.js:1: SyntaxError"));

  Write("latin1.js", "result = '\xe9';");
  auto latin1 = Load("latin1.js");
  ASSERT_FALSE(latin1);
  EXPECT_THAT(latin1.error().message, HasSubstr("not UTF-8"));
}

TEST_F(ScriptTest, RuntimeErrorsCarryMessageFileAndLine) {
  auto thrown = Eval("var a = 1;\nif (a) {\n  throw new Error('boom: ' + a);\n}\n");
  ASSERT_FALSE(thrown);
  EXPECT_EQ(thrown.error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(thrown.error().message, "main.js:3: Error: boom: 1");

  auto type = Eval("var x = context.missing;\nresult = x.field;\n");
  ASSERT_FALSE(type);
  EXPECT_THAT(type.error().message, StartsWith("main.js:2: TypeError: "));

  auto reference = Eval("result = nope + 1;");
  ASSERT_FALSE(reference);
  EXPECT_THAT(reference.error().message, StartsWith("main.js:1: ReferenceError: "));

  auto text = Eval("throw 'plain text';");
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().message, "uncaught exception: plain text");

  auto custom = Eval("throw { toString: function () { throw new Error('nested'); } };");
  ASSERT_FALSE(custom);
  EXPECT_EQ(custom.error().code, core::ErrorCode::kInvalidArgument);
}

TEST_F(ScriptTest, ErrorsInADependencyNameThatFile) {
  Write("lib/helpers.js",
        "function check(x) {\n  if (!x) throw new RangeError('empty');\n  return x;\n}\n");
  Write("use.js", "result = check(context.v);");
  auto s = Load("use.js", {"lib/helpers.js"});
  ASSERT_TRUE(s) << s.error().message;
  auto out = (*s)->Run(Object(R"({"v": 0})"));
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().message, "lib/helpers.js:2: RangeError: empty");
}

TEST_F(ScriptTest, ResultsThatAreNotJsonAreErrors) {
  auto function = Eval("result = { ok: 1, f: function () {} };");
  ASSERT_FALSE(function);
  EXPECT_EQ(function.error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(function.error().message, "script result is not JSON: $.f is a function");

  auto top = Eval("result = Math.max;");
  ASSERT_FALSE(top);
  EXPECT_EQ(top.error().message, "script result is not JSON: $ is a function");

  auto cycle = Eval("var a = { list: [] }; a.list.push({ back: a }); result = a;");
  ASSERT_FALSE(cycle);
  EXPECT_EQ(
      cycle.error().message,
      "script result is not JSON: $.list[0].back refers back to an enclosing value (a cycle)");

  auto symbol = Eval("result = { 'odd key': [Symbol('s')] };");
  ASSERT_FALSE(symbol);
  EXPECT_EQ(symbol.error().message, "script result is not JSON: $['odd key'][0] is a symbol");

  auto deep = Eval("var o = {}; for (var i = 0; i < 300; i++) o = { o: o }; result = o;");
  ASSERT_FALSE(deep);
  EXPECT_THAT(deep.error().message, HasSubstr("nests deeper than 256 levels"));

  // The same object twice (not a cycle) is fine.
  auto shared = Eval("var x = { v: 1 }; result = [x, x];");
  ASSERT_TRUE(shared) << shared.error().message;
  EXPECT_EQ(*shared, Json(R"([{"v": 1}, {"v": 1}])"));
}

TEST_F(ScriptTest, ObjectsOtherThanPlainDataContributeTheirOwnEnumerableProperties) {
  auto out = Eval(
      "function P() { this.a = 1; } P.prototype.b = 2;\n"
      "var hidden = {}; Object.defineProperty(hidden, 'h', { value: 1, enumerable: false });\n"
      "result = [new P(), hidden, new Date(0).toISOString(), /x/g.source,\n"
      "          { get computed() { return 6 * 7; } }];");
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, Json(R"([{"a": 1}, {}, "1970-01-01T00:00:00.000Z", "x", {"computed": 42}])"));
}

TEST_F(ScriptTest, OversizeResultsAreRefused) {
  Limits small{.max_output_bytes = 1000};
  auto big = Eval("result = new Array(2000).join('x');", "{}", small);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, core::ErrorCode::kPayloadTooLarge);
  EXPECT_EQ(big.error().message, "script result is larger than the output limit (1000 bytes)");
  EXPECT_TRUE(Eval("result = new Array(900).join('x');", "{}", small));

  // A sparse array four billion long is refused after ~1000 elements, not walked.
  auto sparse = Eval("var a = []; a[4294967294] = 1; result = a;", "{}", small);
  ASSERT_FALSE(sparse);
  EXPECT_EQ(sparse.error().code, core::ErrorCode::kPayloadTooLarge);
}

// ---- limits ----

TEST_F(ScriptTest, StatementLimitStopsAnEndlessLoop) {
  auto start = std::chrono::steady_clock::now();
  auto out = Eval("while (true) {\n  var x = 1;\n}\n", "{}", {.statement_limit = 1000});
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, core::ErrorCode::kUpstreamTimeout);
  EXPECT_THAT(
      out.error().message,
      StartsWith("script exceeded the statement limit (1000: 32000 bytecode instructions)"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(ScriptTest, StatementLimitCountsWorkNotTime) {
  // ~20 instructions per iteration: 10 000 iterations fit 100 000 statements, 100 000 do not.
  std::string loop =
      "var n = 0; for (var i = 0; i < context.n; i++) { if (i % 3 === 0) n++; } result = n;";
  EXPECT_EQ(*Eval(loop, R"({"n": 10000})"), json::value(3334));
  auto over = Eval(loop, R"({"n": 1000000})");
  ASSERT_FALSE(over);
  EXPECT_THAT(over.error().message, HasSubstr("statement limit (100000"));
}

TEST_F(ScriptTest, TimeoutStopsAnEndlessLoop) {
  Limits limits{.timeout_ms = 200, .statement_limit = std::int64_t{1} << 55};
  auto start = std::chrono::steady_clock::now();
  auto out = Eval("while (true) {}", "{}", limits);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, core::ErrorCode::kUpstreamTimeout);
  EXPECT_EQ(out.error().message, "script exceeded the timeout limit (200 ms)");
  EXPECT_GE(elapsed, std::chrono::milliseconds(190));
  EXPECT_LT(elapsed, std::chrono::seconds(3));
}

TEST_F(ScriptTest, ALimitCannotBeCaughtByTheScript) {
  Limits limits{.timeout_ms = 200, .statement_limit = std::int64_t{1} << 55};
  for (const char* source : {
           "for (;;) { try { while (true) {} } catch (e) {} }",
           "try { while (true) {} } finally { while (true) {} }",
           "function f() { try { return f(); } catch (e) { return f(); } } f();",
           "for (;;) { try { [1, 2, 3].forEach(function () { for (;;) {} }); } catch (e) {} }",
       }) {
    auto start = std::chrono::steady_clock::now();
    auto out = Eval(source, "{}", limits);
    ASSERT_FALSE(out) << source;
    EXPECT_EQ(out.error().code, core::ErrorCode::kUpstreamTimeout) << source;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3)) << source;
  }
  auto counted =
      Eval("for (;;) { try { for (;;) {} } catch (e) {} }", "{}", {.statement_limit = 100});
  ASSERT_FALSE(counted);
  EXPECT_THAT(counted.error().message, HasSubstr("statement limit"));
}

TEST_F(ScriptTest, NativeWorkIsStoppedByTheTimeout) {
  Limits limits{.timeout_ms = 300, .statement_limit = std::int64_t{1} << 55};
  for (const char* source : {
           // Catastrophic regexp backtracking: one native call, checked at every recursion.
           "result = /(a+)+b/.test('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');",
           // Tail calls do not grow the stack: an endless loop in disguise.
           "function f(n) { return f(n + 1); } f(0);",
           // A callback that never returns, inside a native sort.
           "[3, 1, 2].sort(function () { for (;;) {} });",
       }) {
    auto start = std::chrono::steady_clock::now();
    auto out = Eval(source, "{}", limits);
    ASSERT_FALSE(out) << source;
    EXPECT_EQ(out.error().code, core::ErrorCode::kUpstreamTimeout) << source;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3)) << source;
  }
}

TEST_F(ScriptTest, DeepRecursionIsARangeError) {
  for (const char* source : {
           "function f(n) { return 1 + f(n + 1); } result = f(0);",
           "function f() { return [1].map(f); } result = f();",
           "var o = { get x() { return this.x; } }; result = o.x;",
           "var o = { toString: function () { return String(this); } }; result = String(o);",
           "result = JSON.parse(new Array(1500).join('['));",
           "result = new RegExp(new Array(12000).join('('));",
           "eval(new Array(1200).join('(') + '1');",
       }) {
    auto out = Eval(source);
    ASSERT_FALSE(out) << source;
    EXPECT_EQ(out.error().code, core::ErrorCode::kInvalidArgument) << source;
    EXPECT_THAT(out.error().message, HasSubstr("RangeError"))
        << source << ": " << out.error().message;
  }
}

TEST_F(ScriptTest, CompilingAtTheStackFloorDoesNotOverflow) {
  // The compiler's recursion (990 levels) is the one that does not check the stack: run it from
  // the deepest native recursion the stack floor allows, in a catch block right at the floor.
  auto out = Eval(
      "var nested = new Array(991).join('(') + '1' + new Array(991).join(')');\n"
      "var deepest = 0;\n"
      "function f(n) {\n"
      "  try { return [n + 1].map(f)[0]; }\n"
      "  catch (e) { deepest = n; return eval(nested) + (JSON.parse(new Array(999).join('[') +\n"
      "      new Array(999).join(']')) ? 1 : 0) + new RegExp(new Array(2000).join('(?:') + 'a' +\n"
      "      new Array(2000).join(')')).test('a'); }\n"
      "}\n"
      "result = [f(0), deepest > 100];\n");
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, Json("[3, true]"));
}

TEST_F(ScriptTest, MemoryIsCapped) {
  Limits limits{.max_memory_bytes = 16 << 20};
  for (const char* source : {
           "var a = []; for (;;) a.push(new Array(1e6));",
           "var s = 'x'; for (;;) s += s;",
           "var a = []; for (;;) a.push({ i: a.length });",
           "var b = new ArrayBuffer(1e9);",
           "result = 'x'.repeat(1e9);",
       }) {
    auto out = Eval(source, "{}", limits);
    ASSERT_FALSE(out) << source;
    EXPECT_EQ(out.error().code, core::ErrorCode::kPayloadTooLarge)
        << source << ": " << out.error().message;
    EXPECT_EQ(out.error().message, "script exceeded the memory limit (16777216 bytes)") << source;
  }
  // A script that catches the failure and carries on is not stopped.
  auto caught = Eval("try { 'x'.repeat(1e9); } catch (e) { result = e.name; }", "{}", limits);
  ASSERT_TRUE(caught) << caught.error().message;
  EXPECT_EQ(*caught, json::value("Error"));
}

TEST_F(ScriptTest, AnInputLargerThanTheMemoryCapIsRefused) {
  Write("echo.js", "result = context;");
  auto s = Load("echo.js", {}, {.max_memory_bytes = 1 << 20});
  ASSERT_TRUE(s);
  json::object input;
  input["big"] = std::string(2 << 20, 'x');
  auto out = (*s)->Run(input);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, core::ErrorCode::kPayloadTooLarge);
}

TEST_F(ScriptTest, ATinyMemoryCapFailsCleanly) {
  Write("t.js", "result = 1;");
  auto s = Load("t.js", {}, {.max_memory_bytes = 4096});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, core::ErrorCode::kPayloadTooLarge);
}

// ---- sandbox ----

TEST_F(ScriptTest, TheScriptSeesOnlyEcmaScriptBuiltins) {
  auto out = Eval(
      "var names = ['require', 'module', 'exports', 'process', 'Duktape', 'java', 'Java',\n"
      "  'Packages', 'Polyglot', 'load', 'loadWithNewGlobal', 'readFile', 'readline', 'quit',\n"
      "  'exit', 'os', 'std', 'fs', 'XMLHttpRequest', 'fetch', 'WebSocket', 'importScripts',\n"
      "  'setTimeout', 'setInterval', 'Deno', 'Bun', 'global', 'alert'];\n"
      "result = names.filter(function (n) { return typeof this[n] !== 'undefined'; });\n");
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, Json("[]"));

  auto globals = Eval("result = Object.getOwnPropertyNames(this).sort();");
  ASSERT_TRUE(globals) << globals.error().message;
  EXPECT_EQ(*globals, Json(R"(["Array","ArrayBuffer","Boolean","Buffer","CBOR","DataView","Date",
      "Error","EvalError","Float32Array","Float64Array","Function","Infinity","Int16Array",
      "Int32Array","Int8Array","JSON","Math","NaN","Number","Object","Proxy","RangeError",
      "ReferenceError","Reflect","RegExp","String","Symbol","SyntaxError","TextDecoder",
      "TextEncoder","TypeError","URIError","Uint16Array","Uint32Array","Uint8Array",
      "Uint8ClampedArray","console","context","decodeURI","decodeURIComponent","encodeURI",
      "encodeURIComponent","escape","eval","globalThis","isFinite","isNaN","parseFloat",
      "parseInt","performance","print","undefined","unescape"])"));
}

TEST_F(ScriptTest, HostAccessAttemptsFail) {
  for (const char* source : {
           "var rt = java.lang.Runtime.getRuntime(); result = rt.totalMemory();",
           "result = require('fs').readFileSync('/etc/passwd', 'utf8');",
           "result = process.env.HOME;",
           "result = Duktape.env;",
           "result = new Function('return require')()('child_process');",
           "result = eval('load(\"/etc/passwd\")');",
       }) {
    auto out = Eval(source);
    ASSERT_FALSE(out) << source;
    EXPECT_EQ(out.error().code, core::ErrorCode::kInvalidArgument) << source;
    EXPECT_THAT(out.error().message, HasSubstr("Error")) << source;
  }
}

TEST_F(ScriptTest, ConsoleAndPrintDiscardTheirArguments) {
  auto out = Eval(
      "console.log('x', { toString: function () { throw new Error('never called'); } });\n"
      "console.error('e'); print('p'); result = 'done';");
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, json::value("done"));
}

TEST_F(ScriptTest, GettersOnTheResultRunUnderTheLimits) {
  auto out = Eval("result = { get x() { for (;;) {} } };", "{}",
                  {.timeout_ms = 200, .statement_limit = std::int64_t{1} << 55});
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, core::ErrorCode::kUpstreamTimeout);
  auto proxy = Eval("result = new Proxy({}, { ownKeys: function () { for (;;) {} } });", "{}",
                    {.statement_limit = 1000});
  ASSERT_FALSE(proxy);
  EXPECT_EQ(proxy.error().code, core::ErrorCode::kUpstreamTimeout);
}

// ---- threads and stacks ----

TEST_F(ScriptTest, RunsConcurrentlyFromManyThreads) {
  Write("double.js",
        "var out = [];\n"
        "for (var i = 0; i < context.items.length; i++) out.push(context.items[i] * 2);\n"
        "result = { id: context.id, out: out };\n");
  Write("spin.js", "while (true) {}");
  auto script = Load("double.js");
  auto spin = Load("spin.js", {}, {.timeout_ms = 300, .statement_limit = std::int64_t{1} << 55});
  ASSERT_TRUE(script && spin);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  threads.emplace_back([&] {
    for (int i = 0; i < 3; ++i) {
      auto out = (*spin)->Run({});
      if (out || out.error().code != core::ErrorCode::kUpstreamTimeout) ++failures;
    }
  });
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        json::object input;
        input["id"] = t * 1000 + i;
        input["items"] = json::array{t, i, 3};
        auto out = (*script)->Run(input);
        json::value expected =
            json::object{{"id", t * 1000 + i}, {"out", json::array{2 * t, 2 * i, 6}}};
        if (!out || *out != expected) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(ScriptTest, RunsSafelyOnASmallThreadStack) {
  Write("deep.js", "function f(n) { return 1 + f(n + 1); } result = f(0);");
  Write("map.js", "function f() { return [1].map(f); } result = f();");
  Write("ok.js", "result = [1, 2, 3].map(function (x) { return x * x; });");
  auto deep = Load("deep.js");
  auto map = Load("map.js");
  auto ok = Load("ok.js");
  ASSERT_TRUE(deep && map && ok);
  struct Results {
    const Script* deep;
    const Script* map;
    const Script* ok;
    core::Result<json::value> a = json::value(), b = json::value(), c = json::value();
  } results{deep->get(), map->get(), ok->get()};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 128 * 1024);
  pthread_t thread;
  ASSERT_EQ(pthread_create(
                &thread, &attr,
                [](void* p) -> void* {
                  auto& r = *static_cast<Results*>(p);
                  r.a = r.deep->Run({});
                  r.b = r.map->Run({});
                  r.c = r.ok->Run({});
                  return nullptr;
                },
                &results),
            0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
  ASSERT_FALSE(results.a);
  EXPECT_THAT(results.a.error().message, HasSubstr("RangeError"));
  ASSERT_FALSE(results.b);
  EXPECT_THAT(results.b.error().message, HasSubstr("RangeError"));
  ASSERT_TRUE(results.c) << results.c.error().message;
  EXPECT_EQ(*results.c, Json("[1,4,9]"));
}

}  // namespace
}  // namespace capstan::script
