/*
 * execute.h - running the next link of the chain (another wrapper or rustc):
 * exec when nothing remains to do afterwards, fork+wait when we must edit
 * rustc's outputs once it has finished.
 */
#ifndef PGOW_EXECUTE_H
#define PGOW_EXECUTE_H

#include "base/strbuf.h"

/* Replaces this process; on failure dies with PGOW_EXIT_EXEC and the reason. */
_Noreturn void exec_or_die(char *const *argv);
/* Runs argv to completion; returns the raw wait status, or dies if it cannot start. */
int run_and_wait(char *const *argv);
/*
 * Runs argv with stdout captured into out (stderr inherited, stdin from
 * /dev/null); returns the raw wait status, or -1 with errno if it could
 * not start.
 */
int run_capture(char *const *argv, struct strbuf *out);
/* Runs n commands at once and waits for all; their wait statuses (-1: not run). -1 when one could not start. */
int run_parallel(char *const *const argvs[], size_t n, int *statuses);
/* Runs argv with stdout and stderr into fd (stdin /dev/null); the wait status, or -1 with errno. */
int run_to_fd(char *const *argv, int fd);
/*
 * Runs argv like run_and_wait, but with its stderr passed through us (when
 * on_line is not NULL): every
 * byte is forwarded unchanged and as soon as it arrives, and each complete
 * line is also handed to on_line.
 */
typedef void (*line_fn)(const char *line, size_t len, void *ctx);
int run_tee_stderr(char *const *argv, line_fn on_line, void *ctx);
/* Exits the way the child did: same code, or re-raising the same signal. */
_Noreturn void exit_like(int wait_status);
/* Path of our own executable, for detecting a chain that loops back to us. */
char *self_exe_path(void);
/* argv[0] resolved through PATH as execvp would, or NULL. */
char *find_in_path(const char *name);
/* The same, skipping any candidate that is the file except names (our own binary; NULL: none). */
char *find_in_path_except(const char *name, const char *except);

#endif
