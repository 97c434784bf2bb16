/*
 * message.h - messages and exit codes: one line on stderr saying what is
 * wrong and the fix, and an exit code per kind of bad input.
 */
#ifndef PGOW_MESSAGE_H
#define PGOW_MESSAGE_H

#include <stdbool.h>

/*
 * Exit codes: one per kind of bad input, so scripts can tell them apart.
 * The wrapper otherwise exits with rustc's own status.
 */
enum pgow_exit {
	PGOW_EXIT_OK = 0,
	PGOW_EXIT_FAIL = 1,          /* the build or a command failed */
	PGOW_EXIT_CONFIG = 2,        /* bad environment, arguments or YAML */
	PGOW_EXIT_CACHE = 3,         /* cache dir unusable (permissions, symlink, owner) */
	PGOW_EXIT_LLVM = 4,          /* no llvm-profdata that reads this rustc's profiles */
	PGOW_EXIT_PROFILE = 5,       /* corrupt or unusable profile data */
	PGOW_EXIT_TRAINING = 6,      /* a training command failed */
	PGOW_EXIT_STALE = 7,         /* stale profile under the 'error' policy */
	PGOW_EXIT_NOT_APPLIED = 8,   /* a profile was requested but not applied */
	PGOW_EXIT_REMOTE = 9,        /* the remote store failed and CARGO_PGO_WRAP_REMOTE_REQUIRED=1 */
	PGOW_EXIT_INTERNAL = 70,     /* a bug or resource exhaustion */
	PGOW_EXIT_EXEC = 127,        /* a program to run was not found */
};

extern const char *pgow_progname;

/* Prints "cargo-pgo-wrap: error: ..." and exits with code (exit(3): registered temp dirs go too). */
_Noreturn void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void error_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Colour on stderr: CARGO_TERM_COLOR=always, or auto on a terminal unless NO_COLOR is set. */
bool stderr_colour(void);

#endif
