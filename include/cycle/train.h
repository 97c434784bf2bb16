/*
 * train.h - running the training workload against instrumented binaries.
 */
#ifndef PGOW_TRAIN_H
#define PGOW_TRAIN_H

#include <stdbool.h>

#include "base/strbuf.h"
#include "cycle/config.h"

struct train_paths {
	const char *bin_dir;       /* where {bin:NAME} binaries live */
	const char *target_dir;    /* {target_dir}: the instrumented build's target dir */
	const char *raw_dir;       /* {profile_dir}: each run gets <raw_dir>/run-<N> */
	const char *workspace;     /* {workspace}, and where every run starts */
	const char *log;           /* the runs' stdout and stderr go here (appended)... */
	bool verbose;              /* ...unless verbose: then to our stderr, live */
	/*
	 * What the runs write: NULL for rustc's .profraw files in each run's raw
	 * dir; else files ending in profile_ext in profiles_dir (BOLT's .fdata),
	 * or, with profile_ext "", nothing: timed runs, which print no progress.
	 */
	const char *profile_ext;
	const char *profiles_dir;
	/*
	 * Put before every run's command (perf record ... --), "{run_dir}" in it
	 * being that run's own dir; NULL for none.
	 */
	const char *const *prefix;
};

/*
 * Runs every configured run in order, with LLVM_PROFILE_FILE pointed at its
 * own raw dir. Appends "weight,dir" for each run that produced profiles to
 * weighted. Returns 0, or -1 with the failing run and the fix in err.
 */
int train_run_all(const struct config *c, const struct train_paths *p, struct strvec *weighted,
		  struct strbuf *err);

#endif
