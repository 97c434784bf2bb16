/*
 * travel.h - a slot's profile to and from the remote store. On the remote a
 * slot is named by a portable key (its target, codegen flags, rustc and the
 * workspace's packages: no path), its profile by its content key:
 *
 *   pgow-v1/slots/<portable key>/current    the ref: a content key
 *   pgow-v1/slots/<portable key>/history    the profiles pushed, newest first
 *   pgow-v1/profiles/<key>.profdata, .yaml  the profile and its manifest
 *   pgow-v1/pins/<key>                      a lock file pins it: never pruned
 *
 * Objects are written before the ref that names them; fetched ones are
 * checked against their content key, the manifest's units and llvm-profdata
 * before they are stored as the slot's current profile.
 */
#ifndef PGOW_TRAVEL_H
#define PGOW_TRAVEL_H

#include "base/strbuf.h"

struct remote;

/*
 * Puts a local file as an object unless the remote has it whole (objects
 * never change; one of another size is a torn or damaged copy, replaced).
 */
int travel_put_object(struct remote *r, const char *name, const char *src, struct strbuf *err);
/* Puts text as object name, through a temp file made in dir (the transports send files). */
int travel_put_text(struct remote *r, const char *dir, const char *name, const struct strbuf *text,
		    struct strbuf *err);
/* The slot's portable key for the workspace of these members ("name@version", sorted). */
int travel_slot_key(const char *slot_dir, const struct strvec *members, struct strbuf *key, struct strbuf *err);

/*
 * Pushes the slot's current profile, then prunes the slot's history on the
 * remote to CARGO_PGO_WRAP_REMOTE_KEEP profiles (a failure there is a
 * warning). 1: pushed; 0: nothing to push (no profile); -1: failure (err, one line).
 */
int travel_push(struct remote *r, const char *slot_dir, const struct strvec *members, struct strbuf *err);

/* Marks profile key pinned on the remote, so that no push prunes it. 0, or -1 (err). */
int travel_protect(struct remote *r, const char *slot_dir, const char *key, struct strbuf *err);

/*
 * Fetches the remote's profile for the slot and makes it current, unless it
 * already is. 1: a profile was fetched; 2: the slot already has it; 0: the
 * remote has none; -1: failure (err, one line; nothing was stored).
 */
int travel_pull(struct remote *r, const char *slot_dir, const struct strvec *members, struct strbuf *err);

/*
 * Makes profile key the slot's current one: 2 when it is already; 1 when it
 * was restored from this cache or fetched (r may be NULL: then only from
 * this cache); -1 (err) when it could be neither.
 */
int travel_fetch(struct remote *r, const char *slot_dir, const char *key, struct strbuf *err);
/* Makes profile key, which this cache stored once, current again, quietly; false when it cannot. */
bool travel_restore_local(const char *slot_dir, const char *key);
/*
 * Remembers that the remote's remote_key was no fresher for this build
 * (as state describes it) than local_key: no refetch while all three stay.
 */
void travel_mark_no_fresher(const char *slot_dir, const char *remote_key, const char *local_key, const char *state);

/*
 * What the remote names for a slot that was pushed or pulled before (its
 * REMOTE file keeps the portable key): 1 and key; 0 none; -2 the slot never
 * met the remote; -1 failure (err).
 */
int travel_remote_state(struct remote *r, const char *slot_dir, struct strbuf *key, struct strbuf *err);

/*
 * What build does after a profile is stored, and before it trains: a miss
 * or a failure of the remote is one warning, or exit 9 under
 * CARGO_PGO_WRAP_REMOTE_REQUIRED=1. Nothing when no remote is set.
 */
void travel_push_or_warn(const char *slot_dir, const struct strvec *members);
/*
 * 1 when a profile was fetched or was there already; 0 otherwise, also when
 * the remote's was judged no fresher before for a build in this state.
 */
int travel_pull_or_warn(const char *slot_dir, const struct strvec *members, const char *state);

#endif
