/*
 * test_cache.c - unit tests for the profile store (shim/cache.c): round
 * trip, stamp retargeting, 8 concurrent writers/readers, stores killed
 * midway, and corrupt entries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdbool.h>

#include "base/atomic.h"
#include "base/path.h"
#include "base/strbuf.h"
#include "base/tempfile.h"
#include "base/xalloc.h"
#include "store/manifest.h"
#include "store/profile.h"
#include "tempdir.h"

#define PROFILE_BYTES (256 * 1024)

/* A fake profile whose every byte is the key's first hex digit: a torn copy shows. */
static void make_profile(const char *path, char fill)
{
	struct strbuf data = STRBUF_INIT, err = STRBUF_INIT;
	for (int i = 0; i < PROFILE_BYTES; i++)
		sb_addch(&data, fill);
	if (write_file_atomic(path, data.buf, data.len, NULL, &err) != 0)
		fail_msg("%s", err.buf);
	sb_release(&data);
	sb_release(&err);
}

static void make_manifest(struct manifest *m, char fill)
{
	memset(m, 0, sizeof(*m));
	m->content_key = xmalloc(33);
	memset(m->content_key, fill, 32);
	m->content_key[32] = '\0';
	m->slot = xstrdup("slot");
	m->training = xstrdup("unit test");
	manifest_add_crate(m, "fixlib", "md", m->content_key);
}

/* 0 when the slot's current profile is complete and consistent. */
static int check_current(const char *slot, struct strbuf *why)
{
	struct manifest m;
	struct strbuf prof = STRBUF_INIT, data = STRBUF_INIT;
	int rc = profile_current(slot, &m, &prof, why);

	if (rc == 1) {
		rc = -1;
		if (sb_read_file(&data, prof.buf) != 0)
			sb_addf(why, "cannot read %s", prof.buf);
		else if (data.len != PROFILE_BYTES)
			sb_addf(why, "torn profile: %zu bytes", data.len);
		else if (data.buf[0] != m.content_key[0] || data.buf[data.len - 1] != m.content_key[0])
			sb_addf(why, "profile does not match its manifest");
		else
			rc = 0;
	} else if (rc == 0) {
		rc = 0; /* nothing stored yet is fine */
	}
	manifest_release(&m);
	sb_release(&prof);
	sb_release(&data);
	return rc;
}

static void new_slot(struct strbuf *slot, const char *name)
{
	struct strbuf err = STRBUF_INIT;
	sb_reset(slot);
	path_join(slot, dir, name);
	assert_int_equal(mkdir_private(slot->buf, 0700, &err), 0);
	sb_release(&err);
}

static void test_store_and_retarget(void **state)
{
	(void)state;
	struct strbuf slot = STRBUF_INIT, src = STRBUF_INIT, err = STRBUF_INIT, stamps = STRBUF_INIT;
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, text = STRBUF_INIT;
	struct manifest m, back;

	new_slot(&slot, "s1");
	path_join(&stamps, slot.buf, "stamps");
	assert_int_equal(mkdir_private(stamps.buf, 0700, &err), 0);
	path_join(&a, stamps.buf, "opt");
	path_join(&b, stamps.buf, "instr");
	assert_int_equal(write_file_atomic(a.buf, "plain\n/t/release\n", 17, NULL, &err), 0);
	assert_int_equal(write_file_atomic(b.buf, "generate /raw\n/t/pgo/release\n", 29, NULL, &err), 0);
	struct stat before, after;
	assert_int_equal(stat(b.buf, &before), 0);

	path_join(&src, dir, "in.profdata");
	make_profile(src.buf, 'a');
	make_manifest(&m, 'a');
	assert_int_equal(profile_store(slot.buf, src.buf, &m, NULL, NULL, &err), 0);
	struct strbuf prof = STRBUF_INIT;
	assert_int_equal(profile_current(slot.buf, &back, &prof, &err), 1);
	assert_string_equal(back.content_key, m.content_key);
	assert_int_equal(check_current(slot.buf, &err), 0);

	/* The wrapper's fast path: the crate index, no YAML. */
	struct strbuf index = STRBUF_INIT, prof2 = STRBUF_INIT;
	assert_int_equal(profile_current_index(slot.buf, &prof2, &index, &err), 1);
	assert_string_equal(prof2.buf, prof.buf);
	char *k = profile_index_lookup(index.buf, "fixlib", "md");
	assert_non_null(k);
	assert_string_equal(k, m.content_key);
	free(k);
	assert_null(profile_index_lookup(index.buf, "fixlib", "other-metadata"));
	assert_null(profile_index_lookup(index.buf, "fix", "md"));
	sb_release(&index);
	sb_release(&prof2);

	assert_int_equal(sb_read_file(&text, a.buf), 0);
	struct strbuf want = STRBUF_INIT;
	sb_addf(&want, "use %s\n/t/release\n", prof.buf);
	assert_string_equal(text.buf, want.buf);
	assert_int_equal(stat(b.buf, &after), 0);
	assert_int_equal(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec); /* instrumented dir untouched */
	assert_int_equal(after.st_mtime, before.st_mtime);

	manifest_release(&m);
	manifest_release(&back);
	sb_release(&want);
	sb_release(&prof);
	sb_release(&slot);
	sb_release(&src);
	sb_release(&err);
	sb_release(&stamps);
	sb_release(&a);
	sb_release(&b);
	sb_release(&text);
}

/* Stores rounds times; when ready >= 0, writes one byte to it as the first store begins. */
static void storer_signalling(const char *slot, int id, int rounds, int ready)
{
	struct strbuf src = STRBUF_INIT, err = STRBUF_INIT;
	char fill = "0123456789abcdef"[id % 16];

	sb_addf(&src, "%s/src-%d.profdata", dir, id);
	make_profile(src.buf, fill);
	if (ready >= 0 && (write(ready, "s", 1) != 1 || close(ready) != 0))
		_exit(2);
	for (int r = 0; r < rounds; r++) {
		struct manifest m;
		make_manifest(&m, fill);
		if (profile_store(slot, src.buf, &m, NULL, NULL, &err) != 0 || check_current(slot, &err) != 0) {
			fprintf(stderr, "writer %d: %s\n", id, err.buf);
			_exit(1);
		}
		manifest_release(&m);
	}
	sb_release(&src);
	sb_release(&err);
}

static void storer(const char *slot, int id, int rounds)
{
	storer_signalling(slot, id, rounds, -1);
}

/* Whether a temp file of pid's (".tmp.<pid>.") is left in dir: it was killed mid-write. */
static bool temp_left_by(const char *d, pid_t pid)
{
	char needle[64];
	bool found = false;
	snprintf(needle, sizeof(needle), ".tmp.%s.%ld.", temp_owner_tag(), (long)pid);
	DIR *dh = opendir(d);
	if (!dh)
		return false;
	for (struct dirent *e; !found && (e = readdir(dh)) != NULL;)
		found = strstr(e->d_name, needle) != NULL;
	closedir(dh);
	return found;
}

static void test_eight_concurrent_writers_and_readers(void **state)
{
	(void)state;
	struct strbuf slot = STRBUF_INIT;
	pid_t pids[8];

	new_slot(&slot, "s2");
	for (int i = 0; i < 8; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			storer(slot.buf, i, 15);
			_exit(0);
		}
	}
	for (int i = 0; i < 8; i++) {
		int status;
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	struct strbuf err = STRBUF_INIT;
	assert_int_equal(check_current(slot.buf, &err), 0);
	sb_release(&err);
	sb_release(&slot);
}

/*
 * A store killed midway leaves the previous profile current and whole. A round counts
 * only when the kill demonstrably landed mid-store: the child had begun storing (it
 * says so through a pipe), was still running (killed by the signal, not exited), and
 * left a temp file of its own. At least one such round is required.
 */
static void test_killed_store_keeps_previous(void **state)
{
	(void)state;
	struct strbuf slot = STRBUF_INIT, err = STRBUF_INIT, profiles = STRBUF_INIT;
	int mid = 0, round;

	new_slot(&slot, "s3");
	path_join(&profiles, slot.buf, "profiles");
	storer(slot.buf, 1, 1);
	srand((unsigned)time(NULL));
	for (round = 0; round < 100 && mid < 20; round++) {
		int ready[2];
		assert_int_equal(pipe(ready), 0);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(ready[0]);
			storer_signalling(slot.buf, 2 + round, 1000, ready[1]);
			_exit(0);
		}
		close(ready[1]);
		char c;
		if (read(ready[0], &c, 1) != 1)
			fail_msg("round %d: the storer died before it began storing", round);
		close(ready[0]);
		struct timespec ts = { 0, (rand() % 20000) * 1000L };
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
			fail_msg("round %d: the storer was not killed mid-store (status %#x): 1000 stores took under 20 ms?",
				 round, status);
		if (temp_left_by(slot.buf, pid) || temp_left_by(profiles.buf, pid))
			mid++;
		if (check_current(slot.buf, &err) != 0)
			fail_msg("after a kill in round %d: %s", round, err.buf);
	}
	print_message("killed stores: %d of %d rounds left a temp file\n", mid, round);
	if (mid == 0)
		fail_msg("no kill in %d rounds left a temp file: none landed mid-write", round);
	sb_release(&slot);
	sb_release(&err);
	sb_release(&profiles);
}

static void test_corrupt_entries(void **state)
{
	(void)state;
	struct strbuf slot = STRBUF_INIT, err = STRBUF_INIT, cur = STRBUF_INIT, prof = STRBUF_INIT;
	struct manifest m;

	new_slot(&slot, "s4");
	path_join(&cur, slot.buf, "CURRENT");
	assert_int_equal(profile_current(slot.buf, &m, &prof, &err), 0);
	assert_int_equal(write_file_atomic(cur.buf, "garbage", 7, NULL, &err), 0);
	assert_int_equal(profile_current(slot.buf, &m, &prof, &err), -1);
	assert_non_null(strstr(err.buf, "CURRENT is corrupt; delete it"));
	manifest_release(&m);

	sb_reset(&err);
	storer(slot.buf, 5, 1);
	struct strbuf mpath = STRBUF_INIT;
	sb_addf(&mpath, "%s/profiles/55555555555555555555555555555555.yaml", slot.buf);
	const char *bad = "version: 1\ncontent-key: [\n";
	assert_int_equal(write_file_atomic(mpath.buf, bad, strlen(bad), NULL, &err), 0);
	assert_int_equal(profile_current(slot.buf, &m, &prof, &err), -1);
	if (!strstr(err.buf, "55555555555555555555555555555555.yaml:3:1:"))
		fail_msg("unexpected error: %s", err.buf);
	manifest_release(&m);
	sb_release(&mpath);
	sb_release(&slot);
	sb_release(&err);
	sb_release(&cur);
	sb_release(&prof);
}

/* The wrapper learns from the index which programs the training runs; the content key covers them. */
static void test_index_names_the_trained_programs(void **state)
{
	(void)state;
	struct strbuf slot = STRBUF_INIT, src = STRBUF_INIT, err = STRBUF_INIT, index = STRBUF_INIT, prof = STRBUF_INIT;
	struct manifest m;

	new_slot(&slot, "s-programs");
	path_join(&src, dir, "programs.profdata");
	make_profile(src.buf, 'p');
	make_manifest(&m, 'p');
	profile_content_key(&m, src.buf);
	char *unknown_key = xstrdup(m.content_key);
	assert_int_equal(profile_store(slot.buf, src.buf, &m, NULL, NULL, &err), 0);
	assert_int_equal(profile_current_index(slot.buf, &prof, &index, &err), 1);
	assert_false(profile_index_program_untrained(index.buf, "extra", false));
	assert_false(profile_index_program_untrained(index.buf, "extra", true));

	m.programs_known = true;
	sv_push(&m.programs, "fixbin");
	sv_push(&m.programs, "my_tool");
	profile_content_key(&m, src.buf);
	assert_string_not_equal(m.content_key, unknown_key);
	assert_int_equal(profile_store(slot.buf, src.buf, &m, NULL, NULL, &err), 0);
	sb_reset(&index);
	sb_reset(&prof);
	assert_int_equal(profile_current_index(slot.buf, &prof, &index, &err), 1);
	assert_false(profile_index_program_untrained(index.buf, "fixbin", false));
	assert_false(profile_index_program_untrained(index.buf, "my_tool", false));
	assert_true(profile_index_program_untrained(index.buf, "my", false));
	assert_true(profile_index_program_untrained(index.buf, "fixbin", true));
	assert_true(profile_index_program_untrained(index.buf, "extra", false));
	char *k = profile_index_lookup(index.buf, "fixlib", "md");
	assert_non_null(k);
	free(k);
	/* fixlib's counts are unknown: it may have run. */
	assert_false(profile_index_never_ran(index.buf, "fixlib"));
	assert_false(profile_index_program_untrained(index.buf, "fixlib", false));

	/* A crate whose functions never ran; a program the training does not name that ran (started by one it does). */
	struct manifest_crate *cold = manifest_add_crate(&m, "cold", "md2", "k2");
	cold->counts = 0;
	cold->functions = 2;
	struct manifest_crate *helper = manifest_add_crate(&m, "helper_bin", "md3", "k3");
	helper->counts = 10;
	helper->functions = 1;
	struct manifest_crate *idle = manifest_add_crate(&m, "idle_bin", "md4", "k4");
	idle->counts = 0;
	idle->functions = 1;
	profile_content_key(&m, src.buf);
	assert_int_equal(profile_store(slot.buf, src.buf, &m, NULL, NULL, &err), 0);
	sb_reset(&index);
	sb_reset(&prof);
	assert_int_equal(profile_current_index(slot.buf, &prof, &index, &err), 1);
	assert_true(profile_index_never_ran(index.buf, "cold"));
	assert_true(manifest_name_never_ran(&m, "cold"));
	assert_false(profile_index_never_ran(index.buf, "helper_bin"));
	assert_false(profile_index_never_ran(index.buf, "col"));
	assert_false(profile_index_program_untrained(index.buf, "helper_bin", false));
	assert_false(manifest_program_untrained(&m, "helper_bin", false));
	assert_true(profile_index_program_untrained(index.buf, "idle_bin", false));
	assert_true(manifest_program_untrained(&m, "idle_bin", false));
	free(unknown_key);
	manifest_release(&m);
	sb_release(&slot);
	sb_release(&src);
	sb_release(&err);
	sb_release(&index);
	sb_release(&prof);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_and_retarget),
		cmocka_unit_test(test_index_names_the_trained_programs),
		cmocka_unit_test(test_eight_concurrent_writers_and_readers),
		cmocka_unit_test(test_killed_store_keeps_previous),
		cmocka_unit_test(test_corrupt_entries),
	};
	return cmocka_run_group_tests_name("cache", tests, tempdir_setup, tempdir_teardown);
}
