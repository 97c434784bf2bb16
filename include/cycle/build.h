/*
 * build.h - what the front end's commands share for running cargo with our
 * wrapper: one build of the user's cargo arguments, whose units are learnt
 * from cargo's JSON messages and verified from our marks.
 */
#ifndef PGOW_BUILD_H
#define PGOW_BUILD_H

#include <stdbool.h>

#include "base/strbuf.h"
#include "formats/buildunits.h"
#include "cycle/cobjects.h"
#include "cycle/config.h"
#include "cycle/workspace.h"

struct build {
	struct strvec cargo_args;   /* exactly as the user gave them, minus our options */
	const char *pgo_config;
	const char *cargo;
	struct workspace ws;
	struct strbuf state_dir;    /* <target>/pgo-wrap */
	struct strbuf instr_dir;    /* its target dir for instrumented builds */
	struct strbuf instr_bin_dir;
	struct strbuf raw_dir;      /* where instrumented binaries write by default */
	struct config cfg;
	char *training_id;
	const char *user_format;    /* the user's --message-format, if any */
	struct strbuf args_key;     /* the cargo arguments that choose the build's units */
	struct ccode cc;            /* the C/C++ code build scripts compile */
	int step, steps;
	int lock_fd;                /* <state dir>/lock, held from build_lock on; -1 */
	bool plain_asked;           /* the user chose a build without PGO (MODE=off, stale-policy: plain) */
	char *pinned;               /* the profile pgo-wrap.lock pins for this build's slot, or NULL */
	bool optimised_follows;     /* an optimised build repeats the instrumented one's cargo warnings */
	/*
	 * The optimised build's diagnostics stay in its JSON until verification:
	 * units a plain build left are rebuilt, and cargo's replay of their
	 * warnings would show them twice. Shown once, after the check.
	 */
	bool hold_diagnostics;
};

/* What a finished build was verified to consist of. */
struct verified {
	int use, stale, plain, generate, skipped, unverified;
	int compiled;                /* units with the profile that this run compiled (not reused) */
	int mismatches;              /* functions rustc found changed since the profile */
	struct strbuf mismatched;    /* "fixlib 1, serde 3" */
	struct strbuf skipped_why;   /* "opt-level-0, excluded" */
	struct strbuf slot;          /* slot dir of its units, when any */
	struct strbuf profile;       /* the profile they were built with */
	struct c_check c;            /* the C/C++ code of its build scripts */
};

/* Parses our options, asks cargo where it works, loads the config, exports the wrapper's settings. */
void build_setup(struct build *b, int argc, char **argv, bool need_config);
void build_teardown(struct build *b);
void build_step(struct build *b, const char *verb, const char *detail);
/* Counts the steps of a new plan (a build found staleness or another slot) from 1 again. */
void build_restart_steps(struct build *b, int steps);
/*
 * `cargo build ARGS` with the wrapper under mode (NULL: the cached profile
 * decides; "generate": into b->raw_dir; "off"), into the instrumented
 * target dir when instrumented. Dies like cargo when it fails.
 */
void build_run(const struct build *b, bool instrumented, const char *mode, struct build_units *out);
/*
 * The slot of this build dir before anything is built: a cargo build whose
 * first unit with a slot names it and stops (the wrapper makes the slot).
 * -1 when no unit named one (nothing eligible).
 */
int build_identify_slot(const struct build *b, struct strbuf *slot_dir);
/* Prints the final build's JSON messages on stdout when the user asked for JSON. */
void build_forward_messages(const struct build *b, const struct build_units *u);
/*
 * Checks every unit of a finished build against the decision it should
 * carry (expect_profile: the profile file, NULL for plain), rebuilding
 * units that do not carry it once; dies when they still do not.
 */
void build_verify(const struct build *b, struct build_units *u, bool instrumented, const char *mode,
		  struct verified *v);
/*
 * Takes <target>/pgo-wrap/lock for the rest of the run: a second build,
 * instrument or train of the same target dir says "Blocking waiting for file
 * lock on ..." (as cargo does) and waits, so two never share its raw and
 * training dirs. A link planted at the lock or at <target>/pgo-wrap is refused.
 */
void build_lock(struct build *b);
/* Cache writable and, when a profile may be merged, an llvm-profdata that reads rustc's format. */
void build_preflight(const struct build *b, bool merging);
void verified_release(struct verified *v);
/* Deletes the outputs of the unit with this dep-info, so the next cargo run compiles it again. */
void build_force_rebuild(const struct build *b, const char *dep_info);
/*
 * How many units of build_dir have a dep-info with no mark of ours (a plain
 * cargo build's), written after since (NULL: any). Proc-macros are never marked.
 */
int build_count_unmarked(const char *build_dir, const struct timespec *since);
/* Raw profiles waiting to be merged under <state dir>/raw/<target>/<profile>[/manual]. */
size_t count_pending_raw(const char *state_dir);


#endif
