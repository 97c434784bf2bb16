/*
 * unitkey.c - per-unit content keys and their records (see include/store/unitkey.h).
 * A record is tab-separated text, written atomically:
 *   unit-v3 <crate> <metadata> <identity-hash> <key> all|no-tests [<earlier key>]
 *   f <dev> <ino> <size> <mtime_ns> <ctime_ns> <digest> <path> <real-path>
 * Older records are read for their file list, not their digests: unit-v2
 * digested Rust with its comments and layout, unit-v1 (without the last
 * field) digested whole files.
 * Like git's index, a file whose stat matches and is older than the racy
 * window keeps its digest without being read. The same rule carries an older
 * record's key over as the earlier key (unitkey.h), so that an upgrade which
 * changes how code is digested leaves profiles of unchanged code fresh.
 */
#define _GNU_SOURCE /* preadv2's RWF_NOWAIT */
#include "store/unitkey.h"
#include "base/atomic.h"
#include "base/path.h"
#include "base/strbuf.h"
#include "base/xalloc.h"
#include "formats/depinfo.h"
#include "formats/rustcode.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/uio.h>

#define RECORD_MAGIC "unit-v3"
#define RECORD_MAGIC_V2 "unit-v2"
#define RECORD_MAGIC_V1 "unit-v1"
/* Keys keep v1's name: a unit whose files' digests are unchanged (C) keys as before. */
#define KEY_MAGIC "unit-v1"
/* Reader threads besides the caller when many files must be read. */
#define HASH_THREADS 3

static long long ns_of(const struct timespec *ts)
{
	return (long long)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

/* Read once per computation: only the racy-window check needs it. */
static long long realtime_ns(void)
{
	struct timespec now;
	return clock_gettime(CLOCK_REALTIME, &now) == 0 ? ns_of(&now) : 0;
}

static void push_source(const char *word, size_t len, void *ctx)
{
	(void)len;
	sv_push(ctx, word);
}

void unitkey_dep_info_sources(const char *text, struct strvec *out)
{
	depinfo_each_prerequisite(text, push_source, out);
}

/* rustc lists sources in a stable order, so the same position is checked first. */
static const struct unit_file *find_prev(const struct unit_key *prev, const char *real_path, size_t hint)
{
	if (!prev)
		return NULL;
	if (hint < prev->nfiles && strcmp(prev->files[hint].real_path, real_path) == 0)
		return &prev->files[hint];
	for (size_t i = 0; i < prev->nfiles; i++)
		if (strcmp(prev->files[i].real_path, real_path) == 0)
			return &prev->files[i];
	return NULL;
}

static bool same_stat(const struct unit_file *a, const struct unit_file *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime_ns == b->mtime_ns &&
	       a->ctime_ns == b->ctime_ns;
}

/*
 * Fills f's stat fields and, when prev's digest is safe to reuse, its digest;
 * returns 1 when the file still has to be read, 0 when done, -1 on error.
 */
static int stat_file(struct unit_file *f, const struct unit_file *prev, long long now_ns,
		     struct strbuf *err)
{
	struct stat st;

	if (stat(f->real_path, &st) != 0) {
		sb_addf(err, "cannot stat source %s: %s", f->real_path, strerror(errno));
		return -1;
	}
	/*
	 * A FIFO would hold the read up for ever, a device give no end or no
	 * stable bytes: no key can follow them. (A directory fails when read.)
	 */
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		sb_addf(err, "source %s is not a regular file, so its content cannot be keyed", f->real_path);
		return -1;
	}
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->size = st.st_size;
	f->mtime_ns = ns_of(&st.st_mtim);
	f->ctime_ns = ns_of(&st.st_ctim);
	bool racy = now_ns - f->mtime_ns < UNITKEY_RACY_NS;
	if (prev && !racy && same_stat(prev, f)) {
		memcpy(f->digest, prev->digest, sizeof(f->digest));
		return 0;
	}
	return 1;
}

/*
 * A Rust source is digested as code: a comment edit or a reformat leaves the
 * code the profile was collected from as it was. A unit built without
 * --test never compiles the test-only items either, so editing a test does
 * not change it.
 */
static int digest_source(const char *path, bool without_tests, char digest[HASH_HEX_LEN + 1])
{
	if (!str_ends_with(path, ".rs"))
		return hash_file_hex(path, digest);
	struct strbuf text = STRBUF_INIT, code = STRBUF_INIT, tokens = STRBUF_INIT;
	if (sb_read_file(&text, path) != 0) {
		int saved = errno;
		sb_release(&text);
		errno = saved;
		return -1;
	}
	hash_files_read++;
	if (without_tests && rust_code_without_tests(text.buf, text.len, &code) > 0)
		rust_code_tokens(code.buf, code.len, &tokens);
	else
		rust_code_tokens(text.buf, text.len, &tokens);
	hash_buf_hex(sb_str(&tokens), tokens.len, digest);
	sb_release(&text);
	sb_release(&code);
	sb_release(&tokens);
	return 0;
}

/* Files to read, shared by the hashing threads. */
struct hash_queue {
	struct unit_file **files;
	size_t n;
	bool without_tests;
	size_t next;           /* guarded by lock */
	int failed_errno;
	struct unit_file *failed;
	pthread_mutex_t lock;
};

static void *hash_worker(void *arg)
{
	struct hash_queue *q = arg;

	for (;;) {
		pthread_mutex_lock(&q->lock);
		size_t i = q->next++;
		bool stop = i >= q->n || q->failed;
		pthread_mutex_unlock(&q->lock);
		if (stop)
			return NULL;
		if (digest_source(q->files[i]->real_path, q->without_tests, q->files[i]->digest) != 0) {
			pthread_mutex_lock(&q->lock);
			if (!q->failed) {
				q->failed = q->files[i];
				q->failed_errno = errno;
			}
			pthread_mutex_unlock(&q->lock);
		}
	}
}

/* The file's first bytes are in the page cache: a read would not wait. False when the kernel cannot say. */
static bool in_page_cache(int fd)
{
	char byte;
	struct iovec v = { &byte, 1 };

	return preadv2(fd, &v, 1, 0, RWF_NOWAIT) >= 0;
}

/*
 * A tree just checked out or built is in the page cache: past this many files
 * found there in a row, the prefetch stops, as its system calls would only
 * take CPU from the hashing threads.
 */
#define PREFETCH_WARM_RUN 16

/*
 * Asks the kernel to read the queued files, in order, ahead of the threads
 * that hash them: on a cold tree the reads then go on while they lex. The
 * advice is only advice: a file it cannot open or advise on is read when
 * its turn comes, and any error is reported then.
 */
static void *prefetch_worker(void *arg)
{
	struct hash_queue *q = arg;
	size_t warm = 0;

	for (size_t i = 0; i < q->n && warm < PREFETCH_WARM_RUN; i++) {
		pthread_mutex_lock(&q->lock);
		bool stop = q->next >= q->n || q->failed;
		/* Behind the hashing threads: the files they took need no advice. */
		if (i < q->next)
			i = q->next;
		/* Not past the files they may be reading, whose pages say nothing of the tree's. */
		bool ahead = i >= q->next + HASH_THREADS + 1;
		pthread_mutex_unlock(&q->lock);
		if (stop)
			break;
		/* Special files never come here (stat_file refuses them); O_NONBLOCK all the same. */
		int fd = open(q->files[i]->real_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			continue;
		if (!in_page_cache(fd))
			warm = 0;
		else if (ahead)
			warm++;
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
		close(fd); /* read-only */
	}
	return NULL;
}

/*
 * Reads and hashes the queued files. A cold tree is bound by I/O latency,
 * so a few threads keep several reads in flight, and one more asks for the
 * files ahead of them.
 */
static int hash_all(struct unit_file **files, size_t n, bool without_tests, struct strbuf *err)
{
	struct hash_queue q = { files, n, without_tests, 0, 0, NULL, PTHREAD_MUTEX_INITIALIZER };
	pthread_t threads[HASH_THREADS + 1];
	size_t started = 0, hashers = 0;

	if (n >= 32) {
		if (pthread_create(&threads[started], NULL, prefetch_worker, &q) == 0)
			started++;
		for (; hashers < HASH_THREADS; hashers++, started++)
			if (pthread_create(&threads[started], NULL, hash_worker, &q) != 0)
				break;
	}
	hash_worker(&q);
	for (size_t t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
	if (q.failed) {
		sb_addf(err, "cannot read source %s: %s", q.failed->real_path, strerror(q.failed_errno));
		return -1;
	}
	return 0;
}

static void finish_key(struct unit_key *k)
{
	struct hasher *h = hasher_new();

	hasher_add_str(h, KEY_MAGIC);
	hasher_add_str(h, k->identity);
	for (size_t i = 0; i < k->nfiles; i++) {
		hasher_add_str(h, k->files[i].path);
		hasher_add_str(h, k->files[i].digest);
	}
	hasher_hex(h, k->key);
	hasher_free(h);
}

/*
 * The unit's code is the code rec was keyed from: the same files, each with
 * the stat it had then, and none so recent that its stat cannot vouch for it.
 */
static bool files_as_recorded(const struct unit_key *now, const struct unit_key *rec, long long now_ns)
{
	if (now->nfiles != rec->nfiles || strcmp(now->identity, rec->identity) != 0)
		return false;
	for (size_t i = 0; i < now->nfiles; i++) {
		const struct unit_file *f = &now->files[i];
		const struct unit_file *was = find_prev(rec, f->real_path, i);
		if (!was || strcmp(was->path, f->path) != 0 || !same_stat(was, f) ||
		    now_ns - f->mtime_ns < UNITKEY_RACY_NS)
			return false;
	}
	return true;
}

/*
 * A record an older version wrote gives its key as the earlier key when the
 * code is as it was; a record of this version hands its earlier key on while
 * the key stays the same (the code is still that code, as this version reads it).
 */
static void keep_earlier_key(struct unit_key *now, const struct unit_key *rec, long long now_ns)
{
	if (!rec)
		return;
	if (rec->legacy && files_as_recorded(now, rec, now_ns))
		memcpy(now->earlier_key, rec->key, sizeof(now->earlier_key));
	else if (!rec->legacy && rec->earlier_key[0] && strcmp(now->key, rec->key) == 0)
		memcpy(now->earlier_key, rec->earlier_key, sizeof(now->earlier_key));
}

bool unitkey_matches(const struct unit_key *k, const char *key)
{
	return strcmp(k->key, key) == 0 || (k->earlier_key[0] && strcmp(k->earlier_key, key) == 0);
}

static void unit_identity(const struct rustc_args *a, char out[HASH_HEX_LEN + 1])
{
	struct hasher *h = hasher_new();
	struct strbuf types = STRBUF_INIT;

	rustc_args_describe_types(a, &types);
	hasher_add_str(h, a->crate_name ? a->crate_name : "");
	hasher_add_str(h, a->metadata ? a->metadata : "");
	hasher_add_str(h, types.buf);
	hasher_add_str(h, a->edition ? a->edition : "");
	hasher_add_str(h, a->target ? a->target : "host");
	for (size_t i = 0; i < a->cfgs.n; i++)
		hasher_add_str(h, a->cfgs.v[i]);
	hasher_hex(h, out);
	hasher_free(h);
	sb_release(&types);
}

/*
 * A source's path as the key records it: the same wherever the target dir,
 * the workspace or the registry is. Under the build dir: $BUILD/...; under
 * the package's own dir (a registry crate's, a path dependency outside the
 * workspace: rustc is given them absolute): $PKG/...; else as rustc was
 * given it (relative to the workspace root).
 */
static char *portable_path(const char *src, const char *build_dir, size_t blen)
{
	const char *pkg = getenv("CARGO_MANIFEST_DIR");
	size_t plen = pkg ? strlen(pkg) : 0;
	struct strbuf norm = STRBUF_INIT;

	while (plen > 1 && pkg[plen - 1] == '/')
		plen--;
	if (blen && strncmp(src, build_dir, blen) == 0 && src[blen] == '/')
		sb_addf(&norm, "$BUILD%s", src + blen);
	else if (plen > 1 && src[0] == '/' && strncmp(src, pkg, plen) == 0 && src[plen] == '/')
		sb_addf(&norm, "$PKG%s", src + plen);
	else
		sb_adds(&norm, src);
	return sb_detach(&norm);
}

int unitkey_compute_sources(struct unit_key *k, const char *crate, const char *metadata,
			    const char *identity, bool without_tests, const struct strvec *sources,
			    const char *build_dir, const struct unit_key *prev, const struct strvec *skip,
			    struct strbuf *err)
{
	size_t blen = strlen(build_dir);
	int rc = -1;

	memset(k, 0, sizeof(*k));
	/* An older version's record has no digests to reuse, but may vouch for the code. */
	const struct unit_key *older = prev && prev->legacy ? prev : NULL;
	/* Digests of another kind are no stat cache for these. */
	if (prev && (prev->legacy || prev->without_tests != without_tests))
		prev = NULL;
	k->without_tests = without_tests;
	k->crate = xstrdup(crate);
	k->metadata = xstrdup(metadata);
	k->files = xcalloc(sources->n ? sources->n : 1, sizeof(*k->files));
	struct unit_file **to_read = xcalloc(sources->n ? sources->n : 1, sizeof(*to_read));
	size_t nread = 0;
	long long now_ns = realtime_ns();
	for (size_t i = 0; i < sources->n; i++) {
		const char *src = sources->v[i];
		if (sv_has(skip, src))
			continue;
		struct unit_file *f = &k->files[k->nfiles++];
		/* rustc's paths are relative to its cwd; the record is read from anywhere. */
		struct strbuf abs = STRBUF_INIT;
		if (path_absolute(&abs, src) != 0)
			sb_adds(&abs, src);
		f->real_path = sb_detach(&abs);
		f->path = portable_path(src, build_dir, blen);
		int need = stat_file(f, find_prev(prev, f->real_path, k->nfiles - 1), now_ns, err);
		if (need < 0)
			goto out;
		if (need)
			to_read[nread++] = f;
	}
	if (hash_all(to_read, nread, without_tests, err) != 0)
		goto out;
	snprintf(k->identity, sizeof(k->identity), "%s", identity);
	finish_key(k);
	keep_earlier_key(k, older ? older : prev, now_ns);
	rc = 0;
out:
	free(to_read);
	return rc;
}

/*
 * The workspace's own sources of the proc-macros (and dylibs: a .so) the unit
 * is built against: a macro's output is the unit's code, and cargo gives an
 * edited macro's dependents the same -C metadata. Then those of the workspace
 * libraries a macro calls (a thin foo-derive over foo-derive-impl), followed
 * through the dep lines the wrapper leaves in a macro's and a library's
 * dep-info. Registry and other absolute paths are left out: a new version of
 * those changes the metadata already, and keys must read the same on every
 * machine; a library with no workspace source (a registry crate) is not
 * followed further, as it cannot depend on the workspace.
 */
static void add_macro_sources(const struct rustc_args *a, struct strvec *sources)
{
	struct strvec queue = STRVEC_INIT;

	for (size_t i = 0; i < a->externs.n; i++) {
		struct strbuf dep = STRBUF_INIT;
		if ((str_ends_with(a->externs.v[i], ".so") || str_ends_with(a->externs.v[i], ".dylib")) &&
		    depinfo_of_library(a->externs.v[i], &dep) == 0 && !sv_has(&queue, dep.buf))
			sv_push(&queue, dep.buf);
		sb_release(&dep);
	}
	for (size_t q = 0; q < queue.n; q++) {
		struct strbuf text = STRBUF_INIT;
		struct strvec theirs = STRVEC_INIT, next = STRVEC_INIT;
		bool ours = false;
		if (sb_read_file(&text, queue.v[q]) == 0)
			unitkey_dep_info_sources(text.buf, &theirs);
		for (size_t j = 0; j < theirs.n; j++) {
			if (theirs.v[j][0] == '/')
				continue;
			ours = true;
			if (!sv_has(sources, theirs.v[j]))
				sv_push(sources, theirs.v[j]);
		}
		if (ours)
			depinfo_mark_deps(text.buf, &next);
		for (size_t j = 0; j < next.n; j++)
			if (!sv_has(&queue, next.v[j]))
				sv_push(&queue, next.v[j]);
		sv_release(&theirs);
		sv_release(&next);
		sb_release(&text);
	}
	sv_release(&queue);
}

int unitkey_compute(struct unit_key *k, const struct rustc_args *a, const char *dep_info,
		    const char *build_dir, const struct unit_key *prev,
		    const struct strvec *skip, struct strbuf *err)
{
	struct strbuf text = STRBUF_INIT;
	struct strvec sources = STRVEC_INIT;
	char identity[HASH_HEX_LEN + 1];
	int rc;

	if (sb_read_file(&text, dep_info) != 0) {
		memset(k, 0, sizeof(*k));
		sb_addf(err, "cannot read dep-info %s: %s", dep_info, strerror(errno));
		rc = -1;
	} else {
		unitkey_dep_info_sources(text.buf, &sources);
		add_macro_sources(a, &sources);
		unit_identity(a, identity);
		/* rustc's --test (or --cfg test) compiles the tests: they are its code. */
		bool without_tests = !a->is_test && !sv_has(&a->cfgs, "test");
		rc = unitkey_compute_sources(k, a->crate_name ? a->crate_name : "",
					     a->metadata ? a->metadata : "", identity, without_tests,
					     &sources, build_dir, prev, skip, err);
	}
	sb_release(&text);
	sv_release(&sources);
	return rc;
}

/* In a build script's OUT_DIR: <target>/<profile>/build/<package>-<hash>/out/. */
static bool generated(const char *path)
{
	const char *b = strstr(path, "/build/");
	return b && strstr(b + 7, "/out/");
}

int unitkey_refresh(struct unit_key *now, const struct unit_key *rec, struct strbuf *err)
{
	memset(now, 0, sizeof(*now));
	now->crate = xstrdup(rec->crate);
	now->metadata = xstrdup(rec->metadata);
	now->without_tests = rec->without_tests;
	memcpy(now->identity, rec->identity, sizeof(now->identity));
	now->files = xcalloc(rec->nfiles, sizeof(*now->files));
	struct unit_file **to_read = xcalloc(rec->nfiles, sizeof(*to_read));
	size_t nread = 0;
	int rc = 0;
	long long now_ns = realtime_ns();
	for (size_t i = 0; i < rec->nfiles && rc == 0; i++) {
		struct unit_file *f = &now->files[now->nfiles++];
		f->path = xstrdup(rec->files[i].path);
		f->real_path = xstrdup(rec->files[i].real_path);
		/*
		 * A generated source that cargo clean (or another target dir) took away
		 * is not known until its build script runs again: it counts as it was,
		 * and the build's own marks, keyed by its content, tell if it changed.
		 */
		if (generated(f->path) && access(f->real_path, F_OK) != 0 && errno == ENOENT) {
			*f = rec->files[i];
			f->path = xstrdup(rec->files[i].path);
			f->real_path = xstrdup(rec->files[i].real_path);
			continue;
		}
		int need = stat_file(f, rec->legacy ? NULL : &rec->files[i], now_ns, err);
		if (need < 0)
			rc = -1;
		else if (need)
			to_read[nread++] = f;
	}
	if (rc == 0)
		rc = hash_all(to_read, nread, now->without_tests, err);
	free(to_read);
	if (rc == 0) {
		finish_key(now);
		keep_earlier_key(now, rec, now_ns);
	}
	return rc;
}

static bool has_separator(const char *s)
{
	return strpbrk(s, "\t\n") != NULL;
}

int unitkey_write(const struct unit_key *k, const char *path, struct strbuf *err)
{
	struct strbuf out = STRBUF_INIT;
	int rc = -1;

	if (has_separator(k->crate) || has_separator(k->metadata)) {
		sb_addf(err, "crate %s: a tab or newline in its name cannot be recorded", k->crate);
		goto out;
	}
	sb_addf(&out, RECORD_MAGIC "\t%s\t%s\t%s\t%s\t%s", k->crate, k->metadata, k->identity, k->key,
		k->without_tests ? "no-tests" : "all");
	if (k->earlier_key[0])
		sb_addf(&out, "\t%s", k->earlier_key);
	sb_addch(&out, '\n');
	for (size_t i = 0; i < k->nfiles; i++) {
		const struct unit_file *f = &k->files[i];
		if (has_separator(f->path) || has_separator(f->real_path)) {
			sb_addf(err, "source path %s has a tab or newline; it cannot be recorded", f->real_path);
			goto out;
		}
		sb_addf(&out, "f\t%ju\t%ju\t%jd\t%lld\t%lld\t%s\t%s\t%s\n", (uintmax_t)f->dev,
			(uintmax_t)f->ino, (intmax_t)f->size, f->mtime_ns, f->ctime_ns, f->digest,
			f->path, f->real_path);
	}
	struct atomic_opts opts = { .mode = 0600 };
	rc = write_file_atomic(path, out.buf, out.len, &opts, err);
out:
	sb_release(&out);
	return rc;
}

static int parse_file_line(struct unit_file *f, const struct strvec *fields)
{
	char *end;

	if (fields->n != 9 || strcmp(fields->v[0], "f") != 0 || !str_is_hex(fields->v[6], HASH_HEX_LEN))
		return -1;
	f->dev = (dev_t)strtoumax(fields->v[1], &end, 10);
	f->ino = (ino_t)strtoumax(fields->v[2], &end, 10);
	f->size = (off_t)strtoimax(fields->v[3], &end, 10);
	f->mtime_ns = strtoll(fields->v[4], &end, 10);
	f->ctime_ns = strtoll(fields->v[5], &end, 10);
	memcpy(f->digest, fields->v[6], HASH_HEX_LEN + 1);
	f->path = xstrdup(fields->v[7]);
	f->real_path = xstrdup(fields->v[8]);
	return 0;
}

int unitkey_read(struct unit_key *k, const char *path, struct strbuf *err)
{
	struct strbuf text = STRBUF_INIT;
	int rc = -1, lineno = 0;

	memset(k, 0, sizeof(*k));
	if (sb_read_file(&text, path) != 0) {
		if (errno == ENOENT) {
			sb_release(&text);
			return 0;
		}
		sb_addf(err, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	for (const char *p = text.buf; *p;) {
		size_t len = strcspn(p, "\n");
		char *line = xstrndup(p, len);
		struct strvec fields = STRVEC_INIT;
		int bad;
		lineno++;
		/* Empty fields are not allowed, so splitting on tabs loses nothing. */
		sv_split(&fields, line, '\t');
		if (lineno == 1) {
			bool v1 = fields.n == 5 && strcmp(fields.v[0], RECORD_MAGIC_V1) == 0;
			/* This version's header may end with the earlier key. */
			bool earlier = fields.n == 7 && strcmp(fields.v[0], RECORD_MAGIC) == 0 &&
				       str_is_hex(fields.v[6], HASH_HEX_LEN);
			bool v2 = (fields.n == 6 || earlier) &&
				  (strcmp(fields.v[0], RECORD_MAGIC) == 0 || strcmp(fields.v[0], RECORD_MAGIC_V2) == 0) &&
				  (strcmp(fields.v[5], "all") == 0 || strcmp(fields.v[5], "no-tests") == 0);
			bad = (!v1 && !v2) || !str_is_hex(fields.v[3], HASH_HEX_LEN) ||
			      !str_is_hex(fields.v[4], HASH_HEX_LEN);
			if (!bad && earlier)
				memcpy(k->earlier_key, fields.v[6], HASH_HEX_LEN + 1);
			if (!bad) {
				k->without_tests = v2 && strcmp(fields.v[5], "no-tests") == 0;
				k->legacy = strcmp(fields.v[0], RECORD_MAGIC) != 0;
				k->crate = xstrdup(fields.v[1]);
				k->metadata = xstrdup(fields.v[2]);
				memcpy(k->identity, fields.v[3], HASH_HEX_LEN + 1);
				memcpy(k->key, fields.v[4], HASH_HEX_LEN + 1);
			}
		} else {
			k->files = xrealloc(k->files, (k->nfiles + 1) * sizeof(*k->files));
			memset(&k->files[k->nfiles], 0, sizeof(*k->files));
			bad = parse_file_line(&k->files[k->nfiles], &fields);
			if (!bad)
				k->nfiles++;
		}
		sv_release(&fields);
		free(line);
		if (bad) {
			sb_addf(err, "%s:%d: corrupt unit record; delete it and rebuild", path, lineno);
			unitkey_release(k); /* nothing half-read is handed back */
			goto out;
		}
		p += len + (p[len] == '\n');
	}
	rc = lineno ? 1 : -1;
	if (!lineno)
		sb_addf(err, "%s:1: empty unit record; delete it and rebuild", path);
out:
	sb_release(&text);
	return rc;
}

void unitkey_release(struct unit_key *k)
{
	for (size_t i = 0; i < k->nfiles; i++) {
		free(k->files[i].path);
		free(k->files[i].real_path);
	}
	free(k->files);
	free(k->crate);
	free(k->metadata);
	memset(k, 0, sizeof(*k));
}

int unitkey_make_dir(const char *slot_dir, struct strbuf *err)
{
	struct strbuf dir = STRBUF_INIT;

	path_join(&dir, slot_dir, "units");
	int rc = mkdir_private(dir.buf, 0700, err);
	sb_release(&dir);
	return rc;
}

void unitkey_record_path(struct strbuf *out, const char *slot_dir, const char *crate,
			 const char *metadata)
{
	sb_addf(out, "%s/units/%s-%s.unit", slot_dir, crate, metadata);
}
