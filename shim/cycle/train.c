/*
 * train.c - the training workload (see include/cycle/train.h). Runs are argv
 * arrays executed directly; only an explicit `shell:` goes through /bin/sh.
 * LLVM_PROFILE_FILE uses "%p" (one file per process: short-lived and
 * sandboxed processes never share a file) plus "%4m" (binary signature with
 * a pool of 4 online-merged files), never "%c".
 */
#include "cycle/train.h"
#include "base/atomic.h"
#include "base/clock.h"
#include "base/dirlist.h"
#include "base/fdio.h"
#include "base/message.h"
#include "base/spawn.h"
#include "base/strbuf.h"
#include "store/report.h"
#include "cycle/placeholders.h"

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

/* The placeholders of one run of the training, expanded. */
static int expand(const char *arg, const struct train_paths *p, bool shell, struct strbuf *out, struct strbuf *err)
{
	const struct placeholder_values v = { p->bin_dir, p->target_dir, p->raw_dir, p->workspace };
	return placeholder_expand(arg, &v, shell, out, err);
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

struct tick_ctx {
	const char *label;
	long next;
};

static void still_running(long elapsed, void *ctxp)
{
	struct tick_ctx *t = ctxp;
	if (elapsed >= t->next) {
		progress("Training", "%s: still running, %lds\n", t->label, elapsed);
		t->next += PROGRESS_EVERY;
	}
}

/*
 * Runs argv in dir (the workspace root, wherever cargo-pgo-wrap was started)
 * with extra env, in its own process group so a timeout kills what it
 * started too; its output never reaches our stdout, which scripts read.
 * Returns the wait status, or -1 when it timed out (killed). A program that
 * cannot start is a run that exited 127, its reason in the run's output.
 */
static int run_with_timeout(char *const *argv, const char *dir, const struct strvec *env, long timeout,
			    int out, const char *label)
{
	struct child c = CHILD_INIT(argv);
	struct tick_ctx tick = { label, PROGRESS_EVERY };
	struct strbuf why = STRBUF_INIT;

	c.env = env;
	c.dir = dir;
	c.out = c.err = CHILD_FD;
	c.out_fd = out;
	c.own_group = true;
	c.timeout = timeout;
	c.on_tick = still_running;
	c.ctx = &tick;
	int rc = child_run(&c, &why);
	if (rc != 0) {
		struct strbuf line = STRBUF_INIT;
		sb_addf(&line, "cargo-pgo-wrap: error: %s\n", why.buf);
		(void)write_all(out, line.buf, line.len);
		sb_release(&line);
		c.status = 127 << 8;
	}
	sb_release(&why);
	return c.timed_out ? -1 : c.status;
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
			if (expand(r->shell, p, true, &arg, err) != 0)
				goto next;
			sv_push(&argv, "/bin/sh");
			sv_push(&argv, "-c");
			sv_push(&argv, arg.buf);
		}
		for (size_t a = 0; a < r->argv.n; a++) {
			sb_reset(&arg);
			if (expand(r->argv.v[a], p, false, &arg, err) != 0)
				goto next;
			sv_push(&argv, arg.buf);
		}
		sv_pushf(&env, "LLVM_PROFILE_FILE=%s/%%p-%%4m.profraw", raw.buf);
		for (size_t e = 0; e < r->env.n; e++) {
			sb_reset(&arg);
			if (expand(r->env.v[e], p, false, &arg, err) != 0)
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
			/* As a shell would read it back: `sh -c` takes one word. */
			for (size_t a = 0; a < argv.n; a++) {
				sb_addch(&head, ' ');
				sb_add_shell_word(&head, argv.v[a]);
			}
			sb_addch(&head, '\n');
			if (write_all(out, head.buf, head.len) != 0)
				warn("cannot write to %s: %s", p->log, strerror(errno));
			sb_release(&head);
		}
		double start = now_seconds();
		int status = run_with_timeout(argv.v, p->workspace, &env, r->timeout, out, label.buf);
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
