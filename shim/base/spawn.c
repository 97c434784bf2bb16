/*
 * spawn.c - running other programs, one way (see include/base/spawn.h):
 * posix_spawn (vfork-like, the cheapest start, and it reports a program
 * that cannot run as an error instead of a child exiting 127), then one
 * loop that reads the child's pipes, enforces its timeout and reaps it.
 */
#define _GNU_SOURCE /* posix_spawn_file_actions_addchdir_np */
#include "base/spawn.h"
#include "base/fdio.h"
#include "base/message.h"
#include "base/path.h"
#include "base/settings.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Our environment with c->env's entries set over it ("KEY=VALUE"), or taken out of it ("KEY"). */
static char **child_environ(const struct strvec *env, struct strvec *own)
{
	if (!env || !env->n)
		return environ;
	for (char **e = environ; *e; e++) {
		size_t key = strcspn(*e, "=");
		bool replaced = false;
		for (size_t i = 0; i < env->n && !replaced; i++)
			replaced = strncmp(env->v[i], *e, key) == 0 && (env->v[i][key] == '=' || !env->v[i][key]);
		if (!replaced)
			sv_push(own, *e);
	}
	for (size_t i = 0; i < env->n; i++)
		if (strchr(env->v[i], '='))
			sv_push(own, env->v[i]);
	return own->v;
}

/* A pipe whose read end we keep (close-on-exec both ways: the child gets its end by dup2). */
static int open_pipe(int fds[2], struct strbuf *err)
{
	if (pipe(fds) == 0 && fcntl(fds[0], F_SETFD, FD_CLOEXEC) == 0 && fcntl(fds[1], F_SETFD, FD_CLOEXEC) == 0)
		return 0;
	sb_addf(err, "cannot make a pipe: %s", strerror(errno));
	return -1;
}

static int add_io(posix_spawn_file_actions_t *fa, int target, enum child_io io, int fd)
{
	switch (io) {
	case CHILD_NULL:
		return posix_spawn_file_actions_addopen(fa, target, "/dev/null", target ? O_WRONLY : O_RDONLY, 0);
	case CHILD_INHERIT:
		return 0;
	default:
		return posix_spawn_file_actions_adddup2(fa, fd, target);
	}
}

struct running {
	pid_t pid;
	int out, err;          /* our read ends, -1 when none or closed */
	struct strbuf pending; /* a tee'd line not yet complete */
	struct timespec start;
	long ticks;
	bool exited;
	struct sigaction old_int, old_quit;
};

static int start(struct child *c, struct running *r, struct strbuf *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	struct strvec env = STRVEC_INIT;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int rc = -1, spawned = 0;
	sigset_t defaults;
	short flags = POSIX_SPAWN_SETSIGDEF;

	memset(r, 0, sizeof(*r));
	r->out = r->err = -1;
	c->status = -1;
	c->timed_out = false;
	if ((c->in == CHILD_PIPE && open_pipe(in, err) != 0) || (c->out == CHILD_CAPTURE && open_pipe(out, err) != 0) || ((c->err == CHILD_TEE || c->err == CHILD_LINES) && open_pipe(errp, err) != 0))
		goto close_pipes;
	if (posix_spawn_file_actions_init(&fa) != 0 || posix_spawnattr_init(&attr) != 0)
		die(PGOW_EXIT_INTERNAL, "cannot set up posix_spawn");
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGINT);
	sigaddset(&defaults, SIGQUIT);
	sigaddset(&defaults, SIGPIPE);
	if (c->own_group || c->timeout > 0)
		flags |= POSIX_SPAWN_SETPGROUP;
	int out_fd = c->out == CHILD_CAPTURE ? out[1] : c->out_fd;
	int err_fd = c->err == CHILD_TEE || c->err == CHILD_LINES ? errp[1] : c->err_fd >= 0 ? c->err_fd : c->out_fd;
	if (posix_spawnattr_setsigdefault(&attr, &defaults) != 0 || posix_spawnattr_setflags(&attr, flags) != 0 ||
	    posix_spawnattr_setpgroup(&attr, 0) != 0 || add_io(&fa, STDIN_FILENO, c->in, in[0]) != 0 ||
	    add_io(&fa, STDOUT_FILENO, c->out, out_fd) != 0 || add_io(&fa, STDERR_FILENO, c->err, err_fd) != 0 ||
	    (c->dir && posix_spawn_file_actions_addchdir_np(&fa, c->dir) != 0))
		die(PGOW_EXIT_INTERNAL, "cannot set up posix_spawn");
	if (c->ignore_interrupts) {
		struct sigaction ign = { .sa_handler = SIG_IGN };
		sigemptyset(&ign.sa_mask);
		if (sigaction(SIGINT, &ign, &r->old_int) != 0 || sigaction(SIGQUIT, &ign, &r->old_quit) != 0)
			die(PGOW_EXIT_INTERNAL, "sigaction: %s", strerror(errno));
	}
	int e = posix_spawnp(&r->pid, c->argv[0], &fa, &attr, c->argv, child_environ(c->env, &env));
	if (e != 0) {
		sb_addf(err, "cannot run %s: %s", c->argv[0], strerror(e));
		if (c->dir && e == ENOENT && !file_exists(c->dir))
			sb_addf(err, " (or enter %s)", c->dir);
	} else {
		spawned = 1;
		rc = 0;
	}
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	sv_release(&env);
	if (!spawned && c->ignore_interrupts) {
		sigaction(SIGINT, &r->old_int, NULL);
		sigaction(SIGQUIT, &r->old_quit, NULL);
	}
close_pipes:
	if (in[0] >= 0)
		close(in[0]);
	if (!spawned && in[1] >= 0)
		close(in[1]);
	c->in_fd = spawned ? in[1] : -1;
	if (out[1] >= 0)
		close(out[1]);
	if (errp[1] >= 0)
		close(errp[1]);
	/* Our read ends are the child's output; without a child they are closed. */
	if (!spawned && out[0] >= 0)
		close(out[0]);
	if (!spawned && errp[0] >= 0)
		close(errp[0]);
	r->out = spawned ? out[0] : -1;
	r->err = spawned ? errp[0] : -1;
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	return rc;
}

static void feed_lines(struct child *c, struct running *r)
{
	size_t begin = 0;

	for (size_t i = 0; i < r->pending.len; i++) {
		if (r->pending.buf[i] != '\n')
			continue;
		c->on_line(r->pending.buf + begin, i - begin, c->ctx);
		begin = i + 1;
	}
	memmove(r->pending.buf, r->pending.buf + begin, r->pending.len - begin);
	sb_setlen(&r->pending, r->pending.len - begin);
}

/* Reads what one pipe has; closes it at its end. */
static void drain(struct child *c, struct running *r, int *fd)
{
	char buf[8192];
	ssize_t n = read(*fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(*fd);
		*fd = -1;
		return;
	}
	if (fd == &r->out) {
		sb_add(c->capture, buf, (size_t)n);
		return;
	}
	if (c->err == CHILD_TEE)
		(void)write_all(STDERR_FILENO, buf, (size_t)n);
	if (c->on_line) {
		sb_add(&r->pending, buf, (size_t)n);
		feed_lines(c, r);
	}
}

/* Whole seconds since the child started (tv_sec alone would count a second at the next tick of the clock). */
static long elapsed_seconds(const struct running *r)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long long ms = (long long)(now.tv_sec - r->start.tv_sec) * 1000 + (now.tv_nsec - r->start.tv_nsec) / 1000000;
	return (long)(ms / 1000);
}

/* The timeout's and the ticks' side of the loop. */
static void watch(struct child *c, struct running *r)
{
	long elapsed = elapsed_seconds(r);

	if (c->timeout > 0 && elapsed >= c->timeout && !c->timed_out) {
		kill(-r->pid, SIGKILL);
		kill(r->pid, SIGKILL);
		c->timed_out = true;
	}
	if (c->on_tick && elapsed > r->ticks && !c->timed_out) {
		r->ticks = elapsed;
		c->on_tick(elapsed, c->ctx);
	}
}

static int reap(struct child *c, struct running *r, bool block, struct strbuf *err)
{
	pid_t got = waitpid(r->pid, &c->status, block ? 0 : WNOHANG);

	if (got == r->pid) {
		r->exited = true;
	} else if (got < 0 && errno != EINTR) {
		sb_addf(err, "cannot wait for %s: %s", c->argv[0], strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Pipes are read while open (poll, so stdout and stderr never block each
 * other); a timed child is polled, not waited on with SIGALRM: a signal
 * landing between a check and waitpid() would be lost, and the timeout with it.
 */
static int finish(struct child *c, struct running *r, struct strbuf *err)
{
	bool timed = c->timeout > 0 || c->on_tick;
	int rc = 0;

	while (rc == 0 && (r->out >= 0 || r->err >= 0 || !r->exited)) {
		if (r->out >= 0 || r->err >= 0) {
			struct pollfd p[2] = { { r->out, POLLIN, 0 }, { r->err, POLLIN, 0 } };
			int n = poll(p, 2, timed ? 200 : -1);
			if (n < 0 && errno != EINTR) {
				sb_addf(err, "poll: %s", strerror(errno));
				rc = -1;
			}
			if (n > 0 && r->out >= 0 && p[0].revents)
				drain(c, r, &r->out);
			if (n > 0 && r->err >= 0 && p[1].revents)
				drain(c, r, &r->err);
		} else if (timed) {
			struct timespec tick = { 0, 20 * 1000 * 1000 };
			rc = reap(c, r, false, err);
			if (!r->exited)
				nanosleep(&tick, NULL);
		} else {
			rc = reap(c, r, true, err);
		}
		if (timed && !r->exited)
			watch(c, r);
	}
	if (r->pending.len && c->on_line)
		c->on_line(r->pending.buf, r->pending.len, c->ctx);
	sb_release(&r->pending);
	if (c->ignore_interrupts) {
		sigaction(SIGINT, &r->old_int, NULL);
		sigaction(SIGQUIT, &r->old_quit, NULL);
	}
	return rc;
}

/* A pipe's write end left to a caller who waits at once would keep the child waiting for its input. */
static void close_input(struct child *c)
{
	if (c->in_fd >= 0)
		close(c->in_fd);
	c->in_fd = -1;
}

int child_run(struct child *c, struct strbuf *err)
{
	struct running r;

	if (start(c, &r, err) != 0)
		return -1;
	close_input(c);
	return finish(c, &r, err);
}

int child_run_all(struct child *cs, size_t n, struct strbuf *err)
{
	struct running *r = xcalloc(n ? n : 1, sizeof(*r));
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		if (start(&cs[i], &r[i], err) != 0) {
			rc = -1;
			r[i].exited = true;
		}
		close_input(&cs[i]);
	}
	for (size_t i = 0; i < n; i++)
		if (!r[i].exited && finish(&cs[i], &r[i], err) != 0)
			rc = -1;
	free(r);
	return rc;
}

int child_start(struct child *c, struct strbuf *err)
{
	c->running = xcalloc(1, sizeof(*c->running));
	if (start(c, c->running, err) == 0)
		return 0;
	free(c->running);
	c->running = NULL;
	return -1;
}

int child_wait(struct child *c, bool stop, struct strbuf *err)
{
	struct running *r = c->running;

	close_input(c);
	if (!r)
		return -1;
	if (stop)
		kill(r->pid, SIGKILL);
	int rc = finish(c, r, err);
	free(r);
	c->running = NULL;
	return rc;
}

bool child_succeeded(const struct child *c)
{
	return c->status >= 0 && !c->timed_out && WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0;
}

int run_capture(char *const *argv, struct strbuf *out, struct strbuf *err)
{
	struct child c = CHILD_INIT(argv);
	struct strbuf ignored = STRBUF_INIT;

	c.in = CHILD_NULL;
	c.out = CHILD_CAPTURE;
	c.capture = out;
	int rc = child_run(&c, err ? err : &ignored);
	sb_release(&ignored);
	return rc == 0 ? c.status : -1;
}

int run_to_fd(char *const *argv, int fd, struct strbuf *err)
{
	struct child c = CHILD_INIT(argv);
	struct strbuf ignored = STRBUF_INIT;

	c.in = CHILD_NULL;
	c.out = c.err = CHILD_FD;
	c.out_fd = fd;
	int rc = child_run(&c, err ? err : &ignored);
	sb_release(&ignored);
	return rc == 0 ? c.status : -1;
}

static _Noreturn void cannot_run(const char *why)
{
	die(PGOW_EXIT_EXEC, "%s; check the path cargo passes (RUSTC) or CARGO_PGO_WRAP_NEXT", why);
}

_Noreturn void exec_or_die(char *const *argv)
{
	struct strbuf why = STRBUF_INIT;

	execvp(argv[0], argv);
	sb_addf(&why, "cannot run %s: %s", argv[0], strerror(errno));
	cannot_run(why.buf);
}

int run_or_die(char *const *argv, line_fn on_line, void *ctx)
{
	struct child c = CHILD_INIT(argv);
	struct strbuf err = STRBUF_INIT;

	c.ignore_interrupts = true;
	c.err = on_line ? CHILD_TEE : CHILD_INHERIT;
	c.on_line = on_line;
	c.ctx = ctx;
	if (child_run(&c, &err) != 0)
		cannot_run(err.buf);
	return c.status;
}

_Noreturn void exit_like(int wait_status)
{
	if (WIFSIGNALED(wait_status)) {
		int sig = WTERMSIG(wait_status);
		signal(sig, SIG_DFL);
		raise(sig);
		exit(128 + sig);
	}
	exit(WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : PGOW_EXIT_INTERNAL);
}

char *self_exe_path(void)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t size = 256;; size *= 2) {
		sb_reset(&sb);
		sb_grow(&sb, size);
		ssize_t n = readlink("/proc/self/exe", sb.buf, size);
		if (n < 0) {
			sb_release(&sb);
			return NULL;
		}
		if ((size_t)n < size) {
			sb.len = (size_t)n;
			sb.buf[n] = '\0';
			return sb_detach(&sb);
		}
	}
}

char *find_in_path(const char *name)
{
	return find_in_path_except(name, NULL);
}

char *find_in_path_except(const char *name, const char *except)
{
	if (strchr(name, '/'))
		return is_executable_file(name) && !same_file(name, except) ? xstrdup(name) : NULL;
	const char *path = env_get("PATH");
	struct strvec dirs = STRVEC_INIT;
	char *found = NULL;

	sv_split(&dirs, path ? path : "/usr/local/bin:/usr/bin:/bin", ':');
	for (size_t i = 0; i < dirs.n && !found; i++) {
		struct strbuf candidate = STRBUF_INIT;
		path_join(&candidate, dirs.v[i], name);
		if (is_executable_file(candidate.buf) && !same_file(candidate.buf, except))
			found = sb_detach(&candidate);
		sb_release(&candidate);
	}
	sv_release(&dirs);
	return found;
}

int run_to_log(char *const *argv, const char *log)
{
	int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	int status = fd < 0 ? -1 : run_to_fd(argv, fd, NULL);

	if (fd >= 0)
		close(fd);
	return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}
