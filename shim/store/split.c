/*
 * split.c - the stored split of a slot's profile: split/INDEX (which unit has
 * which file, and each file's records and bytes by hash) and the per-unit
 * files it names, as the wrapper, verification, status and gc read them.
 */
#include "store/split.h"
#include "base/dirlist.h"
#include "base/hash.h"
#include "base/path.h"
#include "base/settings.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define INDEX_MAGIC "pgow-split-v2"

/* An index's line for a unit: its text and file hashes, or false. One pass, no copies: verification asks per unit. */
bool split_index_entry(const struct strbuf *index, const char *unit, char *text_hash, char *file_hash)
{
	size_t n = strlen(unit);
	const char *p = sb_str(index);

	while ((p = strchr(p, '\n'))) {
		p++;
		if (strncmp(p, unit, n) != 0 || p[n] != '\t')
			continue;
		const char *t = p + n + 1, *f = t + HASH_HEX_LEN + 1;
		if (strlen(t) < 2 * HASH_HEX_LEN + 1 || t[HASH_HEX_LEN] != '\t' ||
		    (f[HASH_HEX_LEN] != '\n' && f[HASH_HEX_LEN] != '\0'))
			return false;
		memcpy(text_hash, t, HASH_HEX_LEN);
		text_hash[HASH_HEX_LEN] = '\0';
		memcpy(file_hash, f, HASH_HEX_LEN);
		file_hash[HASH_HEX_LEN] = '\0';
		return strspn(text_hash, "0123456789abcdef") == HASH_HEX_LEN &&
		       strspn(file_hash, "0123456789abcdef") == HASH_HEX_LEN;
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

/* The slot's split index when it is the split of profile key, else NULL. */
static const struct strbuf *index_of(const char *slot_dir, const char *key)
{
	struct strbuf path = STRBUF_INIT, want = STRBUF_INIT;
	const struct strbuf *ix;

	path_join(&path, slot_dir, "split/INDEX");
	sb_addf(&want, INDEX_MAGIC "\t%s\t", key ? key : "");
	ix = read_index(path.buf);
	if (ix && strncmp(sb_str(ix), want.buf, want.len) != 0)
		ix = NULL;
	sb_release(&path);
	sb_release(&want);
	return ix;
}

/* The index of key's split, when units are given their parts (not CARGO_PGO_WRAP_SPLIT=0). */
static const struct strbuf *index_in_use(const char *slot_dir, const char *key)
{
	return split_wanted() ? index_of(slot_dir, key) : NULL;
}

int split_lookup(const char *slot_dir, const char *key, const char *crate, const char *metadata,
		 struct strbuf *dir, struct strbuf *file, struct strbuf *hash)
{
	struct strbuf unit = STRBUF_INIT;
	char text_hash[HASH_HEX_LEN + 1], file_hash[HASH_HEX_LEN + 1];
	const struct strbuf *ix = index_in_use(slot_dir, key);
	int found = 0;

	if (ix) {
		if (crate && metadata)
			sb_addf(&unit, "%s-%s", crate, metadata);
		bool own = unit.len && split_index_entry(ix, unit.buf, text_hash, file_hash);
		if (own || split_index_entry(ix, SPLIT_NONE_NAME, text_hash, file_hash)) {
			path_join(dir, slot_dir, "split");
			split_file_path(file, dir->buf, own ? unit.buf : SPLIT_NONE_NAME);
			sb_adds(hash, file_hash);
			found = 1;
		}
	}
	sb_release(&unit);
	return found;
}

void split_detail(struct strbuf *out, const char *file, const char *hash)
{
	sb_addf(out, "%s#%.16s", file, hash);
}

int split_count(const char *slot_dir, const char *key)
{
	const struct strbuf *ix = index_in_use(slot_dir, key);
	int n = -1; /* the first line is the index's own */

	for (const char *p = ix ? ix->buf : ""; *p; p++)
		n += *p == '\n';
	return ix ? n : -1;
}

void split_unlisted(const char *slot_dir, const char *key, struct strvec *out)
{
	struct strbuf dir = STRBUF_INIT;
	struct strvec files = STRVEC_INIT;
	/* The split of another profile than the current one serves nobody. */
	const struct strbuf *ix = index_of(slot_dir, key);
	char text_hash[HASH_HEX_LEN + 1], file_hash[HASH_HEX_LEN + 1];

	path_join(&dir, slot_dir, "split");
	list_dir(dir.buf, ".profdata", &files);
	for (size_t i = 0; i < files.n; i++) {
		const char *base = path_basename(files.v[i]);
		struct strbuf unit = STRBUF_INIT;
		sb_add(&unit, base, strlen(base) - strlen(".profdata"));
		if (!ix || !split_index_entry(ix, unit.buf, text_hash, file_hash))
			sv_push(out, files.v[i]);
		sb_release(&unit);
	}
	sv_release(&files);
	sb_release(&dir);
}

int split_c_file(const char *slot_dir, const char *key, struct strbuf *file, struct strbuf *hash)
{
	struct strbuf dir = STRBUF_INIT;
	char text_hash[HASH_HEX_LEN + 1], file_hash[HASH_HEX_LEN + 1];
	const struct strbuf *ix = index_in_use(slot_dir, key);
	int found = ix && split_index_entry(ix, SPLIT_C_NAME, text_hash, file_hash);

	if (found) {
		path_join(&dir, slot_dir, "split");
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
	const struct strbuf *ix = index_in_use(slot_dir, key);
	int damaged = 0;

	path_join(&dir, slot_dir, "split");
	if (ix)
		sv_split(&lines, ix->buf, '\n');
	for (size_t i = 1; i < lines.n; i++) {
		struct strvec f = STRVEC_INIT;
		struct strbuf file = STRBUF_INIT;
		sv_split(&f, lines.v[i], '\t');
		if (f.n == 3) {
			split_file_path(&file, dir.buf, f.v[0]);
			if (!split_file_intact(file.buf, f.v[2]) && !damaged++)
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

void split_index_begin(struct strbuf *index, const char *key, const unsigned char *summary, size_t len)
{
	sb_addf(index, INDEX_MAGIC "\t%s\t", key);
	for (size_t i = 0; i < len; i++)
		sb_addf(index, "%02x", summary[i]);
	sb_addch(index, '\n');
}

void split_index_add(struct strbuf *index, const char *unit, const char *text_hash, const char *file_hash)
{
	sb_addf(index, "%s\t%s\t%s\n", unit, text_hash, file_hash);
}

bool split_index_summary(const struct strbuf *index, unsigned char *out, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const char *line = sb_str(index), *tab = strchr(line, '\t');

	tab = tab ? strchr(tab + 1, '\t') : NULL;
	if (strncmp(line, INDEX_MAGIC "\t", sizeof(INDEX_MAGIC)) != 0 || !tab || strcspn(tab + 1, "\n") != 2 * len)
		return false;
	for (size_t i = 0; i < 2 * len; i++) {
		const char *d = strchr(digits, tab[1 + i]);
		if (!d)
			return false;
		out[i / 2] = (unsigned char)(i % 2 ? (out[i / 2] << 4) | (d - digits) : (d - digits));
	}
	return true;
}
