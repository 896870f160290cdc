// `capstan version`: what this binary is (release, commit, compiler, libraries, event backend,
// allocator).
#include <cstdlib>

#include <boost/json/object.hpp>
#include <boost/version.hpp>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#if defined(CAPSTAN_MIMALLOC)
#include <mimalloc.h>
#endif

#include "capstan_build_commit.inc"
#include "cli/commands.hpp"
#include "core/json.hpp"
#include "http/event_backend.hpp"

namespace capstan::cli {

namespace {

std::string Compiler() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "GCC " + std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
         std::to_string(__GNUC_PATCHLEVEL__);
#else
  return "unknown";
#endif
}

std::string BoostVersion() {
  return std::to_string(BOOST_VERSION / 100000) + "." + std::to_string(BOOST_VERSION / 100 % 1000) +
         "." + std::to_string(BOOST_VERSION % 100);
}

std::string Sanitizers() {
  std::string out;
#if defined(__SANITIZE_ADDRESS__)
  out += "address";
#endif
#if defined(__SANITIZE_THREAD__)
  out += out.empty() ? "thread" : ",thread";
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
  if (out.empty()) out = "address";
#endif
#endif
  return out.empty() ? "none" : out;
}

// Which allocator serves malloc: with mimalloc linked, a block from calloc must lie in mimalloc's
// heap (else another malloc won, by link order or LD_PRELOAD, and this says so).
std::string Allocator() {
#if defined(CAPSTAN_MIMALLOC)
  void* block = std::calloc(1, 64);
  const bool served = mi_is_in_heap_region(block);
  std::free(block);
  const int v = mi_version();  // 209 for 2.0.9
  if (!served) return "another malloc (mimalloc linked but not serving malloc)";
  return "mimalloc " + std::to_string(v / 100) + "." + std::to_string(v / 10 % 10) + "." +
         std::to_string(v % 10);
#else
  return Sanitizers() == "none" ? "glibc malloc" : "sanitizer malloc";
#endif
}

}  // namespace

core::json::object BuildInfo() {
  core::json::object o;
  o["version"] = CAPSTAN_VERSION;
  o["commit"] = CAPSTAN_BUILD_COMMIT;
  o["compiler"] = Compiler();
  o["boost"] = BoostVersion();
  o["openssl"] = OpenSSL_version(OPENSSL_VERSION);
  o["openssl_built_with"] = OPENSSL_VERSION_TEXT;
  o["event_backend"] = std::string(http::EventBackend());
  o["sanitizers"] = Sanitizers();
  o["allocator"] = Allocator();
  return o;
}

int RunVersion(const VersionArgs& args, std::ostream& out, std::ostream& /*err*/) {
  const std::string openssl_runtime = OpenSSL_version(OPENSSL_VERSION);
  const std::string openssl_built = OPENSSL_VERSION_TEXT;
  if (args.format == "json") {
    out << core::SerializeJson(BuildInfo()) << "\n";
    return kExitOk;
  }
  out << "capstan " << CAPSTAN_VERSION << "\n"
      << "commit:        " << CAPSTAN_BUILD_COMMIT << "\n"
      << "compiler:      " << Compiler() << "\n"
      << "boost:         " << BoostVersion() << "\n"
      << "openssl:       " << openssl_runtime;
  if (openssl_built != openssl_runtime) out << " (built with " << openssl_built << ")";
  out << "\n"
      << "event backend: " << http::EventBackend() << "\n"
      << "sanitizers:    " << Sanitizers() << "\n"
      << "allocator:     " << Allocator() << "\n";
  return kExitOk;
}

}  // namespace capstan::cli
