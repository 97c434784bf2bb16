/*
 * route.c - where each input of a merge goes: a raw file to the slot whose
 * build linked the binary that wrote it (by build-id, each id looked up once),
 * an indexed one only to a named slot; inputs are opened without blocking or
 * following links, and what cannot be routed is named and skipped.
 */
#include "cycle/route.h"
#include "base/dirlist.h"
#include "base/hash.h"
#include "base/input.h"
#include "base/message.h"
#include "base/settings.h"
#include "base/xalloc.h"
#include "formats/buildid.h"
#include "store/slot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A build-id looked up once per merge: a thousand runs of one binary name it a thousand times. */
struct known_id {
	char *id;
	int found;                 /* as provenance_lookup */
	struct provenance prov;
	char *err;
	bool units_added;          /* its units are in its group already */
};

static struct group *group_for(struct routing *p, const char *slot)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->groups[i].slot, slot) == 0)
			return &p->groups[i];
	p->groups = xrealloc(p->groups, (p->n + 1) * sizeof(*p->groups));
	struct group *g = &p->groups[p->n++];
	memset(g, 0, sizeof(*g));
	g->slot = xstrdup(slot);
	return g;
}

/* Hashed: a raw file may name tens of thousands of build-ids, and a scan per id was quadratic. */
static struct known_id *lookup_id(struct routing *p, const char *id)
{
	int at = namemap_get(&p->known_index, id, strlen(id));
	if (at >= 0)
		return &p->known[at];
	if (p->nknown == p->known_alloc) {
		p->known_alloc = p->known_alloc ? 2 * p->known_alloc : 64;
		p->known = xrealloc(p->known, p->known_alloc * sizeof(*p->known));
	}
	namemap_claim(&p->known_index, id, strlen(id), (int)p->nknown);
	struct known_id *k = &p->known[p->nknown++];
	struct strbuf err = STRBUF_INIT;
	memset(k, 0, sizeof(*k));
	k->id = xstrdup(id);
	k->found = provenance_lookup(id, &k->prov, &err);
	k->err = sb_detach(&err);
	return k;
}

void routing_release(struct routing *p)
{
	for (size_t i = 0; i < p->nknown; i++) {
		free(p->known[i].id);
		free(p->known[i].err);
		provenance_release(&p->known[i].prov);
	}
	free(p->known);
	namemap_release(&p->known_index);
	for (size_t i = 0; i < p->n; i++) {
		free(p->groups[i].slot);
		sv_release(&p->groups[i].inputs);
		sv_release(&p->groups[i].hashes);
		sv_release(&p->groups[i].raw_paths);
		sv_release(&p->groups[i].named);
		unit_refs_release(p->groups[i].units, p->groups[i].nunits);
	}
	free(p->groups);
}

/* Opens an input without blocking on a FIFO or following a planted link; regular files only. */
static int open_input(const char *path, long long *size, struct strbuf *err)
{
	/* llvm-profdata's --input-files list is a name per line: such a name would split into others. */
	const char *c = str_find_control(path);
	if (c) {
		sb_addf(err, "%.*s...: its name holds a newline or another control character; rename it",
			(int)(c - path), path);
		return -1;
	}
	/* It also trims each line: the file it would look for is another. */
	if (*path && path[strlen(path) - 1] == ' ') {
		sb_addf(err, "'%s': its name ends in a space, which llvm-profdata's list of inputs drops; rename it",
			path);
		return -1;
	}

	int fd = input_open(path, true, size, err);
	if (fd < 0)
		return -1;
	/* Checked before a byte is hashed or merged: a file truncated up to 3 GB took 111 s. */
	long long max = setting_size(SETTING_MAX_INPUT, 1LL << 30);
	if (*size > max) {
		sb_addf(err, "%s: %lld bytes, more than %s allows (%lld); it is not a profile of ours, or raise it",
			path, *size, ENV_MAX_INPUT, max);
		close(fd);
		return -1;
	}
	return fd;
}

/* hex: the input's content hash, or NULL to hash it from fd. */
static void add_input(struct group *g, long weight, const char *path, int fd, const char *hex)
{
	char own[HASH_HEX_LEN + 1];
	if (!hex)
		hex = hash_fd_hex(fd, own) == 0 ? own : "-";
	sv_pushf(&g->inputs, "%ld,%s", weight, path);
	sv_push(&g->hashes, hex);
}

/*
 * Skips an input, fatal under --strict. lasting: its path when no merge will
 * ever take it (not a profile, or cut short), so that it is moved out of the
 * next one's way (merge_request_reject); NULL when another merge may.
 */
static void skip_input(const struct merge_request *rq, struct routing *p, const char *lasting, const char *why)
{
	if (rq->strict)
		die(PGOW_EXIT_PROFILE, "%s; remove it, or drop --strict to skip it", why);
	if (lasting)
		merge_request_reject(rq, lasting, why);
	else
		warn("skipping %s", why);
	p->skipped++;
}

/* Routes one raw file to the slot of the binary that wrote it. */
static void route_raw(const struct merge_request *rq, const char *slot, struct routing *p,
		      const char *path, int fd, const char *hex, long weight, const struct raw_header *h)
{
	struct strbuf why = STRBUF_INIT;
	struct known_id *k = NULL;

	for (size_t i = 0; i < h->ids.n && (!k || k->found == 0); i++)
		k = lookup_id(p, h->ids.v[i]);
	int found = k ? k->found : 0;
	const struct provenance *prov = k ? &k->prov : NULL;
	if (found < 0 || (found && !slot_id_valid(prov->slot))) {
		sb_addf(&why, "%s: %s", path, found < 0 ? k->err : "its build-id record is corrupt");
		skip_input(rq, p, NULL, why.buf);
	} else if (found && slot && strcmp(prov->slot, slot) != 0) {
		sb_addf(&why, "%s: it was written by %s, built for slot %.12s, not %.12s", path,
			prov->binary, prov->slot, slot);
		skip_input(rq, p, NULL, why.buf);
	} else if (found || (rq->foreign && slot)) {
		struct group *g = group_for(p, found ? prov->slot : slot);
		add_input(g, weight, path, fd, hex);
		sv_push(&g->raw_paths, path);
		g->raw_count++;
		if (h->version > g->max_raw)
			g->max_raw = h->version;
		if (!found)
			g->foreign = true;
		for (size_t i = 0; found && !k->units_added && i < prov->n; i++) {
			struct unit_ref *u = unit_refs_add(&g->units, &g->nunits, prov->units[i].crate,
							   prov->units[i].metadata, prov->units[i].key);
			if (strcmp(u->key, prov->units[i].key) != 0)
				warn("%s: profiles of %s come from two versions of its code; the profile "
				     "will read as stale for it", path, u->crate);
		}
		if (found)
			k->units_added = true;
		if (found && p->first_group && p->n == 1 && g->raw_count == 1 && !g->foreign)
			p->first_group(g, p->ctx);
	} else {
		sb_addf(&why, "%s: written by a binary that no build in this cache produced (build-id %s); "
			"it belongs to another program, or to a build on another machine (accept it with "
			"--foreign --slot ID)", path, h->ids.n ? h->ids.v[0] : "none");
		skip_input(rq, p, NULL, why.buf);
	}
	sb_release(&why);
}

/*
 * A raw file up to this size is read once, for its header and its hash:
 * a thousand small files cost a thousand reads, not three thousand.
 */
#define RAW_READ_WHOLE (1 << 20)

/*
 * Reads a raw file's header, and its hash when it is small enough to read
 * whole (else hex is ""). One byte more than fstat said is asked for: a file
 * still being written is then hashed as llvm-profdata will read it, streaming.
 * Returns 0; -1 when the bytes are not a raw profile; -2 when reading failed.
 */
static int read_raw(int fd, long long size, const char *path, struct raw_header *h, char hex[HASH_HEX_LEN + 1],
		    struct strbuf *err)
{
	hex[0] = '\0';
	if (size > RAW_READ_WHOLE)
		return raw_header_read(fd, path, h, err);
	unsigned char *buf = xmalloc((size_t)size + 1);
	ssize_t got;
	do
		got = pread(fd, buf, (size_t)size + 1, 0);
	while (got < 0 && errno == EINTR);
	int rc;
	if (got < 0) {
		memset(h, 0, sizeof(*h));
		sb_addf(err, "%s: cannot read it: %s", path, strerror(errno));
		rc = -2;
	} else if (got != size) {
		rc = raw_header_read(fd, path, h, err); /* it changed since fstat: read as a big one */
	} else {
		rc = raw_header_parse(buf, (size_t)size, (uint64_t)size, fd, path, h, err);
		if (rc == 0)
			hash_buf_hex(buf, (size_t)size, hex);
	}
	free(buf);
	return rc;
}

static void route_input(const struct merge_request *rq, const char *slot, struct routing *p,
			const char *path, long weight)
{
	struct strbuf err = STRBUF_INIT, why = STRBUF_INIT;
	struct raw_header h;
	char hex[HASH_HEX_LEN + 1];
	long long size = 0;
	int rc, fd = open_input(path, &size, &err);

	p->considered++;
	memset(&h, 0, sizeof(h));
	if (fd < 0) {
		skip_input(rq, p, NULL, err.buf);
	} else if (str_ends_with(path, ".profdata")) {
		/* An indexed profile has no build-id: an import, only into a named slot. */
		if (indexed_header_check(fd, path, &err) != 0) {
			skip_input(rq, p, path, err.buf);
		} else if (!slot) {
			sb_addf(&why, "%s: an indexed profile does not say which build it is for; name it with --slot ID", path);
			skip_input(rq, p, NULL, why.buf);
		} else {
			struct group *g = group_for(p, slot);
			add_input(g, weight, path, fd, NULL);
			g->foreign = true;
		}
	} else if ((rc = read_raw(fd, size, path, &h, hex, &err)) != 0) {
		skip_input(rq, p, rc == -2 ? NULL : path, err.buf);
	} else {
		route_raw(rq, slot, p, path, fd, hex[0] ? hex : NULL, weight, &h);
	}
	if (fd >= 0)
		close(fd);
	raw_header_release(&h);
	sb_release(&err);
	sb_release(&why);
}

static void list_profiles(const char *dir, struct strvec *out)
{
	list_dir(dir, ".profraw", out);
	list_dir(dir, ".profdata", out);
}

void routing_plan(const struct merge_request *rq, const char *slot, struct routing *p)
{
	for (size_t i = 0; i < rq->paths.n; i++) {
		struct stat st;
		long weight = rq->weights && rq->weights[i] ? rq->weights[i] : rq->weight ? rq->weight : 1;
		if (lstat(rq->paths.v[i], &st) != 0) {
			if (rq->quiet_if_none && errno == ENOENT)
				continue;
			die(PGOW_EXIT_CONFIG, "merge: %s: %s", rq->paths.v[i], strerror(errno));
		}
		if (S_ISDIR(st.st_mode)) {
			struct strvec files = STRVEC_INIT;
			list_profiles(rq->paths.v[i], &files);
			for (size_t f = 0; f < files.n; f++)
				route_input(rq, slot, p, files.v[f], weight);
			sv_release(&files);
		} else {
			route_input(rq, slot, p, rq->paths.v[i], weight);
		}
	}
}
