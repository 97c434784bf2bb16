/*
 * stamp.h - a build dir's STAMP in a slot: the one file that names the
 * decision the dir was last built with. Every unit built there lists it in
 * its dep-info, so rewriting it (dated so cargo sees it newer) makes cargo
 * rebuild them all. C code has its own stamps (cstamps/).
 */
#ifndef PGOW_STAMP_H
#define PGOW_STAMP_H

#include <stddef.h>
#include <time.h>

#include "base/strbuf.h"

/*
 * Makes the STAMP file record decision_id. When it recorded something
 * else (or nothing), it is rewritten with the mtime that stamp_time gives
 * (asked only then, as it may cost a syscall or two), which makes cargo
 * rebuild every unit whose dep-info lists it.
 */
typedef void (*stamp_time_fn)(struct timespec *out);
int stamp_sync(const char *stamp, const char *decision_id, stamp_time_fn stamp_time,
	       struct strbuf *err);

/* <slot dir>/stamps/<hash of build_dir>: the file that names build_dir's decision. */
void stamp_path(struct strbuf *out, const char *slot_dir, const char *build_dir);
/*
 * <slot dir>/cstamps/<hash of build_dir>, made to record the C decision of
 * build_dir: the build scripts that compile C list it. stamp_path is left
 * empty in a read-only cache without one.
 */
int stamp_c_sync(const char *slot_dir, const char *build_dir, const char *c_decision,
		 struct strbuf *stamp_path, struct strbuf *err);
/*
 * stamp_sync() for the STAMP of build_dir in the slot; in a read-only cache
 * an existing stamp is named as it is and none is made.
 */
int stamp_build_sync(const char *slot_dir, const char *build_dir, const char *decision_id,
		     stamp_time_fn stamp_time, struct strbuf *stamp_path, struct strbuf *err);
/*
 * Points an existing slot's STAMP for build_dir at decision_id (rewritten,
 * dated now, only when it differs), so that cargo rebuilds every unit of
 * that dir which was built under another decision.
 */
int stamp_point_at(const char *slot_dir, const char *build_dir, const char *decision_id,
		   struct strbuf *err);

/* One build dir's STAMP in a slot: the decision that dir was last built with. */
struct stamp {
	char *path;
	char *decision;    /* "generate DIR", "auto-generate DIR", "use FILE", "off" */
	char *build_dir;
};
/* The slot's stamps, one per build dir built in it (n = 0 when none). */
void stamp_list(const char *slot_dir, struct stamp **out, size_t *n);
void stamp_list_release(struct stamp *stamps, size_t n);
/* The directory a generate decision writes raw profiles to, or NULL. */
const char *stamp_generate_dir(const struct stamp *st);

#endif
