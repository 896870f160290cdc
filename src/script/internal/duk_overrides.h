// capstan's Duktape options, inserted at the override point of Debian's duk_config.h (see
// src/script/CMakeLists.txt): Duktape errors as C++ exceptions, and the two hooks through which
// duktape_engine.cpp enforces the wall-clock timeout, the instruction budget and the C stack floor.
#pragma once

#if !defined(__cplusplus)
#error "Duktape is compiled as C++ in capstan (DUK_USE_CPP_EXCEPTIONS)"
#endif
#if DUK_VERSION != 20700L
#error "these hooks name locals of Duktape 2.7.0's executor; check them against this version"
#endif

#include <exception>  // duk_config.h includes these only when it sets DUK_USE_CPP_EXCEPTIONS itself
#include <stdexcept>

namespace capstan::script::internal {
// Called every few hundred bytecode instructions with the number executed since the last call;
// sets `*next_interval` (instructions until the next call). Non-zero stops the script: Duktape
// then throws a RangeError before every further instruction until the script has unwound.
int OnDuktapeInterrupt(void* heap_udata, duk_int_t executed, duk_int_t* next_interval);
// Called on every native call and at each level of Duktape's recursive C code (regexp matcher
// and compiler, JSON, number conversion). Non-zero throws a RangeError ("C stack depth limit").
int OnDuktapeNativeCheck(void* heap_udata);
}  // namespace capstan::script::internal

// Errors unwind as C++ exceptions rather than longjmp, so C++ frames between a Duktape call and
// its catch point (capstan's value conversion) run their destructors.
#define DUK_USE_CPP_EXCEPTIONS

// The executor interrupt. The macro is expanded inside duk__executor_interrupt(), where `thr` is
// the running thread and `ctr` the interval Duktape is about to install (2.7.0's names; a rename
// fails to compile rather than silently misbehaving): passing `thr->interrupt_init` (the
// instructions run since the last interrupt) and `&ctr` makes the instruction count exact.
#define DUK_USE_INTERRUPT_COUNTER
#define DUK_USE_EXEC_TIMEOUT_CHECK(udata) \
  ::capstan::script::internal::OnDuktapeInterrupt((udata), thr->interrupt_init, &ctr)

// Expanded inside duk_native_stack_check(duk_hthread* thr).
#define DUK_USE_NATIVE_STACK_CHECK() \
  ::capstan::script::internal::OnDuktapeNativeCheck(thr->heap->heap_udata)

// The compiler's recursion is the one deep C recursion that does not call the native stack check;
// 1000 nested expressions or statements is far beyond any real script and needs well under
// 1 MiB of stack (2500, Duktape's default, needs about 1 MiB at -O2 and more under ASan).
#undef DUK_USE_COMPILER_RECLIMIT
#define DUK_USE_COMPILER_RECLIMIT 1000
