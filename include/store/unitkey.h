/*
 * unitkey.h - the content key of one crate unit: what its profile counts
 * were collected against (crate name, -C metadata, cfgs, and the contents
 * of every source file rustc read). Kept per unit in a record inside the
 * slot, which doubles as the stat cache for re-keying.
 */
#ifndef PGOW_UNITKEY_H
#define PGOW_UNITKEY_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/hash.h"
#include "formats/rustc_args.h"

struct unit_file {
	char *path;            /* as rustc wrote it, or $BUILD/... under the build dir */
	char *real_path;       /* where it is read from */
	dev_t dev;
	ino_t ino;
	off_t size;
	long long mtime_ns, ctime_ns;
	char digest[HASH_HEX_LEN + 1];
};

struct unit_key {
	char *crate;
	char *metadata;
	char identity[HASH_HEX_LEN + 1]; /* name, metadata, types, edition, target, cfgs */
	char key[HASH_HEX_LEN + 1];
	bool without_tests;    /* Rust sources digested without their test-only items */
	bool legacy;           /* read from a record whose digests read comments: no stat cache */
	/*
	 * Its key under the key function of the version that wrote a legacy
	 * record, kept while the code is as it was then: a profile collected
	 * before an upgrade holds that key, and is not stale for the upgrade
	 * alone. Empty when there is none.
	 */
	char earlier_key[HASH_HEX_LEN + 1];
	struct unit_file *files;
	size_t nfiles;
};

/* Files whose mtime is this recent are re-hashed even when stat matches. */
#define UNITKEY_RACY_NS (2LL * 1000000000LL)

/*
 * Computes the key of the unit described by a from its dep-info (sources),
 * the workspace sources of the proc-macros it is built against, and args
 * (name, metadata, cfgs). prev, if not NULL, is an earlier record
 * of the same unit: files whose stat is unchanged reuse its digests.
 * Paths under build_dir are recorded as $BUILD/... so that the same crate
 * built in another target dir gets the same key. Paths listed in skip
 * (our STAMP, the profile) are not sources.
 */
int unitkey_compute(struct unit_key *k, const struct rustc_args *a, const char *dep_info,
		    const char *build_dir, const struct unit_key *prev,
		    const struct strvec *skip, struct strbuf *err);
/*
 * The same from a list of source files (absolute, or relative to the cwd)
 * and an identity hash: how units other than rustc's (the C code a build
 * script compiles) are keyed. .rs files are digested as code, without comments
 * or layout (rustcode.h); without_tests: without their test-only items too, for
 * a unit built without --test.
 */
int unitkey_compute_sources(struct unit_key *k, const char *crate, const char *metadata,
			    const char *identity, bool without_tests, const struct strvec *sources,
			    const char *build_dir, const struct unit_key *prev, const struct strvec *skip,
			    struct strbuf *err);
/* Re-keys an existing record against the files as they are now. */
int unitkey_refresh(struct unit_key *now, const struct unit_key *rec, struct strbuf *err);
int unitkey_write(const struct unit_key *k, const char *path, struct strbuf *err);
/* 1: read; 0: no such record; -1: unreadable or corrupt (err says which line). */
int unitkey_read(struct unit_key *k, const char *path, struct strbuf *err);
/* k's code is the code a profile's key names: its key, or its key before an upgrade. */
bool unitkey_matches(const struct unit_key *k, const char *key);
void unitkey_release(struct unit_key *k);
/* The prerequisites of dep-info's first rule ("target: a b\\ c" -> "a", "b c"). */
void unitkey_dep_info_sources(const char *text, struct strvec *out);
/* <slot dir>/units/<crate>-<metadata>.unit */
/* Creates <slot>/units, where the records live (0700). 0, or -1 (err). */
int unitkey_make_dir(const char *slot_dir, struct strbuf *err);
void unitkey_record_path(struct strbuf *out, const char *slot_dir, const char *crate,
			 const char *metadata);

#endif
