/*
 * ccwrap.h - the C/C++ compiler that build scripts reach when `build`
 * profiles the C code they compile (cc's CC_<target>/CXX_<target> point at
 * a pgo-wrap-clang link to us). It adds the build's profile flags to each
 * compile and leaves <object>.pgow saying what it did, for the front end to
 * verify; everything else goes to the real compiler untouched.
 */
#ifndef PGOW_CCWRAP_H
#define PGOW_CCWRAP_H

#include <stdbool.h>

#include "base/strbuf.h"

/* The names our links have; "clang" in them makes cc pass clang's flags. */
#define CCWRAP_CC_NAME "pgo-wrap-clang"
#define CCWRAP_CXX_NAME "pgo-wrap-clang++"
/* What an object's sidecar is called: <object>.pgow, and its deps <object>.pgow.d. */
#define CCWRAP_SIDECAR ".pgow"
/*
 * The decision the build's check records on an object another compiler made
 * in a run of its build script (it calls gcc itself): built without PGO.
 */
#define CCWRAP_FOREIGN "plain foreign"

/*
 * Writes object's sidecar, after the object: what it was compiled with
 * (decision), the dir its dep file's relative paths start from (cwd), and
 * that dep file (deps; "" or NULL: none). 0, or -1 with err.
 */
int ccwrap_write_sidecar(const char *object, const char *decision, const char *cwd, const char *deps,
			 struct strbuf *err);

/* argv[0]'s name is one of ours. */
bool ccwrap_is_our_name(const char *argv0);
_Noreturn void ccwrap_main(int argc, char **argv);

#endif
