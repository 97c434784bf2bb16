/*
 * pinlock.h - pgo-wrap.lock at the workspace root: the profile each build
 * configuration of the workspace uses, pinned by `cargo-pgo-wrap pin` and
 * reviewed in diffs like Cargo.lock. With a pin, builds use exactly that
 * profile (fetched from the remote when needed) and never replace it.
 */
#ifndef PGOW_PINLOCK_H
#define PGOW_PINLOCK_H

#include <stddef.h>

#include "base/strbuf.h"

#define PINLOCK_NAME "pgo-wrap.lock"

struct pin {
	char *slot;      /* the portable slot key */
	char *profile;   /* the content key */
	char *target, *flags, *rustc;   /* what the slot is, for the reader of a diff */
};

struct pinlock {
	char *path;
	struct pin *v;
	size_t n;
};

/* Reads <root>/pgo-wrap.lock: 1 read, 0 none, -1 (err: "file:line:col: problem"). */
int pinlock_read(struct pinlock *l, const char *root, struct strbuf *err);
const struct pin *pinlock_find(const struct pinlock *l, const char *slot);
/* Pins slot to profile, replacing its pin if it has one. */
void pinlock_set(struct pinlock *l, const struct pin *p);
/* Writes it atomically. */
int pinlock_write(const struct pinlock *l, struct strbuf *err);
void pinlock_release(struct pinlock *l);

#endif
