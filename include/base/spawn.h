/*
 * spawn.h - running other programs, one way (as git's run-command): a
 * struct child says what to run (argv, extra environment, directory), where
 * its output goes (inherited, /dev/null, captured, an fd, or stderr passed
 * through us line by line), whether it gets its own process group and a
 * timeout; child_run starts it with posix_spawn and waits. Every failure to
 * start is -1 with "cannot run PROGRAM: reason" in err. The conveniences
 * below are that one call with common settings.
 */
#ifndef PGOW_SPAWN_H
#define PGOW_SPAWN_H

#include <stdbool.h>
#include <stddef.h>

#include "base/strbuf.h"

typedef void (*line_fn)(const char *line, size_t len, void *ctx);

enum child_io {
	CHILD_INHERIT,  /* ours */
	CHILD_NULL,     /* /dev/null */
	CHILD_CAPTURE,  /* stdout only: into capture */
	CHILD_FD,       /* into fd (stdout: out_fd; stderr: err_fd, or out_fd when err_fd < 0) */
	CHILD_TEE,      /* stderr only: passed through to ours as it comes, each line also to on_line */
	CHILD_LINES,    /* stderr only: each line to on_line alone, which decides what to show */
	CHILD_PIPE,     /* stdin only, child_start only: a pipe whose write end is left in in_fd */
};

struct running; /* spawn.c's own */

struct child {
	char *const *argv;
	const struct strvec *env;   /* KEY=VALUE set for it, KEY unset for it (NULL: none) */
	const char *dir;            /* where it starts (NULL: here) */
	enum child_io in, out, err; /* in: CHILD_INHERIT, CHILD_NULL or CHILD_PIPE */
	int in_fd, out_fd, err_fd;
	struct strbuf *capture;
	line_fn on_line;
	void *ctx;
	bool own_group;             /* its own process group: a timeout kills what it started too */
	bool ignore_interrupts;     /* we ignore SIGINT/SIGQUIT while it runs, as a shell does */
	long timeout;               /* seconds; 0: none. On expiry its group is killed and timed_out set */
	void (*on_tick)(long elapsed, void *ctx); /* about every second while a timed child runs */
	/* Filled in: */
	int status;                 /* the wait status */
	bool timed_out;
	struct running *running;    /* between child_start and child_wait */
};

#define CHILD_INIT(argv_) { .argv = (argv_), .in_fd = -1, .out_fd = -1, .err_fd = -1 }

/* Runs c to its end. 0: it ran (c->status); -1: it could not be started or waited for (err). */
int child_run(struct child *c, struct strbuf *err);
/*
 * Runs several children at once and waits for all. 0 when every one ran;
 * -1 (err: the first reason) when one could not start; the others still run.
 */
int child_run_all(struct child *cs, size_t n, struct strbuf *err);
/*
 * child_run in two halves, for a child that must start before its input is
 * known (CHILD_PIPE): child_start returns once it runs (0) or with -1 (err);
 * the caller writes to in_fd meanwhile. child_wait closes in_fd if still open
 * (the child sees the end of its input) and runs the rest of child_run,
 * first sending SIGKILL to the child (not to what it started) when stop is
 * set. -1 with err empty for a child that was never started.
 */
int child_start(struct child *c, struct strbuf *err);
int child_wait(struct child *c, bool stop, struct strbuf *err);
/* Whether a child that ran exited 0. */
bool child_succeeded(const struct child *c);

/* argv with stdout captured into out, stdin /dev/null: the wait status, or -1 (err may be NULL). */
int run_capture(char *const *argv, struct strbuf *out, struct strbuf *err);
/* argv with stdout and stderr into fd, stdin /dev/null: the wait status, or -1. */
int run_to_fd(char *const *argv, int fd, struct strbuf *err);
/* argv with stdout and stderr appended to log (opened without following a link); 0 when it exits 0. */
int run_to_log(char *const *argv, const char *log);

/*
 * The wrapper's way to run the next link (rustc, another wrapper): exec when
 * nothing remains to do afterwards; else run it with interrupts ignored and
 * its stderr passed through on_line (NULL: inherited), and return its wait
 * status. A program that cannot be started is exit 127 with its name and why.
 */
_Noreturn void exec_or_die(char *const *argv);
int run_or_die(char *const *argv, line_fn on_line, void *ctx);
/* Exits the way the child did: same code, or re-raising the same signal. */
_Noreturn void exit_like(int wait_status);

/* Path of our own executable, for detecting a chain that loops back to us. */
char *self_exe_path(void);
/* argv[0] resolved through PATH as execvp would, or NULL. */
char *find_in_path(const char *name);
/* The same, skipping any candidate that is the file except names (our own binary; NULL: none). */
char *find_in_path_except(const char *name, const char *except);

#endif
