/*
 * test_depinfo.c - unit tests for dep-info rewriting (shim/depinfo.c) and
 * the decision/stamp helpers it serves.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/atomic.h"
#include "base/path.h"
#include "base/settings.h"
#include "base/strbuf.h"
#include "formats/depinfo.h"
#include "store/stamp.h"
#include "wrapper/decision.h"
#include "tempdir.h"

static void write_text(const char *path, const char *text)
{
	struct strbuf err = STRBUF_INIT;
	assert_int_equal(write_file_atomic(path, text, strlen(text), NULL, &err), 0);
	sb_release(&err);
}

static char *read_text(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	assert_int_equal(sb_read_file(&sb, path), 0);
	return sb_detach(&sb);
}

static const char rustc_d[] =
	"/t/deps/x-1.d: src/lib.rs src/a.rs\n"
	"\n"
	"/t/deps/libx-1.rlib: src/lib.rs src/a.rs\n"
	"\n"
	"src/lib.rs:\n"
	"src/a.rs:\n"
	"\n"
	"# env-dep:CARGO_PKG_NAME=x\n";

static void test_appends_to_every_rule(void **state)
{
	(void)state;
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;
	struct strvec files = STRVEC_INIT, envs = STRVEC_INIT;

	path_join(&path, dir, "x-1.d");
	write_text(path.buf, rustc_d);
	sv_push(&files, "/cache dir/STAMP");
	sv_push(&envs, "PGOW_TEST_SET");
	sv_push(&envs, "PGOW_TEST_UNSET");
	setenv("PGOW_TEST_SET", "a\\b\nc", 1);
	unsetenv("PGOW_TEST_UNSET");
	assert_int_equal(depinfo_append(path.buf, &files, &envs, NULL, &err), 0);

	char *got = read_text(path.buf);
	assert_string_equal(got,
		"/t/deps/x-1.d: src/lib.rs src/a.rs /cache\\ dir/STAMP\n"
		"\n"
		"/t/deps/libx-1.rlib: src/lib.rs src/a.rs /cache\\ dir/STAMP\n"
		"\n"
		"src/lib.rs:\n"
		"src/a.rs:\n"
		"\n"
		"# env-dep:CARGO_PKG_NAME=x\n"
		"/cache\\ dir/STAMP:\n"
		"# env-dep:PGOW_TEST_SET=a\\\\b\\nc\n"
		"# env-dep:PGOW_TEST_UNSET\n");

	/* Running again (rustc left the file alone) adds nothing twice. */
	assert_int_equal(depinfo_append(path.buf, &files, &envs, NULL, &err), 0);
	char *again = read_text(path.buf);
	assert_string_equal(got, again);
	free(got);
	free(again);
	sv_release(&files);
	sv_release(&envs);
	sb_release(&path);
	sb_release(&err);
}

static void test_missing_file_is_an_error(void **state)
{
	(void)state;
	struct strbuf err = STRBUF_INIT;
	struct strvec files = STRVEC_INIT, envs = STRVEC_INIT;

	sv_push(&files, "/s");
	assert_int_equal(depinfo_append("/nonexistent/x.d", &files, &envs, NULL, &err), -1);
	assert_non_null(strstr(err.buf, "cannot read dep-info /nonexistent/x.d"));
	sv_release(&files);
	sb_release(&err);
}

static int stamp_time_calls;
static void time_t1(struct timespec *out)
{
	stamp_time_calls++;
	out->tv_sec = 1000000000;
	out->tv_nsec = 0;
}
static void time_t2(struct timespec *out)
{
	stamp_time_calls++;
	out->tv_sec = 1100000000;
	out->tv_nsec = 0;
}

static void test_stamp_rewritten_only_on_change(void **state)
{
	(void)state;
	struct strbuf stamp = STRBUF_INIT, err = STRBUF_INIT;
	struct timespec t1, t2;
	struct stat st;

	time_t1(&t1);
	time_t2(&t2);
	stamp_time_calls = 0;
	path_join(&stamp, dir, "STAMP");
	assert_int_equal(stamp_sync(stamp.buf, "generate /p", time_t1, &err), 0);
	assert_int_equal(stat(stamp.buf, &st), 0);
	assert_int_equal(st.st_mtime, t1.tv_sec);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stamp_sync(stamp.buf, "generate /p", time_t2, &err), 0);
	assert_int_equal(stat(stamp.buf, &st), 0);
	assert_int_equal(st.st_mtime, t1.tv_sec); /* same decision: untouched */
	assert_int_equal(stamp_time_calls, 1);    /* and the clock not even asked */
	assert_int_equal(stamp_sync(stamp.buf, "use /p.profdata", time_t2, &err), 0);
	assert_int_equal(stat(stamp.buf, &st), 0);
	assert_int_equal(st.st_mtime, t2.tv_sec);
	char *text = read_text(stamp.buf);
	assert_string_equal(text, "use /p.profdata\n");
	free(text);
	sb_release(&stamp);
	sb_release(&err);
}

static void test_decision_from_env(void **state)
{
	(void)state;
	struct decision d;
	struct strbuf err = STRBUF_INIT, id = STRBUF_INIT;

	unsetenv(ENV_MODE);
	assert_int_equal(decision_from_env(&d, &err), 0);
	assert_int_equal(d.mode, PGO_AUTO); /* no override: the cache decides */
	setenv(ENV_MODE, "off", 1);
	assert_int_equal(decision_from_env(&d, &err), 0);
	assert_int_equal(d.mode, PGO_OFF);
	setenv(ENV_MODE, "use", 1);
	setenv(ENV_PROFILE, "/abs/p.profdata", 1);
	assert_int_equal(decision_from_env(&d, &err), 0);
	assert_int_equal(d.mode, PGO_USE);
	decision_id(&d, &id);
	assert_string_equal(id.buf, "use /abs/p.profdata");
	decision_release(&d);
	setenv(ENV_PROFILE, "rel/p.profdata", 1);
	assert_int_equal(decision_from_env(&d, &err), -1);
	assert_non_null(strstr(err.buf, "is a relative path"));
	sb_reset(&err);
	setenv(ENV_MODE, "Generate", 1);
	assert_int_equal(decision_from_env(&d, &err), -1);
	assert_non_null(strstr(err.buf, "is not a mode; set it to generate, use or off"));
	unsetenv(ENV_MODE);
	unsetenv(ENV_PROFILE);
	sb_release(&err);
	sb_release(&id);
}

static void test_private_dir_checks(void **state)
{
	(void)state;
	struct strbuf sub = STRBUF_INIT, link = STRBUF_INIT, err = STRBUF_INIT;
	struct stat st;

	path_join(&sub, dir, "a/b/cache");
	assert_int_equal(mkdir_private(sub.buf, 0700, &err), 0);
	assert_int_equal(stat(sub.buf, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	path_join(&link, dir, "link");
	assert_int_equal(symlink(sub.buf, link.buf), 0);
	assert_int_equal(mkdir_private(link.buf, 0700, &err), -1);
	assert_non_null(strstr(err.buf, "is a symlink; refusing to follow it"));

	sb_reset(&err);
	assert_int_equal(chmod(sub.buf, 0777), 0);
	assert_int_equal(mkdir_private(sub.buf, 0700, &err), -1);
	assert_non_null(strstr(err.buf, "is writable by other users"));
	sb_release(&sub);
	sb_release(&link);
	sb_release(&err);
}

/* A rule continued with a backslash: our prerequisite goes before it, not after. */
static void test_continued_rule_keeps_the_stamp(void **state)
{
	(void)state;
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;
	struct strvec files = STRVEC_INIT, envs = STRVEC_INIT, srcs = STRVEC_INIT;

	path_join(&path, dir, "cont.d");
	write_text(path.buf, "/t/x.d: src/lib.rs \\\n src/a.rs\n\nsrc/lib.rs:\n");
	sv_push(&files, "/c/STAMP");
	assert_int_equal(depinfo_append(path.buf, &files, &envs, NULL, &err), 0);
	char *got = read_text(path.buf);
	assert_non_null(strstr(got, "/t/x.d: src/lib.rs  /c/STAMP \\\n src/a.rs\n"));
	free(got);
	sv_release(&files);
	sv_release(&envs);
	sv_release(&srcs);
	sb_release(&path);
	sb_release(&err);
}

/* A mark written is read back, and a file without one says so. */
static void test_marks_round_trip(void **state)
{
	(void)state;
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;
	struct strvec none = STRVEC_INIT;
	struct unit_mark m, back;

	path_join(&path, dir, "m-1.d");
	write_text(path.buf, rustc_d);
	assert_int_equal(depinfo_read_mark(path.buf, &back, &err), 0);
	memset(&m, 0, sizeof(m));
	m.slot = "s1";
	m.crate = "x";
	m.metadata = "abc";
	m.action = "use-stale";
	m.key = "k";
	m.detail = "/p/f.profdata";
	m.mismatches = 3;
	sv_push(&m.deps, "/t/deps/y-2.d");
	assert_int_equal(depinfo_append(path.buf, &none, &none, &m, &err), 0);
	/* Rewritten again (as a second wrapper pass would): one mark, not two. */
	assert_int_equal(depinfo_append(path.buf, &none, &none, &m, &err), 0);
	char *got = read_text(path.buf);
	assert_non_null(strstr(got, "# pgo-wrap:unit"));
	assert_null(strstr(strstr(got, "# pgo-wrap:unit") + 1, "# pgo-wrap:unit"));
	free(got);
	assert_int_equal(depinfo_read_mark(path.buf, &back, &err), 1);
	assert_string_equal(back.action, "use-stale");
	assert_string_equal(back.detail, "/p/f.profdata");
	assert_int_equal(back.mismatches, 3);
	assert_int_equal(back.deps.n, 1);
	assert_string_equal(back.deps.v[0], "/t/deps/y-2.d");
	unit_mark_release(&back);
	sv_release(&m.deps);
	struct strbuf lib = STRBUF_INIT;
	assert_int_equal(depinfo_of_library("/t/deps/libfoo_bar-0123.rlib", &lib), 0);
	assert_string_equal(lib.buf, "/t/deps/foo_bar-0123.d");
	sb_release(&lib);
	sb_release(&path);
	sb_release(&err);
}

/* A proc-macro's dep-info gets its libraries' dep lines alone: no mark, but deps to follow. */
static void test_deps_without_a_mark(void **state)
{
	(void)state;
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;
	struct strvec none = STRVEC_INIT, deps = STRVEC_INIT;
	struct unit_mark m, back;

	path_join(&path, dir, "macro-1.d");
	write_text(path.buf, rustc_d);
	memset(&m, 0, sizeof(m));
	sv_push(&m.deps, "/t/deps/helper-2.d");
	sv_push(&m.deps, "/t/deps/syn-3.d");
	assert_int_equal(depinfo_append(path.buf, &none, &none, &m, &err), 0);
	char *got = read_text(path.buf);
	assert_null(strstr(got, "# pgo-wrap:unit"));
	depinfo_mark_deps(got, &deps);
	assert_int_equal(deps.n, 2);
	assert_string_equal(deps.v[0], "/t/deps/helper-2.d");
	assert_string_equal(deps.v[1], "/t/deps/syn-3.d");
	free(got);
	assert_int_equal(depinfo_read_mark(path.buf, &back, &err), 0);
	sv_release(&m.deps);
	sv_release(&deps);
	sb_release(&path);
	sb_release(&err);
}

/* The first rule's prerequisites, unescaped: what unit keys and the uplifted listings read. */
static void collect_word(const char *word, size_t len, void *ctx)
{
	assert_int_equal(strlen(word), len);
	sb_addf(ctx, "[%s]", word);
}

static void test_each_prerequisite(void **state)
{
	(void)state;
	struct strbuf got = STRBUF_INIT;

	depinfo_each_prerequisite("# a comment: not a rule\n/t/out\\ dir/x: src/lib.rs  src/a\\ b.rs back\\slash end\\\n"
				  "src/lib.rs:\n", collect_word, &got);
	assert_string_equal(got.buf, "[src/lib.rs][src/a b.rs][back\\slash][end\\]");
	sb_reset(&got);
	depinfo_each_prerequisite("no rule here\n", collect_word, &got);
	depinfo_each_prerequisite("x:\n", collect_word, &got);
	depinfo_each_prerequisite("", collect_word, &got);
	assert_int_equal(got.len, 0);
	sb_release(&got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_appends_to_every_rule),
		cmocka_unit_test(test_each_prerequisite),
		cmocka_unit_test(test_continued_rule_keeps_the_stamp),
		cmocka_unit_test(test_marks_round_trip),
		cmocka_unit_test(test_deps_without_a_mark),
		cmocka_unit_test(test_missing_file_is_an_error),
		cmocka_unit_test(test_stamp_rewritten_only_on_change),
		cmocka_unit_test(test_decision_from_env),
		cmocka_unit_test(test_private_dir_checks),
	};
	return cmocka_run_group_tests_name("depinfo", tests, tempdir_setup, tempdir_teardown);
}
