/*
 * toolchain.h - the identity of the rustc that compiles a build: its full
 * `rustc -vV` (version, commit, host, LLVM version). Cached per rustc binary
 * so the wrapper does not run rustc -vV for every crate.
 */
#ifndef PGOW_TOOLCHAIN_H
#define PGOW_TOOLCHAIN_H

#include <stdbool.h>

#include "base/strbuf.h"

/* Appends rustc's `-vV` output; -1 with the reason in err. */
int rustc_identity(const char *rustc, struct strbuf *out, struct strbuf *err);
/* The "LLVM version: X.Y.Z" major from an identity, or 0. */
int rustc_identity_llvm_major(const char *identity);
/* The LLVM major of the rustc on PATH, or -1 when it cannot be run. */
int rustc_llvm_major(void);
/* The host triple of the rustc on PATH, appended to out (nothing when unknown). */
void rustc_host(struct strbuf *out);

/* An LLVM tool of that major: name-<major> on PATH, else LLVM's own bin dir; false when neither. */
bool llvm_tool_path(const char *name, int major, struct strbuf *out);

/* 1: <sysroot>/lib/rustlib/<target>/lib has libprofiler_builtins; 0: it does not; -1: no such dir. */
int toolchain_has_profiler(const char *sysroot, const char *target);

#endif
