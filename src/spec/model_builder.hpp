// Builds the capability model from a loaded JSON document and its position table. Tolerant by
// design: values of the wrong shape are skipped (the schema pass reports them), so it never fails.
#pragma once

#include "core/json.hpp"
#include "spec/capability.hpp"
#include "spec/positions.hpp"

namespace capstan::spec {

// Reads `root` (the raw document, dialect fields included) into a Capability. Imports are recorded
// in `imports` but not resolved; the loader does that.
[[nodiscard]] Capability BuildCapability(const json::value& root, const PositionTable& positions);

// Reads one consumes adapter (used by the loader for imported files).
[[nodiscard]] ConsumesHttp BuildConsumesHttp(const json::object& object, const std::string& pointer,
                                             const PositionTable& positions);

}  // namespace capstan::spec
