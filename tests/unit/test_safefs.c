/*
 * test_safefs.c - unit tests for writes below a trusted base that never
 * cross a planted link (shim/base/safefs.c): safe_write replaces a file
 * whole, replaces a link at its own name without following it, and refuses
 * a link on the way; safe_install copies the same way.
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

#include "base/path.h"
#include "base/safefs.h"
#include "base/strbuf.h"
#include "tempdir.h"

static void read_into(struct strbuf *out, const char *path)
{
	sb_reset(out);
	assert_int_equal(0, sb_read_file(out, path));
}

static void test_write_replaces_whole(void **state)
{
	(void)state;
	struct strbuf base = STRBUF_INIT, f = STRBUF_INIT, err = STRBUF_INIT, got = STRBUF_INIT;
	struct stat st;

	path_join(&base, dir, "w");
	assert_int_equal(0, mkdir(base.buf, 0700));
	path_join(&f, base.buf, "file");
	assert_int_equal(0, safe_write(base.buf, f.buf, "first\n", 6, 0644, &err));
	assert_int_equal(0, safe_write(base.buf, f.buf, "two\n", 4, 0600, &err));
	read_into(&got, f.buf);
	assert_string_equal("two\n", got.buf);
	assert_int_equal(0, stat(f.buf, &st));
	assert_int_equal(0600, st.st_mode & 0777);
	/* safe_install copies a file the same way, with its mode. */
	struct strbuf copy = STRBUF_INIT;
	path_join(&copy, base.buf, "copy");
	assert_int_equal(0, safe_install(base.buf, f.buf, copy.buf, 0640, &err));
	read_into(&got, copy.buf);
	assert_string_equal("two\n", got.buf);
	assert_int_equal(0, stat(copy.buf, &st));
	assert_int_equal(0640, st.st_mode & 0777);
	sb_release(&copy);
	/* A path not below base is refused. */
	assert_int_not_equal(0, safe_write(base.buf, "/tmp/elsewhere-pgow", "x", 1, 0644, &err));
	sb_release(&base);
	sb_release(&f);
	sb_release(&err);
	sb_release(&got);
}

static void test_write_never_follows_a_link(void **state)
{
	(void)state;
	struct strbuf base = STRBUF_INIT, out = STRBUF_INIT, victim = STRBUF_INIT, link = STRBUF_INIT;
	struct strbuf f = STRBUF_INIT, err = STRBUF_INIT, got = STRBUF_INIT;
	struct stat st;

	path_join(&base, dir, "l");
	path_join(&out, dir, "outside");
	assert_int_equal(0, mkdir(base.buf, 0700));
	assert_int_equal(0, mkdir(out.buf, 0700));
	path_join(&victim, out.buf, "victim");
	assert_int_equal(0, safe_write(out.buf, victim.buf, "precious", 8, 0644, &err));
	/* A link at the name itself is replaced, the file it names untouched. */
	path_join(&link, base.buf, "name");
	assert_int_equal(0, symlink(victim.buf, link.buf));
	assert_int_equal(0, safe_write(base.buf, link.buf, "mine", 4, 0644, &err));
	assert_int_equal(0, lstat(link.buf, &st));
	assert_true(S_ISREG(st.st_mode));
	read_into(&got, victim.buf);
	assert_string_equal("precious", got.buf);
	/* A link on the way is refused: nothing is written where it points. */
	sb_reset(&link);
	path_join(&link, base.buf, "sub");
	assert_int_equal(0, symlink(out.buf, link.buf));
	path_join(&f, link.buf, "victim");
	assert_int_not_equal(0, safe_write(base.buf, f.buf, "evil", 4, 0644, &err));
	assert_non_null(strstr(err.buf, f.buf));
	read_into(&got, victim.buf);
	assert_string_equal("precious", got.buf);
	/* safe_install, the same walk. */
	sb_reset(&err);
	assert_int_not_equal(0, safe_install(base.buf, victim.buf, f.buf, 0644, &err));
	read_into(&got, victim.buf);
	assert_string_equal("precious", got.buf);
	sb_release(&base);
	sb_release(&out);
	sb_release(&victim);
	sb_release(&link);
	sb_release(&f);
	sb_release(&err);
	sb_release(&got);
}

/* Below a dir by the strings: a sibling with the dir's name as prefix is not. */
static void test_path_is_under(void **state)
{
	(void)state;
	assert_true(path_is_under("/t/pgo/release/examples/x", "/t/pgo"));
	assert_true(path_is_under("/t/pgo", "/t/pgo"));
	assert_true(path_is_under("/t/pgo/x", "/t/pgo/"));
	assert_true(path_is_under("/anything", "/"));
	assert_false(path_is_under("/t/pgo-other/x", "/t/pgo"));
	assert_false(path_is_under("/t", "/t/pgo"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_replaces_whole),
		cmocka_unit_test(test_path_is_under),
		cmocka_unit_test(test_write_never_follows_a_link),
	};
	return cmocka_run_group_tests_name("safefs", tests, tempdir_setup, tempdir_teardown);
}
