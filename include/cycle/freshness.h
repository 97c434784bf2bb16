/*
 * freshness.h - does a slot's current profile fit a build? Asked about the
 * units one build uses: before it (the profile's own units, re-keyed
 * against the sources as they are now) and after it (the units cargo
 * reported, with the content keys our marks recorded). A unit is named by
 * crate and -C metadata, as cargo names it, never by crate name alone.
 */
#ifndef PGOW_FRESHNESS_H
#define PGOW_FRESHNESS_H

#include <stdbool.h>

#include "base/strbuf.h"
#include "formats/buildunits.h"
#include "store/manifest.h"

struct crate_state {
	char *name;
	char *metadata;
	const char *state;   /* fresh, changed, replaced, new, unseen; untrained and unrun (see quiet) */
	long counts;         /* its share of the profile, -1 unknown */
	long functions, covered;
	long elsewhere;      /* a stale library's counts in units that are not: its generics there */
	const struct manifest_crate *source; /* the profile's unit its figures are (NULL: none) */
	bool program;        /* a bin, example, test or bench (known after a build) */
};

struct freshness {
	int has_profile;          /* 1, 0 none, -1 unusable (err) */
	struct manifest m;        /* the current profile's manifest */
	struct strbuf profdata;   /* its file */
	struct strbuf err;
	struct crate_state *crates;
	size_t ncrates, nstale, nquiet;
	bool training_changed;
	double stale_share;       /* share of the profile's counts in stale crates */
	struct strbuf stale;      /* "fixlib (changed), ..." */
	/*
	 * Units changed or new that no training can give counts, so not stale:
	 * code that never ran in it (no counts), programs it does not run.
	 */
	struct strbuf quiet;
	/* The split's DEFINED lines (store/split.h); per_unit: read, so counts are per unit, not per name. */
	struct strbuf defined;
	bool per_unit;
};

/*
 * Loads the slot's profile and re-keys its units; training_id NULL = not
 * configured. record: the build record of the build about to run, whose
 * uncovered units count too; NULL: the newest record of each build dir.
 */
void freshness_predict(struct freshness *f, const char *slot_dir, const char *training_id,
		       const char *record);
/* Loads the slot's profile and compares the units of a finished build (their marks). */
void freshness_of_build(struct freshness *f, const char *slot_dir, const struct build_units *u,
			const char *training_id);
void freshness_release(struct freshness *f);
/* Whether a unit's state makes the profile stale (not fresh, unseen or quiet). */
bool freshness_is_stale(const struct crate_state *c);
/*
 * Functions rustc found changed in units of this build that are not quiet,
 * when some are: a quiet unit's edit (a type, a constant) reached code that
 * ran in the training, so the profile is stale after all. 0 when none.
 */
int freshness_reached_from_quiet(const struct freshness *f, const struct build_units *u);
/*
 * Functions rustc found changed in units of this build that are not quiet
 * (a quiet unit's own lost no counts: it had none); list gets "crate N" for each.
 */
int freshness_counted_mismatches(const struct freshness *f, const struct build_units *u, struct strbuf *list);
/* Whether every quiet unit after a build was quiet in the prediction (said in its Fresh line). */
bool freshness_quiet_known(const struct freshness *before, const struct freshness *after);
/*
 * A profile's unit against its sources as they are now: "fresh", "changed"
 * (or its record is corrupt, or a source is gone), or "unseen" (no record here).
 */
const char *freshness_unit_now(const char *slot_dir, const struct manifest_crate *c);
/*
 * Whether a unit keyed key_now (a build's mark, a raw profile's provenance)
 * has the code a profile keyed key_then: the same key, or, after an upgrade
 * that changed how code is digested, the unit's record says key_then is its
 * earlier key (unitkey.h).
 */
bool freshness_same_code(const char *slot_dir, const char *crate, const char *metadata, const char *key_now,
			 const char *key_then);
/*
 * Keeps what a verified build found that the profile does not cover (new,
 * replaced or untrained units), so that `status` and the next build's prediction
 * know it without building: <slot>/builds/<hash of build dir>.
 */
void freshness_record_build(const char *record, const char *build_dir, const struct freshness *after);
/* The newest build record of build_dir in a slot (empty when none). */
void freshness_newest_record(const char *slot_dir, const char *build_dir, struct strbuf *out);
/* The slot dir whose stamp names build_dir (of this workspace identity, the newest); 0 when found, -1 when none. */
int slot_of_build_dir(const char *build_dir, struct strbuf *slot_dir);

#endif
