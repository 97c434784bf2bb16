/*
 * provenance.h - which code a raw profile was collected from. When the
 * wrapper links an instrumented binary it records, under the binary's
 * build-id, the slot and every instrumented unit linked into it with the
 * content key it was compiled from. A .profraw names that build-id, so a
 * merge knows the slot and the exact code behind each file.
 */
#ifndef PGOW_PROVENANCE_H
#define PGOW_PROVENANCE_H

#include <stdbool.h>

#include "base/strbuf.h"
#include "formats/depinfo.h"

struct unit_ref {
	char *crate, *metadata, *key;
};

struct provenance {
	char *slot;               /* slot id */
	char *binary;             /* where the binary was linked */
	struct unit_ref *units;
	size_t n;
};

/*
 * Records the binary just linked at path for a unit marked self (whose
 * deps lead to every library it links), plus extra units its marks cannot
 * name (the C code of build scripts). No build-id: nothing to record (0).
 */
int provenance_record(const char *path, const struct unit_mark *self, const struct unit_ref *extra,
		      size_t nextra, struct strbuf *err);
/* 1: found; 0: no build in this cache linked that id; -1: unreadable (err). */
int provenance_lookup(const char *build_id, struct provenance *p, struct strbuf *err);
void provenance_release(struct provenance *p);
/*
 * Whether a unit fetched from elsewhere can be one of ours: its names become
 * file names (unit records, split parts) and fields of tab-separated lines.
 * A crate name is an identifier (c:<package> for C units), metadata and key hex.
 */
bool unit_ref_ok(const char *crate, const char *metadata, const char *key);
/* A record's text (as stored) into p; -1 with "what:line: ..." in err when it is not one. */
int provenance_parse(const char *text, const char *what, struct provenance *p, struct strbuf *err);
/* A record's text for p, naming slot in place of p->slot (the remote names slots by key). */
void provenance_format(const struct provenance *p, const char *slot, struct strbuf *out);
/* Stores p as the record of build_id (made elsewhere, fetched from the remote). */
int provenance_store(const char *build_id, const struct provenance *p, struct strbuf *err);
/* The build-ids of the binaries recorded for slot (its id), into ids. */
void provenance_ids_of_slot(const char *slot, struct strvec *ids);
/* Adds a unit to a list unless the same crate and metadata are there; returns it. */
struct unit_ref *unit_refs_add(struct unit_ref **list, size_t *n, const char *crate,
			       const char *metadata, const char *key);
const struct unit_ref *unit_refs_find(const struct unit_ref *list, size_t n, const char *crate,
				      const char *metadata);
void unit_refs_release(struct unit_ref *list, size_t n);

#endif
