// The `skill` adapter: a read-only catalog of a capability's agent skills over HTTP, the routes
// of the reference engine: GET /skills, /skills/{name}, /skills/{name}/download (a ZIP),
// /skills/{name}/contents and /skills/{name}/contents/{file...}. docs/skills.md shows them.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "core/result.hpp"
#include "exposes/server/endpoint.hpp"
#include "exposes/skill/skill_package.hpp"
#include "runtime/runtime.hpp"
#include "spec/capability.hpp"

namespace capstan::skill {

// `runtime` renders the adapter's inbound authentication secrets (may be null without one).
// The archives are built here, once.
[[nodiscard]] core::Result<std::shared_ptr<exposes::Endpoint>> MakeSkillAdapter(
    const runtime::Runtime* runtime, const spec::ExposesSkill& spec,
    std::vector<SkillPackage> packages);

}  // namespace capstan::skill
