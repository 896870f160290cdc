#include "sim/errors.hpp"

#include <algorithm>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace capstan::sim {
namespace {

namespace json = core::json;

void AppendSorted(std::string& out, const json::value& value) {
  if (value.is_object()) {
    const json::object& object = value.get_object();
    std::vector<const json::key_value_pair*> entries;
    entries.reserve(object.size());
    for (const auto& entry : object) entries.push_back(&entry);
    std::sort(entries.begin(), entries.end(),
              [](const auto* a, const auto* b) { return a->key() < b->key(); });
    out.push_back('{');
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (i) out.push_back(',');
      std::string_view key(entries[i]->key().data(), entries[i]->key().size());
      core::AppendJsonString(out, key);
      out.push_back(':');
      AppendSorted(out, entries[i]->value());
    }
    out.push_back('}');
  } else if (value.is_array()) {
    out.push_back('[');
    bool first = true;
    for (const auto& element : value.get_array()) {
      if (!first) out.push_back(',');
      first = false;
      AppendSorted(out, element);
    }
    out.push_back(']');
  } else {
    core::AppendJson(out, value);
  }
}

std::string_view Sv(std::string_view s) { return s; }

}  // namespace

std::string SortedJson(const core::json::value& value) {
  std::string out;
  AppendSorted(out, value);
  return out;
}

http::Response JsonResponse(int status, std::string body) {
  return http::MakeResponse(status, std::move(body), "application/json");
}

http::Response InvalidArguments(const std::vector<ArgumentError>& details) {
  json::array list;
  for (const ArgumentError& detail : details) {
    list.push_back(json::object{{"argument_name", Sv(detail.argument_name)},
                                {"reason", Sv(detail.reason)},
                                {"help_message", Sv(detail.help_message)}});
  }
  json::object body{{"type", "invalid_arguments"},
                    {"message", "invalid argument(s)"},
                    {"details", std::move(list)}};
  return JsonResponse(400, SortedJson(body));
}

http::Response DeniedAuthentication(std::string_view reason) {
  json::object body{{"type", "denied_authentication"},
                    {"message", "authentication is denied"},
                    {"method", "api_key"},
                    {"reason", reason}};
  return JsonResponse(401, SortedJson(body));
}

http::Response PermissionsDenied(std::string_view action, std::string_view resource) {
  json::array details;
  details.push_back(json::object{{"action", action}, {"resource", resource}});
  json::object body{{"type", "permissions_denied"},
                    {"message", "insufficient permissions"},
                    {"details", std::move(details)}};
  return JsonResponse(403, SortedJson(body));
}

http::Response NotFound(std::string_view resource, std::string_view resource_id) {
  json::object body{{"type", "not_found"},
                    {"message", "resource is not found"},
                    {"resource", resource},
                    {"resource_id", resource_id}};
  return JsonResponse(404, SortedJson(body));
}

http::Response InternalError() {
  json::object body{{"type", "internal"}, {"message", "internal error"}};
  return JsonResponse(500, SortedJson(body));
}

http::Response RateLimited() {
  http::Response response = http::MakeResponse(429, "", "");
  response.headers.Set("X-Envoy-Ratelimited", "true");
  return response;
}

}  // namespace capstan::sim
