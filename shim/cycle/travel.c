/*
 * travel.c - a slot's profile to and from the remote store (see
 * include/cycle/travel.h): the portable key, push (objects, then the ref)
 * and pull (the ref, then the objects, checked, then stored).
 */
#include "cycle/travel.h"
#include "base/atomic.h"
#include "base/hash.h"
#include "base/message.h"
#include "base/path.h"
#include "base/settings.h"
#include "base/spawn.h"
#include "base/tempfile.h"
#include "base/xalloc.h"
#include "store/cache.h"
#include "store/manifest.h"
#include "store/profile.h"
#include "store/provenance.h"
#include "store/remote.h"
#include "store/report.h"
#include "store/slot.h"
#include "store/toolchain.h"
#include "store/unitnames.h"
#include "cycle/llvm.h"
#include "cycle/merge.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define REMOTE_ROOT "pgow-v1"
/* A manifest is a page of YAML per unit; a ref, one line. */
#define MAX_MANIFEST (64LL * 1024 * 1024)
#define MAX_REF 4096

/* <slot>/REMOTE: the portable key last used, so that `status` can ask the remote about the slot. */
static void remember_slot_key(const char *slot_dir, const char *key)
{
	struct strbuf path = STRBUF_INIT, line = STRBUF_INIT, err = STRBUF_INIT;
	struct atomic_opts opts = { .mode = 0600 };

	struct strbuf have = STRBUF_INIT;
	path_join(&path, slot_dir, "REMOTE");
	sb_addf(&line, "%s\n", key);
	/* Every build with a pin computes the key: written once, not per build. */
	if (sb_read_file(&have, path.buf) != 0 || strcmp(have.buf, line.buf) != 0)
		(void)write_file_atomic(path.buf, line.buf, line.len, &opts, &err); /* only status reads it */
	sb_release(&have);
	sb_release(&path);
	sb_release(&line);
	sb_release(&err);
}

int travel_slot_key(const char *slot_dir, const struct strvec *members, struct strbuf *key, struct strbuf *err)
{
	struct slot_info info;
	char hex[HASH_HEX_LEN + 1];

	if (slot_read_info(slot_dir, &info, err) != 0)
		return -1;
	/* Not the workspace path: the same project elsewhere, with the same toolchain and flags, is the same slot. */
	struct hasher *h = hasher_new();
	hasher_add_str(h, "pgow-remote-slot-v1");
	hasher_add_str(h, info.target.buf);
	hasher_add_str(h, info.signature.buf);
	hasher_add_str(h, info.rustc.buf);
	for (size_t i = 0; i < members->n; i++)
		hasher_add_str(h, members->v[i]);
	hasher_hex(h, hex);
	hasher_free(h);
	sb_adds(key, hex);
	slot_info_release(&info);
	if (!cache_is_readonly())
		remember_slot_key(slot_dir, hex);
	return 0;
}

static void ref_name(struct strbuf *out, const char *slot_key)
{
	sb_addf(out, REMOTE_ROOT "/slots/%s/current", slot_key);
}

static void object_name(struct strbuf *out, const char *content_key, const char *ext)
{
	sb_addf(out, REMOTE_ROOT "/profiles/%s.%s", content_key, ext);
}

/*
 * Puts a local file as an object unless the remote has it whole (objects
 * never change; one of another size is a torn or damaged copy, replaced).
 */
int travel_put_object(struct remote *r, const char *name, const char *src, struct strbuf *err)
{
	struct stat st;
	long long size;
	int has = remote_has(r, name, &size, err);

	if (has < 0)
		return -1;
	if (has && stat(src, &st) == 0 && (size < 0 ? size == -1 : size == (long long)st.st_size))
		return 0;
	return remote_put(r, name, src, err);
}

/* The content key a fetched ref names, or false. */
static bool parse_ref(struct strbuf *ref, struct strbuf *key)
{
	sb_add(key, ref->buf ? ref->buf : "", strcspn(sb_str(ref), "\r\n"));
	return key->len == HASH_HEX_LEN && str_is_hex(key->buf, HASH_HEX_LEN);
}

/* The ref the remote keeps for a slot key: 1 and key, 0 none, -1 (err). */
static int get_ref(struct remote *r, const char *slot_key, struct strbuf *key, struct strbuf *err)
{
	struct strbuf name = STRBUF_INIT, ref = STRBUF_INIT;

	ref_name(&name, slot_key);
	int rc = remote_get_small(r, name.buf, &ref, MAX_REF, err);
	if (rc == 1 && !parse_ref(&ref, key)) {
		sb_addf(err, "%s/%s is not a profile's name", remote_display(r), name.buf);
		rc = -1;
	}
	sb_release(&name);
	sb_release(&ref);
	return rc;
}

int travel_put_text(struct remote *r, const char *slot_dir, const char *name, const struct strbuf *text,
		    struct strbuf *err)
{
	struct strbuf tmp = STRBUF_INIT, file = STRBUF_INIT;
	struct atomic_opts opts = { .mode = 0600 };
	int rc = -1;

	if (tempdir_create(slot_dir, "merge.", &tmp, err) == 0) {
		path_join(&file, tmp.buf, "object");
		if (write_file_atomic(file.buf, sb_str(text), text->len, &opts, err) == 0)
			rc = remote_put(r, name, file.buf, err);
		tempdir_remove(tmp.buf);
	}
	sb_release(&tmp);
	sb_release(&file);
	return rc;
}

static bool is_key(const char *s, size_t len)
{
	return len == HASH_HEX_LEN && mem_is_hex(s, len);
}

/* The remote's history of a slot: its profiles, newest first, one per line (what is not a key is dropped). */
static int get_history(struct remote *r, const char *slot_key, struct strvec *keys, struct strbuf *err)
{
	struct strbuf name = STRBUF_INIT, text = STRBUF_INIT;

	sb_addf(&name, REMOTE_ROOT "/slots/%s/history", slot_key);
	int rc = remote_get_small(r, name.buf, &text, MAX_REF * 64, err);
	for (const char *p = sb_str(&text); rc == 1 && *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] != 0)) {
		size_t len = strcspn(p, "\n");
		if (is_key(p, len) && keys->n < 4096) {
			struct strbuf k = STRBUF_INIT;
			sb_add(&k, p, len);
			if (!sv_has(keys, k.buf))
				sv_push(keys, k.buf);
			sb_release(&k);
		}
	}
	sb_release(&name);
	sb_release(&text);
	return rc < 0 ? -1 : 0;
}

/* Whether `pin` protected a profile: pgow-v1/pins/<key> exists. 1, 0, or -1 (err). */
static int is_pinned(struct remote *r, const char *key, struct strbuf *err)
{
	struct strbuf name = STRBUF_INIT;
	long long size;

	sb_addf(&name, REMOTE_ROOT "/pins/%s", key);
	int rc = remote_has(r, name.buf, &size, err);
	sb_release(&name);
	return rc;
}

/* Deletes a profile's objects, unless it is pinned or is what the slot's ref names now. */
static int prune_profile(struct remote *r, const char *slot_key, const char *key, struct strbuf *err)
{
	struct strbuf name = STRBUF_INIT, ref = STRBUF_INIT, e = STRBUF_INIT;
	int rc = 0, pinned = is_pinned(r, key, err);

	if (pinned != 0)
		return pinned < 0 ? -1 : 0;
	/* Another machine's push may have made it current again since we read the history. */
	if (get_ref(r, slot_key, &ref, &e) == 1 && strcmp(ref.buf, key) == 0)
		goto out;
	object_name(&name, key, "profdata");
	/* The profile first: a manifest without it is a miss, never a half-profile. */
	if (remote_delete(r, name.buf, err) != 0)
		rc = -1;
	sb_reset(&name);
	object_name(&name, key, "yaml");
	if (rc == 0 && remote_delete(r, name.buf, err) != 0)
		rc = -1;
	if (rc == 0)
		rc = 1;
out:
	sb_release(&name);
	sb_release(&ref);
	sb_release(&e);
	return rc;
}

/*
 * After a push: the slot's history gains key, and what falls past
 * CARGO_PGO_WRAP_REMOTE_KEEP profiles is deleted (pinned ones are kept).
 * Two machines writing the history at once lose an entry: that profile is
 * then never pruned, which wastes space and breaks nothing.
 */
static void keep_history(struct remote *r, const char *slot_dir, const char *slot_key, const char *key)
{
	struct strvec old = STRVEC_INIT, keys = STRVEC_INIT;
	struct strbuf err = STRBUF_INIT, name = STRBUF_INIT, text = STRBUF_INIT;
	long keep = setting_number(SETTING_REMOTE_KEEP, 5);
	int pruned = 0;

	if (get_history(r, slot_key, &old, &err) != 0) {
		warn("cannot read the slot's history on the remote (old profiles stay): %s", err.buf);
		goto out;
	}
	sv_push(&keys, key);
	for (size_t i = 0; i < old.n; i++) {
		if (strcmp(old.v[i], key) == 0)
			continue;
		if ((long)keys.n < keep) {
			sv_push(&keys, old.v[i]);
			continue;
		}
		int rc = prune_profile(r, slot_key, old.v[i], &err);
		if (rc < 0)
			break;
		pruned += rc;
	}
	if (err.len) {
		warn("cannot prune old profiles of slot %.12s on the remote: %s", path_basename(slot_dir), err.buf);
		goto out; /* the history keeps naming them: the next push tries again */
	}
	for (size_t i = 0; i < keys.n; i++)
		sb_addf(&text, "%s\n", keys.v[i]);
	sb_addf(&name, REMOTE_ROOT "/slots/%s/history", slot_key);
	if (travel_put_text(r, slot_dir, name.buf, &text, &err) != 0)
		warn("cannot write the slot's history on the remote: %s", err.buf);
	else if (pruned)
		progress("Pruned", "%d old profile(s) of slot %.12s from %s (%s=%ld)\n", pruned,
			 path_basename(slot_dir), remote_display(r), ENV_REMOTE_KEEP, keep);
out:
	sv_release(&old);
	sv_release(&keys);
	sb_release(&err);
	sb_release(&name);
	sb_release(&text);
}

/* The names bundle of a profile, when its units' lists are here (objects never change: put once). */
static int push_names(struct remote *r, const char *slot_dir, const struct manifest *m, struct strbuf *err)
{
	struct strbuf bundle = STRBUF_INIT, name = STRBUF_INIT;
	long long size;
	int rc = 0;

	object_name(&name, m->content_key, "names");
	if (unitnames_bundle(slot_dir, m, &bundle)) {
		int has = remote_has(r, name.buf, &size, err);
		rc = has < 0 ? -1 : has && size == (long long)bundle.len ? 0 : travel_put_text(r, slot_dir, name.buf, &bundle, err);
	}
	sb_release(&bundle);
	sb_release(&name);
	return rc;
}

int travel_push(struct remote *r, const char *slot_dir, const struct strvec *members, struct strbuf *err)
{
	struct strbuf slot_key = STRBUF_INIT, prof = STRBUF_INIT, yaml = STRBUF_INIT, name = STRBUF_INIT;
	struct strbuf line = STRBUF_INIT;
	struct manifest m;
	int rc = -1;

	int have = profile_current(slot_dir, &m, &prof, err);
	if (have != 1) {
		rc = have;
		goto out;
	}
	if (travel_slot_key(slot_dir, members, &slot_key, err) != 0)
		goto out;
	sb_addf(&yaml, "%s/profiles/%s.yaml", slot_dir, m.content_key);
	object_name(&name, m.content_key, "profdata");
	if (travel_put_object(r, name.buf, prof.buf, err) != 0)
		goto out;
	sb_reset(&name);
	object_name(&name, m.content_key, "yaml");
	if (travel_put_object(r, name.buf, yaml.buf, err) != 0)
		goto out;
	if (push_names(r, slot_dir, &m, err) != 0)
		goto out;
	/* The ref last, once everything it names is there: last writer wins, and names a whole profile. */
	sb_addf(&line, "%s\n", m.content_key);
	sb_reset(&name);
	ref_name(&name, slot_key.buf);
	if (travel_put_text(r, slot_dir, name.buf, &line, err) != 0)
		goto out;
	rc = 1;
	progress("Pushed", "profile %.12s of slot %.12s to %s\n", m.content_key, path_basename(slot_dir),
		 remote_display(r));
	keep_history(r, slot_dir, slot_key.buf, m.content_key);
out:
	manifest_release(&m); /* profile_current fills what it read, whatever it returns */
	sb_release(&slot_key);
	sb_release(&prof);
	sb_release(&yaml);
	sb_release(&name);
	sb_release(&line);
	return rc;
}

int travel_protect(struct remote *r, const char *slot_dir, const char *key, struct strbuf *err)
{
	struct strbuf name = STRBUF_INIT, text = STRBUF_INIT;

	sb_addf(&name, REMOTE_ROOT "/pins/%s", key);
	sb_addf(&text, "%s\n", key);
	int rc = travel_put_text(r, slot_dir, name.buf, &text, err);
	sb_release(&name);
	sb_release(&text);
	return rc;
}

/* llvm-profdata of the slot's rustc must read the profile: the check any merge makes. */
static int readable_by_llvm(const char *slot_dir, const char *profdata, struct strbuf *err)
{
	struct slot_info info;
	struct strbuf tool = STRBUF_INIT, version = STRBUF_INIT;
	int rc = -1;

	if (slot_read_info(slot_dir, &info, err) != 0)
		return -1;
	if (llvm_find_profdata(rustc_identity_llvm_major(info.rustc.buf), 0, 0, &tool, &version, err) == 0) {
		/* It reads every record to total them, and prints a few lines: no copy of the profile is made. */
		char *argv[] = { tool.buf, "show", (char *)profdata, NULL };
		struct child c = CHILD_INIT(argv);
		c.in = CHILD_NULL;
		c.out = CHILD_NULL;
		c.err = CHILD_NULL;
		if (child_run(&c, err) == 0) {
			rc = child_succeeded(&c) ? 0 : -1;
			if (rc)
				sb_addf(err, "%s cannot read it", tool.buf);
		}
	}
	slot_info_release(&info);
	sb_release(&tool);
	sb_release(&version);
	return rc;
}

/*
 * A fetched manifest's units become file names here (unit records, split
 * parts) and lines of tab-separated indexes: a crate name is an identifier
 * (c:<package> for C units), metadata is hex.
 */
static int manifest_names_ok(const struct manifest *m, struct strbuf *err)
{
	for (size_t i = 0; i < m->ncrates; i++)
		if (!unit_ref_ok(m->crates[i].name, m->crates[i].metadata, m->crates[i].key)) {
			sb_addf(err, "its manifest names a unit '%.40s' that is not one (a crate name, hex metadata)",
				m->crates[i].name);
			return -1;
		}
	return 0;
}

/*
 * The function names of the profile's units, for its split: without them
 * (pushed by an older version, or a failure) every unit gets the whole
 * profile, which is correct but recompiles every unit on each new profile.
 */
static void fetch_names(struct remote *r, const char *slot_dir, const struct manifest *m)
{
	struct strbuf name = STRBUF_INIT, bundle = STRBUF_INIT, err = STRBUF_INIT;

	object_name(&name, m->content_key, "names");
	int got = remote_get_small(r, name.buf, &bundle, setting_size(SETTING_MAX_INPUT, 1LL << 30), &err);
	if (got == 1)
		(void)unitnames_unbundle(slot_dir, m, bundle.buf, bundle.len, &err);
	if (err.len)
		progress("note:", "profile %.12s: %s; its units' lists are not known here\n", m->content_key, err.buf);
	sb_release(&name);
	sb_release(&bundle);
	sb_release(&err);
}

/* Fetches and checks the profile key names; stores it as the slot's current one. */
static int fetch_profile(struct remote *r, const char *slot_dir, const char *key, const char *tmp,
			 struct strbuf *err)
{
	struct strbuf name = STRBUF_INIT, yaml = STRBUF_INIT, prof = STRBUF_INIT;
	struct manifest m;
	int rc = -1, got;

	memset(&m, 0, sizeof(m));
	path_join(&yaml, tmp, "profile.yaml");
	path_join(&prof, tmp, "profile.profdata");
	object_name(&name, key, "yaml");
	if ((got = remote_get(r, name.buf, yaml.buf, MAX_MANIFEST, err)) != 1)
		goto missing;
	sb_reset(&name);
	object_name(&name, key, "profdata");
	if ((got = remote_get(r, name.buf, prof.buf, setting_size(SETTING_MAX_INPUT, 1LL << 30), err)) != 1)
		goto missing;
	if (manifest_read(&m, yaml.buf, err) != 0 || manifest_names_ok(&m, err) != 0)
		goto out;
	/* The raw files merged there are that machine's: they say nothing of ours. */
	sv_release(&m.inputs);
	/* Its bytes, units and training must hash to the name it came under. */
	profile_content_key(&m, prof.buf);
	if (strcmp(m.content_key, key) != 0) {
		sb_addf(err, "profile %.12s from %s is not what its name says (its content hashes to %.12s)", key,
			remote_display(r), m.content_key);
		goto out;
	}
	if (readable_by_llvm(slot_dir, prof.buf, err) != 0)
		goto out;
	free(m.slot);
	m.slot = xstrdup(path_basename(slot_dir));
	progress("Pulled", "profile %.12s for slot %.12s from %s\n", key, path_basename(slot_dir), remote_display(r));
	fetch_names(r, slot_dir, &m);
	rc = merge_store_made_elsewhere(slot_dir, prof.buf, &m, err) == 0 ? 1 : -1;
	goto out;
missing:
	if (got == 0)
		sb_addf(err, "%s names profile %.12s, which it does not have", remote_display(r), key);
out:
	manifest_release(&m);
	sb_release(&name);
	sb_release(&yaml);
	sb_release(&prof);
	return rc;
}

/* Whether the slot's current profile is key. */
static bool is_current(const char *slot_dir, const char *key)
{
	struct strbuf prof = STRBUF_INIT, index = STRBUF_INIT, e = STRBUF_INIT, cur = STRBUF_INIT;
	bool same = false;

	if (profile_current_index(slot_dir, &prof, &index, &e) == 1) {
		profile_key_of(prof.buf, &cur);
		same = strcmp(cur.buf, key) == 0;
	}
	sb_release(&prof);
	sb_release(&index);
	sb_release(&e);
	sb_release(&cur);
	return same;
}

/* A profile this cache stored once (and gc kept) is current again without the remote. */
static int restore_local(const char *slot_dir, const char *key, struct strbuf *err)
{
	struct strbuf prof = STRBUF_INIT, yaml = STRBUF_INIT;
	struct manifest m;
	int rc = 0;

	profile_path(&prof, slot_dir, key);
	sb_addf(&yaml, "%s/profiles/%s.yaml", slot_dir, key);
	if (file_exists(prof.buf) && manifest_read(&m, yaml.buf, err) == 0) {
		profile_content_key(&m, prof.buf);
		rc = strcmp(m.content_key, key) == 0 && merge_store_made_elsewhere(slot_dir, prof.buf, &m, err) == 0;
		manifest_release(&m);
	}
	sb_reset(err); /* not there, or not whole: the remote has it */
	sb_release(&prof);
	sb_release(&yaml);
	return rc;
}

bool travel_restore_local(const char *slot_dir, const char *key)
{
	struct strbuf err = STRBUF_INIT;
	bool done = is_current(slot_dir, key) || restore_local(slot_dir, key, &err);
	sb_release(&err);
	return done;
}

int travel_fetch(struct remote *r, const char *slot_dir, const char *key, struct strbuf *err)
{
	struct strbuf tmp = STRBUF_INIT;
	int rc = -1;

	if (is_current(slot_dir, key))
		return 2;
	if (restore_local(slot_dir, key, err)) {
		progress("Restored", "profile %.12s for slot %.12s from this cache\n", key, path_basename(slot_dir));
		return 1;
	}
	if (!r) {
		sb_addf(err, "profile %.12s is not in this cache, and no remote is set (%s)", key, ENV_REMOTE);
		return -1;
	}
	if (tempdir_create(slot_dir, "merge.", &tmp, err) == 0) {
		rc = fetch_profile(r, slot_dir, key, tmp.buf, err);
		tempdir_remove(tmp.buf);
	}
	sb_release(&tmp);
	return rc;
}

int travel_pull(struct remote *r, const char *slot_dir, const struct strvec *members, struct strbuf *err)
{
	struct strbuf slot_key = STRBUF_INIT, key = STRBUF_INIT;
	int rc = -1;

	if (travel_slot_key(slot_dir, members, &slot_key, err) == 0 && (rc = get_ref(r, slot_key.buf, &key, err)) == 1)
		rc = travel_fetch(r, slot_dir, key.buf, err);
	sb_release(&slot_key);
	sb_release(&key);
	return rc;
}

/* Set once the remote failed in this run: the build goes on without it, and says so once. */
static bool without_remote;

/* A remote that failed: a warning (the build goes on as without it), or exit 9 when required. */
static void remote_failed(const char *what, const struct strbuf *err)
{
	if (remote_required())
		die(PGOW_EXIT_REMOTE, "%s: %s (%s=1)", what, err->buf, ENV_REMOTE_REQUIRED);
	warn("%s: %s; going on without the remote", what, err->buf);
	without_remote = true;
}

static struct remote *open_or_warn(void)
{
	struct remote *r = NULL;
	struct strbuf err = STRBUF_INIT;

	if (remote_open(&r, &err) < 0)
		die(PGOW_EXIT_CONFIG, "%s", err.buf);
	sb_release(&err);
	return r;
}

void travel_push_or_warn(const char *slot_dir, const struct strvec *members)
{
	/* A remote that failed to serve this build would only fail again, after another timeout. */
	if (without_remote)
		return;
	struct remote *r = open_or_warn();
	struct strbuf err = STRBUF_INIT;

	if (r && !remote_read_only(r) && travel_push(r, slot_dir, members, &err) < 0)
		remote_failed("cannot push the profile", &err);
	remote_close(r);
	sb_release(&err);
}

/*
 * <slot>/REMOTE-NO-FRESHER: "<remote's key> <this cache's key> <state>",
 * written when a build kept its own profile over the remote's, state
 * naming what that judgement saw of the build (its stale crates, its
 * training). While all three are the same, a build does not fetch the
 * remote's again only to put its own back (that rewrote every part twice).
 */
#define NO_FRESHER_MARK "REMOTE-NO-FRESHER"

static void no_fresher_path(struct strbuf *out, const char *slot_dir)
{
	path_join(out, slot_dir, NO_FRESHER_MARK);
}

static void no_fresher_text(struct strbuf *out, const char *remote_key, const char *local_key, const char *state)
{
	char hash[HASH_HEX_LEN + 1];

	hash_buf_hex(state, strlen(state), hash);
	sb_addf(out, "%s %s %s\n", remote_key, local_key, hash);
}

void travel_mark_no_fresher(const char *slot_dir, const char *remote_key, const char *local_key, const char *state)
{
	struct strbuf path = STRBUF_INIT, text = STRBUF_INIT, err = STRBUF_INIT;
	struct atomic_opts opts = { .mode = 0600 };

	no_fresher_path(&path, slot_dir);
	no_fresher_text(&text, remote_key, local_key, state);
	if (write_file_atomic(path.buf, text.buf, text.len, &opts, &err) != 0)
		warn("%s; the next build fetches the remote's profile again", err.buf);
	sb_release(&path);
	sb_release(&text);
	sb_release(&err);
}

/* Whether the remote names key, and this build is as it was when this cache's current profile was kept over it. */
static bool judged_no_fresher(const char *slot_dir, const char *key, const char *state)
{
	struct strbuf path = STRBUF_INIT, text = STRBUF_INIT, want = STRBUF_INIT, prof = STRBUF_INIT;
	struct strbuf index = STRBUF_INIT, err = STRBUF_INIT, cur = STRBUF_INIT;
	bool same = false;

	no_fresher_path(&path, slot_dir);
	if (sb_read_file(&text, path.buf) == 0 && profile_current_index(slot_dir, &prof, &index, &err) == 1) {
		profile_key_of(prof.buf, &cur);
		no_fresher_text(&want, key, cur.buf, state);
		same = strcmp(text.buf, want.buf) == 0;
	}
	if (same)
		progress("note:", "the remote's profile %.12s was judged no fresher for this build before; this "
			 "cache's %.12s stays current\n", key, cur.buf);
	sb_release(&path);
	sb_release(&text);
	sb_release(&want);
	sb_release(&prof);
	sb_release(&index);
	sb_release(&err);
	sb_release(&cur);
	return same;
}

int travel_pull_or_warn(const char *slot_dir, const struct strvec *members, const char *state)
{
	struct remote *r = open_or_warn();
	struct strbuf err = STRBUF_INIT, slot_key = STRBUF_INIT, key = STRBUF_INIT;
	int rc = 0;

	if (r && travel_slot_key(slot_dir, members, &slot_key, &err) == 0 &&
	    (rc = get_ref(r, slot_key.buf, &key, &err)) == 1)
		rc = judged_no_fresher(slot_dir, key.buf, state) ? 0 : travel_fetch(r, slot_dir, key.buf, &err);
	else if (r && !slot_key.len)
		rc = -1;
	/* None there yet is no failure (a new configuration's first build trains and pushes). */
	if (rc < 0)
		remote_failed("cannot fetch a profile", &err);
	remote_close(r);
	sb_release(&err);
	sb_release(&slot_key);
	sb_release(&key);
	return rc > 0;
}

int travel_remote_state(struct remote *r, const char *slot_dir, struct strbuf *key, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT, slot_key = STRBUF_INIT;
	int rc = -1;

	path_join(&path, slot_dir, "REMOTE");
	if (sb_read_file(&slot_key, path.buf) != 0) {
		if (errno == ENOENT)
			rc = -2;
		else
			sb_addf(err, "cannot read %s: %s", path.buf, strerror(errno));
		goto out;
	}
	sb_setlen(&slot_key, strcspn(slot_key.buf, "\n"));
	if (slot_key.len != HASH_HEX_LEN || !str_is_hex(slot_key.buf, HASH_HEX_LEN)) {
		sb_addf(err, "%s is corrupt", path.buf);
		goto out;
	}
	rc = get_ref(r, slot_key.buf, key, err);
out:
	sb_release(&path);
	sb_release(&slot_key);
	return rc;
}
