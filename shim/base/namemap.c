/*
 * namemap.c - a map from names to small integers (open addressing, grown at
 * half full), where a name claimed by two owners belongs to neither.
 */
#include "base/namemap.h"
#include "base/hash.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

static size_t map_slot(const struct namemap *m, const char *name, size_t len)
{
	size_t at = hash_name(name, len) & (m->size - 1);
	while (m->names[at] && !(strlen(m->names[at]) == len && memcmp(m->names[at], name, len) == 0))
		at = (at + 1) & (m->size - 1);
	return at;
}

static void map_grow(struct namemap *m)
{
	struct namemap bigger = { NULL, NULL, m->size ? m->size * 2 : 1024, m->n };
	bigger.names = xcalloc(bigger.size, sizeof(*bigger.names));
	bigger.owner = xcalloc(bigger.size, sizeof(*bigger.owner));
	for (size_t i = 0; i < m->size; i++) {
		if (!m->names[i])
			continue;
		size_t at = map_slot(&bigger, m->names[i], strlen(m->names[i]));
		bigger.names[at] = m->names[i];
		bigger.owner[at] = m->owner[i];
	}
	free(m->names);
	free(m->owner);
	*m = bigger;
}

/* The owner of a name: a crate index, -1 for several, -2 for none. */
int namemap_get(const struct namemap *m, const char *name, size_t len)
{
	if (!m->size)
		return -2;
	size_t at = map_slot(m, name, len);
	return m->names[at] ? m->owner[at] : -2;
}

/* Claims a name for a unit; claimed by two units, it is nobody's own (-1). */
void namemap_claim(struct namemap *m, const char *name, size_t len, int owner)
{
	if (2 * (m->n + 1) > m->size)
		map_grow(m);
	size_t at = map_slot(m, name, len);
	if (!m->names[at]) {
		m->names[at] = xstrndup(name, len);
		m->owner[at] = owner;
		m->n++;
	} else if (m->owner[at] != owner) {
		m->owner[at] = -1;
	}
}

void namemap_release(struct namemap *m)
{
	for (size_t i = 0; i < m->size; i++)
		free(m->names[i]);
	free(m->names);
	free(m->owner);
	memset(m, 0, sizeof(*m));
}
