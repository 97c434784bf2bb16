/*
 * ccode.c - the compilers for C and C++ code that build scripts compile (see
 * include/cycle/ccode.h): a clang of rustc's LLVM, found or taken from the user's
 * CC, and cc's CC_<target>/CXX_<target> pointed at our links to it.
 */
#include "cycle/ccode.h"
#include "base/message.h"
#include "base/path.h"
#include "base/safefs.h"
#include "base/settings.h"
#include "base/spawn.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "store/toolchain.h"
#include "wrapper/ccwrap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The LLVM major of a clang, from `--version`; -1 when it is not clang. */
static int clang_major(const char *cc)
{
	char *argv[] = { (char *)cc, "--version", NULL };
	struct strbuf out = STRBUF_INIT;
	int major = -1;

	if (run_capture(argv, &out, NULL) == 0) {
		const char *v = strstr(sb_str(&out), "clang version ");
		if (v)
			major = atoi(v + 14);
	}
	sb_release(&out);
	return major;
}

/* cc's own order: CC_<target>, CC_<target_with_underscores>, HOST_CC or TARGET_CC, CC. */
static const char *user_compiler(const char *var, const char *triple, bool cross, struct strbuf *name)
{
	struct strbuf u = STRBUF_INIT;
	const char *val = NULL;

	for (const char *p = triple; *p; p++)
		sb_addch(&u, *p == '-' ? '_' : *p);
	const char *names[4];
	struct strbuf n[4] = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT };
	sb_addf(&n[0], "%s_%s", var, triple);
	sb_addf(&n[1], "%s_%s", var, u.buf);
	sb_addf(&n[2], "%s_%s", cross ? "TARGET" : "HOST", var);
	sb_adds(&n[3], var);
	for (int i = 0; i < 4; i++)
		names[i] = n[i].buf;
	for (int i = 0; i < 4 && !val; i++) {
		val = env_get(names[i]);
		if (val)
			sb_adds(name, names[i]);
	}
	for (int i = 0; i < 4; i++)
		sb_release(&n[i]);
	sb_release(&u);
	return val;
}

/*
 * The compiler to profile with: the user's, when it is a clang of rustc's
 * LLVM, else clang-<major> (or clang) from PATH. Profiles of another LLVM
 * could not be merged with rustc's, so nothing else is accepted.
 */
static bool pick_compiler(const char *var, const char *base, const char *triple, bool cross, int major,
			  struct strbuf *out, struct strbuf *why)
{
	struct strbuf name = STRBUF_INIT, versioned = STRBUF_INIT;
	const char *mine = user_compiler(var, triple, cross, &name);
	bool ok = false;

	if (mine && *mine) {
		char *path = strchr(mine, ' ') ? NULL : find_in_path(mine);
		int m = path ? clang_major(path) : -1;
		if (m == major) {
			sb_adds(out, path);
			ok = true;
		} else {
			sb_addf(why, "%s=%s is not a clang of LLVM %d (rustc's)%s", name.buf, mine, major,
				strchr(mine, ' ') ? ", or has arguments" : "");
		}
		free(path);
	} else {
		sb_addf(&versioned, "%s-%d", base, major);
		const char *cands[] = { versioned.buf, base };
		for (size_t i = 0; i < 2 && !ok; i++) {
			char *path = find_in_path(cands[i]);
			if (path && clang_major(path) == major) {
				sb_adds(out, path);
				ok = true;
			}
			free(path);
		}
		if (!ok)
			sb_addf(why, "no %s on PATH (rustc's LLVM is %d; install %s-%d)", versioned.buf, major,
				"clang", major);
	}
	sb_release(&name);
	sb_release(&versioned);
	return ok;
}

/* Points CC_<triple> (or CXX_) at our link named name in link_dir. */
static void export_link(const struct ccode *c, const char *var, const char *link_dir, const char *name)
{
	struct strbuf link = STRBUF_INIT, env = STRBUF_INIT, err = STRBUF_INIT;
	char *self = self_exe_path();

	if (!self)
		die(PGOW_EXIT_INTERNAL, "cannot find our own executable: %s", strerror(errno));
	path_join(&link, link_dir, name);
	if (safe_symlink(c->target_dir, self, link.buf, &err) != 0)
		die(PGOW_EXIT_FAIL, "%s", err.buf);
	sb_addf(&env, "%s_%s", var, c->triple);
	setenv(env.buf, link.buf, 1);
	free(self);
	sb_release(&link);
	sb_release(&env);
	sb_release(&err);
}

void ccode_choose(struct ccode *c, const char *target)
{
	const char *want = setting_get(SETTING_C);
	struct strbuf host = STRBUF_INIT;

	memset(c, 0, sizeof(*c));
	rustc_host(&host);
	c->triple = xstrdup(target ? target : sb_str(&host));
	if (want && strcmp(want, "off") == 0) {
		sb_addf(&c->why_not, "%s=off", ENV_C_PGO);
	} else {
		int major = rustc_llvm_major();
		bool cross = target && strcmp(target, host.buf) != 0;
		c->enabled = major > 0 && pick_compiler("CC", "clang", c->triple, cross, major, &c->cc, &c->why_not);
		if (!c->enabled)
			sb_adds(&c->why_not, "; C++ is profiled only with C"); /* one decision for a build script's objects */
		if (c->enabled && !pick_compiler("CXX", "clang++", c->triple, cross, major, &c->cxx, &c->why_not))
			sb_reset(&c->cxx); /* C still is; why_not says why C++ is not */
	}
	sb_release(&host);
}

void ccode_setup(struct ccode *c, const char *target, const char *target_dir, const char *link_dir)
{
	const char *want = setting_get(SETTING_C);

	ccode_choose(c, target);
	if (!c->enabled && want && strcmp(want, "on") == 0)
		die(PGOW_EXIT_CONFIG, "C/C++ code cannot be profiled: %s; or set %s=auto", c->why_not.buf, ENV_C_PGO);
	c->target_dir = xstrdup(target_dir);
	if (c->enabled)
		c->link_dir = xstrdup(link_dir); /* made by the first cargo run: nothing is written before it */
}

void ccode_export(const struct ccode *c, const char *decision, const char *stamp)
{
	struct strbuf err = STRBUF_INIT;

	if (!c->enabled)
		return;
	if (safe_mkdirs(c->target_dir, c->link_dir, 0755, &err) != 0)
		die(PGOW_EXIT_FAIL, "%s", err.buf);
	sb_release(&err);
	export_link(c, "CC", c->link_dir, CCWRAP_CC_NAME);
	setenv(ENV_CC_REAL, c->cc.buf, 1);
	if (c->cxx.len) {
		export_link(c, "CXX", c->link_dir, CCWRAP_CXX_NAME);
		setenv(ENV_CXX_REAL, c->cxx.buf, 1);
	}
	setenv(ENV_C_DECISION, decision, 1);
	if (stamp)
		setenv(ENV_C_STAMP, stamp, 1);
	else
		unsetenv(ENV_C_STAMP);
}

void ccode_release(struct ccode *c)
{
	sb_release(&c->cc);
	sb_release(&c->cxx);
	sb_release(&c->why_not);
	free(c->triple);
	free(c->target_dir);
	free(c->link_dir);
	memset(c, 0, sizeof(*c));
}
