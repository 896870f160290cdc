// libFuzzer target for the capability loader: arbitrary bytes through YAML parsing, the dialect
// pass, the alpha2 schema, the model builder and the semantic rules. It must never crash, hang or
// leak, whatever the input. Seeds: fuzz/corpus/spec_loader/.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "spec/loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  capstan::spec::LoadOptions options;
  options.resolve_imports = false;  // no file system access from fuzzed input
  options.strict = size % 2 == 1;
  options.yaml.max_bytes = 1 << 20;
  options.yaml.max_nodes = 100'000;  // keeps alias expansion fast per input
  std::string_view text(reinterpret_cast<const char*>(data), size);
  capstan::spec::LoadedCapability loaded =
      capstan::spec::LoadCapabilityFromString(text, "fuzz.yaml", options);
  if (loaded.capability != nullptr && loaded.ok() && loaded.capability->naftiko.empty()) {
    __builtin_trap();  // a valid capability always declares its version (schema: required)
  }
  return 0;
}
