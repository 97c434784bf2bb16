/*
 * ccwrap.c - the C/C++ compiler shim build scripts run (see include/wrapper/ccwrap.h).
 * Only a compile to an object (-c -o X) of C or C++ code of a package built
 * optimised gets flags; a probe or a preprocess is exec'd as it came, so
 * cc's feature checks see the real compiler. Every object gets a sidecar.
 */
#include "wrapper/ccwrap.h"
#include "base/atomic.h"
#include "base/message.h"
#include "base/path.h"
#include "base/settings.h"
#include "base/spawn.h"
#include "base/strbuf.h"
#include "wrapper/decision.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

bool ccwrap_is_our_name(const char *argv0)
{
	const char *base = path_basename(argv0);
	return strcmp(base, CCWRAP_CC_NAME) == 0 || strcmp(base, CCWRAP_CXX_NAME) == 0;
}

struct compile {
	const char *object;     /* -o's value */
	bool to_object;         /* -c -o X, and nothing that stops before code generation */
	bool assembly;          /* the source is .s/.S/.asm: no IR to instrument */
	bool writes_deps;       /* -MD or -MMD: a dep file is written... */
	const char *dep_file;   /* ...here (-MF), or beside the object */
};

static void parse_compile(int argc, char **argv, struct compile *c)
{
	bool stops_early = false, compile = false;

	memset(c, 0, sizeof(*c));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-c") == 0)
			compile = true;
		else if (strcmp(a, "-E") == 0 || strcmp(a, "-S") == 0 || strcmp(a, "-M") == 0 ||
			 strcmp(a, "-MM") == 0 || strcmp(a, "-fsyntax-only") == 0)
			stops_early = true;
		else if (strcmp(a, "-o") == 0 && i + 1 < argc)
			c->object = argv[++i];
		else if (strncmp(a, "-o", 2) == 0 && a[2])
			c->object = a + 2;
		else if (strcmp(a, "-MD") == 0 || strcmp(a, "-MMD") == 0)
			c->writes_deps = true;
		else if (strcmp(a, "-MF") == 0 && i + 1 < argc)
			c->dep_file = argv[++i];
		else if (a[0] != '-' && (str_ends_with(a, ".s") || str_ends_with(a, ".S") || str_ends_with(a, ".asm")))
			c->assembly = true;
	}
	c->to_object = compile && !stops_early && c->object;
}

/* Packages built at opt-level 0 (those a build script or proc-macro uses) stay plain, like their Rust. */
static bool package_is_optimised(void)
{
	const char *opt = env_get("OPT_LEVEL");
	return opt && strcmp(opt, "0") != 0;
}

/* The length of FILE in "FILE#HASH" (split_detail's form: 16 hex digits), or of it all. */
static size_t profile_path_len(const char *s)
{
	const char *hash = strrchr(s, '#');
	return hash && str_is_hex(hash + 1, 16) ? (size_t)(hash - s) : strlen(s);
}

/* The flag for decision ("generate DIR", "use FILE" or "use FILE#HASH"), or NULL. */
static char *profile_flag(const char *decision)
{
	struct strbuf f = STRBUF_INIT;

	if (strncmp(decision, "generate ", 9) == 0)
		sb_addf(&f, "-fprofile-generate=%s", decision + 9);
	else if (strncmp(decision, "use ", 4) == 0)
		sb_addf(&f, "-fprofile-use=%.*s", (int)profile_path_len(decision + 4), decision + 4);
	else
		return NULL;
	return sb_detach(&f);
}

/*
 * Written after the object: an object newer than its sidecar was compiled
 * by someone else since.
 */
int ccwrap_write_sidecar(const char *object, const char *decision, const char *cwd, const char *deps,
			 struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT, text = STRBUF_INIT;
	struct atomic_opts opts = { .mode = 0644 };

	sb_addf(&path, "%s" CCWRAP_SIDECAR, object);
	sb_addf(&text, "%s\n%s\n%s\n", decision, cwd ? cwd : "", deps ? deps : "");
	int rc = write_file_atomic(path.buf, text.buf, text.len, &opts, err);
	sb_release(&path);
	sb_release(&text);
	return rc;
}

/* What this compile did, for the build's check; the cwd resolves the dep file's relative paths. */
static void write_sidecar(const char *object, const char *decision, const char *deps)
{
	struct strbuf err = STRBUF_INIT;
	char *cwd = getcwd(NULL, 0);

	if (ccwrap_write_sidecar(object, decision, cwd, deps, &err) != 0)
		die(PGOW_EXIT_FAIL, "%s; without it the build cannot be verified to carry the profile, "
		    "so the compile fails", err.buf);
	free(cwd);
	sb_release(&err);
}

/*
 * Why an object of this compile gets no profile flags although it is one
 * the build ships: "plain <why>", neutral to the check (it could not carry
 * a profile), or NULL when it should carry the decision.
 */
static const char *neutral_reason(const struct compile *c)
{
	if (c->assembly)
		return "plain assembly";
	if (!package_is_optimised())
		return "plain opt-level-0";
	if (decision_excludes(env_get("CARGO_PKG_NAME")))
		return "plain excluded";
	return NULL;
}

/* The dep file the compile writes: ours, or the one the build asked for (cmake's -MD -MF). */
static void dep_file(const struct compile *c, struct strvec *cmd, struct strbuf *out)
{
	if (c->dep_file) {
		sb_adds(out, c->dep_file);
	} else if (c->writes_deps) {
		/* -MD alone: the object's name with .d for its extension */
		const char *dot = strrchr(path_basename(c->object), '.');
		size_t stem = dot ? (size_t)(dot - c->object) : strlen(c->object);
		sb_addf(out, "%.*s.d", (int)stem, c->object);
	} else {
		/* The headers and sources it read make the C unit's content key. */
		sb_addf(out, "%s" CCWRAP_SIDECAR ".d", c->object);
		sv_push(cmd, "-MMD");
		sv_push(cmd, "-MF");
		sv_push(cmd, out->buf);
	}
}

_Noreturn void ccwrap_main(int argc, char **argv)
{
	bool cxx = strcmp(path_basename(argv[0]), CCWRAP_CXX_NAME) == 0;
	const char *real = setting_get(cxx ? SETTING_CXX : SETTING_CC);
	const char *decision = setting_get(SETTING_C_DECISION);
	struct strvec cmd = STRVEC_INIT;
	struct strbuf deps = STRBUF_INIT;
	struct compile c;

	if (!real)
		die(PGOW_EXIT_CONFIG, "%s is cargo-pgo-wrap's compiler link and %s is not set; it is "
		    "meant to be run by `cargo-pgo-wrap build`, not by hand", argv[0],
		    cxx ? ENV_CXX_REAL : ENV_CC_REAL);
	sv_push(&cmd, real);
	sv_pushv(&cmd, argv + 1, (size_t)(argc - 1));
	parse_compile(argc, argv, &c);
	if (!c.to_object || !decision)
		exec_or_die(cmd.v); /* probes, preprocessing, links: the real compiler as it was called */
	/* Every object gets a sidecar, so the check can tell ours from someone else's. */
	const char *neutral = neutral_reason(&c);
	char *flag = neutral ? NULL : profile_flag(decision);
	const char *recorded = neutral ? neutral : flag ? decision : "plain off";
	if (flag) {
		sv_push(&cmd, flag);
		dep_file(&c, &cmd, &deps);
	}
	int status = run_or_die(cmd.v, NULL, NULL);
	if (status < 0)
		die(PGOW_EXIT_EXEC, "cannot run %s", real);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		write_sidecar(c.object, recorded, deps.len ? deps.buf : NULL);
	free(flag);
	sv_release(&cmd);
	sb_release(&deps);
	exit_like(status);
}
