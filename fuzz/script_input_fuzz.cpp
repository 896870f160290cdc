// libFuzzer target for the boundary of script steps: arbitrary JSON goes into the interpreter as
// `context` and whatever the script builds from it comes back as JSON. Input: byte 0 picks one of
// a few scripts that copy, walk, stringify or reshape the input; the rest is parsed as JSON (or
// used as a string when it is not JSON). Checks: no crash or leak, every success is JSON that
// serialises and parses back, every failure has a message, and limits hold (small ones here).
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include <unistd.h>

#include "core/json.hpp"
#include "json_result_check.hpp"
#include "script/script.hpp"

namespace {

namespace json = capstan::core::json;

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

constexpr std::array<std::string_view, 5> kScripts = {
    "result = context.input;",
    "result = JSON.parse(JSON.stringify(context));",
    // Walks every value, counting kinds: touches every key and string the input has.
    "var n = {}; function walk(v) { var t = Array.isArray(v) ? 'array' : typeof v;"
    " n[t] = (n[t] || 0) + 1; if (v && typeof v === 'object') for (var k in v) walk(v[k]); }"
    " walk(context.input); result = n;",
    // Re-keys objects and reverses strings: new strings made inside the interpreter.
    "function f(v) { if (typeof v === 'string') return v.split('').reverse().join('');"
    " if (Array.isArray(v)) return v.map(f); if (v && typeof v === 'object') { var o = {};"
    " for (var k in v) o['k' + k] = f(v[k]); return o; } return v; } result = f(context.input);",
    // A result JSON cannot hold, sometimes: functions, undefined, NaN.
    "var v = context.input; result = typeof v === 'number' ? v / 0 : (v === null ? undefined :"
    " {f: function () {}, v: v});",
};

const capstan::script::Script& ScriptFor(std::uint8_t selector) {
  static const auto scripts = [] {
    namespace fs = std::filesystem;
    const fs::path dir =
        fs::temp_directory_path() / ("capstan-script-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    capstan::script::Limits limits;
    limits.timeout_ms = 2000;
    limits.statement_limit = 20000;
    limits.max_memory_bytes = 8 << 20;
    limits.max_output_bytes = 1 << 20;
    std::array<std::shared_ptr<const capstan::script::Script>, kScripts.size()> all;
    for (std::size_t i = 0; i < kScripts.size(); ++i) {
      const std::string name = "s" + std::to_string(i) + ".js";
      std::ofstream(dir / name) << kScripts[i];
      auto loaded = capstan::script::Script::Load("javascript", "", name, {}, dir.string(), limits);
      Check(loaded.has_value());
      all[i] = std::move(*loaded);
    }
    fs::remove_all(dir);  // sources are read at load time
    return all;
  }();
  return *scripts[selector % kScripts.size()];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0 || size > 4096) return 0;
  const capstan::script::Script& script = ScriptFor(data[0]);
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  json::object context;
  if (auto parsed = capstan::core::ParseJson(text, {.max_depth = 64})) {
    context["input"] = std::move(*parsed);
  } else {
    context["input"] = json::string(text);  // bytes that are not UTF-8 included
  }
  auto out = script.Run(context);
  capstan::fuzzing::CheckJsonResult(out);
  return 0;
}
