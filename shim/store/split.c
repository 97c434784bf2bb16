/*
 * split.c - the stored split of a slot's profile: its generations
 * (splits/<N>/, each an INDEX and the per-unit files it names) and the
 * split link naming the current one, as the wrapper, verification, status,
 * gc and the splitter read and switch them; and DEFINED, what freshness adds
 * to a library's share.
 */
#include "store/split.h"
#include "base/dirlist.h"
#include "base/hash.h"
#include "base/message.h"
#include "base/path.h"
#include "base/atomic.h"
#include "base/safefs.h"
#include "base/settings.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define INDEX_MAGIC "pgow-split-v2"
/* Units sharing a file: older readers, which would give such a unit the "-none" file, see no split. */
#define INDEX_MAGIC_SHARES "pgow-split-v3"
#define DEFINED_MAGIC "pgow-defined-v1"

/* The one file units share (never a path, nor a crate's name). */
static bool is_shared_name(const char *name, size_t len)
{
	return len == strlen(SPLIT_SHARED_NAME) && memcmp(name, SPLIT_SHARED_NAME, len) == 0;
}

/* An index's line for a unit: its text and file hashes, or false. One pass, no copies: verification asks per unit. */
bool split_index_entry(const struct strbuf *index, const char *unit, char *text_hash, char *file_hash,
		       struct strbuf *part)
{
	size_t n = strlen(unit);
	const char *p = sb_str(index);

	while ((p = strchr(p, '\n'))) {
		p++;
		if (strncmp(p, unit, n) != 0 || p[n] != '\t')
			continue;
		const char *t = p + n + 1, *f = t + HASH_HEX_LEN + 1, *shared = NULL;
		if (strlen(t) < 2 * HASH_HEX_LEN + 1 || t[HASH_HEX_LEN] != '\t')
			return false;
		if (f[HASH_HEX_LEN] == '\t') {
			shared = f + HASH_HEX_LEN + 1;
			if (!is_shared_name(shared, strcspn(shared, "\n")))
				return false;
		} else if (f[HASH_HEX_LEN] != '\n' && f[HASH_HEX_LEN] != '\0') {
			return false;
		}
		memcpy(text_hash, t, HASH_HEX_LEN);
		text_hash[HASH_HEX_LEN] = '\0';
		memcpy(file_hash, f, HASH_HEX_LEN);
		file_hash[HASH_HEX_LEN] = '\0';
		if (!str_is_hex(text_hash, HASH_HEX_LEN) || !str_is_hex(file_hash, HASH_HEX_LEN))
			return false;
		if (part) {
			sb_reset(part);
			if (shared)
				sb_add(part, shared, strcspn(shared, "\n"));
			else
				sb_adds(part, unit);
		}
		return true;
	}
	return false;
}

void split_file_path(struct strbuf *out, const char *dir, const char *crate)
{
	sb_addf(out, "%s/%s.profdata", dir, crate);
}

bool split_wanted(void)
{
	return !setting_is(SETTING_SPLIT, "0");
}

/*
 * The index, read once per change: verification looks up every unit of a
 * build, and a large workspace has a thousand.
 */
static const struct strbuf *read_index(const char *path)
{
	static struct strbuf cached = STRBUF_INIT, cached_path = STRBUF_INIT;
	static struct stat cached_st;
	struct stat st;

	if (stat(path, &st) != 0)
		return NULL;
	if (cached_path.len && strcmp(cached_path.buf, path) == 0 && st.st_ino == cached_st.st_ino &&
	    st.st_size == cached_st.st_size && st.st_mtim.tv_sec == cached_st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == cached_st.st_mtim.tv_nsec)
		return &cached;
	sb_reset(&cached);
	sb_reset(&cached_path);
	if (sb_read_file(&cached, path) != 0)
		return NULL;
	sb_adds(&cached_path, path);
	cached_st = st;
	return &cached;
}

/* The length of the index's version word, 0 when it is no version this reads. */
static size_t index_magic_len(const char *index)
{
	if (strncmp(index, INDEX_MAGIC "\t", sizeof(INDEX_MAGIC)) == 0)
		return strlen(INDEX_MAGIC);
	if (strncmp(index, INDEX_MAGIC_SHARES "\t", sizeof(INDEX_MAGIC_SHARES)) == 0)
		return strlen(INDEX_MAGIC_SHARES);
	return 0;
}

/*
 * The slot's split index when it is the split of profile key, else NULL.
 * CARGO_PGO_WRAP_SPLIT is not asked: it is read when a profile is stored,
 * and by `build`, which take the split away under 0. A unit given a part
 * lists only the part, so a setting read per build would leave the units
 * built before it on their parts.
 */
static const struct strbuf *index_of(const char *slot_dir, const char *key)
{
	struct strbuf path = STRBUF_INIT, want = STRBUF_INIT;
	const struct strbuf *ix;

	sb_addf(&want, "\t%s\t", key ? key : "");
	ix = NULL;
	if (split_current_dir(slot_dir, &path) >= 0) {
		sb_adds(&path, "/INDEX");
		ix = read_index(path.buf);
	}
	size_t magic = ix ? index_magic_len(sb_str(ix)) : 0;
	if (ix && (!magic || strncmp(sb_str(ix) + magic, want.buf, want.len) != 0))
		ix = NULL;
	sb_release(&path);
	sb_release(&want);
	return ix;
}

int split_lookup(const char *slot_dir, const char *key, const char *crate, const char *metadata,
		 struct strbuf *dir, struct strbuf *file, struct strbuf *hash)
{
	struct strbuf unit = STRBUF_INIT, part = STRBUF_INIT;
	char text_hash[HASH_HEX_LEN + 1], file_hash[HASH_HEX_LEN + 1];
	const struct strbuf *ix = index_of(slot_dir, key);
	int found = 0;

	if (ix) {
		if (crate && metadata)
			sb_addf(&unit, "%s-%s", crate, metadata);
		bool own = unit.len && split_index_entry(ix, unit.buf, text_hash, file_hash, &part);
		if (own || split_index_entry(ix, SPLIT_NONE_NAME, text_hash, file_hash, &part)) {
			path_join(dir, slot_dir, SPLIT_LINK);
			split_file_path(file, dir->buf, part.buf);
			sb_adds(hash, file_hash);
			found = 1;
		}
	}
	sb_release(&unit);
	sb_release(&part);
	return found;
}

void split_detail(struct strbuf *out, const char *file, const char *hash)
{
	sb_addf(out, "%s#%.16s", file, hash);
}

/* The index's lines of fields fields (its first line is its own); their units into names when not NULL. */
static int index_lines_of(const struct strbuf *ix, size_t fields, struct strvec *names)
{
	int n = 0;

	for (const char *p = strchr(ix->buf, '\n'); p && p[1]; p = strchr(p + 1, '\n')) {
		size_t len = strcspn(p + 1, "\n"), tabs = 0;
		for (size_t i = 0; i < len; i++)
			tabs += p[1 + i] == '\t';
		if (tabs + 1 != fields)
			continue;
		n++;
		if (names)
			sv_pushf(names, "%.*s", (int)strcspn(p + 1, "\t"), p + 1);
	}
	return n;
}

int split_count(const char *slot_dir, const char *key)
{
	const struct strbuf *ix = index_of(slot_dir, key);
	return ix ? index_lines_of(ix, 3, NULL) : -1;
}

int split_shared_count(const char *slot_dir, const char *key, struct strvec *units)
{
	const struct strbuf *ix = index_of(slot_dir, key);
	return ix ? index_lines_of(ix, 4, units) : 0;
}

/* "<N>" for N >= 1, without leading zeros or anything else: a generation's name. */
static long generation_number(const char *name)
{
	char *end;

	if (name[0] < '1' || name[0] > '9' || strspn(name, "0123456789") != strlen(name) || strlen(name) > 9)
		return -1;
	return strtol(name, &end, 10);
}

int split_current_dir(const char *slot_dir, struct strbuf *dir)
{
	struct strbuf link = STRBUF_INIT;
	char target[64];
	struct stat st;
	long n = -1;

	path_join(&link, slot_dir, SPLIT_LINK);
	if (lstat(link.buf, &st) != 0) {
		n = -1;
	} else if (S_ISDIR(st.st_mode)) {
		sb_adds(dir, link.buf); /* the layout before generations: read, never written */
		n = 0;
	} else if (S_ISLNK(st.st_mode)) {
		ssize_t len = readlink(link.buf, target, sizeof(target) - 1);
		if (len > 0) {
			target[len] = '\0';
			size_t pre = strlen(SPLIT_GENERATIONS "/");
			/* Only a link of ours: a planted one naming anything else is not followed. */
			if (strncmp(target, SPLIT_GENERATIONS "/", pre) == 0 && (n = generation_number(target + pre)) > 0)
				path_join(dir, slot_dir, target);
		}
	}
	sb_release(&link);
	return n < 0 ? -1 : (int)n;
}

int split_generation_make(const char *slot_dir, int after, struct strbuf *dir, struct strbuf *err)
{
	struct strbuf gens = STRBUF_INIT;
	int rc = -1;

	path_join(&gens, slot_dir, SPLIT_GENERATIONS);
	/* Numbers only need to differ from the current one; the first is 1. */
	sb_addf(dir, "%s/%d", gens.buf, after < 1 || after >= 999999999 ? 1 : after + 1);
	/* One a killed splitter left: nothing names it (the slot's lock is ours). */
	if (mkdir_private(gens.buf, 0700, err) == 0 && safe_remove_tree(slot_dir, dir->buf, err) == 0 &&
	    mkdir_private(dir->buf, 0700, err) == 0)
		rc = 0;
	sb_release(&gens);
	return rc;
}

/* Every entry of splits/ but keep (a generation's name), and but the temp dirs unless with_temps. */
static void other_generations(const char *slot_dir, const char *keep, bool with_temps, struct strvec *out)
{
	struct strbuf gens = STRBUF_INIT;
	struct strvec all = STRVEC_INIT;

	path_join(&gens, slot_dir, SPLIT_GENERATIONS);
	list_dir(gens.buf, "", &all);
	for (size_t i = 0; i < all.n; i++)
		if ((!keep || strcmp(path_basename(all.v[i]), keep) != 0) &&
		    (with_temps || strncmp(path_basename(all.v[i]), SPLIT_TEMP_PREFIX, strlen(SPLIT_TEMP_PREFIX)) != 0))
			sv_push(out, all.v[i]);
	sv_release(&all);
	sb_release(&gens);
}

int split_generation_publish(const char *slot_dir, const char *dir, struct strbuf *err)
{
	struct strbuf link = STRBUF_INIT, target = STRBUF_INIT;
	struct strvec old = STRVEC_INIT;
	int rc = -1;

	path_join(&link, slot_dir, SPLIT_LINK);
	path_join(&target, SPLIT_GENERATIONS, path_basename(dir));
	/* The older layout's real dir: a link cannot be renamed over it. Readers meanwhile see no split. */
	if (is_real_dir(link.buf) && safe_remove_tree(slot_dir, link.buf, err) != 0)
		goto out;
	/* One rename: readers see the whole old generation or the whole new one. */
	if (safe_symlink(slot_dir, target.buf, link.buf, err) != 0)
		goto out;
	rc = 0;
	/* The splitter's own temp dir stays: it removes it. Killed splitters' are gc's (see split_unused). */
	other_generations(slot_dir, path_basename(dir), false, &old);
	for (size_t i = 0; i < old.n; i++) {
		struct strbuf e = STRBUF_INIT;
		/* Under the slot's lock nobody reads them: the wrapper leases the slot while rustc runs. */
		if (safe_remove_tree(slot_dir, old.v[i], &e) != 0)
			warn("%s; gc removes it later", e.buf);
		sb_release(&e);
	}
out:
	sv_release(&old);
	sb_release(&link);
	sb_release(&target);
	return rc;
}

bool split_exists(const char *slot_dir)
{
	struct strbuf link = STRBUF_INIT;
	struct stat st;

	path_join(&link, slot_dir, SPLIT_LINK);
	bool there = lstat(link.buf, &st) == 0;
	sb_release(&link);
	return there;
}

int split_unlink(const char *slot_dir, struct strbuf *err)
{
	struct strbuf link = STRBUF_INIT;
	struct stat st;
	int rc = 0;

	path_join(&link, slot_dir, SPLIT_LINK);
	if (lstat(link.buf, &st) != 0) {
		if (errno != ENOENT) {
			sb_addf(err, "cannot read %s: %s", link.buf, strerror(errno));
			rc = -1;
		}
	} else if ((S_ISDIR(st.st_mode) ? safe_remove_tree(slot_dir, link.buf, err)
					 : safe_unlink(slot_dir, link.buf, err)) != 0) {
		rc = -1;
	}
	if (rc != 0)
		sb_adds(err, "; units would go on being given the split it names: remove it by hand");
	sb_release(&link);
	return rc;
}

int split_withdraw(const char *slot_dir, struct strbuf *err)
{
	struct strbuf gerr = STRBUF_INIT;
	struct strvec gens = STRVEC_INIT;

	/* The link first: from here on readers see no split, whatever removing the rest does. */
	int rc = split_unlink(slot_dir, err);
	/* What no link names any more is gc's to collect when it stays. */
	other_generations(slot_dir, NULL, false, &gens);
	for (size_t i = 0; i < gens.n; i++) {
		sb_reset(&gerr);
		if (safe_remove_tree(slot_dir, gens.v[i], &gerr) != 0)
			warn("%s; gc removes it later", gerr.buf);
	}
	sv_release(&gens);
	sb_release(&gerr);
	return rc;
}

void split_unused(const char *slot_dir, struct strvec *out)
{
	struct strbuf cur = STRBUF_INIT;

	split_current_dir(slot_dir, &cur);
	other_generations(slot_dir, cur.len ? path_basename(cur.buf) : NULL, false, out);
	sb_release(&cur);
}

int split_c_file(const char *slot_dir, const char *key, struct strbuf *file, struct strbuf *hash)
{
	struct strbuf dir = STRBUF_INIT;
	char text_hash[HASH_HEX_LEN + 1], file_hash[HASH_HEX_LEN + 1];
	const struct strbuf *ix = index_of(slot_dir, key);
	int found = !ix ? -1 : split_index_entry(ix, SPLIT_C_NAME, text_hash, file_hash, NULL) ? 1 : 0;

	if (found == 1) {
		path_join(&dir, slot_dir, SPLIT_LINK);
		split_file_path(file, dir.buf, SPLIT_C_NAME);
		sb_adds(hash, file_hash);
	}
	sb_release(&dir);
	return found;
}

int split_damaged(const char *slot_dir, const char *key, struct strbuf *first)
{
	struct strbuf dir = STRBUF_INIT;
	struct strvec lines = STRVEC_INIT;
	const struct strbuf *ix = index_of(slot_dir, key);
	char text_hash[HASH_HEX_LEN + 1], shared_hash[HASH_HEX_LEN + 1] = "";
	int damaged = 0;

	path_join(&dir, slot_dir, SPLIT_LINK);
	if (ix) {
		sv_split(&lines, ix->buf, '\n');
		(void)split_index_entry(ix, SPLIT_SHARED_NAME, text_hash, shared_hash, NULL);
	}
	for (size_t i = 1; i < lines.n; i++) {
		struct strvec f = STRVEC_INIT;
		struct strbuf file = STRBUF_INIT;
		sv_split(&f, lines.v[i], '\t');
		if (f.n == 3 || f.n == 4) {
			split_file_path(&file, dir.buf, f.n == 4 ? f.v[3] : f.v[0]);
			/* A unit sharing a file names that file's hash: its own line checks the bytes, once. */
			bool intact = f.n == 3 ? split_file_intact(file.buf, f.v[2])
					       : is_shared_name(f.v[3], strlen(f.v[3])) && strcmp(f.v[2], shared_hash) == 0;
			if (!intact && !damaged++)
				sb_adds(first, file.buf);
		}
		sv_release(&f);
		sb_release(&file);
	}
	sv_release(&lines);
	sb_release(&dir);
	return damaged;
}

int split_file_intact(const char *file, const char *hash)
{
	char hex[HASH_HEX_LEN + 1];
	return hash_file_hex(file, hex) == 0 && strcmp(hex, hash) == 0;
}

void split_index_begin(struct strbuf *index, const char *key, const unsigned char *summary, size_t len,
		       bool shares)
{
	sb_addf(index, "%s\t%s\t", shares ? INDEX_MAGIC_SHARES : INDEX_MAGIC, key);
	for (size_t i = 0; i < len; i++)
		sb_addf(index, "%02x", summary[i]);
	sb_addch(index, '\n');
}

void split_index_add(struct strbuf *index, const char *unit, const char *text_hash, const char *file_hash,
		     const char *part)
{
	sb_addf(index, "%s\t%s\t%s", unit, text_hash, file_hash);
	if (part)
		sb_addf(index, "\t%s", part);
	sb_addch(index, '\n');
}

bool split_index_summary(const struct strbuf *index, unsigned char *out, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const char *line = sb_str(index), *tab = strchr(line, '\t');

	tab = tab ? strchr(tab + 1, '\t') : NULL;
	if (!index_magic_len(line) || !tab || strcspn(tab + 1, "\n") != 2 * len)
		return false;
	for (size_t i = 0; i < 2 * len; i++) {
		const char *d = strchr(digits, tab[1 + i]);
		if (!d)
			return false;
		out[i / 2] = (unsigned char)(i % 2 ? (out[i / 2] << 4) | (d - digits) : (d - digits));
	}
	return true;
}

void split_defined_begin(struct strbuf *out, const char *key)
{
	sb_addf(out, DEFINED_MAGIC "\t%s\n", key);
}

void split_defined_add(struct strbuf *out, const char *lib, const char *unit, unsigned long long counts)
{
	sb_addf(out, "%s\t%s\t%llu\n", lib, unit, counts);
}

bool split_defined_read(const char *slot_dir, const char *key, struct strbuf *lines)
{
	struct strbuf path = STRBUF_INIT, text = STRBUF_INIT, want = STRBUF_INIT;
	bool ok = false;

	sb_addf(&want, DEFINED_MAGIC "\t%s\n", key ? key : "");
	if (split_current_dir(slot_dir, &path) >= 0) {
		sb_adds(&path, "/" SPLIT_DEFINED);
		ok = sb_read_file(&text, path.buf) == 0 && strncmp(sb_str(&text), want.buf, want.len) == 0;
	}
	if (ok)
		sb_adds(lines, text.buf + want.len);
	sb_release(&path);
	sb_release(&text);
	sb_release(&want);
	return ok;
}

bool split_defined_next(const char **p, struct strbuf *lib, struct strbuf *unit, unsigned long long *counts)
{
	while (**p) {
		const char *line = *p;
		size_t len = strcspn(line, "\n");
		const char *t1 = memchr(line, '\t', len);
		const char *t2 = t1 ? memchr(t1 + 1, '\t', len - (size_t)(t1 + 1 - line)) : NULL;
		char *end = NULL;
		*p = line + len + (line[len] == '\n');
		if (!t1 || !t2 || t1 == line || t2 == t1 + 1 || !isdigit((unsigned char)t2[1]))
			continue;
		errno = 0;
		*counts = strtoull(t2 + 1, &end, 10);
		if (end != line + len || errno == ERANGE)
			continue;
		sb_reset(lib);
		sb_add(lib, line, (size_t)(t1 - line));
		sb_reset(unit);
		sb_add(unit, t1 + 1, (size_t)(t2 - t1 - 1));
		return true;
	}
	return false;
}

size_t split_unit_crate_len(const char *unit)
{
	const char *dash = strrchr(unit, '-');
	return dash ? (size_t)(dash - unit) : 0;
}

bool split_unit_of_crate(const char *unit, const char *name)
{
	size_t len = strlen(name);
	return unit[len] == '-' && split_unit_crate_len(unit) == len && strncmp(unit, name, len) == 0;
}

bool split_defined_ran_elsewhere(const char *lines, const char *name)
{
	struct strbuf lib = STRBUF_INIT, unit = STRBUF_INIT;
	unsigned long long counts;
	bool ran = false;

	for (const char *p = lines; !ran && split_defined_next(&p, &lib, &unit, &counts);)
		ran = counts > 0 && split_unit_of_crate(lib.buf, name);
	sb_release(&lib);
	sb_release(&unit);
	return ran;
}
