/*
 * ccode.h - the C and C++ code that build scripts compile through the cc
 * crate, profiled in the same .profraw and .profdata as the Rust code.
 * The front end finds a clang whose LLVM is rustc's and points cc at our
 * compiler link (include/ccwrap.h); after each build, include/cobjects.h
 * checks what it compiled.
 */
#ifndef PGOW_CCODE_H
#define PGOW_CCODE_H

#include <stdbool.h>
#include <time.h>

#include "base/strbuf.h"

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

#endif
