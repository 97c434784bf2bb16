/*
 * ccwrap.c - the C/C++ compiler shim build scripts run (see include/ccwrap.h).
 * Only a compile to an object (-c -o X) of C or C++ code of a package built
 * optimised gets flags; a probe, a preprocess or an assembly file is exec'd
 * as it came, so cc's feature checks see the real compiler.
 */
#include "ccwrap.h"
#include "decision.h"
#include "execute.h"
#include "util.h"

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
	bool to_object;         /* -c, and nothing that stops before code generation */
	bool has_deps;          /* the command already writes a dep file */
	bool assembly;          /* the source is .s/.S/.asm: no IR to instrument */
};

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void parse_compile(int argc, char **argv, struct compile *c)
{
	bool stops_early = false;

	memset(c, 0, sizeof(*c));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-c") == 0)
			c->to_object = true;
		else if (strcmp(a, "-E") == 0 || strcmp(a, "-S") == 0 || strcmp(a, "-M") == 0 ||
			 strcmp(a, "-MM") == 0 || strcmp(a, "-fsyntax-only") == 0)
			stops_early = true;
		else if (strcmp(a, "-o") == 0 && i + 1 < argc)
			c->object = argv[++i];
		else if (strncmp(a, "-o", 2) == 0 && a[2])
			c->object = a + 2;
		else if (strcmp(a, "-MD") == 0 || strcmp(a, "-MMD") == 0 || strcmp(a, "-MF") == 0)
			c->has_deps = true;
		else if (a[0] != '-' && (ends_with(a, ".s") || ends_with(a, ".S") || ends_with(a, ".asm")))
			c->assembly = true;
	}
	c->to_object = c->to_object && !stops_early && c->object && !c->assembly;
}

/* Packages built at opt-level 0 (those a build script or proc-macro uses) stay plain, like their Rust. */
static bool package_is_optimised(void)
{
	const char *opt = env_get("OPT_LEVEL");
	return opt && strcmp(opt, "0") != 0;
}

/* The flag for decision ("generate DIR" or "use FILE"), or NULL. */
static char *profile_flag(const char *decision)
{
	struct strbuf f = STRBUF_INIT;

	if (strncmp(decision, "generate ", 9) == 0)
		sb_addf(&f, "-fprofile-generate=%s", decision + 9);
	else if (strncmp(decision, "use ", 4) == 0)
		sb_addf(&f, "-fprofile-use=%s", decision + 4);
	else
		return NULL;
	return sb_detach(&f);
}

/*
 * What the object was compiled with, written after it: an object newer
 * than its sidecar was compiled by someone else since.
 */
static void write_sidecar(const char *object, const char *decision)
{
	struct strbuf path = STRBUF_INIT, text = STRBUF_INIT, err = STRBUF_INIT;
	struct atomic_opts opts = { .mode = 0644 };

	sb_addf(&path, "%s" CCWRAP_SIDECAR, object);
	char *cwd = getcwd(NULL, 0);
	/* The cwd resolves the relative paths of the dep file. */
	sb_addf(&text, "%s\n%s\n", decision, cwd ? cwd : "");
	free(cwd);
	if (write_file_atomic(path.buf, text.buf, text.len, &opts, &err) != 0)
		die(PGOW_EXIT_FAIL, "%s; without it the build cannot be verified to carry the profile, "
		    "so the compile fails", err.buf);
	sb_release(&path);
	sb_release(&text);
	sb_release(&err);
}

_Noreturn void ccwrap_main(int argc, char **argv)
{
	bool cxx = strcmp(path_basename(argv[0]), CCWRAP_CXX_NAME) == 0;
	const char *real = env_get(cxx ? ENV_CXX_REAL : ENV_CC_REAL);
	const char *decision = env_get(ENV_C_DECISION);
	struct strvec cmd = STRVEC_INIT;
	struct compile c;

	if (!real)
		die(PGOW_EXIT_CONFIG, "%s is cargo-pgo-wrap's compiler link and %s is not set; it is "
		    "meant to be run by `cargo-pgo-wrap build`, not by hand", argv[0],
		    cxx ? ENV_CXX_REAL : ENV_CC_REAL);
	sv_push(&cmd, real);
	sv_pushv(&cmd, argv + 1, (size_t)(argc - 1));
	parse_compile(argc, argv, &c);
	char *flag = c.to_object && decision && package_is_optimised() && !decision_excludes(env_get("CARGO_PKG_NAME"))
			     ? profile_flag(decision) : NULL;
	if (!flag)
		exec_or_die(cmd.v);
	sv_push(&cmd, flag);
	if (!c.has_deps) {
		/* The headers and sources it read make the C unit's content key. */
		sv_push(&cmd, "-MMD");
		sv_push(&cmd, "-MF");
		sv_pushf(&cmd, "%s" CCWRAP_SIDECAR ".d", c.object);
	}
	int status = run_and_wait(cmd.v);
	if (status < 0)
		die(PGOW_EXIT_EXEC, "cannot run %s", real);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		write_sidecar(c.object, decision);
	free(flag);
	sv_release(&cmd);
	exit_like(status);
}
