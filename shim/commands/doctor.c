/*
 * doctor.c - `cargo-pgo-wrap doctor`: checks everything a PGO build depends
 * on (rustc, a matching llvm-profdata, the cache dir, the config, the
 * profiler runtime for the target) and says how to fix each problem.
 */
#include "base/message.h"
#include "base/option.h"
#include "base/path.h"
#include "base/settings.h"
#include "base/spawn.h"
#include "base/strbuf.h"
#include "store/cache.h"
#include "store/toolchain.h"
#include "cycle/bolt.h"
#include "cycle/ccode.h"
#include "cycle/config.h"
#include "cycle/llvm.h"
#include "commands/commands.h"

#include <stdio.h>
#include <string.h>

struct checkup {
	int first_failure;   /* exit code of the first problem, 0 when none */
};

static void ok(const char *what, const char *detail)
{
	printf("ok    %-16s %s\n", what, detail);
}

static void problem(struct checkup *c, int code, const char *what, const char *detail, const char *fix)
{
	printf("FAIL  %-16s %s\n      fix: %s\n", what, detail, fix);
	if (!c->first_failure)
		c->first_failure = code;
}

static void first_line_of(const char *text, struct strbuf *out)
{
	sb_add(out, text, strcspn(text, "\n"));
}

static int check_rustc(struct checkup *c, struct strbuf *identity)
{
	char *argv[] = { "rustc", "-vV", NULL };
	struct strbuf line = STRBUF_INIT;

	if (run_capture(argv, identity, NULL) != 0 || !strstr(sb_str(identity), "LLVM version: ")) {
		problem(c, PGOW_EXIT_EXEC, "rustc", "rustc -vV failed or is not on PATH",
			"install Rust with rustup, and put ~/.cargo/bin on PATH");
		return 0;
	}
	first_line_of(identity->buf, &line);
	int major = rustc_identity_llvm_major(identity->buf);
	sb_addf(&line, ", LLVM %d", major);
	ok("rustc", line.buf);
	sb_release(&line);
	return major;
}

static void check_llvm(struct checkup *c, int major)
{
	/* What this rustc's LLVM writes: format 10 from LLVM 19, 9 from 17, 8 before. */
	uint64_t raw = major >= 19 ? 10 : major >= 17 ? 9 : 8;
	struct strbuf path = STRBUF_INIT, version = STRBUF_INIT, err = STRBUF_INIT, fix = STRBUF_INIT;

	if (llvm_find_profdata(major, llvm_min_major_for_raw(raw), raw, &path, &version, &err) == 0) {
		sb_addf(&path, " (%s; reads raw format %ju)", version.buf, (uintmax_t)raw);
		ok("llvm-profdata", path.buf);
	} else {
		sb_addf(&fix, "apt-get install llvm-%d (or point CARGO_PGO_WRAP_LLVM_PROFDATA at one)", major);
		problem(c, PGOW_EXIT_LLVM, "llvm-profdata", err.buf, fix.buf);
	}
	sb_release(&path);
	sb_release(&version);
	sb_release(&err);
	sb_release(&fix);
}

static void check_cache(struct checkup *c)
{
	struct strbuf dir = STRBUF_INIT, err = STRBUF_INIT;

	if (cache_root(&dir, &err) == 0) {
		sb_adds(&dir, cache_is_readonly() ? " (read-only: builds use its profiles; merging and "
						   "`build` cannot store new ones)" : " (private, 0700)");
		ok("cache", dir.buf);
	} else {
		problem(c, PGOW_EXIT_CACHE, "cache", err.buf,
			"set CARGO_PGO_WRAP_CACHE to a directory of your own, or fix the one named");
	}
	sb_release(&dir);
	sb_release(&err);
}

static void check_config(struct checkup *c, const char *config_path)
{
	struct strbuf out = STRBUF_INIT, ws = STRBUF_INIT, err = STRBUF_INIT, line = STRBUF_INIT;
	/* Outside a workspace cargo's own error would be noise: the line below says it. */
	char *argv[] = { "/bin/sh", "-c", "exec cargo locate-project --workspace --message-format plain 2>/dev/null",
			 NULL };
	struct config cfg;

	if (!config_path && run_capture(argv, &out, NULL) != 0) {
		ok("config", "not in a cargo workspace: nothing to read");
		goto out;
	}
	if (out.len)
		path_dirname(&ws, out.buf);
	if (config_load(&cfg, config_path, ws.len ? ws.buf : NULL, &err) != 0) {
		problem(c, PGOW_EXIT_CONFIG, "config", err.buf,
			strstr(err.buf, "cannot read") ? "name an existing file" : "correct the file at the place named");
	} else if (!cfg.path) {
		ok("config", "no pgo-wrap.yaml: `build` explains how to collect profiles by hand "
		   "(" PGOW_DATADIR "/profiles/example.yaml shows every key)");
	} else {
		sb_addf(&line, "%s: %zu training run(s), stale-policy %s%s", cfg.path, cfg.nruns,
			stale_policy_name(cfg.stale_policy), cfg.bolt ? ", bolt: on" : "");
		ok("config", line.buf);
	}
	config_release(&cfg);
out:
	sb_release(&out);
	sb_release(&ws);
	sb_release(&err);
	sb_release(&line);
}

static void check_profiler(struct checkup *c, const char *identity, const char *target)
{
	char *argv[] = { "rustc", "--print", "sysroot", NULL };
	struct strbuf sysroot = STRBUF_INIT, host = STRBUF_INIT, line = STRBUF_INIT;
	const char *h = strstr(identity, "host: ");

	if (h)
		first_line_of(h + 6, &host);
	if (!target)
		target = host.buf;
	if (run_capture(argv, &sysroot, NULL) == 0) {
		while (sysroot.len && sysroot.buf[sysroot.len - 1] == '\n')
			sb_setlen(&sysroot, sysroot.len - 1);
		int has = toolchain_has_profiler(sysroot.buf, target);
		sb_addf(&line, "%s: ", target);
		if (has == 1) {
			sb_adds(&line, "profiler_builtins present, crates can be instrumented");
			ok("profiler runtime", line.buf);
		} else {
			sb_adds(&line, has == 0 ? "no profiler_builtins in its std"
						: "its std is not installed");
			problem(c, PGOW_EXIT_CONFIG, "profiler runtime", line.buf, has == 0
				? "this target cannot be instrumented; cargo-pgo-wrap leaves its crates alone, "
				  "so profile a build for a target that has it"
				: "rustup target add <the target>");
		}
	}
	sb_release(&sysroot);
	sb_release(&host);
	sb_release(&line);
}

static void check_c_compiler(const char *target)
{
	struct ccode cc;
	struct strbuf line = STRBUF_INIT;

	ccode_choose(&cc, target);
	if (cc.enabled) {
		sb_addf(&line, "%s%s%s: C/C++ code that build scripts compile through cc is profiled too",
			cc.cc.buf, cc.cxx.len ? " and " : "", cc.cxx.buf);
		ok("C/C++ compiler", line.buf);
		if (!cc.cxx.len)
			printf("note  %-16s C++ is not profiled: %s\n", "C++ compiler", cc.why_not.buf);
	} else {
		printf("note  %-16s C/C++ code that build scripts compile gets no PGO: %s\n", "C/C++ compiler",
		       cc.why_not.buf);
	}
	ccode_release(&cc);
	sb_release(&line);
}

int cmd_doctor(int argc, char **argv)
{
	struct checkup c = { 0 };
	struct strbuf identity = STRBUF_INIT;
	const char *target = NULL, *config_path = NULL;

	for (int i = 1; i < argc; i++) {
		const char *v;
		if (option_take(argc, argv, &i, "--target", &v))
			target = v;
		else if (option_take(argc, argv, &i, "--pgo-config", &v))
			config_path = v;
		else
			command_usage_error("doctor", "unknown argument %s", argv[i]);
	}
	int major = check_rustc(&c, &identity);
	if (major)
		check_llvm(&c, major);
	check_cache(&c);
	check_config(&c, config_path);
	if (major)
		check_profiler(&c, identity.buf, target);
	check_c_compiler(target);
	struct strbuf bolt = STRBUF_INIT;
	bolt_describe_tools(&bolt);
	printf("%s  %-16s %s\n", strstr(bolt.buf, "needs") ? "note" : "ok  ", "BOLT", bolt.buf);
	sb_release(&bolt);
	const char *wrapper = env_get("RUSTC_WRAPPER");
	if (wrapper && strcmp(path_basename(wrapper), "cargo-pgo-wrap") != 0)
		printf("note  %-16s RUSTC_WRAPPER=%s is chained after cargo-pgo-wrap by `build`\n", "wrapper", wrapper);
	printf("%s\n", c.first_failure ? "problems found: see the fixes above" : "all checks passed");
	sb_release(&identity);
	return c.first_failure;
}
