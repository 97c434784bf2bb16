/*
 * test_spawn.c - unit tests for the one way we run programs
 * (shim/base/spawn.c) and the temp registry (shim/base/tempfile.c).
 */
#include <signal.h>
#include <stdlib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/spawn.h"
#include "base/strbuf.h"
#include "base/tempfile.h"
#include "tempdir.h"

static void test_capture_env_and_dir(void **state)
{
	(void)state;
	char *argv[] = { "/bin/sh", "-c",
			 "echo \"$PGOW_T_A $PGOW_T_B ${PGOW_T_C-unset}\"; pwd; echo to-stderr >&2", NULL };
	struct strvec env = STRVEC_INIT;
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	struct child c = CHILD_INIT(argv);

	setenv("PGOW_T_A", "outer", 1);
	setenv("PGOW_T_C", "", 1);
	sv_push(&env, "PGOW_T_A=inner");
	sv_push(&env, "PGOW_T_B=b c");
	sv_push(&env, "PGOW_T_C"); /* unset for the child: not even empty */
	c.env = &env;
	c.dir = "/";
	c.out = CHILD_CAPTURE;
	c.capture = &out;
	c.err = CHILD_NULL;
	assert_int_equal(child_run(&c, &err), 0);
	assert_true(child_succeeded(&c));
	assert_string_equal(out.buf, "inner b c unset\n/\n");
	assert_string_equal(getenv("PGOW_T_A"), "outer"); /* ours is untouched */
	unsetenv("PGOW_T_A");
	unsetenv("PGOW_T_C");
	sv_release(&env);
	sb_release(&out);
	sb_release(&err);
}

/*
 * Under valgrind posix_spawn is a fork and an exec: an exec that fails is the
 * child's exit status 127, never an error posix_spawn returns (make valgrind
 * sets PGOW_VALGRIND).
 */
static void skip_under_valgrind(void)
{
	if (getenv("PGOW_VALGRIND"))
		skip();
}

static void test_cannot_start_is_an_error_with_the_reason(void **state)
{
	(void)state;
	skip_under_valgrind();
	char *argv[] = { "/no/such/program", NULL };
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;

	assert_int_equal(run_capture(argv, &out, &err), -1);
	assert_string_equal(err.buf, "cannot run /no/such/program: No such file or directory");
	sb_release(&out);
	sb_release(&err);
}

static void count_line(const char *line, size_t len, void *ctx)
{
	struct strvec *lines = ctx;
	sv_pushf(lines, "%.*s", (int)len, line);
}

static void test_tee_lines_and_exit_status(void **state)
{
	(void)state;
	char *argv[] = { "/bin/sh", "-c", "printf 'one\\ntwo\\nthree' >&2; exit 3", NULL };
	struct strvec lines = STRVEC_INIT;
	struct strbuf err = STRBUF_INIT;
	struct child c = CHILD_INIT(argv);

	c.err = CHILD_TEE;
	c.on_line = count_line;
	c.ctx = &lines;
	assert_int_equal(child_run(&c, &err), 0);
	assert_true(WIFEXITED(c.status));
	assert_int_equal(WEXITSTATUS(c.status), 3);
	assert_false(child_succeeded(&c));
	assert_int_equal(lines.n, 3);
	assert_string_equal(lines.v[2], "three"); /* the last line, unterminated */
	sv_release(&lines);
	sb_release(&err);
}

/* A timeout kills the whole group: a grandchild holding the pipe open goes too. */
static void test_timeout_kills_the_group(void **state)
{
	(void)state;
	char *argv[] = { "/bin/sh", "-c", "sleep 30 & sleep 30", NULL };
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	struct child c = CHILD_INIT(argv);

	c.out = CHILD_CAPTURE;
	c.capture = &out;
	c.timeout = 1;
	time_t before = time(NULL);
	assert_int_equal(child_run(&c, &err), 0);
	assert_true(c.timed_out);
	assert_false(child_succeeded(&c));
	assert_true(time(NULL) - before >= 1); /* not before its second was up */
	assert_true(time(NULL) - before < 10);
	sb_release(&out);
	sb_release(&err);
}

static void test_run_all(void **state)
{
	(void)state;
	skip_under_valgrind();
	char *ok[] = { "/bin/true", NULL }, *bad[] = { "/bin/false", NULL }, *missing[] = { "/no/such", NULL };
	struct child cs[3] = { CHILD_INIT(ok), CHILD_INIT(bad), CHILD_INIT(missing) };
	struct strbuf err = STRBUF_INIT;

	assert_int_equal(child_run_all(cs, 3, &err), -1);
	assert_true(child_succeeded(&cs[0]));
	assert_false(child_succeeded(&cs[1]));
	assert_non_null(strstr(err.buf, "cannot run /no/such"));
	sb_release(&err);
}

/* Started before its input is known, fed through a pipe, then awaited. */
static void test_start_feed_wait(void **state)
{
	(void)state;
	char *argv[] = { "/bin/sh", "-c", "read first; cat; echo \"got $first\"", NULL };
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	struct child c = CHILD_INIT(argv);

	c.in = CHILD_PIPE;
	c.out = CHILD_CAPTURE;
	c.capture = &out;
	assert_int_equal(child_start(&c, &err), 0);
	assert_true(c.in_fd >= 0);
	assert_int_equal(write(c.in_fd, "one\ntwo\n", 8), 8);
	assert_int_equal(child_wait(&c, false, &err), 0); /* closes in_fd: the child sees the end */
	assert_int_equal(c.in_fd, -1);
	assert_true(child_succeeded(&c));
	assert_string_equal(out.buf, "two\ngot one\n");
	sb_release(&out);
	sb_release(&err);
}

/* Stopped unfed: killed, not waited for until its input ends (which never comes). */
static void test_start_then_stop(void **state)
{
	(void)state;
	char *argv[] = { "/bin/sh", "-c", "sleep 30", NULL };
	struct strbuf err = STRBUF_INIT;
	struct child c = CHILD_INIT(argv);

	c.in = CHILD_PIPE;
	time_t before = time(NULL);
	assert_int_equal(child_start(&c, &err), 0);
	assert_int_equal(child_wait(&c, true, &err), 0);
	assert_true(WIFSIGNALED(c.status));
	assert_int_equal(WTERMSIG(c.status), SIGKILL);
	assert_false(child_succeeded(&c));
	assert_true(time(NULL) - before < 10);
	assert_null(c.running);
	sb_release(&err);
}

static void test_tempdir_registry(void **state)
{
	(void)state;
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, err = STRBUF_INIT, link = STRBUF_INIT;
	struct stat st;

	assert_int_equal(tempdir_create(dir, "merge.", &a, &err), 0);
	assert_int_equal(tempdir_create(dir, "merge.", &b, &err), 0);
	assert_int_equal(stat(a.buf, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* A link planted inside is removed, its target kept. */
	sb_addf(&link, "%s/planted", b.buf);
	assert_int_equal(symlink(dir, link.buf), 0);
	tempdir_remove(a.buf);
	assert_int_equal(stat(a.buf, &st), -1);
	tempfile_cleanup();
	assert_int_equal(stat(b.buf, &st), -1);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(tempdir_create("/no/such/dir", "merge.", &a, &err), -1);
	assert_non_null(strstr(err.buf, "cannot create a temp dir in /no/such/dir"));
	sb_release(&a);
	sb_release(&b);
	sb_release(&err);
	sb_release(&link);
}

/* Temp names say who made them: only a gone process of this host is an orphan. */
static void test_temp_orphans_by_name(void **state)
{
	(void)state;
	char *argv[] = { "/bin/true", NULL };
	struct child c = CHILD_INIT(argv);
	struct strbuf err = STRBUF_INIT, name = STRBUF_INIT;
	const char *tag = temp_owner_tag();

	/* A pid that existed and is gone: a child we ran and reaped. */
	assert_int_equal(child_run(&c, &err), 0);
	pid_t gone = 0;
	{
		pid_t p = fork();
		if (p == 0)
			_exit(0);
		assert_true(p > 0);
		waitpid(p, NULL, 0);
		gone = p;
	}
	assert_int_equal(strlen(tag), TEMP_TAG_LEN);
	sb_addf(&name, "merge.%s.%ld.Ab12Cd", tag, (long)gone);
	assert_true(temp_is_orphan(name.buf));
	sb_reset(&name);
	sb_addf(&name, "CURRENT.tmp.%s.%ld.3", tag, (long)gone);
	assert_true(temp_is_orphan(name.buf));
	sb_reset(&name);
	sb_addf(&name, "merge.%s.%ld.Ab12Cd", tag, (long)getpid());
	assert_false(temp_is_orphan(name.buf)); /* we live */
	sb_reset(&name);
	sb_addf(&name, "merge.00000000.%ld.Ab12Cd", (long)gone);
	assert_false(temp_is_orphan(name.buf)); /* another host's: not ours to judge */
	assert_false(temp_is_orphan("merge.Ab12Cd"));  /* an older name: gc's age rule */
	assert_false(temp_is_orphan("CURRENT.tmp.123.4"));
	assert_false(temp_is_orphan("INDEX"));
	sb_release(&err);
	sb_release(&name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capture_env_and_dir),
		cmocka_unit_test(test_cannot_start_is_an_error_with_the_reason),
		cmocka_unit_test(test_tee_lines_and_exit_status),
		cmocka_unit_test(test_timeout_kills_the_group),
		cmocka_unit_test(test_run_all),
		cmocka_unit_test(test_start_feed_wait),
		cmocka_unit_test(test_start_then_stop),
		cmocka_unit_test(test_tempdir_registry),
		cmocka_unit_test(test_temp_orphans_by_name),
	};
	return cmocka_run_group_tests(tests, tempdir_setup, tempdir_teardown);
}
