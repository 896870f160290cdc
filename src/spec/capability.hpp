// The Naftiko 1.0.0-alpha2 capability model: plain data mirroring naftiko-schema-1.0.0-alpha2.json,
// plus the generator-dialect fields capstan accepts (docs/capability-dialect.md). Built once by the
// loader, immutable afterwards, shared as std::shared_ptr<const Capability>.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/json.hpp"
#include "spec/diagnostic.hpp"

namespace capstan::spec {

namespace json = core::json;

// Every node has a `source` field: where it starts in its file. Schema fields called `location`
// (file:// URIs) keep that name. Field names are the schema's, in snake_case; `namespace` is `ns`.

enum class HttpMethod { kGet, kPost, kPut, kPatch, kDelete };
enum class ParameterIn { kQuery, kHeader, kPath, kCookie, kBody, kEnvironment };
enum class ValueType { kString, kNumber, kInteger, kBoolean, kArray, kObject };
enum class OutputRawFormat {
  kJson,
  kXml,
  kAvro,
  kProtobuf,
  kCsv,
  kTsv,
  kPsv,
  kYaml,
  kHtml,
  kMarkdown,
};
enum class McpTransport { kHttp, kStdio };
enum class ScriptLanguage { kJavascript, kPython, kGroovy };
enum class ApiKeyPlacement { kHeader, kQuery };
enum class TokenValidation { kJwks, kIntrospection };
enum class PromptRole { kUser, kAssistant };
enum class TracePropagation { kW3c, kB3 };

// ---- info and binds ---------------------------------------------------------------------------

struct Person {
  SourceLocation source;
  std::string role;
  std::string full_name;
  std::optional<std::string> email;
};

struct Info {
  SourceLocation source;
  std::string label;
  std::string description;
  std::vector<std::string> tags;
  std::optional<std::string> created;  // YYYY-MM-DD
  std::optional<std::string> modified;
  std::vector<Person> stakeholders;
};

struct BindingKey {
  SourceLocation source;
  std::string variable;      // the name used in templates: {{VARIABLE}}
  std::string provider_key;  // the env var name or the key in the bound file
};

struct Binding {
  SourceLocation source;
  std::string ns;
  std::optional<std::string> description;
  std::optional<std::string> location;  // URI; absent = environment variables
  std::vector<BindingKey> keys;
};

// ---- authentication (consumes and exposes) ----------------------------------------------------

struct AuthBasic {
  SourceLocation source;
  std::optional<std::string> username;
  std::optional<std::string> password;
};

struct AuthApiKey {
  SourceLocation source;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::optional<ApiKeyPlacement> placement;  // schema default: header
};

struct AuthBearer {
  SourceLocation source;
  std::optional<std::string> token;
};

struct AuthDigest {
  SourceLocation source;
  std::optional<std::string> username;
  std::optional<std::string> password;
};

struct AuthOAuth2 {
  SourceLocation source;
  std::string authorization_server_uri;
  std::string resource;
  std::vector<std::string> scopes;
  std::optional<std::string> audience;
  std::optional<std::string> token_endpoint;
  TokenValidation token_validation = TokenValidation::kJwks;
};

using Authentication = std::variant<AuthBasic, AuthApiKey, AuthBearer, AuthDigest, AuthOAuth2>;

// ---- shared pieces ----------------------------------------------------------------------------

// A `call` (consumesNamespace.operationName) or a `ref` (aggregateNamespace.functionName), with
// the position of the key that holds it.
struct Reference {
  SourceLocation source;
  std::string target;
};

// One `with` entry: consumed parameter name → string (static value, `{{template}}` or
// `namespace.input` reference) or number.
struct WithEntry {
  SourceLocation source;
  std::string key;
  json::value value;
};
using WithInjector = std::vector<WithEntry>;

// Output parameters of every flavour share one recursive shape:
// - mapped (simple mode): `type` + `mapping` (JSONPath) or `value`, object `properties` (their
//   names in `name`), array `items` (one element);
// - orchestrated (steps): `name` + `type`, object `properties`, array `items` (element fields);
// - mock: `name` + `type` + `value` (Mustache over inputs);
// - consumed: `name` + `type` + `value` (JSONPath).
struct OutputParameter {
  SourceLocation source;
  std::string name;  // empty for an unnamed mapped parameter
  ValueType type = ValueType::kString;
  std::optional<std::string> mapping;
  std::optional<std::string> value;
  std::optional<json::value> const_value;  // `const`
  std::vector<OutputParameter> properties;
  std::vector<OutputParameter> items;
  // Dialect: `{type: object, mapping: ...}` without `properties` passes the mapped node through.
  bool properties_declared = false;
};

struct StepOutputMapping {
  SourceLocation source;
  std::string target_name;  // dots nest: "route.from"
  std::string value;        // $.<step-name>.<field-path>
};

struct CallStep {
  SourceLocation source;
  std::string name;
  Reference call;  // consumesNamespace.operationName
  WithInjector with;
};

struct LookupStep {
  SourceLocation source;
  std::string name;
  std::string index;  // an earlier call step
  std::string match;  // key field in the indexed items
  std::string lookup_value;
  std::vector<std::string> output_parameters;
};

struct ScriptStep {
  SourceLocation source;
  std::string name;
  std::optional<ScriptLanguage> language;
  std::optional<std::string> location;  // file:/// directory
  std::string file;
  std::vector<std::string> dependencies;
  WithInjector with;
};

using OperationStep = std::variant<CallStep, LookupStep, ScriptStep>;

const std::string& StepName(const OperationStep& step);
const SourceLocation& StepSource(const OperationStep& step);

// ---- consumes -------------------------------------------------------------------------------

struct ConsumedInputParameter {
  SourceLocation source;
  std::string name;
  ParameterIn in = ParameterIn::kQuery;
  std::optional<std::string> value;
  // Dialect fields (not in the alpha2 schema; see docs/capability-dialect.md).
  std::optional<ValueType> type;
  std::optional<std::string> description;
  std::optional<bool> required;  // absent: false, except path parameters (always required)
};

struct MultipartPart {
  SourceLocation source;
  std::string name;
  std::string value;
  std::optional<std::string> filename;
  std::optional<std::string> content_type;
};

enum class RequestBodyType { kRaw, kJson, kText, kXml, kSparql, kFormUrlEncoded, kMultipartForm };

struct RequestBody {
  SourceLocation source;
  RequestBodyType type = RequestBodyType::kRaw;
  // kRaw/kText/kXml/kSparql: a string; kJson: string, object or array; kFormUrlEncoded: string or
  // object of strings; kMultipartForm: unused (see `parts`).
  json::value data;
  std::vector<MultipartPart> parts;
};

struct ConsumedHttpOperation {
  SourceLocation source;
  std::string name;
  std::optional<std::string> label;
  std::optional<std::string> description;
  HttpMethod method = HttpMethod::kGet;
  std::vector<ConsumedInputParameter> input_parameters;
  OutputRawFormat output_raw_format = OutputRawFormat::kJson;
  std::optional<std::string> output_schema;
  std::vector<OutputParameter> output_parameters;
  std::optional<RequestBody> body;
};

struct ConsumedHttpResource {
  SourceLocation source;
  std::string name;
  std::optional<std::string> label;
  std::optional<std::string> description;
  std::string path;  // appended to baseUri; may hold {{param}} / {param}
  std::vector<ConsumedInputParameter> input_parameters;
  std::vector<ConsumedHttpOperation> operations;
};

// An `ImportedConsumesHttp` entry: `location` + `import` (+ `as`).
struct ConsumesImport {
  SourceLocation source;
  std::string location;          // as written: relative path or file:// URI
  std::string import_namespace;  // the namespace inside the imported file
  std::optional<std::string> as;
  std::optional<std::string> description;
  std::string resolved_path;  // the file that was read (empty if it could not be resolved)
  bool resolved = false;
};

struct ConsumesHttp {
  SourceLocation source;
  std::string ns;  // for an import: the `as` alias, or the imported namespace
  std::optional<std::string> description;
  std::string base_uri;
  std::vector<ConsumedInputParameter> input_parameters;  // adapter level
  std::optional<Authentication> authentication;
  std::vector<ConsumedHttpResource> resources;
  std::optional<ConsumesImport> imported_from;  // set when the adapter came from another file
};

// ---- exposes: REST --------------------------------------------------------------------------

struct ExposedInputParameter {
  SourceLocation source;
  std::string name;
  ParameterIn in = ParameterIn::kQuery;  // never kEnvironment
  ValueType type = ValueType::kString;
  std::string description;
  std::optional<std::string> pattern;
  std::optional<std::string> value;  // constant, or $.JSONPath into the request body
};

struct ExposedOperation {
  SourceLocation source;
  std::optional<std::string> name;
  std::optional<std::string> label;
  std::optional<std::string> description;
  HttpMethod method = HttpMethod::kGet;
  std::vector<ExposedInputParameter> input_parameters;
  std::optional<Reference> ref;   // aggregateNamespace.functionName
  std::optional<Reference> call;  // consumesNamespace.operationName
  WithInjector with;
  std::vector<OutputParameter> output_parameters;
  std::vector<OperationStep> steps;
  std::vector<StepOutputMapping> mappings;
};

struct ForwardConfig {
  SourceLocation source;
  std::string target_namespace;
  std::vector<std::string> trusted_headers;
};

struct ExposedResource {
  SourceLocation source;
  std::string path;  // {p} or {{p}} placeholders
  std::optional<std::string> name;
  std::optional<std::string> label;
  std::optional<std::string> description;
  std::vector<ExposedInputParameter> input_parameters;
  std::vector<ExposedOperation> operations;
  std::optional<ForwardConfig> forward;
};

struct ExposesRest {
  SourceLocation source;
  std::optional<std::string> address;  // absent: 127.0.0.1 (capstan's default, see docs)
  int port = 0;
  std::string ns;
  std::optional<Authentication> authentication;
  std::vector<ExposedResource> resources;
  std::optional<std::string> description;  // dialect field
};

// ---- exposes: MCP ---------------------------------------------------------------------------

// Also the input parameter of aggregate functions.
struct McpToolInputParameter {
  SourceLocation source;
  std::string name;
  ValueType type = ValueType::kString;
  std::string description;
  bool required = true;
};

struct McpToolHints {
  SourceLocation source;
  std::optional<bool> read_only;    // default false
  std::optional<bool> destructive;  // default true
  std::optional<bool> idempotent;   // default false
  std::optional<bool> open_world;   // default true
};

struct McpTool {
  SourceLocation source;
  std::string name;
  std::optional<std::string> label;
  std::optional<std::string> description;
  std::vector<McpToolInputParameter> input_parameters;
  std::optional<Reference> ref;
  std::optional<Reference> call;
  WithInjector with;
  std::vector<OperationStep> steps;
  std::vector<StepOutputMapping> mappings;
  std::optional<McpToolHints> hints;
  std::vector<OutputParameter> output_parameters;
};

struct McpResource {
  SourceLocation source;
  std::string name;
  std::string label;
  std::string uri;  // {param} makes it a template
  std::string description;
  std::optional<std::string> mime_type;
  std::optional<Reference> call;
  WithInjector with;
  std::vector<OperationStep> steps;
  std::vector<StepOutputMapping> mappings;
  std::vector<OutputParameter> output_parameters;
  std::optional<std::string> location;  // file:/// static directory
};

struct McpPromptArgument {
  SourceLocation source;
  std::string name;
  std::optional<std::string> label;
  std::string description;
  bool required = true;
};

struct McpPromptMessage {
  SourceLocation source;
  PromptRole role = PromptRole::kUser;
  std::string content;  // {{argument}} placeholders
};

struct McpPrompt {
  SourceLocation source;
  std::string name;
  std::string label;
  std::string description;
  std::vector<McpPromptArgument> arguments;
  std::vector<McpPromptMessage> template_messages;  // `template`
  std::optional<std::string> location;              // file:///
};

struct ExposesMcp {
  SourceLocation source;
  McpTransport transport = McpTransport::kHttp;
  std::optional<std::string> address;  // absent: localhost
  std::optional<int> port;             // required for http, forbidden for stdio
  std::string ns;
  std::optional<std::string> description;  // sent as MCP `instructions`
  std::optional<Authentication> authentication;
  std::vector<McpTool> tools;
  std::vector<McpResource> resources;
  std::vector<McpPrompt> prompts;
};

// ---- exposes: skill -------------------------------------------------------------------------

struct SkillToolFrom {
  SourceLocation source;
  std::string source_namespace;  // a sibling rest or mcp adapter
  std::string action;            // its operation or tool name
};

struct SkillTool {
  SourceLocation source;
  std::string name;
  std::string description;
  std::optional<SkillToolFrom> from;
  std::optional<std::string> instruction;
};

struct ExposedSkill {
  SourceLocation source;
  std::string name;
  std::string description;
  std::optional<std::string> license;
  std::optional<std::string> compatibility;
  std::vector<std::pair<std::string, std::string>> metadata;
  std::optional<std::string> allowed_tools;
  std::optional<std::string> argument_hint;
  bool user_invocable = true;
  bool disable_model_invocation = false;
  std::optional<std::string> location;  // file:///
  std::vector<SkillTool> tools;
};

struct ExposesSkill {
  SourceLocation source;
  std::optional<std::string> address;
  int port = 0;
  std::string ns;
  std::optional<std::string> description;
  std::optional<Authentication> authentication;
  std::vector<ExposedSkill> skills;
};

// ---- exposes: control -----------------------------------------------------------------------

struct ControlLogs {
  SourceLocation source;
  bool enabled = false;  // `logs: true` or an object enables them
  bool level_control = true;
  bool stream = false;  // `logs: true` turns it on too
  int max_subscribers = 5;
};

struct ScriptingManagement {
  SourceLocation source;
  bool enabled = true;
  std::optional<std::string> default_location;
  std::optional<ScriptLanguage> default_language;
  std::int64_t timeout_ms = 60000;
  std::int64_t statement_limit = 100000;
  std::vector<ScriptLanguage> allowed_languages;
};

struct ControlManagement {
  SourceLocation source;
  bool health = true;
  bool info = false;
  bool reload = false;
  bool validate = false;
  ControlLogs logs;
  std::optional<ScriptingManagement> scripting;
};

struct TracesConfig {
  SourceLocation source;
  double sampling = 1.0;
  TracePropagation propagation = TracePropagation::kW3c;
  bool local_enabled = true;
  int local_buffer_size = 100;
};

struct Observability {
  SourceLocation source;
  bool enabled = true;
  bool metrics_local_enabled = true;
  TracesConfig traces;
  std::optional<std::string> otlp_endpoint;
};

struct ExposesControl {
  SourceLocation source;
  std::optional<std::string> address;  // absent: localhost
  int port = 0;
  std::optional<Authentication> authentication;
  std::optional<ControlManagement> management;
  std::optional<Observability> observability;
};

using Exposes = std::variant<ExposesRest, ExposesMcp, ExposesSkill, ExposesControl>;

// Returns the adapter's namespace ("" for control, which has none).
std::string_view ExposesNamespace(const Exposes& exposes);
const SourceLocation& ExposesSource(const Exposes& exposes);
// Returns "rest", "mcp", "skill" or "control".
std::string_view ExposesTypeName(const Exposes& exposes);

// ---- aggregates -----------------------------------------------------------------------------

struct Semantics {
  SourceLocation source;
  std::optional<bool> safe;
  std::optional<bool> idempotent;
  std::optional<bool> cacheable;
};

struct AggregateFunction {
  SourceLocation source;
  std::string name;
  std::string description;
  std::optional<Semantics> semantics;
  std::vector<McpToolInputParameter> input_parameters;
  std::optional<Reference> call;
  WithInjector with;
  std::vector<OperationStep> steps;
  std::vector<StepOutputMapping> mappings;
  std::vector<OutputParameter> output_parameters;
};

struct Aggregate {
  SourceLocation source;
  std::string label;
  std::string ns;
  std::vector<AggregateFunction> functions;
};

// ---- documents ------------------------------------------------------------------------------

// The `capability:` block.
struct CapabilityBody {
  SourceLocation source;
  std::vector<Binding> binds;  // parsed; the reference engine only resolves root binds
  std::vector<Exposes> exposes;
  std::vector<ConsumesHttp> consumes;   // inline adapters, then the resolved imports
  std::vector<ConsumesImport> imports;  // every import entry, resolved or not
  std::vector<Aggregate> aggregates;
};

// One capability file (or a shared consumer file, which has root `consumes` and no body).
struct Capability {
  SourceLocation source;
  std::string file;     // the path it was loaded from
  std::string naftiko;  // "1.0.0-alpha2"
  std::optional<Info> info;
  std::vector<Binding> binds;
  std::vector<ConsumesHttp> consumes;  // root (file-scope) adapters incl. resolved imports
  std::vector<ConsumesImport> imports;
  std::optional<CapabilityBody> capability;
};

// ---- lookups the runtime and the validator share ------------------------------------------

// Finds a consumes adapter by namespace: the capability's own first, then file-scope ones.
[[nodiscard]] const ConsumesHttp* FindConsumes(const Capability& capability, std::string_view ns);

struct ConsumedOperationRef {
  const ConsumesHttp* consumes = nullptr;
  const ConsumedHttpResource* resource = nullptr;
  const ConsumedHttpOperation* operation = nullptr;
};

// Resolves `call: namespace.operation` (the first operation of that name across the adapter's
// resources, as the reference engine does). Returns nullopt if either part is unknown.
[[nodiscard]] std::optional<ConsumedOperationRef> ResolveCall(const Capability& capability,
                                                              std::string_view call);

// Resolves `ref: aggregateNamespace.functionName`.
[[nodiscard]] const AggregateFunction* ResolveRef(const Capability& capability,
                                                  std::string_view ref);

// The directory that files named by a consumes adapter (outputSchema) are relative to: the
// imported file's when the adapter came from one, else the capability file's.
[[nodiscard]] std::string DeclaringDirectory(const Capability& capability, const ConsumesHttp& c);

// The schema file `outputSchema` names (a path, or a `file://` URI, where `file:///./x` is
// relative as in script locations): relative to `base_dir`
// first, then as given (the reference engine reads it from the working directory). nullopt
// when neither is a regular file.
// A `location` without its `file://` scheme: "file:///abs" → "/abs", "file:///./x" → "./x" (the
// dialect's relative form), anything else unchanged.
[[nodiscard]] std::string StripFileScheme(std::string_view location);

[[nodiscard]] std::optional<std::string> ResolveSchemaFile(std::string_view schema,
                                                           const std::string& base_dir);

std::string_view HttpMethodName(HttpMethod method);
std::string_view ParameterInName(ParameterIn in);
std::string_view ValueTypeName(ValueType type);

}  // namespace capstan::spec
