/*
 * test_config.c - unit tests for pgo-wrap.yaml parsing (shim/config.c):
 * a full valid file, and every kind of mistake reported at file:line:col.
 */
#include <stdlib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/atomic.h"
#include "base/path.h"
#include "base/strbuf.h"
#include "cycle/config.h"
#include "tempdir.h"

static void write_config(const char *text, struct strbuf *path)
{
	struct strbuf err = STRBUF_INIT;
	sb_reset(path);
	path_join(path, dir, "pgo-wrap.yaml");
	assert_int_equal(write_file_atomic(path->buf, text, strlen(text), NULL, &err), 0);
	sb_release(&err);
}

static void test_full_config(void **state)
{
	(void)state;
	struct config c;
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;

	write_config("# every key\n"
		     "stale-policy: refresh\n"
		     "stale-threshold: 0.25\n"
		     "training:\n"
		     "  - name: bench\n"
		     "    run: [\"{bin:app}\", \"--iterations\", \"100\"]\n"
		     "    env: { RUST_LOG: warn }\n"
		     "    timeout: 600\n"
		     "    weight: 3\n"
		     "  - shell: \"for i in 1 2; do {bin:app} $i; done\"\n"
		     "    allow-failure: true\n", &path);
	config_defaults(&c);
	if (config_read(&c, path.buf, &err) != 0)
		fail_msg("%s", err.buf);
	assert_int_equal(c.stale_policy, STALE_REFRESH);
	assert_true(c.stale_threshold > 0.24 && c.stale_threshold < 0.26);
	assert_int_equal(c.nruns, 2);
	assert_string_equal(c.runs[0].name, "bench");
	assert_int_equal(c.runs[0].argv.n, 3);
	assert_string_equal(c.runs[0].argv.v[0], "{bin:app}");
	assert_string_equal(c.runs[0].env.v[0], "RUST_LOG=warn");
	assert_int_equal(c.runs[0].timeout, 600);
	assert_int_equal(c.runs[0].weight, 3);
	assert_false(c.runs[0].allow_failure);
	assert_string_equal(c.runs[1].shell, "for i in 1 2; do {bin:app} $i; done");
	assert_true(c.runs[1].allow_failure);
	assert_int_equal(c.runs[1].weight, 1);
	assert_non_null(strstr(c.runs[1].where, "pgo-wrap.yaml:10:5"));
	config_release(&c);
	sb_release(&path);
	sb_release(&err);
}

static void expect_error(const char *text, const char *needle)
{
	struct config c;
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;

	write_config(text, &path);
	config_defaults(&c);
	assert_int_equal(config_read(&c, path.buf, &err), -1);
	if (!strstr(err.buf, needle))
		fail_msg("error '%s' lacks '%s'", err.buf, needle);
	config_release(&c);
	sb_release(&path);
	sb_release(&err);
}

static void test_located_errors(void **state)
{
	(void)state;
	expect_error("stale-policy: refresh\ncolour: red\n",
		     "pgo-wrap.yaml:2:1: unknown key 'colour' in pgo-wrap.yaml; expected one of: stale-policy,");
	expect_error("stale-policy: sometimes\n",
		     "pgo-wrap.yaml:1:15: stale-policy 'sometimes' is not one of refresh, use-stale, plain, error");
	expect_error("stale-threshold: 40%\n", "pgo-wrap.yaml:1:18: stale-threshold must be a fraction from 0 to 1");
	expect_error("stale-threshold: nan\n", "pgo-wrap.yaml:1:18: stale-threshold must be a fraction from 0 to 1");
	expect_error("training:\n  - run: app --bench\n", "pgo-wrap.yaml:2:10: run must be a list of arguments");
	expect_error("training:\n  - run: [app]\n    shell: app\n", "pgo-wrap.yaml:2:5: a training run has both run: and shell:");
	expect_error("training:\n  - name: x\n", "pgo-wrap.yaml:2:5: a training run needs run: [argv...]");
	expect_error("training:\n  - run: [app]\n    weight: 0\n", "pgo-wrap.yaml:3:13: weight must be 1 or more");
	expect_error("training:\n  - run: [app]\n    retries: 3\n",
		     "pgo-wrap.yaml:3:5: unknown key 'retries' in a training run");
	expect_error("training:\n  - run: [app]\n    allow-failure: maybe\n",
		     "pgo-wrap.yaml:3:20: allow-failure must be true or false");
	expect_error("training:\n  - run: [app]\n    timeout: soon\n", "pgo-wrap.yaml:3:14: timeout must be a whole number");
	expect_error("exclude: [ring]\n", "pgo-wrap.yaml:1:1: 'exclude' is not a pgo-wrap.yaml key: every way of "
		     "building (build, RUSTC_WRAPPER, the cargo shim, merge) must agree on it, so set "
		     "CARGO_PGO_WRAP_EXCLUDE in the environment instead");
	expect_error("cache: /a\n", "pgo-wrap.yaml:1:1: 'cache' is not a pgo-wrap.yaml key");
	expect_error("training:\n  - run: [\"{bin:app}\", \"{nope}\"]\n",
		     "pgo-wrap.yaml:2:24: unknown placeholder {nope}");
	expect_error("training:\n  - shell: \"awk '{print}'\"\n", "pgo-wrap.yaml:2:12: unknown placeholder {print}");
	expect_error("training:\n  - run: [\"{bin:app\"]\n", "pgo-wrap.yaml:2:11: unclosed '{'");
	expect_error("training: [\n", "pgo-wrap.yaml:2:1:");
	/* A key twice inside a run, as at the top level; env names that are not names; a second document. */
	expect_error("training:\n  - run: [a]\n    run: [b]\n", "pgo-wrap.yaml:3:5: 'run' is given twice (also above); keep one");
	expect_error("training:\n  - run: [a]\n    env: { \"A=B\": x }\n", "pgo-wrap.yaml:3:12: env key 'A=B' is not a variable name");
	expect_error("training:\n  - run: [a]\n    env: { \"\": x }\n", "env key '' is not a variable name");
	expect_error("stale-policy: refresh\n---\nstale-policy: plain\n", "pgo-wrap.yaml:2:1: a second YAML document");
	expect_error("stale-policy: refresh\n\tstale-threshold: 1\n", "pgo-wrap.yaml:2:1:");
	/* libyaml's loader is superlinear in depth: refused early, with the place. */
	char deep[200 + 1];
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	deep[200] = '\0';
	struct strbuf doc = STRBUF_INIT;
	sb_addf(&doc, "training: %s\n", deep);
	expect_error(doc.buf, "pgo-wrap.yaml:1:74: nested deeper than 64 levels");
	sb_release(&doc);
}

static void test_load_order(void **state)
{
	(void)state;
	struct config c;
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;

	/* No files anywhere: defaults. */
	setenv("XDG_CONFIG_HOME", "/nonexistent", 1);
	assert_int_equal(config_load(&c, NULL, "/nonexistent", &err), 0);
	assert_null(c.path);
	assert_int_equal(c.stale_policy, STALE_USE);
	config_release(&c);
	/* The workspace's pgo-wrap.yaml. */
	write_config("stale-policy: error\n", &path);
	assert_int_equal(config_load(&c, NULL, dir, &err), 0);
	assert_string_equal(c.path, path.buf);
	assert_int_equal(c.stale_policy, STALE_ERROR);
	config_release(&c);
	/* An explicit --config that does not exist is an error, not a silent default. */
	assert_int_equal(config_load(&c, "/nonexistent/pgo.yaml", dir, &err), -1);
	assert_non_null(strstr(err.buf, "/nonexistent/pgo.yaml: cannot read"));
	config_release(&c);
	unsetenv("XDG_CONFIG_HOME");
	sb_release(&path);
	sb_release(&err);
}

/* The presets shipped in profiles/ and the demo's config must stay valid. */
static void test_shipped_presets(void **state)
{
	(void)state;
	struct config c;
	struct strbuf err = STRBUF_INIT;

	config_defaults(&c);
	if (config_read(&c, "profiles/example.yaml", &err) != 0)
		fail_msg("%s", err.buf);
	assert_int_equal(c.nruns, 2);
	assert_int_equal(c.runs[0].weight, 2);
	assert_non_null(c.runs[1].shell);
	config_release(&c);
	config_defaults(&c);
	if (config_read(&c, "profiles/generic.yaml", &err) != 0)
		fail_msg("%s", err.buf);
	assert_int_equal(c.stale_policy, STALE_REFRESH);
	assert_string_equal(c.runs[0].argv.v[1], "test");
	config_release(&c);
	config_defaults(&c);
	if (config_read(&c, "profiles/polkadot.yaml", &err) != 0)
		fail_msg("%s", err.buf);
	assert_int_equal(c.nruns, 2);
	assert_true(c.runs[0].allow_failure);
	assert_string_equal(c.runs[1].argv.v[4], "system");
	config_release(&c);
	config_defaults(&c);
	if (config_read(&c, "examples/demo/pgo-wrap.yaml", &err) != 0)
		fail_msg("%s", err.buf);
	assert_string_equal(c.runs[0].argv.v[0], "{bin:pgo-demo}");
	config_release(&c);
	sb_release(&err);
}

static void expect_programs(const char *text, bool known, const char *want)
{
	struct config c;
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT, got = STRBUF_INIT;
	struct strvec names = STRVEC_INIT;

	write_config(text, &path);
	config_defaults(&c);
	if (config_read(&c, path.buf, &err) != 0)
		fail_msg("%s", err.buf);
	if (config_trained_programs(&c, &names) != known)
		fail_msg("'%s': the programs should%s be known", text, known ? "" : " not");
	for (size_t i = 0; i < names.n; i++)
		sb_addf(&got, "%s%s", i ? " " : "", names.v[i]);
	assert_string_equal(sb_str(&got), want);
	sv_release(&names);
	config_release(&c);
	sb_release(&path);
	sb_release(&err);
	sb_release(&got);
}

/* The training runs only the programs it names when each run starts one itself. */
static void test_trained_programs(void **state)
{
	(void)state;
	expect_programs("training:\n  - run: [\"{bin:fixbin}\", \"3000\"]\n"
			"  - run: [\"{bin:my-tool}\", \"{bin:fixbin}\"]\n  - run: [\"{bin:fixbin}\"]\n",
			true, "fixbin my_tool");
	/* A program given to the one started may be run by it: named too. */
	expect_programs("training:\n  - run: [\"{bin:client}\", \"--server={bin:server}\"]\n", true, "client server");
	/* Any other program may start any program: cargo, a script, a shell. */
	expect_programs("training:\n  - run: [\"{bin:fixbin}\"]\n  - run: [\"cargo\", \"test\"]\n", false, "");
	expect_programs("training:\n  - run: [\"python3\", \"bench.py\", \"{bin:fixbin}\"]\n", false, "");
	expect_programs("training:\n  - shell: \"{bin:fixbin} 3000\"\n", false, "");
	expect_programs("training:\n  - run: [\"{bin:fixbin}x\"]\n", false, "");
	expect_programs("training:\n  - run: [\"{workspace}/run\"]\n", false, "");
	expect_programs("stale-policy: refresh\n", false, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_located_errors),
		cmocka_unit_test(test_load_order),
		cmocka_unit_test(test_shipped_presets),
		cmocka_unit_test(test_trained_programs),
	};
	return cmocka_run_group_tests_name("config", tests, tempdir_setup, tempdir_teardown);
}
