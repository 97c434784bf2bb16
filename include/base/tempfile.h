/*
 * tempfile.h - temporary directories that are removed however we leave (as
 * git's tempfile): at exit and in die(), so a merge that fails half-way
 * leaves no temp dir behind in the slot. Removal never follows a link
 * planted inside.
 */
#ifndef PGOW_TEMPFILE_H
#define PGOW_TEMPFILE_H

#include <stdbool.h>

#include "base/strbuf.h"

/* Temp names carry the owner: <prefix><tag>.<pid>.… (tag: this host and PID namespace). */
#define TEMP_TAG_LEN 8
const char *temp_owner_tag(void);
/* Whether a temp entry's name says a process of ours made it that is gone (killed mid-write). */
bool temp_is_orphan(const char *name);
/* Removes dir's temp entries whose process is gone (below base, never through a link); how many. */
int tempfile_sweep_orphans(const char *base, const char *dir);

/*
 * Makes <base>/<prefix><tag>.<pid>.XXXXXX (mode 0700) and registers it; its path goes
 * to out. -1 with err when it cannot be made.
 */
int tempdir_create(const char *base, const char *prefix, struct strbuf *out, struct strbuf *err);
/* Removes a registered temp dir now and forgets it; a failure is a warning. */
void tempdir_remove(const char *path);
/* Removes every registered temp dir (at exit and in die()). */
void tempfile_cleanup(void);

#endif
