// Naftiko `script` steps: a JavaScript file (and the helper files it depends on) loaded once and
// run many times in a fresh, sandboxed interpreter (Duktape) with a wall-clock timeout, an
// instruction budget and a memory cap; the step's inputs go in and its output comes out as JSON.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json.hpp"
#include "core/result.hpp"

namespace capstan::script {

// The limits of one run. A non-positive timeout or statement limit means the default, as in the
// reference engine (`management.scripting.timeout` / `statementLimit` of the control adapter).
struct Limits {
  std::int64_t timeout_ms = 60000;        // wall clock, from the start of Run to its return
  std::int64_t statement_limit = 100000;  // enforced as statement_limit × 32 bytecode instructions
  std::size_t max_memory_bytes = 64 << 20;  // the interpreter's heap, the input included
  std::size_t max_output_bytes = 16 << 20;  // the result, measured as compact JSON
};

// Bytecode instructions allowed per unit of `statement_limit` (docs/scripting.md explains why a
// statement is counted as 32 Duktape instructions).
inline constexpr std::int64_t kInstructionsPerStatement = 32;

class Script {
 public:
  // Reads and syntax-checks a script step's files. `location` is the step's `file:///` directory
  // (`file:///./x` and plain relative paths are relative to `base_dir`; empty means `base_dir`);
  // `file` and `dependencies` are relative to it, and a path that escapes it (`..`, a symlink) is
  // an error. Only "javascript" (or "js") is built: python and groovy are refused.
  [[nodiscard]] static core::Result<std::shared_ptr<const Script>> Load(
      std::string_view language, std::string_view location, std::string_view file,
      const std::vector<std::string>& dependencies, std::string base_dir, Limits limits = {});

  // Runs the dependencies, then the file, in a fresh interpreter whose global `context` is
  // `input` (the reference engine's bindings: the caller's parameters, earlier step outputs and
  // the step's resolved `with` values), and returns the global `result` the script assigned, as
  // JSON (null when it assigned none). Errors: kInvalidArgument for a script error (thrown,
  // syntax, a result that is not JSON), kUpstreamTimeout for the timeout and the statement limit,
  // kPayloadTooLarge for the memory and output limits. Blocking; const and thread-safe.
  [[nodiscard]] core::Result<core::json::value> Run(const core::json::object& input) const;

  // Like Run, but nullopt when the script assigned no `result` at all (the reference engine then
  // stores no output for the step), which Run reports as null.
  [[nodiscard]] core::Result<std::optional<core::json::value>> RunStep(
      const core::json::object& input) const;

  const Limits& limits() const { return limits_; }
  // The main file as given, and its dependencies, resolved to absolute paths.
  const std::string& file_path() const { return file_path_; }
  const std::vector<std::string>& dependency_paths() const { return dependency_paths_; }

  struct Source {
    std::string name;  // the path relative to the location, as written in the step
    std::string text;  // UTF-8
  };

  // Public for std::make_shared; use Load.
  Script(std::vector<Source> sources, Limits limits, std::string file_path,
         std::vector<std::string> dependency_paths);

 private:
  std::vector<Source> sources_;  // dependencies in order, then the file
  Limits limits_;
  std::string file_path_;
  std::vector<std::string> dependency_paths_;
};

}  // namespace capstan::script
