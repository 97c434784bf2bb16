/*
 * workspace.h - where cargo works, asked of cargo rather than guessed: the
 * workspace root (locate-project), the target dir (metadata, which honours
 * CARGO_TARGET_DIR and build.target-dir; --target-dir on the command line
 * wins), and the build dir and profile of one set of cargo arguments.
 */
#ifndef PGOW_WORKSPACE_H
#define PGOW_WORKSPACE_H

#include <stdbool.h>

#include "base/strbuf.h"

struct workspace {
	struct strbuf root;         /* the workspace's directory */
	struct strbuf target_dir;   /* absolute */
	struct strbuf build_dir;    /* <target_dir>[/<triple>]/<profile dir> */
	const char *target;         /* --target, or NULL for the host */
	const char *profile;        /* cargo's profile name: dev, release, ... */
	const char *profile_dir;    /* its directory name: debug, release, ... */
	struct strvec bins;         /* binary targets of the workspace's packages */
	struct strvec bin_packages; /* the package of each of bins, in the same order */
	struct strvec members;      /* "name@version" of its packages, sorted: where it is not part of it */
	struct strbuf implied;      /* the package cargo builds with no -p: --manifest-path's, or the cwd's */
};

/* The value of a cargo option ("--opt V" or "--opt=V") before any "--", or NULL. */
const char *cargo_opt(const struct strvec *args, const char *opt);
bool cargo_flag(const struct strvec *args, const char *lng, const char *shrt);
/* Whether any --lng (or -shrt) option has that value: `-p a -p b` selects b too. */
bool cargo_opt_is(const struct strvec *args, const char *lng, const char *shrt, const char *value);
/* The directory cargo builds a profile into: debug for dev and test, release for bench. */
const char *cargo_profile_dir(const char *profile);
/* Asks cargo about the workspace that args (--manifest-path) select; dies with the reason. */
void workspace_locate(struct workspace *w, const char *cargo, const struct strvec *args);
void workspace_release(struct workspace *w);
bool workspace_has_bin(const struct workspace *w, const char *name);
/* The package whose binary target name is (len bytes of it), or NULL. */
const char *workspace_bin_package(const struct workspace *w, const char *name, size_t len);

#endif
