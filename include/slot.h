/*
 * slot.h - the slot: one build configuration whose artifacts share a PGO
 * decision. Every eligible unit of a slot lists the slot's STAMP in its
 * dep-info, so one touch makes cargo rebuild exactly that configuration.
 */
#ifndef PGOW_SLOT_H
#define PGOW_SLOT_H

#include "args.h"
#include "hash.h"

struct slot {
	char id[HASH_HEX_LEN + 1];
	struct strbuf build_dir;   /* <target-dir>[/<triple>]/<profile> */
	struct strbuf dir;         /* <cache>/slots/<id>, created 0700 */
};

/* Identifies the slot of one rustc invocation and creates its cache dir. */
int slot_for_invocation(struct slot *s, const struct rustc_args *a, struct strbuf *err);
void slot_release(struct slot *s);

#endif
