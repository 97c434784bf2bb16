/*
 * tempfile.h - temporary directories that are removed however we leave (as
 * git's tempfile): at exit and in die(), so a merge that fails half-way
 * leaves no temp dir behind in the slot. Removal never follows a link
 * planted inside.
 */
#ifndef PGOW_TEMPFILE_H
#define PGOW_TEMPFILE_H

#include "base/strbuf.h"

/*
 * Makes <base>/<prefix>XXXXXX (mode 0700) and registers it; its path goes
 * to out. -1 with err when it cannot be made.
 */
int tempdir_create(const char *base, const char *prefix, struct strbuf *out, struct strbuf *err);
/* Removes a registered temp dir now and forgets it; a failure is a warning. */
void tempdir_remove(const char *path);
/* Removes every registered temp dir (at exit and in die()). */
void tempfile_cleanup(void);

#endif
