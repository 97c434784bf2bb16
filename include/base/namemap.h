/*
 * namemap.h - a map from names to small integers (an owner: a crate's index),
 * where a name claimed by two owners belongs to neither.
 */
#ifndef PGOW_NAMEMAP_H
#define PGOW_NAMEMAP_H

#include <stddef.h>

struct namemap {
	char **names;
	int *owner;       /* the owner, or -1: claimed by more than one */
	size_t size, n;   /* open addressing, size a power of two */
};

/* The owner of a name: an owner, -1 for several, -2 for none. */
int namemap_get(const struct namemap *m, const char *name, size_t len);
/* Claims a name for an owner; claimed by two, it is nobody's own (-1). */
void namemap_claim(struct namemap *m, const char *name, size_t len, int owner);
void namemap_release(struct namemap *m);

#endif
