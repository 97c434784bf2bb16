/*
 * fleet.c - raw profiles from the field (see include/cycle/fleet.h): the
 * build-id records that route them, their upload from a machine with only
 * the binaries, and their fetch by the build host that merges them.
 */
#include "cycle/fleet.h"
#include "base/atomic.h"
#include "base/clock.h"
#include "base/dirlist.h"
#include "base/fdio.h"
#include "base/hash.h"
#include "base/input.h"
#include "base/message.h"
#include "base/path.h"
#include "base/settings.h"
#include "base/tempfile.h"
#include "base/xalloc.h"
#include "formats/buildid.h"
#include "store/provenance.h"
#include "store/report.h"
#include "store/toolchain.h"
#include "store/remote.h"
#include "cycle/boltfield.h"
#include "cycle/travel.h"
#include "formats/perfdata.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define REMOTE_ROOT "pgow-v1"
#define META_MAGIC "upload-v1"        /* a .profraw */
#define PERF_META_MAGIC "perf-v1"     /* a perf.data of a BOLTed program */
/* A build-id record is a line per unit; an upload's meta, six lines. */
#define MAX_RECORD (4LL << 20)
#define MAX_META 4096
#define MAX_CONSUMED (64LL << 20)

static void build_name(struct strbuf *out, const char *build_id)
{
	sb_addf(out, REMOTE_ROOT "/builds/%s", build_id);
}

static void upload_name(struct strbuf *out, const char *slot_key, const char *hash, const char *ext)
{
	sb_addf(out, REMOTE_ROOT "/fleet/%s/%s.%s", slot_key, hash, ext);
}

static void consumed_name(struct strbuf *out, const char *slot_key)
{
	sb_addf(out, REMOTE_ROOT "/slots/%s/consumed", slot_key);
}

/* A dir for temp files outside any cache: the field machine has none. */
static const char *scratch_base(void)
{
	const char *t = getenv("TMPDIR");
	return t && *t == '/' ? t : "/tmp";
}

/* --- build-id records ----------------------------------------------------- */

/* Puts one build-id record unless the remote has it: 1 put, 0 there already, -1 (err). */
static int push_record(struct remote *r, const char *slot_dir, const char *id, struct strbuf *text, struct strbuf *err)
{
	struct strbuf name = STRBUF_INIT;
	long long size;

	build_name(&name, id);
	int has = remote_has(r, name.buf, &size, err);
	int rc = has < 0 ? -1 : has ? 0 : travel_put_text(r, slot_dir, name.buf, text, err) == 0 ? 1 : -1;
	sb_release(&name);
	return rc;
}

/* Puts each record (texts[i] under ids[i]) the remote lacks: how many were put (*already: there), or -1 (err). */
static int push_records(struct remote *r, const char *slot_dir, const struct strvec *ids, const struct strvec *texts,
			int *already, struct strbuf *err)
{
	int pushed = 0;

	*already = 0;
	for (size_t i = 0; i < ids->n && pushed >= 0; i++) {
		struct strbuf text = STRBUF_INIT;
		sb_adds(&text, texts->v[i]);
		int rc = push_record(r, slot_dir, ids->v[i], &text, err);
		pushed = rc < 0 ? -1 : pushed + rc;
		*already += rc == 0;
		sb_release(&text);
	}
	return pushed;
}

int fleet_push_builds(struct remote *r, const char *slot_dir, const char *slot_key, int *already, struct strbuf *err)
{
	struct strvec all = STRVEC_INIT, ids = STRVEC_INIT, texts = STRVEC_INIT;

	provenance_ids_of_slot(path_basename(slot_dir), &all);
	for (size_t i = 0; i < all.n; i++) {
		struct strbuf text = STRBUF_INIT, e = STRBUF_INIT;
		struct provenance p;
		if (provenance_lookup(all.v[i], &p, &e) == 1) {
			/* Where the binary was linked means nothing elsewhere: its name is enough. */
			char *where = p.binary;
			p.binary = xstrdup(path_basename(where));
			free(where);
			provenance_format(&p, slot_key, &text);
			sv_push(&ids, all.v[i]);
			sv_push(&texts, text.buf);
			provenance_release(&p);
		}
		sb_release(&text);
		sb_release(&e);
	}
	int pushed = push_records(r, slot_dir, &ids, &texts, already, err);
	sv_release(&all);
	sv_release(&ids);
	sv_release(&texts);
	return pushed;
}

int fleet_push_bolted(struct remote *r, const char *slot_dir, const char *slot_key, int *already, struct strbuf *err)
{
	struct strvec ids = STRVEC_INIT, texts = STRVEC_INIT;

	boltfield_records(slot_dir, slot_key, &ids, &texts);
	int pushed = push_records(r, slot_dir, &ids, &texts, already, err);
	sv_release(&ids);
	sv_release(&texts);
	return pushed;
}

void fleet_push_builds_or_warn(const char *slot_dir, const struct strvec *members, bool bolted)
{
	struct remote *r = NULL;
	struct strbuf err = STRBUF_INIT, key = STRBUF_INIT;
	const char *what = bolted ? "shipped program" : "instrumented binar";

	if (remote_open(&r, &err) < 0)
		die(PGOW_EXIT_CONFIG, "%s", err.buf);
	if (!r || remote_read_only(r))
		goto out;
	int n = -1, already = 0;
	if (travel_slot_key(slot_dir, members, &key, &err) == 0)
		n = bolted ? fleet_push_bolted(r, slot_dir, key.buf, &already, &err)
			   : fleet_push_builds(r, slot_dir, key.buf, &already, &err);
	int all = n + already;
	if (n < 0) {
		if (remote_required())
			die(PGOW_EXIT_REMOTE, "cannot record the %s%s on the remote: %s (%s=1)", what,
			    bolted ? "s" : "ies", err.buf, ENV_REMOTE_REQUIRED);
		warn("cannot record the %s%s on the remote: %s; %s cannot be uploaded from the field until "
		     "`cargo-pgo-wrap push` records them", what, bolted ? "s" : "ies", err.buf,
		     bolted ? "their perf samples" : "their .profraw files");
	} else if (bolted) {
		/* Said once per program: every build that ships one runs this. */
		if (n > 0)
			progress("Recorded", "%d shipped program%s on %s (bolt-bat): `perf record` %s where %s, then "
				 "`cargo-pgo-wrap upload --perf perf.data` sends the samples for BOLT\n", n,
				 n == 1 ? "" : "s", remote_display(r), n == 1 ? "it" : "them", n == 1 ? "it runs" : "they run");
	} else if (all > 0) {
		progress("Recorded", "%d instrumented binar%s on %s%s: run %s anywhere, then `cargo-pgo-wrap upload DIR` "
			 "sends %s .profraw files\n", all, all == 1 ? "y" : "ies", remote_display(r),
			 already ? " (there already)" : "", all == 1 ? "it" : "them", all == 1 ? "its" : "their");
	}
out:
	remote_close(r);
	sb_release(&err);
	sb_release(&key);
}

/* --- upload ------------------------------------------------------------- */

bool fleet_label_ok(const char *label)
{
	size_t n = strlen(label);
	return n >= 1 && n <= 64 &&
	       strspn(label, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/*
 * The slot key a build-id's record names: 1 (key; *bolted when it is a
 * BOLTed program's), 0 when the remote has none, -1 (err). Asked once per id.
 */
struct id_memo {
	struct strvec ids, keys; /* keys[i]: "" when the remote has no record; "B<key>" BOLTed, "I<key>" instrumented */
};

static int slot_key_of(struct remote *r, struct id_memo *memo, const char *id, struct strbuf *key, bool *bolted,
		       struct strbuf *err)
{
	for (size_t i = 0; i < memo->ids.n; i++)
		if (strcmp(memo->ids.v[i], id) == 0) {
			*bolted = memo->keys.v[i][0] == 'B';
			sb_adds(key, memo->keys.v[i][0] ? memo->keys.v[i] + 1 : "");
			return key->len ? 1 : 0;
		}
	struct strbuf name = STRBUF_INIT, text = STRBUF_INIT, memo_key = STRBUF_INIT;
	struct provenance p;
	struct bolted_record br;
	build_name(&name, id);
	*bolted = false;
	int rc = remote_get_small(r, name.buf, &text, MAX_RECORD, err);
	if (rc == 1 && bolted_record_parse(sb_str(&text), &br) == 1) {
		*bolted = true;
		sb_adds(key, br.slot_key);
		bolted_record_release(&br);
	} else if (rc == 1) {
		rc = provenance_parse(sb_str(&text), name.buf, &p, err) == 1 ? 1 : -1;
		if (rc == 1)
			sb_adds(key, p.slot);
		else if (!err->len)
			sb_addf(err, "%s on %s is empty", name.buf, remote_display(r));
		provenance_release(&p);
	}
	if (rc >= 0) {
		if (key->len)
			sb_addf(&memo_key, "%c%s", *bolted ? 'B' : 'I', key->buf);
		sv_push(&memo->ids, id);
		sv_push(&memo->keys, sb_str(&memo_key));
	}
	sb_release(&name);
	sb_release(&text);
	sb_release(&memo_key);
	return rc;
}

static void meta_text(struct strbuf *out, bool perf, const char *build_id, long weight, const char *label,
		      long long bytes)
{
	sb_addf(out, "%s\nbuild-id %s\nweight %ld\nlabel %s\nbytes %lld\ntime %lld\n", perf ? PERF_META_MAGIC : META_MAGIC,
		build_id, weight, label ? label : "-", bytes, (long long)time(NULL));
}

/* Whether the remote holds the upload whole: its bytes (by size) and its meta. */
static bool upload_confirmed(struct remote *r, const char *raw_name, const char *meta_name, long long bytes,
			     struct strbuf *err)
{
	long long size;
	return remote_has(r, raw_name, &size, err) == 1 && (size == bytes || size == -1) &&
	       remote_has(r, meta_name, &size, err) == 1;
}

/* Removes the uploaded file, if it is still the one read (not a link or another file put there since). */
static void remove_uploaded(const char *path, int fd)
{
	struct stat was, now;

	if (fstat(fd, &was) == 0 && lstat(path, &now) == 0 && was.st_dev == now.st_dev && was.st_ino == now.st_ino &&
	    S_ISREG(now.st_mode) && unlink(path) != 0)
		warn("%s was uploaded, but cannot be removed: %s", path, strerror(errno));
}

/*
 * A private copy of what the file holds now: a program still writing it, or
 * another run rewriting it in place, cannot make the bytes sent differ from
 * the hash they are named by.
 */
static int snapshot(int fd, const char *path, struct strbuf *tmpdir, struct strbuf *copy, struct strbuf *err)
{
	if (tempdir_create(scratch_base(), "upload.", tmpdir, err) != 0)
		return -1;
	path_join(copy, tmpdir->buf, "snapshot");
	int out = open(copy->buf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	bool ok = out >= 0 && lseek(fd, 0, SEEK_SET) == 0 && copy_fd(fd, out) == 0;
	int saved = errno;
	if (out >= 0 && close(out) != 0 && ok) {
		ok = false;
		saved = errno;
	}
	if (!ok)
		sb_addf(err, "cannot copy %s: %s", path, strerror(saved));
	return ok ? 0 : -1;
}

/* Whether the file is as it was when it was copied: only then is what was sent all it holds. */
static bool unchanged_since(int fd, const struct stat *then)
{
	struct stat now;
	return fstat(fd, &now) == 0 && now.st_size == then->st_size && now.st_mtim.tv_sec == then->st_mtim.tv_sec &&
	       now.st_mtim.tv_nsec == then->st_mtim.tv_nsec;
}

/* What is sent: a .profraw, removed once the remote has it, or a perf.data, which is the user's to keep. */
struct upload_kind {
	bool perf;
	const char *ext;
};
static const struct upload_kind RAW_UPLOAD = { false, "profraw" }, PERF_UPLOAD = { true, "perf" };

/*
 * Sends the open file at path as an upload of the slot key names, for
 * build-id id: a snapshot, named by its hash, then its meta.
 */
static void send_upload(struct remote *r, const struct upload_kind *kind, const char *path, int fd,
			const struct stat *then, const char *key, const char *id, long weight, const char *label,
			struct upload_stats *st)
{
	struct strbuf err = STRBUF_INIT, raw = STRBUF_INIT, meta = STRBUF_INIT, text = STRBUF_INIT;
	struct strbuf tmpdir = STRBUF_INIT, copy = STRBUF_INIT;
	char hash[HASH_HEX_LEN + 1];
	long long bytes = (long long)then->st_size, size;

	if (snapshot(fd, path, &tmpdir, &copy, &err) != 0 || hash_file_hex(copy.buf, hash) != 0) {
		warn("skipping %s: %s", path, err.len ? err.buf : strerror(errno));
		st->refused++;
		goto out;
	}
	struct stat sent;
	bytes = stat(copy.buf, &sent) == 0 ? (long long)sent.st_size : bytes;
	upload_name(&raw, key, hash, kind->ext);
	upload_name(&meta, key, hash, "meta");
	int had = remote_has(r, meta.buf, &size, &err);
	/* The bytes first, the meta that makes them an upload last: a kill in between leaves no upload. */
	meta_text(&text, kind->perf, id, weight, label, bytes);
	if (had < 0 || (!had && (travel_put_object(r, raw.buf, copy.buf, &err) != 0 ||
				 travel_put_text(r, tmpdir.buf, meta.buf, &text, &err) != 0)))
		die(PGOW_EXIT_REMOTE, "upload: %s; %s is kept", err.buf, path);
	if (!upload_confirmed(r, raw.buf, meta.buf, bytes, &err))
		die(PGOW_EXIT_REMOTE, "upload: the remote does not show %s whole after it was sent%s%s; it is kept",
		    path, err.len ? ": " : "", sb_str(&err));
	if (!unchanged_since(fd, then))
		warn("%s changed while it was uploaded (a program still writes it): what it held then was sent, "
		     "and it is kept; upload it again once the program has exited", path);
	else if (!kind->perf)
		remove_uploaded(path, fd);
	if (had)
		st->already++;
	else
		st->uploaded++;
	st->bytes += bytes;
out:
	if (tmpdir.len)
		tempdir_remove(tmpdir.buf);
	sb_release(&err);
	sb_release(&raw);
	sb_release(&meta);
	sb_release(&text);
	sb_release(&tmpdir);
	sb_release(&copy);
}

static void upload_one(struct remote *r, struct id_memo *memo, const char *path, long weight, const char *label,
		       struct upload_stats *st)
{
	struct strbuf err = STRBUF_INIT, key = STRBUF_INIT;
	struct raw_header h;
	struct stat then;
	long long bytes;
	int found = 0;
	size_t id = 0;
	bool bolted = false;

	memset(&h, 0, sizeof(h));
	int fd = input_open(path, true, &bytes, &err);
	if (fd < 0 || fstat(fd, &then) != 0 || raw_header_read(fd, path, &h, &err) != 0) {
		warn("skipping %s", err.len ? err.buf : path);
		st->refused++;
		goto out;
	}
	for (; id < h.ids.n; id++) {
		sb_reset(&key);
		found = slot_key_of(r, memo, h.ids.v[id], &key, &bolted, &err);
		if (found != 0 && !bolted)
			break;
	}
	if (found < 0)
		die(PGOW_EXIT_REMOTE, "upload: %s; nothing more was sent (the files not sent are kept)", err.buf);
	if (found == 0 || bolted) {
		warn("refusing %s: written by a binary that no build recorded on %s made (build-id %s); it belongs "
		     "to another program, or its instrumented build had no remote set (`cargo-pgo-wrap push` "
		     "on the build host records it); the file is kept", path, remote_display(r),
		     h.ids.n ? h.ids.v[0] : "none");
		st->refused++;
		goto out;
	}
	send_upload(r, &RAW_UPLOAD, path, fd, &then, key.buf, h.ids.v[id], weight, label, st);
out:
	if (fd >= 0)
		close(fd);
	raw_header_release(&h);
	sb_release(&err);
	sb_release(&key);
}

void fleet_upload(struct remote *r, const char *dir, long weight, const char *label, struct upload_stats *st)
{
	struct strvec files = STRVEC_INIT;
	struct id_memo memo = { STRVEC_INIT, STRVEC_INIT };

	memset(st, 0, sizeof(*st));
	list_dir(dir, ".profraw", &files);
	for (size_t i = 0; i < files.n; i++)
		upload_one(r, &memo, files.v[i], weight, label, st);
	sv_release(&files);
	sv_release(&memo.ids);
	sv_release(&memo.keys);
}

/*
 * The first build-id perf saw that is a shipped program's (its index, key
 * into key), or info->ids.n; *instrumented counts those that are
 * instrumented binaries'. Each distinct id is asked of the remote once.
 */
static size_t route_perf(struct remote *r, struct id_memo *memo, const struct perf_data_info *info,
			 struct strbuf *key, size_t *instrumented, const char *path)
{
	struct strbuf err = STRBUF_INIT;
	size_t at = info->ids.n;

	*instrumented = 0;
	for (size_t i = 0; i < info->ids.n && at == info->ids.n; i++) {
		bool bolted, seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(info->ids.v[i], info->ids.v[j]) == 0;
		if (seen)
			continue;
		sb_reset(key);
		int found = slot_key_of(r, memo, info->ids.v[i], key, &bolted, &err);
		if (found < 0)
			die(PGOW_EXIT_REMOTE, "upload: %s; %s is kept", err.buf, path);
		if (found && bolted)
			at = i;
		else if (found)
			(*instrumented)++;
	}
	sb_release(&err);
	return at;
}

void fleet_upload_perf(struct remote *r, const char *path, const char *label, struct upload_stats *st)
{
	struct strbuf err = STRBUF_INIT, key = STRBUF_INIT;
	struct id_memo memo = { STRVEC_INIT, STRVEC_INIT };
	struct perf_data_info info;
	struct stat then;
	long long bytes;
	size_t instrumented;

	memset(st, 0, sizeof(*st));
	memset(&info, 0, sizeof(info));
	/* Read, never removed: a link is as good as the file. */
	int fd = input_open(path, false, &bytes, &err);
	if (fd < 0)
		die(PGOW_EXIT_CONFIG, "upload: %s", err.buf);
	if (fstat(fd, &then) != 0 || perf_data_read(fd, path, &info, &err) != 0) {
		warn("%s; it is not sent", err.len ? err.buf : strerror(errno));
		st->refused++;
		goto out;
	}
	size_t at = route_perf(r, &memo, &info, &key, &instrumented, path);
	if (at < info.ids.n) {
		send_upload(r, &PERF_UPLOAD, path, fd, &then, key.buf, info.ids.v[at], 1, label, st);
		progress("Routed", "the samples of %s (build-id %s) to its build configuration (key %.12s)\n",
			 path_basename(info.files.v[at]), info.ids.v[at], key.buf);
	} else {
		if (!info.ids.n)
			warn("refusing %s: it has no build-id table (recorded with --no-buildid or --buildid-mmap?), so "
			     "nothing says which program it sampled; record without those options", path);
		else if (instrumented)
			warn("refusing %s: it samples an instrumented binary, whose counts say more: upload the .profraw "
			     "files it writes instead (`cargo-pgo-wrap upload DIR`)", path);
		else
			warn("refusing %s: perf sampled no program recorded on %s (it saw %zu file(s)%s%s); a program is "
			     "recorded when a build with bolt: on and bolt-bat: on ships it; the file is kept", path,
			     remote_display(r), info.ids.n, info.ids.n ? ", such as " : "",
			     info.ids.n ? info.files.v[0] : "");
		st->refused++;
	}
out:
	if (fd >= 0)
		close(fd);
	perf_data_release(&info);
	sv_release(&memo.ids);
	sv_release(&memo.keys);
	sb_release(&err);
	sb_release(&key);
}

/* --- fetch and consume ----------------------------------------------------- */

struct meta {
	char *build_id, *label;
	bool perf;              /* a perf.data of a BOLTed program, not a .profraw */
	long weight;
	long long bytes, time;
};

static void meta_release(struct meta *m)
{
	free(m->build_id);
	free(m->label);
	memset(m, 0, sizeof(*m));
}

/* An upload's meta; false when it is not one (said in err). */
static bool meta_parse(const char *text, const char *what, struct meta *m, struct strbuf *err)
{
	char magic[16], id[129], label[65];
	long weight;
	long long bytes, when;

	memset(m, 0, sizeof(*m));
	if (sscanf(text, "%15[a-z0-9-]\nbuild-id %128[0-9a-f]\nweight %ld\nlabel %64s\nbytes %lld\ntime %lld", magic,
		   id, &weight, label, &bytes, &when) != 6 ||
	    (strcmp(magic, META_MAGIC) != 0 && strcmp(magic, PERF_META_MAGIC) != 0) ||
	    weight < 1 || weight > 1000000 || bytes < 0 || (strcmp(label, "-") != 0 && !fleet_label_ok(label))) {
		sb_addf(err, "%s is not an upload's meta", what);
		return false;
	}
	m->perf = strcmp(magic, PERF_META_MAGIC) == 0;
	m->build_id = xstrdup(id);
	m->label = xstrdup(label);
	m->weight = weight;
	m->bytes = bytes;
	m->time = when;
	return true;
}

/* The consumed list: "<hash> <unix time>" per line, into hashes and times. */
static int read_consumed(struct remote *r, const char *slot_key, struct strvec *lines, struct strbuf *err)
{
	struct strbuf name = STRBUF_INIT, text = STRBUF_INIT;

	consumed_name(&name, slot_key);
	int rc = remote_get_small(r, name.buf, &text, MAX_CONSUMED, err);
	if (rc == 1)
		sv_split(lines, text.buf, '\n');
	sb_release(&name);
	sb_release(&text);
	return rc < 0 ? -1 : 0;
}

static bool consumed_has(const struct strvec *lines, const char *hash)
{
	size_t n = strlen(hash);
	for (size_t i = 0; i < lines->n; i++)
		if (strncmp(lines->v[i], hash, n) == 0 && lines->v[i][n] == ' ')
			return true;
	return false;
}

/* The build-id record an upload needs, in this cache: the local one, or the remote's for this slot. */
static int install_record(struct remote *r, const char *slot_dir, const char *slot_key, const char *id,
			  struct strbuf *err)
{
	struct provenance p;
	struct strbuf name = STRBUF_INIT, text = STRBUF_INIT;
	int rc = provenance_lookup(id, &p, err);

	/* Built here: for this checkout's slot, or the merge would route it elsewhere and skip it. */
	if (rc == 1 && strcmp(p.slot, path_basename(slot_dir)) != 0) {
		sb_addf(err, "its binary was built here for slot %.12s (another checkout), not %.12s; merge it there",
			p.slot, path_basename(slot_dir));
		rc = -1;
	}
	if (rc != 0)
		goto out;
	build_name(&name, id);
	rc = remote_get_small(r, name.buf, &text, MAX_RECORD, err);
	if (rc == 1 && provenance_parse(sb_str(&text), name.buf, &p, err) == 1) {
		bool names_ok = true;
		for (size_t i = 0; i < p.n; i++)
			names_ok = names_ok && unit_ref_ok(p.units[i].crate, p.units[i].metadata, p.units[i].key);
		if (!names_ok || strpbrk(p.binary, "/\t\n")) {
			sb_addf(err, "%s names a unit or binary that is not one of ours", name.buf);
			rc = -1;
		} else if (strcmp(p.slot, slot_key) != 0) {
			sb_addf(err, "build-id %s was built for slot key %.12s, not %.12s", id, p.slot, slot_key);
			rc = -1;
		} else {
			free(p.slot);
			p.slot = xstrdup(path_basename(slot_dir));
			rc = provenance_store(id, &p, err) == 0 ? 1 : -1;
		}
	} else if (rc == 1) {
		if (!err->len)
			sb_addf(err, "%s is empty", name.buf);
		rc = -1;
	} else if (rc == 0) {
		sb_addf(err, "no record of build-id %s on the remote", id);
		rc = -1;
	}
out:
	provenance_release(&p);
	sb_release(&name);
	sb_release(&text);
	return rc;
}

/* That build-id's record names a BOLTed program of this slot (its key): 1, or -1 (err). */
static int bolted_record_check(struct remote *r, const char *slot_key, const char *id, struct strbuf *err)
{
	struct strbuf name = STRBUF_INIT, text = STRBUF_INIT;
	struct bolted_record br;
	int rc = -1;

	build_name(&name, id);
	int got = remote_get_small(r, name.buf, &text, MAX_RECORD, err);
	if (got == 1 && bolted_record_parse(sb_str(&text), &br) == 1) {
		if (strcmp(br.slot_key, slot_key) != 0)
			sb_addf(err, "build-id %s was BOLTed for slot key %.12s, not %.12s", id, br.slot_key, slot_key);
		else if (br.bolt_major != rustc_llvm_major())
			/* BAT's format changed between BOLT 18 and 19: one BOLT reads what another wrote. */
			sb_addf(err, "%s was BOLTed by BOLT %d, and this host's perf2bolt is BOLT %d (rustc's LLVM): "
				"BAT differs between versions; merge it on a host with BOLT %d", br.program,
				br.bolt_major, rustc_llvm_major(), br.bolt_major);
		else
			rc = 1;
		bolted_record_release(&br);
	} else if (got >= 0) {
		sb_addf(err, "no record of a BOLTed program with build-id %s on the remote", id);
	}
	sb_release(&name);
	sb_release(&text);
	return rc;
}

/* Fetches one upload into tmpdir, checked against its name; the file's path, or NULL (said why). */
static char *fetch_upload(struct remote *r, const char *slot_key, const char *hash, const char *tmpdir,
			  const struct meta *m)
{
	struct strbuf name = STRBUF_INIT, dst = STRBUF_INIT, err = STRBUF_INIT;
	char got[HASH_HEX_LEN + 1];
	char *path = NULL;

	const char *ext = m->perf ? PERF_UPLOAD.ext : RAW_UPLOAD.ext;
	upload_name(&name, slot_key, hash, ext);
	sb_addf(&dst, "%s/%s.%s", tmpdir, hash, ext);
	int rc = remote_get(r, name.buf, dst.buf, m->bytes, &err);
	if (rc < 0)
		warn("skipping upload %.12s: %s", hash, err.buf);
	else if (rc == 0)
		warn("skipping upload %.12s: its meta is on %s, its bytes are not", hash, remote_display(r));
	else if (hash_file_hex(dst.buf, got) != 0 || strcmp(got, hash) != 0)
		warn("skipping upload %.12s: the bytes fetched are not the ones it is named by", hash);
	else
		path = sb_detach(&dst);
	sb_release(&name);
	sb_release(&dst);
	sb_release(&err);
	return path;
}

static void add_label(struct strvec *labels, const char *label)
{
	for (size_t i = 0; i < labels->n; i++)
		if (strcmp(labels->v[i], label) == 0)
			return;
	sv_push(labels, label);
}

int fleet_fetch(struct remote *r, const char *slot_dir, const char *slot_key, const char *tmpdir,
		struct merge_request *rq, struct fleet_batch *b, struct strbuf *err)
{
	struct strvec names = STRVEC_INIT, consumed = STRVEC_INIT;
	struct strbuf dir = STRBUF_INIT;
	int rc = -1;

	sb_addf(&dir, REMOTE_ROOT "/fleet/%s", slot_key);
	if (remote_list(r, dir.buf, &names, err) != 0 || read_consumed(r, slot_key, &consumed, err) != 0)
		goto out;
	for (size_t i = 0; i < names.n; i++) {
		size_t n = strlen(names.v[i]);
		if (n != HASH_HEX_LEN + 5 || strcmp(names.v[i] + HASH_HEX_LEN, ".meta") != 0)
			continue;
		char hash[HASH_HEX_LEN + 1];
		memcpy(hash, names.v[i], HASH_HEX_LEN);
		hash[HASH_HEX_LEN] = '\0';
		if (consumed_has(&consumed, hash))
			continue;
		struct strbuf name = STRBUF_INIT, text = STRBUF_INIT, e = STRBUF_INIT;
		struct meta m;
		bool elsewhere = false;
		upload_name(&name, slot_key, hash, "meta");
		memset(&m, 0, sizeof(m));
		char *path = NULL;
		if (remote_get_small(r, name.buf, &text, MAX_META, &e) != 1 || !meta_parse(sb_str(&text), name.buf, &m, &e))
			warn("skipping upload %.12s: %s", hash, e.len ? e.buf : "its meta is gone");
		else if ((m.perf ? bolted_record_check(r, slot_key, m.build_id, &e)
				 : install_record(r, slot_dir, slot_key, m.build_id, &e)) < 0)
			warn("skipping upload %.12s: %s", hash, e.buf);
		else if (m.perf && boltfield_convertible(slot_dir, m.build_id, &e) < 0)
			/* Not this host's to convert: it stays for the one that shipped the program. */
			elsewhere = true;
		else
			path = fetch_upload(r, slot_key, hash, tmpdir, &m);
		if (path && m.perf) {
			sv_push(&b->perf_paths, path);
			sv_push(&b->perf_ids, m.build_id);
		} else if (path) {
			merge_request_add_input(rq, path, m.weight);
		}
		if (path) {
			sv_push(&b->hashes, hash);
			add_label(&b->labels, m.label);
			free(path);
		} else if (elsewhere) {
			b->elsewhere++;
		} else {
			b->skipped++;
		}
		meta_release(&m);
		sb_release(&name);
		sb_release(&text);
		sb_release(&e);
	}
	rc = 0;
out:
	sv_release(&names);
	sv_release(&consumed);
	sb_release(&dir);
	return rc;
}

/* Deletes an upload merged long enough ago: its meta first, so that no half of it reads as an upload. */
static bool expire_upload(struct remote *r, const char *slot_key, const char *hash, struct strbuf *err)
{
	struct strbuf meta = STRBUF_INIT, raw = STRBUF_INIT, perf = STRBUF_INIT;
	upload_name(&meta, slot_key, hash, "meta");
	upload_name(&raw, slot_key, hash, RAW_UPLOAD.ext);
	upload_name(&perf, slot_key, hash, PERF_UPLOAD.ext);
	/* Which of the two it was is in the meta; deleting the one that is not there is no error. */
	bool ok = remote_delete(r, meta.buf, err) == 0 && remote_delete(r, raw.buf, err) == 0 &&
		  remote_delete(r, perf.buf, err) == 0;
	sb_release(&meta);
	sb_release(&raw);
	sb_release(&perf);
	return ok;
}

int fleet_consume(struct remote *r, const char *slot_key, const struct fleet_batch *b, struct strbuf *err)
{
	struct strvec lines = STRVEC_INIT;
	struct strbuf text = STRBUF_INIT, name = STRBUF_INIT, e = STRBUF_INIT;
	long long now = (long long)time(NULL);
	long long keep = (long long)setting_number(SETTING_FLEET_KEEP_DAYS, 30) * 86400;
	int rc = -1;

	if (read_consumed(r, slot_key, &lines, err) != 0)
		goto out;
	int expired = 0;
	for (size_t i = 0; i < lines.n; i++) {
		char hash[HASH_HEX_LEN + 1];
		long long when;
		if (sscanf(lines.v[i], "%32[0-9a-f] %lld", hash, &when) != 2 || strlen(hash) != HASH_HEX_LEN)
			continue;
		/* Forgotten only once deleted: a line dropped too soon would let the upload be merged again. */
		if (now - when > keep) {
			struct strbuf one = STRBUF_INIT;
			bool gone = expire_upload(r, slot_key, hash, &one);
			if (!gone && !e.len)
				sb_add(&e, sb_str(&one), one.len);
			sb_release(&one);
			if (gone) {
				expired++;
				continue;
			}
		}
		sb_addf(&text, "%s %lld\n", hash, when);
	}
	if (e.len)
		warn("cannot delete an old upload: %s; it is kept", e.buf);
	for (size_t i = 0; i < b->hashes.n; i++)
		sb_addf(&text, "%s %lld\n", b->hashes.v[i], now);
	consumed_name(&name, slot_key);
	rc = travel_put_text(r, scratch_base(), name.buf, &text, err);
	if (rc == 0 && expired)
		progress("Pruned", "%d upload(s) merged more than %s=%ld day(s) ago\n", expired, ENV_FLEET_KEEP_DAYS,
			 setting_number(SETTING_FLEET_KEEP_DAYS, 30));
out:
	sv_release(&lines);
	sb_release(&text);
	sb_release(&name);
	sb_release(&e);
	return rc;
}

void fleet_batch_release(struct fleet_batch *b)
{
	sv_release(&b->perf_paths);
	sv_release(&b->perf_ids);
	sv_release(&b->hashes);
	sv_release(&b->labels);
	memset(b, 0, sizeof(*b));
}
