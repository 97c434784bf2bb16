/*
 * train.c - the training workload (see include/train.h). Runs are argv
 * arrays executed directly; only an explicit `shell:` goes through /bin/sh.
 * LLVM_PROFILE_FILE uses "%p" (one file per process: short-lived and
 * sandboxed processes never share a file) plus "%4m" (binary signature with
 * a pool of 4 online-merged files), never "%c".
 */
#include "cycle/train.h"
#include "store/report.h"
#include "base/message.h"
#include "base/path.h"
#include "base/dirlist.h"
#include "base/clock.h"
#include "base/fdio.h"
#include "base/atomic.h"
#include "base/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* One placeholder between braces; NULL when the name is unknown. */
static const char *placeholder_value(const char *name, size_t len, const struct train_paths *p)
{
	if (len == 9 && strncmp(name, "workspace", 9) == 0)
		return p->workspace;
	if (len == 10 && strncmp(name, "target_dir", 10) == 0)
		return p->target_dir;
	if (len == 11 && strncmp(name, "profile_dir", 11) == 0)
		return p->raw_dir;
	return NULL;
}

static void add_shell_quoted(struct strbuf *out, const char *s)
{
	sb_addch(out, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			sb_adds(out, "'\\''");
		else
			sb_addch(out, *s);
	}
	sb_addch(out, '\'');
}

/*
 * Walks arg's placeholders: {{ and }} are braces, {name} is handed to
 * on_name (which appends its value), other text is copied. -1 with err on
 * an unclosed brace or when on_name fails.
 */
typedef int (*placeholder_fn)(const char *name, size_t len, struct strbuf *out, void *ctx,
			      struct strbuf *err);

static int walk_placeholders(const char *arg, placeholder_fn on_name, void *ctx, struct strbuf *out,
			     struct strbuf *err)
{
	for (const char *s = arg; *s; s++) {
		if ((s[0] == '{' && s[1] == '{') || (s[0] == '}' && s[1] == '}')) {
			sb_addch(out, *s++);
		} else if (*s == '}') {
			sb_addf(err, "a lone '}' in \"%s\"; write }} for a literal brace", arg);
			return -1;
		} else if (*s == '{') {
			const char *close = strchr(s + 1, '}');
			const char *nested = strchr(s + 1, '{');
			if (!close || (nested && nested < close)) {
				sb_addf(err, "unclosed '{' in \"%s\"; write {{ for a literal brace", arg);
				return -1;
			}
			if (on_name(s + 1, (size_t)(close - s - 1), out, ctx, err) != 0)
				return -1;
			s = close;
		} else {
			sb_addch(out, *s);
		}
	}
	return 0;
}

static bool is_bin(const char *name, size_t len)
{
	return len > 4 && strncmp(name, "bin:", 4) == 0;
}

static int check_name(const char *name, size_t len, struct strbuf *out, void *ctx, struct strbuf *err)
{
	struct strvec *bins = ctx;
	static const struct train_paths known = { "", "", "", "", NULL, false, NULL, NULL, NULL };
	(void)out;
	if (is_bin(name, len)) {
		if (bins)
			sv_pushf(bins, "%.*s", (int)(len - 4), name + 4);
		return 0;
	}
	if (placeholder_value(name, len, &known))
		return 0;
	sb_addf(err, "unknown placeholder {%.*s}; use {bin:NAME}, {workspace}, {target_dir}, "
		"{profile_dir}, or {{ and }} for literal braces", (int)len, name);
	return -1;
}

int train_check_placeholders(const char *arg, struct strvec *bins, struct strbuf *err)
{
	struct strbuf ignored = STRBUF_INIT;
	int rc = walk_placeholders(arg, check_name, bins, &ignored, err);
	sb_release(&ignored);
	return rc;
}

struct expand_ctx {
	const struct train_paths *p;
	bool shell;
};

static int expand_name(const char *name, size_t len, struct strbuf *out, void *ctxp, struct strbuf *err)
{
	const struct expand_ctx *ctx = ctxp;
	struct strbuf value = STRBUF_INIT;

	if (is_bin(name, len)) {
		sb_addf(&value, "%s/%.*s", ctx->p->bin_dir, (int)(len - 4), name + 4);
		if (!is_executable_file(value.buf)) {
			sb_addf(err, "{bin:%.*s}: %s was not built; build it (e.g. --bin %.*s) or fix the name",
				(int)(len - 4), name + 4, value.buf, (int)(len - 4), name + 4);
			sb_release(&value);
			return -1;
		}
	} else {
		const char *v = placeholder_value(name, len, ctx->p);
		if (!v)
			return check_name(name, len, out, NULL, err);
		sb_adds(&value, v);
	}
	if (ctx->shell)
		add_shell_quoted(out, value.buf);
	else
		sb_adds(out, value.buf);
	sb_release(&value);
	return 0;
}

int train_expand(const char *arg, const struct train_paths *p, bool shell, struct strbuf *out,
		 struct strbuf *err)
{
	struct expand_ctx ctx = { p, shell };
	return walk_placeholders(arg, expand_name, &ctx, out, err);
}


/* Where a run's output goes: the log (O_APPEND, no symlink followed), or our stderr. */
static int output_fd(const struct train_paths *p, struct strbuf *err)
{
	if (p->verbose || !p->log)
		return STDERR_FILENO;
	int fd = open(p->log, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		sb_addf(err, "cannot open the training log %s: %s", p->log, strerror(errno));
	return fd;
}

#define PROGRESS_EVERY 30 /* seconds between "still running" lines */

/* Runs argv in dir with extra env; returns the wait status, or -1 when it timed out (killed). */
static int run_with_timeout(char *const *argv, const char *dir, const struct strvec *env, long timeout,
			    int out, const char *label, struct strbuf *err)
{
	pid_t pid = fork();

	if (pid < 0) {
		sb_addf(err, "cannot fork: %s", strerror(errno));
		return -2;
	}
	if (pid == 0) {
		setpgid(0, 0); /* its own group, so a timeout kills its children too */
		/* Runs start in the workspace root, wherever cargo-pgo-wrap was started. */
		if (dir && chdir(dir) != 0) {
			error_msg("cannot enter %s for training: %s", dir, strerror(errno));
			_exit(PGOW_EXIT_TRAINING);
		}
		for (size_t i = 0; i < env->n; i++)
			putenv(env->v[i]);
		/* Training output is the workload's: never on our stdout, which scripts read. */
		if (dup2(out, STDOUT_FILENO) < 0 || (out != STDERR_FILENO && dup2(out, STDERR_FILENO) < 0))
			_exit(PGOW_EXIT_INTERNAL);
		execvp(argv[0], argv);
		error_msg("cannot run %s: %s", argv[0], strerror(errno));
		_exit(PGOW_EXIT_EXEC);
	}
	/*
	 * Poll rather than wait on SIGALRM: a signal landing between a check and
	 * waitpid() would be lost, and the timeout with it. 20 ms costs nothing
	 * next to a training run.
	 */
	struct timespec start, now, tick = { 0, 20 * 1000 * 1000 };
	clock_gettime(CLOCK_MONOTONIC, &start);
	long elapsed = 0, next_progress = PROGRESS_EVERY;
	bool killed = false;
	int status;
	for (;;) {
		pid_t got = waitpid(pid, &status, WNOHANG);
		if (got == pid)
			break;
		if (got < 0 && errno != EINTR) {
			sb_addf(err, "waitpid: %s", strerror(errno));
			status = -2;
			break;
		}
		nanosleep(&tick, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
		elapsed = (long)(now.tv_sec - start.tv_sec);
		if (timeout > 0 && elapsed >= timeout && !killed) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			killed = true;
		} else if (elapsed >= next_progress && !killed) {
			progress("Training", "%s: still running, %lds\n", label, elapsed);
			next_progress += PROGRESS_EVERY;
		}
	}
	if (killed)
		return -1;
	return status;
}

static void describe_run(const struct training_run *r, size_t i, struct strbuf *out)
{
	if (r->name)
		sb_adds(out, r->name);
	else if (r->shell)
		sb_addf(out, "shell: %s", r->shell);
	else
		sb_addf(out, "run %zu: %s", i + 1, r->argv.v[0]);
}

int train_run_all(const struct config *c, const struct train_paths *p, struct strvec *weighted,
		  struct strbuf *err)
{
	for (size_t i = 0; i < c->nruns; i++) {
		const struct training_run *r = &c->runs[i];
		struct strvec argv = STRVEC_INIT, env = STRVEC_INIT;
		struct strbuf label = STRBUF_INIT, raw = STRBUF_INIT, arg = STRBUF_INIT;
		int rc = -1;

		describe_run(r, i, &label);
		sb_addf(&raw, "%s/run-%zu", p->raw_dir, i + 1);
		if (mkdir_private(raw.buf, 0700, err) != 0)
			goto next;
		for (const char *const *w = p->prefix; w && *w; w++) {
			const char *at = strstr(*w, "{run_dir}");
			if (at)
				sv_pushf(&argv, "%.*s%s%s", (int)(at - *w), *w, raw.buf, at + 9);
			else
				sv_push(&argv, *w);
		}
		if (r->shell) {
			if (train_expand(r->shell, p, true, &arg, err) != 0)
				goto next;
			sv_push(&argv, "/bin/sh");
			sv_push(&argv, "-c");
			sv_push(&argv, arg.buf);
		}
		for (size_t a = 0; a < r->argv.n; a++) {
			sb_reset(&arg);
			if (train_expand(r->argv.v[a], p, false, &arg, err) != 0)
				goto next;
			sv_push(&argv, arg.buf);
		}
		sv_pushf(&env, "LLVM_PROFILE_FILE=%s/%%p-%%4m.profraw", raw.buf);
		for (size_t e = 0; e < r->env.n; e++) {
			sb_reset(&arg);
			if (train_expand(r->env.v[e], p, false, &arg, err) != 0)
				goto next;
			sv_push(&env, arg.buf);
		}
		bool timed = p->profile_ext && !*p->profile_ext;
		const char *ext = p->profile_ext ? p->profile_ext : ".profraw";
		const char *where = p->profiles_dir ? p->profiles_dir : raw.buf;
		size_t before = timed ? 0 : count_files(where, ext);
		if (!timed)
			progress("Training", "run %zu/%zu (%s)%s%s\n", i + 1, c->nruns, label.buf,
				 p->verbose || !p->log ? "" : ", output in ", p->verbose || !p->log ? "" : p->log);
		int out = output_fd(p, err);
		if (out < 0)
			goto next;
		/* The log tells runs apart: which one, what ran, how it ended. */
		if (out != STDERR_FILENO && !timed) {
			struct strbuf head = STRBUF_INIT;
			sb_addf(&head, "==== run %zu/%zu (%s, %s):", i + 1, c->nruns, label.buf, r->where);
			for (size_t a = 0; a < argv.n; a++)
				sb_addf(&head, " %s", argv.v[a]);
			sb_addch(&head, '\n');
			if (write_all(out, head.buf, head.len) != 0)
				warn("cannot write to %s: %s", p->log, strerror(errno));
			sb_release(&head);
		}
		double start = now_seconds();
		int status = run_with_timeout(argv.v, p->workspace, &env, r->timeout, out, label.buf, err);
		double took = now_seconds() - start;
		if (out != STDERR_FILENO && !timed) {
			struct strbuf tail = STRBUF_INIT;
			if (status == -1)
				sb_addf(&tail, "==== run %zu: timed out after %lds\n", i + 1, r->timeout);
			else if (status >= 0 && WIFEXITED(status))
				sb_addf(&tail, "==== run %zu: exit status %d, %.1fs\n", i + 1, WEXITSTATUS(status), took);
			else if (status >= 0)
				sb_addf(&tail, "==== run %zu: killed by signal %d\n", i + 1, WTERMSIG(status));
			if (write_all(out, tail.buf, tail.len) != 0)
				warn("cannot write to %s: %s", p->log, strerror(errno));
			sb_release(&tail);
		}
		if (out != STDERR_FILENO)
			close(out);
		if (status == -2)
			goto next;
		bool ok = status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
		if (!ok && !r->allow_failure) {
			if (status == -1)
				sb_addf(err, "training run %zu (%s, %s) timed out after %lds; raise its timeout: "
					"or make the workload shorter", i + 1, label.buf, r->where, r->timeout);
			else
				sb_addf(err, "training run %zu (%s, %s) failed with %s %d; fix the command, or set "
					"allow-failure: true if its profile is still good", i + 1, label.buf, r->where,
					WIFEXITED(status) ? "exit status" : "signal",
					WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
			if (!p->verbose && p->log)
				sb_addf(err, " (its output is in %s)", p->log);
			goto next;
		}
		if (timed) {
			rc = 0;
			goto next;
		}
		int files = (int)(count_files(where, ext) - before);
		progress("Trained", "run %zu/%zu in %.1fs%s, %d profile file(s)\n", i + 1, c->nruns,
			took, ok ? "" : " (failed, allowed)", files);
		if (files)
			sv_pushf(weighted, "%ld,%s", r->weight, raw.buf);
		else
			warn("training run %zu (%s) wrote no profile: it ran no instrumented binary, or its "
			     "processes could not write to %s (sandboxed?)", i + 1, label.buf, where);
		rc = 0;
next:
		sv_release(&argv);
		sv_release(&env);
		sb_release(&label);
		sb_release(&raw);
		sb_release(&arg);
		if (rc != 0)
			return -1;
	}
	return 0;
}
