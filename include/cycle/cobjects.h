/*
 * cobjects.h - what the C and C++ compiles of build scripts produced: after
 * each build, the objects of every build script's latest run are checked
 * against the build's decision (the sidecar our compiler left); a build
 * script whose objects do not carry it is rerun, as cargo would not on its
 * own; the C code of each one that does becomes a unit of the profile.
 */
#ifndef PGOW_COBJECTS_H
#define PGOW_COBJECTS_H

#include <stdbool.h>
#include <time.h>

#include "base/strbuf.h"
#include "formats/buildunits.h"
#include "cycle/ccode.h"

/* A build script run whose objects carry the decision. */
struct c_run {
	size_t run;                  /* its index in the build's runs */
	struct strvec objects;
};

/* What the C code of one finished build was verified to be. */
struct c_check {
	int units, objects;         /* build scripts, and their objects, carrying the decision */
	int plain;                  /* build scripts whose C does not reach our compiler */
	struct strbuf plain_names;
	int foreign_objects;        /* objects of carrying build scripts that another compiler made */
	struct strbuf partial_names; /* those build scripts */
	struct strbuf packages;     /* the carrying ones, "onig_sys, cmix" */
	struct strvec rerun;        /* build scripts (compiled) to remove so that they run again */
	struct strvec rerun_names;
	struct strvec stale_objects; /* their objects that do not carry it, removed with them */
	struct c_run *carrying;      /* the runs that carry it, for cobjects_add_units */
	size_t ncarrying;
};


/*
 * Checks the objects of every build script run of u against decision;
 * started: when this cargo run began (objects a run since then wrote through
 * a compiler not ours are its C compiled some other way: the run is reported
 * plain, or partial beside the objects that carry the decision). Objects no
 * compiler made (assembly) pass.
 */
void cobjects_check(const struct ccode *c, const struct build_units *u, const char *decision,
		    const struct timespec *started, struct c_check *out);
/* Removes the compiled build scripts in check->rerun, so the next cargo run reruns them. */
void cobjects_force_rerun(const struct ccode *c, const struct c_check *check);
void cobjects_check_release(struct c_check *check);
/*
 * Adds the C code of the build scripts check found carrying decision to u
 * as units of slot_dir ("c:<package>", the run's hash), keyed by the sources
 * and headers their compiles read, with records in the slot, so that a
 * profile covers them and an edited .c file makes it stale.
 */
void cobjects_add_units(const struct ccode *c, struct build_units *u, const struct c_check *check,
			const char *decision, const char *slot_dir, const char *build_dir);

/* The functions a C unit's objects define, as cobjects_add_units listed them in the slot. */
void cobjects_unit_functions(const char *slot_dir, const char *crate, const char *metadata, struct strvec *out);

#endif
