#include "cli/commands.hpp"

#include <fmt/format.h>

#include "core/json.hpp"
#include "spec/loader.hpp"

namespace capstan::cli {

int RunValidate(const ValidateArgs& args, std::ostream& out, std::ostream& err) {
  spec::LoadOptions options;
  options.strict = args.strict;
  spec::Diagnostics all;
  bool io_error = false;
  for (const std::string& file : args.files) {
    auto loaded = spec::LoadCapability(file, options);
    if (!loaded) {
      err << "capstan validate: " << loaded.error().message << '\n';
      io_error = true;
      continue;
    }
    for (spec::Diagnostic& d : loaded->diagnostics) all.push_back(std::move(d));
  }
  spec::SortDiagnostics(all);

  std::size_t errors = 0;
  std::size_t warnings = 0;
  for (const spec::Diagnostic& d : all) {
    (d.severity == spec::Severity::kError ? errors : warnings) += 1;
  }

  if (args.format == "json") {
    core::json::array array;
    for (const spec::Diagnostic& d : all) {
      core::json::object o;
      o["file"] = d.location.file;
      o["line"] = d.location.line;
      o["column"] = d.location.column;
      o["severity"] = std::string(spec::SeverityName(d.severity));
      o["message"] = d.message;
      o["rule"] = d.rule_id;
      array.push_back(std::move(o));
    }
    out << core::SerializeJson(array) << '\n';
  } else {
    for (const spec::Diagnostic& d : all) {
      out << fmt::format("{}:{}:{}: {}: {} [{}]\n", d.location.file, d.location.line,
                         d.location.column, spec::SeverityName(d.severity), d.message, d.rule_id);
    }
    err << fmt::format("capstan validate: {} file(s), {} error(s), {} warning(s)\n",
                       args.files.size(), errors, warnings);
  }
  if (io_error) return kExitUsage;
  return errors > 0 ? kExitInvalid : kExitOk;
}

std::shared_ptr<const spec::Capability> LoadOrReport(const std::string& file, std::ostream& err) {
  auto loaded = spec::LoadCapability(file);
  if (!loaded) {
    err << "capstan: " << loaded.error().message << "\n";
    return nullptr;
  }
  for (const spec::Diagnostic& d : loaded->diagnostics) {
    if (d.severity == spec::Severity::kError) {
      err << d.location.file << ":" << d.location.line << ":" << d.location.column
          << ": error: " << d.message << " [" << d.rule_id << "]\n";
    }
  }
  if (!loaded->ok()) {
    err << "capstan: " << file << " has errors; run `capstan validate " << file << "`\n";
    return nullptr;
  }
  return loaded->capability;
}

}  // namespace capstan::cli
