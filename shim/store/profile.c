/*
 * profile.c - a slot's profiles: each stored once under its content key, and
 * CURRENT naming the one in use. Storing writes the profile and its manifest
 * before CURRENT switches, each atomic and fsynced, under the slot lock.
 */
#include "store/profile.h"
#include "base/atomic.h"
#include "base/clock.h"
#include "base/hash.h"
#include "base/message.h"
#include "base/path.h"
#include "base/xalloc.h"
#include "store/cache.h"
#include "store/manifest.h"
#include "store/split.h"
#include "store/stamp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define INDEX_MAGIC "crates-v1"
/* The manifest's programs, on a line no crate's can start with ('=' is not in a crate name). */
#define INDEX_PROGRAMS "=programs"
/* The crates none of whose instrumented code ran in the training (manifest_name_never_ran). */
#define INDEX_UNRUN "=unrun"

void profile_path(struct strbuf *out, const char *slot_dir, const char *key)
{
	sb_addf(out, "%s/profiles/%s.profdata", slot_dir, key);
}

/*
 * Points every non-instrumenting build dir of the slot at the new profile.
 * "auto-generate" dirs (instrumented only for want of a profile) switch too.
 */
static int retarget_stamps(const char *slot_dir, const char *profdata, struct strbuf *err)
{
	struct stamp *stamps;
	size_t n;
	int rc = 0;

	stamp_list(slot_dir, &stamps, &n);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		/* Instrumenting dirs keep instrumenting; plain (off) dirs chose to be plain. */
		if (strncmp(stamps[i].decision, "generate ", 9) == 0 || strcmp(stamps[i].decision, "off") == 0)
			continue;
		struct strbuf id = STRBUF_INIT;
		profile_use_decision(slot_dir, profdata, &id);
		sb_addf(&id, "\n%s", stamps[i].build_dir);
		rc = stamp_sync(stamps[i].path, id.buf, now_timespec, err);
		sb_release(&id);
	}
	stamp_list_release(stamps, n);
	return rc;
}

void profile_content_key(struct manifest *m, const char *profdata)
{
	char hex[HASH_HEX_LEN + 1];
	struct hasher *h = hasher_new();

	hasher_add_str(h, "content-v2");
	if (hash_file_hex(profdata, hex) == 0)
		hasher_add_str(h, hex);
	hasher_add_str(h, m->training_id ? m->training_id : "manual");
	for (size_t i = 0; i < m->ncrates; i++) {
		hasher_add_str(h, m->crates[i].name);
		hasher_add_str(h, m->crates[i].metadata);
		hasher_add_str(h, m->crates[i].key);
	}
	/* Only when known, so the keys of profiles made before it stay what they were. */
	if (m->programs_known) {
		hasher_add_str(h, "\x01programs");
		for (size_t i = 0; i < m->programs.n; i++)
			hasher_add_str(h, m->programs.v[i]);
	}
	hasher_hex(h, hex);
	hasher_free(h);
	free(m->content_key);
	m->content_key = xstrdup(hex);
}

void profile_key_of(const char *profdata, struct strbuf *key)
{
	const char *base = path_basename(profdata);
	sb_add(key, base, strcspn(base, "."));
}

void profile_use_decision(const char *slot_dir, const char *profdata, struct strbuf *out)
{
	struct strbuf dir = STRBUF_INIT, file = STRBUF_INIT, hash = STRBUF_INIT, key = STRBUF_INIT;

	/* Split, the stamp names the split's dir, which a refresh keeps: the files' mtimes tell cargo. */
	profile_key_of(profdata, &key);
	sb_addf(out, "use %s", split_lookup(slot_dir, key.buf, NULL, NULL, &dir, &file, &hash) == 1 ? dir.buf : profdata);
	sb_release(&key);
	sb_release(&dir);
	sb_release(&file);
	sb_release(&hash);
}

/* A tagged line of names, as index_list reads it. */
static void add_index_list(struct strbuf *index, const char *tag, const struct strvec *names)
{
	sb_adds(index, tag);
	for (size_t i = 0; i < names->n; i++)
		sb_addf(index, "\t%s", names->v[i]);
	sb_addch(index, '\n');
}

/* Read after the split: its figures, and the libraries whose code ran in other units (DEFINED). */
static void add_never_ran(struct strbuf *index, const struct manifest *m, const char *slot_dir)
{
	struct strvec names = STRVEC_INIT;
	struct strbuf defined = STRBUF_INIT;

	(void)split_defined_read(slot_dir, m->content_key, &defined);
	for (size_t i = 0; i < m->ncrates; i++)
		if (manifest_name_never_ran(m, m->crates[i].name) &&
		    !split_defined_ran_elsewhere(sb_str(&defined), m->crates[i].name))
			sv_push(&names, m->crates[i].name);
	sb_release(&defined);
	sv_sort_unique(&names);
	if (names.n)
		add_index_list(index, INDEX_UNRUN, &names);
	sv_release(&names);
}

/* profiles/<key>.crates: the units and their keys, the programs, the crates that never ran. */
static int write_index(const char *slot_dir, const struct manifest *m, struct strbuf *err)
{
	struct atomic_opts opts = { .mode = 0600, .fsync = true };
	struct strbuf ipath = STRBUF_INIT, index = STRBUF_INIT;

	sb_addf(&ipath, "%s/profiles/%s.crates", slot_dir, m->content_key);
	sb_addf(&index, INDEX_MAGIC "\t%s\n", m->content_key);
	for (size_t i = 0; i < m->ncrates; i++)
		sb_addf(&index, "%s\t%s\t%s\n", m->crates[i].name, m->crates[i].metadata, m->crates[i].key);
	if (m->programs_known)
		add_index_list(&index, INDEX_PROGRAMS, &m->programs);
	add_never_ran(&index, m, slot_dir);
	int rc = write_file_atomic(ipath.buf, index.buf, index.len, &opts, err);
	sb_release(&ipath);
	sb_release(&index);
	return rc;
}

int profile_store(const char *slot_dir, const char *profdata, const struct manifest *m,
		  store_hook_fn before_current, void *ctx, struct strbuf *err)
{
	struct strbuf profiles = STRBUF_INIT, dst = STRBUF_INIT, mpath = STRBUF_INIT, cur = STRBUF_INIT;
	int rc = -1;
	int lock = cache_lock_slot(slot_dir, err);

	if (lock < 0)
		goto out;
	path_join(&profiles, slot_dir, "profiles");
	if (mkdir_private(profiles.buf, 0700, err) != 0)
		goto out;
	profile_path(&dst, slot_dir, m->content_key);
	sb_addf(&mpath, "%s/%s.yaml", profiles.buf, m->content_key);
	path_join(&cur, slot_dir, "CURRENT");
	struct atomic_opts opts = { .mode = 0600, .fsync = true };
	/* The index and manifest after the hook: the split sets the units' figures they record. */
	if (copy_file_atomic(profdata, dst.buf, 0600, err) == 0 &&
	    (!before_current || before_current(ctx, err) == 0) && write_index(slot_dir, m, err) == 0 &&
	    manifest_write(m, mpath.buf, err) == 0 &&
	    write_file_atomic(cur.buf, m->content_key, strlen(m->content_key), &opts, err) == 0) {
		struct strbuf why = STRBUF_INIT;
		rc = retarget_stamps(slot_dir, dst.buf, &why);
		if (rc != 0)
			sb_addf(err, "profile %.12s is now current, but the build dirs could not be pointed "
				"at it (%s); fix that, then build again", m->content_key, why.buf);
		sb_release(&why);
	} else {
		struct strbuf why = STRBUF_INIT;
		sb_addf(&why, "%s; the previous profile is still current", sb_str(err));
		sb_reset(err);
		sb_adds(err, why.buf);
		sb_release(&why);
	}
out:
	if (lock >= 0)
		close(lock); /* releases the flock */
	sb_release(&profiles);
	sb_release(&dst);
	sb_release(&mpath);
	sb_release(&cur);
	return rc;
}

/* CURRENT's content key; 1, 0 when there is none, -1 when corrupt. */
static int read_current(const char *slot_dir, struct strbuf *key, struct strbuf *err)
{
	struct strbuf cur = STRBUF_INIT;
	int rc = 1;

	path_join(&cur, slot_dir, "CURRENT");
	if (sb_read_file(key, cur.buf) != 0) {
		rc = errno == ENOENT ? 0 : -1;
		if (rc)
			sb_addf(err, "cannot read %s: %s", cur.buf, strerror(errno));
	} else if (key->len != HASH_HEX_LEN || !str_is_hex(key->buf, HASH_HEX_LEN)) {
		sb_addf(err, "%s is corrupt; delete it (the slot then has no profile)", cur.buf);
		rc = -1;
	}
	sb_release(&cur);
	return rc;
}

int profile_current_index(const char *slot_dir, struct strbuf *profdata, struct strbuf *index,
			  struct strbuf *err)
{
	struct strbuf key = STRBUF_INIT, ipath = STRBUF_INIT, header = STRBUF_INIT;
	int rc = read_current(slot_dir, &key, err);

	if (rc == 1) {
		sb_addf(&ipath, "%s/profiles/%s.crates", slot_dir, key.buf);
		sb_addf(&header, INDEX_MAGIC "\t%s\n", key.buf);
		profile_path(profdata, slot_dir, key.buf);
		if (sb_read_file(index, ipath.buf) != 0 || strncmp(sb_str(index), header.buf, header.len) != 0) {
			sb_addf(err, "%s is missing or corrupt; run cargo-pgo-wrap merge again, or delete %s/CURRENT",
				ipath.buf, slot_dir);
			rc = -1;
		} else if (!file_exists(profdata->buf)) {
			sb_addf(err, "%s is missing; delete %s/CURRENT", profdata->buf, slot_dir);
			rc = -1;
		}
	}
	sb_release(&key);
	sb_release(&ipath);
	sb_release(&header);
	return rc;
}

void profile_withdraw_orphan_split(const char *slot_dir)
{
	struct strbuf err = STRBUF_INIT;

	if (split_unlink(slot_dir, &err) != 0)
		warn("%s", err.buf);
	sb_release(&err);
}

char *profile_index_lookup(const char *index, const char *crate, const char *metadata)
{
	struct strbuf want = STRBUF_INIT;
	char *found = NULL;

	sb_addf(&want, "\n%s\t%s\t", crate, metadata);
	const char *p = strstr(index, want.buf);
	if (p) {
		p += want.len;
		found = xstrndup(p, strcspn(p, "\n"));
	}
	sb_release(&want);
	return found;
}

/* The names on the index's line tag ("\t"-led, to the newline), or NULL without one. */
static const char *index_list(const char *index, const char *tag)
{
	struct strbuf want = STRBUF_INIT;
	sb_addf(&want, "\n%s\t", tag);
	const char *line = strstr(index, want.buf);
	if (!line) {
		/* A tag with no names ends its line at once. */
		sb_setlen(&want, want.len - 1);
		sb_addch(&want, '\n');
		line = strstr(index, want.buf);
	}
	const char *list = line ? line + want.len - 1 : NULL;
	sb_release(&want);
	return list;
}

static bool list_has(const char *list, const char *crate)
{
	size_t len = strcspn(list, "\n"), n = strlen(crate);
	for (const char *p = list; p < list + len; p += 1 + strcspn(p + 1, "\t\n"))
		if (p[0] == '\t' && strncmp(p + 1, crate, n) == 0 && (p[1 + n] == '\t' || p[1 + n] == '\n'))
			return true;
	return false;
}

bool profile_index_never_ran(const char *index, const char *crate)
{
	const char *list = index_list(index, INDEX_UNRUN);
	return list && list_has(list, crate);
}

bool profile_index_program_untrained(const char *index, const char *crate, bool test_harness)
{
	const char *programs = index_list(index, INDEX_PROGRAMS);
	if (!programs)
		return false;
	if (test_harness)
		return true;
	struct strbuf line = STRBUF_INIT;
	sb_addf(&line, "\n%s\t", crate);
	/* A program the profile has counts for ran (a trained one started it), named or not. */
	bool ran = strstr(index, line.buf) && !profile_index_never_ran(index, crate);
	sb_release(&line);
	return !ran && !list_has(programs, crate);
}

int profile_current(const char *slot_dir, struct manifest *m, struct strbuf *profdata,
		    struct strbuf *err)
{
	struct strbuf key = STRBUF_INIT, mpath = STRBUF_INIT;
	int rc;

	memset(m, 0, sizeof(*m));
	rc = read_current(slot_dir, &key, err);
	if (rc != 1)
		goto out;
	rc = -1;
	sb_addf(&mpath, "%s/profiles/%s.yaml", slot_dir, key.buf);
	if (manifest_read(m, mpath.buf, err) != 0)
		goto out;
	if (strcmp(m->content_key, key.buf) != 0) {
		sb_addf(err, "%s: content-key %s does not match its file name; delete %s/CURRENT",
			mpath.buf, m->content_key, slot_dir);
		goto out;
	}
	profile_path(profdata, slot_dir, key.buf);
	if (!file_exists(profdata->buf)) {
		sb_addf(err, "%s is missing; delete %s/CURRENT", profdata->buf, slot_dir);
		goto out;
	}
	rc = 1;
out:
	sb_release(&key);
	sb_release(&mpath);
	return rc;
}
