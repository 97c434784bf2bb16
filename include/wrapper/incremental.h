/*
 * incremental.h - the incremental dir of a unit compiled with a profile:
 * rustc's incremental cache does not see a profile's bytes change, so each
 * profile a unit is given gets a dir of its own.
 */
#ifndef PGOW_INCREMENTAL_H
#define PGOW_INCREMENTAL_H

#include <stdbool.h>

#include "base/strbuf.h"
#include "formats/rustc_args.h"

/* Whether cargo compiles the unit incrementally (-C incremental=DIR): registry crates never are. */
bool incremental_wanted(const struct rustc_args *a);
/*
 * When cargo compiles the unit incrementally (-C incremental=DIR), adds
 * -Cincremental=DIR/pgo-wrap/<crate>-<metadata>/<profile id> to cmd (the last
 * -C incremental is the one rustc takes), profile_id naming the bytes of the
 * profile it is given, and removes the dirs of the profiles it was given
 * before. 0, or -1 with err when the dir cannot be made safely.
 */
int incremental_per_profile(struct strvec *cmd, const struct rustc_args *a, const char *profile_id,
			    struct strbuf *err);

#endif
