/*
 * slot.h - the slot: one build configuration (workspace, target, rustc,
 * codegen flags) whose crates share a profile. The instrumented and the
 * optimised build of a slot live in different target dirs, so each build
 * dir has its own STAMP in the slot, recording the decision it was built with.
 */
#ifndef PGOW_SLOT_H
#define PGOW_SLOT_H

#include "base/hash.h"
#include "formats/rustc_args.h"
#include "store/stamp.h"

struct slot {
	char id[HASH_HEX_LEN + 1];
	struct strbuf workspace;   /* CARGO_PGO_WRAP_WORKSPACE, else the target dir */
	struct strbuf build_dir;   /* <target-dir>[/<triple>]/<profile> */
	struct strbuf identity;    /* rustc -vV */
	struct strbuf signature;   /* codegen-relevant -C flags, one per line */
	struct strbuf dir;         /* <cache>/slots/<id>, created 0700 */
};

/*
 * Identifies the slot of one rustc invocation: its id and where its dir is
 * (s->dir), nothing written. slot_open then creates the dir and its SLOT
 * file: a wrapper leases the slot in between, so gc never removes a slot
 * while it is being made.
 */
int slot_identify(struct slot *s, const struct rustc_args *a, const char *rustc, struct strbuf *err);
int slot_open(struct slot *s, const struct rustc_args *a, struct strbuf *err);
void slot_release(struct slot *s);
/*
 * <slot>/builds/<hash>: what the last verified build of build_dir with these
 * unit-choosing cargo arguments (args_key: features, packages, targets) found.
 */
void slot_build_record(struct strbuf *out, const char *slot_dir, const char *build_dir, const char *args_key);
/* A slot id as we make them (32 lowercase hex): what a mark or record names is checked before use. */
bool slot_id_valid(const char *id);
/* Paths of the slot's unit records (units/<crate>-<metadata>.unit), sorted. */
void slot_unit_records(const char *slot_dir, struct strvec *out);

/* What a slot's SLOT file says, for commands that only have the slot dir. */
struct slot_info {
	struct strbuf workspace, target, signature, rustc;
};
int slot_read_info(const char *slot_dir, struct slot_info *info, struct strbuf *err);
void slot_info_release(struct slot_info *info);
/* Whether the slot was keyed by this workspace identity (false when its SLOT cannot be read). */
bool slot_is_of_workspace(const char *slot_dir, const char *workspace);

#endif
