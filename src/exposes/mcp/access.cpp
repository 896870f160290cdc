#include "exposes/mcp/access.hpp"

#include <fnmatch.h>

namespace capstan::mcp {

using core::ErrorCode;
using core::Fail;
namespace json = core::json;

namespace {

core::Error AccessError(const std::string& at, std::string_view what) {
  return core::Error{ErrorCode::kInvalidArgument,
                     "tool controls: access" + at + ": " + std::string(what)};
}

core::Result<std::vector<std::string>> Strings(const json::value& v, const std::string& at) {
  const json::array* a = v.if_array();
  if (a == nullptr) return Fail(AccessError(at, "expects a list of strings"));
  std::vector<std::string> out;
  for (const json::value& s : *a) {
    if (!s.is_string() || s.as_string().empty()) {
      return Fail(AccessError(at, "expects a list of non-empty strings"));
    }
    out.emplace_back(s.as_string());
  }
  return out;
}

bool Glob(const std::string& pattern, std::string_view text) {
  return ::fnmatch(pattern.c_str(), std::string(text).c_str(), 0) == 0;
}

// A claim's value as text: a string, or each string of an array.
bool ClaimMatches(const json::object& claims, const std::string& name, const std::string& glob) {
  const json::value* v = claims.if_contains(name);
  if (v == nullptr) return false;
  if (v->is_string()) return Glob(glob, std::string_view(v->get_string()));
  if (v->is_array()) {
    for (const json::value& e : v->get_array()) {
      if (e.is_string() && Glob(glob, std::string_view(e.get_string()))) return true;
    }
  }
  if (v->is_bool()) return Glob(glob, v->get_bool() ? "true" : "false");
  return false;
}

}  // namespace

core::Result<std::vector<AccessRule>> ParseAccessRules(const json::value& v) {
  const json::array* rules = v.if_array();
  if (rules == nullptr) return Fail(AccessError("", "expects a list of rules"));
  std::vector<AccessRule> out;
  for (std::size_t i = 0; i < rules->size(); ++i) {
    const std::string at = "[" + std::to_string(i) + "]";
    const json::object* o = (*rules)[i].if_object();
    if (o == nullptr) return Fail(AccessError(at, "expects a mapping"));
    AccessRule rule;
    for (const auto& [key, value] : *o) {
      const std::string member = at + "." + std::string(key);
      if (key == "scopes") {
        auto s = Strings(value, member);
        if (!s) return Fail(std::move(s).error());
        rule.scopes = std::move(*s);
      } else if (key == "tools") {
        auto t = Strings(value, member);
        if (!t) return Fail(std::move(t).error());
        rule.tools = std::move(*t);
      } else if (key == "claims") {
        const json::object* c = value.if_object();
        if (c == nullptr) return Fail(AccessError(member, "expects a mapping of claim → glob"));
        for (const auto& [claim, glob] : *c) {
          if (!glob.is_string()) return Fail(AccessError(member, "claim globs are strings"));
          rule.claims.emplace_back(std::string(claim), std::string(glob.as_string()));
        }
      } else {
        return Fail(AccessError(member, "unknown member (scopes, claims, tools)"));
      }
    }
    if (rule.tools.empty()) return Fail(AccessError(at, "needs tools"));
    out.push_back(std::move(rule));
  }
  return out;
}

bool ToolAllowed(const std::vector<AccessRule>& rules, std::string_view tool,
                 const auth::Principal* caller) {
  for (const AccessRule& rule : rules) {
    const bool conditional = !rule.scopes.empty() || !rule.claims.empty();
    if (conditional && caller == nullptr) continue;
    if (!rule.scopes.empty()) {
      bool any = false;
      for (const std::string& s : rule.scopes) any = any || caller->HasScope(s);
      if (!any) continue;
    }
    bool claims = true;
    for (const auto& [name, glob] : rule.claims) {
      claims = claims && ClaimMatches(caller->claims, name, glob);
    }
    if (!claims) continue;
    for (const std::string& pattern : rule.tools) {
      if (Glob(pattern, tool)) return true;
    }
  }
  return false;
}

}  // namespace capstan::mcp
