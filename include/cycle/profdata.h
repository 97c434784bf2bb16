/*
 * profdata.h - running llvm-profdata for a merge: the two processes of the
 * merge itself, which may start before their inputs are known; single runs
 * with their stderr in a log; and which of its lines reach the user.
 */
#ifndef PGOW_PROFDATA_H
#define PGOW_PROFDATA_H

#include "base/strbuf.h"

/*
 * A merge's two llvm-profdata: one merges the inputs into the indexed
 * profile rustc reads, the other writes its text form. Both start at
 * once and wait on their stdin for what to read, so their start-up (most of
 * their time on everyday merges: libLLVM loads and runs its initialisers,
 * about 70 ms here) runs beside whatever the caller does meanwhile.
 */
struct merge_procs;

/* Starts both, with tool, in a temp dir of slot_dir; exits when they cannot be. */
struct merge_procs *merge_procs_start(const char *slot_dir, const char *tool);
/* The same, or NULL: for an attempt whose failure the caller meets again later. */
struct merge_procs *merge_procs_try(const char *slot_dir, const char *tool);
const char *merge_procs_tool(const struct merge_procs *mp);
/* Where the indexed profile and its text form are, once merge_procs_finish returned. */
const char *merge_procs_profdata(const struct merge_procs *mp);
const char *merge_procs_text(const struct merge_procs *mp);
/*
 * Gives them the inputs ("weight,path") and waits for both; passes on
 * llvm-profdata's warnings: 0. When the merge failed on inputs llvm-profdata
 * names as unreadable (our header check passed them: a file cut short, say),
 * 1 with "path<TAB>why" for each in unreadable: the caller may merge again
 * without them, with processes of its own. Any other failure exits with
 * llvm-profdata's first error.
 */
int merge_procs_finish(struct merge_procs *mp, const struct strvec *inputs, struct strvec *unreadable);
/* Stops them if they still run, removes their dir (outputs included) and frees mp; NULL: nothing. */
void merge_procs_end(struct merge_procs *mp);

/*
 * Runs one llvm-profdata command with its stderr (and stdout) in a log in
 * tmpdir, read into said: its wait status, or -1 (err).
 */
int profdata_run_logged(char *const *argv, const char *tmpdir, struct strbuf *said, struct strbuf *err);
/* The first line of what llvm-profdata said that tells what went wrong (ended in place), or NULL. */
const char *profdata_first_error(struct strbuf *said);

#endif
