// Loads and validates a capability file: YAML → dialect pass → JSON Schema → imports → model →
// semantic rules. The one entry point for `capstan validate` and for everything that runs a
// capability.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "spec/capability.hpp"
#include "spec/diagnostic.hpp"
#include "spec/yaml.hpp"

namespace capstan::spec {

struct LoadOptions {
  bool strict = false;          // generator-dialect constructs are errors, not warnings
  bool check_schema = true;     // run the alpha2 JSON Schema pass
  bool resolve_imports = true;  // read the files that `location` + `import` entries name
  YamlOptions yaml;             // size, depth and alias limits (also for imported files)
};

struct LoadedCapability {
  // The model; null only when the file is not a YAML mapping at all. It is built even when there
  // are errors (with what could be read), so check `ok()` before running it.
  std::shared_ptr<const Capability> capability;
  Diagnostics diagnostics;  // every finding, sorted by file, line and column

  [[nodiscard]] bool ok() const { return capability != nullptr && !HasErrors(diagnostics); }
};

// Reads and validates the file at `path`. Fails (ErrorCode::kIo) only when the file itself cannot
// be read; everything wrong inside it, including size limits, is a diagnostic.
[[nodiscard]] core::Result<LoadedCapability> LoadCapability(const std::string& path,
                                                            const LoadOptions& options = {});

// Validates `text` as if it had been read from `path` (imports resolve relative to it).
[[nodiscard]] LoadedCapability LoadCapabilityFromString(std::string_view text,
                                                        const std::string& path,
                                                        const LoadOptions& options = {});

}  // namespace capstan::spec
