#include "cli/serve.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <fnmatch.h>
#include <glob.h>
#include <malloc.h>
#include <openssl/evp.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli/commands.hpp"
#include "cli/file_watcher.hpp"
#include "cli/upstream_probe.hpp"
#include "consumes/resilience.hpp"
#include "consumes/upstream_stats.hpp"
#include "core/hex.hpp"
#include "core/percent.hpp"
#include "exposes/control/control_adapter.hpp"
#include "exposes/mcp/mcp_adapter.hpp"
#include "exposes/mcp/merge.hpp"
#include "exposes/rest/rest_adapter.hpp"
#include "exposes/server/host.hpp"
#include "exposes/skill/skill_adapter.hpp"
#include "http/event_backend.hpp"
#include "http/otlp.hpp"
#include "runtime/runtime.hpp"
#include "runtime/values.hpp"
#include "spec/loader.hpp"
#include "spec/yaml.hpp"

namespace capstan::cli {

namespace asio = boost::asio;
namespace json = core::json;

namespace {

bool SplitPair(const std::string& text, std::string& key, std::string& value) {
  std::size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) return false;
  key = text.substr(0, eq);
  value = text.substr(eq + 1);
  return true;
}

std::string EnvSuffix(std::string_view ns) {
  std::string out;
  for (char c : ns) {
    out += c == '-' || c == '.'     ? '_'
           : (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A')
                                    : c;
  }
  return out;
}

void SetTotalTimeout(consumes::UpstreamLimits& limits, long long ms) {
  limits.total_timeout = std::chrono::milliseconds(ms);
  limits.read_timeout = std::min(limits.read_timeout, limits.total_timeout);
  limits.connect_timeout = std::min(limits.connect_timeout, limits.total_timeout);
}

// "N" or "KEY=N" with N in [min, max]: the key ("" for a bare value) and N, or false.
bool ParseKeyedNumber(const std::string& text, long long min, long long max, std::string& key,
                      long long& number) {
  std::string value = text;
  key.clear();
  if (const std::size_t eq = text.rfind('='); eq != std::string::npos) {
    key = text.substr(0, eq);
    value = text.substr(eq + 1);
    if (key.empty()) return false;
  }
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
  return !value.empty() && ec == std::errc() && ptr == value.data() + value.size() &&
         number >= min && number <= max;
}

// The resilience flags: bare values set the default of every upstream, KEY=N values override
// them for a consumes namespace (or glob) or one "namespace.operation", field by field.
bool BuildResilience(const RuntimeArgs& args, runtime::RuntimeOptions& options, std::ostream& err) {
  using Setter = void (*)(consumes::ResilienceOptions&, long long);
  struct Flag {
    const char* name;
    const std::vector<std::string>* values;
    long long min;
    long long max;
    Setter set;
  };
  const Flag flags[] = {
      {"--retries", &args.retries, 0, 10,
       [](consumes::ResilienceOptions& o, long long n) { o.retries = static_cast<int>(n); }},
      {"--retry-backoff-ms", &args.retry_backoff_ms, 1, 60000,
       [](consumes::ResilienceOptions& o, long long n) {
         o.backoff = std::chrono::milliseconds(n);
         o.max_backoff = std::chrono::milliseconds(n * 20);
       }},
      {"--breaker-failures", &args.breaker_failures, 0, 1000,
       [](consumes::ResilienceOptions& o, long long n) {
         o.breaker_failures = static_cast<int>(n);
       }},
      {"--breaker-open-ms", &args.breaker_open_ms, 1, 3600000,
       [](consumes::ResilienceOptions& o, long long n) {
         o.breaker_open = std::chrono::milliseconds(n);
       }},
      {"--max-in-flight", &args.max_in_flight, 0, 1000000,
       [](consumes::ResilienceOptions& o, long long n) { o.max_in_flight = static_cast<int>(n); }},
  };
  std::map<std::string, std::vector<std::pair<Setter, long long>>> keyed;
  for (const Flag& f : flags) {
    for (const std::string& text : *f.values) {
      std::string key;
      long long n = 0;
      if (!ParseKeyedNumber(text, f.min, f.max, key, n)) {
        err << "capstan: " << f.name << " expects N or KEY=N (" << f.min << " to " << f.max
            << "), got '" << text << "'\n";
        return false;
      }
      if (key.empty()) {
        f.set(options.resilience, n);
      } else {
        keyed[key].emplace_back(f.set, n);
      }
    }
  }
  for (const auto& [key, setters] : keyed) {
    consumes::ResilienceOptions o = options.resilience;
    for (const auto& [set, n] : setters) set(o, n);
    options.resilience_by_key[key] = o;
  }
  return true;
}

bool BuildRuntimeOptions(const RuntimeArgs& args, runtime::RuntimeOptions& options,
                         std::ostream& err) {
  for (const std::string& pair : args.base_uris) {
    std::string ns;
    std::string uri;
    if (!SplitPair(pair, ns, uri)) {
      err << "capstan: --base-uri expects NS=URL, got '" << pair << "'\n";
      return false;
    }
    options.base_uris[ns] = uri;
  }
  options.trust_upstream_json = args.trust_upstream_json;
  options.tls.ca_file = args.ca_file;
  if (options.tls.ca_file.empty()) {
    if (const char* ca = std::getenv("CAPSTAN_CA_FILE")) options.tls.ca_file = ca;
  }
  if (!BuildResilience(args, options, err)) return false;
  // Timeouts: a bare MS sets the default of every namespace, NS=MS one namespace (on top of the
  // default, whatever the order of the flags).
  std::map<std::string, long long> by_namespace;
  for (const std::string& text : args.timeouts) {
    std::string ns;
    std::string value = text;
    if (text.find('=') != std::string::npos && !SplitPair(text, ns, value)) value.clear();
    long long ms = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
    if (value.empty() || ec != std::errc() || ptr != value.data() + value.size() || ms <= 0 ||
        ms > 24LL * 3600 * 1000) {
      err << "capstan: --timeout-ms expects MS or NS=MS (1 to 86400000 ms), got '" << text << "'\n";
      return false;
    }
    if (ns.empty()) {
      SetTotalTimeout(options.limits, ms);
    } else {
      by_namespace[ns] = ms;
    }
  }
  for (const auto& [ns, ms] : by_namespace) {
    consumes::UpstreamLimits limits = options.limits;
    const consumes::UpstreamLimits defaults;
    limits.read_timeout = defaults.read_timeout;  // not capped by the default's total
    limits.connect_timeout = defaults.connect_timeout;
    SetTotalTimeout(limits, ms);
    options.limits_by_namespace[ns] = limits;
  }
  // Connect and read timeouts, bare (every namespace) first, then per namespace.
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto* list : {&args.connect_timeouts, &args.read_timeouts}) {
      const bool connect = list == &args.connect_timeouts;
      for (const std::string& text : *list) {
        std::string ns;
        long long ms = 0;
        if (!ParseKeyedNumber(text, 1, 24LL * 3600 * 1000, ns, ms)) {
          err << "capstan: " << (connect ? "--connect-timeout-ms" : "--read-timeout-ms")
              << " expects MS or NS=MS (1 to 86400000 ms), got '" << text << "'\n";
          return false;
        }
        if (ns.empty() != (pass == 0)) continue;
        auto apply = [&](consumes::UpstreamLimits& l) {
          (connect ? l.connect_timeout : l.read_timeout) = std::chrono::milliseconds(ms);
        };
        if (ns.empty()) {
          apply(options.limits);
          for (auto& [key, l] : options.limits_by_namespace) apply(l);
        } else {
          auto [it, fresh] = options.limits_by_namespace.try_emplace(ns, options.limits);
          apply(it->second);
        }
      }
    }
  }
  return true;
}

bool IsGlob(std::string_view pattern) {
  return pattern.find_first_of("*?[") != std::string_view::npos;
}

// The value for consumes namespace `ns` in `by_pattern` (keys are names or fnmatch globs): the
// exact key first, else the first glob in key order. Marks the key used.
template <typename T>
const T* ForNamespace(const std::map<std::string, T>& by_pattern, const std::string& ns,
                      std::set<std::string>& used) {
  if (auto it = by_pattern.find(ns); it != by_pattern.end()) {
    used.insert(it->first);
    return &it->second;
  }
  for (const auto& [pattern, value] : by_pattern) {
    if (IsGlob(pattern) && ::fnmatch(pattern.c_str(), ns.c_str(), 0) == 0) {
      used.insert(pattern);
      return &value;
    }
  }
  return nullptr;
}

// Runtimes get only the base URIs and timeouts of their own namespaces. `used` collects the keys
// that matched (shared by the loading threads).
runtime::RuntimeOptions OptionsFor(const runtime::RuntimeOptions& all,
                                   const spec::Capability& capability, std::mutex& mu,
                                   std::set<std::string>& used_base_uris,
                                   std::set<std::string>& used_timeouts) {
  runtime::RuntimeOptions options = all;
  options.base_uris.clear();
  options.limits_by_namespace.clear();
  options.resilience_by_key.clear();
  if (!capability.capability) return options;
  std::lock_guard lock(mu);
  for (const spec::ConsumesHttp& c : capability.capability->consumes) {
    if (const std::string* uri = ForNamespace(all.base_uris, c.ns, used_base_uris)) {
      options.base_uris[c.ns] = *uri;
    }
    if (const auto* limits = ForNamespace(all.limits_by_namespace, c.ns, used_timeouts)) {
      options.limits_by_namespace[c.ns] = *limits;
    }
    if (const auto* r = ForNamespace(all.resilience_by_key, c.ns, used_timeouts)) {
      options.resilience_by_key[c.ns] = *r;
    }
    for (const auto& [key, r] : all.resilience_by_key) {
      if (key.size() <= c.ns.size() + 1 || key.compare(0, c.ns.size() + 1, c.ns + ".") != 0) {
        continue;
      }
      const std::string op = key.substr(c.ns.size() + 1);
      for (const spec::ConsumedHttpResource& resource : c.resources) {
        for (const spec::ConsumedHttpOperation& o : resource.operations) {
          if (o.name != op) continue;
          options.resilience_by_key[key] = r;
          used_timeouts.insert(key);
        }
      }
    }
  }
  return options;
}

// Files, directories (their *.yaml and *.yml, sorted) and glob patterns the shell left alone,
// in order, without repeats. An empty directory or a pattern that matches nothing is an error.
bool ExpandCapabilityFiles(const std::vector<std::string>& args, std::vector<std::string>& files,
                           std::ostream& err) {
  std::set<std::string> seen;
  auto add = [&](std::string file) {
    if (seen.insert(file).second) files.push_back(std::move(file));
  };
  for (const std::string& arg : args) {
    std::error_code ec;
    if (std::filesystem::is_directory(arg, ec)) {
      std::vector<std::string> found;
      for (const auto& entry : std::filesystem::directory_iterator(arg, ec)) {
        auto ext = entry.path().extension();
        if (entry.is_regular_file(ec) && (ext == ".yaml" || ext == ".yml")) {
          found.push_back(entry.path().string());
        }
      }
      if (found.empty()) {
        err << "capstan: directory " << arg << " holds no .yaml or .yml file\n";
        return false;
      }
      std::sort(found.begin(), found.end());
      for (std::string& f : found) add(std::move(f));
    } else if (IsGlob(arg) && !std::filesystem::exists(arg, ec)) {
      glob_t matches{};
      int rc = ::glob(arg.c_str(), 0, nullptr, &matches);
      if (rc != 0) {
        ::globfree(&matches);
        err << "capstan: no capability file matches " << arg << "\n";
        return false;
      }
      for (std::size_t i = 0; i < matches.gl_pathc; ++i) add(matches.gl_pathv[i]);
      ::globfree(&matches);
    } else {
      add(arg);
    }
  }
  return true;
}

// A capability loaded and its runtime built, or the diagnostics that stopped it.
struct LoadedCapability {
  std::string file;
  std::shared_ptr<const spec::Capability> capability;
  std::shared_ptr<const runtime::Runtime> runtime;
  std::string errors;         // the file's diagnostics, printed in file order
  std::string runtime_error;  // why its runtime could not be built
  std::string sha256;         // of the file's bytes, for /status
};

// Hex SHA-256 of a file's bytes ("" when it cannot be read).
std::string FileSha256(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr) != 1) return "";
  return core::HexLower(std::string_view(reinterpret_cast<const char*>(digest), size));
}

// Loads and builds every file on a few threads: parsing, schema checks and compiling the
// operations are independent per file (82 files in well under a second).
std::vector<LoadedCapability> LoadAll(const std::vector<std::string>& files,
                                      const runtime::RuntimeOptions& all_options,
                                      std::set<std::string>& used_base_uris,
                                      std::set<std::string>& used_timeouts) {
  std::vector<LoadedCapability> loaded(files.size());
  std::mutex mu;
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < files.size(); i = next++) {
      LoadedCapability& out = loaded[i];
      out.file = files[i];
      out.sha256 = FileSha256(files[i]);
      std::ostringstream errors;
      out.capability = LoadOrReport(files[i], errors);
      if (out.capability) {
        auto rt = runtime::Runtime::Create(
            out.capability,
            OptionsFor(all_options, *out.capability, mu, used_base_uris, used_timeouts));
        if (rt) {
          out.runtime = std::move(*rt);
        } else {
          out.runtime_error = rt.error().message;
        }
      }
      out.errors = errors.str();
    }
  };
  unsigned threads = std::min<std::size_t>(std::max(1u, std::thread::hardware_concurrency()),
                                           std::max<std::size_t>(1, files.size() / 4));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  return loaded;
}

// Prints what kept files from loading, in file order; a runtime error that many files share
// (an unset environment variable, say) is printed once with the files it concerns. False if
// any file failed.
bool ReportLoadErrors(const std::vector<LoadedCapability>& loaded, std::ostream& err) {
  constexpr std::size_t kNamedFiles = 3;
  std::map<std::string, std::vector<std::string>> files_by_error;
  bool ok = true;
  for (const LoadedCapability& l : loaded) {
    if (!l.runtime_error.empty()) files_by_error[l.runtime_error].push_back(l.file);
  }
  std::set<std::string> printed;
  for (const LoadedCapability& l : loaded) {
    err << l.errors;
    ok = ok && l.runtime != nullptr;
    if (l.runtime_error.empty()) continue;
    const std::vector<std::string>& files = files_by_error[l.runtime_error];
    if (files.size() <= kNamedFiles) {
      err << "capstan: " << l.file << ": " << l.runtime_error << "\n";
    } else if (printed.insert(l.runtime_error).second) {
      err << "capstan: " << l.runtime_error << " (in " << files.size() << " files: ";
      for (std::size_t i = 0; i < kNamedFiles; ++i) err << files[i] << ", ";
      err << "and " << files.size() - kNamedFiles << " more)\n";
    }
  }
  return ok;
}

// Tool controls from --tools-config and the flags that add to it.
bool BuildToolControls(const ServeArgs& args, mcp::ToolControls& controls, std::ostream& err) {
  if (!args.tools_config.empty()) {
    std::ifstream in(args.tools_config, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in && !in.eof()) {
      err << "capstan: cannot read " << args.tools_config << "\n";
      return false;
    }
    spec::YamlParseResult parsed = spec::ParseYaml(text, args.tools_config);
    if (!parsed.document) {
      for (const spec::Diagnostic& d : parsed.diagnostics) {
        err << d.location.file << ":" << d.location.line << ":" << d.location.column
            << ": error: " << d.message << "\n";
      }
      return false;
    }
    auto read = mcp::ParseToolControls(parsed.document->root);
    if (!read) {
      err << "capstan: " << args.tools_config << ": " << read.error().message << "\n";
      return false;
    }
    controls = std::move(*read);
  }
  controls.include.insert(controls.include.end(), args.include_tools.begin(),
                          args.include_tools.end());
  controls.exclude.insert(controls.exclude.end(), args.exclude_tools.begin(),
                          args.exclude_tools.end());
  controls.read_only = controls.read_only || args.read_only;
  return true;
}

// A gateway's heap churns at a steady level: every request allocates and frees buffers of the
// same sizes. glibc's default (dynamic) trim and mmap thresholds hand that memory back to the
// kernel and fault it in again under load (sysmalloc, madvise, page faults in profiles). Fixed
// thresholds keep the working set; blocks above 4 MiB (large bodies) still go back at once.
void TuneAllocatorForServing() {
  ::mallopt(M_MMAP_THRESHOLD, 4 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 64 << 20);
  ::mallopt(M_TOP_PAD, 1 << 20);
}

// Every client and upstream connection is a descriptor; a soft limit of 1024 (the usual default)
// would refuse the 1000th client. The hard limit is the administrator's word, the soft one ours.
void RaiseOpenFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// Whether this host runs the build's event-loop backend; if not, says why on `err`.
bool CheckEventBackend(std::ostream& err) {
  auto ready = http::CheckEventBackend();
  if (!ready) err << "capstan: " << ready.error().message << "\n";
  return ready.has_value();
}

// What one `capstan serve` keeps from start-up across reloads: the parsed flags, the upstream
// TLS context (so pooled upstream connections survive a reload), the MCP session stores of each
// listener (so sessions do), and the conformance fixtures.
struct ServeContext {
  explicit ServeContext(const ServeArgs& a) : args(a) {}
  const ServeArgs& args;
  runtime::RuntimeOptions all_options;
  std::map<std::string, std::uint16_t> ports;  // adapter namespace or glob → port
  std::string address_override;
  mcp::McpOptions mcp_options;
  mcp::MountOptions mount;
  std::map<std::pair<std::string, std::uint16_t>, std::shared_ptr<mcp::SessionStores>> stores;
  std::unique_ptr<mcp::ConformanceFixtures> fixtures;
  // The control adapter's view of the process (hooks set up by RunServe).
  std::shared_ptr<control::ControlHooks> control_hooks = std::make_shared<control::ControlHooks>();
  std::mutex mu;  // one reload or validation at a time; guards what /status reads
  exposes::Host* host = nullptr;
  std::atomic<bool> started{false};
  std::atomic<bool> stopping{false};
  std::size_t reloads_ok = 0;
  std::size_t reloads_failed = 0;
  std::string last_reload_error;
  std::chrono::steady_clock::time_point began = std::chrono::steady_clock::now();
  std::unique_ptr<UpstreamProbe> probe;           // --ready-upstreams
  std::shared_ptr<exposes::RateLimiter> limiter;  // --rate-limit
};

// One set of capabilities loaded and built into endpoints, at start-up or at a reload.
struct ServingSet {
  std::vector<std::string> files;
  std::vector<LoadedCapability> loaded;
  std::vector<exposes::Registration> registrations;
  std::shared_ptr<const runtime::Runtime> stdio_runtime;
  const spec::ExposesMcp* stdio_adapter = nullptr;
  std::size_t served = 0;
  bool has_control = false;
  std::size_t adapters() const { return registrations.size() + (stdio_adapter ? 1 : 0); }
};

// Parses the flags that do not change across reloads into `ctx`. kExitOk, or an exit code.
int PrepareServe(ServeContext& ctx, std::ostream& err) {
  const ServeArgs& args = ctx.args;
  if (!BuildRuntimeOptions(args.runtime, ctx.all_options, err)) return kExitUsage;
  for (const std::string& pair : args.ports) {
    std::string ns;
    std::string value;
    int port = -1;
    if (SplitPair(pair, ns, value)) port = std::atoi(value.c_str());
    if (port < 0 || port > 65535 || value.empty()) {
      err << "capstan: --port expects NS=PORT, got '" << pair << "'\n";
      return kExitUsage;
    }
    ctx.ports[ns] = static_cast<std::uint16_t>(port);
  }
  ctx.address_override = args.address;
  if (ctx.address_override.empty()) {
    if (const char* a = std::getenv("CAPSTAN_ADDRESS")) ctx.address_override = a;
  }
  mcp::McpOptions& mcp_options = ctx.mcp_options;
  mcp_options.stateless = args.mcp_stateless;
  mcp_options.allowed_hosts = args.mcp_allowed_hosts;
  mcp_options.allowed_origins = args.mcp_allowed_origins;
  mcp_options.session_key = args.mcp_session_key;
  if (mcp_options.session_key.empty()) {
    if (const char* key = std::getenv("CAPSTAN_MCP_SESSION_KEY")) mcp_options.session_key = key;
  }
  // Over HTTP a reload (SIGHUP, --watch) may change the tools: clients are told so.
  mcp_options.list_changed = !args.stdio;
  auto clash = mcp::ParseToolClash(args.mcp_tool_clash);
  if (!clash) {
    err << "capstan: " << clash.error().message << "\n";
    return kExitUsage;
  }
  ctx.mount.clash = *clash;
  if (args.mcp_mount != "union" && args.mcp_mount != "per-capability") {
    err << "capstan: --mcp-mount expects union or per-capability, got '" << args.mcp_mount << "'\n";
    return kExitUsage;
  }
  ctx.mount.per_adapter = args.mcp_mount == "per-capability";
  ctx.mount.discovery = args.mcp_discovery;
  ctx.mount.confirm_destructive = args.mcp_confirm_destructive;
  if (!BuildToolControls(args, ctx.mount.controls, err)) return kExitUsage;
  // One upstream TLS context for every runtime: each loop thread then keeps one upstream client,
  // whose pooled connections every capability calling the same host shares.
  auto tls = consumes::MakeTlsContext(ctx.all_options.tls);
  if (!tls) {
    err << "capstan: " << tls.error().message << "\n";
    return kExitInvalid;
  }
  ctx.all_options.tls_context = std::move(*tls);
  return kExitOk;
}

// Expands the file arguments, loads every capability and builds the endpoints of `set`.
// kExitOk, or an exit code after printing why to `err`.
int BuildServingSet(ServeContext& ctx, ServingSet& set, std::ostream& err) {
  const ServeArgs& args = ctx.args;
  if (!ExpandCapabilityFiles(args.files, set.files, err)) return kExitUsage;
  std::set<std::string> used_base_uris;
  std::set<std::string> used_timeouts;
  std::set<std::string> used_ports;
  set.loaded = LoadAll(set.files, ctx.all_options, used_base_uris, used_timeouts);
  if (!ReportLoadErrors(set.loaded, err)) return kExitInvalid;
  // MCP adapters by listener, in file order: those sharing address:port become one endpoint.
  std::vector<std::pair<std::pair<std::string, std::uint16_t>, std::vector<mcp::AdapterSource>>>
      mcp_groups;
  std::string control_file;  // the file that declares the control adapter
  for (const LoadedCapability& l : set.loaded) {
    const std::string& file = l.file;
    const auto& rt = l.runtime;
    const auto& capability = l.capability;
    if (!capability->capability) continue;
    // The capability's skills, built first: its mcp adapters serve them too (SEP-2640).
    std::vector<std::pair<const spec::ExposesSkill*, std::vector<skill::SkillPackage>>> skills;
    std::vector<mcp::SkillEntry> mcp_skills;
    for (const spec::Exposes& exposes : capability->capability->exposes) {
      const auto* skill_spec = std::get_if<spec::ExposesSkill>(&exposes);
      if (skill_spec == nullptr || args.stdio) continue;
      auto packages = skill::BuildSkillPackages(*capability, *skill_spec, rt);
      if (!packages) {
        err << "capstan: " << file << ": " << packages.error().message << "\n";
        return kExitInvalid;
      }
      for (mcp::SkillEntry& e : skill::McpSkillEntries(*packages))
        mcp_skills.push_back(std::move(e));
      skills.emplace_back(skill_spec, std::move(*packages));
    }
    for (const spec::Exposes& exposes : capability->capability->exposes) {
      std::string ns(spec::ExposesNamespace(exposes));
      auto port_for = [&](int declared) -> std::uint16_t {
        if (const std::uint16_t* p = ForNamespace(ctx.ports, ns, used_ports)) return *p;
        if (const char* env = std::getenv(("CAPSTAN_PORT_" + EnvSuffix(ns)).c_str())) {
          return static_cast<std::uint16_t>(std::atoi(env));
        }
        return static_cast<std::uint16_t>(declared);
      };
      if (args.stdio && !std::holds_alternative<spec::ExposesMcp>(exposes)) continue;
      if (const auto* rest = std::get_if<spec::ExposesRest>(&exposes)) {
        auto adapter = rest::MakeRestAdapter(rt, *rest);
        if (!adapter) {
          err << "capstan: " << file << ": " << adapter.error().message << "\n";
          return kExitInvalid;
        }
        std::string address = !ctx.address_override.empty() ? ctx.address_override
                                                            : rest->address.value_or("127.0.0.1");
        if (address == "localhost") address = "127.0.0.1";  // the listener takes IP literals
        set.registrations.push_back({address, port_for(rest->port), std::move(*adapter)});
        ++set.served;
      } else if (const auto* mcp_spec = std::get_if<spec::ExposesMcp>(&exposes)) {
        if (args.stdio || mcp_spec->transport == spec::McpTransport::kStdio) {
          if (set.stdio_adapter != nullptr) {
            err << "capstan: only one mcp adapter can be served over stdio ('"
                << set.stdio_adapter->ns << "' and '" << ns << "')\n";
            return kExitUsage;
          }
          set.stdio_adapter = mcp_spec;
          set.stdio_runtime = rt;
          ++set.served;
          continue;
        }
        std::string address = !ctx.address_override.empty()
                                  ? ctx.address_override
                                  : mcp_spec->address.value_or("127.0.0.1");
        if (address == "localhost") address = "127.0.0.1";
        std::pair<std::string, std::uint16_t> listener{address,
                                                       port_for(mcp_spec->port.value_or(0))};
        auto group = std::find_if(mcp_groups.begin(), mcp_groups.end(),
                                  [&](const auto& g) { return g.first == listener; });
        // Port 0 asks for an ephemeral port of the adapter's own: never merged.
        if (group == mcp_groups.end() || listener.second == 0) {
          mcp_groups.emplace_back(listener, std::vector<mcp::AdapterSource>{});
          group = std::prev(mcp_groups.end());
        }
        group->second.push_back(mcp::AdapterSource{rt, mcp_spec, file, mcp_skills});
        ++set.served;
      } else if (const auto* ctl = std::get_if<spec::ExposesControl>(&exposes)) {
        if (!control_file.empty()) {
          err << "capstan: two control adapters (" << control_file << " and " << file
              << "); a process has one\n";
          return kExitInvalid;
        }
        control_file = file;
        ns = "control";  // the name --port and CAPSTAN_PORT_ use
        auto adapter =
            control::MakeControlAdapter(rt.get(), ctl->authentication,
                                        control::ControlEndpoints::From(*ctl), ctx.control_hooks);
        if (!adapter) {
          err << "capstan: " << file << ": " << adapter.error().message << "\n";
          return kExitInvalid;
        }
        std::string address = !ctx.address_override.empty() ? ctx.address_override
                                                            : ctl->address.value_or("127.0.0.1");
        if (address == "localhost") address = "127.0.0.1";
        std::uint16_t port = args.control_port >= 0 ? static_cast<std::uint16_t>(args.control_port)
                                                    : port_for(ctl->port);
        set.registrations.push_back({address, port, std::move(*adapter)});
        set.has_control = true;
      } else if (const auto* skill_spec = std::get_if<spec::ExposesSkill>(&exposes)) {
        auto packages = std::find_if(skills.begin(), skills.end(),
                                     [&](const auto& s) { return s.first == skill_spec; });
        auto adapter = skill::MakeSkillAdapter(rt.get(), *skill_spec, std::move(packages->second));
        if (!adapter) {
          err << "capstan: " << file << ": " << adapter.error().message << "\n";
          return kExitInvalid;
        }
        std::string address = !ctx.address_override.empty()
                                  ? ctx.address_override
                                  : skill_spec->address.value_or("127.0.0.1");
        if (address == "localhost") address = "127.0.0.1";
        set.registrations.push_back({address, port_for(skill_spec->port), std::move(*adapter)});
        ++set.served;
      }
    }
  }
  if (control_file.empty() && args.control_port >= 0 && !args.stdio) {
    // --control-port without a control adapter in the files: one with every endpoint group.
    auto adapter = control::MakeControlAdapter(nullptr, std::nullopt,
                                               control::ControlEndpoints::All(), ctx.control_hooks);
    if (!adapter) {
      err << "capstan: " << adapter.error().message << "\n";
      return kExitInvalid;
    }
    set.registrations.push_back({ctx.address_override.empty() ? "127.0.0.1" : ctx.address_override,
                                 static_cast<std::uint16_t>(args.control_port),
                                 std::move(*adapter)});
    set.has_control = true;
  }
  mcp::MountReport report;
  for (auto& [listener, sources] : mcp_groups) {
    mcp::McpOptions options = ctx.mcp_options;
    // Sessions belong to the listener, not to one build of its endpoints. (Ephemeral listeners
    // get a store per first adapter.)
    auto key = listener;
    if (key.second == 0) key.first += "/" + sources.front().spec->ns;
    std::shared_ptr<mcp::SessionStores>& stores = ctx.stores[key];
    if (!stores) stores = std::make_shared<mcp::SessionStores>(options.session_key);
    options.session_stores = stores;
    auto endpoints = mcp::MakeMcpEndpoints(sources, options, ctx.mount, report);
    if (!endpoints) {
      err << "capstan: " << endpoints.error().message << "\n";
      return kExitInvalid;
    }
    for (auto& endpoint : *endpoints) {
      set.registrations.push_back({listener.first, listener.second, endpoint});
    }
  }
  for (const std::string& line : report.lines) err << "capstan: mcp: " << line << "\n";
  for (std::size_t i = 0; i < ctx.mount.controls.overrides.size(); ++i) {
    if (i >= report.override_used.size() || !report.override_used[i]) {
      err << "capstan: tool controls name '" << ctx.mount.controls.overrides[i].first
          << "', which no served mcp adapter has\n";
      return kExitUsage;
    }
  }
  for (const auto& [ns, uri] : ctx.all_options.base_uris) {
    if (!used_base_uris.count(ns)) {
      err << "capstan: --base-uri names '" << ns << "', which no capability consumes\n";
      return kExitUsage;
    }
  }
  for (const auto& [key, r] : ctx.all_options.resilience_by_key) {
    if (!used_timeouts.count(key)) {
      err << "capstan: a resilience flag names '" << key
          << "', which is no consumes namespace or namespace.operation here\n";
      return kExitUsage;
    }
  }
  for (const auto& [ns, limits] : ctx.all_options.limits_by_namespace) {
    if (!used_timeouts.count(ns)) {
      err << "capstan: --timeout-ms names '" << ns << "', which no capability consumes\n";
      return kExitUsage;
    }
  }
  if (args.conformance_fixtures) {
    if (!ctx.fixtures) {
      auto started_fixtures = mcp::StartConformanceFixtures(ctx.mcp_options);
      if (!started_fixtures) {
        err << "capstan: conformance fixtures: " << started_fixtures.error().message << "\n";
        return kExitInvalid;
      }
      ctx.fixtures = std::move(*started_fixtures);
    }
    std::string ns(mcp::kFixturesNamespace);
    std::uint16_t port = 0;
    if (const std::uint16_t* p = ForNamespace(ctx.ports, ns, used_ports)) port = *p;
    set.registrations.push_back({ctx.address_override.empty() ? "127.0.0.1" : ctx.address_override,
                                 port, ctx.fixtures->endpoint()});
    ++set.served;
  }
  for (const auto& [ns, port] : ctx.ports) {
    if (!used_ports.count(ns) && !args.stdio) {
      err << "capstan: --port names '" << ns << "', which no served adapter has\n";
      return kExitUsage;
    }
  }
  if (set.served == 0) {
    err << "capstan: nothing to serve\n";
    return kExitInvalid;
  }
  return kExitOk;
}

// "capstan: ... listening on ..." per endpoint; a listener shared by a fleet gets its first few
// and a count.
void Announce(const exposes::Host& host, std::ostream& announce) {
  constexpr std::size_t kAnnouncedPerListener = 8;
  for (const exposes::BoundListener& l : host.bound()) {
    std::string host_text =
        l.address.find(':') != std::string::npos ? "[" + l.address + "]" : l.address;
    std::string where = "http://" + host_text + ":" + std::to_string(l.port);
    std::size_t shown = l.endpoints.size() <= kAnnouncedPerListener ? l.endpoints.size()
                                                                    : kAnnouncedPerListener - 1;
    for (std::size_t i = 0; i < shown; ++i) {
      announce << "capstan: " << l.endpoints[i] << " listening on " << where << "\n";
    }
    if (shown < l.endpoints.size()) {
      announce << "capstan: " << l.endpoints.size() - shown << " more adapters listening on "
               << where << "\n";
    }
  }
  announce.flush();
}

// A hot reload: the new set is loaded and built beside the serving one, and replaces it only
// when every file loads and every listener can take it; otherwise the old set keeps serving.
// The upstreams of a serving set, once each (by origin), for --ready-upstreams.
std::vector<ProbeTarget> ProbeTargets(const ServingSet& set) {
  std::vector<ProbeTarget> out;
  std::set<std::string> seen;
  for (const LoadedCapability& l : set.loaded) {
    if (!l.runtime) continue;
    for (const auto& [ns, origin] : l.runtime->Origins()) {
      if (!seen.insert(origin.Key()).second) continue;
      out.push_back({ns + " (" + origin.host + ":" + std::to_string(origin.port) + ")", origin.host,
                     origin.port});
    }
  }
  return out;
}

core::Result<json::object> Reload(ServeContext& ctx, exposes::Host& host, ServingSet& current,
                                  std::string_view why, std::ostream& out, std::ostream& err) {
  std::lock_guard lock(ctx.mu);
  auto began = std::chrono::steady_clock::now();
  ServingSet next;
  std::ostringstream log;
  int code = BuildServingSet(ctx, next, log);
  if (code == kExitOk && next.stdio_adapter != nullptr) {
    log << "capstan: an mcp adapter with transport stdio cannot be added by a reload\n";
    code = kExitInvalid;
  }
  if (code == kExitOk) {
    auto replaced = host.Replace(next.registrations);
    if (!replaced) {
      log << "capstan: " << replaced.error().message << "\n";
      code = kExitInvalid;
    }
  }
  if (code != kExitOk) {
    err << log.str() << "capstan: reload (" << why << ") failed; still serving the previous set of "
        << current.loaded.size() << " capabilities\n";
    err.flush();
    ++ctx.reloads_failed;
    ctx.last_reload_error = log.str();
    return core::Fail(core::ErrorCode::kInvalidArgument,
                      log.str() + "still serving the previous set of " +
                          std::to_string(current.loaded.size()) + " capabilities");
  }
  err << log.str();
  current = std::move(next);  // the old set lives on in the requests still using it
  if (ctx.probe) ctx.probe->SetTargets(ProbeTargets(current));
  for (const auto& [listener, stores] : ctx.stores) {
    stores->Broadcast(R"({"jsonrpc":"2.0","method":"notifications/tools/list_changed"})");
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  began);
  out << "capstan: reloaded (" << why << ") " << current.loaded.size() << " capabilities, "
      << current.adapters() << " adapters, in " << ms.count() << " ms\n";
  Announce(host, out);
  ++ctx.reloads_ok;
  ctx.last_reload_error.clear();
  return json::object{{"reloaded", true},
                      {"capabilities", current.loaded.size()},
                      {"adapters", current.adapters()},
                      {"ms", ms.count()}};
}

// Resident set size and open file descriptors of this process, from /proc (0 when unreadable).
std::pair<double, double> ProcessResources() {
  double rss = 0;
  std::ifstream statm("/proc/self/statm");
  double pages_total = 0;
  double pages_resident = 0;
  if (statm >> pages_total >> pages_resident) {
    rss = pages_resident * static_cast<double>(::sysconf(_SC_PAGESIZE));
  }
  double fds = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++fds;
  }
  return {rss, fds};
}

// GET /metrics: the request series of exposes::Metrics and the process's gauges, in the
// Prometheus text format (prometheus-cpp's serializer).
std::string MetricsText(ServeContext& ctx) {
  using prometheus::ClientMetric;
  using prometheus::MetricFamily;
  using prometheus::MetricType;
  std::vector<MetricFamily> families;
  families.reserve(32);  // the references below stay valid (more than the families made)
  auto family = [&](std::string name, std::string help, MetricType type) -> MetricFamily& {
    families.push_back(MetricFamily{std::move(name), std::move(help), type, {}});
    return families.back();
  };
  auto labels = [](const exposes::SeriesTotals& t) {
    std::vector<ClientMetric::Label> out{{"adapter", t.adapter}};
    if (!t.operation.empty()) out.push_back({"operation", t.operation});
    return out;
  };
  auto histogram = [](const auto& buckets, double seconds, std::uint64_t count,
                      const std::array<double, 14>& bounds = exposes::kDurationBuckets) {
    ClientMetric m;
    std::uint64_t cumulative = 0;
    for (std::size_t k = 0; k < bounds.size(); ++k) {
      cumulative += buckets[k];
      m.histogram.bucket.push_back({cumulative, bounds[k]});
    }
    m.histogram.bucket.push_back({count, std::numeric_limits<double>::infinity()});
    m.histogram.sample_count = count;
    m.histogram.sample_sum = seconds;
    return m;
  };
  static constexpr const char* kClasses[] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
  std::vector<exposes::SeriesTotals> series = exposes::Metrics::Instance().Snapshot();
  MetricFamily& requests =
      family("capstan_requests_total", "Answers by adapter, operation or tool, and status class",
             MetricType::Counter);
  MetricFamily& duration = family("capstan_request_duration_seconds",
                                  "Time from the request to the answer", MetricType::Histogram);
  MetricFamily& upstream =
      family("capstan_upstream_responses_total",
             "Upstream answers behind the answers, by status class", MetricType::Counter);
  MetricFamily& failures =
      family("capstan_upstream_failures_total",
             "Answers with no usable upstream answer (unreachable, timeout, invalid answer)",
             MetricType::Counter);
  MetricFamily& upstream_duration =
      family("capstan_upstream_duration_seconds", "Time the upstream took", MetricType::Histogram);
  for (const exposes::SeriesTotals& t : series) {
    if (t.count == 0) continue;  // a tool nobody called
    for (std::size_t k = 0; k < t.by_class.size(); ++k) {
      if (t.by_class[k] == 0) continue;
      ClientMetric m;
      m.label = labels(t);
      m.label.push_back({"code", kClasses[k]});
      m.counter.value = static_cast<double>(t.by_class[k]);
      requests.metric.push_back(std::move(m));
    }
    ClientMetric d = histogram(t.buckets, t.seconds, t.count);
    d.label = labels(t);
    duration.metric.push_back(std::move(d));
    for (std::size_t k = 0; k < t.upstream_by_class.size(); ++k) {
      if (t.upstream_by_class[k] == 0) continue;
      ClientMetric m;
      m.label = labels(t);
      m.label.push_back({"code", kClasses[k]});
      m.counter.value = static_cast<double>(t.upstream_by_class[k]);
      upstream.metric.push_back(std::move(m));
    }
    if (t.upstream_failures != 0) {
      ClientMetric m;
      m.label = labels(t);
      m.counter.value = static_cast<double>(t.upstream_failures);
      failures.metric.push_back(std::move(m));
    }
    if (t.upstream_count != 0) {
      ClientMetric u = histogram(t.upstream_buckets, t.upstream_seconds, t.upstream_count);
      u.label = labels(t);
      upstream_duration.metric.push_back(std::move(u));
    }
  }
  // One labelled sample in each of several counter families.
  auto counters = [](const std::vector<ClientMetric::Label>& label,
                     std::initializer_list<std::pair<MetricFamily*, std::uint64_t>> values) {
    for (const auto& [f, value] : values) {
      ClientMetric m;
      m.label = label;
      m.counter.value = static_cast<double>(value);
      f->metric.push_back(std::move(m));
    }
  };
  // Per upstream origin (consumes::UpstreamStats): every loop's client, summed.
  MetricFamily& up_requests =
      family("capstan_upstream_requests_total", "Upstream answers by upstream and status class",
             MetricType::Counter);
  MetricFamily& up_connect =
      family("capstan_upstream_connect_errors_total",
             "Failed connection attempts to the upstream (DNS, TCP, TLS)", MetricType::Counter);
  MetricFamily& up_timeouts =
      family("capstan_upstream_timeouts_total",
             "Upstream calls that timed out (connect, read or total)", MetricType::Counter);
  MetricFamily& up_errors = family(
      "capstan_upstream_errors_total",
      "Upstream calls that failed otherwise (reset mid-answer, malformed or oversized answer)",
      MetricType::Counter);
  MetricFamily& up_opened = family("capstan_upstream_connections_opened_total",
                                   "Connections opened to the upstream", MetricType::Counter);
  MetricFamily& up_idle =
      family("capstan_upstream_pool_idle_connections",
             "Idle keep-alive connections pooled for the upstream", MetricType::Gauge);
  MetricFamily& up_duration =
      family("capstan_upstream_request_duration_seconds",
             "Time from sending to the whole answer, by upstream", MetricType::Histogram);
  for (const consumes::UpstreamTotals& t : consumes::UpstreamStats::Instance().Snapshot()) {
    const std::vector<ClientMetric::Label> upstream_label{{"upstream", t.upstream}};
    for (std::size_t k = 0; k < t.by_class.size(); ++k) {
      if (t.by_class[k] == 0) continue;
      ClientMetric m;
      m.label = upstream_label;
      m.label.push_back({"code", kClasses[k]});
      m.counter.value = static_cast<double>(t.by_class[k]);
      up_requests.metric.push_back(std::move(m));
    }
    counters(upstream_label, {{&up_connect, t.connect_errors},
                              {&up_timeouts, t.timeouts},
                              {&up_errors, t.errors},
                              {&up_opened, t.connections_opened}});
    ClientMetric idle;
    idle.label = upstream_label;
    idle.gauge.value = static_cast<double>(t.idle_connections);
    up_idle.metric.push_back(std::move(idle));
    ClientMetric d = histogram(t.buckets, t.seconds, t.count, consumes::kUpstreamBuckets);
    d.label = upstream_label;
    up_duration.metric.push_back(std::move(d));
  }
  // Resilience (consumes::UpstreamGuards), per upstream: only when some option is on.
  MetricFamily& retries = family("capstan_upstream_retries_total",
                                 "Upstream calls made again (--retries)", MetricType::Counter);
  MetricFamily& opened = family("capstan_upstream_breaker_opened_total",
                                "Times the upstream's circuit breaker opened", MetricType::Counter);
  MetricFamily& rejected =
      family("capstan_upstream_breaker_rejected_total",
             "Calls failed fast while the breaker was open", MetricType::Counter);
  MetricFamily& shed =
      family("capstan_upstream_shed_total", "Calls shed at the in-flight limit (--max-in-flight)",
             MetricType::Counter);
  MetricFamily& breaker_state =
      family("capstan_upstream_breaker_state", "0 closed, 1 open, 2 half-open", MetricType::Gauge);
  consumes::UpstreamGuards::Instance().ForEach([&](const consumes::UpstreamGuard& g) {
    const std::vector<ClientMetric::Label> label{{"upstream", g.upstream()}};
    counters(label, {{&retries, g.retries.load()},
                     {&opened, g.breaker_opened.load()},
                     {&rejected, g.rejected_open.load()},
                     {&shed, g.shed.load()}});
    ClientMetric st;
    st.label = label;
    st.gauge.value = g.state();
    breaker_state.metric.push_back(std::move(st));
  });
  if (ctx.limiter) {
    ClientMetric m;
    m.counter.value = static_cast<double>(ctx.limiter->limited());
    family("capstan_rate_limited_total", "Requests refused with 429 (--rate-limit)",
           MetricType::Counter)
        .metric.push_back(std::move(m));
  }
  auto gauge = [&](std::string name, std::string help, double value) {
    ClientMetric m;
    m.gauge.value = value;
    family(std::move(name), std::move(help), MetricType::Gauge).metric.push_back(std::move(m));
  };
  double sessions = 0;
  std::size_t reloads_ok = 0;
  std::size_t reloads_failed = 0;
  {
    std::lock_guard lock(ctx.mu);
    for (const auto& [listener, stores] : ctx.stores) {
      sessions += static_cast<double>(stores->Count());
    }
    reloads_ok = ctx.reloads_ok;
    reloads_failed = ctx.reloads_failed;
  }
  gauge("capstan_mcp_sessions", "Live MCP sessions", sessions);
  auto [rss, fds] = ProcessResources();
  gauge("capstan_process_resident_memory_bytes", "Resident set size", rss);
  gauge("capstan_process_open_fds", "Open file descriptors", fds);
  gauge("capstan_process_uptime_seconds", "Seconds since start",
        std::chrono::duration<double>(std::chrono::steady_clock::now() - ctx.began).count());
  MetricFamily& reloads =
      family("capstan_reloads_total", "Hot reloads by outcome", MetricType::Counter);
  for (auto [outcome, n] : {std::pair<const char*, std::size_t>{"succeeded", reloads_ok},
                            std::pair<const char*, std::size_t>{"failed", reloads_failed}}) {
    ClientMetric m;
    m.label = {{"outcome", outcome}};
    m.counter.value = static_cast<double>(n);
    reloads.metric.push_back(std::move(m));
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

// The control adapter's hooks over this process (ctx.mu guards what they read).
void SetUpControlHooks(ServeContext& ctx, ServingSet& current, std::ostream& out,
                       std::ostream& err) {
  control::ControlHooks& hooks = *ctx.control_hooks;
  hooks.info = [&ctx] {
    json::object info = BuildInfo();
    info["uptime_s"] = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::steady_clock::now() - ctx.began)
                           .count();
    return info;
  };
  hooks.not_ready = [&ctx] {
    std::vector<std::string> reasons;
    if (ctx.stopping) reasons.emplace_back("stopping: a signal asked the process to stop");
    if (!ctx.started) reasons.emplace_back("starting: the listeners are not all open yet");
    if (ctx.probe) {
      for (std::string& r : ctx.probe->Reasons()) reasons.push_back(std::move(r));
    }
    return reasons;
  };
  hooks.status = [&ctx, &current] {
    std::lock_guard lock(ctx.mu);
    json::array capabilities;
    for (const LoadedCapability& l : current.loaded) {
      json::array adapters;
      if (l.capability && l.capability->capability) {
        for (const spec::Exposes& e : l.capability->capability->exposes) {
          std::string name(spec::ExposesTypeName(e));
          std::string_view ns = spec::ExposesNamespace(e);
          adapters.emplace_back(ns.empty() ? name : name + " " + std::string(ns));
        }
      }
      capabilities.emplace_back(
          json::object{{"file", l.file}, {"sha256", l.sha256}, {"adapters", std::move(adapters)}});
    }
    json::array listeners;
    if (ctx.host != nullptr) {
      for (const exposes::BoundListener& b : ctx.host->bound()) {
        json::array endpoints;
        for (const std::string& e : b.endpoints) endpoints.emplace_back(e);
        listeners.emplace_back(json::object{
            {"address", b.address}, {"port", b.port}, {"endpoints", std::move(endpoints)}});
      }
    }
    json::object reloads{{"succeeded", ctx.reloads_ok}, {"failed", ctx.reloads_failed}};
    if (!ctx.last_reload_error.empty()) reloads["last_error"] = ctx.last_reload_error;
    return json::object{{"status", ctx.stopping ? "STOPPING" : "UP"},
                        {"uptime_s", std::chrono::duration_cast<std::chrono::seconds>(
                                         std::chrono::steady_clock::now() - ctx.began)
                                         .count()},
                        {"capabilities", std::move(capabilities)},
                        {"listeners", std::move(listeners)},
                        {"reloads", std::move(reloads)}};
  };
  hooks.reload = [&ctx, &current, &out, &err]() -> core::Result<json::object> {
    if (ctx.host == nullptr || !ctx.started) {
      return core::Fail(core::ErrorCode::kUnavailable, "not serving yet");
    }
    return Reload(ctx, *ctx.host, current, "control adapter", out, err);
  };
  hooks.metrics = [&ctx] { return MetricsText(ctx); };
  hooks.validate = [&ctx]() -> core::Result<json::object> {
    std::lock_guard lock(ctx.mu);
    ServingSet dry;
    std::ostringstream log;
    if (BuildServingSet(ctx, dry, log) != kExitOk) {
      return core::Fail(core::ErrorCode::kInvalidArgument, log.str());
    }
    return json::object{{"valid", true},
                        {"capabilities", dry.loaded.size()},
                        {"adapters", dry.adapters()},
                        {"report", log.str()}};
  };
}

// `{{NAME}}` in a control adapter's OTLP endpoint, from its capability's binds.
core::Result<std::string> RenderBinds(std::string_view text, const runtime::BindValues& binds) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) break;
    const std::size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    out.append(text.substr(pos, open - pos));
    std::string_view name = text.substr(open + 2, close - open - 2);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    auto value = binds.Find(name);
    if (!value) {
      return core::Fail(
          core::ErrorCode::kInvalidArgument,
          "observability.exporters.otlp.endpoint: no bind named " + std::string(name));
    }
    out.append(*value);
    pos = close + 2;
  }
  out.append(text.substr(pos));
  return out;
}

// The span exporter the control adapter's `observability` (or the OpenTelemetry environment
// variables) asks for; null when none. Started before the listeners, stopped after them.
core::Result<std::unique_ptr<http::OtlpExporter>> StartSpanExport(const ServingSet& set,
                                                                  std::ostream& err) {
  auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v ? v : "";
  };
  if (env("OTEL_SDK_DISABLED") == "true") return std::unique_ptr<http::OtlpExporter>();
  std::optional<std::string> url;
  bool exact = false;  // a traces endpoint, used as it is
  double sampling = 1.0;
  for (const LoadedCapability& l : set.loaded) {
    if (!l.capability->capability) continue;
    for (const spec::Exposes& e : l.capability->capability->exposes) {
      const auto* ctl = std::get_if<spec::ExposesControl>(&e);
      if (ctl == nullptr || !ctl->observability) continue;
      const spec::Observability& o = *ctl->observability;
      if (!o.enabled) return std::unique_ptr<http::OtlpExporter>();
      sampling = o.traces.sampling;
      if (o.otlp_endpoint) {
        auto rendered = RenderBinds(*o.otlp_endpoint, l.runtime->binds());
        if (!rendered) return core::Fail(std::move(rendered).error());
        url = std::move(*rendered);
      }
    }
  }
  if (!url && !env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").empty()) {
    url = env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    exact = true;
  }
  if (!url && !env("OTEL_EXPORTER_OTLP_ENDPOINT").empty()) url = env("OTEL_EXPORTER_OTLP_ENDPOINT");
  if (!url) return std::unique_ptr<http::OtlpExporter>();
  auto endpoint = http::ParseOtlpEndpoint(*url, !exact);
  if (!endpoint) return core::Fail(std::move(endpoint).error());
  http::OtlpOptions options;
  options.endpoint = std::move(*endpoint);
  options.service_version = CAPSTAN_VERSION;
  if (!env("OTEL_SERVICE_NAME").empty()) options.service_name = env("OTEL_SERVICE_NAME");
  // OTEL_EXPORTER_OTLP_HEADERS: "k1=v1,k2=v2" (values percent-decoded), e.g. a collector token.
  std::string_view headers =
      std::getenv("OTEL_EXPORTER_OTLP_HEADERS") ? std::getenv("OTEL_EXPORTER_OTLP_HEADERS") : "";
  while (!headers.empty()) {
    const std::size_t comma = headers.find(',');
    std::string_view pair = headers.substr(0, comma);
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos && eq > 0) {
      auto value = core::PercentDecode(pair.substr(eq + 1));
      if (value) options.headers.emplace_back(std::string(pair.substr(0, eq)), std::move(*value));
    }
    headers = comma == std::string_view::npos ? std::string_view() : headers.substr(comma + 1);
  }
  err << "capstan: exporting spans to http://" << options.endpoint.host << ":"
      << options.endpoint.port << options.endpoint.target << " (OTLP/HTTP JSON, sampling "
      << sampling << ")\n";
  auto exporter = std::make_unique<http::OtlpExporter>(std::move(options));
  http::SetSpanSink(exporter.get(), sampling);
  return exporter;
}

}  // namespace

int RunServe(const ServeArgs& args, std::ostream& out, std::ostream& err) {
  TuneAllocatorForServing();
  RaiseOpenFileLimit();
  if (args.files.empty() && !args.conformance_fixtures) {
    err << "capstan: serve needs at least one capability file\n";
    return kExitUsage;
  }
  if (!CheckEventBackend(err)) return kExitInvalid;
  ServeContext ctx(args);
  if (int code = PrepareServe(ctx, err); code != kExitOk) return code;
  ServingSet current;
  SetUpControlHooks(ctx, current, out, err);
  if (int code = BuildServingSet(ctx, current, err); code != kExitOk) return code;

  if (args.ready_upstreams) {
    ctx.probe = std::make_unique<UpstreamProbe>(std::chrono::seconds(5), std::chrono::seconds(1));
    ctx.probe->SetTargets(ProbeTargets(current));
  }
  // Declared before the host: the listeners record into it until they stop.
  auto span_export = StartSpanExport(current, err);
  if (!span_export) {
    err << "capstan: " << span_export.error().message << "\n";
    return kExitInvalid;
  }
  struct SpanExportStop {
    std::unique_ptr<http::OtlpExporter> exporter;
    ~SpanExportStop() {
      if (!exporter) return;
      http::SetSpanSink(nullptr, 1.0);
      exporter->Shutdown(std::chrono::seconds(2));
    }
  } span_export_stop{std::move(*span_export)};

  exposes::HostOptions host_options;
  host_options.threads = args.threads;
  if (args.idle_timeout_ms > 0) {
    host_options.limits.idle_timeout = std::chrono::milliseconds(args.idle_timeout_ms);
  }
  host_options.access_log = !args.no_access_log;
  host_options.log_format = args.log_format == "json"   ? exposes::HostOptions::LogFormat::kJson
                            : args.log_format == "text" ? exposes::HostOptions::LogFormat::kText
                                                        : exposes::HostOptions::LogFormat::kAuto;
  // Answers are counted only when a control adapter can show them (its /metrics).
  if (current.has_control) host_options.metrics = &exposes::Metrics::Instance();
  if (args.rate_limit > 0) {
    ctx.limiter = std::make_shared<exposes::RateLimiter>(args.rate_limit, 2 * args.rate_limit);
    host_options.rate_limiter = ctx.limiter;
  }
  exposes::Host host(host_options);
  ctx.host = &host;
  for (const exposes::Registration& r : current.registrations) {
    host.Add(r.address, r.port, r.endpoint);
  }
  // Over stdio, stdout carries JSON-RPC: the listening lines go to stderr, and SIGINT/SIGTERM
  // keep their default action.
  const bool stdio = current.stdio_adapter != nullptr;
  std::ostream& announce = stdio ? err : out;
  if (!stdio) exposes::Host::BlockStopSignals();
  bool any_http = !host.bound().empty();
  auto started = any_http ? host.Start() : core::Ok();
  if (!started) {
    err << "capstan: " << started.error().message << "\n";
    return kExitInvalid;
  }
  ctx.started = true;
  Announce(host, announce);
  if (stdio) {
    err << "capstan: mcp adapter '" << current.stdio_adapter->ns << "' serving on stdio\n";
    auto status =
        mcp::ServeStdio(current.stdio_runtime, *current.stdio_adapter, ctx.mcp_options, 0, 1);
    host.Stop(std::chrono::seconds(2));
    if (!status) {
      err << "capstan: " << status.error().message << "\n";
      return kExitInvalid;
    }
    return kExitOk;
  }
  std::unique_ptr<FileWatcher> watcher;
  if (args.watch) {
    auto started_watch = FileWatcher::Start(args.files, current.files);
    if (!started_watch) {
      err << "capstan: --watch: " << started_watch.error().message << "\n";
      host.Stop(std::chrono::seconds(0));
      return kExitInvalid;
    }
    watcher = std::move(*started_watch);
  }
  while (true) {
    int sig = exposes::Host::WaitForSignal();
    if (sig == SIGHUP) {
      std::string why = watcher && watcher->TakeChanged() ? "a file changed" : "SIGHUP";
      (void)Reload(ctx, host, current, why, out, err);
      continue;
    }
    ctx.stopping = true;
    err << "capstan: signal " << sig << ", stopping gracefully\n";
    break;
  }
  watcher.reset();
  host.Stop(std::chrono::seconds(10));
  return kExitOk;
}

int RunCall(const CallArgs& args, std::ostream& out, std::ostream& err) {
  runtime::RuntimeOptions options;
  if (!BuildRuntimeOptions(args.runtime, options, err)) return kExitUsage;
  if (!CheckEventBackend(err)) return kExitInvalid;
  std::size_t dot = args.call.find('.');
  if (dot == std::string::npos) {
    err << "capstan: call expects NAMESPACE.OPERATION, got '" << args.call << "'\n";
    return kExitUsage;
  }
  std::string ns = args.call.substr(0, dot);

  std::shared_ptr<const spec::Capability> capability;
  if (!args.capability.empty()) {
    capability = LoadOrReport(args.capability, err);
    if (!capability) return kExitInvalid;
  } else {
    // Search ./capabilities for the capability that consumes this namespace.
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("capabilities", ec)) {
      if (entry.path().extension() != ".yaml" && entry.path().extension() != ".yml") continue;
      auto loaded = spec::LoadCapability(entry.path().string());
      if (loaded && loaded->capability && spec::FindConsumes(*loaded->capability, ns)) {
        capability = LoadOrReport(entry.path().string(), err);
        break;
      }
    }
    if (!capability) {
      err << "capstan: no capability in ./capabilities consumes '" << ns
          << "'; name one with --capability FILE\n";
      return kExitUsage;
    }
  }
  auto unknown_namespace = [&](const std::string& flag, const std::string& name) {
    if (spec::FindConsumes(*capability, name) != nullptr) return false;
    err << "capstan: " << flag << " names '" << name << "', which "
        << (args.capability.empty() ? "the capability found" : args.capability)
        << " does not consume\n";
    return true;
  };
  for (const auto& entry : options.base_uris) {
    if (unknown_namespace("--base-uri", entry.first)) return kExitUsage;
  }
  for (const auto& entry : options.limits_by_namespace) {
    if (unknown_namespace("--timeout-ms", entry.first)) return kExitUsage;
  }
  auto rt = runtime::Runtime::Create(capability, options);
  if (!rt) {
    err << "capstan: " << rt.error().message << "\n";
    return kExitInvalid;
  }
  auto op = (*rt)->FindOperation(args.call);
  if (!op) {
    err << "capstan: no consumed operation '" << args.call << "'\n";
    return kExitUsage;
  }
  core::json::object call_args;
  for (const std::string& pair : args.parameters) {
    std::string key;
    std::string value;
    if (!SplitPair(pair, key, value)) {
      err << "capstan: parameters are name=value, got '" << pair << "'\n";
      return kExitUsage;
    }
    const runtime::ConsumedParam* param = op->FindParam(key);
    if (param == nullptr) {
      err << "capstan: " << args.call << " has no parameter '" << key << "'\n";
      return kExitUsage;
    }
    auto typed = runtime::CoerceText(key, value, param->type.value_or(spec::ValueType::kString));
    if (!typed) {
      err << "capstan: " << typed.error().message << "\n";
      return kExitUsage;
    }
    call_args[param->name] = std::move(*typed);
  }

  asio::io_context ioc;
  core::Result<runtime::InvocationResult> result = core::Fail(core::ErrorCode::kInternal, "");
  {
    consumes::UpstreamClient client(ioc.get_executor(), (*rt)->tls(), (*rt)->options().pool);
    auto future = asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<core::Result<runtime::InvocationResult>> {
          runtime::CallContext context;
          context.client = &client;
          co_return co_await (*rt)->Call(*op, std::move(call_args), context);
        },
        asio::use_future);
    ioc.run();
    result = future.get();
  }
  if (!result) {
    err << "capstan: " << core::ErrorCodeName(result.error().code) << ": " << result.error().message
        << "\n";
    return kExitInvalid;
  }
  out << result->body;
  if (!result->body.empty() && result->body.back() != '\n') out << "\n";
  if (result->status < 200 || result->status >= 300) {
    err << "capstan: upstream answered " << result->status << "\n";
    return kExitInvalid;
  }
  return kExitOk;
}

}  // namespace capstan::cli
