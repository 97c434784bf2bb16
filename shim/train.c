/*
 * train.c - the training workload (see include/train.h). Runs are argv
 * arrays executed directly; only an explicit `shell:` goes through /bin/sh.
 * LLVM_PROFILE_FILE uses "%p" (one file per process: short-lived and
 * sandboxed processes never share a file) plus "%4m" (binary signature with
 * a pool of 4 online-merged files), never "%c".
 */
#include "train.h"
#include "report.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int train_expand(const char *arg, const struct train_paths *p, struct strbuf *out, struct strbuf *err)
{
	const char *s = arg;

	while (*s) {
		const char *open = strchr(s, '{');
		if (!open) {
			sb_adds(out, s);
			break;
		}
		sb_add(out, s, (size_t)(open - s));
		const char *close = strchr(open, '}');
		if (!close) {
			sb_adds(out, open);
			break;
		}
		size_t len = (size_t)(close - open - 1);
		const char *name = open + 1;
		if (len > 4 && strncmp(name, "bin:", 4) == 0) {
			struct strbuf bin = STRBUF_INIT;
			sb_addf(&bin, "%s/%.*s", p->bin_dir, (int)(len - 4), name + 4);
			if (!is_executable_file(bin.buf)) {
				sb_addf(err, "{bin:%.*s}: %s was not built; build it (e.g. --bin %.*s) or fix the name",
					(int)(len - 4), name + 4, bin.buf, (int)(len - 4), name + 4);
				sb_release(&bin);
				return -1;
			}
			sb_adds(out, bin.buf);
			sb_release(&bin);
		} else if (len == 10 && strncmp(name, "target_dir", 10) == 0) {
			sb_adds(out, p->target_dir);
		} else if (len == 11 && strncmp(name, "profile_dir", 11) == 0) {
			sb_adds(out, p->raw_dir);
		} else {
			sb_addf(err, "unknown placeholder {%.*s}; use {bin:NAME}, {target_dir} or {profile_dir}",
				(int)len, name);
			return -1;
		}
		s = close + 1;
	}
	return 0;
}

static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

/* Runs argv with extra env; returns the wait status, or -1 when it timed out (killed). */
static int run_with_timeout(char *const *argv, const struct strvec *env, long timeout, struct strbuf *err)
{
	pid_t pid = fork();

	if (pid < 0) {
		sb_addf(err, "cannot fork: %s", strerror(errno));
		return -2;
	}
	if (pid == 0) {
		setpgid(0, 0); /* its own group, so a timeout kills its children too */
		for (size_t i = 0; i < env->n; i++)
			putenv(env->v[i]);
		/* Training output is the workload's: keep our stdout clean for scripts. */
		if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			_exit(PGOW_EXIT_INTERNAL);
		execvp(argv[0], argv);
		error_msg("cannot run %s: %s", argv[0], strerror(errno));
		_exit(PGOW_EXIT_EXEC);
	}
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	sigemptyset(&sa.sa_mask);
	timed_out = 0;
	sigaction(SIGALRM, &sa, &old);
	if (timeout > 0)
		alarm((unsigned)timeout);
	int status;
	for (;;) {
		if (waitpid(pid, &status, 0) == pid)
			break;
		if (errno != EINTR) {
			sb_addf(err, "waitpid: %s", strerror(errno));
			status = -2;
			break;
		}
		if (timed_out) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
		}
	}
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	return timed_out ? -1 : status;
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

static int count_profiles(const char *dir)
{
	struct strvec files = STRVEC_INIT;
	list_dir(dir, ".profraw", &files);
	int n = (int)files.n;
	sv_release(&files);
	return n;
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
		if (r->shell) {
			if (train_expand(r->shell, p, &arg, err) != 0)
				goto next;
			sv_push(&argv, "/bin/sh");
			sv_push(&argv, "-c");
			sv_push(&argv, arg.buf);
		}
		for (size_t a = 0; a < r->argv.n; a++) {
			sb_reset(&arg);
			if (train_expand(r->argv.v[a], p, &arg, err) != 0)
				goto next;
			sv_push(&argv, arg.buf);
		}
		sv_pushf(&env, "LLVM_PROFILE_FILE=%s/%%p-%%4m.profraw", raw.buf);
		for (size_t e = 0; e < r->env.n; e++) {
			sb_reset(&arg);
			if (train_expand(r->env.v[e], p, &arg, err) != 0)
				goto next;
			sv_push(&env, arg.buf);
		}
		progress("Training", "run %zu/%zu (%s)\n", i + 1, c->nruns, label.buf);
		double start = now_seconds();
		int status = run_with_timeout(argv.v, &env, r->timeout, err);
		double took = now_seconds() - start;
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
			goto next;
		}
		int files = count_profiles(raw.buf);
		progress("Trained", "run %zu/%zu in %.1fs%s, %d profile file(s)\n", i + 1, c->nruns,
			took, ok ? "" : " (failed, allowed)", files);
		if (files)
			sv_pushf(weighted, "%ld,%s", r->weight, raw.buf);
		else
			warn("training run %zu (%s) wrote no profile: it ran no instrumented binary, or its "
			     "processes could not write to %s (sandboxed?)", i + 1, label.buf, raw.buf);
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
