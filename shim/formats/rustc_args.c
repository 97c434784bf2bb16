/*
 * rustc_args.c - the rustc argv model (see include/formats/rustc_args.h).
 * Options are matched as rustc accepts them: "-C k=v", "-Ck=v",
 * "--codegen k=v", "--codegen=k=v", "--opt VALUE" and "--opt=VALUE".
 */
#include "formats/rustc_args.h"
#include "base/path.h"
#include "base/strbuf.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Options whose value is the next argument when not joined with '='. */
static const char *const long_with_value[] = {
	"--cfg", "--check-cfg", "--crate-name", "--crate-type", "--edition",
	"--emit", "--print", "--out-dir", "--explain", "--target", "--cap-lints",
	"--codegen", "--extern", "--sysroot", "--error-format", "--json",
	"--color", "--remap-path-prefix", "--diagnostic-width", "--env-set",
	"--force-warn", "--warn", "--allow", "--deny", "--forbid", "--crate-attr",
	"--library-path", "--target-dir", NULL,
};
static const char short_with_value[] = "CLloWADFZ";

static void expand_argfile(struct strvec *out, const char *contents)
{
	/* rustc reads one argument per line, exactly as written. */
	const char *p = contents;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *arg = xstrndup(p, len);
		sv_push(out, arg);
		free(arg);
		p += len;
		if (*p == '\n')
			p++;
	}
}

static int expand_args(struct strvec *out, int argc, char *const *argv, struct strbuf *err)
{
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		if (arg[0] != '@' || arg[1] == '\0') {
			sv_push(out, arg);
			continue;
		}
		struct strbuf contents = STRBUF_INIT;
		/* "@shell:" files are an unstable rustc feature with shell quoting. */
		if (strncmp(arg + 1, "shell:", 6) == 0) {
			sb_addf(err, "argument file %s uses shell quoting, which is not supported", arg);
			return -1;
		}
		if (sb_read_file(&contents, arg + 1) != 0) {
			sb_addf(err, "cannot read argument file %s: %s", arg + 1, strerror(errno));
			sb_release(&contents);
			return -1;
		}
		expand_argfile(out, sb_str(&contents));
		sb_release(&contents);
	}
	return 0;
}

static unsigned parse_crate_types(const char *value)
{
	static const struct { const char *name; unsigned bit; } types[] = {
		{ "bin", CT_BIN }, { "lib", CT_LIB }, { "rlib", CT_RLIB },
		{ "dylib", CT_DYLIB }, { "cdylib", CT_CDYLIB },
		{ "staticlib", CT_STATICLIB }, { "proc-macro", CT_PROC_MACRO },
	};
	struct strvec parts = STRVEC_INIT;
	unsigned bits = 0;

	sv_split(&parts, value, ',');
	for (size_t i = 0; i < parts.n; i++) {
		unsigned bit = CT_UNKNOWN;
		for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++)
			if (strcmp(parts.v[i], types[t].name) == 0)
				bit = types[t].bit;
		bits |= bit;
	}
	sv_release(&parts);
	return bits;
}

static void parse_emit(struct rustc_args *a, const char *value)
{
	static const struct { const char *name; unsigned bit; } kinds[] = {
		{ "dep-info", EMIT_DEP_INFO }, { "metadata", EMIT_METADATA },
		{ "link", EMIT_LINK }, { "obj", EMIT_OBJ }, { "asm", EMIT_ASM },
		{ "llvm-ir", EMIT_LLVM_IR }, { "llvm-bc", EMIT_LLVM_BC }, { "mir", EMIT_MIR },
	};
	const char *p = value;

	while (*p) {
		size_t len = strcspn(p, ",");
		size_t name_len = strcspn(p, ",=");
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			if (strlen(kinds[k].name) != name_len || strncmp(p, kinds[k].name, name_len))
				continue;
			a->emit |= kinds[k].bit;
			/* The explicit path points into argv, which outlives the model. */
			if (kinds[k].bit == EMIT_DEP_INFO && name_len < len)
				a->dep_info_path = p + name_len + 1;
		}
		p += len;
		if (*p == ',')
			p++;
	}
}

static void note_codegen(struct rustc_args *a, const char *kv)
{
	size_t klen = strcspn(kv, "=");
	const char *val = kv[klen] == '=' ? kv + klen + 1 : "";

	sv_push(&a->codegen, kv);
#define KEY_IS(k) (klen == strlen(k) && strncmp(kv, k, klen) == 0)
	if (KEY_IS("opt-level"))
		a->opt_level = val;
	else if (KEY_IS("extra-filename"))
		a->extra_filename = val;
	else if (KEY_IS("metadata"))
		a->metadata = val;
	else if (KEY_IS("profile-generate"))
		a->profile_generate = val;
	else if (KEY_IS("profile-use"))
		a->profile_use = val;
#undef KEY_IS
}

static void note_long(struct rustc_args *a, const char *name, const char *val)
{
	if (strcmp(name, "--crate-name") == 0)
		a->crate_name = val;
	else if (strcmp(name, "--crate-type") == 0)
		a->crate_types |= parse_crate_types(val);
	else if (strcmp(name, "--target") == 0)
		a->target = val;
	else if (strcmp(name, "--out-dir") == 0)
		a->out_dir = val;
	else if (strcmp(name, "--emit") == 0)
		parse_emit(a, val);
	else if (strcmp(name, "--edition") == 0)
		a->edition = val;
	else if (strcmp(name, "--sysroot") == 0)
		a->sysroot = val;
	else if (strcmp(name, "--codegen") == 0)
		note_codegen(a, val);
	else if (strcmp(name, "--print") == 0)
		a->has_print = true;
	else if (strcmp(name, "--cfg") == 0)
		sv_push(&a->cfgs, val);
	else if (strcmp(name, "--extern") == 0 && strchr(val, '='))
		sv_push(&a->externs, strchr(val, '=') + 1);
}

static void note_short(struct rustc_args *a, char opt, const char *val)
{
	if (opt == 'C')
		note_codegen(a, val);
	else if (opt == 'o')
		a->output = val;
}

static void note_flag(struct rustc_args *a, const char *arg)
{
	if (strcmp(arg, "-O") == 0)
		a->opt_level = "2";
	else if (strcmp(arg, "--test") == 0)
		a->is_test = true;
	else if (strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0 ||
		 strcmp(arg, "-vV") == 0 || strcmp(arg, "-Vv") == 0)
		a->has_version = true;
	else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
		a->has_help = true;
}

int rustc_args_parse(struct rustc_args *a, int argc, char *const *argv, struct strbuf *err)
{
	memset(a, 0, sizeof(*a));
	if (expand_args(&a->argv, argc, argv, err) != 0) {
		sv_release(&a->argv);
		return -1;
	}

	char **v = a->argv.v;
	size_t n = a->argv.n;
	for (size_t i = 0; i < n; i++) {
		const char *arg = v[i];
		if (strncmp(arg, "--", 2) == 0 && arg[2]) {
			const char *eq = strchr(arg, '=');
			if (eq) {
				char *name = xstrndup(arg, (size_t)(eq - arg));
				note_long(a, name, eq + 1);
				free(name);
			} else if (str_in_list(long_with_value, arg) && i + 1 < n) {
				note_long(a, arg, v[i + 1]);
				i++;
			} else {
				note_flag(a, arg);
			}
		} else if (arg[0] == '-' && arg[1] && strchr(short_with_value, arg[1])) {
			if (arg[2])
				note_short(a, arg[1], arg + 2);
			else if (i + 1 < n)
				note_short(a, arg[1], v[++i]);
		} else if (arg[0] == '-' && arg[1]) {
			note_flag(a, arg);
		} else if (!a->input) {
			a->input = arg;
		}
	}
	return 0;
}

void rustc_args_release(struct rustc_args *a)
{
	sv_release(&a->argv);
	sv_release(&a->codegen);
	sv_release(&a->cfgs);
	sv_release(&a->externs);
}

const char *rustc_args_codegen(const struct rustc_args *a, const char *key)
{
	size_t klen = strlen(key);

	for (size_t i = a->codegen.n; i-- > 0;) {
		const char *kv = a->codegen.v[i];
		if (strncmp(kv, key, klen) == 0 && (kv[klen] == '=' || kv[klen] == '\0'))
			return kv[klen] == '=' ? kv + klen + 1 : "";
	}
	return NULL;
}

bool rustc_args_is_probe(const struct rustc_args *a)
{
	if (a->has_print || a->has_version || a->has_help)
		return true;
	/* cargo's "- --crate-name ___" feature probe, and anything without input. */
	if (!a->input || strcmp(a->input, "-") == 0)
		return true;
	return a->crate_name && strcmp(a->crate_name, "___") == 0;
}

bool rustc_args_is_build_script(const struct rustc_args *a)
{
	return a->crate_name && strncmp(a->crate_name, "build_script_", 13) == 0;
}

bool rustc_args_does_codegen(const struct rustc_args *a)
{
	return a->emit == 0 || (a->emit & EMIT_CODEGEN);
}

bool rustc_args_optimizes(const struct rustc_args *a)
{
	return a->opt_level && strcmp(a->opt_level, "0") != 0;
}

int rustc_args_dep_info_path(const struct rustc_args *a, struct strbuf *out)
{
	if (!(a->emit & EMIT_DEP_INFO))
		return -1;
	if (a->dep_info_path) {
		sb_adds(out, a->dep_info_path);
		return 0;
	}
	if (a->output) {
		/* rustc names it after -o with the extension replaced by .d */
		const char *base = path_basename(a->output);
		const char *dot = strrchr(base, '.');
		size_t keep = dot && dot != base ? (size_t)(dot - a->output) : strlen(a->output);
		sb_add(out, a->output, keep);
		sb_adds(out, ".d");
		return 0;
	}
	if (!a->crate_name)
		return -1;
	if (a->out_dir) {
		sb_adds(out, a->out_dir);
		sb_addch(out, '/');
	}
	sb_addf(out, "%s%s.d", a->crate_name, a->extra_filename ? a->extra_filename : "");
	return 0;
}

void rustc_args_describe_types(const struct rustc_args *a, struct strbuf *out)
{
	static const char *const names[] = {
		"bin", "lib", "rlib", "dylib", "cdylib", "staticlib", "proc-macro", "unknown",
	};
	unsigned bits = a->crate_types ? a->crate_types : CT_BIN;
	size_t start = out->len;

	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(bits & (1u << i)))
			continue;
		if (out->len > start)
			sb_addch(out, ',');
		sb_adds(out, names[i]);
	}
}
