/*
 * test_unitkey.c - unit tests for per-crate content keys and the stat cache
 * (shim/unitkey.c): the second key computation must read no file contents.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/atomic.h"
#include "base/path.h"
#include "base/strbuf.h"
#include "store/unitkey.h"
#include "tempdir.h"

static struct strbuf a_rs = STRBUF_INIT, b_rs = STRBUF_INIT, dep = STRBUF_INIT, rec = STRBUF_INIT;

static void write_aged(const char *path, const char *text, time_t age)
{
	struct strbuf err = STRBUF_INIT;
	assert_int_equal(write_file_atomic(path, text, strlen(text), NULL, &err), 0);
	struct timespec ts[2];
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= age;
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	sb_release(&err);
}

static int setup(void **state)
{
	(void)state;
	if (tempdir_setup(state) != 0)
		return -1;
	path_join(&a_rs, dir, "a.rs");
	path_join(&b_rs, dir, "b b.rs");
	path_join(&dep, dir, "x-m.d");
	path_join(&rec, dir, "x.unit");
	write_aged(a_rs.buf, "mod b;\nfn main() {}\n", 60);
	write_aged(b_rs.buf, "pub fn f() -> u32 { 1 }\n", 60);
	struct strbuf d = STRBUF_INIT;
	sb_addf(&d, "%s/x: %s %s/b\\ b.rs /cache/STAMP\n\n%s:\n", dir, a_rs.buf, dir, a_rs.buf);
	write_aged(dep.buf, d.buf, 60);
	sb_release(&d);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	int rc = tempdir_teardown(state);
	sb_release(&a_rs);
	sb_release(&b_rs);
	sb_release(&dep);
	sb_release(&rec);
	return rc;
}

static void parse_args_as(struct rustc_args *a, const char *metadata, const char *test)
{
	struct strbuf err = STRBUF_INIT, md = STRBUF_INIT;
	sb_addf(&md, "metadata=%s", metadata);
	char *argv[] = { "--crate-name", "x", "--edition=2021", "src/main.rs", "-C", md.buf,
			 "--cfg", "feature=\"std\"", (char *)test };
	assert_int_equal(rustc_args_parse(a, test ? 9 : 8, argv, &err), 0);
	sb_release(&err);
	sb_release(&md);
}

static void parse_args(struct rustc_args *a, const char *metadata)
{
	parse_args_as(a, metadata, NULL);
}

/* test: NULL, or "--test" for the unit cargo test builds of the same crate. */
static void compute_as(struct unit_key *k, const struct unit_key *prev, const char *metadata,
		       const char *test)
{
	struct rustc_args a;
	struct strbuf err = STRBUF_INIT;
	struct strvec skip = STRVEC_INIT;
	sv_push(&skip, "/cache/STAMP");
	parse_args_as(&a, metadata, test);
	assert_int_equal(unitkey_compute(k, &a, dep.buf, "/nowhere", prev, &skip, &err), 0);
	rustc_args_release(&a);
	sv_release(&skip);
	sb_release(&err);
}

static void compute(struct unit_key *k, const struct unit_key *prev, const char *metadata)
{
	compute_as(k, prev, metadata, NULL);
}

static void test_second_computation_reads_nothing(void **state)
{
	(void)state;
	struct unit_key k1, k2;
	unsigned long before = hash_files_read;

	compute(&k1, NULL, "m");
	assert_int_equal(k1.nfiles, 2); /* the STAMP is not a source */
	assert_string_equal(k1.files[1].path, b_rs.buf); /* "\ " unescaped */
	assert_int_equal(hash_files_read - before, 2);
	before = hash_files_read;
	compute(&k2, &k1, "m");
	assert_int_equal(hash_files_read - before, 0);
	assert_string_equal(k1.key, k2.key);
	unitkey_release(&k1);
	unitkey_release(&k2);
}

static void test_record_roundtrip_and_refresh(void **state)
{
	(void)state;
	struct unit_key k, back, now;
	struct strbuf err = STRBUF_INIT;

	compute(&k, NULL, "m");
	assert_int_equal(unitkey_write(&k, rec.buf, &err), 0);
	assert_int_equal(unitkey_read(&back, rec.buf, &err), 1);
	assert_string_equal(back.crate, "x");
	assert_string_equal(back.metadata, "m");
	assert_string_equal(back.key, k.key);
	assert_int_equal(back.nfiles, 2);

	unsigned long before = hash_files_read;
	assert_int_equal(unitkey_refresh(&now, &back, &err), 0);
	assert_int_equal(hash_files_read - before, 0);
	assert_string_equal(now.key, k.key);
	unitkey_release(&now);

	/* Same size, new content, old-looking mtime: stat differs, so it is read. */
	write_aged(b_rs.buf, "pub fn f() -> u32 { 2 }\n", 50);
	before = hash_files_read;
	assert_int_equal(unitkey_refresh(&now, &back, &err), 0);
	assert_int_equal(hash_files_read - before, 1);
	assert_string_not_equal(now.key, k.key);
	unitkey_release(&now);
	write_aged(b_rs.buf, "pub fn f() -> u32 { 1 }\n", 60);

	unitkey_release(&k);
	unitkey_release(&back);
	sb_release(&err);
}

static void test_key_inputs(void **state)
{
	(void)state;
	struct unit_key k1, k2;

	compute(&k1, NULL, "m");
	compute(&k2, NULL, "other-metadata");
	assert_string_not_equal(k1.key, k2.key);
	unitkey_release(&k2);
	/* A touch (new mtime, same bytes) keeps the key. */
	write_aged(a_rs.buf, "mod b;\nfn main() {}\n", 30);
	compute(&k2, &k1, "m");
	assert_string_equal(k1.key, k2.key);
	unitkey_release(&k1);
	unitkey_release(&k2);
}

static void test_racy_files_are_reread(void **state)
{
	(void)state;
	struct unit_key k1, k2;

	write_aged(a_rs.buf, "mod b;\nfn main() {}\n", 0);
	compute(&k1, NULL, "m");
	unsigned long before = hash_files_read;
	compute(&k2, &k1, "m");
	/* a.rs was modified within the racy window: its digest is not trusted. */
	assert_int_equal(hash_files_read - before, 1);
	unitkey_release(&k1);
	unitkey_release(&k2);
	write_aged(a_rs.buf, "mod b;\nfn main() {}\n", 60);
}

static void test_corrupt_record(void **state)
{
	(void)state;
	struct unit_key k;
	struct strbuf err = STRBUF_INIT, path = STRBUF_INIT;

	path_join(&path, dir, "bad.unit");
	write_aged(path.buf, "unit-v1\tx\tm\tnothex\tnothex\n", 0);
	assert_int_equal(unitkey_read(&k, path.buf, &err), -1);
	assert_non_null(strstr(err.buf, "bad.unit:1: corrupt unit record"));
	unitkey_release(&k);
	sb_reset(&err);
	path_join(&path, dir, "missing");
	assert_int_equal(unitkey_read(&k, "/nonexistent/x.unit", &err), 0);
	unitkey_release(&k);
	sb_release(&err);
	sb_release(&path);
}

/*
 * A build without --test never compiles the tests: editing one keeps its key,
 * and a file without tests keys as it did before test items were left out.
 * The --test unit compiles them: its key follows them.
 */
static void test_test_items_key_only_the_test_build(void **state)
{
	(void)state;
	struct unit_key k, t, k2, t2, back;
	struct strbuf err = STRBUF_INIT;

	compute(&k, NULL, "m");
	compute_as(&t, NULL, "m", "--test");
	assert_true(k.without_tests);
	assert_false(t.without_tests);
	assert_string_equal(k.files[0].digest, t.files[0].digest); /* no test items yet */
	write_aged(b_rs.buf, "pub fn f() -> u32 { 1 }\n#[cfg(test)]\nmod tests { #[test] fn t() {} }\n", 50);
	compute(&k2, &k, "m");
	compute_as(&t2, &t, "m", "--test");
	assert_string_equal(k2.key, k.key);
	assert_string_not_equal(t2.key, t.key);
	/* The record keeps which kind its digests are, for the stat cache and refresh. */
	assert_int_equal(unitkey_write(&k2, rec.buf, &err), 0);
	assert_int_equal(unitkey_read(&back, rec.buf, &err), 1);
	assert_true(back.without_tests);
	unitkey_release(&k2);
	/* The other kind's digests are not reused: the --test record is no cache for it. */
	unsigned long before = hash_files_read;
	compute(&k2, &t2, "m");
	assert_int_equal(hash_files_read - before, 2);
	assert_string_equal(k2.key, k.key);
	unitkey_release(&k2);
	/* A code edit still changes it. */
	write_aged(b_rs.buf, "pub fn f() -> u32 { 2 }\n#[cfg(test)]\nmod tests { #[test] fn t() {} }\n", 40);
	assert_int_equal(unitkey_refresh(&k2, &back, &err), 0);
	assert_string_not_equal(k2.key, k.key);
	unitkey_release(&k2);
	write_aged(b_rs.buf, "pub fn f() -> u32 { 1 }\n", 60);
	unitkey_release(&k);
	unitkey_release(&t);
	unitkey_release(&t2);
	unitkey_release(&back);
	sb_release(&err);
}

/* A record's first line as an older version wrote it. */
static void write_as_version(const char *text, const char *magic, bool kind_field)
{
	struct strbuf old = STRBUF_INIT;
	const char *tab = strchr(text, '\t');
	const char *kind = strstr(text, "\tall\n");
	assert_non_null(tab);
	assert_non_null(kind);
	sb_adds(&old, magic);
	sb_add(&old, tab, (size_t)(kind - tab));
	sb_adds(&old, kind_field ? "\tall\n" : "\n");
	sb_adds(&old, kind + 5);
	write_aged(rec.buf, old.buf, 60);
	sb_release(&old);
}

/*
 * Records of older versions (v1 digested whole files, v2 Rust with its
 * comments) are read for their file list; their digests are no stat cache:
 * every file is read again, and the key is the current one.
 */
static void test_an_older_record_is_read_for_its_files(void **state)
{
	(void)state;
	struct unit_key k, back, now;
	struct strbuf err = STRBUF_INIT, text = STRBUF_INIT;
	const char *versions[] = { "unit-v1", "unit-v2" };

	compute_as(&k, NULL, "m", "--test");
	assert_int_equal(unitkey_write(&k, rec.buf, &err), 0);
	assert_int_equal(sb_read_file(&text, rec.buf), 0);
	assert_int_equal(strncmp(text.buf, "unit-v3\t", 8), 0);
	assert_int_equal(unitkey_read(&back, rec.buf, &err), 1);
	assert_false(back.legacy);
	unsigned long before = hash_files_read;
	assert_int_equal(unitkey_refresh(&now, &back, &err), 0);
	assert_int_equal(hash_files_read - before, 0);
	unitkey_release(&now);
	unitkey_release(&back);
	for (size_t v = 0; v < 2; v++) {
		write_as_version(text.buf, versions[v], v == 1);
		assert_int_equal(unitkey_read(&back, rec.buf, &err), 1);
		assert_true(back.legacy);
		assert_false(back.without_tests);
		assert_int_equal(back.nfiles, k.nfiles);
		before = hash_files_read;
		assert_int_equal(unitkey_refresh(&now, &back, &err), 0);
		assert_int_equal(hash_files_read - before, k.nfiles);
		assert_string_equal(now.key, k.key);
		unitkey_release(&now);
		/* Nor is it a stat cache for a computation. */
		before = hash_files_read;
		compute_as(&now, &back, "m", "--test");
		assert_int_equal(hash_files_read - before, k.nfiles);
		unitkey_release(&now);
		unitkey_release(&back);
	}
	/* A header with a kind no version wrote is corrupt. */
	char *kind = strstr(text.buf, "\tall\n");
	memcpy(kind + 1, "any", 3);
	write_aged(rec.buf, text.buf, 60);
	assert_int_equal(unitkey_read(&back, rec.buf, &err), -1);
	unitkey_release(&back);
	unitkey_release(&k);
	sb_release(&err);
	sb_release(&text);
}

#define EARLIER "0123456789abcdef0123456789abcdef"

/* The unit's record as the version before an upgrade wrote it: its key was EARLIER. */
static void write_record_of_older_version(const struct unit_key *k)
{
	struct strbuf err = STRBUF_INIT, text = STRBUF_INIT;
	assert_int_equal(unitkey_write(k, rec.buf, &err), 0);
	assert_int_equal(sb_read_file(&text, rec.buf), 0);
	char *key = strstr(text.buf, k->key);
	assert_non_null(key);
	memcpy(key, EARLIER, strlen(EARLIER));
	write_as_version(text.buf, "unit-v2", true);
	sb_release(&err);
	sb_release(&text);
}

static void read_record(struct unit_key *k)
{
	struct strbuf err = STRBUF_INIT;
	assert_int_equal(unitkey_read(k, rec.buf, &err), 1);
	sb_release(&err);
}

/*
 * After an upgrade that changes how code is digested, the older record's key
 * (the one a profile of that version holds) stays with the unit while its
 * files are as they were, through this version's records, until the code
 * changes; a file touched since, or too recent to trust, cannot vouch for it.
 */
static void test_an_upgrade_keeps_the_earlier_key(void **state)
{
	(void)state;
	struct unit_key k, old, now, back;
	struct strbuf err = STRBUF_INIT;

	compute_as(&k, NULL, "m", "--test");
	assert_string_equal(k.earlier_key, "");
	assert_false(unitkey_matches(&k, EARLIER));
	write_record_of_older_version(&k);
	read_record(&old);
	assert_true(old.legacy);
	assert_int_equal(unitkey_refresh(&now, &old, &err), 0);
	assert_string_equal(now.key, k.key);
	assert_string_equal(now.earlier_key, EARLIER);
	assert_true(unitkey_matches(&now, EARLIER));
	assert_true(unitkey_matches(&now, k.key));
	unitkey_release(&now);

	/* Compiled again: the new record keeps it, and hands it on. */
	compute_as(&now, &old, "m", "--test");
	assert_string_equal(now.earlier_key, EARLIER);
	assert_int_equal(unitkey_write(&now, rec.buf, &err), 0);
	unitkey_release(&now);
	read_record(&back);
	assert_false(back.legacy);
	assert_string_equal(back.earlier_key, EARLIER);
	/* A comment edit leaves the code, and the key, as they were. */
	write_aged(b_rs.buf, "// the answer\npub fn f() -> u32 { 1 }\n", 50);
	compute_as(&now, &back, "m", "--test");
	assert_string_equal(now.key, k.key);
	assert_string_equal(now.earlier_key, EARLIER);
	unitkey_release(&now);
	/* A code edit makes it other code. */
	write_aged(b_rs.buf, "pub fn f() -> u32 { 2 }\n", 40);
	compute_as(&now, &back, "m", "--test");
	assert_string_equal(now.earlier_key, "");
	assert_false(unitkey_matches(&now, EARLIER));
	unitkey_release(&now);
	/* And so it reads when re-keyed from the record (status, build's prediction). */
	assert_int_equal(unitkey_refresh(&now, &back, &err), 0);
	assert_string_equal(now.earlier_key, "");
	unitkey_release(&now);
	unitkey_release(&back);
	write_aged(b_rs.buf, "pub fn f() -> u32 { 1 }\n", 60);
	unitkey_release(&old);

	/* Touched since the older version read it (same bytes, other stat): not vouched for. */
	unitkey_release(&k);
	compute_as(&k, NULL, "m", "--test");
	write_record_of_older_version(&k);
	write_aged(b_rs.buf, "pub fn f() -> u32 { 1 }\n", 30);
	read_record(&old);
	assert_int_equal(unitkey_refresh(&now, &old, &err), 0);
	assert_string_equal(now.key, k.key);
	assert_string_equal(now.earlier_key, "");
	unitkey_release(&now);
	unitkey_release(&old);
	/* Modified within the racy window: its stat cannot vouch for it either. */
	write_aged(b_rs.buf, "pub fn f() -> u32 { 1 }\n", 0);
	unitkey_release(&k);
	compute_as(&k, NULL, "m", "--test");
	write_record_of_older_version(&k);
	read_record(&old);
	assert_int_equal(unitkey_refresh(&now, &old, &err), 0);
	assert_string_equal(now.earlier_key, "");
	unitkey_release(&now);
	unitkey_release(&old);
	unitkey_release(&k);
	write_aged(b_rs.buf, "pub fn f() -> u32 { 1 }\n", 60);

	/* A header whose seventh field is no key is corrupt. */
	struct strbuf text = STRBUF_INIT;
	sb_addf(&text, "unit-v3\tx\tm\t%s\t%s\tall\tnot-a-key\n", EARLIER, EARLIER);
	write_aged(rec.buf, text.buf, 60);
	assert_int_equal(unitkey_read(&back, rec.buf, &err), -1);
	unitkey_release(&back);
	sb_release(&text);
	sb_release(&err);
}

/* A comment edit or a reformat keeps the key; a doc comment is code; other files are read whole. */
static void test_comments_and_layout_keep_the_key(void **state)
{
	(void)state;
	struct unit_key k, k2;

	compute(&k, NULL, "m");
	write_aged(b_rs.buf, "// the answer\npub fn f()->u32{\n    1 /* one */\n}\n", 50);
	compute(&k2, &k, "m");
	assert_string_equal(k2.key, k.key);
	unitkey_release(&k2);
	write_aged(b_rs.buf, "/// The answer.\npub fn f() -> u32 { 1 }\n", 40);
	compute(&k2, &k, "m");
	assert_string_not_equal(k2.key, k.key);
	unitkey_release(&k2);
	write_aged(b_rs.buf, "pub fn f() -> u32 { 1 }\n", 60);
	unitkey_release(&k);

	/* Not Rust (an include_bytes! of text, a C file): every byte counts. */
	struct strbuf txt = STRBUF_INIT, err = STRBUF_INIT;
	struct strvec src = STRVEC_INIT;
	path_join(&txt, dir, "data.txt");
	write_aged(txt.buf, "a  b // c\n", 60);
	sv_push(&src, txt.buf);
	assert_int_equal(unitkey_compute_sources(&k, "c", "m", "id", true, &src, "/nowhere", NULL, NULL, &err), 0);
	write_aged(txt.buf, "a b // c\n", 50);
	assert_int_equal(unitkey_compute_sources(&k2, "c", "m", "id", true, &src, "/nowhere", &k, NULL, &err), 0);
	assert_string_not_equal(k2.key, k.key);
	unitkey_release(&k);
	unitkey_release(&k2);
	sv_release(&src);
	sb_release(&txt);
	sb_release(&err);
}

/* Past 32 files the reads run on several threads; an error there is still reported. */
static void test_many_files_threaded(void **state)
{
	(void)state;
	struct strbuf d = STRBUF_INIT, many = STRBUF_INIT, f = STRBUF_INIT, err = STRBUF_INIT;
	struct unit_key k1, k2;
	struct rustc_args a;

	path_join(&many, dir, "many");
	assert_int_equal(mkdir_private(many.buf, 0700, &err), 0);
	sb_addf(&d, "%s/x:", many.buf);
	for (int i = 0; i < 40; i++) {
		sb_reset(&f);
		sb_addf(&f, "%s/f%02d.rs", many.buf, i);
		write_aged(f.buf, i % 2 ? "fn a() {}\n" : "fn b() { let x = 1; }\n", 60);
		sb_addf(&d, " %s", f.buf);
	}
	sb_addch(&d, '\n');
	sb_reset(&f);
	path_join(&f, many.buf, "x.d");
	write_aged(f.buf, d.buf, 60);
	parse_args(&a, "m");
	unsigned long before = hash_files_read;
	assert_int_equal(unitkey_compute(&k1, &a, f.buf, "/nowhere", NULL, NULL, &err), 0);
	assert_int_equal(k1.nfiles, 40);
	assert_int_equal(hash_files_read - before, 40);
	before = hash_files_read;
	assert_int_equal(unitkey_compute(&k2, &a, f.buf, "/nowhere", &k1, NULL, &err), 0);
	assert_int_equal(hash_files_read - before, 0);
	assert_string_equal(k1.key, k2.key);
	unitkey_release(&k1);
	unitkey_release(&k2);

	/* A directory listed as a source: stat works, reading fails in a worker thread. */
	sb_setlen(&d, d.len - 1);
	sb_addf(&d, " %s\n", many.buf);
	write_aged(f.buf, d.buf, 60);
	assert_int_equal(unitkey_compute(&k1, &a, f.buf, "/nowhere", NULL, NULL, &err), -1);
	assert_non_null(strstr(err.buf, "cannot read source"));
	assert_non_null(strstr(err.buf, "Is a directory"));
	unitkey_release(&k1);

	/* A FIFO listed as a source is refused before any read, which would wait for a writer for ever. */
	sb_reset(&err);
	sb_reset(&f);
	path_join(&f, many.buf, "fifo");
	assert_int_equal(mkfifo(f.buf, 0600), 0);
	sb_reset(&d);
	sb_addf(&d, "%s/x: %s/f00.rs %s\n", many.buf, many.buf, f.buf);
	sb_reset(&f);
	path_join(&f, many.buf, "x.d");
	write_aged(f.buf, d.buf, 60);
	assert_int_equal(unitkey_compute(&k1, &a, f.buf, "/nowhere", NULL, NULL, &err), -1);
	assert_non_null(strstr(err.buf, "is not a regular file"));
	unitkey_release(&k1);
	rustc_args_release(&a);
	sb_release(&d);
	sb_release(&many);
	sb_release(&f);
	sb_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_second_computation_reads_nothing),
		cmocka_unit_test(test_record_roundtrip_and_refresh),
		cmocka_unit_test(test_key_inputs),
		cmocka_unit_test(test_racy_files_are_reread),
		cmocka_unit_test(test_corrupt_record),
		cmocka_unit_test(test_many_files_threaded),
		cmocka_unit_test(test_test_items_key_only_the_test_build),
		cmocka_unit_test(test_an_older_record_is_read_for_its_files),
		cmocka_unit_test(test_comments_and_layout_keep_the_key),
		cmocka_unit_test(test_an_upgrade_keeps_the_earlier_key),
	};
	return cmocka_run_group_tests_name("unitkey", tests, setup, teardown);
}
