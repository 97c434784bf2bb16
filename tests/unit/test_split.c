/*
 * test_split.c - unit tests for the per-crate split (shim/split.c), with
 * the real llvm-profdata: which file each record goes to, the whole
 * profile's summary in every file, files kept byte for byte (and mtime)
 * when their records do not change, and the lookups the wrapper makes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/atomic.h"
#include "base/hash.h"
#include "base/path.h"
#include "base/settings.h"
#include "base/strbuf.h"
#include "store/manifest.h"
#include "store/split.h"
#include "cycle/splitter.h"
#include "tempdir.h"

static const char *tool = "llvm-profdata-22";

static void put(const char *name, const char *text)
{
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;
	path_join(&path, dir, name);
	if (write_file_atomic(path.buf, text, strlen(text), NULL, &err) != 0)
		fail_msg("%s", err.buf);
	sb_release(&path);
	sb_release(&err);
}

static void record(struct strbuf *t, const char *name, unsigned long hash, unsigned long c0, unsigned long c1)
{
	sb_addf(t, "%s\n# Func Hash:\n%lu\n# Num Counters:\n2\n# Counter Values:\n%lu\n%lu\n\n", name, hash, c0, c1);
}

/* p.profdata, indexed from the text form t (kept as p.proftext). */
static void write_profile(const struct strbuf *t)
{
	struct strbuf cmd = STRBUF_INIT;
	put("p.proftext", t->buf);
	sb_addf(&cmd, "cd '%s' && %s merge -o p.profdata p.proftext", dir, tool);
	assert_int_equal(system(cmd.buf), 0);
	sb_release(&cmd);
}

/*
 * A profile of lib a (fa), lib b (fb), program p (fp; its list holds a's
 * and b's names too) and a function no unit lists (orphan); b's count is
 * given, the rest dominate the summary.
 */
static void make_profile(unsigned long b_count)
{
	struct strbuf t = STRBUF_INIT;
	sb_adds(&t, "# IR level Instrumentation Flag\n:ir\n");
	record(&t, "a.1-cgu.0;fa", 11, 1000000, 400000);
	record(&t, "fb", 22, b_count, b_count);
	record(&t, "fp", 33, 500000, 7);
	record(&t, "orphan", 44, 3, 1);
	write_profile(&t);
	sb_release(&t);
}

static void make_units(struct manifest *m)
{
	struct strbuf units = STRBUF_INIT, err = STRBUF_INIT;
	path_join(&units, dir, "units");
	assert_int_equal(mkdir_private(units.buf, 0700, &err), 0);
	put("units/a-m1.unit.names", "lib\na.1-cgu.0;fa\n");
	put("units/b-m2.unit.names", "lib\nfb\n");
	put("units/p-m3.unit.names", "program\na.1-cgu.0;fa\nfb\nfp\n");
	memset(m, 0, sizeof(*m));
	manifest_add_crate(m, "a", "m1", "k1");
	manifest_add_crate(m, "b", "m2", "k2");
	manifest_add_crate(m, "p", "m3", "k3");
	manifest_add_crate(m, "c:native", "m4", "k4"); /* C units keep the whole profile */
	sb_release(&units);
	sb_release(&err);
}

static int run_split(struct manifest *m, const char *key, struct splitter_stats *st, struct strbuf *why)
{
	struct strbuf prof = STRBUF_INIT, text = STRBUF_INIT, err = STRBUF_INIT;
	path_join(&prof, dir, "p.profdata");
	path_join(&text, dir, "p.proftext");
	struct splitter_input in = { dir, key, prof.buf, text.buf, tool, m };
	int rc = splitter_run(&in, st, why, &err);
	if (rc < 0)
		fail_msg("%s", err.buf);
	sb_release(&prof);
	sb_release(&text);
	sb_release(&err);
	return rc;
}

static void file_of(const char *unit, struct strbuf *out)
{
	sb_reset(out);
	sb_addf(out, "%s/split/%s.profdata", dir, unit);
}

/* The records a file holds, as llvm-profdata lists them. */
static void names_in(const char *file, struct strbuf *out)
{
	struct strbuf cmd = STRBUF_INIT, listing = STRBUF_INIT;
	sb_reset(out);
	sb_addf(&cmd, "%s show --all-functions '%s' | sed -n 's/^  \\([^ ].*\\):$/\\1/p' | sort | tr '\\n' ' ' >'%s/names'",
		tool, file, dir);
	assert_int_equal(system(cmd.buf), 0);
	sb_reset(&listing);
	sb_addf(&listing, "%s/names", dir);
	assert_int_equal(sb_read_file(out, listing.buf), 0);
	sb_release(&cmd);
	sb_release(&listing);
}

/* The summary words after the 9-word header. */
static void summary_of(const char *file, struct strbuf *out)
{
	struct strbuf img = STRBUF_INIT;
	assert_int_equal(sb_read_file(&img, file), 0);
	assert_true(img.len > 72 + 448);
	sb_reset(out);
	sb_add(out, img.buf + 72, 448);
	sb_release(&img);
}

static void test_split_by_unit(void **state)
{
	(void)state;
	struct manifest m;
	struct splitter_stats st;
	struct strbuf why = STRBUF_INIT, f = STRBUF_INIT, names = STRBUF_INIT, whole = STRBUF_INIT, part = STRBUF_INIT;

	make_profile(10);
	make_units(&m);
	assert_int_equal(run_split(&m, "key1", &st, &why), 0);
	assert_int_equal(st.crates, 4); /* a, b, p and -none; not the C unit */
	assert_int_equal(st.rewritten, 4);
	assert_int_equal(st.shared, 1);
	file_of("a-m1", &f);
	names_in(f.buf, &names);
	assert_string_equal(names.buf, "a.1-cgu.0;fa orphan ");
	file_of("p-m3", &f);
	names_in(f.buf, &names);
	assert_string_equal(names.buf, "fp orphan "); /* its libraries' functions are theirs */
	file_of("-none", &f);
	names_in(f.buf, &names);
	assert_string_equal(names.buf, "orphan ");
	/* Every file carries the whole profile's summary. */
	struct strbuf wpath = STRBUF_INIT;
	path_join(&wpath, dir, "p.profdata");
	summary_of(wpath.buf, &whole);
	file_of("b-m2", &f);
	summary_of(f.buf, &part);
	assert_memory_equal(whole.buf, part.buf, 448);
	sb_release(&wpath);
	manifest_release(&m);
	sb_release(&why);
	sb_release(&f);
	sb_release(&names);
	sb_release(&whole);
	sb_release(&part);
}

static void test_unchanged_files_are_kept(void **state)
{
	(void)state;
	struct manifest m;
	struct splitter_stats st;
	struct strbuf why = STRBUF_INIT, a = STRBUF_INIT, b = STRBUF_INIT;
	struct stat before_a, before_b, after_a, after_b;

	make_profile(10);
	make_units(&m);
	assert_int_equal(run_split(&m, "key1", &st, &why), 0);
	file_of("a-m1", &a);
	file_of("b-m2", &b);
	assert_int_equal(stat(a.buf, &before_a), 0);
	assert_int_equal(stat(b.buf, &before_b), 0);
	usleep(20000);
	/* The same profile again: nothing is rewritten. */
	assert_int_equal(run_split(&m, "key2", &st, &why), 0);
	assert_int_equal(st.rewritten, 0);
	/* b's counts move by a tenth: b's file alone changes; the others keep their bytes and mtime. */
	make_profile(11);
	assert_int_equal(run_split(&m, "key3", &st, &why), 0);
	assert_int_equal(st.rewritten, 1);
	assert_int_equal(stat(a.buf, &after_a), 0);
	assert_int_equal(stat(b.buf, &after_b), 0);
	assert_true(before_a.st_mtim.tv_sec == after_a.st_mtim.tv_sec && before_a.st_mtim.tv_nsec == after_a.st_mtim.tv_nsec);
	assert_false(before_b.st_mtim.tv_sec == after_b.st_mtim.tv_sec && before_b.st_mtim.tv_nsec == after_b.st_mtim.tv_nsec);
	/* Every file still carries one summary (LTO links no modules whose summaries differ). */
	struct strbuf sa = STRBUF_INIT, sb = STRBUF_INIT;
	summary_of(a.buf, &sa);
	summary_of(b.buf, &sb);
	assert_memory_equal(sa.buf, sb.buf, 448);
	sb_release(&sa);
	sb_release(&sb);
	/* b's count ten times higher moves the thresholds: every file gets the new summary. */
	make_profile(110);
	assert_int_equal(run_split(&m, "key4", &st, &why), 0);
	assert_int_equal(st.rewritten, 4);
	manifest_release(&m);
	sb_release(&why);
	sb_release(&a);
	sb_release(&b);
}

/* A unit record naming the crate root root, and a build dir's stamp naming build_dir. */
static void put_unit_record(const char *unit_crate, const char *metadata, const char *root)
{
	struct strbuf name = STRBUF_INIT, text = STRBUF_INIT;
	sb_addf(&name, "units/%s-%s.unit", unit_crate, metadata);
	sb_addf(&text, "unit-v3\t%s\t%s\t%032d\t%032d\tno-tests\n", unit_crate, metadata, 0, 0);
	sb_addf(&text, "f\t1\t2\t3\t4\t5\t%032d\tsrc/lib.rs\t%s\n", 0, root);
	put(name.buf, text.buf);
	sb_release(&name);
	sb_release(&text);
}

/* n uplifted dep-info files in <dir>/t/release, each listing the given roots. */
static void put_uplifted(int n, const char *roots)
{
	struct strbuf err = STRBUF_INIT, name = STRBUF_INIT, text = STRBUF_INIT, bdir = STRBUF_INIT;
	path_join(&bdir, dir, "t");
	(void)mkdir_private(bdir.buf, 0700, &err);
	sb_adds(&bdir, "/release");
	(void)mkdir_private(bdir.buf, 0700, &err);
	path_join(&name, dir, "stamps");
	(void)mkdir_private(name.buf, 0700, &err);
	sb_reset(&text);
	sb_addf(&text, "use %s/split\n%s\n", dir, bdir.buf);
	put("stamps/0123456789abcdef0123456789abcdef", text.buf);
	for (int i = 0; i < 16; i++) {
		sb_reset(&name);
		sb_addf(&name, "t/release/m%d.d", i);
		sb_reset(&text);
		if (i < n)
			sb_addf(&text, "%s/t/release/m%d: %s\n", dir, i, roots);
		else
			sb_addf(&text, "%s/t/release/m%d: /elsewhere/lib.rs\n", dir, i);
		put(name.buf, text.buf);
	}
	sb_release(&err);
	sb_release(&name);
	sb_release(&text);
	sb_release(&bdir);
}

/*
 * A unit that SPLIT_SHARED_LISTINGS of cargo's uplifted dep-info files list
 * shares one file with the others so listed: cargo reads each path a local
 * unit lists once per artifact above it.
 */
static void test_units_many_artifacts_list_share_a_file(void **state)
{
	(void)state;
	struct manifest m;
	struct splitter_stats st;
	struct strbuf why = STRBUF_INIT, d = STRBUF_INIT, f = STRBUF_INIT, h = STRBUF_INIT, want = STRBUF_INIT;
	struct strbuf names = STRBUF_INIT, ix = STRBUF_INIT, path = STRBUF_INIT;

	make_profile(10);
	make_units(&m);
	put_unit_record("a", "m1", "/ws/a/src/lib.rs");
	put_unit_record("b", "m2", "/ws/b/src/lib.rs");
	/* a is listed by 8 artifacts, b by 7 (with a, in the same files): b keeps its own. */
	put_uplifted(SPLIT_SHARED_LISTINGS, "/ws/a/src/lib.rs /ws/b/src/lib.rs");
	put("t/release/m0.d", "x: /ws/a/src/lib.rs\n");
	assert_int_equal(run_split(&m, "key8", &st, &why), 0);
	assert_int_equal(st.grouped, 1);
	assert_int_equal(st.crates, 4); /* b, p, -shared, -none */
	assert_int_equal(split_count(dir, "key8"), 4);
	assert_int_equal(split_lookup(dir, "key8", "a", "m1", &d, &f, &h), 1);
	file_of(SPLIT_SHARED_NAME, &want);
	assert_string_equal(f.buf, want.buf);
	/* The shared file holds a's records and those of no single unit, not b's. */
	names_in(f.buf, &names);
	assert_string_equal(names.buf, "a.1-cgu.0;fa orphan ");
	sb_reset(&d), sb_reset(&f), sb_reset(&h);
	assert_int_equal(split_lookup(dir, "key8", "b", "m2", &d, &f, &h), 1);
	file_of("b-m2", &want);
	assert_string_equal(f.buf, want.buf);
	file_of("a-m1", &want);
	assert_int_not_equal(access(want.buf, F_OK), 0);
	/* Older readers, which would give a the "-none" file, see another version. */
	sb_addf(&path, "%s/split/INDEX", dir);
	assert_int_equal(sb_read_file(&ix, path.buf), 0);
	assert_int_equal(strncmp(ix.buf, "pgow-split-v3\t", 14), 0);
	/* A line naming the shared file with another hash than the file's own line: damaged. */
	struct strbuf first = STRBUF_INIT, bad = STRBUF_INIT;
	assert_int_equal(split_damaged(dir, "key8", &first), 0);
	const char *line = strstr(ix.buf, "\na-m1\t");
	assert_non_null(line);
	sb_add(&bad, ix.buf, (size_t)(line - ix.buf) + 1 + 5 + 33);
	sb_adds(&bad, "00000000000000000000000000000000");
	sb_adds(&bad, line + 1 + 5 + 33 + 32);
	struct strbuf e = STRBUF_INIT;
	struct atomic_opts o = { .mode = 0600 };
	assert_int_equal(write_file_atomic(path.buf, bad.buf, bad.len, &o, &e), 0);
	assert_int_equal(split_damaged(dir, "key8", &first), 1);
	file_of(SPLIT_SHARED_NAME, &want);
	assert_string_equal(first.buf, want.buf);
	assert_int_equal(write_file_atomic(path.buf, ix.buf, ix.len, &o, &e), 0);
	sb_release(&first);
	sb_release(&bad);
	sb_release(&e);
	/* The same profile again: nothing is rewritten. */
	assert_int_equal(run_split(&m, "key9", &st, &why), 0);
	assert_int_equal(st.rewritten, 0);
	/* Listed less often: a has its own file again, and the index its first version. */
	put_uplifted(SPLIT_SHARED_LISTINGS - 1, "/ws/a/src/lib.rs");
	assert_int_equal(run_split(&m, "key10", &st, &why), 0);
	assert_int_equal(st.grouped, 0);
	assert_int_equal(st.rewritten, 1);
	sb_reset(&d), sb_reset(&f), sb_reset(&h);
	assert_int_equal(split_lookup(dir, "key10", "a", "m1", &d, &f, &h), 1);
	file_of("a-m1", &want);
	assert_string_equal(f.buf, want.buf);
	sb_reset(&ix);
	assert_int_equal(sb_read_file(&ix, path.buf), 0);
	assert_int_equal(strncmp(ix.buf, "pgow-split-v2\t", 14), 0);
	/* The tests after this one split with no build dir. */
	sb_reset(&path);
	sb_addf(&path, "rm -rf '%s/t' '%s/stamps'", dir, dir);
	assert_int_equal(system(path.buf), 0);
	manifest_release(&m);
	sb_release(&why);
	sb_release(&d);
	sb_release(&f);
	sb_release(&h);
	sb_release(&want);
	sb_release(&names);
	sb_release(&ix);
	sb_release(&path);
}

/* An index line of a unit sharing a file: the name is ours ("-..."), never a path. */
static void test_index_line_of_a_shared_file(void **state)
{
	(void)state;
	struct strbuf ix = STRBUF_INIT, part = STRBUF_INIT;
	char t[HASH_HEX_LEN + 1], f[HASH_HEX_LEN + 1];
	const char *h = "0123456789abcdef0123456789abcdef";

	sb_adds(&ix, "pgow-split-v3\tk\t00\n");
	sb_addf(&ix, "a-m1\t%s\t%s\t-shared\n", h, h);
	sb_addf(&ix, "b-m2\t%s\t%s\n", h, h);
	sb_addf(&ix, "c-m3\t%s\t%s\t../../etc/passwd\n", h, h);
	sb_addf(&ix, "d-m4\t%s\t%s\t-\n", h, h);
	assert_true(split_index_entry(&ix, "a-m1", t, f, &part));
	assert_string_equal(part.buf, "-shared");
	assert_true(split_index_entry(&ix, "b-m2", t, f, &part));
	assert_string_equal(part.buf, "b-m2");
	assert_false(split_index_entry(&ix, "c-m3", t, f, &part));
	assert_false(split_index_entry(&ix, "d-m4", t, f, &part));
	sb_release(&ix);
	sb_release(&part);
}

static void test_lookup(void **state)
{
	(void)state;
	struct manifest m;
	struct splitter_stats st;
	struct strbuf why = STRBUF_INIT, d = STRBUF_INIT, f = STRBUF_INIT, h = STRBUF_INIT, want = STRBUF_INIT;

	make_profile(10);
	make_units(&m);
	assert_int_equal(run_split(&m, "key5", &st, &why), 0);
	assert_int_equal(split_lookup(dir, "key5", "a", "m1", &d, &f, &h), 1);
	file_of("a-m1", &want);
	assert_string_equal(f.buf, want.buf);
	assert_int_equal(strlen(h.buf), 32);
	sb_reset(&d), sb_reset(&f), sb_reset(&h);
	/* A unit the profile does not know (a test harness) gets the shared records only. */
	assert_int_equal(split_lookup(dir, "key5", "a", "other", &d, &f, &h), 1);
	file_of("-none", &want);
	assert_string_equal(f.buf, want.buf);
	sb_reset(&d), sb_reset(&f), sb_reset(&h);
	/* Another profile is current: no split. */
	assert_int_equal(split_lookup(dir, "key4", "a", "m1", &d, &f, &h), 0);
	/* SPLIT=0 is read when a profile is stored (and by build): a stored split is still given. */
	setenv(ENV_SPLIT, "0", 1);
	assert_int_equal(split_lookup(dir, "key5", "a", "m1", &d, &f, &h), 1);
	sb_reset(&d), sb_reset(&f), sb_reset(&h);
	assert_int_equal(run_split(&m, "key6", &st, &why), 1);
	assert_non_null(strstr(why.buf, ENV_SPLIT));
	unsetenv(ENV_SPLIT);
	/* Units that listed nothing (profiles merged with --foreign): kept whole. */
	struct manifest none;
	memset(&none, 0, sizeof(none));
	manifest_add_crate(&none, "q", "m9", "k9");
	sb_reset(&why);
	assert_int_equal(run_split(&none, "key7", &st, &why), 1);
	assert_non_null(strstr(why.buf, "--foreign"));
	manifest_release(&none);
	manifest_release(&m);
	sb_release(&why);
	sb_release(&d);
	sb_release(&f);
	sb_release(&h);
	sb_release(&want);
}

/*
 * Lists that cannot say everything: a library without one, an LTO library
 * (bitcode: only its modules), two programs listing one function. What no
 * single unit surely compiled goes to every file.
 */
static void test_incomplete_lists(void **state)
{
	(void)state;
	struct manifest m;
	struct splitter_stats st;
	struct strbuf why = STRBUF_INIT, f = STRBUF_INIT, names = STRBUF_INIT, path = STRBUF_INIT, err = STRBUF_INIT;

	make_profile(10);
	make_units(&m);
	path_join(&path, dir, "units/b-m2.unit.names");
	assert_int_equal(unlink(path.buf), 0);
	assert_int_equal(run_split(&m, "key8", &st, &why), 0);
	file_of("a-m1", &f);
	names_in(f.buf, &names);
	/* b may have compiled fb or fp: the program claims neither. */
	assert_string_equal(names.buf, "a.1-cgu.0;fa fb fp orphan ");
	assert_int_equal(st.shared, 3);

	manifest_release(&m);
	make_units(&m);
	put("units/a-m1.unit.names", "lib partial\n@a.1-cgu.0\n");
	assert_int_equal(run_split(&m, "key9", &st, &why), 0);
	file_of("a-m1", &f);
	names_in(f.buf, &names);
	/* a's local function by its module; the global fp may be a's: shared. */
	assert_string_equal(names.buf, "a.1-cgu.0;fa fp orphan ");
	file_of("b-m2", &f);
	names_in(f.buf, &names);
	assert_string_equal(names.buf, "fb fp orphan ");

	manifest_release(&m);
	make_units(&m);
	put("units/q-m5.unit.names", "program\nfp\n");
	manifest_add_crate(&m, "q", "m5", "k5");
	assert_int_equal(run_split(&m, "key10", &st, &why), 0);
	file_of("p-m3", &f);
	names_in(f.buf, &names);
	assert_string_equal(names.buf, "fp orphan "); /* shared, since q lists it too */
	file_of("a-m1", &f);
	names_in(f.buf, &names);
	assert_string_equal(names.buf, "a.1-cgu.0;fa fp orphan ");
	manifest_release(&m);
	sb_release(&why);
	sb_release(&f);
	sb_release(&names);
	sb_release(&path);
	sb_release(&err);
}

/* The DEFINED lines of the current split of key, as "lib unit counts;" each. */
static void defined_of(const char *key, struct strbuf *out)
{
	struct strbuf lines = STRBUF_INIT, lib = STRBUF_INIT, unit = STRBUF_INIT;
	unsigned long long counts;

	sb_reset(out);
	assert_true(split_defined_read(dir, key, &lines));
	for (const char *p = lines.buf; split_defined_next(&p, &lib, &unit, &counts);)
		sb_addf(out, "%s %s %llu;", lib.buf, unit.buf, counts);
	sb_release(&lines);
	sb_release(&lib);
	sb_release(&unit);
}

/*
 * A library's generic compiled into a program is the program's record, and
 * DEFINED counts it for the library; a program's own function, another
 * crate's generic (core's) and a library's own record are not listed.
 */
static void test_defined_elsewhere(void **state)
{
	(void)state;
	struct manifest m;
	struct splitter_stats st;
	struct strbuf why = STRBUF_INIT, t = STRBUF_INIT, got = STRBUF_INIT;

	sb_adds(&t, "# IR level Instrumentation Flag\n:ir\n");
	record(&t, "_ZN1a2fa17h0123456789abcdefE", 11, 100, 1);
	record(&t, "p.3-cgu.0;_ZN1a7generic17h1123456789abcdefE", 22, 5000, 2);
	record(&t, "p.3-cgu.1;_ZN41_$LT$a..S$u20$as$u20$core..fmt..Debug$GT$3fmt17h2123456789abcdefE", 33, 40, 0);
	record(&t, "p.3-cgu.0;_ZN4core4iter4fold17h3123456789abcdefE", 44, 700, 0);
	record(&t, "_ZN1p4main17h4123456789abcdefE", 55, 9, 0);
	write_profile(&t);
	make_units(&m);
	put("units/a-m1.unit.names", "lib\n_ZN1a2fa17h0123456789abcdefE\n");
	put("units/p-m3.unit.names", "program\np.3-cgu.0;_ZN1a7generic17h1123456789abcdefE\n"
				     "p.3-cgu.1;_ZN41_$LT$a..S$u20$as$u20$core..fmt..Debug$GT$3fmt17h2123456789abcdefE\n"
				     "p.3-cgu.0;_ZN4core4iter4fold17h3123456789abcdefE\n_ZN1p4main17h4123456789abcdefE\n");
	assert_int_equal(run_split(&m, "key11", &st, &why), 0);
	defined_of("key11", &got);
	assert_string_equal(sb_str(&got), "a-m1 p-m3 5042;"); /* the generic, and a's type's Debug impl */
	/* Of another profile: not read. */
	struct strbuf lines = STRBUF_INIT;
	assert_false(split_defined_read(dir, "key12", &lines));
	/* Lines that are not three fields, or whose count is not a number, are skipped. */
	const char *text = "a-m1\tp-m3\n\tp-m3\t5\na-m1\t\t5\na-m1\tp-m3\t5x\na-m1\tp-m3\t-5\nb-m2\tp-m3\t7";
	{
		struct strbuf lib = STRBUF_INIT, unit = STRBUF_INIT;
		unsigned long long counts = 0;
		const char *p = text;
		assert_true(split_defined_next(&p, &lib, &unit, &counts));
		assert_string_equal(lib.buf, "b-m2");
		assert_string_equal(unit.buf, "p-m3");
		assert_true(counts == 7);
		assert_false(split_defined_next(&p, &lib, &unit, &counts));
		sb_release(&lib);
		sb_release(&unit);
	}
	manifest_release(&m);
	sb_release(&lines);
	sb_release(&why);
	sb_release(&t);
	sb_release(&got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_by_unit),
		cmocka_unit_test(test_unchanged_files_are_kept),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_units_many_artifacts_list_share_a_file),
		cmocka_unit_test(test_index_line_of_a_shared_file),
		cmocka_unit_test(test_incomplete_lists),
		cmocka_unit_test(test_defined_elsewhere),
	};
	if (access("/usr/lib/llvm-22/bin/llvm-profdata", X_OK) == 0)
		tool = "/usr/lib/llvm-22/bin/llvm-profdata";
	return cmocka_run_group_tests(tests, tempdir_setup, tempdir_teardown);
}
