/*
 * buildunits.h - the units one cargo build consists of, from the
 * compiler-artifact messages of --message-format=json (printed for fresh
 * units too), each with the mark our wrapper left in its dep-info. This is
 * how the front end knows what a build used and what it ships, instead of
 * guessing from every unit the slot ever saw.
 */
#ifndef PGOW_BUILDUNITS_H
#define PGOW_BUILDUNITS_H

#include <stdbool.h>
#include <time.h>

#include "base/strbuf.h"
#include "formats/depinfo.h"

struct build_unit {
	char *package_id;
	char *name;          /* cargo's target name */
	char *kind;          /* first target kind: lib, bin, test, example, custom-build, ... */
	bool test;           /* a test harness (profile.test) */
	bool fresh;          /* cargo reused it */
	char *executable;    /* programs only */
	char *dep_info;      /* rustc's dep-info for it, or NULL when not found */
	char *script;        /* custom-build only: the compiled build script */
	bool marked;         /* mark holds what our wrapper recorded */
	struct unit_mark mark;
};

/* A build script's run (build-script-executed; printed when reused too). */
struct build_script_run {
	char *package_id;
	char *out_dir;
};

struct build_units {
	struct build_unit *v;
	size_t n;
	struct build_script_run *runs;
	size_t nruns;
	struct strbuf messages;   /* cargo's stdout as it printed it */
	struct timespec started;  /* when the cargo run began */
	struct strbuf c_decision; /* what its C/C++ compiles were told ("use FILE", ...) */
};

/*
 * Reads cargo's JSON messages (one per line; other lines are ignored).
 * -1 with "line N: ..." in err when a line that looks like JSON is not.
 */
int build_units_parse(const char *json_lines, struct build_units *out, struct strbuf *err);
void build_units_release(struct build_units *u);
/* Units that compile the build's own code: not build scripts, not proc-macros. */
bool build_unit_is_target_code(const struct build_unit *u);
/* A unit that links a program: a bin, an example, a test or bench target, a test harness. */
bool build_unit_is_program(const struct build_unit *u);

#endif
