/*
 * depinfo.h - adds dependencies to the dep-info (.d) file rustc wrote, so
 * that cargo's fingerprint covers inputs it cannot see: our STAMP file and
 * the environment variables the PGO decision reads.
 */
#ifndef PGOW_DEPINFO_H
#define PGOW_DEPINFO_H

#include "base/strbuf.h"

/*
 * Our mark on a unit, kept in its dep-info as comment lines cargo ignores
 * ("# pgo-wrap:unit\t..." and "# pgo-wrap:dep\t..."). A build made without
 * us rewrites the dep-info and so erases it: the mark tells, for every unit
 * a build used, that we compiled it, with which decision, and from which
 * code (its content key); its deps let a linked binary's crates be walked.
 */
struct unit_mark {
	char *slot;              /* slot id, "-" for units outside any slot */
	char *crate, *metadata;
	char *action;            /* generate, use, use-stale, plain, excluded, skip:<why> */
	char *key;               /* content key when compiled, "-" unknown */
	char *detail;            /* profile file, raw dir, or "-" */
	int mismatches;          /* functions whose profile no longer matched (rustc's warnings) */
	struct strvec deps;      /* dep-info paths of the libraries it was built against */
};

/*
 * 1: found; 0: the file has no mark (built without us); -1: unreadable (err).
 * A mark without a crate (a proc-macro's) holds only deps: it is no mark.
 */
int depinfo_read_mark(const char *path, struct unit_mark *m, struct strbuf *err);
/* Appends the dep lines of a dep-info's text (a unit's mark or a proc-macro's) to deps. */
void depinfo_mark_deps(const char *text, struct strvec *deps);
void unit_mark_release(struct unit_mark *m);
/*
 * Calls fn with each prerequisite of the first rule of a dep-info's text
 * ("target: a b\\ c" gives "a", "b c"), unescaped; word is valid during the call.
 */
void depinfo_each_prerequisite(const char *text, void (*fn)(const char *word, size_t len, void *ctx), void *ctx);
/* The dep-info file of a library output (deps/libfoo-HASH.rlib -> deps/foo-HASH.d); -1 if not one. */
int depinfo_of_library(const char *lib, struct strbuf *out);

/*
 * Adds each of files as a prerequisite of every rule, and one
 * "# env-dep:NAME=VALUE" line (or "# env-dep:NAME" when unset) per name,
 * with the value taken from our environment, which is cargo's. The file is
 * replaced atomically; entries already present are not repeated.
 */
int depinfo_append(const char *path, const struct strvec *files,
		   const struct strvec *env_names, const struct unit_mark *mark,
		   struct strbuf *err);

#endif
