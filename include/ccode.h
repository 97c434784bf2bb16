/*
 * ccode.h - the C and C++ code that build scripts compile through the cc
 * crate, profiled in the same .profraw and .profdata as the Rust code.
 * The front end finds a clang whose LLVM is rustc's, points cc at our
 * compiler link (include/ccwrap.h), and after each build verifies that the
 * objects of every build script's latest run carry the build's decision;
 * a build script that does not is rerun, as cargo would not on its own.
 */
#ifndef PGOW_CCODE_H
#define PGOW_CCODE_H

#include <stdbool.h>
#include <time.h>

#include "buildunits.h"
#include "strbuf.h"

/* auto (the default): when a matching clang is found; off; on: required. */
#define ENV_C_PGO "CARGO_PGO_WRAP_C"

struct ccode {
	bool enabled;
	struct strbuf cc, cxx;   /* the real compilers (cxx empty: C++ is not profiled) */
	struct strbuf why_not;   /* when not enabled, or C++ not: the reason and the fix */
	char *triple;
	char *target_dir;
	char *link_dir;          /* where the pgo-wrap-clang links are made, below target_dir */
};

/* Only the decision (compilers and why_not), without exporting anything: for doctor. */
void ccode_choose(struct ccode *c, const char *target);
/*
 * Decides whether C code is profiled for this target and, when it is,
 * exports cc's CC_<target>/CXX_<target> pointing at links to us made in
 * link_dir (below target_dir). Dies with the fix when CARGO_PGO_WRAP_C=on
 * cannot be honoured.
 */
void ccode_setup(struct ccode *c, const char *target, const char *target_dir, const char *link_dir);
/*
 * Before a cargo run: the decision C objects get ("generate DIR", "use
 * FILE" or "off") and the stamp build scripts that compile C list (NULL
 * when there is none yet).
 */
void ccode_export(const struct ccode *c, const char *decision, const char *stamp);
void ccode_release(struct ccode *c);

/* What the C code of one finished build was verified to be. */
struct c_check {
	int units, objects;         /* build scripts, and their objects, carrying the decision */
	int plain;                  /* build scripts whose C does not reach our compiler */
	struct strbuf plain_names;
	struct strbuf packages;     /* the carrying ones, "onig_sys, cmix" */
	struct strvec rerun;        /* build scripts (compiled) to remove so that they run again */
	struct strvec rerun_names;
	struct strvec stale_objects; /* their objects that do not carry it, removed with them */
};

/*
 * Checks the objects of every build script run of u against decision;
 * started: when this cargo run began (a run since then that reached no
 * compiler of ours compiles its C some other way, and is reported plain).
 */
void ccode_check(const struct ccode *c, const struct build_units *u, const char *decision,
		 const struct timespec *started, struct c_check *out);
/* Removes the compiled build scripts in check->rerun, so the next cargo run reruns them. */
void ccode_force_rerun(const struct ccode *c, const struct c_check *check);
void c_check_release(struct c_check *check);
/*
 * Adds the C code of the checked build scripts to u as units of slot_dir
 * ("c:<package>", the run's hash), keyed by the sources and headers their
 * compiles read, with records in the slot, so that a profile covers them
 * and an edited .c file makes it stale.
 */
void ccode_add_units(const struct ccode *c, struct build_units *u, const char *decision,
		     const char *slot_dir, const char *build_dir);

/* The functions a C unit's objects define, as ccode_add_units listed them in the slot. */
void ccode_unit_functions(const char *slot_dir, const char *crate, const char *metadata, struct strvec *out);

#endif
