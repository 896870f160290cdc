#include "runtime/steps.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "runtime/runtime.hpp"
#include "runtime/values.hpp"

namespace capstan::runtime {

namespace asio = boost::asio;
using core::ErrorCode;
using core::Fail;

namespace {

// "$.step" or "$.step.rest": the step a path starts from ("" when it starts otherwise).
std::string_view FirstMember(std::string_view path) {
  if (path.substr(0, 2) != "$.") return {};
  path.remove_prefix(2);
  return path.substr(0, path.find_first_of(".["));
}

std::vector<std::string> SplitDots(std::string_view text) {
  std::vector<std::string> out;
  while (true) {
    std::size_t dot = text.find('.');
    out.emplace_back(text.substr(0, dot));
    if (dot == std::string_view::npos) break;
    text.remove_prefix(dot + 1);
  }
  return out;
}

// The text form a key is compared in: strings as they are, other scalars as JSON.
std::string KeyText(const json::value& v) {
  return v.is_string() ? std::string(v.get_string()) : ScalarText(v);
}

json::value CutToFields(const json::object& entry, const std::vector<std::string>& fields) {
  json::object out;
  for (const std::string& f : fields) {
    const json::value* v = entry.if_contains(f);
    out[f] = v != nullptr ? *v : json::value(nullptr);
  }
  return out;
}

const json::value* LookupOne(const json::value& index, std::string_view match,
                             const std::string& key) {
  auto matches = [&](const json::value& entry) {
    if (!entry.is_object()) return false;
    const json::value* field = entry.get_object().if_contains(match);
    return field != nullptr && !field->is_null() && KeyText(*field) == key;
  };
  if (index.is_array()) {
    for (const json::value& entry : index.get_array()) {
      if (matches(entry)) return &entry;
    }
    return nullptr;
  }
  return matches(index) ? &index : nullptr;
}

// The error body of a failed step, as the adapters' JSON errors are shaped.
std::string StepErrorBody(std::string_view step, std::string_view call, int status,
                          std::string_view upstream_body) {
  json::object o;
  o["type"] = "step_failed";
  o["message"] = "step '" + std::string(step) + "' (" + std::string(call) + ") answered " +
                 std::to_string(status);
  o["step"] = std::string(step);
  o["upstream_status"] = status;
  if (!upstream_body.empty()) {
    if (auto parsed = core::ParseJson(upstream_body)) {
      o["upstream_body"] = std::move(*parsed);
    } else {
      o["upstream_body"] = std::string(upstream_body.substr(0, 4096));
    }
  }
  return core::SerializeJson(o);
}

}  // namespace

json::value Lookup(const json::value& index, std::string_view match, const json::value& value,
                   const std::vector<std::string>& fields) {
  if (value.is_array()) {
    json::array found;
    for (const json::value& v : value.get_array()) {
      if (v.is_null()) continue;
      if (const json::value* entry = LookupOne(index, match, KeyText(v))) {
        found.push_back(CutToFields(entry->get_object(), fields));
      }
    }
    if (found.empty()) return nullptr;
    return found;
  }
  if (value.is_null()) return nullptr;
  const json::value* entry = LookupOne(index, match, KeyText(value));
  if (entry == nullptr) return nullptr;
  return CutToFields(entry->get_object(), fields);
}

json::value ShapeOutput(const spec::OutputParameter& output, json::value value) {
  switch (output.type) {
    case spec::ValueType::kNumber:
    case spec::ValueType::kInteger:
      if (value.is_string()) {
        std::string_view text = value.get_string();
        if (auto coerced = CoerceText(output.name, text, output.type)) return std::move(*coerced);
      }
      return value;
    case spec::ValueType::kBoolean:
      if (value.is_string()) {
        std::string_view text = value.get_string();
        if (text == "true") return true;
        if (text == "false") return false;
      }
      return value;
    case spec::ValueType::kString:
      if (value.is_number() || value.is_bool()) return json::string(ScalarText(value));
      return value;
    case spec::ValueType::kArray:
      if (value.is_array() && !output.items.empty()) {
        const bool fields = !output.items.front().name.empty();
        for (json::value& element : value.get_array()) {
          if (fields && element.is_object()) {
            json::object cut;
            for (const spec::OutputParameter& item : output.items) {
              const json::value* v = element.get_object().if_contains(item.name);
              cut[item.name] = v != nullptr ? ShapeOutput(item, *v) : json::value(nullptr);
            }
            element = std::move(cut);
          } else if (!fields) {
            element = ShapeOutput(output.items.front(), std::move(element));
          }
        }
      }
      return value;
    case spec::ValueType::kObject:
      if (value.is_object()) {
        for (const spec::OutputParameter& p : output.properties) {
          if (json::value* v = value.get_object().if_contains(p.name))
            *v = ShapeOutput(p, std::move(*v));
        }
      }
      return value;
  }
  return value;
}

core::Result<std::shared_ptr<const StepPlan>> StepPlan::Compile(const Runtime& runtime,
                                                                Definition def) {
  auto plan = std::make_shared<StepPlan>();
  plan->runtime_ = &runtime;
  plan->what_ = def.what;
  plan->outputs_ = std::move(def.outputs);
  std::vector<std::string> seen;
  auto known = [&](std::string_view name) {
    return std::find(seen.begin(), seen.end(), name) != seen.end();
  };
  // The earlier steps a step reads: the step names that a template variable, an input name or
  // a path starts with ("get-ship" in {{get-ship.flag}} and $.get-ship.x).
  auto reads_of = [&](const Step& step) {
    std::vector<std::string> reads;
    auto add = [&](std::string_view name) {
      for (const std::string& earlier : seen) {
        bool prefix = name.substr(0, earlier.size()) == earlier &&
                      (name.size() == earlier.size() || name[earlier.size()] == '.');
        if (prefix && std::find(reads.begin(), reads.end(), earlier) == reads.end()) {
          reads.push_back(earlier);
        }
      }
    };
    if (step.call) {
      for (const WithRules::Rule& rule : step.call->with.rules()) {
        if (rule.kind == WithRules::Rule::Kind::kInput) add(rule.input);
        if (rule.kind == WithRules::Rule::Kind::kPath) add(FirstMember(rule.path->text()));
        if (rule.kind == WithRules::Rule::Kind::kTemplate) {
          for (const mapping::TemplateSegment& seg : rule.tpl->segments()) {
            if (seg.kind == mapping::TemplateSegment::Kind::kVariable) add(seg.text);
          }
        }
      }
    }
    if (step.script) {
      for (const WithRules::Rule& rule : step.script->with.rules()) {
        if (rule.kind == WithRules::Rule::Kind::kInput) add(rule.input);
        if (rule.kind == WithRules::Rule::Kind::kPath) add(FirstMember(rule.path->text()));
      }
    }
    if (step.lookup) {
      add(step.lookup->index);
      if (step.lookup->value_path) add(FirstMember(step.lookup->value_path->text()));
    }
    return reads;
  };
  for (const spec::OperationStep& s : def.steps) {
    Step step;
    step.name = spec::StepName(s);
    const std::string what = def.what + " step '" + step.name + "'";
    if (step.name.empty())
      return Fail(ErrorCode::kInvalidArgument, def.what + ": a step has no name");
    if (known(step.name)) {
      return Fail(ErrorCode::kInvalidArgument, what + ": a step of that name comes earlier");
    }
    if (const auto* call = std::get_if<spec::CallStep>(&s)) {
      CallStep c;
      c.operation = runtime.FindOperation(call->call.target);
      if (!c.operation) {
        return Fail(ErrorCode::kNotFound,
                    what + ": call '" + call->call.target + "' names no consumed operation");
      }
      auto with = WithRules::Compile(call->with, def.namespaces, /*step_paths=*/true, what);
      if (!with) return Fail(std::move(with).error());
      c.with = std::move(*with);
      step.call = std::move(c);
    } else if (const auto* lookup = std::get_if<spec::LookupStep>(&s)) {
      LookupStep l;
      l.index = lookup->index;
      l.match = lookup->match;
      l.fields = lookup->output_parameters;
      if (!known(l.index)) {
        return Fail(ErrorCode::kNotFound, what + ": index '" + l.index + "' names no earlier step");
      }
      if (l.match.empty()) return Fail(ErrorCode::kInvalidArgument, what + ": `match` is empty");
      if (!lookup->lookup_value.empty() && lookup->lookup_value[0] == '$') {
        std::string_view from = FirstMember(lookup->lookup_value);
        if (!from.empty() && !known(from)) {
          return Fail(ErrorCode::kNotFound, what + ": lookupValue '" + lookup->lookup_value +
                                                "' reads step '" + std::string(from) +
                                                "', which does not come earlier");
        }
        auto path = mapping::JsonPath::ParseLenient(lookup->lookup_value);
        if (!path) {
          return Fail(ErrorCode::kInvalidArgument, what + ": lookupValue: " + path.error().message);
        }
        l.value_path = std::move(*path);
      } else {
        auto tpl =
            mapping::Template::Compile(lookup->lookup_value, mapping::TemplateSyntax::kDoubleBrace);
        if (!tpl) {
          return Fail(ErrorCode::kInvalidArgument, what + ": lookupValue: " + tpl.error().message);
        }
        l.value_text = std::move(*tpl);
      }
      step.lookup = std::move(l);
    } else {
      const auto& script = std::get<spec::ScriptStep>(s);
      std::string language = "javascript";
      if (script.language == spec::ScriptLanguage::kPython) language = "python";
      if (script.language == spec::ScriptLanguage::kGroovy) language = "groovy";
      // Files are relative to the capability's directory (file:///./scripts, or a plain path).
      const std::string base_dir =
          std::filesystem::path(runtime.capability().file).parent_path().string();
      auto program = script::Script::Load(language, script.location.value_or(""), script.file,
                                          script.dependencies, base_dir);
      if (!program) {
        return Fail(program.error().code, what + ": " + program.error().message);
      }
      auto with = WithRules::Compile(script.with, def.namespaces, /*step_paths=*/true, what);
      if (!with) return Fail(std::move(with).error());
      step.script = ScriptStep{std::move(*program), std::move(*with)};
    }
    step.reads = reads_of(step);
    seen.push_back(step.name);
    plan->steps_.push_back(std::move(step));
  }
  if (plan->steps_.empty()) return Fail(ErrorCode::kInvalidArgument, def.what + ": no steps");
  for (const spec::StepOutputMapping& m : def.mappings) {
    std::string_view from = FirstMember(m.value);
    if (from.empty() && m.value != "$" && m.value != "$.") {
      return Fail(ErrorCode::kInvalidArgument, def.what + ": mapping '" + m.target_name +
                                                   "': value '" + m.value +
                                                   "' must read a step output ($.step.field)");
    }
    if (!from.empty() && !known(from)) {
      return Fail(ErrorCode::kNotFound, def.what + ": mapping '" + m.target_name +
                                            "' reads step '" + std::string(from) +
                                            "', which the plan does not have");
    }
    auto path = mapping::JsonPath::ParseLenient(m.value);
    if (!path) {
      return Fail(ErrorCode::kInvalidArgument,
                  def.what + ": mapping '" + m.target_name + "': " + path.error().message);
    }
    if (m.target_name.empty()) {
      return Fail(ErrorCode::kInvalidArgument, def.what + ": a mapping has no targetName");
    }
    plan->mappings_.push_back(Mapping{SplitDots(m.target_name), std::move(*path)});
  }
  // Waves: a call step joins the current wave of call steps unless it reads one of them.
  for (std::size_t i = 0; i < plan->steps_.size(); ++i) {
    const Step& step = plan->steps_[i];
    bool joins = step.call && !plan->waves_.empty() &&
                 plan->steps_[plan->waves_.back().front()].call.has_value();
    if (joins) {
      for (std::size_t j : plan->waves_.back()) {
        const std::string& other = plan->steps_[j].name;
        if (std::find(step.reads.begin(), step.reads.end(), other) != step.reads.end()) {
          joins = false;
        }
      }
    }
    if (joins) {
      plan->waves_.back().push_back(i);
    } else {
      plan->waves_.push_back({i});
    }
  }
  return std::shared_ptr<const StepPlan>(std::move(plan));
}

std::vector<const CompiledOperation*> StepPlan::operations() const {
  std::vector<const CompiledOperation*> out;
  for (const Step& s : steps_) {
    if (s.call) out.push_back(s.call->operation.get());
  }
  return out;
}

json::value StepPlan::Result(const json::value& steps) const {
  json::value result;
  if (mappings_.empty()) {
    // No mappings: the last step's output is the result.
    const json::object& o = steps.get_object();
    if (auto it = o.find(steps_.back().name); it != o.end()) result = it->value();
  } else {
    json::object root;
    for (const Mapping& m : mappings_) {
      mapping::JsonPath::NodeList nodes = m.value.Evaluate(steps);
      if (nodes.empty()) continue;
      json::value v;
      if (nodes.size() == 1) {
        v = *nodes[0];
      } else {
        json::array all;
        for (const json::value* n : nodes) all.push_back(*n);
        v = std::move(all);
      }
      json::object* at = &root;
      for (std::size_t i = 0; i + 1 < m.target.size(); ++i) {
        json::value& child = (*at)[m.target[i]];
        if (!child.is_object()) child = json::object();
        at = &child.get_object();
      }
      (*at)[m.target.back()] = std::move(v);
    }
    result = std::move(root);
  }
  if (result.is_object()) {
    for (const spec::OutputParameter& out : outputs_) {
      if (out.name.empty()) continue;
      if (json::value* v = result.get_object().if_contains(out.name)) {
        *v = ShapeOutput(out, std::move(*v));
      }
    }
  }
  return result;
}

asio::awaitable<core::Result<StepPlan::CallOutcome>> StepPlan::RunCall(
    const Step& step, const json::object& inputs, const json::value& outputs,
    const CallContext& context) const {
  const CompiledOperation& op = *step.call->operation;
  ValueScope scope{&inputs, &outputs, &runtime_->binds()};
  // The caller's inputs reach the consumed operation by name, as in a simple call; `with`
  // entries then add to and replace them.
  json::object args = inputs;
  if (auto applied = step.call->with.Apply(scope, args); !applied) {
    co_return Fail(applied.error().code, "step '" + step.name + "': " + applied.error().message);
  }
  auto named = [&](const core::Error& e) {
    return Fail(e.code,
                "step '" + step.name + "' (" + op.method() + " " + op.call() + "): " + e.message);
  };
  auto response = co_await runtime_->Send(op, args, context);
  if (!response) co_return named(response.error());
  CallOutcome out;
  out.elapsed = response->elapsed;
  out.status = response->status;
  if (response->status < 200 || response->status >= 300) {
    InvocationResult failed;
    failed.status = response->status;
    failed.upstream_status = response->status;
    failed.is_json = true;
    failed.json_verified = true;
    failed.content_type = "application/json";
    failed.failed_step = step.name + " (" + op.method() + " " + op.call() + ")";
    failed.body = StepErrorBody(step.name, op.call(), response->status, response->body);
    out.failed = std::move(failed);
    co_return out;
  }
  auto output = runtime_->StepOutput(op, std::move(*response), args);
  if (!output) co_return named(output.error());
  out.output = std::move(*output);
  co_return out;
}

namespace {

// Scripts block for up to their timeout: they run on a few threads of their own, so that an
// event loop never waits on one. Created on first use; lives as long as the process.
asio::thread_pool& ScriptPool() {
  static asio::thread_pool* pool =
      new asio::thread_pool(std::max(2u, std::thread::hardware_concurrency() / 2));
  return *pool;
}

}  // namespace

asio::awaitable<core::Result<std::optional<json::value>>> StepPlan::RunScript(
    const Step& step, const json::object& inputs, const json::value& outputs) const {
  // The reference's bindings: the caller's inputs, every earlier step's output by name, then
  // the step's `with` values.
  json::object bindings = inputs;
  for (const auto& member : outputs.get_object()) bindings[member.key()] = member.value();
  ValueScope scope{&inputs, &outputs, &runtime_->binds()};
  if (auto applied = step.script->with.Apply(scope, bindings); !applied) {
    co_return Fail(applied.error().code, "step '" + step.name + "': " + applied.error().message);
  }
  std::shared_ptr<const script::Script> program = step.script->program;
  auto run =
      [program,
       input = std::move(bindings)]() -> asio::awaitable<core::Result<std::optional<json::value>>> {
    co_return program->RunStep(input);
  };
  // co_spawn on the pool; use_awaitable resumes this coroutine on its own loop's executor.
  auto result = co_await asio::co_spawn(ScriptPool(), run(), asio::use_awaitable);
  if (!result) {
    core::ErrorCode code = result.error().code;
    // A script that throws or returns what JSON cannot hold is a failed step (502), a timeout
    // or statement limit a 504, a memory or output limit a 502 too: none is the caller's fault.
    if (code != core::ErrorCode::kUpstreamTimeout) code = core::ErrorCode::kUpstreamError;
    co_return Fail(code, "step '" + step.name + "' (script " + program->file_path() +
                             ") failed: " + result.error().message);
  }
  co_return std::move(*result);
}

asio::awaitable<core::Result<StepPlan::CallOutcome>> StepPlan::RunCallInWave(
    const Step& step, const json::object& inputs, const json::value& outputs,
    consumes::UpstreamClient* client) const {
  // The wave's parallel group gives each call its own cancellation slot.
  auto state = co_await asio::this_coro::cancellation_state;
  CallContext own{client, state.slot()};
  co_return co_await RunCall(step, inputs, outputs, own);
}

asio::awaitable<core::Result<InvocationResult>> StepPlan::Run(const json::object& inputs,
                                                              const CallContext& context) const {
  json::value outputs = json::object();
  std::chrono::microseconds upstream_time{0};
  int last_status = 0;
  for (const std::vector<std::size_t>& wave : waves_) {
    const Step& first = steps_[wave.front()];
    if (first.lookup) {
      const LookupStep& l = *first.lookup;
      const json::value* index = outputs.get_object().if_contains(l.index);
      json::value key;
      if (l.value_path) {
        mapping::JsonPath::NodeList nodes = l.value_path->Evaluate(outputs);
        if (nodes.size() == 1) {
          key = *nodes[0];
        } else if (nodes.size() > 1) {
          json::array all;
          for (const json::value* n : nodes) all.push_back(*n);
          key = std::move(all);
        }
      } else {
        ValueScope scope{&inputs, &outputs, &runtime_->binds()};
        std::string buffer;
        auto lookup = [&](std::string_view name) -> std::optional<std::string_view> {
          if (const json::value* v = scope.Find(name)) {
            buffer = ScalarText(*v);
            return std::string_view(buffer);
          }
          return runtime_->binds().Find(name);
        };
        auto rendered = mapping::Render(*l.value_text, lookup, mapping::Escaping::kNone);
        if (!rendered) {
          co_return Fail(ErrorCode::kInvalidArgument,
                         "step '" + first.name + "': lookupValue: " + rendered.error().message);
        }
        key = json::string(*rendered);
      }
      json::value found = index != nullptr ? Lookup(*index, l.match, key, l.fields) : json::value();
      outputs.get_object()[first.name] = std::move(found);
      continue;
    }
    if (first.script) {
      auto output = co_await RunScript(first, inputs, outputs);
      if (!output) co_return Fail(std::move(output).error());
      if (*output) outputs.get_object()[first.name] = std::move(**output);
      continue;
    }
    // Call steps: one alone, or a wave of independent ones at once on this loop (each with its
    // own cancellation slot, cancelled together with the caller's).
    std::vector<core::Result<CallOutcome>> results;
    if (wave.size() == 1) {
      results.push_back(co_await RunCall(first, inputs, outputs, context));
    } else {
      auto executor = co_await asio::this_coro::executor;
      using Op = decltype(asio::co_spawn(
          executor, std::declval<asio::awaitable<core::Result<CallOutcome>>>(), asio::deferred));
      std::vector<Op> ops;
      for (std::size_t i : wave) {
        ops.push_back(asio::co_spawn(
            executor, RunCallInWave(steps_[i], inputs, outputs, context.client), asio::deferred));
      }
      auto [order, exceptions, values] =
          co_await asio::experimental::make_parallel_group(std::move(ops))
              .async_wait(asio::experimental::wait_for_all(),
                          asio::bind_cancellation_slot(context.cancel, asio::use_awaitable));
      (void)order;
      for (std::size_t i = 0; i < wave.size(); ++i) {
        if (exceptions[i]) std::rethrow_exception(exceptions[i]);
        results.push_back(std::move(values[i]));
      }
    }
    // In declared order, so that the outcome does not depend on which answer came first.
    for (std::size_t i = 0; i < wave.size(); ++i) {
      core::Result<CallOutcome>& r = results[i];
      if (!r) co_return Fail(std::move(r).error());
      upstream_time += r->elapsed;
      last_status = r->status;
      if (r->failed) {
        r->failed->upstream_time = upstream_time;
        co_return std::move(*r->failed);
      }
    }
    for (std::size_t i = 0; i < wave.size(); ++i) {
      outputs.get_object()[steps_[wave[i]].name] = std::move(results[i]->output);
    }
  }
  InvocationResult out;
  out.status = 200;
  out.upstream_status = last_status;
  out.upstream_time = upstream_time;
  out.is_json = true;
  out.json_verified = true;
  out.content_type = "application/json";
  out.body = core::SerializeJson(Result(outputs));
  co_return out;
}

}  // namespace capstan::runtime
