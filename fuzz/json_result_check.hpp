// The property that the fuzz targets of JSON-producing boundaries (converters, script results)
// share: a success is a tree that serialises and parses back to itself, a failure has a message.
#pragma once

#include "core/json.hpp"
#include "core/result.hpp"

namespace capstan::fuzzing {

inline void CheckJsonResult(const core::Result<core::json::value>& out) {
  if (out) {
    auto again = core::ParseJson(core::SerializeJson(*out), {.max_depth = 1024});
    if (!again || *again != *out) __builtin_trap();
  } else if (out.error().message.empty()) {
    __builtin_trap();
  }
}

}  // namespace capstan::fuzzing
