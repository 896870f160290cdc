#include "spec/loader.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "core/percent.hpp"
#include "spec/dialect.hpp"
#include "spec/model_builder.hpp"
#include "spec/rules.hpp"
#include "spec/schema_check.hpp"

namespace capstan::spec {
namespace {

namespace fs = std::filesystem;

struct FileText {
  std::string text;
  bool too_large = false;
  std::uintmax_t size = 0;
};

// Reads a whole file unless it is larger than `max_bytes`.
core::Result<FileText> ReadFile(const std::string& path, std::size_t max_bytes) {
  std::error_code ec;
  fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    return core::Fail(core::ErrorCode::kIo,
                      fmt::format("cannot read {}: {}", path,
                                  ec ? ec.message() : std::string("no such file or directory")));
  }
  if (fs::is_directory(status)) {
    return core::Fail(core::ErrorCode::kIo, fmt::format("cannot read {}: it is a directory", path));
  }
  FileText out;
  if (fs::is_regular_file(status)) {
    out.size = fs::file_size(path, ec);
    if (!ec && out.size > max_bytes) {
      out.too_large = true;
      return out;
    }
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return core::Fail(core::ErrorCode::kIo,
                      fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  }
  // Read at most max_bytes + 1 so that a growing or special file cannot exhaust memory.
  std::string text;
  char buffer[1 << 16];
  while (in && text.size() <= max_bytes) {
    in.read(buffer, sizeof buffer);
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) {
    return core::Fail(core::ErrorCode::kIo, fmt::format("cannot read {}: read error", path));
  }
  out.size = text.size();
  out.too_large = text.size() > max_bytes;
  out.text = std::move(text);
  return out;
}

Diagnostic TooLarge(const std::string& path, std::uintmax_t size, std::size_t max_bytes) {
  return Diagnostic{Severity::kError, SourceLocation{path, 1, 1},
                    fmt::format("file is {} bytes; the limit is {} bytes", size, max_bytes),
                    "yaml-too-large"};
}

struct ImportedFile {
  bool readable = false;
  std::string error;  // why it could not be read
  std::optional<YamlDocument> document;
};

class Loader {
 public:
  explicit Loader(const LoadOptions& options) : options_(options) {}

  LoadedCapability Load(std::string_view text, const std::string& path) {
    LoadedCapability result;
    YamlParseResult parsed = ParseYaml(text, path, options_.yaml);
    Append(std::move(parsed.diagnostics));
    if (!parsed.document) return Finish(std::move(result));
    const YamlDocument& doc = *parsed.document;
    if (!doc.root.is_object()) {
      Add(Diagnostic{Severity::kError, SourceLocation{path, 1, 1},
                     "a capability file must be a YAML mapping (naftiko, info, capability, ...)",
                     "document-not-mapping"});
      return Finish(std::move(result));
    }

    DialectOptions dialect_options;
    dialect_options.strict = options_.strict;
    DialectResult dialect = ApplyDialect(doc.root, doc.positions, dialect_options);
    Append(std::move(dialect.diagnostics));
    if (options_.check_schema) Append(CheckSchema(dialect.normalized, doc.positions));

    Capability capability = BuildCapability(doc.root, doc.positions);
    BindScope scope = CollectBindScope(capability);
    if (options_.resolve_imports) {
      std::string base_dir = fs::path(path).parent_path().string();
      ResolveImports(capability.imports, capability.consumes, base_dir, scope);
      if (capability.capability) {
        ResolveImports(capability.capability->imports, capability.capability->consumes, base_dir,
                       scope);
      }
    }
    // A shared consumer file alone (no capability, no binds) gets its variables from whoever
    // imports it: checking them here would only report noise.
    if (capability.capability || !scope.variables.empty()) {
      Append(CheckBindReferences(doc.root, doc.positions, scope));
    }
    Append(CheckRules(capability));
    result.capability = std::make_shared<const Capability>(std::move(capability));
    return Finish(std::move(result));
  }

 private:
  LoadedCapability Finish(LoadedCapability result) {
    result.diagnostics = std::move(diagnostics_);
    SortDiagnostics(result.diagnostics);
    return result;
  }

  void Add(Diagnostic diagnostic) { diagnostics_.push_back(std::move(diagnostic)); }
  void Append(Diagnostics more) {
    for (Diagnostic& d : more) diagnostics_.push_back(std::move(d));
  }

  // Maps an import `location` to a file path: plain paths and file:// URIs, relative ones against
  // the directory of the importing file ("file:///./shared/x.yaml" is relative, as in the
  // tutorial). Returns nullopt for other schemes.
  static std::optional<std::string> ResolveLocation(const std::string& location,
                                                    const std::string& base_dir) {
    std::string raw = location;
    constexpr std::string_view kFileScheme = "file://";
    if (raw.rfind(kFileScheme, 0) == 0) {
      raw = raw.substr(kFileScheme.size());
      auto decoded = core::PercentDecode(raw);
      if (!decoded) return std::nullopt;
      raw = std::move(*decoded);
      if (raw.rfind("/./", 0) == 0 || raw.rfind("/../", 0) == 0) raw = raw.substr(1);
    } else {
      std::size_t colon = raw.find("://");
      if (colon != std::string::npos && colon > 0) return std::nullopt;
    }
    fs::path p(raw);
    if (p.is_relative() && !base_dir.empty()) p = fs::path(base_dir) / p;
    return p.lexically_normal().string();
  }

  const ImportedFile& ReadImported(const std::string& path, const BindScope& scope) {
    auto it = imported_.find(path);
    if (it != imported_.end()) return it->second;
    ImportedFile& file = imported_[path];
    auto text = ReadFile(path, options_.yaml.max_bytes);
    if (!text) {
      file.error = text.error().message;
      return file;
    }
    file.readable = true;
    if (text->too_large) {
      Add(TooLarge(path, text->size, options_.yaml.max_bytes));
      return file;
    }
    YamlParseResult parsed = ParseYaml(text->text, path, options_.yaml);
    Append(std::move(parsed.diagnostics));
    if (!parsed.document) return file;
    if (!parsed.document->root.is_object()) {
      Add(Diagnostic{Severity::kError, SourceLocation{path, 1, 1},
                     "an imported consumer file must be a YAML mapping (naftiko, consumes)",
                     "document-not-mapping"});
      return file;
    }
    DialectOptions dialect_options;
    dialect_options.strict = options_.strict;
    dialect_options.bind_namespaces = scope.namespaces;
    DialectResult dialect =
        ApplyDialect(parsed.document->root, parsed.document->positions, dialect_options);
    Append(std::move(dialect.diagnostics));
    if (options_.check_schema) {
      Append(CheckSchema(dialect.normalized, parsed.document->positions));
    }
    Append(CheckBindReferences(parsed.document->root, parsed.document->positions, scope));
    file.document = std::move(parsed.document);
    return file;
  }

  void ResolveImports(std::vector<ConsumesImport>& imports, std::vector<ConsumesHttp>& consumes,
                      const std::string& base_dir, const BindScope& scope) {
    for (ConsumesImport& import : imports) {
      std::optional<std::string> path = ResolveLocation(import.location, base_dir);
      if (!path) {
        Add(Diagnostic{Severity::kError, import.source,
                       fmt::format("import location \"{}\" is not a file path or file:// URI",
                                   import.location),
                       "import-location-unsupported"});
        continue;
      }
      const ImportedFile& file = ReadImported(*path, scope);
      if (!file.readable) {
        Add(Diagnostic{Severity::kError, import.source,
                       fmt::format("cannot import \"{}\" from \"{}\": {}", import.import_namespace,
                                   import.location, file.error),
                       "import-file-missing"});
        continue;
      }
      if (!file.document) continue;  // its own diagnostics say why
      std::optional<ConsumesHttp> adapter = FindAdapter(*file.document, import.import_namespace);
      if (!adapter) {
        Add(Diagnostic{
            Severity::kError, import.source,
            fmt::format("\"{}\" has no consumes adapter with namespace \"{}\" (it has: {})",
                        import.location, import.import_namespace, AdapterNames(*file.document)),
            "import-namespace-missing"});
        continue;
      }
      import.resolved = true;
      import.resolved_path = *path;
      adapter->ns = import.as.value_or(import.import_namespace);
      adapter->imported_from = import;
      consumes.push_back(std::move(*adapter));
    }
  }

  template <typename F>
  static void ForEachAdapter(const YamlDocument& doc, F&& f) {
    auto scan = [&](const json::object& o, const std::string& pointer) {
      auto it = o.find("consumes");
      if (it == o.end() || !it->value().is_array()) return;
      const json::array& arr = it->value().as_array();
      std::string base = JoinPointer(pointer, "consumes");
      for (std::size_t i = 0; i < arr.size(); ++i) {
        const json::object* item = arr[i].if_object();
        if (item == nullptr || !item->contains("namespace")) continue;
        f(*item, JoinPointer(base, i));
      }
    };
    const json::object& root = doc.root.as_object();
    scan(root, "");
    auto body = root.find("capability");
    if (body != root.end() && body->value().is_object()) {
      scan(body->value().as_object(), "/capability");
    }
  }

  static std::optional<ConsumesHttp> FindAdapter(const YamlDocument& doc, const std::string& ns) {
    std::optional<ConsumesHttp> found;
    ForEachAdapter(doc, [&](const json::object& item, const std::string& pointer) {
      auto it = item.find("namespace");
      if (found || !it->value().is_string() || it->value().as_string() != ns) return;
      found = BuildConsumesHttp(item, pointer, doc.positions);
    });
    return found;
  }

  static std::string AdapterNames(const YamlDocument& doc) {
    std::string out;
    ForEachAdapter(doc, [&](const json::object& item, const std::string&) {
      auto it = item.find("namespace");
      if (!it->value().is_string()) return;
      if (!out.empty()) out += ", ";
      out += std::string(it->value().as_string());
    });
    return out.empty() ? std::string("none") : out;
  }

  const LoadOptions& options_;
  Diagnostics diagnostics_;
  std::map<std::string, ImportedFile> imported_;
};

}  // namespace

core::Result<LoadedCapability> LoadCapability(const std::string& path, const LoadOptions& options) {
  CAPSTAN_ASSIGN_OR_RETURN(FileText file, ReadFile(path, options.yaml.max_bytes));
  if (file.too_large) {
    LoadedCapability result;
    result.diagnostics.push_back(TooLarge(path, file.size, options.yaml.max_bytes));
    return result;
  }
  return Loader(options).Load(file.text, path);
}

LoadedCapability LoadCapabilityFromString(std::string_view text, const std::string& path,
                                          const LoadOptions& options) {
  return Loader(options).Load(text, path);
}

}  // namespace capstan::spec
