#include "script/internal/duktape_engine.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <pthread.h>
#include <time.h>

#include "core/utf8.hpp"
#include "duktape.h"

static_assert(DUK_VERSION == 20700L, "see script/internal/duk_overrides.h");

namespace capstan::script::internal {
namespace {

namespace json = core::json;
using core::ErrorCode;

// Bytecode instructions between two interrupts: small enough that even the costliest single
// instructions (comparing two strings of tens of megabytes takes a few milliseconds) cannot
// carry a script far past its deadline, large enough to cost nothing measurable (a coarse clock
// read, 4-5 ns, per 256 instructions).
constexpr duk_int_t kInterruptInterval = 256;
// Allocations from this size up check the deadline: large ones are where native code
// (string building, array growth, compiling an eval'ed text) spends its time.
constexpr std::size_t kLargeAllocation = 64 * 1024;
// Nesting of the JSON that goes in and comes out (core::ParseJson's default).
constexpr int kMaxDepth = 256;
constexpr std::size_t kMaxMessageBytes = 1024;

// C stack. Every deep recursion in Duktape calls the native check, which stops it at the floor,
// except the compiler's (1000 levels, duk_overrides.h); the reserve below the floor covers that
// and the error handling that runs after a RangeError. Sanitizers and -O0 grow frames ~4×.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || !defined(__OPTIMIZE__)
constexpr std::size_t kStackScale = 4;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr std::size_t kStackScale = 4;
#else
constexpr std::size_t kStackScale = 1;
#endif
#else
constexpr std::size_t kStackScale = 1;
#endif
constexpr std::size_t kStackReserve = kStackScale * (1 << 20);
// A run needs this much stack below its entry; with less (a small thread stack) it runs on a
// thread of its own with kHelperStack.
constexpr std::size_t kMinStack = kStackReserve + kStackScale * (1 << 20);
constexpr std::size_t kHelperStack = kStackReserve + kStackScale * (3 << 20);

std::int64_t CoarseNowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::uintptr_t FrameAddress() {
  return reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
}

enum class Stop { kNone, kTimeout, kInstructions };

// Everything the hooks of one heap need; Duktape passes it back as the heap's udata.
struct RunState {
  std::int64_t deadline_ns = std::numeric_limits<std::int64_t>::max();
  std::int64_t instruction_budget = std::numeric_limits<std::int64_t>::max();
  std::int64_t executed = 0;
  std::size_t memory_cap = 0;
  std::size_t memory_used = 0;
  bool memory_refused = false;
  std::uintptr_t stack_floor = 0;
  Stop stop = Stop::kNone;

  bool PastDeadline() {
    if (stop == Stop::kNone && CoarseNowNs() >= deadline_ns) stop = Stop::kTimeout;
    return stop != Stop::kNone;
  }
};

// ---- the heap's allocator: a byte cap over malloc, with the block size in a header ----

constexpr std::size_t kHeader = alignof(std::max_align_t);

std::size_t& BlockSize(void* user) {
  return *reinterpret_cast<std::size_t*>(static_cast<char*>(user) - kHeader);
}

// Whether a block may grow from `old_size` to `new_size` bytes (both without header).
bool Admit(RunState& s, std::size_t old_size, std::size_t new_size, bool fresh) {
  if (new_size <= old_size) return true;
  std::size_t grow = new_size - old_size + (fresh ? kHeader : 0);
  if (grow >= kLargeAllocation && s.PastDeadline()) return false;
  if (grow > s.memory_cap - std::min(s.memory_cap, s.memory_used)) {
    s.memory_refused = true;
    return false;
  }
  return true;
}

void* Allocate(void* udata, duk_size_t size) {
  auto& s = *static_cast<RunState*>(udata);
  if (size == 0 || !Admit(s, 0, size, true)) return nullptr;  // Duktape accepts NULL for 0
  void* block = std::malloc(size + kHeader);
  if (block == nullptr) {
    s.memory_refused = true;
    return nullptr;
  }
  void* user = static_cast<char*>(block) + kHeader;
  BlockSize(user) = size;
  s.memory_used += size + kHeader;
  return user;
}

void Release(void* udata, void* user) {
  if (user == nullptr) return;
  auto& s = *static_cast<RunState*>(udata);
  s.memory_used -= BlockSize(user) + kHeader;
  std::free(static_cast<char*>(user) - kHeader);
}

void* Reallocate(void* udata, void* user, duk_size_t size) {
  if (user == nullptr) return Allocate(udata, size);
  if (size == 0) {  // Duktape's contract: free, and NULL is success
    Release(udata, user);
    return nullptr;
  }
  auto& s = *static_cast<RunState*>(udata);
  std::size_t old_size = BlockSize(user);
  if (!Admit(s, old_size, size, false)) return nullptr;
  void* block = std::realloc(static_cast<char*>(user) - kHeader, size + kHeader);
  if (block == nullptr) {
    s.memory_refused = true;
    return nullptr;
  }
  void* moved = static_cast<char*>(block) + kHeader;
  BlockSize(moved) = size;
  s.memory_used = s.memory_used - old_size + size;
  return moved;
}

// Duktape calls the fatal handler only for an error outside every protected call, which capstan
// never makes; should it happen anyway, the run fails and its heap is leaked rather than
// touched again (bounded by the memory cap).
struct DuktapeFatal {
  std::string message;
};
[[noreturn]] void OnFatal(void* /*udata*/, const char* message) {
  throw DuktapeFatal{message != nullptr ? message : "fatal error"};
}

class Heap {
 public:
  explicit Heap(RunState& state)
      : ctx_(duk_create_heap(Allocate, Reallocate, Release, &state, OnFatal)) {}
  ~Heap() {
    if (ctx_ == nullptr || abandoned_) return;
    try {
      duk_destroy_heap(ctx_);
    } catch (...) {  // NOLINT(bugprone-empty-catch): a fatal error while freeing: leak instead
    }
  }
  Heap(const Heap&) = delete;
  Heap& operator=(const Heap&) = delete;

  duk_context* ctx() const { return ctx_; }
  void Abandon() { abandoned_ = true; }

 private:
  duk_context* ctx_;
  bool abandoned_ = false;
};

// ---- text: Duktape keeps strings as CESU-8 (a non-BMP character is two 3-byte surrogates) ----

void AppendCodePoint(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

constexpr std::uint32_t kReplacement = 0xFFFD;

// Decodes one UTF-8 sequence at `s[i]` as Duktape writes it: well-formed UTF-8, except that
// surrogates (U+D800-U+DFFF) are allowed, and code points past U+10FFFF are rejected. Returns
// the code point and its length, or kReplacement with length 1 for a byte that starts nothing.
std::pair<std::uint32_t, std::size_t> DecodeAt(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b = byte(i);
  if (b < 0x80) return {b, 1};
  std::size_t len = 0;
  std::uint32_t cp = 0;
  std::uint32_t min = 0;
  if (b >= 0xC2 && b <= 0xDF) {
    len = 2, cp = b & 0x1F, min = 0x80;
  } else if (b >= 0xE0 && b <= 0xEF) {
    len = 3, cp = b & 0x0F, min = 0x800;
  } else if (b >= 0xF0 && b <= 0xF4) {
    len = 4, cp = b & 0x07, min = 0x10000;
  } else {
    return {kReplacement, 1};
  }
  if (i + len > s.size()) return {kReplacement, 1};
  for (std::size_t k = 1; k < len; ++k) {
    unsigned char c = byte(i + k);
    if ((c & 0xC0) != 0x80) return {kReplacement, 1};
    cp = (cp << 6) | (c & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF) return {kReplacement, 1};
  return {cp, len};
}

// Appends a Duktape string as well-formed UTF-8: surrogate pairs become one 4-byte character,
// lone surrogates and bytes that are not UTF-8 (a string made from a buffer) become U+FFFD.
void AppendFromDuktape(std::string& out, std::string_view s) {
  if (std::all_of(s.begin(), s.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    out.append(s);
    return;
  }
  out.reserve(out.size() + s.size());
  for (std::size_t i = 0; i < s.size();) {
    auto [cp, len] = DecodeAt(s, i);
    i += len;
    if (cp >= 0xD800 && cp <= 0xDBFF && i < s.size()) {
      auto [low, low_len] = DecodeAt(s, i);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        i += low_len;
      }
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = kReplacement;
    AppendCodePoint(out, cp);
  }
}

std::string FromDuktape(std::string_view s) {
  std::string out;
  AppendFromDuktape(out, s);
  return out;
}

// Pushes UTF-8 text as a Duktape string: ill-formed parts as U+FFFD, non-BMP characters as
// surrogate pairs, so that `length`, indexing and comparisons follow ECMAScript.
void PushText(duk_context* ctx, std::string_view text) {
  std::string repaired;
  if (core::FindInvalidUtf8(text) != std::string_view::npos) {
    core::AppendValidUtf8(repaired, text);
    text = repaired;
  }
  if (std::none_of(text.begin(), text.end(),
                   [](char c) { return static_cast<unsigned char>(c) >= 0xF0; })) {
    duk_push_lstring(ctx, text.data(), text.size());
    return;
  }
  std::string cesu;
  cesu.reserve(text.size() + text.size() / 2);
  for (std::size_t i = 0; i < text.size();) {
    auto [cp, len] = DecodeAt(text, i);
    i += len;
    if (cp >= 0x10000) {
      AppendCodePoint(cesu, 0xD800 + ((cp - 0x10000) >> 10));
      AppendCodePoint(cesu, 0xDC00 + ((cp - 0x10000) & 0x3FF));
    } else {
      AppendCodePoint(cesu, cp);
    }
  }
  duk_push_lstring(ctx, cesu.data(), cesu.size());
}

std::string_view GetText(duk_context* ctx, duk_idx_t idx) {
  duk_size_t len = 0;
  const char* p = duk_get_lstring(ctx, idx, &len);
  return p == nullptr ? std::string_view() : std::string_view(p, len);
}

// Cuts `text` to at most `max` bytes at a character boundary.
std::string Truncate(std::string text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  text += "…";
  return text;
}

// ---- JSON in ----

bool DeeperThan(const json::value& v, int limit) {
  if (limit < 0) return true;
  if (const auto* a = v.if_array()) {
    return std::any_of(a->begin(), a->end(),
                       [&](const json::value& x) { return DeeperThan(x, limit - 1); });
  }
  if (const auto* o = v.if_object()) {
    return std::any_of(o->begin(), o->end(), [&](const json::key_value_pair& kv) {
      return DeeperThan(kv.value(), limit - 1);
    });
  }
  return false;
}

void PushJson(duk_context* ctx, const json::value& v) {
  duk_require_stack(ctx, 4);
  switch (v.kind()) {
    case json::kind::null:
      duk_push_null(ctx);
      return;
    case json::kind::bool_:
      duk_push_boolean(ctx, v.get_bool() ? 1 : 0);
      return;
    case json::kind::int64:
      duk_push_number(ctx, static_cast<double>(v.get_int64()));
      return;
    case json::kind::uint64:
      duk_push_number(ctx, static_cast<double>(v.get_uint64()));
      return;
    case json::kind::double_:
      duk_push_number(ctx, v.get_double());
      return;
    case json::kind::string:
      PushText(ctx, v.get_string());
      return;
    case json::kind::array: {
      duk_push_array(ctx);
      duk_uarridx_t i = 0;
      for (const json::value& item : v.get_array()) {
        PushJson(ctx, item);
        duk_put_prop_index(ctx, -2, i++);
      }
      return;
    }
    case json::kind::object:
      duk_push_object(ctx);
      for (const json::key_value_pair& kv : v.get_object()) {
        PushText(ctx, kv.key());
        PushJson(ctx, kv.value());
        // Defined, not assigned: a "__proto__" key becomes an own property, as with JSON.parse.
        duk_def_prop(ctx, -3,
                     DUK_DEFPROP_HAVE_VALUE | DUK_DEFPROP_SET_WRITABLE |
                         DUK_DEFPROP_SET_ENUMERABLE | DUK_DEFPROP_SET_CONFIGURABLE);
      }
      return;
  }
}

// ---- JSON out ----

std::size_t JsonStringSize(std::string_view s) {
  std::size_t n = 2;
  for (char c : s) {
    auto b = static_cast<unsigned char>(c);
    if (b == '"' || b == '\\' || b == '\b' || b == '\f' || b == '\n' || b == '\r' || b == '\t') {
      n += 2;
    } else if (b < 0x20) {
      n += 6;
    } else {
      n += 1;
    }
  }
  return n;
}

template <typename T>
std::size_t CharsSize(T x) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  return ec == std::errc() ? static_cast<std::size_t>(end - buf) : sizeof buf;
}

// Converts the script's result to JSON, value by value. Everything runs inside the protected
// call, under the run's limits: getters and Proxy traps are script code.
class ResultReader {
 public:
  ResultReader(duk_context* ctx, RunState& state, std::size_t max_bytes)
      : ctx_(ctx), state_(state), max_bytes_(max_bytes) {}

  // Returns false on a failure: error() tells it, unless the run was stopped by a limit.
  bool Read(duk_idx_t idx, json::value& out, int depth) {
    idx = duk_normalize_index(ctx_, idx);
    duk_require_stack(ctx_, 4);
    if ((++reads_ & 1023) == 0 && state_.PastDeadline()) return false;
    if (FrameAddress() < state_.stack_floor)
      return Fail(ErrorCode::kInvalidArgument, "nests too deeply");
    switch (duk_get_type(ctx_, idx)) {
      case DUK_TYPE_NONE:
      case DUK_TYPE_UNDEFINED:
      case DUK_TYPE_NULL:
        out = nullptr;
        return Charge(4);
      case DUK_TYPE_BOOLEAN:
        out = duk_get_boolean(ctx_, idx) != 0;
        return Charge(5);
      case DUK_TYPE_NUMBER:
        return ReadNumber(duk_get_number(ctx_, idx), out);
      case DUK_TYPE_STRING: {
        if (duk_is_symbol(ctx_, idx)) return Fail(ErrorCode::kInvalidArgument, "is a symbol");
        std::string text = FromDuktape(GetText(ctx_, idx));
        if (!Charge(JsonStringSize(text))) return false;
        out = json::string(text);
        return true;
      }
      case DUK_TYPE_OBJECT:
      case DUK_TYPE_BUFFER:
      case DUK_TYPE_LIGHTFUNC:
        return ReadObject(idx, out, depth);
      default:
        return Fail(ErrorCode::kInvalidArgument, "is not a JSON value");
    }
  }

  const std::optional<core::Error>& error() const { return error_; }

 private:
  struct Step {
    std::string_view key;  // points into a Duktape string that stays on the stack meanwhile
    std::uint64_t index = 0;
    bool is_index = false;
  };

  bool ReadNumber(double d, json::value& out) {
    if (!std::isfinite(d)) {  // as JSON.stringify writes NaN and the infinities
      out = nullptr;
      return Charge(4);
    }
    if (d == std::trunc(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
      auto i = static_cast<std::int64_t>(d);  // -0 becomes 0
      out = i;
      return Charge(CharsSize(i));
    }
    out = d;
    return Charge(CharsSize(d));
  }

  bool ReadObject(duk_idx_t idx, json::value& out, int depth) {
    if (duk_is_function(ctx_, idx)) return Fail(ErrorCode::kInvalidArgument, "is a function");
    if (depth >= kMaxDepth) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("nests deeper than {} levels", kMaxDepth));
    }
    void* self = duk_get_heapptr(ctx_, idx);
    if (std::find(ancestors_.begin(), ancestors_.end(), self) != ancestors_.end()) {
      return Fail(ErrorCode::kInvalidArgument, "refers back to an enclosing value (a cycle)");
    }
    ancestors_.push_back(self);
    bool ok =
        duk_is_array(ctx_, idx) ? ReadArray(idx, out, depth) : ReadProperties(idx, out, depth);
    ancestors_.pop_back();
    return ok;
  }

  bool ReadArray(duk_idx_t idx, json::value& out, int depth) {
    json::array& array = out.emplace_array();
    if (!Charge(2)) return false;
    auto length = static_cast<std::uint64_t>(duk_get_length(ctx_, idx));
    for (std::uint64_t i = 0; i < length; ++i) {
      if (i > 0 && !Charge(1)) return false;
      duk_get_prop_index(ctx_, idx, static_cast<duk_uarridx_t>(i));
      path_.push_back({.key = {}, .index = i, .is_index = true});
      json::value item;
      bool ok = Read(-1, item, depth + 1);
      path_.pop_back();
      duk_pop(ctx_);
      if (!ok) return false;
      array.push_back(std::move(item));
    }
    return true;
  }

  bool ReadProperties(duk_idx_t idx, json::value& out, int depth) {
    json::object& object = out.emplace_object();
    if (!Charge(2)) return false;
    duk_enum(ctx_, idx, DUK_ENUM_OWN_PROPERTIES_ONLY);
    bool first = true;
    while (duk_next(ctx_, -1, 1) != 0) {  // pushes the key and the value (getters run)
      std::string key = FromDuktape(GetText(ctx_, -2));
      if (!Charge(JsonStringSize(key) + (first ? 1 : 2))) return false;
      first = false;
      path_.push_back({.key = GetText(ctx_, -2), .index = 0, .is_index = false});
      json::value value;
      bool ok = Read(-1, value, depth + 1);
      path_.pop_back();
      duk_pop_2(ctx_);
      if (!ok) return false;
      object.insert_or_assign(key, std::move(value));
    }
    duk_pop(ctx_);  // the enumerator
    return true;
  }

  bool Charge(std::size_t bytes) {
    size_ += bytes;
    if (size_ <= max_bytes_) return true;
    return Fail(ErrorCode::kPayloadTooLarge,
                fmt::format("is larger than the output limit ({} bytes)", max_bytes_));
  }

  // Fails with "script result is not JSON: $.a[2] is a function" (or the output limit).
  bool Fail(ErrorCode code, std::string_view what) {
    if (code == ErrorCode::kPayloadTooLarge) {
      error_ = core::Error{code, fmt::format("script result {}", what)};
      return false;
    }
    std::string path = "$";
    for (const Step& step : path_) {
      if (step.is_index) {
        path += fmt::format("[{}]", step.index);
        continue;
      }
      std::string key = FromDuktape(step.key);
      bool plain = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
      });
      path += plain ? "." + key : "['" + Truncate(key, 64) + "']";
    }
    error_ = core::Error{code, fmt::format("script result is not JSON: {} {}", path, what)};
    return false;
  }

  duk_context* ctx_;
  RunState& state_;
  std::size_t max_bytes_;
  std::size_t size_ = 0;
  std::uint64_t reads_ = 0;
  std::vector<void*> ancestors_;
  std::vector<Step> path_;
  std::optional<core::Error> error_;
};

// ---- the protected calls ----

duk_ret_t Discard(duk_context* /*ctx*/) { return 0; }

// Leaves ECMAScript's builtins (and Duktape's pure ones: CBOR, TextEncoder/TextDecoder, Node's
// Buffer, performance.now) and removes the `Duktape` object (finalizers, coroutines, internals).
// `console.*` and `print` exist, as in GraalJS, and discard what they are given.
void PrepareGlobals(duk_context* ctx) {
  duk_push_global_object(ctx);
  duk_del_prop_string(ctx, -1, "Duktape");
  duk_push_c_function(ctx, Discard, DUK_VARARGS);
  duk_put_prop_string(ctx, -2, "print");
  duk_push_object(ctx);
  for (const char* name : {"log", "info", "warn", "error", "debug", "trace"}) {
    duk_push_c_function(ctx, Discard, DUK_VARARGS);
    duk_put_prop_string(ctx, -2, name);
  }
  duk_put_prop_string(ctx, -2, "console");
  duk_pop(ctx);
}

// Compiles `source` as global code and leaves the function on the stack.
void Compile(duk_context* ctx, const Script::Source& source) {
  PushText(ctx, source.name);
  duk_compile_lstring_filename(ctx, 0, source.text.data(), source.text.size());
}

struct Job {
  const std::vector<Script::Source>* sources = nullptr;
  const json::object* input = nullptr;
  RunState* state = nullptr;
  std::size_t max_output_bytes = 0;
  bool run = true;  // false: compile only
  std::optional<json::value> result;
  std::optional<core::Error> host_error;
};

duk_ret_t RunJob(duk_context* ctx, void* udata) {
  Job& job = *static_cast<Job*>(udata);
  if (!job.run) {
    for (const Script::Source& source : *job.sources) {
      Compile(ctx, source);
      duk_pop(ctx);
    }
    return 0;
  }
  PrepareGlobals(ctx);
  duk_push_global_object(ctx);
  duk_push_object(ctx);
  for (const json::key_value_pair& kv : *job.input) {
    PushText(ctx, kv.key());
    PushJson(ctx, kv.value());
    duk_def_prop(ctx, -3,
                 DUK_DEFPROP_HAVE_VALUE | DUK_DEFPROP_SET_WRITABLE | DUK_DEFPROP_SET_ENUMERABLE |
                     DUK_DEFPROP_SET_CONFIGURABLE);
  }
  duk_put_prop_string(ctx, -2, "context");
  for (const Script::Source& source : *job.sources) {
    Compile(ctx, source);
    duk_call(ctx, 0);
    duk_pop(ctx);
  }
  if (duk_get_prop_string(ctx, -1, "result") == 0) return 0;  // never assigned
  ResultReader reader(ctx, *job.state, job.max_output_bytes);
  json::value result;
  if (reader.Read(-1, result, 0)) {
    job.result = std::move(result);
  } else if (reader.error()) {
    job.host_error = reader.error();
  }
  return 0;
}

struct ErrorText {
  std::string text;
  std::string name;
  std::string message;
};

std::string SafeString(duk_context* ctx, duk_idx_t idx) {
  return FromDuktape(duk_safe_to_string(ctx, idx) != nullptr ? GetText(ctx, idx) : "");
}

// Reads the thrown value at the stack top: "lib/x.js:3: TypeError: message" for an Error,
// "uncaught exception: <value>" for anything else.
duk_ret_t DescribeThrown(duk_context* ctx, void* udata) {
  auto& out = *static_cast<ErrorText*>(udata);
  duk_idx_t e = duk_normalize_index(ctx, -1);
  if (!duk_is_error(ctx, e)) {
    duk_dup(ctx, e);
    out.text = "uncaught exception: " + SafeString(ctx, -1);
    return 0;
  }
  duk_get_prop_string(ctx, e, "name");
  out.name = SafeString(ctx, -1);
  duk_get_prop_string(ctx, e, "message");
  out.message = SafeString(ctx, -1);
  std::string file;
  if (duk_get_prop_string(ctx, e, "fileName") != 0 && duk_is_string(ctx, -1)) {
    file = SafeString(ctx, -1);
  }
  std::int64_t line = 0;
  if (duk_get_prop_string(ctx, e, "lineNumber") != 0 && duk_is_number(ctx, -1)) {
    double d = duk_get_number(ctx, -1);
    if (d >= 1 && d < 1e9) line = static_cast<std::int64_t>(d);
  }
  std::string message = out.message;
  // SyntaxErrors say "(line N)" themselves; the prefix says it once.
  std::string own = fmt::format(" (line {})", line);
  if (line > 0 && message.size() >= own.size() &&
      message.compare(message.size() - own.size(), own.size(), own) == 0) {
    message.resize(message.size() - own.size());
  }
  std::string where;
  if (!file.empty()) where = line > 0 ? fmt::format("{}:{}: ", file, line) : file + ": ";
  out.text =
      where + (out.name.empty() ? "Error" : out.name) + (message.empty() ? "" : ": " + message);
  return 0;
}

// The stack of the calling thread: [low, high). Cached per thread: for the main thread glibc
// finds it by reading /proc/self/maps, which costs more than a whole small run.
bool CurrentStack(std::uintptr_t& low, std::uintptr_t& high) {
  thread_local std::uintptr_t cached_low = 0;
  thread_local std::uintptr_t cached_high = 0;
  if (cached_high == 0) {
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) != 0) return false;
    void* addr = nullptr;
    std::size_t size = 0;
    bool ok = pthread_attr_getstack(&attr, &addr, &size) == 0;
    pthread_attr_destroy(&attr);
    if (!ok) return false;
    cached_low = reinterpret_cast<std::uintptr_t>(addr);
    cached_high = cached_low + size;
  }
  low = cached_low;
  high = cached_high;
  return true;
}

// Runs `fn(stack_floor)` here when this thread has kMinStack left below the current frame, else
// on a thread of its own with kHelperStack (a caller on a small stack, a coroutine).
template <typename T, typename F>
core::Result<T> WithStack(F fn) {
  std::uintptr_t low = 0;
  std::uintptr_t high = 0;
  std::uintptr_t here = FrameAddress();
  if (CurrentStack(low, high) && here > low && here - low >= kMinStack) {
    return fn(low + kStackReserve);
  }
  struct Call {
    F* fn;
    std::optional<core::Result<T>> result;
  } call{&fn, std::nullopt};
  auto body = [](void* p) -> void* {
    auto& c = *static_cast<Call*>(p);
    std::uintptr_t lo = 0;
    std::uintptr_t hi = 0;
    if (!CurrentStack(lo, hi)) {
      c.result = core::Fail(ErrorCode::kInternal, "script: cannot read the thread's stack bounds");
      return nullptr;
    }
    c.result = (*c.fn)(lo + kStackReserve);
    return nullptr;
  };
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, kHelperStack);
  pthread_t thread;
  int rc = pthread_create(&thread, &attr, body, &call);
  pthread_attr_destroy(&attr);
  if (rc != 0)
    return core::Fail(ErrorCode::kUnavailable, "script: cannot start a thread to run on");
  pthread_join(thread, nullptr);
  return std::move(*call.result);
}

std::int64_t Deadline(std::int64_t timeout_ms) {
  std::int64_t now = CoarseNowNs();
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  if (timeout_ms >= (kMax - now) / 1'000'000) return kMax;
  return now + timeout_ms * 1'000'000;
}

std::int64_t InstructionBudget(std::int64_t statement_limit) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  if (statement_limit >= kMax / kInstructionsPerStatement) return kMax;
  return statement_limit * kInstructionsPerStatement;
}

// One run (or one syntax check) in a fresh heap on the current thread.
core::Result<std::optional<json::value>> RunHere(Job& job, const Limits& limits,
                                                 std::uintptr_t stack_floor) {
  RunState& state = *job.state;
  state.stack_floor = stack_floor;
  try {
    Heap heap(state);
    duk_context* ctx = heap.ctx();
    if (ctx == nullptr) {
      return core::Fail(ErrorCode::kPayloadTooLarge,
                        fmt::format("script: the memory limit ({} bytes) is too small to start "
                                    "the interpreter",
                                    limits.max_memory_bytes));
    }
    try {
      duk_int_t rc = duk_safe_call(ctx, RunJob, &job, 0, 1);
      if (state.stop == Stop::kTimeout) {
        return core::Fail(
            ErrorCode::kUpstreamTimeout,
            fmt::format("script exceeded the timeout limit ({} ms)", limits.timeout_ms));
      }
      if (state.stop == Stop::kInstructions) {
        return core::Fail(ErrorCode::kUpstreamTimeout,
                          fmt::format("script exceeded the statement limit ({}: {} bytecode "
                                      "instructions)",
                                      limits.statement_limit, state.instruction_budget));
      }
      if (job.host_error) return core::Fail(*job.host_error);
      if (rc == DUK_EXEC_SUCCESS) return std::move(job.result);
      ErrorText text;
      if (duk_safe_call(ctx, DescribeThrown, &text, 1, 1) != DUK_EXEC_SUCCESS ||
          text.text.empty()) {
        text.text = "script failed (its error could not be read)";
      }
      if (state.stop != Stop::kNone) {  // the description itself ran out of time
        return core::Fail(
            ErrorCode::kUpstreamTimeout,
            fmt::format("script exceeded the timeout limit ({} ms)", limits.timeout_ms));
      }
      if (state.memory_refused && (text.message == "alloc failed" || text.name == "DoubleError")) {
        return core::Fail(
            ErrorCode::kPayloadTooLarge,
            fmt::format("script exceeded the memory limit ({} bytes)", limits.max_memory_bytes));
      }
      return core::Fail(ErrorCode::kInvalidArgument,
                        Truncate(std::move(text.text), kMaxMessageBytes));
    } catch (const DuktapeFatal& fatal) {
      heap.Abandon();
      return core::Fail(ErrorCode::kInternal, "script: interpreter failure: " + fatal.message);
    }
  } catch (const std::exception& e) {  // std::bad_alloc from the host side
    return core::Fail(ErrorCode::kInternal, std::string("script: ") + e.what());
  }
}

core::Result<std::optional<json::value>> RunJobWithLimits(Job& job, const Limits& limits) {
  return WithStack<std::optional<json::value>>([&](std::uintptr_t floor) {
    RunState state;
    state.deadline_ns = Deadline(limits.timeout_ms);
    state.instruction_budget = InstructionBudget(limits.statement_limit);
    state.memory_cap = limits.max_memory_bytes;
    job.state = &state;
    auto result = RunHere(job, limits, floor);
    job.state = nullptr;
    return result;
  });
}

}  // namespace

int OnDuktapeInterrupt(void* heap_udata, duk_int_t executed, duk_int_t* next_interval) {
  auto& s = *static_cast<RunState*>(heap_udata);
  s.executed += executed;
  if (s.stop == Stop::kNone && s.executed >= s.instruction_budget) s.stop = Stop::kInstructions;
  if (s.PastDeadline()) return 1;
  *next_interval = static_cast<duk_int_t>(
      std::min<std::int64_t>(kInterruptInterval, s.instruction_budget - s.executed));
  return 0;
}

int OnDuktapeNativeCheck(void* heap_udata) {
  auto& s = *static_cast<RunState*>(heap_udata);
  if (FrameAddress() < s.stack_floor) return 1;
  return s.PastDeadline() ? 1 : 0;
}

core::Status CheckSyntax(const std::vector<Script::Source>& sources, const Limits& limits) {
  Job job;
  job.sources = &sources;
  job.run = false;
  auto result = RunJobWithLimits(job, limits);
  if (!result) return core::Fail(result.error());
  return core::Ok();
}

core::Result<std::optional<json::value>> Execute(const std::vector<Script::Source>& sources,
                                                 const json::object& input, const Limits& limits) {
  for (const json::key_value_pair& kv : input) {
    if (DeeperThan(kv.value(), kMaxDepth - 1)) {
      return core::Fail(ErrorCode::kInvalidArgument,
                        fmt::format("script input '{}' nests deeper than {} levels",
                                    std::string_view(kv.key()), kMaxDepth));
    }
  }
  Job job;
  job.sources = &sources;
  job.input = &input;
  job.max_output_bytes = limits.max_output_bytes;
  return RunJobWithLimits(job, limits);
}

}  // namespace capstan::script::internal
