/*
 * execute.c - exec and fork/wait of the next link (see include/base/execute.h).
 * While rustc runs we ignore SIGINT/SIGQUIT like a shell does: the terminal
 * sends them to rustc too, and we must report its fate, not die first.
 */
#include "base/execute.h"
#include "base/message.h"
#include "base/xalloc.h"
#include "base/path.h"
#include "base/fdio.h"
#include "base/settings.h"
#include "base/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

_Noreturn void exec_or_die(char *const *argv)
{
	execvp(argv[0], argv);
	die(PGOW_EXIT_EXEC, "cannot run %s: %s; check the path cargo passes (RUSTC) "
	    "or CARGO_PGO_WRAP_NEXT", argv[0], strerror(errno));
}

int run_and_wait(char *const *argv)
{
	return run_tee_stderr(argv, NULL, NULL);
}

int run_parallel(char *const *const argvs[], size_t n, int *statuses)
{
	pid_t *pids = xcalloc(n ? n : 1, sizeof(*pids));
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			execvp(argvs[i][0], argvs[i]);
			error_msg("cannot run %s: %s", argvs[i][0], strerror(errno));
			_exit(PGOW_EXIT_EXEC);
		}
		if (pids[i] < 0)
			rc = -1;
	}
	for (size_t i = 0; i < n; i++) {
		statuses[i] = -1;
		while (pids[i] > 0 && waitpid(pids[i], &statuses[i], 0) < 0)
			if (errno != EINTR) {
				rc = -1;
				break;
			}
	}
	free(pids);
	return rc;
}

int run_to_fd(char *const *argv, int fd)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0 ||
		    dup2(fd, STDERR_FILENO) < 0)
			_exit(PGOW_EXIT_INTERNAL);
		execvp(argv[0], argv);
		_exit(PGOW_EXIT_EXEC);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

int run_capture(char *const *argv, struct strbuf *out)
{
	int pipefd[2], status;

	if (pipe(pipefd) != 0)
		return -1;
	if (fcntl(pipefd[0], F_SETFD, FD_CLOEXEC) != 0 || fcntl(pipefd[1], F_SETFD, FD_CLOEXEC) != 0) {
		int saved = errno;
		close(pipefd[0]);
		close(pipefd[1]);
		errno = saved;
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int saved = errno;
		close(pipefd[0]);
		close(pipefd[1]);
		errno = saved;
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 ||
		    dup2(pipefd[1], STDOUT_FILENO) < 0)
			_exit(PGOW_EXIT_INTERNAL);
		execvp(argv[0], argv);
		error_msg("cannot run %s: %s", argv[0], strerror(errno));
		_exit(PGOW_EXIT_EXEC);
	}
	close(pipefd[1]);
	int rc = sb_read_fd(out, pipefd[0]);
	int saved = errno;
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	if (rc != 0) {
		errno = saved;
		return -1;
	}
	return status;
}

static void feed_lines(struct strbuf *pending, line_fn on_line, void *ctx)
{
	size_t start = 0;

	for (size_t i = 0; i < pending->len; i++) {
		if (pending->buf[i] != '\n')
			continue;
		on_line(pending->buf + start, i - start, ctx);
		start = i + 1;
	}
	memmove(pending->buf, pending->buf + start, pending->len - start);
	sb_setlen(pending, pending->len - start);
}

/* With on_line NULL, stderr is simply inherited. */
int run_tee_stderr(char *const *argv, line_fn on_line, void *ctx)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
	struct strbuf pending = STRBUF_INIT;
	int pipefd[2] = { -1, -1 }, status;
	char buf[8192];

	if (on_line && (pipe(pipefd) != 0 || fcntl(pipefd[0], F_SETFD, FD_CLOEXEC) != 0))
		die(PGOW_EXIT_INTERNAL, "pipe: %s", strerror(errno));
	sigemptyset(&ign.sa_mask);
	if (sigaction(SIGINT, &ign, &old_int) != 0 || sigaction(SIGQUIT, &ign, &old_quit) != 0)
		die(PGOW_EXIT_INTERNAL, "sigaction: %s", strerror(errno));
	/* posix_spawn (vfork-like) is the cheapest way to start rustc on every crate. */
	posix_spawnattr_t attr;
	posix_spawn_file_actions_t actions;
	sigset_t defaults;
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGINT);
	sigaddset(&defaults, SIGQUIT);
	if (posix_spawnattr_init(&attr) != 0 || posix_spawnattr_setsigdefault(&attr, &defaults) != 0 ||
	    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF) != 0 ||
	    posix_spawn_file_actions_init(&actions) != 0 ||
	    (on_line && (posix_spawn_file_actions_adddup2(&actions, pipefd[1], STDERR_FILENO) != 0 ||
			 posix_spawn_file_actions_addclose(&actions, pipefd[1]) != 0)))
		die(PGOW_EXIT_INTERNAL, "cannot set up posix_spawn");
	pid_t pid;
	int err = posix_spawnp(&pid, argv[0], &actions, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	posix_spawnattr_destroy(&attr);
	if (err != 0)
		die(PGOW_EXIT_EXEC, "cannot run %s: %s; check the path cargo passes (RUSTC) "
		    "or CARGO_PGO_WRAP_NEXT", argv[0], strerror(err));
	if (on_line)
		close(pipefd[1]);
	for (; on_line;) {
		ssize_t n = read(pipefd[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		(void)write_all(STDERR_FILENO, buf, (size_t)n);
		sb_add(&pending, buf, (size_t)n);
		feed_lines(&pending, on_line, ctx);
	}
	if (pending.len)
		on_line(pending.buf, pending.len, ctx);
	if (on_line)
		close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			die(PGOW_EXIT_INTERNAL, "waitpid: %s", strerror(errno));
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	sb_release(&pending);
	return status;
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
