// Compiles Debian's Duktape amalgamation (duktape-dev, copied into the build folder) as C++, with
// the configuration of duk_overrides.h: C++ exceptions for Duktape errors, the execution interrupt
// and the native stack check wired to capstan's limits (duktape_engine.cpp).
#include "duktape.c"

#if DUK_VERSION != 20700L
#error "capstan's Duktape hooks are written against Duktape 2.7.0 (Debian 12's duktape-dev)"
#endif
