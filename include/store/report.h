/*
 * report.h - what the user is told about PGO decisions. Notices that would
 * repeat for every crate of a build are shown once per cargo run.
 */
#ifndef PGOW_REPORT_H
#define PGOW_REPORT_H

struct strvec;

/*
 * The wrapper's reports of what one build got, which cargo keeps with the
 * unit's output and shows again on reuse: report_forget_replayed finds them
 * by these words. Each is "<start>...<then>...".
 */
#define REPORT_STALE_START "the profile of slot "
#define REPORT_STALE_THEN  " is stale for "
#define REPORT_NONE_START  "no profile for this build configuration yet "
#define REPORT_NONE_THEN   "; building without PGO"

/*
 * Takes those reports out of the outputs cargo keeps for the units of
 * build_dir (<build dir>/.fingerprint/<unit>/output-*), which it would show
 * on every build that reuses a unit, true or not: before `build`'s optimised
 * build, which reports its own, and when a merge stores a new profile. Never
 * writes through a link below base, nor reads one or a FIFO; rustc's lines
 * stay, and so do stale reports of crates in still_stale (NULL: none), which
 * are still true. A dir where a cargo is building (its .cargo-lock held) is
 * left alone.
 */
void report_forget_replayed(const char *base, const char *build_dir, const struct strvec *still_stale);

/* Prints the warning only the first time key is seen under this cargo process. */
void warn_once_per_run(const char *key, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * One cargo-style progress line on stderr: the verb right-aligned in 12
 * columns, bold green (yellow for "warning:"/"note:") when colour is on:
 * CARGO_TERM_COLOR=always, or auto on a terminal unless NO_COLOR is set.
 */
void progress(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* -q: progress lines stop; "warning:" and "error:" lines still show. */
void report_set_quiet(int quiet);

#endif
