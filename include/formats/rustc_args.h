/*
 * rustc_args.h - the rustc command-line model: what one rustc invocation compiles
 * (crate, types, target, outputs, -C options), parsed from argv with
 * @argfiles expanded. It only reads the arguments; it never rewrites them.
 */
#ifndef PGOW_RUSTC_ARGS_H
#define PGOW_RUSTC_ARGS_H

#include <stdbool.h>

#include "base/strbuf.h"

enum crate_type {
	CT_BIN = 1 << 0,
	CT_LIB = 1 << 1,
	CT_RLIB = 1 << 2,
	CT_DYLIB = 1 << 3,
	CT_CDYLIB = 1 << 4,
	CT_STATICLIB = 1 << 5,
	CT_PROC_MACRO = 1 << 6,
	CT_UNKNOWN = 1 << 7,
};

enum emit_kind {
	EMIT_DEP_INFO = 1 << 0,
	EMIT_METADATA = 1 << 1,
	EMIT_LINK = 1 << 2,
	EMIT_OBJ = 1 << 3,
	EMIT_ASM = 1 << 4,
	EMIT_LLVM_IR = 1 << 5,
	EMIT_LLVM_BC = 1 << 6,
	EMIT_MIR = 1 << 7,
};
/* Outputs that run LLVM codegen, and so can carry PGO. */
#define EMIT_CODEGEN (EMIT_LINK | EMIT_OBJ | EMIT_ASM | EMIT_LLVM_IR | EMIT_LLVM_BC)

struct rustc_args {
	struct strvec argv;          /* expanded arguments (argfiles inlined), no program */
	const char *crate_name;      /* pointers below point into argv */
	unsigned crate_types;        /* enum crate_type bits; 0 = rustc's default (bin) */
	const char *target;          /* NULL: the host */
	const char *out_dir;
	const char *output;          /* -o */
	const char *dep_info_path;   /* --emit dep-info=PATH */
	unsigned emit;               /* enum emit_kind bits; 0 = rustc's default (link) */
	const char *extra_filename;
	const char *metadata;
	const char *edition;
	const char *opt_level;       /* last -C opt-level / -O; NULL = 0 */
	const char *sysroot;
	const char *input;           /* first free argument ("-" = stdin) */
	const char *profile_generate; /* the user's own PGO flags, if any */
	const char *profile_use;
	bool has_print;              /* --print: a probe */
	bool has_version;            /* -V / --version / -vV */
	bool has_help;
	bool is_test;
	struct strvec codegen;       /* every -C value, in order */
	struct strvec cfgs;          /* every --cfg value, in order */
	struct strvec externs;       /* paths of --extern NAME=PATH libraries */
};

/*
 * Parses argv (without the program). Returns 0, or -1 with a reason in err
 * when an argfile cannot be read; the caller then passes the call through
 * untouched and lets rustc report it.
 */
int rustc_args_parse(struct rustc_args *a, int argc, char *const *argv, struct strbuf *err);
void rustc_args_release(struct rustc_args *a);

/* Value of the last "-C key=value" (or "-C key" -> ""), or NULL. */
const char *rustc_args_codegen(const struct rustc_args *a, const char *key);
/* cargo's probes: -vV, --print ..., "- --crate-name ___". */
bool rustc_args_is_probe(const struct rustc_args *a);
bool rustc_args_is_build_script(const struct rustc_args *a);
/* Whether this invocation runs LLVM codegen at all (not `cargo check`). */
bool rustc_args_does_codegen(const struct rustc_args *a);
/* Optimisation on: opt-level other than 0. */
bool rustc_args_optimizes(const struct rustc_args *a);
/* Where rustc writes dep-info, or -1 if this invocation writes none. */
int rustc_args_dep_info_path(const struct rustc_args *a, struct strbuf *out);
/* "bin", "lib", "proc-macro,rlib" ... for journals and reports. */
void rustc_args_describe_types(const struct rustc_args *a, struct strbuf *out);

#endif
